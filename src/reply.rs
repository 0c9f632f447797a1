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

/// Asks whether a date in the future (`future`) or more than a year back
/// was meant.
pub fn ask_unusual_date(language: Language, description: &str, when: &str, future: bool) -> String {
    match (language, future) {
        (Language::Spanish, true) => {
            format!("La fecha de {description} ({when}) aún no llega. ¿La anoto igual?")
        }
        (Language::Spanish, false) => {
            format!("La fecha de {description} ({when}) es de hace más de un año. ¿La anoto igual?")
        }
        (Language::English, true) => {
            format!("The date of {description} ({when}) is in the future. Save it anyway?")
        }
        (Language::English, false) => {
            format!("The date of {description} ({when}) is more than a year ago. Save it anyway?")
        }
    }
}

/// Button titles for the date question: keep the date, or use today.
pub fn date_buttons(language: Language) -> [&'static str; 2] {
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

/// The answer to a tap on a button whose question is closed.
pub fn question_closed(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Esa pregunta ya fue respondida o expiró. Si quieres anotar un gasto, escríbelo, por ejemplo *almuerzo 12.500*.",
        Language::English => "That question was already answered or has expired. To record an expense, type it, for example *lunch 12.50*.",
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

/// A line of the reply when a new expense is stored without a category while
/// the user is still answering another question.
pub fn pending_queued(language: Language, amount: &str, description: &str) -> String {
    match language {
        Language::Spanish => {
            format!(
                "📝 Anoté {description} ({amount}) sin categoría; te pregunto por ella después."
            )
        }
        Language::English => {
            format!("📝 Saved {description} ({amount}) without a category; I'll ask about it next.")
        }
    }
}

/// The reply to a text longer than WhatsApp lets a user send.
pub fn message_too_long(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Tu mensaje es demasiado largo. Envíame tus gastos en mensajes más cortos."
        }
        Language::English => "Your message is too long. Send me your expenses in shorter messages.",
    }
}

/// The reply to an amount written with a minus sign, which is not recorded.
pub fn negative_amount(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "No anoto montos negativos. Si te devolvieron dinero o un gasto quedó mal, \
             corrígelo con *no, eran …* o bórralo con *borrar último*."
        }
        Language::English => {
            "I don't record negative amounts. If you got money back or an expense is wrong, \
             fix it with *no, it was …* or remove it with *delete last*."
        }
    }
}

/// The reply to a message listing more expenses than one message may record.
pub fn too_many_expenses(language: Language, max: usize) -> String {
    match language {
        Language::Spanish => format!(
            "Tu mensaje trae más de {max} gastos y no anoté ninguno. Envíamelos en mensajes de hasta {max}."
        ),
        Language::English => format!(
            "Your message lists more than {max} expenses, so I recorded none. Send them in messages of up to {max}."
        ),
    }
}

/// The help text.
pub fn help(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Escríbeme tus gastos y los anoto:\n\
            • *almuerzo 12.500*, *uber 8.40 usd ayer*, *gasté 15 lucas en el súper*\n\
            • Varios a la vez: *uber 5000 y almuerzo 8000*\n\
            • Una foto de la boleta: leo el monto y el comercio\n\
            • *categorías*: ver tus categorías\n\
            • *agregar categoría Mascotas*, *renombrar categoría Otros a Varios*\n\
            • *reglas*: ver qué comercio va a qué categoría; *borrar regla uber*\n\
            • *deshacer*: deshacer el último cambio; *borrar último*\n\
            • *no, eran 15.000*, *cambia a transporte*, *fue ayer*, *cambia la descripción a cena*: corregir el último gasto\n\
            • *últimos*: ver tus últimos gastos y borrar uno; *borrar 3*\n\
            • *resumen*, *mi resumen*, *resumen noviembre*: totales del mes con gráficos\n\
            • *presupuesto comida 200.000*: presupuesto mensual, te aviso al 80% y al 100%\n\
            • *cancelar*: descartar la pregunta pendiente\n\
            • *BAJA*: no recibir recordatorios ni avisos; *ALTA* para volver\n\
            • *exportar mis datos*, *borrar mis datos*: tus datos personales\n\
            • *ayuda*: este mensaje"
        }
        Language::English => {
            "Send me your expenses and I'll record them:\n\
            • *lunch 12.50*, *uber 8.40 usd yesterday*, *spent 20 on groceries*\n\
            • Several at once: *uber 5 and lunch 12*\n\
            • A photo of the receipt: I read the amount and the merchant\n\
            • *categories*: list your categories\n\
            • *add category Pets*, *rename category Other to Misc*\n\
            • *rules*: see which merchant goes to which category; *delete rule uber*\n\
            • *undo*: undo the last change; *delete last*\n\
            • *no, it was 15*, *change to transport*, *it was yesterday*, *change description to dinner*: fix the last expense\n\
            • *recent*: see your recent expenses and delete one; *delete 3*\n\
            • *summary*, *my summary*, *summary november*: the month's totals with charts\n\
            • *budget food 500*: a monthly budget, with a warning at 80% and 100%\n\
            • *cancel*: drop the pending question\n\
            • *STOP*: no reminders or notices; *START* to get them again\n\
            • *export my data*, *delete my data*: your personal data\n\
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
        Language::Spanish => "Por ahora leo texto, notas de voz y fotos de boletas. Escríbeme el gasto, por ejemplo *almuerzo 12.500*.",
        Language::English => "For now I read text, voice notes and photos of receipts. Type the expense, for example *lunch 12.50*.",
    }
}

