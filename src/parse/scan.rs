//! Finding the amounts in a line. An amount is a number in digits or words,
//! with an optional currency before or after it and an optional multiplier
//! (`k`, `mil`, `lucas`). Phone numbers, years and quantities (`2 cafés
//! 3500`) are then set apart as text.

use crate::money::Money;

use super::amount::{read_number, to_money, Decimal};
use super::currency::{self, Mark, Multiplier};
use super::token::{Kind, Token};
use super::words::read_words;
use super::ParseContext;

mod passes;

/// An amount found in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Span {
    /// Token range of the amount with its currency and multiplier.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Possible amounts, most likely first; never empty.
    pub(super) candidates: Vec<Money>,
    /// Whether `candidates` is the only reading.
    pub(super) exact: bool,
    /// The value of a bare number of plain digits, with no currency or
    /// multiplier; only these can be years or quantities.
    pub(super) plain: Option<u64>,
}

/// The kind of text being read, which decides which numbers count as
/// amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A whole message: small numbers in words (`un café`) and years are
    /// not amounts.
    Message,
    /// An answer to "how much was it?": any number is the amount.
    Answer,
}

/// Words between two amounts that start a new expense.
pub(super) fn is_connector(token: &Token<'_>) -> bool {
    matches!(
        token.folded.as_str(),
        "y" | "e" | "and" | "+" | "," | ";" | "&" | "mas" | "plus" | "tambien" | "also"
    )
}

/// Finds the amounts in `tokens`, ignoring the tokens where `skip` is set
/// (dates, already read).
pub(super) fn find_amounts(
    tokens: &[Token<'_>],
    skip: &[bool],
    context: &ParseContext<'_>,
    mode: Mode,
) -> Vec<Span> {
    let phones = phone_mask(tokens, skip);
    let blocked = |index: usize| skip.get(index).copied().unwrap_or(true) || phones[index];

    let mut spans = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        if !blocked(index) {
            if let Some(span) = read_at(tokens, &blocked, index, context, mode) {
                index = span.end;
                spans.push(span);
                continue;
            }
        }
        index += 1;
    }
    if mode == Mode::Message {
        passes::drop_years(tokens, &mut spans, context);
    }
    passes::drop_counts(tokens, &mut spans);
    passes::drop_labelled_numbers(tokens, &mut spans);
    passes::merge_multiplications(tokens, &mut spans);
    passes::merge_adjacent(tokens, &mut spans, context);
    passes::drop_quantities(tokens, &mut spans, context);
    spans
}

