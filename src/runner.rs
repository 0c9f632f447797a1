//! Runs the expense flow for one inbound WhatsApp message.
//!
//! Resolves the sender to a customer, loads the conversation state and the
//! categories, drives [`crate::flow::advance`] (classifying drafts when it
//! asks), commits the D1 writes in one batch with the message's ledger row,
//! saves the new state, and hands the replies and notifications to
//! `ctx.wait_until`. Only a committed batch leads to replies, so a duplicate
//! delivery is answered once.
//!
//! This file contains [`handle`]. `access` resolves the sender and applies
//! the subscription policy, `rounds` runs the flow and the reads it asks
//! for, `logs` writes the flow's log lines and notices, and `delivery`
//! sends replies, notices and error reports.

mod access;
mod delivery;
mod logs;
mod rounds;

use access::{onboard, refuse, resolve_account};
use delivery::deliver;
use rounds::run_flow;

pub(crate) use access::{load_entitlements, log_permissive};
pub use delivery::report_error;
pub(crate) use delivery::{deliver_to, Recipient};
pub(crate) use logs::{log_flow_event, notice_kind, notice_text};
pub(crate) use rounds::{classify_draft, local_today};

use chrono::Utc;
use worker::{Context, Env};

use crate::ai_binding::{self, AiContext};
use crate::config::{Config, DB};
use crate::conversation::{Conversations, Loaded};
use crate::email_runner;
use crate::error::AppError;
use crate::events;
use crate::flow::{Effect, Input, Transition, Turn};
use crate::fx_rates::RateBook;
use crate::kapso::client::Outbound;
use crate::kapso::{Content, InboundMessage};
use crate::ledger_store::Ledger;
use crate::logging::sender_hash;
use crate::model::Language;
use crate::platform::{self};
use crate::policy::{self, sql_timestamp, Decision, Usage, Warning};
use crate::privacy_runner;
use crate::store::{Commit, Store};

/// At most this many rounds of work the flow asks for (classifying,
/// loading rules, reading the ledger) per message. The longest chains the
/// flow makes take three: an amount answer (classify, check budgets, then
/// look for a stale pending expense) and a category pick (read the expense,
/// check budgets, look for a stale one).
const MAX_FLOW_ROUNDS: usize = 6;

/// How one message ended, for the ledger and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Handled,
    Duplicate,
    TestDelivery,
    UnknownNumber,
    UnknownSender,
    /// Refused by the subscription policy in strict mode.
    PolicyDenied,
}

