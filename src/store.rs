//! D1 access: customers, channels, categories, expenses, subscriptions and
//! the inbound-message ledger; and the entitlements cache in KV.
//!
//! Every query binds its parameters; no value is ever formatted into SQL.
//! Writes that belong to one inbound message go into one D1 batch, which D1
//! runs as a transaction, together with the message's row in
//! `inbound_messages`: a duplicate delivery fails that batch on the primary
//! key and changes nothing.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env, KvStore};

use crate::categories;
use crate::config::ENTITLEMENTS_KV;
use crate::error::AppError;
use crate::flow::{MerchantRule, NewExpense};
use crate::model::{split_keywords, Category, Customer, Language};
use crate::money::Currency;
use crate::policy::{self, Entitlements, SubscriptionRow};
use crate::privacy;
use crate::reminders;
use crate::sql;

/// A customer's account on a channel, with the customer it belongs to.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub customer: Customer,
}

/// An end-user identity on an account.
#[derive(Debug, Clone, Deserialize)]
pub struct Identity {
    pub id: String,
    pub user_id: Option<String>,
    pub status: String,
}

#[derive(Debug, Deserialize)]
struct CustomerRow {
    account_id: Option<String>,
    id: String,
    name: String,
    home_currency: String,
    locale: String,
    time_zone: String,
    confidence_threshold: f64,
}

impl CustomerRow {
    fn into_customer(self) -> Customer {
        Customer {
            id: self.id,
            name: self.name,
            home_currency: Currency::from_code(&self.home_currency).unwrap_or(Currency::Clp),
            locale: self.locale,
            time_zone: self.time_zone,
            confidence_threshold: self.confidence_threshold,
        }
    }
}

#[derive(Debug, Deserialize)]
struct CategoryRow {
    id: String,
    name: String,
    keywords: String,
}

/// What committing one message's writes found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    Committed,
    /// The message, or one of its expenses, was committed before.
    Duplicate,
}

/// Typed access to the `DB` binding.
pub struct Store {
    db: D1Database,
}

pub(crate) fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

