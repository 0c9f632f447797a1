-- Deletion, step 10: removes the inbound addresses that belong to the user;
-- later mail to them is refused as unknown. ?1 customer, ?2 user.
DELETE FROM email_routes WHERE customer_id = ?1 AND user_id = ?2;
