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

const MIGRATIONS: [(&str, &str); 7] = [
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
    (
        "006_ledger_history.sql",
        include_str!("../db/migrations/006_ledger_history.sql"),
    ),
    (
        "008_recurring_reminders.sql",
        include_str!("../db/migrations/008_recurring_reminders.sql"),
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
        "expense_changes",
        "budget_alerts",
        "recurring_rules",
        "reminder_preferences",
        "reminders_sent",
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
fn merchant_rule_reverts_only_from_the_category_it_has() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    bootstrap(&db, "other", "200", "56933334444");
    let rule = |merchant: &str| -> Option<String> {
        db.query_row(sql::MERCHANT_RULE, params!["dev", merchant], |r| r.get(0))
            .ok()
    };
    db.execute(
        sql::UPSERT_MERCHANT_RULE,
        params!["dev", "jumbo", "dev-cat-2"],
    )
    .expect("learn");
    assert_eq!(
        db.execute(
            sql::REPOINT_MERCHANT_RULE,
            params!["dev", "jumbo", "dev-cat-1", "dev-cat-0"]
        ),
        Ok(0),
        "the rule points elsewhere now"
    );
    assert_eq!(
        db.execute(
            sql::REPOINT_MERCHANT_RULE,
            params!["dev", "jumbo", "dev-cat-2", "other-cat-0"]
        ),
        Ok(0),
        "another customer's category"
    );
    assert_eq!(
        db.execute(
            sql::REPOINT_MERCHANT_RULE,
            params!["dev", "jumbo", "dev-cat-2", "dev-cat-0"]
        ),
        Ok(1)
    );
    assert_eq!(rule("jumbo").as_deref(), Some("dev-cat-0"));
    assert_eq!(
        db.execute(
            sql::FORGET_MERCHANT_RULE,
            params!["dev", "jumbo", "dev-cat-2"]
        ),
        Ok(0),
        "a rule that moved on stays"
    );
    assert_eq!(
        db.execute(
            sql::FORGET_MERCHANT_RULE,
            params!["other", "jumbo", "dev-cat-0"]
        ),
        Ok(0),
        "another customer's rule"
    );
    assert_eq!(
        db.execute(
            sql::FORGET_MERCHANT_RULE,
            params!["dev", "jumbo", "dev-cat-0"]
        ),
        Ok(1)
    );
    assert_eq!(rule("jumbo"), None);
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

/// Inserts an expense of `user` with the given amount, category and date,
/// created at `created_at` so that tests control which one is latest.
#[allow(clippy::too_many_arguments)]
fn insert_user_expense(
    db: &Connection,
    customer: &str,
    user: Option<&str>,
    id: &str,
    minor: i64,
    category: Option<&str>,
    spent_on: &str,
    created_at: &str,
) {
    let status = if category.is_some() {
        "completed"
    } else {
        "pending_category"
    };
    db.execute(
        sql::INSERT_EXPENSE,
        params![
            id,
            customer,
            user,
            minor,
            "CLP",
            spent_on,
            format!("gasto {id}"),
            None::<String>,
            category,
            status,
            0.9_f64,
            "keyword",
            "whatsapp",
            format!("wamid.{id}#1")
        ],
    )
    .expect("expense");
    db.execute(
        "UPDATE expenses SET created_at = ?2 WHERE id = ?1",
        params![id, created_at],
    )
    .expect("created_at");
}

fn expense_values(db: &Connection, id: &str) -> (i64, String, String, Option<String>, String) {
    db.query_row(
        "SELECT amount_minor, spent_on, description, category_id, status FROM expenses \
         WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )
    .expect("expense values")
}

fn ids(db: &Connection, statement: &str, values: impl rusqlite::Params) -> Vec<String> {
    db.prepare(statement)
        .expect("prepare")
        .query_map(values, |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn record_change(
    db: &Connection,
    change: &str,
    expense: &str,
    action: &str,
    reverts: Option<&str>,
) {
    let inserted = db
        .execute(
            sql::RECORD_EXPENSE_CHANGE,
            params![
                change,
                "dev",
                expense,
                "user-a",
                action,
                reverts,
                format!("wamid.{change}")
            ],
        )
        .expect("change");
    assert_eq!(inserted, 1, "{change}");
}

#[test]
fn recent_and_pending_lists_are_per_user_and_ordered() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let at = |minute: u32| format!("2026-12-04T10:{minute:02}:00.000Z");
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a1",
        1_000,
        None,
        "2026-12-01",
        &at(1),
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a2",
        2_000,
        Some("dev-cat-0"),
        "2026-12-02",
        &at(2),
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a3",
        3_000,
        None,
        "2026-12-03",
        &at(3),
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-b"),
        "b1",
        4_000,
        None,
        "2026-12-03",
        &at(4),
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a4",
        5_000,
        Some("dev-cat-0"),
        "2026-12-03",
        &at(5),
    );
    db.execute("UPDATE expenses SET status = 'deleted' WHERE id = 'a4'", [])
        .expect("delete");

    assert_eq!(
        ids(&db, sql::RECENT_EXPENSES, params!["dev", "user-a", 10]),
        ["a3", "a2", "a1"],
        "newest first, deleted and other users left out"
    );
    assert_eq!(
        ids(&db, sql::RECENT_EXPENSES, params!["dev", "user-a", 2]),
        ["a3", "a2"]
    );
    assert_eq!(
        ids(
            &db,
            sql::OLDEST_PENDING_EXPENSES,
            params!["dev", "user-a", 5]
        ),
        ["a1", "a3"]
    );
    assert_eq!(
        ids(&db, sql::RECENT_EXPENSES, params!["other", "user-a", 10]),
        Vec::<String>::new(),
        "another customer sees nothing"
    );
    assert_eq!(
        ids(&db, sql::EXPENSE_OF_USER, params!["dev", "user-a", "b1"]),
        Vec::<String>::new(),
        "another member's expense"
    );
    assert_eq!(
        ids(&db, sql::EXPENSE_OF_USER, params!["dev", "user-a", "a4"]),
        ["a4"],
        "a deleted expense is still found by id"
    );
    insert_user_expense(&db, "dev", None, "n1", 1_000, None, "2026-12-03", &at(6));
    assert_eq!(
        ids(
            &db,
            sql::RECENT_EXPENSES,
            params!["dev", None::<String>, 10]
        ),
        ["n1"],
        "a NULL user matches expenses without one"
    );
}

#[test]
fn changes_keep_the_values_before_and_revert_them() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e1",
        12_500,
        None,
        "2026-12-04",
        "2026-12-04T10:00:00.000Z",
    );
    let updated_before: String = db
        .query_row("SELECT updated_at FROM expenses WHERE id = 'e1'", [], |r| {
            r.get(0)
        })
        .expect("updated_at");

    record_change(&db, "c1", "e1", "edit", None);
    assert_eq!(
        db.execute(sql::SET_EXPENSE_AMOUNT, params!["dev", "e1", 15_000, "CLP"]),
        Ok(1)
    );
    record_change(&db, "c2", "e1", "edit", None);
    assert_eq!(
        db.execute(sql::SET_EXPENSE_CATEGORY, params!["dev", "e1", "dev-cat-2"]),
        Ok(1)
    );
    record_change(&db, "c3", "e1", "edit", None);
    assert_eq!(
        db.execute(sql::SET_EXPENSE_DATE, params!["dev", "e1", "2026-12-01"]),
        Ok(1)
    );
    record_change(&db, "c4", "e1", "edit", None);
    assert_eq!(
        db.execute(sql::SET_EXPENSE_DESCRIPTION, params!["dev", "e1", "cena"]),
        Ok(1)
    );
    assert_eq!(
        expense_values(&db, "e1"),
        (
            15_000,
            "2026-12-01".to_owned(),
            "cena".to_owned(),
            Some("dev-cat-2".to_owned()),
            "completed".to_owned()
        )
    );
    let (classified_by, updated_after): (String, String) = db
        .query_row(
            "SELECT classified_by, updated_at FROM expenses WHERE id = 'e1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    assert_eq!(classified_by, "user");
    assert!(
        updated_after >= updated_before,
        "{updated_after} {updated_before}"
    );

    let before: (i64, String, Option<String>, String, String) = db
        .query_row(
            "SELECT amount_minor, currency, category_id, status, action FROM expense_changes \
             WHERE id = 'c2'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("change c2");
    assert_eq!(
        before,
        (
            15_000,
            "CLP".to_owned(),
            None,
            "pending_category".to_owned(),
            "edit".to_owned()
        ),
        "c2 keeps the values from before the category edit"
    );
    let read: (String, i64, String) = db
        .query_row(sql::CHANGE_BEFORE, params!["dev", "c1"], |r| {
            Ok((r.get("id")?, r.get("amount_minor")?, r.get("status")?))
        })
        .expect("change before");
    assert_eq!(
        read,
        ("c1".to_owned(), 12_500, "pending_category".to_owned())
    );

    // Undo the category edit: the expense is pending again.
    record_change(&db, "c5", "e1", "undo", Some("c2"));
    assert_eq!(
        db.execute(sql::REVERT_EXPENSE, params!["dev", "e1", "c2"]),
        Ok(1)
    );
    let (minor, _, _, category, status) = expense_values(&db, "e1");
    assert_eq!(
        (minor, category, status.as_str()),
        (15_000, None, "pending_category")
    );
    // Redo: revert the undo.
    record_change(&db, "c6", "e1", "undo", Some("c5"));
    assert_eq!(
        db.execute(sql::REVERT_EXPENSE, params!["dev", "e1", "c5"]),
        Ok(1)
    );
    assert_eq!(expense_values(&db, "e1").3.as_deref(), Some("dev-cat-2"));

    // A change of another expense or customer reverts nothing.
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e2",
        1_000,
        None,
        "2026-12-04",
        "2026-12-04T11:00:00.000Z",
    );
    assert_eq!(
        db.execute(sql::REVERT_EXPENSE, params!["dev", "e2", "c1"]),
        Ok(0)
    );
    assert_eq!(
        db.execute(sql::REVERT_EXPENSE, params!["other", "e1", "c1"]),
        Ok(0)
    );
    assert_eq!(
        db.execute(
            sql::RECORD_EXPENSE_CHANGE,
            params![
                "c7",
                "other",
                "e1",
                "user-a",
                "edit",
                None::<String>,
                "wamid.c7"
            ]
        ),
        Ok(0),
        "another customer's expense records no change"
    );
}

#[test]
fn delete_is_a_status_and_edits_skip_deleted_expenses() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    bootstrap(&db, "other", "200", "56977778888");
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e1",
        12_500,
        Some("dev-cat-0"),
        "2026-12-04",
        "2026-12-04T10:00:00.000Z",
    );

    assert_eq!(
        db.execute(sql::DELETE_EXPENSE, params!["other", "e1"]),
        Ok(0)
    );
    assert_eq!(db.execute(sql::DELETE_EXPENSE, params!["dev", "e1"]), Ok(1));
    assert_eq!(count(&db, "expenses"), 1, "the row stays");
    assert_eq!(expense_values(&db, "e1").4, "deleted");
    assert_eq!(db.execute(sql::DELETE_EXPENSE, params!["dev", "e1"]), Ok(0));
    for (what, statement, value) in [
        ("date", sql::SET_EXPENSE_DATE, "2026-12-01"),
        ("description", sql::SET_EXPENSE_DESCRIPTION, "cena"),
        ("category", sql::SET_EXPENSE_CATEGORY, "dev-cat-1"),
    ] {
        assert_eq!(
            db.execute(statement, params!["dev", "e1", value]),
            Ok(0),
            "{what}"
        );
    }
    assert_eq!(
        db.execute(sql::SET_EXPENSE_AMOUNT, params!["dev", "e1", 1, "CLP"]),
        Ok(0)
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e2",
        12_500,
        None,
        "2026-12-04",
        "2026-12-04T10:00:00.000Z",
    );
    assert_eq!(
        db.execute(
            sql::SET_EXPENSE_CATEGORY,
            params!["dev", "e2", "other-cat-1"]
        ),
        Ok(0),
        "another customer's category"
    );
}

