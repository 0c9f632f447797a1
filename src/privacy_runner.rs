//! Performs the privacy commands of one WhatsApp message and serves export
//! links. [`proactive_allowed`] decides, for every sender of messages that
//! are not replies, whether the user accepts them.
//!
//! The runner hands a message here once its sender is a known, active user
//! and before the subscription policy, so that opting out, exporting and
//! deleting work whatever the subscription says. Every command is committed
//! with the message's ledger row like any other message, so a retried
//! delivery is answered once.

use chrono::{SecondsFormat, Utc};
use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::config::{Config, CONVERSATION_STATE_KV, DB};
use crate::error::AppError;
use crate::events;
use crate::kapso::client::Outbound;
use crate::kapso::{Content, InboundMessage};
use crate::model::{Customer, Language};
use crate::platform;
use crate::privacy::export::{self, Format};
use crate::privacy::{self, texts, Choice, MemberDeletion, Request as Command};
use crate::privacy_store::PrivacyStore;
use crate::reply;
use crate::runner::{self, Outcome, Recipient};
use crate::store::{self, Commit, Identity, Store};
use crate::telegram::{escape_markdown_v2, NoticeKind};
use crate::token;

/// Returns whether a message that is not a reply to the user's own message
/// may be sent to `user_id` of `customer_id`. Such messages are an emailed
/// receipt's confirmation, reminders and recurring-payment notices, and
/// every sender of one calls this right before sending. The answer is no
/// after the user opted out (`STOP`, `BAJA`, …) and when the user no longer
/// exists. A failed check counts as no, and every no is logged as
/// `privacy.proactive_suppressed` with `purpose`.
pub async fn proactive_allowed(
    store: &Store,
    customer_id: &str,
    user_id: Option<&str>,
    purpose: &'static str,
) -> bool {
    let reason = match user_id {
        None => "user_missing",
        Some(user_id) => match store.user_opted_out(customer_id, user_id).await {
            Ok(Some(false)) => return true,
            Ok(Some(true)) => "opted_out",
            Ok(None) => "user_missing",
            Err(error) => {
                tracing::warn!(event = events::PROACTIVE_SUPPRESSED, customer_id, purpose, reason = "check_failed", error = %error, "opt-out could not be read; message not sent");
                return false;
            }
        },
    };
    tracing::info!(
        event = events::PROACTIVE_SUPPRESSED,
        customer_id,
        purpose,
        reason,
        "message that is not a reply was not sent"
    );
    false
}

/// The privacy action a message carries.
enum Action {
    Command(Command),
    Choice(Choice),
}

/// Handles the message when it is a privacy command or a deletion button;
/// `None` leaves it to the expense flow.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails before the command is committed.
#[allow(clippy::too_many_arguments)]
pub async fn handle(
    env: &Env,
    ctx: &Context,
    config: &Config,
    store: &Store,
    message: &InboundMessage,
    customer: &Customer,
    identity: &Identity,
    sender: &str,
) -> Result<Option<Outcome>, AppError> {
    let action = match &message.content {
        Content::Text(text) => privacy::recognise(text).map(Action::Command),
        Content::Choice { id, .. } => privacy::choice(id).map(Action::Choice),
        _ => None,
    };
    let (Some(action), Some(user_id)) = (action, identity.user_id.as_deref()) else {
        return Ok(None);
    };
    let privacy_store = PrivacyStore::new(env.d1(DB)?);
    let turn = PrivacyTurn {
        ctx,
        config,
        store,
        message,
        customer,
        user_id,
        sender,
        language: Language::of_locale(&customer.locale),
        now: Utc::now().timestamp(),
    };
    let outcome = match action {
        Action::Command(Command::OptOut) => turn.set_opt_out(&privacy_store, true).await?,
        Action::Command(Command::OptIn) => turn.set_opt_out(&privacy_store, false).await?,
        Action::Command(Command::Export) => turn.send_export_link().await?,
        Action::Command(Command::Delete) => turn.ask_deletion(&privacy_store).await?,
        Action::Choice(Choice::KeepData) => {
            let text = reply::kept(turn.language).to_owned();
            turn.answer("deletion_kept", "kept", text).await?
        }
        Action::Choice(Choice::ConfirmDeletion { expires_at }) if turn.now < expires_at => {
            turn.delete(env, &privacy_store).await?
        }
        Action::Choice(Choice::ConfirmDeletion { .. } | Choice::Unknown) => {
            let text = texts::deletion_expired(turn.language).to_owned();
            turn.answer("deletion_expired", "expired", text).await?
        }
    };
    Ok(Some(outcome))
}

/// One privacy command and what it is about.
struct PrivacyTurn<'a> {
    ctx: &'a Context,
    config: &'a Config,
    store: &'a Store,
    message: &'a InboundMessage,
    customer: &'a Customer,
    user_id: &'a str,
    sender: &'a str,
    language: Language,
    /// Unix seconds.
    now: i64,
}

