-- Lists subscriptions, of one customer when ?1 is not NULL, the latest first.
SELECT s.id, s.customer_id, s.plan, s.status, s.current_period_start,
       s.current_period_end, s.monthly_expense_limit,
       (s.status IN ('trialing', 'active')
        AND julianday(s.current_period_start) <= julianday('now')
        AND julianday('now') < julianday(s.current_period_end)) AS current
FROM subscriptions s
WHERE ?1 IS NULL OR s.customer_id = ?1
ORDER BY s.customer_id, julianday(s.current_period_end) DESC;
