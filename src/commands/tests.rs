use chrono::NaiveDate;

use super::*;
use crate::flow::{Effect, Question, Turn};
use crate::kapso::client::{Outbound, MAX_BUTTONS, MAX_BUTTON_TITLE, MAX_LIST_ROWS, MAX_ROW_TITLE};
use crate::model::{Category, Customer};
use crate::report::Line;

const NOW: i64 = 1_796_371_200;

fn customer(locale: &str, home: Currency) -> Customer {
    Customer {
        id: "c1".into(),
        name: "Casa".into(),
        home_currency: home,
        locale: locale.into(),
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
        make("fun", "Entretenimiento"),
        make("other", "Otros"),
    ]
}

fn today() -> NaiveDate {
    day(2026, 12, 4)
}

fn day(year: i32, month: u32, date: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, date).expect("valid date")
}

/// Runs `check` with a turn of a Spanish (`es-CL`, CLP) or English
/// (`en-US`, USD) customer.
fn with_turn<T>(locale: &str, check: impl FnOnce(&Turn<'_>) -> T) -> T {
    let home = if locale.starts_with("en") {
        Currency::Usd
    } else {
        Currency::Clp
    };
    let customer = customer(locale, home);
    let categories = categories();
    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today: today(),
        now: NOW,
        message_id: "wamid.9",
    };
    check(&turn)
}

fn recognised(text: &str) -> Option<Recognised> {
    with_turn("es-CL", |turn| recognise(text, turn))
}

fn command(text: &str) -> Option<Command> {
    match recognised(text) {
        Some(Recognised::Command(command)) => Some(command),
        _ => None,
    }
}

fn clp(minor: i64) -> Money {
    Money::new(minor, Currency::Clp)
}

fn values(minor: i64, category: Option<&str>, status: Status) -> Values {
    Values {
        amount: clp(minor),
        spent_on: today(),
        description: "almuerzo".into(),
        category_id: category.map(str::to_owned),
        status,
    }
}

fn record(id: &str, minor: i64, category: Option<&str>) -> ExpenseRecord {
    let status = if category.is_some() {
        Status::Completed
    } else {
        Status::PendingCategory
    };
    ExpenseRecord {
        id: id.into(),
        source_id: format!("wamid.{id}#1"),
        merchant: None,
        values: values(minor, category, status),
    }
}

fn texts(response: &Response) -> Vec<String> {
    response
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Reply(outbound) => Some(outbound.text().to_owned()),
            _ => None,
        })
        .collect()
}

fn changes(response: &Response) -> Vec<&ExpenseChange> {
    response
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::ChangeExpense(change) => Some(change),
            _ => None,
        })
        .collect()
}

fn alerts(response: &Response) -> Vec<&BudgetAlert> {
    response
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::RecordBudgetAlert(alert) => Some(alert),
            _ => None,
        })
        .collect()
}

/// Undoes `expense`'s latest change, which `before` describes.
fn undo(expense: ExpenseRecord, before: Values) -> Response {
    let target = UndoTarget {
        expense,
        change: Some(PastChange {
            id: "ch1".into(),
            before,
        }),
    };
    with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::UndoTarget,
            LedgerAnswer::Undo(Some(target)),
            turn,
        )
    })
}

/// The merchant rules a response teaches, as `(merchant, category id)`.
fn learned(response: &Response) -> Vec<(&str, &str)> {
    response
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::LearnRule {
                merchant,
                category_id,
            } => Some((merchant.as_str(), category_id.as_str())),
            _ => None,
        })
        .collect()
}

/// Checks WhatsApp's limits on every interactive reply of a response.
fn assert_within_limits(response: &Response, what: &str) {
    for effect in &response.effects {
        match effect {
            Effect::Reply(Outbound::Buttons { buttons, .. }) => {
                assert!(
                    !buttons.is_empty() && buttons.len() <= MAX_BUTTONS,
                    "{what}: {buttons:?}"
                );
                for (_, title) in buttons {
                    assert!(title.chars().count() <= MAX_BUTTON_TITLE, "{what}: {title}");
                }
            }
            Effect::Reply(Outbound::List { label, rows, .. }) => {
                assert!(label.chars().count() <= MAX_BUTTON_TITLE, "{what}: {label}");
                assert!(
                    !rows.is_empty() && rows.len() <= MAX_LIST_ROWS,
                    "{what}: {rows:?}"
                );
                for (_, title, _) in rows {
                    assert!(title.chars().count() <= MAX_ROW_TITLE, "{what}: {title}");
                }
            }
            _ => {}
        }
    }
}

