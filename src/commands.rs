//! Commands about expenses already recorded: undo, delete, edit, list, the
//! month summary and budgets.
//!
//! [`recognise`] reads a text as one of these commands. The flow turns a
//! command into an [`crate::flow::Effect::LoadLedger`] (a D1 read the runner performs) and
//! feeds the answer back as [`crate::flow::Input::Ledger`]; [`respond`] then
//! decides the writes and the reply. Like the flow, this module is pure: it
//! reads no clock and touches no binding.
//!
//! Every change to an expense is recorded in `expense_changes` with the values
//! before it, and is reversible: `deshacer` undoes the user's latest change or
//! recording, and an undo is itself a change, so a second `deshacer` redoes
//! it. Deleting sets `status = 'deleted'`; nothing is removed. Correcting the
//! category of an expense with a merchant teaches the merchant's rule, as
//! picking one does, and undoing the correction points the rule back.
//! Picking a category for a pending expense (`pick`) is a change like any
//! other, so undoing it puts the expense back to pending, forgets the rule
//! the pick taught and asks the category question again.
//!
//! Summaries and budgets count every currency in the home one: the runner
//! loads the rate tables of the dates involved and `summary` and
//! `budgets` convert each amount at the rate of its own date. An amount
//! without a rate is named as not converted and left out of the total it
//! would have joined; nothing is guessed.

mod budgets;
mod ledger;
mod pick;
mod recognise;
mod summary;
mod texts;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::fx::Tables;
use crate::money::{Currency, Money};

pub use budgets::budget_query;
pub use ledger::{is_keep, on_choice, respond, start, Response};
pub use recognise::recognise;

/// Percentages of a monthly budget at which the user is told, once a month.
pub const BUDGET_THRESHOLDS: [u32; 2] = [80, 100];
/// Rows of the recent list: the most a WhatsApp list message holds.
pub const RECENT_COUNT: usize = 10;

/// A command about recorded expenses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Undo the user's latest change or recording.
    Undo,
    DeleteLast,
    /// Delete the n-th (1-based) expense of the recent list.
    DeleteNumber(usize),
    Recent,
    /// Change a field of the user's last expense.
    Edit(Edit),
    Summary {
        period: Period,
        scope: Scope,
    },
    /// Set a category's monthly budget in minor units of the home currency;
    /// `None` removes it.
    Budget {
        category_id: String,
        minor: Option<i64>,
    },
}

/// What [`recognise`] found: a command, or a text that names a command but
/// whose argument does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recognised {
    Command(Command),
    Invalid(Problem),
}

/// Why a command's argument was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The text after the command names no category; it is kept as typed.
    UnknownCategory(String),
    /// An edit whose new value could not be read.
    EditUsage,
    /// The amount has several readings (`12,500` in a locale that cannot
    /// decide).
    AmountAmbiguous,
    /// The date named is after today.
    DateInFuture,
    BudgetUsage,
    /// A budget in another currency than the home one.
    BudgetCurrency(Currency),
    /// The month after `resumen` could not be read.
    PeriodUnknown,
}

/// A change to one field of an expense.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edit {
    Amount(Money),
    /// A category id of the customer; a pending expense becomes completed.
    Category(String),
    Date(NaiveDate),
    Description(String),
}

/// Whose expenses a summary adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Every member's expenses: the default.
    Household,
    /// Only the sender's.
    Mine,
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Period {
    /// The month `day` falls in.
    pub fn of(day: NaiveDate) -> Period {
        Period {
            year: day.year(),
            month: day.month(),
        }
    }

    /// Reads `2026-11`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Period> {
        let (year, month) = text.trim().split_once('-')?;
        if year.len() != 4 || month.is_empty() || month.len() > 2 {
            return None;
        }
        Period::new(year.parse().ok()?, month.parse().ok()?)
    }

    /// A month of a year between 2000 and 2999.
    pub fn new(year: i32, month: u32) -> Option<Period> {
        ((2000..3000).contains(&year) && (1..=12).contains(&month))
            .then_some(Period { year, month })
    }

    /// `YYYY-MM`, as stored in `budget_alerts.period` and link claims.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.first_day()
            .checked_add_months(Months::new(1))
            .and_then(|next| next.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// The month before this one.
    pub fn previous(self) -> Period {
        Period::of(self.first_day().pred_opt().unwrap_or(NaiveDate::MIN))
    }

    /// Days in the month.
    pub fn days(self) -> u32 {
        self.last_day().day()
    }
}

/// The status of a stored expense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    PendingCategory,
    Completed,
    Deleted,
}

impl Status {
    /// Reads `expenses.status`.
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "pending_category" => Some(Status::PendingCategory),
            "completed" => Some(Status::Completed),
            "deleted" => Some(Status::Deleted),
            _ => None,
        }
    }
}

/// The fields of an expense that a change can set, and that
/// `expense_changes` keeps from before each change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    pub amount: Money,
    pub spent_on: NaiveDate,
    pub description: String,
    pub category_id: Option<String>,
    pub status: Status,
}

/// A stored expense, as the commands read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpenseRecord {
    pub id: String,
    /// `expenses.source_message_id`, which open questions are keyed by.
    pub source_id: String,
    pub merchant: Option<String>,
    pub values: Values,
}

/// An `expenses` row as D1 returns it. D1 numbers arrive as floats.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpenseRow {
    pub id: String,
    pub source_message_id: String,
    pub amount_minor: f64,
    pub currency: String,
    pub spent_on: String,
    pub description: String,
    pub merchant: Option<String>,
    pub category_id: Option<String>,
    pub status: String,
}

