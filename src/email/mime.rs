//! A received mail, normalised: sender, recipients, subject, Message-ID,
//! date and body text.
//!
//! Raw RFC 5322 messages are parsed with mail-parser, which decodes
//! multipart bodies, quoted-printable, base64, encoded words and charsets
//! (latin-1 and windows-1252 among them). The JSON form the email worker
//! posts is read into the same [`Mail`]. A receipt forwarded as an
//! attachment (`message/rfc822`) is unfolded into the text as an inline
//! forward block, so [`super::receipt`] reads both kinds of forward alike.

use chrono::{DateTime, Utc};
use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};
use serde::Deserialize;

use super::html::{html_to_text, normalise_lines};
use crate::parse::remove_invisible;

/// A mail reduced to what a receipt is read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mail {
    /// The `From` address, lowercase.
    pub from: Option<String>,
    /// The display name of `From`.
    pub from_name: Option<String>,
    /// The `To` addresses, lowercase.
    pub to: Vec<String>,
    /// Without invisible format characters: it may become the description.
    pub subject: String,
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// The text body, or the HTML body converted when there is no text
    /// part, one line per visual line.
    pub text: String,
    /// The HTML body converted to text, when the mail also has a text part:
    /// some senders put only "view this mail in a browser" in the text part.
    pub html_text: Option<String>,
}

/// Why a body could not be read as a mail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MimeError {
    #[error("body is not an RFC 5322 message: no header found")]
    NotAMessage,
    #[error("invalid JSON mail: {0}")]
    InvalidJson(String),
}

/// The JSON body of `POST /webhooks/email`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JsonMail {
    /// `"Name <address>"` or a bare address.
    #[serde(default)]
    pub from: Option<String>,
    /// One address or a list.
    #[serde(default)]
    pub to: Option<OneOrMany>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    /// RFC 2822 (as in the `Date` header) or RFC 3339.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub html: Option<String>,
}

/// A JSON field that may be one string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Parses a raw RFC 5322 message.
///
/// # Errors
///
/// [`MimeError::NotAMessage`] when the bytes carry none of `From`,
/// `Subject`, `Date` and `Message-ID`.
pub fn parse_raw(raw: &[u8]) -> Result<Mail, MimeError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(MimeError::NotAMessage)?;
    let has_headers = message.from().is_some()
        || message.subject().is_some()
        || message.date().is_some()
        || message.message_id().is_some();
    if !has_headers {
        return Err(MimeError::NotAMessage);
    }
    Ok(mail_of(&message))
}

/// Parses the JSON form of a mail.
///
/// # Errors
///
/// [`MimeError::InvalidJson`] when the body is not a JSON object of the
/// documented fields.
pub fn parse_json(body: &[u8]) -> Result<Mail, MimeError> {
    let json: JsonMail =
        serde_json::from_slice(body).map_err(|error| MimeError::InvalidJson(error.to_string()))?;
    Ok(Mail::from(json))
}

impl From<JsonMail> for Mail {
    fn from(json: JsonMail) -> Mail {
        let from = json.from.as_deref().map(split_address);
        let to = match json.to {
            Some(OneOrMany::One(one)) => vec![one],
            Some(OneOrMany::Many(many)) => many,
            None => Vec::new(),
        };
        let html_text = json.html.as_deref().map(html_to_text);
        let text = json
            .text
            .as_deref()
            .map(normalise_lines)
            .unwrap_or_default();
        let (text, html_text) = if text.is_empty() {
            (html_text.unwrap_or_default(), None)
        } else {
            (text, html_text)
        };
        Mail {
            from_name: from.as_ref().and_then(|(name, _)| name.clone()),
            from: from.and_then(|(_, address)| address),
            to: to
                .iter()
                .flat_map(|field| field.split(','))
                .filter_map(|field| split_address(field).1)
                .collect(),
            subject: remove_invisible(json.subject.unwrap_or_default().trim()),
            message_id: json.message_id.as_deref().and_then(clean_message_id),
            date: json.date.as_deref().and_then(parse_date),
            text,
            html_text,
        }
    }
}

fn mail_of(message: &Message<'_>) -> Mail {
    let sender = message.from().and_then(Address::first);
    let mut text = body_text(message);
    let html_text = message
        .html_part(0)
        .and_then(|part| match &part.body {
            PartType::Html(html) => Some(html_to_text(html)),
            _ => None,
        })
        .filter(|html| *html != text);

    for attached in message.attachments() {
        if let PartType::Message(inner) = &attached.body {
            text.push('\n');
            text.push_str(&forward_block(inner));
        } else if attached
            .content_type()
            .is_some_and(|t| t.ctype() == "message")
        {
            // A `message/rfc822` part that mail-parser kept as bytes.
            if let PartType::Binary(bytes) | PartType::InlineBinary(bytes) = &attached.body {
                if let Some(inner) = MessageParser::default().parse(bytes.as_ref()) {
                    text.push('\n');
                    text.push_str(&forward_block(&inner));
                }
            }
        }
    }

    Mail {
        from: sender
            .and_then(|addr| addr.address())
            .map(str::to_lowercase),
        from_name: sender
            .and_then(|addr| addr.name())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty()),
        to: message
            .to()
            .map(|to| {
                to.iter()
                    .filter_map(|addr| addr.address())
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default(),
        subject: remove_invisible(message.subject().unwrap_or_default().trim()),
        message_id: message.message_id().and_then(clean_message_id),
        date: message
            .date()
            .and_then(|date| DateTime::from_timestamp(date.to_timestamp(), 0)),
        text: text.trim().to_owned(),
        html_text,
    }
}

/// The first text body: the text/plain part, or the HTML part converted.
fn body_text(message: &Message<'_>) -> String {
    match message.text_part(0).map(|part| &part.body) {
        Some(PartType::Text(text)) => normalise_lines(text),
        Some(PartType::Html(html)) => html_to_text(html),
        _ => match message.html_part(0).map(|part| &part.body) {
            Some(PartType::Html(html)) => html_to_text(html),
            _ => String::new(),
        },
    }
}

/// An attached message written as the inline block mail clients produce when
/// they forward, so that its sender, date and subject are read the same way.
fn forward_block(inner: &Message<'_>) -> String {
    let mut block = vec!["---------- Forwarded message ---------".to_owned()];
    if let Some(sender) = inner.from().and_then(Address::first) {
        let address = sender.address().unwrap_or_default();
        match sender.name() {
            Some(name) => block.push(format!("From: {name} <{address}>")),
            None => block.push(format!("From: <{address}>")),
        }
    }
    if let Some(date) = inner.date() {
        block.push(format!("Date: {}", date.to_rfc822()));
    }
    if let Some(subject) = inner.subject() {
        block.push(format!("Subject: {subject}"));
    }
    block.push(body_text(inner));
    block.join("\n")
}

/// Splits `"Name <address>"` into its display name and lowercase address.
pub fn split_address(field: &str) -> (Option<String>, Option<String>) {
    let field = field.trim();
    let (name, address) = match (field.rfind('<'), field.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            (field[..open].trim(), field[open + 1..close].trim())
        }
        _ => ("", field),
    };
    let name = name.trim_matches('"').trim();
    let address = address.contains('@').then(|| address.to_lowercase());
    ((!name.is_empty()).then(|| name.to_owned()), address)
}

