-- Inbound email addresses and the customer whose ledger a receipt sent there
-- goes to.

CREATE TABLE email_routes (
    address     TEXT PRIMARY KEY COLLATE NOCASE,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    -- The user the receipts belong to, when the address is personal.
    user_id     TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- The user must be one of the route's customer; SQLite skips the check
    -- while user_id is NULL (an address of the whole household).
    FOREIGN KEY (user_id, customer_id) REFERENCES users (id, customer_id)
);

CREATE INDEX email_routes_customer ON email_routes (customer_id);
