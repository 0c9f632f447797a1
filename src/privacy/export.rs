//! The export of one user's data: which sections it has, the statement and
//! columns of each, and its CSV and JSON forms.
//!
//! `scripts/privacy.mjs` writes the same two forms for an operator; keep its
//! `renderCsv` and `renderJson` in step with [`render_csv`] and
//! [`render_json`].

use serde_json::{Map, Value};

use super::{EXPORT_LINK_TTL_SECONDS, EXPORT_TOKEN_KIND};
use crate::sql;
use crate::token::Claims;

/// Version of the export layout, written into both formats.
pub const FORMAT: &str = "misgastos-export/1";

/// The path of export links: `/exports/<token>.csv` or `.json`.
pub const PATH_PREFIX: &str = "/exports/";

/// The two forms of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// Returns the file extension, which is also the name logged.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// Returns the `Content-Type` of the response.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// Builds the claims of an export link for one user, valid
/// [`EXPORT_LINK_TTL_SECONDS`] from `now` (unix seconds).
pub fn claims(customer_id: &str, user_id: &str, now: i64, nonce: String) -> Claims {
    Claims {
        kind: EXPORT_TOKEN_KIND.to_owned(),
        customer_id: customer_id.to_owned(),
        user_id: Some(user_id.to_owned()),
        period: None,
        expires_at: now.saturating_add(EXPORT_LINK_TTL_SECONDS),
        nonce,
    }
}

/// Builds the URL of a token's export in `format`, under `base_url`
/// (`PUBLIC_BASE_URL`).
pub fn link(base_url: &str, token: &str, format: Format) -> String {
    format!(
        "{}{PATH_PREFIX}{token}.{}",
        base_url.trim_end_matches('/'),
        format.extension()
    )
}

/// Splits an export path into its token and format; `None` for any other
/// path, including one without a known extension.
pub fn parse_path(path: &str) -> Option<(&str, Format)> {
    let file = path.strip_prefix(PATH_PREFIX)?;
    let (token, extension) = file.rsplit_once('.')?;
    let format = match extension {
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => return None,
    };
    let is_token = !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    is_token.then_some((token, format))
}

/// The parameters a section's statement binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    /// `?1` customer.
    Customer,
    /// `?1` customer, `?2` user.
    CustomerUser,
}

/// One section read from D1 with one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub section: &'static str,
    pub sql: &'static str,
    pub params: Params,
    /// The statement's result columns, in order.
    pub columns: &'static [&'static str],
}

/// The sections read with one statement each, in the order they are written.
/// The ledger rows ([`MESSAGES`]) and the conversation state in KV
/// ([`CONVERSATION_STATE`]) follow them.
pub const QUERIES: [Query; 10] = [
    Query {
        section: "user",
        sql: sql::EXPORT_USER,
        params: Params::CustomerUser,
        columns: &[
            "id",
            "customer_id",
            "display_name",
            "role",
            "opted_out_at",
            "created_at",
            "updated_at",
        ],
    },
    Query {
        section: "identities",
        sql: sql::EXPORT_IDENTITIES,
        params: Params::CustomerUser,
        columns: &[
            "id",
            "kind",
            "account",
            "address",
            "business_scoped_user_id",
            "status",
            "last_inbound_at",
            "created_at",
            "updated_at",
        ],
    },
    Query {
        section: "expenses",
        sql: sql::EXPORT_EXPENSES,
        params: Params::CustomerUser,
        columns: &[
            "id",
            "amount_minor",
            "currency",
            "spent_on",
            "description",
            "merchant",
            "category_id",
            "category",
            "status",
            "confidence",
            "classified_by",
            "source",
            "source_message_id",
            "created_at",
            "updated_at",
        ],
    },
    Query {
        section: "expense_changes",
        sql: sql::EXPORT_EXPENSE_CHANGES,
        params: Params::CustomerUser,
        columns: &[
            "id",
            "expense_id",
            "action",
            "reverts_change_id",
            "message_id",
            "amount_minor",
            "currency",
            "spent_on",
            "description",
            "category_id",
            "status",
            "created_at",
        ],
    },
    Query {
        section: "recurring_rules",
        sql: sql::EXPORT_RECURRING_RULES,
        params: Params::CustomerUser,
        columns: &[
            "id",
            "description",
            "merchant",
            "amount_minor",
            "currency",
            "frequency",
            "day",
            "status",
            "active_from",
            "last_occurrence_on",
            "created_at",
            "updated_at",
        ],
    },
    Query {
        section: "reminder_preferences",
        sql: sql::EXPORT_REMINDER_PREFERENCES,
        params: Params::CustomerUser,
        columns: &["daily_hour", "created_at", "updated_at"],
    },
    Query {
        section: "categories",
        sql: sql::EXPORT_CATEGORIES,
        params: Params::Customer,
        columns: &[
            "id",
            "name",
            "keywords",
            "position",
            "monthly_budget_minor",
            "created_at",
            "updated_at",
        ],
    },
    Query {
        section: "budgets",
        sql: sql::EXPORT_BUDGETS,
        params: Params::Customer,
        columns: &[
            "category_id",
            "category",
            "monthly_budget_minor",
            "home_currency",
        ],
    },
    Query {
        section: "merchant_rules",
        sql: sql::EXPORT_MERCHANT_RULES,
        params: Params::Customer,
        columns: &["merchant", "category_id", "category", "created_at"],
    },
    Query {
        section: "email_routes",
        sql: sql::EXPORT_EMAIL_ROUTES,
        params: Params::CustomerUser,
        columns: &["address", "created_at"],
    },
];

