//! Budget checks: which categories a message adds to, and the alerts sent
//! once a month's spending in a category reaches 80% and 100% of its
//! budget.
//!
//! A budget is in minor units of the home currency. Every completed expense
//! of the category counts, an amount in another currency converted at the
//! rate of its own date. An amount whose rate cannot be had counts toward
//! no budget: the reply says it was not counted, and the alert is decided
//! on the amounts that could be converted. An alert is sent when the
//! spending is at or above a threshold that was not announced yet for that
//! month and budget, and each is recorded in `budget_alerts`, so it goes out
//! once. A threshold reached only through an amount that was converted later
//! is therefore announced on the next check of that category.

use chrono::NaiveDate;

use super::ledger::{category_name, language, text, Response};
use super::texts;
use super::{
    BudgetAlert, BudgetCheck, BudgetStatus, LedgerQuery, Period, Status, Values, BUDGET_THRESHOLDS,
};
use crate::flow::{Effect, FlowEvent, Turn};
use crate::fx::{self, Converted, Tables};
use crate::money::Money;
use crate::reply;
use crate::report;

/// The budget query for expenses that were just completed, as `(category
/// id, amount, date)`, one check per category and month. Amounts in every
/// currency count; they are converted once the rates are loaded.
pub fn budget_query<'a>(
    completed: impl IntoIterator<Item = (&'a str, Money, NaiveDate)>,
) -> Option<LedgerQuery> {
    let mut checks: Vec<BudgetCheck> = Vec::new();
    for (category_id, amount, spent_on) in completed {
        let period = Period::of(spent_on);
        match checks
            .iter_mut()
            .find(|check| check.category_id == category_id && check.period == period)
        {
            Some(check) => check.added.push((spent_on, amount)),
            None => checks.push(BudgetCheck {
                category_id: category_id.to_owned(),
                period,
                added: vec![(spent_on, amount)],
                replaces: None,
            }),
        }
    }
    (!checks.is_empty()).then_some(LedgerQuery::Budgets(checks))
}

/// The budget query after a change gives expense `expense_id` the values
/// `after`: a check of its category's month when it counts toward a budget
/// (completed, with a category), `None` otherwise.
pub(super) fn recheck(expense_id: &str, after: &Values) -> Option<LedgerQuery> {
    if after.status != Status::Completed {
        return None;
    }
    let category_id = after.category_id.clone()?;
    Some(LedgerQuery::Budgets(vec![BudgetCheck {
        category_id,
        period: Period::of(after.spent_on),
        added: vec![(after.spent_on, after.amount)],
        replaces: Some(expense_id.to_owned()),
    }]))
}

/// `part` as a whole percentage of `whole`, rounded down.
pub(super) fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    part.saturating_mul(100) / whole
}

/// The alert of one category, if a threshold is reached, and the note about
/// new amounts that could not be converted.
pub(super) fn alerts(
    response: &mut Response,
    status: &BudgetStatus,
    rates: &Tables,
    turn: &Turn<'_>,
) {
    let budget = status.budget_minor;
    if budget <= 0 {
        return;
    }
    let home = turn.customer.home_currency;
    let spent_items = fx::convert_all(status.spent.iter().copied(), home, rates);
    let added_items = fx::convert_all(status.check.added.iter().copied(), home, rates);
    let spent = fx::home_total(&spent_items, home);
    let added = fx::home_total(&added_items, home);
    let after = spent.total.minor.saturating_add(added.total.minor);
    // Comparing `spent * 100` with `threshold * budget` avoids rounding.
    let reached: Vec<u32> = BUDGET_THRESHOLDS
        .into_iter()
        .filter(|threshold| {
            let line = i64::from(*threshold).saturating_mul(budget);
            after.saturating_mul(100) >= line
        })
        .filter(|threshold| !status.announced.contains(threshold))
        .collect();
    let language = language(turn);
    let locale = &turn.customer.locale;
    let name = category_name(turn, Some(&status.check.category_id));
    if let Some(&highest) = reached.last() {
        for threshold in &reached {
            response
                .effects
                .push(Effect::RecordBudgetAlert(BudgetAlert {
                    category_id: status.check.category_id.clone(),
                    period: status.check.period,
                    threshold: *threshold,
                    budget_minor: budget,
                    spent_minor: after,
                }));
        }
        response
            .effects
            .push(Effect::Log(FlowEvent::BudgetAlerted { threshold: highest }));
        let period = status.check.period;
        let month =
            (period != Period::of(turn.today)).then(|| report::month_name(language, period));
        let mut alert = reply::budget_alert(
            language,
            &name,
            &reply::amount(Money::new(after, home), locale),
            &reply::amount(Money::new(budget, home), locale),
            percent(after, budget),
            highest >= 100,
            month.as_deref(),
        );
        alert.push_str(&conversion_notes(&spent_items, &added_items, turn));
        response.effects.push(text(alert));
    }
    if !added.not_converted.is_empty() {
        let amounts: Vec<String> = added
            .not_converted
            .iter()
            .map(|item| texts::dated(language, item.original, item.spent_on, turn.today, locale))
            .collect();
        response
            .effects
            .push(text(texts::not_counted(language, &amounts, &name)));
    }
}

/// What an alert adds about conversions: the currencies converted into its
/// spending, and the month's earlier amounts left out of it. New amounts
/// left out get their own reply.
fn conversion_notes(spent: &[Converted], added: &[Converted], turn: &Turn<'_>) -> String {
    let language = language(turn);
    let home = turn.customer.home_currency;
    let mut notes = String::new();
    let mut codes: Vec<&str> = spent
        .iter()
        .chain(added)
        .filter(|item| item.home.is_ok() && item.original.currency != home)
        .map(|item| item.original.currency.code())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if !codes.is_empty() {
        notes.push_str(&texts::alert_converted(language, &codes));
    }
    let left_out: Vec<String> = spent
        .iter()
        .filter(|item| item.home.is_err())
        .map(|item| {
            let locale = &turn.customer.locale;
            texts::dated(language, item.original, item.spent_on, turn.today, locale)
        })
        .collect();
    if !left_out.is_empty() {
        notes.push_str(&texts::alert_left_out(language, &left_out));
    }
    notes
}
