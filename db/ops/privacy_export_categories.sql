-- Export: the customer's categories, which every member shares. ?1 customer.
SELECT id, name, keywords, position, monthly_budget_minor, created_at, updated_at
FROM categories
WHERE customer_id = ?1
ORDER BY position, name;
