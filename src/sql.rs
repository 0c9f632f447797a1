//! The SQL that `store` runs, as constants, so that the native tests run the
//! very same statements against SQLite with the migration files.
//!
//! Parameters are numbered (`?1`, `?2`, …) and always bound, never formatted
//! into the text.

macro_rules! customer_columns {
    () => {
        "c.id, c.name, c.home_currency, c.locale, c.time_zone, c.confidence_threshold"
    };
}

/// The account and customer of a channel address: `?1` kind, `?2` external id.
pub const ACCOUNT_BY_ADDRESS: &str = concat!(
    "SELECT a.id AS account_id, ",
    customer_columns!(),
    " FROM channel_accounts a JOIN customers c ON c.id = a.customer_id \
     WHERE a.kind = ?1 AND a.external_id = ?2"
);

/// A customer by id: `?1`.
pub const CUSTOMER_BY_ID: &str = concat!(
    "SELECT NULL AS account_id, ",
    customer_columns!(),
    " FROM customers c WHERE c.id = ?1"
);

/// The health check.
pub const PING: &str = "SELECT 1 AS ok";

/// Whether a message id is in the ledger: `?1` message id, `?2` the id it
/// was renamed to when its sender's data was deleted
/// (`privacy::erased_ledger_id`).
pub const IS_PROCESSED: &str =
    "SELECT 1 AS seen FROM inbound_messages WHERE message_id IN (?1, ?2)";

/// The identity of a sender on an account: `?1` account, `?2` address, `?3`
/// business-scoped user id. An active identity wins over a pending one, and
/// then a match on the address over one on the business-scoped user id, so
/// that one sender always resolves to the same row.
pub const IDENTITY_BY_SENDER: &str =
    "SELECT id, user_id, status FROM channel_identities WHERE account_id = ?1 \
                 AND (address = ?2 OR (?3 IS NOT NULL AND business_scoped_user_id = ?3)) \
                 ORDER BY status = 'active' DESC, address IS ?2 DESC, created_at LIMIT 1";

/// Records an unknown sender as a pending identity: `?1` id, `?2` account,
/// `?3` customer, `?4` address, `?5` business-scoped user id. A sender known
/// by its address or by its business-scoped user id is left as it is, so a
/// retried or repeated first message inserts nothing and fails nothing.
pub const INSERT_PENDING_IDENTITY: &str =
    "INSERT INTO channel_identities (id, account_id, customer_id, address, \
             business_scoped_user_id, status) VALUES (?1, ?2, ?3, ?4, ?5, 'pending') \
             ON CONFLICT DO NOTHING";

/// Creates the development customer when it is missing.
pub const BOOTSTRAP_CUSTOMER: &str =
    "INSERT INTO customers (id, name, home_currency, locale, time_zone) \
                 VALUES (?1, ?2, 'CLP', 'es-CL', 'America/Santiago') ON CONFLICT (id) DO NOTHING";

/// Gives the development customer an open-ended subscription when it has none.
pub const BOOTSTRAP_SUBSCRIPTION: &str =
    "INSERT INTO subscriptions (id, customer_id, plan, status, current_period_start, \
                 current_period_end) SELECT ?1, ?2, 'development', 'active', \
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), '9999-12-31T00:00:00Z' \
                 WHERE NOT EXISTS (SELECT 1 FROM subscriptions WHERE customer_id = ?2)";

/// Binds a WhatsApp number to the development customer when it is unbound.
pub const BOOTSTRAP_ACCOUNT: &str =
    "INSERT INTO channel_accounts (id, customer_id, kind, external_id) \
                 VALUES (?1, ?2, 'whatsapp', ?3) ON CONFLICT (kind, external_id) DO NOTHING";

/// Creates a user for a sender that has no identity on the number yet.
pub const BOOTSTRAP_USER: &str =
    "INSERT INTO users (id, customer_id, display_name, role) SELECT ?1, ?2, ?3, \
                 CASE WHEN EXISTS (SELECT 1 FROM users WHERE customer_id = ?2) \
                 THEN 'member' ELSE 'owner' END \
                 WHERE NOT EXISTS (SELECT 1 FROM channel_identities i \
                 JOIN channel_accounts a ON a.id = i.account_id \
                 WHERE a.kind = 'whatsapp' AND a.external_id = ?4 AND i.address = ?5) \
                 ON CONFLICT (id) DO NOTHING";

