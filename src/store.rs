//! D1 access: customers, channels, categories, expenses and the
//! inbound-message ledger.
//!
//! Every query binds its parameters; no value is ever formatted into SQL.
//! Writes that belong to one inbound message go into one D1 batch, which D1
//! runs as a transaction, together with the message's row in
//! `inbound_messages`: a duplicate delivery fails that batch on the primary
//! key and changes nothing.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::categories;
use crate::error::AppError;
use crate::flow::NewExpense;
use crate::model::{split_keywords, Category, Customer, Language};
use crate::money::Currency;
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

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn optional(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// D1 integers are JavaScript numbers: exact up to 2^53, which every amount
/// in minor units stays far below.
fn integer(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

impl Store {
    pub fn new(db: D1Database) -> Store {
        Store { db }
    }

    fn prepare(&self, sql: &str, values: &[JsValue]) -> Result<D1PreparedStatement, AppError> {
        Ok(self.db.prepare(sql).bind(values)?)
    }

    /// Runs `SELECT 1` for the health check.
    pub async fn ping(&self) -> Result<(), AppError> {
        self.db
            .prepare(sql::PING)
            .first::<serde_json::Value>(None)
            .await?;
        Ok(())
    }

    /// Whether a WhatsApp message was already handled to the end.
    pub async fn is_processed(&self, message_id: &str) -> Result<bool, AppError> {
        let row = self
            .prepare(sql::IS_PROCESSED, &[text(message_id)])?
            .first::<serde_json::Value>(None)
            .await?;
        Ok(row.is_some())
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

    /// Creates the development customer if it is missing (with default
    /// categories and a subscription), binds `phone_number_id` to it, and
    /// links the sender as a user. Every insert ignores rows that exist.
    pub async fn bootstrap(
        &self,
        customer_id: &str,
        phone_number_id: &str,
        address: &str,
        display_name: Option<&str>,
    ) -> Result<(), AppError> {
        let language = Language::Spanish;
        let account_id = format!("acct-{phone_number_id}");
        // Derived from the sender, so that concurrent first messages create
        // one user, not one each.
        let user_id = stable_id("user", &[customer_id, phone_number_id, address]);
        let mut statements = vec![
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
        for (position, category) in categories::defaults(language).iter().enumerate() {
            statements.push(self.prepare(
                sql::INSERT_CATEGORY,
                &[
                    text(&new_id()),
                    text(customer_id),
                    text(category.name),
                    text(&categories::keywords_column(category)),
                    integer(position as i64),
                ],
            )?);
        }
        self.db.batch(statements).await?;
        Ok(())
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

    /// The update that sets the category the user chose; it completes a
    /// pending expense and corrects a completed one, never a deleted one.
    pub fn set_category(
        &self,
        customer_id: &str,
        source_id: &str,
        category_id: &str,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::SET_CATEGORY,
            &[text(customer_id), text(source_id), text(category_id)],
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
