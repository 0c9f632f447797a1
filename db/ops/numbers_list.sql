-- Lists channel accounts (WhatsApp numbers, email addresses) with how many
-- identities are active and pending on each.
SELECT a.id, a.customer_id, a.kind, a.external_id, a.display_name,
       (SELECT count(*) FROM channel_identities i
         WHERE i.account_id = a.id AND i.status = 'active') AS active_identities,
       (SELECT count(*) FROM channel_identities i
         WHERE i.account_id = a.id AND i.status = 'pending') AS pending_identities
FROM channel_accounts a
ORDER BY a.customer_id, a.kind, a.external_id;
