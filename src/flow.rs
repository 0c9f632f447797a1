//! The expense-flow state machine.
//!
//! [`advance`] is a pure function: it takes the conversation [`State`], one
//! [`Input`] and the facts of this [`Turn`] (customer, categories, today,
//! now), and returns the next state and the [`Effect`]s to perform. It reads
//! no clock and touches no binding; the runner in the worker glue performs the
//! effects, and feeds classifier results back in as [`Input::Classified`].
//!
//! The state is a queue of open questions (category, amount, which reading of
//! an amount, a future date). The head is the one the user was asked; each
//! answer resolves it and the next one is asked.
//!
//! This file contains [`advance`], the machine and its finishing step. The
//! types live in `state`, `input` and `effect`; each kind of input has its
//! own part: `text` (typed text and commands), `answers` (answers to the
//! open question and taps), `classified` (classifier answers), `receipt`
//! (photos), `settings` (categories and rules), `ledger` (ledger reads).
//! `questions` asks the open question, `expiry` drops the ones nobody
//! answered in time, and `amounts` keeps every amount within the maximum.

mod amounts;
mod answers;
mod classified;
mod effect;
mod expiry;
mod input;
mod ledger;
mod questions;
mod receipt;
mod settings;
mod state;
mod text;

use crate::classify::Classification;
use crate::commands::{LedgerAnswer, LedgerQuery};
use crate::kapso::client::Outbound;
use crate::model::{Category, Language};
use crate::parse::ParseContext;
use crate::recurring;
use crate::reply;

pub use effect::{Effect, ExpenseStatus, FlowEvent, NewExpense, Notice, Transition};
pub use input::{Classified, Input, MerchantRule, Pending, RulesQuery, Turn};
pub use settings::MAX_CATEGORIES;
pub use state::{Draft, Question, State};

/// Characters of the longest text the flow reads: WhatsApp's limit for a
/// text message body. A longer text (a forged or relayed payload) is
/// answered without being parsed, which bounds the parser's CPU time.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Expenses one message may record. A message listing more gets a reply and
/// records none, so that a pasted statement does not flood the ledger.
pub const MAX_EXPENSES_PER_MESSAGE: usize = 20;

/// Seconds an open question stays answerable after the conversation's last
/// change; the `expiry` module decides what happens to it then.
pub const QUESTION_TTL_SECONDS: i64 = 24 * 60 * 60;
/// Seconds the conversation state stays in KV after its last change: far
/// longer than a question lives, so that the flow can tell the user which
/// drafts expired unrecorded.
pub const STATE_TTL_SECONDS: i64 = 30 * 24 * 60 * 60;

const CATEGORY_PREFIX: &str = "cat";
const AMOUNT_PREFIX: &str = "amt";
const DATE_PREFIX: &str = "date";

/// Advances the conversation by one input.
pub fn advance(state: State, input: Input, turn: &Turn<'_>) -> Transition {
    // Classifier, rules and ledger answers continue a turn that began with
    // the user's message, whose replies are in an earlier round's effects.
    let from_user = !matches!(
        input,
        Input::Classified(_) | Input::Rules { .. } | Input::Ledger { .. }
    );
    let mut machine = Machine {
        turn,
        state,
        effects: Vec::new(),
        stale_check: true,
        from_user,
    };
    machine.expire();
    match input {
        Input::Classified(items) => machine.on_classified(items),
        Input::Text(text) => machine.on_text(&text),
        Input::Choice { id, title } => machine.on_choice(&id, &title),
        Input::AudioWithoutTranscript => {
            machine.reply_text(reply::audio_without_transcript(machine.language()))
        }
        Input::Unsupported => machine.reply_text(reply::unsupported_message(machine.language())),
        Input::Receipt { reading, caption } => machine.on_receipt(reading, caption),
        Input::Rules { query, rules } => machine.on_rules(&query, &rules),
        Input::Ledger { query, answer } => machine.on_ledger(query, answer),
        Input::Recurring { query, rules } => {
            let effects = recurring::chat::respond(query, &rules, machine.turn);
            machine.effects.extend(effects);
        }
    }
    machine.finish()
}

