//! Summaries and budgets with amounts in several currencies, converted at
//! the rate of each amount's date.

use super::*;
use crate::fx::{Rate, RateTable, Tables};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::Usd)
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::Eur)
}

/// Tables against CLP, with round rates so every value can be checked by
/// hand: 1 USD = 1000 CLP on 1 December; 1 USD = 1250 CLP and 1 EUR = 1250
/// CLP on 3 December; nothing for any other date.
fn clp_rates() -> Tables {
    let table = |date: NaiveDate, rates: &[(Currency, &str)]| RateTable {
        date,
        base: Currency::Clp,
        rates: rates
            .iter()
            .map(|(currency, rate)| (*currency, Rate::parse(rate).expect("rate")))
            .collect(),
    };
    Tables::from([
        (
            day(2026, 12, 1),
            table(day(2026, 12, 1), &[(Currency::Usd, "0.001")]),
        ),
        (
            day(2026, 12, 3),
            table(
                day(2026, 12, 3),
                &[(Currency::Usd, "0.0008"), (Currency::Eur, "0.0008")],
            ),
        ),
    ])
}

fn summary_of(lines: Vec<Line>, rates: Tables, budgets: Vec<(String, i64)>) -> MonthSummary {
    MonthSummary {
        period: Period::new(2026, 12).expect("period"),
        scope: Scope::Household,
        lines,
        budgets,
        link: None,
        rates,
    }
}

