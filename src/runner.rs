//! Runs the expense flow for one inbound WhatsApp message.
//!
//! Resolves the sender to a customer, loads the conversation state and the
//! categories, drives [`flow::advance`] (classifying drafts when it asks),
//! commits the D1 writes in one batch with the message's ledger row, saves the
//! new state, and hands the replies and notifications to `ctx.wait_until`.
//! Only a committed batch leads to replies, so a duplicate delivery is
//! answered once.

use std::collections::VecDeque;

use chrono::{NaiveDate, Utc};
use worker::{Context, Env};

use crate::ai;
use crate::ai_binding::{self, AiContext};
use crate::classify::{self, Classification, Classifier};
use crate::config::{Config, DB};
use crate::conversation::{Conversations, Loaded};
use crate::email_runner;
use crate::error::AppError;
use crate::events;
use crate::flow::{self, Classified, Effect, FlowEvent, Input, Notice, Pending, Transition, Turn};
use crate::fx_rates::RateBook;
use crate::http::{HttpClient, HttpError};
use crate::kapso::client::{Addressee, Outbound, SendOutcome, SendReport, REPLY_RETRY};
use crate::kapso::{Content, InboundMessage};
use crate::ledger_store::Ledger;
use crate::logging::sender_hash;
use crate::model::{Customer, Language};
use crate::platform::{self, FetchClient};
use crate::policy::{
    self, sql_timestamp, Decision, Denial, Entitlements, Subscription, Usage, Warning,
};
use crate::privacy_runner;
use crate::reply;
use crate::retry::{Clock, RetryNote, Stop, SystemClock};
use crate::sentry::{self, Report};
use crate::store::{Account, Commit, EntitlementsCache, Store};
use crate::telegram::{escape_markdown_v2, NoticeKind, TelegramOutcome};

/// Time one `wait_until` task may spend on replies and notices. Cloudflare
/// cancels `wait_until` work 30 s after the response; the rest is a margin.
const DELIVERY_BUDGET_MS: u64 = 25_000;
/// Time an error report may spend on Sentry and the Telegram notice.
const REPORT_BUDGET_MS: u64 = 10_000;
/// A read receipt is a courtesy: it must not eat the replies' budget.
const MARK_READ_TIMEOUT_MS: u32 = 2_000;
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

async fn resolve_account(
    store: &Store,
    config: &Config,
    message: &InboundMessage,
    address: &str,
) -> Result<Option<Account>, AppError> {
    if let Some(account) = store.account("whatsapp", &message.phone_number_id).await? {
        return Ok(Some(account));
    }
    let Some(default_customer) = config.bootstrap_customer() else {
        return Ok(None);
    };
    store
        .bootstrap(
            default_customer,
            &message.phone_number_id,
            address,
            message.sender.name.as_deref(),
        )
        .await?;
    tracing::info!(
        event = events::CUSTOMER_BOOTSTRAPPED,
        customer_id = default_customer,
        "development customer bound to a new number"
    );
    store.account("whatsapp", &message.phone_number_id).await
}

