//! D1 glue of the commands about recorded expenses.
//!
//! [`Ledger::answer`] performs the reads that the flow asks for with
//! [`Effect::LoadLedger`], with the exchange-rate tables a summary or a
//! budget check needs; [`Ledger::statements`] turns the flow's ledger
//! effects (changes to expenses, budgets, budget alerts, merchant rules an
//! edit teaches or an undo points back) into statements for the message's
//! one commit batch, so that a duplicate delivery fails with the ledger row
//! and changes nothing. What a command means and replies is decided in
//! [`crate::commands`]; the SQL is in [`crate::sql`].

use serde::Deserialize;
use worker::D1PreparedStatement;

use crate::commands::{
    BudgetAlert, BudgetCheck, BudgetStatus, ChangeKind, Edit, ExpenseChange, ExpenseRecord,
    ExpenseRow, LedgerAnswer, LedgerQuery, MonthSummary, PastChange, Period, Scope, Status,
    UndoTarget, Values, RECENT_COUNT,
};
use crate::config::Config;
use crate::error::AppError;
use crate::events;
use crate::flow::{Effect, Turn};
use crate::fx::{self, Tables};
use crate::fx_rates::RateBook;
use crate::money::{Currency, Money};
use crate::report::{self, Line};
use crate::sql;
use crate::store::{integer, new_id, optional, text, Store};
use crate::token;

/// Pending expenses read to find the oldest one that this message leaves
/// pending: the message may be completing or deleting the first few.
const PENDING_CANDIDATES: i64 = 5;

/// The reads and writes of one message, on behalf of one user.
pub struct Ledger<'a> {
    pub store: &'a Store,
    pub customer_id: &'a str,
    /// The sender's user. `None` matches the expenses that have no user.
    pub user_id: Option<&'a str>,
    /// The WhatsApp message id, recorded with each change.
    pub message_id: &'a str,
    /// The message's exchange-rate tables, loaded on first use.
    pub rates: &'a RateBook<'a>,
}

