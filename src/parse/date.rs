//! Dates relative to today: `hoy`, `ayer`, `anteayer`, `el lunes`, `el 3`,
//! `3/11`, `3 de marzo`, `last friday`, `hace 2 días`.
//!
//! Rules, chosen so a date is never silently moved into the future:
//! - A weekday alone (`el lunes`, `monday`, `last monday`) is the most recent
//!   one strictly before today, so `el lunes` on a Monday is a week ago.
//!   `este lunes` / `this monday` is the one in the current Monday-to-Sunday
//!   week, which is today on a Monday and may be in the future.
//! - A day of the month alone (`el 3`) is the most recent 3rd on or before
//!   today, skipping months that lack that day (`el 30` on 5 March is 30
//!   January). A day and month without a year (`3/11`, `29 de febrero`) work
//!   the same way with years.
//! - Numeric dates are day first except in English locales (`en-US` writes
//!   `11/3` for 3 November). `2026-03-11` is always year first.
//! - A date with an explicit year, or words like `mañana` and `next monday`,
//!   can be in the future; the caller reports that.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::token::{Kind, Token};
use super::words::read_words;

/// A date expression found in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DateMatch {
    /// Token range of the expression, to be removed from the description.
    pub(super) start: usize,
    pub(super) end: usize,
    /// `None` for a time of day that names no date (`en la mañana`).
    pub(super) date: Option<NaiveDate>,
}

/// Finds every date expression in `tokens`, left to right.
pub(super) fn find_dates(tokens: &[Token<'_>], today: NaiveDate, locale: &str) -> Vec<DateMatch> {
    let month_first = locale.to_ascii_lowercase().starts_with("en");
    let mut found = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        match match_at(tokens, index, today, month_first) {
            // `cuota 2/6` is the second of six instalments, not June 2.
            Some((1, _)) if is_instalment(tokens, index) => index += 1,
            Some((length, date)) => {
                found.push(DateMatch {
                    start: index,
                    end: index + length,
                    date,
                });
                index += length;
            }
            None => index += 1,
        }
    }
    found
}

