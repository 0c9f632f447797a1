-- Cancels the customer's trialing or active subscriptions that start at or
-- after a new one's start, which replaces them: ?1 customer, ?2 new period
-- start (RFC 3339).
UPDATE subscriptions
SET status = 'canceled',
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE customer_id = ?1
  AND status IN ('trialing', 'active')
  AND julianday(current_period_start) >= julianday(?2);
