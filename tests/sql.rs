//! The migration files and the worker's SQL, run against real SQLite.
//!
//! D1 is SQLite, so these tests apply `db/migrations/*.sql` in order, with
//! foreign keys enforced as D1 does, and run the statements of `misgastos::sql`
//! with bound parameters.

use misgastos::categories;
use misgastos::model::Language;
use misgastos::sql;
use rusqlite::limits::Limit;
use rusqlite::{params, Connection, ErrorCode};

const MIGRATIONS: [(&str, &str); 5] = [
    (
        "001_init.sql",
        include_str!("../db/migrations/001_init.sql"),
    ),
    (
        "002_customers.sql",
        include_str!("../db/migrations/002_customers.sql"),
    ),
    (
        "003_channels_3_layers.sql",
        include_str!("../db/migrations/003_channels_3_layers.sql"),
    ),
    (
        "004_subscriptions.sql",
        include_str!("../db/migrations/004_subscriptions.sql"),
    ),
    (
        "005_email_routes.sql",
        include_str!("../db/migrations/005_email_routes.sql"),
    ),
];

/// D1's limit on the pattern of LIKE and GLOB, in bytes; SQLite's default is
/// 50,000, so without it a CHECK that D1 rejects passes here.
const D1_LIKE_PATTERN_LENGTH: i32 = 50;

fn migrated() -> Connection {
    let db = Connection::open_in_memory().expect("in-memory sqlite");
    db.set_limit(
        Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
        D1_LIKE_PATTERN_LENGTH,
    )
    .expect("pattern limit");
    db.execute_batch("PRAGMA foreign_keys = ON;")
        .expect("foreign keys");
    for (name, migration) in MIGRATIONS {
        db.execute_batch(migration)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
    }
    db
}

fn bootstrap(db: &Connection, customer: &str, phone_number_id: &str, address: &str) {
    let account_id = format!("acct-{phone_number_id}");
    let user_id = format!("user-{customer}-{address}");
    db.execute(sql::BOOTSTRAP_CUSTOMER, params![customer, "Dev"])
        .expect("customer");
    db.execute(
        sql::BOOTSTRAP_SUBSCRIPTION,
        params![format!("sub-{customer}"), customer],
    )
    .expect("subscription");
    db.execute(
        sql::BOOTSTRAP_ACCOUNT,
        params![account_id, customer, phone_number_id],
    )
    .expect("account");
    db.execute(
        sql::BOOTSTRAP_USER,
        params![user_id, customer, "Camila", phone_number_id, address],
    )
    .expect("user");
    db.execute(
        sql::BOOTSTRAP_IDENTITY,
        params![
            format!("ident-{address}"),
            user_id,
            address,
            phone_number_id
        ],
    )
    .expect("identity");
    for (position, category) in categories::defaults(Language::Spanish).iter().enumerate() {
        db.execute(
            sql::INSERT_CATEGORY,
            params![
                format!("{customer}-cat-{position}"),
                customer,
                category.name,
                categories::keywords_column(category),
                position as i64
            ],
        )
        .expect("category");
    }
}

fn count(db: &Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .expect("count")
}

fn insert_expense(
    db: &Connection,
    customer: &str,
    source_id: &str,
    status: &str,
    category: Option<&str>,
) -> rusqlite::Result<usize> {
    db.execute(
        sql::INSERT_EXPENSE,
        params![
            format!("exp-{source_id}"),
            customer,
            None::<String>,
            12_500_i64,
            "CLP",
            "2026-12-04",
            "almuerzo",
            None::<String>,
            category,
            status,
            0.9_f64,
            "keyword",
            "whatsapp",
            source_id
        ],
    )
}

fn constraint_code(result: rusqlite::Result<usize>) -> Option<ErrorCode> {
    match result {
        Err(rusqlite::Error::SqliteFailure(error, _)) => Some(error.code),
        _ => None,
    }
}

#[test]
fn migrations_create_every_table() {
    let db = migrated();
    for table in [
        "categories",
        "expenses",
        "merchant_rules",
        "inbound_messages",
        "customers",
        "users",
        "channel_kinds",
        "channel_accounts",
        "channel_identities",
        "subscriptions",
        "email_routes",
    ] {
        assert_eq!(
            count(&db, table),
            if table == "channel_kinds" { 2 } else { 0 },
            "{table}"
        );
    }
}

#[test]
fn bootstrap_is_idempotent() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    bootstrap(&db, "dev", "100", "56911112222");
    assert_eq!(count(&db, "customers"), 1);
    assert_eq!(count(&db, "subscriptions"), 1);
    assert_eq!(count(&db, "channel_accounts"), 1);
    assert_eq!(count(&db, "users"), 1);
    assert_eq!(count(&db, "channel_identities"), 1);
    assert_eq!(
        count(&db, "categories"),
        categories::defaults(Language::Spanish).len() as i64
    );
    let role: String = db
        .query_row("SELECT role FROM users", [], |r| r.get(0))
        .expect("role");
    assert_eq!(role, "owner");

    bootstrap(&db, "dev", "100", "56933334444");
    assert_eq!(count(&db, "users"), 2);
    let roles: Vec<String> = db
        .prepare("SELECT role FROM users ORDER BY role")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(roles, ["member", "owner"]);
}

