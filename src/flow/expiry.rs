//! What happens to open questions that nobody answered in time.
//!
//! A question expires when the conversation had no change for
//! [`QUESTION_TTL_SECONDS`] (24 hours): the next message is read as a new
//! one, never as a late answer. What the question was about is not lost:
//!
//! - an expense waiting for a category is stored already, as
//!   `pending_category`, and is asked about again on a later message;
//! - the other questions (a missing amount, an amount with two readings, a
//!   date in the future) hold drafts that exist only in the conversation
//!   state. The first message after they expire gets a reply that lists each
//!   draft as not recorded and says how to send it again.
//!
//! So that the flow sees what expired, the state stays in KV for
//! [`STATE_TTL_SECONDS`](super::STATE_TTL_SECONDS) (30 days), far longer than a question lives. A user
//! who writes nothing for 30 days loses the state, and its drafts, with the
//! KV entry.

use super::{Effect, FlowEvent, Machine, Question, QUESTION_TTL_SECONDS};
use crate::model::Language;
use crate::parse;
use crate::reply;

/// The reply that lists the drafts of `expired` that were never recorded;
/// `None` when every expired question was about a stored expense.
pub(super) fn drafts_not_recorded(
    language: Language,
    expired: &[Question],
    locale: &str,
    today: chrono::NaiveDate,
) -> Option<String> {
    let lines: Vec<String> = expired
        .iter()
        .filter_map(|question| draft_line(language, question, locale, today))
        .collect();
    if lines.is_empty() {
        return None;
    }
    let hours = QUESTION_TTL_SECONDS / 3600;
    let (heading, footer) = match language {
        Language::Spanish => (
            format!("⌛ No anoté estos gastos porque su pregunta venció ({hours} horas sin respuesta):"),
            "Si quieres anotarlos, escríbelos de nuevo con su monto y su fecha, por ejemplo *almuerzo 12500 ayer*.",
        ),
        Language::English => (
            format!("⌛ I didn't record these expenses because their question expired (no answer in {hours} hours):"),
            "To record them, send them again with their amount and date, for example *lunch 12.50 yesterday*.",
        ),
    };
    let mut text = vec![heading];
    text.extend(lines);
    text.push(footer.to_owned());
    Some(text.join("\n"))
}

/// How many of `expired` are drafts that were never recorded.
pub(super) fn unrecorded_count(expired: &[Question]) -> usize {
    expired
        .iter()
        .filter(|question| !matches!(question, Question::Category { .. }))
        .count()
}

/// One line per unrecorded draft: `• taxi (hoy): faltaba el monto`.
fn draft_line(
    language: Language,
    question: &Question,
    locale: &str,
    today: chrono::NaiveDate,
) -> Option<String> {
    let line = match question {
        Question::Category { .. } => return None,
        Question::Amount {
            description,
            spent_on,
            ..
        } => {
            let when = reply::date(language, *spent_on, today);
            match language {
                Language::Spanish => format!("• {description} ({when}): faltaba el monto"),
                Language::English => format!("• {description} ({when}): the amount was missing"),
            }
        }
        Question::AmountChoice {
            draft, candidates, ..
        } => {
            let when = reply::date(language, draft.spent_on, today);
            let readings: Vec<String> = candidates
                .iter()
                .map(|money| reply::amount(*money, locale))
                .collect();
            match language {
                Language::Spanish => format!(
                    "• {} ({when}): ¿{}?",
                    draft.description,
                    readings.join(" o ")
                ),
                Language::English => format!(
                    "• {} ({when}): {}?",
                    draft.description,
                    readings.join(" or ")
                ),
            }
        }
        Question::UnusualDate { draft, .. } => {
            let amount = reply::amount(draft.amount, locale);
            let when = reply::date(language, draft.spent_on, today);
            // A future date stays "future" even when the question outlived it.
            let old = draft.spent_on < today && parse::date_is_unusual(draft.spent_on, today);
            match (language, old) {
                (Language::Spanish, false) => format!(
                    "• {} {amount}: la fecha {when} aún no llegaba",
                    draft.description
                ),
                (Language::Spanish, true) => format!(
                    "• {} {amount}: la fecha {when} era de hace más de un año",
                    draft.description
                ),
                (Language::English, false) => format!(
                    "• {} {amount}: the date {when} had not come yet",
                    draft.description
                ),
                (Language::English, true) => format!(
                    "• {} {amount}: the date {when} was more than a year back",
                    draft.description
                ),
            }
        }
    };
    Some(line)
}

