//! Bindings, secrets and vars, read once per request into a checked
//! [`Config`].
//!
//! Nothing here panics on a missing value: a missing secret leaves its part
//! of the config empty, the health check names it, and the route that needs
//! it answers 503 instead of running unprotected.

use worker::Env;

use crate::events;
use crate::fx::{self, source::FxSource};
use crate::kapso::client::KapsoClient;
use crate::reminders::{self, Templates};
use crate::sentry::{Dsn, SentryClient};
use crate::telegram::{NotifySet, TelegramClient};

/// D1 database binding.
pub const DB: &str = "DB";
/// KV namespace of conversation state.
pub const CONVERSATION_STATE_KV: &str = "CONVERSATION_STATE_KV";
/// KV namespace of classifier prompts.
pub const PROMPTS_KV: &str = "PROMPTS_KV";
/// KV namespace that caches entitlements; optional.
pub const ENTITLEMENTS_KV: &str = "ENTITLEMENTS_KV";
/// Workers AI binding (a local stand-in in development).
pub const AI: &str = "AI";
/// KV namespace that caches exchange rates per day; optional.
pub const FX_RATES_KV: &str = "FX_RATES_KV";

const DEFAULT_KAPSO_API_BASE_URL: &str = "https://api.kapso.ai/meta/whatsapp/v24.0";
const DEFAULT_TELEGRAM_API_BASE_URL: &str = "https://api.telegram.org";
const DEFAULT_AI_MODEL: &str = "@cf/meta/llama-3.1-8b-instruct-fast";
const DEFAULT_AI_VISION_MODEL: &str = "@cf/meta/llama-3.2-11b-vision-instruct";

/// The worker's configuration for one request.
#[derive(Debug, Clone)]
pub struct Config {
    /// `production` or `development`.
    pub environment: String,
    /// `KAPSO_WEBHOOK_SECRET`, then `KAPSO_WEBHOOK_SECRET_PREVIOUS` during a
    /// rotation. Empty when neither is set.
    pub webhook_secrets: Vec<String>,
    /// `None` without `KAPSO_API_KEY`: replies are then logged, not sent.
    pub kapso: Option<KapsoClient>,
    /// `None` without both Telegram secrets.
    pub telegram: Option<TelegramClient>,
    /// `TELEGRAM_NOTIFY`: the kinds of notice sent; all when unset.
    pub telegram_notify: NotifySet,
    /// `None` without a valid `SENTRY_DSN`: errors are then only logged.
    pub sentry: Option<SentryClient>,
    /// Bootstraps unknown senders in development only.
    pub default_customer_id: Option<String>,
    /// Refuse customers without an active subscription.
    pub strict_policy: bool,
    /// `CLOUDFLARE_AI_MODEL`: the text model that classifies expenses.
    pub ai_model: String,
    /// `CLOUDFLARE_AI_VISION_MODEL`: the model that reads receipt photos.
    pub ai_vision_model: String,
    /// Key of the HMAC that pseudonymises phone numbers in logs.
    pub sender_hash_key: Vec<u8>,
    pub email_worker_secret: Option<String>,
    /// `LINK_SIGNING_KEY`: the HMAC key of the report and export links.
    /// `None` when unset, and then no link is offered.
    pub link_signing_key: Option<Vec<u8>>,
    /// `PUBLIC_BASE_URL`: the worker's own origin (`https://…`, no trailing
    /// slash), which links sent to users start with.
    pub public_base_url: Option<String>,
    /// `FX_API_BASE_URL`: where exchange rates come from.
    pub fx_source: FxSource,
    /// `RECURRING_NOTICE_DAYS`: days before a recurring payment its notice
    /// is sent; 0 turns the notices off.
    pub recurring_notice_days: u32,
    /// `KAPSO_REMINDER_TEMPLATE`, `KAPSO_PAYMENT_NOTICE_TEMPLATE` and
    /// `KAPSO_TEMPLATE_LANGUAGE`: what reminders send outside the 24-hour
    /// window.
    pub reminder_templates: Templates,
}