#[test]
fn recognise_reads_commands_in_spanish_and_english() {
    let cases = [
        ("deshacer", Some(Command::Undo)),
        ("Undo", Some(Command::Undo)),
        ("borrar último", Some(Command::DeleteLast)),
        ("delete the last expense", Some(Command::DeleteLast)),
        ("borrar 3", Some(Command::DeleteNumber(3))),
        ("delete #10", Some(Command::DeleteNumber(10))),
        ("últimos", Some(Command::Recent)),
        ("recent expenses", Some(Command::Recent)),
        (
            "no, eran 15.000",
            Some(Command::Edit(Edit::Amount(clp(15_000)))),
        ),
        (
            "no it was 8.40 usd",
            Some(Command::Edit(Edit::Amount(Money::new(840, Currency::Usd)))),
        ),
        (
            "cambia a transporte",
            Some(Command::Edit(Edit::Category("transport".into()))),
        ),
        (
            "change category to salud",
            Some(Command::Edit(Edit::Category("health".into()))),
        ),
        (
            "fue ayer",
            Some(Command::Edit(Edit::Date(day(2026, 12, 3)))),
        ),
        (
            "cambia la descripción a \"cena con amigos\"",
            Some(Command::Edit(Edit::Description("cena con amigos".into()))),
        ),
        (
            "monto 12.990",
            Some(Command::Edit(Edit::Amount(clp(12_990)))),
        ),
        (
            "presupuesto comida 200.000",
            Some(Command::Budget {
                category_id: "food".into(),
                minor: Some(200_000),
            }),
        ),
        (
            "presupuesto comida 0",
            Some(Command::Budget {
                category_id: "food".into(),
                minor: None,
            }),
        ),
        (
            "quitar presupuesto de transporte",
            Some(Command::Budget {
                category_id: "transport".into(),
                minor: None,
            }),
        ),
        // Not commands: they go on to the expense parser or small talk.
        ("no gracias", None),
        ("almuerzo 12.500", None),
        ("borrar 11", None),
        ("fue un almuerzo de 5000", None),
    ];
    for (text, expected) in cases {
        assert_eq!(command(text), expected, "{text}");
    }
}

#[test]
fn summary_reads_scope_and_month() {
    let this = Period::new(2026, 12);
    let cases = [
        ("resumen", this, Scope::Household),
        ("Resumen ", this, Scope::Household),
        ("¿Cuánto llevo?", this, Scope::Household),
        ("summary", this, Scope::Household),
        ("mi resumen", this, Scope::Mine),
        ("my summary", this, Scope::Mine),
        ("how much have I spent", this, Scope::Mine),
        ("resumen del mes", this, Scope::Household),
        (
            "resumen mes pasado",
            Period::new(2026, 11),
            Scope::Household,
        ),
        (
            "summary last month",
            Period::new(2026, 11),
            Scope::Household,
        ),
        ("resumen noviembre", Period::new(2026, 11), Scope::Household),
        (
            "mi resumen de diciembre",
            Period::new(2026, 12),
            Scope::Mine,
        ),
        // A month after this one is last year's.
        ("resumen enero", Period::new(2026, 1), Scope::Household),
        ("resumen marzo", Period::new(2026, 3), Scope::Household),
        (
            "summary for february 2025",
            Period::new(2025, 2),
            Scope::Household,
        ),
        ("resumen 2026-11", Period::new(2026, 11), Scope::Household),
    ];
    for (text, period, scope) in cases {
        let period = period.expect("valid period");
        assert_eq!(
            command(text),
            Some(Command::Summary { period, scope }),
            "{text}"
        );
    }
    for text in ["resumen de marzuelo", "summary 13", "resumen 1999-01"] {
        assert_eq!(
            recognised(text),
            Some(Recognised::Invalid(Problem::PeriodUnknown)),
            "{text}"
        );
    }
}