/// The description of an expense read from a photo with no caption and no
/// merchant; it also reads well in [`ask_amount`].
pub fn receipt_description(language: Language) -> &'static str {
    match language {
        Language::Spanish => "la boleta de la foto",
        Language::English => "the receipt in the photo",
    }
}

/// Sent before the amount question when a photo's amount could not be read.
pub fn receipt_unreadable(language: Language) -> &'static str {
    match language {
        Language::Spanish => "📷 No pude leer el monto en la foto.",
        Language::English => "📷 I couldn't read the amount in the photo.",
    }
}

/// Lists the learned merchant rules as `(merchant, category)` pairs.
pub fn rule_list(language: Language, rules: &[(&str, &str)]) -> String {
    if rules.is_empty() {
        return match language {
            Language::Spanish => "Aún no tengo reglas. Cuando eliges la categoría de un gasto, recuerdo el comercio para la próxima vez.".into(),
            Language::English => "I have no rules yet. When you pick the category of an expense, I remember the merchant for next time.".into(),
        };
    }
    let (heading, hint) = match language {
        Language::Spanish => (
            "Tus reglas (comercio → categoría):",
            "Para borrar una, escribe *borrar regla* y el comercio.",
        ),
        Language::English => (
            "Your rules (merchant → category):",
            "To delete one, type *delete rule* and the merchant.",
        ),
    };
    let mut text = String::from(heading);
    for (merchant, category) in rules {
        text.push_str(&format!("\n• {merchant} → {category}"));
    }
    text.push('\n');
    text.push_str(hint);
    text
}

/// Confirms that a merchant rule was deleted.
pub fn rule_deleted(language: Language, merchant: &str) -> String {
    match language {
        Language::Spanish => {
            format!("Listo, borré la regla de {merchant}. La próxima vez te preguntaré.")
        }
        Language::English => {
            format!("Done, I deleted the rule for {merchant}. Next time I'll ask.")
        }
    }
}

/// The answer to deleting a rule that does not exist.
pub fn rule_not_found(language: Language, merchant: &str) -> String {
    match language {
        Language::Spanish => {
            format!("No tengo una regla para {merchant}. Escribe *reglas* para verlas.")
        }
        Language::English => format!("I have no rule for {merchant}. Type *rules* to see them."),
    }
}

/// Confirms a new category.
pub fn category_added(language: Language, name: &str) -> String {
    match language {
        Language::Spanish => format!("✅ Agregué la categoría {name}."),
        Language::English => format!("✅ Added the category {name}."),
    }
}

/// Confirms a renamed category.
pub fn category_renamed(language: Language, old: &str, new: &str) -> String {
    match language {
        Language::Spanish => format!("✅ La categoría {old} ahora se llama {new}."),
        Language::English => format!("✅ The category {old} is now called {new}."),
    }
}

/// The answer to adding or renaming to a name that exists.
pub fn category_exists(language: Language, name: &str) -> String {
    match language {
        Language::Spanish => format!("Ya tienes una categoría {name}."),
        Language::English => format!("You already have a category {name}."),
    }
}

