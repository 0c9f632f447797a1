-- Subscriptions decide what a customer may do. A customer keeps its past rows;
-- the current one is the row whose period contains now with status trialing or
-- active, or else the started one that ends last (sql::CURRENT_SUBSCRIPTION).
-- Entitlements computed from it are cached in ENTITLEMENTS_KV for 5 minutes.

CREATE TABLE subscriptions (
    id                    TEXT PRIMARY KEY,
    customer_id           TEXT NOT NULL REFERENCES customers (id),
    -- A lowercase code such as `free` or `hogar`; the limits below are copied
    -- from the plan when the row is written, so a plan can change later
    -- without changing what a customer already has.
    plan                  TEXT NOT NULL CHECK (plan GLOB '[a-z]*' AND plan NOT GLOB '*[^a-z0-9_-]*'),
    status                TEXT NOT NULL
        CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
    -- RFC 3339 timestamps in UTC (`2026-12-01T03:00:00Z`); the period is
    -- [start, end). Compare them with julianday(), because text order breaks
    -- between `…:00Z` and `…:00.000Z`. D1 rejects GLOB patterns over 50
    -- bytes, so julianday() checks the time part instead of the pattern.
    current_period_start  TEXT NOT NULL
        CHECK (current_period_start GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'
               AND julianday(current_period_start) IS NOT NULL),
    current_period_end    TEXT NOT NULL
        CHECK (current_period_end GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'
               AND julianday(current_period_end) IS NOT NULL),
    -- Expenses allowed per calendar month in the customer's time zone, deleted
    -- ones not counted; NULL means no limit.
    monthly_expense_limit INTEGER CHECK (monthly_expense_limit IS NULL OR monthly_expense_limit >= 0),
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (julianday(current_period_start) < julianday(current_period_end))
);

CREATE INDEX subscriptions_customer_period ON subscriptions (customer_id, current_period_end);