/// Links the sender to that user.
pub const BOOTSTRAP_IDENTITY: &str =
    "INSERT INTO channel_identities (id, account_id, customer_id, user_id, address, \
                 status) SELECT ?1, a.id, a.customer_id, ?2, ?3, 'active' FROM channel_accounts a \
                 WHERE a.kind = 'whatsapp' AND a.external_id = ?4 \
                 AND EXISTS (SELECT 1 FROM users WHERE id = ?2) \
                 ON CONFLICT (account_id, address) DO NOTHING";

/// Adds a category unless one of that name exists.
pub const INSERT_CATEGORY: &str =
    "INSERT INTO categories (id, customer_id, name, keywords, position) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";

/// A customer's categories, most used in the last 90 days first, and those
/// without keywords (the catch-all) last.
pub const CATEGORIES_BY_USE: &str = "SELECT c.id, c.name, c.keywords FROM categories c \
                 LEFT JOIN (SELECT category_id, count(*) AS uses FROM expenses \
                 WHERE customer_id = ?1 AND status = 'completed' \
                 AND created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-90 days') \
                 GROUP BY category_id) u ON u.category_id = c.id \
                 WHERE c.customer_id = ?1 \
                 ORDER BY c.keywords = '' ASC, coalesce(u.uses, 0) DESC, c.position, c.name";

/// The learned category of a merchant: `?1` customer, `?2` merchant.
pub const MERCHANT_RULE: &str =
    "SELECT category_id FROM merchant_rules WHERE customer_id = ?1 AND merchant = ?2";

/// Inserts an expense; `source_message_id` (`?14`) is unique.
pub const INSERT_EXPENSE: &str = "INSERT INTO expenses (id, customer_id, user_id, amount_minor, currency, spent_on, \
             description, merchant, category_id, status, confidence, classified_by, source, \
             source_message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// Stores or replaces a merchant rule.
pub const UPSERT_MERCHANT_RULE: &str =
    "INSERT INTO merchant_rules (customer_id, merchant, category_id) VALUES (?1, ?2, ?3) \
             ON CONFLICT (customer_id, merchant) DO UPDATE SET category_id = excluded.category_id";

/// Adds a message to the ledger; the primary key rejects a second delivery.
pub const INSERT_INBOUND_MESSAGE: &str =
    "INSERT INTO inbound_messages (message_id, customer_id, outcome) VALUES (?1, ?2, ?3)";

/// A customer's merchant rules, by merchant, at most 50 (what one WhatsApp
/// message lists comfortably): `?1` customer.
pub const MERCHANT_RULES: &str = "SELECT merchant, category_id FROM merchant_rules \
                 WHERE customer_id = ?1 ORDER BY merchant LIMIT 50";

/// Forgets a merchant rule: `?1` customer, `?2` merchant.
pub const DELETE_MERCHANT_RULE: &str =
    "DELETE FROM merchant_rules WHERE customer_id = ?1 AND merchant = ?2";

/// Adds a category after the customer's others, unless one of that name
/// exists: `?1` id, `?2` customer, `?3` name, `?4` keywords.
pub const ADD_CATEGORY: &str =
    "INSERT INTO categories (id, customer_id, name, keywords, position) \
                 SELECT ?1, ?2, ?3, ?4, coalesce(max(position), -1) + 1 FROM categories \
                 WHERE customer_id = ?2 ON CONFLICT DO NOTHING";

/// Renames a category of the customer; a name another category has leaves
/// it unchanged: `?1` customer, `?2` category id, `?3` new name.
pub const RENAME_CATEGORY: &str = "UPDATE OR IGNORE categories SET name = ?3, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE customer_id = ?1 AND id = ?2";

/// A customer's current subscription: `?1` customer, `?2` now (RFC 3339).
/// A row whose status is trialing or active and whose period contains now
/// comes first; then rows that have started, the latest end first, so that
/// a refusal names the subscription that lapsed.
pub const CURRENT_SUBSCRIPTION: &str = "SELECT id, plan, status, current_period_start, \
                 current_period_end, monthly_expense_limit FROM subscriptions \
                 WHERE customer_id = ?1 \
                 ORDER BY (status IN ('trialing', 'active') \
                 AND julianday(current_period_start) <= julianday(?2) \
                 AND julianday(?2) < julianday(current_period_end)) DESC, \
                 julianday(current_period_start) <= julianday(?2) DESC, \
                 julianday(current_period_end) DESC, created_at DESC LIMIT 1";

