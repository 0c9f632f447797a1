-- Ledger rows of a customer whose message id starts with ?2: the base64
-- prefix every wamid of one phone number shares. ?1 customer. The range on
-- the primary key finds them without a scan; `~` sorts after every base64
-- character and after `#`. The caller confirms each id by decoding it,
-- because the prefix covers whole 3-byte groups only.
SELECT message_id, outcome, received_at
FROM inbound_messages
WHERE message_id >= ?2 AND message_id < ?2 || '~' AND customer_id = ?1
ORDER BY received_at, message_id;
