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

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::classify::{self, Classification, Classifier};
use crate::kapso::client::{Outbound, MAX_BUTTONS, MAX_BUTTON_TITLE};
use crate::model::{Category, Customer, Language};
use crate::money::Money;
use crate::parse::{self, AmountReading, Item, ParseContext, SmallTalk};
use crate::reply;

/// Seconds an open question stays answerable; also the KV TTL of the state.
pub const QUESTION_TTL_SECONDS: i64 = 24 * 60 * 60;

/// The conversation state of one sender, kept in `CONVERSATION_STATE_KV`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Open questions; the first is the one the user is answering.
    pub questions: Vec<Question>,
    /// Unix seconds of the last change.
    pub updated_at: i64,
}

impl State {
    pub fn is_idle(&self) -> bool {
        self.questions.is_empty()
    }
}

/// An expense that is not stored yet, as kept in the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub amount: Money,
    pub spent_on: NaiveDate,
    pub description: String,
    pub merchant: Option<String>,
}

impl From<parse::Draft> for Draft {
    fn from(draft: parse::Draft) -> Draft {
        Draft {
            amount: draft.amount,
            spent_on: draft.spent_on,
            description: draft.description,
            merchant: draft.merchant,
        }
    }
}

/// Something the bot asked and is waiting for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Question {
    /// The expense is stored as `pending_category`; which category is it?
    Category {
        source_id: String,
        draft: Draft,
        /// Category ids offered as buttons, best first.
        options: Vec<String>,
        asked: bool,
    },
    /// A purchase was described without an amount.
    Amount {
        source_id: String,
        description: String,
        merchant: Option<String>,
        spent_on: NaiveDate,
        asked: bool,
    },
    /// The amount has several readings.
    AmountChoice {
        source_id: String,
        draft: Draft,
        candidates: Vec<Money>,
        asked: bool,
    },
    /// The text named a date after today.
    FutureDate {
        source_id: String,
        draft: Draft,
        asked: bool,
    },
}

impl Question {
    fn source_id(&self) -> &str {
        match self {
            Question::Category { source_id, .. }
            | Question::Amount { source_id, .. }
            | Question::AmountChoice { source_id, .. }
            | Question::FutureDate { source_id, .. } => source_id,
        }
    }

    fn asked_mut(&mut self) -> &mut bool {
        match self {
            Question::Category { asked, .. }
            | Question::Amount { asked, .. }
            | Question::AmountChoice { asked, .. }
            | Question::FutureDate { asked, .. } => asked,
        }
    }
}

/// One input to the machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Text typed by the user, or a voice note's transcript.
    Text(String),
    /// A reply button or list row that was tapped.
    Choice { id: String, title: String },
    /// A voice note that came without a transcript.
    AudioWithoutTranscript,
    /// A message type that carries no expense (sticker, location, …).
    Unsupported,
    /// The classifier's answers to an [`Effect::Classify`].
    Classified(Vec<Classified>),
}

/// A classified draft, fed back after [`Effect::Classify`].
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub pending: Pending,
    pub classification: Classification,
}

/// A draft waiting for classification, with its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// `<message id>#<n>`: the n-th expense of one message.
    pub source_id: String,
    pub draft: Draft,
}

/// What the machine knows about this turn.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    pub customer: &'a Customer,
    /// The customer's categories, most used first; the catch-all last.
    pub categories: &'a [Category],
    /// Today in the customer's time zone.
    pub today: NaiveDate,
    /// Unix seconds.
    pub now: i64,
    /// The WhatsApp id of the message being handled.
    pub message_id: &'a str,
}

/// Whether a new expense is complete or waits for a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpenseStatus {
    Completed,
    PendingCategory,
}

impl ExpenseStatus {
    /// The value of `expenses.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpenseStatus::Completed => "completed",
            ExpenseStatus::PendingCategory => "pending_category",
        }
    }
}

/// An expense to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExpense {
    pub source_id: String,
    pub draft: Draft,
    pub category_id: Option<String>,
    pub confidence: f64,
    pub classifier: Classifier,
    pub status: ExpenseStatus,
}

/// What the operators hear about on Telegram.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Completed {
        amount: Money,
        category: String,
        classifier: Classifier,
    },
    Pending {
        amount: Money,
        confidence: f64,
    },
}