/// How many expenses a customer created in `[?2, ?3)`, deleted ones
/// excluded: `?1` customer, `?2` and `?3` timestamps in the `created_at`
/// format (`policy::sql_timestamp`).
pub const EXPENSES_CREATED_BETWEEN: &str = "SELECT count(*) AS expenses FROM expenses \
                 WHERE customer_id = ?1 AND created_at >= ?2 AND created_at < ?3 \
                 AND status != 'deleted'";

// Receipts forwarded by email.

/// The route of an inbound address: `?1` address, compared without case.
pub const EMAIL_ROUTE: &str = "SELECT customer_id, user_id FROM email_routes WHERE address = ?1";

/// How many active email identities a customer has, and the user whose
/// identity a mail's sender is: `?1` customer, `?2` sender address (compared
/// without case) or NULL.
pub const EMAIL_SENDER: &str = "SELECT (SELECT count(*) FROM channel_identities i \
                 JOIN channel_accounts a ON a.id = i.account_id \
                 WHERE i.customer_id = ?1 AND a.kind = 'email' AND i.status = 'active') \
                 AS identities, \
                 (SELECT i.user_id FROM channel_identities i \
                 JOIN channel_accounts a ON a.id = i.account_id \
                 WHERE i.customer_id = ?1 AND a.kind = 'email' AND i.status = 'active' \
                 AND i.address = ?2 COLLATE NOCASE LIMIT 1) AS user_id";

/// The active WhatsApp identity that hears about a customer's emailed
/// receipts: `?1` customer, `?2` user or NULL. The identity that wrote last
/// comes first, because its 24-hour window is the likeliest to be open, then
/// the owner. `reminders::window_open` decides from `last_inbound_at` and
/// `window_closed_at` whether a message may be sent.
pub const WHATSAPP_LINK: &str = "SELECT i.id AS identity_id, i.user_id, i.address AS phone, \
                 a.external_id AS phone_number_id, i.last_inbound_at, i.window_closed_at \
                 FROM channel_identities i \
                 JOIN channel_accounts a ON a.id = i.account_id \
                 LEFT JOIN users u ON u.id = i.user_id \
                 WHERE i.customer_id = ?1 AND a.kind = 'whatsapp' AND i.status = 'active' \
                 AND (?2 IS NULL OR i.user_id = ?2) \
                 ORDER BY coalesce(julianday(i.last_inbound_at), 0) DESC, \
                 coalesce(u.role = 'owner', 0) DESC, i.created_at LIMIT 1";

/// Emailed expenses that wait for a category, belong to user `?2` or to
/// nobody, and were not offered on WhatsApp yet: `?1` customer, `?3` the
/// most rows. Oldest first.
pub const PENDING_EMAIL_EXPENSES: &str = "SELECT e.source_message_id, e.amount_minor, \
                 e.currency, e.spent_on, e.description, e.merchant FROM expenses e \
                 WHERE e.customer_id = ?1 AND e.source = 'email' \
                 AND e.status = 'pending_category' AND (e.user_id IS NULL OR e.user_id = ?2) \
                 AND NOT EXISTS (SELECT 1 FROM inbound_messages m \
                 WHERE m.message_id = 'offered:' || e.source_message_id) \
                 ORDER BY e.created_at LIMIT ?3";

/// Marks a pending emailed expense as offered on WhatsApp, in the ledger:
/// `?1` `offered:<source_message_id>`, `?2` customer. A second offer
/// changes nothing.
pub const INSERT_EMAIL_OFFERED: &str =
    "INSERT INTO inbound_messages (message_id, customer_id, outcome) \
             VALUES (?1, ?2, 'email_offered') ON CONFLICT (message_id) DO NOTHING";

// Commands about recorded expenses: undo, edit, delete, the recent list, the
// month summary and budgets. A user is matched with `IS`, so that a NULL
// user (personal data deleted) matches the expenses that have none.

macro_rules! expense_columns {
    () => {
        "e.id, e.source_message_id, e.amount_minor, e.currency, e.spent_on, e.description, \
         e.merchant, e.category_id, e.status"
    };
}

/// A user's latest expenses that are not deleted, the latest recorded
/// first: `?1` customer, `?2` user, `?3` how many.
pub const RECENT_EXPENSES: &str = concat!(
    "SELECT ",
    expense_columns!(),
    " FROM expenses e WHERE e.customer_id = ?1 AND e.user_id IS ?2 \
     AND e.status != 'deleted' ORDER BY e.created_at DESC, e.rowid DESC LIMIT ?3"
);