/// The summary's reply to a customer with `locale` and `home` currency.
fn summary_in(locale: &str, home: Currency, summary: MonthSummary) -> String {
    let query = LedgerQuery::Summary {
        period: summary.period,
        scope: summary.scope,
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
    let response = respond(query, LedgerAnswer::Summary(Box::new(summary)), &turn);
    texts(&response).join("\n")
}

fn summary_reply(locale: &str, summary: MonthSummary) -> String {
    with_turn(locale, |turn| {
        summary_in(locale, turn.customer.home_currency, summary)
    })
}

fn mixed_lines() -> Vec<Line> {
    vec![
        line(day(2026, 12, 1), Some(("food", "Comida")), clp(12_500)),
        line(
            day(2026, 12, 1),
            Some(("transport", "Transporte")),
            usd(840),
        ),
        // 0.03 USD at 1250 CLP is 37.5 CLP: the tie rounds to the even 38.
        line(day(2026, 12, 3), Some(("transport", "Transporte")), usd(3)),
        line(day(2026, 12, 3), Some(("food", "Comida")), eur(1_000)),
        // No table for 5 December: left out and named.
        line(day(2026, 12, 5), Some(("food", "Comida")), usd(500)),
        line(day(2026, 12, 2), None, clp(1_000)),
    ]
}

#[test]
fn summary_adds_every_currency_in_the_home_one() {
    let summary = summary_of(mixed_lines(), clp_rates(), vec![("food".into(), 30_000)]);
    assert_eq!(
        summary_reply("es-CL", summary.clone()),
        [
            "📊 Resumen de diciembre 2026 (hogar)",
            "*Total: CLP 34.438*",
            "• Comida: CLP 25.000 de CLP 30.000 (83%) + USD 5,00 sin convertir",
            "• Transporte: CLP 8.438",
            "• Sin categoría: CLP 1.000",
            "Por moneda: CLP 13.500 · EUR 10,00 · USD 13,43",
            "Convertí EUR y USD a CLP al tipo de cambio de la fecha de cada gasto.",
            "⚠️ El total no incluye estos montos, sin tipo de cambio: USD 5,00 (05-12-2026).",
        ]
        .join("\n")
    );
    let english = summary_in("en-US", Currency::Clp, summary);
    assert!(english.contains("*Total: CLP 34,438*"), "{english}");
    assert!(english.contains("• Comida: CLP 25,000 of CLP 30,000 (83%) + USD 5.00 not converted"));
    assert!(english
        .contains("EUR and USD converted to CLP at the exchange rate of each expense's date."));
    assert!(english.contains(
        "⚠️ The total leaves out these amounts, which have no exchange rate: USD 5.00 (12/05/2026)."
    ));
}

#[test]
fn summary_without_any_rate_converts_nothing_and_says_so() {
    let lines = vec![
        line(day(2026, 12, 1), Some(("food", "Comida")), clp(2_000)),
        line(
            day(2026, 12, 4),
            Some(("transport", "Transporte")),
            usd(840),
        ),
        line(
            day(2026, 12, 4),
            Some(("transport", "Transporte")),
            usd(160),
        ),
    ];
    assert_eq!(
        summary_reply("es-CL", summary_of(lines, Tables::new(), vec![])),
        [
            "📊 Resumen de diciembre 2026 (hogar)",
            "*Total: CLP 2.000*",
            "• Comida: CLP 2.000",
            "• Transporte: CLP 0 + USD 10,00 sin convertir",
            "Por moneda: CLP 2.000 · USD 10,00",
            "⚠️ El total no incluye estos montos, sin tipo de cambio: USD 10,00 (hoy).",
        ]
        .join("\n")
    );
}

#[test]
fn summary_rounds_each_amount_to_the_home_exponent() {
    // A USD customer with expenses in CLP: 1 USD = 1000 CLP, so CLP 12.345
    // is 1234.5 cents (the tie goes to the even 1234) and CLP 12.355 is
    // 1235.5 cents (to 1236).
    let table = RateTable {
        date: today(),
        base: Currency::Usd,
        rates: vec![(Currency::Clp, Rate::parse("1000").expect("rate"))],
    };
    let rates = Tables::from([(today(), table)]);
    let lines = vec![
        line(today(), Some(("food", "Comida")), clp(12_345)),
        line(today(), Some(("food", "Comida")), clp(12_355)),
        line(today(), Some(("fun", "Entretenimiento")), usd(1_000)),
    ];
    let reply = summary_reply("en-US", summary_of(lines, rates, vec![]));
    assert!(reply.contains("*Total: USD 34.70*"), "{reply}");
    assert!(reply.contains("• Comida: USD 24.70"), "{reply}");
    assert!(reply.contains("• Entretenimiento: USD 10.00"), "{reply}");
    assert!(
        reply.contains("By currency: USD 10.00 · CLP 24,700"),
        "{reply}"
    );
    assert!(reply.contains("CLP converted to USD"), "{reply}");
}

fn budget_status(spent: Vec<(NaiveDate, Money)>, added: Vec<(NaiveDate, Money)>) -> BudgetStatus {
    BudgetStatus {
        check: BudgetCheck {
            category_id: "food".into(),
            period: Period::new(2026, 12).expect("period"),
            added,
            replaces: None,
        },
        budget_minor: 10_000,
        spent,
        announced: vec![],
    }
}

fn budget_response(status: BudgetStatus, rates: Tables) -> Response {
    with_turn("es-CL", |turn| {
        respond(
            LedgerQuery::Budgets(vec![]),
            LedgerAnswer::Budgets {
                statuses: vec![status],
                rates,
            },
            turn,
        )
    })
}

#[test]
fn budget_counts_other_currencies_at_their_date() {
    // (what, spent, added, thresholds recorded, replies)
    type Case = (
        &'static str,
        Vec<(NaiveDate, Money)>,
        Vec<(NaiveDate, Money)>,
        &'static [u32],
        &'static [&'static str],
    );
    let cases: Vec<Case> = vec![
        (
            "a USD expense crosses 80% of a CLP budget",
            vec![(day(2026, 12, 1), clp(7_000))],
            vec![(day(2026, 12, 3), usd(100))],
            &[80],
            &["⚠️ Llevas CLP 8.250 de CLP 10.000 en Comida este mes (82%). Incluye USD convertido al tipo de cambio de la fecha de cada gasto."],
        ),
        (
            "earlier USD and a new EUR amount reach 100%",
            vec![(day(2026, 12, 1), usd(840)), (day(2026, 12, 1), clp(600))],
            vec![(day(2026, 12, 3), eur(100))],
            &[80, 100],
            &["🚨 Llegaste al presupuesto de Comida: CLP 10.250 de CLP 10.000 este mes (102%). Incluye EUR y USD convertidos al tipo de cambio de la fecha de cada gasto."],
        ),
        (
            "a new amount without a rate counts for nothing and is named",
            vec![(day(2026, 12, 1), clp(7_000))],
            vec![(day(2026, 12, 5), usd(500))],
            &[],
            &["⚠️ No conseguí el tipo de cambio de USD 5,00 (05-12-2026), así que aún no cuenta para el presupuesto de Comida."],
        ),
        (
            "an earlier amount without a rate is left out of the alert",
            vec![(day(2026, 12, 1), clp(7_500)), (day(2026, 12, 5), usd(500))],
            vec![(day(2026, 12, 2), clp(1_000))],
            &[80],
            &["⚠️ Llevas CLP 8.500 de CLP 10.000 en Comida este mes (85%). No cuenta USD 5,00 (05-12-2026), sin tipo de cambio."],
        ),
        (
            "home amounts need no rate",
            vec![(day(2026, 12, 9), clp(7_000))],
            vec![(day(2026, 12, 9), clp(1_000))],
            &[80],
            &["⚠️ Llevas CLP 8.000 de CLP 10.000 en Comida este mes (80%)."],
        ),
    ];
    for (what, spent, added, recorded, replies) in cases {
        let response = budget_response(budget_status(spent, added), clp_rates());
        let thresholds: Vec<u32> = alerts(&response).iter().map(|a| a.threshold).collect();
        assert_eq!(thresholds, recorded, "{what}");
        assert_eq!(texts(&response), replies, "{what}");
    }
}

#[test]
fn budget_alert_records_the_converted_spending() {
    let status = budget_status(
        vec![(day(2026, 12, 1), clp(7_000))],
        vec![(day(2026, 12, 3), usd(100))],
    );
    let response = budget_response(status, clp_rates());
    let recorded = alerts(&response);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].spent_minor, 8_250);
    assert_eq!(recorded[0].budget_minor, 10_000);
}
