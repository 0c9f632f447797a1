//! Answers of the ledger reads that commands about recorded expenses and
//! budget checks ask for; see [`crate::commands`].

use chrono::NaiveDate;

use super::{Effect, Machine};
use crate::commands::{self, LedgerAnswer, LedgerQuery};
use crate::money::Money;

impl Machine<'_, '_> {
    pub(super) fn on_ledger(&mut self, query: LedgerQuery, answer: LedgerAnswer) {
        if query == LedgerQuery::OldestPending {
            self.stale_check = false;
        }
        let response = commands::respond(query, answer, self.turn);
        for source_id in &response.closed {
            self.remove_question(source_id);
        }
        self.effects.extend(response.effects);
        if let Some(question) = response.question {
            let open = self
                .state
                .questions
                .iter()
                .any(|open| open.source_id() == question.source_id());
            if !open {
                self.state.questions.push(question);
            }
        }
    }

    /// Asks for the budget use of categories that just got expenses, as
    /// `(category id, amount, date)`.
    pub(super) fn check_budgets<'c>(
        &mut self,
        completed: impl IntoIterator<Item = (&'c str, Money, NaiveDate)>,
    ) {
        if let Some(query) = commands::budget_query(completed) {
            self.effects.push(Effect::LoadLedger(query));
        }
    }
}
