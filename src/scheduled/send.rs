//! Sending proactive messages: the opt-out check, the claim, the 24-hour
//! window, text or template, and Kapso's response. Also the daily nudges.

use chrono::NaiveDate;

use crate::events;
use crate::kapso::client::{Addressee, Outbound, SendOutcome, REPLY_RETRY};
use crate::model::Customer;
use crate::platform::FetchClient;
use crate::policy::sql_timestamp;
use crate::privacy;
use crate::reminders::{self, Plan, Reminder};
use crate::retry::SystemClock;

use super::store::Recipient;
use super::{Run, PAGE_SIZE};

/// Returns whether a member may get messages that are not replies. Every
/// scheduled sender checks here, and only here; the rule itself is
/// [`privacy::accepts_proactive`], over the `users.opted_out_at` that
/// `sql::PROACTIVE_RECIPIENT` returns and `STOP` or `BAJA` set.
pub(crate) fn may_contact(recipient: &Recipient) -> bool {
    privacy::accepts_proactive(recipient.opted_out_at.as_deref())
}

/// Returns whether free-form text may be sent to `recipient` at `now` (unix
/// seconds); see [`reminders::window_open`].
pub(super) fn window_open(recipient: &Recipient, now: i64) -> bool {
    let at = |text: &Option<String>| text.as_deref().and_then(reminders::timestamp);
    reminders::window_open(
        at(&recipient.last_inbound_at),
        at(&recipient.window_closed_at),
        now,
    )
}

/// Sends `reminder` to `user_id` (the customer's owner when `None`) at most
/// once per `key`. Logs every outcome and never fails.
pub(super) async fn proactive(
    context: &mut Run<'_>,
    customer: &Customer,
    user_id: Option<&str>,
    reminder: &Reminder,
    key: &str,
    today: NaiveDate,
) {
    let customer_id = customer.id.as_str();
    let kind = reminder.kind();
    let Some(kapso) = context.config.kapso.clone() else {
        tracing::warn!(
            event = events::KAPSO_NOT_CONFIGURED,
            customer_id,
            kind,
            "KAPSO_API_KEY missing; reminder not sent"
        );
        return;
    };
    let recipient = match context
        .store
        .proactive_recipient(customer_id, user_id)
        .await
    {
        Ok(Some(recipient)) => recipient,
        Ok(None) => {
            tracing::info!(
                event = events::REMINDER_SKIPPED,
                customer_id,
                kind,
                reason = "no_recipient",
                "no active WhatsApp identity to remind"
            );
            return;
        }
        Err(error) => {
            context.tally.failures += 1;
            tracing::error!(event = events::REMINDER_FAILED, customer_id, kind, error = %error, "recipient not read; reminder not sent");
            return;
        }
    };
    if !may_contact(&recipient) {
        tracing::info!(
            event = events::REMINDER_SKIPPED,
            customer_id,
            kind,
            reason = "opted_out",
            "member opted out; reminder not sent"
        );
        return;
    }
    let member = recipient
        .user_id
        .clone()
        .unwrap_or_else(|| recipient.identity_id.clone());
    match context
        .store
        .claim_reminder(customer_id, &member, kind, key)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(
                event = events::REMINDER_SKIPPED,
                customer_id,
                kind,
                reason = "already_sent",
                "reminder was claimed before"
            );
            return;
        }
        Err(error) => {
            context.tally.failures += 1;
            tracing::error!(event = events::REMINDER_FAILED, customer_id, kind, error = %error, "reminder not claimed; not sent");
            return;
        }
    }

    let open = window_open(&recipient, context.now.timestamp());
    let templates = &context.config.reminder_templates;
    let mut plan = reminders::plan(reminder, open, templates, &customer.locale, today);
    let mut outcome = "no_template";
    // At most two sends: a text, then its template once a 131047 shows
    // that the window is closed.
    for _ in 0..2 {
        let (message, channel) = match &plan {
            Plan::Text(message) => (message, "text"),
            Plan::Template(message) => (message, "template"),
            Plan::NoTemplate => {
                tracing::info!(
                    event = events::REMINDER_SKIPPED,
                    customer_id,
                    kind,
                    reason = "no_template",
                    "window closed and no template configured for this reminder"
                );
                break;
            }
        };
        match send(&kapso, &recipient, message).await {
            SendOutcome::Sent { .. } => {
                context.tally.reminders += 1;
                outcome = if channel == "text" {
                    "sent_text"
                } else {
                    "sent_template"
                };
                tracing::info!(
                    event = events::REMINDER_SENT,
                    customer_id,
                    kind,
                    channel,
                    "reminder sent"
                );
                break;
            }
            SendOutcome::WindowClosed => {
                outcome = "window_closed";
                tracing::warn!(
                    event = events::REMINDER_WINDOW_CLOSED,
                    customer_id,
                    kind,
                    channel,
                    "kapso answered 131047: the 24-hour window is closed; recorded, not retried"
                );
                if let Err(error) = context
                    .store
                    .record_window_closed(&recipient.identity_id)
                    .await
                {
                    tracing::error!(event = events::REMINDER_FAILED, customer_id, kind, error = %error, "closed window not recorded");
                }
                if channel == "template" {
                    break;
                }
                plan = reminders::plan(reminder, false, templates, &customer.locale, today);
            }
            SendOutcome::Rejected { status, code } => {
                context.tally.failures += 1;
                outcome = "failed";
                tracing::error!(
                    event = events::REMINDER_FAILED,
                    customer_id,
                    kind,
                    channel,
                    status,
                    code,
                    "kapso rejected the reminder"
                );
                break;
            }
            SendOutcome::Unreachable(error) => {
                context.tally.failures += 1;
                outcome = "failed";
                tracing::error!(event = events::REMINDER_FAILED, customer_id, kind, channel, error = %error, "kapso unreachable; reminder not sent");
                break;
            }
        }
    }
    if let Err(error) = context
        .store
        .finish_reminder(&member, kind, key, outcome)
        .await
    {
        tracing::warn!(event = events::REMINDER_FAILED, customer_id, kind, error = %error, "reminder outcome not recorded");
    }
}

