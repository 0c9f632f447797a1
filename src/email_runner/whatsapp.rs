//! Telling the customer's WhatsApp user about a mail.

use chrono::Utc;

use super::events;
use crate::config::Config;
use crate::error::AppError;
use crate::kapso::client::Outbound;
use crate::privacy_runner;
use crate::reply;
use crate::runner::{self, Recipient};
use crate::store::{Store, WhatsAppLink};
use crate::telegram::NoticeKind;
use worker::Context;

/// Finds the WhatsApp identity to send a mail's result to: the route's
/// user's, or the customer's owner's. Returns `None` when there is none, when
/// its 24-hour window for free-form messages is closed (WhatsApp rejects
/// those with error 131047), or when the user opted out of messages that are
/// not replies. The expense then waits for the
/// user's next message.
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails.
pub(super) async fn reachable_link(
    store: &Store,
    customer_id: &str,
    user_id: Option<&str>,
) -> Result<Option<WhatsAppLink>, AppError> {
    let link = store.whatsapp_link(customer_id, user_id).await?;
    match link {
        Some(link) if !link.window_open(Utc::now().timestamp()) => {
            tracing::info!(
                event = events::WHATSAPP_WINDOW_CLOSED,
                customer_id,
                "the linked WhatsApp user has not written in 24 hours; nothing is sent"
            );
            Ok(None)
        }
        // Telling the user about a mail is not a reply to anything they wrote
        // on WhatsApp, so it needs their consent; `proactive_allowed` logs
        // the suppression.
        Some(link) => {
            let user = link.user_id.as_deref();
            let allowed =
                privacy_runner::proactive_allowed(store, customer_id, user, "email_receipt").await;
            Ok(allowed.then_some(link))
        }
        None => Ok(None),
    }
}

/// Sends replies (marked as being about a mail) to the linked user and
/// notices to the operators. Returns whether there was a user to send to.
pub(super) fn tell(
    ctx: &Context,
    config: &Config,
    link: Option<&WhatsAppLink>,
    log_id: &str,
    replies: Vec<Outbound>,
    notices: Vec<(NoticeKind, String)>,
) -> bool {
    if link.is_none() && !replies.is_empty() {
        tracing::info!(
            event = events::WHATSAPP_NOT_LINKED,
            message_id = log_id,
            "no WhatsApp user to send the mail's result to"
        );
    }
    let replies = if link.is_some() {
        replies.into_iter().map(from_email).collect()
    } else {
        Vec::new()
    };
    let recipient = Recipient {
        phone_number_id: link.map(|l| l.phone_number_id.clone()).unwrap_or_default(),
        to: link.map(|l| l.phone.clone()),
        message_id: log_id.to_owned(),
        mark_read: false,
    };
    runner::deliver_to(ctx, config, recipient, replies, notices);
    link.is_some()
}

/// Marks a reply as being about the emailed receipt, once.
fn from_email(outbound: Outbound) -> Outbound {
    let mark = |text: String| {
        if text.starts_with(reply::EMAIL_MARK) {
            text
        } else {
            reply::from_email(&text)
        }
    };
    match outbound {
        Outbound::Text(text) => Outbound::Text(mark(text)),
        Outbound::Buttons { body, buttons } => Outbound::Buttons {
            body: mark(body),
            buttons,
        },
        Outbound::List { body, label, rows } => Outbound::List {
            body: mark(body),
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
    fn email_replies_are_marked_once() {
        let marked = from_email(Outbound::Text("✅ Anotado".into()));
        assert_eq!(marked, Outbound::Text("📧 ✅ Anotado".into()));
        let again = from_email(marked.clone());
        assert_eq!(again, marked);
    }
}