#[test]
fn account_and_identity_resolve_the_sender() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let (account_id, customer_id, currency, locale, zone, threshold): (
        String,
        String,
        String,
        String,
        String,
        f64,
    ) = db
        .query_row(sql::ACCOUNT_BY_ADDRESS, params!["whatsapp", "100"], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .expect("account");
    assert_eq!(account_id, "acct-100");
    assert_eq!(customer_id, "dev");
    assert_eq!(
        (currency.as_str(), locale.as_str(), zone.as_str()),
        ("CLP", "es-CL", "America/Santiago")
    );
    assert_eq!(threshold, 0.75);

    let status: String = db
        .query_row(
            sql::IDENTITY_BY_SENDER,
            params!["acct-100", "56911112222", None::<String>],
            |r| r.get(2),
        )
        .expect("identity");
    assert_eq!(status, "active");
    let missing = db.query_row(
        sql::IDENTITY_BY_SENDER,
        params!["acct-100", "56999999999", None::<String>],
        |r| r.get::<_, String>(0),
    );
    assert!(matches!(missing, Err(rusqlite::Error::QueryReturnedNoRows)));
    let other_number = db.query_row(sql::ACCOUNT_BY_ADDRESS, params!["whatsapp", "200"], |r| {
        r.get::<_, String>(0)
    });
    assert!(matches!(
        other_number,
        Err(rusqlite::Error::QueryReturnedNoRows)
    ));
}

#[test]
fn pending_identity_is_recorded_once() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    for _ in 0..2 {
        db.execute(
            sql::INSERT_PENDING_IDENTITY,
            params![
                "pending-1",
                "acct-100",
                "dev",
                "56955556666",
                None::<String>
            ],
        )
        .expect("pending identity");
    }
    let (status, user): (String, Option<String>) = db
        .query_row(
            "SELECT status, user_id FROM channel_identities WHERE address = '56955556666'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    assert_eq!(status, "pending");
    assert_eq!(user, None);
    assert_eq!(count(&db, "channel_identities"), 2);
}

#[test]
fn source_message_id_is_the_idempotency_guard() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    assert_eq!(
        insert_expense(&db, "dev", "wamid.1#1", "pending_category", None),
        Ok(1)
    );
    assert_eq!(
        constraint_code(insert_expense(
            &db,
            "dev",
            "wamid.1#1",
            "pending_category",
            None
        )),
        Some(ErrorCode::ConstraintViolation)
    );
    assert_eq!(
        insert_expense(&db, "dev", "wamid.1#2", "completed", Some("dev-cat-0")),
        Ok(1)
    );
}

#[test]
fn duplicate_ledger_row_rolls_back_the_batch() {
    let mut db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    db.execute(
        sql::INSERT_INBOUND_MESSAGE,
        params!["wamid.9", "dev", "handled"],
    )
    .expect("first");

    // D1 runs a batch as one transaction; this is the same batch by hand.
    let transaction = db.transaction().expect("transaction");
    insert_expense(
        &transaction,
        "dev",
        "wamid.9#1",
        "completed",
        Some("dev-cat-0"),
    )
    .expect("expense");
    let duplicate = transaction.execute(
        sql::INSERT_INBOUND_MESSAGE,
        params!["wamid.9", "dev", "handled"],
    );
    assert_eq!(
        constraint_code(duplicate),
        Some(ErrorCode::ConstraintViolation)
    );
    drop(transaction);
    assert_eq!(count(&db, "expenses"), 0);
}

#[test]
fn expense_checks_reject_bad_rows() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let bad_rows = [
        ("amount zero", "UPDATE expenses SET amount_minor = 0"),
        ("lowercase currency", "UPDATE expenses SET currency = 'clp'"),
        ("bad status", "UPDATE expenses SET status = 'lost'"),
        ("bad source", "UPDATE expenses SET source = 'sms'"),
        ("bad date", "UPDATE expenses SET spent_on = '4/12/2026'"),
        (
            "completed without category",
            "UPDATE expenses SET status = 'completed', category_id = NULL",
        ),
        (
            "confidence over one",
            "UPDATE expenses SET confidence = 1.5",
        ),
        (
            "unknown customer",
            "UPDATE expenses SET customer_id = 'nobody'",
        ),
    ];
    insert_expense(&db, "dev", "wamid.2#1", "pending_category", None).expect("expense");
    for (what, statement) in bad_rows {
        let result = db.execute(statement, []);
        assert_eq!(
            constraint_code(result),
            Some(ErrorCode::ConstraintViolation),
            "{what}"
        );
    }
}

