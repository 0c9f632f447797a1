//! What a command does once its D1 read is answered: the writes, the reply
//! and the questions it opens or closes.

use super::budgets::{self, recheck};
use super::summary::summary_text;
use super::{
    ChangeKind, Command, Edit, ExpenseChange, ExpenseIntent, ExpenseRecord, LastIntent,
    LedgerAnswer, LedgerQuery, PastChange, Problem, RecentIntent, Recognised, Status, UndoTarget,
    Values,
};
use crate::flow::{Draft, Effect, FlowEvent, Question, Turn};
use crate::kapso::client::{truncate, Outbound, MAX_ROW_TITLE};
use crate::model::Language;
use crate::money::Money;
use crate::reply;

/// Choice id prefix of a recent-list row: `exp|<expense id>`.
const ROW_PREFIX: &str = "exp|";
/// Choice id prefix of the button that confirms a delete.
const DELETE_PREFIX: &str = "del|";
/// Choice id prefix of the button that keeps the expense.
const KEEP_PREFIX: &str = "keep|";

/// What the flow applies after [`respond`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    pub effects: Vec<Effect>,
    /// Source ids of expenses whose open questions are now moot (the expense
    /// was deleted or got a category).
    pub closed: Vec<String>,
    /// A question to queue: a pending expense asked again.
    pub question: Option<Question>,
}

/// The first effects of a recognised command: a D1 read, or a reply when
/// the command needs none.
pub fn start(recognised: Recognised, turn: &Turn<'_>) -> Vec<Effect> {
    let language = language(turn);
    let command = match recognised {
        Recognised::Command(command) => command,
        Recognised::Invalid(problem) => return vec![text(problem_text(language, &problem))],
    };
    if let Some(amount) = amount_above_maximum(&command, turn) {
        let locale = &turn.customer.locale;
        return vec![text(reply::amount_too_large(language, amount, locale))];
    }
    let query = match command {
        Command::Undo => LedgerQuery::UndoTarget,
        Command::DeleteLast => LedgerQuery::Last(LastIntent::Delete),
        Command::DeleteNumber(number) => LedgerQuery::Recent(RecentIntent::Delete(number)),
        Command::Recent => LedgerQuery::Recent(RecentIntent::List),
        Command::Edit(edit) => LedgerQuery::Last(LastIntent::Edit(edit)),
        Command::Summary { period, scope } => LedgerQuery::Summary { period, scope },
        Command::Budget { category_id, minor } => {
            let name = category_name(turn, Some(&category_id));
            let budget = minor.map(|minor| {
                reply::amount(
                    Money::new(minor, turn.customer.home_currency),
                    &turn.customer.locale,
                )
            });
            return vec![
                Effect::SetBudget {
                    category_id,
                    budget_minor: minor,
                },
                Effect::Log(FlowEvent::LedgerChanged {
                    change: "budget_set",
                }),
                text(reply::budget_set(language, &name, budget.as_deref())),
            ];
        }
    };
    vec![Effect::LoadLedger(query)]
}

/// The amount a command would record that is above the maximum: a new
/// amount for an expense, or a budget.
fn amount_above_maximum(command: &Command, turn: &Turn<'_>) -> Option<Money> {
    let amount = match command {
        Command::Edit(Edit::Amount(amount)) => *amount,
        Command::Budget {
            minor: Some(minor), ..
        } => Money::new(*minor, turn.customer.home_currency),
        _ => return None,
    };
    (!amount.is_recordable()).then_some(amount)
}

/// The effects of tapping a recent-list row or a delete button; `None` for
/// a choice id that is not one of those.
pub fn on_choice(id: &str) -> Option<Vec<Effect>> {
    let query = |id: &str, intent| {
        Effect::LoadLedger(LedgerQuery::Expense {
            id: id.to_owned(),
            intent,
        })
    };
    if let Some(expense_id) = id.strip_prefix(ROW_PREFIX) {
        return Some(vec![query(expense_id, ExpenseIntent::ConfirmDelete)]);
    }
    if let Some(expense_id) = id.strip_prefix(DELETE_PREFIX) {
        return Some(vec![query(expense_id, ExpenseIntent::Delete)]);
    }
    id.starts_with(KEEP_PREFIX).then(Vec::new)
}