/// Records an unknown sender on a known number and tells them how to join.
async fn onboard(
    store: &Store,
    ctx: &Context,
    config: &Config,
    message: &InboundMessage,
    account: &Account,
    address: &str,
    sender: &str,
) -> Result<Outcome, AppError> {
    let customer_id = account.customer.id.as_str();
    let statement = store.pending_identity_statement(
        customer_id,
        &account.id,
        address,
        message.sender.business_scoped_user_id.as_deref(),
    )?;
    if store
        .commit(
            &message.id,
            Some(customer_id),
            "unknown_sender",
            vec![statement],
        )
        .await?
        == Commit::Duplicate
    {
        tracing::info!(event = events::DUPLICATE_SKIPPED, message_id = %message.id, customer_id, sender, "a concurrent delivery committed first");
        return Ok(Outcome::Duplicate);
    }
    tracing::warn!(event = events::SENDER_UNKNOWN, message_id = %message.id, customer_id, sender, "unknown sender recorded as pending and sent the onboarding reply");
    let language = Language::of_locale(&account.customer.locale);
    let text = match language {
        Language::Spanish => "Hola 👋 Soy misgastos, el asistente de gastos. Tu número aún no está vinculado a una cuenta. Pide a quien administra tu cuenta que te agregue y vuelve a escribirme.",
        Language::English => "Hi 👋 I'm misgastos, the expense assistant. Your number is not linked to an account yet. Ask your account's admin to add you, then write again.",
    };
    let notice = format!(
        "👤 Remitente nuevo pendiente en el cliente `{}`",
        escape_markdown_v2(customer_id)
    );
    deliver(
        ctx,
        config,
        message,
        vec![Outbound::Text(text.to_owned())],
        vec![(NoticeKind::Customers, notice)],
    );
    Ok(Outcome::UnknownSender)
}

/// The customer's entitlements from `ENTITLEMENTS_KV`, or from D1 on a miss;
/// a D1 read is cached after the response.
pub(crate) async fn load_entitlements(
    env: &Env,
    ctx: &Context,
    store: &Store,
    customer_id: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Entitlements, AppError> {
    let cache = EntitlementsCache::new(env);
    if let Some(cached) = cache.get(customer_id).await {
        if cached.is_fresh(now.timestamp()) {
            tracing::debug!(
                event = policy::events::ENTITLEMENTS_LOADED,
                customer_id,
                cache = "hit",
                "entitlements read from the cache"
            );
            return Ok(cached);
        }
    }

    let row = store
        .current_subscription(customer_id, &sql_timestamp(now))
        .await?;
    let subscription = match row.map(Subscription::try_from).transpose() {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::warn!(event = policy::events::SUBSCRIPTION_UNREADABLE, customer_id, error = %error, "subscription row unreadable; treated as none");
            None
        }
    };
    let entitlements = Entitlements {
        subscription,
        computed_at: now.timestamp(),
    };
    let source = if cache.is_bound() { "miss" } else { "unbound" };
    tracing::debug!(
        event = policy::events::ENTITLEMENTS_LOADED,
        customer_id,
        cache = source,
        "entitlements read from D1"
    );
    if cache.is_bound() {
        let customer_id = customer_id.to_owned();
        let cached = entitlements.clone();
        ctx.wait_until(async move { cache.put(&customer_id, &cached).await });
    }
    Ok(entitlements)
}

pub(crate) fn log_permissive(
    entitlements: &Entitlements,
    denial: &Denial,
    customer_id: &str,
    message_id: &str,
    sender: &str,
) {
    let subscription = entitlements.subscription.as_ref();
    tracing::warn!(
        event = policy::events::ALLOWED_IN_PERMISSIVE_MODE,
        customer_id,
        message_id,
        sender,
        reason = denial.reason(),
        plan = subscription.map(|s| s.plan.as_str()),
        status = subscription.map(|s| s.status.as_str()),
        "STRICT_POLICY_MODE is off; a message strict mode would refuse went through"
    );
}