/// Handles one inbound message.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails before the message's writes are
/// committed; the webhook answers 503 and Kapso's retry handles it again.
pub async fn handle(
    env: &Env,
    ctx: &Context,
    config: &Config,
    message: InboundMessage,
) -> Result<Outcome, AppError> {
    let started_ms = js_sys::Date::now();
    let address = message
        .sender
        .phone
        .clone()
        .or_else(|| message.sender.business_scoped_user_id.clone())
        .unwrap_or_default();
    let sender = sender_hash(&config.sender_hash_key, &address);
    let message_id = message.id.as_str();

    if message.is_test {
        tracing::info!(
            event = events::TEST_DELIVERY_IGNORED,
            message_id,
            "kapso test delivery acknowledged"
        );
        return Ok(Outcome::TestDelivery);
    }

    let store = Store::new(env.d1(DB)?);
    if store.is_processed(message_id).await? {
        tracing::info!(event = events::DUPLICATE_SKIPPED, message_id, sender = %sender, "message was handled before");
        return Ok(Outcome::Duplicate);
    }

    let Some(account) = resolve_account(&store, config, &message, &address).await? else {
        tracing::warn!(
            event = events::UNKNOWN_PHONE_NUMBER,
            message_id,
            phone_number_id = %message.phone_number_id,
            "message to a number that belongs to no customer was ignored"
        );
        return Ok(Outcome::UnknownNumber);
    };
    let customer = account.customer.clone();
    let customer_id = customer.id.as_str();

    let identity = match store
        .identity(
            &account.id,
            message.sender.phone.as_deref(),
            message.sender.business_scoped_user_id.as_deref(),
        )
        .await?
    {
        Some(identity) if identity.status == "active" => Some(identity),
        _ if config.bootstrap_customer() == Some(customer_id) => {
            store
                .bootstrap(
                    customer_id,
                    &message.phone_number_id,
                    &address,
                    message.sender.name.as_deref(),
                )
                .await?;
            store
                .identity(&account.id, Some(&address), None)
                .await?
                .filter(|i| i.status == "active")
        }
        _ => None,
    };
    let Some(identity) = identity else {
        return onboard(&store, ctx, config, &message, &account, &address, &sender).await;
    };
    // Before the policy: opting out, exporting and deleting work whatever
    // the subscription says.
    let privacy = privacy_runner::handle(
        env, ctx, config, &store, &message, &customer, &identity, &sender,
    );
    if let Some(outcome) = privacy.await? {
        return Ok(outcome);
    }

    let now = Utc::now();
    let entitlements = load_entitlements(env, ctx, &store, customer_id, now).await?;
    let access = policy::decide(
        &entitlements,
        Usage {
            now: now.timestamp(),
            expenses_this_month: 0,
            new_expenses: 0,
        },
        config.strict_policy,
    );
    match &access {
        Decision::Deny(denial) => {
            return refuse(
                &store,
                ctx,
                config,
                &message,
                &customer,
                &identity.id,
                &entitlements,
                denial,
                &sender,
            )
            .await;
        }
        Decision::AllowWithWarning(Warning::Permissive(denial)) => {
            log_permissive(&entitlements, denial, customer_id, message_id, &sender);
        }
        Decision::AllowWithWarning(_) | Decision::Allow => {}
    }

    let today = local_today(&customer, now);
    let mut categories = store.categories(customer_id).await?;
    // A customer's first message brings the default categories, committed
    // with it, so that a message the expense limit refuses writes none.
    let mut seeded = Vec::new();
    if categories.is_empty() {
        let language = Language::of_locale(&customer.locale);
        (categories, seeded) = store.default_categories(customer_id, language)?;
    }
    let conversations = Conversations::open(env, customer_id);
    let state_key = platform::state_key(customer_id, &identity.id);
    let Loaded { state, was_idle } = conversations.load(&state_key, customer_id).await;

    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today,
        now: now.timestamp(),
        message_id,
    };
    // Emailed receipts that had nobody to ask wait for this user's next
    // message; their questions join the state before the flow runs.
    let (state, offered) =
        email_runner::offer_pending(&store, &turn, identity.user_id.as_deref(), state).await?;
    let mut ai = AiContext::new(env, config);
    let input = match &message.content {
        Content::Image { .. } => {
            ai_binding::photo_input(&ai, config, &message, &customer, today).await
        }
        content => Input::of(content),
    };
    let rates = RateBook::for_message(env, config, started_ms);
    let ledger = Ledger {
        store: &store,
        customer_id,
        user_id: identity.user_id.as_deref(),
        message_id,
        rates: &rates,
    };
    let Transition { state, effects } =
        run_flow(&store, &ledger, config, &mut ai, state, input, &turn).await?;

    // Only new rows count against a limit: completing a stored pending
    // expense is a `ChangeExpense`, not a `SaveExpense`.
    let new_expenses = effects
        .iter()
        .filter(|effect| matches!(effect, Effect::SaveExpense(_)))
        .count();
    let mut limit_note = None;
    let already_permissive = matches!(access, Decision::AllowWithWarning(Warning::Permissive(_)));
    if new_expenses > 0 && entitlements.has_expense_limit() && !already_permissive {
        // NOTE: the count is read before the commit, so concurrent messages
        // of one customer can pass the limit by the expenses they add. The
        // flow (and any model call in it) has run by now even when the
        // limit then refuses the message.
        let (from, to) = policy::month_bounds(now, &customer.time_zone);
        let used = store
            .expenses_created_between(customer_id, &sql_timestamp(from), &sql_timestamp(to))
            .await?;
        let usage = Usage {
            now: now.timestamp(),
            expenses_this_month: used,
            new_expenses: u32::try_from(new_expenses).unwrap_or(u32::MAX),
        };
        match policy::decide(&entitlements, usage, config.strict_policy) {
            Decision::Deny(denial) => {
                return refuse(
                    &store,
                    ctx,
                    config,
                    &message,
                    &customer,
                    &identity.id,
                    &entitlements,
                    &denial,
                    &sender,
                )
                .await;
            }
            Decision::AllowWithWarning(Warning::Permissive(denial)) => {
                log_permissive(&entitlements, &denial, customer_id, message_id, &sender);
            }
            Decision::AllowWithWarning(warning) => {
                if let Warning::LimitNear { limit, remaining } = warning {
                    tracing::info!(
                        event = policy::events::LIMIT_NEAR,
                        customer_id,
                        message_id,
                        limit,
                        remaining,
                        "expense limit nearly used up"
                    );
                }
                limit_note = policy::warning_text(&warning, Language::of_locale(&customer.locale));
            }
            Decision::Allow => {}
        }
    }

    let mut statements = seeded;
    statements.extend(offered);
    // WhatsApp's 24-hour window for free-form messages starts at this
    // message: reminders and emailed receipts are sent only inside it.
    statements.push(store.touch_identity(&identity.id)?);
    for effect in &effects {
        match effect {
            Effect::SaveExpense(expense) => statements.push(store.insert_expense(
                customer_id,
                identity.user_id.as_deref(),
                "whatsapp",
                expense,
            )?),
            Effect::DeleteRule { merchant } => {
                statements.push(store.delete_rule(customer_id, merchant)?);
            }
            Effect::AddCategory { name, keywords } => {
                statements.push(store.add_category(customer_id, name, keywords)?);
            }
            Effect::RenameCategory { category_id, name } => {
                statements.push(store.rename_category(customer_id, category_id, name)?);
            }
            Effect::ChangeExpense(_)
            | Effect::SetBudget { .. }
            | Effect::RecordBudgetAlert(_)
            | Effect::LearnRule { .. }
            | Effect::RevertRule { .. } => {
                statements.extend(ledger.statements(effect)?);
            }
            Effect::SaveRecurring(rule) => {
                statements.push(store.insert_rule(
                    customer_id,
                    identity.user_id.as_deref(),
                    rule,
                )?);
            }
            Effect::ChangeRecurring { rule_id, action } => {
                statements.push(store.change_rule(customer_id, rule_id, *action, today)?);
            }
            Effect::SetDailyReminder { hour } => {
                // Active identities always have a user (a CHECK in 003).
                if let Some(user_id) = identity.user_id.as_deref() {
                    statements.push(store.set_daily_reminder(customer_id, user_id, *hour)?);
                }
            }
            _ => {}
        }
    }
    match store
        .commit(message_id, Some(customer_id), "handled", statements)
        .await?
    {
        Commit::Committed => {}
        Commit::Duplicate => {
            tracing::info!(event = events::DUPLICATE_SKIPPED, message_id, customer_id, sender = %sender, "a concurrent delivery committed first");
            return Ok(Outcome::Duplicate);
        }
    }

    conversations
        .save(&state_key, customer_id, was_idle, &state)
        .await;

    let mut replies = Vec::new();
    let mut notices = Vec::new();
    for effect in effects {
        match effect {
            Effect::Reply(outbound) => replies.push(outbound),
            Effect::Notify(notice) => notices.push(notice),
            Effect::Log(event) => log_flow_event(&event, customer_id, message_id, &sender),
            _ => {}
        }
    }
    if let Some(note) = limit_note {
        replies.push(Outbound::Text(note));
    }
    tracing::info!(
        event = events::MESSAGE_HANDLED,
        customer_id,
        message_id,
        sender = %sender,
        outcome = "handled",
        replies = replies.len(),
        notices = notices.len(),
        "message handled"
    );
    deliver(
        ctx,
        config,
        &message,
        replies,
        notices
            .into_iter()
            .map(|n| (notice_kind(&n), notice_text(&n, &customer)))
            .collect(),
    );
    Ok(Outcome::Handled)
}
