-- Links a WhatsApp business number to a customer: ?1 account id, ?2 customer,
-- ?3 Kapso phone_number_id, ?4 display name or NULL. A number linked to any
-- customer fails on UNIQUE (kind, external_id); move it by deleting its row.
INSERT INTO channel_accounts (id, customer_id, kind, external_id, display_name)
VALUES (?1, ?2, 'whatsapp', ?3, ?4);