#[test]
fn latest_action_is_the_later_of_change_and_recording() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let latest = |user: &str| -> Option<(String, Option<String>, String)> {
        db.query_row(sql::LATEST_ACTION, params!["dev", user], |r| {
            Ok((r.get("kind")?, r.get("change_id")?, r.get("expense_id")?))
        })
        .ok()
    };
    assert_eq!(latest("user-a"), None);
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e1",
        1_000,
        None,
        "2026-12-04",
        "2026-12-04T10:00:00.000Z",
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e2",
        2_000,
        None,
        "2026-12-04",
        "2026-12-04T10:05:00.000Z",
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-b"),
        "b1",
        2_000,
        None,
        "2026-12-04",
        "2026-12-04T10:09:00.000Z",
    );
    assert_eq!(latest("user-a"), Some(("record".into(), None, "e2".into())));

    record_change(&db, "c1", "e1", "edit", None);
    db.execute(
        "UPDATE expense_changes SET created_at = '2026-12-04T10:06:00.000Z' WHERE id = 'c1'",
        [],
    )
    .expect("time");
    assert_eq!(
        latest("user-a"),
        Some(("change".into(), Some("c1".into()), "e1".into()))
    );
    db.execute(
        "UPDATE expense_changes SET created_at = '2026-12-04T10:05:00.000Z' WHERE id = 'c1'",
        [],
    )
    .expect("time");
    assert_eq!(
        latest("user-a"),
        Some(("change".into(), Some("c1".into()), "e1".into())),
        "a change wins a tie"
    );
    db.execute(
        "UPDATE expenses SET source = 'recurring', created_at = '2026-12-04T11:00:00.000Z' \
         WHERE id = 'e2'",
        [],
    )
    .expect("recurring");
    assert_eq!(
        latest("user-a").map(|(kind, _, _)| kind).as_deref(),
        Some("change"),
        "a recurring occurrence is not the user's action"
    );
    assert_eq!(latest("user-b"), Some(("record".into(), None, "b1".into())));
}

