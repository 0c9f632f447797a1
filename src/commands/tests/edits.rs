//! Edits and undos beyond the changed field: the merchant rule a category
//! correction teaches, and the budget check a change can need.

use super::*;

fn at_merchant(mut expense: ExpenseRecord, merchant: &str) -> ExpenseRecord {
    expense.merchant = Some(merchant.into());
    expense
}

fn edit(expense: ExpenseRecord, edit: Edit) -> Response {
    with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Last(LastIntent::Edit(edit)),
            LedgerAnswer::Expenses(vec![expense]),
            turn,
        )
    })
}

fn reverted(response: &Response) -> Vec<(&str, &str, Option<&str>)> {
    response
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::RevertRule { merchant, from, to } => {
                Some((merchant.as_str(), from.as_str(), to.as_deref()))
            }
            _ => None,
        })
        .collect()
}

fn budget_checks(response: &Response) -> Vec<&BudgetCheck> {
    response
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::LoadLedger(LedgerQuery::Budgets(checks)) => Some(checks),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn category_correction_teaches_the_merchant_rule() {
    let cases = [
        (
            "a completed expense at a merchant",
            at_merchant(record("e1", 5_000, Some("food")), "jumbo"),
            vec![("jumbo", "health")],
        ),
        (
            "a pending expense at a merchant",
            at_merchant(record("e1", 5_000, None), "uber"),
            vec![("uber", "health")],
        ),
        (
            "the category it already has",
            at_merchant(record("e1", 5_000, Some("health")), "farmacia ahumada"),
            vec![("farmacia ahumada", "health")],
        ),
        (
            "an expense without a merchant",
            record("e1", 5_000, Some("food")),
            vec![],
        ),
    ];
    for (what, expense, expected) in cases {
        let response = edit(expense, Edit::Category("health".into()));
        assert_eq!(learned(&response), expected, "{what}");
    }
    let amount = edit(
        at_merchant(record("e1", 5_000, Some("food")), "jumbo"),
        Edit::Amount(clp(6_000)),
    );
    assert!(learned(&amount).is_empty(), "only a category teaches");
}

#[test]
fn edits_that_change_spending_check_the_budget() {
    let completed = || record("e1", 5_000, Some("food"));
    let yesterday = day(2026, 12, 3);
    let last_month = day(2026, 11, 28);
    let december = Period::new(2026, 12).expect("period");
    let november = Period::new(2026, 11).expect("period");
    let check = |category: &str, period: Period, date: NaiveDate, amount: Money| BudgetCheck {
        category_id: category.into(),
        period,
        added: vec![(date, amount)],
        replaces: Some("e1".into()),
    };
    let cases = [
        (
            "amount",
            completed(),
            Edit::Amount(clp(9_000)),
            vec![check("food", december, today(), clp(9_000))],
        ),
        (
            "amount in another currency",
            completed(),
            Edit::Amount(Money::new(900, Currency::Usd)),
            vec![check(
                "food",
                december,
                today(),
                Money::new(900, Currency::Usd),
            )],
        ),
        (
            "category",
            completed(),
            Edit::Category("transport".into()),
            vec![check("transport", december, today(), clp(5_000))],
        ),
        (
            "category of a pending expense",
            record("e1", 5_000, None),
            Edit::Category("transport".into()),
            vec![check("transport", december, today(), clp(5_000))],
        ),
        (
            "date in this month",
            completed(),
            Edit::Date(yesterday),
            vec![check("food", december, yesterday, clp(5_000))],
        ),
        (
            "date in another month",
            completed(),
            Edit::Date(last_month),
            vec![check("food", november, last_month, clp(5_000))],
        ),
        (
            "description",
            completed(),
            Edit::Description("cena".into()),
            vec![],
        ),
        (
            "amount of a pending expense",
            record("e1", 5_000, None),
            Edit::Amount(clp(9_000)),
            vec![],
        ),
        (
            "nothing changes",
            completed(),
            Edit::Amount(clp(5_000)),
            vec![],
        ),
    ];
    for (what, expense, change, expected) in cases {
        let response = edit(expense, change);
        assert_eq!(
            budget_checks(&response),
            expected.iter().collect::<Vec<_>>(),
            "{what}"
        );
    }
}

#[test]
fn undo_points_the_rule_back_and_checks_the_budget() {
    let corrected = at_merchant(record("e1", 5_000, Some("health")), "jumbo");
    let before = values(5_000, Some("food"), Status::Completed);
    let response = undo(corrected.clone(), before);
    assert_eq!(reverted(&response), vec![("jumbo", "health", Some("food"))]);
    assert_eq!(
        budget_checks(&response),
        vec![&BudgetCheck {
            category_id: "food".into(),
            period: Period::of(today()),
            added: vec![(today(), clp(5_000))],
            replaces: Some("e1".into()),
        }]
    );

    let was_pending = undo(
        corrected.clone(),
        values(5_000, None, Status::PendingCategory),
    );
    assert_eq!(
        reverted(&was_pending),
        vec![("jumbo", "health", None)],
        "a rule taught by completing a pending expense is forgotten"
    );
    assert!(budget_checks(&was_pending).is_empty());

    let amount = undo(
        corrected.clone(),
        values(9_000, Some("health"), Status::Completed),
    );
    assert!(reverted(&amount).is_empty(), "the category did not change");
    assert_eq!(budget_checks(&amount)[0].added, vec![(today(), clp(9_000))]);

    let no_merchant = undo(
        record("e1", 5_000, Some("health")),
        values(5_000, Some("food"), Status::Completed),
    );
    assert!(reverted(&no_merchant).is_empty());

    let restored = undo(
        {
            let mut deleted = corrected;
            deleted.values.status = Status::Deleted;
            deleted
        },
        values(5_000, Some("health"), Status::Completed),
    );
    assert_eq!(
        budget_checks(&restored).len(),
        1,
        "a restored expense counts again"
    );
}