/// A user's expenses that wait for a category, the oldest first: `?1`
/// customer, `?2` user, `?3` how many.
pub const OLDEST_PENDING_EXPENSES: &str = concat!(
    "SELECT ",
    expense_columns!(),
    " FROM expenses e WHERE e.customer_id = ?1 AND e.user_id IS ?2 \
     AND e.status = 'pending_category' ORDER BY e.created_at, e.rowid LIMIT ?3"
);

/// One of a user's expenses, whatever its status: `?1` customer, `?2` user,
/// `?3` expense id.
pub const EXPENSE_OF_USER: &str = concat!(
    "SELECT ",
    expense_columns!(),
    " FROM expenses e WHERE e.customer_id = ?1 AND e.user_id IS ?2 AND e.id = ?3"
);

/// The expenses of the customer recorded under a source id, whatever their
/// status: `?1` customer, `?2` `source_message_id`. At most one, because
/// the column is unique.
pub const EXPENSE_BY_SOURCE: &str = concat!(
    "SELECT ",
    expense_columns!(),
    " FROM expenses e WHERE e.customer_id = ?1 AND e.source_message_id = ?2"
);

/// An expense of the customer, whatever its status: `?1` customer, `?2`
/// expense id.
pub const EXPENSE_BY_ID: &str = concat!(
    "SELECT ",
    expense_columns!(),
    " FROM expenses e WHERE e.customer_id = ?1 AND e.id = ?2"
);

/// A user's latest action: a change they made (`kind` = `change`) or an
/// expense they recorded (`record`), whichever is later; a change wins a tie.
/// Recurring occurrences are recorded by the schedule, not by the user, so
/// they are left out. `?1` customer, `?2` user.
pub const LATEST_ACTION: &str = "SELECT kind, change_id, expense_id FROM ( \
     SELECT 'change' AS kind, id AS change_id, expense_id, created_at, rowid AS seq \
     FROM expense_changes WHERE customer_id = ?1 AND user_id IS ?2 \
     UNION ALL \
     SELECT 'record' AS kind, NULL AS change_id, id AS expense_id, created_at, rowid AS seq \
     FROM expenses WHERE customer_id = ?1 AND user_id IS ?2 AND source != 'recurring') \
     ORDER BY created_at DESC, kind = 'change' DESC, seq DESC LIMIT 1";

/// The values an expense had before a change: `?1` customer, `?2` change id.
pub const CHANGE_BEFORE: &str = "SELECT id, amount_minor, currency, spent_on, description, \
     category_id, status FROM expense_changes WHERE customer_id = ?1 AND id = ?2";

/// Records an expense's current values before a change, in the same batch
/// as the change: `?1` change id, `?2` customer, `?3` expense id, `?4` user,
/// `?5` action (`edit`, `delete`, `undo`), `?6` the change an undo reverts,
/// `?7` message id. Inserts nothing when the expense is not the customer's.
pub const RECORD_EXPENSE_CHANGE: &str = "INSERT INTO expense_changes (id, customer_id, \
     expense_id, user_id, action, reverts_change_id, message_id, amount_minor, currency, \
     spent_on, description, category_id, status) SELECT ?1, customer_id, id, ?4, ?5, ?6, ?7, \
     amount_minor, currency, spent_on, description, category_id, status FROM expenses \
     WHERE customer_id = ?2 AND id = ?3";

/// Sets the amount and currency of an expense that is not deleted: `?1`
/// customer, `?2` expense id, `?3` minor units, `?4` currency.
pub const SET_EXPENSE_AMOUNT: &str = "UPDATE expenses SET amount_minor = ?3, currency = ?4, \
     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE customer_id = ?1 AND id = ?2 AND status != 'deleted'";

/// Sets the date of an expense that is not deleted: `?1` customer, `?2`
/// expense id, `?3` `YYYY-MM-DD`.
pub const SET_EXPENSE_DATE: &str = "UPDATE expenses SET spent_on = ?3, \
     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE customer_id = ?1 AND id = ?2 AND status != 'deleted'";

/// Sets the description of an expense that is not deleted: `?1` customer,
/// `?2` expense id, `?3` description.
pub const SET_EXPENSE_DESCRIPTION: &str = "UPDATE expenses SET description = ?3, \
     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE customer_id = ?1 AND id = ?2 AND status != 'deleted'";

/// Moves an expense that is not deleted to one of the customer's categories,
/// which completes a pending one: `?1` customer, `?2` expense id, `?3`
/// category id.
pub const SET_EXPENSE_CATEGORY: &str = "UPDATE expenses SET category_id = ?3, \
     status = 'completed', confidence = 1.0, classified_by = 'user', \
     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE customer_id = ?1 AND id = ?2 AND status != 'deleted' \
     AND EXISTS (SELECT 1 FROM categories WHERE id = ?3 AND customer_id = ?1)";

