//! The survey rules without I/O (spec §6, §15): question and template definitions and their
//! validation, conditional visibility, answer parsing, scoring, the report formulas (NPS, CSAT,
//! top-box, response rate), and the timing of expiry, reminders and abandonment.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;

/// Question types (spec §6).
pub const QUESTION_TYPES: [&str; 7] = ["rating", "nps", "yes_no", "multiple_choice", "likert", "text", "textarea"];
/// Survey types.
pub const SURVEY_TYPES: [&str; 4] = ["stage", "complaint_resolution", "general", "nps"];
/// Scoring methods.
pub const SCORING_METHODS: [&str; 3] = ["average", "weighted", "nps"];
/// Conditions of `show_if`.
pub const OPS: [&str; 6] = ["eq", "ne", "lt", "lte", "gt", "gte"];
/// Statuses in which the patient may still answer (and reminders and expiry apply).
pub const OPEN: [&str; 6] = ["scheduled", "sent", "delivered", "viewed", "in_progress", "abandoned"];
/// Every status, in the order of the lifecycle.
pub const STATUSES: [&str; 12] = [
    "pending",
    "scheduled",
    "sent",
    "delivered",
    "viewed",
    "in_progress",
    "abandoned",
    "completed",
    "expired",
    "cancelled",
    "suppressed",
    "undeliverable",
];
/// Where surveys come from.
pub const SOURCES: [&str; 5] = ["journey", "complaint", "manual", "kiosk", "follow_up"];
/// Outcomes of a staff contact with the patient.
pub const CONTACT_OUTCOMES: [&str; 5] = ["reached", "no_answer", "wrong_number", "refused", "resolved"];

/// Longest free-text answer.
pub const MAX_TEXT: usize = 2000;
/// Most questions in one template.
pub const MAX_QUESTIONS: usize = 60;
/// In-progress surveys idle this long become `abandoned` (resumable until they expire).
pub const ABANDON_AFTER_HOURS: i64 = 24;

/// One option of a multiple-choice question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    pub value: String,
    pub label_en: String,
    pub label_ar: String,
    /// The 1–5 score the option counts for; none: not scored.
    #[serde(default)]
    pub score: Option<f64>,
}

/// Show a question only when an earlier answer matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShowIf {
    pub question_code: String,
    /// `eq`, `ne`, `lt`, `lte`, `gt` or `gte` (the last four compare numbers).
    pub op: String,
    /// A number, `yes`/`no`, or a choice value.
    pub value: String,
}

/// A question as published (and as the builder edits it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    pub code: String,
    pub text_en: String,
    pub text_ar: String,
    pub question_type: String,
    #[serde(default = "yes")]
    pub is_required: bool,
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Several choices may be ticked (multiple choice only).
    #[serde(default)]
    pub allow_multiple: bool,
    #[serde(default)]
    pub show_if: Option<ShowIf>,
    #[serde(default)]
    pub is_overall: bool,
    #[serde(default)]
    pub counts_for_physician: bool,
}

fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}

/// A published version of a template: everything needed to show and score its surveys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Definition {
    pub name_en: String,
    pub name_ar: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub description_ar: String,
    pub survey_type: String,
    pub scoring_method: String,
    /// The threshold in force (the method's default when the template sets none).
    pub negative_threshold: f64,
    pub questions: Vec<Question>,
}

impl Definition {
    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.code == code)
    }
}

/// The threshold below which a survey is negative when the template sets none.
pub fn default_threshold(method: &str) -> f64 {
    if method == "nps" { 7.0 } else { 3.0 }
}

/// The lowest and highest answer of a numeric question type.
pub fn range(question_type: &str) -> Option<(f64, f64)> {
    match question_type {
        "rating" | "likert" => Some((1.0, 5.0)),
        "nps" => Some((0.0, 10.0)),
        "yes_no" => Some((0.0, 1.0)),
        _ => None,
    }
}

