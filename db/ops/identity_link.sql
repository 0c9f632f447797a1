-- Links a sender to a user on a WhatsApp number: ?1 new identity id, ?2 Kapso
-- phone_number_id, ?3 user id, ?4 sender phone (E.164 digits, no `+`). A
-- pending identity of that sender becomes active. Nothing is written when the
-- number is unknown or the user belongs to another customer than the number.
INSERT INTO channel_identities (id, account_id, customer_id, user_id, address, status)
SELECT ?1, a.id, a.customer_id, u.id, ?4, 'active'
FROM channel_accounts a
JOIN users u ON u.customer_id = a.customer_id
WHERE a.kind = 'whatsapp' AND a.external_id = ?2 AND u.id = ?3
ON CONFLICT (account_id, address) DO UPDATE
SET user_id = excluded.user_id,
    status = 'active',
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