/// Marks an expense as deleted; the row stays: `?1` customer, `?2` expense
/// id.
pub const DELETE_EXPENSE: &str = "UPDATE expenses SET status = 'deleted', \
     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE customer_id = ?1 AND id = ?2 AND status != 'deleted'";

/// Puts back the values an expense had before change `?3`: `?1` customer,
/// `?2` expense id. Changes nothing when `?3` is not a change of that
/// expense.
pub const REVERT_EXPENSE: &str = "UPDATE expenses SET (amount_minor, currency, spent_on, \
     description, category_id, status) = (SELECT amount_minor, currency, spent_on, \
     description, category_id, status FROM expense_changes \
     WHERE id = ?3 AND customer_id = ?1 AND expense_id = ?2), \
     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     WHERE customer_id = ?1 AND id = ?2 AND EXISTS (SELECT 1 FROM expense_changes \
     WHERE id = ?3 AND customer_id = ?1 AND expense_id = ?2)";

/// The expenses of a month that are not deleted, oldest first: `?1`
/// customer, `?2` first day, `?3` last day (`YYYY-MM-DD`), `?4` user or NULL
/// for the household, `?5` how many. `category` is NULL while an expense
/// waits for one.
pub const MONTH_EXPENSES: &str = "SELECT e.spent_on, e.description, e.merchant, \
     e.category_id, c.name AS category, e.amount_minor, e.currency FROM expenses e \
     LEFT JOIN categories c ON c.id = e.category_id AND c.customer_id = e.customer_id \
     WHERE e.customer_id = ?1 AND e.status != 'deleted' \
     AND e.spent_on >= ?2 AND e.spent_on <= ?3 AND (?4 IS NULL OR e.user_id = ?4) \
     ORDER BY e.spent_on, e.created_at, e.rowid LIMIT ?5";

/// The categories of a customer that have a monthly budget: `?1` customer.
pub const CATEGORY_BUDGETS: &str = "SELECT id, monthly_budget_minor FROM categories \
     WHERE customer_id = ?1 AND monthly_budget_minor IS NOT NULL ORDER BY position, name";

/// Sets or, with NULL, removes a category's monthly budget: `?1` customer,
/// `?2` category id, `?3` minor units of the home currency.
pub const SET_CATEGORY_BUDGET: &str = "UPDATE categories SET monthly_budget_minor = ?3, \
     updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE customer_id = ?1 AND id = ?2";

/// A category's budget and the thresholds already announced for that budget
/// in a month (comma separated, NULL for none). No row when the category has
/// no budget. `?1` customer, `?2` category, `?3` period (`YYYY-MM`).
pub const BUDGET_STATE: &str = "SELECT c.monthly_budget_minor AS budget_minor, \
     (SELECT group_concat(a.threshold) FROM budget_alerts a WHERE a.customer_id = ?1 \
     AND a.category_id = ?2 AND a.period = ?3 \
     AND a.budget_minor = c.monthly_budget_minor) AS announced \
     FROM categories c WHERE c.customer_id = ?1 AND c.id = ?2 \
     AND c.monthly_budget_minor IS NOT NULL";

/// The amounts of a category's completed expenses in a month, in their own
/// currencies, oldest first: `?1` customer, `?2` category, `?3` first day,
/// `?4` last day (`YYYY-MM-DD`), `?5` an expense id to leave out or NULL,
/// `?6` how many.
pub const CATEGORY_MONTH_AMOUNTS: &str = "SELECT spent_on, currency, amount_minor \
     FROM expenses WHERE customer_id = ?1 AND category_id = ?2 AND status = 'completed' \
     AND spent_on >= ?3 AND spent_on <= ?4 AND (?5 IS NULL OR id != ?5) \
     ORDER BY spent_on, rowid LIMIT ?6";

/// Points a merchant's rule from `?3` to `?4` after an undo, only while it
/// still points to `?3`: `?1` customer, `?2` merchant.
pub const REPOINT_MERCHANT_RULE: &str = "UPDATE merchant_rules SET category_id = ?4 \
     WHERE customer_id = ?1 AND merchant = ?2 AND category_id = ?3 \
     AND EXISTS (SELECT 1 FROM categories WHERE id = ?4 AND customer_id = ?1)";

/// Forgets a merchant's rule after an undo, only while it still points to
/// `?3`: `?1` customer, `?2` merchant.
pub const FORGET_MERCHANT_RULE: &str =
    "DELETE FROM merchant_rules WHERE customer_id = ?1 AND merchant = ?2 AND category_id = ?3";

