//! Log set-up and the pseudonyms that logs use instead of personal data.
//!
//! Logs are JSON lines, one object per event, with a top-level `event` field
//! that names the outcome (`expense.flow_completed`, …), so that operators can
//! filter `wrangler tail` output. Phone numbers never appear: a sender is
//! logged as [`sender_hash`], a keyed HMAC that cannot be reversed by hashing
//! every possible number without the key, and every line passes through
//! [`RedactWamids`], because a WhatsApp message id is base64 that starts
//! with the sender's number.

use std::io::Write;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tracing_subscriber::fmt::MakeWriter;

use crate::privacy;

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
        .with_writer(RedactWamids(tracing_web::MakeConsoleWriter));
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

/// A [`MakeWriter`] whose writers replace the wamids that encode a phone
/// number with [`privacy::wamid_pseudonym`] before the line reaches `M`'s
/// writer. The formatter writes one event per writer, so a wamid is never
/// split between two writes.
pub struct RedactWamids<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactWamids<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.0.make_writer_for(meta))
    }
}

/// Collects one event's text and writes it, redacted, when dropped.
pub struct RedactingWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    fn new(inner: W) -> RedactingWriter<W> {
        RedactingWriter {
            inner,
            buffer: Vec::new(),
        }
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buffer);
        let redacted = privacy::redact_wamids(&text);
        // A lost log line cannot be reported anywhere else.
        let _ = self.inner.write_all(redacted.as_bytes());
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer factory that keeps what was written, for the tests.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    #[test]
    fn sender_hash_is_an_hmac_of_the_number() {
        // HMAC-SHA256("key", "sender:56912345678"), as `openssl dgst
        // -sha256 -hmac key` computes it, first 8 bytes.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").expect("key");
        mac.update(b"sender:56912345678");
        let expected = hex::encode(&mac.finalize().into_bytes()[..8]);
        assert_eq!(sender_hash(b"key", "56912345678"), expected);
        // A plain SHA-256 of the number, what anyone could compute for
        // every number, is not what is logged.
        use sha2::Digest;
        let unkeyed = hex::encode(&Sha256::digest(b"sender:56912345678")[..8]);
        assert_ne!(sender_hash(b"key", "56912345678"), unkeyed);
    }

    #[test]
    fn log_lines_lose_wamids_with_numbers() {
        use base64::Engine;
        let mut bytes = vec![0x1c, 0x18, 11];
        bytes.extend_from_slice(b"56912345678");
        bytes.extend_from_slice(b"\x15\x02\x00\x12\x18\x143EB0C4A1B2C3D4E5F6A7\x00");
        let wamid = format!(
            "wamid.{}",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        );
        let captured = Captured::default();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .without_time()
            .with_writer(RedactWamids(captured.clone()));
        use tracing_subscriber::prelude::*;
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(event = "x", message_id = %wamid, sender = "abc", "handled");
        });
        let written = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        assert!(!written.contains(&wamid), "{written}");
        assert!(
            written.contains(&privacy::wamid_pseudonym(&wamid)),
            "{written}"
        );
        assert!(written.contains(r#""sender":"abc""#), "{written}");
    }

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
