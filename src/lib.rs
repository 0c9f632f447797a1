//! misgastos: an expense assistant on WhatsApp, as one Cloudflare Worker.
//!
//! A message travels through these modules, in order:
//!
//! - [`signature`] checks Kapso's HMAC over the raw body;
//! - [`kapso`] normalises the payload into one inbound message type, and
//!   `kapso::client` sends replies;
//! - [`parse`] reads amounts, currencies, dates and descriptions, with
//!   [`money`] for minor units;
//! - [`classify`] proposes a category and decides whether it is sure enough;
//!   [`ai`] builds the Workers AI prompts and reads the answers, and
//!   `ai_binding` calls the model;
//! - [`policy`] decides from the subscription whether a customer may go on;
//! - [`flow`] is the pure state machine that turns a message into effects,
//!   with [`reply`] for the texts; [`commands`] undoes, edits, deletes and
//!   lists recorded expenses, sums up a month and sets budgets, and
//!   [`report`] renders the month's report page and CSV;
//! - [`store`] and [`platform`] reach D1, KV and `fetch`, and
//!   [`conversation`] keeps the conversation state in KV; [`runner`] performs
//!   the effects of one message, with [`ledger_store`] for the commands'
//!   reads and writes; [`telegram`] notifies the operators;
//! - [`email`] reads receipts forwarded by email, and [`email_runner`] turns
//!   them into expenses through the same flow; [`budget_alerts`] checks the
//!   budgets of expenses recorded outside a chat turn;
//! - [`privacy`] recognises opt-out, export and deletion commands and renders
//!   exports; [`privacy_store`] reads and deletes a user's data, and
//!   [`privacy_runner`] answers the commands, serves export links and tells
//!   every sender of messages that are not replies whether a user opted out;
//! - [`recurring`] reads recurring-expense rules and computes when each is
//!   due, [`reminders`] decides which reminders and payment notices go out
//!   and whether the 24-hour window allows free text, and [`scheduled`] runs
//!   both from the Cron Trigger;
//! - [`fx`] converts amounts between currencies, and [`fx_rates`] loads the
//!   day's rates with a per-day KV cache;
//! - [`retry`] bounds the outbound retries of Kapso and Telegram, and
//!   [`sentry`] builds error reports;
//! - [`app`] routes requests, [`webhook`] checks a delivery's size, signature
//!   and shape, and [`report_route`] serves the report page behind [`token`]
//!   links; [`config`] reads the environment, [`error`] maps failures to HTTP
//!   statuses, [`logging`] writes JSON lines named in [`events`]. [`model`],
//!   [`categories`], [`sql`] and [`http`] hold the shared types, default
//!   categories, SQL statements and the HTTP client trait.
//!
//! Everything above `store` is pure and tests natively with `cargo test`.

pub mod ai;
pub mod ai_binding;
pub mod app;
pub mod budget_alerts;
pub mod categories;
pub mod classify;
pub mod commands;
pub mod config;
pub mod conversation;
pub mod email;
pub mod email_runner;
pub mod error;
pub mod events;
pub mod flow;
pub mod fx;
pub mod fx_rates;
pub mod http;
pub mod kapso;
pub mod ledger_store;
pub mod logging;
pub mod model;
pub mod money;
pub mod parse;
pub mod platform;
pub mod policy;
pub mod privacy;
pub mod privacy_runner;
pub mod privacy_store;
pub mod recurring;
pub mod reminders;
pub mod reply;
pub mod report;
pub mod report_route;
pub mod retry;
pub mod runner;
pub mod scheduled;
pub mod sentry;
pub mod signature;
pub mod sql;
pub mod store;
pub mod telegram;
pub mod token;
pub mod webhook;

use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

#[event(start)]
fn start() {
    logging::init();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    app::route(req, env, ctx).await
}

/// Mail routed straight to this worker by Cloudflare Email Routing. The glue
/// turns an `Err` into a panic, so every failure is handled inside and the
/// mail is rejected with a reason where that is right.
#[event(email)]
async fn email(
    message: worker::ForwardableEmailMessage,
    env: Env,
    ctx: Context,
) -> worker::Result<()> {
    email_runner::receive(message, env, ctx).await;
    Ok(())
}

/// The Cron Trigger (`triggers.crons` in wrangler.jsonc): records recurring
/// expenses and sends reminders. It returns nothing, so `scheduled` logs
/// every failure itself.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    scheduled::run(event, env).await;
}
