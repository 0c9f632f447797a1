use chrono::NaiveDate;

use super::*;
use crate::flow::{self, Input, State};
use crate::model::{Category, Customer};
use crate::money::{Currency, Money};
use crate::recurring::Frequency;

const NOW: i64 = 1_796_371_200;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn customer(locale: &str) -> Customer {
    Customer {
        id: "c1".into(),
        name: "Casa".into(),
        home_currency: Currency::Clp,
        locale: locale.into(),
        time_zone: "America/Santiago".into(),
        confidence_threshold: 0.75,
    }
}

fn categories() -> Vec<Category> {
    vec![Category {
        id: "food".into(),
        name: "Comida".into(),
        keywords: vec!["almuerzo".into()],
    }]
}

fn rule(id: &str, description: &str, status: RuleStatus) -> Rule {
    Rule {
        id: id.into(),
        description: description.into(),
        merchant: None,
        amount: Money::new(9_990, Currency::Clp),
        frequency: Frequency::Monthly { day: 5 },
        status,
        active_from: day("2026-11-01"),
        last_occurrence_on: Some(day("2026-11-05")),
    }
}

fn rules() -> Vec<Rule> {
    vec![
        rule("r1", "arriendo", RuleStatus::Active),
        rule("r2", "netflix", RuleStatus::Paused),
        rule("r3", "netflix familia", RuleStatus::Active),
    ]
}

/// Runs `body` with a turn of a Spanish-speaking customer on 2026-12-04.
fn with_turn<T>(locale: &str, body: impl FnOnce(&Turn<'_>) -> T) -> T {
    let customer = customer(locale);
    let categories = categories();
    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today: day("2026-12-04"),
        now: NOW,
        message_id: "wamid.1",
    };
    body(&turn)
}

fn replies(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Reply(outbound) => Some(outbound.text().to_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn commands_are_recognised() {
    let command = |command| Some(Recognised::Command(command));
    let change = |target, action| command(Command::Change { target, action });
    let cases = [
        ("recurrentes", command(Command::List)),
        ("Mis gastos recurrentes", command(Command::List)),
        ("recurring", command(Command::List)),
        ("pausar 2", change(Target::Number(2), Action::Pause)),
        ("pausar #2", change(Target::Number(2), Action::Pause)),
        (
            "Pausar Netflix",
            change(Target::Name("netflix".into()), Action::Pause),
        ),
        (
            "reanudar recurrente 1",
            change(Target::Number(1), Action::Resume),
        ),
        (
            "resume gym",
            change(Target::Name("gym".into()), Action::Resume),
        ),
        (
            "borrar recurrente netflix",
            change(Target::Name("netflix".into()), Action::Delete),
        ),
        (
            "delete recurring 3",
            change(Target::Number(3), Action::Delete),
        ),
        (
            "pausar recurrente",
            Some(Recognised::Invalid(Problem::ChangeUsage)),
        ),
        (
            "borrar recurrente",
            Some(Recognised::Invalid(Problem::ChangeUsage)),
        ),
        ("resume", None),
        ("pausar", None),
        ("borrar 2", None),
        ("almuerzo 5000", None),
    ];
    for (text, expected) in cases {
        assert_eq!(recognise_command(text), expected, "{text}");
    }
}

#[test]
fn reminder_hours_are_read() {
    let on = |hour| {
        Some(Recognised::Command(Command::DailyReminder {
            hour: Some(hour),
        }))
    };
    let off = Some(Recognised::Command(Command::DailyReminder { hour: None }));
    let invalid = Some(Recognised::Invalid(Problem::ReminderHour));
    let cases = [
        ("recordatorio diario", on(DEFAULT_DAILY_HOUR)),
        ("Recordatorio diario a las 20", on(20)),
        ("recordatorio diario 21:00", on(21)),
        ("recordatorio diario 8h", on(8)),
        ("activar recordatorio a las 7 pm", on(19)),
        ("daily reminder at 9pm", on(21)),
        ("daily reminder 12am", on(0)),
        ("daily reminder 12pm", on(12)),
        ("recordatorio diario 0", on(0)),
        ("recordatorio diario 24", invalid.clone()),
        ("recordatorio diario a las nueve", invalid.clone()),
        ("daily reminder 13pm", invalid),
        ("sin recordatorio", off.clone()),
        ("desactivar recordatorio diario", off.clone()),
        ("daily reminder off", off),
    ];
    for (text, expected) in cases {
        assert_eq!(recognise_command(text), expected, "{text}");
    }
}

#[test]
fn rule_phrase_is_saved_and_confirmed() {
    let transition = with_turn("es-CL", |turn| {
        flow::advance(
            State::default(),
            Input::Text("arriendo 450.000 todos los meses el 5".into()),
            turn,
        )
    });
    let saved: Vec<&NewRule> = transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::SaveRecurring(rule) => Some(rule),
            _ => None,
        })
        .collect();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].amount, Money::new(450_000, Currency::Clp));
    assert_eq!(saved[0].frequency, Frequency::Monthly { day: 5 });
    let reply = replies(&transition.effects).join("\n");
    assert!(
        reply.contains("*arriendo* CLP 450.000, cada mes el día 5"),
        "{reply}"
    );
    assert!(reply.contains("05-12-2026"), "{reply}");
    assert!(
        !transition
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::Classify(_))),
        "a rule is not an expense"
    );
}

#[test]
fn rule_phrase_problem_is_explained() {
    let transition = with_turn("es-CL", |turn| {
        flow::advance(
            State::default(),
            Input::Text("arriendo mensual".into()),
            turn,
        )
    });
    let reply = replies(&transition.effects).join("\n");
    assert!(reply.contains("dime qué es y cuánto"), "{reply}");
    assert!(!transition
        .effects
        .iter()
        .any(|effect| matches!(effect, Effect::SaveRecurring(_))));
}

