-- Deletion, step 6: removes the user's reminder settings. ?1 customer, ?2
-- user.
DELETE FROM reminder_preferences WHERE customer_id = ?1 AND user_id = ?2;
