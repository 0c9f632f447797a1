//! The budget check of an emailed receipt.

use worker::Env;

use crate::budget_alerts::{self, Alerts};
use crate::config::Config;
use crate::error::AppError;
use crate::flow::{Effect, Turn};
use crate::fx_rates::RateBook;
use crate::ledger_store::Ledger;
use crate::store::{Store, WhatsAppLink};

/// Checks the budget queries among the flow's `effects` when the receipt's
/// user can be told (`link` is set only then), and returns the alerts to
/// commit with the expense and send with its confirmation. Without a link
/// nothing is checked, and the alert waits for the user's next chat turn.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails.
pub(super) async fn check(
    env: &Env,
    config: &Config,
    store: &Store,
    turn: &Turn<'_>,
    user_id: Option<&str>,
    link: Option<&WhatsAppLink>,
    effects: &[Effect],
) -> Result<Alerts, AppError> {
    let queries = budget_alerts::budget_queries(effects);
    if queries.is_empty() {
        return Ok(Alerts::default());
    }
    if link.is_none() {
        // `reachable_link` logged why: no linked user, a closed window or an
        // opt-out.
        budget_alerts::log_deferred(&turn.customer.id, turn.message_id, "unreachable");
        return Ok(Alerts::default());
    }
    let rates = RateBook::for_message(env, config, js_sys::Date::now());
    let ledger = Ledger {
        store,
        customer_id: &turn.customer.id,
        user_id,
        message_id: turn.message_id,
        rates: &rates,
    };
    budget_alerts::check(&ledger, turn, config, queries).await
}
