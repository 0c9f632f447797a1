//! Reading a recurring expense out of chat text, in Spanish or English.
//!
//! A text is a rule when it names a repetition: `todos los meses`, `cada
//! mes`, `mensual`, `al mes`, `monthly`, `every month`, or weekly ones
//! (`cada semana`, `semanal`, `todos los lunes`, `every friday`). A monthly
//! rule may name its day (`el 5`, `el día 5`, `el 5 de cada mes`, `el
//! primero`, `el último día`, `on the 5th`); a weekly one its weekday (`los
//! lunes`). Without one, the rule repeats on today's day or weekday. Those
//! words are removed and the rest goes through the expense parser, so
//! `450.000`, `9.99 usd` and `15 lucas` read as they do in any expense.

use chrono::{Datelike, Weekday};

use super::{Frequency, NewRule};
use crate::classify;
use crate::parse::{self, Item, ParseContext};

/// The reason a text that names a repetition is not a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhraseProblem {
    /// No amount, or nothing but the repetition.
    MissingAmount,
    /// An amount but no words for what it pays for.
    MissingDescription,
    /// The amount has several readings (`12,500` where the locale cannot
    /// decide).
    AmountAmbiguous,
    /// The text lists several expenses.
    SeveralExpenses,
}

/// Repetition phrases, folded: `(words, weekly)`. Longer phrases come
/// before the shorter ones they contain.
const REPETITIONS: &[(&str, bool)] = &[
    ("todos los meses", false),
    ("todo los meses", false),
    ("cada mes", false),
    ("mensualmente", false),
    ("mensual", false),
    ("al mes", false),
    ("por mes", false),
    ("every month", false),
    ("each month", false),
    ("per month", false),
    ("a month", false),
    ("monthly", false),
    ("todas las semanas", true),
    ("cada semana", true),
    ("semanalmente", true),
    ("semanal", true),
    ("a la semana", true),
    ("por semana", true),
    ("every week", true),
    ("each week", true),
    ("per week", true),
    ("a week", true),
    ("weekly", true),
];

/// Words before a weekday that make it weekly: `todos los lunes`, `cada
/// lunes`, `every monday`.
const WEEKDAY_REPETITIONS: &[&str] = &["todos los", "cada", "every", "each"];

/// Words before a day of the month (`el 5`, `on the 5th`) or a weekday
/// (`los lunes`, `on mondays`).
const DAY_LEADS: &[&str] = &[
    "el dia", "los dias", "on the", "on day", "el", "los", "dia", "on", "the",
];

/// One word of the text: as typed, and folded without punctuation.
struct Word<'a> {
    typed: &'a str,
    folded: String,
}

/// Reads `text` as a rule starting on `context.today`. `None` when it names
/// no repetition, so it is no rule at all.
pub fn read(text: &str, context: &ParseContext<'_>) -> Option<Result<NewRule, PhraseProblem>> {
    let words: Vec<Word<'_>> = text
        .split_whitespace()
        .map(|typed| Word {
            typed,
            folded: classify::fold(typed)
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_owned(),
        })
        .collect();
    let mut used = vec![false; words.len()];

    let (weekly, weekday) = find_repetition(&words, &mut used)?;
    let frequency = if weekly {
        let weekday = weekday
            .or_else(|| find_weekday(&words, &mut used))
            .unwrap_or(context.today.weekday());
        Frequency::Weekly { weekday }
    } else {
        let day = find_day(&words, &mut used).unwrap_or(context.today.day());
        Frequency::Monthly { day }
    };

    let rest: Vec<&str> = words
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(word, _)| word.typed)
        .collect();
    Some(expense_of(&rest.join(" "), context).map(|draft| NewRule {
        description: draft.description,
        merchant: draft.merchant,
        amount: draft.amount,
        frequency,
        active_from: context.today,
    }))
}