/// Records an announced budget alert; one already recorded stays as it was:
/// `?1` customer, `?2` category, `?3` period, `?4` threshold, `?5` budget,
/// `?6` spent, `?7` message id.
pub const RECORD_BUDGET_ALERT: &str = "INSERT INTO budget_alerts (customer_id, category_id, \
     period, threshold, budget_minor, spent_minor, message_id) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
// Recurring rules, reminders and the 24-hour window
// (db/migrations/008_recurring_reminders.sql).

/// Stores a recurring rule: `?1` id, `?2` customer, `?3` user, `?4`
/// description, `?5` merchant, `?6` amount in minor units, `?7` currency,
/// `?8` frequency, `?9` day, `?10` first local date.
pub const INSERT_RECURRING_RULE: &str = "INSERT INTO recurring_rules (id, customer_id, \
                 user_id, description, merchant, amount_minor, currency, frequency, day, \
                 active_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// A customer's rules that are not deleted, oldest first, as the chat list
/// numbers them; at most 50: `?1` customer.
pub const RECURRING_RULES: &str = "SELECT id, description, merchant, amount_minor, \
                 currency, frequency, day, status, active_from, last_occurrence_on \
                 FROM recurring_rules WHERE customer_id = ?1 AND status != 'deleted' \
                 ORDER BY created_at, id LIMIT 50";

/// Pauses an active rule: `?1` customer, `?2` rule.
pub const PAUSE_RECURRING_RULE: &str = "UPDATE recurring_rules SET status = 'paused', \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE customer_id = ?1 AND id = ?2 AND status = 'active'";

/// Resumes a paused rule from `?3` (the local date), so that the periods
/// it was paused for are not made up: `?1` customer, `?2` rule.
pub const RESUME_RECURRING_RULE: &str = "UPDATE recurring_rules SET status = 'active', \
                 active_from = ?3, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE customer_id = ?1 AND id = ?2 AND status = 'paused'";

/// Deletes a rule; the expenses it recorded stay: `?1` customer, `?2` rule.
pub const DELETE_RECURRING_RULE: &str = "UPDATE recurring_rules SET status = 'deleted', \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE customer_id = ?1 AND id = ?2 AND status != 'deleted'";

/// Active rules with what a scheduled run needs of their customer, in a
/// stable order, `?1` at most, after rule id `?2` (`''` for the first page).
pub const ACTIVE_RECURRING_RULES: &str = "SELECT r.id, r.customer_id, r.user_id, \
                 r.description, r.merchant, r.amount_minor, r.currency, r.frequency, r.day, \
                 r.active_from, r.last_occurrence_on FROM recurring_rules r \
                 WHERE r.status = 'active' AND r.id > ?2 ORDER BY r.id LIMIT ?1";

/// Records an occurrence of a rule as an expense, unless the rule stopped
/// being active meanwhile or the occurrence is recorded already (the
/// unique `source_message_id`, `?14`). The parameters are those of
/// `INSERT_EXPENSE`, with `?15` the rule id.
pub const INSERT_OCCURRENCE: &str = "INSERT INTO expenses (id, customer_id, user_id, \
                 amount_minor, currency, spent_on, description, merchant, category_id, status, \
                 confidence, classified_by, source, source_message_id) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 \
                 WHERE EXISTS (SELECT 1 FROM recurring_rules WHERE id = ?15 \
                 AND customer_id = ?2 AND status = 'active') \
                 ON CONFLICT (source_message_id) DO NOTHING";

/// Moves a rule's last recorded occurrence forward to `?3`, never back:
/// `?1` customer, `?2` rule.
pub const MARK_OCCURRENCE: &str = "UPDATE recurring_rules SET last_occurrence_on = ?3, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE customer_id = ?1 AND id = ?2 \
                 AND (last_occurrence_on IS NULL OR last_occurrence_on < ?3)";

/// Turns a member's daily reminder on at local hour `?3`, or off with NULL:
/// `?1` user, `?2` customer.
pub const SET_DAILY_REMINDER: &str = "INSERT INTO reminder_preferences (user_id, \
                 customer_id, daily_hour) VALUES (?1, ?2, ?3) ON CONFLICT (user_id) \
                 DO UPDATE SET daily_hour = excluded.daily_hour, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// Members whose daily reminder is on, with their customer's time zone,
