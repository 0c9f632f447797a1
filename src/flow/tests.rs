use chrono::NaiveDate;

use super::*;
use crate::classify::{Classification, Classifier};
use crate::model::Customer;
use crate::money::{Currency, Money};

const NOW: i64 = 1_796_371_200;

fn customer() -> Customer {
    Customer {
        id: "c1".into(),
        name: "Casa".into(),
        home_currency: Currency::Clp,
        locale: "es-CL".into(),
        time_zone: "America/Santiago".into(),
        confidence_threshold: 0.75,
    }
}

fn categories() -> Vec<Category> {
    let make = |id: &str, name: &str| Category {
        id: id.into(),
        name: name.into(),
        keywords: vec![],
    };
    vec![
        make("food", "Comida"),
        make("transport", "Transporte"),
        make("health", "Salud"),
        make("home", "Hogar"),
        make("other", "Otros"),
    ]
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 4).expect("date")
}

fn step(state: State, input: Input, message_id: &str) -> Transition {
    let customer = customer();
    let categories = categories();
    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today: today(),
        now: NOW,
        message_id,
    };
    advance(state, input, &turn)
}

fn text(value: &str) -> Input {
    Input::Text(value.into())
}

fn draft(minor: i64, description: &str) -> Draft {
    Draft {
        amount: Money::new(minor, Currency::Clp),
        spent_on: today(),
        description: description.into(),
        merchant: None,
    }
}

fn classified(source_id: &str, draft: Draft, category: Option<&str>, confidence: f64) -> Input {
    Input::Classified(vec![Classified {
        pending: Pending {
            source_id: source_id.into(),
            draft,
        },
        classification: Classification {
            category_id: category.map(str::to_owned),
            confidence,
            classifier: Classifier::Keyword,
            alternatives: vec![],
        },
    }])
}

fn replies(transition: &Transition) -> Vec<&Outbound> {
    transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Reply(outbound) => Some(outbound),
            _ => None,
        })
        .collect()
}

fn saved(transition: &Transition) -> Vec<&NewExpense> {
    transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::SaveExpense(expense) => Some(expense),
            _ => None,
        })
        .collect()
}

fn classify_requests(transition: &Transition) -> Vec<&Pending> {
    transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Classify(pending) => Some(pending),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The category picks a transition requests from the ledger, as `(source
/// id, category id)`.
fn picks(transition: &Transition) -> Vec<(&String, &String)> {
    transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::LoadLedger(LedgerQuery::Pick {
                source_id,
                category_id,
            }) => Some((source_id, category_id)),
            _ => None,
        })
        .collect()
}

fn logged(transition: &Transition) -> Vec<&FlowEvent> {
    transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Log(event) => Some(event),
            _ => None,
        })
        .collect()
}

/// A state with one pending category question for `source_id`.
fn awaiting_category(source_id: &str) -> State {
    step(
        State::default(),
        classified(source_id, draft(5000, "xyzzy"), None, 0.0),
        "m0",
    )
    .state
}

#[test]
fn expense_text_asks_for_classification() {
    let transition = step(State::default(), text("almuerzo 12500"), "wamid.1");
    let pending = classify_requests(&transition);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].source_id, "wamid.1#1");
    assert_eq!(pending[0].draft.amount, Money::new(12_500, Currency::Clp));
    assert!(
        replies(&transition).is_empty(),
        "no reply before classification"
    );
    assert!(saved(&transition).is_empty());
}

