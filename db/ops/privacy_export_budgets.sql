-- Export: the monthly budgets of the customer's categories, in minor units of
-- the home currency. ?1 customer.
SELECT c.id AS category_id, c.name AS category, c.monthly_budget_minor, cu.home_currency
FROM categories c
JOIN customers cu ON cu.id = c.customer_id
WHERE c.customer_id = ?1 AND c.monthly_budget_minor IS NOT NULL
ORDER BY c.position, c.name;