#[test]
fn invalid_arguments_name_the_problem() {
    let cases = [
        (
            "cambia la categoría a mascotas",
            Problem::UnknownCategory("mascotas".into()),
        ),
        ("cambia la descripción a", Problem::EditUsage),
        ("cambia la fecha a pronto", Problem::EditUsage),
        ("fue mañana", Problem::DateInFuture),
        ("presupuesto", Problem::BudgetUsage),
        ("presupuesto comida", Problem::BudgetUsage),
        (
            "presupuesto mascotas 5000",
            Problem::UnknownCategory("mascotas".into()),
        ),
        (
            "presupuesto comida 100 usd",
            Problem::BudgetCurrency(Currency::Clp),
        ),
    ];
    for (text, problem) in cases {
        assert_eq!(
            recognised(text),
            Some(Recognised::Invalid(problem)),
            "{text}"
        );
    }
}

#[test]
fn period_bounds_and_keys() {
    let cases = [
        (2026, 2, "2026-02", day(2026, 2, 1), day(2026, 2, 28), 28),
        (2028, 2, "2028-02", day(2028, 2, 1), day(2028, 2, 29), 29),
        (2026, 12, "2026-12", day(2026, 12, 1), day(2026, 12, 31), 31),
    ];
    for (year, month, key, first, last, days) in cases {
        let period = Period::new(year, month).expect("valid");
        assert_eq!(period.key(), key);
        assert_eq!(period.first_day(), first, "{key}");
        assert_eq!(period.last_day(), last, "{key}");
        assert_eq!(period.days(), days, "{key}");
        assert_eq!(Period::parse(key), Some(period));
    }
    assert_eq!(
        Period::new(2026, 1).map(Period::previous),
        Period::new(2025, 12)
    );
    for bad in ["2026-13", "2026-00", "26-11", "2026/11", "", "2026-1x"] {
        assert_eq!(Period::parse(bad), None, "{bad}");
    }
}

#[test]
fn commands_start_with_the_right_query() {
    with_turn("es-CL", |turn| {
        let cases = [
            (Command::Undo, LedgerQuery::UndoTarget),
            (Command::DeleteLast, LedgerQuery::Last(LastIntent::Delete)),
            (
                Command::DeleteNumber(2),
                LedgerQuery::Recent(RecentIntent::Delete(2)),
            ),
            (Command::Recent, LedgerQuery::Recent(RecentIntent::List)),
        ];
        for (command, query) in cases {
            let effects = start(Recognised::Command(command.clone()), turn);
            assert_eq!(effects, vec![Effect::LoadLedger(query)], "{command:?}");
        }
        let budget = start(
            Recognised::Command(Command::Budget {
                category_id: "food".into(),
                minor: Some(150_000),
            }),
            turn,
        );
        assert_eq!(
            budget[0],
            Effect::SetBudget {
                category_id: "food".into(),
                budget_minor: Some(150_000)
            }
        );
        assert_eq!(
            budget.last(),
            Some(&Effect::Reply(Outbound::Text(
                "✅ Presupuesto de Comida: CLP 150.000 al mes. Te aviso al llegar al 80% y al 100%."
                    .into()
            )))
        );
    });
}

#[test]
fn amounts_above_the_maximum_are_rejected() {
    let too_large = "CLP 100.000.000.001 es más de lo que puedo anotar: el máximo es CLP 100.000.000.000 por monto. Revisa el número y escríbelo de nuevo.";
    for text in [
        "no, eran 100000000001",
        "cambia el monto a 100000000001",
        "presupuesto comida 100000000001",
    ] {
        let effects = with_turn("es-CL", |turn| {
            let recognised = recognise(text, turn).expect("a command");
            start(recognised, turn)
        });
        assert_eq!(
            effects,
            vec![Effect::Reply(Outbound::Text(too_large.into()))],
            "{text}"
        );
    }
    for text in ["no, eran 100000000000", "presupuesto comida 100000000000"] {
        let effects = with_turn("es-CL", |turn| {
            let recognised = recognise(text, turn).expect("a command");
            start(recognised, turn)
        });
        assert!(
            effects
                .iter()
                .any(|effect| matches!(effect, Effect::LoadLedger(_) | Effect::SetBudget { .. })),
            "{text}: {effects:?}"
        );
    }
}

