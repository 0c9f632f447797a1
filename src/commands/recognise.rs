//! Reading a text as a command, in Spanish or English.
//!
//! Words are compared folded (lowercase, no accents, no punctuation), so
//! `¿Cuánto llevo?` and `cuanto llevo` are the same command. The text after a
//! command's words is kept as typed, because `15.000` must stay one amount.

use chrono::NaiveDate;

use super::{Command, Edit, Period, Problem, Recognised, Scope, RECENT_COUNT};
use crate::classify::{self, category_by_name};
use crate::flow::Turn;
use crate::model::Language;
use crate::parse::{self, AmountReading, Item, ParseContext};

const UNDO: &[&str] = &["deshacer", "deshaz", "deshace", "undo"];
const DELETE_LAST: &[&str] = &[
    "borrar ultimo",
    "borra ultimo",
    "borrar el ultimo",
    "borra el ultimo",
    "borrar ultimo gasto",
    "borrar el ultimo gasto",
    "eliminar ultimo",
    "eliminar el ultimo",
    "elimina el ultimo",
    "delete last",
    "delete the last",
    "delete last expense",
    "delete the last expense",
    "remove last",
    "remove the last",
];
const DELETE: &[&str] = &["borrar", "borra", "eliminar", "elimina", "delete", "remove"];
const RECENT: &[&str] = &[
    "ultimos",
    "ultimos gastos",
    "mis ultimos gastos",
    "ver gastos",
    "mis gastos",
    "gastos recientes",
    "recent",
    "recent expenses",
    "last expenses",
    "my expenses",
    "list expenses",
];
/// Summary words; `mine` is true for the personal ones.
const SUMMARY: &[(&str, bool)] = &[
    ("mi resumen", true),
    ("my summary", true),
    ("cuanto llevo yo", true),
    ("cuanto he gastado yo", true),
    ("resumen del mes", false),
    ("resumen", false),
    ("summary", false),
    ("month summary", false),
    ("cuanto llevo", false),
    ("cuanto he gastado", false),
    ("cuanto gastamos", false),
    ("how much have i spent", true),
    ("how much did i spend", true),
    ("how much have we spent", false),
];
const AMOUNT_EDIT: &[&str] = &[
    "cambia el monto a",
    "cambiar el monto a",
    "cambia monto a",
    "cambiar monto a",
    "monto",
    "change the amount to",
    "change amount to",
    "amount",
];
const CATEGORY_EDIT: &[&str] = &[
    "cambia la categoria a",
    "cambiar la categoria a",
    "cambia categoria a",
    "cambiar categoria a",
    "change the category to",
    "change category to",
    "move it to",
    "move to",
];
const DATE_EDIT: &[&str] = &[
    "cambia la fecha a",
    "cambiar la fecha a",
    "cambia fecha a",
    "cambiar fecha a",
    "change the date to",
    "change date to",
];
const DESCRIPTION_EDIT: &[&str] = &[
    "cambia la descripcion a",
    "cambiar la descripcion a",
    "cambia descripcion a",
    "cambiar descripcion a",
    "change the description to",
    "change description to",
];
/// Words after which the value itself says which field changes: an amount,
/// a date or a category name.
const VALUE_EDIT: &[&str] = &[
    "no eran",
    "no fueron",
    "no era",
    "no fue",
    "no es",
    "eran",
    "fueron",
    "era",
    "fue",
    "cambia a",
    "cambialo a",
    "cambiar a",
    "change to",
    "change it to",
    "no it was",
    "it was",
    "no it s",
    "it s",
    "actually",
    "no",
];
const BUDGET: &[&str] = &[
    "presupuesto de",
    "presupuesto para",
    "presupuesto",
    "budget for",
    "budget",
    "set budget for",
    "set budget",
];
const BUDGET_REMOVE: &[&str] = &[
    "quitar presupuesto de",
    "quitar presupuesto",
    "quitar el presupuesto de",
    "borrar presupuesto de",
    "borrar presupuesto",
    "sin presupuesto",
    "remove budget for",
    "remove budget",
    "delete budget",
    "no budget",
];
/// Reads `text` as a command about recorded expenses. `None` when it is no
/// such command, so the flow reads it as an expense or an answer.
pub fn recognise(text: &str, turn: &Turn<'_>) -> Option<Recognised> {
    let words = classify::words_of(text);
    if UNDO.contains(&words.as_str()) {
        return Some(Recognised::Command(Command::Undo));
    }
    if DELETE_LAST.contains(&words.as_str()) {
        return Some(Recognised::Command(Command::DeleteLast));
    }
    if RECENT.contains(&words.as_str()) {
        return Some(Recognised::Command(Command::Recent));
    }
    if let Some(number) = after(text, DELETE).and_then(|rest| list_number(&rest)) {
        return Some(Recognised::Command(Command::DeleteNumber(number)));
    }
    if let Some(found) = summary(text, turn.today) {
        return Some(found);
    }
    if let Some(found) = budget(text, turn) {
        return Some(found);
    }
    edit(text, turn)
}

