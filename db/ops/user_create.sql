-- Adds a person to a customer: ?1 user id, ?2 customer, ?3 display name or
-- NULL, ?4 role (owner or member).
INSERT INTO users (id, customer_id, display_name, role) VALUES (?1, ?2, ?3, ?4);
