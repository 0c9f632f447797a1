-- Deletion, step 3 when customers.member_deletion is 'delete': removes the
-- change history of the user's expenses, whoever made the change, before
-- the expenses it references. ?1 customer, ?2 user.
DELETE FROM expense_changes
WHERE customer_id = ?1
  AND expense_id IN (SELECT id FROM expenses WHERE customer_id = ?1 AND user_id = ?2);
