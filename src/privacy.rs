//! Personal data: opting out of messages that are not replies, exporting what
//! is kept about a user, and deleting it.
//!
//! This module is pure, like [`crate::flow`]. It recognises the commands and
//! the deletion buttons, and decides the statements a deletion runs. Their
//! SQL is in `db/ops/privacy_*.sql`, shared with `scripts/privacy.mjs`. It
//! also finds the WhatsApp message ids that encode a phone number, and with
//! [`export`] and [`texts`] renders exports and replies. `privacy_store`
//! reads and writes D1 and KV, and `privacy_runner` performs the commands
//! and serves export links.
//!
//! What a deletion leaves: the customer's shared settings (categories,
//! budgets, merchant rules), and in `anonymise` mode the user's expenses with
//! their amount, currency, date, category and status but without user,
//! description, merchant or message id. WhatsApp message ids (wamids) are
//! base64 that starts with the sender's phone number, so the ledger rows and
//! expense source ids that carry one are renamed as well.

pub mod export;
pub mod texts;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::classify;
use crate::kapso::client::Outbound;
use crate::model::Language;
use crate::sql;

/// The `kind` of an export link token.
pub const EXPORT_TOKEN_KIND: &str = "export";
/// Seconds an export link stays valid. Short, because the link opens
/// everything about the person and WhatsApp chats get forwarded.
pub const EXPORT_LINK_TTL_SECONDS: i64 = 60 * 60;
/// Seconds the button that confirms a deletion stays valid.
pub const DELETION_CONFIRM_TTL_SECONDS: i64 = 30 * 60;

/// Returns whether a user accepts messages that are not replies to them, from
/// their `users.opted_out_at`: not while it is set. This is the one rule
/// every sender of such messages applies. The emailed-receipt confirmation
/// reaches it through `privacy_runner::proactive_allowed`, and scheduled
/// reminders and notices through `scheduled::send::may_contact`.
pub fn accepts_proactive(opted_out_at: Option<&str>) -> bool {
    opted_out_at.is_none()
}

/// A privacy command typed by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Stop every message that is not a reply.
    OptOut,
    /// Resume those messages.
    OptIn,
    /// Send a link to an export of the user's data.
    Export,
    /// Delete the user's personal data, after a confirmation.
    Delete,
}

const OPT_OUT_WORDS: &[&str] = &["stop", "baja", "detener", "unsubscribe"];
const OPT_IN_WORDS: &[&str] = &["start", "alta"];
const EXPORT_WORDS: &[&str] = &[
    "exportar mis datos",
    "export my data",
    "descargar mis datos",
    "download my data",
];
const DELETE_WORDS: &[&str] = &[
    "borrar mis datos",
    "eliminar mis datos",
    "delete my data",
    "erase my data",
];

/// Reads `text` as a privacy command. The whole message must be the command
/// (any case, accents and punctuation ignored), so that `baja de precio 5000`
/// stays an expense.
pub fn recognise(text: &str) -> Option<Request> {
    let words = classify::words_of(text);
    let words = words.as_str();
    if OPT_OUT_WORDS.contains(&words) {
        Some(Request::OptOut)
    } else if OPT_IN_WORDS.contains(&words) {
        Some(Request::OptIn)
    } else if EXPORT_WORDS.contains(&words) {
        Some(Request::Export)
    } else if DELETE_WORDS.contains(&words) {
        Some(Request::Delete)
    } else {
        None
    }
}

/// Choice ids of the deletion buttons start with this; the flow's own ids
/// start `cat|`, `amt|`, `date|`, and the ledger commands' `exp|`, `del|`,
/// `keep|`.
const CHOICE_PREFIX: &str = "prv|";
/// `prv|del|<unix seconds after which the button is refused>`.
const CONFIRM_PREFIX: &str = "prv|del|";
const KEEP_ID: &str = "prv|keep";

/// A deletion button the user tapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Delete, when tapped before `expires_at` (unix seconds).
    ConfirmDeletion { expires_at: i64 },
    /// Keep everything.
    KeepData,
    /// An id with the privacy prefix that this version does not know. The
    /// reply is the one for an expired button.
    Unknown,
}

