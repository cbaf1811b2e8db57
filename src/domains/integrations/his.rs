//! The HIS patient-data feed of the Django original (spec §4): each record of
//! `FetchPatientDataTimeStampList` independently updates the patient's demographics (only the
//! fields present) and becomes one or two events, the event codes coming from the hospital's
//! `his_type_map` (`type_map.rs`). Every request leaves a PII-free row in `his_request_logs`.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use sea_orm::sea_query::{ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::api::EventPoster;
use super::events::{self, EventInput, Ingested, Poster};
use super::model::his_request_log;
use super::type_map::{self, TypeMap};
use crate::app::AppState;
use crate::domains::organizations::model::patient;
use crate::domains::organizations::rules::parse_phone;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::ApiJson;
use crate::http::openapi::ErrorBody;

/// Records a request may carry.
pub const MAX_RECORDS: usize = 1000;

/// The record fields the feed reads; each must be a string or a number when present.
const KNOWN_FIELDS: &[&str] = &[
    "Type",
    "PatientID",
    "AdmissionID",
    "HospitalID",
    "HospitalName",
    "AdmitDate",
    "DischargeDate",
    "SSN",
    "PatientName",
    "MobileNo",
    "Gender",
    "FullAge",
    "PatientNationality",
    "DOB",
    "ConsultantID",
    "PrimaryDoctor",
];

