//! A month's totals in the customer's home currency: every amount converted
//! at the rate of its own date, and the amounts that could not be.
//!
//! The month summary in chat and the report page both show these totals. A
//! converted amount is rounded once, per expense (see [`crate::fx`]), so the
//! totals equal the sum of the CSV's converted column.

use chrono::NaiveDate;

use super::{totals, CurrencyTotal, Line};
use crate::fx::{self, Converted, Tables};
use crate::money::{Currency, Money};

/// The month in the home currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeTotals {
    /// Every amount that could be converted, by category and by day.
    pub total: CurrencyTotal,
    /// The other currencies whose amounts went into `total`, in code order.
    pub converted: Vec<Currency>,
    /// The amounts left out of `total` because no rate could be had, as
    /// `(category id, date, amount)` in the order of the lines.
    pub not_converted: Vec<(Option<String>, NaiveDate, Money)>,
}

impl HomeTotals {
    /// Sums the amounts left out per currency and date, in currency code
    /// order and then by date.
    pub fn not_converted_by_date(&self) -> Vec<(NaiveDate, Money)> {
        let mut sums: Vec<(NaiveDate, Money)> = Vec::new();
        for (_, date, money) in &self.not_converted {
            match sums
                .iter_mut()
                .find(|(day, sum)| day == date && sum.currency == money.currency)
            {
                Some((_, sum)) => sum.minor = sum.minor.saturating_add(money.minor),
                None => sums.push((*date, *money)),
            }
        }
        sums.sort_by_key(|(date, money)| (money.currency.code(), *date));
        sums
    }

    /// Sums the amounts of one category left out per currency, in code
    /// order.
    pub fn not_converted_in(&self, category_id: Option<&str>) -> Vec<Money> {
        let mut sums: Vec<Money> = Vec::new();
        let in_category = self
            .not_converted
            .iter()
            .filter(|(id, _, _)| id.as_deref() == category_id);
        for (_, _, money) in in_category {
            match sums.iter_mut().find(|sum| sum.currency == money.currency) {
                Some(sum) => sum.minor = sum.minor.saturating_add(money.minor),
                None => sums.push(*money),
            }
        }
        sums.sort_by_key(|money| money.currency.code());
        sums
    }

    /// Returns the ids of the categories to show: those with converted
    /// amounts, largest first, then those whose amounts were all left out.
    pub fn categories(&self) -> Vec<Option<String>> {
        let mut ids: Vec<Option<String>> = self
            .total
            .by_category
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        for (id, _, _) in &self.not_converted {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Returns the converted total of one category, which is zero when none
    /// of its amounts could be converted.
    pub fn category_total(&self, category_id: Option<&str>) -> Money {
        self.total
            .by_category
            .iter()
            .find(|(id, _)| id.as_deref() == category_id)
            .map_or(Money::new(0, self.total.currency), |(_, money)| *money)
    }
}

/// Converts each line into `home` with the table of its date in `rates`.
pub fn convert_lines(lines: &[Line], home: Currency, rates: &Tables) -> Vec<Converted> {
    fx::convert_all(
        lines.iter().map(|line| (line.spent_on, line.amount)),
        home,
        rates,
    )
}

/// Adds up `lines` in `home`, each amount converted with the table of its
/// date in `rates`; amounts already in `home` need none.
pub fn home_totals(lines: &[Line], home: Currency, rates: &Tables) -> HomeTotals {
    let mut converted_lines = Vec::with_capacity(lines.len());
    let mut converted = Vec::new();
    let mut not_converted = Vec::new();
    for (line, item) in lines.iter().zip(convert_lines(lines, home, rates)) {
        match item.home {
            Ok(amount) => {
                if line.amount.currency != home && !converted.contains(&line.amount.currency) {
                    converted.push(line.amount.currency);
                }
                converted_lines.push(Line {
                    amount,
                    ..line.clone()
                });
            }
            Err(_) => not_converted.push((line.category_id.clone(), line.spent_on, line.amount)),
        }
    }
    converted.sort_by_key(|currency| currency.code());
    let total = totals(&converted_lines, home)
        .into_iter()
        .next()
        .unwrap_or(CurrencyTotal {
            currency: home,
            by_category: Vec::new(),
            by_day: vec![0; 31],
        });
    HomeTotals {
        total,
        converted,
        not_converted,
    }
}