/// Sends one proactive message to `recipient`, with Kapso's retries.
pub(super) async fn send(
    kapso: &crate::kapso::client::KapsoClient,
    recipient: &Recipient,
    message: &Outbound,
) -> SendOutcome {
    kapso
        .send_with_retry(
            &FetchClient,
            &SystemClock,
            &REPLY_RETRY,
            &Addressee {
                phone_number_id: &recipient.phone_number_id,
                to: &recipient.phone,
                // A reminder answers no inbound message.
                in_reply_to: None,
            },
            message,
            |note| {
                tracing::info!(
                    event = events::REPLY_RETRYING,
                    attempt = note.attempt,
                    wait_ms = note.wait_ms,
                    "kapso reminder failed; retrying"
                );
            },
        )
        .await
        .outcome
}

/// Sends the daily nudge to every member whose hour has come and who has
/// logged nothing today.
pub(super) async fn daily_reminders(context: &mut Run<'_>) {
    let mut after = String::new();
    loop {
        let rows = match context.store.daily_reminders(&after, PAGE_SIZE).await {
            Ok(rows) => rows,
            Err(error) => {
                context.tally.failures += 1;
                tracing::error!(event = events::SCHEDULED_RUN_FAILED, stage = "daily_reminders", error = %error, "daily reminders not read");
                return;
            }
        };
        let full_page = rows.len() >= PAGE_SIZE as usize;
        if let Some(last) = rows.last() {
            after = last.user_id.clone();
        }
        for row in rows {
            let local = context.local_time(&row.customer_id, &row.time_zone);
            if !reminders::daily_due(local, row.daily_hour as u32) {
                continue;
            }
            let today = local.date();
            let midnight = match today
                .and_hms_opt(0, 0, 0)
                .map(|start| context.now - (local - start))
            {
                Some(midnight) => midnight,
                None => continue,
            };
            let logged = context
                .store
                .expenses_logged_since(&row.customer_id, &row.user_id, &sql_timestamp(midnight))
                .await;
            match logged {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => {
                    context.tally.failures += 1;
                    tracing::error!(event = events::REMINDER_FAILED, customer_id = %row.customer_id, kind = "daily", error = %error, "today's expenses not counted; nudge not sent");
                    continue;
                }
            }
            let Some((customer, _)) = context.customer(&row.customer_id).await else {
                continue;
            };
            let key = today.format("%Y-%m-%d").to_string();
            proactive(
                context,
                &customer,
                Some(&row.user_id),
                &Reminder::Daily,
                &key,
                today,
            )
            .await;
        }
        if !full_page {
            return;
        }
    }
}
