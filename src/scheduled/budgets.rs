//! The budget check of a recurring occurrence: read before the occurrence
//! is recorded, as a chat turn reads it before its commit, and announced to
//! the member right after it, with the occurrence's own confirmation.

use crate::budget_alerts::{self, Alerts};
use crate::commands;
use crate::events;
use crate::flow::{Effect, ExpenseStatus, NewExpense, Turn};
use crate::fx_rates::RateBook;
use crate::kapso::client::SendOutcome;
use crate::ledger_store::Ledger;
use crate::runner;

use super::send;
use super::store::Recipient;
use super::Run;

/// The `kind` of the proactive-message events that a budget alert logs.
const KIND: &str = "budget_alert";

/// Alerts decided for an occurrence and the member to send them to.
pub(super) struct Checked {
    recipient: Recipient,
    alerts: Alerts,
    source_id: String,
}

/// Checks the budget of an occurrence about to be recorded as completed,
/// when its member can be sent a message now (they did not opt out and their
/// 24-hour window is open). Returns the alerts to announce once the
/// occurrence is recorded. Returns `None` when there are none, or when the
/// member cannot be told, which is logged so that the next chat turn in the
/// category announces them. Logs every failure and never fails.
pub(super) async fn check(
    context: &mut Run<'_>,
    turn: &Turn<'_>,
    user_id: Option<&str>,
    expense: &NewExpense,
) -> Option<Checked> {
    if expense.status != ExpenseStatus::Completed {
        return None;
    }
    let category_id = expense.category_id.as_deref()?;
    let draft = &expense.draft;
    let query = commands::budget_query([(category_id, draft.amount, draft.spent_on)])?;
    let customer_id = turn.customer.id.as_str();
    let source_id = expense.source_id.as_str();

    let recipient = match context
        .store
        .proactive_recipient(customer_id, user_id)
        .await
    {
        Ok(Some(recipient)) => recipient,
        Ok(None) => {
            budget_alerts::log_deferred(customer_id, source_id, "no_recipient");
            return None;
        }
        Err(error) => {
            context.tally.failures += 1;
            tracing::error!(event = events::SCHEDULED_RUN_FAILED, stage = "budget", customer_id, source_message_id = source_id, error = %error, "recipient not read; the budget alert waits for the next chat turn");
            return None;
        }
    };
    if !send::may_contact(&recipient) {
        budget_alerts::log_deferred(customer_id, source_id, "opted_out");
        return None;
    }
    if !send::window_open(&recipient, context.now.timestamp()) {
        budget_alerts::log_deferred(customer_id, source_id, "window_closed");
        return None;
    }

    let rates = RateBook::for_message(context.env, context.config, js_sys::Date::now());
    let ledger = Ledger {
        store: context.store,
        customer_id,
        user_id,
        message_id: source_id,
        rates: &rates,
    };
    match budget_alerts::check(&ledger, turn, context.config, vec![query]).await {
        Ok(alerts) if alerts.is_empty() => None,
        Ok(alerts) => Some(Checked {
            recipient,
            alerts,
            source_id: source_id.to_owned(),
        }),
        Err(error) => {
            context.tally.failures += 1;
            tracing::error!(event = events::SCHEDULED_RUN_FAILED, stage = "budget", customer_id, source_message_id = source_id, error = %error, "budget not read; the alert waits for the next chat turn");
            None
        }
    }
}

/// Records the alerts of a recorded occurrence in `budget_alerts`, then
/// sends them. Nothing is sent when recording fails, so the next chat turn
/// announces them instead. Logs every outcome and never fails.
pub(super) async fn announce(context: &mut Run<'_>, customer_id: &str, checked: Checked) {
    let Checked {
        recipient,
        alerts,
        source_id,
    } = checked;
    if !alerts.statements.is_empty() {
        if let Err(error) = context.store.db().batch(alerts.statements).await {
            context.tally.failures += 1;
            tracing::error!(event = events::SCHEDULED_RUN_FAILED, stage = "budget", customer_id, source_message_id = %source_id, error = %error, "budget alert not recorded; not sent");
            return;
        }
    }
    let Some(kapso) = context.config.kapso.clone() else {
        tracing::warn!(
            event = events::KAPSO_NOT_CONFIGURED,
            customer_id,
            kind = KIND,
            "KAPSO_API_KEY missing; budget alert not sent"
        );
        return;
    };
    for effect in alerts.effects {
        match effect {
            Effect::Reply(message) => match send::send(&kapso, &recipient, &message).await {
                SendOutcome::Sent { .. } => {
                    context.tally.reminders += 1;
                    tracing::info!(
                        event = events::REMINDER_SENT,
                        customer_id,
                        kind = KIND,
                        channel = "text",
                        "budget alert sent"
                    );
                }
                SendOutcome::WindowClosed => {
                    tracing::warn!(
                        event = events::REMINDER_WINDOW_CLOSED,
                        customer_id,
                        kind = KIND,
                        channel = "text",
                        "kapso answered 131047: the 24-hour window is closed; the budget alert is not retried"
                    );
                    if let Err(error) = context
                        .store
                        .record_window_closed(&recipient.identity_id)
                        .await
                    {
                        tracing::error!(event = events::REMINDER_FAILED, customer_id, kind = KIND, error = %error, "closed window not recorded");
                    }
                    return;
                }
                SendOutcome::Rejected { status, code } => {
                    context.tally.failures += 1;
                    tracing::error!(
                        event = events::REMINDER_FAILED,
                        customer_id,
                        kind = KIND,
                        status,
                        code,
                        "kapso rejected the budget alert"
                    );
                    return;
                }
                SendOutcome::Unreachable(error) => {
                    context.tally.failures += 1;
                    tracing::error!(event = events::REMINDER_FAILED, customer_id, kind = KIND, error = %error, "kapso unreachable; budget alert not sent");
                    return;
                }
            },
            Effect::Log(event) => runner::log_flow_event(&event, customer_id, &source_id, ""),
            _ => {}
        }
    }
}
