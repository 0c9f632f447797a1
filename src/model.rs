//! The customer and category records that the flow reads.

use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// A customer: a person, a household or a small business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub home_currency: Currency,
    /// BCP 47 tag such as `es-CL`.
    pub locale: String,
    /// IANA time zone such as `America/Santiago`.
    pub time_zone: String,
    /// Classifications at or above this confidence complete at once.
    pub confidence_threshold: f64,
}

/// One of a customer's categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// Lowercase words that the keyword classifier matches.
    pub keywords: Vec<String>,
}

/// The language replies are written in, from the customer's locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Spanish,
    English,
}

impl Language {
    /// The names of the months, January first, lowercase as they are typed
    /// and shown inside a sentence.
    pub fn month_names(self) -> &'static [&'static str; 12] {
        const SPANISH: [&str; 12] = [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ];
        const ENGLISH: [&str; 12] = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ];
        match self {
            Language::Spanish => &SPANISH,
            Language::English => &ENGLISH,
        }
    }

    /// English for `en*` locales, Spanish for everything else.
    pub fn of_locale(locale: &str) -> Language {
        if locale.to_ascii_lowercase().starts_with("en") {
            Language::English
        } else {
            Language::Spanish
        }
    }
}

/// Splits the `categories.keywords` column into words.
pub fn split_keywords(column: &str) -> Vec<String> {
    column
        .split(',')
        .map(|word| word.trim().to_lowercase())
        .filter(|word| !word.is_empty())
        .collect()
}
