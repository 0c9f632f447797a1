//! Verifying Kapso's webhook signature.
//!
//! Kapso signs each delivery with `HMAC-SHA256(secret, raw body)` as lowercase
//! hex. This project's operators configure the header `x-kapso-signature`;
//! Kapso's own header is `x-webhook-signature`. Both are accepted, with or
//! without a `sha256=` prefix, and checked against every configured secret
//! (the current one and, during a rotation, the previous one). The check runs
//! over the raw bytes before anything parses them.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header this project's operators configure in Kapso.
pub const KAPSO_SIGNATURE_HEADER: &str = "x-kapso-signature";
/// The header Kapso itself documents.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "x-webhook-signature";

/// Why a delivery was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing signature header")]
    Missing,
    #[error("signature is not hex-encoded SHA-256")]
    Malformed,
    #[error("signature does not match the body")]
    Mismatch,
}

impl SignatureError {
    /// A short, stable label for logs.
    pub fn reason(self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Malformed => "malformed",
            SignatureError::Mismatch => "mismatch",
        }
    }
}

/// Computes the lowercase hex signature of `body`, as Kapso sends it.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = new_mac(secret);
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks the signature headers of a delivery against every secret.
///
/// `headers` holds the values of `x-kapso-signature` and `x-webhook-signature`
/// (either may be absent). The delivery is accepted when any header value
/// matches `body` under any secret.
///
/// # Errors
///
/// [`SignatureError::Missing`] when no header has a value,
/// [`SignatureError::Malformed`] when no value decodes as 32 bytes of hex, and
/// [`SignatureError::Mismatch`] when none matches.
pub fn verify<S: AsRef<[u8]>>(
    secrets: &[S],
    headers: [Option<&str>; 2],
    body: &[u8],
) -> Result<(), SignatureError> {
    let values: Vec<&str> = headers.into_iter().flatten().collect();
    if values.iter().all(|value| value.trim().is_empty()) {
        return Err(SignatureError::Missing);
    }

    let digests: Vec<[u8; 32]> = values.iter().filter_map(|value| decode(value)).collect();
    if digests.is_empty() {
        return Err(SignatureError::Malformed);
    }

    for secret in secrets {
        let secret = secret.as_ref();
        if secret.is_empty() {
            continue;
        }
        for digest in &digests {
            let mut mac = new_mac(secret);
            mac.update(body);
            // verify_slice compares in constant time.
            if mac.verify_slice(digest).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// Decodes one header value: optional `sha256=` prefix, then 64 hex digits in
/// either case, with surrounding whitespace ignored.
fn decode(value: &str) -> Option<[u8; 32]> {
    let value = value.trim();
    let hex_digits = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sha256=") => &value[7..],
        _ => value,
    };
    let mut digest = [0_u8; 32];
    hex::decode_to_slice(hex_digits.trim(), &mut digest).ok()?;
    Some(digest)
}

fn new_mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length, so this never fails.
    match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"kapso-test-secret";
    const BODY: &[u8] = br#"{"message":{"id":"wamid.1"}}"#;

    fn check(headers: [Option<&str>; 2]) -> Result<(), SignatureError> {
        verify(&[SECRET], headers, BODY)
    }

    #[test]
    fn signature_matches_known_vector() {
        // RFC 4231 test case 2.
        let digest = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            digest,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn accepts_each_header_and_form() {
        let good = sign(SECRET, BODY);
        let prefixed = format!("sha256={good}");
        let upper = good.to_uppercase();
        let padded = format!("  {good} \n");
        let upper_prefix = format!("SHA256={good}");
        let cases: [[Option<&str>; 2]; 6] = [
            [Some(&good), None],
            [None, Some(&good)],
            [Some(&prefixed), None],
            [Some(&upper), None],
            [Some(&padded), None],
            [None, Some(&upper_prefix)],
        ];
        for headers in cases {
            assert_eq!(check(headers), Ok(()), "{headers:?}");
        }
    }

    #[test]
    fn rejects_missing_and_malformed() {
        let good = sign(SECRET, BODY);
        let truncated = &good[..62];
        let wrong_prefix = format!("sha1={good}");
        let cases: [([Option<&str>; 2], SignatureError); 6] = [
            ([None, None], SignatureError::Missing),
            ([Some(""), None], SignatureError::Missing),
            ([Some("  "), Some("")], SignatureError::Missing),
            ([Some(truncated), None], SignatureError::Malformed),
            ([Some("not-hex"), None], SignatureError::Malformed),
            ([Some(&wrong_prefix), None], SignatureError::Malformed),
        ];
        for (headers, expected) in cases {
            assert_eq!(check(headers), Err(expected), "{headers:?}");
        }
    }

    #[test]
    fn rejects_body_signed_with_other_secret() {
        let other = sign(b"another-secret", BODY);
        assert_eq!(check([Some(&other), None]), Err(SignatureError::Mismatch));
        let prefixed = format!("sha256={other}");
        assert_eq!(
            check([None, Some(&prefixed)]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_signature_of_other_body() {
        let other_body = sign(SECRET, br#"{"message":{"id":"wamid.2"}}"#);
        assert_eq!(
            check([Some(&other_body), None]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn accepts_previous_secret_during_rotation() {
        let signed_with_previous = sign(b"previous", BODY);
        let secrets: [&[u8]; 2] = [b"current", b"previous"];
        assert_eq!(
            verify(&secrets, [Some(&signed_with_previous), None], BODY),
            Ok(())
        );
        assert_eq!(
            verify(&secrets[..1], [Some(&signed_with_previous), None], BODY),
            Err(SignatureError::Mismatch)
        );
    }

    /// Every case the README's signature table lists, with its outcome.
    /// `tests/e2e/faults.test.mjs` sends the same table to the worker.
    #[test]
    fn documented_outcomes_for_each_case() {
        let good = sign(SECRET, BODY);
        let other_secret = sign(b"not-the-secret", BODY);
        let other_body = sign(SECRET, br#"{"message":{"id":"wamid.2"}}"#);
        let previous = sign(b"previous-secret", BODY);
        let cases: [(&str, String, Result<(), SignatureError>); 12] = [
            ("empty", String::new(), Err(SignatureError::Missing)),
            (
                "whitespace only",
                " \t ".into(),
                Err(SignatureError::Missing),
            ),
            ("lowercase hex", good.clone(), Ok(())),
            ("uppercase hex", good.to_uppercase(), Ok(())),
            ("surrounding whitespace", format!(" \t{good}  "), Ok(())),
            ("sha256= prefix", format!("sha256={good}"), Ok(())),
            (
                "truncated",
                good[..63].to_owned(),
                Err(SignatureError::Malformed),
            ),
            ("not hex", "z".repeat(64), Err(SignatureError::Malformed)),
            (
                "wrong secret",
                other_secret.clone(),
                Err(SignatureError::Mismatch),
            ),
            (
                "sha256= with a wrong digest",
                format!("sha256={other_secret}"),
                Err(SignatureError::Mismatch),
            ),
            (
                "signature of another body",
                other_body,
                Err(SignatureError::Mismatch),
            ),
            (
                "previous secret, not configured",
                previous.clone(),
                Err(SignatureError::Mismatch),
            ),
        ];
        for (case, value, expected) in cases {
            assert_eq!(check([Some(&value), None]), expected, "{case}: `{value}`");
        }
        assert_eq!(check([None, None]), Err(SignatureError::Missing), "missing");

        let rotating: [&[u8]; 2] = [SECRET, b"previous-secret"];
        for value in [&good, &previous] {
            assert_eq!(
                verify(&rotating, [Some(value), None], BODY),
                Ok(()),
                "during a rotation: `{value}`"
            );
        }
    }

    #[test]
    fn one_good_header_is_enough() {
        let good = sign(SECRET, BODY);
        assert_eq!(check([Some("garbage"), Some(&good)]), Ok(()));
        assert_eq!(check([Some(&sign(b"x", BODY)), Some(&good)]), Ok(()));
    }

    #[test]
    fn empty_secret_never_matches() {
        let signed_with_empty = sign(b"", BODY);
        let secrets: [&[u8]; 1] = [b""];
        assert_eq!(
            verify(&secrets, [Some(&signed_with_empty), None], BODY),
            Err(SignatureError::Mismatch)
        );
    }
}
