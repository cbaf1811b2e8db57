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