/// Whether answers of this question can count toward a 1–5 score.
pub fn is_scored(q: &Question) -> bool {
    match q.question_type.as_str() {
        "rating" | "likert" | "yes_no" => true,
        "multiple_choice" => q.choices.iter().any(|c| c.score.is_some()),
        _ => false,
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 50
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks one question against the questions before it (`earlier`). Errors are keyed by field.
pub fn validate_question(q: &Question, earlier: &[Question], errors: &mut FieldErrors) {
    if !is_code(&q.code) {
        errors.add("code", "Use 1–50 lowercase letters, digits or _, starting with a letter.");
    }
    for (field, text) in [("text_en", &q.text_en), ("text_ar", &q.text_ar)] {
        if text.trim().is_empty() {
            errors.add(field, "This field is required.");
        } else if text.chars().count() > 1000 {
            errors.add(field, "Ensure this field has no more than 1000 characters.");
        }
    }
    if !QUESTION_TYPES.contains(&q.question_type.as_str()) {
        errors.add("question_type", format!("\"{}\" is not a valid choice.", q.question_type));
    }
    if !(q.weight.is_finite() && q.weight > 0.0 && q.weight <= 100.0) {
        errors.add("weight", "Give a weight above 0 and at most 100.");
    }
    if q.question_type == "multiple_choice" {
        if q.choices.len() < 2 || q.choices.len() > 20 {
            errors.add("choices", "A multiple-choice question needs 2 to 20 choices.");
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &q.choices {
            if c.value.trim().is_empty() || c.value.len() > 50 {
                errors.add("choices", "Each choice needs a value of 1–50 characters.");
            } else if !seen.insert(c.value.as_str()) {
                errors.add("choices", format!("The value \"{}\" is used twice.", c.value));
            }
            if c.label_en.trim().is_empty() || c.label_ar.trim().is_empty() {
                errors.add("choices", "Each choice needs an English and an Arabic label.");
            }
            if let Some(s) = c.score
                && !(1.0..=5.0).contains(&s)
            {
                errors.add("choices", "A choice's score is between 1 and 5.");
            }
        }
    } else if !q.choices.is_empty() {
        errors.add("choices", "Only multiple-choice questions have choices.");
    }
    if q.allow_multiple && q.question_type != "multiple_choice" {
        errors.add("allow_multiple", "Only multiple-choice questions allow several answers.");
    }
    if let Some(cond) = &q.show_if {
        match earlier.iter().find(|e| e.code == cond.question_code) {
            None => errors.add("show_if", "The condition must name an earlier question of this survey."),
            Some(target) => {
                if let Err(e) = check_condition(cond, target) {
                    errors.add("show_if", e);
                }
            }
        }
    }
    if earlier.iter().any(|e| e.code == q.code) {
        errors.add("code", "Another question of this survey has this code.");
    }
}

fn check_condition(cond: &ShowIf, target: &Question) -> Result<(), String> {
    if !OPS.contains(&cond.op.as_str()) {
        return Err(format!("\"{}\" is not a valid condition (eq, ne, lt, lte, gt, gte).", cond.op));
    }
    match target.question_type.as_str() {
        "text" | "textarea" => Err("A condition cannot depend on a free-text answer.".into()),
        "multiple_choice" => {
            if !matches!(cond.op.as_str(), "eq" | "ne") {
                Err("A choice can only be compared with eq or ne.".into())
            } else if !target.choices.iter().any(|c| c.value == cond.value) {
                Err(format!("\"{}\" is not a choice of {}.", cond.value, target.code))
            } else {
                Ok(())
            }
        }
        "yes_no" if !matches!(cond.op.as_str(), "eq" | "ne") || !matches!(cond.value.as_str(), "yes" | "no") => {
            Err("A yes/no answer is compared with eq or ne and yes or no.".into())
        }
        "yes_no" => Ok(()),
        t => {
            let (lo, hi) = range(t).unwrap_or((0.0, 10.0));
            match cond.value.trim().parse::<f64>() {
                Ok(v) if (lo..=hi).contains(&v) => Ok(()),
                _ => Err(format!("Compare {} with a number from {lo} to {hi}.", target.code)),
            }
        }
    }
}

/// Checks a whole definition: each question, and that the scoring method has what it needs.
/// Errors are keyed `questions[i].field` or by the template's field.
pub fn validate_definition(def: &Definition) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if !SURVEY_TYPES.contains(&def.survey_type.as_str()) {
        errors.add("survey_type", format!("\"{}\" is not a valid choice.", def.survey_type));
    }
    if !SCORING_METHODS.contains(&def.scoring_method.as_str()) {
        errors.add("scoring_method", format!("\"{}\" is not a valid choice.", def.scoring_method));
    }
    if def.questions.is_empty() {
        errors.add("questions", "A survey needs at least one question.");
    }
    if def.questions.len() > MAX_QUESTIONS {
        errors.add("questions", format!("A survey has at most {MAX_QUESTIONS} questions."));
    }
    for (i, q) in def.questions.iter().enumerate() {
        let mut own = FieldErrors::new();
        validate_question(q, &def.questions[..i], &mut own);
        for (field, messages) in own.0 {
            for m in messages {
                errors.add(&format!("questions[{i}].{field}"), m);
            }
        }
    }
    match def.scoring_method.as_str() {
        "nps" if !def.questions.iter().any(|q| q.question_type == "nps") => {
            errors.add("scoring_method", "The NPS method needs an NPS (0–10) question.");
        }
        "average" | "weighted" if !def.questions.is_empty() && !def.questions.iter().any(is_scored) => {
            errors.add(
                "scoring_method",
                "This method needs at least one scored question (rating, Likert, yes/no or scored choices).",
            );
        }
        _ => {}
    }
    if !def.negative_threshold.is_finite() || !(0.0..=10.0).contains(&def.negative_threshold) {
        errors.add("negative_threshold", "Give a threshold from 0 to 10.");
    }
    errors
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// rating, likert, nps; yes_no as 1 (yes) or 0 (no).
    Number(f64),
    Text(String),
    Choices(Vec<String>),
}

impl Answer {
    /// The value as shown and compared by conditions (`yes`/`no` for yes/no questions).
    pub fn display(&self, q: &Question) -> String {
        match self {
            Answer::Number(n) if q.question_type == "yes_no" => if *n >= 0.5 { "yes" } else { "no" }.into(),
            Answer::Number(n) => format!("{n}"),
            Answer::Text(t) => t.clone(),
            Answer::Choices(c) => c.join(", "),
        }
    }
}

/// The English and Arabic label of a yes/no answer (`yes`: the stored 1, else 0).
pub fn yes_no_labels(yes: bool) -> (&'static str, &'static str) {
    if yes { ("Yes", "نعم") } else { ("No", "لا") }
}

/// Why an answer was refused (each has a message in both languages: `survey-error-<key>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    Required,
    OutOfRange,
    NotAChoice,
    OneChoice,
    TooLong,
    /// An answer to a question not shown for the earlier answers.
    Hidden,
}

impl AnswerError {
    pub fn key(&self) -> &'static str {
        match self {
            AnswerError::Required => "required",
            AnswerError::OutOfRange => "out-of-range",
            AnswerError::NotAChoice => "not-a-choice",
            AnswerError::OneChoice => "one-choice",
            AnswerError::TooLong => "too-long",
            AnswerError::Hidden => "hidden",
        }
    }

    /// The English message (the API's).
    pub fn message(&self, q: &Question) -> String {
        match self {
            AnswerError::Required => "This question needs an answer.".into(),
            AnswerError::OutOfRange => {
                let (lo, hi) = range(&q.question_type).unwrap_or((0.0, 0.0));
                if q.question_type == "yes_no" {
                    "Answer yes or no.".into()
                } else {
                    format!("Choose a whole number from {lo} to {hi}.")
                }
            }
            AnswerError::NotAChoice => "That is not one of this question's choices.".into(),
            AnswerError::OneChoice => "Choose only one option.".into(),
            AnswerError::TooLong => format!("Keep the answer under {MAX_TEXT} characters."),
            AnswerError::Hidden => "This question does not apply to your earlier answers.".into(),
        }
    }
}

