//! The subscription policy for an emailed receipt, as for a WhatsApp message:
//! in strict mode a customer without an active subscription, or at its
//! monthly limit, gets a refusal and nothing is stored but the ledger row.

use chrono::{DateTime, Utc};
use worker::{Context, Env};

use super::whatsapp;
use crate::config::Config;
use crate::error::AppError;
use crate::kapso::client::Outbound;
use crate::model::{Customer, Language};
use crate::policy::{self, sql_timestamp, Decision, Denial, Entitlements, Usage, Warning};
use crate::runner;
use crate::store::{Commit, Store, WhatsAppLink};
use crate::telegram::{escape_markdown_v2, NoticeKind};

use super::Outcome;

/// What the policy decided for one mail.
pub(super) enum Verdict {
    /// Store the expense; `note` is a warning to add to the replies.
    Proceed { note: Option<String> },
    /// The mail ended here.
    Stop(Outcome),
}

/// The mail being checked.
pub(super) struct Mail<'a> {
    /// `email:<customer id>:<Message-ID>`, the ledger row it is committed and logged under.
    pub(super) ledger_id: &'a str,
    /// The keyed hash of the sender address.
    pub(super) sender: &'a str,
    /// The WhatsApp user a refusal is sent to.
    pub(super) link: Option<&'a WhatsAppLink>,
    pub(super) now: DateTime<Utc>,
}

/// Decides whether the mail's one new expense may be stored. A refusal is
/// committed to the ledger, logged as `policy.denied`, sent to the linked
/// WhatsApp user and noticed to the operators.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails.
pub(super) async fn check(
    env: &Env,
    ctx: &Context,
    config: &Config,
    store: &Store,
    customer: &Customer,
    mail: &Mail<'_>,
) -> Result<Verdict, AppError> {
    let customer_id = customer.id.as_str();
    let now = mail.now;
    let entitlements = runner::load_entitlements(env, ctx, store, customer_id, now).await?;
    let expenses_this_month = if entitlements.has_expense_limit() {
        let (from, to) = policy::month_bounds(now, &customer.time_zone);
        store
            .expenses_created_between(customer_id, &sql_timestamp(from), &sql_timestamp(to))
            .await?
    } else {
        0
    };
    let usage = Usage {
        now: now.timestamp(),
        expenses_this_month,
        new_expenses: 1,
    };
    match policy::decide(&entitlements, usage, config.strict_policy) {
        Decision::Allow => Ok(Verdict::Proceed { note: None }),
        Decision::AllowWithWarning(Warning::Permissive(denial)) => {
            runner::log_permissive(
                &entitlements,
                &denial,
                customer_id,
                mail.ledger_id,
                mail.sender,
            );
            Ok(Verdict::Proceed { note: None })
        }
        Decision::AllowWithWarning(warning) => {
            if let Warning::LimitNear { limit, remaining } = warning {
                tracing::info!(
                    event = policy::events::LIMIT_NEAR,
                    customer_id,
                    message_id = mail.ledger_id,
                    limit,
                    remaining,
                    "expense limit nearly used up"
                );
            }
            let note = policy::warning_text(&warning, Language::of_locale(&customer.locale));
            Ok(Verdict::Proceed { note })
        }
        Decision::Deny(denial) => {
            refuse(ctx, config, store, customer, mail, &entitlements, &denial).await
        }
    }
}

async fn refuse(
    ctx: &Context,
    config: &Config,
    store: &Store,
    customer: &Customer,
    mail: &Mail<'_>,
    entitlements: &Entitlements,
    denial: &Denial,
) -> Result<Verdict, AppError> {
    let customer_id = customer.id.as_str();
    let committed = store
        .commit(
            mail.ledger_id,
            Some(customer_id),
            "policy_denied",
            Vec::new(),
        )
        .await?;
    if committed == Commit::Duplicate {
        tracing::info!(
            event = super::events::DUPLICATE_SKIPPED,
            customer_id,
            message_id = mail.ledger_id,
            sender = mail.sender,
            "a concurrent delivery committed first"
        );
        return Ok(Verdict::Stop(Outcome::Duplicate {
            source_id: crate::email::source_id(mail.ledger_id),
        }));
    }
    let subscription = entitlements.subscription.as_ref();
    tracing::warn!(
        event = policy::events::DENIED,
        customer_id,
        message_id = mail.ledger_id,
        sender = mail.sender,
        source = "email",
        reason = denial.reason(),
        plan = subscription.map(|s| s.plan.as_str()),
        status = subscription.map(|s| s.status.as_str()),
        "receipt refused by the subscription policy"
    );
    let text = policy::refusal_text(denial, Language::of_locale(&customer.locale));
    let notice = format!(
        "⛔ *Correo rechazado*\nCliente: `{}`\nMotivo: `{}`",
        escape_markdown_v2(customer_id),
        escape_markdown_v2(denial.reason())
    );
    let notified = whatsapp::tell(
        ctx,
        config,
        mail.link,
        mail.ledger_id,
        vec![Outbound::Text(text)],
        vec![(NoticeKind::Policy, notice)],
    );
    Ok(Verdict::Stop(Outcome::PolicyDenied {
        reason: denial.reason(),
        notified,
    }))
}
