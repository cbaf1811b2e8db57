//! The HIS patient-data feed of the Django original (spec §4): each record of
//! `FetchPatientDataTimeStampList` becomes one or two events, independently of the others.
//!
//! Note: updating the patient's name, national id (SSN), gender and date of birth from the
//! record is out of scope here; the pipeline creates the patient from the MRN and phone only.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{FixedOffset, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::api::EventPoster;
use super::events::{self, EventInput, Ingested, Poster};
use crate::app::AppState;
use crate::domains::organizations::rules::parse_phone;
use crate::error::{AppError, AppResult};
use crate::http::ApiJson;
use crate::http::openapi::ErrorBody;

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
    /// Field name → messages; a record with errors stored no event.
    pub errors: BTreeMap<String, Vec<String>>,
    pub warning: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HisResponse {
    pub received: usize,
    pub accepted: usize,
    pub results: Vec<HisRecordResult>,
}

/// A field as text: strings trimmed, numbers written out; blank → None.
fn field(record: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    match record.get(name)? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `05-Jun-2025 11:06` (Riyadh, UTC+3) → RFC 3339.
pub fn parse_his_date(raw: &str) -> Option<String> {
    let naive = ["%d-%b-%Y %H:%M", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y"].iter().find_map(|f| {
        NaiveDateTime::parse_from_str(raw, f)
            .ok()
            .or_else(|| chrono::NaiveDate::parse_from_str(raw, f).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
    })?;
    let riyadh = FixedOffset::east_opt(3 * 3600)?;
    Some(riyadh.from_local_datetime(&naive).single()?.to_rfc3339())
}

/// The event codes of a record's `Type` (and whether it was unknown).
fn codes(kind: &str, discharged: bool) -> (Vec<&'static str>, bool) {
    match kind.to_uppercase().as_str() {
        "1" if discharged => (vec!["IP_ADMITTED", "IP_DISCHARGED"], false),
        "1" => (vec!["IP_ADMITTED"], false),
        "2" | "O" => (vec!["OPD_VISIT_COMPLETED"], false),
        "3" | "E" => (vec!["EMS_DISCHARGED"], false),
        "4" => (vec!["DC_DISCHARGED"], false),
        _ => (vec!["OPD_VISIT_COMPLETED"], true),
    }
}

async fn one(state: &AppState, poster: &Poster, index: usize, record: &Value) -> AppResult<HisRecordResult> {
    let mut result =
        HisRecordResult { index, admission_id: None, events: vec![], errors: BTreeMap::new(), warning: None };
    let mut error = |field: &str, message: &str| {
        result.errors.entry(field.to_owned()).or_default().push(message.to_owned());
    };
    let Some(record) = record.as_object() else {
        error("non_field_errors", "Each record must be a JSON object.");
        return Ok(result);
    };
    let patient = field(record, "PatientID");
    let admission = field(record, "AdmissionID");
    let hospital = field(record, "HospitalID").unwrap_or_default();
    for (name, value) in [("PatientID", &patient), ("AdmissionID", &admission)] {
        match value {
            None => error(name, "This field is required."),
            Some(v) if v.chars().count() > 100 => error(name, "Ensure this field has no more than 100 characters."),
            Some(_) => {}
        }
    }
    let mut date = |name: &str| match field(record, name) {
        None => None,
        Some(raw) => {
            let parsed = parse_his_date(&raw);
            if parsed.is_none() {
                error(name, "Use a date like 05-Jun-2025 11:06.");
            }
            parsed
        }
    };
    let admitted = date("AdmitDate");
    let discharged = date("DischargeDate");
    let discharge_sent = field(record, "DischargeDate").is_some();
    let kind = field(record, "Type").unwrap_or_default();
    let (codes, unknown) = codes(&kind, discharge_sent);
    result.admission_id = admission.clone();
    if unknown {
        result.warning = Some(format!("Unknown Type \"{kind}\": treated as an OPD visit."));
    }
    if !result.errors.is_empty() {
        return Ok(result);
    }
    let (patient, admission) = (patient.unwrap_or_default(), admission.unwrap_or_default());
    let phone = field(record, "MobileNo").and_then(|m| parse_phone(&m).ok());
    for code in codes {
        let timestamp = if code == "IP_ADMITTED" { admitted.clone() } else { discharged.clone().or(admitted.clone()) };
        let mut payload = json!({});
        if !hospital.is_empty() {
            payload["hospital_code"] = json!(hospital);
        }
        if let Some(license) = field(record, "ConsultantID") {
            payload["physician_license"] = json!(license);
        }
        if let Some(t) = timestamp {
            payload["timestamp"] = json!(t);
        }
        if let Some(p) = &phone {
            payload["custom_fields"] = json!({"patient_phone": p});
        }
        let input = EventInput {
            source_system: Some("his".into()),
            event_code: Some(code.into()),
            encounter_id: Some(admission.clone()),
            patient_identifier: Some(patient.clone()),
            event_id: Some(format!("{hospital}:{admission}:{code}")),
            payload_json: Some(payload),
        };
        match events::ingest(state, poster, input, None).await {
            Ok(Ingested::New(row) | Ingested::Replay(row)) => result.events.push(row.id),
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
    Ok(result)
}

/// The HIS patient-data feed: each record independently becomes events (`IP_ADMITTED`, and
/// `IP_DISCHARGED` once discharged, for Type 1; `OPD_VISIT_COMPLETED` for 2/O and unknown types;
/// `EMS_DISCHARGED` for 3/E; `DC_DISCHARGED` for 4). Re-sending a record creates nothing new.
#[utoipa::path(post, path = "/api/integrations/his/patient-data/", tag = "Integrations", request_body = HisInput,
    responses((status = 200, body = HisResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn patient_data(
    State(state): State<AppState>,
    EventPoster(poster): EventPoster,
    ApiJson(input): ApiJson<HisInput>,
) -> AppResult<Json<HisResponse>> {
    if let Poster::User(actor) = &poster {
        actor.require(&state, crate::auth::Permission::PostEvents).await?;
    }
    let Some(list) = input.list else {
        return Err(crate::error::invalid("FetchPatientDataTimeStampList", "This field is required."));
    };
    let mut results = Vec::with_capacity(list.len());
    for (index, record) in list.iter().enumerate() {
        results.push(one(&state, &poster, index, record).await?);
    }
    let accepted = results.iter().filter(|r| r.errors.is_empty()).count();
    let events: usize = results.iter().map(|r| r.events.len()).sum();
    tracing::info!(target: "px360::integrations", received = list.len(), accepted, events, "HIS patient data");
    Ok(Json(HisResponse { received: list.len(), accepted, results }))
}
