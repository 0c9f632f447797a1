//! Reading the digits of an amount (`12.500`, `1,234.56`, `3,40`) with the
//! locale's separators, in integer arithmetic, and fitting the result to a
//! currency's exponent.
//!
//! The rule that keeps `3,40` from becoming `3400`: a separator followed by
//! exactly three digits groups thousands where the locale groups thousands
//! with it; followed by one or two digits it is a decimal point. When three
//! digits follow the locale's decimal separator (`12,500` in es-CL, `1.500`
//! in en-US) both readings are returned and the caller asks.

use crate::money::{separators, Currency, Money};

/// Most digits an amount may have. Longer numbers are ids or phone numbers,
/// and the limit keeps every product below in `u64` range.
const MAX_DIGITS: usize = 15;

/// A non-negative decimal number: `digits / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decimal {
    pub(super) digits: u64,
    pub(super) scale: u32,
}

impl Decimal {
    /// A whole number.
    pub(super) fn whole(value: u64) -> Decimal {
        Decimal {
            digits: value,
            scale: 0,
        }
    }

    /// The number multiplied by `factor`, or `None` on overflow.
    pub(super) fn times(self, factor: u64) -> Option<Decimal> {
        let digits = self.digits.checked_mul(factor)?;
        Some(Decimal { digits, ..self })
    }
}

/// Reads `raw` (digits with `.` and `,`) as a number in `locale`. Returns
/// the readings, most likely first: one when the separators decide, two
/// (thousands, then decimal) when they do not. `None` when `raw` is not a
/// number at all (`1.2.3`, `12,3456`, a zero, too many digits).
pub(super) fn read_number(raw: &str, locale: &str) -> Option<Vec<Decimal>> {
    if raw.is_empty()
        || !raw
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let digit_count = raw.bytes().filter(u8::is_ascii_digit).count();
    if digit_count == 0 || digit_count > MAX_DIGITS {
        return None;
    }
    let (_, locale_thousands) = separators(locale);

    let last_separator = raw.rfind(['.', ',']);
    let readings = match last_separator {
        None => vec![Decimal::whole(whole_digits(raw)?)],
        Some(position) => {
            let separator = raw[position..].chars().next()?;
            let (head, tail) = (&raw[..position], &raw[position + 1..]);
            let other = if separator == '.' { ',' } else { '.' };

            if head.contains(other) {
                // Both separators: the last one is the decimal point and the
                // other must group thousands (`1.234,56`, `1,234.56`).
                if head.contains(separator) || !(1..=3).contains(&tail.len()) {
                    return None;
                }
                vec![with_fraction(grouped(head, other)?, tail)?]
            } else if head.contains(separator) {
                // The same separator twice or more can only group thousands.
                vec![Decimal::whole(grouped(raw, separator)?)]
            } else {
                single_separator(head, tail, separator == locale_thousands)?
            }
        }
    };

    if readings.iter().all(|reading| reading.digits == 0) {
        return None;
    }
    Some(readings)
}

/// Readings of a number with one separator between `head` and `tail`.
fn single_separator(head: &str, tail: &str, is_locale_thousands: bool) -> Option<Vec<Decimal>> {
    let head_value = if head.is_empty() {
        0
    } else {
        whole_digits(head)?
    };
    match tail.len() {
        1 | 2 => Some(vec![with_fraction(head_value, tail)?]),
        3 => {
            let can_group = (1..=3).contains(&head.len()) && !head.starts_with('0');
            let decimal = with_fraction(head_value, tail)?;
            if !can_group {
                return Some(vec![decimal]);
            }
            let thousands = Decimal::whole(head_value * 1_000 + whole_digits(tail)?);
            if is_locale_thousands {
                Some(vec![thousands])
            } else {
                Some(vec![thousands, decimal])
            }
        }
        _ => None,
    }
}

fn whole_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Reads `1.234.567` grouped by `separator`: a first group of one to three
/// digits, then groups of exactly three.
fn grouped(text: &str, separator: char) -> Option<u64> {
    let mut groups = text.split(separator);
    let first = groups.next()?;
    if !(1..=3).contains(&first.len()) {
        return None;
    }
    let mut value = whole_digits(first)?;
    for group in groups {
        if group.len() != 3 {
            return None;
        }
        value = value
            .checked_mul(1_000)?
            .checked_add(whole_digits(group)?)?;
    }
    Some(value)
}

fn with_fraction(whole: u64, fraction: &str) -> Option<Decimal> {
    let scale = u32::try_from(fraction.len()).ok()?;
    let digits = whole
        .checked_mul(10_u64.checked_pow(scale)?)?
        .checked_add(whole_digits(fraction)?)?;
    Some(Decimal { digits, scale })
}

/// Fits `value` to `currency` exactly, or `None` when it has more decimals
/// than the currency's exponent, is zero or is too large.
pub(super) fn fit(value: Decimal, currency: Currency) -> Option<Money> {
    let exponent = currency.exponent();
    let minor = if value.scale <= exponent {
        value
            .digits
            .checked_mul(10_u64.checked_pow(exponent - value.scale)?)?
    } else {
        let divisor = 10_u64.checked_pow(value.scale - exponent)?;
        if !value.digits.is_multiple_of(divisor) {
            return None;
        }
        value.digits / divisor
    };
    money(minor, currency)
}

