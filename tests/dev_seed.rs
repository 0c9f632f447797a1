//! The development seed in `db/seed/development.sql`, which `scripts/dev`
//! applies after the migrations so that a fresh local database has the
//! development customer before the first message arrives.
//!
//! The file is generated from `src/categories.rs`, the same defaults the
//! worker seeds with a customer's first message, so the two cannot drift:
//! this test fails when the committed file differs from what the code
//! generates, and
//! `MISGASTOS_WRITE_SEED=1 cargo test --test dev_seed` rewrites it.

use std::fs;
use std::path::{Path, PathBuf};

use misgastos::categories;
use misgastos::model::Language;
use rusqlite::Connection;

/// `DEFAULT_CUSTOMER_ID` of the development configuration in wrangler.jsonc.
const CUSTOMER_ID: &str = "dev-customer";
/// The business number `tools/send-message.mjs` and the README's curl example use.
const PHONE_NUMBER_ID: &str = "100200300400500";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn seed_path() -> PathBuf {
    root().join("db/seed/development.sql")
}

/// Quotes `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Builds the seed: the customer (es-CL, CLP, America/Santiago, as the
/// bootstrap creates it), an open-ended subscription, the WhatsApp number and
/// the default Spanish categories. Every statement does nothing when its rows
/// exist, so applying it again changes nothing.
fn generate() -> String {
    let customer = literal(CUSTOMER_ID);
    let mut sql = String::from(
        "-- Development seed, applied by scripts/dev after the migrations.\n\
         -- Generated from src/categories.rs by tests/dev_seed.rs; rewrite it with\n\
         -- `MISGASTOS_WRITE_SEED=1 cargo test --test dev_seed` instead of editing it.\n\n",
    );
    sql.push_str(&format!(
        "INSERT INTO customers (id, name, home_currency, locale, time_zone)\n\
         VALUES ({customer}, 'Cliente de desarrollo', 'CLP', 'es-CL', 'America/Santiago')\n\
         ON CONFLICT (id) DO NOTHING;\n\n"
    ));
    sql.push_str(&format!(
        "INSERT INTO subscriptions (id, customer_id, plan, status, current_period_start, current_period_end)\n\
         SELECT 'dev-subscription', {customer}, 'development', 'active',\n       \
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), '9999-12-31T00:00:00Z'\n\
         WHERE NOT EXISTS (SELECT 1 FROM subscriptions WHERE customer_id = {customer});\n\n"
    ));
    sql.push_str(&format!(
        "INSERT INTO channel_accounts (id, customer_id, kind, external_id)\n\
         VALUES ('acct-{PHONE_NUMBER_ID}', {customer}, 'whatsapp', '{PHONE_NUMBER_ID}')\n\
         ON CONFLICT (kind, external_id) DO NOTHING;\n\n"
    ));
    let rows: Vec<String> = categories::defaults(Language::Spanish)
        .iter()
        .enumerate()
        .map(|(position, category)| {
            format!(
                "    ('dev-cat-{position}', {}, {}, {position})",
                literal(category.name),
                literal(&categories::keywords_column(category))
            )
        })
        .collect();
    sql.push_str(&format!(
        "-- One statement, so that the guard sees the customer's categories before\n\
         -- any of them is inserted.\n\
         INSERT INTO categories (id, customer_id, name, keywords, position)\n\
         SELECT column1, {customer}, column2, column3, column4 FROM (VALUES\n{}\n)\n\
         WHERE NOT EXISTS (SELECT 1 FROM categories WHERE customer_id = {customer});\n",
        rows.join(",\n")
    ));
    sql
}

/// Every migration file in `db/migrations`, in file-name order.
fn migrated() -> Connection {
    let db = Connection::open_in_memory().expect("in-memory sqlite");
    db.execute_batch("PRAGMA foreign_keys = ON;")
        .expect("foreign keys");
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("db/migrations"))
        .expect("db/migrations")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "sql"))
        .collect();
    files.sort();
    for file in files {
        let migration = fs::read_to_string(&file).expect("migration file");
        db.execute_batch(&migration)
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    }
    db
}

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |row| row.get(0)).expect(sql)
}

#[test]
fn seed_file_matches_the_code() {
    let generated = generate();
    if std::env::var_os("MISGASTOS_WRITE_SEED").is_some() {
        fs::write(seed_path(), &generated).expect("write db/seed/development.sql");
    }
    let committed = fs::read_to_string(seed_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "db/seed/development.sql is stale; run `MISGASTOS_WRITE_SEED=1 cargo test --test dev_seed`"
    );
}

#[test]
fn seed_applies_twice_without_change() {
    let db = migrated();
    let seed = generate();
    db.execute_batch(&seed).expect("first application");
    db.execute_batch(&seed).expect("second application");

    let defaults = categories::defaults(Language::Spanish);
    let expected = i64::try_from(defaults.len()).unwrap_or(i64::MAX);
    assert_eq!(count(&db, "SELECT count(*) FROM customers"), 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM subscriptions WHERE status = 'active'"
        ),
        1
    );
    assert_eq!(count(&db, "SELECT count(*) FROM channel_accounts"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM categories"), expected);

    let names: Vec<String> = db
        .prepare("SELECT name FROM categories ORDER BY position")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .expect("category names");
    let default_names: Vec<&str> = defaults.iter().map(|category| category.name).collect();
    assert_eq!(names, default_names);
}

#[test]
fn seed_keeps_categories_renamed_later() {
    let db = migrated();
    let seed = generate();
    db.execute_batch(&seed).expect("first application");
    db.execute(
        "UPDATE categories SET name = 'Varios' WHERE name = 'Otros'",
        [],
    )
    .expect("rename");
    db.execute_batch(&seed).expect("second application");
    assert_eq!(
        count(&db, "SELECT count(*) FROM categories WHERE name = 'Otros'"),
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM categories WHERE name = 'Varios'"),
        1
    );
}