impl ExpenseRow {
    /// The record, or `None` when a column holds a value this version does
    /// not know (an unknown currency or status).
    pub fn into_record(self) -> Option<ExpenseRecord> {
        let values = Values {
            amount: Money::new(
                self.amount_minor as i64,
                Currency::from_code(&self.currency)?,
            ),
            spent_on: NaiveDate::parse_from_str(&self.spent_on, "%Y-%m-%d").ok()?,
            description: self.description,
            category_id: self.category_id,
            status: Status::parse(&self.status)?,
        };
        Some(ExpenseRecord {
            id: self.id,
            source_id: self.source_message_id,
            merchant: self.merchant,
            values,
        })
    }
}

/// A D1 read the flow needs before it can answer a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerQuery {
    /// The user's most recent non-deleted expense.
    Last(LastIntent),
    /// The user's latest change or recording, with the expense it touched.
    UndoTarget,
    /// The user's [`RECENT_COUNT`] most recent non-deleted expenses.
    Recent(RecentIntent),
    /// One of the user's expenses, from a list row or a confirm button.
    Expense { id: String, intent: ExpenseIntent },
    /// The expense that a category question asked about, by its source id,
    /// to give it the category the user picked (a button, a list row, or
    /// the category typed as the answer).
    Pick {
        source_id: String,
        category_id: String,
    },
    /// The expenses of a month, for the summary and its report link.
    Summary { period: Period, scope: Scope },
    /// Budget use of the categories that new expenses went to.
    Budgets(Vec<BudgetCheck>),
    /// The user's oldest expense still waiting for a category.
    OldestPending,
}

/// What to do with the last expense once it is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastIntent {
    Delete,
    Edit(Edit),
}

/// What to do with the recent expenses once they are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecentIntent {
    List,
    /// Delete the n-th, 1-based.
    Delete(usize),
}

/// What to do with one expense once it is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpenseIntent {
    /// Ask whether to delete it.
    ConfirmDelete,
    Delete,
}

/// The answer to a [`LedgerQuery`].
// One value per message or query, never stored in bulk, so boxing the
// large variant would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum LedgerAnswer {
    /// For `Last`, `Recent`, `Expense`, `Pick` and `OldestPending`: at
    /// most one row, except for `Recent`.
    Expenses(Vec<ExpenseRecord>),
    Undo(Option<UndoTarget>),
    Summary(Box<MonthSummary>),
    Budgets {
        statuses: Vec<BudgetStatus>,
        /// Rate tables against the home currency for the dates of the
        /// amounts in other currencies.
        rates: Tables,
    },
}

/// The user's latest action, as `deshacer` finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoTarget {
    /// The expense as it is now.
    pub expense: ExpenseRecord,
    /// The latest change, or `None` when the latest action recorded the
    /// expense.
    pub change: Option<PastChange>,
}

/// A row of `expense_changes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastChange {
    pub id: String,
    /// The expense's values before that change; undoing it restores them.
    pub before: Values,
}

/// The expenses of one month, with the customer's budgets.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthSummary {
    pub period: Period,
    pub scope: Scope,
    pub lines: Vec<crate::report::Line>,
    /// `(category id, monthly budget in home-currency minor units)`.
    pub budgets: Vec<(String, i64)>,
    /// The signed report link; `None` when `PUBLIC_BASE_URL` or a signing
    /// key is missing.
    pub link: Option<String>,
    /// Rate tables against the home currency for the dates of the amounts
    /// in other currencies; a date without a table leaves its amounts
    /// unconverted.
    pub rates: Tables,
}

/// A category whose month this message adds to: new expenses, or an edit
/// that moves or changes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetCheck {
    pub category_id: String,
    pub period: Period,
    /// What this message adds, as `(date, amount)` in any currency: each
    /// counts in the home currency at the rate of its date.
    pub added: Vec<(NaiveDate, Money)>,
    /// The id of an edited expense. Its stored values are left out of the
    /// month's spending, because `added` holds its new ones.
    pub replaces: Option<String>,
}

/// A category's budget and its month's spending before this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetStatus {
    pub check: BudgetCheck,
    pub budget_minor: i64,
    /// The category's completed expenses of the month already committed,
    /// except `check.replaces`, as `(date, amount)` in their own currencies.
    pub spent: Vec<(NaiveDate, Money)>,
    /// Thresholds already announced this month for this budget.
    pub announced: Vec<u32>,
}

/// A change to one expense, for the runner to record and apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpenseChange {
    pub expense_id: String,
    pub kind: ChangeKind,
}

/// What a change does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Edit(Edit),
    Delete,
    /// Undo a recording: the expense is deleted.
    UndoRecording,
    /// Undo a change: the expense gets back the values `change_id` kept.
    Revert {
        change_id: String,
    },
}

impl ChangeKind {
    /// The value of `expense_changes.action`.
    pub fn action(&self) -> &'static str {
        match self {
            ChangeKind::Edit(_) => "edit",
            ChangeKind::Delete => "delete",
            ChangeKind::UndoRecording | ChangeKind::Revert { .. } => "undo",
        }
    }
}

/// A budget threshold crossed this month, to record so it is announced once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetAlert {
    pub category_id: String,
    pub period: Period,
    pub threshold: u32,
    pub budget_minor: i64,
    pub spent_minor: i64,
}

#[cfg(test)]
mod tests;
