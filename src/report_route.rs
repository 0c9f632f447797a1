//! `GET /reports/{token}` and `GET /reports/{token}/csv`: the month report
//! behind a summary's signed link, as an HTML page or a CSV download.
//!
//! The token names the customer, the month and, for a personal summary, the
//! user; [`crate::token`] checks its signature and expiry. A wrong, expired
//! or foreign token, or one whose customer or user is gone, gets the same
//! 404 body, so the response reveals nothing about which links exist. Every
//! response asks not to be cached or indexed.

use chrono::Utc;
use worker::{Env, Response};

use crate::commands::{Period, Scope};
use crate::config::{Config, DB};
use crate::error::AppError;
use crate::events;
use crate::fx::{self, Tables};
use crate::fx_rates::{self, RateBook};
use crate::ledger_store;
use crate::model::Language;
use crate::report::{self, Page};
use crate::store::Store;
use crate::token;

/// Path prefix of report links.
pub const PREFIX: &str = report::PATH_PREFIX;
const CSV_SUFFIX: &str = "/csv";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Csv,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Csv => "csv",
        }
    }
}

/// Serves the report page or CSV at `path`, which starts with [`PREFIX`].
///
/// # Errors
///
/// [`AppError::Storage`] when D1 fails (503).
pub async fn serve(path: &str, env: &Env) -> Result<Response, AppError> {
    let config = Config::from_env(env);
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let (token, format) = match rest.strip_suffix(CSV_SUFFIX) {
        Some(token) => (token, Format::Csv),
        None => (rest, Format::Html),
    };
    let now = Utc::now().timestamp();
    let claims = config
        .link_signing_key
        .as_deref()
        .and_then(|key| token::verify(key, token, report::TOKEN_KIND, now));
    let Some(claims) = claims else {
        tracing::warn!(
            event = events::REPORT_LINK_REJECTED,
            format = format.as_str(),
            signing_key = config.link_signing_key.is_some(),
            "report link is wrong, expired or of another kind"
        );
        return not_found();
    };
    let Some(period) = claims.period.as_deref().and_then(Period::parse) else {
        tracing::warn!(event = events::REPORT_LINK_REJECTED, customer_id = %claims.customer_id, "report link names no month");
        return not_found();
    };

    let store = Store::new(env.d1(DB)?);
    let Some(customer) = store.customer(&claims.customer_id).await? else {
        tracing::warn!(event = events::REPORT_LINK_REJECTED, customer_id = %claims.customer_id, "report link names a customer that is gone");
        return not_found();
    };
    let user_id = claims.user_id.as_deref();
    if let Some(user_id) = user_id {
        // The user's personal data is gone after a deletion, and so is
        // their page; `user_opted_out` is `None` for a missing user.
        if store.user_opted_out(&customer.id, user_id).await?.is_none() {
            tracing::warn!(event = events::REPORT_LINK_REJECTED, customer_id = %customer.id, "report link names a user that is gone");
            return not_found();
        }
    }
    let lines = ledger_store::month_lines(&store, &customer.id, user_id, period).await?;
    let home = customer.home_currency;
    let dates = fx::dates_to_convert(lines.iter().map(|line| (line.spent_on, line.amount)), home);
    let rates = if dates.is_empty() {
        Tables::new()
    } else {
        let budget = fx_rates::REPORT_RATES_BUDGET_MS;
        let deadline = js_sys::Date::now() + f64::from(budget);
        RateBook::new(env, &config, budget, deadline)
            .tables(home, &dates)
            .await
    };
    let scope = if user_id.is_some() {
        Scope::Mine
    } else {
        Scope::Household
    };
    tracing::info!(
        event = events::REPORT_SERVED,
        customer_id = %customer.id,
        format = format.as_str(),
        period = %period.key(),
        scope = if scope == Scope::Mine { "mine" } else { "household" },
        expenses = lines.len(),
        "report served"
    );

    match format {
        Format::Html => {
            let csv_href = format!("{PREFIX}{token}{CSV_SUFFIX}");
            let page = Page {
                language: Language::of_locale(&customer.locale),
                locale: &customer.locale,
                home_currency: home,
                period,
                scope,
                lines: &lines,
                rates: &rates,
                csv_href: &csv_href,
            };
            let response = Response::from_html(report::render_html(&page))?;
            with_headers(response, &report::content_security_policy(), None)
        }
        Format::Csv => {
            // A byte order mark lets spreadsheet programs read the file as
            // UTF-8, so accents in descriptions survive.
            let body = format!("\u{feff}{}", report::render_csv(&lines, home, &rates));
            let response = Response::ok(body)?;
            let file = format!("misgastos-{}.csv", period.key());
            with_headers(response, "default-src 'none'", Some(&file))
        }
    }
}

/// The 404 of a link that does not open a report.
fn not_found() -> Result<Response, AppError> {
    let response = Response::from_html(report::NOT_FOUND_HTML)?.with_status(404);
    with_headers(response, "default-src 'none'", None)
}

/// Adds the headers every report response carries; `download` makes it a CSV
/// attachment with that file name.
fn with_headers(
    mut response: Response,
    policy: &str,
    download: Option<&str>,
) -> Result<Response, AppError> {
    let headers = response.headers_mut();
    headers.set("content-security-policy", policy)?;
    // The link is a bearer credential: keep it out of caches, search
    // engines and the Referer header.
    headers.set("cache-control", "no-store")?;
    headers.set("x-robots-tag", "noindex, nofollow")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("x-content-type-options", "nosniff")?;
    if let Some(file) = download {
        headers.set("content-type", "text/csv; charset=utf-8")?;
        headers.set(
            "content-disposition",
            &format!("attachment; filename=\"{file}\""),
        )?;
    }
    Ok(response)
}
