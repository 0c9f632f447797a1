//! Runs the expense flow for one inbound WhatsApp message.
//!
//! Resolves the sender to a customer, loads the conversation state and the
//! categories, drives [`flow::advance`] (classifying drafts when it asks),
//! commits the D1 writes in one batch with the message's ledger row, saves the
//! new state, and hands the replies and notifications to `ctx.wait_until`.
//! Only a committed batch leads to replies, so a duplicate delivery is
//! answered once.

use chrono::{NaiveDate, Utc};
use worker::{Context, Env};

use crate::classify::{self, Classification, Classifier};
use crate::config::{Config, CONVERSATION_STATE_KV, DB};
use crate::error::AppError;
use crate::flow::{self, Classified, Effect, FlowEvent, Input, Notice, Pending, Transition, Turn};
use crate::kapso::client::{Outbound, SendOutcome};
use crate::kapso::{Content, InboundMessage};
use crate::logging::sender_hash;
use crate::model::{Customer, Language};
use crate::platform::{self, FetchClient};
use crate::reply;
use crate::store::{Account, Commit, Store};
use crate::telegram::{escape_markdown_v2, TelegramOutcome};

/// Seconds a Telegram 429 may make the notifier wait inside `wait_until`.
const MAX_TELEGRAM_WAIT_SECONDS: u32 = 5;
/// At most this many classify rounds per message; the flow asks for one.
const MAX_CLASSIFY_ROUNDS: usize = 3;

