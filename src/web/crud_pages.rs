//! The pages of every directory [`Resource`]: list with search, filters and pages; detail; create
//! and edit forms with errors beside their fields; delete. Mounted under `/organizations/<key>/`
//! or `/accounts/<key>/` by the router.

use askama::Template;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Chrome, PageResult, render};
use crate::app::AppState;
use crate::auth::{Actor, CsrfForm, PageActor, Role};
use crate::crud::{FieldKind, FieldSpec, ListQuery, RefOptions, Resource};
use crate::domains::accounts::model::user;
use crate::domains::organizations::model::{department, hospital, organization};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::Lang;

pub struct Cell {
    pub label: String,
    pub value: String,
}

pub struct ListRow {
    pub href: String,
    pub cells: Vec<Cell>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Widget {
    pub name: &'static str,
    pub label: String,
    /// text, email, tel, date, password, textarea, checkbox, select
    pub input: &'static str,
    pub value: String,
    pub checked: bool,
    pub required: bool,
    pub choices: Vec<Choice>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "crud/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub base: String,
    pub headers: Vec<String>,
    pub rows: Vec<ListRow>,
    pub count: u64,
    pub search: String,
    pub filters: Vec<Widget>,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub can_create: bool,
}

#[derive(Template)]
#[template(path = "crud/detail.html")]
pub struct DetailPage {
    pub chrome: Chrome,
    pub base: String,
    pub heading: String,
    pub id: String,
    pub cells: Vec<Cell>,
    pub can_edit: bool,
    /// Related pages: (label, href).
    pub links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "crud/form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub base: String,
    pub heading: String,
    pub action: String,
    pub widgets: Vec<Widget>,
    pub non_field_error: String,
}

fn base_path(uri: &OriginalUri, key: &str) -> String {
    let path = uri.path();
    match path.find(&format!("/{key}/")) {
        Some(i) => path[..i + key.len() + 2].to_owned(),
        None => path.to_owned(),
    }
}

fn display(value: &Value, lang: Lang, spec: Option<&FieldSpec>) -> String {
    match (value, spec.map(|s| s.kind)) {
        (Value::Null, _) => String::new(),
        (Value::Bool(b), _) => lang.t(if *b { "yes" } else { "no" }),
        (Value::String(s), Some(FieldKind::Choice(_, prefix))) if !s.is_empty() => lang.t(&format!("{prefix}-{s}")),
        (Value::String(s), _) => s.clone(),
        (other, _) => other.to_string(),
    }
}

/// Labels of referenced rows, for showing a UUID as a name.
async fn ref_choices(
    state: &AppState,
    actor: &Actor,
    source: RefOptions,
    lang: Lang,
) -> AppResult<Vec<(String, String)>> {
    let db = &state.db;
    Ok(match source {
        RefOptions::Organizations => organization::Entity::find()
            .filter(organization::Column::DeletedAt.is_null())
            .order_by_asc(organization::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id.to_string(), lang.pick(&o.name_en, &o.name_ar).to_owned()))
            .collect(),
        RefOptions::Hospitals => actor
            .scoped(hospital::Entity::find(), hospital::Column::Id)
            .filter(hospital::Column::DeletedAt.is_null())
            .order_by_asc(hospital::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(|h| (h.id.to_string(), lang.pick(&h.name_en, &h.name_ar).to_owned()))
            .collect(),
        RefOptions::Departments => actor
            .scoped(department::Entity::find(), department::Column::HospitalId)
            .filter(department::Column::DeletedAt.is_null())
            .order_by_asc(department::Column::Code)
            .limit(500)
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id.to_string(), format!("{} · {}", d.code, lang.pick(&d.name_en, &d.name_ar))))
            .collect(),
        RefOptions::Users => actor
            .scoped(user::Entity::find(), user::Column::HospitalId)
            .filter(user::Column::IsActive.eq(true))
            .order_by_asc(user::Column::Email)
            .limit(500)
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id.to_string(), format!("{} {} <{}>", u.first_name, u.last_name, u.email).trim().to_owned()))
            .collect(),
    })
}

/// Whether a field is shown to this actor (the hospital is chosen only by PX admins).
fn shown(spec: &FieldSpec, actor: &Actor, creating: bool) -> bool {
    (creating || !spec.create_only)
        && (spec.kind != FieldKind::Ref(RefOptions::Hospitals) || actor.role == Role::PxAdmin)
}

