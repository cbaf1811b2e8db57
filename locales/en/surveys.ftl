# Surveys: staff pages (instances, detail, results, sending).
nav-surveys = Surveys
nav-survey-templates = Survey templates
