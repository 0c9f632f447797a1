//! Reading expenses out of what people type: amounts, currencies, dates and
//! descriptions.
//!
//! Pure functions of the text and a [`ParseContext`] (locale, home currency,
//! today's date in the customer's time zone). Deciding what to do with an
//! ambiguous reading is left to `flow`; this module only reports it.
//!
//! A message is read line by line. In each line the dates are found first
//! (`date`), then the amounts (`scan`, which uses `amount`, `currency` and
//! `words`). A line with several amounts is split between them. What is
//! left of each part becomes its description (`text`) and merchant
//! (`merchant`).

mod amount;
mod currency;
mod date;
mod merchant;
mod scan;
mod text;
mod token;
mod words;

use chrono::NaiveDate;

use crate::money::{Currency, Money};

pub(crate) use date::month as month_number;
pub use text::remove_invisible;

use scan::{Mode, Span};
use token::{tokenize, Kind, Token};

/// What the parser needs to know about the customer.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// BCP 47 locale such as `es-CL`; decides what `12.500` means.
    pub locale: &'a str,
    /// The currency that `$` and a bare number mean.
    pub home_currency: Currency,
    /// Today in the customer's time zone.
    pub today: NaiveDate,
}

/// One expense read from a message, before it is classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub amount: Money,
    pub spent_on: NaiveDate,
    /// The words around the amount, cleaned of filler such as `gasté` or `en`.
    pub description: String,
    /// A known merchant named in the text, lowercase (`uber`, `jumbo`).
    pub merchant: Option<String>,
}

/// One expense-like part of a message and how sure the parser is about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Amount, currency, date and description are all clear.
    Expense(Draft),
    /// A purchase is described but no amount is given.
    MissingAmount {
        description: String,
        merchant: Option<String>,
        spent_on: NaiveDate,
    },
    /// The amount has more than one reading (`12,500` where the locale cannot
    /// decide, `3,5` in a currency without decimals). `draft.amount` is the
    /// first candidate; the user picks one of `candidates`. `draft.spent_on`
    /// may be in the future: the amount is asked about first.
    AmbiguousAmount {
        draft: Draft,
        candidates: Vec<Money>,
    },
    /// The text names a date after today or more than a year back (see
    /// [`date_is_unusual`]); the amount is exact.
    UnusualDate { draft: Draft },
}

impl Item {
    /// Wraps an exact draft as an item: an expense, or a date to ask about.
    pub fn dated(draft: Draft, today: NaiveDate) -> Item {
        if date_is_unusual(draft.spent_on, today) {
            Item::UnusualDate { draft }
        } else {
            Item::Expense(draft)
        }
    }
}

/// How many days back a date may be before it is asked about. Older dates
/// are mostly typos (`1/1/1900`, a wrong year), and a ledger kept since then
/// is rare.
pub const MAX_DAYS_BACK: u64 = 366;

/// Returns whether `spent_on` is after `today` or more than
/// [`MAX_DAYS_BACK`] days before it: such a date is asked about before the
/// expense is stored.
pub fn date_is_unusual(spent_on: NaiveDate, today: NaiveDate) -> bool {
    let oldest = today.checked_sub_days(chrono::Days::new(MAX_DAYS_BACK));
    spent_on > today || oldest.is_some_and(|oldest| spent_on < oldest)
}

/// Small talk that is not an expense and deserves a friendly answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    /// Thanks and acknowledgements (`gracias`, `ok`, `👍`).
    Thanks,
    Question,
}

/// A reading of a number typed as an answer to "how much was it?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountReading {
    Exact(Money),
    /// Several readings, most likely first.
    Ambiguous(Vec<Money>),
    None,
}