#[derive(Debug, Deserialize, ToSchema)]
pub struct HisInput {
    /// Records with Type, PatientID, AdmissionID, HospitalID, HospitalName, AdmitDate,
    /// DischargeDate, SSN, PatientName, MobileNo, Gender, FullAge, PatientNationality, DOB,
    /// ConsultantID, PrimaryDoctor. Dates like `05-Jun-2025 11:06` (Riyadh time).
    #[serde(rename = "FetchPatientDataTimeStampList")]
    #[schema(value_type = Vec<Object>)]
    pub list: Option<Vec<Value>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HisRecordResult {
    pub index: usize,
    pub admission_id: Option<String>,
    /// The ids of the events of this record (new or earlier ones for a re-send).
    pub events: Vec<Uuid>,
    /// Field name → messages; a record with errors changed nothing.
    pub errors: BTreeMap<String, Vec<String>>,
    pub warning: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HisResponse {
    pub received: usize,
    pub accepted: usize,
    /// The id of this request's row in the HIS request log.
    pub log_id: Option<Uuid>,
    pub results: Vec<HisRecordResult>,
}

/// A field as text: strings trimmed, numbers written out; blank → None.
fn field(record: &Map<String, Value>, name: &str) -> Option<String> {
    match record.get(name)? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_naive(raw: &str) -> Option<NaiveDateTime> {
    ["%d-%b-%Y %H:%M", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y"].iter().find_map(|f| {
        NaiveDateTime::parse_from_str(raw, f)
            .ok()
            .or_else(|| NaiveDate::parse_from_str(raw, f).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
    })
}

/// `05-Jun-2025 11:06` (Riyadh, UTC+3) → RFC 3339.
pub fn parse_his_date(raw: &str) -> Option<String> {
    let naive = parse_naive(raw)?;
    let riyadh = FixedOffset::east_opt(3 * 3600)?;
    Some(riyadh.from_local_datetime(&naive).single()?.to_rfc3339())
}

/// `M`/`Male`/`ذكر` → male, `F`/`Female`/`أنثى` → female; anything else is not used.
fn gender(raw: &str) -> Option<&'static str> {
    match raw.trim().to_lowercase().as_str() {
        "m" | "male" | "ذكر" => Some("male"),
        "f" | "female" | "أنثى" | "انثى" => Some("female"),
        _ => None,
    }
}

fn is_arabic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// The demographics of a record, only the fields present (validated).
#[derive(Debug, Default)]
struct Demographics {
    name: Option<(String, String)>,
    arabic_name: bool,
    national_id: Option<String>,
    phone: Option<String>,
    gender: Option<&'static str>,
    date_of_birth: Option<NaiveDate>,
    nationality: Option<String>,
}

fn demographics(record: &Map<String, Value>, errors: &mut FieldErrors) -> Demographics {
    let mut d = Demographics::default();
    if let Some(name) = field(record, "PatientName") {
        if name.chars().count() > 200 {
            errors.add("PatientName", "Ensure this field has no more than 200 characters.");
        } else {
            let mut parts = name.split_whitespace();
            let first: String = parts.next().unwrap_or_default().chars().take(100).collect();
            let last: String = parts.collect::<Vec<_>>().join(" ").chars().take(100).collect();
            d.arabic_name = is_arabic(&name);
            d.name = Some((first, last));
        }
    }
    if let Some(ssn) = field(record, "SSN") {
        let v = crate::domains::organizations::rules::national_id(errors, "SSN", Some(&ssn));
        d.national_id = Some(v).filter(|v| !v.is_empty());
    }
    if let Some(mobile) = field(record, "MobileNo") {
        match parse_phone(&mobile) {
            Ok(p) if !p.is_empty() => d.phone = Some(p),
            Ok(_) => {}
            Err(message) => errors.add("MobileNo", message),
        }
    }
    d.gender = field(record, "Gender").and_then(|g| gender(&g));
    if let Some(raw) = field(record, "DOB") {
        match parse_naive(&raw).map(|t| t.date()) {
            Some(day) if day > chrono::Utc::now().date_naive() => {
                errors.add("DOB", "The date of birth cannot be in the future.")
            }
            Some(day) => d.date_of_birth = Some(day),
            None => errors.add("DOB", "Use a date like 05-Jun-1985."),
        }
    }
    if let Some(n) = field(record, "PatientNationality") {
        if n.chars().count() > 100 {
            errors.add("PatientNationality", "Ensure this field has no more than 100 characters.");
        } else {
            d.nationality = Some(n);
        }
    }
    d
}

/// Gets or creates the patient (hospital, MRN) and sets the demographics the record carries.
async fn upsert_patient(state: &AppState, hospital_id: Uuid, mrn: &str, d: &Demographics) -> AppResult<()> {
    use patient::Column as C;
    let at = now();
    let mut row = patient::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(hospital_id),
        mrn: Set(mrn.to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let mut update = vec![C::UpdatedAt];
    if let Some((first, last)) = &d.name {
        if d.arabic_name {
            row.first_name_ar = Set(first.clone());
            row.last_name_ar = Set(last.clone());
            update.extend([C::FirstNameAr, C::LastNameAr]);
        } else {
            row.first_name_en = Set(first.clone());
            row.last_name_en = Set(last.clone());
            update.extend([C::FirstNameEn, C::LastNameEn]);
        }
    }
    if let Some(v) = &d.national_id {
        row.national_id = Set(v.clone());
        update.push(C::NationalId);
    }
    if let Some(v) = &d.phone {
        row.phone = Set(v.clone());
        update.push(C::Phone);
    }
    if let Some(v) = d.gender {
        row.gender = Set(v.to_owned());
        update.push(C::Gender);
    }
    if let Some(v) = d.date_of_birth {
        row.date_of_birth = Set(Some(v));
        update.push(C::DateOfBirth);
    }
    if let Some(v) = &d.nationality {
        row.nationality = Set(v.clone());
        update.push(C::Nationality);
    }
    patient::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::HospitalId, C::Mrn])
                .target_and_where(sea_orm::sea_query::Expr::col(C::DeletedAt).is_null())
                .update_columns(update)
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    Ok(())
}

/// What a feed request shares across its records: the poster, the hospitals and maps looked up.
struct Feed<'a> {
    state: &'a AppState,
    poster: &'a Poster,
    /// The poster's own hospital (an API key's, a hospital user's, a PX admin's selected one).
    poster_hospital: Option<Uuid>,
    hospitals: HashMap<String, Option<Uuid>>,
    maps: HashMap<Uuid, TypeMap>,
    events_created: usize,
}