/// Whether a choice id is the "keep it" button of a delete confirmation.
pub fn is_keep(id: &str) -> bool {
    id.starts_with(KEEP_PREFIX)
}

/// Decides the writes and the reply once a query is answered.
pub fn respond(query: LedgerQuery, answer: LedgerAnswer, turn: &Turn<'_>) -> Response {
    let mut response = Response::default();
    let language = language(turn);
    match (query, answer) {
        (LedgerQuery::Last(intent), LedgerAnswer::Expenses(found)) => {
            let Some(expense) = found.into_iter().next() else {
                response
                    .effects
                    .push(text(reply::nothing_recorded(language)));
                return response;
            };
            match intent {
                LastIntent::Delete => delete(&mut response, expense, turn),
                LastIntent::Edit(edit) => apply_edit(&mut response, expense, edit, turn),
            }
        }
        (LedgerQuery::UndoTarget, LedgerAnswer::Undo(target)) => undo(&mut response, target, turn),
        (LedgerQuery::Recent(RecentIntent::List), LedgerAnswer::Expenses(found)) => {
            response.effects.push(recent_list(&found, turn));
        }
        (LedgerQuery::Recent(RecentIntent::Delete(number)), LedgerAnswer::Expenses(found)) => {
            let count = found.len();
            match found.into_iter().nth(number.saturating_sub(1)) {
                Some(expense) => delete(&mut response, expense, turn),
                None => response
                    .effects
                    .push(text(reply::no_such_number(language, number, count))),
            }
        }
        (LedgerQuery::Expense { intent, .. }, LedgerAnswer::Expenses(found)) => {
            let live = found
                .into_iter()
                .find(|expense| expense.values.status != Status::Deleted);
            match (live, intent) {
                (None, _) => response.effects.push(text(reply::expense_gone(language))),
                (Some(expense), ExpenseIntent::ConfirmDelete) => {
                    let body = reply::confirm_delete(language, &details(&expense.values, turn));
                    let [yes, no] = reply::delete_buttons(language);
                    response.effects.push(Effect::Reply(Outbound::Buttons {
                        body,
                        buttons: vec![
                            (format!("{DELETE_PREFIX}{}", expense.id), yes.to_owned()),
                            (format!("{KEEP_PREFIX}{}", expense.id), no.to_owned()),
                        ],
                    }));
                }
                (Some(expense), ExpenseIntent::Delete) => delete(&mut response, expense, turn),
            }
        }
        (
            LedgerQuery::Pick {
                source_id,
                category_id,
            },
            LedgerAnswer::Expenses(found),
        ) => super::pick::pick(&mut response, source_id, category_id, found, turn),
        (LedgerQuery::Summary { .. }, LedgerAnswer::Summary(summary)) => {
            response.effects.push(text(summary_text(&summary, turn)));
        }
        (LedgerQuery::Budgets(_), LedgerAnswer::Budgets { statuses, rates }) => {
            for status in statuses {
                budgets::alerts(&mut response, &status, &rates, turn);
            }
        }
        (LedgerQuery::OldestPending, LedgerAnswer::Expenses(found)) => {
            response.question = found
                .into_iter()
                .find(|expense| expense.values.status == Status::PendingCategory)
                .map(|expense| pending_question(expense, turn));
        }
        // An answer of another shape than the query: the runner never sends
        // one, so there is nothing to say.
        _ => {}
    }
    response
}

pub(super) fn language(turn: &Turn<'_>) -> Language {
    Language::of_locale(&turn.customer.locale)
}