/// Finds the first repetition phrase and marks its words used. Returns
/// whether it is weekly, and the weekday it names (`todos los lunes`).
fn find_repetition(words: &[Word<'_>], used: &mut [bool]) -> Option<(bool, Option<Weekday>)> {
    for start in 0..words.len() {
        for (phrase, weekly) in REPETITIONS {
            if let Some(end) = matches_at(words, start, phrase) {
                used[start..end].fill(true);
                // `el 5 de cada mes`: the `de` belongs to the day.
                if start > 0 && words[start - 1].folded == "de" {
                    used[start - 1] = true;
                }
                return Some((*weekly, None));
            }
        }
        for lead in WEEKDAY_REPETITIONS {
            let Some(end) = matches_at(words, start, lead) else {
                continue;
            };
            if let Some(weekday) = words.get(end).and_then(|word| weekday_of(&word.folded)) {
                used[start..=end].fill(true);
                return Some((true, Some(weekday)));
            }
        }
    }
    None
}

/// Finds `el 5`, `el día 31`, `on the 5th`, `el primero` or `el último
/// día` among the unused words and marks them used.
fn find_day(words: &[Word<'_>], used: &mut [bool]) -> Option<u32> {
    for start in 0..words.len() {
        for lead in DAY_LEADS {
            let Some(end) = matches_at(words, start, lead) else {
                continue;
            };
            if used[start..end].iter().any(|u| *u) {
                continue;
            }
            let Some(word) = words.get(end).filter(|_| !used[end]) else {
                continue;
            };
            let Some(day) = day_number(&word.folded) else {
                continue;
            };
            used[start..=end].fill(true);
            // `el último día`, `the last day`, `el 5 de cada mes`.
            let next = words.get(end + 1).map(|word| word.folded.as_str());
            if matches!(next, Some("dia" | "day" | "de" | "of")) && !used[end + 1] {
                used[end + 1] = true;
            }
            return Some(day);
        }
    }
    None
}

/// Finds `los lunes`, `el viernes` or `on mondays` among the unused words.
fn find_weekday(words: &[Word<'_>], used: &mut [bool]) -> Option<Weekday> {
    for start in 0..words.len() {
        for lead in DAY_LEADS {
            let Some(end) = matches_at(words, start, lead) else {
                continue;
            };
            if used[start..end].iter().any(|u| *u) {
                continue;
            }
            let weekday = words
                .get(end)
                .filter(|_| !used[end])
                .and_then(|word| weekday_of(&word.folded));
            if let Some(weekday) = weekday {
                used[start..=end].fill(true);
                return Some(weekday);
            }
        }
    }
    None
}

/// Returns the index after `phrase` when its words start at `start`.
fn matches_at(words: &[Word<'_>], start: usize, phrase: &str) -> Option<usize> {
    let mut index = start;
    for part in phrase.split(' ') {
        if words.get(index)?.folded != part {
            return None;
        }
        index += 1;
    }
    Some(index)
}

/// Reads a day of the month: `5`, `5th`, `1ro`, `1°`, `primero`, `first`; the last
/// day is 31, which every month clamps to its own last day.
fn day_number(word: &str) -> Option<u32> {
    match word {
        "primero" | "first" => return Some(1),
        "ultimo" | "last" => return Some(31),
        _ => {}
    }
    let digits = word.trim_end_matches(|c: char| !c.is_ascii_digit());
    let suffix = &word[digits.len()..];
    if !matches!(
        suffix,
        "" | "st" | "nd" | "rd" | "th" | "ro" | "do" | "to" | "°" | "º"
    ) {
        return None;
    }
    let day: u32 = digits.parse().ok()?;
    (1..=31).contains(&day).then_some(day)
}

/// Reads a weekday name, Spanish or English, singular or plural.
fn weekday_of(word: &str) -> Option<Weekday> {
    let weekday = match word {
        "lunes" | "monday" | "mondays" => Weekday::Mon,
        "martes" | "tuesday" | "tuesdays" => Weekday::Tue,
        "miercoles" | "wednesday" | "wednesdays" => Weekday::Wed,
        "jueves" | "thursday" | "thursdays" => Weekday::Thu,
        "viernes" | "friday" | "fridays" => Weekday::Fri,
        "sabado" | "sabados" | "saturday" | "saturdays" => Weekday::Sat,
        "domingo" | "domingos" | "sunday" | "sundays" => Weekday::Sun,
        _ => return None,
    };
    Some(weekday)
}

/// Parses the one expense the rest of the text describes.
fn expense_of(rest: &str, context: &ParseContext<'_>) -> Result<parse::Draft, PhraseProblem> {
    let mut items = parse::parse_message(rest, context);
    if items.len() > 1 {
        return Err(PhraseProblem::SeveralExpenses);
    }
    match items.pop() {
        Some(Item::Expense(draft)) | Some(Item::UnusualDate { draft }) => {
            if draft.description.trim().is_empty() {
                return Err(PhraseProblem::MissingDescription);
            }
            Ok(draft)
        }
        Some(Item::AmbiguousAmount { .. }) => Err(PhraseProblem::AmountAmbiguous),
        Some(Item::MissingAmount { .. }) | None => Err(PhraseProblem::MissingAmount),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Weekday};

    use super::*;
    use crate::money::{Currency, Money};

    fn context(locale: &str) -> ParseContext<'_> {
        ParseContext {
            locale,
            home_currency: Currency::Clp,
            // A Friday.
            today: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default(),
        }
    }

    fn read_es(text: &str) -> Option<Result<NewRule, PhraseProblem>> {
        read(text, &context("es-CL"))
    }

    #[test]
    fn phrases_become_rules() {
        let monthly = |day| Frequency::Monthly { day };
        let weekly = |weekday| Frequency::Weekly { weekday };
        let clp = |minor| Money::new(minor, Currency::Clp);
        let cases = [
            (
                "arriendo 450.000 todos los meses el 5",
                "arriendo",
                clp(450_000),
                monthly(5),
            ),
            (
                "netflix 9.99 usd mensual",
                "netflix",
                Money::new(999, Currency::Usd),
                monthly(4),
            ),
            ("Spotify 5990 cada mes", "spotify", clp(5_990), monthly(4)),
            (
                "gastos comunes 80000 el 10 de cada mes",
                "gastos comunes",
                clp(80_000),
                monthly(10),
            ),
            (
                "internet 25.990 mensual el día 15",
                "internet",
                clp(25_990),
                monthly(15),
            ),
            (
                "seguro 30000 todos los meses el primero",
                "seguro",
                clp(30_000),
                monthly(1),
            ),
            (
                "ahorro 100000 el último día de cada mes",
                "ahorro",
                clp(100_000),
                monthly(31),
            ),
            ("jardín 20 lucas al mes", "jardín", clp(20_000), monthly(4)),
            (
                "gym 35000 todos los lunes",
                "gym",
                clp(35_000),
                weekly(Weekday::Mon),
            ),
            (
                "feria 15000 semanal los sábados",
                "feria",
                clp(15_000),
                weekly(Weekday::Sat),
            ),
            (
                "lavandería 8000 cada semana",
                "lavandería",
                clp(8_000),
                weekly(Weekday::Fri),
            ),
            (
                "rent 1200 usd monthly on the 1st",
                "rent",
                Money::new(120_000, Currency::Usd),
                monthly(1),
            ),
            (
                "gym 40 usd every month on day 20",
                "gym",
                Money::new(4_000, Currency::Usd),
                monthly(20),
            ),
            (
                "cleaning 30 usd every friday",
                "cleaning",
                Money::new(3_000, Currency::Usd),
                weekly(Weekday::Fri),
            ),
        ];
        for (text, description, amount, frequency) in cases {
            let rule = read_es(text)
                .unwrap_or_else(|| panic!("`{text}` names no repetition"))
                .unwrap_or_else(|problem| panic!("`{text}`: {problem:?}"));
            assert_eq!(rule.description, description, "{text}");
            assert_eq!(rule.amount, amount, "{text}");
            assert_eq!(rule.frequency, frequency, "{text}");
            assert_eq!(rule.active_from, context("es-CL").today, "{text}");
        }
    }

    #[test]
    fn english_locale_reads_its_amounts() {
        let rule = read("rent 1,200.50 usd monthly on the 3rd", &context("en-US"))
            .and_then(Result::ok)
            .expect("rule");
        assert_eq!(rule.amount, Money::new(120_050, Currency::Usd));
        assert_eq!(rule.frequency, Frequency::Monthly { day: 3 });
    }

    #[test]
    fn texts_without_repetition_are_no_rule() {
        for text in [
            "arriendo 450.000",
            "almuerzo 12.500 el 5",
            "uber 8.40 usd ayer",
            "mensaje del mes",
            "resumen",
        ] {
            assert_eq!(read_es(text), None, "{text}");
        }
    }

    #[test]
    fn phrases_without_a_clear_amount_are_problems() {
        let cases = [
            ("todos los meses", PhraseProblem::MissingAmount),
            ("arriendo mensual", PhraseProblem::MissingAmount),
            ("450000 mensual", PhraseProblem::MissingDescription),
            ("arriendo 12,500 mensual", PhraseProblem::AmountAmbiguous),
            (
                "arriendo 450000 y luz 30000 mensual",
                PhraseProblem::SeveralExpenses,
            ),
        ];
        for (text, problem) in cases {
            assert_eq!(read_es(text), Some(Err(problem)), "{text}");
        }
    }

    #[test]
    fn days_beyond_31_stay_in_the_text() {
        assert_eq!(day_number("32"), None);
        assert_eq!(day_number("0"), None);
        assert_eq!(day_number("5th"), Some(5));
        assert_eq!(day_number("1°"), Some(1));
        assert_eq!(day_number("5x"), None);
        // `el 450.000` is an amount, not a day.
        let rule = read_es("arriendo el 450.000 mensual el 5")
            .and_then(Result::ok)
            .expect("rule");
        assert_eq!(rule.amount, Money::new(450_000, Currency::Clp));
        assert_eq!(rule.frequency, Frequency::Monthly { day: 5 });
    }
}
