//! Short-lived HS256 access tokens. Refresh tokens are opaque and live in the database.

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// Always `access`: a refresh token is never a JWT, so one can't be used as the other.
    pub typ: String,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &str, access_minutes: i64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            access_ttl: Duration::minutes(access_minutes),
        }
    }

    pub fn access_ttl_seconds(&self) -> i64 {
        self.access_ttl.num_seconds()
    }

    pub fn issue(&self, user_id: Uuid, role: &str) -> anyhow::Result<String> {
        let now = Utc::now();
        let claims = Claims {
            sub: user_id,
            role: role.to_owned(),
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
            jti: Uuid::now_v7(),
            typ: "access".into(),
        };
        Ok(encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// `None` for an expired, tampered, wrong-algorithm or otherwise invalid token.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        let data = decode::<Claims>(token, &self.decoding, &validation).ok()?;
        (data.claims.typ == "access").then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampered_ones_do_not() {
        let keys = JwtKeys::new(&"k".repeat(32), 15);
        let id = Uuid::now_v7();
        let token = keys.issue(id, "viewer").unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, id);
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify(&tampered).is_none());
        let other = JwtKeys::new(&"z".repeat(32), 15);
        assert!(other.verify(&token).is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = JwtKeys::new(&"k".repeat(32), -10);
        let token = keys.issue(Uuid::now_v7(), "viewer").unwrap();
        assert!(keys.verify(&token).is_none());
    }
}