/// `?1` at most, after user id `?2` (`''` for the first page).
pub const DAILY_REMINDERS: &str = "SELECT p.user_id, p.customer_id, p.daily_hour, \
                 c.time_zone FROM reminder_preferences p \
                 JOIN customers c ON c.id = p.customer_id \
                 WHERE p.daily_hour IS NOT NULL AND p.user_id > ?2 ORDER BY p.user_id LIMIT ?1";

/// How many expenses a member recorded themselves since `?3` (a
/// `created_at` timestamp); recurring occurrences do not count: `?1`
/// customer, `?2` user.
pub const EXPENSES_LOGGED_SINCE: &str = "SELECT count(*) AS expenses FROM expenses \
                 WHERE customer_id = ?1 AND user_id = ?2 AND created_at >= ?3 \
                 AND source != 'recurring'";

/// The WhatsApp identity that proactive messages for a member go to, or
/// without a member the customer's owner first, with what deciding whether
/// and how to write needs: the opt-out and the 24-hour window. `?1`
/// customer, `?2` user or NULL.
pub const PROACTIVE_RECIPIENT: &str = "SELECT i.id AS identity_id, i.user_id, \
                 i.address AS phone, a.external_id AS phone_number_id, i.last_inbound_at, \
                 i.window_closed_at, u.opted_out_at FROM channel_identities i \
                 JOIN channel_accounts a ON a.id = i.account_id \
                 LEFT JOIN users u ON u.id = i.user_id AND u.customer_id = i.customer_id \
                 WHERE i.customer_id = ?1 AND a.kind = 'whatsapp' AND i.status = 'active' \
                 AND (?2 IS NULL OR i.user_id = ?2) \
                 ORDER BY coalesce(u.role = 'owner', 0) DESC, i.last_inbound_at DESC, \
                 i.created_at LIMIT 1";

/// Claims a reminder before it is sent; a second claim changes nothing:
/// `?1` customer, `?2` user, `?3` kind, `?4` key.
pub const CLAIM_REMINDER: &str = "INSERT INTO reminders_sent (customer_id, user_id, kind, \
                 reminder_key) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

/// Records how a claimed reminder went: `?1` user, `?2` kind, `?3` key,
/// `?4` outcome.
pub const FINISH_REMINDER: &str = "UPDATE reminders_sent SET outcome = ?4, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE user_id = ?1 AND kind = ?2 AND reminder_key = ?3";

/// Records the time of an identity's latest inbound message, which opens
/// its 24-hour window: `?1` identity.
pub const TOUCH_IDENTITY: &str = "UPDATE channel_identities \
                 SET last_inbound_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1";

/// Records that Kapso returned error 131047 for an identity: its window is
/// closed until the user writes again. `?1` identity.
pub const RECORD_WINDOW_CLOSED: &str = "UPDATE channel_identities \
                 SET window_closed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1";

// Personal data: opting out, exports and deletions. The statements that an
// operator also runs by hand live in `db/ops/privacy_*.sql`, so that
// `scripts/privacy.mjs` and the worker run the very same SQL.

/// Records that a user opted out of messages that are not replies; a second
/// opt-out keeps the first time. `?1` customer, `?2` user.
pub const SET_OPTED_OUT: &str = "UPDATE users \
                 SET opted_out_at = coalesce(opted_out_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE customer_id = ?1 AND id = ?2";

/// Clears a user's opt-out: `?1` customer, `?2` user.
pub const CLEAR_OPTED_OUT: &str = "UPDATE users SET opted_out_at = NULL, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE customer_id = ?1 AND id = ?2";

/// A user's opt-out time, NULL while they accept messages; no row when the
/// user does not exist. `?1` customer, `?2` user.
pub const USER_OPT_OUT: &str = "SELECT opted_out_at FROM users WHERE customer_id = ?1 AND id = ?2";

