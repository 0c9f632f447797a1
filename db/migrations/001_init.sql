-- Categories, expenses, learned merchant rules and the inbound-message ledger.
-- customer_id is on every row so that a database per customer group can be
-- split off later without touching the flow. The customers table itself is
-- created in 002; SQLite checks a foreign key only when a row is written.

CREATE TABLE categories (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    name        TEXT NOT NULL,
    -- Lowercase words, separated by commas, that the keyword classifier
    -- matches against an expense's description and merchant.
    keywords    TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    -- Monthly budget in minor units of the customer's home currency.
    monthly_budget_minor INTEGER CHECK (monthly_budget_minor IS NULL OR monthly_budget_minor > 0),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE UNIQUE INDEX categories_customer_name ON categories (customer_id, name COLLATE NOCASE);

CREATE TABLE expenses (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers (id),
    -- The household member who recorded it; NULL for email without a known
    -- sender, and after that member's personal data was deleted.
    user_id           TEXT,
    -- Integer minor units in the currency's own exponent (CLP 0, USD 2).
    amount_minor      INTEGER NOT NULL CHECK (amount_minor > 0),
    currency          TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    spent_on          TEXT NOT NULL CHECK (spent_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    description       TEXT NOT NULL,
    merchant          TEXT,
    category_id       TEXT REFERENCES categories (id),
    status            TEXT NOT NULL CHECK (status IN ('pending_category', 'completed', 'deleted')),
    confidence        REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    -- Which classifier decided the category: keyword, rule, ai or user.
    classified_by     TEXT,
    source            TEXT NOT NULL CHECK (source IN ('whatsapp', 'email', 'recurring')),
    -- The idempotency guard: `<message id>#<n>` for the n-th expense of one
    -- message, `recurring:<rule id>:<period>` for a recurring occurrence.
    source_message_id TEXT NOT NULL UNIQUE,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (status != 'completed' OR category_id IS NOT NULL)
);

CREATE INDEX expenses_customer_spent_on ON expenses (customer_id, spent_on);
CREATE INDEX expenses_customer_created ON expenses (customer_id, created_at);

-- A category the user chose for a merchant; the next expense from that
-- merchant takes it without asking the model.
CREATE TABLE merchant_rules (
    customer_id TEXT NOT NULL REFERENCES customers (id),
    merchant    TEXT NOT NULL,
    category_id TEXT NOT NULL REFERENCES categories (id),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (customer_id, merchant)
);

-- Every WhatsApp message id that was handled to the end. It is written in the
-- same D1 batch as the message's effects, so a retried delivery is either a
-- duplicate (the batch committed) or handled again (it did not).
CREATE TABLE inbound_messages (
    message_id  TEXT PRIMARY KEY,
    customer_id TEXT,
    outcome     TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