#[test]
fn month_expenses_cover_the_month_for_household_or_user() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let at = "2026-12-04T10:00:00.000Z";
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a1",
        1_000,
        Some("dev-cat-0"),
        "2026-12-01",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-b"),
        "b1",
        2_000,
        None,
        "2026-12-31",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a2",
        3_000,
        Some("dev-cat-0"),
        "2026-11-30",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a3",
        4_000,
        Some("dev-cat-0"),
        "2027-01-01",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "a4",
        5_000,
        Some("dev-cat-0"),
        "2026-12-15",
        at,
    );
    db.execute("UPDATE expenses SET status = 'deleted' WHERE id = 'a4'", [])
        .expect("delete");
    let month = |user: Option<&str>| -> Vec<(String, Option<String>, i64)> {
        db.prepare(sql::MONTH_EXPENSES)
            .expect("prepare")
            .query_map(
                params!["dev", "2026-12-01", "2026-12-31", user, 5000],
                |r| {
                    Ok((
                        r.get("spent_on")?,
                        r.get("category")?,
                        r.get("amount_minor")?,
                    ))
                },
            )
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(
        month(None),
        [
            ("2026-12-01".to_owned(), Some("Comida".to_owned()), 1_000),
            ("2026-12-31".to_owned(), None, 2_000)
        ]
    );
    assert_eq!(
        month(Some("user-a")),
        [("2026-12-01".to_owned(), Some("Comida".to_owned()), 1_000)]
    );
}

