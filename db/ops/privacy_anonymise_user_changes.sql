-- Deletion, step 4: the changes the user made that are left (to expenses
-- that are not theirs) lose their author and their message id, a wamid.
-- ?1 customer, ?2 user.
UPDATE expense_changes
SET user_id = NULL,
    message_id = 'erased:' || id
WHERE customer_id = ?1 AND user_id = ?2;