/// Refuses a message: records it in the ledger and stamps the sender's
/// latest message, nothing else, so a retry is not answered twice. Sends the
/// refusal and an operator notice.
#[allow(clippy::too_many_arguments)]
async fn refuse(
    store: &Store,
    ctx: &Context,
    config: &Config,
    message: &InboundMessage,
    customer: &Customer,
    identity_id: &str,
    entitlements: &Entitlements,
    denial: &Denial,
    sender: &str,
) -> Result<Outcome, AppError> {
    let customer_id = customer.id.as_str();
    // A refused message still opens the user's 24-hour WhatsApp window.
    let touch = store.touch_identity(identity_id)?;
    if store
        .commit(&message.id, Some(customer_id), "policy_denied", vec![touch])
        .await?
        == Commit::Duplicate
    {
        tracing::info!(event = events::DUPLICATE_SKIPPED, message_id = %message.id, customer_id, sender, "a concurrent delivery committed first");
        return Ok(Outcome::Duplicate);
    }
    let subscription = entitlements.subscription.as_ref();
    tracing::warn!(
        event = policy::events::DENIED,
        customer_id,
        message_id = %message.id,
        sender,
        reason = denial.reason(),
        plan = subscription.map(|s| s.plan.as_str()),
        status = subscription.map(|s| s.status.as_str()),
        "message refused by the subscription policy"
    );
    let text = policy::refusal_text(denial, Language::of_locale(&customer.locale));
    let notice = format!(
        "⛔ *Mensaje rechazado*\nCliente: `{}`\nMotivo: `{}`",
        escape_markdown_v2(customer_id),
        escape_markdown_v2(denial.reason())
    );
    deliver(
        ctx,
        config,
        message,
        vec![Outbound::Text(text)],
        vec![(NoticeKind::Policy, notice)],
    );
    Ok(Outcome::PolicyDenied)
}

/// Runs the machine, classifying drafts, loading merchant rules and reading
/// the ledger each time it asks, one kind of work per round.
async fn run_flow(
    store: &Store,
    ledger: &Ledger<'_>,
    config: &Config,
    ai: &mut AiContext,
    state: flow::State,
    input: Input,
    turn: &Turn<'_>,
) -> Result<Transition, AppError> {
    let mut transition = flow::advance(state, input, turn);
    let mut effects = Vec::new();
    let mut rules_query = None;
    let mut ledger_queries = VecDeque::new();
    let mut recurring_query = None;
    for _ in 0..MAX_FLOW_ROUNDS {
        let mut pending = Vec::new();
        for effect in std::mem::take(&mut transition.effects) {
            match effect {
                Effect::Classify(drafts) => pending.extend(drafts),
                Effect::LoadRules(query) => rules_query = Some(query),
                Effect::LoadLedger(query) => ledger_queries.push_back(query),
                Effect::LoadRecurring(query) => recurring_query = Some(query),
                other => effects.push(other),
            }
        }
        let input = if !pending.is_empty() {
            ai.prepare().await;
            let ai = &*ai;
            // The drafts of one message are classified together, so that
            // they share the model's time budget instead of queueing.
            let results = futures_util::future::join_all(
                pending
                    .iter_mut()
                    .map(|item| classify_draft(store, ai, turn, item)),
            )
            .await;
            let mut classified = Vec::with_capacity(pending.len());
            for (item, result) in pending.into_iter().zip(results) {
                classified.push(Classified {
                    pending: item,
                    classification: result?,
                });
            }
            Input::Classified(classified)
        } else if let Some(query) = rules_query.take() {
            let rules = store.merchant_rules(&turn.customer.id).await?;
            Input::Rules { query, rules }
        } else if let Some(query) = ledger_queries.pop_front() {
            let answer = ledger.answer(&query, turn, config, &effects).await?;
            Input::Ledger { query, answer }
        } else if let Some(query) = recurring_query.take() {
            let rules = store.recurring_rules(&turn.customer.id).await?;
            Input::Recurring { query, rules }
        } else {
            break;
        };
        transition = flow::advance(transition.state, input, turn);
    }
    effects.append(&mut transition.effects);
    Ok(Transition {
        state: transition.state,
        effects,
    })
}

