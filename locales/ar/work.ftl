# صفحات العمل على الشكاوى وإجراءات تجربة المريض: القوائم، عملي، النماذج، صفحات التفاصيل، التغيير الجماعي، التصدير

work-new = شكوى جديدة
work-new-title = شكوى جديدة
work-detail-title = شكوى
work-action-new = إجراء تحسين جديد
work-action-new-title = إجراء تحسين جديد
work-action-detail-title = إجراء تحسين
work-action-create = إنشاء الإجراء
work-bulk-title = تغيير جماعي
work-filters = عوامل التصفية
work-apply = تطبيق
work-clear = مسح
work-counts = الأعداد حسب الحالة
work-search-hint = الرقم المرجعي، العنوان، مقدم الشكوى، المرجع الخارجي
work-received-from = تاريخ الاستلام من
work-received-to = تاريخ الاستلام إلى
work-overdue-only = المتأخرة فقط
work-on-track-only = غير المتأخرة
work-assigned-me = المسندة إليّ
work-assigned-none = غير مسندة
work-unassigned = غير مسندة
work-export-csv = CSV
work-export-xlsx = إكسل
work-export-truncated = صُدّر أول 50,000 صف فقط. ضيّق عوامل التصفية لتصدير الباقي.
work-dismiss = إغلاق
work-system = النظام
work-back-to-list = العودة إلى القائمة

work-saved-filters = عوامل التصفية المحفوظة
work-saved-none = لا توجد لديك عوامل تصفية محفوظة لهذه القائمة بعد.
work-saved-name = اسم لعوامل التصفية الحالية
work-saved-save = حفظ عامل التصفية هذا
work-saved-delete = حذف عامل التصفية المحفوظ
work-saved-delete-confirm = حذف عامل التصفية المحفوظ هذا؟

work-bulk-select = تحديد
work-bulk-select-all = تحديد الكل في هذه الصفحة
work-bulk-assign-to = إسناد إلى…
work-bulk-assign = إسناد المحدد
work-bulk-close = إغلاق المحدد
work-bulk-help = تُغيَّر كل شكوى محددة وحدها وبالقواعد نفسها كما لو غُيّرت منفردة، وتُعرض المرفوضة مع السبب.
work-bulk-none = حدد شكوى واحدة على الأقل.
work-bulk-too-many = حدد 200 شكوى على الأكثر في كل مرة.
work-bulk-no-op = اختر ما تريد فعله بالشكاوى المحددة.
work-bulk-no-user = اختر من تُسند إليه الشكاوى.
work-bulk-is = رُفضت: حالتها
work-bulk-closed-one = أُغلقت
work-bulk-assigned-one = أُسندت
work-bulk-closed = { $count ->
    [zero] لم تُغلق أي شكوى
    [one] أُغلقت شكوى واحدة
    [two] أُغلقت شكويان
    [few] أُغلقت { $count } شكاوى
    [many] أُغلقت { $count } شكوى
   *[other] أُغلقت { $count } شكوى
}
work-bulk-assigned = { $count ->
    [zero] لم تُسند أي شكوى
    [one] أُسندت شكوى واحدة
    [two] أُسندت شكويان
    [few] أُسندت { $count } شكاوى
    [many] أُسندت { $count } شكوى
   *[other] أُسندت { $count } شكوى
}
work-bulk-refused = { $count ->
    [zero] لم تُرفض أي شكوى
    [one] رُفضت شكوى واحدة
    [two] رُفضت شكويان
    [few] رُفضت { $count } شكاوى
    [many] رُفضت { $count } شكوى
   *[other] رُفضت { $count } شكوى
}

work-mine = المسندة إليّ
work-mine-empty = لا يوجد عمل مفتوح مسند إليك.
work-unassigned-scope = غير المسندة في نطاقي
work-unassigned-empty = لا يوجد ما ينتظر من يتولاه.
work-take = تولَّ الأمر
work-kind-complaint = شكوى
work-kind-action = إجراء تحسين
work-kind-complaints = شكاواي
work-kind-actions = إجراءاتي
work-due = الاستحقاق
work-due-overdue = متأخرة
work-due-soon = تستحق خلال 24 ساعة
work-due-later = في الموعد
work-due-none = بلا موعد

work-complainant = مقدم الشكوى
work-the-complaint = الشكوى
work-riyadh-time = بتوقيت الرياض. يجوز أن يكون في الماضي، لا في المستقبل.
work-submit-complaint = تسجيل الشكوى
work-form-fix = يرجى تصحيح الحقول المشار إليها أدناه.

