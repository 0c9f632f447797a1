//! Replies, notices and error reports, sent after the response within a
//! time budget.

use chrono::Utc;
use worker::Context;

use crate::config::Config;
use crate::events;
use crate::http::{HttpClient, HttpError};
use crate::kapso::client::{Addressee, Outbound, SendOutcome, SendReport, REPLY_RETRY};
use crate::kapso::InboundMessage;
use crate::platform::FetchClient;
use crate::retry::{Clock, RetryNote, Stop, SystemClock};
use crate::sentry::{self, Report};
use crate::telegram::{escape_markdown_v2, NoticeKind, TelegramOutcome};

/// Time one `wait_until` task may spend on replies and notices. Cloudflare
/// cancels `wait_until` work 30 s after the response; the rest is a margin.
const DELIVERY_BUDGET_MS: u64 = 25_000;

/// Time an error report may spend on Sentry and the Telegram notice.
const REPORT_BUDGET_MS: u64 = 10_000;

/// A read receipt is a courtesy: it must not eat the replies' budget.
const MARK_READ_TIMEOUT_MS: u32 = 2_000;

/// Sends replies and operator notices after the response, in
/// `ctx.wait_until`, within [`DELIVERY_BUDGET_MS`]. Failures are logged and
/// lost replies reported; the expense is already committed.
pub(super) fn deliver(
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