/// Reads a choice id as a deletion button; `None` for every other id.
pub fn choice(id: &str) -> Option<Choice> {
    if !id.starts_with(CHOICE_PREFIX) {
        return None;
    }
    if id == KEEP_ID {
        return Some(Choice::KeepData);
    }
    let expires_at = id.strip_prefix(CONFIRM_PREFIX).and_then(|n| n.parse().ok());
    Some(match expires_at {
        Some(expires_at) => Choice::ConfirmDeletion { expires_at },
        None => Choice::Unknown,
    })
}

/// Builds the question that confirms a deletion, with a delete and a keep
/// button. `expenses` is how many the user recorded; `now` is unix seconds.
pub fn deletion_question(
    language: Language,
    mode: MemberDeletion,
    expenses: u32,
    now: i64,
) -> Outbound {
    let expires_at = now.saturating_add(DELETION_CONFIRM_TTL_SECONDS);
    let (delete, keep) = texts::deletion_buttons(language);
    Outbound::Buttons {
        body: texts::deletion_question(language, mode, expenses),
        buttons: vec![
            (format!("{CONFIRM_PREFIX}{expires_at}"), delete.to_owned()),
            (KEEP_ID.to_owned(), keep.to_owned()),
        ],
    }
}

/// The effect of a customer's `member_deletion` setting on a deleted
/// member's expenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberDeletion {
    /// Keep amount, currency, date and category, so that a household keeps
    /// its shared totals; clear everything that names the member.
    Anonymise,
    /// Remove the rows.
    Delete,
}

impl MemberDeletion {
    /// Reads the column value. The schema allows only `anonymise` and
    /// `delete`; anything else is read as `anonymise`, the column's default.
    pub fn parse(value: &str) -> MemberDeletion {
        match value {
            "delete" => MemberDeletion::Delete,
            _ => MemberDeletion::Anonymise,
        }
    }

    /// Returns the value of `customers.member_deletion`.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberDeletion::Anonymise => "anonymise",
            MemberDeletion::Delete => "delete",
        }
    }
}

/// Everything a deletion removes or rewrites, as read before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionPlan {
    pub customer_id: String,
    /// `None` when an operator removes a sender that was never linked to a
    /// user (a pending identity).
    pub user_id: Option<String>,
    pub mode: MemberDeletion,
    /// Ids of the user's channel identities; they name the conversation
    /// state keys in KV.
    pub identity_ids: Vec<String>,
    /// The user's phone numbers and email addresses.
    pub addresses: Vec<String>,
    /// Ledger message ids that encode one of the user's phone numbers.
    pub ledger_ids: Vec<String>,
}

/// One statement and its parameters, `?1` first; `None` binds NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: &'static str,
    pub params: Vec<Option<String>>,
}

/// Lists the statements of a deletion, in the order the foreign keys need:
/// the ledger and budget alerts, the change history (read through the
/// user's expenses, so before them), recurring rules and reminders,
/// expenses, identities, email routes, and the user row last. Run them in
/// one batch (one D1 transaction).
pub fn deletion_statements(plan: &DeletionPlan) -> Vec<Statement> {
    let customer = Some(plan.customer_id.clone());
    let user = plan.user_id.clone();
    let pairs: Vec<[String; 2]> = plan
        .ledger_ids
        .iter()
        .map(|id| [id.clone(), erased_ledger_id(id)])
        .collect();
    let pairs = serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned());
    let addresses = serde_json::to_string(&plan.addresses).unwrap_or_else(|_| "[]".to_owned());
    let identities = serde_json::to_string(&plan.identity_ids).unwrap_or_else(|_| "[]".to_owned());
    let (history, rules, expenses) = match plan.mode {
        MemberDeletion::Anonymise => (
            sql::ANONYMISE_USER_EXPENSE_HISTORY,
            sql::ANONYMISE_USER_RECURRING_RULES,
            sql::ANONYMISE_USER_EXPENSES,
        ),
        MemberDeletion::Delete => (
            sql::DELETE_USER_EXPENSE_HISTORY,
            sql::DELETE_USER_RECURRING_RULES,
            sql::DELETE_USER_EXPENSES,
        ),
    };
    let customer_user = |sql| Statement {
        sql,
        params: vec![customer.clone(), user.clone()],
    };
    vec![
        Statement {
            sql: sql::REWRITE_USER_LEDGER,
            params: vec![customer.clone(), Some(pairs.clone())],
        },
        Statement {
            sql: sql::REWRITE_USER_BUDGET_ALERTS,
            params: vec![customer.clone(), Some(pairs)],
        },
        customer_user(history),
        customer_user(sql::ANONYMISE_USER_CHANGES),
        customer_user(rules),
        customer_user(sql::DELETE_USER_REMINDER_PREFERENCES),
        Statement {
            sql: sql::DELETE_USER_REMINDERS_SENT,
            params: vec![customer.clone(), user.clone(), Some(identities)],
        },
        customer_user(expenses),
        Statement {
            sql: sql::DELETE_USER_IDENTITIES,
            params: vec![customer.clone(), user.clone(), Some(addresses)],
        },
        customer_user(sql::DELETE_USER_EMAIL_ROUTES),
        customer_user(sql::DELETE_USER),
    ]
}

