//! The survey builder pages: templates list, new template, the one-screen builder (settings,
//! questions with up/down, edit and delete, add, publish, versions) and the bilingual preview.
//! Every action is a plain form post, so the builder works without JavaScript.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use uuid::Uuid;

use super::model::survey_template;
use super::rules::{self, Definition, Question};
use super::templates::{
    self, ChoiceInput, QuestionInput, QuestionView, ShowIfInput, TemplateInput, TemplatePatch, VersionView,
};
use super::versions;
use crate::app::AppState;
use crate::auth::{CsrfForm, PageActor, Permission};
use crate::crud::ListQuery;
use crate::error::{AppError, FieldErrors};
use crate::http::parse_id;
use crate::i18n::{Lang, riyadh_time};
use crate::web::public::PublicChrome;
use crate::web::{Chrome, PageResult, render};

const LIST_PATH: &str = "/surveys/templates/";

pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route(LIST_PATH, get(list_page))
        .route("/surveys/templates/new/", get(new_page).post(new_submit))
        .route("/surveys/templates/{id}/", get(builder_page).post(settings_submit))
        .route("/surveys/templates/{id}/delete/", post(delete_submit))
        .route("/surveys/templates/{id}/publish/", post(publish_submit))
        .route("/surveys/templates/{id}/preview/", get(preview_page))
        .route("/surveys/templates/{id}/questions/", post(question_add_submit))
        .route("/surveys/templates/{id}/questions/{qid}/", post(question_edit_submit))
        .route("/surveys/templates/{id}/questions/{qid}/delete/", post(question_delete_submit))
        .route("/surveys/templates/{id}/questions/{qid}/move/", post(question_move_submit))
}

// ---------------------------------------------------------------------------------------------
// Labels and errors in the reader's language
// ---------------------------------------------------------------------------------------------

fn type_label(lang: Lang, t: &str) -> String {
    lang.t(&format!("sb-type-{t}"))
}
fn qtype_label(lang: Lang, t: &str) -> String {
    lang.t(&format!("sb-qtype-{}", t.replace('_', "-")))
}
fn method_label(lang: Lang, m: &str) -> String {
    lang.t(&format!("sb-method-{m}"))
}
fn op_label(lang: Lang, op: &str) -> String {
    lang.t(&format!("sb-op-{op}"))
}

/// English service messages → locale keys (exact messages).
const MESSAGES: &[(&str, &str)] = &[
    ("This field is required.", "sb-err-required"),
    ("This field may not be blank.", "sb-err-required"),
    ("Use 1–50 lowercase letters, digits or _, starting with a letter.", "sb-err-question-code"),
    ("Use 1–50 letters, digits, _ or -, starting with a letter or digit.", "sb-err-template-code"),
    (templates::DUPLICATE_TEMPLATE, "sb-err-duplicate-template"),
    ("Another question of this survey has this code.", "sb-err-duplicate-question"),
    ("Ensure this field has no more than 1000 characters.", "sb-err-too-long"),
    ("Ensure this field has no more than 200 characters.", "sb-err-too-long"),
    ("Ensure this field has no more than 2000 characters.", "sb-err-too-long"),
    ("Give a weight above 0 and at most 100.", "sb-err-weight"),
    ("A multiple-choice question needs 2 to 20 choices.", "sb-err-choice-count"),
    ("Each choice needs a value of 1–50 characters.", "sb-err-choice-value"),
    ("Each choice needs an English and an Arabic label.", "sb-err-choice-labels"),
    ("A choice's score is between 1 and 5.", "sb-err-choice-score"),
    ("Only multiple-choice questions have choices.", "sb-err-no-choices"),
    ("Only multiple-choice questions allow several answers.", "sb-err-no-multiple"),
    ("The condition must name an earlier question of this survey.", "sb-err-condition-earlier"),
    ("A condition cannot depend on a free-text answer.", "sb-err-condition-text"),
    ("A choice can only be compared with eq or ne.", "sb-err-condition-choice-op"),
    ("A yes/no answer is compared with eq or ne and yes or no.", "sb-err-condition-yes-no"),
    ("A survey needs at least one question.", "sb-err-no-questions"),
    ("The NPS method needs an NPS (0–10) question.", "sb-err-nps-needs-question"),
    (
        "This method needs at least one scored question (rating, Likert, yes/no or scored choices).",
        "sb-err-needs-scored",
    ),
    ("Give a threshold from 0 to 10.", "sb-err-threshold"),
    ("Give a threshold from 1 to 5 for this method.", "sb-err-threshold"),
    ("Give a threshold from 0 to 10 for this method.", "sb-err-threshold"),
    ("Invalid pk - object does not exist.", "sb-err-unknown"),
    ("The condition's value is a number, yes/no or a choice value.", "sb-err-condition-value"),
    ("Enter a number.", "sb-err-number"),
    ("Write each choice as: value | English label | Arabic label | score.", "sb-err-choice-line"),
];

