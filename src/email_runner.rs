//! Receipts forwarded by email become expenses.
//!
//! Two entry points share [`handle`]: [`webhook`] for `POST /webhooks/email`,
//! which the separate email worker calls with the raw message or its JSON
//! form, and [`receive`] for the worker's own `#[event(email)]`, when Email
//! Routing delivers mail straight here. `handle` finds the customer through
//! `email_routes`, reads the receipt with [`crate::email`], classifies it as
//! the WhatsApp runner classifies a draft, and lets [`flow::advance`] decide
//! whether it completes or waits for a category. The subscription policy
//! applies as to a WhatsApp message. The expense is committed with the
//! mail's ledger row (`email:<customer id>:<Message-ID>`), so a second
//! delivery of the same mail is a duplicate.
//!
//! The result is sent to the customer's linked WhatsApp user, whose
//! conversation state gets the category question. Without a linked user, or
//! when that user has not written in 24 hours (WhatsApp then rejects
//! free-form messages), the expense waits as `pending_category`, and
//! [`offer_pending`] queues its question on that user's next WhatsApp
//! message. A completed receipt is checked against its category's budget
//! when the user can be told; otherwise the alert waits for their next chat
//! turn in that category.

mod budgets;
mod entry;
mod outcome;
mod pending;
mod policy;
mod route;
mod whatsapp;

use chrono::Utc;
use worker::{Context, Env};

use crate::ai_binding::AiContext;
use crate::config::{Config, DB};
use crate::conversation::{Conversations, Loaded};
use crate::email::{self, mime, ReceiptContext, MAX_RAW_BYTES};
use crate::error::AppError;
use crate::flow::{self, Classified, Effect, ExpenseStatus, Input, Pending, Turn};
use crate::kapso::client::Outbound;
use crate::logging::sender_hash;
use crate::model::Language;
use crate::platform;
use crate::reply;
use crate::runner;
use crate::store::{Commit, Store};

pub use entry::{receive, webhook};
pub use outcome::Outcome;
pub use pending::offer_pending;

/// The log events of the email path, defined with the others in
/// [`crate::events`].
pub mod events {
    pub use crate::events::{
        EMAIL_DUPLICATE_SKIPPED as DUPLICATE_SKIPPED, EMAIL_EVENT_FAILED as EVENT_FAILED,
        EMAIL_PAYLOAD_MALFORMED as PAYLOAD_MALFORMED, EMAIL_PAYLOAD_TOO_LARGE as PAYLOAD_TOO_LARGE,
        EMAIL_PENDING_OFFERED as PENDING_OFFERED, EMAIL_RECEIPT_STORED as RECEIPT_STORED,
        EMAIL_RECEIPT_UNREADABLE as RECEIPT_UNREADABLE, EMAIL_REJECTED as REJECTED,
        EMAIL_ROUTE_UNKNOWN as ROUTE_UNKNOWN, EMAIL_SENDER_UNMATCHED as SENDER_UNMATCHED,
        EMAIL_WEBHOOK_SECRET_MISSING as WEBHOOK_SECRET_MISSING,
        EMAIL_WEBHOOK_UNAUTHORIZED as WEBHOOK_UNAUTHORIZED,
        EMAIL_WHATSAPP_NOT_LINKED as WHATSAPP_NOT_LINKED,
        EMAIL_WHATSAPP_WINDOW_CLOSED as WHATSAPP_WINDOW_CLOSED,
    };
}

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