pub(crate) fn optional(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// D1 integers are JavaScript numbers: exact up to 2^53, which every amount
/// in minor units stays far below.
pub(crate) fn integer(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

impl Store {
    pub fn new(db: D1Database) -> Store {
        Store { db }
    }

    /// Prepares `sql` with `values` bound to its parameters. `sql` is
    /// `'static`, so only a constant can be prepared: text formatted at run
    /// time, which could carry a value, does not compile.
    pub(crate) fn prepare(
        &self,
        sql: &'static str,
        values: &[JsValue],
    ) -> Result<D1PreparedStatement, AppError> {
        Ok(self.db.prepare(sql).bind(values)?)
    }

    /// Runs a statement whose one row has an `expenses` count, and returns
    /// it (0 when no row comes back).
    pub(crate) async fn count_expenses(
        &self,
        sql: &'static str,
        values: &[JsValue],
    ) -> Result<u32, AppError> {
        #[derive(Deserialize)]
        struct Row {
            expenses: f64,
        }
        let row = self.prepare(sql, values)?.first::<Row>(None).await?;
        Ok(row.map_or(0, |row| row.expenses as u32))
    }

    /// The binding, for batches built outside this module.
    pub(crate) fn db(&self) -> &D1Database {
        &self.db
    }

    /// Runs `SELECT 1` for the health check.
    pub async fn ping(&self) -> Result<(), AppError> {
        self.db
            .prepare(sql::PING)
            .first::<serde_json::Value>(None)
            .await?;
        Ok(())
    }

    /// Whether a WhatsApp message was already handled to the end, under its
    /// own id or under the id it got when its sender's data was deleted.
    pub async fn is_processed(&self, message_id: &str) -> Result<bool, AppError> {
        let erased = privacy::erased_ledger_id(message_id);
        let row = self
            .prepare(sql::IS_PROCESSED, &[text(message_id), text(&erased)])?
            .first::<serde_json::Value>(None)
            .await?;
        Ok(row.is_some())
    }

    /// Returns whether a user opted out of messages that are not replies;
    /// `None` when the customer has no such user.
    pub async fn user_opted_out(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> Result<Option<bool>, AppError> {
        #[derive(Deserialize)]
        struct Row {
            opted_out_at: Option<String>,
        }
        let row = self
            .prepare(sql::USER_OPT_OUT, &[text(customer_id), text(user_id)])?
            .first::<Row>(None)
            .await?;
        Ok(row.map(|row| !privacy::accepts_proactive(row.opted_out_at.as_deref())))
    }

    /// Finds the account and customer of a channel address (a Kapso
    /// `phone_number_id`, an inbound email address).
    pub async fn account(
        &self,
        kind: &str,
        external_id: &str,
    ) -> Result<Option<Account>, AppError> {
        let row = self
            .prepare(sql::ACCOUNT_BY_ADDRESS, &[text(kind), text(external_id)])?
            .first::<CustomerRow>(None)
            .await?;
        Ok(row.map(|row| Account {
            id: row.account_id.clone().unwrap_or_default(),
            customer: row.into_customer(),
        }))
    }

    /// Loads a customer by id.
    pub async fn customer(&self, customer_id: &str) -> Result<Option<Customer>, AppError> {
        let row = self
            .prepare(sql::CUSTOMER_BY_ID, &[text(customer_id)])?
            .first::<CustomerRow>(None)
            .await?;
        Ok(row.map(CustomerRow::into_customer))
    }

    /// Finds the identity of a sender on an account, by phone number or
    /// business-scoped user id.
    pub async fn identity(
        &self,
        account_id: &str,
        phone: Option<&str>,
        business_scoped_user_id: Option<&str>,
    ) -> Result<Option<Identity>, AppError> {
        let row = self
            .prepare(
                sql::IDENTITY_BY_SENDER,
                &[
                    text(account_id),
                    optional(phone),
                    optional(business_scoped_user_id),
                ],
            )?
            .first::<Identity>(None)
            .await?;
        Ok(row)
    }

    /// Records a sender that wrote to a known number but belongs to no user
    /// yet, so that an operator can link it.
    pub fn pending_identity_statement(
        &self,
        customer_id: &str,
        account_id: &str,
        address: &str,
        business_scoped_user_id: Option<&str>,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::INSERT_PENDING_IDENTITY,
            &[
                text(&new_id()),
                text(account_id),
                text(customer_id),
                text(address),
                optional(business_scoped_user_id),
            ],
        )
    }

    /// Creates the development customer if it is missing (with a
    /// subscription), binds `phone_number_id` to it, and links the sender as
    /// a user. Every insert ignores rows that exist. The default categories
    /// come with the first message the policy lets through, so a message it
    /// refuses writes none.
    pub async fn bootstrap(
        &self,
        customer_id: &str,
        phone_number_id: &str,
        address: &str,
        display_name: Option<&str>,
    ) -> Result<(), AppError> {
        let account_id = format!("acct-{phone_number_id}");
        // Derived from the sender, so that concurrent first messages create
        // one user, not one each.
        let user_id = stable_id("user", &[customer_id, phone_number_id, address]);
        let statements = vec![
            self.prepare(
                sql::BOOTSTRAP_CUSTOMER,
                &[text(customer_id), text("Cliente de desarrollo")],
            )?,
            self.prepare(
                sql::BOOTSTRAP_SUBSCRIPTION,
                &[text(&new_id()), text(customer_id)],
            )?,
            self.prepare(
                sql::BOOTSTRAP_ACCOUNT,
                &[text(&account_id), text(customer_id), text(phone_number_id)],
            )?,
            self.prepare(
                sql::BOOTSTRAP_USER,
                &[
                    text(&user_id),
                    text(customer_id),
                    optional(display_name),
                    text(phone_number_id),
                    text(address),
                ],
            )?,
            self.prepare(
                sql::BOOTSTRAP_IDENTITY,
                &[
                    text(&new_id()),
                    text(&user_id),
                    text(address),
                    text(phone_number_id),
                ],
            )?,
        ];
        self.db.batch(statements).await?;
        Ok(())
    }

    /// The customer's merchant rules, by merchant (at most 50).
    pub async fn merchant_rules(&self, customer_id: &str) -> Result<Vec<MerchantRule>, AppError> {
        #[derive(Deserialize)]
        struct Row {
            merchant: String,
            category_id: String,
        }
        let rows = self
            .prepare(sql::MERCHANT_RULES, &[text(customer_id)])?
            .all()
            .await?
            .results::<Row>()?;
        Ok(rows
            .into_iter()
            .map(|row| MerchantRule {
                merchant: row.merchant,
                category_id: row.category_id,
            })
            .collect())
    }

    /// The delete of a merchant rule.
    pub fn delete_rule(
        &self,
        customer_id: &str,
        merchant: &str,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::DELETE_MERCHANT_RULE,
            &[text(customer_id), text(merchant)],
        )
    }

    /// The insert of a category added in chat, after the others.
    pub fn add_category(
        &self,
        customer_id: &str,
        name: &str,
        keywords: &str,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::ADD_CATEGORY,
            &[
                text(&new_id()),
                text(customer_id),
                text(name),
                text(keywords),
            ],
        )
    }

    /// The update that renames a category.
    pub fn rename_category(
        &self,
        customer_id: &str,
        category_id: &str,
        name: &str,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::RENAME_CATEGORY,
            &[text(customer_id), text(category_id), text(name)],
        )
    }

    /// The customer's categories, most used in the last 90 days first, the
    /// catch-all (the one without keywords, by position last) at the end.
    pub async fn categories(&self, customer_id: &str) -> Result<Vec<Category>, AppError> {
        let rows = self
            .prepare(sql::CATEGORIES_BY_USE, &[text(customer_id)])?
            .all()
            .await?
            .results::<CategoryRow>()?;
        Ok(rows
            .into_iter()
            .map(|row| Category {
                id: row.id,
                name: row.name,
                keywords: split_keywords(&row.keywords),
            })
            .collect())
    }

    /// The category a user chose before for this merchant, if any.
    pub async fn merchant_rule(
        &self,
        customer_id: &str,
        merchant: &str,
    ) -> Result<Option<String>, AppError> {
        #[derive(Deserialize)]
        struct Row {
            category_id: String,
        }
        let row = self
            .prepare(sql::MERCHANT_RULE, &[text(customer_id), text(merchant)])?
            .first::<Row>(None)
            .await?;
        Ok(row.map(|row| row.category_id))
    }

    /// The insert of a new expense.
    pub fn insert_expense(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
        source: &str,
        expense: &NewExpense,
    ) -> Result<D1PreparedStatement, AppError> {
        let draft = &expense.draft;
        self.prepare(
            sql::INSERT_EXPENSE,
            &[
                text(&new_id()),
                text(customer_id),
                optional(user_id),
                integer(draft.amount.minor),
                text(draft.amount.currency.code()),
                text(&draft.spent_on.format("%Y-%m-%d").to_string()),
                text(&draft.description),
                optional(draft.merchant.as_deref()),
                optional(expense.category_id.as_deref()),
                text(expense.status.as_str()),
                JsValue::from_f64(expense.confidence.clamp(0.0, 1.0)),
                text(expense.classifier.as_str()),
                text(source),
                text(&expense.source_id),
            ],
        )
    }

    /// The upsert of a merchant rule.
    pub fn learn_rule(
        &self,
        customer_id: &str,
        merchant: &str,
        category_id: &str,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::UPSERT_MERCHANT_RULE,
            &[text(customer_id), text(merchant), text(category_id)],
        )
    }

    /// The customer's current subscription row (`sql::CURRENT_SUBSCRIPTION`)
    /// at `now`, an RFC 3339 timestamp.
    pub async fn current_subscription(
        &self,
        customer_id: &str,
        now: &str,
    ) -> Result<Option<SubscriptionRow>, AppError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            plan: String,
            status: String,
            current_period_start: String,
            current_period_end: String,
            // D1 returns every number as a JavaScript number.
            monthly_expense_limit: Option<f64>,
        }
        let row = self
            .prepare(sql::CURRENT_SUBSCRIPTION, &[text(customer_id), text(now)])?
            .first::<Row>(None)
            .await?;
        Ok(row.map(|row| SubscriptionRow {
            id: row.id,
            plan: row.plan,
            status: row.status,
            current_period_start: row.current_period_start,
            current_period_end: row.current_period_end,
            monthly_expense_limit: row.monthly_expense_limit.map(|limit| limit as i64),
        }))
    }

    /// How many expenses the customer created in `[from, to)`, deleted ones
    /// excluded; both bounds in the `created_at` format.
    pub async fn expenses_created_between(
        &self,
        customer_id: &str,
        from: &str,
        to: &str,
    ) -> Result<u32, AppError> {
        self.count_expenses(
            sql::EXPENSES_CREATED_BETWEEN,
            &[text(customer_id), text(from), text(to)],
        )
        .await
    }

    /// Adds the default categories in `language` to a customer that has
    /// none, such as one an operator created with `tools/ops.mjs`, and
    /// returns the customer's categories.
    pub async fn seed_categories(
        &self,
        customer_id: &str,
        language: Language,
    ) -> Result<Vec<Category>, AppError> {
        let (_, statements) = self.default_categories(customer_id, language)?;
        self.db.batch(statements).await?;
        self.categories(customer_id).await
    }

    /// The default categories in `language` for a customer that has none,
    /// and their inserts, to commit with the message that first needs them.
    /// Each id derives from the customer and the category's name, so
    /// concurrent first messages insert the same rows, and a name that
    /// exists is skipped.
    pub fn default_categories(
        &self,
        customer_id: &str,
        language: Language,
    ) -> Result<(Vec<Category>, Vec<D1PreparedStatement>), AppError> {
        let mut found = Vec::new();
        let mut statements = Vec::new();
        for (position, category) in categories::defaults(language).iter().enumerate() {
            let id = stable_id("category", &[customer_id, category.name]);
            let keywords = categories::keywords_column(category);
            statements.push(self.prepare(
                sql::INSERT_CATEGORY,
                &[
                    text(&id),
                    text(customer_id),
                    text(category.name),
                    text(&keywords),
                    integer(position as i64),
                ],
            )?);
            found.push(Category {
                id,
                name: category.name.to_owned(),
                keywords: crate::model::split_keywords(&keywords),
            });
        }
        Ok((found, statements))
    }

    /// Commits one message's writes together with its ledger row.
    pub async fn commit(
        &self,
        message_id: &str,
        customer_id: Option<&str>,
        outcome: &str,
        mut statements: Vec<D1PreparedStatement>,
    ) -> Result<Commit, AppError> {
        statements.push(self.prepare(
            sql::INSERT_INBOUND_MESSAGE,
            &[text(message_id), optional(customer_id), text(outcome)],
        )?);
        match self.db.batch(statements).await {
            Ok(_) => Ok(Commit::Committed),
            Err(error) => {
                let detail = format!("{error:?}");
                if detail.contains("UNIQUE constraint failed")
                    || detail.contains("SQLITE_CONSTRAINT_PRIMARYKEY")
                {
                    Ok(Commit::Duplicate)
                } else {
                    Err(AppError::Storage(detail))
                }
            }
        }
    }
}

