//! Who a message is from and whether it may go on: the sender's account,
//! onboarding of unknown senders, the entitlements and the refusals.

use chrono::Utc;
use worker::{Context, Env};

use crate::config::Config;
use crate::error::AppError;
use crate::events;
use crate::kapso::client::Outbound;
use crate::kapso::InboundMessage;
use crate::model::{Customer, Language};
use crate::policy::{self, sql_timestamp, Denial, Entitlements, Subscription};
use crate::store::{Account, Commit, EntitlementsCache, Store};
use crate::telegram::{escape_markdown_v2, NoticeKind};

use super::{deliver, Outcome};

pub(super) async fn resolve_account(
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
pub(super) async fn onboard(
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
pub(super) async fn refuse(
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