pub(super) fn text(body: impl Into<String>) -> Effect {
    Effect::Reply(Outbound::Text(body.into()))
}

pub(super) fn category_name(turn: &Turn<'_>, category_id: Option<&str>) -> String {
    category_id
        .and_then(|id| turn.categories.iter().find(|category| category.id == id))
        .map(|category| category.name.clone())
        .unwrap_or_default()
}

/// `CLP 12.500 en Comida (almuerzo, hoy)`, or `sin categoría` when pending.
pub(super) fn details(values: &Values, turn: &Turn<'_>) -> String {
    let language = language(turn);
    let amount = reply::amount(values.amount, &turn.customer.locale);
    let when = reply::date(language, values.spent_on, turn.today);
    let category = values
        .category_id
        .as_deref()
        .map(|id| category_name(turn, Some(id)))
        .filter(|name| !name.is_empty());
    reply::expense_details(
        language,
        &amount,
        category.as_deref(),
        &values.description,
        &when,
    )
}

fn change(response: &mut Response, expense: &ExpenseRecord, kind: ChangeKind, event: &'static str) {
    response.effects.push(Effect::ChangeExpense(ExpenseChange {
        expense_id: expense.id.clone(),
        kind,
    }));
    response
        .effects
        .push(Effect::Log(FlowEvent::LedgerChanged { change: event }));
}

fn delete(response: &mut Response, expense: ExpenseRecord, turn: &Turn<'_>) {
    let language = language(turn);
    change(response, &expense, ChangeKind::Delete, "deleted");
    response.effects.push(text(reply::deleted(
        language,
        &details(&expense.values, turn),
    )));
    response.closed.push(expense.source_id);
}

fn apply_edit(response: &mut Response, expense: ExpenseRecord, edit: Edit, turn: &Turn<'_>) {
    let language = language(turn);
    let mut values = expense.values.clone();
    match &edit {
        Edit::Amount(amount) => values.amount = *amount,
        Edit::Category(category_id) => {
            values.category_id = Some(category_id.clone());
            values.status = Status::Completed;
        }
        Edit::Date(date) => values.spent_on = *date,
        Edit::Description(description) => values.description = description.clone(),
    }
    // Naming the category of a merchant's expense teaches the merchant's
    // rule, as picking it from the buttons does, even when it was right.
    if let (Edit::Category(category_id), Some(merchant)) = (&edit, &expense.merchant) {
        response.effects.push(Effect::LearnRule {
            merchant: merchant.clone(),
            category_id: category_id.clone(),
        });
    }
    if values == expense.values {
        response
            .effects
            .push(text(reply::already_so(language, &details(&values, turn))));
        return;
    }
    if matches!(edit, Edit::Category(_)) {
        response.closed.push(expense.source_id.clone());
    }
    let counts = !matches!(edit, Edit::Description(_));
    change(response, &expense, ChangeKind::Edit(edit), "edited");
    response
        .effects
        .push(text(reply::edited(language, &details(&values, turn))));
    if counts {
        response
            .effects
            .extend(recheck(&expense.id, &values).map(Effect::LoadLedger));
    }
}

/// Points the merchant's rule back when an undo puts back another category:
/// the rule a category correction or pick taught follows it. An undo that
/// gives a category back to a pending expense (redoing a pick) teaches it
/// again.
fn revert_rule(response: &mut Response, expense: &ExpenseRecord, past: &PastChange) {
    let Some(merchant) = &expense.merchant else {
        return;
    };
    let restored = past.before.category_id.as_ref();
    match &expense.values.category_id {
        Some(from) if restored != Some(from) => response.effects.push(Effect::RevertRule {
            merchant: merchant.clone(),
            from: from.clone(),
            to: restored.cloned(),
        }),
        Some(_) => {}
        None => {
            let counts = past.before.status != Status::Deleted;
            if let Some(category_id) = restored.filter(|_| counts) {
                response.effects.push(Effect::LearnRule {
                    merchant: merchant.clone(),
                    category_id: category_id.clone(),
                });
            }
        }
    }
}

