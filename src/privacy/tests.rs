use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::export::{self, Export, Section};
use super::*;

/// Builds a wamid with Meta's layout: the header, the number, then the
/// message's own id of 20 hex digits.
fn wamid(phone: &str, id: &str) -> String {
    let mut bytes = vec![0x1c, 0x18, phone.len() as u8];
    bytes.extend_from_slice(phone.as_bytes());
    bytes.extend_from_slice(&[0x15, 0x02, 0x00, 0x12, 0x18, 0x14]);
    bytes.extend_from_slice(id.as_bytes());
    bytes.push(0x00);
    format!("wamid.{}", STANDARD.encode(bytes))
}

#[test]
fn recognise_reads_whole_commands() {
    let cases = [
        ("STOP", Some(Request::OptOut)),
        ("stop", Some(Request::OptOut)),
        ("Baja", Some(Request::OptOut)),
        ("BAJA.", Some(Request::OptOut)),
        ("detener", Some(Request::OptOut)),
        ("Detener!", Some(Request::OptOut)),
        ("unsubscribe", Some(Request::OptOut)),
        ("UNSUBSCRIBE", Some(Request::OptOut)),
        ("START", Some(Request::OptIn)),
        ("alta", Some(Request::OptIn)),
        ("  Alta  ", Some(Request::OptIn)),
        ("exportar mis datos", Some(Request::Export)),
        ("Exportar mis datos", Some(Request::Export)),
        ("EXPORT MY DATA", Some(Request::Export)),
        ("export my data.", Some(Request::Export)),
        ("borrar mis datos", Some(Request::Delete)),
        ("Borrar mis datos!", Some(Request::Delete)),
        ("delete my data", Some(Request::Delete)),
        ("Delete My Data", Some(Request::Delete)),
        ("eliminar mis datos", Some(Request::Delete)),
    ];
    for (text, expected) in cases {
        assert_eq!(recognise(text), expected, "text `{text}`");
    }
}

#[test]
fn recognise_ignores_accents_in_commands() {
    // `words_of` folds accents, so a typed accent does not hide a command.
    assert_eq!(recognise("BÁJA"), Some(Request::OptOut));
    assert_eq!(recognise("éxportar mís datos"), Some(Request::Export));
    assert_eq!(recognise("bórrar mis dátos"), Some(Request::Delete));
}

#[test]
fn recognise_leaves_expenses_and_other_text() {
    let cases = [
        "baja de precio 5000",
        "stop and shop 12.500",
        "start 5000",
        "alta costura 20000",
        "uber al alta 8000",
        "borrar mis datos del almuerzo 5000",
        "quiero exportar mis datos ya",
        "borrar",
        "borrar último",
        "datos 5000",
        "",
        "st op",
    ];
    for text in cases {
        assert_eq!(recognise(text), None, "text `{text}`");
    }
}

#[test]
fn choice_reads_only_privacy_ids() {
    let cases = [
        ("prv|keep", Some(Choice::KeepData)),
        (
            "prv|del|1796371200",
            Some(Choice::ConfirmDeletion {
                expires_at: 1_796_371_200,
            }),
        ),
        ("prv|del|soon", Some(Choice::Unknown)),
        ("prv|other", Some(Choice::Unknown)),
        ("del|expense-1", None),
        ("keep|expense-1", None),
        ("cat|wamid.x#1|cat-1", None),
        ("", None),
    ];
    for (id, expected) in cases {
        assert_eq!(choice(id), expected, "id `{id}`");
    }
}

#[test]
fn deletion_question_buttons_fit_whatsapp() {
    for language in [Language::Spanish, Language::English] {
        for mode in [MemberDeletion::Anonymise, MemberDeletion::Delete] {
            let Outbound::Buttons { body, buttons } = deletion_question(language, mode, 7, 1_000)
            else {
                panic!("a button message for {language:?} {mode:?}");
            };
            assert!(body.contains('7'), "count in {body}");
            assert_eq!(buttons.len(), 2);
            for (id, title) in &buttons {
                assert!(title.chars().count() <= 20, "title `{title}`");
                assert!(id.len() <= 256, "id `{id}`");
            }
            let expires_at = 1_000 + DELETION_CONFIRM_TTL_SECONDS;
            assert_eq!(
                choice(&buttons[0].0),
                Some(Choice::ConfirmDeletion { expires_at })
            );
            assert_eq!(choice(&buttons[1].0), Some(Choice::KeepData));
        }
    }
}

