//! Proactive messages: the daily nudge to log spending, the notice before a
//! recurring payment, and the confirmation of a recorded occurrence.
//!
//! WhatsApp delivers free-form messages only within 24 hours of the user's
//! last message. Outside that window only an approved template goes through,
//! and a free-form send fails with error 131047. [`window_open`] decides
//! from the stored time of the last inbound message (and of the last
//! 131047), and [`plan`] picks a text inside the window or the configured
//! template outside it. When is which reminder due is decided here too. The
//! sending, the claims in D1 and the opt-out check live in `scheduled`.
//! Pure.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Timelike};

use crate::kapso::client::Outbound;
use crate::model::Language;
use crate::money::Money;
use crate::recurring::Rule;
use crate::reply;

/// Seconds WhatsApp keeps the window open after the user's last message.
pub const WINDOW_SECONDS: i64 = 24 * 60 * 60;
/// Seconds before the window closes at which misgastos stops sending
/// free-form text, so that a send does not race the closing.
pub const WINDOW_MARGIN_SECONDS: i64 = 15 * 60;
/// Local hour from which notices before a recurring payment are sent.
pub const NOTICE_HOUR: u32 = 9;
/// Days before a recurring payment its notice is sent, unless
/// `RECURRING_NOTICE_DAYS` sets another number; 0 turns notices off.
pub const DEFAULT_NOTICE_DAYS: u32 = 1;

/// The approved templates of `KAPSO_REMINDER_TEMPLATE`,
/// `KAPSO_PAYMENT_NOTICE_TEMPLATE` and `KAPSO_TEMPLATE_LANGUAGE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    /// The daily nudge; its body has no variables.
    pub reminder: Option<String>,
    /// The notice before a payment; its body has three variables: the
    /// description, the amount with its currency, and the date.
    pub payment_notice: Option<String>,
    /// The template language code for every customer; `None` uses `es` or
    /// `en` from the customer's locale.
    pub language: Option<String>,
}

/// A proactive message to one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminder {
    /// The nudge to log the day's spending.
    Daily,
    /// A recurring payment falls on `due_on`.
    PaymentNotice {
        description: String,
        amount: Money,
        due_on: NaiveDate,
    },
    /// An occurrence was recorded as an expense.
    Occurrence {
        description: String,
        amount: Money,
        spent_on: NaiveDate,
    },
}

impl Reminder {
    /// Returns the value of `reminders_sent.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Reminder::Daily => "daily",
            Reminder::PaymentNotice { .. } => "payment_notice",
            Reminder::Occurrence { .. } => "occurrence",
        }
    }
}

/// How to send a reminder, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Inside the window: a free-form text.
    Text(Outbound),
    /// Outside it: the approved template.
    Template(Outbound),
    /// Outside it, with no template for this reminder: nothing is sent.
    NoTemplate,
}

/// Reads a D1 timestamp (`2026-12-04T12:00:00.000Z`) as Unix seconds.
pub fn timestamp(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.timestamp())
}

/// Returns whether free-form text may be sent at `now`: the last inbound message is
/// less than [`WINDOW_SECONDS`] minus [`WINDOW_MARGIN_SECONDS`] old, and no
/// 131047 came after it. All times are Unix seconds.
pub fn window_open(last_inbound_at: Option<i64>, window_closed_at: Option<i64>, now: i64) -> bool {
    let Some(last) = last_inbound_at else {
        return false;
    };
    if window_closed_at.is_some_and(|closed| closed >= last) {
        return false;
    }
    now - last < WINDOW_SECONDS - WINDOW_MARGIN_SECONDS
}

/// Picks the message for `reminder`: a text inside the window, else the
/// configured template, else nothing. An occurrence's confirmation has no
/// template: outside the window it is not sent.
pub fn plan(
    reminder: &Reminder,
    window_open: bool,
    templates: &Templates,
    locale: &str,
    today: NaiveDate,
) -> Plan {
    let language = Language::of_locale(locale);
    if window_open {
        return Plan::Text(Outbound::Text(text(reminder, language, locale, today)));
    }
    let code = templates
        .language
        .clone()
        .unwrap_or_else(|| match language {
            Language::Spanish => "es".to_owned(),
            Language::English => "en".to_owned(),
        });
    let (name, parameters) = match reminder {
        Reminder::Daily => (templates.reminder.as_ref(), Vec::new()),
        Reminder::PaymentNotice {
            description,
            amount,
            due_on,
        } => (
            templates.payment_notice.as_ref(),
            vec![
                description.clone(),
                reply::amount(*amount, locale),
                reply::date(language, *due_on, today),
            ],
        ),
        Reminder::Occurrence { .. } => (None, Vec::new()),
    };
    match name {
        Some(name) => Plan::Template(Outbound::Template {
            name: name.clone(),
            language: code,
            parameters,
        }),
        None => Plan::NoTemplate,
    }
}

