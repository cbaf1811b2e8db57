# Surveys: staff pages (instances, detail, results, sending).
nav-surveys = الاستبيانات
nav-survey-templates = نماذج الاستبيانات
