//! Category picks from a question's buttons or a typed answer, and undoing
//! them.

use super::*;
use crate::model::Language;
use crate::reply;

fn pick_response(found: Vec<ExpenseRecord>, category_id: &str) -> Response {
    with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Pick {
                source_id: "wamid.e1#1".into(),
                category_id: category_id.into(),
            },
            LedgerAnswer::Expenses(found),
            turn,
        )
    })
}

fn at_jumbo(mut expense: ExpenseRecord) -> ExpenseRecord {
    expense.merchant = Some("jumbo".into());
    expense
}

fn budget_loads(response: &Response) -> usize {
    response
        .effects
        .iter()
        .filter(|effect| matches!(effect, Effect::LoadLedger(LedgerQuery::Budgets(_))))
        .count()
}

#[test]
fn pick_completes_a_pending_expense_as_a_change() {
    let response = pick_response(vec![at_jumbo(record("e1", 4_000, None))], "health");
    let kinds: Vec<&ChangeKind> = changes(&response).iter().map(|c| &c.kind).collect();
    assert_eq!(
        kinds,
        vec![&ChangeKind::Edit(Edit::Category("health".into()))]
    );
    assert_eq!(changes(&response)[0].expense_id, "e1");
    assert_eq!(learned(&response), vec![("jumbo", "health")]);
    assert_eq!(
        texts(&response),
        vec!["✅ Anotado: CLP 4.000 en Salud (almuerzo, hoy)."]
    );
    assert_eq!(response.closed, vec!["wamid.e1#1".to_owned()]);
    assert_eq!(budget_loads(&response), 1);
    assert!(response.effects.iter().any(|effect| matches!(
        effect,
        Effect::Notify(crate::flow::Notice::Completed { .. })
    )));
    assert!(response.effects.iter().any(|effect| matches!(
        effect,
        Effect::Log(crate::flow::FlowEvent::Completed { category_id, .. }) if category_id == "health"
    )));
}

#[test]
fn pick_of_missing_expense_confirms_nothing() {
    let mut deleted = record("e1", 4_000, Some("food"));
    deleted.values.status = Status::Deleted;
    let cases = [
        ("no expense with that source id", vec![], "health"),
        ("a deleted expense", vec![deleted], "health"),
        (
            "a category that is not the customer's",
            vec![record("e1", 4_000, None)],
            "someone-elses",
        ),
    ];
    for (what, found, category_id) in cases {
        let response = pick_response(found, category_id);
        assert!(changes(&response).is_empty(), "{what}");
        assert!(learned(&response).is_empty(), "{what}");
        assert_eq!(budget_loads(&response), 0, "{what}");
        assert_eq!(
            texts(&response),
            vec![reply::question_closed(Language::Spanish)],
            "{what}"
        );
        assert_eq!(response.closed, vec!["wamid.e1#1".to_owned()], "{what}");
    }
}

#[test]
fn pick_for_completed_expense_moves_it() {
    let moved = pick_response(vec![record("e1", 4_000, Some("food"))], "health");
    assert_eq!(changes(&moved).len(), 1);
    assert_eq!(texts(&moved), vec!["✅ Categoría cambiada a Salud."]);
    assert_eq!(budget_loads(&moved), 1);

    let same = pick_response(
        vec![at_jumbo(record("e1", 4_000, Some("health")))],
        "health",
    );
    assert!(changes(&same).is_empty(), "the category it already has");
    assert_eq!(
        texts(&same),
        vec!["Ya estaba así: CLP 4.000 en Salud (almuerzo, hoy)."]
    );
    assert_eq!(learned(&same), vec![("jumbo", "health")]);
}

#[test]
fn pick_reply_is_english_for_english_customers() {
    let response = with_turn("en-US", |turn| {
        respond(
            LedgerQuery::Pick {
                source_id: "wamid.e1#1".into(),
                category_id: "food".into(),
            },
            LedgerAnswer::Expenses(vec![]),
            turn,
        )
    });
    assert_eq!(
        texts(&response),
        vec![reply::question_closed(Language::English)]
    );
}

#[test]
fn undoing_a_pick_asks_the_question_again() {
    let picked = at_jumbo(record("e1", 4_000, Some("health")));
    let response = undo(picked, values(4_000, None, Status::PendingCategory));

    let kinds: Vec<&ChangeKind> = changes(&response).iter().map(|c| &c.kind).collect();
    assert_eq!(
        kinds,
        vec![&ChangeKind::Revert {
            change_id: "ch1".into()
        }]
    );
    assert!(response.effects.iter().any(|effect| matches!(
        effect,
        Effect::RevertRule { merchant, from, to: None } if merchant == "jumbo" && from == "health"
    )));
    assert_eq!(
        texts(&response),
        vec!["↩️ Deshice el cambio: CLP 4.000 sin categoría (almuerzo, hoy)."]
    );
    assert!(response.closed.is_empty(), "{:?}", response.closed);
    assert_eq!(budget_loads(&response), 0);
    let Some(Question::Category {
        source_id, draft, ..
    }) = &response.question
    else {
        panic!("category question, found {:?}", response.question);
    };
    assert_eq!(source_id, "wamid.e1#1");
    assert_eq!(draft.amount, clp(4_000));
    assert_eq!(draft.merchant.as_deref(), Some("jumbo"));
}

#[test]
fn redoing_a_pick_teaches_the_rule_again() {
    let pending = at_jumbo(record("e1", 4_000, None));
    let response = undo(pending, values(4_000, Some("health"), Status::Completed));
    assert_eq!(learned(&response), vec![("jumbo", "health")]);
    assert_eq!(response.question, None);
    assert_eq!(response.closed, vec!["wamid.e1#1".to_owned()]);
    assert_eq!(budget_loads(&response), 1);
}
