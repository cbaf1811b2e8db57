//! The shape every directory resource (hospitals, departments, staff, patients, users, …) shares,
//! so the JSON API and the pages are written once: [`Resource`] is implemented per resource in its
//! module's `service.rs`; `crate::http::crud_api!` and `crate::web::crud_pages` build the handlers.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Actor, Permission};
use crate::error::AppResult;
use crate::http::{ListParams, Page};

/// A list request: common parameters, the resource's own filters, and the path for page links.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub params: ListParams,
    pub filters: BTreeMap<String, String>,
    pub path: String,
}

impl ListQuery {
    pub fn from_query(path: &str, query: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        let mut params = ListParams::default();
        let mut filters = BTreeMap::new();
        for (k, v) in pairs {
            match k.as_str() {
                "page" => params.page = Some(v),
                "page_size" => params.page_size = Some(v),
                "search" => params.search = Some(v),
                "ordering" => params.ordering = Some(v),
                _ => {
                    filters.insert(k, v);
                }
            }
        }
        let full = match query {
            Some(q) if !q.is_empty() => format!("{path}?{q}"),
            _ => path.to_owned(),
        };
        ListQuery { params, filters, path: full }
    }

    /// A filter value, trimmed; `None` when absent or blank.
    pub fn filter(&self, name: &str) -> Option<&str> {
        self.filters.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A UUID filter; a malformed one is a 400 naming the filter.
    pub fn uuid_filter(&self, name: &str) -> AppResult<Option<Uuid>> {
        self.filter(name)
            .map(|v| Uuid::parse_str(v).map_err(|_| crate::error::invalid(name, "Must be a valid UUID.")))
            .transpose()
    }
}

/// How a form field is entered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    Text,
    LongText,
    Email,
    Phone,
    Date,
    Password,
    Checkbox,
    /// A fixed list of values; labels are the locale keys `<prefix>-<value>`.
    Choice(&'static [&'static str], &'static str),
    /// A reference to another row, offered by [`RefOptions`].
    Ref(RefOptions),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RefOptions {
    Organizations,
    Hospitals,
    Departments,
    Users,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// Shown on create only (e.g. the initial password).
    pub create_only: bool,
}

pub const fn field(name: &'static str, kind: FieldKind, required: bool) -> FieldSpec {
    FieldSpec { name, kind, required, create_only: false }
}

/// A directory resource with the same five operations over the API and the pages.
pub trait Resource: Send + Sync + 'static {
    /// Path segment and locale prefix, e.g. `departments`.
    const KEY: &'static str;
    /// The singular noun used in "not found" errors.
    const NOUN: &'static str;
    const VIEW: Permission;
    /// Permission to update (and, unless `CREATE` says otherwise, to create and delete).
    const MANAGE: Permission;
    /// Permission to create.
    const CREATE: Permission = Self::MANAGE;
    type View: Serialize + Send;
    /// The stored row.
    type Model: Send + Sync + 'static;
    /// The write body: every field optional, unknown fields refused.
    type Input: Serialize + DeserializeOwned + Send + 'static;

    /// A live row in the actor's scope, or 404.
    fn find(state: &AppState, actor: &Actor, id: Uuid) -> impl Future<Output = AppResult<Self::Model>> + Send;
    /// A row as a complete input (the base a partial update is merged onto).
    fn input_of(model: &Self::Model) -> Self::Input;
    /// Validates a complete input and writes it, with its audit entry, in one transaction
    /// (an insert when `existing` is `None`).
    fn save(
        state: &AppState,
        actor: &Actor,
        input: Self::Input,
        existing: Option<Self::Model>,
    ) -> impl Future<Output = AppResult<Self::View>> + Send;
    /// A row as this actor may see it (e.g. with PII masked).
    fn to_view(actor: &Actor, model: Self::Model) -> Self::View;

    /// Form fields, in order.
    fn fields() -> &'static [FieldSpec];
    /// Extra list filters offered on the list page: (query name, options source).
    fn list_filters() -> &'static [FieldSpec] {
        &[]
    }

    fn list(
        state: &AppState,
        actor: &Actor,
        query: &ListQuery,
    ) -> impl Future<Output = AppResult<Page<Self::View>>> + Send;
    fn get(state: &AppState, actor: &Actor, id: Uuid) -> impl Future<Output = AppResult<Self::View>> + Send {
        async move {
            actor.require(state, Self::VIEW).await?;
            Ok(Self::to_view(actor, Self::find(state, actor, id).await?))
        }
    }

    /// `body` is the JSON object received (or built from a form).
    fn create(
        state: &AppState,
        actor: &Actor,
        body: serde_json::Value,
    ) -> impl Future<Output = AppResult<Self::View>> + Send {
        async move {
            actor.require(state, Self::CREATE).await?;
            Self::save(state, actor, parse_input(body)?, None).await
        }
    }

    /// Partial update: keys absent from `body` keep their value, `null` clears.
    fn update(
        state: &AppState,
        actor: &Actor,
        id: Uuid,
        body: serde_json::Value,
    ) -> impl Future<Output = AppResult<Self::View>> + Send {
        async move {
            actor.require(state, Self::MANAGE).await?;
            let existing = Self::find(state, actor, id).await?;
            let base = serde_json::to_value(Self::input_of(&existing)).map_err(anyhow::Error::from)?;
            Self::save(state, actor, parse_input(merge(base, body))?, Some(existing)).await
        }
    }
    fn delete(state: &AppState, actor: &Actor, id: Uuid) -> impl Future<Output = AppResult<()>> + Send;

    /// The list page's columns: (locale key, value) for one row.
    fn row(view: &Self::View, lang: crate::i18n::Lang) -> Vec<(String, String)>;
    fn id_of(view: &Self::View) -> Uuid;
    fn title_of(view: &Self::View, lang: crate::i18n::Lang) -> String;
    /// Links shown on the detail page besides edit and delete: (locale key, href).
    fn extra_links(_view: &Self::View) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Overlays `patch` (an object) on `base` (an object): the merged body of a partial update.
pub fn merge(mut base: serde_json::Value, patch: serde_json::Value) -> serde_json::Value {
    if let (Some(b), serde_json::Value::Object(p)) = (base.as_object_mut(), patch) {
        for (k, v) in p {
            b.insert(k, v);
        }
    }
    base
}

/// Parses a merged body into the resource's input type with DRF-shaped errors.
pub fn parse_input<T: DeserializeOwned>(body: serde_json::Value) -> AppResult<T> {
    crate::http::json::parse(&serde_json::to_vec(&body).map_err(anyhow::Error::from)?)
}
