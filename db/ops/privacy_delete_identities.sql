-- Deletion, step 9: removes the user's identities, and any other identity of
-- the customer on the same addresses (a pending one on another number).
-- ?1 customer, ?2 user or NULL, ?3 a JSON array of addresses.
DELETE FROM channel_identities
WHERE customer_id = ?1
  AND (user_id = ?2 OR address IN (SELECT value FROM json_each(?3)));
