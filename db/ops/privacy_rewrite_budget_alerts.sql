-- Deletion, step 2: renames the message ids of budget alerts announced in
-- replies to the user, as step 1 renames the ledger. The alerts are the
-- household's and stay, so that none is announced twice. ?1 customer, ?2 a
-- JSON array of [old id, new id] pairs.
UPDATE budget_alerts
SET message_id = (SELECT json_extract(p.value, '$[1]') FROM json_each(?2) p
                   WHERE json_extract(p.value, '$[0]') = budget_alerts.message_id)
WHERE customer_id = ?1
  AND message_id IN (SELECT json_extract(value, '$[0]') FROM json_each(?2));
