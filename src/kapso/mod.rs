//! Kapso webhook payloads and the one inbound message type they become.
//!
//! `raw` mirrors the JSON; [`normalise`] checks it and returns one
//! [`Delivery`] per message, whichever of the three shapes it came in. Events
//! that carry no inbound message (statuses, outbound echoes, other event
//! kinds) become [`Delivery::Ignored`] rather than errors, so the webhook can
//! acknowledge them. Sending messages back lives in `kapso::client`.

pub mod client;
pub mod raw;

use serde_json::Value;

use crate::parse;

/// The event Kapso sends for an inbound WhatsApp message.
pub const MESSAGE_RECEIVED: &str = "whatsapp.message.received";

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("body is not valid JSON: {0}")]
    InvalidJson(serde_json::Error),
    #[error("body is JSON but not an object")]
    NotAnObject,
    #[error("body does not match the Kapso or Meta webhook shape: {0}")]
    UnexpectedShape(serde_json::Error),
}

/// An inbound WhatsApp message, whatever shape it arrived in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The WhatsApp message id (wamid), the idempotency key.
    pub id: String,
    /// The business number it was sent to, as Kapso's `phone_number_id`.
    pub phone_number_id: String,
    pub sender: Sender,
    /// Unix seconds, when the payload gives them.
    pub timestamp: Option<i64>,
    pub content: Content,
    /// Set on Kapso test deliveries, which are acknowledged and never answered.
    pub is_test: bool,
}

/// Who wrote the message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sender {
    /// E.164 digits without `+`.
    pub phone: Option<String>,
    pub business_scoped_user_id: Option<String>,
    pub name: Option<String>,
}

/// What the message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Text(String),
    /// A reply button, list row or template quick reply that was tapped.
    Choice {
        id: String,
        title: String,
    },
    Image {
        media_id: Option<String>,
        url: Option<String>,
        caption: Option<String>,
        mime_type: Option<String>,
    },
    /// A voice note or audio file; Kapso adds a transcript when it has one.
    Audio {
        transcript: Option<String>,
    },
    Document {
        filename: Option<String>,
        caption: Option<String>,
        url: Option<String>,
    },
    /// Stickers, locations, reactions and other types that carry no expense.
    Unsupported {
        kind: String,
    },
}

/// One thing found in a webhook body.
// One value per message or query, never stored in bulk, so boxing the
// large variant would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Message(InboundMessage),
    Ignored(Ignored),
}

/// Why part of a body was acknowledged without handling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    /// An event other than `whatsapp.message.received`.
    Event(String),
    /// An outbound message or a Business app echo.
    Outbound,
    /// A sent, delivered, read or failed status.
    Status,
    /// A message without an id or business number, which cannot be handled.
    Incomplete,
}

impl Ignored {
    /// A short, stable label for logs.
    pub fn reason(&self) -> &str {
        match self {
            Ignored::Event(_) => "event",
            Ignored::Outbound => "outbound",
            Ignored::Status => "status",
            Ignored::Incomplete => "incomplete",
        }
    }
}

/// Reads a webhook body into its deliveries.
///
/// `event_header` is the value of `x-webhook-event`, which names the event
/// when the body does not.
///
/// # Errors
///
/// [`PayloadError`] when the body is not a JSON object of the expected shape.
/// A JSON object that carries no message is not an error: it gives an empty
/// list or [`Delivery::Ignored`] entries.
pub fn normalise(body: &[u8], event_header: Option<&str>) -> Result<Vec<Delivery>, PayloadError> {
    let value: Value = serde_json::from_slice(body).map_err(PayloadError::InvalidJson)?;
    if !value.is_object() {
        return Err(PayloadError::NotAnObject);
    }
    let envelope: raw::Envelope =
        serde_json::from_value(value).map_err(PayloadError::UnexpectedShape)?;

    if let Some(entries) = envelope.entry {
        return Ok(normalise_meta(entries));
    }

    let event = envelope
        .kind
        .or(envelope.event)
        .or_else(|| event_header.map(str::to_owned));
    if let Some(event) = &event {
        if event != MESSAGE_RECEIVED {
            return Ok(vec![Delivery::Ignored(Ignored::Event(event.clone()))]);
        }
    }

    let events = match envelope.data {
        Some(data) => data,
        None => vec![envelope.single],
    };
    Ok(events.into_iter().filter_map(normalise_kapso).collect())
}

fn normalise_kapso(event: raw::KapsoEvent) -> Option<Delivery> {
    let message = event.message?;
    let conversation = event.conversation.unwrap_or_default();
    let kapso = message.kapso.as_ref();

    if kapso.and_then(|k| k.direction.as_deref()) == Some("outbound") {
        return Some(Delivery::Ignored(Ignored::Outbound));
    }

    let phone_number_id = event
        .phone_number_id
        .or(conversation.phone_number_id)
        .or_else(|| kapso.and_then(|k| k.phone_number_id.clone()));
    let contact_name = conversation
        .kapso
        .and_then(|k| k.contact_name)
        .or(conversation.contact_name);
    let sender = Sender {
        phone: message
            .from
            .as_deref()
            .or(conversation.phone_number.as_deref())
            .and_then(digits_only),
        business_scoped_user_id: conversation
            .business_scoped_user_id
            .or_else(|| message.from_user_id.clone()),
        name: contact_name,
    };
    Some(build(
        message,
        phone_number_id,
        sender,
        event.test.unwrap_or(false),
    ))
}