async fn widgets(
    state: &AppState,
    actor: &Actor,
    lang: Lang,
    specs: &[FieldSpec],
    values: &Map<String, Value>,
    errors: &FieldErrors,
    creating: bool,
) -> AppResult<Vec<Widget>> {
    let mut out = Vec::new();
    for spec in specs.iter().filter(|s| shown(s, actor, creating)) {
        let value = match values.get(spec.name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let (input, choices) = match spec.kind {
            FieldKind::Text => ("text", vec![]),
            FieldKind::LongText => ("textarea", vec![]),
            FieldKind::Email => ("email", vec![]),
            FieldKind::Phone => ("tel", vec![]),
            FieldKind::Date => ("date", vec![]),
            FieldKind::Password => ("password", vec![]),
            FieldKind::Checkbox => ("checkbox", vec![]),
            FieldKind::Choice(options, prefix) => {
                let mut c = vec![Choice { value: String::new(), label: "—".into(), selected: value.is_empty() }];
                c.extend(options.iter().map(|o| Choice {
                    value: (*o).into(),
                    label: lang.t(&format!("{prefix}-{o}")),
                    selected: value == *o,
                }));
                ("select", c)
            }
            FieldKind::Ref(source) => {
                let mut c = vec![Choice { value: String::new(), label: "—".into(), selected: value.is_empty() }];
                c.extend(ref_choices(state, actor, source, lang).await?.into_iter().map(|(v, l)| Choice {
                    selected: v == value,
                    value: v,
                    label: l,
                }));
                ("select", c)
            }
        };
        out.push(Widget {
            name: spec.name,
            label: lang.t(&format!("field-{}", spec.name)),
            input,
            checked: value == "true",
            value: if spec.kind == FieldKind::Password { String::new() } else { value },
            required: spec.required,
            choices,
            error: errors.get(spec.name).unwrap_or_default().to_owned(),
        });
    }
    Ok(out)
}

/// A posted form as the JSON body the API would receive.
fn form_to_json(specs: &[FieldSpec], form: &CsrfForm, actor: &Actor, creating: bool) -> Value {
    let mut body = Map::new();
    for spec in specs.iter().filter(|s| shown(s, actor, creating)) {
        let raw = form.get(spec.name);
        let value = match spec.kind {
            FieldKind::Checkbox => Value::Bool(matches!(raw.as_str(), "on" | "true" | "1")),
            FieldKind::Ref(_) | FieldKind::Date | FieldKind::Choice(..) if raw.is_empty() => Value::Null,
            _ => Value::String(raw),
        };
        body.insert(spec.name.to_owned(), value);
    }
    Value::Object(body)
}

pub async fn list<R: Resource>(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    let query = ListQuery::from_query(uri.path(), uri.query());
    let result = R::list(&state, &page.actor, &query).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), &format!("nav-{}", R::KEY)).await?;
    let lang = chrome.lang;
    let base = base_path(&uri, R::KEY);
    let headers = result
        .results
        .first()
        .map(|v| R::row(v, lang).into_iter().map(|(k, _)| lang.t(&k)).collect())
        .unwrap_or_default();
    let rows = result
        .results
        .iter()
        .map(|v| ListRow {
            href: format!("{base}{}/", R::id_of(v)),
            cells: R::row(v, lang).into_iter().map(|(k, value)| Cell { label: lang.t(&k), value }).collect(),
        })
        .collect();
    let mut values = Map::new();
    for (k, v) in &query.filters {
        values.insert(k.clone(), Value::String(v.clone()));
    }
    let filters = widgets(&state, &page.actor, lang, R::list_filters(), &values, &FieldErrors::new(), true).await?;
    render(
        StatusCode::OK,
        &ListPage {
            can_create: page.actor.role.may(R::MANAGE),
            chrome,
            base,
            headers,
            rows,
            count: result.count,
            search: query.params.search.clone().unwrap_or_default(),
            filters,
            next: result.next,
            previous: result.previous,
        },
    )
}

