//! D1 access for recurring rules, reminders and the 24-hour window. The SQL
//! is in [`crate::sql`]; this is the binding side.

use chrono::NaiveDate;
use serde::Deserialize;
use worker::D1PreparedStatement;

use crate::error::AppError;
use crate::events;
use crate::flow::NewExpense;
use crate::money::{Currency, Money};
use crate::recurring::chat::Action;
use crate::recurring::{Frequency, NewRule, Rule, RuleStatus};
use crate::sql;
use crate::store::{integer, new_id, optional, text, Store};

/// A `recurring_rules` row. D1 numbers arrive as floats.
#[derive(Debug, Deserialize)]
pub(crate) struct RuleRow {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) customer_id: Option<String>,
    #[serde(default)]
    pub(crate) user_id: Option<String>,
    description: String,
    merchant: Option<String>,
    amount_minor: f64,
    currency: String,
    frequency: String,
    day: f64,
    #[serde(default = "active")]
    status: String,
    active_from: String,
    last_occurrence_on: Option<String>,
}

fn active() -> String {
    "active".to_owned()
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

impl RuleRow {
    /// The rule, or `None` (logged) when a column holds a value this version
    /// does not know.
    pub(crate) fn into_rule(self) -> Option<Rule> {
        let rule = (|| {
            Some(Rule {
                amount: Money::new(
                    self.amount_minor as i64,
                    Currency::from_code(&self.currency)?,
                ),
                frequency: Frequency::from_columns(&self.frequency, self.day as u32)?,
                status: RuleStatus::parse(&self.status)?,
                active_from: date(&self.active_from)?,
                last_occurrence_on: match &self.last_occurrence_on {
                    Some(text) => Some(date(text)?),
                    None => None,
                },
                id: self.id.clone(),
                description: self.description.clone(),
                merchant: self.merchant.clone(),
            })
        })();
        if rule.is_none() {
            tracing::warn!(event = events::RULE_UNREADABLE, rule_id = %self.id, "recurring rule has a value this version cannot read; skipped");
        }
        rule
    }
}

/// Where proactive messages to a member go, and whether and how they may be
/// sent there.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Recipient {
    pub(crate) identity_id: String,
    pub(crate) user_id: Option<String>,
    /// E.164 digits without `+`.
    pub(crate) phone: String,
    pub(crate) phone_number_id: String,
    pub(crate) last_inbound_at: Option<String>,
    pub(crate) window_closed_at: Option<String>,
    pub(crate) opted_out_at: Option<String>,
}

impl Store {
    /// The insert of a rule created in chat.
    pub(crate) fn insert_rule(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
        rule: &NewRule,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(
            sql::INSERT_RECURRING_RULE,
            &[
                text(&new_id()),
                text(customer_id),
                optional(user_id),
                text(&rule.description),
                optional(rule.merchant.as_deref()),
                integer(rule.amount.minor),
                text(rule.amount.currency.code()),
                text(rule.frequency.as_str()),
                integer(i64::from(rule.frequency.day_column())),
                text(&rule.active_from.format("%Y-%m-%d").to_string()),
            ],
        )
    }

    /// The customer's rules that are not deleted, oldest first.
    pub(crate) async fn recurring_rules(&self, customer_id: &str) -> Result<Vec<Rule>, AppError> {
        let rows = self
            .prepare(sql::RECURRING_RULES, &[text(customer_id)])?
            .all()
            .await?
            .results::<RuleRow>()?;
        Ok(rows.into_iter().filter_map(RuleRow::into_rule).collect())
    }

    /// The update that pauses, resumes (from `today`) or deletes a rule.
    pub(crate) fn change_rule(
        &self,
        customer_id: &str,
        rule_id: &str,
        action: Action,
        today: NaiveDate,
    ) -> Result<D1PreparedStatement, AppError> {
        let (customer_id, rule_id) = (text(customer_id), text(rule_id));
        match action {
            Action::Pause => self.prepare(sql::PAUSE_RECURRING_RULE, &[customer_id, rule_id]),
            Action::Resume => self.prepare(
                sql::RESUME_RECURRING_RULE,
                &[
                    customer_id,
                    rule_id,
                    text(&today.format("%Y-%m-%d").to_string()),
                ],
            ),
            Action::Delete => self.prepare(sql::DELETE_RECURRING_RULE, &[customer_id, rule_id]),
        }
    }

    /// The upsert of a member's daily reminder hour (`None` turns it off).
    pub(crate) fn set_daily_reminder(
        &self,
        customer_id: &str,
        user_id: &str,
        hour: Option<u32>,
    ) -> Result<D1PreparedStatement, AppError> {
        let hour = hour.map_or(wasm_bindgen::JsValue::NULL, |hour| integer(i64::from(hour)));
        self.prepare(
            sql::SET_DAILY_REMINDER,
            &[text(user_id), text(customer_id), hour],
        )
    }

