//! Token authentication (issue 12): SocketCluster's own mechanism. A socket is
//! authenticated by a JWT signed HS256 with the relay's key, sent as the `#handshake`
//! `authToken`, by `#authenticate`, or as `?token=` in the WebSocket URL; the report API
//! takes the same token as `Authorization: Bearer`. Off unless a key is configured.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use crate::options::InvalidOption;
use crate::protocol::error::{names, ErrorObject};

/// Seconds of clock difference tolerated on `exp` / `nbf`.
const LEEWAY_SECS: u64 = 5;

/// The secret relay tokens are signed with (HS256). Its `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey(String);

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthKey(..)")
    }
}

/// The claims of a token this relay issues: `iat`, and `exp` when it expires.
#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
}

/// A verified token: when it expires (seconds since the epoch), if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verified {
    pub(crate) exp: Option<u64>,
}

impl Verified {
    /// Whether the token has expired by now (checked again on every relay event).
    pub(crate) fn expired(&self) -> bool {
        self.exp.is_some_and(|exp| now_secs() > exp + LEEWAY_SECS)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl AuthKey {
    /// A key from its secret text (the `--authKey` value, a key file's content with
    /// the trailing newline removed, or `REMOTEDEV_AUTH_KEY`).
    pub fn new(secret: impl Into<String>) -> AuthKey {
        AuthKey(secret.into())
    }

    /// Checks the key; [`crate::RelayOptions::validate`] calls it.
    ///
    /// # Errors
    /// [`InvalidOption`] for `auth_key` when the secret is empty or only whitespace.
    pub fn validate(&self) -> Result<(), InvalidOption> {
        if self.0.trim().is_empty() {
            return Err(InvalidOption::new(
                "auth_key",
                "must not be empty (use a long random secret, e.g. `openssl rand -hex 32`)",
            ));
        }
        Ok(())
    }

    /// A token signed with this key (HS256, `iat` now), valid for `expires_in` (no
    /// `exp` claim when `None`: valid until the key changes). What `remotedev token`
    /// prints.
    pub fn issue_token(&self, expires_in: Option<Duration>) -> String {
        let now = now_secs();
        let claims = Claims {
            iat: Some(now),
            exp: expires_in.map(|d| now.saturating_add(d.as_secs())),
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.0.as_bytes()),
        )
        .expect("HS256 signing of plain claims cannot fail")
    }

    /// Verifies a token: HS256 signature with this key, `exp` and `nbf` when present.
    /// The error is the SocketCluster error object the reference server sends
    /// (`AuthTokenExpiredError`, `AuthTokenNotBeforeError`, `AuthTokenInvalidError`).
    pub(crate) fn verify(&self, token: &str) -> Result<Verified, ErrorObject> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        match jsonwebtoken::decode::<Claims>(
            token,
            &DecodingKey::from_secret(self.0.as_bytes()),
            &validation,
        ) {
            Ok(data) => Ok(Verified {
                exp: data.claims.exp,
            }),
            Err(e) => Err(match e.kind() {
                ErrorKind::ExpiredSignature => {
                    ErrorObject::new("AuthTokenExpiredError", "jwt expired")
                }
                ErrorKind::ImmatureSignature => {
                    ErrorObject::new("AuthTokenNotBeforeError", "jwt not active")
                }
                ErrorKind::InvalidSignature => {
                    ErrorObject::new(names::AUTH_TOKEN_INVALID, "invalid signature")
                }
                _ => ErrorObject::new(names::AUTH_TOKEN_INVALID, "invalid token"),
            }),
        }
    }
}

/// The refusal of a relay event or `#subscribe` from a socket without a valid token.
pub(crate) fn required(what: &str) -> ErrorObject {
    ErrorObject::new(
        names::AUTH,
        format!(
            "{what} refused: this relay requires an auth token (send a JWT signed with \
             its key as the handshake authToken or ?token=; `remotedev token` prints one)"
        ),
    )
}

/// Parses `30d`, `12h`, `90m`, `3600s` or `1week` (humantime) for `remotedev token --exp`.
///
/// # Errors
/// The parser's message for text that is not a duration.
pub fn parse_expiry(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| format!("{text:?}: {e}"))?;
    if d.as_secs() == 0 {
        return Err(format!("{text:?}: must be at least one second"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_foreign_or_expired_ones_do_not() {
        let key = AuthKey::new("secret");
        let t = key.issue_token(Some(Duration::from_secs(60)));
        assert!(key.verify(&t).unwrap().exp.is_some());
        assert!(key.verify(&key.issue_token(None)).unwrap().exp.is_none());
        let other = AuthKey::new("other");
        assert_eq!(
            other.verify(&t).unwrap_err().name.as_deref(),
            Some("AuthTokenInvalidError")
        );
        let claims = Claims {
            exp: Some(now_secs() - 3600),
            iat: None,
        };
        let old = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        assert_eq!(
            key.verify(&old).unwrap_err().name.as_deref(),
            Some("AuthTokenExpiredError")
        );
        assert!(key.verify("not.a.jwt").is_err());
        assert!(format!("{key:?}").find("secret").is_none());
        assert_eq!(parse_expiry("30d").unwrap().as_secs(), 30 * 86400);
        assert!(parse_expiry("soon").is_err());
    }
}
