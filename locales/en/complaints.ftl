# Complaints and the PX Action Center: navigation and the core words
nav-my-work = My work
nav-complaints = Complaints
nav-actions = PX Actions
nav-sla-settings = SLA settings
explanation-title = Explanation request
explanation-thanks = Thank you. Your answer was recorded; this link cannot be used again.
explanation-complaint = Complaint
explanation-request = What you are asked
explanation-due = Please answer by
explanation-manager-intro = The staff member did not answer in time. As their manager, please respond.
explanation-your-answer = Your answer
explanation-send = Send my answer
explanation-link-gone = This link has been used, has expired or does not exist.
explanation-length = Please write between 10 and 5,000 characters.
explanation-privacy = The complaint itself is not shown here; your department manager or the patient relations team can show it to you.