fn clean_message_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then(|| id.to_owned())
}

fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|date| date.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_message_is_read() {
        let raw = "From: Uber Receipts <NoReply@Uber.com>\r\nTo: gastos@misgastos.app\r\n\
                   Subject: Tu viaje\r\nMessage-ID: <abc123@uber.com>\r\n\
                   Date: Tue, 3 Mar 2026 21:14:00 -0300\r\n\r\nTotal $5.430\r\n";
        let mail = parse_raw(raw.as_bytes()).expect("a message");
        assert_eq!(mail.from.as_deref(), Some("noreply@uber.com"));
        assert_eq!(mail.from_name.as_deref(), Some("Uber Receipts"));
        assert_eq!(mail.to, ["gastos@misgastos.app"]);
        assert_eq!(mail.subject, "Tu viaje");
        assert_eq!(mail.message_id.as_deref(), Some("abc123@uber.com"));
        assert_eq!(
            mail.date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-03-04T00:14:00+00:00")
        );
        assert_eq!(mail.text, "Total $5.430");
    }

    #[test]
    fn bytes_without_headers_are_not_a_message() {
        assert_eq!(parse_raw(b""), Err(MimeError::NotAMessage));
        assert_eq!(
            parse_raw(b"\x00\x01\x02 just bytes"),
            Err(MimeError::NotAMessage)
        );
    }

    #[test]
    fn json_mail_is_read() {
        let body = br#"{"from": "\"Rappi\" <Pedidos@Rappi.com>", "to": ["Gastos@misgastos.app"],
            "subject": " Tu pedido ", "message_id": "<x1@rappi.com>",
            "date": "2026-03-03T12:00:00-03:00", "html": "<p>Total</p><p>$14.990</p>"}"#;
        let mail = parse_json(body).expect("a mail");
        assert_eq!(mail.from.as_deref(), Some("pedidos@rappi.com"));
        assert_eq!(mail.from_name.as_deref(), Some("Rappi"));
        assert_eq!(mail.to, ["gastos@misgastos.app"]);
        assert_eq!(mail.subject, "Tu pedido");
        assert_eq!(mail.message_id.as_deref(), Some("x1@rappi.com"));
        assert_eq!(
            mail.date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-03-03T15:00:00+00:00")
        );
        assert_eq!(mail.text, "Total\n$14.990");
        assert_eq!(mail.html_text, None);
    }

    #[test]
    fn subject_loses_invisible_characters() {
        let json =
            parse_json("{\"subject\": \"\u{202e}Tu pedido\u{200b}\", \"text\": \"x\"}".as_bytes())
                .expect("a mail");
        assert_eq!(json.subject, "Tu pedido");
        let raw = "From: a@b.c\r\nSubject: =?utf-8?q?Tu_=E2=80=AEpedido?=\r\n\r\nTotal $5.000\r\n";
        let mail = parse_raw(raw.as_bytes()).expect("a message");
        assert_eq!(mail.subject, "Tu pedido");
    }

    #[test]
    fn json_to_may_be_one_string() {
        let mail =
            parse_json(br#"{"to": "Gastos <gastos@misgastos.app>", "text": "x"}"#).expect("a mail");
        assert_eq!(mail.to, ["gastos@misgastos.app"]);
    }

    #[test]
    fn json_that_is_not_an_object_is_invalid() {
        assert!(matches!(
            parse_json(b"[1, 2]"),
            Err(MimeError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_json(b"{\"to\": 5}"),
            Err(MimeError::InvalidJson(_))
        ));
    }

    #[test]
    fn split_address_reads_both_forms() {
        let cases = [
            (
                "Ana <Ana@Example.com>",
                (Some("Ana"), Some("ana@example.com")),
            ),
            ("ana@example.com", (None, Some("ana@example.com"))),
            (
                "\"Banco\" <alertas@banco.cl>",
                (Some("Banco"), Some("alertas@banco.cl")),
            ),
            ("no address", (None, None)),
        ];
        for (field, (name, address)) in cases {
            let (found_name, found_address) = split_address(field);
            assert_eq!(found_name.as_deref(), name, "{field}");
            assert_eq!(found_address.as_deref(), address, "{field}");
        }
    }
}
