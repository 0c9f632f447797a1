//! Chat commands about recurring rules and the daily reminder: create a
//! rule, list the rules, pause, resume or delete one, and turn the daily
//! reminder on or off.
//!
//! Like `commands`, this module is pure. [`recognise_command`] and
//! [`recognise_rule`] read a text; [`start`] returns the first effects (a
//! write and its confirmation, or a D1 read as [`Effect::LoadRecurring`]);
//! once the runner performs that read, [`respond`] decides the change and the
//! reply.

use super::phrase::{self, PhraseProblem};
use super::replies;
use super::{NewRule, Rule, RuleStatus};
use crate::classify;
use crate::flow::{Effect, FlowEvent, Turn};
use crate::kapso::client::Outbound;
use crate::model::Language;
use crate::parse::ParseContext;
use crate::reply;

/// Local hour of the daily reminder when the user names none.
pub const DEFAULT_DAILY_HOUR: u32 = 21;

/// A command about recurring rules or reminders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Create(NewRule),
    List,
    Change {
        target: Target,
        action: Action,
    },
    /// Turn the daily reminder on at a local hour (0 to 23), or off.
    DailyReminder {
        hour: Option<u32>,
    },
}

/// The rule a change is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The n-th (1-based) rule of the list.
    Number(usize),
    /// A rule's description, as typed.
    Name(String),
}

/// The change made to a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pause,
    /// Resume a paused rule; no occurrence falls before the day it resumes.
    Resume,
    /// Delete the rule; the expenses it recorded stay.
    Delete,
}

impl Action {
    /// Returns the `change` field of the `recurring.rule_changed` log event.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pause => "paused",
            Action::Resume => "resumed",
            Action::Delete => "deleted",
        }
    }
}

/// The result of [`recognise_command`] or [`recognise_rule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recognised {
    Command(Command),
    Invalid(Problem),
}

/// The reason a recognised command cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Phrase(PhraseProblem),
    /// A change that names no rule.
    ChangeUsage,
    /// A reminder hour outside 0 to 23, or unreadable.
    ReminderHour,
}

/// The D1 read a command needs: the customer's rules, for
/// [`crate::flow::Input::Recurring`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    List,
    Change { target: Target, action: Action },
}

const LIST: &[&str] = &[
    "recurrentes",
    "mis recurrentes",
    "ver recurrentes",
    "gastos recurrentes",
    "mis gastos recurrentes",
    "ver gastos recurrentes",
    "recurring",
    "my recurring",
    "list recurring",
    "recurring expenses",
    "my recurring expenses",
];
/// `(words, action, needs a target)`: a prefix without `recurrente` is a
/// command only with a target, so that a bare `resume` stays free.
const CHANGES: &[(&str, Action, bool)] = &[
    ("pausar recurrente", Action::Pause, false),
    ("pausa recurrente", Action::Pause, false),
    ("pause recurring", Action::Pause, false),
    ("pausar", Action::Pause, true),
    ("pause", Action::Pause, true),
    ("reanudar recurrente", Action::Resume, false),
    ("reactivar recurrente", Action::Resume, false),
    ("resume recurring", Action::Resume, false),
    ("reanudar", Action::Resume, true),
    ("reactivar", Action::Resume, true),
    ("resume", Action::Resume, true),
    ("borrar recurrente", Action::Delete, false),
    ("borra recurrente", Action::Delete, false),
    ("eliminar recurrente", Action::Delete, false),
    ("elimina recurrente", Action::Delete, false),
    ("quitar recurrente", Action::Delete, false),
    ("delete recurring", Action::Delete, false),
    ("remove recurring", Action::Delete, false),
];
const REMINDER_ON: &[&str] = &[
    "activar recordatorio diario",
    "activar recordatorio",
    "recordatorio diario",
    "turn on daily reminder",
    "remind me daily",
    "daily reminder",
];
const REMINDER_OFF: &[&str] = &[
    "sin recordatorio",
    "sin recordatorio diario",
    "desactivar recordatorio",
    "desactivar recordatorio diario",
    "quitar recordatorio",
    "quitar recordatorio diario",
    "recordatorio diario off",
    "no daily reminder",
    "stop daily reminder",
    "turn off daily reminder",
    "daily reminder off",
];

/// Reads the list, change and reminder commands. The whole text must be the
/// command, compared folded, so an expense that mentions them stays one.
pub fn recognise_command(text: &str) -> Option<Recognised> {
    let folded = classify::words_of(text);
    if LIST.contains(&folded.as_str()) {
        return Some(Recognised::Command(Command::List));
    }
    if REMINDER_OFF.contains(&folded.as_str()) {
        return Some(Recognised::Command(Command::DailyReminder { hour: None }));
    }
    if let Some(rest) = after(&folded, REMINDER_ON) {
        return Some(match reminder_hour(rest) {
            Some(hour) => Recognised::Command(Command::DailyReminder { hour: Some(hour) }),
            None => Recognised::Invalid(Problem::ReminderHour),
        });
    }
    for (prefix, action, needs_target) in CHANGES {
        let Some(rest) = after(&folded, &[prefix]) else {
            continue;
        };
        let rest = rest.trim_start_matches('#').trim();
        if rest.is_empty() {
            return (!needs_target).then_some(Recognised::Invalid(Problem::ChangeUsage));
        }
        let target = match rest.parse::<usize>() {
            Ok(number) => Target::Number(number),
            Err(_) => Target::Name(rest.to_owned()),
        };
        return Some(Recognised::Command(Command::Change {
            target,
            action: *action,
        }));
    }
    None
}