impl Feed<'_> {
    /// The hospital of `HospitalID` (its code or HIS code) when the poster has none of its own.
    async fn hospital(&mut self, his_id: Option<&str>) -> AppResult<Option<Uuid>> {
        if self.poster_hospital.is_some() {
            return Ok(self.poster_hospital);
        }
        let Some(code) = his_id else { return Ok(None) };
        if let Some(found) = self.hospitals.get(code) {
            return Ok(*found);
        }
        let found = crate::domains::organizations::service::hospital_by_code(&self.state.db, code).await?.map(|h| h.id);
        self.hospitals.insert(code.to_owned(), found);
        Ok(found)
    }

    async fn type_map(&mut self, hospital_id: Uuid) -> AppResult<&TypeMap> {
        if !self.maps.contains_key(&hospital_id) {
            let map = type_map::load(&self.state.db, hospital_id).await?;
            self.maps.insert(hospital_id, map);
        }
        Ok(&self.maps[&hospital_id])
    }

    async fn one(&mut self, index: usize, record: &Value) -> AppResult<(HisRecordResult, Option<Uuid>)> {
        let mut result =
            HisRecordResult { index, admission_id: None, events: vec![], errors: BTreeMap::new(), warning: None };
        let Some(record) = record.as_object() else {
            result.errors.insert("non_field_errors".into(), vec!["Each record must be a JSON object.".into()]);
            return Ok((result, None));
        };
        let mut errors = FieldErrors::new();
        for name in KNOWN_FIELDS {
            if let Some(v) = record.get(*name)
                && !matches!(v, Value::String(_) | Value::Number(_) | Value::Null)
            {
                errors.add(name, "Must be a string or a number.");
            }
        }
        let patient = field(record, "PatientID");
        let admission = field(record, "AdmissionID");
        let his_hospital = field(record, "HospitalID");
        for (name, value, max) in [("PatientID", &patient, 50), ("AdmissionID", &admission, 100)] {
            match value {
                None if !errors.0.contains_key(name) => errors.add(name, "This field is required."),
                None => {}
                Some(v) if v.chars().count() > max => {
                    errors.add(name, format!("Ensure this field has no more than {max} characters."))
                }
                Some(_) => {}
            }
        }
        result.admission_id = admission.clone();
        let date = |name: &str, errors: &mut FieldErrors| match field(record, name) {
            None => None,
            Some(raw) => {
                let parsed = parse_his_date(&raw);
                if parsed.is_none() {
                    errors.add(name, "Use a date like 05-Jun-2025 11:06.");
                }
                parsed
            }
        };
        let admitted = date("AdmitDate", &mut errors);
        let discharged = date("DischargeDate", &mut errors);
        let demographics = demographics(record, &mut errors);
        let hospital_id = self.hospital(his_hospital.as_deref()).await?;
        if hospital_id.is_none() && !errors.0.contains_key("HospitalID") {
            match &his_hospital {
                None => errors.add("HospitalID", "This field is required."),
                Some(_) => errors.add("HospitalID", "Unknown hospital: no hospital has this code or HIS code."),
            }
        }
        let kind = field(record, "Type").unwrap_or_default();
        let mapping = match hospital_id {
            Some(h) => {
                let (entry, unknown) = self.type_map(h).await?.entry(&kind);
                if unknown {
                    result.warning = Some(format!(
                        "Unknown Type \"{kind}\": treated as {} ({}).",
                        entry.journey_type, entry.event_code
                    ));
                }
                Some(entry)
            }
            None => None,
        };
        result.errors = errors.0;
        let (Some(hospital_id), Some(entry)) = (hospital_id, mapping) else { return Ok((result, None)) };
        if !result.errors.is_empty() {
            return Ok((result, Some(hospital_id)));
        }
        let (patient, admission) = (patient.unwrap_or_default(), admission.unwrap_or_default());
        upsert_patient(self.state, hospital_id, &patient, &demographics).await?;

        let mut codes = vec![(entry.event_code.clone(), admitted.clone())];
        if let Some(code) = entry.discharge_event_code.clone().filter(|_| discharged.is_some()) {
            codes.push((code, discharged.clone()));
        } else if discharged.is_some() {
            codes[0].1 = discharged.clone();
        }
        let hospital_code = his_hospital.unwrap_or_default();
        for (code, timestamp) in codes {
            let mut payload = json!({"journey_type": entry.journey_type});
            if !hospital_code.is_empty() {
                payload["hospital_code"] = json!(hospital_code);
            }
            if let Some(license) = field(record, "ConsultantID") {
                payload["physician_license"] = json!(license);
            }
            if let Some(t) = timestamp.or(admitted.clone()) {
                payload["timestamp"] = json!(t);
            }
            if let Some(p) = &demographics.phone {
                payload["custom_fields"] = json!({"patient_phone": p});
            }
            let input = EventInput {
                source_system: Some("his".into()),
                event_code: Some(code.clone()),
                encounter_id: Some(admission.clone()),
                patient_identifier: Some(patient.clone()),
                event_id: Some(format!("{hospital_code}:{admission}:{code}")),
                payload_json: Some(payload),
            };
            match events::ingest(self.state, self.poster, input, None).await {
                Ok(Ingested::New(row)) => {
                    self.events_created += 1;
                    result.events.push(row.id);
                }
                Ok(Ingested::Replay(row)) => result.events.push(row.id),
                Err(AppError::Validation(errors)) => {
                    for (f, messages) in errors.0 {
                        result.errors.entry(f).or_default().extend(messages);
                    }
                }
                Err(AppError::Unprocessable(_, message)) => {
                    result.errors.entry("event_id".into()).or_default().push(message);
                }
                Err(e) => return Err(e),
            }
        }
        Ok((result, Some(hospital_id)))
    }
}