impl PrivacyTurn<'_> {
    /// Commits the message's ledger row (under `ledger_id`) with
    /// `statements`; `false` when a concurrent delivery committed first.
    async fn commit(
        &self,
        ledger_id: &str,
        outcome: &str,
        statements: Vec<worker::D1PreparedStatement>,
    ) -> Result<bool, AppError> {
        let customer_id = self.customer.id.as_str();
        let commit = self
            .store
            .commit(ledger_id, Some(customer_id), outcome, statements)
            .await?;
        if commit == Commit::Duplicate {
            tracing::info!(event = events::DUPLICATE_SKIPPED, message_id = %self.message.id, customer_id, sender = self.sender, "a concurrent delivery committed first");
        }
        Ok(commit == Commit::Committed)
    }

    fn reply(&self, outbound: Outbound, notices: Vec<(NoticeKind, String)>) {
        let recipient = Recipient {
            phone_number_id: self.message.phone_number_id.clone(),
            to: self.message.sender.phone.clone(),
            message_id: self.message.id.clone(),
            mark_read: true,
        };
        runner::deliver_to(self.ctx, self.config, recipient, vec![outbound], notices);
    }

    /// Records the message and sends `text`, logging the deletion `step`.
    async fn answer(&self, outcome: &str, step: &str, text: String) -> Result<Outcome, AppError> {
        if !self.commit(&self.message.id, outcome, Vec::new()).await? {
            return Ok(Outcome::Duplicate);
        }
        tracing::info!(event = events::DELETION, customer_id = %self.customer.id, message_id = %self.message.id, sender = self.sender, step, "deletion step");
        self.reply(Outbound::Text(text), Vec::new());
        Ok(Outcome::Handled)
    }

    async fn set_opt_out(
        &self,
        privacy_store: &PrivacyStore,
        opted_out: bool,
    ) -> Result<Outcome, AppError> {
        let statement = privacy_store.set_opted_out(&self.customer.id, self.user_id, opted_out)?;
        let outcome = if opted_out { "opted_out" } else { "opted_in" };
        if !self
            .commit(&self.message.id, outcome, vec![statement])
            .await?
        {
            return Ok(Outcome::Duplicate);
        }
        tracing::info!(event = events::OPT_OUT_CHANGED, customer_id = %self.customer.id, message_id = %self.message.id, sender = self.sender, opted_out, "user changed their opt-out");
        let text = if opted_out {
            texts::opted_out(self.language)
        } else {
            texts::opted_in(self.language)
        };
        self.reply(Outbound::Text(text.to_owned()), Vec::new());
        Ok(Outcome::Handled)
    }

    async fn send_export_link(&self) -> Result<Outcome, AppError> {
        if !self
            .commit(&self.message.id, "export_requested", Vec::new())
            .await?
        {
            return Ok(Outcome::Duplicate);
        }
        let customer_id = self.customer.id.as_str();
        let (Some(key), Some(base_url)) = (
            self.config.link_signing_key.as_deref(),
            self.config.public_base_url.as_deref(),
        ) else {
            tracing::warn!(event = events::EXPORT_UNAVAILABLE, customer_id, message_id = %self.message.id, sender = self.sender, "LINK_SIGNING_KEY or PUBLIC_BASE_URL is not set; no export link made");
            let text = texts::export_unavailable(self.language).to_owned();
            self.reply(Outbound::Text(text), Vec::new());
            return Ok(Outcome::Handled);
        };
        let nonce = store::new_id().replace('-', "");
        let claims = export::claims(customer_id, self.user_id, self.now, nonce);
        let token = token::sign(key, &claims);
        let text = texts::export_ready(
            self.language,
            &export::link(base_url, &token, Format::Csv),
            &export::link(base_url, &token, Format::Json),
            privacy::EXPORT_LINK_TTL_SECONDS / 60,
        );
        tracing::info!(event = events::EXPORT_LINK_SENT, customer_id, message_id = %self.message.id, sender = self.sender, expires_at = claims.expires_at, "export link sent");
        self.reply(Outbound::Text(text), Vec::new());
        Ok(Outcome::Handled)
    }

    async fn ask_deletion(&self, privacy_store: &PrivacyStore) -> Result<Outcome, AppError> {
        let summary = privacy_store
            .summary(&self.customer.id, self.user_id)
            .await?;
        let (mode, expenses) = summary.map_or((MemberDeletion::Anonymise, 0), |summary| {
            (summary.mode, summary.expenses)
        });
        if !self
            .commit(&self.message.id, "deletion_asked", Vec::new())
            .await?
        {
            return Ok(Outcome::Duplicate);
        }
        tracing::info!(event = events::DELETION, customer_id = %self.customer.id, message_id = %self.message.id, sender = self.sender, step = "asked", mode = mode.as_str(), "deletion asked; waiting for the button");
        let question = privacy::deletion_question(self.language, mode, expenses, self.now);
        self.reply(question, Vec::new());
        Ok(Outcome::Handled)
    }

    /// Deletes the user's personal data in one D1 batch, then their
    /// conversation state in KV. The confirming message is recorded under
    /// its erased id, since its wamid names the user.
    async fn delete(&self, env: &Env, privacy_store: &PrivacyStore) -> Result<Outcome, AppError> {
        let customer_id = self.customer.id.as_str();
        let Some((plan, summary)) = privacy_store.plan(customer_id, self.user_id).await? else {
            return Err(AppError::Storage(format!(
                "customer `{customer_id}` not found while deleting a user's data"
            )));
        };
        let statements = privacy_store.deletion(&plan)?;
        let ledger_id = privacy::erased_ledger_id(&self.message.id);
        if !self
            .commit(&ledger_id, "privacy_deleted", statements)
            .await?
        {
            return Ok(Outcome::Duplicate);
        }

        let kv = env.kv(CONVERSATION_STATE_KV)?;
        for identity_id in &plan.identity_ids {
            let key = platform::state_key(customer_id, identity_id);
            if let Err(error) = kv.delete(&key).await {
                tracing::warn!(event = events::DELETION_STATE_FAILED, customer_id, key = %key, error = %error, "conversation state of a deleted user not removed; it expires with its TTL");
            }
        }
        tracing::info!(
            event = events::DELETION,
            customer_id,
            message_id = %self.message.id,
            sender = self.sender,
            step = "completed",
            mode = plan.mode.as_str(),
            expenses = summary.expenses,
            identities = plan.identity_ids.len(),
            ledger_rows = plan.ledger_ids.len(),
            "personal data deleted"
        );
        let notice = deletion_notice(customer_id, plan.mode, summary.expenses);
        let text = texts::deleted(self.language).to_owned();
        self.reply(Outbound::Text(text), vec![(NoticeKind::Customers, notice)]);
        Ok(Outcome::Handled)
    }
}

