-- Export: the user's reminder settings. ?1 customer, ?2 user.
SELECT daily_hour, created_at, updated_at
FROM reminder_preferences
WHERE customer_id = ?1 AND user_id = ?2;
