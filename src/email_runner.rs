//! Receipts forwarded by email become expenses.
//!
//! Two entry points share [`handle`]: [`webhook`] for `POST /webhooks/email`,
//! which the separate email worker calls with the raw message or its JSON
//! form, and [`receive`] for the worker's own `#[event(email)]`, when Email
//! Routing delivers mail straight here. `handle` finds the customer through
//! `email_routes`, reads the receipt with [`crate::email`], classifies it as
//! the WhatsApp runner classifies a draft, and lets [`flow::advance`] decide
//! whether it completes or waits for a category. The expense is committed
//! with the mail's ledger row (`email:<Message-ID>`), so a second delivery
//! of the same mail is a duplicate.
//!
//! The result is sent to the customer's linked WhatsApp user, whose
//! conversation state gets the category question. Without a linked user the
//! expense waits as `pending_category`, and [`offer_pending`] queues its
//! question on that user's next WhatsApp message.

use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};
use worker::{Context, D1PreparedStatement, Env, ForwardableEmailMessage, Request, Response};

use crate::ai_binding::AiContext;
use crate::classify;
use crate::config::{Config, CONVERSATION_STATE_KV, DB};
use crate::email::{self, mime, ReceiptContext, MAX_RAW_BYTES};
use crate::error::AppError;
use crate::flow::{self, Classified, Effect, ExpenseStatus, Input, Pending, Question, Turn};
use crate::kapso::client::Outbound;
use crate::logging::sender_hash;
use crate::model::Language;
use crate::money::{Currency, Money};
use crate::platform;
use crate::privacy_runner;
use crate::reply;
use crate::runner::{self, Recipient};
use crate::store::{Commit, EmailRoute, Store, WhatsAppLink};

/// Names of the log events of the email path.
pub mod events {
    /// warn: the bearer token is missing or wrong (401).
    pub const WEBHOOK_UNAUTHORIZED: &str = "email.webhook_unauthorized";
    /// error: `EMAIL_WORKER_SECRET` is not set, so every delivery gets 503.
    pub const WEBHOOK_SECRET_MISSING: &str = "email.webhook_secret_missing";
    /// warn: the message is over 5 MiB (413, or rejected).
    pub const PAYLOAD_TOO_LARGE: &str = "email.payload_too_large";
    /// warn: an unsupported content type, invalid JSON or no recipient (4xx).
    pub const PAYLOAD_MALFORMED: &str = "email.payload_malformed";
    /// warn: no `email_routes` row for any recipient (404, or rejected).
    pub const ROUTE_UNKNOWN: &str = "email.route_unknown";
    /// warn: the customer has email identities and the sender is none of them.
    pub const SENDER_UNMATCHED: &str = "email.sender_unmatched";
    /// info: the mail was handled before.
    pub const DUPLICATE_SKIPPED: &str = "email.duplicate_skipped";
    /// warn: the mail is not a message, or holds no total (422, or rejected).
    pub const RECEIPT_UNREADABLE: &str = "email.receipt_unreadable";
    /// info: the receipt's expense is committed.
    pub const RECEIPT_STORED: &str = "email.receipt_stored";
    /// info: no WhatsApp user to tell; the expense waits for their next message.
    pub const WHATSAPP_NOT_LINKED: &str = "email.whatsapp_not_linked";
    /// info: a pending emailed expense was queued in a WhatsApp conversation.
    pub const PENDING_OFFERED: &str = "email.pending_offered";
    /// info: an `#[event(email)]` message was rejected back to its sender.
    pub const REJECTED: &str = "email.rejected";
    /// error: an `#[event(email)]` message failed on D1 or KV and was rejected.
    pub const EVENT_FAILED: &str = "email.event_failed";
}

/// Pending emailed expenses queued in one WhatsApp turn, at most.
const MAX_OFFERED_PER_MESSAGE: u32 = 3;

/// How the mail arrived.
#[derive(Debug, Clone)]
pub enum Body {
    /// An RFC 5322 message.
    Raw(Vec<u8>),
    /// The JSON form of `POST /webhooks/email`.
    Json(Vec<u8>),
    /// Over [`MAX_RAW_BYTES`], so it was not read.
    Oversized { bytes: u64 },
}