#[test]
fn deletion_question_says_what_happens_to_expenses() {
    let anonymise = deletion_question(Language::Spanish, MemberDeletion::Anonymise, 3, 0);
    let delete = deletion_question(Language::Spanish, MemberDeletion::Delete, 3, 0);
    assert!(anonymise.text().contains("quedan en los totales"));
    assert!(delete.text().contains("se borran tus gastos"));
}

#[test]
fn member_deletion_round_trips_and_defaults() {
    for mode in [MemberDeletion::Anonymise, MemberDeletion::Delete] {
        assert_eq!(MemberDeletion::parse(mode.as_str()), mode);
    }
    assert_eq!(MemberDeletion::parse("other"), MemberDeletion::Anonymise);
}

fn plan(mode: MemberDeletion) -> DeletionPlan {
    DeletionPlan {
        customer_id: "c1".into(),
        user_id: Some("u1".into()),
        mode,
        identity_ids: vec!["i1".into()],
        addresses: vec!["56911112222".into(), "ana@example.com".into()],
        ledger_ids: vec!["wamid.A".into()],
    }
}

#[test]
fn deletion_statements_follow_the_mode() {
    let anonymise = deletion_statements(&plan(MemberDeletion::Anonymise));
    let delete = deletion_statements(&plan(MemberDeletion::Delete));
    let sqls = |statements: &[Statement]| statements.iter().map(|s| s.sql).collect::<Vec<_>>();
    assert_eq!(
        sqls(&anonymise),
        [
            sql::REWRITE_USER_LEDGER,
            sql::REWRITE_USER_BUDGET_ALERTS,
            sql::ANONYMISE_USER_EXPENSE_HISTORY,
            sql::ANONYMISE_USER_CHANGES,
            sql::ANONYMISE_USER_RECURRING_RULES,
            sql::DELETE_USER_REMINDER_PREFERENCES,
            sql::DELETE_USER_REMINDERS_SENT,
            sql::ANONYMISE_USER_EXPENSES,
            sql::DELETE_USER_IDENTITIES,
            sql::DELETE_USER_EMAIL_ROUTES,
            sql::DELETE_USER,
        ]
    );
    assert_eq!(sqls(&delete)[2], sql::DELETE_USER_EXPENSE_HISTORY);
    assert_eq!(sqls(&delete)[4], sql::DELETE_USER_RECURRING_RULES);
    assert_eq!(sqls(&delete)[7], sql::DELETE_USER_EXPENSES);
}

#[test]
fn deletion_statements_bind_json_lists() {
    let statements = deletion_statements(&plan(MemberDeletion::Anonymise));
    let pairs: Value =
        serde_json::from_str(statements[0].params[1].as_deref().expect("pairs")).expect("json");
    assert_eq!(pairs, json!([["wamid.A", erased_ledger_id("wamid.A")]]));
    assert_eq!(statements[1].params[1], statements[0].params[1]);
    let addresses: Value =
        serde_json::from_str(statements[8].params[2].as_deref().expect("addresses")).expect("json");
    assert_eq!(addresses, json!(["56911112222", "ana@example.com"]));
    for statement in &statements {
        assert_eq!(statement.params[0].as_deref(), Some("c1"));
    }
    let identities: Value =
        serde_json::from_str(statements[6].params[2].as_deref().expect("identities"))
            .expect("json");
    assert_eq!(identities, json!(["i1"]));
    assert_eq!(statements[10].params[1].as_deref(), Some("u1"));
}

#[test]
fn erased_ledger_id_hides_the_wamid() {
    let id = wamid("56912345678", "3EB0C4A1B2C3D4E5F6A7");
    let erased = erased_ledger_id(&id);
    assert!(erased.starts_with("erased:"), "{erased}");
    assert_eq!(erased.len(), "erased:".len() + 32);
    assert_eq!(erased, erased_ledger_id(&id));
    assert_ne!(erased, erased_ledger_id(&wamid("56912345678", "OTHER")));
    assert!(!erased.contains("5691234"));
}

#[test]
fn wamid_phone_reads_meta_example() {
    // The example id in Meta's Cloud API documentation.
    let id = "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA";
    assert_eq!(wamid_phone(id).as_deref(), Some("16505076520"));
}

#[test]
fn wamid_phone_reads_built_ids_and_rejects_others() {
    for phone in ["5", "56912345678", "447700900123", "123456789012345"] {
        let id = wamid(phone, "ABCDEF0123456789ABCD");
        assert_eq!(wamid_phone(&id).as_deref(), Some(phone), "id `{id}`");
    }
    let cases = [
        "wamid.e2e.4b1c",
        "wamid.",
        "email:<a@b>",
        "wamid.AAAA",
        "wamid.HBgL",
        "wamid.!!!!",
        "HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
    ];
    for id in cases {
        assert_eq!(wamid_phone(id), None, "id `{id}`");
    }
}

