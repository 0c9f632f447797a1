//! The month report: totals, the HTML page behind a summary's link and its
//! CSV download.
//!
//! Rendering is pure: [`render_html`] and [`render_csv`] take the month's
//! expenses and return text; `app` checks the link token and loads the rows.
//! The page is one HTML document with inline CSS and inline SVG charts (one
//! by category, one by day), no scripts and no external assets, so it opens
//! on a phone under a `default-src 'none'` policy.
//!
//! Every expense keeps its own amount and currency. The page's totals and
//! charts are in the customer's home currency, each amount converted at the
//! rate of its own date (`home`). The per-currency totals, the original
//! amounts and their converted values are shown beside them. An amount whose
//! rate could not be had is listed as not converted and left out of the
//! totals and charts.

mod charts;
mod home;

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use crate::commands::{Period, Scope};
use crate::fx::Tables;
use crate::model::Language;
use crate::money::{Currency, Money};
use crate::token::Claims;

pub use home::{convert_lines, home_totals, HomeTotals};

/// Days a report link stays valid.
pub const LINK_TTL_DAYS: i64 = 7;
/// The `kind` of report link tokens.
pub const TOKEN_KIND: &str = "report";
/// The path of report links: `/reports/<token>` and `/reports/<token>/csv`.
pub const PATH_PREFIX: &str = "/reports/";
/// Most expenses one report loads; a month of a household stays far below.
pub const MAX_LINES: usize = 5000;

/// One expense of the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub spent_on: NaiveDate,
    pub description: String,
    pub merchant: Option<String>,
    pub category_id: Option<String>,
    /// The category's name; `None` while the expense waits for one.
    pub category: Option<String>,
    pub amount: Money,
}

/// The month's totals in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    pub currency: Currency,
    /// `(category id, total)`, largest first; `None` is "no category yet".
    pub by_category: Vec<(Option<String>, Money)>,
    /// Minor units spent on each day of the month, day 1 first.
    pub by_day: Vec<i64>,
}

impl CurrencyTotal {
    pub fn total(&self) -> Money {
        let minor = self.by_category.iter().map(|(_, money)| money.minor).sum();
        Money::new(minor, self.currency)
    }
}

/// Adds up `lines` per currency (the home currency first, then by code), by
/// category and by day of `period`. Lines outside `period` count toward the
/// categories but not the days.
pub fn totals(lines: &[Line], home: Currency) -> Vec<CurrencyTotal> {
    let mut totals: Vec<CurrencyTotal> = Vec::new();
    for line in lines {
        let currency = line.amount.currency;
        let index = match totals.iter().position(|t| t.currency == currency) {
            Some(index) => index,
            None => {
                totals.push(CurrencyTotal {
                    currency,
                    by_category: Vec::new(),
                    by_day: vec![0; 31],
                });
                totals.len() - 1
            }
        };
        let total = &mut totals[index];
        match total
            .by_category
            .iter_mut()
            .find(|(id, _)| *id == line.category_id)
        {
            Some((_, money)) => money.minor = money.minor.saturating_add(line.amount.minor),
            None => total
                .by_category
                .push((line.category_id.clone(), line.amount)),
        }
        if let Some(day) = total.by_day.get_mut(line.spent_on.day0() as usize) {
            *day = day.saturating_add(line.amount.minor);
        }
    }
    for total in &mut totals {
        total
            .by_category
            .sort_by(|a, b| b.1.minor.cmp(&a.1.minor).then_with(|| a.0.cmp(&b.0)));
    }
    totals.sort_by_key(|total| (total.currency != home, total.currency.code()));
    totals
}

/// `diciembre 2026`, `December 2026`.
pub fn month_name(language: Language, period: Period) -> String {
    let index = period.month.clamp(1, 12) as usize - 1;
    let name = language.month_names()[index];
    // English capitalises month names, Spanish does not.
    let name = match language {
        Language::Spanish => name.to_owned(),
        Language::English => {
            let mut letters = name.chars();
            letters
                .next()
                .map(|first| first.to_uppercase().chain(letters).collect())
                .unwrap_or_default()
        }
    };
    format!("{name} {}", period.year)
}