/// Reads a text that names a repetition as a new rule.
pub fn recognise_rule(text: &str, context: &ParseContext<'_>) -> Option<Recognised> {
    Some(match phrase::read(text, context)? {
        Ok(rule) => Recognised::Command(Command::Create(rule)),
        Err(problem) => Recognised::Invalid(Problem::Phrase(problem)),
    })
}

/// Returns the folded text after the first of `prefixes` it starts with, or `""`
/// when it is exactly one; `None` when none matches.
fn after<'t>(folded: &'t str, prefixes: &[&str]) -> Option<&'t str> {
    prefixes.iter().find_map(|prefix| {
        let rest = folded.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim())
    })
}

/// Reads `a las 21`, `21`, `21 00` (typed `21:00`), `21h`, `9 pm`, `at 9pm`;
/// an empty text is [`DEFAULT_DAILY_HOUR`]. Minutes are ignored, because
/// scheduled runs are hourly.
fn reminder_hour(words: &str) -> Option<u32> {
    let words = ["a las ", "a la ", "at "]
        .iter()
        .find_map(|lead| words.strip_prefix(lead))
        .unwrap_or(words);
    if words.is_empty() {
        return Some(DEFAULT_DAILY_HOUR);
    }
    let mut parts = words.split(' ');
    let first = parts.next()?;
    let digits = first.trim_end_matches(|c: char| !c.is_ascii_digit());
    let mut suffix = first[digits.len()..].to_owned();
    let mut hour: u32 = digits.parse().ok()?;
    for part in parts {
        match part {
            "00" | "30" | "15" | "45" | "h" | "hrs" | "horas" | "hs" => {}
            "am" | "pm" => suffix = part.to_owned(),
            _ => return None,
        }
    }
    match suffix.as_str() {
        "" | "h" | "hrs" | "hs" => {}
        "am" if (1..=12).contains(&hour) => hour %= 12,
        "pm" if (1..=12).contains(&hour) => hour = hour % 12 + 12,
        _ => return None,
    }
    (hour < 24).then_some(hour)
}

/// Returns the first effects of a recognised command.
pub fn start(recognised: Recognised, turn: &Turn<'_>) -> Vec<Effect> {
    let language = language(turn);
    let command = match recognised {
        Recognised::Command(command) => command,
        Recognised::Invalid(problem) => return vec![text(replies::problem(language, &problem))],
    };
    match command {
        Command::Create(rule) if !rule.amount.is_recordable() => {
            let locale = &turn.customer.locale;
            vec![text(reply::amount_too_large(language, rule.amount, locale))]
        }
        Command::Create(rule) => {
            let confirmation = replies::created(language, &rule, turn);
            vec![
                Effect::SaveRecurring(rule),
                Effect::Log(FlowEvent::RecurringChanged { change: "created" }),
                text(confirmation),
            ]
        }
        Command::List => vec![Effect::LoadRecurring(Query::List)],
        Command::Change { target, action } => {
            vec![Effect::LoadRecurring(Query::Change { target, action })]
        }
        Command::DailyReminder { hour } => vec![
            Effect::SetDailyReminder { hour },
            Effect::Log(FlowEvent::RecurringChanged {
                change: if hour.is_some() {
                    "daily_reminder_on"
                } else {
                    "daily_reminder_off"
                },
            }),
            text(replies::daily_reminder(language, hour)),
        ],
    }
}

/// Decides the change and the reply once the customer's rules (active and paused,
/// oldest first, as the list numbers them) are loaded.
pub fn respond(query: Query, rules: &[Rule], turn: &Turn<'_>) -> Vec<Effect> {
    let language = language(turn);
    let (target, action) = match query {
        Query::List => return vec![text(replies::list(language, rules, turn))],
        Query::Change { target, action } => (target, action),
    };
    let rule = match find(rules, &target) {
        Found::One(rule) => rule,
        Found::None => return vec![text(replies::not_found(language, &target, rules.len()))],
        Found::Several(names) => return vec![text(replies::several(language, &names))],
    };
    let unchanged = matches!(
        (action, rule.status),
        (Action::Pause, RuleStatus::Paused) | (Action::Resume, RuleStatus::Active)
    );
    if unchanged {
        return vec![text(replies::already(language, action, rule))];
    }
    vec![
        Effect::ChangeRecurring {
            rule_id: rule.id.clone(),
            action,
        },
        Effect::Log(FlowEvent::RecurringChanged {
            change: action.as_str(),
        }),
        text(replies::changed(language, action, rule, turn)),
    ]
}

enum Found<'r> {
    One(&'r Rule),
    None,
    Several(Vec<String>),
}

/// Finds the rule a target names: by its number, by its description (folded), or
/// by the only description that contains the typed words.
fn find<'r>(rules: &'r [Rule], target: &Target) -> Found<'r> {
    let typed = match target {
        Target::Number(number) => {
            return match number.checked_sub(1).and_then(|index| rules.get(index)) {
                Some(rule) => Found::One(rule),
                None => Found::None,
            }
        }
        Target::Name(name) => classify::words_of(name),
    };
    let words = |rule: &Rule| classify::words_of(&rule.description);
    if let Some(rule) = rules.iter().find(|rule| words(rule) == typed) {
        return Found::One(rule);
    }
    let containing: Vec<&Rule> = rules
        .iter()
        .filter(|rule| format!(" {} ", words(rule)).contains(&format!(" {typed} ")))
        .collect();
    match containing.as_slice() {
        [] => Found::None,
        [rule] => Found::One(rule),
        several => Found::Several(
            several
                .iter()
                .map(|rule| rule.description.clone())
                .collect(),
        ),
    }
}

fn language(turn: &Turn<'_>) -> Language {
    Language::of_locale(&turn.customer.locale)
}

fn text(body: String) -> Effect {
    Effect::Reply(Outbound::Text(body))
}

#[cfg(test)]
mod tests;
