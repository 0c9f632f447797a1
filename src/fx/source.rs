//! Where rates come from: the HTTP source at `FX_API_BASE_URL`, and the
//! per-day cache in front of it.
//!
//! The production source is the free currency API published daily by
//! fawazahmed0 on npm and served by jsDelivr
//! (<https://github.com/fawazahmed0/exchange-api>). One file per base
//! currency and date, `{base}@{YYYY.M.D}/v1/currencies/{code}.min.json`,
//! returns `{"date": "2026-12-04", "clp": {"usd": 0.00105263, …}}`: how many
//! units of each currency one unit of the base buys. Each daily file is
//! written at 00:00 UTC and named after that UTC date; files exist from
//! 2024-03-02 on. It covers CLP, MXN, ARS, COP, USD and every other currency
//! misgastos records.
//!
//! A table fetched once is kept in KV under `fx:{BASE}:{YYYY-MM-DD}`, so a
//! date's rates are fetched at most once per base while the entry lives.
//! Failures are not cached: the next summary asks the source again.
//! Generic over [`HttpClient`] and [`RateCache`], so it tests natively.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Rate, RateTable};
use crate::http::{HttpClient, HttpError, HttpRequest, Method};
use crate::money::Currency;

/// The production value of `FX_API_BASE_URL`.
pub const DEFAULT_BASE_URL: &str = "https://cdn.jsdelivr.net/npm/@fawazahmed0/currency-api";
/// Seconds a cached table lives in KV. Published rates never change, so this
/// only bounds the namespace's size.
pub const CACHE_TTL_SECONDS: u64 = 90 * 24 * 60 * 60;
/// Longest wait for one fetch. A summary waits for it, so it is short: a
/// slow source leaves amounts unconverted instead of holding the reply.
/// Callers pass less when their own time budget is nearly spent.
pub const FETCH_TIMEOUT_MS: u32 = 5_000;
/// A fetch is not started with less time than this: it could not finish.
pub const MIN_FETCH_MS: u32 = 300;
/// Most dates one [`load_tables`] call fetches or reads, which bounds the
/// subrequests of one message (a month has at most 31 days).
pub const MAX_DATES: usize = 31;

/// The rates source, from `FX_API_BASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxSource {
    /// The package URL without version: the date is appended after `@`.
    pub base_url: String,
}

/// The reason no table could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    /// 404: the source has no file for that date (too old, or not yet
    /// published).
    #[error("the source has not published rates for that date")]
    NotPublished,
    #[error("the source answered {0}")]
    Status(u16),
    #[error(transparent)]
    Unreachable(HttpError),
    #[error("the source's answer is not a rate table: {0}")]
    Malformed(String),
    /// The caller's time budget left too little for a fetch.
    #[error("no time left to fetch rates")]
    OutOfTime,
    /// The date is beyond the [`MAX_DATES`] one call loads.
    #[error("more than {MAX_DATES} dates in one request")]
    TooManyDates,
}

impl Unavailable {
    /// Returns a short label for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Unavailable::NotPublished => "not_published",
            Unavailable::Status(_) => "status",
            Unavailable::Unreachable(HttpError::Timeout(_)) => "timeout",
            Unavailable::Unreachable(HttpError::Network(_)) => "network",
            Unavailable::Malformed(_) => "malformed",
            Unavailable::OutOfTime => "out_of_time",
            Unavailable::TooManyDates => "too_many_dates",
        }
    }
}

impl FxSource {
    /// Returns the URL of the rates against `base` published for `date`. The
    /// package's versions are the dates without leading zeros (`2026.12.4`).
    pub fn url(&self, base: Currency, date: NaiveDate) -> String {
        format!(
            "{}@{}.{}.{}/v1/currencies/{}.min.json",
            self.base_url.trim_end_matches('/'),
            date.year(),
            date.month(),
            date.day(),
            base.code().to_ascii_lowercase()
        )
    }

    fn request(&self, base: Currency, date: NaiveDate, timeout_ms: u32) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: self.url(base, date),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            timeout_ms: timeout_ms.min(FETCH_TIMEOUT_MS),
        }
    }
}

