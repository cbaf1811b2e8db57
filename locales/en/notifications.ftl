# PX360 — notifications: the outbox, templates and a patient's messages (English). Every key here
# must exist in ../ar/notifications.ftl too. Shared keys (channel-*, language-*, field-status, …)
# are in main.ftl and organizations.ftl.

nav-outbox = Outbox
nav-notification-templates = Message templates

notif-patient-messages = Messages

notif-status-queued = Queued
notif-status-held = Held (quiet hours)
notif-status-sending = Sending
notif-status-sent = Sent
notif-status-delivered = Delivered
notif-status-failed = Failed
notif-status-suppressed = Not sent

notif-category-general = General
notif-category-survey = Survey
notif-category-survey_exempt = Survey (reminder or outside the cap)

notif-col-channel = Channel
notif-col-recipient = Recipient
notif-col-template = Template
notif-col-reason = Reason
notif-col-subject = Subject
notif-col-body = Text
notif-col-provider = Provider
notif-col-provider-id = Provider reference
notif-col-category = Category
notif-col-scheduled = Due
notif-col-sent-at = Sent at
notif-col-delivered-at = Delivered at

notif-outbox-hint = Every message is listed here with its status. With the outbox provider nothing leaves the server.
notif-outbox-empty = No messages yet.
notif-times-note = Times are Riyadh time.
notif-detail-title = Message

notif-templates-empty = No templates yet.
notif-template-new = New template
notif-template-edit = Edit template
notif-template-help = Write a placeholder where a value goes, for example:
notif-subject-help = Email only.
notif-sample-vars = Sample values (one name=value per line)
notif-action-preview = Preview
notif-preview = Preview
notif-preview-hint = Press Preview to see the message with the sample values.
notif-preview-length = { $count ->
    [one] { $count } character
   *[other] { $count } characters
}
notif-preview-segments = { $count ->
    [one] { $count } SMS part
   *[other] { $count } SMS parts
}

notif-send-title = Send a test message
notif-send-submit = Send
notif-language-default = The patient's language
notif-vars-optional = Extra values (optional, one name=value per line)
notif-sent-result = The message was recorded:
notif-patient-empty = No messages to this patient yet.

field-quiet_hours_start = Quiet hours start (hour 0–23, Riyadh)
field-quiet_hours_end = Quiet hours end (hour 0–23, Riyadh)
field-survey_throttle_days = Days between surveys to one patient (0: no limit)