/// Whether the missing `ENTITLEMENTS_KV` binding was logged in this isolate.
static CACHE_MISSING_LOGGED: AtomicBool = AtomicBool::new(false);

/// The entitlements cache in `ENTITLEMENTS_KV`. The binding is optional:
/// without it every lookup misses and nothing is written, and the policy
/// reads D1 on every message. A failing read or write is a miss too,
/// because D1 stays the source of truth.
pub struct EntitlementsCache {
    kv: Option<KvStore>,
}

impl EntitlementsCache {
    /// Opens the cache, logging once per isolate at debug when the binding
    /// is missing.
    pub fn new(env: &Env) -> EntitlementsCache {
        let kv = match env.kv(ENTITLEMENTS_KV) {
            Ok(kv) => Some(kv),
            Err(error) => {
                if !CACHE_MISSING_LOGGED.swap(true, Ordering::Relaxed) {
                    tracing::debug!(event = policy::events::ENTITLEMENTS_CACHE_UNAVAILABLE, error = %error, "ENTITLEMENTS_KV is not bound; entitlements are read from D1 on every message");
                }
                None
            }
        };
        EntitlementsCache { kv }
    }

    /// Whether the binding exists.
    pub fn is_bound(&self) -> bool {
        self.kv.is_some()
    }

