# PX360 — المستشفيات والمنظمات والموظفون والمرضى (العربية). يجب أن يطابق كل مفتاح هنا
# ../en/organizations.ftl. المفاتيح المشتركة (field-code و status-* و language-* …) في main.ftl.

field-organization_id = المنظمة
field-his_code = رمز نظام المعلومات الصحية
field-city = المدينة
field-address = العنوان
field-license_number = رقم الترخيص
field-default_language = اللغة الافتراضية
field-auto_create_action_on_complaint = إنشاء إجراء لتجربة المريض لكل شكوى جديدة

field-staff_type = نوع الموظف
field-employee_id = الرقم الوظيفي
field-first_name_en = الاسم الأول (بالإنجليزية)
field-last_name_en = اسم العائلة (بالإنجليزية)
field-first_name_ar = الاسم الأول (بالعربية)
field-last_name_ar = اسم العائلة (بالعربية)
field-job_title_en = المسمى الوظيفي (بالإنجليزية)
field-job_title_ar = المسمى الوظيفي (بالعربية)
field-specialization_en = التخصص (بالإنجليزية)
field-specialization_ar = التخصص (بالعربية)
field-user_id = حساب المستخدم

staff_type-physician = طبيب
staff_type-nurse = ممرض
staff_type-allied_health = مهن صحية مساندة
staff_type-admin = إداري
staff_type-support = خدمات مساندة
staff_type-other = أخرى

field-mrn = رقم الملف الطبي
field-national_id = رقم الهوية / الإقامة
field-gender = الجنس
field-date_of_birth = تاريخ الميلاد
field-nationality = الجنسية
field-preferred_language = اللغة المفضلة
field-preferred_channel = قناة التواصل المفضلة
field-is_deceased = متوفى

gender-male = ذكر
gender-female = أنثى

channel-sms = رسالة نصية
channel-whatsapp = واتساب
channel-email = البريد الإلكتروني
