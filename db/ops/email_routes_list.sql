-- Lists inbound email addresses with the customer and user they route to.
SELECT r.address, r.customer_id, r.user_id, u.display_name, r.created_at
FROM email_routes r
LEFT JOIN users u ON u.id = r.user_id
ORDER BY r.customer_id, r.address;