/// Returns whether the token at `index` is `N/M` after `cuota` or
/// `cuotas`.
fn is_instalment(tokens: &[Token<'_>], index: usize) -> bool {
    let after_cuota = index
        .checked_sub(1)
        .is_some_and(|before| tokens[before].is("cuota") || tokens[before].is("cuotas"));
    after_cuota && tokens[index].text.matches('/').count() == 1
}

type Found = Option<(usize, Option<NaiveDate>)>;

fn match_at(tokens: &[Token<'_>], index: usize, today: NaiveDate, month_first: bool) -> Found {
    let word = |offset: usize| tokens.get(index + offset).map_or("", |t| t.folded.as_str());
    let days_ago = |days: u64| today.checked_sub_days(Days::new(days));

    let relative = match (word(0), word(1), word(2)) {
        ("antes", "de", "ayer" | "anoche") => Some((3, days_ago(2))),
        ("the", "day", "before") if word(3) == "yesterday" => Some((4, days_ago(2))),
        ("day", "before", "yesterday") => Some((3, days_ago(2))),
        ("pasado", "manana", _) => Some((2, today.checked_add_days(Days::new(2)))),
        ("last", "night", _) => Some((2, days_ago(1))),
        (
            "esta" | "this",
            "manana" | "tarde" | "noche" | "morning" | "afternoon" | "evening",
            _,
        ) => Some((2, Some(today))),
        ("en" | "por" | "de" | "in", "la" | "the", "manana" | "tarde" | "noche" | "madrugada") => {
            Some((3, None))
        }
        ("in", "the", "morning" | "afternoon" | "evening") => Some((3, None)),
        ("hoy" | "today" | "tonight", _, _) => Some((1, Some(today))),
        ("ayer" | "yesterday" | "anoche", _, _) => Some((1, days_ago(1))),
        ("anteayer" | "antier" | "anteanoche" | "antenoche", _, _) => Some((1, days_ago(2))),
        // `mañana` after `la` or `esta` is the morning, not tomorrow.
        ("manana", _, _)
            if index > 0 && matches!(tokens[index - 1].folded.as_str(), "la" | "esta") =>
        {
            Some((1, None))
        }
        ("manana" | "tomorrow", _, _) => Some((1, today.checked_add_days(Days::new(1)))),
        _ => None,
    };
    if relative.is_some() {
        return relative;
    }

    days_ago_phrase(tokens, index, today)
        .or_else(|| weekday_phrase(tokens, index, today))
        .or_else(|| day_phrase(tokens, index, today, month_first))
}

/// `hace 3 días`, `hace una semana`, `3 days ago`, `a week ago`.
fn days_ago_phrase(tokens: &[Token<'_>], index: usize, today: NaiveDate) -> Found {
    let (count_at, unit_at, ago) = if tokens.get(index)?.is("hace") {
        (index + 1, index + 2, false)
    } else {
        (index, index + 1, true)
    };
    let count = tokens.get(count_at)?;
    let (count, count_length) = if count.is_plain_digits() {
        (count.text.parse::<u64>().ok()?, 1)
    } else {
        let number = read_words(tokens, count_at)?;
        (number.value.digits, number.length)
    };
    let unit_at = unit_at + count_length - 1;
    let days = match tokens.get(unit_at)?.folded.as_str() {
        "dia" | "dias" | "day" | "days" => count,
        "semana" | "semanas" | "week" | "weeks" => count.checked_mul(7)?,
        _ => return None,
    };
    // Ten years at most: an older one is a typo or no date at all. A date
    // more than a year back is asked about (`parse::date_is_unusual`).
    if days > 3_660 {
        return None;
    }
    let end = if ago {
        if !tokens.get(unit_at + 1)?.is("ago") {
            return None;
        }
        unit_at + 2
    } else {
        unit_at + 1
    };
    Some((end - index, today.checked_sub_days(Days::new(days))))
}

fn weekday(word: &str) -> Option<Weekday> {
    let day = match word {
        "lunes" | "monday" => Weekday::Mon,
        "martes" | "tuesday" => Weekday::Tue,
        "miercoles" | "wednesday" => Weekday::Wed,
        "jueves" | "thursday" => Weekday::Thu,
        "viernes" | "friday" => Weekday::Fri,
        "sabado" | "saturday" => Weekday::Sat,
        "domingo" | "sunday" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

/// `el lunes`, `el lunes pasado`, `este lunes`, `el próximo lunes`,
/// `last friday`, `this friday`, `next friday`, `on friday`.
fn weekday_phrase(tokens: &[Token<'_>], index: usize, today: NaiveDate) -> Found {
    #[derive(PartialEq)]
    enum Relation {
        Last,
        ThisWeek,
        Next,
    }
    let word = |offset: usize| tokens.get(index + offset).map_or("", |t| t.folded.as_str());
    let (lead, relation) = match (word(0), word(1)) {
        ("el" | "la", "proximo" | "proxima") => (2, Relation::Next),
        ("next" | "proximo" | "proxima", _) => (1, Relation::Next),
        ("este" | "esta" | "this", _) => (1, Relation::ThisWeek),
        ("el" | "on" | "last" | "past", _) => (1, Relation::Last),
        _ => (0, Relation::Last),
    };
    let day = weekday(word(lead))?;
    let mut length = lead + 1;
    let mut relation = relation;
    match (word(length), word(length + 1)) {
        ("pasado" | "pasada", _) => length += 1,
        ("que", "viene") => {
            length += 2;
            relation = Relation::Next;
        }
        _ => {}
    }

    let offset =
        i64::from(today.weekday().num_days_from_monday()) - i64::from(day.num_days_from_monday());
    let date = match relation {
        Relation::Last => {
            let back = if offset > 0 { offset } else { offset + 7 };
            today.checked_sub_days(Days::new(back.unsigned_abs()))
        }
        Relation::ThisWeek if offset >= 0 => {
            today.checked_sub_days(Days::new(offset.unsigned_abs()))
        }
        Relation::ThisWeek => today.checked_add_days(Days::new(offset.unsigned_abs())),
        Relation::Next => {
            let ahead = if offset < 0 { -offset } else { 7 - offset };
            today.checked_add_days(Days::new(ahead.unsigned_abs()))
        }
    };
    Some((length, date))
}

/// Reads a month name or its abbreviation, in Spanish or English, folded
/// (`marzo`, `mar.`, `march`), as its number.
pub(crate) fn month(word: &str) -> Option<u32> {
    let number = match word.trim_end_matches('.') {
        "enero" | "ene" | "january" | "jan" => 1,
        "febrero" | "feb" | "february" => 2,
        "marzo" | "mar" | "march" => 3,
        "abril" | "abr" | "april" | "apr" => 4,
        "mayo" | "may" => 5,
        "junio" | "jun" | "june" => 6,
        "julio" | "jul" | "july" => 7,
        "agosto" | "ago" | "august" | "aug" => 8,
        "septiembre" | "setiembre" | "sep" | "sept" | "september" => 9,
        "octubre" | "oct" | "october" => 10,
        "noviembre" | "nov" | "november" => 11,
        "diciembre" | "dic" | "december" | "dec" => 12,
        _ => return None,
    };
    Some(number)
}

/// A day number `1`–`31`, with an ordinal suffix glued on (`3rd`, `1º`).
/// Returns the day and the tokens it spans.
fn day_number(tokens: &[Token<'_>], index: usize) -> Option<(u32, usize)> {
    let token = tokens.get(index)?;
    if !token.is_plain_digits() || token.text.len() > 2 {
        return None;
    }
    let day: u32 = token.text.parse().ok()?;
    if !(1..=31).contains(&day) {
        return None;
    }
    let suffix = tokens.get(index + 1).filter(|next| {
        !next.space_before
            && matches!(
                next.folded.as_str(),
                "st" | "nd" | "rd" | "th" | "ro" | "do" | "er" | "º" | "°" | "o"
            )
    });
    Some((day, if suffix.is_some() { 2 } else { 1 }))
}

/// A four-digit year after a month: `de 2025`, `del 2025`, `, 2025`, `2025`.
fn year_after(tokens: &[Token<'_>], index: usize) -> Option<(i32, usize)> {
    let lead = match tokens.get(index).map(|t| t.folded.as_str()) {
        Some("de" | "del" | ",") => 1,
        _ => 0,
    };
    let token = tokens.get(index + lead)?;
    if !token.is_plain_digits() || token.text.len() != 4 {
        return None;
    }
    let year: i32 = token.text.parse().ok()?;
    (1900..=2100).contains(&year).then_some((year, lead + 1))
}

/// `el 3`, `el día 3`, `3 de marzo [de 2025]`, `marzo 3`, `march 3rd`,
/// `on the 3rd`, `3/11`, `03-11-2026`, `2026-03-11`.
fn day_phrase(tokens: &[Token<'_>], index: usize, today: NaiveDate, month_first: bool) -> Found {
    let word = |offset: usize| tokens.get(index + offset).map_or("", |t| t.folded.as_str());

    if let Some(token) = tokens.get(index) {
        if token.kind == Kind::Number && token.text.contains(['/', '-']) {
            return Some((1, Some(numeric_date(token.text, today, month_first)?)));
        }
    }

    // Month name first: `marzo 3`, `march 3rd, 2025`.
    let lead = usize::from(word(0) == "on");
    if let Some(month) = month(word(lead)) {
        let (day, day_length) = day_number(tokens, index + lead + 1)?;
        let after = index + lead + 1 + day_length;
        return with_year(tokens, after, lead + 1 + day_length, day, month, today);
    }

    let lead = match (word(0), word(1), word(2)) {
        ("el" | "on", "dia" | "the", _) => 2,
        ("dia", _, _) | ("el", _, _) => 1,
        _ => 0,
    };
    let (day, day_length) = day_number(tokens, index + lead)?;
    let mut after = index + lead + day_length;
    let mut length = lead + day_length;
    if tokens.get(after).is_some_and(|t| t.is("de") || t.is("of"))
        && month(word(length + 1)).is_some()
    {
        after += 1;
        length += 1;
    }
    if let Some(month) = month(word(length)) {
        return with_year(tokens, after + 1, length + 1, day, month, today);
    }

    // A bare day needs `el`, `día` or `the` before it, and nothing after it
    // that makes it an amount (`el 15 lucas`).
    if lead == 0 || tokens.get(after).is_some_and(is_amount_suffix) {
        return None;
    }
    Some((length, Some(latest_day_of_month(today, day)?)))
}

fn with_year(
    tokens: &[Token<'_>],
    after: usize,
    length: usize,
    day: u32,
    month: u32,
    today: NaiveDate,
) -> Found {
    match year_after(tokens, after) {
        Some((year, year_length)) => Some((
            length + year_length,
            Some(NaiveDate::from_ymd_opt(year, month, day)?),
        )),
        None => Some((length, Some(latest_day_and_month(today, day, month)?))),
    }
}

fn is_amount_suffix(token: &Token<'_>) -> bool {
    token.kind == Kind::Symbol
        || super::currency::multiplier(&token.folded).is_some()
        || super::currency::name_mark(&token.folded).is_some()
}

/// Reads `d/m`, `d/m/y`, `m/d/y` (English) and `y-m-d`. A two-digit year is
/// in the 2000s.
fn numeric_date(text: &str, today: NaiveDate, month_first: bool) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.split(['/', '-']).collect();
    if parts
        .iter()
        .any(|part| part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let number = |part: &str| part.parse::<u32>().ok();
    match parts.as_slice() {
        [first, second] if first.len() <= 2 && second.len() <= 2 => {
            let (day, month) = order(number(first)?, number(second)?, month_first);
            latest_day_and_month(today, day, month)
        }
        [year, month, day] if year.len() == 4 => {
            NaiveDate::from_ymd_opt(year.parse().ok()?, number(month)?, number(day)?)
        }
        [first, second, year] if first.len() <= 2 && second.len() <= 2 => {
            let (day, month) = order(number(first)?, number(second)?, month_first);
            let year: i32 = match year.len() {
                2 => 2000 + year.parse::<i32>().ok()?,
                4 => year.parse().ok()?,
                _ => return None,
            };
            NaiveDate::from_ymd_opt(year, month, day)
        }
        _ => None,
    }
}

fn order(first: u32, second: u32, month_first: bool) -> (u32, u32) {
    if month_first {
        (second, first)
    } else {
        (first, second)
    }
}

/// The most recent date on or before `today` whose day of the month is
/// `day`, within the last year.
fn latest_day_of_month(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    (0..12).find_map(|back| {
        let month = today.checked_sub_months(Months::new(back))?;
        let date = month.with_day(day)?;
        (date <= today).then_some(date)
    })
}

/// The most recent date on or before `today` with this day and month, within
/// the last leap-year cycle (so `29/2` finds the last leap year).
fn latest_day_and_month(today: NaiveDate, day: u32, month: u32) -> Option<NaiveDate> {
    (0..=4).find_map(|back| {
        let date = NaiveDate::from_ymd_opt(today.year() - back, month, day)?;
        (date <= today).then_some(date)
    })
}

#[cfg(test)]
mod tests {
    use super::super::token::tokenize;
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    /// The first date in `text`, read on `today` in `locale`.
    fn first_date(text: &str, today: &str, locale: &str) -> Option<NaiveDate> {
        let tokens = tokenize(text);
        find_dates(&tokens, date(today), locale)
            .first()
            .and_then(|found| found.date)
    }

    #[test]
    fn relative_words_count_back() {
        // 2024-03-01 is a Friday after a leap day.
        let cases = [
            ("hoy", "2024-03-01"),
            ("ayer", "2024-02-29"),
            ("anoche", "2024-02-29"),
            ("anteayer", "2024-02-28"),
            ("antier", "2024-02-28"),
            ("antes de ayer", "2024-02-28"),
            ("yesterday", "2024-02-29"),
            ("hace 3 días", "2024-02-27"),
            ("hace una semana", "2024-02-23"),
            ("2 days ago", "2024-02-28"),
            ("mañana", "2024-03-02"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                first_date(text, "2024-03-01", "es-CL"),
                Some(date(expected)),
                "{text}"
            );
        }
    }

    #[test]
    fn weekday_is_strictly_before_today() {
        // 2026-03-09 is a Monday.
        let cases = [
            ("el lunes", "2026-03-02"),
            ("lunes", "2026-03-02"),
            ("el lunes pasado", "2026-03-02"),
            ("este lunes", "2026-03-09"),
            ("el domingo", "2026-03-08"),
            ("el viernes", "2026-03-06"),
            ("last friday", "2026-03-06"),
            ("on monday", "2026-03-02"),
            ("this monday", "2026-03-09"),
            ("el próximo martes", "2026-03-10"),
            ("next monday", "2026-03-16"),
            ("este miércoles", "2026-03-11"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                first_date(text, "2026-03-09", "es-CL"),
                Some(date(expected)),
                "{text}"
            );
        }
    }

    #[test]
    fn day_of_month_goes_back_to_a_month_that_has_it() {
        let cases = [
            ("el 3", "2026-03-10", "2026-03-03"),
            ("el 10", "2026-03-10", "2026-03-10"),
            ("el 15", "2026-03-10", "2026-02-15"),
            ("el 30", "2026-03-05", "2026-01-30"),
            ("el 29", "2024-03-05", "2024-02-29"),
            ("el 29", "2025-03-05", "2025-01-29"),
            ("el 31", "2026-01-05", "2025-12-31"),
            ("el día 3", "2026-03-10", "2026-03-03"),
            ("on the 3rd", "2026-03-10", "2026-03-03"),
        ];
        for (text, today, expected) in cases {
            assert_eq!(
                first_date(text, today, "es-CL"),
                Some(date(expected)),
                "{text} on {today}"
            );
        }
    }

    #[test]
    fn numeric_dates_are_day_first_outside_english() {
        let cases = [
            ("3/11", "es-CL", "2025-11-03"),
            ("3/11", "en-US", "2026-03-11"),
            ("03-11-2026", "es-MX", "2026-11-03"),
            ("03-11-2026", "en-US", "2026-03-11"),
            ("2026-01-15", "en-US", "2026-01-15"),
            ("28/12", "es-AR", "2025-12-28"),
            ("5/3/26", "es-CO", "2026-03-05"),
            ("29/2", "es-CL", "2024-02-29"),
        ];
        for (text, locale, expected) in cases {
            assert_eq!(
                first_date(text, "2026-03-12", locale),
                Some(date(expected)),
                "{text}"
            );
        }
    }

    #[test]
    fn month_names_are_read() {
        let cases = [
            ("3 de marzo", "2026-03-03"),
            ("el 3 de marzo de 2025", "2025-03-03"),
            ("marzo 3", "2026-03-03"),
            ("march 3rd", "2026-03-03"),
            ("20 de diciembre", "2025-12-20"),
            ("dec 20, 2025", "2025-12-20"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                first_date(text, "2026-03-12", "es-CL"),
                Some(date(expected)),
                "{text}"
            );
        }
    }

    #[test]
    fn invalid_dates_are_not_dates() {
        for text in [
            "31/2/2026",
            "13/13",
            "el 15 lucas",
            "el 32",
            "30 de febrero de 2026",
            "555-1234",
        ] {
            assert_eq!(first_date(text, "2026-03-12", "es-CL"), None, "{text}");
        }
    }

    #[test]
    fn morning_is_not_tomorrow() {
        for text in ["en la mañana", "esta mañana", "por la mañana"] {
            let tokens = tokenize(text);
            let found = find_dates(&tokens, date("2026-03-12"), "es-CL");
            assert_eq!(found.len(), 1, "{text}");
            assert!(
                found[0]
                    .date
                    .is_none_or(|found| found == date("2026-03-12")),
                "{text}"
            );
            assert_eq!(found[0].end, tokens.len(), "{text}");
        }
    }
}
