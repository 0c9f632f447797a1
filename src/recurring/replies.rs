//! The texts of the recurring-rule and reminder commands, in Spanish and
//! English.

use super::chat::{Action, Problem, Target};
use super::phrase::PhraseProblem;
use super::{Frequency, NewRule, Rule, RuleStatus};
use crate::flow::Turn;
use crate::model::Language;
use crate::reply;

/// `cada mes el día 5`, `every Monday`.
pub(crate) fn schedule(language: Language, frequency: Frequency) -> String {
    match (language, frequency) {
        (Language::Spanish, Frequency::Monthly { day: 31 }) => "cada mes el último día".into(),
        (Language::English, Frequency::Monthly { day: 31 }) => "monthly on the last day".into(),
        (Language::Spanish, Frequency::Monthly { day }) => format!("cada mes el día {day}"),
        (Language::English, Frequency::Monthly { day }) => format!("monthly on day {day}"),
        (Language::Spanish, Frequency::Weekly { weekday }) => {
            const NAMES: [&str; 7] = [
                "lunes",
                "martes",
                "miércoles",
                "jueves",
                "viernes",
                "sábado",
                "domingo",
            ];
            format!("cada {}", NAMES[weekday.num_days_from_monday() as usize])
        }
        (Language::English, Frequency::Weekly { weekday }) => {
            const NAMES: [&str; 7] = [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ];
            format!("every {}", NAMES[weekday.num_days_from_monday() as usize])
        }
    }
}

pub(super) fn created(language: Language, rule: &NewRule, turn: &Turn<'_>) -> String {
    let amount = reply::amount(rule.amount, &turn.customer.locale);
    let every = schedule(language, rule.frequency);
    let first = rule.frequency.next_on_or_after(rule.active_from);
    let when = reply::date(language, first, turn.today);
    match language {
        Language::Spanish => format!(
            "🔁 Listo: *{}* {amount}, {every}. Lo anotaré yo; el primero, {when}. Escribe *recurrentes* para verlos.",
            rule.description
        ),
        Language::English => format!(
            "🔁 Done: *{}* {amount}, {every}. I'll record it myself; the first one {when}. Type *recurring* to see them all.",
            rule.description
        ),
    }
}

pub(super) fn list(language: Language, rules: &[Rule], turn: &Turn<'_>) -> String {
    if rules.is_empty() {
        return match language {
            Language::Spanish => "No tienes gastos recurrentes. Crea uno así: *arriendo 450.000 todos los meses el 5* o *netflix 9.99 usd mensual*.".into(),
            Language::English => "You have no recurring expenses. Create one like this: *rent 1200 usd monthly on the 1st*.".into(),
        };
    }
    let mut lines = vec![match language {
        Language::Spanish => "🔁 Gastos recurrentes:".to_owned(),
        Language::English => "🔁 Recurring expenses:".to_owned(),
    }];
    for (index, rule) in rules.iter().enumerate() {
        let amount = reply::amount(rule.amount, &turn.customer.locale);
        let every = schedule(language, rule.frequency);
        let state = match (rule.next_occurrence(turn.today), language) {
            (Some(next), Language::Spanish) => {
                format!("próximo {}", reply::date(language, next, turn.today))
            }
            (Some(next), Language::English) => {
                format!("next {}", reply::date(language, next, turn.today))
            }
            (None, Language::Spanish) => "⏸️ pausado".into(),
            (None, Language::English) => "⏸️ paused".into(),
        };
        lines.push(format!(
            "{}. {} · {amount} · {every} · {state}",
            index + 1,
            rule.description
        ));
    }
    lines.push(match language {
        Language::Spanish => {
            "Para cambiar uno: *pausar 1*, *reanudar 1* o *borrar recurrente 1*.".into()
        }
        Language::English => "To change one: *pause 1*, *resume 1* or *delete recurring 1*.".into(),
    });
    lines.join("\n")
}

pub(super) fn changed(language: Language, action: Action, rule: &Rule, turn: &Turn<'_>) -> String {
    let name = &rule.description;
    match (language, action) {
        (Language::Spanish, Action::Pause) => {
            format!("⏸️ Pausé *{name}*: no lo anotaré hasta que escribas *reanudar {name}*.")
        }
        (Language::English, Action::Pause) => {
            format!("⏸️ Paused *{name}*: I won't record it until you type *resume {name}*.")
        }
        (_, Action::Resume) => {
            let next = rule.frequency.next_on_or_after(turn.today);
            let when = reply::date(language, next, turn.today);
            match language {
                Language::Spanish => format!("▶️ Reanudé *{name}*; el próximo, {when}."),
                Language::English => format!("▶️ Resumed *{name}*; the next one {when}."),
            }
        }
        (Language::Spanish, Action::Delete) => {
            format!("🗑️ Borré el gasto recurrente *{name}*. Los gastos que ya anoté se quedan.")
        }
        (Language::English, Action::Delete) => {
            format!("🗑️ Deleted the recurring expense *{name}*. The expenses it recorded stay.")
        }
    }
}