/// Reads the source's response for `base` and `date`. Currencies misgastos
/// does not record are skipped, whatever their value; a recorded currency
/// the response leaves out has no rate that day.
///
/// A table is cached for [`CACHE_TTL_SECONDS`], so a response that is not
/// believable is an error rather than a table with holes: an error is not
/// cached, and the next request asks the source again.
///
/// # Errors
///
/// [`Unavailable::Malformed`] when the body is not JSON, names another date,
/// has no object for the base, gives a recorded currency a rate that is not
/// a positive number, or gives no recorded currency a rate.
pub fn parse_response(
    body: &str,
    base: Currency,
    date: NaiveDate,
) -> Result<RateTable, Unavailable> {
    let malformed = |detail: &str| Unavailable::Malformed(detail.to_owned());
    let json: Value = serde_json::from_str(body).map_err(|e| malformed(&e.to_string()))?;
    let published = json["date"]
        .as_str()
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .ok_or_else(|| malformed("missing `date`"))?;
    if published != date {
        return Err(malformed(&format!(
            "expected rates of {date}, found {published}"
        )));
    }
    let key = base.code().to_ascii_lowercase();
    let rates = json[key.as_str()]
        .as_object()
        .ok_or_else(|| malformed(&format!("missing `{key}` object")))?;
    let mut table = Vec::new();
    for currency in Currency::ALL.into_iter().filter(|c| *c != base) {
        let code = currency.code().to_ascii_lowercase();
        let Some(value) = rates.get(&code) else {
            continue;
        };
        let rate = value.as_f64().and_then(Rate::from_f64).ok_or_else(|| {
            malformed(&format!(
                "expected a positive rate for `{code}`, found `{value}`"
            ))
        })?;
        table.push((currency, rate));
    }
    if table.is_empty() {
        return Err(malformed(&format!("no rate in the `{key}` object")));
    }
    Ok(RateTable {
        date,
        base,
        rates: table.into_iter().collect(),
    })
}

/// Returns the KV key of a table: `fx:CLP:2026-12-04`.
pub fn cache_key(base: Currency, date: NaiveDate) -> String {
    format!("fx:{}:{}", base.code(), date.format("%Y-%m-%d"))
}

/// A table as stored in KV. Rates are decimal strings, so that they read
/// back exactly.
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    date: NaiveDate,
    base: Currency,
    rates: BTreeMap<String, String>,
}

/// Serialises a table as its KV value.
pub fn encode(table: &RateTable) -> String {
    let cached = Cached {
        date: table.date,
        base: table.base,
        rates: table
            .rates
            .iter()
            .map(|(currency, rate)| (currency.code().to_owned(), rate.to_string()))
            .collect(),
    };
    serde_json::to_string(&cached).unwrap_or_default()
}

/// Reads a KV value back; `None` when it is not a table of `base` and
/// `date` (then the source is asked again).
pub fn decode(text: &str, base: Currency, date: NaiveDate) -> Option<RateTable> {
    let cached: Cached = serde_json::from_str(text).ok()?;
    if cached.base != base || cached.date != date {
        return None;
    }
    let rates = cached
        .rates
        .iter()
        .filter_map(|(code, rate)| Some((Currency::from_code(code)?, Rate::parse(rate).ok()?)))
        .collect();
    Some(RateTable { date, base, rates })
}

/// The per-day cache of tables: KV in the worker, a map in tests.
#[allow(async_fn_in_trait)]
pub trait RateCache {
    /// Returns the cached value of `key`, when there is one and it could be
    /// read.
    async fn get(&self, key: &str) -> Option<String>;
    /// Stores `value`; a failure only costs a fetch next time.
    async fn put(&self, key: &str, value: String);
}

/// How a table was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Cache,
    Source,
}

/// Loads the table of rates against `base` for `date`, from the cache or
/// else from the source (and then caches it), waiting at most `timeout_ms`
/// (capped at [`FETCH_TIMEOUT_MS`]) for the source.
///
/// # Errors
///
/// [`Unavailable`] when the cache has no table and the source gives none,
/// and [`Unavailable::OutOfTime`] without a fetch when `timeout_ms` is
/// below [`MIN_FETCH_MS`].
pub async fn load_table(
    http: &impl HttpClient,
    cache: &impl RateCache,
    source: &FxSource,
    base: Currency,
    date: NaiveDate,
    timeout_ms: u32,
) -> Result<(RateTable, Origin), Unavailable> {
    let key = cache_key(base, date);
    if let Some(table) = cache
        .get(&key)
        .await
        .and_then(|text| decode(&text, base, date))
    {
        return Ok((table, Origin::Cache));
    }
    if timeout_ms < MIN_FETCH_MS {
        return Err(Unavailable::OutOfTime);
    }
    let response = http
        .send(source.request(base, date, timeout_ms))
        .await
        .map_err(Unavailable::Unreachable)?;
    match response.status {
        200..=299 => {}
        404 => return Err(Unavailable::NotPublished),
        status => return Err(Unavailable::Status(status)),
    }
    let table = parse_response(&response.body, base, date)?;
    cache.put(&key, encode(&table)).await;
    Ok((table, Origin::Source))
}

