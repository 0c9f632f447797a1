//! The two ways mail arrives: `POST /webhooks/email` from the separate email
//! worker, and the worker's own `#[event(email)]`. Both read the mail into a
//! [`Delivery`] and hand it to [`handle`].

use serde_json::json;
use worker::{Context, Env, ForwardableEmailMessage, Request, Response};

use super::{events, handle, Body, Delivery};
use crate::config::Config;
use crate::email::{self, MAX_RAW_BYTES};
use crate::error::AppError;
use crate::platform;

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
            let bytes = platform::read_body(&mut req, MAX_RAW_BYTES)
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