/// A log event the runner writes once the effects are committed.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowEvent {
    /// `expense.flow_completed`
    Completed {
        source_id: String,
        category_id: String,
        classifier: Classifier,
        confidence: f64,
    },
    /// `expense.pending_category_created`
    PendingCreated { source_id: String, confidence: f64 },
    /// `flow.question_asked`
    QuestionAsked { kind: &'static str },
    /// `flow.answer_not_understood`
    AnswerNotUnderstood,
    /// `flow.questions_expired`
    QuestionsExpired { count: usize },
    /// `flow.cancelled`
    Cancelled { count: usize },
    /// `flow.not_an_expense`
    NotAnExpense,
}

/// Work for the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Classify these drafts, then call [`advance`] with [`Input::Classified`].
    Classify(Vec<Pending>),
    SaveExpense(NewExpense),
    /// Set the category of a stored expense (pending or not) chosen by the
    /// user, and remember it for the merchant when there is one.
    SetCategory {
        source_id: String,
        category_id: String,
        merchant: Option<String>,
    },
    Reply(Outbound),
    Notify(Notice),
    Log(FlowEvent),
}

/// The machine's answer: the next state and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub state: State,
    pub effects: Vec<Effect>,
}

const CATEGORY_PREFIX: &str = "cat";
const AMOUNT_PREFIX: &str = "amt";
const DATE_PREFIX: &str = "date";

/// Advances the conversation by one input.
pub fn advance(state: State, input: Input, turn: &Turn<'_>) -> Transition {
    let mut machine = Machine {
        turn,
        state,
        effects: Vec::new(),
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
    }
    machine.finish()
}

struct Machine<'a, 't> {
    turn: &'a Turn<'t>,
    state: State,
    effects: Vec<Effect>,
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

    /// Drops questions nobody answered in time. Expenses waiting for a
    /// category stay stored as `pending_category`.
    fn expire(&mut self) {
        let count = self.state.questions.len();
        if count > 0 && self.turn.now - self.state.updated_at > QUESTION_TTL_SECONDS {
            self.state.questions.clear();
            self.effects
                .push(Effect::Log(FlowEvent::QuestionsExpired { count }));
        }
    }

