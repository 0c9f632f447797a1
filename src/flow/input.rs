//! What the machine reads: one input per round, and the facts of the turn.

use chrono::NaiveDate;

use super::{Draft, LedgerAnswer, LedgerQuery};
use crate::ai::ReceiptReading;
use crate::classify::Classification;
use crate::kapso::Content;
use crate::model::{Category, Customer};
use crate::recurring;

/// One input to the machine.
// One value per message or query, never stored in bulk, so boxing the
// large variant would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Text typed by the user, or a voice note's transcript.
    Text(String),
    /// A reply button or list row that was tapped.
    Choice { id: String, title: String },
    /// A voice note that came without a transcript.
    AudioWithoutTranscript,
    /// A message type that carries no expense (sticker, location, …).
    Unsupported,
    /// The classifier's answers to an [`Effect::Classify`](super::Effect::Classify).
    Classified(Vec<Classified>),
    /// A photo. `reading` is what the vision model read on it, `None` when
    /// it could not be read at all.
    Receipt {
        reading: Option<ReceiptReading>,
        caption: Option<String>,
    },
    /// The customer's merchant rules, loaded for an [`Effect::LoadRules`](super::Effect::LoadRules).
    Rules {
        query: RulesQuery,
        rules: Vec<MerchantRule>,
    },
    /// The answer to an [`Effect::LoadLedger`](super::Effect::LoadLedger).
    Ledger {
        query: LedgerQuery,
        answer: LedgerAnswer,
    },
    /// The customer's recurring rules, active and paused, oldest first,
    /// loaded for an [`Effect::LoadRecurring`](super::Effect::LoadRecurring).
    Recurring {
        query: recurring::chat::Query,
        rules: Vec<recurring::Rule>,
    },
}

impl Input {
    /// The input of a message's content. A voice note counts as its
    /// transcript and a photo or document as its caption, and what carries
    /// neither is [`Input::AudioWithoutTranscript`] or [`Input::Unsupported`].
    /// A photo the vision model reads is the runner's [`Input::Receipt`]
    /// instead.
    pub fn of(content: &Content) -> Input {
        match content {
            Content::Text(text) => Input::Text(text.clone()),
            Content::Choice { id, title } => Input::Choice {
                id: id.clone(),
                title: title.clone(),
            },
            Content::Audio {
                transcript: Some(text),
            } => Input::Text(text.clone()),
            Content::Audio { transcript: None } => Input::AudioWithoutTranscript,
            Content::Image {
                caption: Some(caption),
                ..
            }
            | Content::Document {
                caption: Some(caption),
                ..
            } => Input::Text(caption.clone()),
            Content::Image { .. } | Content::Document { .. } | Content::Unsupported { .. } => {
                Input::Unsupported
            }
        }
    }
}

/// A learned merchant rule: expenses at `merchant` go to `category_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRule {
    pub merchant: String,
    pub category_id: String,
}

/// Why the rules are loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesQuery {
    /// To list them.
    List,
    /// To delete the one for this merchant, as the user typed it.
    Delete(String),
}

/// A classified draft, fed back after [`Effect::Classify`](super::Effect::Classify).
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub pending: Pending,
    pub classification: Classification,
}

/// A draft waiting for classification, with its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// `<message id>#<n>`: the n-th expense of one message.
    pub source_id: String,
    pub draft: Draft,
}

/// What the machine knows about this turn.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    pub customer: &'a Customer,
    /// The customer's categories, most used first; the catch-all last.
    pub categories: &'a [Category],
    /// Today in the customer's time zone.
    pub today: NaiveDate,
    /// Unix seconds.
    pub now: i64,
    /// The WhatsApp id of the message being handled.
    pub message_id: &'a str,
}