/// The answer to a category name that is empty, has no letter or is long.
pub fn category_name_invalid(language: Language) -> &'static str {
    match language {
        Language::Spanish => "El nombre de la categoría debe tener letras y hasta 24 caracteres, por ejemplo *agregar categoría Mascotas*.",
        Language::English => "A category name needs letters and at most 24 characters, for example *add category Pets*.",
    }
}

/// The answer to adding a category beyond the limit.
pub fn too_many_categories(language: Language, max: usize) -> String {
    match language {
        Language::Spanish => {
            format!("Ya tienes {max} categorías, el máximo. Renombra una en vez de agregar otra.")
        }
        Language::English => format!(
            "You already have {max} categories, the maximum. Rename one instead of adding another."
        ),
    }
}

/// The answer to a rename whose old name matches no category.
pub fn rename_usage(language: Language) -> &'static str {
    match language {
        Language::Spanish => "No encontré esa categoría. Escribe, por ejemplo, *renombrar categoría Otros a Varios*; *categorías* muestra sus nombres.",
        Language::English => "I couldn't find that category. Type, for example, *rename category Other to Misc*; *categories* lists their names.",
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

/// The refusal sent when the customer's subscription is missing, not
/// active, or outside its period.
pub fn subscription_inactive(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Tu cuenta no tiene una suscripción activa, así que no anoté este mensaje. Pide a quien administra tu cuenta que la renueve y vuelve a escribirme.",
        Language::English => "Your account has no active subscription, so I didn't record this message. Ask your account's admin to renew it, then write again.",
    }
}

/// The refusal sent when a message would take the month's expenses over the
/// plan's `limit`; `remaining` is what the month still allows.
pub fn expense_limit_reached(
    language: Language,
    limit: u32,
    remaining: u32,
    requested: u32,
) -> String {
    match (language, remaining) {
        (Language::Spanish, 0) => format!("Llegaste al límite de {limit} gastos de este mes en tu plan, así que no anoté este mensaje. El límite se renueva el próximo mes, y puedes seguir respondiendo sobre los gastos pendientes."),
        (Language::English, 0) => format!("You've reached your plan's limit of {limit} expenses this month, so I didn't record this message. The limit renews next month, and you can still answer about pending expenses."),
        (Language::Spanish, _) => format!("Tu plan permite {limit} gastos al mes y te quedan {remaining}, pero este mensaje trae {requested}. No lo anoté: envía menos gastos a la vez."),
        (Language::English, _) => format!("Your plan allows {limit} expenses a month and you have {remaining} left, but this message has {requested}. I didn't record it: send fewer expenses at a time."),
    }
}

/// The note added after an expense that took the month near or to the
/// plan's `limit`.
pub fn expense_limit_near(language: Language, limit: u32, remaining: u32) -> String {
    match (language, remaining) {
        (Language::Spanish, 0) => {
            format!("Con esto llegaste al límite de {limit} gastos de este mes en tu plan.")
        }
        (Language::English, 0) => {
            format!("With this you've reached your plan's limit of {limit} expenses this month.")
        }
        (Language::Spanish, 1) => {
            format!("Te queda 1 de los {limit} gastos de este mes en tu plan.")
        }
        (Language::Spanish, _) => {
            format!("Te quedan {remaining} de los {limit} gastos de este mes en tu plan.")
        }
        (Language::English, _) => {
            format!("You have {remaining} of your plan's {limit} expenses left this month.")
        }
    }
}

/// The start of every reply about a receipt that came by email.
pub const EMAIL_MARK: &str = "📧 ";

/// Marks a reply about a receipt that came by email, so the user knows why
/// the bot writes unprompted.
pub fn from_email(text: &str) -> String {
    format!("{EMAIL_MARK}{text}")
}

/// Tells the user that a forwarded mail held no total the bot could read.
pub fn email_unreadable(language: Language, subject: &str) -> String {
    let subject = subject.trim();
    match (language, subject.is_empty()) {
        (Language::Spanish, false) => format!(
            "📧 Recibí tu correo «{subject}», pero no encontré el total. Escríbeme el gasto, por ejemplo: uber 8.500"
        ),
        (Language::Spanish, true) => "📧 Recibí tu correo, pero no encontré el total. Escríbeme el gasto, por ejemplo: uber 8.500".to_owned(),
        (Language::English, false) => format!(
            "📧 I got your email “{subject}” but found no total in it. Type the expense instead, for example: uber 8.50"
        ),
        (Language::English, true) => "📧 I got your email but found no total in it. Type the expense instead, for example: uber 8.50".to_owned(),
    }
}