#[test]
fn delete_last_confirms_with_details_in_both_languages() {
    let cases = [
        (
            "es-CL",
            "🗑️ Borré CLP 12.500 en Comida (almuerzo, hoy). Escribe *deshacer* para recuperarlo.",
        ),
        (
            "en-US",
            "🗑️ Deleted CLP 12,500 in Comida (almuerzo, today). Type *undo* to get it back.",
        ),
    ];
    for (locale, expected) in cases {
        let response = with_turn(locale, |turn| {
            respond(
                LedgerQuery::Last(LastIntent::Delete),
                LedgerAnswer::Expenses(vec![record("e1", 12_500, Some("food"))]),
                turn,
            )
        });
        assert_eq!(texts(&response), vec![expected], "{locale}");
        assert_eq!(
            changes(&response),
            vec![&ExpenseChange {
                expense_id: "e1".into(),
                kind: ChangeKind::Delete
            }]
        );
        assert_eq!(response.closed, vec!["wamid.e1#1".to_owned()]);
    }
    let empty = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Last(LastIntent::Delete),
            LedgerAnswer::Expenses(vec![]),
            turn,
        )
    });
    assert!(texts(&empty)[0].starts_with("Aún no tienes gastos"));
    assert!(changes(&empty).is_empty());
}

#[test]
fn edits_change_one_field_and_show_the_result() {
    let cases = [
        (
            Edit::Amount(clp(15_000)),
            "✏️ Corregido: CLP 15.000 en Comida (almuerzo, hoy). Escribe *deshacer* para volver atrás.",
        ),
        (
            Edit::Category("transport".into()),
            "✏️ Corregido: CLP 12.500 en Transporte (almuerzo, hoy). Escribe *deshacer* para volver atrás.",
        ),
        (
            Edit::Date(day(2026, 12, 1)),
            "✏️ Corregido: CLP 12.500 en Comida (almuerzo, 01-12-2026). Escribe *deshacer* para volver atrás.",
        ),
        (
            Edit::Description("cena".into()),
            "✏️ Corregido: CLP 12.500 en Comida (cena, hoy). Escribe *deshacer* para volver atrás.",
        ),
    ];
    for (edit, expected) in cases {
        let response = with_turn("es-CL", |turn| {
            respond(
                LedgerQuery::Last(LastIntent::Edit(edit.clone())),
                LedgerAnswer::Expenses(vec![record("e1", 12_500, Some("food"))]),
                turn,
            )
        });
        assert_eq!(texts(&response), vec![expected], "{edit:?}");
        assert_eq!(
            changes(&response),
            vec![&ExpenseChange {
                expense_id: "e1".into(),
                kind: ChangeKind::Edit(edit.clone())
            }],
            "{edit:?}"
        );
    }
    let same = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Last(LastIntent::Edit(Edit::Category("food".into()))),
            LedgerAnswer::Expenses(vec![record("e1", 12_500, Some("food"))]),
            turn,
        )
    });
    assert!(changes(&same).is_empty(), "an edit that changes nothing");
    assert!(texts(&same)[0].starts_with("Ya estaba así"));
}

#[test]
fn category_edit_of_a_pending_expense_closes_its_question() {
    let response = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Last(LastIntent::Edit(Edit::Category("health".into()))),
            LedgerAnswer::Expenses(vec![record("e1", 4_000, None)]),
            turn,
        )
    });
    assert_eq!(response.closed, vec!["wamid.e1#1".to_owned()]);
    assert_eq!(changes(&response).len(), 1);
    let amount = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Last(LastIntent::Edit(Edit::Amount(clp(5_000)))),
            LedgerAnswer::Expenses(vec![record("e1", 4_000, None)]),
            turn,
        )
    });
    assert!(amount.closed.is_empty(), "the category question stays open");
    assert!(
        texts(&amount)[0].contains("sin categoría"),
        "{:?}",
        texts(&amount)
    );
}