#[test]
fn classification_at_threshold_completes() {
    let transition = step(
        State::default(),
        classified("m#1", draft(12_500, "almuerzo"), Some("food"), 0.75),
        "m",
    );
    let [expense] = saved(&transition)[..] else {
        panic!("one expense expected")
    };
    assert_eq!(expense.status, ExpenseStatus::Completed);
    assert_eq!(expense.category_id.as_deref(), Some("food"));
    assert_eq!(expense.source_id, "m#1");
    assert!(transition.state.is_idle());
    let [Outbound::Text(reply)] = replies(&transition)[..] else {
        panic!("one text reply")
    };
    assert_eq!(reply, "✅ Anotado: CLP 12.500 en Comida (almuerzo, hoy).");
    assert!(logged(&transition)
        .iter()
        .any(|e| matches!(e, FlowEvent::Completed { .. })));
    assert!(transition
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Notify(Notice::Completed { .. }))));
}

#[test]
fn classification_below_threshold_stores_pending_and_asks() {
    let cases = [
        (Some("food"), 0.74),
        (None, 0.0),
        (Some("not-a-category"), 0.99),
    ];
    for (category, confidence) in cases {
        let transition = step(
            State::default(),
            classified("m#1", draft(5000, "xyzzy"), category, confidence),
            "m",
        );
        let [expense] = saved(&transition)[..] else {
            panic!("one expense for {category:?}")
        };
        assert_eq!(
            expense.status,
            ExpenseStatus::PendingCategory,
            "{category:?} {confidence}"
        );
        assert_eq!(expense.category_id, None, "{category:?}");
        assert_eq!(transition.state.questions.len(), 1);
        let [Outbound::Buttons { buttons, .. }] = replies(&transition)[..] else {
            panic!("buttons expected for {category:?}")
        };
        assert_eq!(buttons.len(), 3);
        assert!(
            buttons.iter().all(|(id, _)| id.starts_with("cat|m#1|")),
            "{buttons:?}"
        );
        assert!(logged(&transition)
            .iter()
            .any(|e| matches!(e, FlowEvent::PendingCreated { .. })));
    }
}

#[test]
fn proposed_category_is_offered_first() {
    let transition = step(
        State::default(),
        classified("m#1", draft(5000, "x"), Some("health"), 0.5),
        "m",
    );
    let [Outbound::Buttons { buttons, .. }] = replies(&transition)[..] else {
        panic!("buttons")
    };
    let titles: Vec<&str> = buttons.iter().map(|(_, title)| title.as_str()).collect();
    assert_eq!(titles, ["Salud", "Comida", "Transporte"]);
}

#[test]
fn answers_complete_a_pending_expense() {
    let cases = [
        (
            Input::Choice {
                id: "cat|m0#1|transport".into(),
                title: "Transporte".into(),
            },
            "transport",
        ),
        (text("transporte"), "transport"),
        (text("SALUD"), "health"),
        (text("1"), "food"),
        (text("3"), "health"),
        (text("hogar"), "home"),
    ];
    for (input, expected) in cases {
        let transition = step(awaiting_category("m0#1"), input.clone(), "m1");
        let set = picks(&transition).into_iter().next();
        assert_eq!(
            set,
            Some((&"m0#1".to_owned(), &expected.to_owned())),
            "{input:?}"
        );
        assert!(transition.state.is_idle(), "{input:?}");
        assert!(saved(&transition).is_empty(), "{input:?}");
    }
}

#[test]
fn unfitting_answer_re_asks_the_question() {
    let transition = step(awaiting_category("m0#1"), text("qué?"), "m1");
    assert_eq!(transition.state.questions.len(), 1);
    let replies = replies(&transition);
    assert_eq!(
        replies.len(),
        2,
        "explanation and the question again: {replies:?}"
    );
    assert!(matches!(replies[1], Outbound::Buttons { .. }));
    assert!(
        logged(&transition).contains(&&FlowEvent::AnswerNotUnderstood),
        "{:?}",
        transition.effects
    );
}

#[test]
fn new_expense_while_asked_keeps_the_question() {
    let transition = step(awaiting_category("m0#1"), text("uber 5000"), "m1");
    assert_eq!(classify_requests(&transition).len(), 1);
    assert_eq!(transition.state.questions.len(), 1);
}