/// Tells the user that a forwarded mail was over the size limit.
pub fn email_too_large(language: Language, max_mib: usize) -> String {
    match language {
        Language::Spanish => format!(
            "📧 Recibí un correo de más de {max_mib} MB y no lo pude leer. Reenvía solo el recibo, sin adjuntos"
        ),
        Language::English => format!(
            "📧 I got an email over {max_mib} MB and could not read it. Forward just the receipt, without attachments"
        ),
    }
}

/// Formats an amount for a reply.
pub fn amount(money: Money, locale: &str) -> String {
    money.display(locale)
}

// Commands about recorded expenses: undo, delete, edit, list, summary,
// budgets.

/// An expense as the commands show it: `CLP 12.500 en Comida (almuerzo,
/// hoy)`, or `sin categoría` while it waits for one.
pub fn expense_details(
    language: Language,
    amount: &str,
    category: Option<&str>,
    description: &str,
    when: &str,
) -> String {
    match (language, category) {
        (Language::Spanish, Some(category)) => {
            format!("{amount} en {category} ({description}, {when})")
        }
        (Language::Spanish, None) => format!("{amount} sin categoría ({description}, {when})"),
        (Language::English, Some(category)) => {
            format!("{amount} in {category} ({description}, {when})")
        }
        (Language::English, None) => format!("{amount} with no category ({description}, {when})"),
    }
}

/// The name shown for an expense that waits for a category.
pub fn no_category(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Sin categoría",
        Language::English => "No category",
    }
}

/// Confirms a delete; `details` is [`expense_details`].
pub fn deleted(language: Language, details: &str) -> String {
    match language {
        Language::Spanish => {
            format!("🗑️ Borré {details}. Escribe *deshacer* para recuperarlo.")
        }
        Language::English => format!("🗑️ Deleted {details}. Type *undo* to get it back."),
    }
}

/// Confirms an edit with the expense's new details.
pub fn edited(language: Language, details: &str) -> String {
    match language {
        Language::Spanish => {
            format!("✏️ Corregido: {details}. Escribe *deshacer* para volver atrás.")
        }
        Language::English => format!("✏️ Updated: {details}. Type *undo* to go back."),
    }
}

/// Confirms a category picked for an expense that already had another one.
pub fn category_changed(language: Language, category: &str) -> String {
    match language {
        Language::Spanish => format!("✅ Categoría cambiada a {category}."),
        Language::English => format!("✅ Category changed to {category}."),
    }
}

/// The answer to an edit that changes nothing.
pub fn already_so(language: Language, details: &str) -> String {
    match language {
        Language::Spanish => format!("Ya estaba así: {details}."),
        Language::English => format!("It was already so: {details}."),
    }
}

/// Confirms that undo deleted a recorded expense.
pub fn undone_recording(language: Language, details: &str) -> String {
    match language {
        Language::Spanish => {
            format!("↩️ Deshice el registro de {details}. Escribe *deshacer* otra vez para recuperarlo.")
        }
        Language::English => {
            format!("↩️ Undid {details}. Type *undo* again to get it back.")
        }
    }
}

/// Confirms that undo restored a deleted expense.
pub fn restored(language: Language, details: &str) -> String {
    match language {
        Language::Spanish => format!("↩️ Recuperé {details}."),
        Language::English => format!("↩️ Restored {details}."),
    }
}

/// Confirms that undo put back an expense's earlier values.
pub fn reverted(language: Language, details: &str) -> String {
    match language {
        Language::Spanish => format!("↩️ Deshice el cambio: {details}."),
        Language::English => format!("↩️ Undid the change: {details}."),
    }
}

/// The answer to undo when the user changed nothing yet.
pub fn nothing_to_undo(language: Language) -> &'static str {
    match language {
        Language::Spanish => "No hay nada que deshacer.",
        Language::English => "There is nothing to undo.",
    }
}

/// The answer to a command about the last expense when there is none.
pub fn nothing_recorded(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Aún no tienes gastos anotados. Escribe uno, por ejemplo *almuerzo 12.500*."
        }
        Language::English => "You have no expenses yet. Send one, for example *lunch 12.50*.",
    }
}

