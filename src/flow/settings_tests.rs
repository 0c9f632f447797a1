//! Chat commands for categories and rules, and receipt photos.

use chrono::NaiveDate;

use super::*;
use crate::ai::ReceiptReading;
use crate::model::Customer;
use crate::money::{Currency, Money};

const NOW: i64 = 1_796_371_200;

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
    let make = |id: &str, name: &str| Category {
        id: id.into(),
        name: name.into(),
        keywords: vec![],
    };
    vec![
        make("food", "Comida a domicilio"),
        make("transport", "Transporte"),
        make("education", "Educación"),
        make("other", "Otros"),
    ]
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default()
}

fn run(state: State, input: Input, locale: &str, categories: &[Category]) -> Transition {
    let customer = customer(locale);
    let turn = Turn {
        customer: &customer,
        categories,
        today: today(),
        now: NOW,
        message_id: "wamid.1",
    };
    advance(state, input, &turn)
}

fn step(input: Input) -> Transition {
    run(State::default(), input, "es-CL", &categories())
}

fn text(typed: &str) -> Input {
    Input::Text(typed.into())
}

fn replies(transition: &Transition) -> Vec<String> {
    transition
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Reply(outbound) => Some(outbound.text().to_owned()),
            _ => None,
        })
        .collect()
}

fn rules() -> Vec<MerchantRule> {
    vec![
        MerchantRule {
            merchant: "uber".into(),
            category_id: "transport".into(),
        },
        MerchantRule {
            merchant: "santa isabel".into(),
            category_id: "food".into(),
        },
    ]
}

#[test]
fn rules_command_loads_then_lists_rules() {
    for typed in ["reglas", "Mis reglas", "rules", "list rules"] {
        let first = step(text(typed));
        assert_eq!(
            first.effects,
            vec![Effect::LoadRules(RulesQuery::List)],
            "{typed}"
        );
    }
    let listed = step(Input::Rules {
        query: RulesQuery::List,
        rules: rules(),
    });
    let reply = replies(&listed).join("\n");
    assert!(reply.contains("• uber → Transporte"), "{reply}");
    assert!(
        reply.contains("• santa isabel → Comida a domicilio"),
        "{reply}"
    );
    assert!(reply.contains("borrar regla"), "{reply}");
}

#[test]
fn no_rules_says_how_rules_are_made() {
    let listed = step(Input::Rules {
        query: RulesQuery::List,
        rules: vec![],
    });
    assert!(replies(&listed)[0].starts_with("Aún no tengo reglas"));
}

#[test]
fn delete_rule_removes_the_typed_merchant() {
    let cases = [
        ("borrar regla uber", "uber"),
        ("Eliminar regla Santa Isabel", "Santa Isabel"),
        ("delete rule UBER", "UBER"),
    ];
    for (typed, merchant) in cases {
        let first = step(text(typed));
        assert_eq!(
            first.effects,
            vec![Effect::LoadRules(RulesQuery::Delete(merchant.into()))],
            "{typed}"
        );
    }
    let deleted = step(Input::Rules {
        query: RulesQuery::Delete("Santa Isabel".into()),
        rules: rules(),
    });
    assert!(deleted.effects.contains(&Effect::DeleteRule {
        merchant: "santa isabel".into()
    }));
    assert!(replies(&deleted)[0].contains("borré la regla de santa isabel"));
}

#[test]
fn deleting_a_missing_rule_deletes_nothing() {
    let result = step(Input::Rules {
        query: RulesQuery::Delete("rappi".into()),
        rules: rules(),
    });
    let deletes = result
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::DeleteRule { .. }))
        .count();
    assert_eq!(deletes, 0);
    assert_eq!(
        replies(&result),
        vec!["No tengo una regla para rappi. Escribe *reglas* para verlas."]
    );
}

