//! Attachments of complaints and evidence of PX Actions: PDF, JPEG, PNG, HEIC and Word (DOCX)
//! files, checked by extension *and* content (magic bytes), at most 10 MB each and 10 live files
//! per complaint or action. Files live under `config.attachments_dir` (never a served path) as
//! `{hospital_id}/{yyyy}/{uuid}` — a key we make, never a name the user sent — written to a
//! temporary file first and renamed, with their size and SHA-256 recorded. They are served only
//! through the routes below, to users who can see the complaint or action, as downloads
//! (`Content-Disposition: attachment`, the stored content type, `nosniff`); every upload, download
//! and removal is audited.
//!
//! The sniffer ([`sniff`], [`check_upload`]) and the storage ([`store`], [`open`]) are plain
//! functions; the visibility checks ([`visible_complaint`], [`visible_action`]) are the one place
//! this module decides who sees what. [`panel`] builds what `templates/complaints/attachments_panel.html`
//! shows on the complaint and action detail pages.

use std::path::{Path as FsPath, PathBuf};

use axum::Json;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    Statement, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::model::{complaint, complaint_attachment, complaint_update, px_action, px_action_attachment, px_action_log};
use crate::app::AppState;
use crate::auth::tokens::secure_eq;
use crate::auth::{Actor, ApiActor, CsrfForm, PageActor, Permission, Role};
use crate::config::Config;
use crate::domains::accounts::model::user;
use crate::domains::audit::service::{Entry, record};
use crate::domains::organizations::service::now;
use crate::error::{AppError, AppResult, FieldErrors, invalid, not_found};
use crate::http::Page;
use crate::http::openapi::ErrorBody;
use crate::web::PageResult;

/// The largest file accepted, in bytes (10 MB).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Live attachments a complaint (or an action) may have.
pub const MAX_FILES: u64 = 10;
/// The request body limit of the upload routes: a 10 MB file plus the multipart envelope.
pub const UPLOAD_BODY_LIMIT: usize = 11 * 1024 * 1024;
/// The longest note kept with an upload.
pub const MAX_NOTE_CHARS: usize = 2000;
const NOTE_TOO_LONG: &str = "Ensure this field has no more than 2000 characters.";
/// What the upload forms' file inputs offer.
pub const ACCEPT: &str = ".pdf,.jpg,.jpeg,.png,.heic,.docx";

// ---------------------------------------------------------------------------------------------
// The sniffer (pure)
// ---------------------------------------------------------------------------------------------

/// The kinds of file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Jpeg,
    Png,
    Heic,
    Docx,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Pdf, Kind::Jpeg, Kind::Png, Kind::Heic, Kind::Docx];

    /// The content type stored and served.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Heic => "image/heic",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// The name people know the kind by.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pdf => "PDF",
            Kind::Jpeg => "JPEG",
            Kind::Png => "PNG",
            Kind::Heic => "HEIC",
            Kind::Docx => "Word (DOCX)",
        }
    }

    /// The kind a file name's extension promises (case-insensitive), if it is one we take.
    pub fn from_file_name(file_name: &str) -> Option<Kind> {
        let (_, ext) = file_name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(Kind::Pdf),
            "jpg" | "jpeg" => Some(Kind::Jpeg),
            "png" => Some(Kind::Png),
            "heic" => Some(Kind::Heic),
            "docx" => Some(Kind::Docx),
            _ => None,
        }
    }

    /// The Bootstrap icon of the kind (pages).
    pub fn icon(self) -> &'static str {
        match self {
            Kind::Pdf => "file-earmark-pdf",
            Kind::Jpeg | Kind::Png | Kind::Heic => "file-earmark-image",
            Kind::Docx => "file-earmark-word",
        }
    }

    fn from_content_type(content_type: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.content_type() == content_type)
    }
}

const HEIF_BRANDS: [&[u8; 4]; 7] = [b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"heim", b"heis"];

/// The kind of file `bytes` are, from their first bytes (and, for DOCX, the ZIP entry names).
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(Kind::Png)
    } else if bytes.get(4..8) == Some(b"ftyp") && bytes.get(8..12).is_some_and(|b| HEIF_BRANDS.iter().any(|x| *x == b))
    {
        Some(Kind::Heic)
    } else if bytes.starts_with(b"PK\x03\x04") && zip_has_entry(bytes, b"word/document.xml") {
        Some(Kind::Docx)
    } else {
        None
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    bytes.get(at..at + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    bytes.get(at..at + 4).and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok())
}

/// Whether the ZIP archive `bytes` names an entry `name`: read from the central directory when
/// the end record is found, else by walking the local file headers.
pub fn zip_has_entry(bytes: &[u8], name: &[u8]) -> bool {
    central_directory_names(bytes).unwrap_or_else(|| local_header_names(bytes)).contains(&name)
}

fn central_directory_names(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    // The end record is 22 bytes plus a comment of at most 65,535 bytes.
    let earliest = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (earliest..=bytes.len().checked_sub(22)?).rev().find(|&i| bytes.get(i..i + 4) == Some(EOCD))?;
    let entries = u16_at(bytes, eocd + 10)?;
    let mut at = u32_at(bytes, eocd + 16)?;
    let mut names = Vec::with_capacity(entries.min(1024));
    for _ in 0..entries {
        if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
            return None;
        }
        let (name_len, extra_len, comment_len) =
            (u16_at(bytes, at + 28)?, u16_at(bytes, at + 30)?, u16_at(bytes, at + 32)?);
        names.push(bytes.get(at + 46..at + 46 + name_len)?);
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

fn local_header_names(bytes: &[u8]) -> Vec<&[u8]> {
    let mut names = Vec::new();
    let mut at = 0;
    while bytes.get(at..at + 4) == Some(b"PK\x03\x04") {
        let (Some(flags), Some(size), Some(name_len), Some(extra_len)) =
            (u16_at(bytes, at + 6), u32_at(bytes, at + 18), u16_at(bytes, at + 26), u16_at(bytes, at + 28))
        else {
            break;
        };
        let Some(name) = bytes.get(at + 30..at + 30 + name_len) else { break };
        names.push(name);
        // With a data descriptor (flag bit 3) the size is not known here: stop walking.
        if flags & 0x08 != 0 {
            break;
        }
        at += 30 + name_len + extra_len + size;
    }
    names
}

/// What an attachment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Complaint,
    Action,
}

impl Subject {
    fn limit_message(self) -> &'static str {
        match self {
            Subject::Complaint => "A complaint has at most 10 attachments.",
            Subject::Action => "An action has at most 10 attachments.",
        }
    }
    fn page_prefix(self) -> &'static str {
        match self {
            Subject::Complaint => "/complaints",
            Subject::Action => "/actions",
        }
    }
    fn resource_type(self) -> &'static str {
        match self {
            Subject::Complaint => "complaint_attachment",
            Subject::Action => "px_action_attachment",
        }
    }
}

