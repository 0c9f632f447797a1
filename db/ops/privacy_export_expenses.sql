-- Export: every expense the user recorded, deleted ones included, with the
-- category's name. ?1 customer, ?2 user.
SELECT e.id, e.amount_minor, e.currency, e.spent_on, e.description, e.merchant,
       e.category_id, c.name AS category, e.status, e.confidence, e.classified_by,
       e.source, e.source_message_id, e.created_at, e.updated_at
FROM expenses e
LEFT JOIN categories c ON c.id = e.category_id
WHERE e.customer_id = ?1 AND e.user_id = ?2
ORDER BY e.spent_on, e.created_at, e.id;
