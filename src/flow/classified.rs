//! Classifier answers: each draft is stored, completed when the category is
//! sure enough or pending with a category question otherwise.

use chrono::NaiveDate;

use super::{
    Classified, Draft, Effect, ExpenseStatus, FlowEvent, Machine, NewExpense, Notice, Question,
};
use crate::classify::Classification;
use crate::money::Money;
use crate::reply;

impl Machine<'_, '_> {
    pub(super) fn on_classified(&mut self, items: Vec<Classified>) {
        let threshold = self.turn.customer.confidence_threshold;
        // A question is being answered: new pending expenses wait behind it,
        // and the user is told so instead of hearing nothing about them.
        let waiting_behind = self.state.questions.first().is_some_and(Question::is_asked);
        let mut confirmations = Vec::new();
        for Classified {
            pending,
            classification,
        } in items
        {
            // Every path checks its amounts before classifying; this keeps a
            // draft from an older conversation state out of the ledger too.
            if !pending.draft.amount.is_recordable() {
                self.reply_too_large(pending.draft.amount);
                continue;
            }
            // A category id that is not the customer's is treated as no match.
            let category = classification
                .category_id
                .as_deref()
                .and_then(|id| self.category(id));
            let category = category.cloned();
            let completes = category.is_some() && classification.completes(threshold);
            let status = if completes {
                ExpenseStatus::Completed
            } else {
                ExpenseStatus::PendingCategory
            };
            self.effects.push(Effect::SaveExpense(NewExpense {
                source_id: pending.source_id.clone(),
                draft: pending.draft.clone(),
                category_id: category
                    .as_ref()
                    .filter(|_| completes)
                    .map(|c| c.id.clone()),
                confidence: classification.confidence,
                classifier: classification.classifier,
                status,
            }));
            match category.filter(|_| completes) {
                Some(category) => {
                    confirmations.push(self.confirmation(&pending.draft, &category.name));
                    self.effects.push(Effect::Log(FlowEvent::Completed {
                        source_id: pending.source_id,
                        category_id: category.id,
                        classifier: classification.classifier,
                        confidence: classification.confidence,
                    }));
                    self.effects.push(Effect::Notify(Notice::Completed {
                        amount: pending.draft.amount,
                        category: category.name,
                        classifier: classification.classifier,
                    }));
                }
                None => {
                    let options = self.category_options(&classification);
                    self.effects.push(Effect::Log(FlowEvent::PendingCreated {
                        source_id: pending.source_id.clone(),
                        confidence: classification.confidence,
                    }));
                    self.effects.push(Effect::Notify(Notice::Pending {
                        amount: pending.draft.amount,
                        confidence: classification.confidence,
                    }));
                    if waiting_behind {
                        let amount = reply::amount(pending.draft.amount, self.locale());
                        let language = self.language();
                        confirmations.push(reply::pending_queued(
                            language,
                            &amount,
                            &pending.draft.description,
                        ));
                    }
                    self.state.questions.push(Question::Category {
                        source_id: pending.source_id,
                        draft: pending.draft,
                        options,
                        asked: false,
                    });
                }
            }
        }
        if !confirmations.is_empty() {
            self.reply_text(confirmations.join("\n"));
        }
        let completed: Vec<(String, Money, NaiveDate)> = self
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::SaveExpense(NewExpense {
                    category_id: Some(category_id),
                    status: ExpenseStatus::Completed,
                    draft,
                    ..
                }) => Some((category_id.clone(), draft.amount, draft.spent_on)),
                _ => None,
            })
            .collect();
        self.check_budgets(
            completed
                .iter()
                .map(|(id, amount, day)| (id.as_str(), *amount, *day)),
        );
    }

    /// The classifier's proposals first, then the customer's categories in
    /// order, without duplicates.
    pub(super) fn category_options(&self, classification: &Classification) -> Vec<String> {
        let mut options: Vec<String> = Vec::new();
        let proposed = classification
            .category_id
            .iter()
            .chain(&classification.alternatives);
        let all = self.turn.categories.iter().map(|category| &category.id);
        for id in proposed.chain(all) {
            if self.category(id).is_some() && !options.contains(id) {
                options.push(id.clone());
            }
        }
        options
    }

    pub(super) fn confirmation(&self, draft: &Draft, category: &str) -> String {
        let language = self.language();
        let amount = reply::amount(draft.amount, self.locale());
        let when = reply::date(language, draft.spent_on, self.turn.today);
        reply::completed(language, &amount, &draft.description, category, &when)
    }
}
