//! Recurring expenses: rules such as `arriendo 450.000 todos los meses el 5`,
//! and the dates their occurrences fall on.
//!
//! A rule repeats monthly on a day of the month, or weekly on a weekday.
//! [`due_occurrences`] lists the occurrences a scheduled run must record:
//! those from the later of the rule's `active_from` and its last recorded
//! occurrence, up to today in the customer's time zone, looking back at most
//! [`CATCH_UP_DAYS`]. Each occurrence has a period key, and the expense it
//! becomes has the idempotency key `recurring:<rule id>:<period>`, which the
//! unique `expenses.source_message_id` enforces: recording one twice changes
//! nothing. [`phrase`] reads rules out of chat text and [`chat`] runs the
//! chat commands; the scheduled run itself lives in `scheduled`. Pure.

pub mod chat;
pub mod phrase;
mod replies;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::classify::Classification;
use crate::flow::{ExpenseStatus, NewExpense, Pending};
use crate::model::Category;
use crate::money::Money;

/// Days before today a scheduled run still records a missed occurrence, so
/// that runs lost in an outage of up to a month are made up for.
pub const CATCH_UP_DAYS: u64 = 31;

/// How often a rule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    /// On `day` (1 to 31) of each month; in a shorter month, on its last day.
    Monthly {
        day: u32,
    },
    Weekly {
        weekday: Weekday,
    },
}

impl Frequency {
    /// Returns the value of `recurring_rules.frequency`.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly { .. } => "monthly",
            Frequency::Weekly { .. } => "weekly",
        }
    }

    /// Returns the value of `recurring_rules.day`: the day of the month, or the ISO
    /// weekday number (1 is Monday).
    pub fn day_column(self) -> u32 {
        match self {
            Frequency::Monthly { day } => day,
            Frequency::Weekly { weekday } => weekday.number_from_monday(),
        }
    }

    /// Reads the two columns back; `None` for values the migration's checks
    /// would reject.
    pub fn from_columns(frequency: &str, day: u32) -> Option<Frequency> {
        match frequency {
            "monthly" if (1..=31).contains(&day) => Some(Frequency::Monthly { day }),
            "weekly" if (1..=7).contains(&day) => {
                let weekday = Weekday::try_from(u8::try_from(day - 1).ok()?).ok()?;
                Some(Frequency::Weekly { weekday })
            }
            _ => None,
        }
    }

    /// Returns the first occurrence on or after `from`.
    pub fn next_on_or_after(self, from: NaiveDate) -> NaiveDate {
        match self {
            Frequency::Monthly { day } => {
                let this_month = day_in_month(from, day);
                if this_month >= from {
                    return this_month;
                }
                let next = from
                    .with_day(1)
                    .and_then(|first| first.checked_add_months(Months::new(1)))
                    .unwrap_or(NaiveDate::MAX);
                day_in_month(next, day)
            }
            Frequency::Weekly { weekday } => {
                let ahead = (7 + weekday.num_days_from_monday()
                    - from.weekday().num_days_from_monday())
                    % 7;
                from.checked_add_days(Days::new(u64::from(ahead)))
                    .unwrap_or(NaiveDate::MAX)
            }
        }
    }

    /// Returns the period an occurrence on `date` belongs to: `2026-12` for a
    /// monthly rule, the ISO week `2026-W49` for a weekly one.
    pub fn period_of(self, date: NaiveDate) -> String {
        match self {
            Frequency::Monthly { .. } => date.format("%Y-%m").to_string(),
            Frequency::Weekly { .. } => {
                let week = date.iso_week();
                format!("{:04}-W{:02}", week.year(), week.week())
            }
        }
    }
}

/// `day` of the month `date` is in, or that month's last day when it is
/// shorter (day 31 in February is the 28th or 29th).
fn day_in_month(date: NaiveDate, day: u32) -> NaiveDate {
    let first = date.with_day(1).unwrap_or(date);
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(first);
    first.with_day(day.min(last.day())).unwrap_or(last)
}

/// Whether a rule records occurrences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleStatus {
    Active,
    Paused,
}