/// Returns the id a ledger row is renamed to when its sender's data is
/// deleted, which is also the id the deleting message is recorded under. A
/// wamid would name the sender, so only part of its SHA-256 is kept. The hash is not keyed,
/// but besides the number a wamid carries the message's own id of 18 to 20
/// hex digits, so trying every number does not find it.
pub fn erased_ledger_id(message_id: &str) -> String {
    let digest = Sha256::digest(message_id.as_bytes());
    format!("erased:{}", hex::encode(&digest[..16]))
}

/// Wamids are `wamid.` and standard base64 whose bytes start `1c 18`, the
/// length of the number, and its digits. Meta does not document the format,
/// but the example id of its Cloud API messages reference decodes so, to the
/// number the example message went to.
const WAMID_PREFIX: &str = "wamid.";
const WAMID_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Returns the phone number a wamid encodes, if it has the usual layout.
pub fn wamid_phone(message_id: &str) -> Option<String> {
    let encoded = message_id.strip_prefix(WAMID_PREFIX)?;
    let bytes = WAMID_ENGINE.decode(encoded).ok()?;
    let [0x1c, 0x18, length, rest @ ..] = bytes.as_slice() else {
        return None;
    };
    let digits = rest.get(..usize::from(*length))?;
    let is_number = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
    is_number.then(|| digits.iter().map(|&b| char::from(b)).collect())
}

/// Returns the start that every wamid of `phone` shares: the base64 of the
/// header and of as many digits as fill whole 3-byte groups. Ledger ids with this start
/// are candidates, to be confirmed with [`wamid_phone`].
pub fn wamid_search_prefix(phone: &str) -> Option<String> {
    let length = u8::try_from(phone.len()).ok()?;
    if phone.is_empty() || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut bytes = vec![0x1c, 0x18, length];
    bytes.extend_from_slice(phone.as_bytes());
    bytes.truncate(bytes.len() / 3 * 3);
    Some(format!("{WAMID_PREFIX}{}", WAMID_ENGINE.encode(bytes)))
}

/// Keeps the candidates that really are wamids of `phone`.
pub fn wamids_of<'a>(phone: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    candidates
        .into_iter()
        .filter(|id| wamid_phone(id).as_deref() == Some(phone))
        .map(str::to_owned)
        .collect()
}

/// Replaces every wamid in `text` that encodes a phone number with
/// `wamid~` and the first 16 hex digits of the wamid's SHA-256, so that log
/// lines and error reports keep a stable reference to a message without the
/// number. Other ids, such as the test ids `wamid.e2e.…`, stay as they are.
pub fn redact_wamids(text: &str) -> String {
    if !text.contains(WAMID_PREFIX) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(WAMID_PREFIX) {
        out.push_str(&rest[..start]);
        let after = &rest[start + WAMID_PREFIX.len()..];
        let length = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
            .unwrap_or(after.len());
        let token = &rest[start..start + WAMID_PREFIX.len() + length];
        if wamid_phone(token).is_some() {
            out.push_str(&wamid_pseudonym(token));
        } else {
            out.push_str(token);
        }
        rest = &rest[start + token.len()..];
    }
    out.push_str(rest);
    out
}

/// `wamid~` and the first 16 hex digits of the SHA-256 of `wamid`. An
/// operator holding a wamid finds its log lines with
/// `printf %s "$wamid" | sha256sum | cut -c1-16`.
pub fn wamid_pseudonym(wamid: &str) -> String {
    let digest = Sha256::digest(wamid.as_bytes());
    format!("wamid~{}", hex::encode(&digest[..8]))
}

#[cfg(test)]
mod tests;