/// The text after the first of `prefixes` that `text` starts with, as typed
/// and trimmed; it may be empty.
fn after(text: &str, prefixes: &[&str]) -> Option<String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    prefixes.iter().find_map(|prefix| {
        let count = prefix.split(' ').count();
        // A token can fold to several words (`it's` to `it s`), so the
        // comparison is on the folded words of the first `count` tokens.
        (1..=count.min(tokens.len())).find_map(|taken| {
            let head = classify::words_of(&tokens[..taken].join(" "));
            (head == *prefix).then(|| tokens[taken..].join(" "))
        })
    })
}

fn list_number(rest: &str) -> Option<usize> {
    let number: usize = rest.trim().trim_start_matches('#').parse().ok()?;
    (1..=RECENT_COUNT).contains(&number).then_some(number)
}

fn summary(text: &str, today: NaiveDate) -> Option<Recognised> {
    let words = classify::words_of(text);
    let (prefix, mine) = SUMMARY
        .iter()
        .find(|(prefix, _)| words == *prefix || words.starts_with(&format!("{prefix} ")))?;
    let rest = words[prefix.len()..].trim();
    let scope = if *mine { Scope::Mine } else { Scope::Household };
    let found = match period(rest, today) {
        Some(period) => Recognised::Command(Command::Summary { period, scope }),
        None => Recognised::Invalid(Problem::PeriodUnknown),
    };
    Some(found)
}

/// Reads the month of a summary from folded words: nothing (this month),
/// `mes pasado`, `noviembre`, `de noviembre 2025`, `2026 11`. A month name
/// without a year is the latest such month that is not after today.
fn period(words: &str, today: NaiveDate) -> Option<Period> {
    let current = Period::of(today);
    // `split_whitespace`, not `split(' ')`: nothing after the command must
    // read as no words (this month), not as one empty word.
    let words = words
        .split_whitespace()
        .filter(|word| {
            !matches!(
                *word,
                "de" | "del" | "en" | "for" | "in" | "of" | "el" | "the"
            )
        })
        .collect::<Vec<_>>();
    match words.as_slice() {
        [] => Some(current),
        ["mes", "pasado"] | ["last", "month"] => Some(current.previous()),
        ["este", "mes"] | ["this", "month"] => Some(current),
        [year, month] if year.len() == 4 => Period::new(year.parse().ok()?, month.parse().ok()?),
        [month, year] if year.len() == 4 => {
            let month = month_number(month)?;
            Period::new(year.parse().ok()?, month)
        }
        [month] => {
            let month = month_number(month)?;
            let this_year = Period::new(current.year, month)?;
            if this_year <= current {
                Some(this_year)
            } else {
                Period::new(current.year - 1, month)
            }
        }
        _ => None,
    }
}

fn month_number(word: &str) -> Option<u32> {
    let named = |language: Language| language.month_names().iter().position(|name| *name == word);
    let index = named(Language::Spanish)
        .or_else(|| named(Language::English))
        .or_else(|| {
            let number: usize = word.parse().ok()?;
            (1..=12).contains(&number).then(|| number - 1)
        })?;
    u32::try_from(index + 1).ok()
}

fn budget(text: &str, turn: &Turn<'_>) -> Option<Recognised> {
    if let Some(rest) = after(text, BUDGET_REMOVE) {
        let found = match category_by_name(&rest, turn.categories) {
            Some(category) => Recognised::Command(Command::Budget {
                category_id: category.id.clone(),
                minor: None,
            }),
            None if rest.is_empty() => Recognised::Invalid(Problem::BudgetUsage),
            None => Recognised::Invalid(Problem::UnknownCategory(rest)),
        };
        return Some(found);
    }
    let rest = after(text, BUDGET)?;
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    // The category is the longest run of leading words that names one; the
    // amount is what follows it.
    let split = (1..tokens.len()).rev().find_map(|at| {
        let category = category_by_name(&tokens[..at].join(" "), turn.categories)?;
        Some((category, tokens[at..].join(" ")))
    });
    let Some((category, amount)) = split else {
        // No category before an amount: either nothing follows the command,
        // the amount is missing, or the words name no category.
        if tokens.is_empty() || category_by_name(&rest, turn.categories).is_some() {
            return Some(Recognised::Invalid(Problem::BudgetUsage));
        }
        let typed = tokens[..tokens.len().saturating_sub(1).max(1)].join(" ");
        return Some(Recognised::Invalid(Problem::UnknownCategory(typed)));
    };
    let home = turn.customer.home_currency;
    let minor = if amount.trim() == "0" {
        None
    } else {
        match parse::parse_amount(&amount, &parse_context(turn)) {
            AmountReading::Exact(money) if money.currency != home => {
                return Some(Recognised::Invalid(Problem::BudgetCurrency(home)))
            }
            AmountReading::Exact(money) => Some(money.minor),
            AmountReading::Ambiguous(_) => {
                return Some(Recognised::Invalid(Problem::AmountAmbiguous))
            }
            AmountReading::None => return Some(Recognised::Invalid(Problem::BudgetUsage)),
        }
    };
    Some(Recognised::Command(Command::Budget {
        category_id: category.id.clone(),
        minor,
    }))
}

