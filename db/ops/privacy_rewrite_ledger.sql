-- Deletion, step 1: renames the ledger rows of the user's messages, whose
-- WhatsApp ids encode the phone number, to ids that cannot be read back.
-- The rows stay, so that a late retry of one of those messages is still a
-- duplicate. ?1 customer, ?2 a JSON array of [old id, new id] pairs.
UPDATE inbound_messages
SET message_id = (SELECT json_extract(p.value, '$[1]') FROM json_each(?2) p
                   WHERE json_extract(p.value, '$[0]') = inbound_messages.message_id)
WHERE customer_id = ?1
  AND message_id IN (SELECT json_extract(value, '$[0]') FROM json_each(?2));
