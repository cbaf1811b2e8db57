# PX360 — الإشعارات: صندوق الرسائل الصادرة والقوالب ورسائل المريض (العربية). يجب أن يوجد كل مفتاح
# هنا في ../en/notifications.ftl أيضًا.

nav-outbox = الرسائل الصادرة
nav-notification-templates = قوالب الرسائل

notif-patient-messages = الرسائل

notif-status-queued = في الانتظار
notif-status-held = مؤجلة (ساعات الهدوء)
notif-status-sending = قيد الإرسال
notif-status-sent = أُرسلت
notif-status-delivered = وصلت
notif-status-failed = فشلت
notif-status-suppressed = لم تُرسل

notif-category-general = عامة
notif-category-survey = استبيان
notif-category-survey_exempt = استبيان (تذكير أو خارج الحد)

notif-col-channel = القناة
notif-col-recipient = المستلم
notif-col-template = القالب
notif-col-reason = السبب
notif-col-subject = الموضوع
notif-col-body = النص
notif-col-provider = مزوّد الخدمة
notif-col-provider-id = مرجع المزوّد
notif-col-category = الفئة
notif-col-scheduled = موعد الإرسال
notif-col-sent-at = وقت الإرسال
notif-col-delivered-at = وقت الوصول

notif-outbox-hint = تظهر هنا كل رسالة مع حالتها. مع مزوّد صندوق الصادر لا تغادر أي رسالة الخادم.
notif-outbox-empty = لا توجد رسائل بعد.
notif-times-note = الأوقات بتوقيت الرياض.
notif-detail-title = رسالة

notif-templates-empty = لا توجد قوالب بعد.
notif-template-new = قالب جديد
notif-template-edit = تعديل القالب
notif-template-help = اكتب متغيرًا في موضع القيمة، مثل:
notif-subject-help = للبريد الإلكتروني فقط.
notif-sample-vars = قيم تجريبية (سطر لكل اسم=قيمة)
notif-action-preview = معاينة
notif-preview = المعاينة
notif-preview-hint = اضغط «معاينة» لرؤية الرسالة بالقيم التجريبية.
notif-preview-length = { $count ->
    [zero] لا أحرف
    [one] حرف واحد
    [two] حرفان
    [few] { $count } أحرف
   *[other] { $count } حرفًا
}
notif-preview-segments = { $count ->
    [zero] لا أجزاء
    [one] جزء رسالة نصية واحد
    [two] جزءا رسالة نصية
    [few] { $count } أجزاء رسالة نصية
   *[other] { $count } جزءًا من رسالة نصية
}

notif-send-title = إرسال رسالة تجريبية
notif-send-submit = إرسال
notif-language-default = لغة المريض
notif-vars-optional = قيم إضافية (اختيارية، سطر لكل اسم=قيمة)
notif-sent-result = سُجّلت الرسالة:
notif-patient-empty = لا توجد رسائل لهذا المريض بعد.

field-quiet_hours_start = بداية ساعات الهدوء (الساعة 0–23، بتوقيت الرياض)
field-quiet_hours_end = نهاية ساعات الهدوء (الساعة 0–23، بتوقيت الرياض)
field-survey_throttle_days = عدد الأيام بين استبيانين للمريض نفسه (0: بلا حد)