/// One mail to handle.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Envelope recipients first; the mail's own `To` addresses are tried
    /// after them.
    pub recipients: Vec<String>,
    /// The envelope sender, when the transport gave one.
    pub sender: Option<String>,
    pub body: Body,
}

/// How one mail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored {
        source_id: String,
        status: ExpenseStatus,
        /// Whether a WhatsApp user was told.
        notified: bool,
    },
    Duplicate {
        source_id: String,
    },
    UnknownRoute,
    Unreadable {
        reason: &'static str,
        notified: bool,
    },
    TooLarge {
        notified: bool,
    },
}

impl Outcome {
    /// The HTTP status of `POST /webhooks/email`. Every refusal is a 4xx, so
    /// the email worker does not retry it.
    pub fn status(&self) -> u16 {
        match self {
            Outcome::Stored { .. } | Outcome::Duplicate { .. } => 200,
            Outcome::UnknownRoute => 404,
            Outcome::TooLarge { .. } => 413,
            Outcome::Unreadable { .. } => 422,
        }
    }

    /// The JSON body of `POST /webhooks/email`.
    pub fn body(&self) -> Value {
        match self {
            Outcome::Stored {
                source_id,
                status,
                notified,
            } => json!({
                "ok": true,
                "duplicate": false,
                "status": status.as_str(),
                "source_message_id": source_id,
                "whatsapp_notified": notified,
            }),
            Outcome::Duplicate { source_id } => json!({
                "ok": true,
                "duplicate": true,
                "source_message_id": source_id,
            }),
            Outcome::UnknownRoute => json!({
                "ok": false,
                "error": "no email route for the recipient address",
            }),
            Outcome::Unreadable { reason, notified } => json!({
                "ok": false,
                "error": "no receipt total could be read from the mail",
                "reason": reason,
                "whatsapp_notified": notified,
            }),
            Outcome::TooLarge { notified } => json!({
                "ok": false,
                "error": format!("message larger than {} MiB", MAX_RAW_BYTES / (1024 * 1024)),
                "whatsapp_notified": notified,
            }),
        }
    }

    /// The SMTP reject reason for `#[event(email)]`, when the sender should
    /// get the mail back; `None` accepts it. A mail the user was told about
    /// on WhatsApp is accepted.
    pub fn reject_reason(&self) -> Option<&'static str> {
        match self {
            Outcome::UnknownRoute => Some("no misgastos account receives mail at this address"),
            Outcome::TooLarge { notified: false } => {
                Some("message too large for misgastos: the limit is 5 MiB")
            }
            Outcome::Unreadable {
                notified: false, ..
            } => Some("misgastos found no receipt total in this message"),
            _ => None,
        }
    }
}

/// `POST /webhooks/email`.
///
/// # Errors
///
/// [`AppError::NotConfigured`] without `EMAIL_WORKER_SECRET` (503),
/// [`AppError::BadToken`] (401), [`AppError::BadRequest`] for invalid JSON
/// or a mail without recipient (400), and [`AppError::Storage`] when D1
/// fails (503, so the email worker retries).
pub async fn webhook(mut req: Request, env: &Env, ctx: &Context) -> Result<Response, AppError> {
    let config = Config::from_env(env);
    let Some(secret) = config.email_worker_secret.as_deref() else {
        tracing::error!(
            event = events::WEBHOOK_SECRET_MISSING,
            "EMAIL_WORKER_SECRET is not set; every email delivery is refused"
        );
        return Err(AppError::NotConfigured("EMAIL_WORKER_SECRET"));
    };
    let authorization = req.headers().get("authorization").ok().flatten();
    if let Err(error) = email::check_bearer(authorization.as_deref(), secret) {
        tracing::warn!(
            event = events::WEBHOOK_UNAUTHORIZED,
            reason = error.reason(),
            "email webhook bearer token rejected"
        );
        return Err(AppError::BadToken);
    }

    let header = |name: &str| req.headers().get(name).ok().flatten();
    let content_type = header("content-type").unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let json = match media_type.as_str() {
        "message/rfc822" => false,
        "application/json" => true,
        other => {
            tracing::warn!(
                event = events::PAYLOAD_MALFORMED,
                content_type = other,
                "unsupported content type"
            );
            let body = json!({
                "ok": false,
                "error": "expected content type message/rfc822 or application/json",
            });
            return Ok(Response::from_json(&body)?.with_status(415));
        }
    };
    let mut recipients: Vec<String> = req
        .url()
        .map(|url| {
            url.query_pairs()
                .filter(|(name, _)| name == "to")
                .flat_map(|(_, value)| value.split(',').map(str::to_owned).collect::<Vec<_>>())
                .collect()
        })
        .unwrap_or_default();
    recipients.extend(header("to"));
    let declared = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());

    let body = match declared {
        Some(bytes) if bytes > MAX_RAW_BYTES as u64 => Body::Oversized { bytes },
        _ => {
            let bytes = req
                .bytes()
                .await
                .map_err(|error| AppError::BadRequest(format!("{error:?}")))?;
            match (bytes.len() > MAX_RAW_BYTES, json) {
                (true, _) => Body::Oversized {
                    bytes: bytes.len() as u64,
                },
                (false, true) => Body::Json(bytes),
                (false, false) => Body::Raw(bytes),
            }
        }
    };
    let delivery = Delivery {
        recipients,
        sender: None,
        body,
    };
    let outcome = handle(env, ctx, &config, delivery).await?;
    Ok(Response::from_json(&outcome.body())?.with_status(outcome.status()))
}