#[test]
fn stale_button_still_sets_the_category() {
    let tap = Input::Choice {
        id: "cat|old#1|food".into(),
        title: "Comida".into(),
    };
    let transition = step(State::default(), tap, "m2");
    assert_eq!(
        picks(&transition),
        vec![(&"old#1".to_owned(), &"food".to_owned())]
    );
}

#[test]
fn button_for_unknown_category_sets_nothing() {
    let tap = Input::Choice {
        id: "cat|m0#1|someone-elses".into(),
        title: "Comida".into(),
    };
    let transition = step(awaiting_category("m0#1"), tap, "m2");
    assert!(picks(&transition).is_empty(), "{:?}", transition.effects);
}

#[test]
fn missing_amount_is_asked_and_answer_classifies() {
    let asked = step(State::default(), text("almuerzo"), "m1");
    assert!(matches!(
        asked.state.questions.first(),
        Some(Question::Amount { .. })
    ));
    let [Outbound::Text(question)] = replies(&asked)[..] else {
        panic!("amount question")
    };
    assert!(question.contains("almuerzo"), "{question}");

    let answered = step(asked.state, text("12500"), "m2");
    let pending = classify_requests(&answered);
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].source_id, "m1#1",
        "the expense keeps the id of the message that described it"
    );
    assert_eq!(pending[0].draft.description, "almuerzo");
    assert_eq!(pending[0].draft.amount, Money::new(12_500, Currency::Clp));
    assert!(answered.state.is_idle());
}

#[test]
fn commands_answer_in_both_languages() {
    for (command, expected) in [
        ("ayuda", "Escríbeme"),
        ("help", "Escríbeme"),
        ("categorías", "Tus categorías"),
    ] {
        let transition = step(State::default(), text(command), "m");
        let [Outbound::Text(reply)] = replies(&transition)[..] else {
            panic!("{command}")
        };
        assert!(reply.contains(expected), "{command}: {reply}");
    }
}

#[test]
fn cancel_drops_open_questions() {
    let transition = step(awaiting_category("m0#1"), text("cancelar"), "m1");
    assert!(transition.state.is_idle());
    assert!(logged(&transition).contains(&&FlowEvent::Cancelled { count: 1 }));
    let idle = step(State::default(), text("cancel"), "m2");
    let [Outbound::Text(reply)] = replies(&idle)[..] else {
        panic!("reply")
    };
    assert_eq!(reply, "No había nada pendiente.");
}

#[test]
fn questions_expire_after_their_ttl() {
    let mut state = awaiting_category("m0#1");
    state.updated_at = NOW - QUESTION_TTL_SECONDS - 1;
    let transition = step(state, text("salud"), "m1");
    assert!(logged(&transition).contains(&&FlowEvent::QuestionsExpired { count: 1 }));
    assert!(picks(&transition).is_empty(), "{:?}", transition.effects);

    let mut fresh = awaiting_category("m0#1");
    fresh.updated_at = NOW - QUESTION_TTL_SECONDS + 1;
    let transition = step(fresh, text("salud"), "m1");
    assert_eq!(picks(&transition).len(), 1, "{:?}", transition.effects);
}

#[test]
fn small_talk_and_non_expenses_get_answers() {
    let cases = [
        ("hola", "¡Hola!"),
        ("gracias", "De nada"),
        ("¿qué hora es?", "¡Hola!"),
        ("qwerty", "¿Cuánto fue qwerty?"),
        ("ayer", "No encontré"),
    ];
    for (message, expected) in cases {
        let transition = step(State::default(), text(message), "m");
        let [Outbound::Text(reply)] = replies(&transition)[..] else {
            panic!("{message}")
        };
        assert!(reply.contains(expected), "{message}: {reply}");
        assert!(saved(&transition).is_empty());
    }
}

#[test]
fn unsupported_and_silent_audio_are_answered() {
    for input in [Input::Unsupported, Input::AudioWithoutTranscript] {
        let transition = step(State::default(), input.clone(), "m");
        assert_eq!(replies(&transition).len(), 1, "{input:?}");
    }
}