/// Writes the free-form text of a reminder.
fn text(reminder: &Reminder, language: Language, locale: &str, today: NaiveDate) -> String {
    match reminder {
        Reminder::Daily => match language {
            Language::Spanish => "⏰ ¿Anotaste tus gastos de hoy? Escríbeme, por ejemplo *almuerzo 12.500*. Para no recibir este recordatorio: *sin recordatorio*.".into(),
            Language::English => "⏰ Did you log today's spending? Just write it, for example *lunch 12.50 usd*. To stop this reminder: *no daily reminder*.".into(),
        },
        Reminder::PaymentNotice {
            description,
            amount,
            due_on,
        } => {
            let amount = reply::amount(*amount, locale);
            let when = reply::date(language, *due_on, today);
            match language {
                Language::Spanish => format!("🔔 Aviso: el {when} anotaré *{description}* por {amount}. Para pausarlo: *pausar {description}*."),
                Language::English => format!("🔔 Heads-up: on {when} I'll record *{description}* for {amount}. To pause it: *pause {description}*."),
            }
        }
        Reminder::Occurrence {
            description,
            amount,
            spent_on,
        } => {
            let amount = reply::amount(*amount, locale);
            let when = reply::date(language, *spent_on, today);
            match language {
                Language::Spanish => format!("🔁 Anoté tu gasto recurrente *{description}*: {amount} ({when})."),
                Language::English => format!("🔁 Recorded your recurring expense *{description}*: {amount} ({when})."),
            }
        }
    }
}

/// Returns whether the daily nudge is due at `local` (the member's wall-clock
/// time): from `hour` on, until the day ends.
pub fn daily_due(local: NaiveDateTime, hour: u32) -> bool {
    local.hour() >= hour
}

