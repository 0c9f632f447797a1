//! Currency conversion: exchange-rate tables and exact conversion of minor
//! units between currencies.
//!
//! A [`RateTable`] contains the rates one source published for one date, all
//! against one base currency. [`convert`] turns an amount in minor units of
//! one currency into minor units of another through that base, with integer
//! arithmetic only: the rates are kept as the decimals the source wrote, the
//! exponents of both currencies are applied exactly, and the one rounding
//! happens at the end, half to even. Half to even (banker's rounding) is
//! chosen because summaries add many converted amounts: rounding every tie up
//! would push each total up by half a minor unit per tie.
//!
//! When a rate is missing, or the result does not fit D1's safe integers,
//! the amount is not converted; [`convert`] says why and nothing is guessed.
//! [`source`] fetches and caches the tables; this module is pure.

pub mod source;

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::money::{Currency, Money, MAX_AMOUNT_MINOR};

/// The largest amount of minor units D1 stores exactly (2^53 - 1): D1
/// returns integers as JavaScript numbers.
pub const MAX_SAFE_MINOR: i64 = 9_007_199_254_740_991;

/// Most digits after the decimal point a rate may have. A rate that small
/// (below 10^-30) is an error in the source, not a price.
const MAX_RATE_SCALE: u32 = 30;

/// A positive exchange rate, exactly as written in decimal:
/// `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    mantissa: u64,
    scale: u32,
}

/// The reason a text is not a rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("expected a positive decimal rate, found `{0}`")]
    Invalid(String),
    #[error("rate `{0}` has more significant digits or decimals than misgastos keeps")]
    TooPrecise(String),
}

impl Rate {
    /// Reads a plain decimal such as `950.12345678` or `0.00105`. Exponent
    /// notation, signs and zero are rejected.
    ///
    /// # Errors
    ///
    /// [`RateError::Invalid`] for anything but a positive decimal, and
    /// [`RateError::TooPrecise`] beyond 19 significant digits (what a `u64`
    /// holds) or 30 decimals.
    pub fn parse(text: &str) -> Result<Rate, RateError> {
        let invalid = || RateError::Invalid(text.to_owned());
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(invalid());
        }
        if text.ends_with('.') {
            return Err(invalid());
        }
        let fraction = fraction.trim_end_matches('0');
        let digits = format!("{whole}{fraction}");
        let significant = digits.trim_start_matches('0');
        if significant.is_empty() {
            return Err(invalid());
        }
        let scale = u32::try_from(fraction.len()).map_err(|_| invalid())?;
        let mantissa: u64 = significant
            .parse()
            .map_err(|_| RateError::TooPrecise(text.to_owned()))?;
        if scale > MAX_RATE_SCALE {
            return Err(RateError::TooPrecise(text.to_owned()));
        }
        Ok(Rate { mantissa, scale })
    }

    /// Reads a rate from a JSON number, through its shortest decimal form (the one
    /// that reads back as the same `f64`, which is what the source wrote
    /// whenever it wrote at most 15 significant digits).
    pub fn from_f64(value: f64) -> Option<Rate> {
        if !value.is_finite() || value <= 0.0 {
            return None;
        }
        Rate::parse(&format!("{value}")).ok()
    }

    /// One unit: the base currency's own rate.
    pub const ONE: Rate = Rate {
        mantissa: 1,
        scale: 0,
    };
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return f.write_str(&digits);
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{whole}.{fraction}")
    }
}

/// The rates one source published for one date: how many units of each
/// currency one unit of `base` buys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateTable {
    pub date: NaiveDate,
    pub base: Currency,
    /// `(currency, units of it per unit of base)`; the base may be absent.
    pub rates: Vec<(Currency, Rate)>,
}

impl RateTable {
    /// Returns the rate of `currency` against the base; the base's is one.
    pub fn rate(&self, currency: Currency) -> Option<Rate> {
        if currency == self.base {
            return Some(Rate::ONE);
        }
        self.rates
            .iter()
            .find(|(code, _)| *code == currency)
            .map(|(_, rate)| *rate)
    }
}

/// Rate tables by date, all against one base currency.
pub type Tables = BTreeMap<NaiveDate, RateTable>;

/// The distinct dates, earliest first, of the amounts that are not in
/// `home`: the dates whose rates a conversion into `home` needs.
pub fn dates_to_convert(
    amounts: impl IntoIterator<Item = (NaiveDate, Money)>,
    home: Currency,
) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = amounts
        .into_iter()
        .filter(|(_, money)| money.currency != home)
        .map(|(date, _)| date)
        .collect();
    dates.sort();
    dates.dedup();
    dates
}

/// The reason an amount was not converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotConverted {
    /// No table for the amount's date could be had (the source failed, or
    /// has not published that date).
    #[error("no exchange rates for {0}")]
    NoRates(NaiveDate),
    /// The table lacks one of the two currencies.
    #[error("no {currency} rate for {date}")]
    MissingRate { currency: Currency, date: NaiveDate },
    /// The converted amount is above [`MAX_AMOUNT_MINOR`].
    // NOTE: summaries, budget notes and the report list every amount left
    // unconverted as lacking an exchange rate, this one too.
    #[error("the converted amount is above the maximum amount")]
    TooLarge,
}

