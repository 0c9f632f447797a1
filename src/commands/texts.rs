//! The texts about converted amounts in summaries and budget replies, in
//! Spanish and English.

use chrono::NaiveDate;

use crate::model::Language;
use crate::money::Money;
use crate::reply;

/// Most amounts a note lists one by one; the rest are counted.
const MAX_LISTED: usize = 10;

/// Returns the grand total line of a summary in several currencies: `*Total:
/// CLP 25.480*`.
pub(super) fn total_line(amount: &str) -> String {
    format!("*Total: {amount}*")
}

/// Returns the line of the month's totals in each currency, as recorded:
/// `Por moneda: CLP 17.500 · USD 8,40`.
pub(super) fn by_currency(language: Language, amounts: &[String]) -> String {
    let label = match language {
        Language::Spanish => "Por moneda",
        Language::English => "By currency",
    };
    format!("{label}: {}", amounts.join(" · "))
}

/// Says which currencies a total converted into `home`, and at which rate.
pub(super) fn converted_note(language: Language, codes: &[&str], home: &str) -> String {
    let list = reply::join_list(language, codes);
    match language {
        Language::Spanish => {
            format!("Convertí {list} a {home} al tipo de cambio de la fecha de cada gasto.")
        }
        Language::English => {
            format!("{list} converted to {home} at the exchange rate of each expense's date.")
        }
    }
}

/// Lists the amounts a total leaves out because no rate could be had for
/// their dates.
pub(super) fn left_out_note(language: Language, amounts: &[String]) -> String {
    let list = listed(language, amounts);
    match language {
        Language::Spanish => {
            format!("⚠️ El total no incluye estos montos, sin tipo de cambio: {list}.")
        }
        Language::English => {
            format!("⚠️ The total leaves out these amounts, which have no exchange rate: {list}.")
        }
    }
}

/// Returns what follows a category's converted total when some of its
/// amounts could not be converted: ` + USD 8,40 sin convertir`.
pub(super) fn not_converted_suffix(language: Language, amounts: &[String]) -> String {
    let list = amounts.join(" + ");
    match language {
        Language::Spanish => format!(" + {list} sin convertir"),
        Language::English => format!(" + {list} not converted"),
    }
}

/// Formats an amount and its date for a note: `USD 8,40 (03-12-2026)`.
pub(super) fn dated(
    language: Language,
    money: Money,
    day: NaiveDate,
    today: NaiveDate,
    locale: &str,
) -> String {
    format!(
        "{} ({})",
        reply::amount(money, locale),
        reply::date(language, day, today)
    )
}

/// Returns the sentence a budget alert ends with when its spending
/// includes converted amounts.
pub(super) fn alert_converted(language: Language, codes: &[&str]) -> String {
    let list = reply::join_list(language, codes);
    let converted = if codes.len() > 1 {
        "convertidos"
    } else {
        "convertido"
    };
    match language {
        Language::Spanish => {
            format!(" Incluye {list} {converted} al tipo de cambio de la fecha de cada gasto.")
        }
        Language::English => {
            format!(" It includes {list} converted at the exchange rate of each expense's date.")
        }
    }
}

/// Returns the sentence a budget alert ends with when some of the month's
/// amounts could not be converted.
pub(super) fn alert_left_out(language: Language, amounts: &[String]) -> String {
    let list = listed(language, amounts);
    match language {
        Language::Spanish => format!(" No cuenta {list}, sin tipo de cambio."),
        Language::English => {
            format!(" It leaves out {list}, which has no exchange rate.")
        }
    }
}

/// Tells the user that a new amount does not count toward its category's
/// budget, because no rate could be had for its date.
pub(super) fn not_counted(language: Language, amounts: &[String], category: &str) -> String {
    let list = listed(language, amounts);
    match language {
        Language::Spanish => format!(
            "⚠️ No conseguí el tipo de cambio de {list}, así que aún no cuenta para el presupuesto de {category}."
        ),
        Language::English => format!(
            "⚠️ I couldn't get the exchange rate for {list}, so it doesn't count toward the {category} budget yet."
        ),
    }
}

/// Joins the first [`MAX_LISTED`] amounts and counts the rest.
fn listed(language: Language, amounts: &[String]) -> String {
    let shown = amounts[..amounts.len().min(MAX_LISTED)].join(", ");
    let more = amounts.len().saturating_sub(MAX_LISTED);
    match (language, more) {
        (_, 0) => shown,
        (Language::Spanish, more) => format!("{shown} y {more} más"),
        (Language::English, more) => format!("{shown} and {more} more"),
    }
}
