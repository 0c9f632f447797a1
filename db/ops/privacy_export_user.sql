-- Export: the user's own row. ?1 customer, ?2 user.
SELECT id, customer_id, display_name, role, opted_out_at, created_at, updated_at
FROM users
WHERE customer_id = ?1 AND id = ?2;
