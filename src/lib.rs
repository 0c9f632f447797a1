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
//! - [`flow`] is the pure state machine that turns a message into effects,
//!   with [`reply`] for the texts;
//! - [`store`] and [`platform`] reach D1, KV and `fetch`; [`runner`] performs
//!   the effects of one message; [`telegram`] notifies the operators;
//! - [`app`] routes requests, [`config`] reads the environment, [`error`] maps
//!   failures to HTTP statuses, [`logging`] writes JSON lines.
//!
//! Everything above `store` is pure and tests natively with `cargo test`.

pub mod app;
pub mod categories;
pub mod classify;
pub mod config;
pub mod error;
pub mod flow;
pub mod http;
pub mod kapso;
pub mod logging;
pub mod model;
pub mod money;
pub mod parse;
pub mod platform;
pub mod reply;
pub mod runner;
pub mod signature;
pub mod sql;
pub mod store;
pub mod telegram;

use worker::{event, Context, Env, Request, Response};

#[event(start)]
fn start() {
    logging::init();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    app::route(req, env, ctx).await
}
