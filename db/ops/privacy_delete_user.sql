-- Deletion, step 11: removes the user's row, with the display name and the
-- opt-out time. ?1 customer, ?2 user.
DELETE FROM users WHERE customer_id = ?1 AND id = ?2;
