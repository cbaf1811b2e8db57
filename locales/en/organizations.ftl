# PX360 — hospitals, organizations, staff and patients (English). Every key here must exist in
# ../ar/organizations.ftl too. Shared keys (field-code, status-*, language-*, …) are in main.ftl.

field-organization_id = Organization
field-his_code = HIS code
field-city = City
field-address = Address
field-license_number = License number
field-default_language = Default language
field-auto_create_action_on_complaint = Open a PX action for each new complaint

field-staff_type = Staff type
field-employee_id = Employee ID
field-first_name_en = First name (English)
field-last_name_en = Last name (English)
field-first_name_ar = First name (Arabic)
field-last_name_ar = Last name (Arabic)
field-job_title_en = Job title (English)
field-job_title_ar = Job title (Arabic)
field-specialization_en = Specialization (English)
field-specialization_ar = Specialization (Arabic)
field-user_id = User account

staff_type-physician = Physician
staff_type-nurse = Nurse
staff_type-allied_health = Allied health
staff_type-admin = Administration
staff_type-support = Support
staff_type-other = Other

field-mrn = MRN
field-national_id = National ID / Iqama
field-gender = Gender
field-date_of_birth = Date of birth
field-nationality = Nationality
field-preferred_language = Preferred language
field-preferred_channel = Preferred channel
field-is_deceased = Deceased

gender-male = Male
gender-female = Female

channel-sms = SMS
channel-whatsapp = WhatsApp
channel-email = Email
