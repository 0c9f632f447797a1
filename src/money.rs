//! Money as integer minor units with an ISO 4217 currency.
//!
//! Owns the list of currencies misgastos understands, their exponents and how
//! an amount is shown to a user. Parsing amounts out of text lives in `parse`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest amount misgastos records, edits, budgets or converts to, in
/// minor units of its currency: 10^11, which is CLP 100.000.000.000 or USD
/// 1.000.000.000,00. D1 returns integers as JavaScript numbers, exact only
/// up to 2^53 − 1 (about 9 × 10^15), and a month's report adds at most
/// `report::MAX_LINES` (5 000) amounts, so every total stays exact too.
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000_000;

/// An ISO 4217 currency that misgastos can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Currency {
    Ars,
    Brl,
    Clp,
    Cop,
    Eur,
    Gbp,
    Mxn,
    Pen,
    Usd,
    Uyu,
}

impl Currency {
    /// Every supported currency, in code order.
    pub const ALL: [Currency; 10] = [
        Currency::Ars,
        Currency::Brl,
        Currency::Clp,
        Currency::Cop,
        Currency::Eur,
        Currency::Gbp,
        Currency::Mxn,
        Currency::Pen,
        Currency::Usd,
        Currency::Uyu,
    ];

    /// The three-letter ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Ars => "ARS",
            Currency::Brl => "BRL",
            Currency::Clp => "CLP",
            Currency::Cop => "COP",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Mxn => "MXN",
            Currency::Pen => "PEN",
            Currency::Usd => "USD",
            Currency::Uyu => "UYU",
        }
    }

    /// Digits after the decimal point in the minor unit. CLP has none in
    /// ISO 4217. COP has two there, but no coin below one peso circulates and
    /// prices are written without decimals, so misgastos records it with none.
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Clp | Currency::Cop => 0,
            _ => 2,
        }
    }

    /// Parses an ISO 4217 code, in any case.
    pub fn from_code(code: &str) -> Option<Currency> {
        Currency::ALL
            .into_iter()
            .find(|currency| currency.code().eq_ignore_ascii_case(code.trim()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Currency::from_code(&code).ok_or_else(|| format!("unknown currency code `{code}`"))
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.code().to_owned()
    }
}

/// An amount of money: integer minor units and their currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents for USD, pesos for CLP). Always positive for an
    /// expense.
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// Creates an amount from minor units.
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// The largest amount in `currency` that misgastos records.
    pub fn max(currency: Currency) -> Money {
        Money::new(MAX_AMOUNT_MINOR, currency)
    }

    /// Returns whether the amount can be recorded: positive and at most
    /// [`MAX_AMOUNT_MINOR`].
    pub fn is_recordable(self) -> bool {
        (1..=MAX_AMOUNT_MINOR).contains(&self.minor)
    }

    /// Formats the amount the way a reader of `locale` writes it, with the
    /// currency code in front: `CLP 12.500`, `USD 8.40` for en, `USD 8,40` for
    /// es-CL.
    pub fn display(self, locale: &str) -> String {
        format!("{} {}", self.currency.code(), format_number(self, locale))
    }

    /// Formats only the number, with the locale's separators and the
    /// currency's exponent.
    pub fn format_number(self, locale: &str) -> String {
        format_number(self, locale)
    }
}

/// Decimal and thousands separators of a locale: `es-MX` and `en-*` write
/// `1,234.56`; the other Spanish locales write `1.234,56`.
pub fn separators(locale: &str) -> (char, char) {
    let lower = locale.to_ascii_lowercase();
    if lower.starts_with("en") || lower == "es-mx" || lower.starts_with("es-mx") {
        ('.', ',')
    } else {
        (',', '.')
    }
}

fn format_number(money: Money, locale: &str) -> String {
    let (decimal, thousands) = separators(locale);
    let exponent = money.currency.exponent();
    let divisor = 10_i64.pow(exponent);
    let sign = if money.minor < 0 { "-" } else { "" };
    let magnitude = money.minor.unsigned_abs();
    let whole = magnitude / divisor.unsigned_abs();
    let fraction = magnitude % divisor.unsigned_abs();

    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(thousands);
        }
        grouped.push(digit);
    }

    if exponent == 0 {
        format!("{sign}{grouped}")
    } else {
        let width = exponent as usize;
        format!("{sign}{grouped}{decimal}{fraction:0width$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_locale_separators() {
        let cases = [
            (Money::new(12_500, Currency::Clp), "es-CL", "12.500"),
            (Money::new(1_234_567, Currency::Clp), "es-CL", "1.234.567"),
            (Money::new(840, Currency::Usd), "en-US", "8.40"),
            (Money::new(840, Currency::Usd), "es-CL", "8,40"),
            (Money::new(123_456, Currency::Mxn), "es-MX", "1,234.56"),
            (Money::new(5, Currency::Eur), "es-AR", "0,05"),
            (Money::new(999, Currency::Cop), "es-CO", "999"),
        ];
        for (money, locale, expected) in cases {
            assert_eq!(
                money.format_number(locale),
                expected,
                "{money:?} in {locale}"
            );
        }
    }

    #[test]
    fn recordable_amounts_stop_at_the_maximum() {
        let cases = [
            (0, false),
            (1, true),
            (MAX_AMOUNT_MINOR, true),
            (MAX_AMOUNT_MINOR + 1, false),
            (-5, false),
        ];
        for (minor, expected) in cases {
            assert_eq!(
                Money::new(minor, Currency::Usd).is_recordable(),
                expected,
                "{minor}"
            );
        }
    }

    #[test]
    fn month_of_maximum_amounts_stays_exact_in_d1() {
        let lines = i64::try_from(crate::report::MAX_LINES).unwrap_or(i64::MAX);
        let total = MAX_AMOUNT_MINOR.checked_mul(lines);
        assert!(
            total.is_some_and(|total| total <= crate::fx::MAX_SAFE_MINOR),
            "{total:?}"
        );
    }

    #[test]
    fn currency_codes_round_trip() {
        for currency in Currency::ALL {
            assert_eq!(Currency::from_code(currency.code()), Some(currency));
            assert_eq!(
                Currency::from_code(&currency.code().to_lowercase()),
                Some(currency)
            );
        }
        assert_eq!(Currency::from_code("XYZ"), None);
    }
}
