//! The month summary's reply.
//!
//! In one currency it lists the total and each category, with its budget.
//! With amounts in other currencies it lists the grand total in the home
//! currency and each category's converted total (which budgets apply to),
//! then the totals per currency as recorded, which currencies were
//! converted, and the amounts that could not be.

use super::budgets::percent;
use super::ledger::{category_name, language};
use super::texts;
use super::MonthSummary;
use crate::flow::Turn;
use crate::money::Money;
use crate::reply;
use crate::report;

/// The text of a month summary.
pub(super) fn summary_text(summary: &MonthSummary, turn: &Turn<'_>) -> String {
    let language = language(turn);
    let locale = &turn.customer.locale;
    let home = turn.customer.home_currency;
    let by_currency = report::totals(&summary.lines, home);
    let mut lines = vec![reply::summary_heading(
        language,
        &report::month_name(language, summary.period),
        summary.scope,
    )];
    if by_currency.is_empty() {
        lines.push(reply::summary_empty(language).to_owned());
    } else if by_currency.iter().all(|total| total.currency == home) {
        for total in &by_currency {
            lines.push(format!("*{}*", reply::amount(total.total(), locale)));
            for (category, amount) in &total.by_category {
                lines.push(category_line(summary, turn, category.as_deref(), *amount));
            }
        }
    } else {
        let totals = report::home_totals(&summary.lines, home, &summary.rates);
        lines.push(texts::total_line(&reply::amount(
            totals.total.total(),
            locale,
        )));
        for category in totals.categories() {
            let category = category.as_deref();
            let mut line = category_line(summary, turn, category, totals.category_total(category));
            let left_out = totals.not_converted_in(category);
            if !left_out.is_empty() {
                let amounts: Vec<String> = left_out
                    .iter()
                    .map(|money| reply::amount(*money, locale))
                    .collect();
                line.push_str(&texts::not_converted_suffix(language, &amounts));
            }
            lines.push(line);
        }
        let amounts: Vec<String> = by_currency
            .iter()
            .map(|total| reply::amount(total.total(), locale))
            .collect();
        lines.push(texts::by_currency(language, &amounts));
        if !totals.converted.is_empty() {
            let codes: Vec<&str> = totals.converted.iter().map(|c| c.code()).collect();
            lines.push(texts::converted_note(language, &codes, home.code()));
        }
        let left_out = totals.not_converted_by_date();
        if !left_out.is_empty() {
            let amounts: Vec<String> = left_out
                .iter()
                .map(|(day, money)| texts::dated(language, *money, *day, turn.today, locale))
                .collect();
            lines.push(texts::left_out_note(language, &amounts));
        }
    }
    if let Some(link) = &summary.link {
        lines.push(reply::summary_link(language, link, report::LINK_TTL_DAYS));
    }
    lines.join("\n")
}

/// `• Comida: CLP 16.000 de CLP 20.000 (80%)`: a category's total in the
/// home currency, with its budget when it has one.
fn category_line(
    summary: &MonthSummary,
    turn: &Turn<'_>,
    category: Option<&str>,
    amount: Money,
) -> String {
    let language = language(turn);
    let locale = &turn.customer.locale;
    let name = category
        .map(|id| category_name(turn, Some(id)))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| reply::no_category(language).to_owned());
    let budget = summary
        .budgets
        .iter()
        .find(|(id, _)| Some(id.as_str()) == category)
        .filter(|_| amount.currency == turn.customer.home_currency)
        .map(|(_, budget)| {
            let limit = Money::new(*budget, amount.currency);
            (reply::amount(limit, locale), percent(amount.minor, *budget))
        });
    reply::summary_line(language, &name, &reply::amount(amount, locale), budget)
}
