-- Ends the customer's trialing or active subscriptions that run at the start
-- of a new one at that start: ?1 customer, ?2 new period start (RFC 3339).
UPDATE subscriptions
SET current_period_end = ?2,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE customer_id = ?1
  AND status IN ('trialing', 'active')
  AND julianday(current_period_start) < julianday(?2)
  AND julianday(?2) < julianday(current_period_end);
