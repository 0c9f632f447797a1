//! What the bot writes to users, in Spanish or English.
//!
//! Every text a user can receive is built here, so wording stays consistent
//! and each reply is tested once. Amounts are shown with the customer's
//! locale; dates as `dd-mm` (Spanish) or `mm/dd` (English).

use chrono::{Datelike, NaiveDate};

use crate::model::Language;
use crate::money::Money;

/// Formats a date for a reply; today's date is written as a word.
pub fn date(language: Language, day: NaiveDate, today: NaiveDate) -> String {
    match language {
        Language::Spanish if day == today => "hoy".into(),
        Language::English if day == today => "today".into(),
        Language::Spanish => format!("{:02}-{:02}-{}", day.day(), day.month(), day.year()),
        Language::English => format!("{:02}/{:02}/{}", day.month(), day.day(), day.year()),
    }
}

/// The confirmation of a stored, categorised expense.
pub fn completed(
    language: Language,
    amount: &str,
    description: &str,
    category: &str,
    when: &str,
) -> String {
    match language {
        Language::Spanish => format!("✅ Anotado: {amount} en {category} ({description}, {when})."),
        Language::English => format!("✅ Saved: {amount} in {category} ({description}, {when})."),
    }
}

/// The question that asks for a category.
pub fn ask_category(language: Language, amount: &str, description: &str) -> String {
    match language {
        Language::Spanish => {
            format!("¿En qué categoría va {amount} ({description})? Elige una o escribe su nombre.")
        }
        Language::English => {
            format!("Which category is {amount} ({description})? Pick one or type its name.")
        }
    }
}

/// The label of the list button that shows every category.
pub fn categories_label(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Categorías",
        Language::English => "Categories",
    }
}

/// Asks for the amount of a described purchase.
pub fn ask_amount(language: Language, description: &str) -> String {
    match language {
        Language::Spanish => {
            format!("¿Cuánto fue {description}? Escribe solo el monto, por ejemplo 12.500.")
        }
        Language::English => {
            format!("How much was {description}? Type just the amount, for example 12.50.")
        }
    }
}

/// Asks which reading of an amount the user meant.
pub fn ask_amount_choice(language: Language, description: &str) -> String {
    match language {
        Language::Spanish => format!("No estoy seguro del monto de {description}. ¿Cuál es?"),
        Language::English => {
            format!("I'm not sure about the amount of {description}. Which one is it?")
        }
    }
}

/// Asks whether a future date was meant.
pub fn ask_future_date(language: Language, description: &str, when: &str) -> String {
    match language {
        Language::Spanish => {
            format!("La fecha de {description} ({when}) aún no llega. ¿La anoto igual?")
        }
        Language::English => {
            format!("The date of {description} ({when}) is in the future. Save it anyway?")
        }
    }
}

/// Button titles for the future-date question: keep the date, or use today.
pub fn future_date_buttons(language: Language) -> [&'static str; 2] {
    match language {
        Language::Spanish => ["Sí, esa fecha", "No, fue hoy"],
        Language::English => ["Yes, that date", "No, it was today"],
    }
}

/// The answer to a message that fits neither the question nor an expense.
pub fn not_understood_answer(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "No entendí tu respuesta. Elige una opción de la lista, o escribe *cancelar*."
        }
        Language::English => {
            "I didn't get that answer. Pick an option from the list, or type *cancel*."
        }
    }
}

/// The answer to a greeting.
pub fn greeting(language: Language) -> &'static str {
    match language {
        Language::Spanish => "¡Hola! Escríbeme un gasto, por ejemplo *almuerzo 12.500* o *uber 8.40 usd ayer*. Escribe *ayuda* para ver todo lo que puedo hacer.",
        Language::English => "Hi! Send me an expense, for example *lunch 12.50* or *uber 8.40 yesterday*. Type *help* to see everything I can do.",
    }
}

/// The answer to thanks.
pub fn you_are_welcome(language: Language) -> &'static str {
    match language {
        Language::Spanish => "¡De nada! 🙌",
        Language::English => "You're welcome! 🙌",
    }
}

/// The answer to a text that is no expense, no command and no question.
pub fn not_an_expense(language: Language) -> &'static str {
    match language {
        Language::Spanish => "No encontré un gasto en tu mensaje. Escribe, por ejemplo, *almuerzo 12.500*, o *ayuda*.",
        Language::English => "I couldn't find an expense in your message. Try, for example, *lunch 12.50*, or *help*.",
    }
}

/// The help text.
pub fn help(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Escríbeme tus gastos y los anoto:\n\
            • *almuerzo 12.500*, *uber 8.40 usd ayer*, *gasté 15 lucas en el súper*\n\
            • Varios a la vez: *uber 5000 y almuerzo 8000*\n\
            • *categorías*: ver tus categorías\n\
            • *cancelar*: descartar la pregunta pendiente\n\
            • *ayuda*: este mensaje"
        }
        Language::English => {
            "Send me your expenses and I'll record them:\n\
            • *lunch 12.50*, *uber 8.40 usd yesterday*, *spent 20 on groceries*\n\
            • Several at once: *uber 5 and lunch 12*\n\
            • *categories*: list your categories\n\
            • *cancel*: drop the pending question\n\
            • *help*: this message"
        }
    }
}

/// Confirms that the pending question was dropped.
pub fn cancelled(language: Language, had_question: bool) -> &'static str {
    match (language, had_question) {
        (Language::Spanish, true) => {
            "Listo, descarté la pregunta pendiente. Los gastos sin categoría quedan pendientes."
        }
        (Language::English, true) => {
            "Done, I dropped the pending question. Expenses without a category stay pending."
        }
        (Language::Spanish, false) => "No había nada pendiente.",
        (Language::English, false) => "There was nothing pending.",
    }
}

/// Lists the customer's categories.
pub fn category_list(language: Language, names: &[&str]) -> String {
    let heading = match language {
        Language::Spanish => "Tus categorías:",
        Language::English => "Your categories:",
    };
    let mut text = String::from(heading);
    for name in names {
        text.push_str("\n• ");
        text.push_str(name);
    }
    text
}

/// The answer to a message type that cannot carry an expense yet.
pub fn unsupported_message(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Por ahora solo leo texto y notas de voz. Escríbeme el gasto, por ejemplo *almuerzo 12.500*.",
        Language::English => "For now I only read text and voice notes. Type the expense, for example *lunch 12.50*.",
    }
}

/// The answer to a voice note without a transcript.
pub fn audio_without_transcript(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "No pude entender la nota de voz. ¿Me lo escribes? Por ejemplo *taxi 8.000*."
        }
        Language::English => {
            "I couldn't make out the voice note. Could you type it? For example *taxi 8.00*."
        }
    }
}

/// Formats an amount for a reply.
pub fn amount(money: Money, locale: &str) -> String {
    money.display(locale)
}