impl Ledger<'_> {
    /// Answers a query of the flow. `settled` contains the effects this message
    /// has produced so far, so that an expense it completes or deletes is not
    /// asked about again as a stale pending one.
    ///
    /// # Errors
    ///
    /// [`AppError::Storage`] when D1 fails; the message is then retried.
    pub async fn answer(
        &self,
        query: &LedgerQuery,
        turn: &Turn<'_>,
        config: &Config,
        settled: &[Effect],
    ) -> Result<LedgerAnswer, AppError> {
        let answer = match query {
            LedgerQuery::Last(_) => LedgerAnswer::Expenses(self.recent(1).await?),
            LedgerQuery::Recent(_) => LedgerAnswer::Expenses(self.recent(RECENT_COUNT).await?),
            LedgerQuery::Expense { id, .. } => {
                let statement = self.store.prepare(
                    sql::EXPENSE_OF_USER,
                    &[text(self.customer_id), optional(self.user_id), text(id)],
                )?;
                LedgerAnswer::Expenses(expenses(statement).await?)
            }
            LedgerQuery::Pick { source_id, .. } => {
                let statement = self.store.prepare(
                    sql::EXPENSE_BY_SOURCE,
                    &[text(self.customer_id), text(source_id)],
                )?;
                LedgerAnswer::Expenses(expenses(statement).await?)
            }
            LedgerQuery::UndoTarget => LedgerAnswer::Undo(self.undo_target().await?),
            LedgerQuery::OldestPending => {
                LedgerAnswer::Expenses(self.oldest_pending(settled).await?)
            }
            LedgerQuery::Budgets(checks) => {
                let mut statuses = Vec::with_capacity(checks.len());
                for check in checks {
                    if let Some(status) = self.budget_status(check).await? {
                        statuses.push(status);
                    }
                }
                let amounts = statuses
                    .iter()
                    .flat_map(|status| status.spent.iter().chain(&status.check.added))
                    .copied();
                let rates = self.rates_for(amounts, turn).await;
                LedgerAnswer::Budgets { statuses, rates }
            }
            LedgerQuery::Summary { period, scope } => {
                let user_id = match scope {
                    Scope::Mine => self.user_id,
                    Scope::Household => None,
                };
                let lines = month_lines(self.store, self.customer_id, user_id, *period).await?;
                let link = report_link(config, self.customer_id, user_id, *period, turn.now);
                let amounts = lines.iter().map(|line| (line.spent_on, line.amount));
                let rates = self.rates_for(amounts, turn).await;
                LedgerAnswer::Summary(Box::new(MonthSummary {
                    period: *period,
                    scope: *scope,
                    lines,
                    budgets: self.budgets().await?,
                    link,
                    rates,
                }))
            }
        };
        Ok(answer)
    }

    /// The statements of a ledger effect, in the order they must run; none
    /// for other effects.
    ///
    /// # Errors
    ///
    /// [`AppError::Storage`] when a statement cannot be bound.
    pub fn statements(&self, effect: &Effect) -> Result<Vec<D1PreparedStatement>, AppError> {
        let customer = text(self.customer_id);
        let statements = match effect {
            Effect::ChangeExpense(change) => self.change_statements(change)?,
            Effect::SetBudget {
                category_id,
                budget_minor,
            } => {
                let budget = budget_minor.map_or(wasm_bindgen::JsValue::NULL, integer);
                vec![self.store.prepare(
                    sql::SET_CATEGORY_BUDGET,
                    &[customer, text(category_id), budget],
                )?]
            }
            Effect::RecordBudgetAlert(BudgetAlert {
                category_id,
                period,
                threshold,
                budget_minor,
                spent_minor,
            }) => vec![self.store.prepare(
                sql::RECORD_BUDGET_ALERT,
                &[
                    customer,
                    text(category_id),
                    text(&period.key()),
                    integer(i64::from(*threshold)),
                    integer(*budget_minor),
                    integer(*spent_minor),
                    text(self.message_id),
                ],
            )?],
            Effect::LearnRule {
                merchant,
                category_id,
            } => vec![self
                .store
                .learn_rule(self.customer_id, merchant, category_id)?],
            Effect::RevertRule { merchant, from, to } => {
                let statement = match to {
                    Some(to) => self.store.prepare(
                        sql::REPOINT_MERCHANT_RULE,
                        &[customer, text(merchant), text(from), text(to)],
                    )?,
                    None => self.store.prepare(
                        sql::FORGET_MERCHANT_RULE,
                        &[customer, text(merchant), text(from)],
                    )?,
                };
                vec![statement]
            }
            _ => Vec::new(),
        };
        Ok(statements)
    }

    /// Loads the rate tables against the home currency for the dates of
    /// `amounts` that are in another currency, and none when all are home
    /// ones.
    async fn rates_for(
        &self,
        amounts: impl IntoIterator<Item = (chrono::NaiveDate, Money)>,
        turn: &Turn<'_>,
    ) -> Tables {
        let home = turn.customer.home_currency;
        let dates = fx::dates_to_convert(amounts, home);
        if dates.is_empty() {
            return Tables::new();
        }
        self.rates.tables(home, &dates).await
    }

    /// Records the expense's values, then changes it: D1 runs a batch in
    /// order, so the record contains the values from before the change.
    fn change_statements(
        &self,
        change: &ExpenseChange,
    ) -> Result<Vec<D1PreparedStatement>, AppError> {
        let customer = || text(self.customer_id);
        let expense = || text(&change.expense_id);
        let reverts = match &change.kind {
            ChangeKind::Revert { change_id } => Some(change_id.as_str()),
            _ => None,
        };
        let record = self.store.prepare(
            sql::RECORD_EXPENSE_CHANGE,
            &[
                text(&new_id()),
                customer(),
                expense(),
                optional(self.user_id),
                text(change.kind.action()),
                optional(reverts),
                text(self.message_id),
            ],
        )?;
        let (statement, value) = match &change.kind {
            ChangeKind::Edit(Edit::Amount(amount)) => {
                let apply = self.store.prepare(
                    sql::SET_EXPENSE_AMOUNT,
                    &[
                        customer(),
                        expense(),
                        integer(amount.minor),
                        text(amount.currency.code()),
                    ],
                )?;
                return Ok(vec![record, apply]);
            }
            ChangeKind::Edit(Edit::Category(category_id)) => {
                (sql::SET_EXPENSE_CATEGORY, Some(category_id.clone()))
            }
            ChangeKind::Edit(Edit::Date(day)) => (
                sql::SET_EXPENSE_DATE,
                Some(day.format("%Y-%m-%d").to_string()),
            ),
            ChangeKind::Edit(Edit::Description(description)) => {
                (sql::SET_EXPENSE_DESCRIPTION, Some(description.clone()))
            }
            ChangeKind::Delete | ChangeKind::UndoRecording => (sql::DELETE_EXPENSE, None),
            ChangeKind::Revert { change_id } => (sql::REVERT_EXPENSE, Some(change_id.clone())),
        };
        let mut values = vec![customer(), expense()];
        values.extend(value.as_deref().map(text));
        Ok(vec![record, self.store.prepare(statement, &values)?])
    }

    async fn recent(&self, count: usize) -> Result<Vec<ExpenseRecord>, AppError> {
        let statement = self.store.prepare(
            sql::RECENT_EXPENSES,
            &[
                text(self.customer_id),
                optional(self.user_id),
                integer(i64::try_from(count).unwrap_or(i64::MAX)),
            ],
        )?;
        expenses(statement).await
    }

    /// The oldest pending expense that no effect of this message settles.
    async fn oldest_pending(&self, settled: &[Effect]) -> Result<Vec<ExpenseRecord>, AppError> {
        let statement = self.store.prepare(
            sql::OLDEST_PENDING_EXPENSES,
            &[
                text(self.customer_id),
                optional(self.user_id),
                integer(PENDING_CANDIDATES),
            ],
        )?;
        let found = expenses(statement).await?;
        let is_settled = |expense: &ExpenseRecord| {
            settled.iter().any(|effect| match effect {
                Effect::ChangeExpense(change) => change.expense_id == expense.id,
                _ => false,
            })
        };
        Ok(found
            .into_iter()
            .find(|expense| !is_settled(expense))
            .into_iter()
            .collect())
    }

    /// The user's latest change or recording, with the expense as it is now.
    async fn undo_target(&self) -> Result<Option<UndoTarget>, AppError> {
        #[derive(Deserialize)]
        struct Action {
            change_id: Option<String>,
            expense_id: String,
        }
        let action = self
            .store
            .prepare(
                sql::LATEST_ACTION,
                &[text(self.customer_id), optional(self.user_id)],
            )?
            .first::<Action>(None)
            .await?;
        let Some(action) = action else {
            return Ok(None);
        };
        let statement = self.store.prepare(
            sql::EXPENSE_BY_ID,
            &[text(self.customer_id), text(&action.expense_id)],
        )?;
        let Some(expense) = expenses(statement).await?.into_iter().next() else {
            return Ok(None);
        };
        let change = match action.change_id {
            Some(change_id) => match self.change_before(&change_id).await? {
                Some(change) => Some(change),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(UndoTarget { expense, change }))
    }

    async fn change_before(&self, change_id: &str) -> Result<Option<PastChange>, AppError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            amount_minor: f64,
            currency: String,
            spent_on: String,
            description: String,
            category_id: Option<String>,
            status: String,
        }
        let row = self
            .store
            .prepare(
                sql::CHANGE_BEFORE,
                &[text(self.customer_id), text(change_id)],
            )?
            .first::<Row>(None)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let before = (|| {
            Some(Values {
                amount: Money::new(row.amount_minor as i64, Currency::from_code(&row.currency)?),
                spent_on: chrono::NaiveDate::parse_from_str(&row.spent_on, "%Y-%m-%d").ok()?,
                description: row.description,
                category_id: row.category_id,
                status: Status::parse(&row.status)?,
            })
        })();
        match before {
            Some(before) => Ok(Some(PastChange { id: row.id, before })),
            None => {
                tracing::warn!(
                    event = events::LEDGER_ROW_UNREADABLE,
                    customer_id = self.customer_id,
                    change_id,
                    "expense change holds a currency or status this version does not know"
                );
                Ok(None)
            }
        }
    }

    /// Reads the budget of the check's category and its month's spending,
    /// or `None` when the category has no budget.
    async fn budget_status(&self, check: &BudgetCheck) -> Result<Option<BudgetStatus>, AppError> {
        #[derive(Deserialize)]
        struct State {
            budget_minor: f64,
            announced: Option<String>,
        }
        #[derive(Deserialize)]
        struct Amount {
            spent_on: String,
            currency: String,
            amount_minor: f64,
        }
        let period = check.period;
        let state = self
            .store
            .prepare(
                sql::BUDGET_STATE,
                &[
                    text(self.customer_id),
                    text(&check.category_id),
                    text(&period.key()),
                ],
            )?
            .first::<State>(None)
            .await?;
        let Some(state) = state else {
            return Ok(None);
        };
        let rows = self
            .store
            .prepare(
                sql::CATEGORY_MONTH_AMOUNTS,
                &[
                    text(self.customer_id),
                    text(&check.category_id),
                    text(&period.first_day().format("%Y-%m-%d").to_string()),
                    text(&period.last_day().format("%Y-%m-%d").to_string()),
                    optional(check.replaces.as_deref()),
                    integer(i64::try_from(report::MAX_LINES).unwrap_or(i64::MAX)),
                ],
            )?
            .all()
            .await?
            .results::<Amount>()?;
        let spent = rows
            .into_iter()
            .filter_map(|row| {
                let day = chrono::NaiveDate::parse_from_str(&row.spent_on, "%Y-%m-%d").ok()?;
                let currency = Currency::from_code(&row.currency)?;
                Some((day, Money::new(row.amount_minor as i64, currency)))
            })
            .collect();
        Ok(Some(BudgetStatus {
            check: check.clone(),
            budget_minor: state.budget_minor as i64,
            spent,
            announced: parse_thresholds(state.announced.as_deref()),
        }))
    }

    /// The customer's categories with a budget, as `(id, minor units)`.
    async fn budgets(&self) -> Result<Vec<(String, i64)>, AppError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            monthly_budget_minor: f64,
        }
        let rows = self
            .store
            .prepare(sql::CATEGORY_BUDGETS, &[text(self.customer_id)])?
            .all()
            .await?
            .results::<Row>()?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id, row.monthly_budget_minor as i64))
            .collect())
    }
}

