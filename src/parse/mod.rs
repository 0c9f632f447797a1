//! Reading expenses out of what people type: amounts, currencies, dates and
//! descriptions.
//!
//! Pure functions of the text and a [`ParseContext`] (locale, home currency,
//! today's date in the customer's time zone). Deciding what to do with an
//! ambiguous reading is left to `flow`; this module only reports it.

use chrono::NaiveDate;

use crate::money::{Currency, Money};

/// What the parser needs to know about the customer.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// BCP 47 locale such as `es-CL`; decides what `12.500` means.
    pub locale: &'a str,
    /// The currency that `$` and a bare number mean.
    pub home_currency: Currency,
    /// Today in the customer's time zone.
    pub today: NaiveDate,
}

/// One expense read from a message, before it is classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub amount: Money,
    pub spent_on: NaiveDate,
    /// The words around the amount, cleaned of filler such as `gasté` or `en`.
    pub description: String,
    /// A known merchant named in the text, lowercase (`uber`, `jumbo`).
    pub merchant: Option<String>,
}

/// One expense-like part of a message and how sure the parser is about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Amount, currency, date and description are all clear.
    Expense(Draft),
    /// A purchase is described but no amount is given.
    MissingAmount {
        description: String,
        merchant: Option<String>,
        spent_on: NaiveDate,
    },
    /// The amount has more than one reading (`12,500` where the locale cannot
    /// decide, `3,5` in a currency without decimals). `draft.amount` is the
    /// first candidate; the user picks one of `candidates`.
    AmbiguousAmount {
        draft: Draft,
        candidates: Vec<Money>,
    },
    /// The text names a date after today.
    FutureDate { draft: Draft },
}

/// Small talk that is not an expense and deserves a friendly answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    Question,
}

/// A reading of a number typed as an answer to "how much was it?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountReading {
    Exact(Money),
    Ambiguous(Vec<Money>),
    None,
}

/// Reads every expense in `text`. An empty result means the text is not an
/// expense at all (small talk, an empty message).
pub fn parse_message(text: &str, context: &ParseContext<'_>) -> Vec<Item> {
    if small_talk(text).is_some() {
        return Vec::new();
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Vec::new();
    }

    let mut amount = None;
    let mut rest = Vec::new();
    for word in &words {
        match parse_amount(word, context) {
            AmountReading::Exact(money) if amount.is_none() => amount = Some(money),
            _ => rest.push(*word),
        }
    }
    let description = rest.join(" ").to_lowercase();
    let merchant = None;
    match amount {
        Some(amount) => vec![Item::Expense(Draft {
            amount,
            spent_on: context.today,
            description,
            merchant,
        })],
        None => vec![Item::MissingAmount {
            description,
            merchant,
            spent_on: context.today,
        }],
    }
}

/// Reads a bare amount such as `12500` or `8.40`.
pub fn parse_amount(text: &str, context: &ParseContext<'_>) -> AmountReading {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return AmountReading::None;
    }
    let currency = context.home_currency;
    let (decimal, _) = crate::money::separators(context.locale);
    let normalised: String = trimmed
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == decimal)
        .map(|c| if c == decimal { '.' } else { c })
        .collect();
    let Ok(value) = normalised.parse::<f64>() else {
        return AmountReading::None;
    };
    let minor = (value * 10_f64.powi(currency.exponent() as i32)).round() as i64;
    if minor <= 0 {
        return AmountReading::None;
    }
    AmountReading::Exact(Money::new(minor, currency))
}

/// Recognises greetings, thanks and questions that are not expenses.
pub fn small_talk(text: &str) -> Option<SmallTalk> {
    let lower = text.trim().to_lowercase();
    let word = lower.trim_matches(|c: char| !c.is_alphanumeric());
    match word {
        "hola" | "hi" | "hello" | "buenas" | "buenos dias" | "buenos días" => {
            Some(SmallTalk::Greeting)
        }
        "gracias" | "thanks" | "thank you" | "ok" => Some(SmallTalk::Thanks),
        _ if lower.ends_with('?') && !lower.chars().any(|c| c.is_ascii_digit()) => {
            Some(SmallTalk::Question)
        }
        _ => None,
    }
}
