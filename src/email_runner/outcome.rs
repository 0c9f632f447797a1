//! How one mail ended, and what that means for each entry point: the HTTP
//! answer of `POST /webhooks/email` and the SMTP reject of
//! `#[event(email)]`.

use serde_json::{json, Value};

use crate::email::MAX_RAW_BYTES;
use crate::flow::ExpenseStatus;

/// How one mail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored {
        source_id: String,
        status: ExpenseStatus,
        /// Whether a WhatsApp user was sent the result.
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
    /// Rejected by the subscription policy in strict mode; `reason` is a
    /// `policy::Denial::reason`.
    PolicyDenied {
        reason: &'static str,
        notified: bool,
    },
}

impl Outcome {
    /// The HTTP status of `POST /webhooks/email`. Every rejection is a 4xx,
    /// so the email worker does not retry it.
    pub fn status(&self) -> u16 {
        match self {
            Outcome::Stored { .. } | Outcome::Duplicate { .. } => 200,
            Outcome::PolicyDenied { .. } => 403,
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
                "error": if *reason == "amount_too_large" {
                    "the receipt's total is above the maximum amount"
                } else {
                    "no receipt total could be read from the mail"
                },
                "reason": reason,
                "whatsapp_notified": notified,
            }),
            Outcome::TooLarge { notified } => json!({
                "ok": false,
                "error": format!("message larger than {} MiB", MAX_RAW_BYTES / (1024 * 1024)),
                "whatsapp_notified": notified,
            }),
            Outcome::PolicyDenied { reason, notified } => json!({
                "ok": false,
                "error": "the customer's subscription does not allow this receipt",
                "reason": reason,
                "whatsapp_notified": notified,
            }),
        }
    }

    /// The SMTP reject reason for `#[event(email)]`, when the sender should
    /// get the mail back; `None` accepts it. A mail the user heard about on
    /// WhatsApp is accepted.
    pub fn reject_reason(&self) -> Option<&'static str> {
        match self {
            Outcome::UnknownRoute => Some("no misgastos account receives mail at this address"),
            Outcome::TooLarge { notified: false } => {
                Some("message too large for misgastos: the limit is 5 MiB")
            }
            Outcome::Unreadable {
                reason: "amount_too_large",
                notified: false,
            } => Some("the receipt's total is above the most misgastos records"),
            Outcome::Unreadable {
                notified: false, ..
            } => Some("misgastos found no receipt total in this message"),
            Outcome::PolicyDenied {
                notified: false, ..
            } => Some("misgastos did not record this receipt: the account's subscription is not active or its monthly limit is reached"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_4xx_so_the_worker_does_not_retry() {
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
                Outcome::PolicyDenied {
                    reason: "no_subscription",
                    notified: false,
                },
                403,
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
        let denied = |notified| Outcome::PolicyDenied {
            reason: "limit_reached",
            notified,
        };
        assert_eq!(denied(true).reject_reason(), None);
        assert!(denied(false).reject_reason().is_some());
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
    fn policy_body_names_the_reason() {
        let body = Outcome::PolicyDenied {
            reason: "period_ended",
            notified: true,
        }
        .body();
        assert_eq!(body["ok"], false);
        assert_eq!(body["reason"], "period_ended");
        assert_eq!(body["whatsapp_notified"], true);
    }
}
