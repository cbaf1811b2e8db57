# PX360 — integrations: inbound events and API keys (English). Every key here must exist in
# ../ar/integrations.ftl too.

nav-integrations = Integrations

integ-event = Event
integ-api-keys = API keys
integ-any = any
integ-filter = Filter
integ-no-events = No events match these filters.
integ-received = Received
integ-processed = Processed at
integ-source = Source system
integ-sources = Source systems
integ-event-code = Event code
integ-event-id = Event id
integ-encounter = Encounter
integ-patient = Patient identifier
integ-from = From
integ-to = To
integ-reason = Reason
integ-attempts = Attempts
integ-payload = Payload
integ-journey = Journey
integ-open-journey = Open the patient's journey
integ-process-again = Process again

integ-status-pending = Pending
integ-status-processing = Processing
integ-status-processed = Processed
integ-status-ignored = Ignored
integ-status-failed = Failed

integ-hospital = Hospital
integ-prefix = Key prefix
integ-last-used = Last used
integ-active = Active
integ-revoked = Revoked
integ-revoke = Revoke
integ-new-key = New API key
integ-create-key = Create key
integ-key-created = The API key was created. This is the only time it is shown:
integ-key-copy-hint = Copy it now and store it safely; PX360 keeps only its hash. Send it as the header "Authorization: Api-Key …".
integ-rate-limit = Requests a minute
integ-rate-limit-help = Requests this key may make each minute to the event endpoints; 0 means unlimited.
integ-unlimited = Unlimited

integ-his-logs = HIS feed
integ-his-logs-help = Every request of the HIS patient-data feed: how many records were accepted or failed, and why. Names, phone numbers and national IDs are never kept here.
integ-his-all = All requests
integ-his-with-failures = With failed records
integ-his-no-logs = No HIS requests yet.
integ-his-origin = Origin
integ-his-origin-feed = HIS feed
integ-his-origin-simulator = Simulator
integ-his-records = Records
integ-his-accepted = Accepted
integ-his-failed = Failed
integ-his-events = New events
integ-his-errors = Problems
integ-his-type-map = HIS Type map
integ-his-type-map-help = How each HIS record Type becomes a journey type and events. OTHER applies to Types not listed.
integ-his-type = Type
integ-his-journey-type = Journey type
integ-his-discharge-code = Event once discharged
integ-his-map-custom = This hospital's own map
integ-his-map-default = Default map
integ-his-map-edit = Edit the map
integ-his-map-save = Save the map
integ-his-map-saved = The map was saved.
