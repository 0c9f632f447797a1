-- Deletion, step 8 when customers.member_deletion is 'anonymise': keeps the
-- amount, currency, date, category and status of the user's expenses, so a
-- household keeps its totals, and clears what names the user. The source id
-- (a wamid, which encodes the phone number) becomes `erased:` and the row
-- id. A recurring occurrence keeps `recurring:<rule id>:<period>`, which
-- names no one and stops the rule from recording that period twice.
-- ?1 customer, ?2 user.
UPDATE expenses
SET user_id = NULL,
    description = '',
    merchant = NULL,
    source_message_id = CASE WHEN source = 'recurring' THEN source_message_id
                             ELSE 'erased:' || id END,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE customer_id = ?1 AND user_id = ?2;
