//! The dev-only HIS simulator (`POST /api/simulator/his-patient-data/`): generates synthetic
//! records — Saudi-looking invented names, `05000…` phones and `10000…` national ids, never real
//! data — and runs them through the same feed code as `/api/integrations/his/patient-data/`.
//! Served only with `PX360_HIS_SIMULATOR=true` (on in `px360 demo`); a 404 otherwise.

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rand::Rng;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::api::EventPoster;
use super::events::Poster;
use super::his::{self, HisResponse};
use crate::app::AppState;
use crate::domains::organizations::model::hospital;
use crate::error::{AppError, FieldErrors};

const MALE: &[&str] = &["Mohammed", "Abdullah", "Fahad", "Khalid", "Saud", "Turki", "Faisal", "Nasser"];
const FEMALE: &[&str] = &["Noura", "Sara", "Reem", "Hessa", "Lama", "Maha", "Dana", "Abeer"];
const MALE_AR: &[&str] = &["محمد", "عبدالله", "فهد", "خالد"];
const FEMALE_AR: &[&str] = &["نورة", "سارة", "ريم", "لمى"];
const FAMILY: &[&str] = &["Al-Qahtani", "Al-Otaibi", "Al-Ghamdi", "Al-Harbi", "Al-Zahrani", "Al-Dosari", "Al-Shehri"];
const FAMILY_AR: &[&str] = &["القحطاني", "العتيبي", "الغامدي", "الحربي"];
const NATIONALITIES: &[&str] = &["Saudi", "Saudi", "Saudi", "Egyptian", "Jordanian", "Indian", "Filipino"];
const TYPES: &[&str] = &["1", "2", "O", "3", "E", "4"];
/// Records one simulator call may generate.
pub const MAX_COUNT: i64 = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatorInput {
    /// Records to generate (1–500, default 10).
    pub count: Option<i64>,
    /// PX admins without a selected hospital: the hospital (else the poster's own).
    pub hospital_id: Option<Uuid>,
    /// Types to pick from (default 1, 2, O, 3, E, 4).
    pub types: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimulatorResponse {
    /// The synthetic records sent through the feed.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Value>,
    #[serde(flatten)]
    pub result: HisResponse,
}

fn pick<'a>(rng: &mut impl Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// One synthetic record of hospital `code` (HIS dates in Riyadh time).
pub fn record(rng: &mut impl Rng, code: &str, kind: &str) -> Value {
    let female = rng.random_bool(0.5);
    let name = if rng.random_bool(0.3) {
        format!("{} {}", pick(rng, if female { FEMALE_AR } else { MALE_AR }), pick(rng, FAMILY_AR))
    } else {
        format!("{} {}", pick(rng, if female { FEMALE } else { MALE }), pick(rng, FAMILY))
    };
    // Riyadh wall-clock time (UTC+3, no daylight saving), as the HIS writes it.
    let now = (Utc::now() + chrono::Duration::hours(3)).naive_utc();
    let admitted = now - chrono::Duration::hours(rng.random_range(1..72));
    let discharged =
        (kind != "1" || rng.random_bool(0.5)).then(|| admitted + chrono::Duration::hours(rng.random_range(0..24)));
    let born = now.date() - chrono::Duration::days(rng.random_range(365..365 * 90));
    let tag: u32 = rng.random_range(0..100_000_000);
    json!({
        "Type": kind,
        "PatientID": format!("SIM-{:08}", rng.random_range(0..100_000_000u32)),
        "AdmissionID": format!("SIM-ADM-{tag:08}"),
        "HospitalID": code,
        "HospitalName": "Simulated",
        "AdmitDate": admitted.format("%d-%b-%Y %H:%M").to_string(),
        "DischargeDate": discharged.map(|d| d.format("%d-%b-%Y %H:%M").to_string()).unwrap_or_default(),
        "SSN": format!("10000{:05}", rng.random_range(0..100_000u32)),
        "PatientName": name,
        "MobileNo": format!("0500000{:03}", rng.random_range(0..1000u32)),
        "Gender": if female { "F" } else { "M" },
        "FullAge": ((now.date() - born).num_days() / 365).to_string(),
        "PatientNationality": pick(rng, NATIONALITIES),
        "DOB": born.format("%d-%b-%Y").to_string(),
        "ConsultantID": format!("PHY{:03}", rng.random_range(1..=20)),
        "PrimaryDoctor": "Dr. Simulated",
    })
}

/// Generates `count` synthetic HIS records and feeds them through the HIS feed (dev only; not in
/// the OpenAPI document).
pub async fn simulate(State(state): State<AppState>, request: Request) -> Response {
    if !state.config.his_simulator {
        return AppError::NotFound("resource").into_response();
    }
    let (mut parts, body) = request.into_parts();
    let poster = match EventPoster::from_request_parts(&mut parts, &state).await {
        Ok(EventPoster(p)) => p,
        Err(response) => return response,
    };
    let request = Request::from_parts(parts, body);
    match run(&state, &poster, request).await {
        Ok(response) => Json(response).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, poster: &Poster, request: Request) -> Result<SimulatorResponse, AppError> {
    his::check_poster(state, poster).await?;
    let crate::http::ApiJson(input) =
        <crate::http::ApiJson<SimulatorInput> as axum::extract::FromRequest<AppState>>::from_request(request, state)
            .await?;
    let mut errors = FieldErrors::new();
    let count = input.count.unwrap_or(10);
    if !(1..=MAX_COUNT).contains(&count) {
        errors.add("count", format!("Enter a whole number from 1 to {MAX_COUNT}."));
    }
    let types: Vec<String> = input.types.unwrap_or_else(|| TYPES.iter().map(|t| (*t).to_owned()).collect());
    if types.is_empty() || types.iter().any(|t| t.trim().is_empty() || t.chars().count() > 10) {
        errors.add("types", "Give one or more Types of 1 to 10 characters.");
    }
    let own = match poster {
        Poster::Key { hospital_id, .. } => Some(*hospital_id),
        Poster::User(actor) if actor.role == crate::auth::Role::PxAdmin => {
            input.hospital_id.or(actor.selected_hospital)
        }
        Poster::User(actor) => actor.hospital_id,
    };
    let found = match own {
        None => {
            errors.add("hospital_id", "This field is required.");
            None
        }
        Some(id) => {
            let h =
                hospital::Entity::find_by_id(id).filter(hospital::Column::DeletedAt.is_null()).one(&state.db).await?;
            if h.is_none() {
                errors.add("hospital_id", "Invalid pk - object does not exist.");
            }
            h
        }
    };
    errors.into_result()?;
    let Some(found) = found else { return Err(crate::error::invalid("hospital_id", "This field is required.")) };
    let records: Vec<Value> = {
        let mut rng = rand::rng();
        (0..count)
            .map(|_| {
                let kind = types[rng.random_range(0..types.len())].trim().to_owned();
                record(&mut rng, &found.code, &kind)
            })
            .collect()
    };
    // A PX admin simulates as if working in the chosen hospital, so the events land there.
    let poster = match poster {
        Poster::User(actor) if actor.role == crate::auth::Role::PxAdmin => {
            let mut actor = actor.clone();
            actor.selected_hospital = Some(found.id);
            Poster::User(actor)
        }
        other => other.clone(),
    };
    let result = his::run(state, &poster, &records, "simulator").await?;
    Ok(SimulatorResponse { records, result })
}