#[test]
fn budgets_read_completed_amounts_and_alerts_once() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let state_of = |category: &str| -> Option<(i64, Option<String>)> {
        db.query_row(
            sql::BUDGET_STATE,
            params!["dev", category, "2026-12"],
            |r| Ok((r.get("budget_minor")?, r.get("announced")?)),
        )
        .ok()
    };
    let amounts_of = |category: &str, leave_out: Option<&str>| -> Vec<(String, String, i64)> {
        db.prepare(sql::CATEGORY_MONTH_AMOUNTS)
            .expect("prepare")
            .query_map(
                params!["dev", category, "2026-12-01", "2026-12-31", leave_out, 100],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    // The sum of the home-currency amounts and the budget, as before.
    let use_of = |category: &str| -> Option<(i64, i64, Option<String>)> {
        let (budget, announced) = state_of(category)?;
        let spent = amounts_of(category, None)
            .iter()
            .filter(|(_, currency, _)| currency == "CLP")
            .map(|(_, _, minor)| minor)
            .sum();
        Some((budget, spent, announced))
    };
    assert_eq!(use_of("dev-cat-0"), None, "no budget, no row");
    assert_eq!(
        db.execute(
            sql::SET_CATEGORY_BUDGET,
            params!["dev", "dev-cat-0", 10_000]
        ),
        Ok(1)
    );
    assert_eq!(
        db.execute(
            sql::SET_CATEGORY_BUDGET,
            params!["other", "dev-cat-1", 10_000]
        ),
        Ok(0),
        "another customer's category"
    );
    assert_eq!(
        ids(&db, sql::CATEGORY_BUDGETS, params!["dev"]),
        ["dev-cat-0"]
    );
    assert!(
        db.execute(sql::SET_CATEGORY_BUDGET, params!["dev", "dev-cat-0", 0])
            .is_err(),
        "a budget is positive"
    );
    let at = "2026-12-04T10:00:00.000Z";
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e1",
        3_000,
        Some("dev-cat-0"),
        "2026-12-02",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-b"),
        "e2",
        4_000,
        Some("dev-cat-0"),
        "2026-12-03",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e3",
        9_000,
        None,
        "2026-12-03",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e4",
        9_000,
        Some("dev-cat-0"),
        "2026-11-30",
        at,
    );
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e5",
        9_000,
        Some("dev-cat-0"),
        "2026-12-05",
        at,
    );
    db.execute("UPDATE expenses SET status = 'deleted' WHERE id = 'e5'", [])
        .expect("delete");
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e6",
        900,
        Some("dev-cat-0"),
        "2026-12-05",
        at,
    );
    db.execute("UPDATE expenses SET currency = 'USD' WHERE id = 'e6'", [])
        .expect("usd");
    assert_eq!(use_of("dev-cat-0"), Some((10_000, 7_000, None)));
    assert_eq!(
        amounts_of("dev-cat-0", None),
        vec![
            ("2026-12-02".to_owned(), "CLP".to_owned(), 3_000),
            ("2026-12-03".to_owned(), "CLP".to_owned(), 4_000),
            ("2026-12-05".to_owned(), "USD".to_owned(), 900),
        ],
        "completed, of the month, in every currency, oldest first"
    );
    assert_eq!(
        amounts_of("dev-cat-0", Some("e2")),
        vec![
            ("2026-12-02".to_owned(), "CLP".to_owned(), 3_000),
            ("2026-12-05".to_owned(), "USD".to_owned(), 900),
        ],
        "the edited expense is left out"
    );
    assert!(amounts_of("dev-cat-1", None).is_empty());

    let alert = |threshold: i64, budget: i64| {
        db.execute(
            sql::RECORD_BUDGET_ALERT,
            params![
                "dev",
                "dev-cat-0",
                "2026-12",
                threshold,
                budget,
                8_000,
                "wamid.x"
            ],
        )
    };
    assert_eq!(alert(80, 10_000), Ok(1));
    assert_eq!(alert(80, 10_000), Ok(0), "a second alert is ignored");
    assert_eq!(alert(100, 10_000), Ok(1));
    assert_eq!(
        use_of("dev-cat-0"),
        Some((10_000, 7_000, Some("80,100".into())))
    );
    db.execute(
        sql::SET_CATEGORY_BUDGET,
        params!["dev", "dev-cat-0", 20_000],
    )
    .expect("new budget");
    assert_eq!(
        use_of("dev-cat-0"),
        Some((20_000, 7_000, None)),
        "alerts of another budget do not count"
    );
    assert!(
        db.execute(
            sql::RECORD_BUDGET_ALERT,
            params!["dev", "dev-cat-0", "2026-12", 50, 10_000, 8_000, "wamid.x"]
        )
        .is_err(),
        "only 80 and 100"
    );
    db.execute(
        sql::SET_CATEGORY_BUDGET,
        params!["dev", "dev-cat-0", None::<i64>],
    )
    .expect("remove");
    assert_eq!(use_of("dev-cat-0"), None);
}

