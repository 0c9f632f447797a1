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
fn category_pick_respects_tenants_and_deletes() {
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

    // A button names the expense by its source id; only the customer's own
    // expense is found.
    assert_eq!(
        ids(&db, sql::EXPENSE_BY_SOURCE, params!["other", "wamid.3#1"]),
        Vec::<String>::new(),
        "another customer's expense"
    );
    assert_eq!(
        ids(&db, sql::EXPENSE_BY_SOURCE, params!["dev", "wamid.9#1"]),
        Vec::<String>::new(),
        "a source id that never existed"
    );
    assert_eq!(
        ids(&db, sql::EXPENSE_BY_SOURCE, params!["dev", "wamid.3#1"]),
        ["exp-wamid.3#1"]
    );

    let pick = |customer: &str, expense: &str, category: &str| {
        db.execute(
            sql::SET_EXPENSE_CATEGORY,
            params![customer, expense, category],
        )
    };
    assert_eq!(
        pick("dev", "exp-wamid.3#1", "other-cat-0"),
        Ok(0),
        "another customer's category"
    );
    assert_eq!(
        pick("other", "exp-wamid.3#1", "other-cat-0"),
        Ok(0),
        "another customer's expense"
    );
    assert_eq!(
        pick("dev", "exp-wamid.4#1", "dev-cat-2"),
        Ok(0),
        "deleted expense"
    );
    assert_eq!(pick("dev", "exp-wamid.3#1", "dev-cat-2"), Ok(1));

    let (status, category, by): (String, String, String) = db
        .query_row("SELECT status, category_id, classified_by FROM expenses WHERE source_message_id = 'wamid.3#1'", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("row");
    assert_eq!(
        (status.as_str(), category.as_str(), by.as_str()),
        ("completed", "dev-cat-2", "user")
    );
}

#[test]
fn undo_after_a_pick_reverts_it_to_pending() {
    let db = migrated();
    bootstrap(&db, "dev", "100", "56911112222");
    insert_user_expense(
        &db,
        "dev",
        Some("user-a"),
        "e1",
        4_000,
        None,
        "2026-12-04",
        "2026-12-04T10:00:00.000Z",
    );
    record_change(&db, "c1", "e1", "edit", None);
    assert_eq!(
        db.execute(sql::SET_EXPENSE_CATEGORY, params!["dev", "e1", "dev-cat-2"]),
        Ok(1)
    );

    let (kind, change): (String, Option<String>) = db
        .query_row(sql::LATEST_ACTION, params!["dev", "user-a"], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("latest action");
    assert_eq!(
        (kind.as_str(), change.as_deref()),
        ("change", Some("c1")),
        "the pick is the latest action, not the recording"
    );

    record_change(&db, "c2", "e1", "undo", Some("c1"));
    assert_eq!(
        db.execute(sql::REVERT_EXPENSE, params!["dev", "e1", "c1"]),
        Ok(1)
    );
    assert_eq!(
        expense_values(&db, "e1"),
        (
            4_000,
            "2026-12-04".to_owned(),
            "gasto e1".to_owned(),
            None,
            "pending_category".to_owned()
        )
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

// The channel layers, subscriptions and email routes, with the operator SQL
// of db/ops/ run as tools/ops.mjs runs it (one statement per file, bound
// parameters here).

const CUSTOMER_CREATE: &str = include_str!("../db/ops/customer_create.sql");
const USER_CREATE: &str = include_str!("../db/ops/user_create.sql");
const NUMBER_LINK: &str = include_str!("../db/ops/number_link.sql");
const IDENTITY_LINK: &str = include_str!("../db/ops/identity_link.sql");
const SUBSCRIPTION_INSERT: &str = include_str!("../db/ops/subscription_insert.sql");
const SUBSCRIPTION_SUPERSEDE: &str = include_str!("../db/ops/subscription_supersede.sql");
const SUBSCRIPTION_TRIM: &str = include_str!("../db/ops/subscription_trim.sql");
const EMAIL_ROUTE_CREATE: &str = include_str!("../db/ops/email_route_create.sql");
const CUSTOMERS_LIST: &str = include_str!("../db/ops/customers_list.sql");
const USERS_LIST: &str = include_str!("../db/ops/users_list.sql");
const IDENTITIES_LIST: &str = include_str!("../db/ops/identities_list.sql");
const NUMBERS_LIST: &str = include_str!("../db/ops/numbers_list.sql");
const SUBSCRIPTIONS_LIST: &str = include_str!("../db/ops/subscriptions_list.sql");
const EMAIL_ROUTES_LIST: &str = include_str!("../db/ops/email_routes_list.sql");

/// Creates a customer with one WhatsApp number through the operator SQL.
fn operator_customer(db: &Connection, customer: &str, phone_number_id: &str) {
    db.execute(
        CUSTOMER_CREATE,
        params![customer, customer, "CLP", "es-CL", "America/Santiago", 0.75],
    )
    .expect("customer_create");
    db.execute(
        NUMBER_LINK,
        params![
            format!("acct-{phone_number_id}"),
            customer,
            phone_number_id,
            None::<String>
        ],
    )
    .expect("number_link");
}

/// Adds a user to a customer and links a phone to it on a number.
fn operator_user(db: &Connection, customer: &str, user: &str, phone_number_id: &str, phone: &str) {
    db.execute(USER_CREATE, params![user, customer, user, "member"])
        .expect("user_create");
    let linked = db
        .execute(
            IDENTITY_LINK,
            params![
                format!("ident-{user}-{phone}"),
                phone_number_id,
                user,
                phone
            ],
        )
        .expect("identity_link");
    assert_eq!(linked, 1, "identity of {user}");
}

/// Records a subscription as `subscription:set` does: supersede, trim, insert.
fn operator_subscription(
    db: &Connection,
    id: &str,
    customer: &str,
    status: &str,
    period: (&str, &str),
    limit: Option<i64>,
) {
    db.execute(SUBSCRIPTION_SUPERSEDE, params![customer, period.0])
        .expect("subscription_supersede");
    db.execute(SUBSCRIPTION_TRIM, params![customer, period.0])
        .expect("subscription_trim");
    db.execute(
        SUBSCRIPTION_INSERT,
        params![id, customer, "hogar", status, period.0, period.1, limit],
    )
    .expect("subscription_insert");
}

fn strings(db: &Connection, sql: &str, values: impl rusqlite::Params) -> Vec<String> {
    column(db, sql, values, 0)
}

/// One text column of every row a query returns, in its order.
fn column(db: &Connection, sql: &str, values: impl rusqlite::Params, index: usize) -> Vec<String> {
    db.prepare(sql)
        .expect("prepare")
        .query_map(values, |row| row.get::<_, String>(index))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The rows `sql::IDENTITY_BY_SENDER` returns, as (identity id, user id, status).
fn identities_of(
    db: &Connection,
    account: &str,
    phone: Option<&str>,
    business_scoped_user_id: Option<&str>,
) -> Vec<(String, Option<String>, String)> {
    db.prepare(sql::IDENTITY_BY_SENDER)
        .expect("prepare")
        .query_map(params![account, phone, business_scoped_user_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn channel_kinds_are_whatsapp_and_email() {
    let db = migrated();
    assert_eq!(
        strings(&db, "SELECT kind FROM channel_kinds ORDER BY kind", []),
        ["email", "whatsapp"]
    );
    operator_customer(&db, "acme", "100");
    let telegram = db.execute(
        "INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES ('t', 'acme', 'telegram', '1')",
        [],
    );
    assert_eq!(
        constraint_code(telegram),
        Some(ErrorCode::ConstraintViolation)
    );
}

#[test]
fn customer_checks_reject_bad_settings() {
    let db = migrated();
    let cases = [
        (
            "lowercase currency",
            params!["c1", "C", "clp", "es-CL", "America/Santiago", 0.75],
        ),
        (
            "currency of four letters",
            params!["c2", "C", "CLPX", "es-CL", "America/Santiago", 0.75],
        ),
        (
            "locale without a language",
            params!["c3", "C", "CLP", "-CL", "America/Santiago", 0.75],
        ),
        (
            "empty time zone",
            params!["c4", "C", "CLP", "es-CL", "", 0.75],
        ),
        (
            "threshold over one",
            params!["c5", "C", "CLP", "es-CL", "America/Santiago", 1.5],
        ),
        (
            "negative threshold",
            params!["c6", "C", "CLP", "es-CL", "America/Santiago", -0.1],
        ),
    ];
    for (what, values) in cases {
        let result = db.execute(CUSTOMER_CREATE, values);
        assert_eq!(
            constraint_code(result),
            Some(ErrorCode::ConstraintViolation),
            "{what}"
        );
    }
    db.execute(
        CUSTOMER_CREATE,
        params!["ok", "Ok", "USD", "en-US", "America/New_York", 0.5],
    )
    .expect("valid customer");
    let again = db.execute(
        CUSTOMER_CREATE,
        params!["ok", "Ok", "USD", "en-US", "America/New_York", 0.5],
    );
    assert_eq!(constraint_code(again), Some(ErrorCode::ConstraintViolation));
}

#[test]
fn users_need_a_customer_and_a_known_role() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    let role = db.execute(USER_CREATE, params!["u1", "acme", "Ana", "admin"]);
    assert_eq!(constraint_code(role), Some(ErrorCode::ConstraintViolation));
    let customer = db.execute(USER_CREATE, params!["u2", "nobody", "Ana", "member"]);
    assert_eq!(
        constraint_code(customer),
        Some(ErrorCode::ConstraintViolation)
    );
    db.execute(USER_CREATE, params!["u3", "acme", None::<String>, "owner"])
        .expect("user without a name");
}

#[test]
fn identities_stay_inside_one_customer() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    operator_customer(&db, "casa", "200");
    db.execute(USER_CREATE, params!["casa-ana", "casa", "Ana", "owner"])
        .expect("user");
    let insert = |id: &str,
                  account: &str,
                  customer: &str,
                  user: Option<&str>,
                  address: &str,
                  bsuid: Option<&str>,
                  status: &str| {
        db.execute(
            "INSERT INTO channel_identities (id, account_id, customer_id, user_id, address, business_scoped_user_id, status) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, account, customer, user, address, bsuid, status],
        )
    };
    let cases = [
        (
            "account of one customer, user of another",
            insert(
                "i1",
                "acct-100",
                "acme",
                Some("casa-ana"),
                "569001",
                None,
                "active",
            ),
        ),
        (
            "customer that is not the account's",
            insert(
                "i2",
                "acct-100",
                "casa",
                Some("casa-ana"),
                "569001",
                None,
                "active",
            ),
        ),
        (
            "active without a user",
            insert("i3", "acct-200", "casa", None, "569001", None, "active"),
        ),
        (
            "unknown status",
            insert(
                "i4",
                "acct-200",
                "casa",
                Some("casa-ana"),
                "569001",
                None,
                "blocked",
            ),
        ),
    ];
    for (what, result) in cases {
        assert_eq!(
            constraint_code(result),
            Some(ErrorCode::ConstraintViolation),
            "{what}"
        );
    }

    insert(
        "i5",
        "acct-200",
        "casa",
        Some("casa-ana"),
        "569001",
        Some("bsuid-1"),
        "active",
    )
    .expect("identity");
    let same_address = insert("i6", "acct-200", "casa", None, "569001", None, "pending");
    assert_eq!(
        constraint_code(same_address),
        Some(ErrorCode::ConstraintViolation),
        "one identity per address and number"
    );
    let same_bsuid = insert(
        "i7",
        "acct-200",
        "casa",
        None,
        "569002",
        Some("bsuid-1"),
        "pending",
    );
    assert_eq!(
        constraint_code(same_bsuid),
        Some(ErrorCode::ConstraintViolation),
        "one identity per business-scoped user id and number"
    );
    insert("i8", "acct-100", "acme", None, "569001", None, "pending")
        .expect("the same phone on another number");
}

#[test]
fn sender_resolves_to_exactly_one_customer_and_user() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    operator_customer(&db, "casa", "200");
    // One phone is a user of each customer, on that customer's number.
    operator_user(&db, "acme", "acme-ana", "100", "56911112222");
    operator_user(&db, "casa", "casa-ana", "200", "56911112222");
    operator_user(&db, "casa", "casa-ben", "200", "56933334444");

    for (number, customer, user) in [("100", "acme", "acme-ana"), ("200", "casa", "casa-ana")] {
        let accounts: Vec<(String, String)> = db
            .prepare(sql::ACCOUNT_BY_ADDRESS)
            .expect("prepare")
            .query_map(params!["whatsapp", number], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            accounts,
            [(format!("acct-{number}"), customer.to_owned())],
            "number {number}"
        );
        let found = identities_of(&db, &accounts[0].0, Some("56911112222"), None);
        assert_eq!(found.len(), 1, "number {number}");
        assert_eq!(found[0].1.as_deref(), Some(user), "number {number}");
        assert_eq!(found[0].2, "active");
    }
    let ben = identities_of(&db, "acct-200", Some("56933334444"), None);
    assert_eq!(ben[0].1.as_deref(), Some("casa-ben"));
    assert!(identities_of(&db, "acct-100", Some("56933334444"), None).is_empty());
    let unknown = db.query_row(sql::ACCOUNT_BY_ADDRESS, params!["whatsapp", "300"], |r| {
        r.get::<_, String>(0)
    });
    assert!(matches!(unknown, Err(rusqlite::Error::QueryReturnedNoRows)));
    let wrong_kind = db.query_row(sql::ACCOUNT_BY_ADDRESS, params!["email", "100"], |r| {
        r.get::<_, String>(0)
    });
    assert!(matches!(
        wrong_kind,
        Err(rusqlite::Error::QueryReturnedNoRows)
    ));
}

#[test]
fn active_identity_and_address_match_win() {
    let db = migrated();
    operator_customer(&db, "casa", "200");
    db.execute(
        sql::INSERT_PENDING_IDENTITY,
        params!["p1", "acct-200", "casa", "bsuid-ben", "bsuid-ben"],
    )
    .expect("pending by business-scoped id");
    operator_user(&db, "casa", "casa-ana", "200", "56911112222");
    db.execute(
        "UPDATE channel_identities SET business_scoped_user_id = 'bsuid-ana' WHERE address = '56911112222'",
        [],
    )
    .expect("business-scoped id");

    // A message that carries Ana's phone and Ben's business-scoped id still
    // resolves to Ana: active first, then the address.
    let found = identities_of(&db, "acct-200", Some("56911112222"), Some("bsuid-ben"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.as_deref(), Some("casa-ana"));
    // Without a phone, the business-scoped id finds the identity.
    let by_bsuid = identities_of(&db, "acct-200", None, Some("bsuid-ana"));
    assert_eq!(by_bsuid[0].1.as_deref(), Some("casa-ana"));
    let pending = identities_of(&db, "acct-200", None, Some("bsuid-ben"));
    assert_eq!(pending[0].2, "pending");
}

#[test]
fn pending_sender_is_recorded_once_whatever_matches() {
    let db = migrated();
    operator_customer(&db, "casa", "200");
    let record = |id: &str, address: &str, bsuid: Option<&str>| {
        db.execute(
            sql::INSERT_PENDING_IDENTITY,
            params![id, "acct-200", "casa", address, bsuid],
        )
    };
    assert_eq!(record("p1", "56955556666", Some("bsuid-1")), Ok(1));
    assert_eq!(record("p2", "56955556666", None), Ok(0), "same address");
    assert_eq!(
        record("p3", "56977778888", Some("bsuid-1")),
        Ok(0),
        "same business-scoped id, new address"
    );
    assert_eq!(count(&db, "channel_identities"), 1);
}

#[test]
fn identity_link_activates_a_pending_sender_of_the_same_customer() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    operator_customer(&db, "casa", "200");
    db.execute(
        sql::INSERT_PENDING_IDENTITY,
        params!["p1", "acct-100", "acme", "56955556666", None::<String>],
    )
    .expect("pending");
    db.execute(USER_CREATE, params!["casa-ana", "casa", "Ana", "owner"])
        .expect("user of casa");
    let foreign = db
        .execute(
            IDENTITY_LINK,
            params!["x1", "100", "casa-ana", "56955556666"],
        )
        .expect("link runs");
    assert_eq!(foreign, 0, "a user of another customer is not linked");
    let unknown_number = db
        .execute(IDENTITY_LINK, params!["x2", "999", "casa-ana", "569"])
        .expect("link runs");
    assert_eq!(unknown_number, 0);

    db.execute(USER_CREATE, params!["acme-bea", "acme", "Bea", "member"])
        .expect("user of acme");
    let linked = db
        .execute(
            IDENTITY_LINK,
            params!["x3", "100", "acme-bea", "56955556666"],
        )
        .expect("link");
    assert_eq!(linked, 1);
    let (id, user, status): (String, Option<String>, String) = db
        .query_row(
            "SELECT id, user_id, status FROM channel_identities WHERE address = '56955556666'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("identity");
    assert_eq!(id, "p1", "the pending row is updated, not duplicated");
    assert_eq!(user.as_deref(), Some("acme-bea"));
    assert_eq!(status, "active");
}

#[test]
fn operator_listings_read_every_layer() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    operator_user(&db, "acme", "acme-ana", "100", "56911112222");
    db.execute(
        sql::INSERT_PENDING_IDENTITY,
        params!["p1", "acct-100", "acme", "56955556666", None::<String>],
    )
    .expect("pending");
    operator_subscription(
        &db,
        "s1",
        "acme",
        "active",
        ("2026-01-01T00:00:00Z", "2099-01-01T00:00:00Z"),
        Some(30),
    );
    db.execute(
        EMAIL_ROUTE_CREATE,
        params!["Gastos@Acme.cl", "acme", "acme-ana"],
    )
    .expect("route");

    let (users, numbers, subscription): (i64, i64, String) = db
        .query_row(CUSTOMERS_LIST, [], |r| {
            Ok((r.get(6)?, r.get(7)?, r.get(8)?))
        })
        .expect("customers_list");
    assert_eq!((users, numbers), (1, 1));
    assert_eq!(subscription, "hogar active until 2099-01-01T00:00:00Z");
    let identity_statuses = column(&db, IDENTITIES_LIST, params!["acme"], 4);
    assert_eq!(identity_statuses, ["pending", "active"], "pending first");
    let (active, pending): (i64, i64) = db
        .query_row(NUMBERS_LIST, [], |r| Ok((r.get(5)?, r.get(6)?)))
        .expect("numbers_list");
    assert_eq!((active, pending), (1, 1));
    let user_rows = column(&db, USERS_LIST, params!["acme"], 4);
    assert_eq!(user_rows, ["56911112222"]);
    let current: i64 = db
        .query_row(SUBSCRIPTIONS_LIST, params!["acme"], |r| r.get(7))
        .expect("subscriptions_list");
    assert_eq!(current, 1);
    let route: String = db
        .query_row(EMAIL_ROUTES_LIST, [], |r| r.get(0))
        .expect("email_routes_list");
    assert_eq!(route, "gastos@acme.cl", "stored lowercase");
}

#[test]
fn current_subscription_is_the_running_one() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    let now = "2026-12-04T12:00:00.000Z";
    let current = |db: &Connection| -> Option<(String, String)> {
        db.query_row(sql::CURRENT_SUBSCRIPTION, params!["acme", now], |r| {
            Ok((r.get(0)?, r.get(2)?))
        })
        .ok()
    };
    assert_eq!(current(&db), None, "no subscription");

    let insert = |id: &str, status: &str, start: &str, end: &str| {
        db.execute(
            SUBSCRIPTION_INSERT,
            params![id, "acme", "hogar", status, start, end, None::<i64>],
        )
        .expect("subscription")
    };
    insert(
        "future",
        "trialing",
        "2027-01-01T00:00:00Z",
        "2027-02-01T00:00:00Z",
    );
    assert_eq!(
        current(&db),
        Some(("future".into(), "trialing".into())),
        "only a future one: the policy says not started"
    );
    insert(
        "old",
        "active",
        "2025-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
    );
    assert_eq!(
        current(&db),
        Some(("old".into(), "active".into())),
        "a lapsed one is named before a future one"
    );
    insert(
        "canceled",
        "canceled",
        "2026-11-01T00:00:00Z",
        "2027-11-01T00:00:00Z",
    );
    assert_eq!(current(&db), Some(("canceled".into(), "canceled".into())));
    insert(
        "running",
        "active",
        "2026-12-01T00:00:00Z",
        "2027-01-01T00:00:00.000Z",
    );
    assert_eq!(current(&db), Some(("running".into(), "active".into())));
    // The end is exclusive, and julianday compares `…Z` with `….000Z`.
    let at_end = db.query_row(
        sql::CURRENT_SUBSCRIPTION,
        params!["acme", "2027-01-01T00:00:00Z"],
        |r| r.get::<_, String>(0),
    );
    assert_ne!(at_end.ok().as_deref(), Some("running"));
}

#[test]
fn subscription_set_replaces_the_running_one() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    operator_subscription(
        &db,
        "free",
        "acme",
        "active",
        ("2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z"),
        Some(30),
    );
    operator_subscription(
        &db,
        "later",
        "acme",
        "trialing",
        ("2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z"),
        None,
    );
    operator_subscription(
        &db,
        "hogar",
        "acme",
        "active",
        ("2026-12-04T00:00:00Z", "2027-12-04T00:00:00Z"),
        None,
    );
    let rows: Vec<(String, String, String)> = db
        .prepare("SELECT id, status, current_period_end FROM subscriptions ORDER BY created_at, id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let find = |id: &str| rows.iter().find(|row| row.0 == id).expect(id).clone();
    assert_eq!(
        find("free"),
        (
            "free".into(),
            "active".into(),
            "2026-12-04T00:00:00Z".into()
        ),
        "trimmed to the new start"
    );
    assert_eq!(find("later").1, "canceled", "starts after the new one");
    assert_eq!(find("hogar").1, "active");
    let current: String = db
        .query_row(
            sql::CURRENT_SUBSCRIPTION,
            params!["acme", "2026-12-10T00:00:00Z"],
            |r| r.get(0),
        )
        .expect("current");
    assert_eq!(current, "hogar");
}

#[test]
fn subscription_checks_reject_bad_rows() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    let cases = [
        (
            "uppercase plan",
            params![
                "s1",
                "acme",
                "Free",
                "active",
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
        (
            "plan with a space",
            params![
                "s2",
                "acme",
                "free plan",
                "active",
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
        (
            "unknown status",
            params![
                "s3",
                "acme",
                "free",
                "paused",
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
        (
            "date without time",
            params![
                "s4",
                "acme",
                "free",
                "active",
                "2026-01-01",
                "2027-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
        (
            "offset instead of Z",
            params![
                "s5",
                "acme",
                "free",
                "active",
                "2026-01-01T00:00:00-03:00",
                "2027-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
        (
            "impossible time",
            params![
                "s6",
                "acme",
                "free",
                "active",
                "2026-01-01T25:99:00Z",
                "2027-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
        (
            "end before start",
            params![
                "s7",
                "acme",
                "free",
                "active",
                "2027-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
        (
            "negative limit",
            params![
                "s8",
                "acme",
                "free",
                "active",
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
                Some(-1_i64)
            ],
        ),
        (
            "unknown customer",
            params![
                "s9",
                "nobody",
                "free",
                "active",
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
                None::<i64>
            ],
        ),
    ];
    for (what, values) in cases {
        let result = db.execute(SUBSCRIPTION_INSERT, values);
        assert_eq!(
            constraint_code(result),
            Some(ErrorCode::ConstraintViolation),
            "{what}"
        );
    }
    db.execute(
        SUBSCRIPTION_INSERT,
        params![
            "ok",
            "acme",
            "free_2026",
            "past_due",
            "2026-01-01T00:00:00.000Z",
            "2027-01-01T00:00:00Z",
            Some(0_i64)
        ],
    )
    .expect("valid subscription");
}

#[test]
fn email_routes_keep_their_user_in_the_customer() {
    let db = migrated();
    operator_customer(&db, "acme", "100");
    operator_customer(&db, "casa", "200");
    db.execute(USER_CREATE, params!["casa-ana", "casa", "Ana", "owner"])
        .expect("user");
    let foreign = db.execute(
        "INSERT INTO email_routes (address, customer_id, user_id) VALUES ('a@acme.cl', 'acme', 'casa-ana')",
        [],
    );
    assert_eq!(
        constraint_code(foreign),
        Some(ErrorCode::ConstraintViolation),
        "user of another customer"
    );
    let through_ops = db
        .execute(EMAIL_ROUTE_CREATE, params!["a@acme.cl", "acme", "casa-ana"])
        .expect("email_route_create runs");
    assert_eq!(through_ops, 0, "the operator SQL writes nothing");
    let unknown_customer = db
        .execute(
            EMAIL_ROUTE_CREATE,
            params!["b@acme.cl", "nobody", None::<String>],
        )
        .expect("email_route_create runs");
    assert_eq!(unknown_customer, 0);

    db.execute(
        EMAIL_ROUTE_CREATE,
        params!["Ana@Casa.cl", "casa", "casa-ana"],
    )
    .expect("personal route");
    db.execute(
        EMAIL_ROUTE_CREATE,
        params!["hogar@casa.cl", "casa", None::<String>],
    )
    .expect("household route");
    let taken = db.execute(
        EMAIL_ROUTE_CREATE,
        params!["HOGAR@casa.cl", "acme", None::<String>],
    );
    assert_eq!(
        constraint_code(taken),
        Some(ErrorCode::ConstraintViolation),
        "an address routes to one customer"
    );
    let (customer, user): (String, Option<String>) = db
        .query_row(sql::EMAIL_ROUTE, params!["ANA@casa.CL"], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("case-insensitive route");
    assert_eq!(
        (customer.as_str(), user.as_deref()),
        ("casa", Some("casa-ana"))
    );
    let missing = db.query_row(sql::EMAIL_ROUTE, params!["otro@casa.cl"], |r| {
        r.get::<_, String>(0)
    });
    assert!(matches!(missing, Err(rusqlite::Error::QueryReturnedNoRows)));
}

#[test]
fn email_sender_matches_email_identities_only() {
    let db = migrated();
    operator_customer(&db, "casa", "200");
    operator_user(&db, "casa", "casa-ana", "200", "56911112222");
    let sender = |address: Option<&str>| -> (i64, Option<String>) {
        db.query_row(sql::EMAIL_SENDER, params!["casa", address], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("email sender")
    };
    assert_eq!(
        sender(Some("ana@correo.cl")),
        (0, None),
        "no email identities"
    );
    db.execute(
        "INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES ('mail-casa', 'casa', 'email', 'hogar@casa.cl')",
        [],
    )
    .expect("email account");
    db.execute(
        "INSERT INTO channel_identities (id, account_id, customer_id, user_id, address) \
         VALUES ('mail-ana', 'mail-casa', 'casa', 'casa-ana', 'ana@correo.cl')",
        [],
    )
    .expect("email identity");
    assert_eq!(sender(Some("ANA@correo.cl")), (1, Some("casa-ana".into())));
    assert_eq!(sender(Some("otro@correo.cl")), (1, None));
    assert_eq!(sender(None), (1, None));
    // A phone number is not an email identity, even as an address.
    assert_eq!(sender(Some("56911112222")), (1, None));
}

#[test]
fn whatsapp_link_prefers_the_latest_writer() {
    let db = migrated();
    operator_customer(&db, "casa", "200");
    operator_user(&db, "casa", "casa-ana", "200", "56911112222");
    operator_user(&db, "casa", "casa-ben", "200", "56933334444");
    db.execute("UPDATE users SET role = 'owner' WHERE id = 'casa-ana'", [])
        .expect("owner");
    let link = |user: Option<&str>| -> Option<(String, String, Option<String>)> {
        db.query_row(sql::WHATSAPP_LINK, params!["casa", user], |r| {
            Ok((r.get(1)?, r.get(3)?, r.get(4)?))
        })
        .ok()
    };
    let identity_of = |user: &str| -> String {
        db.query_row(
            "SELECT id FROM channel_identities WHERE user_id = ?1",
            params![user],
            |r| r.get(0),
        )
        .expect("identity")
    };

    let nobody_wrote = link(None).expect("a link");
    assert_eq!(nobody_wrote.0, "casa-ana", "nobody wrote: the owner");
    assert_eq!(nobody_wrote.1, "200");
    assert_eq!(nobody_wrote.2, None);

    db.execute(sql::TOUCH_IDENTITY, params![identity_of("casa-ben")])
        .expect("touch");
    let ben_wrote = link(None).expect("a link");
    assert_eq!(
        ben_wrote.0, "casa-ben",
        "the latest writer before the owner"
    );
    assert!(ben_wrote.2.is_some(), "last_inbound_at is stamped");

    db.execute(
        "UPDATE channel_identities SET last_inbound_at = '2026-01-01T00:00:00.000Z' WHERE user_id = 'casa-ben'",
        [],
    )
    .expect("age");
    db.execute(sql::TOUCH_IDENTITY, params![identity_of("casa-ana")])
        .expect("touch");
    assert_eq!(link(None).map(|l| l.0).as_deref(), Some("casa-ana"));
    assert_eq!(
        link(Some("casa-ben")).map(|l| l.0).as_deref(),
        Some("casa-ben"),
        "a route's user is sent to even when another wrote later"
    );
    assert_eq!(link(Some("nobody")), None);
}

#[test]
fn pending_email_expenses_are_offered_once() {
    let db = migrated();
    bootstrap(&db, "casa", "200", "56911112222");
    db.execute(USER_CREATE, params!["casa-ben", "casa", "Ben", "member"])
        .expect("user");
    let email_expense = |source_id: &str, user: Option<&str>, status: &str| {
        db.execute(
            sql::INSERT_EXPENSE,
            params![
                format!("exp-{source_id}"),
                "casa",
                user,
                9_990_i64,
                "CLP",
                "2026-12-01",
                "Tu boleta",
                "xyzzy",
                (status == "completed").then_some("casa-cat-0"),
                status,
                0.0_f64,
                "keyword",
                "email",
                source_id
            ],
        )
        .expect("email expense")
    };
    email_expense("email:casa:a#1", None, "pending_category");
    email_expense("email:casa:b#1", Some("casa-ben"), "pending_category");
    email_expense("email:casa:c#1", None, "completed");
    insert_expense(&db, "casa", "wamid.p#1", "pending_category", None).expect("whatsapp");
    let pending =
        |user: Option<&str>| strings(&db, sql::PENDING_EMAIL_EXPENSES, params!["casa", user, 10]);
    assert_eq!(pending(None), ["email:casa:a#1"], "the household's only");
    assert_eq!(
        pending(Some("casa-ben")),
        ["email:casa:a#1", "email:casa:b#1"]
    );
    for _ in 0..2 {
        db.execute(
            sql::INSERT_EMAIL_OFFERED,
            params!["offered:email:casa:a#1", "casa"],
        )
        .expect("offered");
    }
    assert_eq!(pending(Some("casa-ben")), ["email:casa:b#1"]);
    assert!(strings(
        &db,
        sql::PENDING_EMAIL_EXPENSES,
        params!["other", None::<String>, 10]
    )
    .is_empty());
}

#[test]
fn expenses_created_between_counts_one_customer() {
    let db = migrated();
    bootstrap(&db, "acme", "100", "56911112222");
    bootstrap(&db, "casa", "200", "56933334444");
    insert_expense(&db, "acme", "wamid.1#1", "pending_category", None).expect("one");
    insert_expense(&db, "acme", "wamid.2#1", "completed", Some("acme-cat-0")).expect("two");
    insert_expense(&db, "acme", "wamid.3#1", "pending_category", None).expect("three");
    insert_expense(&db, "casa", "wamid.4#1", "pending_category", None).expect("casa");
    db.execute(
        "UPDATE expenses SET status = 'deleted' WHERE source_message_id = 'wamid.3#1'",
        [],
    )
    .expect("delete");
    db.execute(
        "UPDATE expenses SET created_at = '2026-10-31T23:59:59.999Z' WHERE source_message_id = 'wamid.2#1'",
        [],
    )
    .expect("last month");
    let counted = |from: &str, to: &str| -> i64 {
        db.query_row(
            sql::EXPENSES_CREATED_BETWEEN,
            params!["acme", from, to],
            |r| r.get(0),
        )
        .expect("count")
    };
    assert_eq!(
        counted("2026-11-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z"),
        1
    );
    assert_eq!(
        counted("2026-10-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z"),
        2
    );
}

// Personal data: the opt-out flag, the export reads and the deletion
// statements, run as `privacy_store` runs them.

mod privacy_data {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use misgastos::privacy::{self, export, DeletionPlan, MemberDeletion};
    use misgastos::sql;
    use rusqlite::{params, params_from_iter, Connection};

    use super::{bootstrap, migrated};

    const ANA_PHONE: &str = "56911111111";
    const BETO_PHONE: &str = "56922222222";
    /// Shares the search prefix of Ana's number but is someone else's.
    const NEIGHBOUR_PHONE: &str = "56911111112";
    const ANA_EMAIL: &str = "ana.perez@example.com";

    /// A wamid with Meta's layout: header, number, the message's own id.
    fn wamid(phone: &str, id: &str) -> String {
        let mut bytes = vec![0x1c, 0x18, phone.len() as u8];
        bytes.extend_from_slice(phone.as_bytes());
        bytes.extend_from_slice(&[0x15, 0x02, 0x00, 0x12, 0x18, 0x14]);
        bytes.extend_from_slice(format!("{id:0>20}").as_bytes());
        bytes.push(0x00);
        format!("wamid.{}", STANDARD.encode(bytes))
    }

    #[allow(clippy::too_many_arguments)]
    fn expense(
        db: &Connection,
        id: &str,
        user: &str,
        amount: i64,
        category: Option<&str>,
        description: &str,
        merchant: Option<&str>,
        source: &str,
        source_id: &str,
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
                "c1",
                user,
                amount,
                "CLP",
                "2026-12-03",
                description,
                merchant,
                category,
                status,
                0.9_f64,
                "keyword",
                source,
                source_id
            ],
        )
        .expect("expense");
    }

    fn ledger(db: &Connection, customer: &str, id: &str) {
        db.execute(
            sql::INSERT_INBOUND_MESSAGE,
            params![id, customer, "handled"],
        )
        .expect("ledger row");
    }

    /// A household `c1` with an owner, Ana (WhatsApp, email, a pending
    /// identity on a second number, a personal email route, three expenses)
    /// and Beto (WhatsApp, one expense), their ledger rows, a budget and a
    /// merchant rule.
    fn household(mode: &str) -> Connection {
        let db = migrated();
        bootstrap(&db, "c1", "100", "56900000000");
        db.execute(
            "UPDATE customers SET member_deletion = ?1 WHERE id = 'c1'",
            params![mode],
        )
        .expect("mode");
        db.execute_batch(&format!(
            "INSERT INTO users (id, customer_id, display_name, role) VALUES
                 ('u-ana', 'c1', 'Ana Pérez', 'member'), ('u-beto', 'c1', 'Beto', 'member');
             INSERT INTO channel_accounts (id, customer_id, kind, external_id) VALUES
                 ('acct-200', 'c1', 'whatsapp', '200'),
                 ('acct-mail', 'c1', 'email', 'gastos@misgastos.test');
             INSERT INTO channel_identities (id, account_id, customer_id, user_id, address, status) VALUES
                 ('i-ana-wa', 'acct-100', 'c1', 'u-ana', '{ANA_PHONE}', 'active'),
                 ('i-ana-mail', 'acct-mail', 'c1', 'u-ana', '{ANA_EMAIL}', 'active'),
                 ('i-ana-pending', 'acct-200', 'c1', NULL, '{ANA_PHONE}', 'pending'),
                 ('i-beto-wa', 'acct-100', 'c1', 'u-beto', '{BETO_PHONE}', 'active');
             INSERT INTO email_routes (address, customer_id, user_id) VALUES
                 ('gastos+ana@misgastos.test', 'c1', 'u-ana'),
                 ('gastos@misgastos.test', 'c1', NULL);
             UPDATE categories SET monthly_budget_minor = 200000 WHERE id = 'c1-cat-0';
             INSERT INTO merchant_rules (customer_id, merchant, category_id) VALUES
                 ('c1', 'jumbo', 'c1-cat-0');"
        ))
        .expect("household");
        let a1 = wamid(ANA_PHONE, "A1");
        let a2 = wamid(ANA_PHONE, "A2");
        let b1 = wamid(BETO_PHONE, "B1");
        expense(
            &db,
            "e-a1",
            "u-ana",
            12_500,
            Some("c1-cat-0"),
            "almuerzo con Pedro",
            Some("jumbo"),
            "whatsapp",
            &format!("{a1}#1"),
        );
        expense(
            &db,
            "e-a2",
            "u-ana",
            3_000,
            None,
            "farmacia",
            None,
            "whatsapp",
            &format!("{a2}#1"),
        );
        expense(
            &db,
            "e-a3",
            "u-ana",
            5_990,
            Some("c1-cat-1"),
            "boleta",
            Some("tienda"),
            "email",
            "email:<r1@shop.example>#1",
        );
        expense(
            &db,
            "e-b1",
            "u-beto",
            8_000,
            Some("c1-cat-0"),
            "taxi",
            None,
            "whatsapp",
            &format!("{b1}#1"),
        );
        let a4 = wamid(ANA_PHONE, "A4");
        let changes = [
            // Ana edits her lunch, and edits Beto's taxi, which Beto undoes.
            ("ch-a1", "e-a1", "u-ana", "edit", None, a4.clone()),
            (
                "ch-ab",
                "e-b1",
                "u-ana",
                "edit",
                None,
                wamid(ANA_PHONE, "A5"),
            ),
            (
                "ch-b2",
                "e-b1",
                "u-beto",
                "undo",
                Some("ch-ab"),
                wamid(BETO_PHONE, "B2"),
            ),
        ];
        for (id, expense, user, action, reverts, message) in changes {
            db.execute(
                sql::RECORD_EXPENSE_CHANGE,
                params![id, "c1", expense, user, action, reverts, message],
            )
            .expect("change");
        }
        db.execute(
            sql::RECORD_BUDGET_ALERT,
            params!["c1", "c1-cat-0", "2026-12", 80, 20_000, 20_500, a1],
        )
        .expect("budget alert");
        // Ana's monthly rent, one recorded occurrence, her daily reminder
        // and one reminder sent; Beto's gym.
        for (id, user, description) in [
            ("rule-a", "u-ana", "arriendo"),
            ("rule-b", "u-beto", "gimnasio"),
        ] {
            db.execute(
                sql::INSERT_RECURRING_RULE,
                params![
                    id,
                    "c1",
                    user,
                    description,
                    None::<String>,
                    300_000,
                    "CLP",
                    "monthly",
                    1,
                    "2026-11-01"
                ],
            )
            .expect("rule");
        }
        expense(
            &db,
            "e-a4",
            "u-ana",
            300_000,
            Some("c1-cat-2"),
            "arriendo",
            None,
            "recurring",
            "recurring:rule-a:2026-12",
        );
        db.execute(sql::SET_DAILY_REMINDER, params!["u-ana", "c1", 21])
            .expect("daily reminder");
        db.execute(
            sql::CLAIM_REMINDER,
            params!["c1", "u-ana", "daily", "2026-12-03"],
        )
        .expect("reminder sent");
        for id in [
            a1,
            a2,
            wamid(ANA_PHONE, "A3"),
            a4,
            wamid(ANA_PHONE, "A5"),
            b1,
        ] {
            ledger(&db, "c1", &id);
        }
        ledger(&db, "c1", &wamid(NEIGHBOUR_PHONE, "N1"));
        ledger(&db, "c1", "email:<r1@shop.example>");
        db
    }

    /// Reads a deletion plan with the statements `privacy_store` runs.
    fn plan_for(db: &Connection, customer: &str, user: &str) -> DeletionPlan {
        let mode: String = db
            .query_row(sql::PRIVACY_SUMMARY, params![customer, user], |r| r.get(0))
            .expect("summary");
        let identities: Vec<(String, String, String)> = db
            .prepare(sql::PRIVACY_USER_IDENTITIES)
            .expect("prepare")
            .query_map(params![customer, user], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("identities");
        let mut ledger_ids = Vec::new();
        for (_, kind, address) in &identities {
            if kind != "whatsapp" {
                continue;
            }
            let prefix = privacy::wamid_search_prefix(address).expect("prefix");
            let candidates = ledger_candidates(db, customer, &prefix);
            ledger_ids.extend(privacy::wamids_of(
                address,
                candidates.iter().map(String::as_str),
            ));
        }
        DeletionPlan {
            customer_id: customer.to_owned(),
            user_id: Some(user.to_owned()),
            mode: MemberDeletion::parse(&mode),
            identity_ids: identities.iter().map(|i| i.0.clone()).collect(),
            addresses: identities.iter().map(|i| i.2.clone()).collect(),
            ledger_ids,
        }
    }

    fn ledger_candidates(db: &Connection, customer: &str, prefix: &str) -> Vec<String> {
        db.prepare(sql::PRIVACY_LEDGER_CANDIDATES)
            .expect("prepare")
            .query_map(params![customer, prefix], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("candidates")
    }

    /// Runs a deletion in one transaction, as a D1 batch does.
    fn delete(db: &Connection, plan: &DeletionPlan) {
        let transaction = db.unchecked_transaction().expect("transaction");
        for statement in privacy::deletion_statements(plan) {
            transaction
                .execute(statement.sql, params_from_iter(statement.params.iter()))
                .unwrap_or_else(|error| panic!("{}: {error}", statement.sql));
        }
        transaction.commit().expect("commit");
    }

    /// Household totals by category and currency for December 2026, as
    /// `(category id, expenses, minor units)`.
    fn totals(db: &Connection) -> Vec<(Option<String>, i64, i64)> {
        db.prepare(
            "SELECT category_id, count(*), sum(amount_minor) FROM expenses \
             WHERE customer_id = ?1 AND status != 'deleted' \
             AND spent_on >= ?2 AND spent_on < ?3 \
             GROUP BY category_id, currency ORDER BY currency, 3 DESC, category_id",
        )
        .expect("prepare")
        .query_map(params!["c1", "2026-12-01", "2027-01-01"], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("totals")
    }

    fn text_values(db: &Connection, skip_customer: Option<&str>) -> Vec<(String, String)> {
        let tables: Vec<String> = db
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("tables")
            .collect::<Result<_, _>>()
            .expect("names");
        let mut values = Vec::new();
        for table in tables {
            let columns: Vec<String> = db
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .expect("prepare")
                .query_map([], |r| r.get(0))
                .expect("columns")
                .collect::<Result<_, _>>()
                .expect("names");
            let filter = match skip_customer {
                Some(customer) if columns.iter().any(|c| c == "customer_id") => {
                    format!(" WHERE customer_id IS NOT '{customer}'")
                }
                _ => String::new(),
            };
            for column in &columns {
                let sql = format!("SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\"{filter}");
                let mut statement = db.prepare(&sql).expect("prepare");
                let rows = statement
                    .query_map([], |r| r.get::<_, Option<String>>(0))
                    .expect("values");
                for value in rows.flatten().flatten() {
                    values.push((format!("{table}.{column}"), value));
                }
            }
        }
        values
    }

    /// Asserts that no text in any column of any table names Ana: not her
    /// number, email, ids or name, and no wamid that decodes to her number.
    fn assert_nothing_names_ana(db: &Connection, skip_customer: Option<&str>) {
        let needles = [
            ANA_PHONE,
            ANA_EMAIL,
            "u-ana",
            "i-ana-wa",
            "i-ana-mail",
            "i-ana-pending",
            "Ana Pérez",
            "gastos+ana",
            "almuerzo con Pedro",
        ];
        for (place, value) in text_values(db, skip_customer) {
            for needle in needles {
                assert!(
                    !value.contains(needle),
                    "{place} `{value}` contains `{needle}`"
                );
            }
            let mut rest = value.as_str();
            while let Some(start) = rest.find("wamid.") {
                let token: String = rest[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "+/=.".contains(*c))
                    .collect();
                assert_ne!(
                    privacy::wamid_phone(&token).as_deref(),
                    Some(ANA_PHONE),
                    "{place} `{value}` has a wamid of Ana's number"
                );
                rest = &rest[start + 6..];
            }
        }
    }

    fn count(db: &Connection, sql: &str) -> i64 {
        db.query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    #[test]
    fn opt_out_keeps_the_first_time() {
        let db = household("anonymise");
        let opted_out_at = |db: &Connection| -> Option<String> {
            db.query_row(sql::USER_OPT_OUT, params!["c1", "u-ana"], |r| r.get(0))
                .expect("row")
        };
        assert_eq!(opted_out_at(&db), None);
        db.execute(sql::SET_OPTED_OUT, params!["c1", "u-ana"])
            .expect("opt out");
        db.execute(
            "UPDATE users SET opted_out_at = '2026-01-01T00:00:00.000Z' WHERE id = 'u-ana'",
            [],
        )
        .expect("backdate");
        db.execute(sql::SET_OPTED_OUT, params!["c1", "u-ana"])
            .expect("second opt out");
        assert_eq!(
            opted_out_at(&db).as_deref(),
            Some("2026-01-01T00:00:00.000Z")
        );
        db.execute(sql::CLEAR_OPTED_OUT, params!["c1", "u-ana"])
            .expect("opt in");
        assert_eq!(opted_out_at(&db), None);
    }

    #[test]
    fn opt_out_is_per_customer_user() {
        let db = household("anonymise");
        db.execute(sql::SET_OPTED_OUT, params!["c2", "u-ana"])
            .expect("other customer");
        let beto: Option<String> = db
            .query_row(sql::USER_OPT_OUT, params!["c1", "u-ana"], |r| r.get(0))
            .expect("row");
        assert_eq!(beto, None, "another customer's id changes nothing");
        let missing = db.query_row(sql::USER_OPT_OUT, params!["c1", "nobody"], |r| {
            r.get::<_, Option<String>>(0)
        });
        assert!(matches!(missing, Err(rusqlite::Error::QueryReturnedNoRows)));
    }

    #[test]
    fn is_processed_finds_erased_ids() {
        let db = household("anonymise");
        let id = wamid(ANA_PHONE, "A1");
        let seen = |db: &Connection| -> bool {
            db.query_row(
                sql::IS_PROCESSED,
                params![id, privacy::erased_ledger_id(&id)],
                |_| Ok(()),
            )
            .is_ok()
        };
        assert!(seen(&db));
        delete(&db, &plan_for(&db, "c1", "u-ana"));
        assert!(seen(&db), "the renamed row still marks the message handled");
        let unseen = db.query_row(
            sql::IS_PROCESSED,
            params!["wamid.other", privacy::erased_ledger_id("wamid.other")],
            |_| Ok(()),
        );
        assert!(unseen.is_err());
    }

    #[test]
    fn ledger_candidates_need_the_decode_check() {
        let db = household("anonymise");
        let prefix = privacy::wamid_search_prefix(ANA_PHONE).expect("prefix");
        let candidates = ledger_candidates(&db, "c1", &prefix);
        // The SQL range also finds the neighbour's wamid, which shares the
        // prefix; decoding drops it.
        assert_eq!(candidates.len(), 6, "{candidates:?}");
        let mine = privacy::wamids_of(ANA_PHONE, candidates.iter().map(String::as_str));
        assert_eq!(mine.len(), 5, "{mine:?}");
        assert!(!mine.contains(&wamid(NEIGHBOUR_PHONE, "N1")));
        assert!(ledger_candidates(&db, "c2", &prefix).is_empty());
    }

    #[test]
    fn plan_reads_identities_and_ledger() {
        let db = household("delete");
        let plan = plan_for(&db, "c1", "u-ana");
        assert_eq!(plan.mode, MemberDeletion::Delete);
        assert_eq!(plan.identity_ids, ["i-ana-mail", "i-ana-wa"]);
        assert_eq!(plan.addresses, [ANA_EMAIL, ANA_PHONE]);
        assert_eq!(plan.ledger_ids.len(), 5);
        let expenses: i64 = db
            .query_row(sql::PRIVACY_SUMMARY, params!["c1", "u-ana"], |r| r.get(1))
            .expect("summary");
        assert_eq!(expenses, 4);
    }

    #[test]
    fn anonymise_keeps_household_totals() {
        let db = household("anonymise");
        let before = totals(&db);
        delete(&db, &plan_for(&db, "c1", "u-ana"));
        assert_eq!(totals(&db), before);
        assert_eq!(count(&db, "SELECT count(*) FROM expenses"), 5);
        assert_eq!(
            count(&db, "SELECT count(*) FROM expenses WHERE user_id IS NULL"),
            4
        );
        let anonymised: Vec<(String, String, Option<String>, String)> = db
            .prepare(
                "SELECT id, description, merchant, source_message_id FROM expenses \
                 WHERE user_id IS NULL ORDER BY id",
            )
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        for (id, description, merchant, source_id) in anonymised {
            assert_eq!(description, "", "{id}");
            assert_eq!(merchant, None, "{id}");
            let expected = if id == "e-a4" {
                // A recurring occurrence keeps its id, which names the rule
                // and the period, never the user.
                "recurring:rule-a:2026-12".to_owned()
            } else {
                format!("erased:{id}")
            };
            assert_eq!(source_id, expected, "{id}");
        }
        let (rule_user, rule_description): (Option<String>, String) = db
            .query_row(
                "SELECT user_id, description FROM recurring_rules WHERE id = 'rule-a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("rule");
        assert_eq!(rule_user, None, "the rent goes on for the household");
        assert_eq!(rule_description, "arriendo");
        assert_eq!(count(&db, "SELECT count(*) FROM reminder_preferences"), 0);
        assert_eq!(count(&db, "SELECT count(*) FROM reminders_sent"), 0);
        let history: Vec<(String, Option<String>, String, String)> = db
            .prepare("SELECT id, user_id, message_id, description FROM expense_changes ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(history.len(), 3, "the history stays");
        assert_eq!(history[0].0, "ch-a1");
        assert_eq!(history[0].1, None);
        assert_eq!(history[0].2, "erased:ch-a1");
        assert_eq!(history[0].3, "", "the earlier description of Ana's lunch");
        assert_eq!(history[1].0, "ch-ab");
        assert_eq!(history[1].1, None);
        assert_eq!(history[1].3, "taxi", "Beto's taxi keeps its description");
        assert_eq!(history[2].1.as_deref(), Some("u-beto"));
        assert_eq!(history[2].2, wamid(BETO_PHONE, "B2"));
        let alert: String = db
            .query_row("SELECT message_id FROM budget_alerts", [], |r| r.get(0))
            .expect("alert");
        assert_eq!(alert, privacy::erased_ledger_id(&wamid(ANA_PHONE, "A1")));
        assert_nothing_names_ana(&db, None);
    }

    #[test]
    fn delete_mode_removes_the_expenses() {
        let db = household("delete");
        delete(&db, &plan_for(&db, "c1", "u-ana"));
        let expenses: Vec<String> = db
            .prepare("SELECT id FROM expenses ORDER BY id")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("ids");
        assert_eq!(expenses, ["e-b1"]);
        assert_eq!(
            totals(&db),
            [(Some("c1-cat-0".to_owned()), 1, 8_000)],
            "only Beto's taxi is left"
        );
        let history: Vec<String> = db
            .prepare("SELECT id FROM expense_changes ORDER BY id")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("ids");
        assert_eq!(
            history,
            ["ch-ab", "ch-b2"],
            "the history of Beto's taxi stays"
        );
        let rules: Vec<String> = db
            .prepare("SELECT id FROM recurring_rules ORDER BY id")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("ids");
        assert_eq!(rules, ["rule-b"], "Ana's rent is gone, Beto's gym stays");
        assert_eq!(count(&db, "SELECT count(*) FROM reminder_preferences"), 0);
        assert_eq!(count(&db, "SELECT count(*) FROM budget_alerts"), 1);
        assert_nothing_names_ana(&db, None);
    }

    #[test]
    fn deletion_leaves_other_people_alone() {
        for mode in ["anonymise", "delete"] {
            let db = household(mode);
            bootstrap(&db, "c2", "300", "56933333333");
            db.execute_batch(&format!(
                "INSERT INTO users (id, customer_id, display_name) VALUES ('u-ana-c2', 'c2', 'Ana');
                 INSERT INTO channel_identities (id, account_id, customer_id, user_id, address)
                     VALUES ('i-ana-c2', 'acct-300', 'c2', 'u-ana-c2', '{ANA_PHONE}');"
            ))
            .expect("second customer");
            ledger(&db, "c2", &wamid(ANA_PHONE, "C2"));
            delete(&db, &plan_for(&db, "c1", "u-ana"));

            assert_nothing_names_ana(&db, Some("c2"));
            let c2 = "SELECT count(*) FROM channel_identities WHERE customer_id = 'c2' \
                      AND address = '56911111111'";
            assert_eq!(
                count(&db, c2),
                1,
                "{mode}: the other customer keeps its identity"
            );
            let ledger_c2 = format!(
                "SELECT count(*) FROM inbound_messages WHERE message_id = '{}'",
                wamid(ANA_PHONE, "C2")
            );
            assert_eq!(count(&db, &ledger_c2), 1, "{mode}: and its ledger row");
            let beto = "SELECT count(*) FROM channel_identities WHERE id = 'i-beto-wa'";
            assert_eq!(count(&db, beto), 1, "{mode}");
            let beto_ledger = format!(
                "SELECT count(*) FROM inbound_messages WHERE message_id = '{}'",
                wamid(BETO_PHONE, "B1")
            );
            assert_eq!(count(&db, &beto_ledger), 1, "{mode}");
            assert_eq!(
                count(&db, "SELECT count(*) FROM users WHERE customer_id = 'c1'"),
                2,
                "{mode}: the owner and Beto"
            );
            assert_eq!(
                count(&db, "SELECT count(*) FROM email_routes"),
                1,
                "{mode}: the household route stays"
            );
            assert_eq!(
                count(&db, "SELECT count(*) FROM merchant_rules"),
                1,
                "{mode}: shared rules stay"
            );
            assert_eq!(
                count(
                    &db,
                    "SELECT count(*) FROM categories WHERE monthly_budget_minor IS NOT NULL"
                ),
                1,
                "{mode}: shared budgets stay"
            );
        }
    }

    #[test]
    fn deletion_of_a_pending_sender_needs_no_user() {
        let db = household("anonymise");
        let prefix = privacy::wamid_search_prefix(ANA_PHONE).expect("prefix");
        let candidates = ledger_candidates(&db, "c1", &prefix);
        let plan = DeletionPlan {
            customer_id: "c1".into(),
            user_id: None,
            mode: MemberDeletion::Anonymise,
            identity_ids: Vec::new(),
            addresses: vec![ANA_PHONE.into()],
            ledger_ids: privacy::wamids_of(ANA_PHONE, candidates.iter().map(String::as_str)),
        };
        delete(&db, &plan);
        let left = format!("SELECT count(*) FROM channel_identities WHERE address = '{ANA_PHONE}'");
        assert_eq!(count(&db, &left), 0);
        assert_eq!(
            count(&db, "SELECT count(*) FROM users WHERE id = 'u-ana'"),
            1,
            "without a user id the user row is not touched"
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM inbound_messages WHERE message_id LIKE 'erased:%'"
            ),
            5
        );
    }

    #[test]
    fn deletion_runs_twice_without_error() {
        let db = household("delete");
        let plan = plan_for(&db, "c1", "u-ana");
        delete(&db, &plan);
        delete(&db, &plan);
        assert_nothing_names_ana(&db, None);
    }

    fn column_names(db: &Connection, sql: &str) -> Vec<String> {
        let statement = db.prepare(sql).expect(sql);
        statement
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn export_queries_return_their_columns() {
        let db = household("anonymise");
        for query in &export::QUERIES {
            assert_eq!(
                column_names(&db, query.sql),
                query.columns,
                "section {}",
                query.section
            );
        }
        assert_eq!(
            column_names(&db, sql::PRIVACY_LEDGER_CANDIDATES),
            export::MESSAGE_COLUMNS
        );
    }

    #[test]
    fn export_queries_read_ana_and_the_household() {
        let db = household("anonymise");
        let rows = |query: &export::Query| -> usize {
            let params = match query.params {
                export::Params::Customer => vec!["c1"],
                export::Params::CustomerUser => vec!["c1", "u-ana"],
            };
            let mut statement = db.prepare(query.sql).expect("prepare");
            let rows = statement.query_map(params_from_iter(params), |_| Ok(()));
            rows.expect("query").count()
        };
        let counts: Vec<(&str, usize)> = export::QUERIES
            .iter()
            .map(|query| (query.section, rows(query)))
            .collect();
        let categories = misgastos::categories::defaults(misgastos::model::Language::Spanish).len();
        assert_eq!(
            counts,
            [
                ("user", 1),
                ("identities", 2),
                ("expenses", 4),
                ("expense_changes", 2),
                ("recurring_rules", 1),
                ("reminder_preferences", 1),
                ("categories", categories),
                ("budgets", 1),
                ("merchant_rules", 1),
                ("email_routes", 1),
            ]
        );
    }

    #[test]
    fn find_user_lists_every_identity_of_an_address() {
        let db = household("anonymise");
        let rows: Vec<(String, Option<String>, String)> = db
            .prepare(sql::PRIVACY_FIND_USER)
            .expect("prepare")
            .query_map(params![ANA_PHONE], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows.contains(&("c1".into(), Some("u-ana".into()), "i-ana-wa".into())));
        assert!(rows.contains(&("c1".into(), None, "i-ana-pending".into())));
    }
}