/// A service message in the reader's language (patterns for the messages that name values).
fn message(lang: Lang, m: &str) -> String {
    if let Some((_, key)) = MESSAGES.iter().find(|(en, _)| *en == m) {
        return lang.t(key);
    }
    let fill = |key: &str, a: &str, b: &str| lang.t(key).replace("%1", a).replace("%2", b);
    if m.ends_with("is not a valid choice.") {
        return lang.t("sb-err-invalid-choice");
    }
    if m.starts_with("Ensure this value is between") {
        let nums: Vec<&str> = m.split(' ').filter(|w| w.trim_end_matches('.').parse::<i64>().is_ok()).collect();
        if let [lo, hi] = nums.as_slice() {
            return fill("sb-err-between", lo, hi.trim_end_matches('.'));
        }
    }
    if let Some(rest) = m.strip_prefix("The value \"")
        && let Some((v, _)) = rest.split_once('"')
    {
        return fill("sb-err-choice-twice", v, "");
    }
    if m.contains("\" is not a choice of ") {
        return lang.t("sb-err-condition-not-a-choice");
    }
    if m.starts_with("Compare ") {
        return lang.t("sb-err-condition-number");
    }
    if m.contains("is not a valid condition") {
        return lang.t("sb-err-condition-op");
    }
    if let Some((a, rest)) = m.split_once(" depends on ")
        && let Some((b, _)) = rest.split_once(", which must come before it.")
    {
        return fill("sb-err-order", a, b);
    }
    if let Some(rest) = m.strip_prefix("The condition of ") {
        if let Some((a, _)) = rest.split_once(" depends on this question's code") {
            return fill("sb-err-code-in-use", a, "");
        }
        if let Some((a, rest)) = rest.split_once(" depends on ")
            && let Some((b, _)) = rest.split_once("; change or remove")
        {
            return fill("sb-err-question-in-use", a, b);
        }
        if let Some((a, _)) = rest.split_once(" would break: ") {
            return fill("sb-err-condition-breaks", a, "");
        }
    }
    if m.starts_with("A survey has at most") {
        return lang.t("sb-err-too-many");
    }
    if m.contains(" is used by ") {
        let (_, users) = m.split_once(" is used by ").unwrap_or_default();
        return fill("sb-err-template-in-use", users.split("; choose").next().unwrap_or(users), "");
    }
    if m.starts_with("The draft is the same as version") {
        return lang.t("sb-err-no-changes");
    }
    m.to_owned()
}

fn field_label(lang: Lang, field: &str) -> String {
    let key = format!("sb-field-{}", field.replace('_', "-"));
    match lang.t(&key) {
        l if l == key => field.to_owned(),
        l => l,
    }
}

/// Field → messages in the reader's language.
fn localise(lang: Lang, errors: &FieldErrors) -> BTreeMap<String, String> {
    errors
        .0
        .iter()
        .map(|(f, ms)| (f.clone(), ms.iter().map(|m| message(lang, m)).collect::<Vec<_>>().join(" ")))
        .collect()
}

