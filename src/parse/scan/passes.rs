//! The passes over a line's amounts that set apart numbers that are no
//! price (years, quantities, instalment counts, labelled numbers) and join
//! numbers that form one (`12 500`, `2 x 8000`).

use crate::money::Money;

use super::super::amount::{to_money, Decimal};
use super::super::token::{Kind, Token};
use super::super::ParseContext;
use super::{is_connector, Span};

/// Drops plain four-digit numbers that read as years (`matrícula 2026
/// 350000`, `año 2025`); a lone number that could be this year is kept but
/// must be confirmed. A connector between the number and every other amount
/// makes it the price of its own expense (`almuerzo 1000 y taxi 2000`).
pub(super) fn drop_years(tokens: &[Token<'_>], spans: &mut Vec<Span>, context: &ParseContext<'_>) {
    use chrono::Datelike;
    let is_year = |span: &Span| {
        span.plain.is_some_and(|v| (1900..=2100).contains(&v)) && tokens[span.start].text.len() == 4
    };
    // Spans never overlap, so the tokens between two are those after the
    // first one's end and before the second one's start.
    let connected = |year: &Span, other: &Span| {
        let between = if year.start < other.start {
            year.end..other.start
        } else {
            other.end..year.start
        };
        !tokens[between].iter().any(is_connector)
    };
    let beside_other: Vec<bool> = spans
        .iter()
        .map(|span| {
            is_year(span)
                && spans
                    .iter()
                    .any(|other| !is_year(other) && connected(span, other))
        })
        .collect();
    let this_year = u64::try_from(context.today.year()).unwrap_or_default();
    let mut index = 0;
    spans.retain_mut(|span| {
        let has_other = beside_other[index];
        index += 1;
        if !is_year(span) {
            return true;
        }
        let previous = span
            .start
            .checked_sub(1)
            .map_or("", |i| tokens[i].folded.as_str());
        if has_other || matches!(previous, "ano" | "year" | "del" | "temporada" | "modelo") {
            return false;
        }
        if span.plain.is_some_and(|v| v.abs_diff(this_year) <= 1) {
            span.exact = false;
        }
        true
    });
}

/// Joins two bare numbers in a row. `12 500`, with a space for thousands,
/// becomes a question whose first candidate is 12,500. A small first number
/// is a quantity (`2 3500`). Any other pair becomes one question with both
/// numbers.
pub(super) fn merge_adjacent(
    tokens: &[Token<'_>],
    spans: &mut Vec<Span>,
    context: &ParseContext<'_>,
) {
    let mut index = 0;
    while index + 1 < spans.len() {
        let (first, second) = (&spans[index], &spans[index + 1]);
        let (Some(a), Some(b)) = (first.plain, second.plain) else {
            index += 1;
            continue;
        };
        if first.end != second.start {
            index += 1;
            continue;
        }
        let mut merged = second.clone();
        merged.start = first.start;
        merged.exact = false;
        merged.plain = None;
        if (1..1_000).contains(&a) && tokens[second.start].text.len() == 3 {
            let joined = Decimal::whole(a * 1_000 + b);
            let (candidates, _) = to_money(&[joined], &[context.home_currency]);
            merged.candidates = candidates;
            merged.candidates.extend(second.candidates.iter().copied());
        } else if a < 100 {
            // The first number is a quantity and stays in the description.
            spans.remove(index);
            continue;
        } else {
            merged.candidates = first.candidates.clone();
            merged.candidates.extend(second.candidates.iter().copied());
        }
        spans[index] = merged;
        spans.remove(index + 1);
        index += 1;
    }
}

/// Drops small bare numbers followed by a word that is not filler (`2 cafés
/// 3500`, but not `20 on lunch`) when the line has another amount: they
/// count things. In a currency without
/// decimals any such number is a quantity, because nothing costs 2 pesos.
/// In other currencies only one at the start of a part is (`2 coffees $8`,
/// but not `lunch 12 coffee 4`).
pub(super) fn drop_quantities(
    tokens: &[Token<'_>],
    spans: &mut Vec<Span>,
    context: &ParseContext<'_>,
) {
    let no_decimals = context.home_currency.exponent() == 0;
    let eligible = |_: usize, span: &Span| {
        let next_is_word = tokens.get(span.end).is_some_and(|next| {
            next.kind == Kind::Word && !is_connector(next) && !super::super::text::is_filler(next)
        });
        let previous = span.start.checked_sub(1).map(|i| &tokens[i]);
        let at_part_start = previous.is_none_or(|p| {
            is_connector(p) || super::super::text::is_filler(p) || p.kind == Kind::Punct
        });
        is_small(span) && next_is_word && (no_decimals || at_part_start)
    };
    drop_unless_all(spans, eligible);
}

/// Words that name the number after them rather than price it (`mes 11`,
/// `cuota 3`, `depto 42`, `#5`).
const NUMBER_LABELS: &[&str] = &[
    "mes",
    "month",
    "cuota",
    "cuotas",
    "nro",
    "numero",
    "number",
    "#",
    "piso",
    "depto",
    "dpto",
    "departamento",
    "apto",
    "apartment",
    "lote",
    "mesa",
    "table",
    "room",
    "habitacion",
    "linea",
    "line",
    "boleta",
    "factura",
    "invoice",
    "pedido",
    "order",
];

/// Drops small bare numbers that follow a label (`expensas 85.000 del mes
/// 11`, `cena mesa 12 45000`) when the line has another amount: they stay
/// in the description.
pub(super) fn drop_labelled_numbers(tokens: &[Token<'_>], spans: &mut Vec<Span>) {
    let labelled = |_: usize, span: &Span| {
        let label = span.start.checked_sub(1).map(|at| &tokens[at]);
        is_small(span) && label.is_some_and(|label| NUMBER_LABELS.contains(&label.folded.as_str()))
    };
    drop_unless_all(spans, labelled);
}

/// Joins a quantity and a price written with `x` (`pizza 2 x 8000`,
/// `colectivo 1.200 x 2`) into one question: the total first, then the
/// price of one. A quantity is a bare number under 100.
pub(super) fn merge_multiplications(tokens: &[Token<'_>], spans: &mut Vec<Span>) {
    let is_quantity = |span: &Span| span.plain.is_some_and(|value| (1..100).contains(&value));
    let mut index = 0;
    while index + 1 < spans.len() {
        let (first, second) = (&spans[index], &spans[index + 1]);
        let between = &tokens[first.end..second.start];
        let times = matches!(between, [sign] if matches!(sign.folded.as_str(), "x" | "×" | "*"));
        let quantity_and_price = match (times, is_quantity(first), is_quantity(second)) {
            (true, true, false) => first.plain.map(|count| (count, second)),
            (true, false, true) => second.plain.map(|count| (count, first)),
            _ => None,
        };
        let Some((count, price)) = quantity_and_price else {
            index += 1;
            continue;
        };
        let Ok(count) = i64::try_from(count) else {
            index += 1;
            continue;
        };
        let mut candidates: Vec<Money> = price
            .candidates
            .iter()
            .filter_map(|one| Some(Money::new(one.minor.checked_mul(count)?, one.currency)))
            .collect();
        candidates.extend(price.candidates.iter().copied());
        let merged = Span {
            start: first.start,
            end: second.end,
            candidates,
            exact: false,
            plain: None,
        };
        spans[index] = merged;
        spans.remove(index + 1);
        index += 1;
    }
}

/// Drops pairs of small bare numbers that count rather than price: an
/// instalment's number and count joined by `de` or `of` (`cuota 3 de 12
/// 45000`, `payment 3 of 6 $120`) and a promotion joined by `x` (`2 x 1 en
/// cine 7000`), when the line has another amount. They stay in the
/// description.
pub(super) fn drop_counts(tokens: &[Token<'_>], spans: &mut Vec<Span>) {
    let mut in_count = vec![false; spans.len()];
    for (index, pair) in spans.windows(2).enumerate() {
        let between = &tokens[pair[0].end..pair[1].start];
        let joined = matches!(
            between,
            [word] if matches!(word.folded.as_str(), "de" | "of" | "x" | "×")
        );
        if is_small(&pair[0]) && is_small(&pair[1]) && joined {
            in_count[index] = true;
            in_count[index + 1] = true;
        }
    }
    drop_unless_all(spans, |index, _| in_count[index]);
}

/// Returns whether a span is a bare number under 100, small enough to count
/// things rather than price them.
fn is_small(span: &Span) -> bool {
    span.plain.is_some_and(|value| value < 100)
}

/// Removes the spans for which `drop(index, span)` returns true, unless it
/// returns true for every span: a line whose every number counts things
/// keeps them all as amounts.
fn drop_unless_all(spans: &mut Vec<Span>, drop: impl Fn(usize, &Span) -> bool) {
    let keep: Vec<bool> = spans
        .iter()
        .enumerate()
        .map(|(index, span)| !drop(index, span))
        .collect();
    if !keep.contains(&true) {
        return;
    }
    let mut index = 0;
    spans.retain(|_| {
        index += 1;
        keep[index - 1]
    });
}
