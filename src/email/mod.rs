//! Receipts forwarded by email, read into an expense.
//!
//! Pure: nothing here touches a binding, so it tests natively. [`mime`]
//! turns a raw RFC 5322 message (or the JSON form the email worker posts)
//! into a normalised [`Mail`], with [`html`] for HTML-only bodies;
//! [`receipt`] finds the total, the merchant, the purchase date and a
//! description in it, with [`merchant`] for who was paid and [`dates`] for
//! the date formats receipts use.
//! Routing the mail to a customer, classifying and storing the expense are
//! left to `email_runner`, which shares the WhatsApp flow.

pub mod dates;
pub mod html;
pub mod merchant;
pub mod mime;
pub mod receipt;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use mime::{JsonMail, Mail, MimeError};
pub use receipt::{extract, Receipt, ReceiptContext, ReceiptError};

/// Maximum raw message, in bytes (5 MiB). A receipt is a few hundred KiB
/// even with inline images; anything larger is rejected before it is parsed.
pub const MAX_RAW_BYTES: usize = 5 * 1024 * 1024;

/// Most recipient addresses looked up in `email_routes` for one mail. Each
/// lookup costs up to two D1 queries, and the mail's own `To` header, which
/// its sender writes, may list thousands of addresses.
pub const MAX_RECIPIENTS: usize = 10;

/// Returns the addresses to look up for a mail, in order: the envelope
/// recipients (fields such as `Name <address>`), then the mail's `To`
/// addresses, lowercase, without repeats, and at most [`MAX_RECIPIENTS`].
pub fn recipients(envelope: &[String], header: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let addresses = envelope
        .iter()
        .filter_map(|field| mime::split_address(field).1)
        .chain(header.iter().map(|address| address.to_lowercase()));
    for address in addresses {
        if found.len() == MAX_RECIPIENTS {
            break;
        }
        if !found.contains(&address) {
            found.push(address);
        }
    }
    found
}

/// Longest Message-ID that a ledger id keeps as it is.
const MAX_MESSAGE_ID_CHARS: usize = 100;

/// The ledger id of a mail in `inbound_messages`:
/// `email:<customer id>:<Message-ID>`.
///
/// The customer is part of it because the sender chooses the Message-ID: a
/// mail to one customer must never make another customer's receipt a
/// duplicate. A mail without a Message-ID gets a digest of its sender, date,
/// subject and text instead, so a second delivery of the same mail is still
/// a duplicate.
///
/// The expense's source id, and so this id, goes into the ids of its
/// category buttons (`cat|<source id>|<category id>`). WhatsApp limits a
/// button id to 256 characters, and `|` separates its parts, so a Message-ID
/// longer than `MAX_MESSAGE_ID_CHARS` or with a `|` is replaced by
/// `mid-sha256-` and a digest of it.
pub fn ledger_id(customer_id: &str, mail: &Mail) -> String {
    match mail.message_id.as_deref() {
        Some(id) if id.chars().count() <= MAX_MESSAGE_ID_CHARS && !id.contains('|') => {
            format!("email:{customer_id}:{id}")
        }
        Some(id) => {
            let digest = Sha256::digest(id.as_bytes());
            format!(
                "email:{customer_id}:mid-sha256-{}",
                hex::encode(&digest[..16])
            )
        }
        None => {
            let mut digest = Sha256::new();
            for part in [
                mail.from.as_deref().unwrap_or_default(),
                &mail
                    .date
                    .map(|d| d.timestamp().to_string())
                    .unwrap_or_default(),
                &mail.subject,
                &mail.text,
            ] {
                digest.update(part.as_bytes());
                digest.update([0]);
            }
            format!(
                "email:{customer_id}:sha256-{}",
                hex::encode(&digest.finalize()[..16])
            )
        }
    }
}

/// The `source_message_id` of the one expense a mail yields:
/// `email:<customer id>:<Message-ID>#1`.
pub fn source_id(ledger_id: &str) -> String {
    format!("{ledger_id}#1")
}

/// Why a request's bearer token was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer <token>`.
    Malformed,
    /// A token other than the secret.
    Mismatch,
}

impl BearerError {
    /// A stable name for logs.
    pub fn reason(self) -> &'static str {
        match self {
            BearerError::Missing => "missing",
            BearerError::Malformed => "malformed",
            BearerError::Mismatch => "mismatch",
        }
    }
}

/// Checks an `Authorization: Bearer <token>` header against `secret`,
/// comparing their SHA-256 digests in constant time, so that the time taken
/// reveals nothing about the secret, not even its length.
///
/// # Errors
///
/// The [`BearerError`] that says what was wrong with the header.
pub fn check_bearer(header: Option<&str>, secret: &str) -> Result<(), BearerError> {
    let header = header.map(str::trim).ok_or(BearerError::Missing)?;
    let (scheme, token) = header.split_once(' ').ok_or(BearerError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::Malformed);
    }
    let token_digest = Sha256::digest(token.trim().as_bytes());
    let secret_digest = Sha256::digest(secret.as_bytes());
    let equal: bool = token_digest
        .as_slice()
        .ct_eq(secret_digest.as_slice())
        .into();
    if equal && !secret.is_empty() {
        Ok(())
    } else {
        Err(BearerError::Mismatch)
    }
}