impl RuleStatus {
    /// Returns the value of `recurring_rules.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Active => "active",
            RuleStatus::Paused => "paused",
        }
    }

    /// Reads the column; a deleted rule is never loaded, so it is `None`.
    pub fn parse(text: &str) -> Option<RuleStatus> {
        match text {
            "active" => Some(RuleStatus::Active),
            "paused" => Some(RuleStatus::Paused),
            _ => None,
        }
    }
}

/// A rule read from chat, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub description: String,
    pub merchant: Option<String>,
    pub amount: Money,
    pub frequency: Frequency,
    /// Today in the customer's time zone: no occurrence falls before it.
    pub active_from: NaiveDate,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub merchant: Option<String>,
    pub amount: Money,
    pub frequency: Frequency,
    pub status: RuleStatus,
    /// The first date an occurrence may fall on: the day the rule was
    /// created, or the day it was last resumed.
    pub active_from: NaiveDate,
    /// The date of the latest recorded occurrence.
    pub last_occurrence_on: Option<NaiveDate>,
}

impl Rule {
    /// Returns the next occurrence still to record, on or after `today`'s earliest
    /// unrecorded date. Paused rules have none.
    pub fn next_occurrence(&self, today: NaiveDate) -> Option<NaiveDate> {
        if self.status == RuleStatus::Paused {
            return None;
        }
        let after_last = self
            .last_occurrence_on
            .and_then(|last| last.succ_opt())
            .unwrap_or(self.active_from);
        let from = after_last.max(self.active_from).max(today);
        Some(self.frequency.next_on_or_after(from))
    }
}

/// One occurrence of a rule: the expense to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub date: NaiveDate,
    /// [`Frequency::period_of`] the date.
    pub period: String,
}

/// Lists the occurrences of a rule to record on `today` (the customer's local
/// date), oldest first: on or after `active_from`, after
/// `last_occurrence_on`, no later than today and no earlier than
/// [`CATCH_UP_DAYS`] before it.
pub fn due_occurrences(
    frequency: Frequency,
    active_from: NaiveDate,
    last_occurrence_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<Occurrence> {
    let oldest = today
        .checked_sub_days(Days::new(CATCH_UP_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let after_last = last_occurrence_on
        .and_then(|last| last.succ_opt())
        .unwrap_or(NaiveDate::MIN);
    let mut from = active_from.max(oldest).max(after_last);
    let mut due = Vec::new();
    while from <= today {
        let date = frequency.next_on_or_after(from);
        if date > today {
            break;
        }
        due.push(Occurrence {
            date,
            period: frequency.period_of(date),
        });
        match date.succ_opt() {
            Some(next) => from = next,
            None => break,
        }
    }
    due
}

/// Returns the wall-clock time at `now` in the IANA `time_zone`; `None` when the
/// zone is unknown.
pub fn local_time(now: DateTime<Utc>, time_zone: &str) -> Option<NaiveDateTime> {
    let zone: chrono_tz::Tz = time_zone.parse().ok()?;
    Some(now.with_timezone(&zone).naive_local())
}

/// Builds the expense an occurrence becomes, decided as the flow decides a
/// typed one: completed in the proposed category when that category is the
/// customer's and the confidence reaches `threshold`, else waiting for a
/// category (the flow sends its question on a later message).
pub fn occurrence_expense(
    pending: Pending,
    classification: &Classification,
    categories: &[Category],
    threshold: f64,
) -> NewExpense {
    let category = classification
        .category_id
        .as_deref()
        .filter(|id| categories.iter().any(|category| category.id == *id))
        .filter(|_| classification.completes(threshold));
    NewExpense {
        source_id: pending.source_id,
        draft: pending.draft,
        category_id: category.map(str::to_owned),
        confidence: classification.confidence,
        classifier: classification.classifier,
        status: if category.is_some() {
            ExpenseStatus::Completed
        } else {
            ExpenseStatus::PendingCategory
        },
    }
}

/// Returns the `expenses.source_message_id` of an occurrence.
pub fn source_id(rule_id: &str, period: &str) -> String {
    format!("recurring:{rule_id}:{period}")
}

#[cfg(test)]
mod tests;