/// The answer to `borrar <n>` beyond the recent list.
pub fn no_such_number(language: Language, number: usize, count: usize) -> String {
    match language {
        Language::Spanish => format!(
            "No hay un gasto número {number}: tus últimos gastos son {count}. Escribe *últimos* para verlos."
        ),
        Language::English => format!(
            "There is no expense number {number}: you have {count} recent ones. Type *recent* to see them."
        ),
    }
}

/// The answer to a tap on an expense that is deleted or not the user's.
pub fn expense_gone(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Ese gasto ya no está. Escribe *últimos* para ver tus gastos.",
        Language::English => "That expense is gone. Type *recent* to see your expenses.",
    }
}

/// Asks before deleting a chosen expense.
pub fn confirm_delete(language: Language, details: &str) -> String {
    match language {
        Language::Spanish => format!("¿Borro {details}?"),
        Language::English => format!("Delete {details}?"),
    }
}

/// Buttons of the delete confirmation: delete, keep.
pub fn delete_buttons(language: Language) -> [&'static str; 2] {
    match language {
        Language::Spanish => ["Sí, borrar", "No, dejarlo"],
        Language::English => ["Yes, delete", "No, keep it"],
    }
}

/// The answer to the keep button of a delete confirmation.
pub fn kept(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Listo, no borré nada.",
        Language::English => "OK, nothing was deleted.",
    }
}

/// The body of the recent-expenses list.
pub fn recent_body(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Tus últimos gastos. Toca uno para borrarlo, o escribe *borrar 3*.",
        Language::English => "Your recent expenses. Tap one to delete it, or type *delete 3*.",
    }
}

/// The label of the button that opens the recent-expenses list.
pub fn recent_label(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Ver gastos",
        Language::English => "See expenses",
    }
}

/// The first line of a month summary.
pub fn summary_heading(language: Language, month: &str, scope: crate::commands::Scope) -> String {
    use crate::commands::Scope;
    match (language, scope) {
        (Language::Spanish, Scope::Household) => format!("📊 Resumen de {month} (hogar)"),
        (Language::Spanish, Scope::Mine) => format!("📊 Tu resumen de {month}"),
        (Language::English, Scope::Household) => format!("📊 Summary of {month} (household)"),
        (Language::English, Scope::Mine) => format!("📊 Your summary of {month}"),
    }
}

/// The summary of a month without expenses.
pub fn summary_empty(language: Language) -> &'static str {
    match language {
        Language::Spanish => "No hay gastos en este mes.",
        Language::English => "No expenses this month.",
    }
}

/// One category of a summary, with its budget and the share used when it
/// has one.
pub fn summary_line(
    language: Language,
    category: &str,
    amount: &str,
    budget: Option<(String, i64)>,
) -> String {
    match (language, budget) {
        (_, None) => format!("• {category}: {amount}"),
        (Language::Spanish, Some((budget, percent))) => {
            format!("• {category}: {amount} de {budget} ({percent}%)")
        }
        (Language::English, Some((budget, percent))) => {
            format!("• {category}: {amount} of {budget} ({percent}%)")
        }
    }
}

/// The report link at the end of a summary.
pub fn summary_link(language: Language, link: &str, days: i64) -> String {
    match language {
        Language::Spanish => format!("Gráficos y CSV: {link} (vence en {days} días)"),
        Language::English => format!("Charts and CSV: {link} (expires in {days} days)"),
    }
}

/// The answer to a summary whose month could not be read.
pub fn summary_usage(language: Language) -> &'static str {
    match language {
        Language::Spanish => "No entendí el mes. Escribe, por ejemplo, *resumen*, *resumen noviembre*, *resumen 2026-11* o *mi resumen*.",
        Language::English => "I couldn't read the month. Type, for example, *summary*, *summary november*, *summary 2026-11* or *my summary*.",
    }
}

/// Confirms a budget; `budget` is `None` when it was removed.
pub fn budget_set(language: Language, category: &str, budget: Option<&str>) -> String {
    match (language, budget) {
        (Language::Spanish, Some(budget)) => {
            format!("✅ Presupuesto de {category}: {budget} al mes. Te aviso al llegar al 80% y al 100%.")
        }
        (Language::English, Some(budget)) => {
            format!("✅ Budget for {category}: {budget} a month. I'll tell you at 80% and 100%.")
        }
        (Language::Spanish, None) => format!("✅ Quité el presupuesto de {category}."),
        (Language::English, None) => format!("✅ Removed the budget for {category}."),
    }
}