/// Builds the operators' notice of a deletion: the customer and what
/// happened to the expenses, never who.
fn deletion_notice(customer_id: &str, mode: MemberDeletion, expenses: u32) -> String {
    let what = match mode {
        MemberDeletion::Anonymise => "anonimizados",
        MemberDeletion::Delete => "borrados",
    };
    format!(
        "🗑 *Datos personales de un usuario borrados*\nCliente: `{}`\nGastos {what}: {expenses}",
        escape_markdown_v2(customer_id)
    )
}

/// Serves `GET /exports/<token>.csv` and `.json`, the export a signed link
/// opens. A malformed, wrong or expired token, and a user deleted since, get
/// the same 404 as any unknown path.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 or KV fails (503).
pub async fn serve_export(req: &Request, env: &Env) -> Result<Response, AppError> {
    let config = Config::from_env(env);
    let path = req.path();
    let now = Utc::now();
    let reject = |reason: &str| {
        tracing::warn!(
            event = events::EXPORT_LINK_REJECTED,
            reason,
            "export link rejected"
        );
        not_found()
    };
    let Some((token, format)) = export::parse_path(&path) else {
        return reject("malformed");
    };
    let Some(key) = config.link_signing_key.as_deref() else {
        return reject("not_configured");
    };
    let claims = token::verify(key, token, privacy::EXPORT_TOKEN_KIND, now.timestamp());
    let Some((claims, user_id)) = claims.and_then(|c| c.user_id.clone().map(|u| (c, u))) else {
        return reject("invalid_or_expired");
    };

    let privacy_store = PrivacyStore::new(env.d1(DB)?);
    let kv = env.kv(CONVERSATION_STATE_KV)?;
    let generated_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let export = privacy_store
        .export(&kv, &claims.customer_id, &user_id, generated_at)
        .await?;
    let Some(export) = export else {
        return reject("user_missing");
    };

    let rows: usize = export.sections.iter().map(|s| s.rows.len()).sum();
    let body = match format {
        Format::Csv => export::render_csv(&export),
        Format::Json => export::render_json(&export).to_string(),
    };
    tracing::info!(event = events::EXPORT_SERVED, customer_id = %claims.customer_id, format = format.extension(), rows, "export served");
    let filename = format!(
        "misgastos-{}.{}",
        now.format("%Y-%m-%d"),
        format.extension()
    );
    let mut response = Response::ok(body)?;
    let headers = response.headers_mut();
    headers.set("content-type", format.content_type())?;
    headers.set(
        "content-disposition",
        &format!("attachment; filename=\"{filename}\""),
    )?;
    private_headers(headers)?;
    Ok(response)
}

/// Headers that keep an export, and the 404 of a bad link, out of caches,
/// search engines and referrers.
fn private_headers(headers: &mut worker::Headers) -> worker::Result<()> {
    headers.set("cache-control", "no-store")?;
    headers.set("x-robots-tag", "noindex")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("x-content-type-options", "nosniff")
}

fn not_found() -> Result<Response, AppError> {
    let body = json!({ "error": AppError::NotFound.public_message() });
    let mut response = Response::from_json(&body)?.with_status(404);
    private_headers(response.headers_mut())?;
    Ok(response)
}
