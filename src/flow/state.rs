//! The conversation state of one sender: its open questions and the drafts
//! they are about, kept in `CONVERSATION_STATE_KV` between messages.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::parse;

/// The conversation state of one sender, kept in `CONVERSATION_STATE_KV`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Open questions; the first is the one the user is answering.
    pub questions: Vec<Question>,
    /// Unix seconds of the last change.
    pub updated_at: i64,
}

impl State {
    pub fn is_idle(&self) -> bool {
        self.questions.is_empty()
    }
}

/// An expense that is not stored yet, as kept in the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub amount: Money,
    pub spent_on: NaiveDate,
    pub description: String,
    pub merchant: Option<String>,
}

impl From<parse::Draft> for Draft {
    fn from(draft: parse::Draft) -> Draft {
        Draft {
            amount: draft.amount,
            spent_on: draft.spent_on,
            description: draft.description,
            merchant: draft.merchant,
        }
    }
}

/// Something the bot asked and is waiting for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Question {
    /// The expense is stored as `pending_category`; which category is it?
    Category {
        source_id: String,
        draft: Draft,
        /// Category ids offered as buttons, best first.
        options: Vec<String>,
        asked: bool,
    },
    /// A purchase was described without an amount.
    Amount {
        source_id: String,
        description: String,
        merchant: Option<String>,
        spent_on: NaiveDate,
        asked: bool,
    },
    /// The amount has several readings.
    AmountChoice {
        source_id: String,
        draft: Draft,
        candidates: Vec<Money>,
        asked: bool,
    },
    /// The text named a date after today or more than a year back. Stored
    /// conversations from before the rename carry the old kind.
    #[serde(alias = "future_date")]
    UnusualDate {
        source_id: String,
        draft: Draft,
        asked: bool,
    },
}

impl Question {
    /// The idempotency key of the expense this question is about.
    pub fn source_id(&self) -> &str {
        match self {
            Question::Category { source_id, .. }
            | Question::Amount { source_id, .. }
            | Question::AmountChoice { source_id, .. }
            | Question::UnusualDate { source_id, .. } => source_id,
        }
    }

    pub(super) fn is_asked(&self) -> bool {
        match self {
            Question::Category { asked, .. }
            | Question::Amount { asked, .. }
            | Question::AmountChoice { asked, .. }
            | Question::UnusualDate { asked, .. } => *asked,
        }
    }

    pub(super) fn asked_mut(&mut self) -> &mut bool {
        match self {
            Question::Category { asked, .. }
            | Question::Amount { asked, .. }
            | Question::AmountChoice { asked, .. }
            | Question::UnusualDate { asked, .. } => asked,
        }
    }
}
