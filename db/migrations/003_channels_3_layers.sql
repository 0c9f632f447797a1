-- Channels in three layers: the kind of channel, the customer's account on it
-- and the end-user identities on that account. An inbound WhatsApp message
-- resolves phone_number_id -> account -> customer, then sender -> identity ->
-- user. Composite foreign keys keep the layers on one customer: an identity's
-- account and user both belong to the identity's customer.

CREATE TABLE channel_kinds (
    kind        TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

INSERT INTO channel_kinds (kind, description) VALUES
    ('whatsapp', 'WhatsApp Business number served through Kapso'),
    ('email', 'Inbound address that receives forwarded receipts');

CREATE TABLE channel_accounts (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    kind         TEXT NOT NULL REFERENCES channel_kinds (kind),
    -- Kapso phone_number_id for WhatsApp, the inbound address for email.
    external_id  TEXT NOT NULL,
    display_name TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- One customer per number: a message to it resolves to that customer.
    UNIQUE (kind, external_id),
    UNIQUE (id, customer_id)
);

CREATE INDEX channel_accounts_customer ON channel_accounts (customer_id);

CREATE TABLE channel_identities (
    id                      TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL,
    customer_id             TEXT NOT NULL REFERENCES customers (id),
    -- NULL while the identity is pending: a sender that wrote to a known
    -- number but is not linked to a user yet.
    user_id                 TEXT,
    -- E.164 digits without `+` for WhatsApp, an address for email.
    address                 TEXT NOT NULL,
    -- WhatsApp business-scoped user id, when Kapso sends one.
    business_scoped_user_id TEXT,
    status                  TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending')),
    -- Last message from this identity; WhatsApp allows free-form messages
    -- only within 24 hours of it.
    last_inbound_at         TEXT,
    created_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- One identity per sender and number, so a sender resolves to one user.
    UNIQUE (account_id, address),
    CHECK (status = 'pending' OR user_id IS NOT NULL),
    FOREIGN KEY (account_id, customer_id) REFERENCES channel_accounts (id, customer_id),
    -- SQLite skips this check while user_id is NULL (a pending identity).
    FOREIGN KEY (user_id, customer_id) REFERENCES users (id, customer_id)
);

-- A business-scoped user id names one person on one number, like the address.
CREATE UNIQUE INDEX channel_identities_business_scoped_user
    ON channel_identities (account_id, business_scoped_user_id)
    WHERE business_scoped_user_id IS NOT NULL;

CREATE INDEX channel_identities_user ON channel_identities (user_id);
CREATE INDEX channel_identities_customer ON channel_identities (customer_id);