    fn finish(mut self) -> Transition {
        let classifying = self
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Classify(_)));
        if !classifying {
            self.ask_head();
        }
        self.state.updated_at = self.turn.now;
        Transition {
            state: self.state,
            effects: self.effects,
        }
    }

    /// Asks the head question unless it was asked already.
    fn ask_head(&mut self) {
        let Some(head) = self.state.questions.first() else {
            return;
        };
        let already_asked = match head {
            Question::Category { asked, .. }
            | Question::Amount { asked, .. }
            | Question::AmountChoice { asked, .. }
            | Question::FutureDate { asked, .. } => *asked,
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

    fn question_message(&self, question: &Question) -> (Outbound, &'static str) {
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
            Question::FutureDate {
                source_id, draft, ..
            } => {
                let when = reply::date(language, draft.spent_on, self.turn.today);
                let body = reply::ask_future_date(language, &draft.description, &when);
                let [keep, today] = reply::future_date_buttons(language);
                let buttons = vec![
                    (choice_id(DATE_PREFIX, source_id, "keep"), keep.to_owned()),
                    (choice_id(DATE_PREFIX, source_id, "today"), today.to_owned()),
                ];
                (Outbound::Buttons { body, buttons }, "future_date")
            }
        }
    }

    fn category(&self, id: &str) -> Option<&Category> {
        self.turn
            .categories
            .iter()
            .find(|category| category.id == id)
    }

    fn on_classified(&mut self, items: Vec<Classified>) {
        let threshold = self.turn.customer.confidence_threshold;
        let mut confirmations = Vec::new();
        for Classified {
            pending,
            classification,
        } in items
        {
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
    }

    /// The classifier's proposals first, then the customer's categories in
    /// order, without duplicates.
    fn category_options(&self, classification: &Classification) -> Vec<String> {
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

    fn confirmation(&self, draft: &Draft, category: &str) -> String {
        let language = self.language();
        let amount = reply::amount(draft.amount, self.locale());
        let when = reply::date(language, draft.spent_on, self.turn.today);
        reply::completed(language, &amount, &draft.description, category, &when)
    }

    fn on_text(&mut self, text: &str) {
        let language = self.language();
        match command(text) {
            Some(Command::Help) => return self.reply_text(reply::help(language)),
            Some(Command::Cancel) => {
                let count = self.state.questions.len();
                self.state.questions.clear();
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

        if self.answer_head(text) {
            return;
        }

        if let Some(talk) = parse::small_talk(text) {
            let answer = match talk {
                SmallTalk::Thanks => reply::you_are_welcome(language),
                SmallTalk::Greeting | SmallTalk::Question => reply::greeting(language),
            };
            return self.reply_text(answer);
        }

        let items = parse::parse_message(text, &self.parse_context());
        if items.is_empty() {
            return self.not_understood();
        }
        self.take_items(items);
    }

    /// Queues the parsed items: clear expenses go to the classifier, the rest
    /// become questions.
    fn take_items(&mut self, items: Vec<Item>) {
        let mut to_classify = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let source_id = format!("{}#{}", self.turn.message_id, index + 1);
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
                Item::FutureDate { draft } => {
                    self.state.questions.push(Question::FutureDate {
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
    fn not_understood(&mut self) {
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

    /// Tries `text` as the answer to the head question.
    fn answer_head(&mut self, text: &str) -> bool {
        let Some(head) = self.state.questions.first().cloned() else {
            return false;
        };
        match head {
            Question::Category {
                source_id,
                draft,
                options,
                ..
            } => {
                let by_number = option_number(text, options.len()).map(|i| options[i].clone());
                let by_name = classify::category_by_name(text, self.turn.categories)
                    .map(|category| category.id.clone());
                match by_number.or(by_name) {
                    Some(category_id) => {
                        self.set_category(&source_id, Some(&draft), &category_id);
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
            } => match parse::parse_amount(text, &self.parse_context()) {
                AmountReading::Exact(amount) => {
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
                AmountReading::Ambiguous(candidates) => {
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
                AmountReading::None => false,
            },
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
            Question::FutureDate {
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

    fn on_choice(&mut self, id: &str, title: &str) {
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
            (CATEGORY_PREFIX, question) if self.category(value).is_some() => {
                let draft = match question {
                    Some(Question::Category { draft, .. }) => Some(draft),
                    _ => None,
                };
                self.set_category(source_id, draft.as_ref(), value);
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
            (DATE_PREFIX, Some(Question::FutureDate { draft, .. })) => {
                self.resolve_date(source_id, draft, value == "keep")
            }
            // The question was answered or expired already.
            _ => self.on_text(title),
        }
    }

    fn remove_question(&mut self, source_id: &str) {
        self.state
            .questions
            .retain(|question| question.source_id() != source_id);
    }

    fn set_category(&mut self, source_id: &str, draft: Option<&Draft>, category_id: &str) {
        let Some(category) = self.category(category_id).cloned() else {
            return;
        };
        self.remove_question(source_id);
        self.effects.push(Effect::SetCategory {
            source_id: source_id.to_owned(),
            category_id: category.id.clone(),
            merchant: draft.and_then(|d| d.merchant.clone()),
        });
        self.effects.push(Effect::Log(FlowEvent::Completed {
            source_id: source_id.to_owned(),
            category_id: category.id.clone(),
            classifier: Classifier::User,
            confidence: 1.0,
        }));
        let text = match draft {
            Some(draft) => {
                self.effects.push(Effect::Notify(Notice::Completed {
                    amount: draft.amount,
                    category: category.name.clone(),
                    classifier: Classifier::User,
                }));
                self.confirmation(draft, &category.name)
            }
            None => match self.language() {
                Language::Spanish => format!("✅ Categoría cambiada a {}.", category.name),
                Language::English => format!("✅ Category changed to {}.", category.name),
            },
        };
        self.reply_text(text);
    }

    fn choose_amount(&mut self, source_id: &str, draft: Draft, amount: Money) {
        self.remove_question(source_id);
        let draft = Draft { amount, ..draft };
        let source_id = source_id.to_owned();
        self.effects
            .push(Effect::Classify(vec![Pending { source_id, draft }]));
    }

    fn resolve_date(&mut self, source_id: &str, draft: Draft, keep: bool) {
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
mod tests;