/// `#[event(email)]`: handles the mail and rejects it back to the sender
/// when no expense came of it and nobody was told on WhatsApp. Never fails:
/// the glue would turn an error into a panic.
pub async fn receive(message: ForwardableEmailMessage, env: Env, ctx: Context) {
    let config = Config::from_env(&env);
    let size = message.raw_size();
    let body = if size > MAX_RAW_BYTES as f64 {
        Body::Oversized { bytes: size as u64 }
    } else {
        match message.raw_bytes().await {
            Ok(bytes) => Body::Raw(bytes),
            Err(error) => {
                tracing::error!(event = events::EVENT_FAILED, error = ?error, "raw message could not be read");
                message.set_reject("misgastos could not read this message; try again later");
                return;
            }
        }
    };
    let delivery = Delivery {
        recipients: vec![message.to()],
        sender: Some(message.from()),
        body,
    };
    match handle(&env, &ctx, &config, delivery).await {
        Ok(outcome) => {
            if let Some(reason) = outcome.reject_reason() {
                tracing::info!(
                    event = events::REJECTED,
                    status = outcome.status(),
                    reason,
                    "mail rejected to its sender"
                );
                message.set_reject(reason);
            }
        }
        Err(error) => {
            tracing::error!(event = events::EVENT_FAILED, error = %error, "mail not handled; rejected");
            message.set_reject("misgastos could not store this receipt right now; try again later");
        }
    }
}