#[test]
fn undo_reverts_the_latest_action() {
    let live = record("e1", 15_000, Some("food"));
    let mut deleted = live.clone();
    deleted.values.status = Status::Deleted;
    let past = |before: Values| {
        Some(PastChange {
            id: "ch1".into(),
            before,
        })
    };
    let cases = [
        (
            "recording",
            Some(UndoTarget {
                expense: live.clone(),
                change: None,
            }),
            Some(ChangeKind::UndoRecording),
            "↩️ Deshice el registro de CLP 15.000 en Comida (almuerzo, hoy). Escribe *deshacer* otra vez para recuperarlo.",
        ),
        (
            "an edit",
            Some(UndoTarget {
                expense: live.clone(),
                change: past(values(12_500, Some("food"), Status::Completed)),
            }),
            Some(ChangeKind::Revert {
                change_id: "ch1".into(),
            }),
            "↩️ Deshice el cambio: CLP 12.500 en Comida (almuerzo, hoy).",
        ),
        (
            "a delete",
            Some(UndoTarget {
                expense: deleted.clone(),
                change: past(values(15_000, Some("food"), Status::Completed)),
            }),
            Some(ChangeKind::Revert {
                change_id: "ch1".into(),
            }),
            "↩️ Recuperé CLP 15.000 en Comida (almuerzo, hoy).",
        ),
        (
            "an undo that restored it",
            Some(UndoTarget {
                expense: live.clone(),
                change: past(values(15_000, Some("food"), Status::Deleted)),
            }),
            Some(ChangeKind::Revert {
                change_id: "ch1".into(),
            }),
            "↩️ Deshice el registro de CLP 15.000 en Comida (almuerzo, hoy). Escribe *deshacer* otra vez para recuperarlo.",
        ),
        ("nothing", None, None, "No hay nada que deshacer."),
        (
            "a recording already deleted",
            Some(UndoTarget {
                expense: deleted,
                change: None,
            }),
            None,
            "No hay nada que deshacer.",
        ),
    ];
    for (what, target, kind, expected) in cases {
        let response = with_turn("es-CL", |turn| {
            respond(LedgerQuery::UndoTarget, LedgerAnswer::Undo(target), turn)
        });
        assert_eq!(texts(&response), vec![expected], "{what}");
        let applied: Vec<ChangeKind> = changes(&response)
            .into_iter()
            .map(|change| change.kind.clone())
            .collect();
        assert_eq!(applied, kind.into_iter().collect::<Vec<_>>(), "{what}");
    }
}

#[test]
fn recent_list_fits_whatsapp_in_both_languages() {
    let many: Vec<ExpenseRecord> = (1..=RECENT_COUNT)
        .map(|n| {
            let mut expense = record(&format!("e{n}"), 1_234_567, Some("fun"));
            expense.values.description = "una descripción bastante larga del gasto".into();
            expense
        })
        .collect();
    for locale in ["es-CL", "en-US"] {
        let response = with_turn(locale, |turn| {
            respond(
                LedgerQuery::Recent(RecentIntent::List),
                LedgerAnswer::Expenses(many.clone()),
                turn,
            )
        });
        assert_within_limits(&response, locale);
        let Some(Effect::Reply(Outbound::List { rows, .. })) = response.effects.first() else {
            panic!("{locale}: a list, found {:?}", response.effects)
        };
        assert_eq!(rows.len(), RECENT_COUNT, "{locale}");
        assert_eq!(rows[0].0, "exp|e1");
        assert!(rows[9].1.starts_with("10. "), "{locale}: {}", rows[9].1);
    }
    let none = with_turn("en-US", |turn| {
        respond(
            LedgerQuery::Recent(RecentIntent::List),
            LedgerAnswer::Expenses(vec![]),
            turn,
        )
    });
    assert_eq!(
        texts(&none),
        vec!["You have no expenses yet. Send one, for example *lunch 12.50*."]
    );
}

