//! Emailed expenses that nobody was asked about yet wait for the next
//! WhatsApp message of their user.

use chrono::NaiveDate;
use worker::D1PreparedStatement;

use super::events;
use crate::classify;
use crate::error::AppError;
use crate::flow::{self, Pending, Question, Turn};
use crate::money::{Currency, Money};
use crate::store::Store;

/// Pending emailed expenses queued in one WhatsApp turn, at most.
const MAX_OFFERED_PER_MESSAGE: u32 = 3;

/// Queues the category questions of emailed expenses that wait for one and
/// were never asked, in the state of the WhatsApp user who is writing now.
/// Returns the state and the ledger inserts that mark them as offered, to be
/// committed with the message.
///
/// A state whose questions have expired is left alone: the flow clears it in
/// this turn, and the next message offers the expenses.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails.
pub async fn offer_pending(
    store: &Store,
    turn: &Turn<'_>,
    user_id: Option<&str>,
    mut state: flow::State,
) -> Result<(flow::State, Vec<D1PreparedStatement>), AppError> {
    let stale =
        !state.questions.is_empty() && turn.now - state.updated_at > flow::QUESTION_TTL_SECONDS;
    if stale {
        return Ok((state, Vec::new()));
    }
    let customer_id = turn.customer.id.as_str();
    let rows = store
        .pending_email_expenses(customer_id, user_id, MAX_OFFERED_PER_MESSAGE)
        .await?;
    let mut statements = Vec::new();
    for row in rows {
        let queued = state.questions.iter().any(|question| {
            matches!(question, Question::Category { source_id, .. } if *source_id == row.source_message_id)
        });
        if queued {
            continue;
        }
        let currency = Currency::from_code(&row.currency);
        let spent_on = NaiveDate::parse_from_str(&row.spent_on, "%Y-%m-%d").ok();
        let (Some(currency), Some(spent_on)) = (currency, spent_on) else {
            tracing::warn!(event = events::PENDING_OFFERED, customer_id, source_message_id = %row.source_message_id, "pending emailed expense unreadable; not offered");
            continue;
        };
        let draft = flow::Draft {
            amount: Money::new(row.amount_minor, currency),
            spent_on,
            description: row.description,
            merchant: row.merchant,
        };
        let classification = classify::classify_by_keywords(
            &draft.description,
            draft.merchant.as_deref(),
            turn.categories,
        );
        if state.questions.is_empty() {
            state.updated_at = turn.now;
        }
        let pending = Pending {
            source_id: row.source_message_id.clone(),
            draft,
        };
        state
            .questions
            .push(flow::category_question(turn, pending, &classification));
        statements.push(store.email_offered(customer_id, &row.source_message_id)?);
        tracing::info!(event = events::PENDING_OFFERED, customer_id, message_id = turn.message_id, source_message_id = %row.source_message_id, "pending emailed expense queued in the conversation");
    }
    Ok((state, statements))
}
