-- Lists the users of one customer (?1) with their identities, one row per
-- identity; a user without identities has NULL number and address.
SELECT u.id, u.display_name, u.role, a.external_id AS phone_number_id,
       i.address, i.status
FROM users u
LEFT JOIN channel_identities i ON i.user_id = u.id
LEFT JOIN channel_accounts a ON a.id = i.account_id
WHERE u.customer_id = ?1
ORDER BY u.id, a.external_id, i.address;
