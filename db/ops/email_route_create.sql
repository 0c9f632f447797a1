-- Routes an inbound address to a customer: ?1 address, ?2 customer, ?3 user
-- whose receipts arrive there, or NULL for a household address. Nothing is
-- written when the customer is unknown or the user belongs to another
-- customer. An address routed already fails on the primary key.
INSERT INTO email_routes (address, customer_id, user_id)
SELECT lower(?1), c.id, ?3
FROM customers c
WHERE c.id = ?2
  AND (?3 IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = ?3 AND u.customer_id = c.id));