#[test]
fn chosen_expense_is_confirmed_before_it_is_deleted() {
    for locale in ["es-CL", "en-US"] {
        let confirm = with_turn(locale, |turn| {
            respond(
                LedgerQuery::Expense {
                    id: "e1".into(),
                    intent: ExpenseIntent::ConfirmDelete,
                },
                LedgerAnswer::Expenses(vec![record("e1", 5_000, Some("transport"))]),
                turn,
            )
        });
        assert_within_limits(&confirm, locale);
        assert!(changes(&confirm).is_empty(), "{locale}");
        let Some(Effect::Reply(Outbound::Buttons { buttons, .. })) = confirm.effects.first() else {
            panic!("{locale}: buttons")
        };
        assert_eq!(buttons[0].0, "del|e1");
        assert_eq!(buttons[1].0, "keep|e1");
        assert_eq!(
            on_choice(&buttons[0].0),
            Some(vec![Effect::LoadLedger(LedgerQuery::Expense {
                id: "e1".into(),
                intent: ExpenseIntent::Delete
            })])
        );
        assert_eq!(on_choice(&buttons[1].0), Some(vec![]));
        assert!(is_keep(&buttons[1].0));
    }
    assert_eq!(
        on_choice("exp|e7"),
        Some(vec![Effect::LoadLedger(LedgerQuery::Expense {
            id: "e7".into(),
            intent: ExpenseIntent::ConfirmDelete
        })])
    );
    assert_eq!(on_choice("cat|wamid.1#1|food"), None);

    let mut gone = record("e1", 5_000, Some("transport"));
    gone.values.status = Status::Deleted;
    let response = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Expense {
                id: "e1".into(),
                intent: ExpenseIntent::Delete,
            },
            LedgerAnswer::Expenses(vec![gone]),
            turn,
        )
    });
    assert!(changes(&response).is_empty());
    assert!(texts(&response)[0].starts_with("Ese gasto ya no está"));
}

#[test]
fn delete_by_number_counts_from_the_newest() {
    let found = vec![
        record("e3", 3_000, Some("food")),
        record("e2", 2_000, Some("food")),
    ];
    let response = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Recent(RecentIntent::Delete(2)),
            LedgerAnswer::Expenses(found.clone()),
            turn,
        )
    });
    assert_eq!(changes(&response)[0].expense_id, "e2");
    let beyond = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Recent(RecentIntent::Delete(3)),
            LedgerAnswer::Expenses(found),
            turn,
        )
    });
    assert!(changes(&beyond).is_empty());
    assert!(texts(&beyond)[0].starts_with("No hay un gasto número 3"));
}

fn line(spent_on: NaiveDate, category: Option<(&str, &str)>, amount: Money) -> Line {
    Line {
        spent_on,
        description: "gasto".into(),
        merchant: None,
        category_id: category.map(|(id, _)| id.to_owned()),
        category: category.map(|(_, name)| name.to_owned()),
        amount,
    }
}

#[test]
fn summary_in_one_currency_lists_categories_budgets_and_link() {
    let period = Period::new(2026, 12).expect("period");
    let lines = vec![
        line(day(2026, 12, 1), Some(("food", "Comida")), clp(12_500)),
        line(
            day(2026, 12, 2),
            Some(("transport", "Transporte")),
            clp(5_000),
        ),
        line(day(2026, 12, 2), Some(("food", "Comida")), clp(3_500)),
        line(day(2026, 12, 3), None, clp(1_000)),
    ];
    let summary = MonthSummary {
        period,
        scope: Scope::Household,
        lines,
        budgets: vec![("food".into(), 20_000)],
        link: Some("https://example.test/reports/abc".into()),
        rates: crate::fx::Tables::new(),
    };
    let response = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Summary {
                period,
                scope: Scope::Household,
            },
            LedgerAnswer::Summary(Box::new(summary.clone())),
            turn,
        )
    });
    assert_eq!(
        texts(&response),
        vec![[
            "📊 Resumen de diciembre 2026 (hogar)",
            "*CLP 22.000*",
            "• Comida: CLP 16.000 de CLP 20.000 (80%)",
            "• Transporte: CLP 5.000",
            "• Sin categoría: CLP 1.000",
            "Gráficos y CSV: https://example.test/reports/abc (vence en 7 días)",
        ]
        .join("\n")]
    );

    let empty = MonthSummary {
        lines: vec![],
        link: None,
        scope: Scope::Mine,
        ..summary
    };
    let response = with_turn("en-US", |turn| {
        respond(
            LedgerQuery::Summary {
                period,
                scope: Scope::Mine,
            },
            LedgerAnswer::Summary(Box::new(empty)),
            turn,
        )
    });
    assert_eq!(
        texts(&response),
        vec!["📊 Your summary of December 2026\nNo expenses this month."]
    );
}

