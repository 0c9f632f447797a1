//! Measures the pure steps of one WhatsApp message, natively: signature
//! verification, payload normalisation, parsing, keyword classification, one
//! flow transition, and
//! the whole pure path from raw body to the effects of a completed expense.
//!
//! Run it with `cargo bench --bench pipeline`. It prints one line per step,
//! in messages per second and nanoseconds per message, and checks nothing:
//! the figures depend on the machine and on what else runs on it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use misgastos::categories;
use misgastos::classify::classify_by_keywords;
use misgastos::flow::{self, Classified, Effect, Input, State, Turn};
use misgastos::kapso::{self, Content, Delivery};
use misgastos::model::{split_keywords, Category, Customer, Language};
use misgastos::money::Currency;
use misgastos::parse::{parse_message, ParseContext};
use misgastos::signature;
use misgastos::webhook::{self, Delivered};

const SECRET: &[u8] = b"bench-webhook-secret";
/// A real-sized Kapso v2 text delivery (719 bytes).
const BODY: &str = include_str!("../tests/fixtures/kapso_text.json");
/// Unix seconds of 2026-03-14T12:00:00Z.
const NOW: i64 = 1_773_489_600;
/// Time spent measuring each step, after a warm-up of a tenth of it.
const BUDGET: Duration = Duration::from_secs(2);

/// Runs `step` repeatedly for [`BUDGET`] and prints its rate.
fn measure(name: &str, mut step: impl FnMut()) {
    let warm_up = Instant::now();
    while warm_up.elapsed() < BUDGET / 10 {
        step();
    }
    let started = Instant::now();
    let mut runs: u64 = 0;
    while started.elapsed() < BUDGET {
        // Batches of 64 keep the clock reads out of the figure.
        for _ in 0..64 {
            step();
        }
        runs += 64;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{name:<44} {:>12.0} messages/s {:>10.0} ns/message",
        runs as f64 / elapsed,
        elapsed * 1e9 / runs as f64
    );
}

fn customer() -> Customer {
    Customer {
        id: "bench-customer".into(),
        name: "Bench".into(),
        home_currency: Currency::Clp,
        locale: "es-CL".into(),
        time_zone: "America/Santiago".into(),
        confidence_threshold: 0.75,
    }
}

fn default_categories() -> Vec<Category> {
    categories::defaults(Language::Spanish)
        .iter()
        .enumerate()
        .map(|(index, category)| Category {
            id: format!("cat-{index}"),
            name: category.name.to_owned(),
            keywords: split_keywords(&categories::keywords_column(category)),
        })
        .collect()
}

/// Classifies the drafts of a transition's `Classify` effects with the
/// keyword classifier, as the runner does when the model gives no answer.
fn classify(effects: Vec<Effect>, categories: &[Category]) -> Vec<Classified> {
    effects
        .into_iter()
        .filter_map(|effect| match effect {
            Effect::Classify(drafts) => Some(drafts),
            _ => None,
        })
        .flatten()
        .map(|pending| Classified {
            classification: classify_by_keywords(
                &pending.draft.description,
                pending.draft.merchant.as_deref(),
                categories,
            ),
            pending,
        })
        .collect()
}

/// Accepts the signed body and runs its message through the flow until the
/// expense is saved; returns the number of effects, so nothing is skipped.
fn whole_path(signature: &str, turn: &Turn<'_>) -> usize {
    let delivered = Delivered {
        kapso_signature: Some(signature),
        event: Some("whatsapp.message.received"),
        body: BODY.as_bytes(),
        ..Default::default()
    };
    let Ok(deliveries) = webhook::accept(&[SECRET], &delivered) else {
        return 0;
    };
    let mut effects = 0;
    for delivery in deliveries {
        let Delivery::Message(message) = delivery else {
            continue;
        };
        let Content::Text(text) = message.content else {
            continue;
        };
        let first = flow::advance(State::default(), Input::Text(text), turn);
        let classified = classify(first.effects, turn.categories);
        let second = flow::advance(first.state, Input::Classified(classified), turn);
        effects += second.effects.len();
    }
    effects
}

fn main() {
    let customer = customer();
    let categories = default_categories();
    let today = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap_or_default();
    let turn = Turn {
        customer: &customer,
        categories: &categories,
        today,
        now: NOW,
        message_id: "wamid.bench",
    };
    let context = ParseContext {
        locale: "es-CL",
        home_currency: Currency::Clp,
        today,
    };
    let body = BODY.as_bytes();
    let good = signature::sign(SECRET, body);
    let secrets: [&[u8]; 2] = [b"the-current-secret", SECRET];

    // The figures are only worth printing when each step does its job.
    let completes = whole_path(&good, &turn) > 0;
    let saves = {
        let first = flow::advance(
            State::default(),
            Input::Text("almuerzo 12500".into()),
            &turn,
        );
        let second = flow::advance(
            first.state,
            Input::Classified(classify(first.effects, &categories)),
            &turn,
        );
        second
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::SaveExpense(_)))
    };
    if !completes || !saves {
        eprintln!("the benchmark message did not become a completed expense");
        std::process::exit(1);
    }

    println!(
        "one Kapso v2 text delivery of {} bytes, `almuerzo 12500`, customer es-CL/CLP",
        body.len()
    );
    measure("signature: verify, one secret", || {
        let result = signature::verify(&[SECRET], [Some(black_box(&good)), None], body);
        black_box(result.is_ok());
    });
    measure("signature: verify, rotation (second secret)", || {
        let result = signature::verify(&secrets, [Some(black_box(&good)), None], body);
        black_box(result.is_ok());
    });
    measure("normalise: Kapso v2 payload", || {
        black_box(
            kapso::normalise(black_box(body), None)
                .map(|d| d.len())
                .ok(),
        );
    });
    measure("parse: `almuerzo 12500`", || {
        black_box(parse_message(black_box("almuerzo 12500"), &context).len());
    });
    measure("parse: `gasté 1.234,56 euros en farmacia ayer`", || {
        let text = black_box("gasté 1.234,56 euros en farmacia ayer");
        black_box(parse_message(text, &context).len());
    });
    measure("transition: text to classify request", || {
        let input = Input::Text(black_box("almuerzo 12500").to_owned());
        black_box(flow::advance(State::default(), input, &turn).effects.len());
    });
    measure("classify: keywords, `almuerzo`", || {
        let description = black_box("almuerzo");
        black_box(classify_by_keywords(description, None, &categories).confidence);
    });
    let first = flow::advance(
        State::default(),
        Input::Text("almuerzo 12500".into()),
        &turn,
    );
    let classified = classify(first.effects.clone(), &categories);
    measure("transition: classified to completed expense", || {
        let input = Input::Classified(black_box(classified.clone()));
        black_box(
            flow::advance(first.state.clone(), input, &turn)
                .effects
                .len(),
        );
    });
    measure("whole pure path: body to completed expense", || {
        black_box(whole_path(black_box(&good), &turn));
    });
}
