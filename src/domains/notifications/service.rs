//! Delivery of a message (by the `send_notification` job).

use uuid::Uuid;

use crate::app::AppState;
use crate::jobs::handlers::JobError;

/// Sends message `id` through its channel's provider. Idempotent: a message that is no longer
/// queued is left alone.
pub async fn deliver(_state: &AppState, id: Uuid) -> Result<(), JobError> {
    Err(JobError::Permanent(format!("message {id}: notifications are not wired yet")))
}