/// A learned merchant rule first (no model call), then Workers AI, then the
/// keyword classifier whenever the model's answer cannot be used. A merchant
/// the model names fills a draft that has none, so a rule learned for it
/// applies next time. The expense is classified whatever the model does.
pub(crate) async fn classify_draft(
    store: &Store,
    ai: &AiContext,
    turn: &Turn<'_>,
    pending: &mut Pending,
) -> Result<Classification, AppError> {
    if let Some(rule) = rule_classification(store, turn, pending.draft.merchant.as_deref()).await? {
        return Ok(rule);
    }
    let answer = ai
        .classify(&pending.draft, turn.categories, turn.customer)
        .await;
    if let (Ok(answer), None) = (&answer, &pending.draft.merchant) {
        if let Some(merchant) = &answer.merchant {
            pending.draft.merchant = Some(merchant.clone());
            if let Some(rule) = rule_classification(store, turn, Some(merchant)).await? {
                return Ok(rule);
            }
        }
    }
    let keywords = classify::classify_by_keywords(
        &pending.draft.description,
        pending.draft.merchant.as_deref(),
        turn.categories,
    );
    let (classification, fallback) = ai::combine(answer, keywords);
    match fallback {
        Some(fallback) => tracing::warn!(
            event = events::CLASSIFIER_FALLBACK_USED,
            reason = fallback.reason(),
            detail = fallback.detail(),
            model = ai.model(),
            customer_id = %turn.customer.id,
            source_message_id = %pending.source_id,
            confidence = classification.confidence,
            "model answer not used; the keyword classifier decided"
        ),
        None => tracing::debug!(
            event = events::CLASSIFIER_AI_DECIDED,
            model = ai.model(),
            customer_id = %turn.customer.id,
            source_message_id = %pending.source_id,
            confidence = classification.confidence,
            "model classified the expense"
        ),
    }
    Ok(classification)
}

/// The learned rule of a merchant, when it names one of the categories.
async fn rule_classification(
    store: &Store,
    turn: &Turn<'_>,
    merchant: Option<&str>,
) -> Result<Option<Classification>, AppError> {
    let Some(merchant) = merchant else {
        return Ok(None);
    };
    let Some(category_id) = store.merchant_rule(&turn.customer.id, merchant).await? else {
        return Ok(None);
    };
    if !turn.categories.iter().any(|c| c.id == category_id) {
        return Ok(None);
    }
    Ok(Some(Classification {
        category_id: Some(category_id),
        confidence: 1.0,
        classifier: Classifier::Rule,
        alternatives: Vec::new(),
    }))
}

/// Today in the customer's time zone; UTC when the zone is unknown.
pub(crate) fn local_today(customer: &Customer, now: chrono::DateTime<Utc>) -> NaiveDate {
    match customer.time_zone.parse::<chrono_tz::Tz>() {
        Ok(zone) => now.with_timezone(&zone).date_naive(),
        Err(_) => {
            tracing::warn!(event = events::CUSTOMER_TIME_ZONE_INVALID, customer_id = %customer.id, "unknown time zone; using UTC");
            now.date_naive()
        }
    }
}