/// Reads every expense in `text`, in order. An empty result means the text is
/// not an expense at all (small talk, an empty message).
pub fn parse_message(text: &str, context: &ParseContext<'_>) -> Vec<Item> {
    if small_talk(text).is_some() {
        return Vec::new();
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let several_lines = lines.len() > 1;

    let mut items = Vec::new();
    // A line that only names a date (`ayer:`) dates the lines after it.
    let mut header_date = None;
    for line in lines {
        if several_lines && small_talk(line).is_some() {
            continue;
        }
        let parsed = parse_line(line, context);
        if several_lines && parsed.is_header() {
            header_date = parsed.line_date.or(header_date);
            continue;
        }
        for part in parsed.parts {
            let spent_on = part
                .date
                .or(parsed.line_date)
                .or(header_date)
                .unwrap_or(context.today);
            items.push(part.into_item(spent_on, context.today));
        }
    }
    items
}

/// Reads an answer to "how much was it?": `12500`, `$12.500`, `12 lucas`,
/// `8.40 usd`, `doce mil`.
pub fn parse_amount(text: &str, context: &ParseContext<'_>) -> AmountReading {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let tokens = tokenize(&line);
    let skip = vec![false; tokens.len()];
    let spans = scan::find_amounts(&tokens, &skip, context, Mode::Answer);
    match spans.as_slice() {
        [] => AmountReading::None,
        [span] if span.exact => span
            .candidates
            .first()
            .map_or(AmountReading::None, |&amount| AmountReading::Exact(amount)),
        _ => {
            let mut candidates: Vec<Money> = Vec::new();
            for amount in spans.iter().flat_map(|span| span.candidates.iter()) {
                if !candidates.contains(amount) {
                    candidates.push(*amount);
                }
            }
            AmountReading::Ambiguous(candidates)
        }
    }
}

/// Reads a text that names a date and nothing else (`ayer`, `el lunes`,
/// `3/11`), with filler words and punctuation allowed around it. Returns
/// `None` when the text names no date, several dates, or other words.
pub fn parse_date(text: &str, context: &ParseContext<'_>) -> Option<NaiveDate> {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let tokens = tokenize(&line);
    let dates = date::find_dates(&tokens, context.today, context.locale);
    let [only] = dates.as_slice() else {
        return None;
    };
    let mut outside = tokens
        .iter()
        .enumerate()
        .filter(|(index, _)| *index < only.start || *index >= only.end);
    let only_filler = outside.all(|(_, token)| {
        !matches!(token.kind, Kind::Word | Kind::Number) || text::is_filler(token)
    });
    only.date.filter(|_| only_filler)
}

/// Returns whether `text` has an amount written right after a minus sign
/// (`-5000`, `−8.40 usd`, `-$5.000`): a refund or a correction, which is not
/// an expense. The sign must start a word, so a range (`10-20`) or a hyphen
/// inside a word (`uber-5000`) is not one.
pub fn has_negative_amount(text: &str, context: &ParseContext<'_>) -> bool {
    text.lines().any(|line| {
        let tokens = tokenize(line);
        let mut skip = vec![false; tokens.len()];
        for found in date::find_dates(&tokens, context.today, context.locale) {
            skip[found.start..found.end].fill(true);
        }
        scan::find_amounts(&tokens, &skip, context, Mode::Message)
            .iter()
            .any(|span| {
                let Some(sign) = span.start.checked_sub(1).and_then(|at| tokens.get(at)) else {
                    return false;
                };
                let glued = tokens
                    .get(span.start)
                    .is_some_and(|amount| !amount.space_before);
                matches!(sign.text, "-" | "\u{2212}") && sign.space_before && glued
            })
    })
}

/// Recognises greetings, thanks and questions that are not expenses. Any
/// amount in the text makes it an expense (`hola, uber 5000`).
pub fn small_talk(text: &str) -> Option<SmallTalk> {
    if let Some(kind) = text::fixed_phrase(text) {
        return Some(kind);
    }
    let kind = text::small_talk_words(text)?;
    // The locale and home currency only change how an amount reads, not
    // whether there is one.
    let probe = ParseContext {
        locale: "es",
        home_currency: Currency::Usd,
        today: NaiveDate::default(),
    };
    let has_amount = text
        .lines()
        .any(|line| !parse_line(line, &probe).spans_empty());
    (!has_amount).then_some(kind)
}

/// One line, read.
struct ParsedLine {
    parts: Vec<Part>,
    /// The first date the line names.
    line_date: Option<NaiveDate>,
    /// Whether the line ends with `:` (`gastos de ayer:`).
    ends_with_colon: bool,
}

impl ParsedLine {
    fn spans_empty(&self) -> bool {
        self.parts.iter().all(|part| part.amount.is_none())
    }

    /// Returns whether the line introduces the next lines: it has no amount
    /// and is a date alone (`ayer`) or text ending with `:`.
    fn is_header(&self) -> bool {
        let only_date = self.parts.iter().all(|part| part.description.is_empty());
        self.spans_empty() && (only_date || self.ends_with_colon)
    }
}

/// One expense of a line before its date is settled.
struct Part {
    description: String,
    merchant: Option<String>,
    amount: Option<Span>,
    date: Option<NaiveDate>,
}

impl Part {
    fn into_item(self, spent_on: NaiveDate, today: NaiveDate) -> Item {
        let Some(span) = self.amount else {
            return Item::MissingAmount {
                description: self.description,
                merchant: self.merchant,
                spent_on,
            };
        };
        let Some(&amount) = span.candidates.first() else {
            return Item::MissingAmount {
                description: self.description,
                merchant: self.merchant,
                spent_on,
            };
        };
        let draft = Draft {
            amount,
            spent_on,
            description: self.description,
            merchant: self.merchant,
        };
        if !span.exact {
            Item::AmbiguousAmount {
                draft,
                candidates: span.candidates,
            }
        } else {
            Item::dated(draft, today)
        }
    }
}

fn parse_line(line: &str, context: &ParseContext<'_>) -> ParsedLine {
    let tokens = tokenize(line);
    let dates = date::find_dates(&tokens, context.today, context.locale);
    let mut skip = vec![false; tokens.len()];
    for found in &dates {
        skip[found.start..found.end].fill(true);
    }
    let spans = scan::find_amounts(&tokens, &skip, context, Mode::Message);

    let mut in_amount = vec![false; tokens.len()];
    for span in &spans {
        in_amount[span.start..span.end].fill(true);
    }
    let keep = |index: usize| !skip[index] && !in_amount[index];

    let ranges = split_parts(&tokens, &skip, &spans);
    let mut spans = spans.into_iter();
    let parts = ranges
        .into_iter()
        .map(|(range, has_amount)| {
            let description = text::describe(&tokens, range.clone(), keep);
            let merchant = merchant::find_merchant(&description);
            let date = dates
                .iter()
                .filter(|found| range.contains(&found.start))
                .find_map(|found| found.date);
            Part {
                description,
                merchant,
                amount: if has_amount { spans.next() } else { None },
                date,
            }
        })
        .collect();

    ParsedLine {
        parts,
        line_date: dates.iter().find_map(|found| found.date),
        ends_with_colon: line.trim_end().ends_with(':'),
    }
}

/// Splits a line into one token range per expense, each with whether it
/// contains the next amount. Between two amounts the split is at the first
/// connector (`y`, `,`, `and`, `+`); without one it follows the line's
/// order: right after an amount when descriptions come first (`uber 5000
/// almuerzo 8000`), right before one when amounts come first (`5000 uber
/// 8000 almuerzo`). After the last amount, a connector followed by words
/// starts an expense without amount (`uber 5000 y almuerzo`).
fn split_parts(
    tokens: &[Token<'_>],
    skip: &[bool],
    spans: &[Span],
) -> Vec<(std::ops::Range<usize>, bool)> {
    let Some(first) = spans.first() else {
        return vec![(0..tokens.len(), false)];
    };
    let is_text = |index: usize| {
        let token = &tokens[index];
        !skip[index] && token.kind == Kind::Word && !text::is_filler(token)
    };
    let description_first = (0..first.start).any(is_text);

    let mut cuts = Vec::new();
    for pair in spans.windows(2) {
        let gap = pair[0].end..pair[1].start;
        let connector = gap
            .clone()
            .find(|&index| !skip[index] && scan::is_connector(&tokens[index]));
        let cut = match connector {
            Some(index) => index,
            None if description_first => pair[0].end,
            None => pair[1].start,
        };
        cuts.push(cut);
    }

    let mut parts = Vec::new();
    let mut start = 0;
    for cut in cuts {
        parts.push((start..cut, true));
        start = cut;
    }
    let last_end = spans.last().map_or(tokens.len(), |span| span.end);
    let trailing = tokens.get(last_end).is_some_and(scan::is_connector)
        && (last_end + 1..tokens.len()).any(is_text);
    if description_first && trailing {
        parts.push((start..last_end, true));
        parts.push((last_end..tokens.len(), false));
    } else {
        parts.push((start..tokens.len(), true));
    }
    parts
}

#[cfg(test)]
mod tests;