/// Handles one mail: route, sender, receipt, classification, flow, commit,
/// WhatsApp.
///
/// # Errors
///
/// [`AppError::BadRequest`] for invalid JSON or a mail without recipient,
/// [`AppError::Storage`] when D1 fails before the expense is committed.
pub async fn handle(
    env: &Env,
    ctx: &Context,
    config: &Config,
    delivery: Delivery,
) -> Result<Outcome, AppError> {
    let parsed = match &delivery.body {
        Body::Raw(bytes) => Some(mime::parse_raw(bytes)),
        Body::Json(bytes) => match mime::parse_json(bytes) {
            Ok(mail) => Some(Ok(mail)),
            Err(error) => {
                tracing::warn!(event = events::PAYLOAD_MALFORMED, error = %error, "email JSON rejected");
                return Err(AppError::BadRequest(error.to_string()));
            }
        },
        Body::Oversized { bytes } => {
            tracing::warn!(
                event = events::PAYLOAD_TOO_LARGE,
                bytes,
                max = MAX_RAW_BYTES,
                "mail over the limit not read"
            );
            None
        }
    };
    let mail = parsed.as_ref().and_then(|result| result.as_ref().ok());

    let mut recipients: Vec<String> = delivery
        .recipients
        .iter()
        .filter_map(|field| mime::split_address(field).1)
        .collect();
    recipients.extend(mail.map(|mail| mail.to.clone()).unwrap_or_default());
    if recipients.is_empty() {
        tracing::warn!(event = events::PAYLOAD_MALFORMED, "mail names no recipient");
        return Err(AppError::BadRequest(
            "no recipient: set the `to` query parameter or the To header".to_owned(),
        ));
    }

    let store = Store::new(env.d1(DB)?);
    let Some(route) = find_route(&store, &recipients).await? else {
        let domains: Vec<&str> = recipients
            .iter()
            .filter_map(|address| address.rsplit_once('@').map(|(_, domain)| domain))
            .collect();
        tracing::warn!(event = events::ROUTE_UNKNOWN, recipient_domains = ?domains, "no email route for the recipients; mail refused");
        return Ok(Outcome::UnknownRoute);
    };
    let Some(customer) = store.customer(&route.customer_id).await? else {
        tracing::warn!(event = events::ROUTE_UNKNOWN, customer_id = %route.customer_id, "email route names a missing customer; mail refused");
        return Ok(Outcome::UnknownRoute);
    };
    let customer_id = customer.id.as_str();

    let envelope_sender = delivery
        .sender
        .as_deref()
        .and_then(|field| mime::split_address(field).1);
    let header_sender = mail.and_then(|mail| mail.from.clone());
    let sender_user = sender_user(
        &store,
        customer_id,
        envelope_sender.as_deref(),
        header_sender.as_deref(),
    )
    .await?;
    let sender = sender_hash(
        &config.sender_hash_key,
        envelope_sender
            .as_deref()
            .or(header_sender.as_deref())
            .unwrap_or_default(),
    );
    let user_id = route.user_id.clone().or(sender_user);
    let mut link = store.whatsapp_link(customer_id, user_id.as_deref()).await?;
    // Telling the user about a mail is not a reply to anything they wrote on
    // WhatsApp. Without consent the expense waits as if nobody were linked,
    // and its question is asked on their next message.
    if let Some(found) = &link {
        let user = found.user_id.as_deref();
        if !privacy_runner::proactive_allowed(&store, customer_id, user, "email_receipt").await {
            link = None;
        }
    }
    let language = Language::of_locale(&customer.locale);

    let Some(parsed) = parsed else {
        let text = reply::email_too_large(language, MAX_RAW_BYTES / (1024 * 1024));
        let notified = tell(ctx, config, link.as_ref(), "email:oversized", text);
        return Ok(Outcome::TooLarge { notified });
    };
    let mail = match parsed {
        Ok(mail) => mail,
        Err(error) => {
            tracing::warn!(event = events::RECEIPT_UNREADABLE, customer_id, sender = %sender, reason = "not_a_message", error = %error, "mail could not be parsed");
            let notified = tell(
                ctx,
                config,
                link.as_ref(),
                "email:unparsed",
                reply::email_unreadable(language, ""),
            );
            return Ok(Outcome::Unreadable {
                reason: "not_a_message",
                notified,
            });
        }
    };

    let ledger_id = email::ledger_id(&mail);
    let source_id = email::source_id(&ledger_id);
    if store.is_processed(&ledger_id).await? {
        tracing::info!(event = events::DUPLICATE_SKIPPED, customer_id, message_id = %ledger_id, sender = %sender, "mail was handled before");
        return Ok(Outcome::Duplicate { source_id });
    }

    let now = Utc::now();
    let today = runner::local_today(&customer, now);
    let context = ReceiptContext {
        locale: &customer.locale,
        home_currency: customer.home_currency,
        today,
        sent_on: mail
            .date
            .and_then(|date| email::local_day(date, &customer.time_zone)),
    };
    let receipt = match email::extract(&mail, &context) {
        Ok(receipt) => receipt,
        Err(error) => {
            // The ledger row keeps a retried delivery from telling the user
            // twice.
            if store
                .commit(&ledger_id, Some(customer_id), "unreadable", Vec::new())
                .await?
                == Commit::Duplicate
            {
                return Ok(Outcome::Duplicate { source_id });
            }
            tracing::warn!(event = events::RECEIPT_UNREADABLE, customer_id, message_id = %ledger_id, sender = %sender, reason = error.reason(), "no expense read from the mail");
            let text = reply::email_unreadable(language, &mail.subject);
            let notified = tell(ctx, config, link.as_ref(), &ledger_id, text);
            return Ok(Outcome::Unreadable {
                reason: error.reason(),
                notified,
            });
        }
    };

    let mut categories = store.categories(customer_id).await?;
    if categories.is_empty() {
        store.seed_categories(customer_id, language).await?;
        categories = store.categories(customer_id).await?;
    }
    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today,
        now: now.timestamp(),
        message_id: &ledger_id,
    };
    let kv = env.kv(CONVERSATION_STATE_KV)?;
    let state_key = link
        .as_ref()
        .map(|link| platform::state_key(customer_id, &link.identity_id));
    let state = match &state_key {
        Some(key) => match platform::load_state(&kv, key).await {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(event = crate::events::STATE_LOAD_FAILED, customer_id, error = %error, "conversation state unavailable; starting fresh");
                flow::State::default()
            }
        },
        None => flow::State::default(),
    };

    let mut pending = Pending {
        source_id: source_id.clone(),
        draft: flow::Draft {
            amount: receipt.amount,
            spent_on: receipt.spent_on,
            description: receipt.description,
            merchant: receipt.merchant,
        },
    };
    let mut ai = AiContext::new(env, config);
    ai.prepare().await;
    let classification = runner::classify_draft(&store, &ai, &turn, &mut pending).await?;
    let input = Input::Classified(vec![Classified {
        pending,
        classification,
    }]);
    let transition = flow::advance(state, input, &turn);

    let mut statements = Vec::new();
    let mut status = ExpenseStatus::PendingCategory;
    for effect in &transition.effects {
        if let Effect::SaveExpense(expense) = effect {
            status = expense.status;
            statements.push(store.insert_expense(
                customer_id,
                user_id.as_deref(),
                "email",
                expense,
            )?);
            if link.is_some() && expense.status == ExpenseStatus::PendingCategory {
                statements.push(store.email_offered(customer_id, &expense.source_id)?);
            }
        }
    }
    if store
        .commit(&ledger_id, Some(customer_id), "handled", statements)
        .await?
        == Commit::Duplicate
    {
        tracing::info!(event = events::DUPLICATE_SKIPPED, customer_id, message_id = %ledger_id, sender = %sender, "a concurrent delivery committed first");
        return Ok(Outcome::Duplicate { source_id });
    }
    if let Some(key) = &state_key {
        if let Err(error) = platform::save_state(&kv, key, &transition.state).await {
            tracing::warn!(event = crate::events::STATE_SAVE_FAILED, customer_id, error = %error, "conversation state not saved; the category question may not be answerable");
        }
    }

    let mut replies = Vec::new();
    let mut notices = Vec::new();
    for effect in transition.effects {
        match effect {
            Effect::Reply(outbound) => replies.push(from_email(outbound)),
            Effect::Notify(notice) => notices.push((
                runner::notice_kind(&notice),
                runner::notice_text(&notice, &customer),
            )),
            Effect::Log(event) => runner::log_flow_event(&event, customer_id, &ledger_id, &sender),
            _ => {}
        }
    }
    tracing::info!(
        event = events::RECEIPT_STORED,
        customer_id,
        message_id = %ledger_id,
        source_message_id = %source_id,
        sender = %sender,
        status = status.as_str(),
        whatsapp_linked = link.is_some(),
        "receipt stored as an expense"
    );
    if link.is_none() {
        tracing::info!(event = events::WHATSAPP_NOT_LINKED, customer_id, source_message_id = %source_id, "no WhatsApp user to tell; the expense waits for their next message");
        replies.clear();
    }
    let recipient = recipient_of(link.as_ref(), &ledger_id);
    runner::deliver_to(ctx, config, recipient, replies, notices);
    Ok(Outcome::Stored {
        source_id,
        status,
        notified: link.is_some(),
    })
}

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

