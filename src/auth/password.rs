//! argon2id password hashing, always off the async runtime.

use anyhow::Context;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::error::{AppResult, FieldErrors};

pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// False for a wrong password or an unparsable stored hash.
pub async fn verify_password(password: String, stored: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .context("password verification task")
}

/// Password policy: 10–128 characters, not all digits, not the email.
pub fn check_password_policy(field: &str, password: &str, email: &str, errors: &mut FieldErrors) {
    let len = password.chars().count();
    if len < 10 {
        errors.add(field, "This password is too short. It must contain at least 10 characters.");
    } else if len > 128 {
        errors.add(field, "Ensure this field has no more than 128 characters.");
    } else if password.chars().all(|c| c.is_ascii_digit()) {
        errors.add(field, "This password is entirely numeric.");
    } else if !email.is_empty() && password.eq_ignore_ascii_case(email) {
        errors.add(field, "The password is too similar to the email.");
    }
}

/// Convenience for callers that check one password alone.
pub fn validate_password(field: &str, password: &str, email: &str) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    check_password_policy(field, password, email, &mut errors);
    errors.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_fail() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("wrong horse battery".into(), hash).await.unwrap());
        assert!(!verify_password("x".into(), "not a hash".into()).await.unwrap());
    }

    #[test]
    fn policy_rejects_short_numeric_and_email_passwords() {
        for bad in ["short", "12345678901", "a@b.example"] {
            assert!(validate_password("password", bad, "a@b.example").is_err(), "{bad}");
        }
        assert!(validate_password("password", "a long enough phrase", "a@b.example").is_ok());
    }
}
