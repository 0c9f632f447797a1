-- Export: the user's phone numbers and email addresses on the customer's
-- channels. ?1 customer, ?2 user.
SELECT i.id, a.kind, a.external_id AS account, i.address, i.business_scoped_user_id,
       i.status, i.last_inbound_at, i.created_at, i.updated_at
FROM channel_identities i
JOIN channel_accounts a ON a.id = i.account_id
WHERE i.customer_id = ?1 AND i.user_id = ?2
ORDER BY i.created_at, i.id;
