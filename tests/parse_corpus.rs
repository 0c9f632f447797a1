//! Runs the labelled messages in `tests/corpus/parse/*.tsv` through the
//! parser and reports every line whose result differs from its label.
//!
//! Each file is tab-separated, one expected item per row:
//!
//! ```text
//! locale  home  today  message  kind  amount_minor  currency  date  description  merchant
//! ```
//!
//! - `message` may contain `\n` for a line break. A row whose message is `..`
//!   is the next item of the message above it (its first three columns are
//!   ignored), for messages with several expenses.
//! - `kind` is `expense`, `missing`, `ambiguous` or `unusual-date` (a date
//!   after today or more than a year back) for an item of `parse_message`.
//!   It is `greeting`, `thanks` or `question` for a message that yields no
//!   item and is that small talk; `answer` for `parse_amount`
//!   (`ambiguous` and `none` readings are written `answer-ambiguous` and
//!   `answer-none`).
//! - `amount_minor` lists the candidates of an ambiguous amount with `|`,
//!   most likely first; `currency` is one code for all candidates or one per
//!   candidate, also separated with `|`.
//! - `-` stands for an empty description, no merchant, or a column that does
//!   not apply. Lines starting with `#` are comments.

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use misgastos::money::{Currency, Money};
use misgastos::parse::{
    parse_amount, parse_message, small_talk, AmountReading, Item, ParseContext, SmallTalk,
};

/// One labelled row.
struct Row {
    file: String,
    line: usize,
    locale: String,
    home: Currency,
    today: NaiveDate,
    message: String,
    columns: Vec<String>,
}

impl Row {
    fn column(&self, index: usize) -> &str {
        self.columns.get(index).map_or("-", String::as_str)
    }
}

/// A message and the rows that label it.
struct Case {
    rows: Vec<Row>,
}

fn load_cases(directory: &Path) -> Result<Vec<Case>, String> {
    let mut paths: Vec<_> = std::fs::read_dir(directory)
        .map_err(|error| format!("cannot read {}: {error}", directory.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "tsv"))
        .collect();
    paths.sort();

    let mut cases: Vec<Case> = Vec::new();
    for path in paths {
        let file = path
            .file_name()
            .map_or_else(String::new, |name| name.to_string_lossy().into());
        let content = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        for (index, text) in content.lines().enumerate() {
            let line = index + 1;
            if text.trim().is_empty() || text.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = text.split('\t').collect();
            if fields.len() != 10 {
                return Err(format!(
                    "{file}:{line}: expected 10 columns, found {}",
                    fields.len()
                ));
            }
            if fields[3] == ".." {
                let Some(case) = cases.last_mut() else {
                    return Err(format!("{file}:{line}: `..` row with no message above it"));
                };
                let first = &case.rows[0];
                let row = Row {
                    file: file.clone(),
                    line,
                    locale: first.locale.clone(),
                    home: first.home,
                    today: first.today,
                    message: first.message.clone(),
                    columns: fields[4..]
                        .iter()
                        .map(|field| (*field).to_owned())
                        .collect(),
                };
                case.rows.push(row);
                continue;
            }
            let home = Currency::from_code(fields[1])
                .ok_or_else(|| format!("{file}:{line}: unknown currency `{}`", fields[1]))?;
            let today = NaiveDate::parse_from_str(fields[2], "%Y-%m-%d")
                .map_err(|error| format!("{file}:{line}: invalid date `{}`: {error}", fields[2]))?;
            cases.push(Case {
                rows: vec![Row {
                    file: file.clone(),
                    line,
                    locale: fields[0].to_owned(),
                    home,
                    today,
                    message: fields[3].replace("\\n", "\n"),
                    columns: fields[4..]
                        .iter()
                        .map(|field| (*field).to_owned())
                        .collect(),
                }],
            });
        }
    }
    Ok(cases)
}

/// The expected candidates of a row: amounts from column 1, currencies from
/// column 2.
fn expected_amounts(row: &Row) -> Result<Vec<Money>, String> {
    let amounts: Vec<&str> = row.column(1).split('|').collect();
    let currencies: Vec<&str> = row.column(2).split('|').collect();
    amounts
        .iter()
        .enumerate()
        .map(|(index, amount)| {
            let minor: i64 = amount
                .parse()
                .map_err(|_| format!("invalid amount `{amount}`"))?;
            let code = if currencies.len() == amounts.len() {
                currencies[index]
            } else {
                currencies[0]
            };
            let currency =
                Currency::from_code(code).ok_or_else(|| format!("unknown currency `{code}`"))?;
            Ok(Money::new(minor, currency))
        })
        .collect()
}

fn optional(text: &str) -> Option<&str> {
    (text != "-").then_some(text)
}

/// The parts of an item that a row labels.
struct Found<'a> {
    kind: &'static str,
    amounts: Vec<Money>,
    spent_on: NaiveDate,
    description: &'a str,
    merchant: Option<&'a str>,
}

