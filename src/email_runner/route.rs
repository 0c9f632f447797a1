//! Whose mail it is: the route of the recipient address, and the user the
//! sender is.

use super::events;
use crate::error::AppError;
use crate::store::{EmailRoute, Store};

/// The first recipient with a route. A plus address (`gastos+ana@…`) falls
/// back to its base address when it has no route of its own.
pub(super) async fn find_route(
    store: &Store,
    recipients: &[String],
) -> Result<Option<EmailRoute>, AppError> {
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
pub(super) async fn sender_user(
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