#[test]
fn several_expenses_share_one_confirmation() {
    let input = Input::Classified(vec![
        Classified {
            pending: Pending {
                source_id: "m#1".into(),
                draft: draft(5000, "uber"),
            },
            classification: Classification {
                category_id: Some("transport".into()),
                confidence: 0.9,
                classifier: Classifier::Keyword,
                alternatives: vec![],
            },
        },
        Classified {
            pending: Pending {
                source_id: "m#2".into(),
                draft: draft(8000, "almuerzo"),
            },
            classification: Classification {
                category_id: Some("food".into()),
                confidence: 0.9,
                classifier: Classifier::Keyword,
                alternatives: vec![],
            },
        },
    ]);
    let transition = step(State::default(), input, "m");
    assert_eq!(saved(&transition).len(), 2);
    let [Outbound::Text(reply)] = replies(&transition)[..] else {
        panic!("one reply")
    };
    assert_eq!(reply.lines().count(), 2, "{reply}");
}

#[test]
fn state_round_trips_through_json() {
    let state = awaiting_category("m0#1");
    let json = serde_json::to_string(&state).expect("serialise");
    let back: State = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, state);
}

#[test]
fn text_over_whatsapp_limit_is_not_parsed() {
    let long = "almuerzo 12.500 ".repeat(MAX_TEXT_CHARS / 16 + 1);
    let transition = step(awaiting_category("m0#1"), text(&long), "m");
    assert!(classify_requests(&transition).is_empty());
    assert!(saved(&transition).is_empty());
    let [Outbound::Text(reply), ..] = replies(&transition)[..] else {
        panic!("no reply")
    };
    assert!(
        reply.starts_with("Tu mensaje es demasiado largo"),
        "{reply}"
    );
    assert_eq!(transition.state.questions.len(), 1);
}

// `-5000` and `devolución -5000` used to be recorded as expenses of 5000:
// the tokenizer reads the minus sign as punctuation before the number.
#[test]
fn negative_amount_records_nothing() {
    let cases = [
        (State::default(), "-5000"),
        (State::default(), "devolución -5000 farmacia"),
        (State::default(), "reembolso \u{2212}8.40 usd"),
        (State::default(), "almuerzo -$5.000"),
        (State::default(), "almuerzo 5000\nreembolso -2000"),
        (State::default(), "no, eran -15.000"),
        (State::default(), "presupuesto comida -5000"),
        (awaiting_category("m0#1"), "-3000"),
    ];
    for (state, typed) in cases {
        let questions = state.questions.len();
        let transition = step(state, text(typed), "m");
        assert!(classify_requests(&transition).is_empty(), "{typed}");
        assert!(saved(&transition).is_empty(), "{typed}");
        assert!(
            !transition.effects.iter().any(|e| match e {
                Effect::LoadLedger(query) => *query != LedgerQuery::OldestPending,
                Effect::SetBudget { .. } => true,
                _ => false,
            }),
            "{typed}"
        );
        assert_eq!(transition.state.questions.len(), questions, "{typed}");
        let [Outbound::Text(reply)] = replies(&transition)[..] else {
            panic!("{typed}: one reply expected")
        };
        assert!(
            reply.starts_with("No anoto montos negativos"),
            "{typed}: {reply}"
        );
    }

    for typed in [
        "uber-5000",
        "almuerzo - 5000",
        "10-20 café 3000",
        "- almuerzo 5000",
    ] {
        let transition = step(State::default(), text(typed), "m");
        assert_eq!(classify_requests(&transition).len(), 1, "{typed}");
    }
}

