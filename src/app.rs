//! HTTP routes: `/health` and `/webhooks/whatsapp`.

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::config::{Config, CONVERSATION_STATE_KV, DB};
use crate::error::{AppError, MAX_BODY_BYTES};
use crate::kapso::{self, Delivery};
use crate::runner;
use crate::signature::{self, KAPSO_SIGNATURE_HEADER, WEBHOOK_SIGNATURE_HEADER};
use crate::store::Store;

/// The crate version, plus the git revision when a release build set
/// `MISGASTOS_GIT_REVISION`.
pub fn version() -> String {
    match option_env!("MISGASTOS_GIT_REVISION") {
        Some(revision) if !revision.is_empty() => {
            format!("{}+{revision}", env!("CARGO_PKG_VERSION"))
        }
        _ => env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// Routes one request.
pub async fn route(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    let method = req.method();
    let result = match (method, path.as_str()) {
        (worker::Method::Get, "/health") => return health(&env).await,
        (worker::Method::Post, "/webhooks/whatsapp") => whatsapp_webhook(req, &env, &ctx).await,
        (_, "/health" | "/webhooks/whatsapp") => {
            return Response::error("method not allowed", 405);
        }
        _ => Err(AppError::NotFound),
    };
    match result {
        Ok(response) => Ok(response),
        Err(error) => error_response(&error),
    }
}

fn error_response(error: &AppError) -> worker::Result<Response> {
    let status = error.status();
    if status >= 500 {
        tracing::error!(event = "http.request_failed", status, error = %error, "request failed");
    }
    Ok(Response::from_json(&json!({ "error": error.public_message() }))?.with_status(status))
}

async fn health(env: &Env) -> worker::Result<Response> {
    let config = Config::from_env(env);
    let database = match env.d1(DB) {
        Ok(db) => match Store::new(db).ping().await {
            Ok(()) => "ok".to_owned(),
            Err(error) => format!("error: {}", short(&error.to_string())),
        },
        Err(_) => "error: binding missing".to_owned(),
    };
    let state_kv = match env.kv(CONVERSATION_STATE_KV) {
        Ok(kv) => match kv.get("health:probe").text().await {
            Ok(_) => "ok".to_owned(),
            Err(error) => format!("error: {}", short(&error.to_string())),
        },
        Err(_) => "error: binding missing".to_owned(),
    };
    let secret = if config.webhook_secrets.is_empty() {
        "error: KAPSO_WEBHOOK_SECRET missing".to_owned()
    } else {
        "ok".to_owned()
    };
    let healthy = database == "ok" && state_kv == "ok" && secret == "ok";
    if !healthy {
        tracing::error!(event = "health.degraded", db = %database, conversation_state_kv = %state_kv, webhook_secret = %secret, "health check failed");
    }
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "environment": config.environment,
        "version": version(),
        "checks": {
            "DB": database,
            "CONVERSATION_STATE_KV": state_kv,
            "KAPSO_WEBHOOK_SECRET": secret,
        },
    });
    Ok(Response::from_json(&body)?.with_status(if healthy { 200 } else { 503 }))
}

/// Keeps an error text short for the health body.
fn short(text: &str) -> String {
    text.chars().take(120).collect()
}

async fn whatsapp_webhook(
    mut req: Request,
    env: &Env,
    ctx: &Context,
) -> Result<Response, AppError> {
    let config = Config::from_env(env);
    if config.webhook_secrets.is_empty() {
        tracing::error!(
            event = "whatsapp.webhook_secret_missing",
            "KAPSO_WEBHOOK_SECRET is not set; every delivery is refused"
        );
        return Err(AppError::NotConfigured("KAPSO_WEBHOOK_SECRET"));
    }

    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        tracing::warn!(
            event = "whatsapp.payload_too_large",
            bytes = declared,
            "body over the limit rejected"
        );
        return Err(AppError::PayloadTooLarge);
    }
    let body = req
        .bytes()
        .await
        .map_err(|e| AppError::BadRequest(format!("{e:?}")))?;
    if body.len() > MAX_BODY_BYTES {
        tracing::warn!(
            event = "whatsapp.payload_too_large",
            bytes = body.len(),
            "body over the limit rejected"
        );
        return Err(AppError::PayloadTooLarge);
    }

    let headers = req.headers();
    let kapso_header = headers.get(KAPSO_SIGNATURE_HEADER).ok().flatten();
    let webhook_header = headers.get(WEBHOOK_SIGNATURE_HEADER).ok().flatten();
    if let Err(error) = signature::verify(
        &config.webhook_secrets,
        [kapso_header.as_deref(), webhook_header.as_deref()],
        &body,
    ) {
        tracing::warn!(
            event = "whatsapp.webhook_unauthorized",
            reason = error.reason(),
            bytes = body.len(),
            "webhook signature rejected"
        );
        return Err(AppError::Unauthorized(error));
    }

    let event_header = headers.get("x-webhook-event").ok().flatten();
    let deliveries = kapso::normalise(&body, event_header.as_deref()).map_err(|error| {
        tracing::warn!(event = "whatsapp.payload_malformed", error = %error, "signed body is not a webhook payload");
        AppError::Malformed(error)
    })?;
    if deliveries.is_empty() {
        tracing::info!(
            event = "whatsapp.event_ignored",
            reason = "no_message",
            "payload carried no message"
        );
    }

    let mut handled = 0;
    for delivery in deliveries {
        match delivery {
            Delivery::Ignored(ignored) => {
                tracing::info!(
                    event = "whatsapp.event_ignored",
                    reason = ignored.reason(),
                    "delivery acknowledged without handling"
                );
            }
            Delivery::Message(message) => {
                runner::handle(env, ctx, &config, message).await?;
                handled += 1;
            }
        }
    }
    Ok(Response::from_json(
        &json!({ "ok": true, "handled": handled }),
    )?)
}