impl Machine<'_, '_> {
    /// Drops questions nobody answered in time, and tells the user which
    /// drafts were not recorded. Expenses waiting for a category stay stored
    /// as `pending_category` and are asked about again.
    pub(super) fn expire(&mut self) {
        let count = self.state.questions.len();
        if count == 0 || self.turn.now - self.state.updated_at <= QUESTION_TTL_SECONDS {
            return;
        }
        let expired = std::mem::take(&mut self.state.questions);
        self.effects
            .push(Effect::Log(FlowEvent::QuestionsExpired { count }));
        let language = self.language();
        if let Some(text) = drafts_not_recorded(language, &expired, self.locale(), self.turn.today)
        {
            let count = unrecorded_count(&expired);
            self.effects
                .push(Effect::Log(FlowEvent::DraftsExpired { count }));
            self.reply_text(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::*;
    use crate::model::Customer;
    use crate::money::{Currency, Money};

    const NOW: i64 = 1_796_371_200;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).expect("date")
    }

    fn day(date: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, date).expect("date")
    }

    fn customer(locale: &str, home: Currency) -> Customer {
        Customer {
            id: "c1".into(),
            name: "Casa".into(),
            home_currency: home,
            locale: locale.into(),
            time_zone: "America/Santiago".into(),
            confidence_threshold: 0.75,
        }
    }

    fn step(state: State, input: Input, locale: &str, home: Currency) -> Transition {
        let customer = customer(locale, home);
        let categories = vec![Category {
            id: "food".into(),
            name: "Comida".into(),
            keywords: vec![],
        }];
        let turn = Turn {
            customer: &customer,
            categories: &categories,
            today: today(),
            now: NOW,
            message_id: "wamid.new",
        };
        advance(state, input, &turn)
    }

    fn draft(amount: Money, description: &str, spent_on: NaiveDate) -> Draft {
        Draft {
            amount,
            spent_on,
            description: description.into(),
            merchant: None,
        }
    }

    fn clp(minor: i64) -> Money {
        Money::new(minor, Currency::Clp)
    }

    fn amount_question() -> Question {
        Question::Amount {
            source_id: "m0#1".into(),
            description: "taxi".into(),
            merchant: None,
            spent_on: day(3),
            asked: true,
        }
    }

    fn choice_question() -> Question {
        Question::AmountChoice {
            source_id: "m0#2".into(),
            draft: draft(clp(12_500), "almuerzo", today()),
            candidates: vec![clp(12_500), clp(13)],
            asked: false,
        }
    }

    fn unusual_date_question() -> Question {
        Question::UnusualDate {
            source_id: "m0#3".into(),
            draft: draft(clp(25_000), "pasajes", day(20)),
            asked: false,
        }
    }

    fn category_question() -> Question {
        Question::Category {
            source_id: "m0#4".into(),
            draft: draft(clp(4_000), "xyzzy", today()),
            options: vec!["food".into()],
            asked: true,
        }
    }

    fn state(questions: Vec<Question>, age: i64) -> State {
        State {
            questions,
            updated_at: NOW - age,
        }
    }

