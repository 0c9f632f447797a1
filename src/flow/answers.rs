//! Answers to the open questions: typed text or a tapped button, and what
//! each answer resolves.

use super::{
    split_choice, Draft, Effect, FlowEvent, Machine, Pending, Question, AMOUNT_PREFIX,
    CATEGORY_PREFIX, DATE_PREFIX,
};
use crate::classify;
use crate::commands::{self, LedgerQuery};
use crate::money::Money;
use crate::parse::{self, AmountReading};
use crate::reply;

impl Machine<'_, '_> {
    /// Tries `text` as the answer to the head question.
    pub(super) fn answer_head(&mut self, text: &str) -> bool {
        let Some(head) = self.state.questions.first().cloned() else {
            return false;
        };
        // A question queued from outside the conversation (a receipt that
        // came by email) is shown only at the end of this turn, so this
        // text cannot be its answer yet.
        if !head.is_asked() {
            return false;
        }
        match head {
            Question::Category {
                source_id, options, ..
            } => {
                let by_number = option_number(text, options.len()).map(|i| options[i].clone());
                let by_name = classify::category_by_name(text, self.turn.categories)
                    .map(|category| category.id.clone());
                match by_number.or(by_name) {
                    Some(category_id) => {
                        self.set_category(&source_id, &category_id);
                        true
                    }
                    None => false,
                }
            }
            Question::Amount {
                source_id,
                description,
                merchant,
                spent_on,
                ..
            } => {
                match Self::reading_within_maximum(parse::parse_amount(text, &self.parse_context()))
                {
                    Err(amount) => {
                        // The question stays open and is asked again.
                        if let Some(head) = self.state.questions.first_mut() {
                            *head.asked_mut() = false;
                        }
                        self.reply_too_large(amount);
                        true
                    }
                    Ok(AmountReading::Exact(amount)) => {
                        self.state.questions.remove(0);
                        let draft = Draft {
                            amount,
                            spent_on,
                            description,
                            merchant,
                        };
                        self.effects
                            .push(Effect::Classify(vec![Pending { source_id, draft }]));
                        true
                    }
                    Ok(AmountReading::Ambiguous(candidates)) => {
                        let draft = Draft {
                            amount: candidates
                                .first()
                                .copied()
                                .unwrap_or(Money::new(0, self.turn.customer.home_currency)),
                            spent_on,
                            description,
                            merchant,
                        };
                        self.state.questions[0] = Question::AmountChoice {
                            source_id,
                            draft,
                            candidates,
                            asked: false,
                        };
                        true
                    }
                    Ok(AmountReading::None) => false,
                }
            }
            Question::AmountChoice {
                source_id,
                draft,
                candidates,
                ..
            } => {
                let by_number = option_number(text, candidates.len());
                let by_amount = match parse::parse_amount(text, &self.parse_context()) {
                    AmountReading::Exact(money) => candidates.iter().position(|c| *c == money),
                    _ => None,
                };
                match by_number.or(by_amount) {
                    Some(index) => {
                        self.choose_amount(&source_id, draft, candidates[index]);
                        true
                    }
                    None => false,
                }
            }
            Question::UnusualDate {
                source_id, draft, ..
            } => match yes_or_no(text) {
                Some(keep) => {
                    self.resolve_date(&source_id, draft, keep);
                    true
                }
                None => false,
            },
        }
    }

    pub(super) fn on_choice(&mut self, id: &str, title: &str) {
        if let Some(effects) = commands::on_choice(id) {
            if commands::is_keep(id) {
                self.reply_text(reply::kept(self.language()));
            }
            return self.effects.extend(effects);
        }
        let Some((prefix, source_id, value)) = split_choice(id) else {
            // A button from another flow: read its title as typed text.
            return self.on_text(title);
        };
        let position = self
            .state
            .questions
            .iter()
            .position(|q| q.source_id() == source_id);
        let question = position.map(|index| self.state.questions[index].clone());
        match (prefix, question) {
            // Also a button whose question expired or was answered: the
            // expense is read by its source id, and the reply reports
            // whether it changed.
            (CATEGORY_PREFIX, _) if self.category(value).is_some() => {
                self.set_category(source_id, value);
            }
            (
                AMOUNT_PREFIX,
                Some(Question::AmountChoice {
                    draft, candidates, ..
                }),
            ) => match value.parse::<usize>().ok().and_then(|i| candidates.get(i)) {
                Some(amount) => self.choose_amount(source_id, draft, *amount),
                None => self.not_understood(),
            },
            (DATE_PREFIX, Some(Question::UnusualDate { draft, .. })) => {
                self.resolve_date(source_id, draft, value == "keep")
            }
            // A category that is not the customer's, or a button whose
            // question was answered or expired. Reading its title as text
            // could record an amount a second time, so it is only answered.
            _ => {
                self.effects
                    .push(Effect::Log(FlowEvent::AnswerNotUnderstood));
                self.reply_text(reply::question_closed(self.language()));
            }
        }
    }

    /// Gives the expense `source_id` the category the user picked. The
    /// expense is read first, so that a stale or forged button changes and
    /// confirms nothing when it names no expense of this customer.
    pub(super) fn set_category(&mut self, source_id: &str, category_id: &str) {
        self.remove_question(source_id);
        self.effects.push(Effect::LoadLedger(LedgerQuery::Pick {
            source_id: source_id.to_owned(),
            category_id: category_id.to_owned(),
        }));
    }

    pub(super) fn choose_amount(&mut self, source_id: &str, draft: Draft, amount: Money) {
        self.remove_question(source_id);
        let draft = Draft { amount, ..draft };
        let source_id = source_id.to_owned();
        self.effects
            .push(Effect::Classify(vec![Pending { source_id, draft }]));
    }

    pub(super) fn resolve_date(&mut self, source_id: &str, draft: Draft, keep: bool) {
        self.remove_question(source_id);
        let spent_on = if keep {
            draft.spent_on
        } else {
            self.turn.today
        };
        let draft = Draft { spent_on, ..draft };
        let source_id = source_id.to_owned();
        self.effects
            .push(Effect::Classify(vec![Pending { source_id, draft }]));
    }
}

/// Reads `1`..`count` typed as the number of an option.
fn option_number(text: &str, count: usize) -> Option<usize> {
    let number: usize = text.trim().trim_end_matches(['.', ')']).parse().ok()?;
    (1..=count).contains(&number).then(|| number - 1)
}

fn yes_or_no(text: &str) -> Option<bool> {
    match classify::words_of(text).as_str() {
        "si" | "sí" | "yes" | "y" | "dale" | "ok" | "si esa fecha" => Some(true),
        "no" | "hoy" | "today" | "no fue hoy" => Some(false),
        _ => None,
    }
}
