-- Deletion, step 5 when customers.member_deletion is 'anonymise': keeps the
-- amount, currency, date, category and status of the user's expenses, so a
-- household keeps its totals, and clears what names the user. The source id
-- (a wamid, which encodes the phone number) becomes `erased:` and the row id.
-- ?1 customer, ?2 user.
UPDATE expenses
SET user_id = NULL,
    description = '',
    merchant = NULL,
    source_message_id = 'erased:' || id,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE customer_id = ?1 AND user_id = ?2;