pub(crate) fn log_flow_event(event: &FlowEvent, customer_id: &str, message_id: &str, sender: &str) {
    match event {
        FlowEvent::Completed {
            source_id,
            category_id,
            classifier,
            confidence,
        } => tracing::info!(
            event = events::FLOW_COMPLETED, customer_id, message_id, sender, source_message_id = %source_id,
            category_id = %category_id, classified_by = classifier.as_str(), confidence = *confidence,
            "expense completed"
        ),
        FlowEvent::PendingCreated {
            source_id,
            confidence,
        } => tracing::info!(
            event = events::PENDING_CATEGORY_CREATED, customer_id, message_id, sender, source_message_id = %source_id,
            confidence = *confidence, "expense stored without category; user asked"
        ),
        FlowEvent::QuestionAsked { kind } => tracing::info!(
            event = events::QUESTION_ASKED,
            customer_id,
            message_id,
            sender,
            question = *kind,
            "question sent"
        ),
        FlowEvent::AnswerNotUnderstood => tracing::info!(
            event = events::ANSWER_NOT_UNDERSTOOD,
            customer_id,
            message_id,
            sender,
            "answer did not fit the open question"
        ),
        FlowEvent::QuestionsExpired { count } => tracing::info!(
            event = events::QUESTIONS_EXPIRED,
            customer_id,
            message_id,
            sender,
            count = *count,
            "open questions expired"
        ),
        FlowEvent::DraftsExpired { count } => tracing::info!(
            event = events::DRAFTS_EXPIRED,
            customer_id,
            message_id,
            sender,
            count = *count,
            "expired drafts were not recorded; user told"
        ),
        FlowEvent::Cancelled { count } => tracing::info!(
            event = events::FLOW_CANCELLED,
            customer_id,
            message_id,
            sender,
            count = *count,
            "user cancelled open questions"
        ),
        FlowEvent::NotAnExpense => tracing::info!(
            event = events::NOT_AN_EXPENSE,
            customer_id,
            message_id,
            sender,
            "message held no expense"
        ),
        FlowEvent::SettingsChanged { change } => tracing::info!(
            event = events::SETTINGS_CHANGED,
            customer_id,
            message_id,
            sender,
            change = *change,
            "user changed a setting"
        ),
        FlowEvent::LedgerChanged { change } => tracing::info!(
            event = events::EXPENSE_CHANGED,
            customer_id,
            message_id,
            sender,
            change = *change,
            "user changed a recorded expense or budget"
        ),
        FlowEvent::BudgetAlerted { threshold } => tracing::info!(
            event = events::BUDGET_ALERT_SENT,
            customer_id,
            message_id,
            sender,
            threshold = *threshold,
            "budget threshold crossed"
        ),
        FlowEvent::RecurringChanged { change } => tracing::info!(
            event = events::RECURRING_RULE_CHANGED,
            customer_id,
            message_id,
            sender,
            change = *change,
            "user changed a recurring expense or reminder"
        ),
    }
}

pub(crate) fn notice_kind(notice: &Notice) -> NoticeKind {
    match notice {
        Notice::Completed { .. } => NoticeKind::Completed,
        Notice::Pending { .. } => NoticeKind::Pending,
    }
}

pub(crate) fn notice_text(notice: &Notice, customer: &Customer) -> String {
    let customer_id = escape_markdown_v2(&customer.id);
    match notice {
        Notice::Completed {
            amount,
            category,
            classifier,
        } => format!(
            "✅ *Gasto anotado*\nCliente: `{customer_id}`\nMonto: {}\nCategoría: {} \\({}\\)",
            escape_markdown_v2(&reply::amount(*amount, &customer.locale)),
            escape_markdown_v2(category),
            classifier.as_str()
        ),
        Notice::Pending { amount, confidence } => format!(
            "❓ *Gasto sin categoría*\nCliente: `{customer_id}`\nMonto: {}\nConfianza: {}",
            escape_markdown_v2(&reply::amount(*amount, &customer.locale)),
            escape_markdown_v2(&format!("{confidence:.2}"))
        ),
    }
}

/// Sends replies and operator notices after the response, in
/// `ctx.wait_until`, within [`DELIVERY_BUDGET_MS`]. Failures are logged and
/// lost replies reported; the expense is already committed.
fn deliver(
    ctx: &Context,
    config: &Config,
    message: &InboundMessage,
    replies: Vec<Outbound>,
    notices: Vec<(NoticeKind, String)>,
) {
    let recipient = Recipient {
        phone_number_id: message.phone_number_id.clone(),
        to: message.sender.phone.clone(),
        message_id: message.id.clone(),
        mark_read: true,
    };
    deliver_to(ctx, config, recipient, replies, notices);
}

/// Where replies go, and the id they are logged under.
pub(crate) struct Recipient {
    pub(crate) phone_number_id: String,
    /// The user's phone number; `None` sends no replies.
    pub(crate) to: Option<String>,
    pub(crate) message_id: String,
    /// Whether `message_id` is a WhatsApp message to mark as read.
    pub(crate) mark_read: bool,
}

