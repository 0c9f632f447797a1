//! Asking the open question at the head of the queue, with its buttons.

use super::{
    choice_id, Effect, FlowEvent, Machine, Question, AMOUNT_PREFIX, CATEGORY_PREFIX, DATE_PREFIX,
};
use crate::kapso::client::{Outbound, MAX_BUTTONS, MAX_BUTTON_TITLE};
use crate::reply;

impl Machine<'_, '_> {
    /// Asks the head question unless it was asked already.
    pub(super) fn ask_head(&mut self) {
        let Some(head) = self.state.questions.first() else {
            return;
        };
        let already_asked = match head {
            Question::Category { asked, .. }
            | Question::Amount { asked, .. }
            | Question::AmountChoice { asked, .. }
            | Question::UnusualDate { asked, .. } => *asked,
        };
        if already_asked {
            return;
        }
        let (message, kind) = self.question_message(head);
        self.effects.push(Effect::Reply(message));
        self.effects
            .push(Effect::Log(FlowEvent::QuestionAsked { kind }));
        if let Some(head) = self.state.questions.first_mut() {
            *head.asked_mut() = true;
        }
    }

    pub(super) fn question_message(&self, question: &Question) -> (Outbound, &'static str) {
        let language = self.language();
        match question {
            Question::Category {
                source_id,
                draft,
                options,
                ..
            } => {
                let amount = reply::amount(draft.amount, self.locale());
                let body = reply::ask_category(language, &amount, &draft.description);
                let buttons = options
                    .iter()
                    .filter_map(|id| self.category(id))
                    .take(MAX_BUTTONS)
                    .map(|category| {
                        (
                            choice_id(CATEGORY_PREFIX, source_id, &category.id),
                            category.name.clone(),
                        )
                    })
                    .collect();
                (Outbound::Buttons { body, buttons }, "category")
            }
            Question::Amount { description, .. } => (
                Outbound::Text(reply::ask_amount(language, description)),
                "amount",
            ),
            Question::AmountChoice {
                source_id,
                draft,
                candidates,
                ..
            } => {
                let body = reply::ask_amount_choice(language, &draft.description);
                let buttons = candidates
                    .iter()
                    .take(MAX_BUTTONS)
                    .enumerate()
                    .map(|(index, money)| {
                        let title = reply::amount(*money, self.locale());
                        let title = crate::kapso::client::truncate(&title, MAX_BUTTON_TITLE);
                        (
                            choice_id(AMOUNT_PREFIX, source_id, &index.to_string()),
                            title,
                        )
                    })
                    .collect();
                (Outbound::Buttons { body, buttons }, "amount_choice")
            }
            Question::UnusualDate {
                source_id, draft, ..
            } => {
                let when = reply::date(language, draft.spent_on, self.turn.today);
                let future = draft.spent_on > self.turn.today;
                let body = reply::ask_unusual_date(language, &draft.description, &when, future);
                let [keep, today] = reply::date_buttons(language);
                let buttons = vec![
                    (choice_id(DATE_PREFIX, source_id, "keep"), keep.to_owned()),
                    (choice_id(DATE_PREFIX, source_id, "today"), today.to_owned()),
                ];
                (Outbound::Buttons { body, buttons }, "unusual_date")
            }
        }
    }
}