pub async fn detail<R: Resource>(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
) -> PageResult {
    let view = R::get(&state, &page.actor, id).await?;
    let chrome = Chrome::new(&state, &page, uri.path(), &format!("nav-{}", R::KEY)).await?;
    let lang = chrome.lang;
    let json = serde_json::to_value(&view).map_err(anyhow::Error::from)?;
    let mut cells = Vec::new();
    if let Value::Object(map) = &json {
        for (k, v) in map {
            let spec = R::fields().iter().find(|s| s.name == k);
            let mut value = display(v, lang, spec);
            if let (Some(FieldKind::Ref(source)), Value::String(id)) = (spec.map(|s| s.kind), v)
                && let Some((_, label)) =
                    ref_choices(&state, &page.actor, source, lang).await?.into_iter().find(|(v, _)| v == id)
            {
                value = label;
            }
            cells.push(Cell { label: lang.t(&format!("field-{k}")), value });
        }
    }
    let links = R::extra_links(&view).into_iter().map(|(key, href)| (lang.t(key), href)).collect();
    render(
        StatusCode::OK,
        &DetailPage {
            links,
            heading: R::title_of(&view, lang),
            id: id.to_string(),
            can_edit: page.actor.role.may(R::MANAGE),
            base: base_path(&uri, R::KEY),
            chrome,
            cells,
        },
    )
}

async fn form_page<R: Resource>(
    state: &AppState,
    page: &PageActor,
    uri: &OriginalUri,
    id: Option<Uuid>,
    values: Map<String, Value>,
    errors: FieldErrors,
) -> PageResult {
    let creating = id.is_none();
    let chrome = Chrome::new(state, page, uri.path(), &format!("nav-{}", R::KEY)).await?;
    let lang = chrome.lang;
    let base = base_path(uri, R::KEY);
    let widgets = widgets(state, &page.actor, lang, R::fields(), &values, &errors, creating).await?;
    // Errors on fields the form does not show (e.g. a PX admin's missing hospital) go on top.
    let shown_names: Vec<&str> = widgets.iter().map(|w| w.name).collect();
    let non_field_error = errors
        .0
        .iter()
        .filter(|(k, _)| !shown_names.contains(&k.as_str()))
        .map(|(k, m)| {
            if k == "non_field_errors" {
                m.join(" ")
            } else {
                format!("{}: {}", lang.t(&format!("field-{k}")), m.join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(
        status,
        &FormPage {
            heading: lang.t(if creating { "action-create" } else { "action-edit" }),
            action: match id {
                Some(id) => format!("{base}{id}/edit/"),
                None => format!("{base}new/"),
            },
            base,
            chrome,
            widgets,
            non_field_error,
        },
    )
}

pub async fn new_form<R: Resource>(State(state): State<AppState>, page: PageActor, uri: OriginalUri) -> PageResult {
    page.actor.require(&state, R::MANAGE).await?;
    let mut values = Map::new();
    if let Some(h) = page.actor.selected_hospital {
        values.insert("hospital_id".into(), Value::String(h.to_string()));
    }
    form_page::<R>(&state, &page, &uri, None, values, FieldErrors::new()).await
}

pub async fn create<R: Resource>(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    form: CsrfForm,
) -> PageResult {
    let body = form_to_json(R::fields(), &form, &page.actor, true);
    match R::create(&state, &page.actor, body.clone()).await {
        Ok(view) => Ok(Redirect::to(&format!("{}{}/", base_path(&uri, R::KEY), R::id_of(&view))).into_response()),
        Err(AppError::Validation(errors)) => {
            form_page::<R>(&state, &page, &uri, None, body.as_object().cloned().unwrap_or_default(), errors).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn edit_form<R: Resource>(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
) -> PageResult {
    page.actor.require(&state, R::MANAGE).await?;
    let view = R::get(&state, &page.actor, id).await?;
    let values = match serde_json::to_value(&view).map_err(anyhow::Error::from)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    form_page::<R>(&state, &page, &uri, Some(id), values, FieldErrors::new()).await
}

pub async fn update<R: Resource>(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
    form: CsrfForm,
) -> PageResult {
    let body = form_to_json(R::fields(), &form, &page.actor, false);
    match R::update(&state, &page.actor, id, body.clone()).await {
        Ok(_) => Ok(Redirect::to(&format!("{}{id}/", base_path(&uri, R::KEY))).into_response()),
        Err(AppError::Validation(errors)) => {
            form_page::<R>(&state, &page, &uri, Some(id), body.as_object().cloned().unwrap_or_default(), errors).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn delete<R: Resource>(
    State(state): State<AppState>,
    page: PageActor,
    uri: OriginalUri,
    Path(id): Path<Uuid>,
    _form: CsrfForm,
) -> PageResult {
    R::delete(&state, &page.actor, id).await?;
    Ok(Redirect::to(&base_path(&uri, R::KEY)).into_response())
}