/// Reads `group_concat` of thresholds (`80,100`).
fn parse_thresholds(column: Option<&str>) -> Vec<u32> {
    column
        .unwrap_or_default()
        .split(',')
        .filter_map(|value| value.trim().parse().ok())
        .collect()
}

/// Runs an expenses query; a row this version cannot read is logged and
/// skipped.
async fn expenses(statement: D1PreparedStatement) -> Result<Vec<ExpenseRecord>, AppError> {
    let rows = statement.all().await?.results::<ExpenseRow>()?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let id = row.id.clone();
            let record = row.into_record();
            if record.is_none() {
                tracing::warn!(
                    event = events::LEDGER_ROW_UNREADABLE,
                    expense_id = %id,
                    "expense holds a currency or status this version does not know"
                );
            }
            record
        })
        .collect())
}

/// The expenses of a month that are not deleted, oldest first: the
/// household's, or one user's when `user_id` is set. At most
/// [`report::MAX_LINES`].
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails.
pub async fn month_lines(
    store: &Store,
    customer_id: &str,
    user_id: Option<&str>,
    period: Period,
) -> Result<Vec<Line>, AppError> {
    #[derive(Deserialize)]
    struct Row {
        spent_on: String,
        description: String,
        merchant: Option<String>,
        category_id: Option<String>,
        category: Option<String>,
        amount_minor: f64,
        currency: String,
    }
    let rows = store
        .prepare(
            sql::MONTH_EXPENSES,
            &[
                text(customer_id),
                text(&period.first_day().format("%Y-%m-%d").to_string()),
                text(&period.last_day().format("%Y-%m-%d").to_string()),
                optional(user_id),
                integer(i64::try_from(report::MAX_LINES).unwrap_or(i64::MAX)),
            ],
        )?
        .all()
        .await?
        .results::<Row>()?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Line {
                spent_on: chrono::NaiveDate::parse_from_str(&row.spent_on, "%Y-%m-%d").ok()?,
                description: row.description,
                merchant: row.merchant,
                category_id: row.category_id,
                category: row.category,
                amount: Money::new(row.amount_minor as i64, Currency::from_code(&row.currency)?),
            })
        })
        .collect())
}

