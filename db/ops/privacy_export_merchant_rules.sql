-- Export: the merchant rules the customer's members taught. ?1 customer.
SELECT r.merchant, r.category_id, c.name AS category, r.created_at
FROM merchant_rules r
LEFT JOIN categories c ON c.id = r.category_id
WHERE r.customer_id = ?1
ORDER BY r.merchant;