    /// The update that records an inbound message's time on its identity.
    pub(crate) fn touch_identity(
        &self,
        identity_id: &str,
    ) -> Result<D1PreparedStatement, AppError> {
        self.prepare(sql::TOUCH_IDENTITY, &[text(identity_id)])
    }

    /// One page of active rules with their customers, after `after_id`.
    pub(crate) async fn active_rules(
        &self,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<RuleRow>, AppError> {
        Ok(self
            .prepare(
                sql::ACTIVE_RECURRING_RULES,
                &[integer(i64::from(limit)), text(after_id)],
            )?
            .all()
            .await?
            .results::<RuleRow>()?)
    }

    /// Records one occurrence and moves the rule's last occurrence forward,
    /// in one batch. Returns whether the expense is new: `false` when it was
    /// recorded before or the rule stopped being active.
    pub(crate) async fn record_occurrence(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
        rule_id: &str,
        expense: &NewExpense,
    ) -> Result<bool, AppError> {
        let draft = &expense.draft;
        let spent_on = draft.spent_on.format("%Y-%m-%d").to_string();
        let insert = self.prepare(
            sql::INSERT_OCCURRENCE,
            &[
                text(&new_id()),
                text(customer_id),
                optional(user_id),
                integer(draft.amount.minor),
                text(draft.amount.currency.code()),
                text(&spent_on),
                text(&draft.description),
                optional(draft.merchant.as_deref()),
                optional(expense.category_id.as_deref()),
                text(expense.status.as_str()),
                wasm_bindgen::JsValue::from_f64(expense.confidence.clamp(0.0, 1.0)),
                text(expense.classifier.as_str()),
                text("recurring"),
                text(&expense.source_id),
                text(rule_id),
            ],
        )?;
        let mark = self.prepare(
            sql::MARK_OCCURRENCE,
            &[text(customer_id), text(rule_id), text(&spent_on)],
        )?;
        let results = self.db().batch(vec![insert, mark]).await?;
        let changes = results
            .first()
            .and_then(|result| result.meta().ok().flatten())
            .and_then(|meta| meta.changes)
            .unwrap_or(0);
        Ok(changes > 0)
    }

    /// The WhatsApp identity proactive messages for `user_id` go to (the
    /// owner's when `None`).
    pub(crate) async fn proactive_recipient(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
    ) -> Result<Option<Recipient>, AppError> {
        Ok(self
            .prepare(
                sql::PROACTIVE_RECIPIENT,
                &[text(customer_id), optional(user_id)],
            )?
            .first::<Recipient>(None)
            .await?)
    }

    /// One page of members whose daily reminder is on, after `after_id`.
    pub(crate) async fn daily_reminders(
        &self,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<DailyReminderRow>, AppError> {
        Ok(self
            .prepare(
                sql::DAILY_REMINDERS,
                &[integer(i64::from(limit)), text(after_id)],
            )?
            .all()
            .await?
            .results::<DailyReminderRow>()?)
    }

    /// How many expenses a member recorded themselves since `since` (a
    /// `created_at` timestamp).
    pub(crate) async fn expenses_logged_since(
        &self,
        customer_id: &str,
        user_id: &str,
        since: &str,
    ) -> Result<u32, AppError> {
        self.count_expenses(
            sql::EXPENSES_LOGGED_SINCE,
            &[text(customer_id), text(user_id), text(since)],
        )
        .await
    }

    /// Claims a reminder; `false` when it was claimed before.
    pub(crate) async fn claim_reminder(
        &self,
        customer_id: &str,
        user_id: &str,
        kind: &str,
        key: &str,
    ) -> Result<bool, AppError> {
        let result = self
            .prepare(
                sql::CLAIM_REMINDER,
                &[text(customer_id), text(user_id), text(kind), text(key)],
            )?
            .run()
            .await?;
        let changes = result.meta().ok().flatten().and_then(|meta| meta.changes);
        Ok(changes.unwrap_or(0) > 0)
    }

    /// Records how a claimed reminder went.
    pub(crate) async fn finish_reminder(
        &self,
        user_id: &str,
        kind: &str,
        key: &str,
        outcome: &str,
    ) -> Result<(), AppError> {
        self.prepare(
            sql::FINISH_REMINDER,
            &[text(user_id), text(kind), text(key), text(outcome)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Records that the identity's 24-hour window was found closed (131047).
    pub(crate) async fn record_window_closed(&self, identity_id: &str) -> Result<(), AppError> {
        self.prepare(sql::RECORD_WINDOW_CLOSED, &[text(identity_id)])?
            .run()
            .await?;
        Ok(())
    }
}

/// A member whose daily reminder is on.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DailyReminderRow {
    pub(crate) user_id: String,
    pub(crate) customer_id: String,
    pub(crate) daily_hour: f64,
    pub(crate) time_zone: String,
}
