//! The per-hospital HIS Type map: a record's `Type` → journey type and event codes. A hospital
//! without a map of its own uses the spec's defaults; `OTHER` is the entry of unknown types.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::his_type_map;
use crate::app::AppState;
use crate::auth::{Actor, ApiActor, Permission};
use crate::domains::audit::service::{Entry, record};
use crate::domains::journeys::templates::JOURNEY_TYPES;
use crate::domains::organizations::model::hospital;
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, invalid};
use crate::http::ApiJson;
use crate::http::openapi::ErrorBody;

/// The entry used for a Type the map does not list.
pub const OTHER: &str = "OTHER";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TypeEntry {
    /// ems, inpatient, opd or day_case.
    pub journey_type: String,
    /// The event every record of this Type becomes (e.g. `IP_ADMITTED`).
    pub event_code: String,
    /// A second event once the record has a DischargeDate (e.g. `IP_DISCHARGED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discharge_event_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypeMap(pub BTreeMap<String, TypeEntry>);

impl TypeMap {
    /// The entry of `kind` (case-insensitive) and whether it was unknown (the `OTHER` entry).
    pub fn entry(&self, kind: &str) -> (TypeEntry, bool) {
        let key = kind.trim().to_uppercase();
        if let Some(e) = self.0.get(&key).filter(|_| key != OTHER) {
            return (e.clone(), false);
        }
        let other = self.0.get(OTHER).cloned().unwrap_or_else(|| defaults().0[OTHER].clone());
        (other, true)
    }
}

fn entry(journey: &str, code: &str, discharge: Option<&str>) -> TypeEntry {
    TypeEntry {
        journey_type: journey.into(),
        event_code: code.into(),
        discharge_event_code: discharge.map(str::to_owned),
    }
}

/// The spec's table (§4).
pub fn defaults() -> TypeMap {
    let opd = entry("opd", "OPD_VISIT_COMPLETED", None);
    let ems = entry("ems", "EMS_DISCHARGED", None);
    TypeMap(BTreeMap::from([
        ("1".to_owned(), entry("inpatient", "IP_ADMITTED", Some("IP_DISCHARGED"))),
        ("2".to_owned(), opd.clone()),
        ("O".to_owned(), opd.clone()),
        ("3".to_owned(), ems.clone()),
        ("E".to_owned(), ems),
        ("4".to_owned(), entry("day_case", "DC_DISCHARGED", None)),
        (OTHER.to_owned(), opd),
    ]))
}

/// The hospital's map, or the defaults.
pub async fn load(db: &impl ConnectionTrait, hospital_id: Uuid) -> AppResult<TypeMap> {
    let Some(row) = his_type_map::Entity::find_by_id(hospital_id).one(db).await? else { return Ok(defaults()) };
    Ok(serde_json::from_value::<BTreeMap<String, TypeEntry>>(row.entries).map(TypeMap).unwrap_or_else(|e| {
        tracing::error!(target: "px360::integrations", error = %e, %hospital_id, "unreadable HIS type map; using defaults");
        defaults()
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeMapView {
    /// None: a PX admin without a hospital chosen is shown the defaults.
    pub hospital_id: Option<Uuid>,
    /// Type → mapping; `OTHER` applies to Types not listed.
    pub entries: BTreeMap<String, TypeEntry>,
    /// False while the hospital uses the defaults.
    pub customized: bool,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeEntryInput {
    pub journey_type: Option<String>,
    pub event_code: Option<String>,
    pub discharge_event_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeMapInput {
    /// Required for PX admins without a selected hospital; others: their own hospital.
    pub hospital_id: Option<Uuid>,
    /// The whole map (it replaces the current one). Keys: the HIS Type (1–10 letters, digits,
    /// `-` or `_`), and `OTHER` for Types not listed.
    pub entries: Option<BTreeMap<String, TypeEntryInput>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TypeMapQuery {
    /// PX admins: the hospital (else the selected one).
    pub hospital_id: Option<Uuid>,
}

fn event_code(errors: &mut FieldErrors, field: &str, value: Option<&str>, required: bool) -> Option<String> {
    let v = value.map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty());
    match &v {
        None if required => errors.add(field, "This field is required."),
        None => {}
        Some(s) if s.chars().count() > 100 => errors.add(field, "Ensure this field has no more than 100 characters."),
        Some(s) if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            errors.add(field, "Use only letters, digits and _.")
        }
        Some(_) => {}
    }
    v
}

/// Validates a whole map; every bad entry field is named `entries.<Type>.<field>`.
pub fn validate(input: Option<BTreeMap<String, TypeEntryInput>>) -> AppResult<TypeMap> {
    let mut errors = FieldErrors::new();
    let Some(input) = input else { return Err(invalid("entries", "This field is required.")) };
    if input.is_empty() {
        return Err(invalid("entries", "Map at least one Type."));
    }
    let mut map = BTreeMap::new();
    for (raw_key, e) in input {
        let key = raw_key.trim().to_uppercase();
        let prefix = format!("entries.{raw_key}");
        if key.is_empty()
            || key.chars().count() > 10
            || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errors.add(&prefix, "A Type is 1 to 10 letters, digits, - or _.");
            continue;
        }
        if map.contains_key(&key) {
            errors.add(&prefix, "This Type is listed twice.");
            continue;
        }
        let journey = e.journey_type.as_deref().map(|s| s.trim().to_lowercase()).unwrap_or_default();
        if journey.is_empty() {
            errors.add(&format!("{prefix}.journey_type"), "This field is required.");
        } else if !JOURNEY_TYPES.contains(&journey.as_str()) {
            errors.add(&format!("{prefix}.journey_type"), format!("Choose one of {}.", JOURNEY_TYPES.join(", ")));
        }
        let code = event_code(&mut errors, &format!("{prefix}.event_code"), e.event_code.as_deref(), true);
        let discharge = event_code(
            &mut errors,
            &format!("{prefix}.discharge_event_code"),
            e.discharge_event_code.as_deref(),
            false,
        );
        map.insert(
            key,
            TypeEntry { journey_type: journey, event_code: code.unwrap_or_default(), discharge_event_code: discharge },
        );
    }
    errors.into_result()?;
    Ok(TypeMap(map))
}

/// The hospital the actor reads or writes the map of (400 naming `hospital_id` when unknown).
async fn target_hospital(state: &AppState, actor: &Actor, requested: Option<Uuid>) -> AppResult<Uuid> {
    let id = actor.hospital_for_write(requested)?;
    let exists =
        hospital::Entity::find_by_id(id).filter(hospital::Column::DeletedAt.is_null()).one(&state.db).await?.is_some();
    if !exists {
        return Err(invalid("hospital_id", "Invalid pk - object does not exist."));
    }
    Ok(id)
}

pub async fn view(state: &AppState, actor: &Actor, requested: Option<Uuid>) -> AppResult<TypeMapView> {
    actor.require(state, Permission::ViewEvents).await?;
    if actor.role == crate::auth::Role::PxAdmin && requested.is_none() && actor.selected_hospital.is_none() {
        return Ok(TypeMapView { hospital_id: None, entries: defaults().0, customized: false, updated_at: None });
    }
    let hospital_id = target_hospital(state, actor, requested).await?;
    let row = his_type_map::Entity::find_by_id(hospital_id).one(&state.db).await?;
    Ok(TypeMapView {
        hospital_id: Some(hospital_id),
        entries: load(&state.db, hospital_id).await?.0,
        customized: row.is_some(),
        updated_at: row.map(|r| r.updated_at),
    })
}

/// Replaces the hospital's map (PX admins), audited.
pub async fn save(state: &AppState, actor: &Actor, input: TypeMapInput) -> AppResult<TypeMapView> {
    actor.require(state, Permission::ManageIntegrations).await?;
    let hospital_id = target_hospital(state, actor, input.hospital_id).await;
    let map = validate(input.entries);
    let (hospital_id, map) = match (hospital_id, map) {
        (Ok(h), Ok(m)) => (h, m),
        (h, m) => {
            let mut errors = FieldErrors::new();
            for e in [h.err(), m.err()].into_iter().flatten() {
                match e {
                    AppError::Validation(fe) => {
                        for (f, messages) in fe.0 {
                            for message in messages {
                                errors.add(&f, message);
                            }
                        }
                    }
                    other => return Err(other),
                }
            }
            return Err(AppError::Validation(errors));
        }
    };
    let entries = serde_json::to_value(&map.0).map_err(|e| AppError::Unexpected(e.into()))?;
    let at = now();
    let txn = state.db.begin().await?;
    let row = his_type_map::ActiveModel {
        hospital_id: Set(hospital_id),
        entries: Set(entries.clone()),
        updated_by: Set(actor.user_id),
        updated_at: Set(at),
    };
    his_type_map::Entity::insert(row)
        .on_conflict(
            OnConflict::column(his_type_map::Column::HospitalId)
                .update_columns([
                    his_type_map::Column::Entries,
                    his_type_map::Column::UpdatedBy,
                    his_type_map::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    record(
        &txn,
        actor,
        Entry::new("his_type_map_updated", "hospital", hospital_id)
            .hospital(Some(hospital_id))
            .details(serde_json::json!({"entries": entries})),
    )
    .await?;
    txn.commit().await?;
    Ok(TypeMapView { hospital_id: Some(hospital_id), entries: map.0, customized: true, updated_at: Some(at) })
}

/// The hospital's HIS Type map (the defaults until one is saved). PX and hospital admins.
#[utoipa::path(get, path = "/api/integrations/his/type-map/", tag = "Integrations", params(TypeMapQuery),
    responses((status = 200, body = TypeMapView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<TypeMapQuery>,
) -> AppResult<Json<TypeMapView>> {
    Ok(Json(view(&state, &actor, q.hospital_id).await?))
}

/// Replaces the hospital's HIS Type map (PX admins). Bad entries are named
/// `entries.<Type>.<field>`; nothing is saved unless every entry is valid.
#[utoipa::path(put, path = "/api/integrations/his/type-map/", tag = "Integrations", request_body = TypeMapInput,
    responses((status = 200, body = TypeMapView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_put(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TypeMapInput>,
) -> AppResult<Json<TypeMapView>> {
    Ok(Json(save(&state, &actor, input).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_follow_the_spec_table() {
        let d = defaults();
        assert_eq!(d.entry("1").0.discharge_event_code.as_deref(), Some("IP_DISCHARGED"));
        assert_eq!(d.entry("o").0.event_code, "OPD_VISIT_COMPLETED");
        assert_eq!(d.entry("E").0.event_code, "EMS_DISCHARGED");
        assert_eq!(d.entry("4").0.journey_type, "day_case");
        let (other, unknown) = d.entry("Z");
        assert!(unknown);
        assert_eq!(other.journey_type, "opd");
    }
}
