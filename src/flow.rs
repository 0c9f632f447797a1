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

use crate::ai::ReceiptReading;
use crate::classify::{self, Classification, Classifier};
use crate::commands::{self, BudgetAlert, ExpenseChange, LedgerAnswer, LedgerQuery};
use crate::kapso::client::{Outbound, MAX_BUTTONS, MAX_BUTTON_TITLE, MAX_ROW_TITLE};
use crate::kapso::Content;
use crate::model::{Category, Customer, Language};
use crate::money::Money;
use crate::parse::{self, AmountReading, Item, ParseContext, SmallTalk};
use crate::recurring;
use crate::reply;

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
    /// The idempotency key of the expense this question is about.
    pub fn source_id(&self) -> &str {
        match self {
            Question::Category { source_id, .. }
            | Question::Amount { source_id, .. }
            | Question::AmountChoice { source_id, .. }
            | Question::FutureDate { source_id, .. } => source_id,
        }
    }

    fn is_asked(&self) -> bool {
        match self {
            Question::Category { asked, .. }
            | Question::Amount { asked, .. }
            | Question::AmountChoice { asked, .. }
            | Question::FutureDate { asked, .. } => *asked,
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
// One value per message or query, never stored in bulk, so boxing the
// large variant would save nothing.
#[allow(clippy::large_enum_variant)]
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
    /// A photo. `reading` is what the vision model read on it, `None` when
    /// it could not be read at all.
    Receipt {
        reading: Option<ReceiptReading>,
        caption: Option<String>,
    },
    /// The customer's merchant rules, loaded for an [`Effect::LoadRules`].
    Rules {
        query: RulesQuery,
        rules: Vec<MerchantRule>,
    },
    /// The answer to an [`Effect::LoadLedger`].
    Ledger {
        query: LedgerQuery,
        answer: LedgerAnswer,
    },
    /// The customer's recurring rules, active and paused, oldest first,
    /// loaded for an [`Effect::LoadRecurring`].
    Recurring {
        query: recurring::chat::Query,
        rules: Vec<recurring::Rule>,
    },
}

impl Input {
    /// The input of a message's content. A voice note counts as its
    /// transcript and a photo or document as its caption, and what carries
    /// neither is [`Input::AudioWithoutTranscript`] or [`Input::Unsupported`].
    /// A photo the vision model reads is the runner's [`Input::Receipt`]
    /// instead.
    pub fn of(content: &Content) -> Input {
        match content {
            Content::Text(text) => Input::Text(text.clone()),
            Content::Choice { id, title } => Input::Choice {
                id: id.clone(),
                title: title.clone(),
            },
            Content::Audio {
                transcript: Some(text),
            } => Input::Text(text.clone()),
            Content::Audio { transcript: None } => Input::AudioWithoutTranscript,
            Content::Image {
                caption: Some(caption),
                ..
            }
            | Content::Document {
                caption: Some(caption),
                ..
            } => Input::Text(caption.clone()),
            Content::Image { .. } | Content::Document { .. } | Content::Unsupported { .. } => {
                Input::Unsupported
            }
        }
    }
}

/// A learned merchant rule: expenses at `merchant` go to `category_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRule {
    pub merchant: String,
    pub category_id: String,
}