fn undo(response: &mut Response, target: Option<UndoTarget>, turn: &Turn<'_>) {
    let language = language(turn);
    let Some(UndoTarget {
        expense,
        change: past,
    }) = target
    else {
        response
            .effects
            .push(text(reply::nothing_to_undo(language)));
        return;
    };
    match past {
        None if expense.values.status == Status::Deleted => {
            response
                .effects
                .push(text(reply::nothing_to_undo(language)));
        }
        None => {
            change(response, &expense, ChangeKind::UndoRecording, "undone");
            let shown = details(&expense.values, turn);
            response
                .effects
                .push(text(reply::undone_recording(language, &shown)));
            response.closed.push(expense.source_id);
        }
        Some(past) => {
            let shown = details(&past.before, turn);
            let body = if past.before.status == Status::Deleted {
                reply::undone_recording(language, &shown)
            } else if expense.values.status == Status::Deleted {
                reply::restored(language, &shown)
            } else {
                reply::reverted(language, &shown)
            };
            let kind = ChangeKind::Revert {
                change_id: past.id.clone(),
            };
            change(response, &expense, kind, "undone");
            revert_rule(response, &expense, &past);
            response.effects.push(text(body));
            response
                .effects
                .extend(recheck(&expense.id, &past.before).map(Effect::LoadLedger));
            // Undoing a pick puts the expense back to pending: its question
            // is asked again. Any other outcome leaves nothing to ask.
            if past.before.status == Status::PendingCategory {
                let mut pending = expense;
                pending.values = past.before;
                response.question = Some(pending_question(pending, turn));
            } else {
                response.closed.push(expense.source_id);
            }
        }
    }
}

fn recent_list(found: &[ExpenseRecord], turn: &Turn<'_>) -> Effect {
    let language = language(turn);
    if found.is_empty() {
        return text(reply::nothing_recorded(language));
    }
    let rows = found
        .iter()
        .enumerate()
        .map(|(index, expense)| {
            let values = &expense.values;
            let amount = reply::amount(values.amount, &turn.customer.locale);
            let title = truncate(
                &format!("{}. {amount} {}", index + 1, values.description),
                MAX_ROW_TITLE,
            );
            let category = values
                .category_id
                .as_deref()
                .map(|id| category_name(turn, Some(id)))
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| reply::no_category(language).to_owned());
            let when = reply::date(language, values.spent_on, turn.today);
            (
                format!("{ROW_PREFIX}{}", expense.id),
                title,
                format!("{when} · {category}"),
            )
        })
        .collect();
    Effect::Reply(Outbound::List {
        body: reply::recent_body(language).to_owned(),
        label: reply::recent_label(language).to_owned(),
        rows,
    })
}

fn pending_question(expense: ExpenseRecord, turn: &Turn<'_>) -> Question {
    Question::Category {
        source_id: expense.source_id,
        draft: Draft {
            amount: expense.values.amount,
            spent_on: expense.values.spent_on,
            description: expense.values.description,
            merchant: expense.merchant,
        },
        options: turn.categories.iter().map(|c| c.id.clone()).collect(),
        asked: false,
    }
}

fn problem_text(language: Language, problem: &Problem) -> String {
    match problem {
        Problem::UnknownCategory(typed) => reply::unknown_category(language, typed),
        Problem::EditUsage => reply::edit_usage(language).to_owned(),
        Problem::AmountAmbiguous => reply::amount_ambiguous(language).to_owned(),
        Problem::DateInFuture => reply::edit_date_in_future(language).to_owned(),
        Problem::BudgetUsage => reply::budget_usage(language).to_owned(),
        Problem::BudgetCurrency(home) => reply::budget_currency(language, home.code()),
        Problem::PeriodUnknown => reply::summary_usage(language).to_owned(),
    }
}
