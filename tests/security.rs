//! Source checks of two rules the compiler alone does not enforce.
//!
//! - D1 is reached only through `store::Store` and `privacy_store`, whose
//!   `prepare` takes a `&'static str`: SQL text is a constant, and every
//!   value is a bound parameter.
//! - Every statement touches one customer's rows only: it filters or writes
//!   `customer_id`, unless it resolves the tenant itself (listed below with
//!   the reason).
//!
//! The statements are read from the source: the constants of `src/sql.rs`
//! and the string literals passed to `prepare(` anywhere under `src/`.

use std::fs;
use std::path::{Path, PathBuf};

/// Statements that need no `customer_id`, found by a fragment of their text.
const UNSCOPED: &[(&str, &str)] = &[
    ("SELECT 1 AS ok", "the health check reads no table"),
    (
        "FROM inbound_messages WHERE message_id",
        "WhatsApp message ids are unique across customers; the ledger row \
         is read before the sender is resolved",
    ),
    (
        "FROM channel_accounts a JOIN customers c",
        "resolves the customer from the business number",
    ),
    (
        "FROM customers c WHERE c.id = ?1",
        "reads the customer row itself, by its id",
    ),
    (
        "FROM channel_identities WHERE account_id = ?1",
        "the account was resolved to one customer by the statement above",
    ),
    (
        "INSERT INTO customers (id,",
        "creates the customer row itself (development bootstrap)",
    ),
    (
        "FROM email_routes WHERE address = ?1",
        "resolves the customer from the inbound email address",
    ),
    (
        "WHERE i.address = ?1 COLLATE NOCASE",
        "the operators' lookup of a person by address, across customers, to \
         choose whose data an export or deletion is about",
    ),
    (
        "FROM recurring_rules r WHERE r.status = 'active'",
        "the hourly cron pages through every customer's rules; each row \
         carries its customer_id, which the writes that follow filter on",
    ),
    (
        "FROM reminder_preferences p JOIN customers c",
        "the hourly cron pages through every customer's reminders; each row \
         carries its customer_id",
    ),
    (
        "UPDATE reminders_sent SET outcome",
        "updates the row the same run claimed, by user id (unique across \
         customers) and reminder key",
    ),
    (
        "UPDATE channel_identities SET last_inbound_at",
        "updates one identity by its id, which a scoped lookup returned",
    ),
    (
        "UPDATE channel_identities SET window_closed_at",
        "updates one identity by its id, which a scoped lookup returned",
    ),
];