/// A message fit for the log: quoted values and long digit runs (phones, national ids) removed.
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    let mut digits = String::new();
    for c in message.chars() {
        if c == '"' {
            quoted = !quoted;
            if quoted {
                out.push_str("\"…\"");
            }
            continue;
        }
        if quoted {
            continue;
        }
        if c.is_ascii_digit() || c == '+' {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            out.push_str(if digits.len() >= 7 { "…" } else { &digits });
            digits.clear();
        }
        out.push(c);
    }
    if !digits.is_empty() {
        out.push_str(if digits.len() >= 7 { "…" } else { &digits });
    }
    out
}

/// Runs a list of records through the feed and writes the request's log row.
pub async fn run(state: &AppState, poster: &Poster, list: &[Value], origin: &str) -> AppResult<HisResponse> {
    let started = std::time::Instant::now();
    let (poster_hospital, api_key_id, received_by) = match poster {
        Poster::Key { key_id, hospital_id, .. } => (Some(*hospital_id), Some(*key_id), None),
        Poster::User(actor) => (
            if actor.role == crate::auth::Role::PxAdmin { actor.selected_hospital } else { actor.hospital_id },
            None,
            actor.user_id,
        ),
    };
    let mut feed =
        Feed { state, poster, poster_hospital, hospitals: HashMap::new(), maps: HashMap::new(), events_created: 0 };
    let mut results = Vec::with_capacity(list.len());
    let mut hospitals_seen: Vec<Uuid> = Vec::new();
    for (index, record) in list.iter().enumerate() {
        let (result, hospital) = feed.one(index, record).await?;
        if let Some(h) = hospital
            && !hospitals_seen.contains(&h)
        {
            hospitals_seen.push(h);
        }
        results.push(result);
    }
    let accepted = results.iter().filter(|r| r.errors.is_empty()).count();
    let logged: Vec<Value> = results
        .iter()
        .filter(|r| !r.errors.is_empty() || r.warning.is_some())
        .map(|r| {
            let mut fields: BTreeMap<&str, Vec<String>> =
                r.errors.iter().map(|(f, m)| (f.as_str(), m.iter().map(|m| redact(m)).collect())).collect();
            if r.warning.is_some() {
                fields.entry("Type").or_default().push("Unknown Type: the hospital's default mapping was used.".into());
            }
            json!({"index": r.index, "accepted": r.errors.is_empty(), "fields": fields})
        })
        .collect();
    let log_hospital = poster_hospital.or(if hospitals_seen.len() == 1 { Some(hospitals_seen[0]) } else { None });
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let row = his_request_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        hospital_id: Set(log_hospital),
        origin: Set(origin.to_owned()),
        api_key_id: Set(api_key_id),
        received_by: Set(received_by),
        received_at: Set(now()),
        records_total: Set(count(list.len())),
        records_accepted: Set(count(accepted)),
        records_failed: Set(count(list.len() - accepted)),
        events_created: Set(count(feed.events_created)),
        duration_ms: Set(i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX)),
        errors: Set(Value::Array(logged)),
    };
    // The records are processed: a failed log write is reported, not turned into an error.
    let log_id = match row.insert(&state.db).await {
        Ok(saved) => Some(saved.id),
        Err(e) => {
            tracing::error!(target: "px360::integrations", error = %e, "HIS request log not written");
            None
        }
    };
    tracing::info!(target: "px360::integrations", received = list.len(), accepted, events = feed.events_created,
        origin, "HIS patient data");
    Ok(HisResponse { received: list.len(), accepted, log_id, results })
}