    /// The cached entitlements of a customer, when present and readable.
    pub async fn get(&self, customer_id: &str) -> Option<Entitlements> {
        let kv = self.kv.as_ref()?;
        match kv.get(&policy::cache_key(customer_id)).text().await {
            Ok(Some(json)) => match serde_json::from_str(&json) {
                Ok(entitlements) => Some(entitlements),
                Err(error) => {
                    tracing::warn!(event = policy::events::ENTITLEMENTS_CACHE_FAILED, customer_id, error = %error, "cached entitlements unreadable; reading D1");
                    None
                }
            },
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(event = policy::events::ENTITLEMENTS_CACHE_FAILED, customer_id, error = %error, "entitlements cache read failed; reading D1");
                None
            }
        }
    }

    /// Stores a customer's entitlements for [`policy::ENTITLEMENTS_TTL_SECONDS`].
    pub async fn put(&self, customer_id: &str, entitlements: &Entitlements) {
        let Some(kv) = &self.kv else { return };
        let result = async {
            let json = serde_json::to_string(entitlements).map_err(|e| e.to_string())?;
            kv.put(&policy::cache_key(customer_id), json)
                .map_err(|e| e.to_string())?
                .expiration_ttl(policy::ENTITLEMENTS_TTL_SECONDS)
                .execute()
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        if let Err(error) = result {
            tracing::warn!(event = policy::events::ENTITLEMENTS_CACHE_FAILED, customer_id, error = %error, "entitlements not cached; the next message reads D1 again");
        }
    }
}