/// Converts `amount` into `to` at `table`'s rates, rounding the minor units
/// half to even.
///
/// # Errors
///
/// [`NotConverted::MissingRate`] when the table lacks either currency, and
/// [`NotConverted::TooLarge`] when the result exceeds [`MAX_AMOUNT_MINOR`].
pub fn convert(amount: Money, to: Currency, table: &RateTable) -> Result<Money, NotConverted> {
    if amount.currency == to {
        return Ok(amount);
    }
    let missing = |currency| NotConverted::MissingRate {
        currency,
        date: table.date,
    };
    let from_rate = table
        .rate(amount.currency)
        .ok_or(missing(amount.currency))?;
    let to_rate = table.rate(to).ok_or(missing(to))?;

    // amount / 10^e_from units of `from` are worth
    // amount / 10^e_from / r_from * r_to units of `to`, so in minor units
    // amount * m_to * 10^(s_from + e_to) / (m_from * 10^(s_to + e_from)).
    let up = from_rate.scale + to.exponent();
    let down = to_rate.scale + amount.currency.exponent();
    let magnitude = u128::from(amount.minor.unsigned_abs());
    // |amount| < 2^63 and m_to < 2^64, so this product always fits.
    let mut numerator = magnitude * u128::from(to_rate.mantissa);
    let mut denominator = u128::from(from_rate.mantissa);
    if up >= down {
        // The denominator is below 2^64, so a numerator past u128 means a
        // quotient past 2^64: far beyond any storable amount.
        numerator = 10u128
            .checked_pow(up - down)
            .and_then(|power| numerator.checked_mul(power))
            .ok_or(NotConverted::TooLarge)?;
    } else {
        match 10u128
            .checked_pow(down - up)
            .and_then(|power| denominator.checked_mul(power))
        {
            Some(value) => denominator = value,
            // The numerator is below 2^127, so a denominator past u128 makes
            // the quotient less than one half, which rounds to zero.
            None => return Ok(Money::new(0, to)),
        }
    }

    let rounded = divide_half_even(numerator, denominator);
    let minor = i64::try_from(rounded)
        .ok()
        .filter(|minor| *minor <= MAX_AMOUNT_MINOR)
        .ok_or(NotConverted::TooLarge)?;
    let signed = if amount.minor < 0 { -minor } else { minor };
    Ok(Money::new(signed, to))
}

/// `numerator / denominator` rounded to the nearest integer, ties to even.
/// `denominator` is never zero: rates are positive.
fn divide_half_even(numerator: u128, denominator: u128) -> u128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    // Compare remainder with denominator - remainder rather than doubling
    // the remainder, which could overflow.
    let rest = denominator - remainder;
    if remainder > rest || (remainder == rest && quotient % 2 == 1) {
        quotient + 1
    } else {
        quotient
    }
}

/// One amount of a summary, converted or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The amount as recorded.
    pub original: Money,
    pub spent_on: NaiveDate,
    /// In the home currency, or why not.
    pub home: Result<Money, NotConverted>,
}

/// Converts each `(date, amount)` into `home` with the table of its date.
/// `table_for` returns `None` when no table could be had for a date.
pub fn convert_each<'t>(
    amounts: impl IntoIterator<Item = (NaiveDate, Money)>,
    home: Currency,
    table_for: impl Fn(NaiveDate) -> Option<&'t RateTable>,
) -> Vec<Converted> {
    amounts
        .into_iter()
        .map(|(spent_on, original)| {
            let home = if original.currency == home {
                Ok(original)
            } else {
                match table_for(spent_on) {
                    Some(table) => convert(original, home, table),
                    None => Err(NotConverted::NoRates(spent_on)),
                }
            };
            Converted {
                original,
                spent_on,
                home,
            }
        })
        .collect()
}

/// [`convert_each`] with the tables of `tables`.
pub fn convert_all(
    amounts: impl IntoIterator<Item = (NaiveDate, Money)>,
    home: Currency,
    tables: &Tables,
) -> Vec<Converted> {
    convert_each(amounts, home, |date| tables.get(&date))
}

/// The sum of a list of converted amounts in the home currency, and the
/// amounts that could not be converted (kept in their own currencies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeTotal {
    pub total: Money,
    /// Whether any amount in another currency went into `total`.
    pub includes_conversions: bool,
    /// Amounts left out of `total`, in their own currencies, in input order.
    pub not_converted: Vec<Converted>,
}

/// Adds up `converted` in `home`, leaving out what was not converted.
pub fn home_total(converted: &[Converted], home: Currency) -> HomeTotal {
    let mut total: i64 = 0;
    let mut includes_conversions = false;
    let mut not_converted = Vec::new();
    for item in converted {
        match item.home {
            Ok(money) => {
                total = total.saturating_add(money.minor);
                includes_conversions |= item.original.currency != home;
            }
            Err(_) => not_converted.push(item.clone()),
        }
    }
    HomeTotal {
        total: Money::new(total, home),
        includes_conversions,
        not_converted,
    }
}

#[cfg(test)]
mod tests;