/// A signed link to the month's report, or `None` when `LINK_SIGNING_KEY` or
/// `PUBLIC_BASE_URL` is not set; the summary then goes without one.
fn report_link(
    config: &Config,
    customer_id: &str,
    user_id: Option<&str>,
    period: Period,
    now: i64,
) -> Option<String> {
    let (Some(key), Some(base_url)) = (&config.link_signing_key, &config.public_base_url) else {
        tracing::warn!(
            event = events::REPORT_LINK_UNAVAILABLE,
            customer_id,
            signing_key = config.link_signing_key.is_some(),
            public_base_url = config.public_base_url.is_some(),
            "LINK_SIGNING_KEY or PUBLIC_BASE_URL is not set; summary sent without a report link"
        );
        return None;
    };
    // A v4 UUID carries 122 random bits from crypto.getRandomValues.
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let claims = report::claims(customer_id, user_id, period, now, nonce);
    Some(report::link(base_url, &token::sign(key, &claims)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_from_group_concat() {
        let cases: [(Option<&str>, Vec<u32>); 4] = [
            (None, vec![]),
            (Some(""), vec![]),
            (Some("80"), vec![80]),
            (Some("80,100"), vec![80, 100]),
        ];
        for (column, expected) in cases {
            assert_eq!(parse_thresholds(column), expected, "{column:?}");
        }
    }
}
