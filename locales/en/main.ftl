# PX360 — English UI strings. Every key here must exist in ../ar/main.ftl too.

nav-home = Home
nav-hospitals = Hospitals
nav-departments = Departments
nav-staff = Staff
nav-patients = Patients
nav-organizations = Organizations
nav-users = Users
nav-audit = Audit log
nav-password = Change password
nav-logout = Log out
nav-menu = Menu

language-other = العربية
language-ar = Arabic
language-en = English

hospital-all = All hospitals
hospital-switch = Working hospital

login-title = Sign in
login-tagline = Patient experience, measured and improved.
login-submit = Sign in
login-failed = The email or password is not correct.
login-locked = Too many failed attempts. The account is locked for a few minutes.

home-welcome = Welcome
stat-physicians = Physicians
chart-staff-by-type = Staff by type

action-create = Add new
action-edit = Edit
action-delete = Delete
action-save = Save
action-cancel = Cancel
action-search = Search
action-view = Open
confirm-delete = Delete this record? It will disappear from every list.
filter-any = any
list-empty = Nothing matches these filters yet.
pagination = Pages
page-next = Next
page-previous = Previous
yes = Yes
no = No

password-changed = Your password was changed. Other sessions were signed out.
password-mismatch = The two new passwords do not match.

role-px_admin = PX administrator
role-hospital_admin = Hospital administrator
role-department_manager = Department manager
role-px_coordinator = PX coordinator
role-physician = Physician
role-nurse = Nurse
role-staff = Staff
role-viewer = Viewer
role-source_user = Source user

status-active = Active
status-inactive = Inactive

field-id = ID
field-code = Code
field-name = Name
field-name_en = Name (English)
field-name_ar = Name (Arabic)
field-status = Status
field-email = Email
field-phone = Phone
field-password = Password
field-old_password = Current password
field-new_password = New password
field-new_password2 = New password again
field-hospital_id = Hospital
field-department_id = Department
field-parent_id = Parent department
field-manager_id = Manager
field-location = Location
field-first_name = First name
field-last_name = Last name
field-role = Role
field-language = Language
field-is_active = Active
field-last_login_at = Last login
field-created_at = Created
field-updated_at = Updated
field-action = Action
field-actor = Who
field-resource_type = Record type
field-ip = IP address
field-date_from = From
field-date_to = To

patients-count = { $count ->
    [one] { $count } patient
   *[other] { $count } patients
}

nav-jobs = Jobs
jobs-depth = Queues
jobs-idle = No job is waiting.
jobs-schedules = Schedules
jobs-last-run = Last run
jobs-next-run = Next run
jobs-list = Jobs
jobs-retry = Run again
field-queue = Queue
field-kind = Kind
field-attempts = Attempts
field-error = Error