fn found(item: &Item) -> Found<'_> {
    match item {
        Item::Expense(draft) | Item::UnusualDate { draft } => Found {
            kind: if matches!(item, Item::Expense(_)) {
                "expense"
            } else {
                "unusual-date"
            },
            amounts: vec![draft.amount],
            spent_on: draft.spent_on,
            description: &draft.description,
            merchant: draft.merchant.as_deref(),
        },
        Item::AmbiguousAmount { draft, candidates } => Found {
            kind: "ambiguous",
            amounts: candidates.clone(),
            spent_on: draft.spent_on,
            description: &draft.description,
            merchant: draft.merchant.as_deref(),
        },
        Item::MissingAmount {
            description,
            merchant,
            spent_on,
        } => Found {
            kind: "missing",
            amounts: Vec::new(),
            spent_on: *spent_on,
            description,
            merchant: merchant.as_deref(),
        },
    }
}

fn describe_item(item: &Item) -> String {
    let found = found(item);
    let amounts: Vec<String> = found
        .amounts
        .iter()
        .map(|amount| format!("{} {}", amount.minor, amount.currency))
        .collect();
    format!(
        "{} [{}] {} `{}` merchant {}",
        found.kind,
        amounts.join(" | "),
        found.spent_on,
        found.description,
        found.merchant.unwrap_or("-")
    )
}

/// Checks one expected item against what the parser returned.
fn check_item(row: &Row, item: Option<&Item>) -> Result<(), String> {
    let Some(item) = item else {
        return Err("expected an item, found none".to_owned());
    };
    if let Item::AmbiguousAmount { draft, candidates } = item {
        if candidates.first() != Some(&draft.amount) {
            return Err(format!(
                "draft amount is not the first candidate in {item:?}"
            ));
        }
    }
    let found = found(item);
    let kind = row.column(0);
    let expected_date = NaiveDate::parse_from_str(row.column(3), "%Y-%m-%d")
        .map_err(|error| format!("invalid expected date `{}`: {error}", row.column(3)))?;
    let matches = found.kind == kind
        && (kind == "missing" || expected_amounts(row)? == found.amounts)
        && found.spent_on == expected_date
        && found.description == optional(row.column(4)).unwrap_or("")
        && found.merchant == optional(row.column(5));
    if !matches {
        return Err(format!(
            "expected {}, found {}",
            row.columns.join(" "),
            describe_item(item)
        ));
    }
    Ok(())
}

fn check_answer(row: &Row, context: &ParseContext<'_>) -> Result<(), String> {
    let found = parse_amount(&row.message, context);
    let expected = match row.column(0) {
        "answer" => {
            AmountReading::Exact(expected_amounts(row)?.first().copied().ok_or("no amount")?)
        }
        "answer-ambiguous" => AmountReading::Ambiguous(expected_amounts(row)?),
        _ => AmountReading::None,
    };
    if found != expected {
        return Err(format!("expected {expected:?}, found {found:?}"));
    }
    Ok(())
}

fn check_small_talk(row: &Row, items: &[Item]) -> Result<(), String> {
    let expected = match row.column(0) {
        "greeting" => SmallTalk::Greeting,
        "thanks" => SmallTalk::Thanks,
        _ => SmallTalk::Question,
    };
    if !items.is_empty() {
        let found: Vec<String> = items.iter().map(describe_item).collect();
        return Err(format!("expected no items, found {}", found.join("; ")));
    }
    let found = small_talk(&row.message);
    if found != Some(expected) {
        return Err(format!("expected small talk {expected:?}, found {found:?}"));
    }
    Ok(())
}

fn check_case(case: &Case, failures: &mut String) -> usize {
    let first = &case.rows[0];
    let context = ParseContext {
        locale: &first.locale,
        home_currency: first.home,
        today: first.today,
    };
    let mut report = |row: &Row, result: Result<(), String>| {
        if let Err(reason) = result {
            let _ = writeln!(
                failures,
                "{}:{}: `{}`: {reason}",
                row.file,
                row.line,
                row.message.replace('\n', "\\n")
            );
        }
    };

    match first.column(0) {
        "answer" | "answer-ambiguous" | "answer-none" => {
            report(first, check_answer(first, &context))
        }
        "greeting" | "thanks" | "question" => {
            let items = parse_message(&first.message, &context);
            report(first, check_small_talk(first, &items));
        }
        _ => {
            let items = parse_message(&first.message, &context);
            for (index, row) in case.rows.iter().enumerate() {
                report(row, check_item(row, items.get(index)));
            }
            if items.len() > case.rows.len() {
                let extra: Vec<String> =
                    items[case.rows.len()..].iter().map(describe_item).collect();
                report(
                    first,
                    Err(format!("unexpected extra items: {}", extra.join("; "))),
                );
            }
        }
    }
    case.rows.len()
}

#[test]
fn corpus_messages_parse_as_labelled() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/parse");
    let cases = match load_cases(&directory) {
        Ok(cases) => cases,
        Err(error) => panic!("invalid corpus: {error}"),
    };
    let mut failures = String::new();
    let rows: usize = cases
        .iter()
        .map(|case| check_case(case, &mut failures))
        .sum();

    assert!(
        cases.len() >= 300,
        "expected at least 300 messages, found {}",
        cases.len()
    );
    let failed = failures.lines().count();
    assert!(
        failures.is_empty(),
        "{failed} of {rows} corpus rows failed:\n{failures}"
    );
}