/// Finds the occurrence of `rule` to announce at `local`, with its period:
/// one that falls 1 to `days_before` days after today, from
/// [`NOTICE_HOUR`] on. `None` when there is none, or `days_before` is 0.
pub fn notice_due(
    rule: &Rule,
    local: NaiveDateTime,
    days_before: u32,
) -> Option<(NaiveDate, String)> {
    if days_before == 0 || local.hour() < NOTICE_HOUR {
        return None;
    }
    let today = local.date();
    let tomorrow = today.succ_opt()?;
    let from = tomorrow.max(rule.active_from);
    let due_on = rule.next_occurrence(from)?;
    let last_notice_day = today.checked_add_days(Days::new(u64::from(days_before)))?;
    (due_on <= last_notice_day).then(|| (due_on, rule.frequency.period_of(due_on)))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::money::Currency;
    use crate::recurring::{Frequency, RuleStatus};

    const NOW: i64 = 1_796_371_200;
    const HOUR: i64 = 3_600;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    fn at(date: &str, hour: u32) -> NaiveDateTime {
        day(date).and_hms_opt(hour, 0, 0).expect("test time")
    }

    fn templates() -> Templates {
        Templates {
            reminder: Some("daily_nudge".into()),
            payment_notice: Some("payment_notice".into()),
            language: None,
        }
    }

    fn rent() -> Rule {
        Rule {
            id: "rule-1".into(),
            description: "arriendo".into(),
            merchant: None,
            amount: Money::new(450_000, Currency::Clp),
            frequency: Frequency::Monthly { day: 5 },
            status: RuleStatus::Active,
            active_from: day("2026-11-20"),
            last_occurrence_on: Some(day("2026-11-05")),
        }
    }

    #[test]
    fn window_follows_the_last_inbound_message() {
        let cases = [
            (None, None, false, "never wrote"),
            (Some(NOW - HOUR), None, true, "wrote an hour ago"),
            (Some(NOW - 23 * HOUR), None, true, "23 hours ago"),
            (
                Some(NOW - 24 * HOUR + 16 * 60),
                None,
                true,
                "16 minutes before the close",
            ),
            (
                Some(NOW - 24 * HOUR + 14 * 60),
                None,
                false,
                "inside the margin",
            ),
            (Some(NOW - 25 * HOUR), None, false, "25 hours ago"),
            (
                Some(NOW - HOUR),
                Some(NOW - 30 * 60),
                false,
                "131047 after the message",
            ),
            (
                Some(NOW - HOUR),
                Some(NOW - 2 * HOUR),
                true,
                "wrote again after a 131047",
            ),
        ];
        for (last, closed, open, case) in cases {
            assert_eq!(window_open(last, closed, NOW), open, "{case}");
        }
    }

    #[test]
    fn timestamps_read_d1_format() {
        assert_eq!(timestamp("2026-12-04T03:00:00.000Z"), Some(1_796_353_200));
        assert_eq!(timestamp("2026-12-04T03:00:00Z"), Some(1_796_353_200));
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn inside_the_window_reminders_are_text() {
        let notice = Reminder::PaymentNotice {
            description: "arriendo".into(),
            amount: Money::new(450_000, Currency::Clp),
            due_on: day("2026-12-05"),
        };
        let Plan::Text(Outbound::Text(body)) =
            plan(&notice, true, &templates(), "es-CL", day("2026-12-04"))
        else {
            panic!("expected a text");
        };
        assert!(body.contains("*arriendo*"), "{body}");
        assert!(body.contains("CLP 450.000"), "{body}");
        assert!(body.contains("05-12-2026"), "{body}");
    }

    #[test]
    fn outside_the_window_reminders_use_templates() {
        let notice = Reminder::PaymentNotice {
            description: "rent".into(),
            amount: Money::new(120_000, Currency::Usd),
            due_on: day("2026-12-05"),
        };
        assert_eq!(
            plan(&notice, false, &templates(), "en-US", day("2026-12-04")),
            Plan::Template(Outbound::Template {
                name: "payment_notice".into(),
                language: "en".into(),
                parameters: vec!["rent".into(), "USD 1,200.00".into(), "12/05/2026".into()],
            })
        );
        let fixed = Templates {
            language: Some("es_MX".into()),
            ..templates()
        };
        assert_eq!(
            plan(&Reminder::Daily, false, &fixed, "es-CL", day("2026-12-04")),
            Plan::Template(Outbound::Template {
                name: "daily_nudge".into(),
                language: "es_MX".into(),
                parameters: Vec::new(),
            })
        );
    }

    #[test]
    fn outside_the_window_without_template_nothing_is_sent() {
        let none = Templates::default();
        assert_eq!(
            plan(&Reminder::Daily, false, &none, "es-CL", day("2026-12-04")),
            Plan::NoTemplate
        );
        let recorded = Reminder::Occurrence {
            description: "arriendo".into(),
            amount: Money::new(450_000, Currency::Clp),
            spent_on: day("2026-12-05"),
        };
        assert_eq!(
            plan(&recorded, false, &templates(), "es-CL", day("2026-12-05")),
            Plan::NoTemplate
        );
    }

    #[test]
    fn daily_nudge_is_due_from_its_hour() {
        assert!(!daily_due(at("2026-12-04", 20), 21));
        assert!(daily_due(at("2026-12-04", 21), 21));
        assert!(daily_due(at("2026-12-04", 23), 21));
        assert!(daily_due(at("2026-12-04", 0), 0));
    }

    #[test]
    fn notice_is_due_the_days_before_a_payment() {
        let rule = rent();
        let cases = [
            ("2026-12-03", 10, 1, None),
            ("2026-12-04", 8, 1, None),
            ("2026-12-04", 9, 1, Some(("2026-12-05", "2026-12"))),
            ("2026-12-04", 23, 1, Some(("2026-12-05", "2026-12"))),
            ("2026-12-05", 10, 1, None),
            ("2026-12-02", 10, 3, Some(("2026-12-05", "2026-12"))),
            ("2026-12-01", 10, 3, None),
            ("2026-12-04", 10, 0, None),
        ];
        for (date, hour, days, expected) in cases {
            let found = notice_due(&rule, at(date, hour), days);
            let expected = expected.map(|(due, period)| (day(due), period.to_owned()));
            assert_eq!(found, expected, "{date} {hour}:00, {days} days before");
        }
        let paused = Rule {
            status: RuleStatus::Paused,
            ..rule
        };
        assert_eq!(notice_due(&paused, at("2026-12-04", 10), 1), None);
    }

    #[test]
    fn notice_waits_for_the_rules_first_date() {
        // Created on the 4th for the 5th: the first occurrence is tomorrow.
        let fresh = Rule {
            active_from: day("2026-12-04"),
            last_occurrence_on: None,
            ..rent()
        };
        assert_eq!(
            notice_due(&fresh, at("2026-12-04", 10), 1),
            Some((day("2026-12-05"), "2026-12".to_owned()))
        );
        let later = Rule {
            active_from: day("2026-12-10"),
            last_occurrence_on: None,
            ..rent()
        };
        assert_eq!(notice_due(&later, at("2026-12-04", 10), 1), None);
    }
}