/// The first recipient with a route. A plus address (`gastos+ana@…`) falls
/// back to its base address when it has no route of its own.
async fn find_route(store: &Store, recipients: &[String]) -> Result<Option<EmailRoute>, AppError> {
    for address in recipients {
        if let Some(route) = store.email_route(address).await? {
            return Ok(Some(route));
        }
        let base = address.split_once('@').and_then(|(local, domain)| {
            local
                .split_once('+')
                .map(|(base, _)| format!("{base}@{domain}"))
        });
        if let Some(base) = base {
            if let Some(route) = store.email_route(&base).await? {
                return Ok(Some(route));
            }
        }
    }
    Ok(None)
}

/// The user whose email identity sent the mail: the envelope sender, else
/// the `From` header. A sender that matches none of the customer's email
/// identities is logged but not refused: forwarding services rewrite the
/// envelope sender (SRS) and an auto-forwarded receipt keeps the merchant's
/// `From`, so neither reliably names the user, and only the route address
/// decides whose ledger it is.
async fn sender_user(
    store: &Store,
    customer_id: &str,
    envelope: Option<&str>,
    header: Option<&str>,
) -> Result<Option<String>, AppError> {
    let mut identities = 0;
    for address in [envelope, header].into_iter().flatten() {
        let found = store.email_sender(customer_id, Some(address)).await?;
        identities = found.identities;
        if found.user_id.is_some() {
            return Ok(found.user_id);
        }
        if identities == 0 {
            return Ok(None);
        }
    }
    if identities > 0 {
        tracing::warn!(
            event = events::SENDER_UNMATCHED,
            customer_id,
            identities,
            "mail sender is none of the customer's email identities; accepted for the route"
        );
    }
    Ok(None)
}

