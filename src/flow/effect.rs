//! What the machine asks the runner to do: writes, reads, replies, notices
//! and log events.

use super::{Draft, Pending, RulesQuery, State};
use crate::classify::Classifier;
use crate::commands::{BudgetAlert, ExpenseChange, LedgerQuery};
use crate::kapso::client::Outbound;
use crate::money::Money;
use crate::recurring;

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
    /// Classify these drafts, then call [`advance`](super::advance) with [`Input::Classified`](super::Input::Classified).
    Classify(Vec<Pending>),
    SaveExpense(NewExpense),
    /// Load the customer's merchant rules, then call [`advance`](super::advance) with
    /// [`Input::Rules`](super::Input::Rules).
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
    /// Read the ledger, then call [`advance`](super::advance) with [`Input::Ledger`](super::Input::Ledger).
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
    /// Load the customer's recurring rules, then call [`advance`](super::advance) with
    /// [`Input::Recurring`](super::Input::Recurring).
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
