//! HTTP routes: `/health`, `/webhooks/whatsapp`, `/webhooks/email` and the
//! report and export links under `/reports/` and `/exports/`.

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::config::{Config, CONVERSATION_STATE_KV, DB};
use crate::email_runner;
use crate::error::AppError;
use crate::events;
use crate::kapso::Delivery;
use crate::privacy;
use crate::privacy_runner;
use crate::report_route;
use crate::runner;
use crate::sentry::Report;
use crate::signature::{KAPSO_SIGNATURE_HEADER, WEBHOOK_SIGNATURE_HEADER};
use crate::store::Store;
use crate::webhook::{self, Delivered};

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
        (worker::Method::Post, "/webhooks/email") => email_runner::webhook(req, &env, &ctx).await,
        (worker::Method::Get, report) if report.starts_with(report_route::PREFIX) => {
            report_route::serve(report, &env).await
        }
        (worker::Method::Get, export) if export.starts_with(privacy::export::PATH_PREFIX) => {
            privacy_runner::serve_export(&req, &env).await
        }
        (method, known)
            if matches!(known, "/health" | "/webhooks/whatsapp" | "/webhooks/email")
                || known.starts_with(report_route::PREFIX) =>
        {
            tracing::warn!(event = events::METHOD_NOT_ALLOWED, method = ?method, path = %path, "method not allowed");
            return Response::error("method not allowed", 405);
        }
        (method, _) => {
            tracing::info!(event = events::ROUTE_NOT_FOUND, method = ?method, path = %path, "no route for the path");
            Err(AppError::NotFound)
        }
    };
    match result {
        Ok(response) => Ok(response),
        Err(error) => error_response(&error, &env, &ctx, &path),
    }
}

/// Answers an error; a 5xx is logged here, once, and reported to Sentry.
fn error_response(
    error: &AppError,
    env: &Env,
    ctx: &Context,
    path: &str,
) -> worker::Result<Response> {
    let status = error.status();
    if status >= 500 {
        tracing::error!(event = events::REQUEST_FAILED, status, path, error = %error, "request failed");
        let report = Report::new(events::REQUEST_FAILED, error.to_string())
            .tag("status", status.to_string())
            .tag("path", path);
        runner::report_error(ctx, &Config::from_env(env), report);
    }
    Ok(Response::from_json(&json!({ "error": error.public_message() }))?.with_status(status))
}

async fn health(env: &Env) -> worker::Result<Response> {
    let config = Config::from_env(env);
    // The body names what failed in fixed words; the error text itself,
    // which can quote SQL or storage internals, goes to the log only.
    let mut details = Vec::new();
    let database = match env.d1(DB) {
        Ok(db) => match Store::new(db).ping().await {
            Ok(()) => "ok",
            Err(error) => {
                details.push(format!("DB: {}", short(&error.to_string())));
                "error: query failed"
            }
        },
        Err(_) => "error: binding missing",
    };
    let state_kv = match env.kv(CONVERSATION_STATE_KV) {
        Ok(kv) => match kv.get("health:probe").text().await {
            Ok(_) => "ok",
            Err(error) => {
                details.push(format!(
                    "CONVERSATION_STATE_KV: {}",
                    short(&error.to_string())
                ));
                "error: read failed"
            }
        },
        Err(_) => "error: binding missing",
    };
    let secret = if config.webhook_secrets.is_empty() {
        "error: KAPSO_WEBHOOK_SECRET missing"
    } else {
        "ok"
    };
    let healthy = database == "ok" && state_kv == "ok" && secret == "ok";
    if !healthy {
        tracing::error!(event = events::HEALTH_DEGRADED, db = %database, conversation_state_kv = %state_kv, webhook_secret = %secret, detail = %details.join("; "), "health check failed");
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
    let content_length = req.headers().get("content-length").ok().flatten();
    webhook::check_declared_length(content_length.as_deref())?;
    let body = req.bytes().await.map_err(|e| {
        tracing::warn!(event = events::BODY_UNREADABLE, error = ?e, "request body could not be read");
        AppError::BadRequest(format!("{e:?}"))
    })?;
    let headers = req.headers();
    let kapso_signature = headers.get(KAPSO_SIGNATURE_HEADER).ok().flatten();
    let webhook_signature = headers.get(WEBHOOK_SIGNATURE_HEADER).ok().flatten();
    let event = headers.get("x-webhook-event").ok().flatten();
    let delivered = Delivered {
        content_length: content_length.as_deref(),
        kapso_signature: kapso_signature.as_deref(),
        webhook_signature: webhook_signature.as_deref(),
        event: event.as_deref(),
        body: &body,
    };
    let deliveries = webhook::accept(&config.webhook_secrets, &delivered)?;

    let mut handled = 0;
    for delivery in deliveries {
        match delivery {
            Delivery::Ignored(ignored) => {
                tracing::info!(
                    event = events::EVENT_IGNORED,
                    reason = ignored.reason(),
                    "delivery acknowledged without handling"
                );
            }
            Delivery::Message(message) => {
                let message_id = message.id.clone();
                if let Err(error) = runner::handle(env, ctx, &config, message).await {
                    tracing::warn!(event = events::MESSAGE_FAILED, message_id = %message_id, status = error.status(), "message not handled; kapso retries it");
                    return Err(error);
                }
                handled += 1;
            }
        }
    }
    Ok(Response::from_json(
        &json!({ "ok": true, "handled": handled }),
    )?)
}