/// Sends one text to the linked WhatsApp user; returns whether there was one.
fn tell(
    ctx: &Context,
    config: &Config,
    link: Option<&WhatsAppLink>,
    log_id: &str,
    text: String,
) -> bool {
    if link.is_none() {
        tracing::info!(
            event = events::WHATSAPP_NOT_LINKED,
            message_id = log_id,
            "no WhatsApp user to tell about the mail"
        );
        return false;
    }
    let recipient = recipient_of(link, log_id);
    runner::deliver_to(
        ctx,
        config,
        recipient,
        vec![Outbound::Text(text)],
        Vec::new(),
    );
    true
}

fn recipient_of(link: Option<&WhatsAppLink>, log_id: &str) -> Recipient {
    Recipient {
        phone_number_id: link.map(|l| l.phone_number_id.clone()).unwrap_or_default(),
        to: link.map(|l| l.phone.clone()),
        message_id: log_id.to_owned(),
        mark_read: false,
    }
}

/// Marks a reply as being about the emailed receipt.
fn from_email(outbound: Outbound) -> Outbound {
    match outbound {
        Outbound::Text(text) => Outbound::Text(reply::from_email(&text)),
        Outbound::Buttons { body, buttons } => Outbound::Buttons {
            body: reply::from_email(&body),
            buttons,
        },
        Outbound::List { body, label, rows } => Outbound::List {
            body: reply::from_email(&body),
            label,
            rows,
        },
        template @ Outbound::Template { .. } => template,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_4xx_so_the_worker_does_not_retry() {
        let cases = [
            (Outcome::UnknownRoute, 404),
            (Outcome::TooLarge { notified: false }, 413),
            (
                Outcome::Unreadable {
                    reason: "no_total",
                    notified: true,
                },
                422,
            ),
            (
                Outcome::Duplicate {
                    source_id: "email:a#1".into(),
                },
                200,
            ),
        ];
        for (outcome, status) in cases {
            assert_eq!(outcome.status(), status, "{outcome:?}");
        }
    }

    #[test]
    fn mail_the_user_heard_about_is_not_rejected() {
        let told = Outcome::Unreadable {
            reason: "no_total",
            notified: true,
        };
        let untold = Outcome::Unreadable {
            reason: "no_total",
            notified: false,
        };
        assert_eq!(told.reject_reason(), None);
        assert!(untold.reject_reason().is_some());
        assert!(Outcome::UnknownRoute.reject_reason().is_some());
    }

    #[test]
    fn duplicate_body_has_the_flag() {
        let body = Outcome::Duplicate {
            source_id: "email:a@b#1".into(),
        }
        .body();
        assert_eq!(body["duplicate"], true);
        assert_eq!(body["source_message_id"], "email:a@b#1");
    }

    #[test]
    fn email_replies_are_marked() {
        let marked = from_email(Outbound::Text("✅ Anotado".into()));
        assert_eq!(marked, Outbound::Text("📧 ✅ Anotado".into()));
    }
}