/// Why a file is refused: its message (API) and its code (the pages' `?attachment_error=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Empty,
    TooLarge,
    Type,
    Mismatch(Kind),
    Limit(Subject),
}

impl Refusal {
    pub fn message(self) -> String {
        match self {
            Refusal::Missing => "No file was submitted.".into(),
            Refusal::Empty => "The submitted file is empty.".into(),
            Refusal::TooLarge => "The file is larger than 10 MB.".into(),
            Refusal::Type => "Only PDF, JPEG, PNG, HEIC and Word (DOCX) files are accepted.".into(),
            Refusal::Mismatch(kind) => format!("The file's content is not a {} file.", kind.label()),
            Refusal::Limit(subject) => subject.limit_message().into(),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Empty => "empty",
            Refusal::TooLarge => "too_large",
            Refusal::Type => "type",
            Refusal::Mismatch(_) => "mismatch",
            Refusal::Limit(_) => "limit",
        }
    }

    fn from_code(code: &str) -> Option<&'static str> {
        ["missing", "empty", "too_large", "type", "mismatch", "limit", "invalid"].into_iter().find(|c| *c == code)
    }
}

/// Every reason to refuse `bytes` named `file_name` when `existing_count` live files are there.
pub fn refusals(subject: Subject, file_name: &str, bytes: &[u8], existing_count: u64) -> Vec<Refusal> {
    let mut out = Vec::new();
    if existing_count >= MAX_FILES {
        out.push(Refusal::Limit(subject));
    }
    if bytes.is_empty() {
        out.push(Refusal::Empty);
        return out;
    }
    if bytes.len() > MAX_FILE_BYTES {
        out.push(Refusal::TooLarge);
    }
    match Kind::from_file_name(file_name) {
        None => out.push(Refusal::Type),
        Some(kind) if sniff(bytes) != Some(kind) => out.push(Refusal::Mismatch(kind)),
        Some(_) => {}
    }
    out
}

/// The kind of an acceptable complaint attachment, or every reason (on `file`) it is refused.
pub fn check_upload(file_name: &str, bytes: &[u8], existing_count: u64) -> Result<Kind, FieldErrors> {
    check_upload_to(Subject::Complaint, file_name, bytes, existing_count)
}

/// [`check_upload`] for a complaint or an action.
pub fn check_upload_to(
    subject: Subject,
    file_name: &str,
    bytes: &[u8],
    existing_count: u64,
) -> Result<Kind, FieldErrors> {
    let refused = refusals(subject, file_name, bytes, existing_count);
    match (refused.is_empty(), Kind::from_file_name(file_name)) {
        (true, Some(kind)) => Ok(kind),
        _ => {
            let mut errors = FieldErrors::new();
            for r in refused {
                errors.add("file", r.message());
            }
            if errors.is_empty() {
                errors.add("file", Refusal::Type.message());
            }
            Err(errors)
        }
    }
}

/// The name to keep: the last path segment, without control characters, at most 255 characters
/// (the extension kept when shortened).
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned();
    if name.chars().count() <= 255 {
        return name;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).filter(|e| e.chars().count() <= 10).unwrap_or_default();
    let stem: String = name.chars().take(255 - ext.chars().count() - 1).collect();
    if ext.is_empty() { name.chars().take(255).collect() } else { format!("{stem}.{ext}") }
}

/// `Content-Disposition` for a download: an ASCII `filename` fallback and the exact name as
/// `filename*=UTF-8''…` (RFC 6266 / 5987), so Arabic names survive.
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A size as people read it (`820 B`, `14.2 KB`, `3.1 MB`).
pub fn human_size(bytes: i64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

/// Whether `key` has the shape [`store`] makes (`{uuid}/{yyyy}/{uuid}`): nothing else is opened.
pub fn valid_key(key: &str) -> bool {
    let parts: Vec<&str> = key.split('/').collect();
    matches!(parts.as_slice(), [h, y, f]
        if Uuid::parse_str(h).is_ok_and(|u| u.to_string() == *h)
            && y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
            && Uuid::parse_str(f).is_ok_and(|u| u.to_string() == *f))
}

fn key_path(config: &Config, key: &str) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(valid_key(key), "not an attachment storage key: {key:?}");
    Ok(key.split('/').fold(PathBuf::from(&config.attachments_dir), |p, part| p.join(part)))
}

/// Writes `bytes` under a new key (`{hospital_id}/{yyyy}/{uuid}`): to a temporary file first,
/// synced, then renamed into place. Returns the key and the content's SHA-256 (hex).
pub async fn store(config: &Config, hospital_id: Uuid, bytes: &[u8]) -> anyhow::Result<(String, String)> {
    let file_id = Uuid::new_v4();
    let key = format!("{hospital_id}/{:04}/{file_id}", Utc::now().year());
    let path = key_path(config, &key)?;
    let dir = path.parent().ok_or_else(|| anyhow::anyhow!("storage key without a folder"))?.to_path_buf();
    tokio::fs::create_dir_all(&dir).await?;
    let temp = dir.join(format!(".{file_id}.tmp"));
    let written = async {
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::File::create(&temp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&temp, &path).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(e.into());
    }
    Ok((key, hex::encode(Sha256::digest(bytes))))
}

/// The content stored under `key`.
pub async fn open(config: &Config, key: &str) -> anyhow::Result<Vec<u8>> {
    Ok(tokio::fs::read(key_path(config, key)?).await?)
}

/// Removes the file under `key` (a stored file whose row was not written).
pub async fn remove(config: &Config, key: &str) -> anyhow::Result<()> {
    Ok(tokio::fs::remove_file(key_path(config, key)?).await?)
}

