//! Budget checks of expenses recorded outside a chat turn: receipts that
//! come by email and recurring occurrences that the Cron Trigger records.
//!
//! The rule is the chat's, decided by [`commands::respond`]: an alert when a
//! category's spending of the month is at or above a threshold not yet
//! announced for that month and budget, recorded in `budget_alerts` so that
//! each goes out once. [`check`] reads the budgets before the expense is
//! committed, as a chat turn does. The callers run it only where a message
//! that is not a reply is allowed (the user did not opt out and wrote in the
//! last 24 hours), and commit the alerts it returns only when they send
//! them. Elsewhere nothing is checked or recorded, and [`log_deferred`]
//! notes it, so the next chat turn that adds to the category announces the
//! threshold.

use worker::D1PreparedStatement;

use crate::commands::{self, LedgerQuery};
use crate::config::Config;
use crate::error::AppError;
use crate::events;
use crate::flow::{Effect, Turn};
use crate::ledger_store::Ledger;

/// The outcome of a budget check: the alerts to record, and the replies and
/// log events that announce them.
#[derive(Default)]
pub struct Alerts {
    /// `budget_alerts` inserts, to commit with or after the expense.
    pub statements: Vec<D1PreparedStatement>,
    /// Alert texts, notes about amounts left out of a budget, and
    /// `budget.alert_sent` events.
    pub effects: Vec<Effect>,
}

impl Alerts {
    /// Returns whether the check has nothing to record or send.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty() && self.effects.is_empty()
    }
}

/// Returns the budget queries among a flow's effects.
pub fn budget_queries(effects: &[Effect]) -> Vec<LedgerQuery> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::LoadLedger(query @ LedgerQuery::Budgets(_)) => Some(query.clone()),
            _ => None,
        })
        .collect()
}

/// Runs budget queries and returns the alerts they raise.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails.
pub async fn check(
    ledger: &Ledger<'_>,
    turn: &Turn<'_>,
    config: &Config,
    queries: Vec<LedgerQuery>,
) -> Result<Alerts, AppError> {
    let mut alerts = Alerts::default();
    for query in queries {
        let answer = ledger.answer(&query, turn, config, &[]).await?;
        for effect in commands::respond(query, answer, turn).effects {
            match effect {
                Effect::RecordBudgetAlert(_) => {
                    alerts.statements.extend(ledger.statements(&effect)?);
                }
                Effect::Reply(_) | Effect::Log(_) => alerts.effects.push(effect),
                // A budget answer raises nothing else.
                _ => {}
            }
        }
    }
    Ok(alerts)
}

/// Logs that an expense's budget check waits for the next chat turn,
/// because its user cannot be sent a message now (`reason`: `no_recipient`,
/// `opted_out` or `window_closed`, or `unreachable` for an emailed receipt,
/// whose path logs the cause beside it).
pub fn log_deferred(customer_id: &str, message_id: &str, reason: &'static str) {
    tracing::info!(
        event = events::BUDGET_CHECK_DEFERRED,
        customer_id,
        message_id,
        reason,
        "budget check left for the next chat turn; the user cannot be messaged now"
    );
}