impl Config {
    /// Reads the configuration from the worker's environment.
    pub fn from_env(env: &Env) -> Config {
        let webhook_secrets: Vec<String> =
            ["KAPSO_WEBHOOK_SECRET", "KAPSO_WEBHOOK_SECRET_PREVIOUS"]
                .into_iter()
                .filter_map(|name| string(env, name))
                .collect();
        let kapso = string(env, "KAPSO_API_KEY").map(|api_key| KapsoClient {
            base_url: string(env, "KAPSO_API_BASE_URL")
                .unwrap_or_else(|| DEFAULT_KAPSO_API_BASE_URL.to_owned()),
            api_key,
        });
        let telegram = match (
            string(env, "TELEGRAM_BOT_TOKEN"),
            string(env, "TELEGRAM_CHAT_ID"),
        ) {
            (Some(token), Some(chat_id)) => Some(TelegramClient {
                base_url: string(env, "TELEGRAM_API_BASE_URL")
                    .unwrap_or_else(|| DEFAULT_TELEGRAM_API_BASE_URL.to_owned()),
                token,
                chat_id,
            }),
            _ => None,
        };
        let (telegram_notify, unknown_kinds) =
            NotifySet::parse(string(env, "TELEGRAM_NOTIFY").as_deref());
        if !unknown_kinds.is_empty() {
            tracing::warn!(
                event = events::TELEGRAM_NOTIFY_UNKNOWN,
                unknown = %unknown_kinds.join(","),
                "TELEGRAM_NOTIFY names unknown kinds; expected completed, pending, errors, customers, policy, all or none"
            );
        }
        let environment = string(env, "ENVIRONMENT").unwrap_or_else(|| "production".to_owned());
        let sentry = sentry_client(env, &environment);
        let sender_hash_key = string(env, "SENDER_HASH_KEY")
            .or_else(|| webhook_secrets.first().cloned())
            .unwrap_or_default()
            .into_bytes();
        Config {
            environment,
            webhook_secrets,
            kapso,
            telegram,
            telegram_notify,
            sentry,
            default_customer_id: string(env, "DEFAULT_CUSTOMER_ID"),
            strict_policy: string(env, "STRICT_POLICY_MODE")
                .map(|value| !value.eq_ignore_ascii_case("false"))
                .unwrap_or(true),
            ai_model: string(env, "CLOUDFLARE_AI_MODEL")
                .unwrap_or_else(|| DEFAULT_AI_MODEL.to_owned()),
            ai_vision_model: string(env, "CLOUDFLARE_AI_VISION_MODEL")
                .unwrap_or_else(|| DEFAULT_AI_VISION_MODEL.to_owned()),
            sender_hash_key,
            email_worker_secret: string(env, "EMAIL_WORKER_SECRET"),
            link_signing_key: string(env, "LINK_SIGNING_KEY").map(String::into_bytes),
            public_base_url: string(env, "PUBLIC_BASE_URL")
                .map(|url| url.trim_end_matches('/').to_owned()),
            fx_source: FxSource {
                base_url: string(env, "FX_API_BASE_URL")
                    .unwrap_or_else(|| fx::source::DEFAULT_BASE_URL.to_owned()),
            },
            recurring_notice_days: notice_days(string(env, "RECURRING_NOTICE_DAYS").as_deref()),
            reminder_templates: Templates {
                reminder: string(env, "KAPSO_REMINDER_TEMPLATE"),
                payment_notice: string(env, "KAPSO_PAYMENT_NOTICE_TEMPLATE"),
                language: string(env, "KAPSO_TEMPLATE_LANGUAGE"),
            },
        }
    }

    /// Whether this is the development environment, where unknown senders
    /// are bootstrapped into `DEFAULT_CUSTOMER_ID`.
    pub fn is_development(&self) -> bool {
        self.environment.eq_ignore_ascii_case("development")
    }

    /// The customer that unknown senders are bound to, in development only.
    pub fn bootstrap_customer(&self) -> Option<&str> {
        self.default_customer_id
            .as_deref()
            .filter(|_| self.is_development())
    }
}

/// The Sentry client from `SENTRY_DSN`, labelled with `SENTRY_RELEASE` or,
/// when that is unset, `misgastos@` and the version `/health` reports.
fn sentry_client(env: &Env, environment: &str) -> Option<SentryClient> {
    let dsn = match Dsn::parse(&string(env, "SENTRY_DSN")?) {
        Ok(dsn) => dsn,
        Err(error) => {
            tracing::warn!(event = events::SENTRY_DSN_INVALID, error = %error, "SENTRY_DSN is invalid; errors are not reported");
            return None;
        }
    };
    Some(SentryClient {
        dsn,
        release: string(env, "SENTRY_RELEASE")
            .unwrap_or_else(|| format!("misgastos@{}", crate::app::version())),
        environment: environment.to_owned(),
    })
}

/// Reads `RECURRING_NOTICE_DAYS`: a whole number of days up to 28 (a notice
/// must come after the previous occurrence of a monthly rule). Anything
/// else keeps the default, with a warning.
fn notice_days(value: Option<&str>) -> u32 {
    let Some(value) = value else {
        return reminders::DEFAULT_NOTICE_DAYS;
    };
    match value.parse::<u32>() {
        Ok(days) if days <= 28 => days,
        _ => {
            tracing::warn!(
                event = events::CONFIG_INVALID,
                name = "RECURRING_NOTICE_DAYS",
                value,
                "expected a whole number of days from 0 to 28; using the default"
            );
            reminders::DEFAULT_NOTICE_DAYS
        }
    }
}

/// Reads a secret or a var; empty values count as missing.
fn string(env: &Env, name: &str) -> Option<String> {
    let value = env
        .secret(name)
        .map(|secret| secret.to_string())
        .or_else(|_| env.var(name).map(|var| var.to_string()))
        .ok()?;
    let value = value.trim().to_owned();
    (!value.is_empty()).then_some(value)
}
