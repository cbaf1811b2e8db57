# The patient survey page and kiosks.
sp-title = Survey
sp-hello = Hello
sp-expires = This link works until
sp-progress = Progress
sp-progress-of = of
sp-required-note = Questions marked with a star need an answer.
sp-required = required
sp-new = New question
sp-save = Save and finish later
sp-submit = Submit
sp-stars = { $count ->
    [one] 1 star of 5
   *[other] { $count } stars of 5
}
sp-likert-1 = Strongly disagree
sp-likert-2 = Disagree
sp-likert-3 = Neutral
sp-likert-4 = Agree
sp-likert-5 = Strongly agree
sp-yes = Yes
sp-no = No
sp-nps-low = 0 = not at all likely
sp-nps-high = 10 = extremely likely
sp-rating-low = 1 = very poor
sp-rating-high = 5 = excellent
sp-alert-errors = Some answers need your attention. Please look at the questions marked in red.
sp-alert-revealed = Your answers opened more questions below. Please answer them, then press Submit.
sp-alert-saved = Your answers are saved. You can come back with the same link to finish.
sp-unknown-heading = This survey link does not work
sp-unknown-text = Please check that you opened the whole link from your message.
sp-expired-heading = This survey has closed
sp-expired-text = The time to answer this survey has ended. Thank you for your interest.
sp-unavailable-heading = This survey is not available
sp-unavailable-text = This survey cannot be answered at the moment. Thank you for your patience.
sp-completed-heading = You already answered, thank you
sp-completed-text = Your answers were received. There is nothing more to do.
sp-thanks-heading = Thank you
sp-thanks-text = Your answers were received. They help us improve the care we give.
sp-limited-heading = Too many attempts
sp-limited-text = Please wait a while and try again.
sp-bad-request-heading = We could not read your answers
sp-bad-request-text = Please open the survey link again and answer the questions shown.
sp-too-large-heading = Your answers are too long
sp-too-large-text = Please shorten your text answers and send them again.
sp-kiosk-unknown-heading = This code does not open a survey
sp-kiosk-unknown-text = Please ask a member of staff for help.
survey-error-required = This question needs an answer.
survey-error-out-of-range = Please choose one of the options shown.
survey-error-not-a-choice = That is not one of this question's options.
survey-error-one-choice = Please choose only one option.
survey-error-too-long = Please keep your answer under 2000 characters.
survey-error-hidden = This question does not apply to your earlier answers.
kiosk-title = Survey kiosks and QR codes
kiosk-intro = A kiosk's QR code opens an anonymous survey for patients without a journey. Print it and place it in the department.
kiosk-new = New kiosk
kiosk-name = Name
kiosk-template = Survey
kiosk-department = Department
kiosk-any-department = No department
kiosk-create = Create kiosk
kiosk-choose-hospital = Choose a hospital in the header to create a kiosk.
kiosk-empty = No kiosks yet.
kiosk-qr = QR code
kiosk-qr-alt = QR code of
kiosk-status = Status
kiosk-actions = Actions
kiosk-active = Active
kiosk-inactive = Inactive
kiosk-print = Print
kiosk-activate = Activate
kiosk-deactivate = Deactivate
kiosk-poster-heading = Tell us about your visit
kiosk-poster-text = Scan the code with your phone's camera. It takes one minute and you do not need to give your name.
kiosk-back = Back to kiosks
nav-survey-kiosks = Kiosk QR codes
