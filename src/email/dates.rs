//! Dates as receipts and mail headers write them: `2026-03-03`,
//! `03/03/2026`, `3 de marzo de 2026`, `Mar 3, 2026`, `mar, 3 mar 2026`.
//!
//! Chat messages say `ayer` or `el lunes`, which `parse` reads; receipts
//! print a full date with a month name in Spanish or English, or digits in
//! the sender's order, so they get this small reader of their own.

use chrono::{Datelike, NaiveDate};

use crate::classify::fold;

/// Finds the first date in `text`. `day_first` says how `03/04/2026` reads
/// (day first everywhere but in US English); a first number above 12 is a
/// day whatever the order. A date without a year takes today's year, or last
/// year's when that would be after `today`.
pub fn find_date(text: &str, day_first: bool, today: NaiveDate) -> Option<NaiveDate> {
    let folded = fold(text);
    let tokens: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|token| token.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|token| !token.is_empty())
        .collect();

    for index in 0..tokens.len() {
        if let Some(date) = numeric_date(tokens[index], day_first) {
            return Some(date);
        }
        if let Some(date) = worded_date(&tokens[index..], today) {
            return Some(date);
        }
    }
    None
}

/// `2026-03-03`, `2026-03-03t14:22`, `03/03/2026`, `3-3-26`, `03.03.2026`.
fn numeric_date(token: &str, day_first: bool) -> Option<NaiveDate> {
    let token = token.split('t').next().unwrap_or(token);
    let parts: Vec<&str> = token.split(['/', '-', '.']).collect();
    let [first, second, third] = parts.as_slice() else {
        return None;
    };
    if !parts
        .iter()
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let number = |part: &str| part.parse::<u32>().ok();
    if first.len() == 4 {
        let year = i32::try_from(number(first)?).ok()?;
        return NaiveDate::from_ymd_opt(year, number(second)?, number(third)?);
    }
    if first.len() > 2 || second.len() > 2 || !(third.len() == 2 || third.len() == 4) {
        return None;
    }
    let year = number(third)?;
    let year = i32::try_from(if year < 100 { 2000 + year } else { year }).ok()?;
    let (a, b) = (number(first)?, number(second)?);
    let (day, month) = if a > 12 || (day_first && b <= 12) {
        (a, b)
    } else {
        (b, a)
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `3 de marzo de 2026`, `3 mar 2026`, `march 3 2026`, `3rd march`.
fn worded_date(tokens: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    let (day, month, rest) = match tokens {
        [day, "de", month, rest @ ..] | [day, month, rest @ ..] if day_of(day).is_some() => {
            (day_of(day)?, crate::parse::month_number(month)?, rest)
        }
        [month, day, rest @ ..] => (day_of(day)?, crate::parse::month_number(month)?, rest),
        _ => return None,
    };
    let year = match rest {
        ["de" | "del", year, ..] | [year, ..] => year_of(year),
        [] => None,
    };
    match year {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day),
        None => {
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
            if this_year > today {
                NaiveDate::from_ymd_opt(today.year() - 1, month, day)
            } else {
                Some(this_year)
            }
        }
    }
}

fn day_of(token: &str) -> Option<u32> {
    let digits = token.trim_end_matches(['s', 't', 'n', 'd', 'r', 'h', 'o']);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

fn year_of(token: &str) -> Option<i32> {
    if token.len() != 4 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token
        .parse()
        .ok()
        .filter(|year| (2000..=2100).contains(year))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
    }

    #[test]
    fn receipt_dates_are_found() {
        let today = day(2026, 3, 10);
        let cases = [
            ("Fecha: 2026-03-03", true, day(2026, 3, 3)),
            ("2026-03-03T14:22:00Z", true, day(2026, 3, 3)),
            ("Fecha: 03/02/2026 14:22", true, day(2026, 2, 3)),
            ("Date: 03/02/2026", false, day(2026, 3, 2)),
            ("Date: 25/02/2026", false, day(2026, 2, 25)),
            ("el 05-03-26 a las 10:00", true, day(2026, 3, 5)),
            ("03.03.2026", true, day(2026, 3, 3)),
            ("Fecha de compra: 3 de marzo de 2026", true, day(2026, 3, 3)),
            ("miércoles, 4 de febrero del 2026", true, day(2026, 2, 4)),
            ("mar, 3 mar 2026 a las 21:14", true, day(2026, 3, 3)),
            ("Tue, 3 Mar 2026 21:14:00 -0300", true, day(2026, 3, 3)),
            ("Date: Mon, Mar 2, 2026 at 9:14 PM", false, day(2026, 3, 2)),
            ("Order placed March 1st, 2026", false, day(2026, 3, 1)),
            ("Septiembre 30 2025", true, day(2025, 9, 30)),
            ("7 de marzo", true, day(2026, 3, 7)),
            ("20 de diciembre", true, day(2025, 12, 20)),
        ];
        for (text, day_first, expected) in cases {
            assert_eq!(find_date(text, day_first, today), Some(expected), "{text}");
        }
    }

    #[test]
    fn non_dates_are_not_found() {
        let today = day(2026, 3, 10);
        for text in [
            "Total $12.990",
            "Pedido #123-456-789",
            "31/02/2026",
            "mar 45",
            "1.234.56",
        ] {
            assert_eq!(find_date(text, true, today), None, "{text}");
        }
    }
}
