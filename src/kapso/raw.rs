//! Kapso and Meta webhook bodies, mirrored as they arrive.
//!
//! Every field is optional: Kapso documents that `from`, `phone_number` and
//! similar fields may be absent, and unknown fields are ignored. Turning these
//! into the domain type is `kapso::normalise`'s job.

use serde::Deserialize;
use serde_json::Value;

/// A whole webhook body: a Kapso v2 single event, a Kapso v2 batch
/// (`data[]`), or a raw Meta `entry[].changes[].value` envelope.
#[derive(Debug, Default, Deserialize)]
pub struct Envelope {
    /// Kapso batch and newer bodies carry the event name here.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Older Kapso bodies carry the event name here.
    pub event: Option<String>,
    pub batch: Option<bool>,
    pub data: Option<Vec<KapsoEvent>>,
    /// `whatsapp_business_account` for a forwarded Meta payload.
    pub object: Option<String>,
    pub entry: Option<Vec<MetaEntry>>,
    #[serde(flatten)]
    pub single: KapsoEvent,
}

/// One Kapso v2 event: a message with its conversation.
#[derive(Debug, Default, Deserialize)]
pub struct KapsoEvent {
    pub message: Option<Message>,
    pub conversation: Option<Conversation>,
    pub phone_number_id: Option<String>,
    /// Kapso's test deliveries set this; they must never be answered.
    pub test: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Conversation {
    pub id: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_id: Option<String>,
    pub business_scoped_user_id: Option<String>,
    pub contact_name: Option<String>,
    pub kapso: Option<ConversationKapso>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ConversationKapso {
    pub contact_name: Option<String>,
}

/// A WhatsApp message, in the shape Meta defines; Kapso adds `kapso`.
#[derive(Debug, Default, Deserialize)]
pub struct Message {
    pub id: Option<String>,
    pub from: Option<String>,
    pub from_user_id: Option<String>,
    pub timestamp: Option<Value>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub text: Option<Text>,
    pub interactive: Option<Interactive>,
    pub button: Option<TemplateButton>,
    pub image: Option<Media>,
    pub audio: Option<Media>,
    pub document: Option<Media>,
    pub kapso: Option<MessageKapso>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Text {
    pub body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Interactive {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub button_reply: Option<Reply>,
    pub list_reply: Option<Reply>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Reply {
    pub id: Option<String>,
    pub title: Option<String>,
}

/// A quick-reply button of a template message.
#[derive(Debug, Default, Deserialize)]
pub struct TemplateButton {
    pub payload: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Media {
    pub id: Option<String>,
    pub mime_type: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MessageKapso {
    /// `inbound` or `outbound`; outbound messages are echoes and statuses.
    pub direction: Option<String>,
    pub content: Option<String>,
    pub media_url: Option<String>,
    pub transcript: Option<Transcript>,
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Transcript {
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MetaEntry {
    pub changes: Option<Vec<MetaChange>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MetaChange {
    pub field: Option<String>,
    pub value: Option<MetaValue>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MetaValue {
    pub metadata: Option<MetaMetadata>,
    pub contacts: Option<Vec<MetaContact>>,
    pub messages: Option<Vec<Message>>,
    pub statuses: Option<Vec<Value>>,
    pub message_echoes: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MetaMetadata {
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MetaContact {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub profile: Option<MetaProfile>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MetaProfile {
    pub name: Option<String>,
}