/// The claims of a report link for `period`, for one user when `user_id` is
/// set, valid [`LINK_TTL_DAYS`] from `now` (unix seconds).
pub fn claims(
    customer_id: &str,
    user_id: Option<&str>,
    period: Period,
    now: i64,
    nonce: String,
) -> Claims {
    Claims {
        kind: TOKEN_KIND.to_owned(),
        customer_id: customer_id.to_owned(),
        user_id: user_id.map(str::to_owned),
        period: Some(period.key()),
        expires_at: now.saturating_add(LINK_TTL_DAYS * 24 * 60 * 60),
        nonce,
    }
}

/// The page URL of a token under `base_url` (`PUBLIC_BASE_URL`).
pub fn link(base_url: &str, token: &str) -> String {
    format!("{}{PATH_PREFIX}{token}", base_url.trim_end_matches('/'))
}

/// What the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a> {
    pub language: Language,
    pub locale: &'a str,
    pub home_currency: Currency,
    pub period: Period,
    pub scope: Scope,
    /// The month's expenses, oldest first.
    pub lines: &'a [Line],
    /// Rate tables against the home currency for the dates of the amounts
    /// in other currencies; a date without a table leaves its amounts
    /// unconverted.
    pub rates: &'a Tables,
    /// The CSV link, relative to the page.
    pub csv_href: &'a str,
}