/// Refuses posters that may not use the feed: users without the permission, keys without `his`.
pub async fn check_poster(state: &AppState, poster: &Poster) -> AppResult<()> {
    match poster {
        Poster::User(actor) => actor.require(state, crate::auth::Permission::PostEvents).await,
        Poster::Key { source_systems, .. } if !source_systems.iter().any(|s| s == "his") => {
            Err(AppError::Forbidden("This API key may not post events for source system \"his\".".into()))
        }
        Poster::Key { .. } => Ok(()),
    }
}

/// The HIS patient-data feed. Each record independently updates the patient (name, SSN, phone,
/// gender, date of birth, nationality — the fields present) and becomes the events of its `Type`
/// in the hospital's Type map (defaults: `IP_ADMITTED`, and `IP_DISCHARGED` once discharged, for
/// 1; `OPD_VISIT_COMPLETED` for 2/O and unknown types; `EMS_DISCHARGED` for 3/E; `DC_DISCHARGED`
/// for 4). A record with errors changes nothing; re-sending a record creates nothing new. When no
/// record is accepted the answer is a 400 naming each bad field as
/// `FetchPatientDataTimeStampList[<index>].<Field>`; otherwise 200 with a result per record.
#[utoipa::path(post, path = "/api/integrations/his/patient-data/", tag = "Integrations", request_body = HisInput,
    responses((status = 200, body = HisResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn patient_data(
    State(state): State<AppState>,
    EventPoster(poster): EventPoster,
    ApiJson(input): ApiJson<HisInput>,
) -> AppResult<Json<HisResponse>> {
    check_poster(&state, &poster).await?;
    let Some(list) = input.list else {
        return Err(crate::error::invalid("FetchPatientDataTimeStampList", "This field is required."));
    };
    if list.len() > MAX_RECORDS {
        return Err(crate::error::invalid(
            "FetchPatientDataTimeStampList",
            format!("Send at most {MAX_RECORDS} records a request."),
        ));
    }
    let response = run(&state, &poster, &list, "feed").await?;
    if response.accepted == 0 && response.received > 0 {
        // Nothing was accepted: a 400 naming every bad field (`FetchPatientDataTimeStampList[i].Field`).
        let mut errors = FieldErrors::new();
        for r in &response.results {
            for (field, messages) in &r.errors {
                for m in messages {
                    errors.add(&format!("FetchPatientDataTimeStampList[{}].{field}", r.index), m.clone());
                }
            }
        }
        return Err(AppError::Validation(errors));
    }
    Ok(Json(response))
}
