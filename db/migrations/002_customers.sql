-- Customers (a person, a household or a small business) and their users.

CREATE TABLE customers (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    -- ISO 4217 code that `$` and bare amounts mean for this customer.
    home_currency        TEXT NOT NULL DEFAULT 'CLP'
        CHECK (length(home_currency) = 3 AND home_currency = upper(home_currency)),
    -- BCP 47 tag; decides whether `12.500` is twelve thousand five hundred or
    -- twelve and a half, and the language of replies.
    locale               TEXT NOT NULL DEFAULT 'es-CL' CHECK (locale GLOB '[a-z][a-z]*'),
    -- IANA time zone that decides what `today` and `ayer` mean.
    time_zone            TEXT NOT NULL DEFAULT 'America/Santiago' CHECK (time_zone != ''),
    -- A classification at or above this confidence completes the expense
    -- at once; below it the user is asked.
    confidence_threshold REAL NOT NULL DEFAULT 0.75
        CHECK (confidence_threshold >= 0 AND confidence_threshold <= 1),
    -- What deleting a member's personal data does to their expenses.
    member_deletion      TEXT NOT NULL DEFAULT 'anonymise' CHECK (member_deletion IN ('anonymise', 'delete')),
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The people of a customer; a household has several, all recording into the
-- same ledger.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    display_name  TEXT,
    role          TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
    -- Set while the user has opted out of messages that are not replies.
    opted_out_at  TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- The target of composite foreign keys, so that a row that names a user
    -- and a customer can only name a user of that customer.
    UNIQUE (id, customer_id)
);

CREATE INDEX users_customer ON users (customer_id);
