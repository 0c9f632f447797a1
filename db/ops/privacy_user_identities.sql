-- The identities of a user, with their channel kind: their ids name the
-- conversation state keys in KV, and their addresses find the ledger rows
-- and pending identities of the same person. ?1 customer, ?2 user.
SELECT i.id, a.kind, i.address
FROM channel_identities i
JOIN channel_accounts a ON a.id = i.account_id
WHERE i.customer_id = ?1 AND i.user_id = ?2
ORDER BY i.created_at, i.id;