/// Why the rules are loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesQuery {
    /// To list them.
    List,
    /// To delete the one for this merchant, as the user typed it.
    Delete(String),
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
    /// `flow.drafts_expired`: drafts whose questions expired were never
    /// recorded, and the user was told.
    DraftsExpired { count: usize },
    /// `flow.cancelled`
    Cancelled { count: usize },
    /// `flow.not_an_expense`
    NotAnExpense,
    /// `flow.settings_changed`: a category was added or renamed, or a rule
    /// deleted.
    SettingsChanged { change: &'static str },
    /// `expense.changed`: an expense was edited, deleted or undone, or a
    /// budget set.
    LedgerChanged { change: &'static str },
    /// `budget.alert_sent`: a category's spending crossed a threshold.
    BudgetAlerted { threshold: u32 },
    /// `recurring.rule_changed`: a recurring rule was created, paused,
    /// resumed or deleted, or the daily reminder turned on or off.
    RecurringChanged { change: &'static str },
}

/// Work for the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Classify these drafts, then call [`advance`] with [`Input::Classified`].
    Classify(Vec<Pending>),
    SaveExpense(NewExpense),
    /// Load the customer's merchant rules, then call [`advance`] with
    /// [`Input::Rules`].
    LoadRules(RulesQuery),
    /// Forget the rule of a merchant.
    DeleteRule {
        merchant: String,
    },
    /// Add a category at the end of the customer's list.
    AddCategory {
        name: String,
        keywords: String,
    },
    RenameCategory {
        category_id: String,
        name: String,
    },
    /// Read the ledger, then call [`advance`] with [`Input::Ledger`].
    LoadLedger(LedgerQuery),
    /// Record an expense's values in `expense_changes`, then change it.
    ChangeExpense(ExpenseChange),
    /// Set or, with `None`, remove a category's monthly budget.
    SetBudget {
        category_id: String,
        budget_minor: Option<i64>,
    },
    /// Record a budget alert so that it is sent once a month.
    RecordBudgetAlert(BudgetAlert),
    /// Remember that expenses at `merchant` go to `category_id`: the user
    /// corrected the category of one.
    LearnRule {
        merchant: String,
        category_id: String,
    },
    /// Point a merchant's rule back after an undo: from `from` to `to`, or
    /// forget it when `to` is `None`. A rule that no longer points to `from`
    /// is left as it is.
    RevertRule {
        merchant: String,
        from: String,
        to: Option<String>,
    },
    /// Load the customer's recurring rules, then call [`advance`] with
    /// [`Input::Recurring`].
    LoadRecurring(recurring::chat::Query),
    /// Store a new recurring rule for the sender.
    SaveRecurring(recurring::NewRule),
    /// Pause, resume or delete a recurring rule of the customer.
    ChangeRecurring {
        rule_id: String,
        action: recurring::chat::Action,
    },
    /// Turn the sender's daily reminder on at a local hour, or off.
    SetDailyReminder {
        hour: Option<u32>,
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

    /// Drops questions nobody answered in time, and tells the user which
    /// drafts were not recorded. Expenses waiting for a category stay stored
    /// as `pending_category` and are asked about again.
    fn expire(&mut self) {
        let count = self.state.questions.len();
        if count == 0 || self.turn.now - self.state.updated_at <= QUESTION_TTL_SECONDS {
            return;
        }
        let expired = std::mem::take(&mut self.state.questions);
        self.effects
            .push(Effect::Log(FlowEvent::QuestionsExpired { count }));
        let language = self.language();
        if let Some(text) =
            expiry::drafts_not_recorded(language, &expired, self.locale(), self.turn.today)
        {
            let count = expiry::unrecorded_count(&expired);
            self.effects
                .push(Effect::Log(FlowEvent::DraftsExpired { count }));
            self.reply_text(text);
        }
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
    fn take_items(&mut self, items: Vec<Item>) {
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
            (DATE_PREFIX, Some(Question::FutureDate { draft, .. })) => {
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

    fn remove_question(&mut self, source_id: &str) {
        self.state
            .questions
            .retain(|question| question.source_id() != source_id);
    }

    /// Gives the expense `source_id` the category the user picked. The
    /// expense is read first, so that a stale or forged button changes and
    /// confirms nothing when it names no expense of this customer.
    fn set_category(&mut self, source_id: &str, category_id: &str) {
        self.remove_question(source_id);
        self.effects.push(Effect::LoadLedger(LedgerQuery::Pick {
            source_id: source_id.to_owned(),
            category_id: category_id.to_owned(),
        }));
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

/// Most categories a customer can have; more would not fit a WhatsApp list
/// or a short prompt.
pub const MAX_CATEGORIES: usize = 20;

impl Machine<'_, '_> {
    /// Turns what the vision model read into an expense, or into a question
    /// for the amount when it read none; a photo is never dropped.
    fn on_receipt(&mut self, reading: Option<ReceiptReading>, caption: Option<String>) {
        let language = self.language();
        let reading = reading.unwrap_or(ReceiptReading {
            amount: None,
            merchant: None,
            spent_on: None,
        });
        let description = caption
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .or_else(|| reading.merchant.clone())
            .unwrap_or_else(|| reply::receipt_description(language).to_owned());
        let spent_on = reading.spent_on.unwrap_or(self.turn.today);
        let merchant = reading.merchant;
        let item = match reading.amount {
            // A total above the maximum is more likely misread than real,
            // so the user is told and asked for the amount.
            Some(amount) if !amount.is_recordable() => {
                self.reply_too_large(amount);
                Item::MissingAmount {
                    description,
                    merchant,
                    spent_on,
                }
            }
            None => {
                self.reply_text(reply::receipt_unreadable(language));
                Item::MissingAmount {
                    description,
                    merchant,
                    spent_on,
                }
            }
            Some(amount) => {
                let draft = parse::Draft {
                    amount,
                    spent_on,
                    description,
                    merchant,
                };
                if spent_on > self.turn.today {
                    Item::FutureDate { draft }
                } else {
                    Item::Expense(draft)
                }
            }
        };
        self.take_items(vec![item]);
    }

    fn on_settings(&mut self, command: Settings) {
        match command {
            Settings::Rules => self.effects.push(Effect::LoadRules(RulesQuery::List)),
            Settings::DeleteRule(merchant) => self
                .effects
                .push(Effect::LoadRules(RulesQuery::Delete(merchant))),
            Settings::AddCategory(name) => self.add_category(&name),
            Settings::RenameCategory(rest) => self.rename_category(&rest),
        }
    }

    fn on_rules(&mut self, query: &RulesQuery, rules: &[MerchantRule]) {
        let language = self.language();
        match query {
            RulesQuery::List => {
                let lines: Vec<(&str, &str)> = rules
                    .iter()
                    .filter_map(|rule| {
                        let category = self.category(&rule.category_id)?;
                        Some((rule.merchant.as_str(), category.name.as_str()))
                    })
                    .collect();
                let text = reply::rule_list(language, &lines);
                self.reply_text(text);
            }
            RulesQuery::Delete(typed) => {
                let wanted = classify::words_of(typed);
                let found = rules
                    .iter()
                    .find(|rule| classify::words_of(&rule.merchant) == wanted);
                match found {
                    Some(rule) => {
                        self.effects.push(Effect::DeleteRule {
                            merchant: rule.merchant.clone(),
                        });
                        self.effects.push(Effect::Log(FlowEvent::SettingsChanged {
                            change: "rule_deleted",
                        }));
                        self.reply_text(reply::rule_deleted(language, &rule.merchant));
                    }
                    None => self.reply_text(reply::rule_not_found(language, typed.trim())),
                }
            }
        }
    }

    fn add_category(&mut self, typed: &str) {
        let language = self.language();
        let Some(name) = category_name(typed) else {
            return self.reply_text(reply::category_name_invalid(language));
        };
        if let Some(existing) = classify::category_by_name(&name, self.turn.categories) {
            let text = reply::category_exists(language, &existing.name);
            return self.reply_text(text);
        }
        if self.turn.categories.len() >= MAX_CATEGORIES {
            return self.reply_text(reply::too_many_categories(language, MAX_CATEGORIES));
        }
        self.effects.push(Effect::AddCategory {
            keywords: classify::words_of(&name),
            name: name.clone(),
        });
        self.effects.push(Effect::Log(FlowEvent::SettingsChanged {
            change: "category_added",
        }));
        self.reply_text(reply::category_added(language, &name));
    }

    /// Renames from `rest`, `<old> a <new>` or `<old> to <new>`: the split is
    /// the first one whose left side names an existing category, so names
    /// that contain ` a ` still work.
    fn rename_category(&mut self, rest: &str) {
        let language = self.language();
        let split = [" a ", " to ", " -> ", " → "].iter().find_map(|separator| {
            rest.match_indices(separator).find_map(|(at, _)| {
                let old = classify::category_by_name(&rest[..at], self.turn.categories)?;
                Some((old.clone(), rest[at + separator.len()..].to_owned()))
            })
        });
        let Some((old, typed)) = split else {
            return self.reply_text(reply::rename_usage(language));
        };
        let Some(name) = category_name(&typed) else {
            return self.reply_text(reply::category_name_invalid(language));
        };
        if let Some(existing) = classify::category_by_name(&name, self.turn.categories) {
            if existing.id != old.id {
                let text = reply::category_exists(language, &existing.name);
                return self.reply_text(text);
            }
        }
        self.effects.push(Effect::RenameCategory {
            category_id: old.id.clone(),
            name: name.clone(),
        });
        self.effects.push(Effect::Log(FlowEvent::SettingsChanged {
            change: "category_renamed",
        }));
        self.reply_text(reply::category_renamed(language, &old.name, &name));
    }
}

/// A command that changes or lists the customer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Settings {
    Rules,
    DeleteRule(String),
    AddCategory(String),
    /// The text after the command: `<old> a <new>`.
    RenameCategory(String),
}

const RULES_WORDS: &[&str] = &[
    "reglas",
    "mis reglas",
    "ver reglas",
    "rules",
    "my rules",
    "list rules",
];
const DELETE_RULE_PREFIXES: &[&str] = &[
    "borrar regla",
    "borra regla",
    "eliminar regla",
    "quitar regla",
    "delete rule",
    "remove rule",
    "forget rule",
];
const ADD_CATEGORY_PREFIXES: &[&str] = &[
    "agregar categoria",
    "agrega categoria",
    "añadir categoria",
    "anadir categoria",
    "nueva categoria",
    "crear categoria",
    "add category",
    "new category",
    "create category",
];
const RENAME_CATEGORY_PREFIXES: &[&str] = &[
    "renombrar categoria",
    "renombra categoria",
    "renombrar la categoria",
    "rename category",
    "rename the category",
];

fn settings_command(text: &str) -> Option<Settings> {
    if RULES_WORDS.contains(&classify::words_of(text).as_str()) {
        return Some(Settings::Rules);
    }
    if let Some(rest) = after_prefix(text, DELETE_RULE_PREFIXES) {
        return Some(Settings::DeleteRule(rest));
    }
    if let Some(rest) = after_prefix(text, ADD_CATEGORY_PREFIXES) {
        return Some(Settings::AddCategory(rest));
    }
    after_prefix(text, RENAME_CATEGORY_PREFIXES).map(Settings::RenameCategory)
}

/// The words of `text` after the first of `prefixes` it starts with (folded,
/// so `Categoría` matches `categoria`), as typed; `None` when no prefix
/// matches or nothing follows it.
fn after_prefix(text: &str, prefixes: &[&str]) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    prefixes.iter().find_map(|prefix| {
        let count = prefix.split(' ').count();
        if words.len() <= count || classify::words_of(&words[..count].join(" ")) != *prefix {
            return None;
        }
        Some(words[count..].join(" "))
    })
}

/// Cleans a category name the user typed: single spaces, no surrounding
/// quotes or final period, first letter upper case. `None` unless it has a
/// letter and fits a WhatsApp list row.
fn category_name(typed: &str) -> Option<String> {
    let trimmed = typed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '*' | '«' | '»' | '“' | '”' | '.'))
        .trim()
        .to_owned();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_ROW_TITLE || !trimmed.chars().any(char::is_alphabetic) {
        return None;
    }
    if trimmed.contains('|') {
        return None;
    }
    let mut chars = trimmed.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
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

/// Commands about recorded expenses; see [`commands`].
impl Machine<'_, '_> {
    fn on_ledger(&mut self, query: LedgerQuery, answer: LedgerAnswer) {
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
    fn check_budgets<'c>(
        &mut self,
        completed: impl IntoIterator<Item = (&'c str, Money, NaiveDate)>,
    ) {
        if let Some(query) = commands::budget_query(completed) {
            self.effects.push(Effect::LoadLedger(query));
        }
    }
}

mod amounts;
mod expiry;

#[cfg(test)]
mod tests;

/// Chat commands for categories and rules, and receipt photos.
#[cfg(test)]
mod settings_tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::money::Currency;

    const NOW: i64 = 1_796_371_200;

    fn customer(locale: &str) -> Customer {
        Customer {
            id: "c1".into(),
            name: "Casa".into(),
            home_currency: Currency::Clp,
            locale: locale.into(),
            time_zone: "America/Santiago".into(),
            confidence_threshold: 0.75,
        }
    }

    fn categories() -> Vec<Category> {
        let make = |id: &str, name: &str| Category {
            id: id.into(),
            name: name.into(),
            keywords: vec![],
        };
        vec![
            make("food", "Comida a domicilio"),
            make("transport", "Transporte"),
            make("education", "Educación"),
            make("other", "Otros"),
        ]
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default()
    }

    fn run(state: State, input: Input, locale: &str, categories: &[Category]) -> Transition {
        let customer = customer(locale);
        let turn = Turn {
            customer: &customer,
            categories,
            today: today(),
            now: NOW,
            message_id: "wamid.1",
        };
        advance(state, input, &turn)
    }

    fn step(input: Input) -> Transition {
        run(State::default(), input, "es-CL", &categories())
    }

    fn text(typed: &str) -> Input {
        Input::Text(typed.into())
    }

    fn replies(transition: &Transition) -> Vec<String> {
        transition
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Reply(outbound) => Some(outbound.text().to_owned()),
                _ => None,
            })
            .collect()
    }

    fn rules() -> Vec<MerchantRule> {
        vec![
            MerchantRule {
                merchant: "uber".into(),
                category_id: "transport".into(),
            },
            MerchantRule {
                merchant: "santa isabel".into(),
                category_id: "food".into(),
            },
        ]
    }

    #[test]
    fn rules_command_loads_then_lists_rules() {
        for typed in ["reglas", "Mis reglas", "rules", "list rules"] {
            let first = step(text(typed));
            assert_eq!(
                first.effects,
                vec![Effect::LoadRules(RulesQuery::List)],
                "{typed}"
            );
        }
        let listed = step(Input::Rules {
            query: RulesQuery::List,
            rules: rules(),
        });
        let reply = replies(&listed).join("\n");
        assert!(reply.contains("• uber → Transporte"), "{reply}");
        assert!(
            reply.contains("• santa isabel → Comida a domicilio"),
            "{reply}"
        );
        assert!(reply.contains("borrar regla"), "{reply}");
    }

    #[test]
    fn no_rules_says_how_rules_are_made() {
        let listed = step(Input::Rules {
            query: RulesQuery::List,
            rules: vec![],
        });
        assert!(replies(&listed)[0].starts_with("Aún no tengo reglas"));
    }

    #[test]
    fn delete_rule_removes_the_typed_merchant() {
        let cases = [
            ("borrar regla uber", "uber"),
            ("Eliminar regla Santa Isabel", "Santa Isabel"),
            ("delete rule UBER", "UBER"),
        ];
        for (typed, merchant) in cases {
            let first = step(text(typed));
            assert_eq!(
                first.effects,
                vec![Effect::LoadRules(RulesQuery::Delete(merchant.into()))],
                "{typed}"
            );
        }
        let deleted = step(Input::Rules {
            query: RulesQuery::Delete("Santa Isabel".into()),
            rules: rules(),
        });
        assert!(deleted.effects.contains(&Effect::DeleteRule {
            merchant: "santa isabel".into()
        }));
        assert!(replies(&deleted)[0].contains("borré la regla de santa isabel"));
    }

    #[test]
    fn deleting_a_missing_rule_deletes_nothing() {
        let result = step(Input::Rules {
            query: RulesQuery::Delete("rappi".into()),
            rules: rules(),
        });
        let deletes = result
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::DeleteRule { .. }))
            .count();
        assert_eq!(deletes, 0);
        assert_eq!(
            replies(&result),
            vec!["No tengo una regla para rappi. Escribe *reglas* para verlas."]
        );
    }

    #[test]
    fn add_category_inserts_a_clean_name() {
        let cases = [
            ("agregar categoría Mascotas", "Mascotas", "mascotas"),
            (
                "Agregar Categoria   cuidado   personal.",
                "Cuidado personal",
                "cuidado personal",
            ),
            ("nueva categoría \"Regalos\"", "Regalos", "regalos"),
            ("add category Pets", "Pets", "pets"),
        ];
        for (typed, name, keywords) in cases {
            let result = step(text(typed));
            assert!(
                result.effects.contains(&Effect::AddCategory {
                    name: name.into(),
                    keywords: keywords.into()
                }),
                "{typed}: {:?}",
                result.effects
            );
        }
        let english = run(
            State::default(),
            text("add category Pets"),
            "en-US",
            &categories(),
        );
        assert_eq!(replies(&english), vec!["✅ Added the category Pets."]);
    }

    #[test]
    fn add_category_rejects_bad_or_taken_names() {
        let cases = [
            (
                "agregar categoría educacion",
                "Ya tienes una categoría Educación.",
            ),
            ("agregar categoría OTROS", "Ya tienes una categoría Otros."),
            (
                "agregar categoría 123",
                "El nombre de la categoría debe tener letras",
            ),
            (
                "agregar categoría una categoría con un nombre larguísimo",
                "El nombre de la categoría debe tener letras",
            ),
            (
                "agregar categoría a|b",
                "El nombre de la categoría debe tener letras",
            ),
        ];
        for (typed, expected) in cases {
            let result = step(text(typed));
            let adds = result
                .effects
                .iter()
                .filter(|e| matches!(e, Effect::AddCategory { .. }))
                .count();
            assert_eq!(adds, 0, "{typed}");
            assert!(
                replies(&result)[0].starts_with(expected),
                "{typed}: {:?}",
                replies(&result)
            );
        }
    }

    #[test]
    fn add_category_stops_at_the_maximum() {
        let many: Vec<Category> = (0..MAX_CATEGORIES)
            .map(|i| Category {
                id: format!("c{i}"),
                name: format!("Categoría {i}"),
                keywords: vec![],
            })
            .collect();
        let result = run(
            State::default(),
            text("agregar categoría Mascotas"),
            "es-CL",
            &many,
        );
        assert!(!result
            .effects
            .iter()
            .any(|e| matches!(e, Effect::AddCategory { .. })));
        assert!(replies(&result)[0].starts_with("Ya tienes 20 categorías"));
    }

    #[test]
    fn rename_splits_where_the_old_name_exists() {
        let cases = [
            ("renombrar categoría Otros a Varios", "other", "Varios"),
            (
                "renombrar categoria comida a domicilio a Delivery",
                "food",
                "Delivery",
            ),
            (
                "rename category Transporte to Movilidad",
                "transport",
                "Movilidad",
            ),
            (
                "renombrar categoría educación a Educación",
                "education",
                "Educación",
            ),
        ];
        for (typed, category_id, name) in cases {
            let result = step(text(typed));
            assert!(
                result.effects.contains(&Effect::RenameCategory {
                    category_id: category_id.into(),
                    name: name.into()
                }),
                "{typed}: {:?}",
                result.effects
            );
        }
        let result = step(text("renombrar categoría Otros a Varios"));
        assert_eq!(
            replies(&result),
            vec!["✅ La categoría Otros ahora se llama Varios."]
        );
    }

    #[test]
    fn rename_rejects_unknown_or_taken_names() {
        let cases = [
            (
                "renombrar categoría Mascotas a Animales",
                "No encontré esa categoría",
            ),
            ("renombrar categoría Otros", "No encontré esa categoría"),
            (
                "renombrar categoría Otros a Transporte",
                "Ya tienes una categoría Transporte.",
            ),
            (
                "renombrar categoría Otros a 42",
                "El nombre de la categoría debe tener letras",
            ),
        ];
        for (typed, expected) in cases {
            let result = step(text(typed));
            assert!(
                !result
                    .effects
                    .iter()
                    .any(|e| matches!(e, Effect::RenameCategory { .. })),
                "{typed}"
            );
            assert!(
                replies(&result)[0].starts_with(expected),
                "{typed}: {:?}",
                replies(&result)
            );
        }
    }

    #[test]
    fn commands_keep_the_open_question() {
        let draft = Draft {
            amount: Money::new(5_000, Currency::Clp),
            spent_on: today(),
            description: "xyz".into(),
            merchant: None,
        };
        let state = State {
            questions: vec![Question::Category {
                source_id: "wamid.0#1".into(),
                draft,
                options: vec!["food".into()],
                asked: true,
            }],
            updated_at: NOW - 60,
        };
        let result = run(state, text("reglas"), "es-CL", &categories());
        assert_eq!(result.state.questions.len(), 1);
        assert_eq!(result.effects, vec![Effect::LoadRules(RulesQuery::List)]);
    }

    fn receipt(amount: Option<i64>, merchant: Option<&str>, day: Option<NaiveDate>) -> Input {
        Input::Receipt {
            reading: Some(ReceiptReading {
                amount: amount.map(|minor| Money::new(minor, Currency::Clp)),
                merchant: merchant.map(str::to_owned),
                spent_on: day,
            }),
            caption: None,
        }
    }

    #[test]
    fn readable_receipt_is_classified() {
        let yesterday = today().pred_opt();
        let result = step(receipt(Some(12_990), Some("jumbo"), yesterday));
        assert_eq!(
            result.effects,
            vec![Effect::Classify(vec![Pending {
                source_id: "wamid.1#1".into(),
                draft: Draft {
                    amount: Money::new(12_990, Currency::Clp),
                    spent_on: yesterday.unwrap_or_default(),
                    description: "jumbo".into(),
                    merchant: Some("jumbo".into()),
                },
            }])]
        );
    }

    #[test]
    fn receipt_caption_becomes_the_description() {
        let result = step(Input::Receipt {
            reading: Some(ReceiptReading {
                amount: Some(Money::new(8_000, Currency::Clp)),
                merchant: None,
                spent_on: None,
            }),
            caption: Some(" boleta farmacia ".into()),
        });
        let Some(Effect::Classify(pending)) = result.effects.first() else {
            panic!("expected a classify effect, found {:?}", result.effects);
        };
        assert_eq!(pending[0].draft.description, "boleta farmacia");
        assert_eq!(pending[0].draft.spent_on, today());
    }

    #[test]
    fn unreadable_photo_asks_for_the_amount() {
        for input in [
            Input::Receipt {
                reading: None,
                caption: None,
            },
            receipt(None, Some("jumbo"), None),
        ] {
            let result = step(input.clone());
            let texts = replies(&result);
            assert_eq!(
                texts[0], "📷 No pude leer el monto en la foto.",
                "{input:?}"
            );
            assert!(texts[1].starts_with("¿Cuánto fue"), "{input:?}: {texts:?}");
            assert!(
                matches!(result.state.questions.as_slice(), [Question::Amount { .. }]),
                "{input:?}"
            );
        }
        let result = step(Input::Receipt {
            reading: None,
            caption: None,
        });
        assert!(replies(&result)[1].contains("la boleta de la foto"));
    }

    #[test]
    fn receipt_above_the_maximum_asks_for_the_amount() {
        let result = step(receipt(Some(100_000_000_001), Some("jumbo"), None));
        let texts = replies(&result);
        assert!(
            texts[0].starts_with("CLP 100.000.000.001 es más de lo que puedo anotar"),
            "{texts:?}"
        );
        assert!(texts[1].starts_with("¿Cuánto fue"), "{texts:?}");
        assert!(matches!(
            result.state.questions.as_slice(),
            [Question::Amount { .. }]
        ));
        assert!(!result
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::Classify(_))));
    }

    #[test]
    fn receipt_dated_in_the_future_asks_about_the_date() {
        let result = step(receipt(Some(5_000), None, today().succ_opt()));
        assert!(matches!(
            result.state.questions.as_slice(),
            [Question::FutureDate { .. }]
        ));
    }
}
