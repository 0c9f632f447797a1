-- The history behind the chat commands that change recorded expenses, and the
-- budget alerts already sent. Budgets themselves are
-- categories.monthly_budget_minor (001).

-- One row per change to an expense (edit, delete, undo), with the expense's
-- values from before the change, so that every change can be undone. An
-- expense is never removed: deleting sets expenses.status = 'deleted'.
CREATE TABLE expense_changes (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers (id),
    expense_id        TEXT NOT NULL REFERENCES expenses (id),
    -- The household member who made the change; like expenses.user_id it
    -- is NULL once that member's personal data was deleted.
    user_id           TEXT,
    action            TEXT NOT NULL CHECK (action IN ('edit', 'delete', 'undo')),
    -- For an undo of a change: the change whose values it put back. NULL
    -- for an undo of a recording (the expense was deleted).
    reverts_change_id TEXT REFERENCES expense_changes (id),
    -- The WhatsApp message that asked for the change.
    message_id        TEXT NOT NULL,
    -- The expense's values before the change.
    amount_minor      INTEGER NOT NULL CHECK (amount_minor > 0),
    currency          TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    spent_on          TEXT NOT NULL,
    description       TEXT NOT NULL,
    category_id       TEXT,
    status            TEXT NOT NULL CHECK (status IN ('pending_category', 'completed', 'deleted')),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- `deshacer` looks up a user's latest change.
CREATE INDEX expense_changes_customer_user ON expense_changes (customer_id, user_id, created_at);
CREATE INDEX expense_changes_expense ON expense_changes (expense_id);

-- A budget threshold (80 or 100 percent) that a category's completed
-- expenses crossed in a month, recorded in the batch of the message whose
-- reply announced it, so that each is announced once. The budget is part of
-- the key: after the user changes a category's budget, crossing the new
-- amounts is announced again.
CREATE TABLE budget_alerts (
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    category_id  TEXT NOT NULL REFERENCES categories (id),
    -- The month, `YYYY-MM`.
    period       TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    threshold    INTEGER NOT NULL CHECK (threshold IN (80, 100)),
    -- The budget and the month's spending when the alert was sent, in minor
    -- units of the customer's home currency.
    budget_minor INTEGER NOT NULL CHECK (budget_minor > 0),
    spent_minor  INTEGER NOT NULL,
    message_id   TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (customer_id, category_id, period, threshold, budget_minor)
);

-- `últimos`, `borrar último` and the stale pending expense look up a user's
-- latest or oldest expenses.
CREATE INDEX expenses_customer_user_created ON expenses (customer_id, user_id, created_at);