work-details = التفاصيل
work-timeline = السجل الزمني
work-visible-to-patient = ظاهرة للمريض
work-note = ملاحظة
work-note-public = ظاهرة للمريض في صفحة المتابعة
work-note-add = إضافة ملاحظة
work-actions-none = لا يوجد إجراء تحسين ناتج عن هذه الشكوى بعد.
work-action-from-complaint = إنشاء إجراء تحسين من هذه الشكوى
work-explanations = الإفادات
work-explanations-none = لم تُطلب أي إفادة بعد.
work-explanation-message = ما الذي يجب توضيحه؟
work-explanation-request = طلب إفادة
work-assign = الإسناد
work-assign-note = ملاحظة داخلية (اختيارية)
work-assign-submit = إسناد
work-change-status = تغيير الحالة
work-move-in_progress = بدء العمل
work-move-resolved = حل الشكوى
work-move-closed = إغلاق
work-move-cancelled = إلغاء الشكوى
work-move-reopen = إعادة الفتح
work-resolve-category = التصنيف الفرعي (المستوى 3 أو 4)
work-public-message = رسالة للمريض (اختيارية)
work-close-keeps = اتركه فارغًا للإبقاء على الحل المسجل عند حل الشكوى.
work-edit = التصنيف
work-edit-sla = تغيير الخطورة أو الأولوية يعيد حساب موعد الاستحقاق ما دامت الشكوى مفتوحة.
work-reminders-sent = التذكيرات المرسلة
work-auto-created = أُنشئ تلقائيًا
work-open-source = فتح المصدر
work-submitted-at = أُرسل للاعتماد
work-submit-needs-evidence = يتطلب الإرسال ملاحظات الحل وملف إثبات واحدًا على الأقل.
work-amove-start = بدء العمل
work-amove-submit = إرسال للاعتماد
work-amove-approve = اعتماد
work-amove-reject = رفض (العودة إلى قيد التنفيذ)
work-amove-close = إغلاق
work-amove-cancel = إلغاء الإجراء

work-flash-created = تم الحفظ.
work-flash-updated = حُفظت التغييرات.
work-flash-unchanged = لم يتغيّر شيء: القيم كما كانت.
work-flash-assigned = تم الإسناد.
work-flash-taken = أصبحت مسندة إليك.
work-flash-status_changed = تغيّرت الحالة.
work-flash-note_added = أُضيفت الملاحظة.
work-flash-action_created = أُنشئ إجراء التحسين.
work-flash-filter_saved = حُفظ عامل التصفية.
work-flash-filter_deleted = حُذف عامل التصفية المحفوظ.
work-flash-filter_duplicate = لديك عامل تصفية محفوظ بهذا الاسم.
work-flash-filter_invalid = تعذّر حفظ عامل التصفية: أعطه اسمًا لا يتجاوز 100 حرف.
work-flash-explanation_sent = أُرسل طلب الإفادة.
work-flash-explanation_error = تعذّر إرسال طلب الإفادة.

work-err-required = هذا الحقل مطلوب.
work-err-unknown = هذا الاختيار غير موجود.
work-err-choice = هذه القيمة ليست من الخيارات المتاحة.
work-err-not-found = غير موجودة
work-err-resolution = الحل مطلوب.
work-err-resolution-category = فئة الحل مطلوبة.
work-err-category-level = اختر تصنيفًا فرعيًا (المستوى 3 أو 4) أولًا.
work-err-reason = السبب مطلوب.
work-err-resolution-notes = ملاحظات الحل مطلوبة.
work-err-evidence = أرفق ملف إثبات واحدًا على الأقل أولًا.
work-err-filter-duplicate = لديك عامل تصفية محفوظ بهذا الاسم.
work-err-assignee = اختر مستخدمًا نشطًا من هذا المستشفى يتولى الشكاوى.

work-field-reference = الرقم المرجعي
work-field-type = النوع
work-field-complaint_type = النوع
work-field-status = الحالة
work-field-severity = الخطورة
work-field-priority = الأولوية
work-field-source = المصدر
work-field-source_type = المصدر
work-field-hospital = المستشفى
work-field-hospital_id = المستشفى
work-field-department = القسم
work-field-department_id = القسم
work-field-category = التصنيف
work-field-category_id = التصنيف
work-field-staff = الموظف
work-field-staff_id = الموظف المعني
work-field-title = العنوان
work-field-description = الوصف
work-field-complainant_name = اسم مقدم الشكوى
work-field-complainant_phone = جوال مقدم الشكوى
work-field-complainant_email = بريد مقدم الشكوى
work-field-complainant_relation = صلته بالمريض
work-field-external_reference = المرجع الخارجي
work-field-assignee = مسندة إلى
work-field-assigned_to = مسندة إلى
work-field-user_id = مسندة إلى
work-field-received_at = تاريخ الاستلام
work-field-due_at = موعد الاستحقاق
work-field-overdue = متأخرة
work-field-escalation_level = مستوى التصعيد
work-field-resolution_category = فئة الحل
work-field-resolution = الحل
work-field-resolved_at = تاريخ الحل
work-field-closed_at = تاريخ الإغلاق
work-field-created_at = تاريخ الإنشاء
work-field-resolution_notes = ملاحظات الحل
work-field-approved_at = تاريخ الاعتماد
work-field-action_category = التصنيف (نص حر)
work-field-requires_approval = يتطلب الاعتماد قبل الإغلاق
work-field-reason = السبب
work-field-patient = المريض
work-field-public_message = رسالة للمريض
work-field-message = الرسالة
work-field-note = الملاحظة
work-field-name = الاسم
work-field-query = عوامل التصفية
work-field-evidence = الإثبات

