-- Recurring expenses, reminders and the WhatsApp 24-hour window.
--
-- A scheduled run records each due occurrence of a rule as an expense with
-- source 'recurring' and source_message_id `recurring:<rule id>:<period>`;
-- the unique source_message_id makes that idempotent. Reminders are claimed
-- in reminders_sent before they are sent, so each one goes out at most once.

CREATE TABLE recurring_rules (
    id                 TEXT PRIMARY KEY,
    customer_id        TEXT NOT NULL REFERENCES customers (id),
    -- The member who created it, who hears about it; NULL after that
    -- member's personal data was deleted (then the owner hears).
    user_id            TEXT,
    description        TEXT NOT NULL CHECK (description != ''),
    merchant           TEXT,
    -- Integer minor units in the currency's own exponent (CLP 0, USD 2).
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    currency           TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    frequency          TEXT NOT NULL CHECK (frequency IN ('monthly', 'weekly')),
    -- Monthly: the day of the month, 1 to 31; a shorter month uses its last
    -- day. Weekly: the ISO weekday, 1 (Monday) to 7 (Sunday).
    day                INTEGER NOT NULL,
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'deleted')),
    -- The first local date an occurrence may fall on: the day the rule was
    -- created, or the day it was last resumed (no catch-up for a pause).
    active_from        TEXT NOT NULL CHECK (active_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    -- The local date of the latest recorded occurrence.
    last_occurrence_on TEXT CHECK (last_occurrence_on IS NULL
        OR last_occurrence_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((frequency = 'monthly' AND day BETWEEN 1 AND 31)
        OR (frequency = 'weekly' AND day BETWEEN 1 AND 7))
);

CREATE INDEX recurring_rules_customer ON recurring_rules (customer_id, status, created_at);
CREATE INDEX recurring_rules_status ON recurring_rules (status, customer_id);

-- Reminder settings of one member. No foreign key to users, so that deleting
-- a member's data can remove this row in any order.
CREATE TABLE reminder_preferences (
    user_id     TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    -- Local hour (0 to 23) of the daily nudge to log spending; NULL is off.
    daily_hour  INTEGER CHECK (daily_hour IS NULL OR daily_hour BETWEEN 0 AND 23),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX reminder_preferences_daily ON reminder_preferences (daily_hour) WHERE daily_hour IS NOT NULL;

-- Every proactive message to a member, claimed before it is sent: the
-- primary key lets each reminder go out at most once.
CREATE TABLE reminders_sent (
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    user_id      TEXT NOT NULL,
    -- daily: the nudge to log spending; payment_notice: the notice before a
    -- recurring payment; occurrence: the confirmation of a recorded one.
    kind         TEXT NOT NULL CHECK (kind IN ('daily', 'payment_notice', 'occurrence')),
    -- The local date (`2026-12-04`) for daily, `<rule id>:<period>` else.
    reminder_key TEXT NOT NULL,
    -- claimed until the send ends; then how it went.
    outcome      TEXT NOT NULL DEFAULT 'claimed'
        CHECK (outcome IN ('claimed', 'sent_text', 'sent_template', 'window_closed',
                           'no_template', 'failed')),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, kind, reminder_key)
);

CREATE INDEX reminders_sent_customer ON reminders_sent (customer_id, created_at);

-- When Kapso last answered 131047 (the 24-hour window is closed) for this
-- identity; a later last_inbound_at opens the window again.
ALTER TABLE channel_identities ADD COLUMN window_closed_at TEXT;