/// [`deliver`] to any WhatsApp user, such as the one a receipt came by
/// email for.
pub(crate) fn deliver_to(
    ctx: &Context,
    config: &Config,
    recipient: Recipient,
    replies: Vec<Outbound>,
    notices: Vec<(NoticeKind, String)>,
) {
    let config = config.clone();
    let Recipient {
        phone_number_id,
        to,
        message_id,
        mark_read,
    } = recipient;
    ctx.wait_until(async move {
        let http = FetchClient;
        let clock = SystemClock;
        let deadline = clock.now_ms().saturating_add(DELIVERY_BUDGET_MS);
        match (&config.kapso, &to) {
            (Some(kapso), Some(to)) => {
                if mark_read {
                    let mut receipt = kapso.mark_read_request(&phone_number_id, &message_id);
                    receipt.timeout_ms = MARK_READ_TIMEOUT_MS;
                    match http.send(receipt).await {
                        Ok(response) if !response.is_success() => tracing::debug!(event = events::MARK_READ_FAILED, message_id = %message_id, status = response.status, "mark as read rejected"),
                        Err(error) => tracing::debug!(event = events::MARK_READ_FAILED, message_id = %message_id, error = %error, "mark as read failed"),
                        Ok(_) => {}
                    }
                }
                let addressee = Addressee {
                    phone_number_id: &phone_number_id,
                    to,
                    in_reply_to: Some(&message_id),
                };
                for reply in &replies {
                    let policy = REPLY_RETRY.within(deadline.saturating_sub(clock.now_ms()));
                    let log_retry = |note: &RetryNote<'_>| log_reply_retry(&message_id, note);
                    let report = kapso
                        .send_with_retry(&http, &clock, &policy, &addressee, reply, log_retry)
                        .await;
                    if !log_reply(&http, &clock, &config, &message_id, &report, deadline).await {
                        break;
                    }
                }
            }
            (None, _) if !replies.is_empty() => tracing::warn!(event = events::KAPSO_NOT_CONFIGURED, message_id = %message_id, count = replies.len(), "KAPSO_API_KEY missing; replies not sent"),
            _ => {}
        }
        for (kind, notice) in notices {
            notify(&http, &clock, &config, kind, &notice, deadline).await;
        }
    });
}

fn log_reply_retry(message_id: &str, note: &RetryNote<'_>) {
    let (status, error) = match note.result {
        Ok(response) => (Some(response.status), None),
        Err(error) => (None, Some(error.to_string())),
    };
    tracing::info!(
        event = events::REPLY_RETRYING,
        message_id,
        attempt = note.attempt,
        wait_ms = note.wait_ms,
        status,
        error,
        "kapso reply failed; retrying"
    );
}

/// Logs a reply's outcome and reports a lost one. Returns whether later
/// replies to the same user are worth sending: not once the window closed.
async fn log_reply(
    http: &impl HttpClient,
    clock: &impl Clock,
    config: &Config,
    message_id: &str,
    report: &SendReport,
    deadline: u64,
) -> bool {
    let reason = match report.stop {
        Stop::Done => "rejected",
        Stop::AttemptsExhausted => "attempts_exhausted",
        Stop::BudgetExhausted { .. } => "budget_exhausted",
    };
    let attempts = report.attempts;
    let failure = match &report.outcome {
        SendOutcome::Sent { .. } => {
            tracing::debug!(
                event = events::REPLY_SENT,
                message_id,
                attempts,
                "reply sent"
            );
            return true;
        }
        SendOutcome::WindowClosed => {
            tracing::warn!(
                event = events::WINDOW_CLOSED,
                message_id,
                "24-hour window closed (131047); reply not sent and not retried"
            );
            return false;
        }
        SendOutcome::Rejected { status, code } => {
            let code = code.unwrap_or_default();
            tracing::error!(
                event = events::REPLY_FAILED,
                message_id,
                reason,
                attempts,
                status,
                code,
                "kapso did not take the reply"
            );
            Report::new(
                events::REPLY_FAILED,
                format!("kapso answered {status} (code {code}) after {attempts} attempts"),
            )
            .tag("status", status.to_string())
        }
        SendOutcome::Unreachable(error) => {
            tracing::error!(event = events::REPLY_FAILED, message_id, reason, attempts, error = %error, "kapso unreachable");
            let kind = match error {
                HttpError::Timeout(_) => "timeout",
                HttpError::Network(_) => "network",
            };
            Report::new(
                events::REPLY_FAILED,
                format!("kapso unreachable after {attempts} attempts: {error}"),
            )
            .tag("error_kind", kind)
        }
    };
    let failure = failure.tag("reason", reason).tag("message_id", message_id);
    send_report(http, clock, config, &failure, deadline).await;
    true
}

