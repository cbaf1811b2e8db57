# PX360 — التكاملات: الأحداث الواردة ومفاتيح الواجهة البرمجية (العربية). يجب أن يكون كل مفتاح هنا
# موجودًا في ../en/integrations.ftl أيضًا.

nav-integrations = التكاملات

integ-event = حدث
integ-api-keys = مفاتيح الواجهة البرمجية
integ-any = الكل
integ-filter = تصفية
integ-no-events = لا توجد أحداث تطابق عوامل التصفية هذه.
integ-received = وقت الاستلام
integ-processed = وقت المعالجة
integ-source = النظام المصدر
integ-sources = الأنظمة المصدر
integ-event-code = رمز الحدث
integ-event-id = معرّف الحدث
integ-encounter = الزيارة
integ-patient = معرّف المريض
integ-from = من
integ-to = إلى
integ-reason = السبب
integ-attempts = المحاولات
integ-payload = البيانات المرسلة
integ-journey = الرحلة
integ-open-journey = فتح رحلة المريض
integ-process-again = إعادة المعالجة

integ-status-pending = قيد الانتظار
integ-status-processing = قيد المعالجة
integ-status-processed = تمت المعالجة
integ-status-ignored = تم التجاهل
integ-status-failed = فشل

integ-hospital = المستشفى
integ-prefix = بادئة المفتاح
integ-last-used = آخر استخدام
integ-active = نشط
integ-revoked = ملغى
integ-revoke = إلغاء
integ-new-key = مفتاح جديد
integ-create-key = إنشاء المفتاح
integ-key-created = تم إنشاء المفتاح. هذه هي المرة الوحيدة التي يُعرض فيها:
integ-key-copy-hint = انسخه الآن واحفظه في مكان آمن؛ لا يحتفظ PX360 إلا ببصمته. أرسله في الترويسة "Authorization: Api-Key …".