/// The category question of an expense stored as `pending_category` outside
/// this conversation (a receipt that came by email), with the classifier's
/// proposals first among its options. Queued in a state, it is asked at the
/// end of the next turn that leaves it at the head.
pub fn category_question(
    turn: &Turn<'_>,
    pending: Pending,
    classification: &Classification,
) -> Question {
    let machine = Machine {
        turn,
        state: State::default(),
        effects: Vec::new(),
        stale_check: false,
        from_user: false,
    };
    Question::Category {
        options: machine.category_options(classification),
        source_id: pending.source_id,
        draft: pending.draft,
        asked: false,
    }
}

struct Machine<'a, 't> {
    turn: &'a Turn<'t>,
    state: State,
    effects: Vec<Effect>,
    /// Whether to look for a stale pending expense once nothing is open:
    /// not after `cancelar`, nor when this input is that lookup's answer.
    stale_check: bool,
    /// Whether this round starts from the user's message rather than
    /// continuing a turn with a classifier, rules or ledger answer.
    from_user: bool,
}

impl Machine<'_, '_> {
    fn language(&self) -> Language {
        Language::of_locale(&self.turn.customer.locale)
    }

    fn locale(&self) -> &str {
        &self.turn.customer.locale
    }

    fn parse_context(&self) -> ParseContext<'_> {
        ParseContext {
            locale: self.locale(),
            home_currency: self.turn.customer.home_currency,
            today: self.turn.today,
        }
    }

    fn reply_text(&mut self, text: impl Into<String>) {
        self.effects
            .push(Effect::Reply(Outbound::Text(text.into())));
    }

    fn finish(mut self) -> Transition {
        let classifying = self.effects.iter().any(|e| {
            matches!(
                e,
                Effect::Classify(_)
                    | Effect::LoadRules(_)
                    | Effect::LoadLedger(_)
                    | Effect::LoadRecurring(_)
            )
        });
        if !classifying {
            // Every message gets an answer: a turn that said nothing (its
            // text only queued questions behind the open one) asks the open
            // question again.
            let replied = self.effects.iter().any(|e| matches!(e, Effect::Reply(_)));
            if self.from_user && !replied {
                if let Some(head) = self.state.questions.first_mut() {
                    *head.asked_mut() = false;
                }
            }
            self.ask_head();
            // An expense left pending when its question expired or was
            // cancelled is asked again on a later message, never lost: not
            // on one whose reply already waits for a tap (a list, a delete
            // confirmation), so that two questions never arrive together.
            let interactive = self.effects.iter().any(|effect| {
                matches!(
                    effect,
                    Effect::Reply(Outbound::Buttons { .. } | Outbound::List { .. })
                )
            });
            if self.state.is_idle() && self.stale_check && !interactive {
                self.effects
                    .push(Effect::LoadLedger(LedgerQuery::OldestPending));
            }
        }
        self.state.updated_at = self.turn.now;
        Transition {
            state: self.state,
            effects: self.effects,
        }
    }

    fn category(&self, id: &str) -> Option<&Category> {
        self.turn
            .categories
            .iter()
            .find(|category| category.id == id)
    }

    fn remove_question(&mut self, source_id: &str) {
        self.state
            .questions
            .retain(|question| question.source_id() != source_id);
    }
}

fn choice_id(prefix: &str, source_id: &str, value: &str) -> String {
    format!("{prefix}|{source_id}|{value}")
}

fn split_choice(id: &str) -> Option<(&str, &str, &str)> {
    let mut parts = id.splitn(3, '|');
    let prefix = parts.next()?;
    let source_id = parts.next()?;
    let value = parts.next()?;
    [CATEGORY_PREFIX, AMOUNT_PREFIX, DATE_PREFIX]
        .contains(&prefix)
        .then_some((prefix, source_id, value))
}

#[cfg(test)]
mod settings_tests;
#[cfg(test)]
mod tests;