/// Sends one operator notice when its kind is enabled, within what is left
/// until `deadline`. Never fails: a lost notice is logged.
async fn notify(
    http: &impl HttpClient,
    clock: &impl Clock,
    config: &Config,
    kind: NoticeKind,
    text: &str,
    deadline: u64,
) {
    let Some(telegram) = &config.telegram else {
        return;
    };
    if !config.telegram_notify.contains(kind) {
        return;
    }
    let kind = kind.as_str();
    let log_retry = |note: &RetryNote<'_>| {
        let status = note.result.as_ref().ok().map(|response| response.status);
        tracing::info!(
            event = events::TELEGRAM_RETRYING,
            kind,
            attempt = note.attempt,
            wait_ms = note.wait_ms,
            status,
            "telegram notice failed; retrying"
        );
    };
    let budget = deadline.saturating_sub(clock.now_ms());
    match telegram.send(http, clock, text, budget, log_retry).await {
        TelegramOutcome::Sent => {
            tracing::debug!(event = events::TELEGRAM_SENT, kind, "notice sent")
        }
        TelegramOutcome::RetryAfter(seconds) => tracing::warn!(
            event = events::TELEGRAM_THROTTLED,
            kind,
            status = 429,
            retry_after = seconds,
            remaining_ms = deadline.saturating_sub(clock.now_ms()),
            "telegram flood control asked for a longer wait than the time left; notice dropped"
        ),
        TelegramOutcome::Rejected {
            status,
            description,
        } => {
            tracing::warn!(event = events::TELEGRAM_FAILED, kind, status, description = %description, "telegram rejected the notice")
        }
        TelegramOutcome::Unreachable(error) => {
            tracing::warn!(event = events::TELEGRAM_FAILED, kind, error = %error, "telegram unreachable")
        }
    }
}

/// Reports an error to Sentry and, when `errors` notices are on, to the
/// operators' chat, after the response. The caller has logged it already.
pub fn report_error(ctx: &Context, config: &Config, report: Report) {
    let config = config.clone();
    ctx.wait_until(async move {
        let clock = SystemClock;
        let deadline = clock.now_ms().saturating_add(REPORT_BUDGET_MS);
        send_report(&FetchClient, &clock, &config, &report, deadline).await;
    });
}

async fn send_report(
    http: &impl HttpClient,
    clock: &impl Clock,
    config: &Config,
    report: &Report,
    deadline: u64,
) {
    if let Some(client) = &config.sentry {
        let timestamp = Utc::now().timestamp_millis() as f64 / 1000.0;
        match client
            .send(http, report, &sentry::new_event_id(), timestamp)
            .await
        {
            Ok(()) => tracing::debug!(
                event = events::SENTRY_SENT,
                reported = report.event,
                "error reported to sentry"
            ),
            Err(error) => {
                tracing::warn!(event = events::SENTRY_FAILED, reported = report.event, error = %error, "error not reported to sentry")
            }
        }
    }
    let mut text = format!(
        "🚨 *Error* `{}`\n{}",
        escape_markdown_v2(report.event),
        escape_markdown_v2(&sentry::scrub(&report.message))
    );
    for (name, value) in &report.tags {
        text.push_str(&format!(
            "\n{}: `{}`",
            escape_markdown_v2(name),
            escape_markdown_v2(&sentry::scrub(value))
        ));
    }
    notify(http, clock, config, NoticeKind::Errors, &text, deadline).await;
}