fn edit(text: &str, turn: &Turn<'_>) -> Option<Recognised> {
    let categories = turn.categories;
    let context = parse_context(turn);
    if let Some(rest) = after(text, DESCRIPTION_EDIT) {
        let description = rest
            .trim_matches(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '“' | '”' | '«' | '»')
            })
            .to_owned();
        let found = if description.is_empty() || description.chars().count() > 200 {
            Recognised::Invalid(Problem::EditUsage)
        } else {
            Recognised::Command(Command::Edit(Edit::Description(description)))
        };
        return Some(found);
    }
    if let Some(rest) = after(text, CATEGORY_EDIT) {
        let found = match category_by_name(&rest, categories) {
            Some(category) => {
                Recognised::Command(Command::Edit(Edit::Category(category.id.clone())))
            }
            None => Recognised::Invalid(Problem::UnknownCategory(rest)),
        };
        return Some(found);
    }
    if let Some(rest) = after(text, DATE_EDIT) {
        return Some(match date_only(&rest, &context) {
            Some(Ok(date)) => Recognised::Command(Command::Edit(Edit::Date(date))),
            Some(Err(problem)) => Recognised::Invalid(problem),
            None => Recognised::Invalid(Problem::EditUsage),
        });
    }
    if let Some(rest) = after(text, AMOUNT_EDIT) {
        return Some(match parse::parse_amount(&rest, &context) {
            AmountReading::Exact(amount) => {
                Recognised::Command(Command::Edit(Edit::Amount(amount)))
            }
            AmountReading::Ambiguous(_) => Recognised::Invalid(Problem::AmountAmbiguous),
            AmountReading::None => Recognised::Invalid(Problem::EditUsage),
        });
    }
    // `no, eran 15.000`, `fue ayer`, `cambia a transporte`: the value says
    // which field it is. A value that is none of them is no command, so
    // `no gracias` or `fue un almuerzo de 5000` go on to the expense parser.
    let rest = after(text, VALUE_EDIT)?;
    if rest.is_empty() {
        return None;
    }
    if let Some(category) = category_by_name(&rest, categories) {
        return Some(Recognised::Command(Command::Edit(Edit::Category(
            category.id.clone(),
        ))));
    }
    if let Some(found) = amount_only(&rest, &context) {
        return Some(match found {
            Ok(amount) => Recognised::Command(Command::Edit(Edit::Amount(amount))),
            Err(problem) => Recognised::Invalid(problem),
        });
    }
    match date_only(&rest, &context)? {
        Ok(date) => Some(Recognised::Command(Command::Edit(Edit::Date(date)))),
        Err(problem) => Some(Recognised::Invalid(problem)),
    }
}

fn parse_context<'a>(turn: &'a Turn<'_>) -> ParseContext<'a> {
    ParseContext {
        locale: &turn.customer.locale,
        home_currency: turn.customer.home_currency,
        today: turn.today,
    }
}

/// An amount with nothing else around it (`15.000`, `8.40 usd`), or `None`.
fn amount_only(
    text: &str,
    context: &ParseContext<'_>,
) -> Option<Result<crate::money::Money, Problem>> {
    match parse::parse_message(text, context).as_slice() {
        [Item::Expense(draft)]
            if draft.description.trim().is_empty() && draft.spent_on == context.today =>
        {
            Some(Ok(draft.amount))
        }
        [Item::AmbiguousAmount { draft, .. }] if draft.description.trim().is_empty() => {
            Some(Err(Problem::AmountAmbiguous))
        }
        _ => None,
    }
}

/// A date with nothing else around it (`ayer`, `el lunes`, `3/12`), or
/// `None`. A date after today is rejected.
fn date_only(text: &str, context: &ParseContext<'_>) -> Option<Result<NaiveDate, Problem>> {
    // `parse_message` dates every line today when it names no date, so a
    // text of filler words (`no sé`) would read as "today"; `parse_date`
    // needs a date expression.
    let date = parse::parse_date(text, context)?;
    Some(if date > context.today {
        Err(Problem::DateInFuture)
    } else {
        Ok(date)
    })
}
