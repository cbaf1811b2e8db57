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
integ-rate-limit = الطلبات في الدقيقة
integ-rate-limit-help = عدد الطلبات المسموح بها لهذا المفتاح كل دقيقة على واجهات الأحداث؛ 0 يعني بلا حد.
integ-unlimited = بلا حد

integ-his-logs = تغذية نظام المعلومات الصحية
integ-his-logs-help = كل طلب من تغذية بيانات المرضى من نظام المعلومات الصحية: عدد السجلات المقبولة أو المرفوضة وسبب الرفض. لا تُحفظ هنا الأسماء ولا أرقام الجوال ولا أرقام الهوية.
integ-his-all = كل الطلبات
integ-his-with-failures = طلبات بها سجلات مرفوضة
integ-his-no-logs = لا توجد طلبات من نظام المعلومات الصحية بعد.
integ-his-origin = المصدر
integ-his-origin-feed = تغذية النظام
integ-his-origin-simulator = المحاكي
integ-his-records = السجلات
integ-his-accepted = المقبولة
integ-his-failed = المرفوضة
integ-his-events = الأحداث الجديدة
integ-his-errors = المشكلات
integ-his-type-map = ربط أنواع السجلات
integ-his-type-map-help = كيف يتحول كل نوع من سجلات نظام المعلومات الصحية إلى نوع رحلة وأحداث. يُطبَّق OTHER على الأنواع غير المذكورة.
integ-his-type = النوع
integ-his-journey-type = نوع الرحلة
integ-his-discharge-code = الحدث عند الخروج
integ-his-map-custom = ربط خاص بهذا المستشفى
integ-his-map-default = الربط الافتراضي
integ-his-map-edit = تعديل الربط
integ-his-map-save = حفظ الربط
integ-his-map-saved = تم حفظ الربط.
