-- Reads the facts a deletion request needs: the customer's member_deletion
-- setting and how many expenses the user recorded. ?1 customer, ?2 user.
-- No row when the customer does not exist.
SELECT c.member_deletion,
       (SELECT count(*) FROM expenses e
         WHERE e.customer_id = c.id AND e.user_id = ?2) AS expenses
FROM customers c
WHERE c.id = ?1;