/// Candidates for a value with more decimals than `currency` can store, so
/// the user is asked instead of the value being rounded in silence. For a
/// currency without decimals a small value is first read as thousands
/// (`3,5` CLP as 3.500, as people say "tres quinientos"), then rounded.
fn unstorable_candidates(value: Decimal, currency: Currency) -> Vec<Money> {
    let mut candidates = Vec::new();
    let exponent = currency.exponent();
    let Some(divisor) = 10_u64.checked_pow(value.scale.saturating_sub(exponent)) else {
        return candidates;
    };
    if exponent == 0 && value.digits / divisor < 1_000 {
        if let Some(thousands) = value.times(1_000).and_then(|v| fit(v, currency)) {
            candidates.push(thousands);
        }
    }
    let rounded = value.digits / divisor + u64::from(value.digits % divisor >= divisor.div_ceil(2));
    if let Some(rounded) = money(rounded, currency) {
        candidates.push(rounded);
    }
    candidates
}

/// The amount, or `None` for zero and for what `i64` cannot hold. An amount
/// above [`crate::money::MAX_AMOUNT_MINOR`] is still read, so that the flow
/// can tell the user the maximum instead of reading the text as no amount.
fn money(minor: u64, currency: Currency) -> Option<Money> {
    if minor == 0 {
        return None;
    }
    Some(Money::new(i64::try_from(minor).ok()?, currency))
}

/// The amounts that `values` (readings of one number) can be in any of
/// `currencies`, most likely first, and whether the reading is exact: one
/// value, one currency and no decimals lost.
pub(super) fn to_money(values: &[Decimal], currencies: &[Currency]) -> (Vec<Money>, bool) {
    let mut candidates: Vec<Money> = Vec::new();
    let mut exact = values.len() == 1 && currencies.len() == 1;
    for &currency in currencies {
        for &value in values {
            let found = match fit(value, currency) {
                Some(amount) => vec![amount],
                None => {
                    exact = false;
                    unstorable_candidates(value, currency)
                }
            };
            for amount in found {
                if !candidates.contains(&amount) {
                    candidates.push(amount);
                }
            }
        }
    }
    (candidates, exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(digits: u64, scale: u32) -> Decimal {
        Decimal { digits, scale }
    }

    #[test]
    fn separators_follow_locale() {
        let cases = [
            ("12500", "es-CL", vec![decimal(12_500, 0)]),
            ("12.500", "es-CL", vec![decimal(12_500, 0)]),
            ("12,500", "en-US", vec![decimal(12_500, 0)]),
            ("1.234,56", "es-AR", vec![decimal(123_456, 2)]),
            ("1,234.56", "es-CL", vec![decimal(123_456, 2)]),
            ("3,40", "es-CL", vec![decimal(340, 2)]),
            ("3.40", "es-CL", vec![decimal(340, 2)]),
            ("3,40", "en-US", vec![decimal(340, 2)]),
            ("1.234.567", "es-CO", vec![decimal(1_234_567, 0)]),
            ("1,234,567", "es-CL", vec![decimal(1_234_567, 0)]),
            (".50", "en-US", vec![decimal(50, 2)]),
            ("1234,567", "es-CL", vec![decimal(1_234_567, 3)]),
        ];
        for (raw, locale, expected) in cases {
            assert_eq!(
                read_number(raw, locale),
                Some(expected),
                "`{raw}` in {locale}"
            );
        }
    }

    #[test]
    fn three_digits_after_decimal_separator_is_ambiguous() {
        let cases = [
            ("12,500", "es-CL"),
            ("12.500", "es-MX"),
            ("12.500", "en-US"),
        ];
        for (raw, locale) in cases {
            assert_eq!(
                read_number(raw, locale),
                Some(vec![decimal(12_500, 0), decimal(12_500, 3)]),
                "`{raw}` in {locale}"
            );
        }
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for raw in [
            "1.2.3",
            "12,3456",
            "1.234,5678",
            "1,23.456",
            "0",
            "0,00",
            "12345678901234567",
        ] {
            assert_eq!(read_number(raw, "es-CL"), None, "`{raw}`");
        }
    }

    #[test]
    fn fit_respects_exponent() {
        assert_eq!(
            fit(decimal(340, 2), Currency::Usd),
            Some(Money::new(340, Currency::Usd))
        );
        assert_eq!(fit(decimal(340, 2), Currency::Clp), None);
        assert_eq!(
            fit(decimal(12_500, 3), Currency::Usd),
            Some(Money::new(1_250, Currency::Usd))
        );
        assert_eq!(
            fit(decimal(12_500, 0), Currency::Clp),
            Some(Money::new(12_500, Currency::Clp))
        );
        assert_eq!(fit(decimal(u64::MAX, 0), Currency::Usd), None);
    }

    #[test]
    fn decimal_for_peso_without_cents_is_a_question() {
        let (candidates, exact) = to_money(&[decimal(340, 2)], &[Currency::Clp]);
        assert!(!exact);
        assert_eq!(
            candidates,
            [
                Money::new(3_400, Currency::Clp),
                Money::new(3, Currency::Clp)
            ]
        );
    }

    #[test]
    fn usd_decimal_is_exact() {
        let (candidates, exact) = to_money(&[decimal(340, 2)], &[Currency::Usd]);
        assert!(exact);
        assert_eq!(candidates, [Money::new(340, Currency::Usd)]);
    }

    #[test]
    fn amounts_beyond_i64_are_rejected() {
        let beyond = i64::MAX.unsigned_abs() + 1;
        let (candidates, _) = to_money(&[decimal(beyond, 0)], &[Currency::Clp]);
        assert!(candidates.is_empty());
    }

    #[test]
    fn amounts_above_the_maximum_are_still_read() {
        let above = crate::money::MAX_AMOUNT_MINOR.unsigned_abs() + 1;
        let (candidates, exact) = to_money(&[decimal(above, 0)], &[Currency::Clp]);
        assert!(exact);
        assert_eq!(
            candidates,
            [Money::new(
                crate::money::MAX_AMOUNT_MINOR + 1,
                Currency::Clp
            )]
        );
    }
}
