//! The worker side of exchange rates: the `FX_RATES_KV` cache, the fetch
//! of the tables a summary, a budget or the report page needs, the time
//! budget of those fetches, and their logs.
//!
//! The binding is optional: without it every table is fetched from
//! `FX_API_BASE_URL` each time, and a failing read or write of the cache
//! only costs a fetch. A date whose table cannot be had within the budget is
//! left out, and its amounts are shown as not converted: a failed fetch
//! never fails the request.

use std::cell::RefCell;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use worker::{Env, KvStore};

use crate::config::{Config, FX_RATES_KV};
use crate::events;
use crate::fx::source::{self, Loaded, RateCache, CACHE_TTL_SECONDS};
use crate::fx::{RateTable, Tables};
use crate::money::Currency;
use crate::platform::FetchClient;

/// Time the rate fetches of one WhatsApp message may take together, in
/// milliseconds. The dates of one request are fetched at once, so this is
/// the wait for one fetch.
pub const MESSAGE_RATES_BUDGET_MS: u32 = 2_000;
/// No rate fetch of a WhatsApp message runs later than this after the
/// message's handling began. Kapso waits 10 s for the webhook; the model
/// calls take at most 6 s of it, and the rest is left to D1.
pub const MESSAGE_DEADLINE_MS: u32 = 8_000;
/// Time the report page may spend on rates. A page has no deadline like the
/// webhook's, so it waits for one full fetch.
pub const REPORT_RATES_BUDGET_MS: u32 = source::FETCH_TIMEOUT_MS;

/// [`RateCache`] over `FX_RATES_KV`, or over nothing when it is not bound.
pub struct KvRateCache {
    kv: Option<KvStore>,
}

impl KvRateCache {
    /// Opens the cache; a missing binding is logged at debug.
    pub fn new(env: &Env) -> KvRateCache {
        let kv = match env.kv(FX_RATES_KV) {
            Ok(kv) => Some(kv),
            Err(error) => {
                tracing::debug!(event = events::FX_CACHE_UNBOUND, error = %error, "FX_RATES_KV is not bound; rates are fetched every time");
                None
            }
        };
        KvRateCache { kv }
    }
}

impl RateCache for KvRateCache {
    async fn get(&self, key: &str) -> Option<String> {
        let kv = self.kv.as_ref()?;
        match kv.get(key).text().await {
            Ok(value) => value,
            Err(error) => {
                tracing::warn!(event = events::FX_CACHE_FAILED, key, error = %error, "rates cache read failed; fetching");
                None
            }
        }
    }

    async fn put(&self, key: &str, value: String) {
        let Some(kv) = &self.kv else { return };
        let result = match kv.put(key, value) {
            Ok(builder) => builder.expiration_ttl(CACHE_TTL_SECONDS).execute().await,
            Err(error) => Err(error),
        };
        if let Err(error) = result {
            tracing::warn!(event = events::FX_CACHE_FAILED, key, error = %error, "rates not cached; the next summary fetches them again");
        }
    }
}

/// Loads the rate tables against `base` for `dates` (cache first), waiting
/// at most `timeout_ms` for the source, and logs each date without one.
pub async fn load(
    env: &Env,
    config: &Config,
    base: Currency,
    dates: &[NaiveDate],
    timeout_ms: u32,
) -> Loaded {
    let cache = KvRateCache::new(env);
    let loaded = source::load_tables(
        &FetchClient,
        &cache,
        &config.fx_source,
        base,
        dates.iter().copied(),
        timeout_ms,
    )
    .await;
    for (date, reason) in &loaded.missing {
        tracing::warn!(event = events::FX_RATES_UNAVAILABLE, base = base.code(), date = %date, reason = reason.reason(), error = %reason, "no exchange rates for the date; its amounts stay unconverted");
    }
    if loaded.fetched > 0 {
        tracing::debug!(
            event = events::FX_RATES_FETCHED,
            base = base.code(),
            fetched = loaded.fetched,
            "exchange rates fetched"
        );
    }
    loaded
}

/// The rate tables of one request: each date and base is loaded at most
/// once, within a time budget that starts at the first load.
pub struct RateBook<'a> {
    env: &'a Env,
    config: &'a Config,
    budget_ms: u32,
    /// Unix milliseconds after which no fetch starts, whatever the budget.
    deadline_ms: f64,
    /// Unix milliseconds of the first load, when the budget started.
    started_ms: RefCell<Option<f64>>,
    /// Every table tried so far; `None` when it could not be had.
    tried: RefCell<BTreeMap<(&'static str, NaiveDate), Option<RateTable>>>,
}

impl<'a> RateBook<'a> {
    /// Creates a book whose loads take at most `budget_ms` together and
    /// start no fetch after `deadline_ms` (unix milliseconds).
    pub fn new(env: &'a Env, config: &'a Config, budget_ms: u32, deadline_ms: f64) -> Self {
        RateBook {
            env,
            config,
            budget_ms,
            deadline_ms,
            started_ms: RefCell::new(None),
            tried: RefCell::new(BTreeMap::new()),
        }
    }

    /// Creates the book of a message whose handling began at `started_ms`
    /// (unix milliseconds), with [`MESSAGE_RATES_BUDGET_MS`] and
    /// [`MESSAGE_DEADLINE_MS`].
    pub fn for_message(env: &'a Env, config: &'a Config, started_ms: f64) -> Self {
        RateBook::new(
            env,
            config,
            MESSAGE_RATES_BUDGET_MS,
            started_ms + f64::from(MESSAGE_DEADLINE_MS),
        )
    }

    /// Returns the tables against `base` for those of `dates` that have
    /// one. Dates tried before in this request are not loaded again, even
    /// when they failed.
    pub async fn tables(&self, base: Currency, dates: &[NaiveDate]) -> Tables {
        let untried: Vec<NaiveDate> = {
            let tried = self.tried.borrow();
            let mut untried: Vec<NaiveDate> = dates
                .iter()
                .copied()
                .filter(|date| !tried.contains_key(&(base.code(), *date)))
                .collect();
            untried.sort();
            untried.dedup();
            untried
        };
        if !untried.is_empty() {
            let loaded = load(self.env, self.config, base, &untried, self.time_left()).await;
            let mut tried = self.tried.borrow_mut();
            for (date, _) in loaded.missing {
                tried.insert((base.code(), date), None);
            }
            for (date, table) in loaded.tables {
                tried.insert((base.code(), date), Some(table));
            }
        }
        let tried = self.tried.borrow();
        dates
            .iter()
            .filter_map(|date| {
                let table = tried.get(&(base.code(), *date))?.clone()?;
                Some((*date, table))
            })
            .collect()
    }

    /// Milliseconds the next load may wait: what is left of the budget and
    /// of the deadline. Below [`source::MIN_FETCH_MS`] nothing is fetched.
    fn time_left(&self) -> u32 {
        let now = js_sys::Date::now();
        let started = *self.started_ms.borrow_mut().get_or_insert(now);
        let budget_end = started + f64::from(self.budget_ms);
        let left = (budget_end.min(self.deadline_ms) - now).max(0.0);
        if left >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            left as u32
        }
    }
}