/// Publishing errors as lines: "Question «code» — field: message".
fn definition_error_lines(lang: Lang, def: &Definition, errors: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut lines = Vec::new();
    for (key, ms) in errors {
        let label = match key.strip_prefix("questions[").and_then(|r| r.split_once("].")) {
            Some((i, field)) => {
                let code = i.parse::<usize>().ok().and_then(|i| def.questions.get(i)).map_or("?", |q| q.code.as_str());
                format!("{} {code} — {}", lang.t("sb-question"), field_label(lang, field))
            }
            None => field_label(lang, key),
        };
        for m in ms {
            lines.push(format!("{label}: {}", message(lang, m)));
        }
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------------------------

struct ListRow {
    id: Uuid,
    code: String,
    name: String,
    type_label: String,
    method_label: String,
    version: i32,
    is_active: bool,
    has_draft_changes: bool,
}

#[derive(Template)]
#[template(path = "surveys/builder/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    search: String,
    survey_type: String,
    types: Vec<(String, String)>,
    count: u64,
    next: String,
    previous: String,
    flash: String,
}

async fn list_page(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    page.actor.require(&state, Permission::ManageSurveyTemplates).await?;
    let chrome = Chrome::new(&state, &page, LIST_PATH, "sb-list-title").await?;
    let lang = chrome.lang;
    let query = ListQuery::from_query(uri.path(), uri.query());
    let found = templates::list(&state, &page.actor, &query).await?;
    let rows = found
        .results
        .into_iter()
        .map(|t| ListRow {
            id: t.id,
            name: lang.pick(&t.name_en, &t.name_ar).to_owned(),
            type_label: type_label(lang, &t.survey_type),
            method_label: method_label(lang, &t.scoring_method),
            code: t.code,
            version: t.current_version,
            is_active: t.is_active,
            has_draft_changes: t.has_draft_changes,
        })
        .collect();
    let flash = match query.filter("deleted") {
        Some(_) => lang.t("sb-flash-deleted"),
        None => String::new(),
    };
    render(
        StatusCode::OK,
        &ListPage {
            rows,
            search: query.params.search.clone().unwrap_or_default(),
            survey_type: query.filter("survey_type").unwrap_or_default().to_owned(),
            types: rules::SURVEY_TYPES.iter().map(|t| ((*t).to_owned(), type_label(lang, t))).collect(),
            count: found.count,
            next: found.next.unwrap_or_default(),
            previous: found.previous.unwrap_or_default(),
            flash,
            chrome,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Settings form (new template and the builder)
// ---------------------------------------------------------------------------------------------

#[derive(Default, Clone)]
struct SettingsForm {
    hospital_id: String,
    code: String,
    name_en: String,
    name_ar: String,
    description_en: String,
    description_ar: String,
    survey_type: String,
    scoring_method: String,
    negative_threshold: String,
    link_valid_days: String,
    throttle_exempt: bool,
    reminder_max: String,
    reminder_interval_hours: String,
    is_active: bool,
    errors: BTreeMap<String, String>,
}

impl SettingsForm {
    fn blank() -> Self {
        SettingsForm {
            survey_type: "stage".into(),
            scoring_method: "average".into(),
            link_valid_days: "7".into(),
            reminder_max: "2".into(),
            reminder_interval_hours: "48".into(),
            is_active: true,
            ..Default::default()
        }
    }

    fn of(t: &survey_template::Model) -> Self {
        SettingsForm {
            hospital_id: t.hospital_id.to_string(),
            code: t.code.clone(),
            name_en: t.name_en.clone(),
            name_ar: t.name_ar.clone(),
            description_en: t.description_en.clone(),
            description_ar: t.description_ar.clone(),
            survey_type: t.survey_type.clone(),
            scoring_method: t.scoring_method.clone(),
            negative_threshold: t.negative_threshold.map(|v| v.to_string()).unwrap_or_default(),
            link_valid_days: t.link_valid_days.to_string(),
            throttle_exempt: t.throttle_exempt,
            reminder_max: t.reminder_max.to_string(),
            reminder_interval_hours: t.reminder_interval_hours.to_string(),
            is_active: t.is_active,
            errors: BTreeMap::new(),
        }
    }

    fn posted(form: &CsrfForm) -> Self {
        SettingsForm {
            hospital_id: form.get("hospital_id"),
            code: form.get("code"),
            name_en: form.get("name_en"),
            name_ar: form.get("name_ar"),
            description_en: form.get("description_en"),
            description_ar: form.get("description_ar"),
            survey_type: form.get("survey_type"),
            scoring_method: form.get("scoring_method"),
            negative_threshold: form.get("negative_threshold"),
            link_valid_days: form.get("link_valid_days"),
            throttle_exempt: form.has("throttle_exempt"),
            reminder_max: form.get("reminder_max"),
            reminder_interval_hours: form.get("reminder_interval_hours"),
            is_active: form.has("is_active"),
            errors: BTreeMap::new(),
        }
    }

    /// The form as a patch; numbers that do not parse are reported in `errors`.
    fn patch(&self, errors: &mut FieldErrors) -> TemplatePatch {
        let int = |errors: &mut FieldErrors, field: &str, v: &str| -> Option<i32> {
            let v = crate::http::validate::normalize_digits(v.trim());
            if v.is_empty() {
                return None;
            }
            v.parse::<i32>().map(Some).unwrap_or_else(|_| {
                errors.add(field, "Enter a number.");
                None
            })
        };
        let threshold = crate::http::validate::normalize_digits(self.negative_threshold.trim());
        let negative_threshold = if threshold.is_empty() {
            Some(None)
        } else {
            match threshold.parse::<f64>() {
                Ok(v) => Some(Some(v)),
                Err(_) => {
                    errors.add("negative_threshold", "Enter a number.");
                    None
                }
            }
        };
        TemplatePatch {
            code: Some(self.code.clone()),
            name_en: Some(self.name_en.clone()),
            name_ar: Some(self.name_ar.clone()),
            description_en: Some(self.description_en.clone()),
            description_ar: Some(self.description_ar.clone()),
            survey_type: Some(self.survey_type.clone()),
            scoring_method: Some(self.scoring_method.clone()),
            negative_threshold,
            link_valid_days: int(errors, "link_valid_days", &self.link_valid_days),
            throttle_exempt: Some(self.throttle_exempt),
            reminder_max: int(errors, "reminder_max", &self.reminder_max),
            reminder_interval_hours: int(errors, "reminder_interval_hours", &self.reminder_interval_hours),
            is_active: Some(self.is_active),
        }
    }

    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

fn choice_list(values: &[&str], label: impl Fn(&str) -> String) -> Vec<(String, String)> {
    values.iter().map(|v| ((*v).to_owned(), label(v))).collect()
}

#[derive(Template)]
#[template(path = "surveys/builder/new.html")]
struct NewPage {
    chrome: Chrome,
    form: SettingsForm,
    types: Vec<(String, String)>,
    methods: Vec<(String, String)>,
    /// PX admins choose the hospital.
    choose_hospital: bool,
}

async fn new_view(state: &AppState, page: &PageActor, form: SettingsForm, status: StatusCode) -> PageResult {
    page.actor.require(state, Permission::ManageSurveyTemplates).await?;
    let chrome = Chrome::new(state, page, "/surveys/templates/new/", "sb-new-title").await?;
    let lang = chrome.lang;
    render(
        status,
        &NewPage {
            choose_hospital: !chrome.hospitals.is_empty(),
            types: choice_list(&rules::SURVEY_TYPES, |t| type_label(lang, t)),
            methods: choice_list(&rules::SCORING_METHODS, |m| method_label(lang, m)),
            form,
            chrome,
        },
    )
}

async fn new_page(State(state): State<AppState>, page: PageActor) -> PageResult {
    let mut form = SettingsForm::blank();
    form.hospital_id = page.actor.selected_hospital.map(|h| h.to_string()).unwrap_or_default();
    new_view(&state, &page, form, StatusCode::OK).await
}

async fn new_submit(State(state): State<AppState>, page: PageActor, form: CsrfForm) -> PageResult {
    let lang = Lang::parse(&page.actor.language).unwrap_or(Lang::Ar);
    let mut posted = SettingsForm::posted(&form);
    let mut errors = FieldErrors::new();
    let patch = posted.patch(&mut errors);
    let hospital_id = match posted.hospital_id.as_str() {
        "" => None,
        h => match Uuid::parse_str(h) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("hospital_id", "Invalid pk - object does not exist.");
                None
            }
        },
    };
    if errors.is_empty() {
        let input = TemplateInput {
            hospital_id,
            code: patch.code,
            name_en: patch.name_en,
            name_ar: patch.name_ar,
            description_en: patch.description_en,
            description_ar: patch.description_ar,
            survey_type: patch.survey_type,
            scoring_method: patch.scoring_method,
            negative_threshold: patch.negative_threshold,
            link_valid_days: patch.link_valid_days,
            throttle_exempt: patch.throttle_exempt,
            reminder_max: patch.reminder_max,
            reminder_interval_hours: patch.reminder_interval_hours,
            is_active: patch.is_active,
        };
        match templates::create(&state, &page.actor, input).await {
            Ok(t) => return Ok(Redirect::to(&format!("/surveys/templates/{}/?saved=created", t.id)).into_response()),
            Err(AppError::Validation(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    posted.errors = localise(lang, &errors);
    new_view(&state, &page, posted, StatusCode::BAD_REQUEST).await
}

// ---------------------------------------------------------------------------------------------
// The builder
// ---------------------------------------------------------------------------------------------

/// The values a question's answer can take, for the condition's value select.
struct CondGroup {
    code: String,
    values: Vec<(String, String)>,
}

fn cond_groups(lang: Lang, earlier: &[Question]) -> Vec<CondGroup> {
    earlier
        .iter()
        .filter_map(|q| {
            let values: Vec<(String, String)> = match q.question_type.as_str() {
                "rating" | "likert" => (1..=5).map(|n| (n.to_string(), n.to_string())).collect(),
                "nps" => (0..=10).map(|n| (n.to_string(), n.to_string())).collect(),
                "yes_no" => vec![("yes".into(), lang.t("sb-yes")), ("no".into(), lang.t("sb-no"))],
                "multiple_choice" => q
                    .choices
                    .iter()
                    .map(|c| (c.value.clone(), lang.pick(&c.label_en, &c.label_ar).to_owned()))
                    .collect(),
                _ => return None,
            };
            Some(CondGroup { code: q.code.clone(), values })
        })
        .collect()
}

/// A question form (add or edit) as shown or as posted.
#[derive(Default, Clone)]
struct QuestionForm {
    code: String,
    text_en: String,
    text_ar: String,
    question_type: String,
    is_required: bool,
    weight: String,
    choices: String,
    allow_multiple: bool,
    show_if_question: String,
    show_if_op: String,
    show_if_value: String,
    is_overall: bool,
    counts_for_physician: bool,
    errors: BTreeMap<String, String>,
}

impl QuestionForm {
    fn blank() -> Self {
        QuestionForm {
            question_type: "rating".into(),
            is_required: true,
            weight: "1".into(),
            show_if_op: "eq".into(),
            ..Default::default()
        }
    }

    fn of(q: &Question) -> Self {
        QuestionForm {
            code: q.code.clone(),
            text_en: q.text_en.clone(),
            text_ar: q.text_ar.clone(),
            question_type: q.question_type.clone(),
            is_required: q.is_required,
            weight: q.weight.to_string(),
            choices: q
                .choices
                .iter()
                .map(|c| {
                    let score = c.score.map(|s| format!(" | {s}")).unwrap_or_default();
                    format!("{} | {} | {}{score}", c.value, c.label_en, c.label_ar)
                })
                .collect::<Vec<_>>()
                .join("\n"),
            allow_multiple: q.allow_multiple,
            show_if_question: q.show_if.as_ref().map(|c| c.question_code.clone()).unwrap_or_default(),
            show_if_op: q.show_if.as_ref().map_or_else(|| "eq".to_owned(), |c| c.op.clone()),
            show_if_value: q.show_if.as_ref().map(|c| c.value.clone()).unwrap_or_default(),
            is_overall: q.is_overall,
            counts_for_physician: q.counts_for_physician,
            errors: BTreeMap::new(),
        }
    }

    fn posted(form: &CsrfForm) -> Self {
        QuestionForm {
            code: form.get("code"),
            text_en: form.get("text_en"),
            text_ar: form.get("text_ar"),
            question_type: form.get("question_type"),
            is_required: form.has("is_required"),
            weight: form.get("weight"),
            choices: form.get("choices"),
            allow_multiple: form.has("allow_multiple"),
            show_if_question: form.get("show_if_question"),
            show_if_op: form.get("show_if_op"),
            show_if_value: form.get("show_if_value"),
            is_overall: form.has("is_overall"),
            counts_for_physician: form.has("counts_for_physician"),
            errors: BTreeMap::new(),
        }
    }

    fn input(&self, errors: &mut FieldErrors) -> QuestionInput {
        let weight = crate::http::validate::normalize_digits(self.weight.trim());
        let weight = if weight.is_empty() {
            Some(1.0)
        } else {
            weight.parse::<f64>().map(Some).unwrap_or_else(|_| {
                errors.add("weight", "Enter a number.");
                None
            })
        };
        let mut choices = Vec::new();
        for line in self.choices.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let score = match parts.get(3).copied().map(crate::http::validate::normalize_digits) {
                None => Ok(None),
                Some(s) if s.is_empty() => Ok(None),
                Some(s) => s.parse::<f64>().map(Some),
            };
            match (parts.len(), score) {
                (3 | 4, Ok(score)) => choices.push(ChoiceInput {
                    value: parts[0].to_owned(),
                    label_en: parts[1].to_owned(),
                    label_ar: parts[2].to_owned(),
                    score,
                }),
                _ => {
                    if errors.get("choices").is_none() {
                        errors.add("choices", "Write each choice as: value | English label | Arabic label | score.");
                    }
                }
            }
        }
        let show_if = if self.show_if_question.is_empty() {
            None
        } else {
            Some(ShowIfInput {
                question_code: self.show_if_question.clone(),
                op: self.show_if_op.clone(),
                value: serde_json::Value::String(self.show_if_value.clone()),
            })
        };
        QuestionInput {
            code: Some(self.code.clone()),
            text_en: Some(self.text_en.clone()),
            text_ar: Some(self.text_ar.clone()),
            question_type: Some(self.question_type.clone()),
            is_required: Some(self.is_required),
            weight,
            choices: Some(choices),
            allow_multiple: Some(self.allow_multiple),
            show_if: Some(show_if),
            is_overall: Some(self.is_overall),
            counts_for_physician: Some(self.counts_for_physician),
        }
    }

    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

struct QuestionCard {
    id: Uuid,
    position: i32,
    code: String,
    text: String,
    other_text: String,
    type_label: String,
    is_required: bool,
    weight: String,
    choices: Vec<String>,
    condition: String,
    is_overall: bool,
    counts_for_physician: bool,
    first: bool,
    last: bool,
    form: QuestionForm,
    /// The edit form was posted and refused: show it open.
    open: bool,
    cond_groups: Vec<CondGroup>,
}

fn condition_text(lang: Lang, q: &Question, draft: &[Question]) -> String {
    let Some(c) = &q.show_if else { return String::new() };
    let value = draft
        .iter()
        .find(|t| t.code == c.question_code)
        .and_then(|t| t.choices.iter().find(|ch| ch.value == c.value))
        .map_or_else(
            || match c.value.as_str() {
                "yes" => lang.t("sb-yes"),
                "no" => lang.t("sb-no"),
                v => v.to_owned(),
            },
            |ch| lang.pick(&ch.label_en, &ch.label_ar).to_owned(),
        );
    format!("{} {} {} {value}", lang.t("sb-shown-when"), c.question_code, op_label(lang, &c.op))
}

/// What was posted and refused, to show again with its errors.
enum Posted {
    None,
    Settings(SettingsForm),
    AddQuestion(QuestionForm),
    EditQuestion(Uuid, QuestionForm),
    /// A refused publish, move or delete: lines for the alert.
    Lines(Vec<String>),
    /// A refused publish: the draft's errors.
    Publish(Vec<String>),
}

#[derive(Template)]
#[template(path = "surveys/builder/builder.html")]
struct BuilderPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    code: String,
    current_version: i32,
    next_version: i32,
    has_draft_changes: bool,
    is_active: bool,
    settings: SettingsForm,
    settings_open: bool,
    types: Vec<(String, String)>,
    methods: Vec<(String, String)>,
    qtypes: Vec<(String, String)>,
    ops: Vec<(String, String)>,
    questions: Vec<QuestionCard>,
    add_form: QuestionForm,
    add_open: bool,
    add_groups: Vec<CondGroup>,
    versions: Vec<VersionLine>,
    flash: String,
    alert: Vec<String>,
    publish_errors: Vec<String>,
}

impl BuilderPage {
    fn edit_action(&self, qid: &Uuid) -> String {
        format!("/surveys/templates/{}/questions/{qid}/", self.id)
    }
    fn add_action(&self) -> String {
        format!("/surveys/templates/{}/questions/", self.id)
    }
    fn prefix(&self, position: &i32) -> String {
        format!("e{position}")
    }
}

struct VersionLine {
    version: i32,
    published_at: String,
    question_count: usize,
    current: bool,
}

async fn builder_view(state: &AppState, page: &PageActor, id: Uuid, flash_key: &str, posted: Posted) -> PageResult {
    let t = templates::editable(state, &page.actor, id).await?;
    let path = format!("/surveys/templates/{id}/");
    let mut chrome = Chrome::new(state, page, &path, "sb-builder-title").await?;
    let lang = chrome.lang;
    chrome.title = format!("{} · {}", lang.pick(&t.name_en, &t.name_ar), chrome.title);
    let rows = versions::draft_questions(&state.db, t.id).await?;
    let draft: Vec<Question> = rows.iter().map(versions::question_of).collect();
    let (mut settings, mut settings_open) = (SettingsForm::of(&t), false);
    let (mut add_form, mut add_open) = (QuestionForm::blank(), false);
    let (mut edit, mut alert, mut publish_errors) = (None, Vec::new(), Vec::new());
    let failed = !matches!(posted, Posted::None);
    match posted {
        Posted::None => {}
        Posted::Settings(f) => {
            settings = f;
            settings_open = true;
        }
        Posted::AddQuestion(f) => {
            add_form = f;
            add_open = true;
        }
        Posted::EditQuestion(qid, f) => edit = Some((qid, f)),
        Posted::Lines(l) => alert = l,
        Posted::Publish(l) => publish_errors = l,
    }
    let count = rows.len();
    let questions = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let q = &draft[i];
            let view = QuestionView::new(i as i32 + 1, r);
            let (form, open) = match &edit {
                Some((qid, f)) if *qid == r.id => (f.clone(), true),
                _ => (QuestionForm::of(q), false),
            };
            QuestionCard {
                id: r.id,
                position: view.position,
                code: q.code.clone(),
                text: lang.pick(&q.text_en, &q.text_ar).to_owned(),
                other_text: lang.other().pick(&q.text_en, &q.text_ar).to_owned(),
                type_label: qtype_label(lang, &q.question_type),
                is_required: q.is_required,
                weight: q.weight.to_string(),
                choices: q
                    .choices
                    .iter()
                    .map(|c| {
                        let score = c.score.map(|s| format!(" ({s})")).unwrap_or_default();
                        format!("{}{score}", lang.pick(&c.label_en, &c.label_ar))
                    })
                    .collect(),
                condition: condition_text(lang, q, &draft),
                is_overall: q.is_overall,
                counts_for_physician: q.counts_for_physician,
                first: i == 0,
                last: i + 1 == count,
                form,
                open,
                cond_groups: cond_groups(lang, &draft[..i]),
            }
        })
        .collect();
    let versions = templates::versions_of(&state.db, t.id)
        .await?
        .iter()
        .map(|v| {
            let view = VersionView::from(v);
            VersionLine {
                version: view.version,
                published_at: riyadh_time(view.created_at),
                question_count: view.question_count,
                current: view.version == t.current_version,
            }
        })
        .collect();
    let flash = if flash_key.is_empty() { String::new() } else { lang.t(&format!("sb-flash-{flash_key}")) };
    render(
        if failed { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        &BuilderPage {
            id: t.id,
            name: lang.pick(&t.name_en, &t.name_ar).to_owned(),
            code: t.code.clone(),
            current_version: t.current_version,
            next_version: t.current_version + 1,
            has_draft_changes: t.has_draft_changes,
            is_active: t.is_active,
            settings,
            settings_open,
            types: choice_list(&rules::SURVEY_TYPES, |v| type_label(lang, v)),
            methods: choice_list(&rules::SCORING_METHODS, |v| method_label(lang, v)),
            qtypes: choice_list(&rules::QUESTION_TYPES, |v| qtype_label(lang, v)),
            ops: choice_list(&rules::OPS, |v| op_label(lang, v)),
            questions,
            add_form,
            add_open,
            add_groups: cond_groups(lang, &draft),
            versions,
            flash,
            alert,
            publish_errors,
            chrome,
        },
    )
}

fn flash_of(query: Option<&str>) -> String {
    let q = ListQuery::from_query("", query);
    q.filter("saved")
        .filter(|k| {
            ["created", "settings", "question-added", "question-saved", "question-deleted", "moved", "published"]
                .contains(k)
        })
        .unwrap_or_default()
        .to_owned()
}

fn to_builder(id: Uuid, saved: &str, anchor: &str) -> PageResult {
    Ok(Redirect::to(&format!("/surveys/templates/{id}/?saved={saved}{anchor}")).into_response())
}

fn lang_of(page: &PageActor) -> Lang {
    Lang::parse(&page.actor.language).unwrap_or(Lang::Ar)
}

async fn builder_page(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let id = parse_id(&id, "survey template")?;
    builder_view(&state, &page, id, &flash_of(uri.query()), Posted::None).await
}

async fn settings_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "survey template")?;
    let mut posted = SettingsForm::posted(&form);
    let mut errors = FieldErrors::new();
    let patch = posted.patch(&mut errors);
    if errors.is_empty() {
        match templates::update(&state, &page.actor, id, patch).await {
            Ok(_) => return to_builder(id, "settings", ""),
            Err(AppError::Validation(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    posted.errors = localise(lang_of(&page), &errors);
    builder_view(&state, &page, id, "", Posted::Settings(posted)).await
}

async fn delete_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    _form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "survey template")?;
    match templates::delete(&state, &page.actor, id).await {
        Ok(()) => Ok(Redirect::to(&format!("{LIST_PATH}?deleted=1")).into_response()),
        Err(AppError::Conflict(_, m)) => {
            builder_view(&state, &page, id, "", Posted::Lines(vec![message(lang_of(&page), &m)])).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn publish_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    _form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "survey template")?;
    let lang = lang_of(&page);
    match templates::publish(&state, &page.actor, id).await {
        Ok(_) => to_builder(id, "published", "#versions"),
        Err(AppError::Validation(e)) => {
            let t = templates::editable(&state, &page.actor, id).await?;
            let def = versions::draft_definition(&state.db, &t).await?;
            let lines = definition_error_lines(lang, &def, &e.0);
            builder_view(&state, &page, id, "", Posted::Publish(lines)).await
        }
        Err(AppError::Conflict(_, m)) => {
            builder_view(&state, &page, id, "", Posted::Publish(vec![message(lang, &m)])).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn question_add_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<String>,
    form: CsrfForm,
) -> PageResult {
    let id = parse_id(&id, "survey template")?;
    let mut posted = QuestionForm::posted(&form);
    let mut errors = FieldErrors::new();
    let input = posted.input(&mut errors);
    if errors.is_empty() {
        match templates::add_question(&state, &page.actor, id, input).await {
            Ok(_) => return to_builder(id, "question-added", "#add-question"),
            Err(AppError::Validation(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    posted.errors = localise(lang_of(&page), &errors);
    builder_view(&state, &page, id, "", Posted::AddQuestion(posted)).await
}

fn two_ids(raw: &(String, String)) -> Result<(Uuid, Uuid), AppError> {
    Ok((parse_id(&raw.0, "survey template")?, parse_id(&raw.1, "survey question")?))
}

async fn question_edit_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<(String, String)>,
    form: CsrfForm,
) -> PageResult {
    let (id, qid) = two_ids(&raw)?;
    let mut posted = QuestionForm::posted(&form);
    let mut errors = FieldErrors::new();
    let input = posted.input(&mut errors);
    if errors.is_empty() {
        match templates::update_question(&state, &page.actor, id, qid, input).await {
            Ok(_) => return to_builder(id, "question-saved", &format!("#q-{qid}")),
            Err(AppError::Validation(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    posted.errors = localise(lang_of(&page), &errors);
    builder_view(&state, &page, id, "", Posted::EditQuestion(qid, posted)).await
}

async fn question_delete_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<(String, String)>,
    _form: CsrfForm,
) -> PageResult {
    let (id, qid) = two_ids(&raw)?;
    match templates::delete_question(&state, &page.actor, id, qid).await {
        Ok(()) => to_builder(id, "question-deleted", "#questions"),
        Err(AppError::Conflict(_, m)) => {
            builder_view(&state, &page, id, "", Posted::Lines(vec![message(lang_of(&page), &m)])).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn question_move_submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(raw): Path<(String, String)>,
    form: CsrfForm,
) -> PageResult {
    let (id, qid) = two_ids(&raw)?;
    let by = if form.get("direction") == "up" { -1 } else { 1 };
    match templates::move_question(&state, &page.actor, id, qid, by).await {
        Ok(()) => to_builder(id, "moved", &format!("#q-{qid}")),
        Err(AppError::Validation(e)) => {
            let lang = lang_of(&page);
            let lines = e.0.values().flatten().map(|m| message(lang, m)).collect();
            builder_view(&state, &page, id, "", Posted::Lines(lines)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Preview
// ---------------------------------------------------------------------------------------------

struct PreviewOption {
    value: String,
    label: String,
}

struct PreviewQuestion {
    number: usize,
    code: String,
    text: String,
    question_type: String,
    is_required: bool,
    multiple: bool,
    options: Vec<PreviewOption>,
    low_label: String,
    high_label: String,
    condition: String,
}

#[derive(Template)]
#[template(path = "surveys/builder/preview.html")]
struct PreviewPage {
    chrome: PublicChrome,
    id: Uuid,
    name: String,
    description: String,
    version_label: String,
    versions: Vec<i32>,
    version: i32,
    errors: Vec<String>,
    questions: Vec<PreviewQuestion>,
}

async fn preview_page(
    State(state): State<AppState>,
    page: PageActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    uri: OriginalUri,
) -> PageResult {
    let id = parse_id(&id, "survey template")?;
    let t = templates::editable(&state, &page.actor, id).await?;
    let query = ListQuery::from_query(uri.path(), uri.query());
    let version = templates::parse_version(query.filter("version"))?;
    let requested = query.filter("lang").and_then(Lang::parse).map(Lang::code).unwrap_or(page.actor.language.as_str());
    let mut chrome = PublicChrome::new(&headers, Some(requested), uri.path(), uri.query(), "sb-preview-title");
    let lang = chrome.lang;
    let found = templates::preview(&state, &t, version).await?;
    let def = &found.definition;
    chrome.title = format!("{} · {}", lang.pick(&def.name_en, &def.name_ar), chrome.title);
    let questions = def
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let n = |lo: i32, hi: i32| {
                (lo..=hi).map(|v| PreviewOption { value: v.to_string(), label: v.to_string() }).collect::<Vec<_>>()
            };
            let (options, low, high) = match q.question_type.as_str() {
                "rating" => (n(1, 5), lang.t("sb-rating-low"), lang.t("sb-rating-high")),
                "likert" => (
                    (1..=5)
                        .map(|v| PreviewOption { value: v.to_string(), label: lang.t(&format!("sb-likert-{v}")) })
                        .collect(),
                    String::new(),
                    String::new(),
                ),
                "nps" => (n(0, 10), lang.t("sb-nps-low"), lang.t("sb-nps-high")),
                "yes_no" => (
                    vec![
                        PreviewOption { value: "yes".into(), label: lang.t("sb-yes") },
                        PreviewOption { value: "no".into(), label: lang.t("sb-no") },
                    ],
                    String::new(),
                    String::new(),
                ),
                "multiple_choice" => (
                    q.choices
                        .iter()
                        .map(|c| PreviewOption {
                            value: c.value.clone(),
                            label: lang.pick(&c.label_en, &c.label_ar).to_owned(),
                        })
                        .collect(),
                    String::new(),
                    String::new(),
                ),
                _ => (vec![], String::new(), String::new()),
            };
            PreviewQuestion {
                number: i + 1,
                code: q.code.clone(),
                text: lang.pick(&q.text_en, &q.text_ar).to_owned(),
                question_type: q.question_type.clone(),
                is_required: q.is_required,
                multiple: q.allow_multiple,
                options,
                low_label: low,
                high_label: high,
                condition: condition_text(lang, q, &def.questions),
            }
        })
        .collect();
    let errors = definition_error_lines(lang, def, &found.errors);
    let versions = templates::versions_of(&state.db, t.id).await?.iter().map(|v| v.version).rev().collect();
    let version_label = match found.version {
        Some(v) => format!("{} {v}", lang.t("sb-version")),
        None => lang.t("sb-draft"),
    };
    render(
        StatusCode::OK,
        &PreviewPage {
            id: t.id,
            name: lang.pick(&def.name_en, &def.name_ar).to_owned(),
            description: lang.pick(&def.description_en, &def.description_ar).to_owned(),
            version_label,
            versions,
            version: found.version.unwrap_or(0),
            errors,
            questions,
            chrome,
        },
    )
}