/// The body of a wrong or expired link: the same for both, so a caller
/// learns nothing about which tokens exist.
pub const NOT_FOUND_HTML: &str = "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>misgastos</title>\
</head><body><p>Este enlace no existe o ya venció. Escribe <b>resumen</b> en WhatsApp para \
recibir uno nuevo.</p><p>This link does not exist or has expired. Send <b>summary</b> on \
WhatsApp for a new one.</p></body></html>";

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:720px;\
padding:12px;color:#1d2433;background:#fff}h1{font-size:1.3rem;margin:.2em 0}\
h2{font-size:1.1rem;margin:1.2em 0 .3em}h3{font-size:1rem;margin:.8em 0 .2em}\
.total{font-size:1.6rem;font-weight:700;margin:.2em 0}svg{width:100%;height:auto;\
display:block}.bar{fill:#2f7d6d}.day{fill:#4a6fa5}.axis{fill:#5b6475;font-size:11px}\
.label{fill:#1d2433;font-size:12px}table{border-collapse:collapse;width:100%;\
font-size:.9rem}td,th{padding:6px 4px;border-bottom:1px solid #e3e6ec;text-align:left;\
vertical-align:top}td.amount,th.amount{text-align:right;white-space:nowrap}\
.pending,.note{color:#a35b00}a.csv{display:inline-block;margin:1em 0;padding:10px 14px;\
border-radius:8px;background:#2f7d6d;color:#fff;text-decoration:none}";

/// The `Content-Security-Policy` of the report page: nothing may load or
/// run, and the one inline style element is allowed by its SHA-256 hash.
pub fn content_security_policy() -> String {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
}

/// Renders the report page.
pub fn render_html(page: &Page<'_>) -> String {
    let texts = Texts::of(page.language);
    let month = month_name(page.language, page.period);
    let scope = match page.scope {
        Scope::Household => texts.household,
        Scope::Mine => texts.mine,
    };
    let mut html = String::with_capacity(8192);
    let lang = match page.language {
        Language::Spanish => "es",
        Language::English => "en",
    };
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>misgastos · {}</title>\
         <style>{STYLE}</style></head><body><h1>{} · {}</h1>",
        escape_html(&month),
        escape_html(&month),
        escape_html(scope),
    );
    if page.lines.is_empty() {
        let _ = write!(html, "<p>{}</p>", texts.empty);
    } else {
        home_section(&mut html, page, &texts);
    }
    let _ = write!(
        html,
        "<p><a class=\"csv\" href=\"{}\" download>{}</a></p>",
        escape_html(page.csv_href),
        texts.download
    );
    expense_table(&mut html, page, &texts);
    let _ = write!(html, "<p class=\"axis\">{}</p></body></html>", texts.footer);
    html
}

/// Writes the month's total in the home currency, how it was converted, the
/// totals per currency, what was left out, and the two charts.
fn home_section(html: &mut String, page: &Page<'_>, texts: &Texts) {
    let home = page.home_currency;
    let locale = page.locale;
    let in_home = home_totals(page.lines, home, page.rates);
    let code = home.code();
    let _ = write!(
        html,
        "<section class=\"currency\" data-currency=\"{code}\"><h2>{}</h2>\
         <p class=\"total\">{}</p>",
        escape_html(&texts.total_in(code)),
        escape_html(&in_home.total.total().display(locale)),
    );

    if !in_home.converted.is_empty() {
        let codes: Vec<&str> = in_home.converted.iter().map(|c| c.code()).collect();
        let _ = write!(
            html,
            "<p class=\"converted\">{}</p>",
            escape_html(&texts.converted_note(&codes, code))
        );
    }
    let by_currency = totals(page.lines, home);
    if by_currency.iter().any(|total| total.currency != home) {
        let amounts: Vec<String> = by_currency
            .iter()
            .map(|total| total.total().display(locale))
            .collect();
        let _ = write!(
            html,
            "<p class=\"by-currency\">{}: {}</p>",
            texts.by_currency,
            escape_html(&amounts.join(" · "))
        );
    }
    let left_out = in_home.not_converted_by_date();
    if !left_out.is_empty() {
        let amounts: Vec<String> = left_out
            .iter()
            .map(|(date, money)| format!("{} ({})", money.display(locale), texts.date_of(*date)))
            .collect();
        let _ = write!(
            html,
            "<p class=\"note not-converted\">{}: {}</p>",
            texts.not_converted_note,
            escape_html(&amounts.join(", "))
        );
    }

    let _ = write!(html, "<h3>{}</h3>", texts.by_category);
    charts::category_chart(html, &in_home.total, page, texts);
    let _ = write!(html, "<h3>{}</h3>", texts.by_day);
    charts::day_chart(html, &in_home.total, page.period, page.locale, texts);
    html.push_str("</section>");
}

/// Writes the list of expenses. When some are in another currency than the
/// home one, a column shows each amount converted, or that it could not be.
fn expense_table(html: &mut String, page: &Page<'_>, texts: &Texts) {
    let home = page.home_currency;
    let foreign = page.lines.iter().any(|line| line.amount.currency != home);
    let converted = convert_lines(page.lines, home, page.rates);
    let _ = write!(
        html,
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th>\
         <th class=\"amount\">{}</th>",
        texts.expenses, texts.date, texts.description, texts.category, texts.amount
    );
    if foreign {
        let _ = write!(
            html,
            "<th class=\"amount\">{}</th>",
            escape_html(&texts.amount_in(home.code()))
        );
    }
    html.push_str("</tr></thead><tbody>");
    for (line, item) in page.lines.iter().zip(&converted) {
        let date = match page.language {
            Language::Spanish => line.spent_on.format("%d-%m").to_string(),
            Language::English => line.spent_on.format("%m/%d").to_string(),
        };
        let category = match &line.category {
            Some(name) => escape_html(name),
            None => format!("<span class=\"pending\">{}</span>", texts.no_category),
        };
        let _ = write!(
            html,
            "<tr><td>{date}</td><td>{}</td><td>{category}</td><td class=\"amount\">{}</td>",
            escape_html(&line.description),
            escape_html(&line.amount.display(page.locale)),
        );
        if foreign {
            let cell = match item.home {
                Ok(money) => escape_html(&money.display(page.locale)),
                Err(_) => format!("<span class=\"note\">{}</span>", texts.not_converted),
            };
            let _ = write!(html, "<td class=\"amount\">{cell}</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
}

/// Renders the month's expenses as CSV (RFC 4180: comma separated, CRLF line ends,
/// fields quoted when needed). Amounts are plain decimals with a point, in
/// the currency of the next column, so a spreadsheet reads them in any
/// locale. `home_amount` is the amount converted into `home` at the rate of
/// its date, and empty when no rate could be had. A field that starts like
/// a formula is prefixed with `'`, so a spreadsheet shows it instead of
/// running it.
pub fn render_csv(lines: &[Line], home: Currency, rates: &Tables) -> String {
    let mut csv = String::from(
        "date,description,merchant,category,amount,currency,home_amount,home_currency,status\r\n",
    );
    for (line, item) in lines.iter().zip(convert_lines(lines, home, rates)) {
        let fields = [
            line.spent_on.format("%Y-%m-%d").to_string(),
            line.description.clone(),
            line.merchant.clone().unwrap_or_default(),
            line.category.clone().unwrap_or_default(),
            decimal(line.amount),
            line.amount.currency.code().to_owned(),
            item.home.map(decimal).unwrap_or_default(),
            home.code().to_owned(),
            if line.category.is_some() {
                "completed".to_owned()
            } else {
                "pending_category".to_owned()
            },
        ];
        let row: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
        csv.push_str(&row.join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// `12500`, `8.40`: the amount with a decimal point and no grouping.
fn decimal(money: Money) -> String {
    let exponent = money.currency.exponent();
    if exponent == 0 {
        return money.minor.to_string();
    }
    let divisor = 10_i64.pow(exponent);
    let sign = if money.minor < 0 { "-" } else { "" };
    let magnitude = money.minor.unsigned_abs();
    let width = exponent as usize;
    format!(
        "{sign}{}.{:0width$}",
        magnitude / divisor.unsigned_abs(),
        magnitude % divisor.unsigned_abs()
    )
}

fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The page's fixed labels in one language.
struct Texts {
    household: &'static str,
    mine: &'static str,
    by_category: &'static str,
    by_day: &'static str,
    expenses: &'static str,
    date: &'static str,
    description: &'static str,
    category: &'static str,
    amount: &'static str,
    no_category: &'static str,
    download: &'static str,
    empty: &'static str,
    footer: &'static str,
    by_currency: &'static str,
    not_converted: &'static str,
    not_converted_note: &'static str,
    language: Language,
}

impl Texts {
    fn of(language: Language) -> Texts {
        match language {
            Language::Spanish => Texts {
                household: "Hogar",
                mine: "Personal",
                by_category: "Por categoría",
                by_day: "Por día",
                expenses: "Gastos",
                date: "Fecha",
                description: "Descripción",
                category: "Categoría",
                amount: "Monto",
                no_category: "Sin categoría",
                download: "Descargar CSV",
                empty: "No hay gastos este mes.",
                footer: "Enlace privado de misgastos; vence 7 días después de enviado.",
                by_currency: "Por moneda",
                not_converted: "sin convertir",
                not_converted_note: "Sin tipo de cambio, fuera del total y de los gráficos",
                language,
            },
            Language::English => Texts {
                household: "Household",
                mine: "Personal",
                by_category: "By category",
                by_day: "By day",
                expenses: "Expenses",
                date: "Date",
                description: "Description",
                category: "Category",
                amount: "Amount",
                no_category: "No category",
                download: "Download CSV",
                empty: "No expenses this month.",
                footer: "Private misgastos link; it expires 7 days after it was sent.",
                by_currency: "By currency",
                not_converted: "not converted",
                not_converted_note: "No exchange rate, left out of the total and the charts",
                language,
            },
        }
    }
}

impl Texts {
    /// Returns the heading of the home-currency totals: `Total en CLP`.
    fn total_in(&self, code: &str) -> String {
        match self.language {
            Language::Spanish => format!("Total en {code}"),
            Language::English => format!("Total in {code}"),
        }
    }

    /// Returns the header of the converted column: `En CLP`.
    fn amount_in(&self, code: &str) -> String {
        match self.language {
            Language::Spanish => format!("En {code}"),
            Language::English => format!("In {code}"),
        }
    }

    /// Says which currencies were converted into `home`, and at which rate.
    fn converted_note(&self, codes: &[&str], home: &str) -> String {
        let list = crate::reply::join_list(self.language, codes);
        let converted = if codes.len() > 1 {
            "convertidos"
        } else {
            "convertido"
        };
        match self.language {
            Language::Spanish => format!(
                "Incluye {list} {converted} a {home} al tipo de cambio de la fecha de cada gasto."
            ),
            Language::English => format!(
                "Includes {list} converted to {home} at the exchange rate of each expense's date."
            ),
        }
    }

    /// Formats a date as the page's notes write it: `04-12-2026`,
    /// `12/04/2026`.
    fn date_of(&self, day: NaiveDate) -> String {
        match self.language {
            Language::Spanish => day.format("%d-%m-%Y").to_string(),
            Language::English => day.format("%m/%d/%Y").to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