#[test]
fn too_many_expenses_records_none() {
    let lines = |count: usize| {
        (1..=count)
            .map(|n| format!("café {}", n * 1000))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let at_limit = step(
        State::default(),
        text(&lines(MAX_EXPENSES_PER_MESSAGE)),
        "m",
    );
    let pending: usize = classify_requests(&at_limit).len();
    assert_eq!(pending, MAX_EXPENSES_PER_MESSAGE);

    let over = step(
        State::default(),
        text(&lines(MAX_EXPENSES_PER_MESSAGE + 1)),
        "m",
    );
    assert!(classify_requests(&over).is_empty());
    let [Outbound::Text(reply), ..] = replies(&over)[..] else {
        panic!("no reply")
    };
    assert!(reply.contains("más de 20 gastos"), "{reply}");
}

#[test]
fn text_without_amount_while_asked_is_a_wrong_answer() {
    let transition = step(awaiting_category("m0#1"), text("no sé"), "m1");
    assert_eq!(transition.state.questions.len(), 1, "no question queued");
    assert!(
        logged(&transition).contains(&&FlowEvent::AnswerNotUnderstood),
        "{:?}",
        transition.effects
    );
    let texts: Vec<&str> = replies(&transition).iter().map(|r| r.text()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[1].contains("xyzzy"),
        "the open question again: {texts:?}"
    );
}

#[test]
fn pending_expense_behind_an_open_question_is_announced() {
    let transition = step(
        awaiting_category("m0#1"),
        classified("m1#1", draft(3000, "plugh"), None, 0.1),
        "m1",
    );
    assert_eq!(transition.state.questions.len(), 2);
    let texts: Vec<&str> = replies(&transition).iter().map(|r| r.text()).collect();
    assert_eq!(
        texts,
        vec!["📝 Anoté plugh (CLP 3.000) sin categoría; te pregunto por ella después."]
    );
}

#[test]
fn turn_that_only_queues_a_question_asks_the_open_one_again() {
    let transition = step(awaiting_category("m0#1"), text("café 3,40"), "m1");
    assert_eq!(transition.state.questions.len(), 2);
    let replies = replies(&transition);
    assert_eq!(replies.len(), 1);
    assert!(replies[0].text().contains("xyzzy"), "{:?}", replies[0]);
}

fn loads(transition: &Transition) -> Vec<&LedgerQuery> {
    transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::LoadLedger(query) => Some(query),
            _ => None,
        })
        .collect()
}

fn kinds(state: &State) -> Vec<&'static str> {
    state
        .questions
        .iter()
        .map(|question| match question {
            Question::Category { .. } => "category",
            Question::Amount { .. } => "amount",
            Question::AmountChoice { .. } => "amount_choice",
            Question::UnusualDate { .. } => "unusual_date",
        })
        .collect()
}

fn aged(mut state: State, seconds: i64) -> State {
    state.updated_at = NOW - seconds;
    state
}

fn pending_record(id: &str) -> crate::commands::ExpenseRecord {
    crate::commands::ExpenseRecord {
        id: id.into(),
        source_id: format!("{id}#1"),
        merchant: None,
        values: crate::commands::Values {
            amount: Money::new(4_000, Currency::Clp),
            spent_on: today(),
            description: "xyzzy".into(),
            category_id: None,
            status: crate::commands::Status::PendingCategory,
        },
    }
}

fn ledger(query: LedgerQuery, records: Vec<crate::commands::ExpenseRecord>) -> Input {
    Input::Ledger {
        query,
        answer: LedgerAnswer::Expenses(records),
    }
}

/// One transition: the state and input, then the questions left, the
/// ledger reads asked for and how many replies are sent.
struct Case {
    what: &'static str,
    state: State,
    input: Input,
    questions: &'static [&'static str],
    loads: Vec<LedgerQuery>,
    replies: usize,
}

