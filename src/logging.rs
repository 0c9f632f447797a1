//! Log set-up and the pseudonyms that logs use instead of personal data.
//!
//! Logs are JSON lines, one object per event, with a top-level `event` field
//! that names the outcome (`expense.flow_completed`, …), so that operators can
//! filter `wrangler tail` output. Phone numbers never appear: a sender is
//! logged as [`sender_hash`], a keyed HMAC that cannot be reversed by hashing
//! every possible number without the key.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Installs the JSON subscriber. Called from `#[event(start)]`, which runs
/// again after a panic re-initialises the instance; a second call is a no-op.
pub fn init() {
    use tracing_subscriber::prelude::*;

    // No timer: the default one reads SystemTime, which panics on wasm32,
    // and workerd stamps every console line anyway.
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_writer(tracing_web::MakeConsoleWriter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// A stable pseudonym for a sender: the first 16 hex digits of
/// `HMAC-SHA256(key, "sender:" + phone)`.
pub fn sender_hash(key: &[u8], phone: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::from("unkeyed");
    };
    mac.update(b"sender:");
    mac.update(phone.as_bytes());
    let digest = mac.finalize().into_bytes();
    hex::encode(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_hash_is_keyed_and_short() {
        let one = sender_hash(b"key-one", "56912345678");
        let two = sender_hash(b"key-two", "56912345678");
        assert_eq!(one.len(), 16);
        assert_ne!(one, two);
        assert_eq!(one, sender_hash(b"key-one", "56912345678"));
        assert!(!one.contains("5691234"));
    }
}
