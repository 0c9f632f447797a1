-- Records a subscription: ?1 id, ?2 customer, ?3 plan, ?4 status, ?5 period
-- start and ?6 period end (RFC 3339, UTC), ?7 monthly expense limit or NULL.
INSERT INTO subscriptions (id, customer_id, plan, status, current_period_start,
                           current_period_end, monthly_expense_limit)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);
