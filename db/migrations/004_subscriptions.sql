-- Subscriptions decide what a customer may do. Entitlements computed from the
-- current row are cached in ENTITLEMENTS_KV.

CREATE TABLE subscriptions (
    id                    TEXT PRIMARY KEY,
    customer_id           TEXT NOT NULL REFERENCES customers (id),
    plan                  TEXT NOT NULL,
    status                TEXT NOT NULL
        CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
    current_period_start  TEXT NOT NULL,
    current_period_end    TEXT NOT NULL,
    -- Expenses allowed per calendar month; NULL means no limit.
    monthly_expense_limit INTEGER CHECK (monthly_expense_limit IS NULL OR monthly_expense_limit >= 0),
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (current_period_start < current_period_end)
);

CREATE INDEX subscriptions_customer_period ON subscriptions (customer_id, current_period_end);