/// An id derived from `parts`: the first 128 bits of their SHA-256, in hex.
/// It names no personal data, because the hash cannot be read back.
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    format!("{prefix}-{}", hex::encode(&hasher.finalize()[..16]))
}

/// A new random id (UUID v4, from the platform's `crypto.getRandomValues`).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An inbound email address and the ledger its receipts go to.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailRoute {
    pub customer_id: String,
    /// The user the receipts belong to, when the address is personal.
    pub user_id: Option<String>,
}

/// Whether a mail's sender is one of the customer's email identities.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailSender {
    /// Active email identities of the customer; 0 means none to check.
    pub identities: u32,
    /// The user whose identity the sender is.
    pub user_id: Option<String>,
}

/// The WhatsApp identity that hears about a customer's emailed receipts.
#[derive(Debug, Clone, Deserialize)]
pub struct WhatsAppLink {
    pub identity_id: String,
    pub user_id: Option<String>,
    /// E.164 digits without `+`.
    pub phone: String,
    /// The Kapso `phone_number_id` of the customer's WhatsApp account.
    pub phone_number_id: String,
    /// When the identity last wrote, in the `created_at` format.
    pub last_inbound_at: Option<String>,
    /// When Kapso last answered 131047 (window closed) for the identity.
    pub window_closed_at: Option<String>,
}

impl WhatsAppLink {
    /// Returns whether WhatsApp accepts a free-form message to this identity
    /// at `now` (Unix seconds), as reminders decide it.
    pub fn window_open(&self, now: i64) -> bool {
        let last = self
            .last_inbound_at
            .as_deref()
            .and_then(reminders::timestamp);
        let closed = self
            .window_closed_at
            .as_deref()
            .and_then(reminders::timestamp);
        reminders::window_open(last, closed, now)
    }
}

/// An expense from an emailed receipt that waits for its category and was
/// not asked about on WhatsApp yet.
#[derive(Debug, Clone, Deserialize)]
pub struct PendingEmailExpense {
    pub source_message_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub spent_on: String,
    pub description: String,
    pub merchant: Option<String>,
}

/// The ledger row that records that a pending emailed expense was put in a
/// WhatsApp conversation, so it is asked about once.
fn offered_id(source_id: &str) -> String {
    format!("offered:{source_id}")
}

impl Store {
    /// The route of an inbound address; addresses compare without case.
    pub async fn email_route(&self, address: &str) -> Result<Option<EmailRoute>, AppError> {
        let row = self
            .prepare(sql::EMAIL_ROUTE, &[text(address)])?
            .first::<EmailRoute>(None)
            .await?;
        Ok(row)
    }

    /// Looks the sender of a mail up among the customer's active email
    /// identities.
    pub async fn email_sender(
        &self,
        customer_id: &str,
        address: Option<&str>,
    ) -> Result<EmailSender, AppError> {
        let row = self
            .prepare(sql::EMAIL_SENDER, &[text(customer_id), optional(address)])?
            .first::<EmailSender>(None)
            .await?;
        Ok(row.unwrap_or(EmailSender {
            identities: 0,
            user_id: None,
        }))
    }

    /// Finds the active WhatsApp identity that hears about an emailed
    /// receipt (`sql::WHATSAPP_LINK`): one of `user_id`'s, or without a user
    /// any of the customer's, those that wrote within 24 hours first.
    pub async fn whatsapp_link(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
    ) -> Result<Option<WhatsAppLink>, AppError> {
        let row = self
            .prepare(sql::WHATSAPP_LINK, &[text(customer_id), optional(user_id)])?
            .first::<WhatsAppLink>(None)
            .await?;
        Ok(row)
    }

    /// Emailed expenses of the customer that wait for a category, belong to
    /// `user_id` or to nobody, and were not offered on WhatsApp yet; oldest
    /// first, at most `limit`.
    pub async fn pending_email_expenses(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PendingEmailExpense>, AppError> {
        let rows = self
            .prepare(
                sql::PENDING_EMAIL_EXPENSES,
                &[
                    text(customer_id),
                    optional(user_id),
                    integer(i64::from(limit)),
                ],
            )?
            .all()
            .await?
            .results::<PendingEmailExpense>()?;
        Ok(rows)
    }

    /// The ledger insert that marks a pending emailed expense as offered on
    /// WhatsApp; a second offer changes nothing.
    pub fn email_offered(
        &self,
        customer_id: &str,
        source_id: &str,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::INSERT_EMAIL_OFFERED,
            &[text(&offered_id(source_id)), text(customer_id)],
        )
    }
}
