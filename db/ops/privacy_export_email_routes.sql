-- Export: the inbound addresses whose receipts belong to the user. ?1
-- customer, ?2 user.
SELECT address, created_at
FROM email_routes
WHERE customer_id = ?1 AND user_id = ?2
ORDER BY address;