/// The calendar day of `date` in the IANA time zone `time_zone`; `None` for
/// an unknown zone.
pub fn local_day(date: DateTime<Utc>, time_zone: &str) -> Option<NaiveDate> {
    let zone = time_zone.parse::<chrono_tz::Tz>().ok()?;
    Some(date.with_timezone(&zone).date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(message_id: Option<&str>, subject: &str) -> Mail {
        Mail {
            subject: subject.to_owned(),
            message_id: message_id.map(str::to_owned),
            text: "Total $1.000".to_owned(),
            ..Mail::default()
        }
    }

    #[test]
    fn ledger_id_uses_message_id() {
        let id = ledger_id("casa", &mail(Some("abc@uber.com"), "Tu viaje"));
        assert_eq!(id, "email:casa:abc@uber.com");
        assert_eq!(source_id(&id), "email:casa:abc@uber.com#1");
        let other = ledger_id("acme", &mail(Some("abc@uber.com"), "Tu viaje"));
        assert_ne!(id, other, "one Message-ID at two customers");
    }

    // A receipt whose Message-ID was long or held a `|` got category
    // buttons whose ids WhatsApp rejects (over 256 characters) or that the
    // flow splits in the wrong place, so its question was never answerable.
    #[test]
    fn ledger_id_digests_unsafe_message_ids() {
        let long = format!("{}@mail.example.com", "a".repeat(300));
        let cases = [long.as_str(), "a|b@shop.example"];
        for message_id in cases {
            let id = ledger_id("casa", &mail(Some(message_id), "Tu viaje"));
            assert!(id.starts_with("email:casa:mid-sha256-"), "{id}");
            assert_eq!(id.len(), "email:casa:mid-sha256-".len() + 32, "{id}");
            let again = ledger_id("casa", &mail(Some(message_id), "Otro asunto"));
            assert_eq!(id, again, "the same Message-ID gives the same id");
        }
        let other = ledger_id("casa", &mail(Some(&format!("b{long}")), "Tu viaje"));
        assert_ne!(other, ledger_id("casa", &mail(Some(&long), "Tu viaje")));
        let limit = "m".repeat(MAX_MESSAGE_ID_CHARS);
        assert_eq!(
            ledger_id("casa", &mail(Some(&limit), "Tu viaje")),
            format!("email:casa:{limit}")
        );
    }

    // A mail whose envelope recipient had no route and whose `To` header
    // listed 4,000 addresses made 8,000 D1 queries (5 s under wrangler dev)
    // before the route at its end was found; D1 allows far fewer queries
    // per invocation.
    #[test]
    fn recipients_are_bounded() {
        let header: Vec<String> = (0..4_000).map(|n| format!("x{n}@misgastos.app")).collect();
        let envelope = vec![
            "Gastos <Gastos+Ana@misgastos.app>".to_owned(),
            "x0@misgastos.app".to_owned(),
        ];
        let found = recipients(&envelope, &header);
        assert_eq!(found.len(), MAX_RECIPIENTS);
        assert_eq!(
            found[0], "gastos+ana@misgastos.app",
            "the envelope comes first"
        );
        assert_eq!(found[1], "x0@misgastos.app");
        assert_eq!(found[2], "x1@misgastos.app", "a repeat is skipped");

        let few = recipients(&["no-address".to_owned()], &["A@B.example".to_owned()]);
        assert_eq!(few, ["a@b.example"]);
    }

    #[test]
    fn bearer_token_is_checked() {
        let cases = [
            (Some("Bearer s3cret"), Ok(())),
            (Some("bearer  s3cret "), Ok(())),
            (None, Err(BearerError::Missing)),
            (Some("s3cret"), Err(BearerError::Malformed)),
            (Some("Basic s3cret"), Err(BearerError::Malformed)),
            (Some("Bearer s3cre"), Err(BearerError::Mismatch)),
            (Some("Bearer s3cretx"), Err(BearerError::Mismatch)),
            (Some("Bearer "), Err(BearerError::Malformed)),
        ];
        for (header, expected) in cases {
            assert_eq!(check_bearer(header, "s3cret"), expected, "{header:?}");
        }
    }

    #[test]
    fn empty_secret_matches_nothing() {
        assert_eq!(
            check_bearer(Some("Bearer x"), ""),
            Err(BearerError::Mismatch)
        );
    }

    #[test]
    fn local_day_follows_time_zone() {
        let late = DateTime::parse_from_rfc3339("2026-03-04T01:30:00Z")
            .map(|d| d.with_timezone(&Utc))
            .expect("a date");
        assert_eq!(
            local_day(late, "America/Santiago"),
            NaiveDate::from_ymd_opt(2026, 3, 3)
        );
        assert_eq!(
            local_day(late, "Europe/Madrid"),
            NaiveDate::from_ymd_opt(2026, 3, 4)
        );
        assert_eq!(local_day(late, "Mars/Olympus"), None);
    }

    #[test]
    fn ledger_id_without_message_id_is_stable() {
        let first = ledger_id("casa", &mail(None, "Tu viaje"));
        let again = ledger_id("casa", &mail(None, "Tu viaje"));
        let other = ledger_id("casa", &mail(None, "Otro viaje"));
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert!(first.starts_with("email:casa:sha256-"), "{first}");
    }
}
