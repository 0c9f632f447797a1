-- Deletion, step 7: removes the record of reminders sent to the user. A
-- member without a user is recorded under an identity id, hence ?3. ?1
-- customer, ?2 user, ?3 a JSON array of the user's identity ids.
DELETE FROM reminders_sent
WHERE customer_id = ?1
  AND (user_id = ?2 OR user_id IN (SELECT value FROM json_each(?3)));