/// The tables [`load_tables`] found for a set of dates, and the dates it
/// found none for.
#[derive(Debug, Default)]
pub struct Loaded {
    pub tables: BTreeMap<NaiveDate, RateTable>,
    /// Dates without a table, with the reason.
    pub missing: Vec<(NaiveDate, Unavailable)>,
    /// How many tables came from the source rather than the cache.
    pub fetched: usize,
}

/// Loads the tables of the distinct `dates`, at most [`MAX_DATES`] of them
/// (the earliest; later dates count as missing). The dates are loaded
/// concurrently, so the whole call waits about one fetch, at most
/// `timeout_ms`.
pub async fn load_tables(
    http: &impl HttpClient,
    cache: &impl RateCache,
    source: &FxSource,
    base: Currency,
    dates: impl IntoIterator<Item = NaiveDate>,
    timeout_ms: u32,
) -> Loaded {
    let mut dates: Vec<NaiveDate> = dates.into_iter().collect();
    dates.sort();
    dates.dedup();
    let mut loaded = Loaded::default();
    let beyond = dates.split_off(dates.len().min(MAX_DATES));
    loaded.missing.extend(
        beyond
            .into_iter()
            .map(|date| (date, Unavailable::TooManyDates)),
    );
    let results = futures_util::future::join_all(
        dates
            .iter()
            .map(|date| load_table(http, cache, source, base, *date, timeout_ms)),
    )
    .await;
    for (date, result) in dates.into_iter().zip(results) {
        match result {
            Ok((table, origin)) => {
                if origin == Origin::Source {
                    loaded.fetched += 1;
                }
                loaded.tables.insert(date, table);
            }
            Err(reason) => loaded.missing.push((date, reason)),
        }
    }
    loaded.missing.sort_by_key(|(date, _)| *date);
    loaded
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;
    use crate::retry::fake::{block_on, status, FakeHttp};

    #[derive(Default)]
    struct MemoryCache {
        values: RefCell<HashMap<String, String>>,
    }

    impl RateCache for MemoryCache {
        async fn get(&self, key: &str) -> Option<String> {
            self.values.borrow().get(key).cloned()
        }

        async fn put(&self, key: &str, value: String) {
            self.values.borrow_mut().insert(key.to_owned(), value);
        }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    fn source() -> FxSource {
        FxSource {
            base_url: "http://127.0.0.1:9/fx/currency-api/".into(),
        }
    }

    const CLP_BODY: &str = r#"{"date":"2026-12-04","clp":{"1000sats":0.01,"ars":1.0526315,"clp":1,"cop":4.2105263,"eur":0.00096842,"mxn":0.01842105,"usd":0.00105263,"xyz":-3}}"#;

    /// Loads the CLP table of `date` from the test source through `http` and
    /// `cache`.
    fn load_clp(
        http: &FakeHttp,
        cache: &MemoryCache,
        date: NaiveDate,
        timeout_ms: u32,
    ) -> Result<(RateTable, Origin), Unavailable> {
        block_on(load_table(
            http,
            cache,
            &source(),
            Currency::Clp,
            date,
            timeout_ms,
        ))
    }

    #[test]
    fn url_names_the_date_as_the_package_version() {
        assert_eq!(
            source().url(Currency::Clp, day("2026-03-04")),
            "http://127.0.0.1:9/fx/currency-api@2026.3.4/v1/currencies/clp.min.json"
        );
        assert_eq!(
            FxSource {
                base_url: DEFAULT_BASE_URL.into()
            }
            .url(Currency::Usd, day("2026-12-14")),
            "https://cdn.jsdelivr.net/npm/@fawazahmed0/currency-api@2026.12.14/v1/currencies/usd.min.json"
        );
    }

    #[test]
    fn response_keeps_the_currencies_misgastos_records() {
        let table = parse_response(CLP_BODY, Currency::Clp, day("2026-12-04")).expect("table");
        assert_eq!(table.base, Currency::Clp);
        assert_eq!(table.rate(Currency::Clp), Some(Rate::ONE));
        assert_eq!(table.rate(Currency::Usd), Rate::parse("0.00105263").ok());
        assert_eq!(table.rate(Currency::Ars), Rate::parse("1.0526315").ok());
        assert_eq!(table.rate(Currency::Cop), Rate::parse("4.2105263").ok());
        assert_eq!(table.rate(Currency::Mxn), Rate::parse("0.01842105").ok());
        assert_eq!(table.rate(Currency::Eur), Rate::parse("0.00096842").ok());
        assert_eq!(table.rate(Currency::Brl), None);
        assert_eq!(table.rates.len(), 5);
    }

    #[test]
    fn response_of_another_date_or_shape_is_malformed() {
        let cases = [
            ("not json", "2026-12-04"),
            (r#"{"date":"2026-12-03","clp":{"usd":0.001}}"#, "2026-12-04"),
            (r#"{"clp":{"usd":0.001}}"#, "2026-12-04"),
            (r#"{"date":"2026-12-04","usd":{"clp":950}}"#, "2026-12-04"),
        ];
        for (body, date) in cases {
            assert!(
                matches!(
                    parse_response(body, Currency::Clp, day(date)),
                    Err(Unavailable::Malformed(_))
                ),
                "{body}"
            );
        }
    }

    // These responses used to become tables with the bad rates left out, and
    // such a table was cached for 90 days: the amounts of that date stayed
    // unconverted long after the source was fixed.
    #[test]
    fn response_with_unbelievable_rates_is_malformed() {
        let date = "2026-12-04";
        let cases = [
            r#"{"date":"2026-12-04","clp":{}}"#,
            r#"{"date":"2026-12-04","clp":{"clp":1,"xyz":2}}"#,
            r#"{"date":"2026-12-04","clp":{"usd":-0.00105}}"#,
            r#"{"date":"2026-12-04","clp":{"usd":0}}"#,
            r#"{"date":"2026-12-04","clp":{"usd":"NaN"}}"#,
            r#"{"date":"2026-12-04","clp":{"usd":null}}"#,
            r#"{"date":"2026-12-04","clp":{"usd":1e-40}}"#,
            r#"{"date":"2026-12-04","clp":{"usd":1e300}}"#,
            r#"{"date":"2026-12-04","clp":{"usd":0.00105,"eur":[1]}}"#,
        ];
        for body in cases {
            assert!(
                matches!(
                    parse_response(body, Currency::Clp, day(date)),
                    Err(Unavailable::Malformed(_))
                ),
                "{body}"
            );
        }

        let http = FakeHttp::new([
            status(200, r#"{"date":"2026-12-04","clp":{"usd":-1}}"#),
            status(200, CLP_BODY),
        ]);
        let cache = MemoryCache::default();
        let load = || load_clp(&http, &cache, day(date), FETCH_TIMEOUT_MS);
        assert!(matches!(load(), Err(Unavailable::Malformed(_))));
        assert!(
            cache.values.borrow().is_empty(),
            "a bad response is not cached"
        );
        let fixed = load().map(|(table, origin)| (table.rate(Currency::Usd), origin));
        assert_eq!(
            fixed,
            Ok((Rate::parse("0.00105263").ok(), Origin::Source)),
            "the next request asks the source again"
        );
    }

    #[test]
    fn cached_table_reads_back_exactly() {
        let table = parse_response(CLP_BODY, Currency::Clp, day("2026-12-04")).expect("table");
        let text = encode(&table);
        let mut back = decode(&text, Currency::Clp, day("2026-12-04")).expect("decoded");
        back.rates.sort_by_key(|(currency, _)| currency.code());
        let mut expected = table.clone();
        expected.rates.sort_by_key(|(currency, _)| currency.code());
        assert_eq!(back, expected);
        assert_eq!(decode(&text, Currency::Usd, day("2026-12-04")), None);
        assert_eq!(decode(&text, Currency::Clp, day("2026-12-05")), None);
        assert_eq!(decode("{}", Currency::Clp, day("2026-12-04")), None);
    }

    #[test]
    fn table_fetched_once_then_cached() {
        let http = FakeHttp::new([status(200, CLP_BODY)]);
        let cache = MemoryCache::default();
        let date = day("2026-12-04");
        let first = load_clp(&http, &cache, date, FETCH_TIMEOUT_MS);
        assert_eq!(
            first.as_ref().map(|(_, origin)| *origin),
            Ok(Origin::Source)
        );
        let second = load_clp(&http, &cache, date, FETCH_TIMEOUT_MS);
        assert_eq!(
            second.as_ref().map(|(_, origin)| *origin),
            Ok(Origin::Cache)
        );
        assert_eq!(http.requests.borrow().len(), 1);
        assert!(cache.values.borrow().contains_key("fx:CLP:2026-12-04"));
    }

    #[test]
    fn failures_are_reported_and_not_cached() {
        let http = FakeHttp::new([status(404, "Not found"), status(503, ""), status(200, "[]")]);
        let cache = MemoryCache::default();
        let date = day("2026-12-04");
        let load = || load_clp(&http, &cache, date, FETCH_TIMEOUT_MS);
        assert_eq!(load().err(), Some(Unavailable::NotPublished));
        assert_eq!(load().err(), Some(Unavailable::Status(503)));
        assert!(matches!(load(), Err(Unavailable::Malformed(_))));
        assert!(cache.values.borrow().is_empty());
    }

    #[test]
    fn tables_load_per_distinct_date() {
        let other = CLP_BODY.replace("2026-12-04", "2026-12-01");
        let http = FakeHttp::new([status(200, &other), status(404, ""), status(200, CLP_BODY)]);
        let cache = MemoryCache::default();
        let dates = [
            day("2026-12-04"),
            day("2026-12-01"),
            day("2026-12-02"),
            day("2026-12-04"),
        ];
        let loaded = block_on(load_tables(
            &http,
            &cache,
            &source(),
            Currency::Clp,
            dates,
            FETCH_TIMEOUT_MS,
        ));
        assert_eq!(
            loaded.tables.keys().copied().collect::<Vec<_>>(),
            vec![day("2026-12-01"), day("2026-12-04")]
        );
        assert_eq!(
            loaded.missing,
            vec![(day("2026-12-02"), Unavailable::NotPublished)]
        );
        assert_eq!(loaded.fetched, 2);
        assert_eq!(http.requests.borrow().len(), 3);
    }

    #[test]
    fn timeout_is_capped_and_too_little_time_skips_the_fetch() {
        let http = FakeHttp::new([status(200, CLP_BODY)]);
        let cache = MemoryCache::default();
        let date = day("2026-12-04");
        let load = |timeout| load_clp(&http, &cache, date, timeout);
        assert_eq!(load(MIN_FETCH_MS - 1).err(), Some(Unavailable::OutOfTime));
        assert!(http.requests.borrow().is_empty(), "no fetch without time");
        assert!(load(60_000).is_ok());
        assert_eq!(http.requests.borrow()[0].timeout_ms, FETCH_TIMEOUT_MS);
        assert_eq!(
            load(0).map(|(_, origin)| origin),
            Ok(Origin::Cache),
            "a cached table needs no time"
        );
    }

    #[test]
    fn dates_beyond_the_maximum_are_missing() {
        let http = FakeHttp::new([]);
        let cache = MemoryCache::default();
        let first = day("2026-01-01");
        let dates: Vec<NaiveDate> = (0..40)
            .map(|offset| first + chrono::Days::new(offset))
            .collect();
        let loaded = block_on(load_tables(
            &http,
            &cache,
            &source(),
            Currency::Clp,
            dates,
            1_000,
        ));
        assert_eq!(http.requests.borrow().len(), MAX_DATES);
        assert_eq!(http.requests.borrow()[0].timeout_ms, 1_000);
        let too_many = loaded
            .missing
            .iter()
            .filter(|(_, reason)| *reason == Unavailable::TooManyDates)
            .count();
        assert_eq!(too_many, 40 - MAX_DATES);
        assert_eq!(
            loaded.missing.last().map(|(date, _)| *date),
            Some(first + chrono::Days::new(39))
        );
    }
}