/// Reads the submitted values of one question (`raw`: every value posted for it, blanks
/// included). `Ok(None)`: not answered.
pub fn parse_answer(q: &Question, raw: &[String]) -> Result<Option<Answer>, AnswerError> {
    let values: Vec<&str> = raw.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return Ok(None);
    }
    match q.question_type.as_str() {
        "text" | "textarea" => {
            let text = values.join("\n");
            // STOP typed into a survey is a request, not an answer: it is never stored.
            if crate::domains::notifications::rules::is_stop(&text) {
                return Ok(None);
            }
            if text.chars().count() > MAX_TEXT {
                return Err(AnswerError::TooLong);
            }
            Ok(Some(Answer::Text(text)))
        }
        "multiple_choice" => {
            if values.len() > 1 && !q.allow_multiple {
                return Err(AnswerError::OneChoice);
            }
            let mut chosen: Vec<String> = Vec::new();
            for v in values {
                if !q.choices.iter().any(|c| c.value == v) {
                    return Err(AnswerError::NotAChoice);
                }
                if !chosen.iter().any(|c| c == v) {
                    chosen.push(v.to_owned());
                }
            }
            Ok(Some(Answer::Choices(chosen)))
        }
        "yes_no" => match values.as_slice() {
            ["yes" | "1" | "true"] => Ok(Some(Answer::Number(1.0))),
            ["no" | "0" | "false"] => Ok(Some(Answer::Number(0.0))),
            _ => Err(AnswerError::OutOfRange),
        },
        t => {
            let (lo, hi) = range(t).ok_or(AnswerError::OutOfRange)?;
            let [one] = values.as_slice() else { return Err(AnswerError::OutOfRange) };
            match one.parse::<i64>() {
                Ok(n) if (lo..=hi).contains(&(n as f64)) => Ok(Some(Answer::Number(n as f64))),
                _ => Err(AnswerError::OutOfRange),
            }
        }
    }
}

/// Whether `answer` (of `target`) meets `cond`.
fn matches(cond: &ShowIf, target: &Question, answer: &Answer) -> bool {
    let equal = match answer {
        Answer::Choices(chosen) => chosen.contains(&cond.value),
        other => other.display(target) == cond.value.trim() || numeric_eq(other, &cond.value),
    };
    match (cond.op.as_str(), answer) {
        ("eq", _) => equal,
        ("ne", _) => !equal,
        (op, Answer::Number(n)) => {
            let Ok(v) = cond.value.trim().parse::<f64>() else { return false };
            match op {
                "lt" => *n < v,
                "lte" => *n <= v,
                "gt" => *n > v,
                "gte" => *n >= v,
                _ => false,
            }
        }
        _ => false,
    }
}

fn numeric_eq(answer: &Answer, value: &str) -> bool {
    matches!((answer, value.trim().parse::<f64>()), (Answer::Number(n), Ok(v)) if (*n - v).abs() < f64::EPSILON)
}

/// Which questions are shown for `answers`, in order. A conditional question is shown only when
/// its earlier question is shown, answered, and matches.
pub fn visible(def: &Definition, answers: &BTreeMap<String, Answer>) -> Vec<bool> {
    let mut shown: Vec<bool> = Vec::with_capacity(def.questions.len());
    for (i, q) in def.questions.iter().enumerate() {
        let on = match &q.show_if {
            None => true,
            Some(cond) => def.questions[..i].iter().zip(&shown).any(|(t, on)| {
                *on && t.code == cond.question_code && answers.get(&t.code).is_some_and(|a| matches(cond, t, a))
            }),
        };
        shown.push(on);
    }
    shown
}