fn source_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", directory.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(source_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Reads the string literal that starts at `text[0]` (a `"`), joining `\`
/// line continuations the way rustc does; returns it with its byte length
/// in `text`.
fn string_literal(text: &str) -> Option<(String, usize)> {
    let mut literal = String::new();
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, character)) = chars.next() {
        match character {
            '"' => return Some((literal, at + 1)),
            '\\' => match chars.next() {
                Some((_, '\n')) => {
                    // A continuation also skips the next line's indentation.
                    while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
                }
                Some((_, escaped)) => literal.push(escaped),
                None => return None,
            },
            other => literal.push(other),
        }
    }
    None
}

/// Joins the string literals in `code`, as `concat!` does.
fn joined_literals(code: &str) -> String {
    let mut joined = String::new();
    let mut rest = code;
    while let Some(start) = rest.find('"') {
        let Some((literal, length)) = string_literal(&rest[start..]) else {
            break;
        };
        joined.push_str(&literal);
        rest = &rest[start + length..];
    }
    joined
}

/// Collects every SQL statement of the crate, with where it was found.
fn statements() -> Vec<(String, String)> {
    let mut found = Vec::new();

    // The constants of sql.rs, each up to the `;` that ends it.
    let sql = fs::read_to_string(src().join("sql.rs")).unwrap_or_default();
    for block in sql.split("pub const ").skip(1) {
        let name: String = block.chars().take_while(|c| *c != ':').collect();
        let body = block.split(";\n").next().unwrap_or_default();
        let mut text = match body.split_once("include_str!(") {
            // A statement kept in a file of its own, such as db/ops/*.sql.
            Some((_, argument)) => {
                let relative = joined_literals(argument);
                let file = fs::read_to_string(src().join(&relative)).unwrap_or_default();
                file.lines()
                    .map(|line| line.split("--").next().unwrap_or_default().trim())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            None => joined_literals(body),
        };
        assert!(!text.is_empty(), "sql::{name} read as empty");
        // `customer_columns!()` is the customer table's own columns.
        if body.contains("customer_columns!()") {
            text.push_str(" c.id");
        }
        found.push((format!("sql::{name}"), text));
    }

    // Literals passed straight to `prepare(`.
    for path in source_files(&src()) {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let file = path
            .strip_prefix(src())
            .unwrap_or(&path)
            .display()
            .to_string();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("prepare(") {
            rest = &rest[at + "prepare(".len()..];
            let trimmed = rest.trim_start();
            if trimmed.starts_with('"') {
                if let Some((literal, _)) = string_literal(trimmed) {
                    found.push((format!("a literal in src/{file}"), literal));
                }
            }
        }
    }
    found
}

/// The modules that hold a `D1Database`, each preparing only constants.
const D1_GATEWAYS: &[&str] = &["store.rs", "privacy_store.rs"];

#[test]
fn d1_is_reached_only_through_store() {
    for path in source_files(&src()) {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let gateway = path.parent() == Some(src().as_path())
            && D1_GATEWAYS
                .iter()
                .any(|name| path.file_name().is_some_and(|file| file == *name));
        if gateway {
            assert!(
                text.contains("sql: &'static str"),
                "{} must prepare only a &'static str",
                path.display()
            );
            continue;
        }
        assert!(
            !text.contains("D1Database"),
            "{} uses D1Database; go through store::Store",
            path.display()
        );
    }
}

#[test]
fn statements_are_found() {
    let statements = statements();
    assert!(statements.len() > 40, "{} statements", statements.len());
    assert!(
        statements
            .iter()
            .any(|(_, text)| text.contains("INSERT INTO expenses (id, customer_id")),
        "INSERT_EXPENSE is read whole"
    );
}

#[test]
fn literal_reader_joins_continuations() {
    // A literal as store code passes it to `prepare(`, with a `\` line
    // continuation and an escaped quote.
    let code =
        "\"SELECT id FROM expenses \\\n         WHERE customer_id = ?1 AND note = \\\"x\\\"\", &[";
    let (literal, length) = string_literal(code).unwrap_or_default();
    assert_eq!(
        literal,
        "SELECT id FROM expenses WHERE customer_id = ?1 AND note = \"x\""
    );
    assert_eq!(&code[length..], ", &[");
}

#[test]
fn every_statement_is_scoped_to_a_customer() {
    let scoped = |text: &str| {
        let filtered = ["customer_id = ?", "customer_id IS ?", "customer_id = c.id"]
            .iter()
            .any(|pattern| text.contains(pattern));
        let inserted = text.starts_with("INSERT")
            && text
                .split(')')
                .next()
                .is_some_and(|columns| columns.contains("customer_id"));
        filtered || inserted
    };
    let statements = statements();
    for (origin, text) in &statements {
        let exempt = UNSCOPED.iter().any(|(fragment, _)| text.contains(fragment));
        assert!(
            scoped(text) || exempt,
            "{origin} touches rows without `customer_id`: {text}"
        );
    }
    // Each exemption still names a statement that needs it.
    for (fragment, reason) in UNSCOPED {
        assert!(
            statements
                .iter()
                .any(|(_, text)| text.contains(fragment) && !scoped(text)),
            "no unscoped statement contains `{fragment}` ({reason}); drop it"
        );
    }
}

#[test]
fn no_statement_formats_a_value_into_sql() {
    for path in source_files(&src()) {
        let text = fs::read_to_string(&path).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let formats_sql = line.contains("format!(")
                && ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", " WHERE "]
                    .iter()
                    .any(|keyword| line.contains(keyword));
            assert!(
                !formats_sql,
                "{}:{} formats SQL: {line}",
                path.display(),
                number + 1
            );
        }
    }
}
