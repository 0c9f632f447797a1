//! Accepting a WhatsApp webhook delivery: size limit, signature, payload.
//!
//! Pure, so that property tests can throw arbitrary bytes at it natively.
//! The order is fixed: a body over [`MAX_BODY_BYTES`] is refused before the
//! signature is checked, and the signature is checked over the raw bytes
//! before anything parses them. Each refusal is logged here, once.

use crate::error::{AppError, MAX_BODY_BYTES};
use crate::events;
use crate::kapso::{self, Delivery};
use crate::signature;

/// The parts of the request that decide whether it is accepted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delivered<'a> {
    /// The `content-length` header, if any.
    pub content_length: Option<&'a str>,
    /// `x-kapso-signature`.
    pub kapso_signature: Option<&'a str>,
    /// `x-webhook-signature`.
    pub webhook_signature: Option<&'a str>,
    /// `x-webhook-event`.
    pub event: Option<&'a str>,
    pub body: &'a [u8],
}

/// Refuses a body whose declared length is over the limit, before it is read.
///
/// # Errors
///
/// [`AppError::PayloadTooLarge`] when `content-length` exceeds the limit.
pub fn check_declared_length(content_length: Option<&str>) -> Result<(), AppError> {
    let declared = content_length.and_then(|value| value.trim().parse::<u64>().ok());
    match declared {
        Some(bytes) if bytes > MAX_BODY_BYTES as u64 => {
            tracing::warn!(
                event = events::PAYLOAD_TOO_LARGE,
                bytes,
                "body over the limit rejected"
            );
            Err(AppError::PayloadTooLarge)
        }
        _ => Ok(()),
    }
}

/// Checks a delivery and returns what it carries.
///
/// # Errors
///
/// [`AppError::NotConfigured`] without a webhook secret,
/// [`AppError::PayloadTooLarge`] over the limit, [`AppError::Unauthorized`]
/// for a missing or wrong signature and [`AppError::Malformed`] for a signed
/// body that is not a webhook payload.
pub fn accept<S: AsRef<[u8]>>(
    secrets: &[S],
    delivered: &Delivered<'_>,
) -> Result<Vec<Delivery>, AppError> {
    if secrets.is_empty() {
        tracing::error!(
            event = events::WEBHOOK_SECRET_MISSING,
            "KAPSO_WEBHOOK_SECRET is not set; every delivery is refused"
        );
        return Err(AppError::NotConfigured("KAPSO_WEBHOOK_SECRET"));
    }
    check_declared_length(delivered.content_length)?;
    let body = delivered.body;
    if body.len() > MAX_BODY_BYTES {
        tracing::warn!(
            event = events::PAYLOAD_TOO_LARGE,
            bytes = body.len(),
            "body over the limit rejected"
        );
        return Err(AppError::PayloadTooLarge);
    }

    let headers = [delivered.kapso_signature, delivered.webhook_signature];
    if let Err(error) = signature::verify(secrets, headers, body) {
        tracing::warn!(
            event = events::WEBHOOK_UNAUTHORIZED,
            reason = error.reason(),
            bytes = body.len(),
            "webhook signature rejected"
        );
        return Err(AppError::Unauthorized(error));
    }

    let deliveries = kapso::normalise(body, delivered.event).map_err(|error| {
        tracing::warn!(event = events::PAYLOAD_MALFORMED, error = %error, "signed body is not a webhook payload");
        AppError::Malformed(error)
    })?;
    if deliveries.is_empty() {
        tracing::info!(
            event = events::EVENT_IGNORED,
            reason = "no_message",
            "payload carried no message"
        );
    }
    Ok(deliveries)
}

/// Milliseconds into a delivery after which no further message of a batch is
/// started. Kapso waits 10 s for the answer, and one message may spend up to
/// 6 s on model calls (`ai_binding::MESSAGE_BUDGET_MS`), so a message started
/// before 3 s still ends inside Kapso's budget.
pub const BATCH_START_BUDGET_MS: u64 = 3_000;

/// Decides whether the next message of a delivery may start. The first one
/// always does; later ones only while the delivery is inside
/// [`BATCH_START_BUDGET_MS`]. The messages left are answered with 503, and
/// Kapso's retry of the whole batch skips the ones already committed.
pub fn may_start_next(elapsed_ms: u64, started: usize) -> bool {
    started == 0 || elapsed_ms < BATCH_START_BUDGET_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::sign;

    const SECRET: &str = "secret";

    fn signed(body: &[u8]) -> String {
        sign(SECRET.as_bytes(), body)
    }

    fn status_of(result: Result<Vec<Delivery>, AppError>) -> u16 {
        match result {
            Ok(_) => 200,
            Err(error) => error.status(),
        }
    }

    #[test]
    fn size_is_checked_before_signature() {
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        let delivered = Delivered {
            body: &body,
            kapso_signature: Some("bad"),
            ..Default::default()
        };
        assert_eq!(status_of(accept(&[SECRET], &delivered)), 413);
        let declared = Delivered {
            content_length: Some("2000000"),
            body: b"{}",
            ..Default::default()
        };
        assert_eq!(status_of(accept(&[SECRET], &declared)), 413);
    }

    #[test]
    fn missing_secret_is_never_an_open_door() {
        let body = b"{}";
        let signature = sign(b"", body);
        let delivered = Delivered {
            body,
            kapso_signature: Some(&signature),
            ..Default::default()
        };
        let none: [&str; 0] = [];
        assert_eq!(status_of(accept(&none, &delivered)), 503);
    }

    #[test]
    fn outcomes_follow_the_contract() {
        let cases: [(&[u8], bool, u16); 6] = [
            (b"{}", true, 200),
            (b"{}", false, 401),
            (b"[]", true, 400),
            (b"not json", true, 400),
            (b"\xff\xfe", true, 400),
            (br#"{"message": {"id": 1}}"#, true, 400),
        ];
        for (body, good_signature, expected) in cases {
            let signature = if good_signature {
                signed(body)
            } else {
                sign(b"other", body)
            };
            let delivered = Delivered {
                body,
                kapso_signature: Some(&signature),
                ..Default::default()
            };
            assert_eq!(
                status_of(accept(&[SECRET], &delivered)),
                expected,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn batch_stops_starting_messages_after_its_budget() {
        let cases = [
            (0, 0, true),
            (9_999, 0, true),
            (0, 5, true),
            (BATCH_START_BUDGET_MS - 1, 1, true),
            (BATCH_START_BUDGET_MS, 1, false),
            (60_000, 3, false),
        ];
        for (elapsed, started, expected) in cases {
            assert_eq!(
                may_start_next(elapsed, started),
                expected,
                "{elapsed} ms after {started} messages"
            );
        }
    }
}
