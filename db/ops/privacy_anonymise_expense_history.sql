-- Deletion, step 3 when customers.member_deletion is 'anonymise': clears the
-- earlier descriptions kept in the change history of the user's expenses,
-- whoever made the change. ?1 customer, ?2 user.
UPDATE expense_changes
SET description = ''
WHERE customer_id = ?1
  AND expense_id IN (SELECT id FROM expenses WHERE customer_id = ?1 AND user_id = ?2);