fn status(spent: i64, added: i64, announced: &[u32]) -> BudgetStatus {
    BudgetStatus {
        check: BudgetCheck {
            category_id: "food".into(),
            period: Period::new(2026, 12).expect("period"),
            added: vec![(today(), clp(added))],
            replaces: None,
        },
        budget_minor: 10_000,
        spent: vec![(day(2026, 12, 1), clp(spent))],
        announced: announced.to_vec(),
    }
}

fn budgets_answer(statuses: Vec<BudgetStatus>) -> LedgerAnswer {
    LedgerAnswer::Budgets {
        statuses,
        rates: crate::fx::Tables::new(),
    }
}

#[test]
fn budget_alerts_fire_once_when_a_threshold_is_reached() {
    // (spent before, added, announced, thresholds recorded, reply)
    type Case = (
        i64,
        i64,
        &'static [u32],
        &'static [u32],
        Option<&'static str>,
    );
    let cases: [Case; 9] = [
        (0, 7_999, &[], &[], None),
        (
            7_000,
            1_000,
            &[],
            &[80],
            Some("⚠️ Llevas CLP 8.000 de CLP 10.000 en Comida este mes (80%)."),
        ),
        (8_000, 500, &[80], &[], None),
        (
            9_000,
            1_000,
            &[80],
            &[100],
            Some("🚨 Llegaste al presupuesto de Comida: CLP 10.000 de CLP 10.000 este mes (100%)."),
        ),
        (
            1_000,
            12_000,
            &[],
            &[80, 100],
            Some("🚨 Llegaste al presupuesto de Comida: CLP 13.000 de CLP 10.000 este mes (130%)."),
        ),
        // Reached again after a delete: announced already this month.
        (7_500, 1_000, &[80], &[], None),
        (9_500, 1_000, &[80, 100], &[], None),
        // Above a threshold nobody was told about (the budget was set below
        // the spending, or an amount converted only later): told now, once.
        (
            10_500,
            1_000,
            &[],
            &[80, 100],
            Some("🚨 Llegaste al presupuesto de Comida: CLP 11.500 de CLP 10.000 este mes (115%)."),
        ),
        (
            8_500,
            200,
            &[],
            &[80],
            Some("⚠️ Llevas CLP 8.700 de CLP 10.000 en Comida este mes (87%)."),
        ),
    ];
    for (spent, added, announced, recorded, reply) in cases {
        let what = format!("{spent} + {added}, announced {announced:?}");
        let response = with_turn("es-CL", |turn| {
            respond(
                LedgerQuery::Budgets(vec![]),
                budgets_answer(vec![status(spent, added, announced)]),
                turn,
            )
        });
        let thresholds: Vec<u32> = alerts(&response).iter().map(|a| a.threshold).collect();
        assert_eq!(thresholds, recorded, "{what}");
        for alert in alerts(&response) {
            assert_eq!(alert.spent_minor, spent + added, "{what}");
            assert_eq!(alert.budget_minor, 10_000, "{what}");
        }
        assert_eq!(
            texts(&response),
            reply.map(str::to_owned).into_iter().collect::<Vec<_>>(),
            "{what}"
        );
    }
    let mut in_dollars = status(7_000, 1_000, &[]);
    for (_, money) in in_dollars
        .spent
        .iter_mut()
        .chain(&mut in_dollars.check.added)
    {
        money.currency = Currency::Usd;
    }
    let english = with_turn("en-US", |turn| {
        respond(
            LedgerQuery::Budgets(vec![]),
            budgets_answer(vec![in_dollars]),
            turn,
        )
    });
    assert_eq!(
        texts(&english),
        vec!["⚠️ You've spent USD 80.00 of USD 100.00 on Comida this month (80%)."]
    );
}

