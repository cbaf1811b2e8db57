# PX360 — النصوص العربية للواجهة. كل مفتاح هنا يجب أن يوجد في ../en/main.ftl أيضاً.

nav-home = الرئيسية
nav-hospitals = المستشفيات
nav-departments = الأقسام
nav-staff = الموظفون
nav-patients = المرضى
nav-organizations = المجموعات
nav-users = المستخدمون
nav-audit = سجل التدقيق
nav-password = تغيير كلمة المرور
nav-logout = تسجيل الخروج
nav-menu = القائمة

language-other = English
language-ar = العربية
language-en = الإنجليزية

hospital-all = كل المستشفيات
hospital-switch = المستشفى الحالي

login-title = تسجيل الدخول
login-tagline = تجربة المريض، نقيسها ونحسّنها.
login-submit = دخول
login-failed = البريد الإلكتروني أو كلمة المرور غير صحيحة.
login-locked = محاولات فاشلة كثيرة. الحساب مقفل لبضع دقائق.

home-welcome = أهلاً
stat-physicians = الأطباء
chart-staff-by-type = الموظفون حسب الفئة

action-create = إضافة
action-edit = تعديل
action-delete = حذف
action-save = حفظ
action-cancel = إلغاء
action-search = بحث
action-view = فتح
confirm-delete = حذف هذا السجل؟ سيختفي من جميع القوائم.
filter-any = الكل
list-empty = لا توجد نتائج مطابقة بعد.
pagination = الصفحات
page-next = التالي
page-previous = السابق
yes = نعم
no = لا

password-changed = تم تغيير كلمة المرور، وتم تسجيل الخروج من الجلسات الأخرى.
password-mismatch = كلمتا المرور الجديدتان غير متطابقتين.

role-px_admin = مدير تجربة المريض
role-hospital_admin = مدير المستشفى
role-department_manager = مدير القسم
role-px_coordinator = منسق تجربة المريض
role-physician = طبيب
role-nurse = ممرض/ة
role-staff = موظف
role-viewer = مشاهد
role-source_user = مستخدم جهة

status-active = نشط
status-inactive = غير نشط

field-id = المعرّف
field-code = الرمز
field-name = الاسم
field-name_en = الاسم (بالإنجليزية)
field-name_ar = الاسم (بالعربية)
field-status = الحالة
field-email = البريد الإلكتروني
field-phone = الهاتف
field-password = كلمة المرور
field-old_password = كلمة المرور الحالية
field-new_password = كلمة المرور الجديدة
field-new_password2 = تأكيد كلمة المرور الجديدة
field-hospital_id = المستشفى
field-department_id = القسم
field-parent_id = القسم الرئيسي
field-manager_id = المدير
field-location = الموقع
field-first_name = الاسم الأول
field-last_name = اسم العائلة
field-role = الدور
field-language = اللغة
field-is_active = نشط
field-last_login_at = آخر دخول
field-created_at = تاريخ الإنشاء
field-updated_at = تاريخ التحديث
field-action = الإجراء
field-actor = المستخدم
field-resource_type = نوع السجل
field-ip = عنوان IP
field-date_from = من
field-date_to = إلى

patients-count = { $count ->
    [zero] لا يوجد مرضى
    [one] مريض واحد
    [two] مريضان
    [few] { $count } مرضى
    [many] { $count } مريضاً
   *[other] { $count } مريض
}

nav-jobs = المهام
jobs-depth = الطوابير
jobs-idle = لا توجد مهام في الانتظار.
jobs-schedules = الجداول الزمنية
jobs-last-run = آخر تشغيل
jobs-next-run = التشغيل التالي
jobs-list = المهام
jobs-retry = إعادة التشغيل
field-queue = الطابور
field-kind = النوع
field-attempts = المحاولات
field-error = الخطأ
