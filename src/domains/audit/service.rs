//! Writing and verifying the audit log. Each hospital (and the group, `global`) has its own chain:
//! an entry's hash is `SHA-256(prev_hash ‖ canonical row)`, and `audit_chain_heads` holds the last
//! seq and hash so a removed tail is noticed too.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, Statement, TransactionSession, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::model::{audit_event, chain_head};
use crate::auth::Actor;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, to what. The actor and request details come from the [`Actor`].
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub hospital_id: Option<Uuid>,
    pub details: serde_json::Value,
}

impl Entry {
    pub fn new(action: &str, resource_type: &str, resource_id: impl ToString) -> Self {
        Entry {
            action: action.into(),
            resource_type: resource_type.into(),
            resource_id: resource_id.to_string(),
            hospital_id: None,
            details: serde_json::json!({}),
        }
    }
    pub fn hospital(mut self, hospital_id: Option<Uuid>) -> Self {
        self.hospital_id = hospital_id;
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

fn chain_key(hospital_id: Option<Uuid>) -> String {
    hospital_id.map_or_else(|| "global".to_owned(), |h| h.to_string())
}

/// The canonical bytes an entry's hash covers.
fn digest(prev_hash: &str, e: &audit_event::Model) -> String {
    let fields = [
        e.id.to_string(),
        e.chain_key.clone(),
        e.seq.to_string(),
        e.actor_id.map(|u| u.to_string()).unwrap_or_default(),
        e.actor_email.clone(),
        e.actor_role.clone(),
        e.hospital_id.map(|u| u.to_string()).unwrap_or_default(),
        e.action.clone(),
        e.resource_type.clone(),
        e.resource_id.clone(),
        e.ip.clone(),
        e.user_agent.clone(),
        e.request_id.clone(),
        e.details.to_string(),
        e.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    ];
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    for field in fields {
        // Length-prefixed so no two different rows share a byte string.
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Appends an entry to its hospital's chain. Runs in its own (nested) transaction so that the
/// chain head is locked from read to write on both backends.
pub async fn record<C>(db: &C, actor: &Actor, entry: Entry) -> anyhow::Result<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    crate::cache::invalidate();
    let hospital_id = entry.hospital_id.or(actor.hospital_id);
    let key = chain_key(hospital_id);
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO audit_chain_heads (chain_key, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain_key) DO NOTHING",
        [key.clone().into(), GENESIS.into()],
    ))
    .await?;
    let txn = db.begin().await?;
    // Writing first takes the row lock (PostgreSQL) or the write lock (SQLite) before reading.
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE audit_chain_heads SET seq = seq + 1 WHERE chain_key = $1",
        [key.clone().into()],
    ))
    .await?;
    let head = chain_head::Entity::find_by_id(key.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("audit chain head {key} vanished"))?;
    let mut event = audit_event::Model {
        id: Uuid::now_v7(),
        chain_key: key,
        seq: head.seq,
        prev_hash: head.hash.clone(),
        hash: String::new(),
        actor_id: actor.user_id,
        actor_email: actor.email.clone(),
        actor_role: actor.role.as_str().to_owned(),
        hospital_id,
        action: entry.action,
        resource_type: entry.resource_type,
        resource_id: entry.resource_id,
        ip: actor.meta.ip.clone(),
        user_agent: actor.meta.user_agent.clone(),
        request_id: actor.meta.request_id.clone(),
        details: entry.details,
        created_at: Utc::now().trunc_subsecs(6),
    };
    event.hash = digest(&head.hash, &event);
    let hash = event.hash.clone();
    let chain = event.chain_key.clone();
    audit_event::ActiveModel::from(event).insert(&txn).await?;
    let mut head: chain_head::ActiveModel = head.into();
    head.hash = Set(hash);
    head.chain_key = sea_orm::Unchanged(chain);
    head.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The first entry that breaks its chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Break {
    pub chain_key: String,
    pub seq: i64,
    pub id: Option<Uuid>,
    pub reason: String,
}

/// Walks every chain; `Ok(count)` of verified entries, or the first break.
pub async fn verify(db: &DatabaseConnection) -> anyhow::Result<Result<u64, Break>> {
    let heads = chain_head::Entity::find().order_by_asc(chain_head::Column::ChainKey).all(db).await?;
    let mut checked = 0u64;
    for head in heads {
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1i64;
        let mut pages = audit_event::Entity::find()
            .filter(audit_event::Column::ChainKey.eq(head.chain_key.clone()))
            .order_by_asc(audit_event::Column::Seq)
            .paginate(db, 1000);
        while let Some(rows) = pages.fetch_and_next().await? {
            for e in rows {
                let broken =
                    |reason: String| Break { chain_key: e.chain_key.clone(), seq: e.seq, id: Some(e.id), reason };
                if e.seq != expected_seq {
                    return Ok(Err(Break {
                        chain_key: e.chain_key.clone(),
                        seq: expected_seq,
                        id: None,
                        reason: format!("entry {expected_seq} is missing (next present is {})", e.seq),
                    }));
                }
                if e.prev_hash != prev {
                    return Ok(Err(broken("prev_hash does not match the previous entry".into())));
                }
                if digest(&prev, &e) != e.hash {
                    return Ok(Err(broken("contents do not match the stored hash (row altered)".into())));
                }
                prev = e.hash.clone();
                expected_seq += 1;
                checked += 1;
            }
        }
        if head.seq != expected_seq - 1 || head.hash != prev {
            return Ok(Err(Break {
                chain_key: head.chain_key.clone(),
                seq: expected_seq,
                id: None,
                reason: format!(
                    "chain head says {} entries but {} are present (tail removed)",
                    head.seq,
                    expected_seq - 1
                ),
            }));
        }
    }
    Ok(Ok(checked))
}

/// Parses the `created_at` bounds of the audit list filters.
pub fn parse_day(value: &str) -> Option<DateTime<Utc>> {
    let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}
