-- Deletion, step 5 when customers.member_deletion is 'anonymise': the
-- user's recurring rules go on for the household without them, and the
-- customer's owner hears about them from then on. A rule's description and
-- merchant name the payment (rent, a subscription), not the user, and they
-- stay because every occurrence copies them. ?1 customer, ?2 user.
UPDATE recurring_rules
SET user_id = NULL,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE customer_id = ?1 AND user_id = ?2;