fn read_at(
    tokens: &[Token<'_>],
    blocked: &dyn Fn(usize) -> bool,
    start: usize,
    context: &ParseContext<'_>,
    mode: Mode,
) -> Option<Span> {
    let usable = |index: usize| index < tokens.len() && !blocked(index);

    let mut prefix = None;
    let mut cursor = start;
    if let Some(mark) = prefix_mark(&tokens[start]) {
        if usable(start + 1) {
            prefix = Some(mark);
            cursor = start + 1;
        }
    }

    let (values, length, plain) = match spaced_thousands(tokens, cursor, &usable) {
        Some((value, groups)) => (vec![Decimal::whole(value)], groups, None),
        None => read_value(tokens, cursor, context, mode, prefix.is_some())?,
    };
    cursor += length;

    let mut multiplier = None;
    if usable(cursor) && tokens[cursor].kind == Kind::Word {
        multiplier = currency::multiplier(&tokens[cursor].folded);
    }
    let mut values = values;
    if let Some(found) = multiplier {
        cursor += 1;
        let trailing = trailing_hundreds(tokens, cursor, usable(cursor));
        values = apply_multiplier(&values, found, trailing, context.locale)?;
        cursor += trailing.map_or(0, |(_, length)| length);
    }

    let mut suffix = None;
    // A symbol or code right before another number belongs to that number
    // (`uber 5000 $3000`), but not before a date (`10 usd 3/11/2026`).
    let starts_next = tokens
        .get(cursor)
        .is_some_and(|token| prefix_mark(token).is_some())
        && usable(cursor + 1)
        && tokens[cursor + 1].kind == Kind::Number;
    if prefix.is_none() && usable(cursor) && !starts_next {
        if let Some(mark) = suffix_mark(&tokens[cursor]) {
            suffix = Some(mark);
            cursor += 1;
            if let Mark::Pesos = mark {
                let nationality = tokens
                    .get(cursor)
                    .and_then(|t| currency::peso_nationality(&t.folded));
                if let (Some(found), true) = (nationality, usable(cursor)) {
                    suffix = Some(Mark::Explicit(found));
                    cursor += 1;
                }
            }
        }
    }

    let currencies = match prefix.or(suffix) {
        Some(mark) => mark.resolve(context.home_currency),
        None => vec![context.home_currency],
    };
    let (candidates, exact) = to_money(&values, &currencies);
    if candidates.is_empty() {
        return None;
    }
    let marked = prefix.is_some() || suffix.is_some() || multiplier.is_some();
    Some(Span {
        start,
        end: cursor,
        candidates,
        exact,
        plain: if marked { None } else { plain },
    })
}

fn prefix_mark(token: &Token<'_>) -> Option<Mark> {
    match token.kind {
        Kind::Symbol => currency::symbol_mark(&token.folded),
        Kind::Word => currency::code_mark(&token.folded),
        _ => None,
    }
}

fn suffix_mark(token: &Token<'_>) -> Option<Mark> {
    match token.kind {
        Kind::Symbol => currency::symbol_mark(&token.folded),
        Kind::Word => currency::name_mark(&token.folded),
        _ => None,
    }
}

fn is_marker_word(token: &Token<'_>) -> bool {
    token.kind == Kind::Word
        && (currency::name_mark(&token.folded).is_some()
            || currency::multiplier(&token.folded).is_some())
}

/// Reads digits grouped by spaces where the grouping can only mean
/// thousands: three groups or more (`1 234 567`), or a group of zeros
/// (`5 000`). The first group has one to three digits and every other group
/// exactly three. Returns the value and the number of groups. Two groups
/// with a non-zero second one (`12 500`) are left to
/// [`passes::merge_adjacent`], which makes them a question because `2 500`
/// may be two things at 500.
fn spaced_thousands(
    tokens: &[Token<'_>],
    index: usize,
    usable: &dyn Fn(usize) -> bool,
) -> Option<(u64, usize)> {
    let first = tokens.get(index)?;
    if !first.is_plain_digits() || !(1..=3).contains(&first.text.len()) {
        return None;
    }

    let glued_before = index
        .checked_sub(1)
        .and_then(|i| tokens.get(i))
        .is_some_and(|previous| !first.space_before && previous.kind == Kind::Word);
    if glued_before {
        return None;
    }

    let mut end = index + 1;
    while usable(end)
        && tokens[end].space_before
        && tokens[end].is_plain_digits()
        && tokens[end].text.len() == 3
    {
        end += 1;
    }
    // A group glued to a word (`5 000km`) is not part of the amount.
    while end > index + 1
        && tokens.get(end).is_some_and(|next| {
            !next.space_before && next.kind == Kind::Word && !is_marker_word(next)
        })
    {
        end -= 1;
    }

    let groups = &tokens[index..end];
    let has_zero_group = groups[1..].iter().any(|group| group.text == "000");
    if groups.len() < 3 && !has_zero_group {
        return None;
    }
    let mut value: u64 = 0;
    for group in groups {
        value = value
            .checked_mul(1_000)?
            .checked_add(group.text.parse().ok()?)?;
    }
    (value > 0).then_some((value, groups.len()))
}

/// Reads the number at `index`, in digits or words. Returns its readings,
/// how many tokens it spans and, for plain digits, its value.
fn read_value(
    tokens: &[Token<'_>],
    index: usize,
    context: &ParseContext<'_>,
    mode: Mode,
    has_prefix: bool,
) -> Option<(Vec<Decimal>, usize, Option<u64>)> {
    let token = tokens.get(index)?;
    if token.kind == Kind::Number {
        // A number glued to a word is part of it (`covid19`, `2x`, `3ro`),
        // unless the word is a currency or multiplier (`usd20`, `1k`).
        let previous = index.checked_sub(1).and_then(|i| tokens.get(i));
        let glued_before = !token.space_before
            && previous.is_some_and(|p| (p.kind == Kind::Word && !is_marker_word(p)) || p.is("#"));
        let next = tokens.get(index + 1).filter(|next| !next.space_before);
        let glued_after = next.is_some_and(|n| {
            (n.kind == Kind::Word && !is_marker_word(n)) || matches!(n.text, "-" | "°" | "#" | "*")
        });
        if (glued_before && !has_prefix) || glued_after {
            return None;
        }
        let values = read_number(token.text, context.locale)?;
        let plain = token
            .is_plain_digits()
            .then(|| token.text.parse().ok())
            .flatten();
        return Some((values, 1, plain));
    }

    let number = read_words(tokens, index)?;
    let next_is_marker = tokens
        .get(index + number.length)
        .is_some_and(is_marker_word);
    // In a message, `un café` and `dos cafés` count things, and `medio`
    // needs a multiplier (`media luca`).
    let accepted = match mode {
        Mode::Answer => true,
        Mode::Message => {
            next_is_marker || (!number.is_article && !number.is_half && number.value.digits >= 100)
        }
    };
    if !accepted {
        return None;
    }
    Some((vec![number.value], number.length, None))
}

/// The part under a thousand after `mil`, in words or digits (`2 mil
/// quinientos`, `3 mil 500`), as transcripts of voice notes write it.
fn trailing_hundreds(tokens: &[Token<'_>], index: usize, usable: bool) -> Option<(u64, usize)> {
    if !usable || !tokens.get(index.checked_sub(1)?)?.is("mil") {
        return None;
    }
    let token = tokens.get(index)?;
    if token.is_plain_digits() && token.text.len() == 3 {
        let glued = tokens.get(index + 1).is_some_and(|next| !next.space_before);
        let value: u64 = token.text.parse().ok()?;
        return (!glued && value > 0).then_some((value, 1));
    }
    let number = read_words(tokens, index)?;
    if number.is_article || number.is_half || number.value.digits >= 1_000 {
        return None;
    }
    Some((number.value.digits, number.length))
}

/// Multiplies every reading by the multiplier, adding the trailing part of
/// `2 mil quinientos`. Slang outside the places that speak it also keeps the
/// unmultiplied reading, so the user is asked.
fn apply_multiplier(
    values: &[Decimal],
    multiplier: Multiplier,
    trailing: Option<(u64, usize)>,
    locale: &str,
) -> Option<Vec<Decimal>> {
    let mut readings = Vec::new();
    for value in values {
        let mut scaled = value.times(multiplier.factor)?;
        if let Some((extra, _)) = trailing {
            let extra = Decimal::whole(extra).times(10_u64.checked_pow(scaled.scale)?)?;
            scaled.digits = scaled.digits.checked_add(extra.digits)?;
        }
        readings.push(scaled);
    }
    if multiplier.slang && !currency::slang_is_local(locale) {
        readings.extend_from_slice(values);
    }
    Some(readings)
}

/// Marks tokens that form a phone number: seven digits or more that start
/// with `+`, contain `-` (`555-1234`) or come in three groups or more
/// (`9 8765 4321`). Tokens where `skip` is set (dates such as `2026-11-03`)
/// are never part of one.
fn phone_mask(tokens: &[Token<'_>], skip: &[bool]) -> Vec<bool> {
    let mut mask = vec![false; tokens.len()];
    let is_digits = |index: usize| {
        let token = &tokens[index];
        !skip.get(index).copied().unwrap_or(false)
            && token.kind == Kind::Number
            && token
                .text
                .trim_start_matches('+')
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-')
    };
    let mut index = 0;
    while index < tokens.len() {
        if !is_digits(index) {
            index += 1;
            continue;
        }
        let mut end = index + 1;
        while end < tokens.len() && is_digits(end) && tokens[end].space_before {
            end += 1;
        }
        let run = &tokens[index..end];
        let digits: usize = run
            .iter()
            .map(|t| t.text.bytes().filter(u8::is_ascii_digit).count())
            .sum();
        let has_plus = tokens[index].text.starts_with('+');
        let has_dash = run.iter().any(|t| t.text.contains('-'));
        // `1 234 567` groups thousands; phone numbers mostly group otherwise
        // (`9 8765 4321`, `55 1234 5678`, `300 123 4567`). Groups of three
        // with eight digits or more (`56 912 345 678`, `912 345 678`) are
        // a phone number too, unless a currency is written next to them.
        let thousands = (1..=3).contains(&run[0].text.len())
            && run[1..].iter().all(|group| group.text.len() == 3);
        let marked = index
            .checked_sub(1)
            .is_some_and(|before| prefix_mark(&tokens[before]).is_some())
            || tokens
                .get(end)
                .is_some_and(|after| suffix_mark(after).is_some());
        let amount = thousands && (digits <= 7 || marked);
        if digits >= 7 && (has_plus || has_dash || (run.len() >= 3 && !amount)) {
            mask[index..end].fill(true);
        }
        index = end;
    }
    mask
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::token::tokenize;
    use super::*;
    use crate::money::Currency;

    fn spans(text: &str, locale: &str, home_currency: Currency) -> Vec<(String, Vec<i64>, bool)> {
        let context = ParseContext {
            locale,
            home_currency,
            today: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap_or_default(),
        };
        let tokens = tokenize(text);
        let skip = vec![false; tokens.len()];
        find_amounts(&tokens, &skip, &context, Mode::Message)
            .into_iter()
            .map(|span| {
                let text: Vec<&str> = tokens[span.start..span.end]
                    .iter()
                    .map(|t| t.text)
                    .collect();
                let minor = span.candidates.iter().map(|money| money.minor).collect();
                (text.join(" "), minor, span.exact)
            })
            .collect()
    }

    fn one(text: &str, minor: &[i64], exact: bool) -> Vec<(String, Vec<i64>, bool)> {
        vec![(text.to_owned(), minor.to_vec(), exact)]
    }

    #[test]
    fn currency_and_multiplier_join_the_number() {
        let cases = [
            ("US$ 20 netflix", "US$ 20", 2_000),
            ("20 dólares", "20 dólares", 2_000),
            ("15 lucas super", "15 lucas", 15_000),
            ("1k propina", "1 k", 1_000),
            ("2 mil quinientos pan", "2 mil quinientos", 2_500),
            ("media luca", "media luca", 500),
        ];
        for (text, span, minor) in cases {
            assert_eq!(
                spans(text, "es-CL", Currency::Clp),
                one(span, &[minor], true),
                "{text}"
            );
        }
    }

    #[test]
    fn slang_outside_its_region_is_asked() {
        assert_eq!(
            spans("15 lucas", "es-MX", Currency::Mxn),
            one("15 lucas", &[1_500_000, 1_500], false)
        );
        assert_eq!(
            spans("15 lucas", "es-AR", Currency::Ars),
            one("15 lucas", &[1_500_000], true)
        );
    }

    #[test]
    fn phone_numbers_are_not_amounts() {
        for text in [
            "+56 9 8765 4321",
            "+56987654321",
            "9 8765 4321",
            "555-123-4567",
            "+1 415 555 0134",
        ] {
            assert_eq!(spans(text, "es-CL", Currency::Clp), [], "{text}");
        }
    }

    #[test]
    fn glued_numbers_are_not_amounts() {
        for text in ["covid19", "2x", "3ro", "#12", "d1"] {
            assert_eq!(spans(text, "es-CL", Currency::Clp), [], "{text}");
        }
    }

    #[test]
    fn year_beside_amount_is_text() {
        assert_eq!(
            spans("matrícula 2026 350.000", "es-CL", Currency::Clp),
            one("350.000", &[350_000], true)
        );
        assert_eq!(
            spans("cuota 2026", "es-CL", Currency::Clp),
            one("2026", &[2_026], false)
        );
        assert_eq!(
            spans("almuerzo 2000", "es-CL", Currency::Clp),
            one("2000", &[2_000], true)
        );
        assert_eq!(spans("año 2026", "es-CL", Currency::Clp), []);
    }

    #[test]
    fn quantity_before_amount_is_text() {
        assert_eq!(
            spans("2 cafés 3500", "es-CL", Currency::Clp),
            one("3500", &[3_500], true)
        );
        assert_eq!(
            spans("2 coffees $8", "en-US", Currency::Usd),
            one("$ 8", &[800], true)
        );
        // Without another amount the number is the amount.
        assert_eq!(
            spans("5 uber", "en-US", Currency::Usd),
            one("5", &[500], true)
        );
        // In dollars a small number after a description is a price.
        assert_eq!(spans("lunch 12 coffee 4", "en-US", Currency::Usd).len(), 2);
        // A preposition after the number makes it a price.
        assert_eq!(
            spans(
                "spent 20 on lunch and 5.50 on coffee",
                "en-US",
                Currency::Usd
            )
            .len(),
            2
        );
    }

    #[test]
    fn space_grouped_thousands_are_asked() {
        assert_eq!(
            spans("12 500", "es-CL", Currency::Clp),
            one("12 500", &[12_500, 500], false)
        );
    }

    #[test]
    fn small_number_words_are_not_amounts() {
        assert_eq!(spans("un café y dos panes", "es-CL", Currency::Clp), []);
        assert_eq!(
            spans("doce mil", "es-CL", Currency::Clp),
            one("doce mil", &[12_000], true)
        );
        assert_eq!(
            spans("cinco dólares", "es-CL", Currency::Clp),
            one("cinco dólares", &[500], true)
        );
    }

    #[test]
    fn symbol_before_next_number_starts_next_amount() {
        let found = spans("uber 5000 $3000", "es-CL", Currency::Clp);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1].0, "$ 3000");
    }
}