/// How one message ended, for the ledger and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Handled,
    Duplicate,
    TestDelivery,
    UnknownNumber,
    UnknownSender,
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
            event = "whatsapp.test_delivery_ignored",
            message_id,
            "kapso test delivery acknowledged"
        );
        return Ok(Outcome::TestDelivery);
    }

    let store = Store::new(env.d1(DB)?);
    if store.is_processed(message_id).await? {
        tracing::info!(event = "whatsapp.duplicate_skipped", message_id, sender = %sender, "message was handled before");
        return Ok(Outcome::Duplicate);
    }

    let Some(account) = resolve_account(&store, config, &message, &address).await? else {
        tracing::warn!(
            event = "whatsapp.unknown_phone_number",
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

    let now = Utc::now();
    let today = local_today(&customer, now);
    let categories = store.categories(customer_id).await?;
    let kv = env.kv(CONVERSATION_STATE_KV)?;
    let state_key = platform::state_key(customer_id, &identity.id);
    let state = match platform::load_state(&kv, &state_key).await {
        Ok(state) => state,
        Err(error) => {
            tracing::warn!(event = "conversation.state_load_failed", customer_id, error = %error, "conversation state unavailable; starting fresh");
            flow::State::default()
        }
    };

    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today,
        now: now.timestamp(),
        message_id,
    };
    let input = input_of(&message.content);
    let Transition { state, effects } = run_flow(&store, state, input, &turn).await?;

    let mut statements = Vec::new();
    for effect in &effects {
        match effect {
            Effect::SaveExpense(expense) => statements.push(store.insert_expense(
                customer_id,
                identity.user_id.as_deref(),
                "whatsapp",
                expense,
            )?),
            Effect::SetCategory {
                source_id,
                category_id,
                merchant,
            } => {
                statements.push(store.set_category(customer_id, source_id, category_id)?);
                if let Some(merchant) = merchant {
                    statements.push(store.learn_rule(customer_id, merchant, category_id)?);
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
            tracing::info!(event = "whatsapp.duplicate_skipped", message_id, customer_id, sender = %sender, "a concurrent delivery committed first");
            return Ok(Outcome::Duplicate);
        }
    }

    if let Err(error) = platform::save_state(&kv, &state_key, &state).await {
        tracing::warn!(event = "conversation.state_save_failed", customer_id, error = %error, "conversation state not saved; open questions may be asked again");
    }

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
    deliver(
        ctx,
        config,
        &message,
        replies,
        notices
            .into_iter()
            .map(|n| notice_text(&n, &customer))
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
        event = "customer.bootstrapped",
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
        return Ok(Outcome::Duplicate);
    }
    tracing::warn!(event = "whatsapp.sender_unknown", message_id = %message.id, customer_id, sender, "unknown sender recorded as pending and sent the onboarding reply");
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
        vec![notice],
    );
    Ok(Outcome::UnknownSender)
}

/// Runs the machine, classifying drafts each time it asks.
async fn run_flow(
    store: &Store,
    state: flow::State,
    input: Input,
    turn: &Turn<'_>,
) -> Result<Transition, AppError> {
    let mut transition = flow::advance(state, input, turn);
    let mut effects = Vec::new();
    for _ in 0..MAX_CLASSIFY_ROUNDS {
        let mut pending = Vec::new();
        for effect in std::mem::take(&mut transition.effects) {
            match effect {
                Effect::Classify(drafts) => pending.extend(drafts),
                other => effects.push(other),
            }
        }
        if pending.is_empty() {
            break;
        }
        let mut classified = Vec::with_capacity(pending.len());
        for item in pending {
            let classification = classify_draft(store, turn, &item).await?;
            classified.push(Classified {
                pending: item,
                classification,
            });
        }
        transition = flow::advance(transition.state, Input::Classified(classified), turn);
    }
    effects.append(&mut transition.effects);
    Ok(Transition {
        state: transition.state,
        effects,
    })
}

/// A learned merchant rule first, then the keyword classifier.
async fn classify_draft(
    store: &Store,
    turn: &Turn<'_>,
    pending: &Pending,
) -> Result<Classification, AppError> {
    if let Some(merchant) = &pending.draft.merchant {
        if let Some(category_id) = store.merchant_rule(&turn.customer.id, merchant).await? {
            if turn.categories.iter().any(|c| c.id == category_id) {
                return Ok(Classification {
                    category_id: Some(category_id),
                    confidence: 1.0,
                    classifier: Classifier::Rule,
                    alternatives: Vec::new(),
                });
            }
        }
    }
    Ok(classify::classify_by_keywords(
        &pending.draft.description,
        pending.draft.merchant.as_deref(),
        turn.categories,
    ))
}

fn input_of(content: &Content) -> Input {
    match content {
        Content::Text(text) => Input::Text(text.clone()),
        Content::Choice { id, title } => Input::Choice {
            id: id.clone(),
            title: title.clone(),
        },
        Content::Audio {
            transcript: Some(text),
        } => Input::Text(text.clone()),
        Content::Audio { transcript: None } => Input::AudioWithoutTranscript,
        Content::Image {
            caption: Some(caption),
            ..
        }
        | Content::Document {
            caption: Some(caption),
            ..
        } => Input::Text(caption.clone()),
        Content::Image { .. } | Content::Document { .. } | Content::Unsupported { .. } => {
            Input::Unsupported
        }
    }
}

/// Today in the customer's time zone; UTC when the zone is unknown.
fn local_today(customer: &Customer, now: chrono::DateTime<Utc>) -> NaiveDate {
    match customer.time_zone.parse::<chrono_tz::Tz>() {
        Ok(zone) => now.with_timezone(&zone).date_naive(),
        Err(_) => {
            tracing::warn!(event = "customer.time_zone_invalid", customer_id = %customer.id, "unknown time zone; using UTC");
            now.date_naive()
        }
    }
}

fn log_flow_event(event: &FlowEvent, customer_id: &str, message_id: &str, sender: &str) {
    match event {
        FlowEvent::Completed {
            source_id,
            category_id,
            classifier,
            confidence,
        } => tracing::info!(
            event = "expense.flow_completed", customer_id, message_id, sender, source_message_id = %source_id,
            category_id = %category_id, classified_by = classifier.as_str(), confidence = *confidence,
            "expense completed"
        ),
        FlowEvent::PendingCreated {
            source_id,
            confidence,
        } => tracing::info!(
            event = "expense.pending_category_created", customer_id, message_id, sender, source_message_id = %source_id,
            confidence = *confidence, "expense stored without category; user asked"
        ),
        FlowEvent::QuestionAsked { kind } => tracing::info!(
            event = "flow.question_asked",
            customer_id,
            message_id,
            sender,
            question = *kind,
            "question sent"
        ),
        FlowEvent::AnswerNotUnderstood => tracing::info!(
            event = "flow.answer_not_understood",
            customer_id,
            message_id,
            sender,
            "answer did not fit the open question"
        ),
        FlowEvent::QuestionsExpired { count } => tracing::info!(
            event = "flow.questions_expired",
            customer_id,
            message_id,
            sender,
            count = *count,
            "open questions expired"
        ),
        FlowEvent::Cancelled { count } => tracing::info!(
            event = "flow.cancelled",
            customer_id,
            message_id,
            sender,
            count = *count,
            "user cancelled open questions"
        ),
        FlowEvent::NotAnExpense => tracing::info!(
            event = "flow.not_an_expense",
            customer_id,
            message_id,
            sender,
            "message held no expense"
        ),
    }
}

fn notice_text(notice: &Notice, customer: &Customer) -> String {
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
/// `ctx.wait_until`. Failures are logged; the expense is already committed.
fn deliver(
    ctx: &Context,
    config: &Config,
    message: &InboundMessage,
    replies: Vec<Outbound>,
    notices: Vec<String>,
) {
    let kapso = config.kapso.clone();
    let telegram = config.telegram.clone();
    let phone_number_id = message.phone_number_id.clone();
    let to = message.sender.phone.clone();
    let message_id = message.id.clone();
    ctx.wait_until(async move {
        let http = FetchClient;
        match (&kapso, &to) {
            (Some(kapso), Some(to)) => {
                if let Ok(response) = crate::http::HttpClient::send(&http, kapso.mark_read_request(&phone_number_id, &message_id)).await {
                    if !response.is_success() {
                        tracing::debug!(event = "kapso.mark_read_failed", status = response.status, "mark as read rejected");
                    }
                }
                for reply in &replies {
                    match kapso.send(&http, &phone_number_id, to, reply).await {
                        SendOutcome::Sent { .. } => tracing::debug!(event = "kapso.reply_sent", message_id = %message_id, "reply sent"),
                        SendOutcome::WindowClosed => {
                            tracing::warn!(event = "kapso.window_closed", message_id = %message_id, "24-hour window closed; reply not sent");
                            break;
                        }
                        SendOutcome::Rejected { status, code } => tracing::error!(event = "kapso.reply_failed", message_id = %message_id, status, code = code.unwrap_or_default(), "kapso rejected the reply"),
                        SendOutcome::Unreachable(error) => tracing::error!(event = "kapso.reply_failed", message_id = %message_id, error = %error, "kapso unreachable"),
                    }
                }
            }
            (None, _) if !replies.is_empty() => tracing::warn!(event = "kapso.not_configured", message_id = %message_id, count = replies.len(), "KAPSO_API_KEY missing; replies not sent"),
            _ => {}
        }
        let Some(telegram) = telegram else { return };
        for notice in notices {
            match telegram.send(&http, &notice, MAX_TELEGRAM_WAIT_SECONDS).await {
                TelegramOutcome::Sent => {}
                TelegramOutcome::RetryAfter(seconds) => tracing::warn!(event = "notify.telegram_failed", status = 429, retry_after = seconds, "telegram flood control; notice dropped"),
                TelegramOutcome::Rejected { status, description } => tracing::warn!(event = "notify.telegram_failed", status, description = %description, "telegram rejected the notice"),
                TelegramOutcome::Unreachable(error) => tracing::warn!(event = "notify.telegram_failed", error = %error, "telegram unreachable"),
            }
        }
    });
}