/// See `db/ops/privacy_find_user.sql`.
pub const PRIVACY_FIND_USER: &str = include_str!("../db/ops/privacy_find_user.sql");
/// See `db/ops/privacy_summary.sql`.
pub const PRIVACY_SUMMARY: &str = include_str!("../db/ops/privacy_summary.sql");
/// See `db/ops/privacy_user_identities.sql`.
pub const PRIVACY_USER_IDENTITIES: &str = include_str!("../db/ops/privacy_user_identities.sql");
/// See `db/ops/privacy_ledger_candidates.sql`.
pub const PRIVACY_LEDGER_CANDIDATES: &str = include_str!("../db/ops/privacy_ledger_candidates.sql");
/// See `db/ops/privacy_export_user.sql`.
pub const EXPORT_USER: &str = include_str!("../db/ops/privacy_export_user.sql");
/// See `db/ops/privacy_export_identities.sql`.
pub const EXPORT_IDENTITIES: &str = include_str!("../db/ops/privacy_export_identities.sql");
/// See `db/ops/privacy_export_expenses.sql`.
pub const EXPORT_EXPENSES: &str = include_str!("../db/ops/privacy_export_expenses.sql");
/// See `db/ops/privacy_export_categories.sql`.
pub const EXPORT_CATEGORIES: &str = include_str!("../db/ops/privacy_export_categories.sql");
/// See `db/ops/privacy_export_budgets.sql`.
pub const EXPORT_BUDGETS: &str = include_str!("../db/ops/privacy_export_budgets.sql");
/// See `db/ops/privacy_export_merchant_rules.sql`.
pub const EXPORT_MERCHANT_RULES: &str = include_str!("../db/ops/privacy_export_merchant_rules.sql");
/// See `db/ops/privacy_export_email_routes.sql`.
pub const EXPORT_EMAIL_ROUTES: &str = include_str!("../db/ops/privacy_export_email_routes.sql");
/// See `db/ops/privacy_export_expense_changes.sql`.
pub const EXPORT_EXPENSE_CHANGES: &str =
    include_str!("../db/ops/privacy_export_expense_changes.sql");
/// See `db/ops/privacy_rewrite_budget_alerts.sql`.
pub const REWRITE_USER_BUDGET_ALERTS: &str =
    include_str!("../db/ops/privacy_rewrite_budget_alerts.sql");
/// See `db/ops/privacy_anonymise_expense_history.sql`.
pub const ANONYMISE_USER_EXPENSE_HISTORY: &str =
    include_str!("../db/ops/privacy_anonymise_expense_history.sql");
/// See `db/ops/privacy_delete_expense_history.sql`.
pub const DELETE_USER_EXPENSE_HISTORY: &str =
    include_str!("../db/ops/privacy_delete_expense_history.sql");
/// See `db/ops/privacy_anonymise_user_changes.sql`.
pub const ANONYMISE_USER_CHANGES: &str =
    include_str!("../db/ops/privacy_anonymise_user_changes.sql");
/// See `db/ops/privacy_export_recurring_rules.sql`.
pub const EXPORT_RECURRING_RULES: &str =
    include_str!("../db/ops/privacy_export_recurring_rules.sql");
/// See `db/ops/privacy_export_reminder_preferences.sql`.
pub const EXPORT_REMINDER_PREFERENCES: &str =
    include_str!("../db/ops/privacy_export_reminder_preferences.sql");
/// See `db/ops/privacy_anonymise_recurring_rules.sql`.
pub const ANONYMISE_USER_RECURRING_RULES: &str =
    include_str!("../db/ops/privacy_anonymise_recurring_rules.sql");
/// See `db/ops/privacy_delete_recurring_rules.sql`.
pub const DELETE_USER_RECURRING_RULES: &str =
    include_str!("../db/ops/privacy_delete_recurring_rules.sql");
/// See `db/ops/privacy_delete_reminder_preferences.sql`.
pub const DELETE_USER_REMINDER_PREFERENCES: &str =
    include_str!("../db/ops/privacy_delete_reminder_preferences.sql");
/// See `db/ops/privacy_delete_reminders_sent.sql`.
pub const DELETE_USER_REMINDERS_SENT: &str =
    include_str!("../db/ops/privacy_delete_reminders_sent.sql");
/// See `db/ops/privacy_rewrite_ledger.sql`.
pub const REWRITE_USER_LEDGER: &str = include_str!("../db/ops/privacy_rewrite_ledger.sql");
/// See `db/ops/privacy_anonymise_expenses.sql`.
pub const ANONYMISE_USER_EXPENSES: &str = include_str!("../db/ops/privacy_anonymise_expenses.sql");
/// See `db/ops/privacy_delete_expenses.sql`.
pub const DELETE_USER_EXPENSES: &str = include_str!("../db/ops/privacy_delete_expenses.sql");
/// See `db/ops/privacy_delete_identities.sql`.
pub const DELETE_USER_IDENTITIES: &str = include_str!("../db/ops/privacy_delete_identities.sql");
/// See `db/ops/privacy_delete_email_routes.sql`.
pub const DELETE_USER_EMAIL_ROUTES: &str =
    include_str!("../db/ops/privacy_delete_email_routes.sql");
/// See `db/ops/privacy_delete_user.sql`.
pub const DELETE_USER: &str = include_str!("../db/ops/privacy_delete_user.sql");
