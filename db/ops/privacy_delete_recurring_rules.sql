-- Deletion, step 5 when customers.member_deletion is 'delete': removes the
-- user's recurring rules, so no further occurrence is recorded. ?1
-- customer, ?2 user.
DELETE FROM recurring_rules WHERE customer_id = ?1 AND user_id = ?2;
