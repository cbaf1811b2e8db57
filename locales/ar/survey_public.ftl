# The patient survey page and kiosks.
sp-title = استبيان
sp-hello = مرحباً
sp-expires = يعمل هذا الرابط حتى
sp-progress = التقدم
sp-progress-of = من
sp-required-note = الأسئلة المعلَّمة بنجمة تحتاج إلى إجابة.
sp-required = مطلوب
sp-new = سؤال جديد
sp-save = احفظ وأكمل لاحقاً
sp-submit = إرسال
sp-stars = { $count ->
    [zero] لا نجوم من 5
    [one] نجمة واحدة من 5
    [two] نجمتان من 5
    [few] { $count } نجوم من 5
    [many] { $count } نجمة من 5
   *[other] { $count } نجمة من 5
}
sp-likert-1 = لا أوافق بشدة
sp-likert-2 = لا أوافق
sp-likert-3 = محايد
sp-likert-4 = أوافق
sp-likert-5 = أوافق بشدة
sp-yes = نعم
sp-no = لا
sp-nps-low = 0 = غير محتمل إطلاقاً
sp-nps-high = 10 = محتمل جداً
sp-rating-low = 1 = سيئ جداً
sp-rating-high = 5 = ممتاز
sp-alert-errors = بعض الإجابات تحتاج إلى انتباهك. يرجى مراجعة الأسئلة المعلَّمة باللون الأحمر.
sp-alert-revealed = فتحت إجاباتك أسئلة إضافية في الأسفل. يرجى الإجابة عنها ثم الضغط على إرسال.
sp-alert-saved = تم حفظ إجاباتك. يمكنك العودة بالرابط نفسه لإكمال الاستبيان.
sp-unknown-heading = رابط الاستبيان هذا لا يعمل
sp-unknown-text = يرجى التأكد من فتح الرابط كاملاً من رسالتك.
sp-expired-heading = انتهت مدة هذا الاستبيان
sp-expired-text = انتهى وقت الإجابة عن هذا الاستبيان. شكراً لاهتمامك.
sp-unavailable-heading = هذا الاستبيان غير متاح
sp-unavailable-text = لا يمكن الإجابة عن هذا الاستبيان حالياً. شكراً لصبرك.
sp-completed-heading = لقد أجبت من قبل، شكراً لك
sp-completed-text = وصلتنا إجاباتك. لا يلزمك فعل أي شيء آخر.
sp-thanks-heading = شكراً لك
sp-thanks-text = وصلتنا إجاباتك، وهي تساعدنا على تحسين الرعاية التي نقدمها.
sp-limited-heading = محاولات كثيرة جداً
sp-limited-text = يرجى الانتظار قليلاً ثم المحاولة مرة أخرى.
sp-bad-request-heading = لم نتمكن من قراءة إجاباتك
sp-bad-request-text = يرجى فتح رابط الاستبيان مرة أخرى والإجابة عن الأسئلة المعروضة.
sp-too-large-heading = إجاباتك طويلة جداً
sp-too-large-text = يرجى اختصار إجاباتك النصية وإرسالها مرة أخرى.
sp-kiosk-unknown-heading = هذا الرمز لا يفتح استبياناً
sp-kiosk-unknown-text = يرجى طلب المساعدة من أحد الموظفين.
survey-error-required = هذا السؤال يحتاج إلى إجابة.
survey-error-out-of-range = يرجى اختيار أحد الخيارات المعروضة.
survey-error-not-a-choice = هذا ليس من خيارات هذا السؤال.
survey-error-one-choice = يرجى اختيار خيار واحد فقط.
survey-error-too-long = يرجى ألا تتجاوز إجابتك 2000 حرف.
survey-error-hidden = هذا السؤال لا ينطبق على إجاباتك السابقة.
kiosk-title = أكشاك الاستبيان ورموز QR
kiosk-intro = يفتح رمز QR الخاص بالكشك استبياناً مجهول الهوية للمرضى الذين ليست لهم رحلة علاجية. اطبعه وضعه في القسم.
kiosk-new = كشك جديد
kiosk-name = الاسم
kiosk-template = الاستبيان
kiosk-department = القسم
kiosk-any-department = بدون قسم
kiosk-create = إنشاء الكشك
kiosk-choose-hospital = اختر مستشفى من أعلى الصفحة لإنشاء كشك.
kiosk-empty = لا توجد أكشاك بعد.
kiosk-qr = رمز QR
kiosk-qr-alt = رمز QR الخاص بـ
kiosk-status = الحالة
kiosk-actions = الإجراءات
kiosk-active = نشط
kiosk-inactive = غير نشط
kiosk-print = طباعة
kiosk-activate = تفعيل
kiosk-deactivate = إيقاف
kiosk-poster-heading = أخبرنا عن زيارتك
kiosk-poster-text = امسح الرمز بكاميرا هاتفك. يستغرق الأمر دقيقة واحدة ولا تحتاج إلى ذكر اسمك.
kiosk-back = العودة إلى الأكشاك
nav-survey-kiosks = رموز QR للأكشاك