#[test]
fn transitions_with_commands_answers_and_timeouts() {
    use crate::commands::{LastIntent, RecentIntent};
    let fresh = || awaiting_category("m0#1");
    let amount = || step(State::default(), text("almuerzo"), "m0").state;
    let future = || step(State::default(), text("almuerzo 5000 mañana"), "m0").state;
    let ttl = QUESTION_TTL_SECONDS;
    let cases = [
        Case {
            what: "help when idle looks for a stale pending expense",
            state: State::default(),
            input: text("ayuda"),
            questions: &[],
            loads: vec![LedgerQuery::OldestPending],
            replies: 1,
        },
        Case {
            what: "cancel when idle does not",
            state: State::default(),
            input: text("cancelar"),
            questions: &[],
            loads: vec![],
            replies: 1,
        },
        Case {
            what: "cancel drops the category question",
            state: fresh(),
            input: text("cancel"),
            questions: &[],
            loads: vec![],
            replies: 1,
        },
        Case {
            what: "cancel drops the amount draft",
            state: amount(),
            input: text("cancelar"),
            questions: &[],
            loads: vec![],
            replies: 1,
        },
        Case {
            what: "undo while asked keeps the question and reads the ledger",
            state: fresh(),
            input: text("deshacer"),
            questions: &["category"],
            loads: vec![LedgerQuery::UndoTarget],
            replies: 0,
        },
        Case {
            what: "an edit while asked reads the last expense",
            state: fresh(),
            input: text("no, eran 15.000"),
            questions: &["category"],
            loads: vec![LedgerQuery::Last(LastIntent::Edit(
                crate::commands::Edit::Amount(Money::new(15_000, Currency::Clp)),
            ))],
            replies: 0,
        },
        Case {
            what: "the recent list when idle",
            state: State::default(),
            input: text("últimos"),
            questions: &[],
            loads: vec![LedgerQuery::Recent(RecentIntent::List)],
            replies: 0,
        },
        Case {
            what: "an answer in time reads the expense to pick its category",
            state: aged(fresh(), ttl - 1),
            input: text("salud"),
            questions: &[],
            loads: vec![LedgerQuery::Pick {
                source_id: "m0#1".into(),
                category_id: "health".into(),
            }],
            replies: 0,
        },
        Case {
            what: "the picked expense is completed and its budget checked",
            state: State::default(),
            input: ledger(
                LedgerQuery::Pick {
                    source_id: "old#1".into(),
                    category_id: "health".into(),
                },
                vec![pending_record("old")],
            ),
            questions: &[],
            loads: vec![LedgerQuery::Budgets(vec![crate::commands::BudgetCheck {
                category_id: "health".into(),
                period: crate::commands::Period::of(today()),
                added: vec![(today(), Money::new(4_000, Currency::Clp))],
                replaces: Some("old".into()),
            }])],
            replies: 1,
        },
        Case {
            what: "a category question past its TTL expires",
            state: aged(fresh(), ttl + 1),
            input: text("hola"),
            questions: &[],
            loads: vec![LedgerQuery::OldestPending],
            replies: 1,
        },
        Case {
            what: "an amount question past its TTL expires and says so",
            state: aged(amount(), ttl + 1),
            input: text("gracias"),
            questions: &[],
            loads: vec![LedgerQuery::OldestPending],
            replies: 2,
        },
        Case {
            what: "an amount answer in time is classified",
            state: aged(amount(), ttl - 1),
            input: text("12.500"),
            questions: &[],
            loads: vec![],
            replies: 0,
        },
        Case {
            what: "a future date answered yes is classified",
            state: future(),
            input: text("sí"),
            questions: &[],
            loads: vec![],
            replies: 0,
        },
        Case {
            what: "an unfitting answer asks again",
            state: future(),
            input: text("qué?"),
            questions: &["unusual_date"],
            loads: vec![],
            replies: 2,
        },
        Case {
            what: "a stale pending expense is asked again",
            state: State::default(),
            input: ledger(LedgerQuery::OldestPending, vec![pending_record("old")]),
            questions: &["category"],
            loads: vec![],
            replies: 1,
        },
        Case {
            what: "undoing a pick asks the category again",
            state: State::default(),
            input: Input::Ledger {
                query: LedgerQuery::UndoTarget,
                answer: LedgerAnswer::Undo(Some(crate::commands::UndoTarget {
                    expense: {
                        let mut picked = pending_record("old");
                        picked.values.category_id = Some("food".into());
                        picked.values.status = crate::commands::Status::Completed;
                        picked
                    },
                    change: Some(crate::commands::PastChange {
                        id: "ch1".into(),
                        before: pending_record("old").values,
                    }),
                })),
            },
            questions: &["category"],
            loads: vec![],
            replies: 2,
        },
        Case {
            what: "no stale pending expense: nothing more",
            state: State::default(),
            input: ledger(LedgerQuery::OldestPending, vec![]),
            questions: &[],
            loads: vec![],
            replies: 0,
        },
        Case {
            what: "a stale one already open is not queued twice",
            state: awaiting_category("old#1"),
            input: ledger(LedgerQuery::OldestPending, vec![pending_record("old")]),
            questions: &["category"],
            loads: vec![],
            replies: 0,
        },
        Case {
            what: "deleting the asked expense closes its question",
            state: awaiting_category("old#1"),
            input: ledger(
                LedgerQuery::Last(LastIntent::Delete),
                vec![pending_record("old")],
            ),
            questions: &[],
            loads: vec![LedgerQuery::OldestPending],
            replies: 1,
        },
        Case {
            what: "the recent list waits for a tap before any stale question",
            state: State::default(),
            input: ledger(
                LedgerQuery::Recent(RecentIntent::List),
                vec![pending_record("e1")],
            ),
            questions: &[],
            loads: vec![],
            replies: 1,
        },
        Case {
            what: "a recent-list tap reads that expense",
            state: State::default(),
            input: Input::Choice {
                id: "exp|e1".into(),
                title: "1. CLP 4.000 xyzzy".into(),
            },
            questions: &[],
            loads: vec![LedgerQuery::Expense {
                id: "e1".into(),
                intent: crate::commands::ExpenseIntent::ConfirmDelete,
            }],
            replies: 0,
        },
        Case {
            what: "an unsupported message is answered",
            state: fresh(),
            input: Input::Unsupported,
            questions: &["category"],
            loads: vec![],
            replies: 1,
        },
    ];
    for case in cases {
        let what = case.what;
        let transition = step(case.state, case.input, "m1");
        assert_eq!(kinds(&transition.state), case.questions, "{what}");
        assert_eq!(
            loads(&transition),
            case.loads.iter().collect::<Vec<_>>(),
            "{what}"
        );
        assert_eq!(
            replies(&transition).len(),
            case.replies,
            "{what}: {:?}",
            replies(&transition)
        );
        assert_eq!(transition.state.updated_at, NOW, "{what}");
    }
}