/// Section name of the ledger rows of the user's WhatsApp messages.
pub const MESSAGES: &str = "messages";
/// Columns of [`MESSAGES`], as `sql::PRIVACY_LEDGER_CANDIDATES` returns them.
pub const MESSAGE_COLUMNS: &[&str] = &["message_id", "outcome", "received_at"];
/// Section name of the open conversation state in KV, one row per identity
/// that has one.
pub const CONVERSATION_STATE: &str = "conversation_state";
/// Columns of [`CONVERSATION_STATE`]: the identity and its state as JSON.
pub const STATE_COLUMNS: &[&str] = &["identity_id", "state"];

/// One section of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Map<String, Value>>,
}

/// Everything kept about one user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    pub customer_id: String,
    pub user_id: String,
    /// RFC 3339 time the export was made.
    pub generated_at: String,
    pub sections: Vec<Section>,
}

/// Renders an export as a JSON object: the format, time and ids, then one
/// key per section with an array of rows (`user` is one object, or `null`).
pub fn render_json(export: &Export) -> Value {
    let mut object = Map::new();
    object.insert("format".into(), FORMAT.into());
    object.insert("generated_at".into(), export.generated_at.clone().into());
    object.insert("customer_id".into(), export.customer_id.clone().into());
    object.insert("user_id".into(), export.user_id.clone().into());
    for section in &export.sections {
        let rows = section.rows.iter().cloned().map(Value::Object);
        let value = if section.name == "user" {
            rows.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(rows.collect())
        };
        object.insert(section.name.to_owned(), value);
    }
    Value::Object(object)
}

/// Renders an export as one CSV table (RFC 4180, CRLF line ends): a
/// `section` column, then every section's columns in order of first
/// appearance, so a row leaves the columns of other sections empty. NULL is
/// an empty cell, and an object (a conversation state) is its JSON text.
pub fn render_csv(export: &Export) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for section in &export.sections {
        for name in section.columns {
            if !columns.contains(name) {
                columns.push(name);
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = std::iter::once("section")
        .chain(columns.iter().copied())
        .map(csv_text)
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for section in &export.sections {
        for row in &section.rows {
            let mut cells = vec![csv_text(section.name)];
            for name in &columns {
                cells.push(match row.get(*name) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(text)) => csv_text(text),
                    // A number has no formula character but `-`, and a
                    // spreadsheet reads `-5` as a number, not a formula.
                    Some(Value::Number(number)) => number.to_string(),
                    Some(Value::Bool(flag)) => flag.to_string(),
                    Some(other) => csv_text(&other.to_string()),
                });
            }
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// Quotes a text cell as RFC 4180 does when it needs it. A text that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return or NUL first) gets a leading `'`, as OWASP ASVS requirement
/// 1.2.10 requires.
fn csv_text(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']) {
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
