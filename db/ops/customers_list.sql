-- Lists customers with their users, numbers and current subscription.
SELECT c.id, c.name, c.home_currency, c.locale, c.time_zone, c.confidence_threshold,
       (SELECT count(*) FROM users u WHERE u.customer_id = c.id) AS users,
       (SELECT count(*) FROM channel_accounts a WHERE a.customer_id = c.id) AS numbers,
       (SELECT s.plan || ' ' || s.status || ' until ' || s.current_period_end
          FROM subscriptions s
         WHERE s.customer_id = c.id
         ORDER BY (s.status IN ('trialing', 'active')
                   AND julianday(s.current_period_start) <= julianday('now')
                   AND julianday('now') < julianday(s.current_period_end)) DESC,
                  julianday(s.current_period_end) DESC
         LIMIT 1) AS subscription
FROM customers c
ORDER BY c.id;