#[test]
fn expiry_is_logged_and_the_question_not_answered() {
    for (age, expired) in [
        (QUESTION_TTL_SECONDS - 1, false),
        (QUESTION_TTL_SECONDS, false),
        (QUESTION_TTL_SECONDS + 1, true),
    ] {
        let transition = step(aged(awaiting_category("m0#1"), age), text("salud"), "m1");
        let logged_expiry =
            logged(&transition).contains(&&FlowEvent::QuestionsExpired { count: 1 });
        assert_eq!(logged_expiry, expired, "age {age}");
        assert_eq!(picks(&transition).is_empty(), expired, "age {age}");
    }
}

fn texts_of(transition: &Transition) -> Vec<String> {
    replies(transition)
        .into_iter()
        .map(|outbound| outbound.text().to_owned())
        .collect()
}

const TOO_LARGE: &str = "CLP 100.000.000.001 es más de lo que puedo anotar: el máximo es CLP 100.000.000.000 por monto. Revisa el número y escríbelo de nuevo.";

#[test]
fn expense_at_the_maximum_is_classified() {
    let transition = step(State::default(), text("almuerzo 100000000000"), "m1");
    let pending = classify_requests(&transition);
    assert_eq!(pending.len(), 1, "{:?}", transition.effects);
    assert_eq!(
        pending[0].draft.amount,
        Money::new(crate::money::MAX_AMOUNT_MINOR, Currency::Clp)
    );
}

