-- Deletion, step 8 when customers.member_deletion is 'delete': removes the
-- user's expenses. ?1 customer, ?2 user.
DELETE FROM expenses WHERE customer_id = ?1 AND user_id = ?2;