#[test]
fn set_category_completes_but_respects_tenants_and_deletes() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    bootstrap(&db, "other", "200", "56977778888");
    insert_expense(&db, "dev", "wamid.3#1", "pending_category", None).expect("pending");
    insert_expense(&db, "dev", "wamid.4#1", "pending_category", None).expect("to delete");
    db.execute(
        "UPDATE expenses SET status = 'deleted' WHERE source_message_id = 'wamid.4#1'",
        [],
    )
    .expect("delete");

    assert_eq!(
        db.execute(
            sql::SET_CATEGORY,
            params!["dev", "wamid.3#1", "other-cat-0"]
        ),
        Ok(0),
        "another customer's category"
    );
    assert_eq!(
        db.execute(
            sql::SET_CATEGORY,
            params!["other", "wamid.3#1", "other-cat-0"]
        ),
        Ok(0),
        "another customer's expense"
    );
    assert_eq!(
        db.execute(sql::SET_CATEGORY, params!["dev", "wamid.4#1", "dev-cat-2"]),
        Ok(0),
        "deleted expense"
    );
    assert_eq!(
        db.execute(sql::SET_CATEGORY, params!["dev", "wamid.3#1", "dev-cat-2"]),
        Ok(1)
    );

    let (status, category, by): (String, String, String) = db
        .query_row("SELECT status, category_id, classified_by FROM expenses WHERE source_message_id = 'wamid.3#1'", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("row");
    assert_eq!(
        (status.as_str(), category.as_str(), by.as_str()),
        ("completed", "dev-cat-2", "user")
    );
}

#[test]
fn categories_by_use_put_used_first_and_catch_all_last() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    for n in 0..3 {
        insert_expense(
            &db,
            "dev",
            &format!("wamid.u{n}#1"),
            "completed",
            Some("dev-cat-4"),
        )
        .expect("used");
    }
    let names: Vec<String> = db
        .prepare(sql::CATEGORIES_BY_USE)
        .expect("prepare")
        .query_map(params!["dev"], |r| r.get(1))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let defaults = categories::defaults(Language::Spanish);
    assert_eq!(names.first().map(String::as_str), Some(defaults[4].name));
    assert_eq!(names.last().map(String::as_str), Some("Otros"));
    assert_eq!(names.len(), defaults.len());
}

#[test]
fn merchant_rule_upsert_replaces_the_category() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    db.execute(
        sql::UPSERT_MERCHANT_RULE,
        params!["dev", "uber", "dev-cat-0"],
    )
    .expect("first");
    db.execute(
        sql::UPSERT_MERCHANT_RULE,
        params!["dev", "uber", "dev-cat-2"],
    )
    .expect("second");
    let category: String = db
        .query_row(sql::MERCHANT_RULE, params!["dev", "uber"], |r| r.get(0))
        .expect("rule");
    assert_eq!(category, "dev-cat-2");
    assert_eq!(count(&db, "merchant_rules"), 1);
    let unknown = db.execute(
        sql::UPSERT_MERCHANT_RULE,
        params!["dev", "rappi", "no-such-category"],
    );
    assert_eq!(
        constraint_code(unknown),
        Some(ErrorCode::ConstraintViolation)
    );
}

#[test]
fn channel_accounts_and_email_routes_are_unique() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let again = db.execute("INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES ('x', 'dev', 'whatsapp', '100')", []);
    assert_eq!(constraint_code(again), Some(ErrorCode::ConstraintViolation));
    let bad_kind = db.execute("INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES ('y', 'dev', 'sms', '1')", []);
    assert_eq!(
        constraint_code(bad_kind),
        Some(ErrorCode::ConstraintViolation)
    );

    db.execute(
        "INSERT INTO email_routes (address, customer_id) VALUES ('Gastos@Example.com', 'dev')",
        [],
    )
    .expect("route");
    let customer: String = db
        .query_row(
            "SELECT customer_id FROM email_routes WHERE address = ?1",
            params!["gastos@example.com"],
            |r| r.get(0),
        )
        .expect("case-insensitive lookup");
    assert_eq!(customer, "dev");
}

#[test]
fn subscription_period_must_be_ordered() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let backwards = db.execute(
        "INSERT INTO subscriptions (id, customer_id, plan, status, current_period_start, current_period_end) \
         VALUES ('s2', 'dev', 'free', 'active', '2026-12-01', '2026-11-01')",
        [],
    );
    assert_eq!(
        constraint_code(backwards),
        Some(ErrorCode::ConstraintViolation)
    );
    let bad_status = db.execute(
        "INSERT INTO subscriptions (id, customer_id, plan, status, current_period_start, current_period_end) \
         VALUES ('s3', 'dev', 'free', 'paused', '2026-11-01', '2026-12-01')",
        [],
    );
    assert_eq!(
        constraint_code(bad_status),
        Some(ErrorCode::ConstraintViolation)
    );
}