#[test]
fn add_category_inserts_a_clean_name() {
    let cases = [
        ("agregar categoría Mascotas", "Mascotas", "mascotas"),
        (
            "Agregar Categoria   cuidado   personal.",
            "Cuidado personal",
            "cuidado personal",
        ),
        ("nueva categoría \"Regalos\"", "Regalos", "regalos"),
        ("add category Pets", "Pets", "pets"),
    ];
    for (typed, name, keywords) in cases {
        let result = step(text(typed));
        assert!(
            result.effects.contains(&Effect::AddCategory {
                name: name.into(),
                keywords: keywords.into()
            }),
            "{typed}: {:?}",
            result.effects
        );
    }
    let english = run(
        State::default(),
        text("add category Pets"),
        "en-US",
        &categories(),
    );
    assert_eq!(replies(&english), vec!["✅ Added the category Pets."]);
}

#[test]
fn add_category_rejects_bad_or_taken_names() {
    let cases = [
        (
            "agregar categoría educacion",
            "Ya tienes una categoría Educación.",
        ),
        ("agregar categoría OTROS", "Ya tienes una categoría Otros."),
        (
            "agregar categoría 123",
            "El nombre de la categoría debe tener letras",
        ),
        (
            "agregar categoría una categoría con un nombre larguísimo",
            "El nombre de la categoría debe tener letras",
        ),
        (
            "agregar categoría a|b",
            "El nombre de la categoría debe tener letras",
        ),
    ];
    for (typed, expected) in cases {
        let result = step(text(typed));
        let adds = result
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::AddCategory { .. }))
            .count();
        assert_eq!(adds, 0, "{typed}");
        assert!(
            replies(&result)[0].starts_with(expected),
            "{typed}: {:?}",
            replies(&result)
        );
    }
}

#[test]
fn add_category_stops_at_the_maximum() {
    let many: Vec<Category> = (0..MAX_CATEGORIES)
        .map(|i| Category {
            id: format!("c{i}"),
            name: format!("Categoría {i}"),
            keywords: vec![],
        })
        .collect();
    let result = run(
        State::default(),
        text("agregar categoría Mascotas"),
        "es-CL",
        &many,
    );
    assert!(!result
        .effects
        .iter()
        .any(|e| matches!(e, Effect::AddCategory { .. })));
    assert!(replies(&result)[0].starts_with("Ya tienes 20 categorías"));
}

#[test]
fn rename_splits_where_the_old_name_exists() {
    let cases = [
        ("renombrar categoría Otros a Varios", "other", "Varios"),
        (
            "renombrar categoria comida a domicilio a Delivery",
            "food",
            "Delivery",
        ),
        (
            "rename category Transporte to Movilidad",
            "transport",
            "Movilidad",
        ),
        (
            "renombrar categoría educación a Educación",
            "education",
            "Educación",
        ),
    ];
    for (typed, category_id, name) in cases {
        let result = step(text(typed));
        assert!(
            result.effects.contains(&Effect::RenameCategory {
                category_id: category_id.into(),
                name: name.into()
            }),
            "{typed}: {:?}",
            result.effects
        );
    }
    let result = step(text("renombrar categoría Otros a Varios"));
    assert_eq!(
        replies(&result),
        vec!["✅ La categoría Otros ahora se llama Varios."]
    );
}

#[test]
fn rename_rejects_unknown_or_taken_names() {
    let cases = [
        (
            "renombrar categoría Mascotas a Animales",
            "No encontré esa categoría",
        ),
        ("renombrar categoría Otros", "No encontré esa categoría"),
        (
            "renombrar categoría Otros a Transporte",
            "Ya tienes una categoría Transporte.",
        ),
        (
            "renombrar categoría Otros a 42",
            "El nombre de la categoría debe tener letras",
        ),
    ];
    for (typed, expected) in cases {
        let result = step(text(typed));
        assert!(
            !result
                .effects
                .iter()
                .any(|e| matches!(e, Effect::RenameCategory { .. })),
            "{typed}"
        );
        assert!(
            replies(&result)[0].starts_with(expected),
            "{typed}: {:?}",
            replies(&result)
        );
    }
}

