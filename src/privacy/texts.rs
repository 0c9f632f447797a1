//! The replies to the privacy commands, in Spanish and English.

use super::MemberDeletion;
use crate::model::Language;

/// The confirmation of an opt-out.
pub fn opted_out(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Listo, no te enviaré más mensajes por mi cuenta: ni recordatorios ni avisos. \
             Sigo respondiendo cuando me escribas. Para volver a recibirlos, escribe *ALTA*."
        }
        Language::English => {
            "Done, I won't message you on my own anymore: no reminders and no notices. \
             I still answer when you write to me. To get them again, send *START*."
        }
    }
}

/// The confirmation of an opt-in.
pub fn opted_in(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Listo, volverás a recibir recordatorios y avisos. Para dejar de recibirlos, \
             escribe *BAJA*."
        }
        Language::English => {
            "Done, you'll get reminders and notices again. To stop them, send *STOP*."
        }
    }
}

/// The message with the two export links, valid `minutes`.
pub fn export_ready(language: Language, csv_url: &str, json_url: &str, minutes: i64) -> String {
    match language {
        Language::Spanish => format!(
            "Aquí están tus datos: tus gastos, tus números y correos, y las categorías, \
             presupuestos y reglas de tu cuenta. Los enlaces vencen en {minutes} minutos \
             y abren todo, así que no los reenvíes.\n\nCSV: {csv_url}\nJSON: {json_url}"
        ),
        Language::English => format!(
            "Here is your data: your expenses, your numbers and addresses, and your \
             account's categories, budgets and rules. The links expire in {minutes} \
             minutes and open everything, so don't forward them.\n\nCSV: {csv_url}\n\
             JSON: {json_url}"
        ),
    }
}

/// The reply when no export link can be made (`LINK_SIGNING_KEY` or
/// `PUBLIC_BASE_URL` is not set).
pub fn export_unavailable(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "No puedo generar la exportación en este momento. Pide a quien administra tu \
             cuenta que la solicite por ti."
        }
        Language::English => {
            "I can't make the export right now. Ask your account's admin to request it \
             for you."
        }
    }
}

/// The body of the question that confirms a deletion.
pub fn deletion_question(language: Language, mode: MemberDeletion, expenses: u32) -> String {
    let expenses_part = match (language, mode) {
        (Language::Spanish, MemberDeletion::Anonymise) => format!(
            "Tus gastos ({expenses}) quedan en los totales de la cuenta, sin tu nombre, \
             descripción ni comercio."
        ),
        (Language::Spanish, MemberDeletion::Delete) => {
            format!("También se borran tus gastos ({expenses}).")
        }
        (Language::English, MemberDeletion::Anonymise) => format!(
            "Your expenses ({expenses}) stay in the account's totals, without your name, \
             description or merchant."
        ),
        (Language::English, MemberDeletion::Delete) => {
            format!("Your expenses ({expenses}) are deleted too.")
        }
    };
    match language {
        Language::Spanish => format!(
            "¿Borro tus datos personales? Se borran tu nombre, tus números y correos \
             vinculados y la conversación en curso. {expenses_part} No se puede deshacer.\n\n\
             Si solo quieres dejar de recibir avisos, escribe *BAJA*."
        ),
        Language::English => format!(
            "Delete your personal data? Your name, your linked numbers and addresses and \
             the open conversation are deleted. {expenses_part} This cannot be undone.\n\n\
             If you only want to stop notices, send *STOP*."
        ),
    }
}

/// Titles of the delete and keep buttons (at most 20 characters).
pub fn deletion_buttons(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Spanish => ("Sí, borrar", "No, mantener"),
        Language::English => ("Yes, delete", "No, keep"),
    }
}

/// The confirmation that the data was deleted.
pub fn deleted(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Listo, borré tus datos personales. Si vuelves a escribirme, empiezo de cero, \
             como con un número nuevo."
        }
        Language::English => {
            "Done, I deleted your personal data. If you write to me again, I start from \
             scratch, as with a new number."
        }
    }
}

/// The reply to a deletion button tapped too late.
pub fn deletion_expired(language: Language) -> &'static str {
    match language {
        Language::Spanish => {
            "Esa confirmación venció y no borré nada. Si quieres borrar tus datos, escribe \
             *borrar mis datos* otra vez."
        }
        Language::English => {
            "That confirmation expired and nothing was deleted. To delete your data, send \
             *delete my data* again."
        }
    }
}
