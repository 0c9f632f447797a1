//! Personal data: opting out of messages that are not replies, exporting what
//! is kept about a user, and deleting it.
//!
//! This module is pure, like [`crate::flow`]: it recognises the commands,
//! lists the SQL that an export reads and a deletion runs (the statements
//! live in [`crate::sql`]), and renders an export as CSV and JSON. The flow
//! asks and answers; the runner and `store` perform the reads and writes;
//! `export` serves the signed links.
//!
//! What a deletion leaves: the customer's shared settings (categories,
//! budgets, merchant rules), and in `anonymise` mode the user's expenses with
//! their amount, currency, date and category but without user, description,
//! merchant or message id. WhatsApp message ids (wamids) are base64 that
//! starts with the sender's phone number, so ledger rows and expense ids that
//! carry one are removed or rewritten as well.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::{Map, Value};

use crate::classify;
use crate::sql;

/// Log event of an opt-out or opt-in (field `opted_out`).
pub const OPT_OUT_CHANGED: &str = "privacy.opt_out_changed";
/// Log event of an export link sent to the user.
pub const EXPORT_LINK_SENT: &str = "privacy.export_link_sent";
/// Log event of an export page served (field `format`).
pub const EXPORT_SERVED: &str = "privacy.export_served";
/// Log event of an export link that was wrong or expired (404).
pub const EXPORT_LINK_REJECTED: &str = "privacy.export_link_rejected";
/// Log event of a deletion asked for, confirmed or cancelled (field `step`).
pub const DELETION_STEP: &str = "privacy.deletion";
/// Log event of a message that was not sent because the user opted out.
pub const PROACTIVE_SUPPRESSED: &str = "privacy.proactive_suppressed";

/// The `kind` of an export link token.
pub const EXPORT_TOKEN_KIND: &str = "export";
/// Seconds an export link stays valid. Short, because the link opens
/// everything about the person and WhatsApp chats get forwarded.
pub const EXPORT_LINK_TTL_SECONDS: i64 = 60 * 60;

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

/// Reads a typed answer to the deletion question: `Some(true)` confirms,
/// `Some(false)` declines, `None` is not an answer.
pub fn deletion_answer(text: &str) -> Option<bool> {
    match classify::words_of(text).as_str() {
        "si" | "yes" | "confirmar" | "confirm" | "borrar" | "delete" | "si borrar" => Some(true),
        "no" | "no borrar" | "don t delete" | "dont delete" | "keep" | "mantener" => Some(false),
        _ => None,
    }
}

/// What a customer's `member_deletion` setting does to a deleted member's
/// expenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberDeletion {
    /// Keep amount, currency, date and category, so that a household keeps
    /// its shared totals; clear everything that names the member.
    Anonymise,
    /// Remove the rows.
    Delete,
}

impl MemberDeletion {
    /// Reads the column value; the schema allows only `anonymise` and
    /// `delete`, and anything else is read as the column's default.
    pub fn parse(value: &str) -> MemberDeletion {
        match value {
            "delete" => MemberDeletion::Delete,
            _ => MemberDeletion::Anonymise,
        }
    }

    /// The value of `customers.member_deletion`.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberDeletion::Anonymise => "anonymise",
            MemberDeletion::Delete => "delete",
        }
    }
}

/// What the runner read before a deletion: the decision and every key that
/// must go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionPlan {
    pub mode: MemberDeletion,
    /// Ids of the user's channel identities; they name the conversation
    /// state keys in KV.
    pub identity_ids: Vec<String>,
    /// Expenses recorded by the user.
    pub expenses: u32,
    /// Ledger message ids whose wamid encodes one of the user's numbers.
    pub ledger_ids: Vec<String>,
}

/// The parameters a deletion statement binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binds {
    /// `?1` customer, `?2` user.
    CustomerUser,
    /// `?1` customer, `?2` user, `?3` a JSON array of ledger message ids.
    CustomerUserLedger,
}

/// One statement of a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub sql: &'static str,
    pub binds: Binds,
}

/// The statements that delete a user's personal data, in the order foreign
/// keys need: ledger rows first (they are found through the expenses), then
/// expenses, identities, email routes, and the user row last.
pub fn deletion_steps(mode: MemberDeletion) -> [Step; 5] {
    let expenses = match mode {
        MemberDeletion::Anonymise => sql::ANONYMISE_USER_EXPENSES,
        MemberDeletion::Delete => sql::DELETE_USER_EXPENSES,
    };
    let step = |sql| Step {
        sql,
        binds: Binds::CustomerUser,
    };
    [
        Step {
            sql: sql::DELETE_USER_LEDGER,
            binds: Binds::CustomerUserLedger,
        },
        step(expenses),
        step(sql::DELETE_USER_IDENTITIES),
        step(sql::DELETE_USER_EMAIL_ROUTES),
        step(sql::DELETE_USER),
    ]
}