#[test]
fn search_prefix_matches_every_wamid() {
    for phone in ["56912345678", "4477009001", "1", "123456789012345"] {
        let prefix = wamid_search_prefix(phone).expect("prefix");
        for id in ["ABCDEF0123456789ABCD", "0000000000000000000000", "x"] {
            let full = wamid(phone, id);
            assert!(full.starts_with(&prefix), "{full} starts with {prefix}");
        }
        // D1 rejects LIKE patterns over 50 bytes; the prefix is used in a
        // range instead, but it stays short anyway.
        assert!(prefix.len() <= 40, "{prefix}");
    }
    assert_eq!(wamid_search_prefix(""), None);
    assert_eq!(wamid_search_prefix("+56912345678"), None);
}

#[test]
fn wamids_of_keeps_only_that_number() {
    let mine = wamid("56912345678", "ABCDEF0123456789ABCD");
    // Same 3-byte groups as the prefix, different last digit.
    let neighbour = wamid("56912345679", "ABCDEF0123456789ABCD");
    let candidates = [mine.as_str(), neighbour.as_str(), "wamid.e2e.1"];
    assert_eq!(wamids_of("56912345678", candidates), vec![mine.clone()]);
}

#[test]
fn redact_wamids_replaces_only_ids_with_numbers() {
    let id = wamid("56912345678", "ABCDEF0123456789ABCD");
    let line =
        format!(r#"{{"message_id":"{id}","source_message_id":"{id}#2","other":"wamid.e2e.x"}}"#);
    let redacted = redact_wamids(&line);
    let pseudonym = wamid_pseudonym(&id);
    assert!(!redacted.contains(&id), "{redacted}");
    assert!(
        redacted.contains(&format!(r#""message_id":"{pseudonym}""#)),
        "{redacted}"
    );
    assert!(
        redacted.contains(&format!(r#""source_message_id":"{pseudonym}#2""#)),
        "{redacted}"
    );
    assert!(redacted.contains("wamid.e2e.x"), "{redacted}");
    assert_eq!(pseudonym.len(), "wamid~".len() + 16);
    assert_eq!(redact_wamids("no ids here"), "no ids here");
    assert_eq!(redact_wamids("trailing wamid."), "trailing wamid.");
}

fn row(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

fn sample() -> Export {
    Export {
        customer_id: "c1".into(),
        user_id: "u1".into(),
        generated_at: "2026-12-04T12:00:00Z".into(),
        sections: vec![
            Section {
                name: "user",
                columns: &["id", "display_name"],
                rows: vec![row(&[("id", json!("u1")), ("display_name", json!("Ana"))])],
            },
            Section {
                name: "expenses",
                columns: &["id", "amount_minor", "description", "merchant"],
                rows: vec![
                    row(&[
                        ("id", json!("e1")),
                        ("amount_minor", json!(12500)),
                        ("description", json!("=HYPERLINK(\"http://x\")")),
                        ("merchant", Value::Null),
                    ]),
                    row(&[
                        ("id", json!("e2")),
                        ("amount_minor", json!(990)),
                        ("description", json!("pan, leche\ny huevos")),
                        ("merchant", json!("@jumbo")),
                    ]),
                ],
            },
            Section {
                name: "budgets",
                columns: &["category", "monthly_budget_minor"],
                rows: Vec::new(),
            },
        ],
    }
}

#[test]
fn csv_rows_follow_one_header() {
    let csv = export::render_csv(&sample());
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "section,id,display_name,amount_minor,description,merchant,category,monthly_budget_minor"
    );
    assert_eq!(lines[1], "user,u1,Ana,,,,,");
    assert!(csv.ends_with("\r\n"));
    // Header, user, two expenses (one spanning two lines), final CRLF.
    assert_eq!(lines.len(), 5, "{csv}");
}

#[test]
fn csv_guards_formulas_and_quotes() {
    let csv = export::render_csv(&sample());
    assert!(
        csv.contains("expenses,e1,,12500,\"'=HYPERLINK(\"\"http://x\"\")\",,,\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("expenses,e2,,990,\"pan, leche\ny huevos\",'@jumbo,,\r\n"),
        "{csv}"
    );
}

#[test]
fn csv_guards_every_formula_start() {
    for (text, expected) in [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""),
        ("\0x", "'\0x"),
        ("plain", "plain"),
        ("a\"b", "\"a\"\"b\""),
    ] {
        let export = Export {
            sections: vec![Section {
                name: "expenses",
                columns: &["description"],
                rows: vec![row(&[("description", json!(text))])],
            }],
            ..Export::default()
        };
        let csv = export::render_csv(&export);
        assert_eq!(
            csv,
            format!("section,description\r\nexpenses,{expected}\r\n"),
            "text `{text:?}`"
        );
    }
}

#[test]
fn csv_writes_numbers_without_guard() {
    let export = Export {
        sections: vec![Section {
            name: "expenses",
            columns: &["amount_minor", "confidence"],
            rows: vec![row(&[
                ("amount_minor", json!(-5)),
                ("confidence", json!(0.75)),
            ])],
        }],
        ..Export::default()
    };
    assert_eq!(
        export::render_csv(&export),
        "section,amount_minor,confidence\r\nexpenses,-5,0.75\r\n"
    );
}

#[test]
fn json_has_format_ids_and_sections() {
    let value = export::render_json(&sample());
    assert_eq!(value["format"], export::FORMAT);
    assert_eq!(value["generated_at"], "2026-12-04T12:00:00Z");
    assert_eq!(value["customer_id"], "c1");
    assert_eq!(value["user_id"], "u1");
    assert_eq!(value["user"], json!({"id": "u1", "display_name": "Ana"}));
    assert_eq!(value["expenses"].as_array().map(Vec::len), Some(2));
    assert_eq!(value["expenses"][0]["amount_minor"], 12500);
    assert_eq!(value["expenses"][0]["merchant"], Value::Null);
    assert_eq!(value["budgets"], json!([]));
}

#[test]
fn json_user_is_null_without_a_row() {
    let export = Export {
        sections: vec![Section {
            name: "user",
            columns: &["id"],
            rows: Vec::new(),
        }],
        ..Export::default()
    };
    assert_eq!(export::render_json(&export)["user"], Value::Null);
}

#[test]
fn export_sections_have_distinct_names() {
    let mut names: Vec<&str> = export::QUERIES.iter().map(|q| q.section).collect();
    names.push(export::MESSAGES);
    names.push(export::CONVERSATION_STATE);
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count);
}

#[test]
fn texts_name_the_commands_that_undo_them() {
    assert!(texts::opted_out(Language::Spanish).contains("ALTA"));
    assert!(texts::opted_out(Language::English).contains("START"));
    assert!(texts::opted_in(Language::Spanish).contains("BAJA"));
    assert!(texts::opted_in(Language::English).contains("STOP"));
    let ready = texts::export_ready(Language::Spanish, "https://x/a.csv", "https://x/a.json", 60);
    assert!(ready.contains("https://x/a.csv"));
    assert!(ready.contains("https://x/a.json"));
    assert!(ready.contains("60 minutos"));
}

#[test]
fn export_links_round_trip_through_the_path() {
    for format in [export::Format::Csv, export::Format::Json] {
        let url = export::link("https://x.example/", "abc.def_-1", format);
        let path = url.strip_prefix("https://x.example").expect("base");
        assert_eq!(
            export::parse_path(path),
            Some(("abc.def_-1", format)),
            "{url}"
        );
    }
}

#[test]
fn export_path_rejects_other_shapes() {
    let cases = [
        "/exports/",
        "/exports/.csv",
        "/exports/abc",
        "/exports/abc.html",
        "/exports/a/b.csv",
        "/exports/a%2Fb.csv",
        "/reports/abc.csv",
        "/exports/abc.csv/",
    ];
    for path in cases {
        assert_eq!(export::parse_path(path), None, "path `{path}`");
    }
}

#[test]
fn export_claims_name_the_user_and_expire() {
    let claims = export::claims("c1", "u1", 1_000, "n".into());
    assert_eq!(claims.kind, EXPORT_TOKEN_KIND);
    assert_eq!(claims.user_id.as_deref(), Some("u1"));
    assert_eq!(claims.period, None);
    assert_eq!(claims.expires_at, 1_000 + EXPORT_LINK_TTL_SECONDS);
    let token = crate::token::sign(b"key", &claims);
    assert_eq!(
        crate::token::verify(b"key", &token, EXPORT_TOKEN_KIND, 1_000),
        Some(claims.clone())
    );
    assert_eq!(
        crate::token::verify(b"key", &token, "report", 1_000),
        None,
        "a report link does not open an export"
    );
}