#[test]
fn commands_keep_the_open_question() {
    let draft = Draft {
        amount: Money::new(5_000, Currency::Clp),
        spent_on: today(),
        description: "xyz".into(),
        merchant: None,
    };
    let state = State {
        questions: vec![Question::Category {
            source_id: "wamid.0#1".into(),
            draft,
            options: vec!["food".into()],
            asked: true,
        }],
        updated_at: NOW - 60,
    };
    let result = run(state, text("reglas"), "es-CL", &categories());
    assert_eq!(result.state.questions.len(), 1);
    assert_eq!(result.effects, vec![Effect::LoadRules(RulesQuery::List)]);
}

fn receipt(amount: Option<i64>, merchant: Option<&str>, day: Option<NaiveDate>) -> Input {
    Input::Receipt {
        reading: Some(ReceiptReading {
            amount: amount.map(|minor| Money::new(minor, Currency::Clp)),
            merchant: merchant.map(str::to_owned),
            spent_on: day,
        }),
        caption: None,
    }
}

#[test]
fn readable_receipt_is_classified() {
    let yesterday = today().pred_opt();
    let result = step(receipt(Some(12_990), Some("jumbo"), yesterday));
    assert_eq!(
        result.effects,
        vec![Effect::Classify(vec![Pending {
            source_id: "wamid.1#1".into(),
            draft: Draft {
                amount: Money::new(12_990, Currency::Clp),
                spent_on: yesterday.unwrap_or_default(),
                description: "jumbo".into(),
                merchant: Some("jumbo".into()),
            },
        }])]
    );
}

#[test]
fn receipt_caption_becomes_the_description() {
    let result = step(Input::Receipt {
        reading: Some(ReceiptReading {
            amount: Some(Money::new(8_000, Currency::Clp)),
            merchant: None,
            spent_on: None,
        }),
        caption: Some(" boleta farmacia ".into()),
    });
    let Some(Effect::Classify(pending)) = result.effects.first() else {
        panic!("expected a classify effect, found {:?}", result.effects);
    };
    assert_eq!(pending[0].draft.description, "boleta farmacia");
    assert_eq!(pending[0].draft.spent_on, today());
}

#[test]
fn unreadable_photo_asks_for_the_amount() {
    for input in [
        Input::Receipt {
            reading: None,
            caption: None,
        },
        receipt(None, Some("jumbo"), None),
    ] {
        let result = step(input.clone());
        let texts = replies(&result);
        assert_eq!(
            texts[0], "📷 No pude leer el monto en la foto.",
            "{input:?}"
        );
        assert!(texts[1].starts_with("¿Cuánto fue"), "{input:?}: {texts:?}");
        assert!(
            matches!(result.state.questions.as_slice(), [Question::Amount { .. }]),
            "{input:?}"
        );
    }
    let result = step(Input::Receipt {
        reading: None,
        caption: None,
    });
    assert!(replies(&result)[1].contains("la boleta de la foto"));
}

#[test]
fn receipt_above_the_maximum_asks_for_the_amount() {
    let result = step(receipt(Some(100_000_000_001), Some("jumbo"), None));
    let texts = replies(&result);
    assert!(
        texts[0].starts_with("CLP 100.000.000.001 es más de lo que puedo anotar"),
        "{texts:?}"
    );
    assert!(texts[1].starts_with("¿Cuánto fue"), "{texts:?}");
    assert!(matches!(
        result.state.questions.as_slice(),
        [Question::Amount { .. }]
    ));
    assert!(!result
        .effects
        .iter()
        .any(|effect| matches!(effect, Effect::Classify(_))));
}

#[test]
fn receipt_dated_in_the_future_asks_about_the_date() {
    let result = step(receipt(Some(5_000), None, today().succ_opt()));
    assert!(matches!(
        result.state.questions.as_slice(),
        [Question::UnusualDate { .. }]
    ));
}
