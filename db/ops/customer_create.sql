-- Creates a customer: ?1 id, ?2 name, ?3 home currency (ISO 4217), ?4 locale
-- (BCP 47), ?5 IANA time zone, ?6 confidence threshold in [0, 1]. An id that
-- exists fails on the primary key.
INSERT INTO customers (id, name, home_currency, locale, time_zone, confidence_threshold)
VALUES (?1, ?2, ?3, ?4, ?5, ?6);