/// The ledger id a deleting message is recorded under: its wamid would name
/// the sender, so only a hash of it is kept.
pub fn erased_ledger_id(message_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(message_id.as_bytes());
    format!("erased:{}", hex::encode(&digest[..16]))
}

/// Wamids are `wamid.` and standard base64 whose bytes start `1c 18`, the
/// length of the sender's number, and its digits (seen in Meta's examples and
/// in Kapso deliveries; the format is not documented).
const WAMID_PREFIX: &str = "wamid.";
const WAMID_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The phone number a wamid encodes, if it has the usual layout.
pub fn wamid_phone(message_id: &str) -> Option<String> {
    let encoded = message_id.strip_prefix(WAMID_PREFIX)?;
    let bytes = WAMID_ENGINE.decode(encoded).ok()?;
    let [0x1c, 0x18, length, rest @ ..] = bytes.as_slice() else {
        return None;
    };
    let digits = rest.get(..usize::from(*length))?;
    digits
        .iter()
        .all(u8::is_ascii_digit)
        .then(|| digits.iter().map(|&b| char::from(b)).collect())
}

/// The start that every wamid of `phone` shares: the base64 of the header and
/// of as many digits as fill whole 3-byte groups. Ledger ids with this start
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

/// One read of an export: a section name and its statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportQuery {
    pub section: &'static str,
    pub sql: &'static str,
    /// Whether the statement binds `?2` user besides `?1` customer.
    pub with_user: bool,
}

/// What an export contains, in the order it is written.
pub const EXPORT_QUERIES: [ExportQuery; 7] = [
    ExportQuery {
        section: "user",
        sql: sql::EXPORT_USER,
        with_user: true,
    },
    ExportQuery {
        section: "identities",
        sql: sql::EXPORT_IDENTITIES,
        with_user: true,
    },
    ExportQuery {
        section: "expenses",
        sql: sql::EXPORT_EXPENSES,
        with_user: true,
    },
    ExportQuery {
        section: "categories",
        sql: sql::EXPORT_CATEGORIES,
        with_user: false,
    },
    ExportQuery {
        section: "budgets",
        sql: sql::EXPORT_BUDGETS,
        with_user: false,
    },
    ExportQuery {
        section: "merchant_rules",
        sql: sql::EXPORT_MERCHANT_RULES,
        with_user: false,
    },
    ExportQuery {
        section: "email_routes",
        sql: sql::EXPORT_EMAIL_ROUTES,
        with_user: true,
    },
];

/// Everything kept about one user, as rows by section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    pub customer_id: String,
    pub user_id: String,
    /// RFC 3339 time the export was made.
    pub generated_at: String,
    pub sections: Vec<(&'static str, Vec<Map<String, Value>>)>,
}

/// Version of the export layout, written into both formats.
pub const EXPORT_FORMAT: &str = "misgastos-export/1";

/// Renders an export as a JSON object: one key per section, an array of rows
/// each (`user` is one object, or `null`).
pub fn render_json(export: &Export) -> Value {
    let mut object = Map::new();
    object.insert("format".into(), EXPORT_FORMAT.into());
    object.insert("generated_at".into(), export.generated_at.clone().into());
    object.insert("customer_id".into(), export.customer_id.clone().into());
    object.insert("user_id".into(), export.user_id.clone().into());
    for (section, rows) in &export.sections {
        let value = if *section == "user" {
            rows.first().cloned().map(Value::Object).unwrap_or(Value::Null)
        } else {
            Value::Array(rows.iter().cloned().map(Value::Object).collect())
        };
        object.insert((*section).to_owned(), value);
    }
    Value::Object(object)
}

/// Renders an export as one CSV table: a `section` column, then every
/// column any section has, in order of first appearance; a row leaves the
/// columns of other sections empty. `NULL` is an empty cell.
pub fn render_csv(export: &Export) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for (_, rows) in &export.sections {
        for row in rows {
            for name in row.keys() {
                if !columns.contains(&name.as_str()) {
                    columns.push(name);
                }
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = std::iter::once("section")
        .chain(columns.iter().copied())
        .map(csv_cell)
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for (section, rows) in &export.sections {
        for row in rows {
            let mut cells = vec![csv_cell(section)];
            for name in &columns {
                cells.push(match row.get(*name) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(text)) => csv_cell(text),
                    Some(other) => csv_cell(&other.to_string()),
                });
            }
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// Quotes a CSV cell as RFC 4180 does when it needs it. A text that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage
/// return first) gets a leading `'`, as OWASP's CSV-injection advice says.
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests;