pub(super) fn already(language: Language, action: Action, rule: &Rule) -> String {
    let name = &rule.description;
    match (language, action, rule.status) {
        (Language::Spanish, _, RuleStatus::Paused) => format!("*{name}* ya estaba pausado."),
        (Language::English, _, RuleStatus::Paused) => format!("*{name}* was already paused."),
        (Language::Spanish, _, RuleStatus::Active) => format!("*{name}* ya está activo."),
        (Language::English, _, RuleStatus::Active) => format!("*{name}* is already active."),
    }
}

pub(super) fn not_found(language: Language, target: &Target, count: usize) -> String {
    let typed = match target {
        Target::Number(number) => number.to_string(),
        Target::Name(name) => name.clone(),
    };
    match language {
        Language::Spanish => format!(
            "No encontré el gasto recurrente «{typed}» (tienes {count}). Escribe *recurrentes* para ver la lista."
        ),
        Language::English => format!(
            "I found no recurring expense «{typed}» (you have {count}). Type *recurring* to see the list."
        ),
    }
}

pub(super) fn several(language: Language, names: &[String]) -> String {
    let names = names.join(", ");
    match language {
        Language::Spanish => {
            format!("Hay varios: {names}. Usa el número de *recurrentes*, por ejemplo *pausar 2*.")
        }
        Language::English => {
            format!(
                "Several match: {names}. Use the number from *recurring*, for example *pause 2*."
            )
        }
    }
}

pub(super) fn daily_reminder(language: Language, hour: Option<u32>) -> String {
    match (language, hour) {
        (Language::Spanish, Some(hour)) => format!(
            "⏰ Listo: cada día a las {hour}:00 te recordaré anotar tus gastos, si ese día no anotaste ninguno. Para quitarlo: *sin recordatorio*."
        ),
        (Language::English, Some(hour)) => format!(
            "⏰ Done: every day at {hour}:00 I'll remind you to log your spending, unless you logged something that day. To stop it: *no daily reminder*."
        ),
        (Language::Spanish, None) => "Listo, ya no te enviaré el recordatorio diario.".into(),
        (Language::English, None) => "Done, no more daily reminders.".into(),
    }
}

pub(super) fn problem(language: Language, problem: &Problem) -> String {
    match (language, problem) {
        (language, Problem::Phrase(PhraseProblem::AmountAmbiguous)) => {
            reply::amount_ambiguous(language).to_owned()
        }
        (Language::Spanish, Problem::Phrase(PhraseProblem::SeveralExpenses)) => {
            "Crea un gasto recurrente por mensaje, por ejemplo *arriendo 450.000 todos los meses el 5*.".into()
        }
        (Language::English, Problem::Phrase(PhraseProblem::SeveralExpenses)) => {
            "Create one recurring expense per message, for example *rent 1200 usd monthly on the 1st*.".into()
        }
        (Language::Spanish, Problem::Phrase(_)) => {
            "Para un gasto recurrente dime qué es y cuánto, por ejemplo *arriendo 450.000 todos los meses el 5* o *netflix 9.99 usd mensual*.".into()
        }
        (Language::English, Problem::Phrase(_)) => {
            "For a recurring expense tell me what it is and how much, for example *rent 1200 usd monthly on the 1st*.".into()
        }
        (Language::Spanish, Problem::ChangeUsage) => {
            "Dime cuál, por ejemplo *pausar 2* o *borrar recurrente netflix*. Escribe *recurrentes* para ver la lista.".into()
        }
        (Language::English, Problem::ChangeUsage) => {
            "Tell me which one, for example *pause 2* or *delete recurring netflix*. Type *recurring* to see the list.".into()
        }
        (Language::Spanish, Problem::ReminderHour) => {
            "Dime la hora entre 0 y 23, por ejemplo *recordatorio diario a las 21*.".into()
        }
        (Language::English, Problem::ReminderHour) => {
            "Tell me the hour, 0 to 23, for example *daily reminder at 9pm*.".into()
        }
    }
}
