//! A category picked for the expense of a category question: a button or
//! list row, or the category typed as the answer.
//!
//! The button's id names the expense by its source id, and a tap can come
//! long after the question was asked, so the expense is read first. Only an
//! expense of this customer that is not deleted changes, and the reply
//! reports what happened to it: recorded in a category, moved to another,
//! already there, or gone (the question is closed).

use super::budgets::recheck;
use super::ledger::{details, language, text, Response};
use super::{ChangeKind, Edit, ExpenseChange, ExpenseRecord, Status};
use crate::classify::Classifier;
use crate::flow::{Effect, FlowEvent, Notice, Turn};
use crate::reply;

/// Decides the writes and the reply of picking `category_id` for the
/// expense `source_id`, once the expenses with that source id are read.
pub(super) fn pick(
    response: &mut Response,
    source_id: String,
    category_id: String,
    found: Vec<ExpenseRecord>,
    turn: &Turn<'_>,
) {
    let language = language(turn);
    response.closed.push(source_id);
    let live = found
        .into_iter()
        .find(|expense| expense.values.status != Status::Deleted);
    let category = turn
        .categories
        .iter()
        .find(|category| category.id == category_id);
    let (Some(expense), Some(category)) = (live, category) else {
        // Another customer's source id, one that never existed, or an
        // expense deleted since: nothing changes, so nothing is confirmed.
        response
            .effects
            .push(Effect::Log(FlowEvent::AnswerNotUnderstood));
        response
            .effects
            .push(text(reply::question_closed(language)));
        return;
    };

    let mut after = expense.values.clone();
    after.category_id = Some(category.id.clone());
    after.status = Status::Completed;
    // The pick teaches the merchant's rule even when the category was
    // already right, as naming the category in an edit does.
    if let Some(merchant) = &expense.merchant {
        response.effects.push(Effect::LearnRule {
            merchant: merchant.clone(),
            category_id: category.id.clone(),
        });
    }
    if after == expense.values {
        let shown = details(&after, turn);
        response
            .effects
            .push(text(reply::already_so(language, &shown)));
        return;
    }

    response.effects.push(Effect::ChangeExpense(ExpenseChange {
        expense_id: expense.id.clone(),
        kind: ChangeKind::Edit(Edit::Category(category.id.clone())),
    }));
    response.effects.push(Effect::Log(FlowEvent::Completed {
        source_id: expense.source_id.clone(),
        category_id: category.id.clone(),
        classifier: Classifier::User,
        confidence: 1.0,
    }));
    let locale = &turn.customer.locale;
    let body = if expense.values.status == Status::PendingCategory {
        response.effects.push(Effect::Notify(Notice::Completed {
            amount: after.amount,
            category: category.name.clone(),
            classifier: Classifier::User,
        }));
        let amount = reply::amount(after.amount, locale);
        let when = reply::date(language, after.spent_on, turn.today);
        reply::completed(language, &amount, &after.description, &category.name, &when)
    } else {
        reply::category_changed(language, &category.name)
    };
    response.effects.push(text(body));
    response
        .effects
        .extend(recheck(&expense.id, &after).map(Effect::LoadLedger));
}