/// Handles one mail: route, sender, receipt, policy, classification, flow,
/// commit, WhatsApp.
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

    let header_to = mail.map(|mail| mail.to.as_slice()).unwrap_or_default();
    let recipients = email::recipients(&delivery.recipients, header_to);
    if recipients.is_empty() {
        tracing::warn!(event = events::PAYLOAD_MALFORMED, "mail names no recipient");
        return Err(AppError::BadRequest(
            "no recipient: set the `to` query parameter or the To header".to_owned(),
        ));
    }

    let store = Store::new(env.d1(DB)?);
    let Some(route) = route::find_route(&store, &recipients).await? else {
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
    let sender_user = route::sender_user(
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
    let link = whatsapp::reachable_link(&store, customer_id, user_id.as_deref()).await?;
    let language = Language::of_locale(&customer.locale);
    let tell_text = |log_id: &str, text: String| {
        whatsapp::tell(
            ctx,
            config,
            link.as_ref(),
            log_id,
            vec![Outbound::Text(text)],
            Vec::new(),
        )
    };

    let Some(parsed) = parsed else {
        let text = reply::email_too_large(language, MAX_RAW_BYTES / (1024 * 1024));
        let notified = tell_text("email:oversized", text);
        return Ok(Outcome::TooLarge { notified });
    };
    let mail = match parsed {
        Ok(mail) => mail,
        Err(error) => {
            tracing::warn!(event = events::RECEIPT_UNREADABLE, customer_id, sender = %sender, reason = "not_a_message", error = %error, "mail could not be parsed");
            let notified = tell_text("email:unparsed", reply::email_unreadable(language, ""));
            return Ok(Outcome::Unreadable {
                reason: "not_a_message",
                notified,
            });
        }
    };

    let ledger_id = email::ledger_id(customer_id, &mail);
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
            let text = match error {
                email::ReceiptError::AmountTooLarge(amount) => {
                    reply::amount_too_large(language, amount, &customer.locale)
                }
                _ => reply::email_unreadable(language, &mail.subject),
            };
            let notified = tell_text(&ledger_id, text);
            return Ok(Outcome::Unreadable {
                reason: error.reason(),
                notified,
            });
        }
    };

    let checked = policy::Mail {
        ledger_id: &ledger_id,
        sender: &sender,
        link: link.as_ref(),
        now,
    };
    let limit_note = match policy::check(env, ctx, config, &store, &customer, &checked).await? {
        policy::Verdict::Proceed { note } => note,
        policy::Verdict::Stop(outcome) => return Ok(outcome),
    };

    let mut categories = store.categories(customer_id).await?;
    if categories.is_empty() {
        categories = store.seed_categories(customer_id, language).await?;
    }
    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today,
        now: now.timestamp(),
        message_id: &ledger_id,
    };
    let conversations = Conversations::open(env, customer_id);
    let state_key = link
        .as_ref()
        .map(|link| platform::state_key(customer_id, &link.identity_id));
    let Loaded { state, was_idle } = match &state_key {
        Some(key) => conversations.load(key, customer_id).await,
        None => Loaded {
            state: flow::State::default(),
            was_idle: true,
        },
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
    let alerts = budgets::check(
        env,
        config,
        &store,
        &turn,
        user_id.as_deref(),
        link.as_ref(),
        &transition.effects,
    )
    .await?;

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
            // With a user to ask, the question goes into their conversation
            // now; without one, `offer_pending` queues it on their next
            // WhatsApp message.
            if link.is_some() && expense.status == ExpenseStatus::PendingCategory {
                statements.push(store.email_offered(customer_id, &expense.source_id)?);
            }
        }
    }
    statements.extend(alerts.statements);
    if store
        .commit(&ledger_id, Some(customer_id), "handled", statements)
        .await?
        == Commit::Duplicate
    {
        tracing::info!(event = events::DUPLICATE_SKIPPED, customer_id, message_id = %ledger_id, sender = %sender, "a concurrent delivery committed first");
        return Ok(Outcome::Duplicate { source_id });
    }
    if let Some(key) = &state_key {
        conversations
            .save(key, customer_id, was_idle, &transition.state)
            .await;
    }

    let mut replies = Vec::new();
    let mut notices = Vec::new();
    for effect in transition.effects.into_iter().chain(alerts.effects) {
        match effect {
            Effect::Reply(outbound) => replies.push(outbound),
            Effect::Notify(notice) => notices.push((
                runner::notice_kind(&notice),
                runner::notice_text(&notice, &customer),
            )),
            Effect::Log(event) => runner::log_flow_event(&event, customer_id, &ledger_id, &sender),
            _ => {}
        }
    }
    if let Some(note) = limit_note {
        replies.push(Outbound::Text(note));
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
    let notified = whatsapp::tell(ctx, config, link.as_ref(), &ledger_id, replies, notices);
    Ok(Outcome::Stored {
        source_id,
        status,
        notified,
    })
}
