-- Lists the identities of one customer (?1), pending first, so that an
-- operator sees who wrote and is waiting to be linked.
SELECT i.id, a.external_id AS phone_number_id, i.address, i.business_scoped_user_id,
       i.status, i.user_id, i.created_at
FROM channel_identities i
JOIN channel_accounts a ON a.id = i.account_id
WHERE i.customer_id = ?1
ORDER BY i.status = 'active', i.created_at;
