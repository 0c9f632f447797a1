//! Signed, expiring link tokens for pages the worker serves to a user (the
//! month report, a data export).
//!
//! A token is `base64url(claims JSON) "." base64url(HMAC-SHA256(key, claims))`.
//! The claims name what the link opens, for whom and until when; the MAC makes
//! them unforgeable, and 16 random bytes (`nonce`) make two links for the same
//! page differ. Verification compares the MAC in constant time and rejects an
//! expired token, so a wrong and an expired link look the same to the caller.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The page: `report` or `export`.
    pub kind: String,
    pub customer_id: String,
    /// Set when the page is about one user rather than the household.
    pub user_id: Option<String>,
    /// The period the page covers, such as `2026-12`.
    pub period: Option<String>,
    /// Unix seconds after which the token is rejected.
    pub expires_at: i64,
    /// Random, hex: two tokens for the same page never coincide.
    pub nonce: String,
}

/// Signs `claims` into a token that fits in a URL path segment.
pub fn sign(key: &[u8], claims: &Claims) -> String {
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let encoded = URL_SAFE_NO_PAD.encode(&payload);
    let tag = URL_SAFE_NO_PAD.encode(mac(key, encoded.as_bytes()).finalize().into_bytes());
    format!("{encoded}.{tag}")
}

/// Returns the claims of a token signed with `key`, of the expected `kind`,
/// that has not expired at `now` (unix seconds). Anything else is `None`.
pub fn verify(key: &[u8], token: &str, kind: &str, now: i64) -> Option<Claims> {
    let (encoded, tag) = token.split_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    // verify_slice compares in constant time.
    mac(key, encoded.as_bytes()).verify_slice(&tag).ok()?;
    let payload = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    let claims: Claims = serde_json::from_slice(&payload).ok()?;
    (claims.kind == kind && now < claims.expires_at).then_some(claims)
}

/// Returns `path` with the token of a report or export link replaced by
/// `{token}`, keeping the prefix and the `/csv`, `.csv` or `.json` suffix.
/// A link is a bearer credential, so the paths written to logs, Sentry and
/// Telegram go through this; any other path is returned as it is.
pub fn redact_link_path(path: &str) -> String {
    let prefixes = [
        crate::report::PATH_PREFIX,
        crate::privacy::export::PATH_PREFIX,
    ];
    let Some((prefix, rest)) = prefixes
        .into_iter()
        .find_map(|prefix| Some((prefix, path.strip_prefix(prefix)?)))
    else {
        return path.to_owned();
    };
    let suffix = ["/csv", ".csv", ".json"]
        .into_iter()
        .find(|suffix| rest.len() > suffix.len() && rest.ends_with(suffix))
        .unwrap_or_default();
    format!("{prefix}{{token}}{suffix}")
}

fn mac(key: &[u8], data: &[u8]) -> Hmac<Sha256> {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(b"misgastos-link:");
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"link-key";

    fn claims() -> Claims {
        Claims {
            kind: "report".into(),
            customer_id: "c1".into(),
            user_id: None,
            period: Some("2026-12".into()),
            expires_at: 1_000,
            nonce: "00112233445566778899aabbccddeeff".into(),
        }
    }

    #[test]
    fn signed_token_verifies_until_expiry() {
        let token = sign(KEY, &claims());
        assert_eq!(verify(KEY, &token, "report", 999), Some(claims()));
        assert_eq!(verify(KEY, &token, "report", 1_000), None);
    }

    #[test]
    fn tampered_or_foreign_tokens_fail() {
        let token = sign(KEY, &claims());
        let (payload, tag) = token.split_once('.').expect("two parts");
        let mut other = claims();
        other.customer_id = "c2".into();
        let forged_payload = sign(KEY, &other);
        let (other_payload, _) = forged_payload.split_once('.').expect("two parts");
        let cases = [
            format!("{other_payload}.{tag}"),
            format!("{payload}.{}", &tag[1..]),
            payload.to_owned(),
            String::new(),
            "..".to_owned(),
            sign(b"other-key", &claims()),
        ];
        for case in cases {
            assert_eq!(verify(KEY, &case, "report", 0), None, "{case}");
        }
        assert_eq!(verify(KEY, &token, "export", 0), None, "kind must match");
    }

    #[test]
    fn link_paths_lose_their_token() {
        let token = sign(KEY, &claims());
        let cases = [
            (format!("/reports/{token}"), "/reports/{token}"),
            (format!("/reports/{token}/csv"), "/reports/{token}/csv"),
            (format!("/exports/{token}.csv"), "/exports/{token}.csv"),
            (format!("/exports/{token}.json"), "/exports/{token}.json"),
            (format!("/exports/{token}"), "/exports/{token}"),
            ("/reports/".to_owned(), "/reports/{token}"),
            ("/reports/.csv".to_owned(), "/reports/{token}"),
            ("/webhooks/whatsapp".to_owned(), "/webhooks/whatsapp"),
            ("/health".to_owned(), "/health"),
        ];
        for (path, expected) in cases {
            assert_eq!(redact_link_path(&path), expected, "{path}");
        }
    }

    #[test]
    fn token_is_url_safe() {
        let token = sign(KEY, &claims());
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{token}"
        );
    }
}