    fn texts(transition: &Transition) -> Vec<String> {
        transition
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Reply(outbound) => Some(outbound.text().to_owned()),
                _ => None,
            })
            .collect()
    }

    fn drafts_expired(transition: &Transition) -> Option<usize> {
        transition.effects.iter().find_map(|effect| match effect {
            Effect::Log(FlowEvent::DraftsExpired { count }) => Some(*count),
            _ => None,
        })
    }

    #[test]
    fn expired_drafts_are_told_at_the_timeout_boundary() {
        let ttl = QUESTION_TTL_SECONDS;
        // (kind, question, whether its draft exists only in the state)
        let kinds = [
            ("amount", amount_question(), true),
            ("amount choice", choice_question(), true),
            ("future date", unusual_date_question(), true),
            ("category", category_question(), false),
        ];
        for (kind, question, unrecorded) in kinds {
            for (age, expired) in [(ttl - 1, false), (ttl, false), (ttl + 1, true)] {
                let what = format!("{kind} question aged {age} s");
                let transition = step(
                    state(vec![question.clone()], age),
                    Input::Text("gracias".into()),
                    "es-CL",
                    Currency::Clp,
                );
                let told = texts(&transition)
                    .iter()
                    .any(|text| text.starts_with("⌛ No anoté"));
                assert_eq!(told, expired && unrecorded, "{what}");
                assert_eq!(
                    drafts_expired(&transition),
                    (expired && unrecorded).then_some(1),
                    "{what}"
                );
                assert_eq!(
                    transition.state.questions.is_empty(),
                    expired,
                    "{what}: an expired question is dropped, a live one kept"
                );
            }
        }
    }

    #[test]
    fn expired_drafts_are_listed_before_the_answer() {
        let questions = vec![
            amount_question(),
            category_question(),
            choice_question(),
            unusual_date_question(),
        ];
        let transition = step(
            state(questions, QUESTION_TTL_SECONDS + 1),
            Input::Text("gracias".into()),
            "es-CL",
            Currency::Clp,
        );
        assert_eq!(
            texts(&transition),
            vec![
                [
                    "⌛ No anoté estos gastos porque su pregunta venció (24 horas sin respuesta):",
                    "• taxi (03-12-2026): faltaba el monto",
                    "• almuerzo (hoy): ¿CLP 12.500 o CLP 13?",
                    "• pasajes CLP 25.000: la fecha 20-12-2026 aún no llegaba",
                    "Si quieres anotarlos, escríbelos de nuevo con su monto y su fecha, por ejemplo *almuerzo 12500 ayer*.",
                ]
                .join("\n"),
                "¡De nada! 🙌".to_owned(),
            ]
        );
        assert_eq!(drafts_expired(&transition), Some(3));
        assert!(transition
            .effects
            .contains(&Effect::Log(FlowEvent::QuestionsExpired { count: 4 })));
        assert!(
            transition
                .effects
                .contains(&Effect::LoadLedger(LedgerQuery::OldestPending)),
            "the expired category question's stored expense is looked up again"
        );
    }

    #[test]
    fn expired_drafts_in_english() {
        let usd = |minor| Money::new(minor, Currency::Usd);
        let questions = vec![
            amount_question(),
            Question::AmountChoice {
                source_id: "m0#2".into(),
                draft: draft(usd(1_250), "lunch", today()),
                candidates: vec![usd(1_250), usd(1_250_000)],
                asked: true,
            },
        ];
        let transition = step(
            state(questions, QUESTION_TTL_SECONDS + 60),
            Input::Text("lunch 12.50".into()),
            "en-US",
            Currency::Usd,
        );
        assert_eq!(
            texts(&transition)[0],
            [
                "⌛ I didn't record these expenses because their question expired (no answer in 24 hours):",
                "• taxi (12/03/2026): the amount was missing",
                "• lunch (today): USD 12.50 or USD 12,500.00?",
                "To record them, send them again with their amount and date, for example *lunch 12.50 yesterday*.",
            ]
            .join("\n")
        );
        assert!(
            transition
                .effects
                .iter()
                .any(|effect| matches!(effect, Effect::Classify(_))),
            "the new message is read as a new expense"
        );
    }
}