// Recurring rules, reminders and the 24-hour window.

fn insert_rule(
    db: &Connection,
    id: &str,
    customer: &str,
    frequency: &str,
    day: i64,
) -> rusqlite::Result<usize> {
    db.execute(
        sql::INSERT_RECURRING_RULE,
        params![
            id,
            customer,
            format!("user-{customer}-56911112222"),
            "arriendo",
            None::<String>,
            450_000_i64,
            "CLP",
            frequency,
            day,
            "2026-12-04"
        ],
    )
}

fn rule_ids(db: &Connection, customer: &str) -> Vec<(String, String)> {
    db.prepare(sql::RECURRING_RULES)
        .expect("prepare")
        .query_map(params![customer], |row| Ok((row.get(0)?, row.get(7)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn insert_occurrence(
    db: &Connection,
    rule: &str,
    period: &str,
    spent_on: &str,
) -> rusqlite::Result<usize> {
    db.execute(
        sql::INSERT_OCCURRENCE,
        params![
            format!("exp-{rule}-{period}"),
            "dev",
            format!("user-dev-56911112222"),
            450_000_i64,
            "CLP",
            spent_on,
            "arriendo",
            None::<String>,
            "dev-cat-0",
            "completed",
            0.9_f64,
            "keyword",
            "recurring",
            format!("recurring:{rule}:{period}"),
            rule
        ],
    )
}

#[test]
fn recurring_rule_is_listed_paused_resumed_and_deleted() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    bootstrap(&db, "other", "200", "56933334444");
    assert_eq!(insert_rule(&db, "r1", "dev", "monthly", 5), Ok(1));
    assert_eq!(insert_rule(&db, "r2", "dev", "weekly", 1), Ok(1));
    assert_eq!(insert_rule(&db, "r9", "other", "monthly", 1), Ok(1));
    assert_eq!(
        rule_ids(&db, "dev"),
        [
            ("r1".to_owned(), "active".to_owned()),
            ("r2".to_owned(), "active".to_owned())
        ]
    );

    assert_eq!(
        db.execute(sql::PAUSE_RECURRING_RULE, params!["dev", "r1"]),
        Ok(1)
    );
    assert_eq!(
        db.execute(sql::PAUSE_RECURRING_RULE, params!["dev", "r1"]),
        Ok(0)
    );
    assert_eq!(rule_ids(&db, "dev")[0].1, "paused");
    assert_eq!(
        db.execute(
            sql::RESUME_RECURRING_RULE,
            params!["dev", "r1", "2027-01-10"]
        ),
        Ok(1)
    );
    let active_from: String = db
        .query_row(
            "SELECT active_from FROM recurring_rules WHERE id = 'r1'",
            [],
            |r| r.get(0),
        )
        .expect("active_from");
    assert_eq!(active_from, "2027-01-10");

    // Another customer's rule is out of reach.
    assert_eq!(
        db.execute(sql::DELETE_RECURRING_RULE, params!["dev", "r9"]),
        Ok(0)
    );
    assert_eq!(
        db.execute(sql::DELETE_RECURRING_RULE, params!["dev", "r2"]),
        Ok(1)
    );
    assert_eq!(
        rule_ids(&db, "dev"),
        [("r1".to_owned(), "active".to_owned())]
    );
    assert_eq!(rule_ids(&db, "other").len(), 1);
}

#[test]
fn recurring_rule_checks_reject_bad_rows() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    for (frequency, day) in [
        ("monthly", 0),
        ("monthly", 32),
        ("weekly", 0),
        ("weekly", 8),
        ("daily", 1),
    ] {
        assert_eq!(
            constraint_code(insert_rule(&db, "bad", "dev", frequency, day)),
            Some(ErrorCode::ConstraintViolation),
            "{frequency} {day}"
        );
    }
    assert_eq!(
        constraint_code(insert_rule(&db, "orphan", "missing-customer", "monthly", 5)),
        Some(ErrorCode::ConstraintViolation)
    );
}

#[test]
fn occurrence_is_recorded_once_and_only_while_active() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    insert_rule(&db, "r1", "dev", "monthly", 5).expect("rule");

    assert_eq!(insert_occurrence(&db, "r1", "2026-12", "2026-12-05"), Ok(1));
    assert_eq!(insert_occurrence(&db, "r1", "2026-12", "2026-12-05"), Ok(0));
    assert_eq!(count(&db, "expenses"), 1);
    let source: String = db
        .query_row("SELECT source FROM expenses", [], |r| r.get(0))
        .expect("source");
    assert_eq!(source, "recurring");

    assert_eq!(
        db.execute(sql::MARK_OCCURRENCE, params!["dev", "r1", "2026-12-05"]),
        Ok(1)
    );
    assert_eq!(
        db.execute(sql::MARK_OCCURRENCE, params!["dev", "r1", "2026-11-05"]),
        Ok(0)
    );
    let last: String = db
        .query_row(
            "SELECT last_occurrence_on FROM recurring_rules WHERE id = 'r1'",
            [],
            |r| r.get(0),
        )
        .expect("last");
    assert_eq!(last, "2026-12-05");

    db.execute(sql::PAUSE_RECURRING_RULE, params!["dev", "r1"])
        .expect("pause");
    assert_eq!(insert_occurrence(&db, "r1", "2027-01", "2027-01-05"), Ok(0));
    assert_eq!(count(&db, "expenses"), 1);
}

#[test]
fn active_rules_are_read_in_pages() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    for id in ["r1", "r2", "r3"] {
        insert_rule(&db, id, "dev", "monthly", 5).expect("rule");
    }
    db.execute(sql::PAUSE_RECURRING_RULE, params!["dev", "r2"])
        .expect("pause");
    let page = |after: &str, limit: i64| -> Vec<String> {
        db.prepare(sql::ACTIVE_RECURRING_RULES)
            .expect("prepare")
            .query_map(params![limit, after], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(page("", 1), ["r1"]);
    assert_eq!(page("r1", 1), ["r3"]);
    assert!(page("r3", 1).is_empty());
}

#[test]
fn daily_reminder_is_set_listed_and_claimed_once() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let user = "user-dev-56911112222";
    assert_eq!(
        db.execute(sql::SET_DAILY_REMINDER, params![user, "dev", 21]),
        Ok(1)
    );
    assert_eq!(
        db.execute(sql::SET_DAILY_REMINDER, params![user, "dev", 20]),
        Ok(1)
    );
    let listed: Vec<(String, i64, String)> = db
        .prepare(sql::DAILY_REMINDERS)
        .expect("prepare")
        .query_map(params![10, ""], |row| {
            Ok((row.get(0)?, row.get(2)?, row.get(3)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        listed,
        [(user.to_owned(), 20, "America/Santiago".to_owned())]
    );
    assert_eq!(
        constraint_code(db.execute(sql::SET_DAILY_REMINDER, params![user, "dev", 24])),
        Some(ErrorCode::ConstraintViolation)
    );
    db.execute(sql::SET_DAILY_REMINDER, params![user, "dev", None::<i64>])
        .expect("off");
    assert_eq!(count(&db, "reminder_preferences"), 1);
    let on: i64 = db
        .query_row(
            "SELECT count(*) FROM reminder_preferences WHERE daily_hour IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(on, 0);

    let claim = || {
        db.execute(
            sql::CLAIM_REMINDER,
            params!["dev", user, "daily", "2026-12-04"],
        )
    };
    assert_eq!(claim(), Ok(1));
    assert_eq!(claim(), Ok(0));
    assert_eq!(
        db.execute(
            sql::FINISH_REMINDER,
            params![user, "daily", "2026-12-04", "sent_template"]
        ),
        Ok(1)
    );
    assert_eq!(
        constraint_code(db.execute(
            sql::FINISH_REMINDER,
            params![user, "daily", "2026-12-04", "maybe"]
        )),
        Some(ErrorCode::ConstraintViolation)
    );
    assert_eq!(
        constraint_code(db.execute(sql::CLAIM_REMINDER, params!["dev", user, "weekly", "x"])),
        Some(ErrorCode::ConstraintViolation)
    );
}

#[test]
fn recipient_carries_window_and_opt_out() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    let user = "user-dev-56911112222";
    let recipient = |user: Option<&str>| -> (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ) {
        db.query_row(sql::PROACTIVE_RECIPIENT, params!["dev", user], |row| {
            Ok((
                row.get(0)?,
                row.get(2)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
            ))
        })
        .expect("recipient")
    };
    let (identity, phone, last, closed, opted_out) = recipient(Some(user));
    assert_eq!(identity, "ident-56911112222");
    assert_eq!(phone, "56911112222");
    assert_eq!((last, closed, opted_out), (None, None, None));
    assert_eq!(recipient(None).0, "ident-56911112222");

    assert_eq!(db.execute(sql::TOUCH_IDENTITY, params![identity]), Ok(1));
    assert_eq!(
        db.execute(sql::RECORD_WINDOW_CLOSED, params![identity]),
        Ok(1)
    );
    db.execute("UPDATE users SET opted_out_at = '2026-12-04T00:00:00Z'", [])
        .expect("opt out");
    let (_, _, last, closed, opted_out) = recipient(Some(user));
    assert!(last.is_some_and(|at| at.ends_with('Z')));
    assert!(closed.is_some());
    assert_eq!(opted_out.as_deref(), Some("2026-12-04T00:00:00Z"));

    let none: rusqlite::Result<String> = db.query_row(
        sql::PROACTIVE_RECIPIENT,
        params!["dev", "someone-else"],
        |row| row.get(0),
    );
    assert!(matches!(none, Err(rusqlite::Error::QueryReturnedNoRows)));
}

#[test]
fn logged_expenses_leave_out_recurring_ones() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    insert_rule(&db, "r1", "dev", "monthly", 5).expect("rule");
    insert_occurrence(&db, "r1", "2026-12", "2026-12-05").expect("occurrence");
    let logged = || -> i64 {
        db.query_row(
            sql::EXPENSES_LOGGED_SINCE,
            params!["dev", "user-dev-56911112222", "2000-01-01T00:00:00.000Z"],
            |row| row.get(0),
        )
        .expect("count")
    };
    assert_eq!(logged(), 0);
    db.execute(
        sql::INSERT_EXPENSE,
        params![
            "exp-typed",
            "dev",
            "user-dev-56911112222",
            5_000_i64,
            "CLP",
            "2026-12-05",
            "almuerzo",
            None::<String>,
            "dev-cat-0",
            "completed",
            0.9_f64,
            "keyword",
            "whatsapp",
            "wamid.typed#1"
        ],
    )
    .expect("typed expense");
    assert_eq!(logged(), 1);
}
