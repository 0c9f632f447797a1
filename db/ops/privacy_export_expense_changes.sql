-- Export: the changes the user made to recorded expenses, with the values
-- each expense had before. ?1 customer, ?2 user.
SELECT id, expense_id, action, reverts_change_id, message_id, amount_minor, currency,
       spent_on, description, category_id, status, created_at
FROM expense_changes
WHERE customer_id = ?1 AND user_id = ?2
ORDER BY created_at, id;
