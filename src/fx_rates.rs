//! The worker side of exchange rates: the `FX_RATES_KV` cache and the fetch
//! of the tables a summary needs, with their logs.
//!
//! The binding is optional: without it every table is fetched from
//! `FX_API_BASE_URL` each time, and a failing read or write of the cache
//! only costs a fetch.

use chrono::NaiveDate;
use worker::{Env, KvStore};

use crate::config::{Config, FX_RATES_KV};
use crate::events;
use crate::fx::source::{self, Loaded, RateCache, CACHE_TTL_SECONDS};
use crate::money::Currency;
use crate::platform::FetchClient;

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

/// Loads the rate tables against `base` for `dates` (cache first), and logs
/// each date without one.
pub async fn load(env: &Env, config: &Config, base: Currency, dates: &[NaiveDate]) -> Loaded {
    let cache = KvRateCache::new(env);
    let loaded = source::load_tables(
        &FetchClient,
        &cache,
        &config.fx_source,
        base,
        dates.iter().copied(),
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
