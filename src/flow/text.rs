//! Text from the user: the flow's own commands, settings, answers, ledger
//! and recurring commands, small talk, and expenses to parse.

use super::settings::settings_command;
use super::{
    Effect, FlowEvent, Machine, Pending, Question, MAX_EXPENSES_PER_MESSAGE, MAX_TEXT_CHARS,
};
use crate::classify;
use crate::commands;
use crate::parse::{self, Item, SmallTalk};
use crate::recurring;
use crate::reply;

impl Machine<'_, '_> {
    pub(super) fn on_text(&mut self, text: &str) {
        let language = self.language();
        if text.chars().nth(MAX_TEXT_CHARS).is_some() {
            self.effects.push(Effect::Log(FlowEvent::NotAnExpense));
            return self.reply_text(reply::message_too_long(language));
        }
        match command(text) {
            Some(Command::Help) => return self.reply_text(reply::help(language)),
            Some(Command::Cancel) => {
                let count = self.state.questions.len();
                self.state.questions.clear();
                self.stale_check = false;
                self.effects
                    .push(Effect::Log(FlowEvent::Cancelled { count }));
                return self.reply_text(reply::cancelled(language, count > 0));
            }
            Some(Command::Categories) => {
                let names: Vec<&str> = self
                    .turn
                    .categories
                    .iter()
                    .map(|category| category.name.as_str())
                    .collect();
                return self.reply_text(reply::category_list(language, &names));
            }
            None => {}
        }
        if let Some(command) = settings_command(text) {
            return self.on_settings(command);
        }

        // Before any reading of an amount: an answer, an edit, a budget, a
        // recurring rule or a new expense would drop the sign and record a
        // refund as a purchase.
        if parse::has_negative_amount(text, &self.parse_context()) {
            self.effects.push(Effect::Log(FlowEvent::NotAnExpense));
            return self.reply_text(reply::negative_amount(language));
        }
        if self.answer_head(text) {
            return;
        }
        // Before the ledger commands, so that `borrar recurrente 2` is not
        // read as deleting the second recent expense.
        if let Some(recognised) = recurring::chat::recognise_command(text) {
            let effects = recurring::chat::start(recognised, self.turn);
            return self.effects.extend(effects);
        }
        if let Some(recognised) = commands::recognise(text, self.turn) {
            let effects = commands::start(recognised, self.turn);
            return self.effects.extend(effects);
        }
        // After them, so that a budget typed with `mensual` stays a budget.
        if let Some(recognised) = recurring::chat::recognise_rule(text, &self.parse_context()) {
            let effects = recurring::chat::start(recognised, self.turn);
            return self.effects.extend(effects);
        }

        if let Some(talk) = parse::small_talk(text) {
            let answer = match talk {
                // A question while the bot waits for an answer is about
                // that question: ask it again.
                SmallTalk::Question if !self.state.is_idle() => return self.not_understood(),
                SmallTalk::Thanks => reply::you_are_welcome(language),
                SmallTalk::Greeting | SmallTalk::Question => reply::greeting(language),
            };
            return self.reply_text(answer);
        }

        let mut items = parse::parse_message(text, &self.parse_context());
        // Neither an amount nor a description (`ayer` alone): nothing to ask.
        items.retain(|item| {
            !matches!(item, Item::MissingAmount { description, .. } if description.trim().is_empty())
        });
        if items.is_empty() {
            return self.not_understood();
        }
        // While a question is open, a text with no amount at all (`no sé`)
        // is a wrong answer, not a new purchase to ask about.
        let open = self.state.questions.first().is_some_and(Question::is_asked);
        let amounts = items
            .iter()
            .any(|item| !matches!(item, Item::MissingAmount { .. }));
        if open && !amounts {
            return self.not_understood();
        }
        if items.len() > MAX_EXPENSES_PER_MESSAGE {
            self.effects.push(Effect::Log(FlowEvent::NotAnExpense));
            let text = reply::too_many_expenses(language, MAX_EXPENSES_PER_MESSAGE);
            return self.reply_text(text);
        }
        self.take_items(items);
    }

    /// Queues the parsed items: clear expenses go to the classifier, the rest
    /// become questions.
    pub(super) fn take_items(&mut self, items: Vec<Item>) {
        let mut to_classify = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let source_id = format!("{}#{}", self.turn.message_id, index + 1);
            let Some(item) = self.within_maximum(item) else {
                continue;
            };
            match item {
                Item::Expense(draft) => to_classify.push(Pending {
                    source_id,
                    draft: draft.into(),
                }),
                Item::MissingAmount {
                    description,
                    merchant,
                    spent_on,
                } => {
                    self.state.questions.push(Question::Amount {
                        source_id,
                        description,
                        merchant,
                        spent_on,
                        asked: false,
                    });
                }
                Item::AmbiguousAmount { draft, candidates } => {
                    self.state.questions.push(Question::AmountChoice {
                        source_id,
                        draft: draft.into(),
                        candidates,
                        asked: false,
                    });
                }
                Item::UnusualDate { draft } => {
                    self.state.questions.push(Question::UnusualDate {
                        source_id,
                        draft: draft.into(),
                        asked: false,
                    });
                }
            }
        }
        if !to_classify.is_empty() {
            self.effects.push(Effect::Classify(to_classify));
        }
    }

    /// Nothing fits: re-ask the open question, or say what the bot expects.
    pub(super) fn not_understood(&mut self) {
        if let Some(head) = self.state.questions.first_mut() {
            *head.asked_mut() = false;
            self.effects
                .push(Effect::Log(FlowEvent::AnswerNotUnderstood));
            self.reply_text(reply::not_understood_answer(self.language()));
        } else {
            self.effects.push(Effect::Log(FlowEvent::NotAnExpense));
            self.reply_text(reply::not_an_expense(self.language()));
        }
    }
}

/// A command the flow answers itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Help,
    Cancel,
    Categories,
}

fn command(text: &str) -> Option<Command> {
    match classify::words_of(text).as_str() {
        "ayuda" | "help" | "menu" | "comandos" | "commands" => Some(Command::Help),
        "cancelar" | "cancel" | "cancela" => Some(Command::Cancel),
        "categorias" | "categories" | "ver categorias" | "mis categorias" | "list categories" => {
            Some(Command::Categories)
        }
        _ => None,
    }
}