/// Tells the user that a category's spending crossed 80% or 100% of its
/// budget in a month: this month, or `month` (`noviembre 2026`) when the
/// expense was in another one.
pub fn budget_alert(
    language: Language,
    category: &str,
    spent: &str,
    budget: &str,
    percent: i64,
    over: bool,
    month: Option<&str>,
) -> String {
    let when = match (language, month) {
        (Language::Spanish, None) => "este mes".to_owned(),
        (Language::Spanish, Some(month)) => format!("en {month}"),
        (Language::English, None) => "this month".to_owned(),
        (Language::English, Some(month)) => format!("in {month}"),
    };
    match (language, over) {
        (Language::Spanish, false) => {
            format!("⚠️ Llevas {spent} de {budget} en {category} {when} ({percent}%).")
        }
        (Language::Spanish, true) => format!(
            "🚨 Llegaste al presupuesto de {category}: {spent} de {budget} {when} ({percent}%)."
        ),
        (Language::English, false) => {
            format!("⚠️ You've spent {spent} of {budget} on {category} {when} ({percent}%).")
        }
        (Language::English, true) => format!(
            "🚨 You reached the {category} budget: {spent} of {budget} {when} ({percent}%)."
        ),
    }
}

/// The answer to a budget command that could not be read.
pub fn budget_usage(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Escribe la categoría y el monto mensual, por ejemplo *presupuesto comida 200.000*; *presupuesto comida 0* lo quita.",
        Language::English => "Type the category and the monthly amount, for example *budget food 500*; *budget food 0* removes it.",
    }
}

/// The answer to a budget in a currency other than the home one.
pub fn budget_currency(language: Language, home: &str) -> String {
    match language {
        Language::Spanish => format!("Los presupuestos van en {home}, tu moneda principal. Escribe el monto sin otra moneda."),
        Language::English => format!("Budgets are in {home}, your home currency. Type the amount without another currency."),
    }
}

/// The answer to a command that names a category that does not exist.
pub fn unknown_category(language: Language, typed: &str) -> String {
    match language {
        Language::Spanish => {
            format!("No encontré la categoría {typed}. Escribe *categorías* para ver sus nombres.")
        }
        Language::English => {
            format!("I couldn't find the category {typed}. Type *categories* to see their names.")
        }
    }
}

/// The answer to an edit whose new value could not be read.
pub fn edit_usage(language: Language) -> &'static str {
    match language {
        Language::Spanish => "No entendí el cambio. Escribe, por ejemplo, *no, eran 15.000*, *cambia a transporte*, *fue ayer* o *cambia la descripción a cena*.",
        Language::English => "I didn't get the change. Type, for example, *no, it was 15*, *change to transport*, *it was yesterday* or *change description to dinner*.",
    }
}

/// The answer to an amount above the maximum that misgastos records, with
/// that maximum in the amount's currency.
pub fn amount_too_large(language: Language, amount: Money, locale: &str) -> String {
    let max = self::amount(Money::max(amount.currency), locale);
    let amount = self::amount(amount, locale);
    match language {
        Language::Spanish => format!(
            "{amount} es más de lo que puedo anotar: el máximo es {max} por monto. Revisa el número y escríbelo de nuevo."
        ),
        Language::English => format!(
            "{amount} is more than I can record: the maximum is {max} per amount. Check the number and type it again."
        ),
    }
}

/// The answer to an amount with several readings in an edit or a budget.
pub fn amount_ambiguous(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "No estoy seguro del monto. Escríbelo sin separadores, por ejemplo *15000*."
        }
        Language::English => {
            "I'm not sure about the amount. Type it without separators, for example *15000*."
        }
    }
}

/// The answer to an edit that moves an expense into the future.
pub fn edit_date_in_future(language: Language) -> &'static str {
    match language {
        Language::Spanish => "Esa fecha aún no llega; no cambié nada.",
        Language::English => "That date is in the future; nothing was changed.",
    }
}

/// Joins names as a sentence lists them: `USD`, `USD y EUR`, `USD, EUR y
/// GBP` (`and` in English).
pub fn join_list(language: Language, items: &[&str]) -> String {
    let and = match language {
        Language::Spanish => "y",
        Language::English => "and",
    };
    match items {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}