/// Whether any file is stored under `dir` (tests: nothing left behind after a refusal).
pub fn stored_files(dir: &FsPath) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(stored_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------------

/// A live complaint the actor may see (the complaint service's one check: hospital scope, a
/// department manager's departments, a source user's own; anything else is a 404).
pub async fn visible_complaint(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<complaint::Model> {
    super::service::visible(state, actor, id).await
}

/// A live PX Action the actor may see (the action service's check; source users see none).
pub async fn visible_action(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<px_action::Model> {
    super::actions::visible(state, actor, id).await
}

/// The parent row's hospital, after the visibility check.
async fn visible(state: &AppState, actor: &Actor, subject: Subject, id: Uuid) -> AppResult<Uuid> {
    Ok(match subject {
        Subject::Complaint => visible_complaint(state, actor, id).await?.hospital_id,
        Subject::Action => visible_action(state, actor, id).await?.hospital_id,
    })
}

/// Whether the actor may add files to a visible complaint or action: handlers, and the source
/// user who filed the complaint (visibility already checked that).
fn may_upload(actor: &Actor, subject: Subject) -> bool {
    actor.role.may(Permission::HandleComplaints) || (subject == Subject::Complaint && actor.role == Role::SourceUser)
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/// An attachment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub uploaded_by: Option<Uuid>,
    /// PX Action files only: whether the file is evidence of the work done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_evidence: Option<bool>,
}

impl From<complaint_attachment::Model> for AttachmentView {
    fn from(m: complaint_attachment::Model) -> Self {
        AttachmentView {
            id: m.id,
            file_name: m.file_name,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            created_at: m.created_at,
            uploaded_by: m.uploaded_by,
            is_evidence: None,
        }
    }
}

impl From<px_action_attachment::Model> for AttachmentView {
    fn from(m: px_action_attachment::Model) -> Self {
        AttachmentView {
            id: m.id,
            file_name: m.file_name,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            created_at: m.created_at,
            uploaded_by: m.uploaded_by,
            is_evidence: Some(m.is_evidence),
        }
    }
}

/// The stored row of either table, with what the routes need.
struct Stored {
    view: AttachmentView,
    hospital_id: Uuid,
    storage_key: String,
}

/// An upload as read from the form.
#[derive(Debug, Default)]
pub struct Upload {
    /// The name the client sent (cleaned); `None` when no `file` part was sent.
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
    pub note: String,
    /// Actions only (default true).
    pub is_evidence: bool,
}

async fn live_count<C: ConnectionTrait>(db: &C, subject: Subject, id: Uuid) -> AppResult<u64> {
    Ok(match subject {
        Subject::Complaint => {
            complaint_attachment::Entity::find()
                .filter(complaint_attachment::Column::ComplaintId.eq(id))
                .filter(complaint_attachment::Column::DeletedAt.is_null())
                .count(db)
                .await?
        }
        Subject::Action => {
            px_action_attachment::Entity::find()
                .filter(px_action_attachment::Column::ActionId.eq(id))
                .filter(px_action_attachment::Column::DeletedAt.is_null())
                .count(db)
                .await?
        }
    })
}

/// The live attachments of a visible complaint or action, oldest first.
pub async fn list(state: &AppState, actor: &Actor, subject: Subject, id: Uuid) -> AppResult<Vec<AttachmentView>> {
    visible(state, actor, subject, id).await?;
    Ok(match subject {
        Subject::Complaint => complaint_attachment::Entity::find()
            .filter(complaint_attachment::Column::ComplaintId.eq(id))
            .filter(complaint_attachment::Column::DeletedAt.is_null())
            .order_by_asc(complaint_attachment::Column::CreatedAt)
            .order_by_asc(complaint_attachment::Column::Id)
            .all(&state.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        Subject::Action => px_action_attachment::Entity::find()
            .filter(px_action_attachment::Column::ActionId.eq(id))
            .filter(px_action_attachment::Column::DeletedAt.is_null())
            .order_by_asc(px_action_attachment::Column::CreatedAt)
            .order_by_asc(px_action_attachment::Column::Id)
            .all(&state.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    })
}

/// Checks and stores a file, then writes its row, the timeline entry (complaint update
/// "attachment" / action log "evidence") and the audit entry in one transaction. A refusal, or a
/// failed write, leaves no row and no file behind.
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    subject: Subject,
    id: Uuid,
    input: Upload,
) -> AppResult<AttachmentView> {
    let hospital_id = visible(state, actor, subject, id).await?;
    if !may_upload(actor, subject) {
        actor.require(state, Permission::HandleComplaints).await?;
    }
    let mut errors = FieldErrors::new();
    if input.note.chars().count() > MAX_NOTE_CHARS {
        errors.add("note", NOTE_TOO_LONG);
    }
    let file_name = match &input.file_name {
        None => {
            errors.add("file", Refusal::Missing.message());
            String::new()
        }
        Some(name) if name.is_empty() => {
            errors.add("file", "The file has no name.");
            String::new()
        }
        Some(name) => name.clone(),
    };
    let mut kind = None;
    if input.file_name.is_some() {
        let count = live_count(&state.db, subject, id).await?;
        match check_upload_to(subject, &file_name, &input.bytes, count) {
            Ok(k) => kind = Some(k),
            Err(e) => {
                for (field, messages) in e.0 {
                    for m in messages {
                        errors.add(&field, m);
                    }
                }
            }
        }
    }
    errors.into_result()?;
    let kind = kind.ok_or_else(|| invalid("file", Refusal::Type.message()))?;

    let (key, sha256) = store(&state.config, hospital_id, &input.bytes).await?;
    match write_rows(state, actor, subject, id, hospital_id, &file_name, kind, &input, &key, &sha256).await {
        Ok(view) => Ok(view),
        Err(e) => {
            if let Err(gone) = remove(&state.config, &key).await {
                tracing::warn!(error = ?gone, key, "could not remove the file of a refused attachment");
            }
            Err(e)
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "one private step of upload")]
async fn write_rows(
    state: &AppState,
    actor: &Actor,
    subject: Subject,
    id: Uuid,
    hospital_id: Uuid,
    file_name: &str,
    kind: Kind,
    input: &Upload,
    key: &str,
    sha256: &str,
) -> AppResult<AttachmentView> {
    let at = now();
    let size = i64::try_from(input.bytes.len()).unwrap_or(i64::MAX);
    let attachment_id = Uuid::now_v7();
    let _turn = state.write_turn().await;
    let txn = state.db.begin().await?;
    // Lock the parent row (a no-op write) so two uploads can't both take the 10th place.
    let table = match subject {
        Subject::Complaint => "complaints",
        Subject::Action => "px_actions",
    };
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        format!("UPDATE {table} SET updated_at = updated_at WHERE id = $1"),
        [id.into()],
    ))
    .await?;
    if live_count(&txn, subject, id).await? >= MAX_FILES {
        return Err(invalid("file", Refusal::Limit(subject).message()));
    }
    let details = serde_json::json!({"attachment_id": attachment_id, "file_name": file_name,
        "content_type": kind.content_type(), "size_bytes": size, "sha256": sha256, "note": input.note});
    let view: AttachmentView = match subject {
        Subject::Complaint => {
            let update = complaint_update::ActiveModel {
                id: Set(Uuid::now_v7()),
                complaint_id: Set(id),
                hospital_id: Set(hospital_id),
                update_type: Set("attachment".into()),
                old_status: Set(None),
                new_status: Set(None),
                message: Set(file_name.to_owned()),
                is_public: Set(false),
                details: Set(details.clone()),
                created_by: Set(actor.user_id),
                created_at: Set(at),
            }
            .insert(&txn)
            .await?;
            complaint_attachment::ActiveModel {
                id: Set(attachment_id),
                complaint_id: Set(id),
                hospital_id: Set(hospital_id),
                update_id: Set(Some(update.id)),
                file_name: Set(file_name.to_owned()),
                content_type: Set(kind.content_type().into()),
                size_bytes: Set(size),
                sha256: Set(sha256.to_owned()),
                storage_key: Set(key.to_owned()),
                uploaded_by: Set(actor.user_id),
                created_at: Set(at),
                deleted_at: Set(None),
            }
            .insert(&txn)
            .await?
            .into()
        }
        Subject::Action => {
            let row: AttachmentView = px_action_attachment::ActiveModel {
                id: Set(attachment_id),
                action_id: Set(id),
                hospital_id: Set(hospital_id),
                is_evidence: Set(input.is_evidence),
                file_name: Set(file_name.to_owned()),
                content_type: Set(kind.content_type().into()),
                size_bytes: Set(size),
                sha256: Set(sha256.to_owned()),
                storage_key: Set(key.to_owned()),
                uploaded_by: Set(actor.user_id),
                created_at: Set(at),
                deleted_at: Set(None),
            }
            .insert(&txn)
            .await?
            .into();
            let mut details = details.clone();
            details["is_evidence"] = serde_json::Value::Bool(input.is_evidence);
            px_action_log::ActiveModel {
                id: Set(Uuid::now_v7()),
                action_id: Set(id),
                hospital_id: Set(hospital_id),
                log_type: Set("evidence".into()),
                old_status: Set(None),
                new_status: Set(None),
                message: Set(file_name.to_owned()),
                details: Set(details),
                created_by: Set(actor.user_id),
                created_at: Set(at),
            }
            .insert(&txn)
            .await?;
            row
        }
    };
    let mut audit = details;
    audit[match subject {
        Subject::Complaint => "complaint_id",
        Subject::Action => "action_id",
    }] = serde_json::json!(id);
    if subject == Subject::Action {
        audit["is_evidence"] = serde_json::Value::Bool(input.is_evidence);
    }
    record(
        &txn,
        actor,
        Entry::new("attachment_uploaded", subject.resource_type(), attachment_id)
            .hospital(Some(hospital_id))
            .details(audit),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

async fn find_live(state: &AppState, subject: Subject, id: Uuid, attachment_id: Uuid) -> AppResult<Stored> {
    let found = match subject {
        Subject::Complaint => complaint_attachment::Entity::find_by_id(attachment_id)
            .filter(complaint_attachment::Column::ComplaintId.eq(id))
            .filter(complaint_attachment::Column::DeletedAt.is_null())
            .one(&state.db)
            .await?
            .map(|m| Stored { hospital_id: m.hospital_id, storage_key: m.storage_key.clone(), view: m.into() }),
        Subject::Action => px_action_attachment::Entity::find_by_id(attachment_id)
            .filter(px_action_attachment::Column::ActionId.eq(id))
            .filter(px_action_attachment::Column::DeletedAt.is_null())
            .one(&state.db)
            .await?
            .map(|m| Stored { hospital_id: m.hospital_id, storage_key: m.storage_key.clone(), view: m.into() }),
    };
    found.ok_or(not_found("attachment"))
}

/// A file to send: its row and content.
pub struct Download {
    pub view: AttachmentView,
    pub bytes: Vec<u8>,
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let content_type =
            Kind::from_content_type(&self.view.content_type).map_or("application/octet-stream", Kind::content_type);
        let disposition = HeaderValue::from_str(&content_disposition(&self.view.file_name))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CONTENT_DISPOSITION, disposition),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
            ],
            self.bytes,
        )
            .into_response()
    }
}

/// The content of a live attachment of a visible complaint or action; the read is audited.
pub async fn download(
    state: &AppState,
    actor: &Actor,
    subject: Subject,
    id: Uuid,
    attachment_id: Uuid,
) -> AppResult<Download> {
    visible(state, actor, subject, id).await?;
    let stored = find_live(state, subject, id, attachment_id).await?;
    let bytes = open(&state.config, &stored.storage_key)
        .await
        .map_err(|e| AppError::Unexpected(e.context(format!("attachment {attachment_id}: its file can't be read"))))?;
    record(
        &state.db,
        actor,
        Entry::new("attachment_downloaded", subject.resource_type(), attachment_id)
            .hospital(Some(stored.hospital_id))
            .details(serde_json::json!({"file_name": stored.view.file_name, "parent_id": id,
                "size_bytes": stored.view.size_bytes})),
    )
    .await?;
    Ok(Download { view: stored.view, bytes })
}

/// Soft-deletes a live attachment (handlers); the file stays for the record.
pub async fn delete(state: &AppState, actor: &Actor, subject: Subject, id: Uuid, attachment_id: Uuid) -> AppResult<()> {
    visible(state, actor, subject, id).await?;
    actor.require(state, Permission::HandleComplaints).await?;
    let stored = find_live(state, subject, id, attachment_id).await?;
    let txn = state.db.begin().await?;
    match subject {
        Subject::Complaint => {
            complaint_attachment::ActiveModel {
                id: Set(attachment_id),
                deleted_at: Set(Some(now())),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        Subject::Action => {
            px_action_attachment::ActiveModel {
                id: Set(attachment_id),
                deleted_at: Set(Some(now())),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
    }
    record(
        &txn,
        actor,
        Entry::new("attachment_deleted", subject.resource_type(), attachment_id)
            .hospital(Some(stored.hospital_id))
            .details(serde_json::json!({"file_name": stored.view.file_name, "parent_id": id})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading the multipart form
// ---------------------------------------------------------------------------------------------

/// The parts of a multipart form: the `file` part, if any, the text fields, and what was wrong
/// with them (a body that can't be read at all is an `Err` instead).
struct Form {
    upload: Upload,
    fields: Vec<(String, String)>,
    errors: FieldErrors,
}

impl Form {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        invalid("file", format!("The multipart body could not be read: {}.", e.body_text()))
    }
}

const NOT_MULTIPART: &str = "Send the file as multipart/form-data, in a part named \"file\".";

/// Reads every part; `text_fields` are the text parts accepted besides `file` (others are named
/// as unknown).
async fn read_form(multipart: Result<Multipart, MultipartRejection>, text_fields: &[&str]) -> AppResult<Form> {
    let mut multipart = multipart.map_err(|_| invalid("file", NOT_MULTIPART))?;
    let mut upload = Upload { is_evidence: true, ..Upload::default() };
    let mut fields = Vec::new();
    let mut errors = FieldErrors::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().map(clean_file_name);
            let bytes = field.bytes().await.map_err(|e| multipart_error(&e))?;
            match file_name {
                None => errors.add("file", "The submitted data was not a file. Check the encoding type on the form."),
                Some(_) if upload.file_name.is_some() => errors.add("file", "Send one file at a time."),
                Some(n) => {
                    upload.file_name = Some(n);
                    upload.bytes = bytes.to_vec();
                }
            }
        } else if text_fields.contains(&name.as_str()) {
            let text = field.text().await.map_err(|e| multipart_error(&e))?;
            fields.push((name, text));
        } else {
            // Read past it (the body limit bounds it) and name it.
            let _ = field.bytes().await.map_err(|e| multipart_error(&e))?;
            errors.add(if name.is_empty() { "non_field_errors" } else { &name }, "Unknown field.");
        }
    }
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned());
    upload.note = get("note").unwrap_or_default();
    if upload.note.chars().count() > MAX_NOTE_CHARS {
        errors.add("note", NOTE_TOO_LONG);
    }
    if let Some(v) = get("is_evidence") {
        match v.to_ascii_lowercase().as_str() {
            "" | "true" | "1" | "on" | "yes" => upload.is_evidence = true,
            "false" | "0" | "off" | "no" => upload.is_evidence = false,
            _ => errors.add("is_evidence", "Must be a valid boolean."),
        }
    }
    if upload.file_name.is_none() && errors.get("file").is_none() {
        errors.add("file", Refusal::Missing.message());
    }
    Ok(Form { upload, fields, errors })
}

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

/// The multipart form of an upload (schema only).
#[derive(ToSchema)]
#[allow(dead_code, reason = "describes the multipart form in the OpenAPI document")]
pub struct UploadForm {
    /// PDF, JPEG, PNG, HEIC or Word (DOCX), at most 10 MB; the content must match the extension.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Kept in the timeline entry's details (at most 2000 characters).
    note: Option<String>,
}

/// The multipart form of an action upload (schema only).
#[derive(ToSchema)]
#[allow(dead_code, reason = "describes the multipart form in the OpenAPI document")]
pub struct EvidenceForm {
    /// PDF, JPEG, PNG, HEIC or Word (DOCX), at most 10 MB; the content must match the extension.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    note: Option<String>,
    /// Whether the file is evidence of the work done (default true).
    is_evidence: Option<bool>,
}

fn ids(path: Result<Path<(Uuid, Uuid)>, PathRejection>) -> AppResult<(Uuid, Uuid)> {
    path.map(|Path(p)| p).map_err(|_| not_found("attachment"))
}

fn id(path: Result<Path<Uuid>, PathRejection>) -> AppResult<Uuid> {
    path.map(|Path(p)| p).map_err(|_| not_found("resource"))
}

fn page_of(list: Vec<AttachmentView>) -> Page<AttachmentView> {
    Page { count: list.len() as u64, next: None, previous: None, results: list }
}

async fn api_upload_any(
    state: &AppState,
    actor: &Actor,
    subject: Subject,
    id: Uuid,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let fields: &[&str] = match subject {
        Subject::Complaint => &["note"],
        Subject::Action => &["note", "is_evidence"],
    };
    // Who may upload is decided before the body is read, so a refused caller learns nothing more.
    visible(state, actor, subject, id).await?;
    if !may_upload(actor, subject) {
        actor.require(state, Permission::HandleComplaints).await?;
    }
    let form = read_form(multipart, fields).await?;
    form.errors.into_result()?;
    let view = upload(state, actor, subject, id, form.upload).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Adds a file to a complaint (multipart, part `file`; handlers, and the source user who filed it).
#[utoipa::path(post, path = "/api/complaints/{id}/attachments/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn api_complaint_upload(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<Uuid>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    api_upload_any(&state, &actor, Subject::Complaint, id(path)?, multipart).await
}

/// The live files of a complaint, oldest first.
#[utoipa::path(get, path = "/api/complaints/{id}/attachments/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 200, body = Page<AttachmentView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_complaint_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<Uuid>, PathRejection>,
) -> AppResult<Json<Page<AttachmentView>>> {
    Ok(Json(page_of(list(&state, &actor, Subject::Complaint, id(path)?).await?)))
}

/// Downloads a complaint's file (as an attachment, with its stored content type; audited).
#[utoipa::path(get, path = "/api/complaints/{id}/attachments/{attachment_id}/", tag = "Complaints",
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_complaint_download(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> AppResult<Download> {
    let (id, attachment_id) = ids(path)?;
    download(&state, &actor, Subject::Complaint, id, attachment_id).await
}

/// Removes a complaint's file (soft delete; handlers).
#[utoipa::path(delete, path = "/api/complaints/{id}/attachments/{attachment_id}/", tag = "Complaints",
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_complaint_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> AppResult<StatusCode> {
    let (id, attachment_id) = ids(path)?;
    delete(&state, &actor, Subject::Complaint, id, attachment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a file (evidence by default) to a PX Action (multipart, part `file`; handlers).
#[utoipa::path(post, path = "/api/actions/{id}/attachments/", tag = "Complaints", params(("id" = Uuid, Path)),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn api_action_upload(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<Uuid>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    api_upload_any(&state, &actor, Subject::Action, id(path)?, multipart).await
}

/// The live files of a PX Action, oldest first.
#[utoipa::path(get, path = "/api/actions/{id}/attachments/", tag = "Complaints", params(("id" = Uuid, Path)),
    responses((status = 200, body = Page<AttachmentView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_action_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<Uuid>, PathRejection>,
) -> AppResult<Json<Page<AttachmentView>>> {
    Ok(Json(page_of(list(&state, &actor, Subject::Action, id(path)?).await?)))
}

/// Downloads a PX Action's file (audited).
#[utoipa::path(get, path = "/api/actions/{id}/attachments/{attachment_id}/", tag = "Complaints",
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_action_download(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> AppResult<Download> {
    let (id, attachment_id) = ids(path)?;
    download(&state, &actor, Subject::Action, id, attachment_id).await
}

/// Removes a PX Action's file (soft delete; handlers).
#[utoipa::path(delete, path = "/api/actions/{id}/attachments/{attachment_id}/", tag = "Complaints",
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_action_delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> AppResult<StatusCode> {
    let (id, attachment_id) = ids(path)?;
    delete(&state, &actor, Subject::Action, id, attachment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The attachment API. Its routes take bodies up to 11 MB (the app-wide limit is smaller).
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_complaint_list, api_complaint_upload))
        .routes(routes!(api_complaint_download, api_complaint_delete))
        .routes(routes!(api_action_list, api_action_upload))
        .routes(routes!(api_action_download, api_action_delete))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/// One file of the panel.
pub struct PanelItem {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub icon: &'static str,
    pub size: String,
    pub uploader: String,
    pub created_at: DateTime<Utc>,
    pub is_evidence: Option<bool>,
    pub download_url: String,
    pub delete_url: String,
}

/// What `templates/complaints/attachments_panel.html` shows (its include expects this as
/// `attachments`, and the page's `chrome`).
pub struct AttachmentsPanel {
    pub is_action: bool,
    pub items: Vec<PanelItem>,
    /// The form's action (`/complaints/{id}/attachments/` or `/actions/{id}/attachments/`).
    pub upload_url: String,
    pub can_upload: bool,
    pub can_delete: bool,
    /// The limit is reached: the form is replaced by a note.
    pub full: bool,
    pub accept: &'static str,
    /// The locale key of the refusal to show (from `?attachment_error=`), if any.
    pub error_key: Option<String>,
    /// The page was reached right after a successful upload (`?attachment_uploaded=1`).
    pub uploaded: bool,
}

impl AttachmentsPanel {
    /// Shows the refusal named by the page's `?attachment_error=<code>` (unknown codes ignored).
    pub fn with_error_from_query(mut self, query: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
        self.error_key = pairs
            .iter()
            .find(|(k, _)| k == "attachment_error")
            .and_then(|(_, v)| Refusal::from_code(v))
            .map(|code| format!("att-error-{code}"));
        self.uploaded = pairs.iter().any(|(k, v)| k == "attachment_uploaded" && v == "1");
        self
    }
}

/// The attachments panel of a visible complaint or action (404 outside the actor's view).
pub async fn panel(state: &AppState, actor: &Actor, kind: Subject, id: Uuid) -> AppResult<AttachmentsPanel> {
    let files = list(state, actor, kind, id).await?;
    let uploader_ids: Vec<Uuid> = files.iter().filter_map(|f| f.uploaded_by).collect();
    let users = if uploader_ids.is_empty() {
        vec![]
    } else {
        user::Entity::find().filter(user::Column::Id.is_in(uploader_ids)).all(&state.db).await?
    };
    let base = format!("{}/{id}/attachments/", kind.page_prefix());
    let items = files
        .into_iter()
        .map(|f| {
            let uploader = f
                .uploaded_by
                .and_then(|u| users.iter().find(|x| x.id == u))
                .map(|u| {
                    let name = format!("{} {}", u.first_name, u.last_name).trim().to_owned();
                    if name.is_empty() { u.email.clone() } else { name }
                })
                .unwrap_or_else(|| "—".into());
            PanelItem {
                id: f.id,
                icon: Kind::from_content_type(&f.content_type).map_or("file-earmark", Kind::icon),
                size: human_size(f.size_bytes),
                download_url: format!("{base}{}/", f.id),
                delete_url: format!("{base}{}/delete/", f.id),
                file_name: f.file_name,
                content_type: f.content_type,
                uploader,
                created_at: f.created_at,
                is_evidence: f.is_evidence,
            }
        })
        .collect::<Vec<_>>();
    Ok(AttachmentsPanel {
        is_action: kind == Subject::Action,
        full: items.len() as u64 >= MAX_FILES,
        items,
        upload_url: base,
        can_upload: may_upload(actor, kind),
        can_delete: actor.role.may(Permission::HandleComplaints),
        accept: ACCEPT,
        error_key: None,
        uploaded: false,
    })
}

fn back(subject: Subject, id: Uuid, error: Option<&str>) -> Response {
    let target = match error {
        Some(code) => format!("{}/{id}/?attachment_error={code}#attachments", subject.page_prefix()),
        None => format!("{}/{id}/?attachment_uploaded=1#attachments", subject.page_prefix()),
    };
    Redirect::to(&target).into_response()
}

/// The page code of a refusal (the first of its `file` messages that is a known one).
fn refusal_code(errors: &FieldErrors) -> &'static str {
    let known = [
        Refusal::Missing,
        Refusal::Empty,
        Refusal::TooLarge,
        Refusal::Type,
        Refusal::Limit(Subject::Complaint),
        Refusal::Limit(Subject::Action),
    ];
    let messages = errors.0.get("file").cloned().unwrap_or_default();
    for m in &messages {
        if let Some(r) = known.iter().find(|r| r.message() == *m) {
            return r.code();
        }
        if m.starts_with("The file's content is not") {
            return "mismatch";
        }
    }
    "invalid"
}

async fn page_upload(
    state: &AppState,
    page: &PageActor,
    subject: Subject,
    id: Uuid,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let fields: &[&str] = match subject {
        Subject::Complaint => &["csrf_token", "note"],
        Subject::Action => &["csrf_token", "note", "is_evidence"],
    };
    let csrf_failed = || AppError::Forbidden("CSRF Failed: CSRF token missing or incorrect.".into());
    // A body that is not a readable multipart form carries no token we can trust.
    let form = match read_form(multipart, fields).await {
        Ok(form) => form,
        Err(AppError::Validation(_)) => return Err(csrf_failed().into()),
        Err(other) => return Err(other.into()),
    };
    // The token is checked before anything else, as `CsrfForm` does.
    if !secure_eq(form.field("csrf_token").unwrap_or_default(), &page.session.csrf_token) {
        return Err(csrf_failed().into());
    }
    if !form.errors.is_empty() {
        visible(state, &page.actor, subject, id).await?;
        return Ok(back(subject, id, Some(refusal_code(&form.errors))));
    }
    match upload(state, &page.actor, subject, id, form.upload).await {
        Ok(_) => Ok(back(subject, id, None)),
        Err(AppError::Validation(errors)) => Ok(back(subject, id, Some(refusal_code(&errors)))),
        Err(other) => Err(other.into()),
    }
}

async fn complaint_upload_page(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<Uuid>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    page_upload(&state, &page, Subject::Complaint, id(path)?, multipart).await
}

async fn action_upload_page(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<Uuid>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    page_upload(&state, &page, Subject::Action, id(path)?, multipart).await
}

async fn complaint_download_page(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> PageResult {
    let (id, attachment_id) = ids(path)?;
    Ok(download(&state, &page.actor, Subject::Complaint, id, attachment_id).await?.into_response())
}

async fn action_download_page(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> PageResult {
    let (id, attachment_id) = ids(path)?;
    Ok(download(&state, &page.actor, Subject::Action, id, attachment_id).await?.into_response())
}

async fn complaint_delete_page(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
    _form: CsrfForm,
) -> PageResult {
    let (id, attachment_id) = ids(path)?;
    delete(&state, &page.actor, Subject::Complaint, id, attachment_id).await?;
    Ok(back(Subject::Complaint, id, None))
}

async fn action_delete_page(
    State(state): State<AppState>,
    page: PageActor,
    path: Result<Path<(Uuid, Uuid)>, PathRejection>,
    _form: CsrfForm,
) -> PageResult {
    let (id, attachment_id) = ids(path)?;
    delete(&state, &page.actor, Subject::Action, id, attachment_id).await?;
    Ok(back(Subject::Action, id, None))
}

/// The attachment pages: uploads (multipart forms with `csrf_token`), downloads and removals.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/complaints/{id}/attachments/", post(complaint_upload_page))
        .route("/complaints/{id}/attachments/{attachment_id}/", get(complaint_download_page))
        .route("/complaints/{id}/attachments/{attachment_id}/delete/", post(complaint_delete_page))
        .route("/actions/{id}/attachments/", post(action_upload_page))
        .route("/actions/{id}/attachments/{attachment_id}/", get(action_download_page))
        .route("/actions/{id}/attachments/{attachment_id}/delete/", post(action_delete_page))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A minimal ZIP with the given entry names (stored, empty), central directory included.
    pub fn zip(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for name in names {
            let offset = u32::try_from(out.len()).unwrap();
            let n = u16::try_from(name.len()).unwrap();
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0; 12]); // crc, sizes
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&n.to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = u32::try_from(out.len()).unwrap();
        let cd_len = u32::try_from(central.len()).unwrap();
        out.extend_from_slice(&central);
        let count = u16::try_from(names.len()).unwrap();
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&cd_len.to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    fn heif(brand: &[u8; 4]) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 24];
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(brand);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(b"mif1heic");
        b
    }

    #[test]
    fn sniffs_by_magic_bytes() {
        let docx = zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        let mut docx_local_only = zip(&["word/document.xml"]);
        let cut = docx_local_only.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        docx_local_only.truncate(cut);
        let cases: Vec<(&str, Vec<u8>, Option<Kind>)> = vec![
            ("pdf", b"%PDF-1.7\n%\xe2\xe3".to_vec(), Some(Kind::Pdf)),
            ("pdf without dash", b"%PDF1.7".to_vec(), None),
            ("jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], Some(Kind::Jpeg)),
            ("jpeg too short", vec![0xFF, 0xD8], None),
            ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), Some(Kind::Png)),
            ("png with a bad byte", b"\x89PNG\r\n\x1a\x0b".to_vec(), None),
            ("heic", heif(b"heic"), Some(Kind::Heic)),
            ("heix", heif(b"heix"), Some(Kind::Heic)),
            ("hevc", heif(b"hevc"), Some(Kind::Heic)),
            ("mif1", heif(b"mif1"), Some(Kind::Heic)),
            ("msf1", heif(b"msf1"), Some(Kind::Heic)),
            ("heim", heif(b"heim"), Some(Kind::Heic)),
            ("heis", heif(b"heis"), Some(Kind::Heic)),
            ("mp4 (another ftyp brand)", heif(b"isom"), None),
            ("avif", heif(b"avif"), None),
            ("docx", docx, Some(Kind::Docx)),
            ("docx without central directory", docx_local_only, Some(Kind::Docx)),
            ("xlsx (a zip without word/document.xml)", zip(&["xl/workbook.xml"]), None),
            ("a zip naming word/document.xml.bak", zip(&["word/document.xml.bak"]), None),
            ("exe", b"MZ\x90\0\x03\0\0\0".to_vec(), None),
            ("text", b"hello, this is not an image".to_vec(), None),
            ("empty", vec![], None),
            ("truncated zip", b"PK\x03\x04\x14\0".to_vec(), None),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(sniff(&bytes), want, "{name}");
        }
    }

    #[test]
    fn a_corrupt_zip_never_panics() {
        let good = zip(&["word/document.xml"]);
        for cut in 0..good.len() {
            let _ = sniff(&good[..cut]);
        }
        let mut lying = good.clone();
        let n = lying.len();
        lying[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes()); // central directory offset
        let _ = sniff(&lying);
    }

    #[test]
    fn checks_extension_content_size_and_count() {
        let pdf = b"%PDF-1.4 tiny".to_vec();
        let png = b"\x89PNG\r\n\x1a\n....".to_vec();
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_FILE_BYTES + 1, b' ');
        let mut max = b"%PDF-".to_vec();
        max.resize(MAX_FILE_BYTES, b' ');
        let message = |r: Result<Kind, FieldErrors>| r.unwrap_err().0["file"].clone();
        assert_eq!(check_upload("report.pdf", &pdf, 0), Ok(Kind::Pdf));
        assert_eq!(check_upload("تقرير.PDF", &pdf, 9), Ok(Kind::Pdf));
        assert_eq!(check_upload("photo.JPEG", &[0xFF, 0xD8, 0xFF, 0xDB], 0), Ok(Kind::Jpeg));
        assert_eq!(check_upload("max.pdf", &max, 0), Ok(Kind::Pdf));
        assert_eq!(message(check_upload("big.pdf", &big, 0)), vec!["The file is larger than 10 MB."]);
        assert_eq!(
            message(check_upload("x.exe", b"MZ\x90\0", 0)),
            vec!["Only PDF, JPEG, PNG, HEIC and Word (DOCX) files are accepted."]
        );
        assert_eq!(
            message(check_upload("notes.txt", b"hello", 0)),
            vec!["Only PDF, JPEG, PNG, HEIC and Word (DOCX) files are accepted."]
        );
        assert_eq!(
            message(check_upload("no-extension", &pdf, 0)),
            vec!["Only PDF, JPEG, PNG, HEIC and Word (DOCX) files are accepted."]
        );
        assert_eq!(message(check_upload("x.pdf", &png, 0)), vec!["The file's content is not a PDF file."]);
        assert_eq!(message(check_upload("x.pdf", b"MZ\x90\0", 0)), vec!["The file's content is not a PDF file."]);
        assert_eq!(message(check_upload("x.jpg", b"just text", 0)), vec!["The file's content is not a JPEG file."]);
        assert_eq!(message(check_upload("x.pdf", &pdf, 10)), vec!["A complaint has at most 10 attachments."]);
        assert_eq!(
            check_upload_to(Subject::Action, "x.pdf", &pdf, 10).unwrap_err().get("file"),
            Some("An action has at most 10 attachments.")
        );
        assert_eq!(message(check_upload("x.pdf", b"", 0)), vec!["The submitted file is empty."]);
        // Everything wrong is said at once.
        assert_eq!(message(check_upload("x.jpg", &big, 10)).len(), 3);
    }

    #[test]
    fn file_names_and_disposition() {
        assert_eq!(clean_file_name("C:\\fakepath\\report.pdf"), "report.pdf");
        assert_eq!(clean_file_name("../../etc/passwd.pdf"), "passwd.pdf");
        assert_eq!(clean_file_name(" a\u{0}b\n.pdf "), "ab.pdf");
        let long = format!("{}.docx", "x".repeat(400));
        let cleaned = clean_file_name(&long);
        assert_eq!(cleaned.chars().count(), 255);
        assert!(cleaned.ends_with(".docx"));
        assert_eq!(
            content_disposition("تقرير طبي.pdf"),
            "attachment; filename=\"_____ ___.pdf\"; filename*=UTF-8''%D8%AA%D9%82%D8%B1%D9%8A%D8%B1%20%D8%B7%D8%A8%D9%8A.pdf"
        );
        assert_eq!(content_disposition("a\"b.pdf"), "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf");
        assert_eq!(human_size(820), "820 B");
        assert_eq!(human_size(14_540), "14.2 KB");
        assert_eq!(human_size(3_250_000), "3.1 MB");
    }

    #[test]
    fn storage_keys_are_ours_only() {
        let h = Uuid::now_v7();
        let f = Uuid::new_v4();
        assert!(valid_key(&format!("{h}/2026/{f}")));
        for bad in [
            format!("{h}/2026/../{f}"),
            format!("../{h}/2026/{f}"),
            format!("{h}/26/{f}"),
            format!("/{h}/2026/{f}"),
            format!("{h}/2026/{f}/x"),
            format!("{}/2026/{f}", h.to_string().to_uppercase()),
            "/etc/passwd".into(),
        ] {
            assert!(!valid_key(&bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn stores_by_temp_file_and_rename_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("px360-att-{}", Uuid::new_v4()));
        let config = Config { attachments_dir: dir.display().to_string(), ..Config::default() };
        let hospital = Uuid::now_v7();
        let (key, sha) = store(&config, hospital, b"%PDF-1.4 hello").await.unwrap();
        assert!(key.starts_with(&format!("{hospital}/")) && valid_key(&key), "{key}");
        assert_eq!(sha, hex::encode(Sha256::digest(b"%PDF-1.4 hello")));
        assert_eq!(open(&config, &key).await.unwrap(), b"%PDF-1.4 hello");
        let files = stored_files(&dir);
        assert_eq!(files.len(), 1, "no temporary file left: {files:?}");
        assert!(open(&config, "../../etc/passwd").await.is_err());
        remove(&config, &key).await.unwrap();
        assert!(stored_files(&dir).is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn refusal_codes_round_trip_for_the_pages() {
        for r in [Refusal::Missing, Refusal::Empty, Refusal::TooLarge, Refusal::Type, Refusal::Limit(Subject::Action)] {
            let mut e = FieldErrors::new();
            e.add("file", r.message());
            assert_eq!(refusal_code(&e), r.code());
        }
        let mut e = FieldErrors::new();
        e.add("file", Refusal::Mismatch(Kind::Png).message());
        assert_eq!(refusal_code(&e), "mismatch");
        let panel = AttachmentsPanel {
            is_action: false,
            items: vec![],
            upload_url: String::new(),
            can_upload: true,
            can_delete: false,
            full: false,
            accept: ACCEPT,
            error_key: None,
            uploaded: false,
        };
        let panel = panel.with_error_from_query(Some("a=1&attachment_error=too_large"));
        assert_eq!(panel.error_key.as_deref(), Some("att-error-too_large"));
        let panel = panel.with_error_from_query(Some("attachment_error=nav-home"));
        assert_eq!(panel.error_key, None, "only known codes");
    }

    #[derive(askama::Template)]
    #[template(source = "{% include \"complaints/attachments_panel.html\" %}", ext = "html")]
    struct Preview<'a> {
        chrome: crate::web::Chrome,
        attachments: &'a AttachmentsPanel,
    }

    fn chrome(lang: crate::i18n::Lang) -> crate::web::Chrome {
        crate::web::Chrome {
            lang,
            title: String::new(),
            user_name: String::new(),
            role_label: String::new(),
            csrf: "tok3n".into(),
            path: "/complaints/x/".into(),
            nav: vec![],
            hospitals: vec![],
            hospital_label: String::new(),
        }
    }

    #[test]
    fn the_panel_renders_files_and_the_upload_form_in_both_languages() {
        use askama::Template;
        let id = Uuid::now_v7();
        let item = PanelItem {
            id,
            file_name: "تقرير <طبي>.pdf".into(),
            content_type: "application/pdf".into(),
            icon: Kind::Pdf.icon(),
            size: human_size(2048),
            uploader: "Sara".into(),
            created_at: Utc::now(),
            is_evidence: Some(true),
            download_url: format!("/actions/{id}/attachments/{id}/"),
            delete_url: format!("/actions/{id}/attachments/{id}/delete/"),
        };
        let panel = AttachmentsPanel {
            is_action: true,
            items: vec![item],
            upload_url: format!("/actions/{id}/attachments/"),
            can_upload: true,
            can_delete: true,
            full: false,
            accept: ACCEPT,
            error_key: None,
            uploaded: false,
        }
        .with_error_from_query(Some("attachment_error=mismatch"));
        for lang in [crate::i18n::Lang::En, crate::i18n::Lang::Ar] {
            let html = Preview { chrome: chrome(lang), attachments: &panel }.render().unwrap();
            assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
            assert!(html.contains("accept=\".pdf,.jpg,.jpeg,.png,.heic,.docx\""));
            assert!(html.contains("name=\"csrf_token\" value=\"tok3n\""));
            assert!(html.contains("name=\"is_evidence\""));
            assert!(html.contains("طبي") && !html.contains("<طبي>"), "the name is escaped");
            assert!(html.contains("2.0 KB") && html.contains("Sara"));
            assert!(html.contains(&format!("/actions/{id}/attachments/{id}/delete/")));
            assert!(!html.contains("att-"), "every string is translated: {html}");
            let refusal = lang.t("att-error-mismatch");
            assert!(html.contains("id=\"attachment-error\"") && html.contains(refusal.split('\'').next().unwrap()));
        }
        let full = AttachmentsPanel { is_action: false, items: vec![], full: true, can_delete: false, ..panel };
        let html = Preview { chrome: chrome(crate::i18n::Lang::En), attachments: &full }.render().unwrap();
        assert!(!html.contains("multipart/form-data") && html.contains("attachments-full"), "{html}");
        assert!(!html.contains("is_evidence"));
    }
}
