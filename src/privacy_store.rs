//! D1 and KV access for the privacy commands: the opt-out flag, the reads of
//! an export, and the reads and batch of a deletion.
//!
//! The decisions are in [`crate::privacy`]; this module only binds and runs
//! statements. Conversation state keys come from [`platform::state_key`].

use serde::Deserialize;
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, KvStore};

use crate::error::AppError;
use crate::platform;
use crate::privacy::export::{self, Export, Params, Section};
use crate::privacy::{self, DeletionPlan, MemberDeletion, Statement};
use crate::sql;

/// A channel identity of the user being exported or deleted.
#[derive(Debug, Clone, Deserialize)]
pub struct UserIdentity {
    pub id: String,
    /// `whatsapp` or `email`.
    pub kind: String,
    /// E.164 digits without `+`, or an email address.
    pub address: String,
}

/// The facts a deletion question shows the user before they confirm.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub mode: MemberDeletion,
    /// Expenses the user recorded.
    pub expenses: u32,
}

/// The privacy statements over the `DB` binding.
pub struct PrivacyStore {
    db: D1Database,
}

fn bind(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

impl PrivacyStore {
    pub fn new(db: D1Database) -> PrivacyStore {
        PrivacyStore { db }
    }

    /// Prepares `sql` with `params` bound. Like `Store::prepare`, it takes
    /// only a constant, so no value can be formatted into the SQL.
    fn prepare(
        &self,
        sql: &'static str,
        params: &[Option<&str>],
    ) -> Result<D1PreparedStatement, AppError> {
        let values: Vec<JsValue> = params.iter().map(|value| bind(*value)).collect();
        Ok(self.db.prepare(sql).bind(&values)?)
    }

    async fn rows(
        &self,
        sql: &'static str,
        params: &[Option<&str>],
    ) -> Result<Vec<Map<String, Value>>, AppError> {
        Ok(self
            .prepare(sql, params)?
            .all()
            .await?
            .results::<Map<String, Value>>()?)
    }

    /// Prepares the update that sets or clears a user's opt-out, to be
    /// committed with the message's ledger row.
    pub fn set_opted_out(
        &self,
        customer_id: &str,
        user_id: &str,
        opted_out: bool,
    ) -> Result<D1PreparedStatement, AppError> {
        let sql = if opted_out {
            sql::SET_OPTED_OUT
        } else {
            sql::CLEAR_OPTED_OUT
        };
        self.prepare(sql, &[Some(customer_id), Some(user_id)])
    }

    /// Reads the customer's deletion mode and the user's expense count;
    /// `None` when the customer does not exist.
    pub async fn summary(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> Result<Option<Summary>, AppError> {
        #[derive(Deserialize)]
        struct Row {
            member_deletion: String,
            expenses: f64,
        }
        let row = self
            .prepare(sql::PRIVACY_SUMMARY, &[Some(customer_id), Some(user_id)])?
            .first::<Row>(None)
            .await?;
        Ok(row.map(|row| Summary {
            mode: MemberDeletion::parse(&row.member_deletion),
            expenses: row.expenses as u32,
        }))
    }

    /// Reads the user's identities, oldest first.
    pub async fn identities(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> Result<Vec<UserIdentity>, AppError> {
        Ok(self
            .prepare(
                sql::PRIVACY_USER_IDENTITIES,
                &[Some(customer_id), Some(user_id)],
            )?
            .all()
            .await?
            .results::<UserIdentity>()?)
    }

    /// Reads the customer's ledger rows (`message_id`, `outcome`,
    /// `received_at`) of messages whose wamid encodes one of `identities`'
    /// phone numbers.
    pub async fn ledger_rows(
        &self,
        customer_id: &str,
        identities: &[UserIdentity],
    ) -> Result<Vec<Map<String, Value>>, AppError> {
        let mut found = Vec::new();
        for identity in identities.iter().filter(|i| i.kind == "whatsapp") {
            let Some(prefix) = privacy::wamid_search_prefix(&identity.address) else {
                continue;
            };
            let rows = self
                .rows(
                    sql::PRIVACY_LEDGER_CANDIDATES,
                    &[Some(customer_id), Some(&prefix)],
                )
                .await?;
            for row in rows {
                let id = row.get("message_id").and_then(Value::as_str);
                if id.and_then(privacy::wamid_phone).as_deref() == Some(identity.address.as_str()) {
                    found.push(row);
                }
            }
        }
        Ok(found)
    }

    /// Reads everything a deletion of the user touches; `None` when the
    /// customer does not exist.
    pub async fn plan(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> Result<Option<(DeletionPlan, Summary)>, AppError> {
        let Some(summary) = self.summary(customer_id, user_id).await? else {
            return Ok(None);
        };
        let identities = self.identities(customer_id, user_id).await?;
        let ledger_ids = self
            .ledger_rows(customer_id, &identities)
            .await?
            .iter()
            .filter_map(|row| row.get("message_id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        let plan = DeletionPlan {
            customer_id: customer_id.to_owned(),
            user_id: Some(user_id.to_owned()),
            mode: summary.mode,
            identity_ids: identities.iter().map(|i| i.id.clone()).collect(),
            addresses: identities.iter().map(|i| i.address.clone()).collect(),
            ledger_ids,
        };
        Ok(Some((plan, summary)))
    }

    /// Prepares the statements of a deletion, in order.
    pub fn deletion(&self, plan: &DeletionPlan) -> Result<Vec<D1PreparedStatement>, AppError> {
        privacy::deletion_statements(plan)
            .iter()
            .map(|Statement { sql, params }| {
                let params: Vec<Option<&str>> = params.iter().map(Option::as_deref).collect();
                self.prepare(sql, &params)
            })
            .collect()
    }

    /// Reads everything kept about the user: the sections of
    /// [`export::QUERIES`], the ledger rows of their messages, and their open
    /// conversation state from `kv`. `None` when the user does not exist,
    /// such as after a deletion.
    pub async fn export(
        &self,
        kv: &KvStore,
        customer_id: &str,
        user_id: &str,
        generated_at: String,
    ) -> Result<Option<Export>, AppError> {
        let mut sections = Vec::with_capacity(export::QUERIES.len() + 2);
        for query in &export::QUERIES {
            let params = match query.params {
                Params::Customer => vec![Some(customer_id)],
                Params::CustomerUser => vec![Some(customer_id), Some(user_id)],
            };
            let rows = self.rows(query.sql, &params).await?;
            if query.section == "user" && rows.is_empty() {
                return Ok(None);
            }
            sections.push(Section {
                name: query.section,
                columns: query.columns,
                rows,
            });
        }

        let identities = self.identities(customer_id, user_id).await?;
        sections.push(Section {
            name: export::MESSAGES,
            columns: export::MESSAGE_COLUMNS,
            rows: self.ledger_rows(customer_id, &identities).await?,
        });
        let mut states = Vec::new();
        for identity in &identities {
            let key = platform::state_key(customer_id, &identity.id);
            let value = kv
                .get(&key)
                .text()
                .await
                .map_err(|error| AppError::Storage(error.to_string()))?;
            if let Some(text) = value {
                let state = serde_json::from_str(&text).unwrap_or(Value::String(text));
                let mut row = Map::new();
                row.insert("identity_id".into(), identity.id.clone().into());
                row.insert("state".into(), state);
                states.push(row);
            }
        }
        sections.push(Section {
            name: export::CONVERSATION_STATE,
            columns: export::STATE_COLUMNS,
            rows: states,
        });

        Ok(Some(Export {
            customer_id: customer_id.to_owned(),
            user_id: user_id.to_owned(),
            generated_at,
            sections,
        }))
    }
}
