-- Export: the recurring payments the user set up. ?1 customer, ?2 user.
SELECT id, description, merchant, amount_minor, currency, frequency, day, status,
       active_from, last_occurrence_on, created_at, updated_at
FROM recurring_rules
WHERE customer_id = ?1 AND user_id = ?2
ORDER BY created_at, id;