#[test]
fn budget_alert_of_another_month_names_it() {
    let mut november = status(7_000, 1_000, &[]);
    november.check.period = Period::new(2026, 11).expect("period");
    let response = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Budgets(vec![]),
            budgets_answer(vec![november]),
            turn,
        )
    });
    assert_eq!(
        texts(&response),
        vec!["⚠️ Llevas CLP 8.000 de CLP 10.000 en Comida en noviembre 2026 (80%)."]
    );
}

#[test]
fn budget_query_adds_every_currency_per_category_and_month() {
    let usd = Money::new(500, Currency::Usd);
    let query = budget_query([
        ("food", clp(1_000), day(2026, 12, 1)),
        ("food", clp(2_000), day(2026, 12, 3)),
        ("food", clp(4_000), day(2026, 11, 30)),
        ("transport", usd, day(2026, 12, 3)),
        ("transport", clp(300), day(2026, 12, 3)),
    ]);
    let december = Period::new(2026, 12).expect("period");
    let november = Period::new(2026, 11).expect("period");
    assert_eq!(
        query,
        Some(LedgerQuery::Budgets(vec![
            BudgetCheck {
                category_id: "food".into(),
                period: december,
                added: vec![
                    (day(2026, 12, 1), clp(1_000)),
                    (day(2026, 12, 3), clp(2_000))
                ],
                replaces: None,
            },
            BudgetCheck {
                category_id: "food".into(),
                period: november,
                added: vec![(day(2026, 11, 30), clp(4_000))],
                replaces: None,
            },
            BudgetCheck {
                category_id: "transport".into(),
                period: december,
                added: vec![(day(2026, 12, 3), usd), (day(2026, 12, 3), clp(300))],
                replaces: None,
            },
        ]))
    );
    assert_eq!(budget_query([]), None);
}

#[test]
fn oldest_pending_is_queued_as_a_category_question() {
    let response = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::OldestPending,
            LedgerAnswer::Expenses(vec![record("e1", 4_000, None)]),
            turn,
        )
    });
    let Some(Question::Category {
        source_id,
        options,
        asked,
        draft,
    }) = response.question
    else {
        panic!("a category question, found {:?}", response.question)
    };
    assert_eq!(source_id, "wamid.e1#1");
    assert_eq!(draft.amount, clp(4_000));
    assert_eq!(options.len(), categories().len());
    assert!(!asked, "asked at the end of the turn");
    assert!(response.effects.is_empty());

    let completed = with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::OldestPending,
            LedgerAnswer::Expenses(vec![record("e1", 4_000, Some("food"))]),
            turn,
        )
    });
    assert_eq!(completed.question, None);
}

#[test]
fn expense_rows_from_d1_are_read_or_skipped() {
    let row = |currency: &str, status: &str, spent_on: &str| ExpenseRow {
        id: "e1".into(),
        source_message_id: "wamid.e1#1".into(),
        amount_minor: 12_500.0,
        currency: currency.into(),
        spent_on: spent_on.into(),
        description: "almuerzo".into(),
        merchant: None,
        category_id: Some("food".into()),
        status: status.into(),
    };
    assert_eq!(
        row("CLP", "completed", "2026-12-04").into_record(),
        Some(record("e1", 12_500, Some("food")))
    );
    for (currency, status, spent_on) in [
        ("XXX", "completed", "2026-12-04"),
        ("CLP", "archived", "2026-12-04"),
        ("CLP", "completed", "04-12-2026"),
    ] {
        assert_eq!(
            row(currency, status, spent_on).into_record(),
            None,
            "{currency} {status} {spent_on}"
        );
    }
}

mod converted;
mod edits;
mod picks;
