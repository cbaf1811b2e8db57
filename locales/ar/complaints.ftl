# الشكاوى ومركز إجراءات تجربة المريض: التنقل والكلمات الأساسية
nav-my-work = أعمالي
nav-complaints = الشكاوى
nav-actions = إجراءات تجربة المريض
nav-sla-settings = إعدادات مستوى الخدمة
explanation-title = طلب إفادة
explanation-thanks = شكراً لك. سُجّلت إفادتك، ولا يمكن استخدام هذا الرابط مرة أخرى.
explanation-complaint = الشكوى
explanation-request = المطلوب منك
explanation-due = يرجى الرد قبل
explanation-manager-intro = لم يرد الموظف في الوقت المحدد. بصفتك مديره، نرجو منك الرد.
explanation-your-answer = إفادتك
explanation-send = إرسال الإفادة
explanation-link-gone = هذا الرابط مستخدم أو منتهي الصلاحية أو غير موجود.
explanation-length = يرجى كتابة ما بين 10 و5000 حرف.
explanation-privacy = لا تُعرض الشكوى هنا؛ يمكن لمدير قسمك أو فريق علاقات المرضى اطلاعك عليها.
