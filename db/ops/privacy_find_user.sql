-- Lists the WhatsApp and email identities of an address (?1: E.164 digits
-- without `+`, or an email address), with their customer and user, so that
-- an operator picks the person an export or deletion is about. A pending
-- identity has a NULL user_id.
SELECT i.customer_id, i.user_id, i.id AS identity_id, a.kind,
       a.external_id AS account, i.address, i.status, u.display_name
FROM channel_identities i
JOIN channel_accounts a ON a.id = i.account_id
LEFT JOIN users u ON u.id = i.user_id
WHERE i.address = ?1 COLLATE NOCASE
ORDER BY i.customer_id, i.user_id, a.kind;