#[test]
fn rule_above_the_maximum_is_not_saved() {
    let saves = |text: &str| {
        let transition = with_turn("es-CL", |turn| {
            flow::advance(State::default(), Input::Text(text.into()), turn)
        });
        let saved = transition
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::SaveRecurring(_)));
        (saved, replies(&transition.effects).join("\n"))
    };
    let (saved, reply) = saves("arriendo 100000000001 todos los meses");
    assert!(!saved, "{reply}");
    assert!(
        reply.starts_with("CLP 100.000.000.001 es más de lo que puedo anotar"),
        "{reply}"
    );
    let (saved, reply) = saves("arriendo 100000000000 todos los meses");
    assert!(saved, "{reply}");
}

#[test]
fn change_commands_load_the_rules_first() {
    for text in ["recurrentes", "borrar recurrente 2", "pausar netflix"] {
        let transition = with_turn("es-CL", |turn| {
            flow::advance(State::default(), Input::Text(text.into()), turn)
        });
        assert!(
            matches!(transition.effects.as_slice(), [Effect::LoadRecurring(_)]),
            "{text}: {:?}",
            transition.effects
        );
    }
}

#[test]
fn budget_with_monthly_word_is_no_rule() {
    let transition = with_turn("es-CL", |turn| {
        flow::advance(
            State::default(),
            Input::Text("presupuesto comida 200000 mensual".into()),
            turn,
        )
    });
    assert!(!transition
        .effects
        .iter()
        .any(|effect| matches!(effect, Effect::SaveRecurring(_))));
    assert!(
        transition.effects.iter().any(|effect| matches!(
            effect,
            Effect::SetBudget {
                budget_minor: Some(200_000),
                ..
            }
        )),
        "{:?}",
        transition.effects
    );
}

#[test]
fn list_numbers_rules_with_next_date_or_pause() {
    let effects = with_turn("es-CL", |turn| respond(Query::List, &rules(), turn));
    let reply = replies(&effects).join("\n");
    assert!(
        reply.contains("1. arriendo · CLP 9.990 · cada mes el día 5 · próximo 05-12-2026"),
        "{reply}"
    );
    assert!(
        reply.contains("2. netflix · CLP 9.990 · cada mes el día 5 · ⏸️ pausado"),
        "{reply}"
    );
    assert!(reply.contains("3. netflix familia"), "{reply}");

    let empty = with_turn("en-US", |turn| respond(Query::List, &[], turn));
    assert!(replies(&empty)[0].contains("no recurring expenses"));
}

#[test]
fn changes_find_their_rule() {
    let change = |target, action| Query::Change { target, action };
    let cases = [
        (
            change(Target::Number(1), Action::Pause),
            Some(("r1", Action::Pause)),
        ),
        (
            change(Target::Name("netflix".into()), Action::Resume),
            Some(("r2", Action::Resume)),
        ),
        (
            change(Target::Name("familia".into()), Action::Delete),
            Some(("r3", Action::Delete)),
        ),
        (change(Target::Number(4), Action::Delete), None),
        (change(Target::Number(0), Action::Delete), None),
        (change(Target::Name("gym".into()), Action::Delete), None),
    ];
    for (query, expected) in cases {
        let effects = with_turn("es-CL", |turn| respond(query.clone(), &rules(), turn));
        let changed = effects.iter().find_map(|effect| match effect {
            Effect::ChangeRecurring { rule_id, action } => Some((rule_id.as_str(), *action)),
            _ => None,
        });
        assert_eq!(changed, expected, "{query:?}");
        assert_eq!(replies(&effects).len(), 1, "{query:?}");
    }
}

#[test]
fn unchanged_and_ambiguous_changes_only_reply() {
    let rules = vec![
        rule("r1", "netflix casa", RuleStatus::Active),
        rule("r2", "netflix oficina", RuleStatus::Paused),
    ];
    let cases = [
        (Target::Number(2), Action::Pause, "ya estaba pausado"),
        (Target::Number(1), Action::Resume, "ya está activo"),
        (
            Target::Name("netflix".into()),
            Action::Delete,
            "Hay varios: netflix casa, netflix oficina",
        ),
        (
            Target::Name("gym".into()),
            Action::Delete,
            "No encontré el gasto recurrente «gym» (tienes 2)",
        ),
    ];
    for (target, action, expected) in cases {
        let query = Query::Change { target, action };
        let effects = with_turn("es-CL", |turn| respond(query.clone(), &rules, turn));
        assert!(
            !effects
                .iter()
                .any(|effect| matches!(effect, Effect::ChangeRecurring { .. })),
            "{query:?}"
        );
        let reply = replies(&effects).join("\n");
        assert!(reply.contains(expected), "{query:?}: {reply}");
    }
}

#[test]
fn resume_names_the_next_date() {
    let query = Query::Change {
        target: Target::Number(2),
        action: Action::Resume,
    };
    let effects = with_turn("es-CL", |turn| respond(query, &rules(), turn));
    let reply = replies(&effects).join("\n");
    assert!(
        reply.contains("Reanudé *netflix*; el próximo, 05-12-2026"),
        "{reply}"
    );
}

#[test]
fn reminder_command_sets_the_hour() {
    let transition = with_turn("es-CL", |turn| {
        flow::advance(
            State::default(),
            Input::Text("recordatorio diario a las 20".into()),
            turn,
        )
    });
    assert!(transition
        .effects
        .contains(&Effect::SetDailyReminder { hour: Some(20) }));
    let reply = replies(&transition.effects).join("\n");
    assert!(reply.contains("a las 20:00"), "{reply}");
}