work-status-open = مفتوحة
work-status-in_progress = قيد المعالجة
work-status-resolved = محلولة
work-status-closed = مغلقة
work-status-cancelled = ملغاة
work-astatus-open = مفتوح
work-astatus-in_progress = قيد التنفيذ
work-astatus-pending_approval = بانتظار الاعتماد
work-astatus-approved = معتمد
work-astatus-closed = مغلق
work-astatus-cancelled = ملغى
work-severity-low = منخفضة
work-severity-medium = متوسطة
work-severity-high = عالية
work-severity-critical = حرجة
work-priority-low = منخفضة
work-priority-medium = متوسطة
work-priority-high = عالية
work-source-patient = المريض
work-source-family = الأسرة
work-source-staff = الموظفون
work-source-survey = استبيان
work-source-social_media = وسائل التواصل الاجتماعي
work-source-call_center = مركز الاتصال
work-source-moh = وزارة الصحة
work-source-chi = مجلس الضمان الصحي
work-source-insurer = شركة التأمين
work-source-other = أخرى
work-type-complaint = شكوى
work-type-appreciation = شكر وتقدير
work-type-inquiry = استفسار
work-asource-survey = استبيان
work-asource-complaint = شكوى
work-asource-complaint_resolution = حل شكوى
work-asource-social_media = وسائل التواصل الاجتماعي
work-asource-call_center = مركز الاتصال
work-asource-kpi = مؤشر أداء
work-asource-observation = ملاحظة ميدانية
work-asource-manual = يدوي
work-resolution-full_action_taken = اتُّخذ الإجراء كاملًا
work-resolution-partial_action_taken = اتُّخذ إجراء جزئي
work-resolution-no_action_needed = لا يلزم إجراء
work-resolution-cannot_resolve = تعذّر الحل
work-resolution-patient_withdrawn = سحب المريض الشكوى
work-relation-self = المريض نفسه
work-relation-parent = أحد الوالدين
work-relation-child = ابن أو ابنة
work-relation-spouse = الزوج أو الزوجة
work-relation-sibling = أخ أو أخت
work-relation-relative = قريب آخر
work-relation-other = أخرى
work-update-created = التسجيل
work-update-status = الحالة
work-update-note = ملاحظة
work-update-assignment = الإسناد
work-update-edited = تعديل
work-update-sla_recalculated = أُعيد حساب موعد الاستحقاق
work-update-staff_assigned = تحديد الموظف
work-update-action_created = إنشاء إجراء تحسين
work-update-reminder = إرسال تذكير
work-update-overdue = تأخر
work-update-escalation = تصعيد
work-update-attachment = إرفاق ملف
work-update-explanation_requested = طلب إفادة
work-update-explanation_escalated = تصعيد الإفادة
work-update-explanation_closed = إغلاق الإفادة
work-log-created = الإنشاء
work-log-status = الحالة
work-log-approval = الاعتماد
work-log-rejection = الرفض
work-log-assignment = الإسناد
work-log-note = ملاحظة
work-log-escalation = تصعيد
work-log-reminder = إرسال تذكير
work-log-evidence = إرفاق إثبات
work-log-overdue = تأخر
work-explanation-pending = بانتظار الرد
work-explanation-submitted = تم الرد
work-explanation-escalated = صُعّدت إلى المدير
work-explanation-manager_responded = ردّ المدير
work-explanation-closed = مغلقة
work-action-edit = تعديل هذا الإجراء
work-save = حفظ التغييرات
work-bulk-close-confirm = إغلاق الشكاوى المختارة؟ لا تُغلق إلا الشكاوى المحلولة، وتبقى الأخرى كما هي.
work-err-unknown-filter = عامل التصفية هذا غير موجود.
work-err-date = أدخل التاريخ بالصيغة YYYY-MM-DD.
work-err-date-years = اختر تاريخًا بين عامي 2000 و2100.
work-err-date-order = يجب أن يكون تاريخ النهاية في تاريخ البداية أو بعده.
work-err-date-span = لا يمكن أن تتجاوز الفترة ثلاث سنوات.
work-err-date-from = اختر تاريخ البداية للفترة المخصصة.
work-err-date-to = اختر تاريخ النهاية للفترة المخصصة.
work-err-number-range = يجب أن تكون القيمة رقمًا من { $low } إلى { $high }.
work-field-from = من
work-field-to = إلى
work-field-period = الفترة
work-field-journey_type = نوع الرحلة
work-field-target = المستهدف
work-field-warning_threshold = حد التنبيه
work-field-critical_threshold = الحد الحرج
work-err-department-hospital = اختر قسمًا من المستشفى المختار.
