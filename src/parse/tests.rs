//! Tests of whole messages through `parse_message`, `parse_amount` and
//! `small_talk`. The labelled corpus in `tests/corpus/` covers many more.

use super::*;

fn context(locale: &str, home_currency: Currency) -> ParseContext<'_> {
    ParseContext {
        locale,
        home_currency,
        today: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap_or_default(),
    }
}

#[test]
fn simple_expense_parses() {
    let items = parse_message("almuerzo 12.500", &context("es-CL", Currency::Clp));
    assert_eq!(items.len(), 1);
    let Item::Expense(draft) = &items[0] else {
        panic!("expected an expense, found {items:?}");
    };
    assert_eq!(draft.amount, Money::new(12_500, Currency::Clp));
    assert_eq!(draft.description, "almuerzo");
}