fn normalise_meta(entries: Vec<raw::MetaEntry>) -> Vec<Delivery> {
    let mut deliveries = Vec::new();
    let changes = entries
        .into_iter()
        .flat_map(|entry| entry.changes.unwrap_or_default());
    for change in changes {
        let Some(value) = change.value else { continue };
        if change
            .field
            .as_deref()
            .is_some_and(|field| field != "messages")
        {
            deliveries.push(Delivery::Ignored(Ignored::Event(
                change.field.unwrap_or_default(),
            )));
            continue;
        }
        let phone_number_id = value.metadata.and_then(|m| m.phone_number_id);
        let contacts = value.contacts.unwrap_or_default();
        for _ in value.statuses.unwrap_or_default() {
            deliveries.push(Delivery::Ignored(Ignored::Status));
        }
        for _ in value.message_echoes.unwrap_or_default() {
            deliveries.push(Delivery::Ignored(Ignored::Outbound));
        }
        for message in value.messages.unwrap_or_default() {
            let contact = contacts
                .iter()
                .find(|c| c.wa_id.is_some() && c.wa_id == message.from);
            let contact = contact.or(contacts.first());
            let sender = Sender {
                phone: message
                    .from
                    .as_deref()
                    .or(contact.and_then(|c| c.wa_id.as_deref()))
                    .and_then(digits_only),
                business_scoped_user_id: message
                    .from_user_id
                    .clone()
                    .or(contact.and_then(|c| c.user_id.clone())),
                name: contact
                    .and_then(|c| c.profile.as_ref())
                    .and_then(|p| p.name.clone()),
            };
            deliveries.push(build(message, phone_number_id.clone(), sender, false));
        }
    }
    deliveries
}

fn build(
    message: raw::Message,
    phone_number_id: Option<String>,
    sender: Sender,
    is_test: bool,
) -> Delivery {
    let (Some(id), Some(phone_number_id)) =
        (non_empty(message.id.clone()), non_empty(phone_number_id))
    else {
        return Delivery::Ignored(Ignored::Incomplete);
    };
    if sender.phone.is_none() && sender.business_scoped_user_id.is_none() {
        return Delivery::Ignored(Ignored::Incomplete);
    }
    let timestamp = match &message.timestamp {
        Some(Value::String(text)) => text.trim().parse().ok(),
        Some(Value::Number(number)) => number.as_i64(),
        _ => None,
    };
    let is_test = is_test || id.starts_with("wamid.TEST");
    Delivery::Message(InboundMessage {
        id,
        phone_number_id,
        sender,
        timestamp,
        content: content(message),
        is_test,
    })
}

/// What a message carries, with the invisible format characters removed
/// from every text a person typed or said ([`parse::remove_invisible`]).
fn content(message: raw::Message) -> Content {
    let visible = |text: String| parse::remove_invisible(&text);
    let kind = message.kind.clone().unwrap_or_default();
    let kapso = message.kapso.unwrap_or_default();
    match kind.as_str() {
        "text" => match message.text.and_then(|t| t.body).or(kapso.content) {
            Some(body) => Content::Text(visible(body)),
            None => Content::Unsupported { kind },
        },
        "interactive" => {
            let interactive = message.interactive.unwrap_or_default();
            let reply = interactive.button_reply.or(interactive.list_reply);
            match reply.and_then(|r| Some((r.id?, r.title.unwrap_or_default()))) {
                Some((id, title)) => Content::Choice {
                    id,
                    title: visible(title),
                },
                None => Content::Unsupported { kind },
            }
        }
        "button" => {
            let button = message.button.unwrap_or_default();
            match button.payload.or(button.text.clone()) {
                Some(id) => Content::Choice {
                    id,
                    title: visible(button.text.unwrap_or_default()),
                },
                None => Content::Unsupported { kind },
            }
        }
        "image" => {
            let image = message.image.unwrap_or_default();
            Content::Image {
                media_id: image.id,
                url: kapso.media_url,
                caption: image.caption.map(visible),
                mime_type: image.mime_type,
            }
        }
        "audio" => Content::Audio {
            transcript: kapso
                .transcript
                .and_then(|t| t.text)
                .map(visible)
                .filter(|text| !text.trim().is_empty()),
        },
        "document" => {
            let document = message.document.unwrap_or_default();
            Content::Document {
                filename: document.filename,
                caption: document.caption.map(visible),
                url: kapso.media_url,
            }
        }
        _ => Content::Unsupported { kind },
    }
}

/// Keeps the digits of a phone number (`+56 9 1234-5678` becomes `56912345678`).
fn digits_only(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.trim().is_empty())
}

#[cfg(test)]
mod tests;