#[test]
fn expense_above_the_maximum_is_not_recorded() {
    let transition = step(State::default(), text("almuerzo 100000000001"), "m1");
    assert!(classify_requests(&transition).is_empty());
    assert!(transition.state.is_idle(), "{:?}", transition.state);
    assert_eq!(texts_of(&transition), vec![TOO_LARGE]);

    // The other expenses of the message are recorded.
    let mixed = step(
        State::default(),
        text("almuerzo 100000000001\ntaxi 5000"),
        "m2",
    );
    let pending = classify_requests(&mixed);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].draft.description, "taxi");
    assert_eq!(texts_of(&mixed), vec![TOO_LARGE]);
}

#[test]
fn answer_above_the_maximum_asks_again() {
    let asked = step(State::default(), text("almuerzo"), "m1");
    let too_large = step(asked.state, text("100000000001"), "m2");
    assert!(classify_requests(&too_large).is_empty());
    let texts = texts_of(&too_large);
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[0], TOO_LARGE);
    assert!(
        texts[1].contains("almuerzo"),
        "the question again: {texts:?}"
    );
    assert!(matches!(
        too_large.state.questions.first(),
        Some(Question::Amount { .. })
    ));

    let answered = step(too_large.state, text("100000000000"), "m3");
    assert_eq!(classify_requests(&answered).len(), 1);
}

#[test]
fn english_amount_above_the_maximum_names_it() {
    let customer = Customer {
        locale: "en-US".into(),
        home_currency: Currency::Usd,
        ..customer()
    };
    let categories = categories();
    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today: today(),
        now: NOW,
        message_id: "m1",
    };
    let transition = advance(State::default(), text("lunch 1,000,000,000.01"), &turn);
    assert!(classify_requests(&transition).is_empty());
    assert_eq!(
        texts_of(&transition),
        vec!["USD 1,000,000,000.01 is more than I can record: the maximum is USD 1,000,000,000.00 per amount. Check the number and type it again."]
    );
}

#[test]
fn classified_draft_above_the_maximum_is_not_saved() {
    let too_large = draft(crate::money::MAX_AMOUNT_MINOR + 1, "almuerzo");
    let transition = step(
        State::default(),
        classified("m0#1", too_large, Some("food"), 0.9),
        "m1",
    );
    assert!(saved(&transition).is_empty());
    assert_eq!(texts_of(&transition), vec![TOO_LARGE]);
}

#[test]
fn old_date_asked_then_kept() {
    let asked = step(State::default(), text("almuerzo 5000 el 1/1/1900"), "m1");
    assert_eq!(kinds(&asked.state), ["unusual_date"]);
    assert!(classify_requests(&asked).is_empty(), "{:?}", asked.effects);
    assert_eq!(
        texts_of(&asked),
        ["La fecha de almuerzo (01-01-1900) es de hace más de un año. ¿La anoto igual?"]
    );

    let kept = step(asked.state, text("sí"), "m2");
    let pending = classify_requests(&kept);
    assert_eq!(pending.len(), 1, "{:?}", kept.effects);
    assert_eq!(
        pending[0].draft.spent_on,
        NaiveDate::from_ymd_opt(1900, 1, 1).expect("date")
    );
    assert!(kept.state.questions.is_empty());
}

#[test]
fn future_date_question_wording() {
    let asked = step(State::default(), text("almuerzo 5000 el 24/12/2026"), "m1");
    assert_eq!(
        texts_of(&asked),
        ["La fecha de almuerzo (24-12-2026) aún no llega. ¿La anoto igual?"]
    );
}