/// The 1–5 score of one answer (none: not scored; NPS answers count only for the NPS method).
pub fn answer_score(q: &Question, answer: &Answer) -> Option<f64> {
    match (q.question_type.as_str(), answer) {
        ("rating" | "likert", Answer::Number(n)) => Some(*n),
        ("yes_no", Answer::Number(n)) => Some(if *n >= 0.5 { 5.0 } else { 1.0 }),
        ("multiple_choice", Answer::Choices(chosen)) => {
            let scores: Vec<f64> =
                chosen.iter().filter_map(|v| q.choices.iter().find(|c| c.value == *v).and_then(|c| c.score)).collect();
            (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
        }
        _ => None,
    }
}

/// The survey's score by its method, rounded to 2 decimals for storing and showing (decide
/// negativity on [`raw_score`]).
pub fn total_score(def: &Definition, answers: &BTreeMap<String, Answer>) -> Option<f64> {
    raw_score(def, answers).map(round2)
}

/// The survey's score by its method: only answered, visible, scored questions count; none when
/// nothing is scored. Unrounded: 2.998 is below a threshold of 3.
pub fn raw_score(def: &Definition, answers: &BTreeMap<String, Answer>) -> Option<f64> {
    let shown = visible(def, answers);
    let counted = def.questions.iter().zip(shown).filter(|(_, on)| *on).map(|(q, _)| q);
    match def.scoring_method.as_str() {
        "nps" => counted.filter(|q| q.question_type == "nps").find_map(|q| match answers.get(&q.code) {
            Some(Answer::Number(n)) => Some(*n),
            _ => None,
        }),
        method => {
            let (mut sum, mut weights) = (0.0, 0.0);
            for q in counted {
                if let Some(s) = answers.get(&q.code).and_then(|a| answer_score(q, a)) {
                    let w = if method == "weighted" { q.weight } else { 1.0 };
                    sum += w * s;
                    weights += w;
                }
            }
            (weights > 0.0).then(|| sum / weights)
        }
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A score on 0–100: (s − 1) / 4 × 100 for 1–5 methods, s × 10 for NPS.
pub fn normalised(method: &str, score: f64) -> f64 {
    let v = if method == "nps" { score * 10.0 } else { (score - 1.0) / 4.0 * 100.0 };
    round2(v.clamp(0.0, 100.0))
}

/// `total_score < threshold`.
pub fn is_negative(total: Option<f64>, threshold: f64) -> bool {
    total.is_some_and(|s| s < threshold)
}

/// What the server decided about a submitted page of answers.
#[derive(Debug, Default, PartialEq)]
pub struct Checked {
    /// The answers to keep (saved and posted together, hidden questions' answers dropped).
    pub answers: BTreeMap<String, Answer>,
    /// Errors by question code.
    pub errors: BTreeMap<String, AnswerError>,
    /// Questions that the posted answers revealed and that are still unanswered: the patient
    /// must see them before finishing.
    pub revealed: Vec<String>,
}

impl Checked {
    /// Complete: no errors, nothing new to show.
    pub fn complete(&self) -> bool {
        self.errors.is_empty() && self.revealed.is_empty()
    }
}

/// Checks posted answers (`posted`: values by question code, only the codes the form sent)
/// against the saved ones. `finish`: the patient asks to submit (required questions enforced).
/// Unknown codes and answers to hidden questions are errors; a blank posted answer clears a saved
/// one.
pub fn check_submission(
    def: &Definition,
    saved: &BTreeMap<String, Answer>,
    posted: &BTreeMap<String, Vec<String>>,
    finish: bool,
) -> Result<Checked, Vec<String>> {
    let unknown: Vec<String> = posted.keys().filter(|c| def.question(c).is_none()).cloned().collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let before = visible(def, saved);
    let mut out = Checked { answers: saved.clone(), ..Default::default() };
    for q in &def.questions {
        if let Some(raw) = posted.get(&q.code) {
            match parse_answer(q, raw) {
                Ok(Some(a)) => {
                    out.answers.insert(q.code.clone(), a);
                }
                Ok(None) => {
                    out.answers.remove(&q.code);
                }
                Err(e) => {
                    out.errors.insert(q.code.clone(), e);
                }
            }
        }
    }
    let after = visible(def, &out.answers);
    for ((q, was), now) in def.questions.iter().zip(&before).zip(&after) {
        if !now {
            // A question the form could not have shown is an error; one the patient saw and that
            // their changed answers now hide is dropped quietly (no JavaScript to hide it live).
            if !was && posted.get(&q.code).is_some_and(|raw| raw.iter().any(|v| !v.trim().is_empty())) {
                out.errors.insert(q.code.clone(), AnswerError::Hidden);
            }
            out.answers.remove(&q.code);
            continue;
        }
        let answered = out.answers.contains_key(&q.code);
        if !was && !answered && !posted.contains_key(&q.code) {
            out.revealed.push(q.code.clone());
        } else if finish && q.is_required && !answered && !out.errors.contains_key(&q.code) {
            out.errors.insert(q.code.clone(), AnswerError::Required);
        }
    }
    Ok(out)
}

/// Share of shown questions answered, 0–100 (the progress bar).
pub fn progress(def: &Definition, answers: &BTreeMap<String, Answer>) -> u8 {
    let shown = visible(def, answers);
    let total = shown.iter().filter(|on| **on).count();
    if total == 0 {
        return 0;
    }
    let done = def.questions.iter().zip(&shown).filter(|(q, on)| **on && answers.contains_key(&q.code)).count();
    (done * 100 / total) as u8
}

// ----- report formulas (spec §15); every ratio with an empty denominator is none -----

/// NPS: % promoters (9–10) − % detractors (0–6), passives in the denominator.
pub fn nps(values: &[f64]) -> Option<f64> {
    let promoters = values.iter().filter(|v| **v >= 9.0).count() as u64;
    let detractors = values.iter().filter(|v| **v <= 6.0).count() as u64;
    nps_counts(promoters, values.len() as u64 - promoters - detractors, detractors)
}

/// NPS from counted answers: % promoters − % detractors, passives in the denominator.
pub fn nps_counts(promoters: u64, passives: u64, detractors: u64) -> Option<f64> {
    let all = promoters + passives + detractors;
    (all > 0).then(|| round2((promoters as f64 - detractors as f64) / all as f64 * 100.0))
}

/// CSAT: answers of 4–5 ÷ all answers × 100 (1–5 scale).
pub fn csat(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(round2(values.iter().filter(|v| **v >= 4.0).count() as f64 / values.len() as f64 * 100.0))
}

/// Top-box: the share of answers in the best category (5 of 1–5, 9–10 of 0–10, yes).
pub fn top_box(question_type: &str, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let best = |v: f64| match question_type {
        "nps" => v >= 9.0,
        "yes_no" => v >= 0.5,
        _ => v >= 5.0,
    };
    Some(round2(values.iter().filter(|v| best(**v)).count() as f64 / values.len() as f64 * 100.0))
}

/// Response rate: completed ÷ (sent − undeliverable) × 100.
pub fn response_rate(completed: u64, sent: u64, undeliverable: u64) -> Option<f64> {
    let base = sent.saturating_sub(undeliverable);
    (base > 0).then(|| round2(completed as f64 / base as f64 * 100.0))
}

// ----- timing -----

/// When a link made at `at` stops working.
pub fn expires_at(at: DateTime<Utc>, link_valid_days: i32) -> DateTime<Utc> {
    at + Duration::days(i64::from(link_valid_days.clamp(1, 90)))
}

/// When the next reminder is due: the first `interval` hours after sending, each next one
/// `interval` hours after the previous; none once `max` were sent or the link expires first.
pub fn next_reminder_at(
    sent_at: DateTime<Utc>,
    reminders_sent: i32,
    last_reminder_at: Option<DateTime<Utc>>,
    interval_hours: i32,
    max: i32,
    expires: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if reminders_sent >= max || interval_hours <= 0 {
        return None;
    }
    let from = if reminders_sent == 0 { sent_at } else { last_reminder_at.unwrap_or(sent_at) };
    let due = from + Duration::hours(i64::from(interval_hours));
    (due < expires).then_some(due)
}

/// Whether an in-progress survey last touched at `last_activity` is abandoned at `now`.
pub fn is_abandoned(last_activity: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_activity >= Duration::hours(ABANDON_AFTER_HOURS)
}

/// The channels to try for a survey, best first: the patient's preferred one, then SMS, then
/// e-mail. WhatsApp only when the patient chose it (it needs their opt-in).
pub fn channel_order(preferred: &str) -> Vec<&'static str> {
    match preferred {
        "whatsapp" => vec!["whatsapp", "sms", "email"],
        "email" => vec!["email", "sms"],
        _ => vec!["sms", "email"],
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn q(code: &str, t: &str) -> Question {
        Question {
            code: code.into(),
            text_en: format!("{code}?"),
            text_ar: format!("{code}؟"),
            question_type: t.into(),
            is_required: true,
            weight: 1.0,
            choices: vec![],
            allow_multiple: false,
            show_if: None,
            is_overall: false,
            counts_for_physician: false,
        }
    }

    fn choice(v: &str, score: Option<f64>) -> Choice {
        Choice { value: v.into(), label_en: v.into(), label_ar: format!("{v}ـ"), score }
    }

    fn def(method: &str, questions: Vec<Question>) -> Definition {
        Definition {
            name_en: "T".into(),
            name_ar: "ت".into(),
            description_en: String::new(),
            description_ar: String::new(),
            survey_type: "stage".into(),
            scoring_method: method.into(),
            negative_threshold: default_threshold(method),
            questions,
        }
    }

    fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    fn n(x: f64) -> Answer {
        Answer::Number(x)
    }

    /// A survey with every kind of question and a conditional one.
    fn mixed(method: &str) -> Definition {
        let mut weighted = q("staff", "rating");
        weighted.weight = 3.0;
        let mut why = q("why", "textarea");
        why.is_required = false;
        why.show_if = Some(ShowIf { question_code: "overall".into(), op: "lte".into(), value: "2".into() });
        let mut wait = q("wait", "multiple_choice");
        wait.choices = vec![choice("short", Some(5.0)), choice("long", Some(1.0)), choice("na", None)];
        wait.is_required = false;
        let mut follow = q("clean", "likert");
        follow.show_if = Some(ShowIf { question_code: "again".into(), op: "eq".into(), value: "yes".into() });
        def(
            method,
            vec![q("overall", "rating"), weighted, why, wait, q("again", "yes_no"), follow, q("recommend", "nps")],
        )
    }

    #[test]
    fn scores_by_method_counting_only_answered_visible_scored_questions() {
        struct Case {
            name: &'static str,
            method: &'static str,
            answers: Vec<(&'static str, Answer)>,
            total: Option<f64>,
        }
        let cases = [
            Case {
                name: "average of rating, weighted rating (weight ignored), yes=5",
                method: "average",
                answers: vec![("overall", n(4.0)), ("staff", n(2.0)), ("again", n(1.0)), ("clean", n(3.0))],
                total: Some(3.5),
            },
            Case {
                name: "weighted: (4·1 + 2·3 + 5·1 + 3·1) / 6",
                method: "weighted",
                answers: vec![("overall", n(4.0)), ("staff", n(2.0)), ("again", n(1.0)), ("clean", n(3.0))],
                total: Some(3.0),
            },
            Case {
                name: "no=1 hides the likert question: its saved answer does not count",
                method: "average",
                answers: vec![("overall", n(5.0)), ("staff", n(5.0)), ("again", n(0.0)), ("clean", n(1.0))],
                total: Some(3.67),
            },
            Case {
                name: "skipped optional questions do not count",
                method: "average",
                answers: vec![("overall", n(2.0)), ("again", n(1.0))],
                total: Some(3.5),
            },
            Case {
                name: "a choice's score counts; an unscored choice does not",
                method: "average",
                answers: vec![("overall", n(3.0)), ("wait", Answer::Choices(vec!["long".into()]))],
                total: Some(2.0),
            },
            Case {
                name: "only an unscored choice and an NPS answer: nothing scored",
                method: "average",
                answers: vec![("wait", Answer::Choices(vec!["na".into()])), ("recommend", n(10.0))],
                total: None,
            },
            Case {
                name: "nps method: the NPS answer",
                method: "nps",
                answers: vec![("overall", n(1.0)), ("recommend", n(6.0))],
                total: Some(6.0),
            },
            Case {
                name: "nps method without an NPS answer",
                method: "nps",
                answers: vec![("overall", n(5.0))],
                total: None,
            },
            Case { name: "nothing answered", method: "weighted", answers: vec![], total: None },
        ];
        for c in cases {
            let d = mixed(c.method);
            assert_eq!(total_score(&d, &answers(&c.answers)), c.total, "{}", c.name);
        }
    }

    #[test]
    fn negative_below_the_threshold_and_normalised_to_100() {
        for (method, score, negative, norm) in [
            ("average", 2.99, true, 49.75),
            ("average", 3.0, false, 50.0),
            ("weighted", 1.0, true, 0.0),
            ("weighted", 5.0, false, 100.0),
            ("nps", 6.0, true, 60.0),
            ("nps", 7.0, false, 70.0),
            ("nps", 0.0, true, 0.0),
        ] {
            assert_eq!(is_negative(Some(score), default_threshold(method)), negative, "{method} {score}");
            assert_eq!(normalised(method, score), norm, "{method} {score}");
        }
        assert!(!is_negative(None, 3.0), "an unscored survey is never negative");
        // Weighted (3 × 4.99 + 1 × 0.01) / 5 = 2.996: negative although it shows as 3.00.
        let mut a = q("a", "rating");
        a.weight = 499.0 / 100.0;
        let mut b = q("b", "rating");
        b.weight = 0.01;
        let d = def("weighted", vec![a, b]);
        let answers = answers(&[("a", n(3.0)), ("b", n(1.0))]);
        let raw = raw_score(&d, &answers).unwrap();
        assert!(raw < 3.0 && total_score(&d, &answers) == Some(3.0), "{raw}");
        assert!(is_negative(Some(raw), 3.0));
        assert!(is_negative(Some(3.5), 4.0), "a template's own threshold");
    }

    #[test]
    fn nps_boundaries_csat_top_box_and_response_rate() {
        // 6 is a detractor, 7–8 passives, 9 a promoter.
        for (values, expected) in [
            (vec![6.0], Some(-100.0)),
            (vec![7.0], Some(0.0)),
            (vec![8.0], Some(0.0)),
            (vec![9.0], Some(100.0)),
            (vec![10.0, 9.0, 8.0, 7.0, 6.0, 0.0], Some(0.0)),
            (vec![10.0, 10.0, 10.0, 10.0, 10.0, 8.0, 8.0, 8.0, 3.0, 3.0], Some(30.0)),
            (vec![], None),
        ] {
            assert_eq!(nps(&values), expected, "{values:?}");
        }
        assert_eq!(csat(&[5.0, 4.0, 3.0, 1.0]), Some(50.0));
        assert_eq!(csat(&[]), None);
        assert_eq!(top_box("rating", &[5.0, 4.0, 5.0, 1.0]), Some(50.0));
        assert_eq!(top_box("nps", &[9.0, 10.0, 8.0, 0.0]), Some(50.0));
        assert_eq!(top_box("yes_no", &[1.0, 0.0, 0.0, 0.0]), Some(25.0));
        assert_eq!(response_rate(30, 110, 10), Some(30.0));
        assert_eq!(response_rate(0, 5, 5), None);
    }

    #[test]
    fn answers_are_parsed_or_refused() {
        let mut mc = q("mc", "multiple_choice");
        mc.choices = vec![choice("a", Some(5.0)), choice("b", None)];
        let mut multi = mc.clone();
        multi.allow_multiple = true;
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        type Case<'a> = (&'a Question, Vec<String>, Result<Option<Answer>, AnswerError>);
        let cases: Vec<Case> = vec![
            (&mc, s(&["a"]), Ok(Some(Answer::Choices(vec!["a".into()])))),
            (&mc, s(&["z"]), Err(AnswerError::NotAChoice)),
            (&mc, s(&["a", "b"]), Err(AnswerError::OneChoice)),
            (&multi, s(&["a", "b", "a"]), Ok(Some(Answer::Choices(vec!["a".into(), "b".into()])))),
            (&mc, s(&["", " "]), Ok(None)),
        ];
        for (question, raw, expected) in cases {
            assert_eq!(parse_answer(question, &raw), expected, "{} {raw:?}", question.code);
        }
        for (t, raw, expected) in [
            ("rating", "5", Ok(Some(n(5.0)))),
            ("rating", "0", Err(AnswerError::OutOfRange)),
            ("rating", "6", Err(AnswerError::OutOfRange)),
            ("rating", "4.5", Err(AnswerError::OutOfRange)),
            ("rating", "five", Err(AnswerError::OutOfRange)),
            ("likert", "1", Ok(Some(n(1.0)))),
            ("nps", "0", Ok(Some(n(0.0)))),
            ("nps", "10", Ok(Some(n(10.0)))),
            ("nps", "11", Err(AnswerError::OutOfRange)),
            ("nps", "-1", Err(AnswerError::OutOfRange)),
            ("yes_no", "yes", Ok(Some(n(1.0)))),
            ("yes_no", "no", Ok(Some(n(0.0)))),
            ("yes_no", "maybe", Err(AnswerError::OutOfRange)),
            ("text", "  fine  ", Ok(Some(Answer::Text("fine".into())))),
            ("text", "STOP", Ok(None)),
            ("textarea", "إيقاف", Ok(None)),
        ] {
            assert_eq!(parse_answer(&q("x", t), &[raw.to_owned()]), expected, "{t} {raw}");
        }
        let long = "ا".repeat(MAX_TEXT + 1);
        assert_eq!(parse_answer(&q("x", "textarea"), &[long]), Err(AnswerError::TooLong));
        assert_eq!(parse_answer(&q("x", "textarea"), &["ا".repeat(MAX_TEXT)]).map(|a| a.is_some()), Ok(true));
    }

    #[test]
    fn submissions_keep_partial_answers_refuse_hidden_and_reveal_conditionals() {
        let d = mixed("average");
        let post = |pairs: &[(&str, &str)]| -> BTreeMap<String, Vec<String>> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()])).collect()
        };
        // Saving part of the page: nothing required yet.
        let saved = check_submission(&d, &BTreeMap::new(), &post(&[("overall", "4")]), false).unwrap();
        assert!(saved.errors.is_empty());
        assert_eq!(saved.answers.get("overall"), Some(&n(4.0)));
        // Finishing with required answers missing names each.
        let c = check_submission(&d, &saved.answers, &post(&[("staff", "3")]), true).unwrap();
        assert_eq!(c.errors.get("again"), Some(&AnswerError::Required));
        assert_eq!(c.errors.get("recommend"), Some(&AnswerError::Required));
        assert!(!c.errors.contains_key("why"), "optional");
        assert!(!c.errors.contains_key("clean"), "hidden until again=yes");
        // A yes reveals "clean", which the form did not show: not complete yet, and not an error.
        let c =
            check_submission(&d, &saved.answers, &post(&[("staff", "3"), ("again", "yes"), ("recommend", "9")]), true)
                .unwrap();
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(c.revealed, vec!["clean".to_owned()]);
        assert!(!c.complete());
        // Posting the revealed question too completes.
        let c = check_submission(&d, &c.answers, &post(&[("clean", "4")]), true).unwrap();
        assert!(c.complete(), "{c:?}");
        // Answering a hidden question is refused; an unknown code refuses the whole post.
        let c = check_submission(&d, &saved.answers, &post(&[("why", "rude")]), false).unwrap();
        assert_eq!(c.errors.get("why"), Some(&AnswerError::Hidden));
        assert_eq!(check_submission(&d, &saved.answers, &post(&[("nope", "1")]), false), Err(vec!["nope".to_owned()]));
        // Changing an answer so a question hides drops its saved answer.
        let low = check_submission(&d, &BTreeMap::new(), &post(&[("overall", "1"), ("why", "rude")]), false).unwrap();
        assert_eq!(low.answers.get("why"), Some(&Answer::Text("rude".into())));
        let high = check_submission(&d, &low.answers, &post(&[("overall", "5")]), false).unwrap();
        assert!(!high.answers.contains_key("why"));
        // The patient saw "why", then raised the score in the same post: dropped, not an error.
        let changed =
            check_submission(&d, &low.answers, &post(&[("overall", "5"), ("why", "still rude")]), false).unwrap();
        assert!(changed.errors.is_empty() && !changed.answers.contains_key("why"), "{changed:?}");
        // A blank posted answer clears the saved one.
        let cleared = check_submission(&d, &saved.answers, &post(&[("overall", "")]), false).unwrap();
        assert!(!cleared.answers.contains_key("overall"));
    }

    #[test]
    fn conditions_compare_numbers_choices_and_yes_no() {
        let mut target = q("t", "nps");
        let mut dep = q("d", "text");
        for (op, value, answer, shown) in [
            ("lte", "6", 6.0, true),
            ("lte", "6", 7.0, false),
            ("lt", "7", 6.0, true),
            ("gt", "8", 9.0, true),
            ("gte", "9", 8.0, false),
            ("eq", "10", 10.0, true),
            ("ne", "10", 10.0, false),
        ] {
            dep.show_if = Some(ShowIf { question_code: "t".into(), op: op.into(), value: value.into() });
            let d = def("nps", vec![target.clone(), dep.clone()]);
            assert_eq!(visible(&d, &answers(&[("t", n(answer))])), vec![true, shown], "{op} {value} {answer}");
            assert_eq!(visible(&d, &BTreeMap::new()), vec![true, false], "unanswered hides");
        }
        target = q("t", "multiple_choice");
        target.choices = vec![choice("x", None), choice("y", None)];
        target.allow_multiple = true;
        dep.show_if = Some(ShowIf { question_code: "t".into(), op: "eq".into(), value: "y".into() });
        let d = def("average", vec![target.clone(), dep.clone()]);
        assert_eq!(visible(&d, &answers(&[("t", Answer::Choices(vec!["x".into(), "y".into()]))])), vec![true, true]);
        assert_eq!(visible(&d, &answers(&[("t", Answer::Choices(vec!["x".into()]))])), vec![true, false]);
        // A chain: hiding the middle question hides the last.
        let mut mid = q("m", "yes_no");
        mid.show_if = Some(ShowIf { question_code: "t".into(), op: "eq".into(), value: "y".into() });
        let mut last = q("l", "text");
        last.show_if = Some(ShowIf { question_code: "m".into(), op: "eq".into(), value: "yes".into() });
        let d = def("average", vec![target, mid, last]);
        let a = answers(&[("t", Answer::Choices(vec!["x".into()])), ("m", n(1.0))]);
        assert_eq!(visible(&d, &a), vec![true, false, false]);
    }

    #[test]
    fn definitions_are_validated() {
        let ok = mixed("average");
        assert!(validate_definition(&ok).is_empty(), "{:?}", validate_definition(&ok).0);
        let mut bad = ok.clone();
        bad.questions[1].code = "overall".into();
        bad.questions[0].text_ar = " ".into();
        bad.questions[2].show_if =
            Some(ShowIf { question_code: "recommend".into(), op: "eq".into(), value: "1".into() });
        bad.questions[3].choices[1].value = "short".into();
        bad.questions[4].weight = 0.0;
        let e = validate_definition(&bad);
        for field in [
            "questions[1].code",
            "questions[0].text_ar",
            "questions[2].show_if",
            "questions[3].choices",
            "questions[4].weight",
        ] {
            assert!(e.get(field).is_some(), "{field}: {:?}", e.0);
        }
        let mut cond = ok.clone();
        cond.questions[5].show_if =
            Some(ShowIf { question_code: "again".into(), op: "gt".into(), value: "yes".into() });
        assert!(validate_definition(&cond).get("questions[5].show_if").is_some());
        cond.questions[5].show_if =
            Some(ShowIf { question_code: "overall".into(), op: "gt".into(), value: "9".into() });
        assert!(validate_definition(&cond).get("questions[5].show_if").is_some(), "out of the rating's range");
        let text_only = def("average", vec![q("c", "text")]);
        assert!(validate_definition(&text_only).get("scoring_method").is_some());
        let nps_without = def("nps", vec![q("c", "rating")]);
        assert!(validate_definition(&nps_without).get("scoring_method").is_some());
        assert!(validate_definition(&def("average", vec![])).get("questions").is_some());
    }

    #[test]
    fn expiry_reminders_and_abandonment_on_a_fake_clock() {
        let sent = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let expires = expires_at(sent, 7);
        assert_eq!(expires, Utc.with_ymd_and_hms(2026, 3, 8, 9, 0, 0).unwrap());
        let h = |x: i64| sent + Duration::hours(x);
        // First at +48 h, the second 48 h after the first, none after the maximum.
        assert_eq!(next_reminder_at(sent, 0, None, 48, 2, expires), Some(h(48)));
        assert_eq!(next_reminder_at(sent, 1, Some(h(50)), 48, 2, expires), Some(h(98)));
        assert_eq!(next_reminder_at(sent, 2, Some(h(98)), 48, 2, expires), None);
        assert_eq!(next_reminder_at(sent, 0, None, 48, 0, expires), None, "reminders off");
        // Never after the link expired.
        assert_eq!(next_reminder_at(sent, 0, None, 48, 2, expires_at(sent, 2)), None);
        assert_eq!(next_reminder_at(sent, 1, Some(h(48)), 120, 3, expires), None, "due exactly at expiry");
        assert!(!is_abandoned(h(0), h(23)));
        assert!(is_abandoned(h(0), h(24)));
        assert_eq!(expires_at(sent, 0), sent + Duration::days(1), "at least a day");
    }

    #[test]
    fn channels_fall_back_to_sms_then_email_and_whatsapp_needs_the_patients_choice() {
        assert_eq!(channel_order("whatsapp"), vec!["whatsapp", "sms", "email"]);
        assert_eq!(channel_order("sms"), vec!["sms", "email"]);
        assert_eq!(channel_order("email"), vec!["email", "sms"]);
        assert_eq!(channel_order(""), vec!["sms", "email"]);
    }

    #[test]
    fn progress_counts_shown_questions() {
        let d = mixed("average");
        assert_eq!(progress(&d, &BTreeMap::new()), 0);
        // 5 shown (overall, staff, wait, again, recommend); 2 answered.
        assert_eq!(progress(&d, &answers(&[("overall", n(4.0)), ("staff", n(4.0))])), 40);
    }
}
