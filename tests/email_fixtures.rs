//! Receipt fixtures in `tests/fixtures/email/`: each `NAME.eml` (a raw
//! message) or `NAME.json` (the JSON form of `POST /webhooks/email`) has a
//! `NAME.expected.json` with the customer it is read for and the expense it
//! must yield.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use misgastos::email::{self, mime, ReceiptContext};
use misgastos::money::Currency;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Expected {
    shape: String,
    context: Context,
    expense: Expense,
}

#[derive(Debug, Deserialize)]
struct Context {
    locale: String,
    home_currency: String,
    today: NaiveDate,
    time_zone: String,
}

#[derive(Debug, Deserialize)]
struct Expense {
    amount_minor: i64,
    currency: String,
    merchant: Option<String>,
    spent_on: NaiveDate,
    description: String,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/email")
}

/// Every fixture name, with its expectation and its mail.
fn fixtures() -> Vec<(String, Expected, email::Mail)> {
    let mut found = Vec::new();
    let entries = fs::read_dir(fixture_dir()).expect("tests/fixtures/email exists");
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(".expected.json").map(str::to_owned))
        .collect();
    names.sort();
    for name in names {
        let dir = fixture_dir();
        let expected: Expected = serde_json::from_str(
            &fs::read_to_string(dir.join(format!("{name}.expected.json"))).expect("readable"),
        )
        .unwrap_or_else(|error| panic!("{name}.expected.json: {error}"));
        let raw = dir.join(format!("{name}.eml"));
        let mail = if raw.exists() {
            mime::parse_raw(&fs::read(raw).expect("readable"))
        } else {
            mime::parse_json(&fs::read(dir.join(format!("{name}.json"))).expect("readable"))
        }
        .unwrap_or_else(|error| panic!("{name}: {error}"));
        found.push((name, expected, mail));
    }
    found
}

#[test]
fn fixtures_cover_at_least_twenty_receipts() {
    let count = fixtures().len();
    assert!(count >= 20, "expected at least 20 fixtures, found {count}");
}

#[test]
fn every_fixture_yields_its_expense() {
    let mut failures = Vec::new();
    for (name, expected, mail) in fixtures() {
        let context = &expected.context;
        let home = Currency::from_code(&context.home_currency).expect("a known currency");
        let receipt_context = ReceiptContext {
            locale: &context.locale,
            home_currency: home,
            today: context.today,
            sent_on: mail
                .date
                .and_then(|date| email::local_day(date, &context.time_zone)),
        };
        let receipt = match email::extract(&mail, &receipt_context) {
            Ok(receipt) => receipt,
            Err(error) => {
                failures.push(format!("{name} ({}): {error}", expected.shape));
                continue;
            }
        };
        let want = &expected.expense;
        let checks = [
            (
                "amount_minor",
                receipt.amount.minor.to_string(),
                want.amount_minor.to_string(),
            ),
            (
                "currency",
                receipt.amount.currency.code().to_owned(),
                want.currency.clone(),
            ),
            (
                "merchant",
                format!("{:?}", receipt.merchant),
                format!("{:?}", want.merchant),
            ),
            (
                "spent_on",
                receipt.spent_on.to_string(),
                want.spent_on.to_string(),
            ),
            (
                "description",
                receipt.description.clone(),
                want.description.clone(),
            ),
        ];
        for (field, found, wanted) in checks {
            if found != wanted {
                failures.push(format!(
                    "{name}: {field} expected `{wanted}`, found `{found}`"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_has_a_message_id() {
    for (name, _, mail) in fixtures() {
        let id = mail
            .message_id
            .as_deref()
            .unwrap_or_else(|| panic!("{name}: no Message-ID"));
        assert_eq!(
            email::ledger_id("casa", &mail),
            format!("email:casa:{id}"),
            "{name}"
        );
    }
}
