//! Who was paid, and a description of the receipt: the forward block of a
//! forwarded mail, the merchant a receipt names, and the subject.
//!
//! The merchant is, in order: a labelled line (`Comercio: LIDER`), the words
//! after the total in a bank's sentence (`compra por $8.500 en FARMACIA`),
//! the display name of the receipt's sender (`Uber Receipts` → `uber`), or
//! its domain (`pedidos@rappi.com` → `rappi`). Banks, card networks and
//! payment services are never the merchant, nor are personal mailboxes.

use crate::classify::fold;
use crate::model::Language;

use super::mime::{split_address, Mail};

/// The header block of a forwarded mail, as mail clients write it inline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forward {
    pub from_name: Option<String>,
    /// The original sender's address, lowercase.
    pub from: Option<String>,
    /// The original `Date` line, as written.
    pub date: Option<String>,
    pub subject: Option<String>,
    /// Indices of the marker and header lines, which are not receipt text.
    pub header_lines: Vec<usize>,
}

/// Maximum characters of a description.
const MAX_DESCRIPTION: usize = 80;
/// Maximum characters of a merchant.
const MAX_MERCHANT: usize = 40;

const FORWARD_MARKERS: &[&str] = &[
    "forwarded message",
    "mensaje reenviado",
    "original message",
    "mensaje original",
    "begin forwarded message",
    "inicio del mensaje reenviado",
];
const MERCHANT_LABELS: &[&str] = &[
    "comercio",
    "merchant",
    "establecimiento",
    "tienda",
    "store",
    "vendido por",
    "sold by",
    "restaurante",
    "restaurant",
    "local",
    "nombre del comercio",
    "merchant name",
    "lugar",
];
/// Words after a bank sentence's merchant.
const MERCHANT_STOPS: &[&str] = &[
    "el", "on", "con", "with", "por", "for", "a", "las", "fecha", "date", "del", "-", "|", "y",
    "and", "using", "usando", "mediante",
];
/// Words of sender names that are not the merchant's name.
const NOISE_WORDS: &[&str] = &[
    "receipts",
    "receipt",
    "recibos",
    "recibo",
    "noreply",
    "no-reply",
    "notificaciones",
    "notificacion",
    "notifications",
    "notification",
    "alertas",
    "alerta",
    "alerts",
    "info",
    "team",
    "equipo",
    "servicio",
    "service",
    "clientes",
    "cliente",
    "boletas",
    "boleta",
    "facturacion",
    "factura",
    "mail",
    "email",
    "correo",
    "via",
    "pedidos",
    "orders",
    "chile",
    "mexico",
    "argentina",
    "colombia",
    "espana",
    "peru",
    "uruguay",
    "almacenes",
];
/// Banks, card networks and payment services: they move the money but did
/// not sell anything.
const INTERMEDIARIES: &[&str] = &[
    "banco",
    "bank",
    "bci",
    "santander",
    "bbva",
    "scotiabank",
    "itau",
    "chase",
    "citibank",
    "amex",
    "american express",
    "visa",
    "mastercard",
    "tarjeta",
    "card",
    "nubank",
    "mercado pago",
    "mercadopago",
    "paypal",
    "tenpo",
    "davivienda",
    "bancolombia",
    "galicia",
    "capital one",
    "wells fargo",
    "banorte",
    "banamex",
    "brubank",
    "uala",
];
/// Personal mailbox providers: a sender there is a person, not a merchant.
const MAILBOX_PROVIDERS: &[&str] = &[
    "gmail",
    "googlemail",
    "hotmail",
    "outlook",
    "live",
    "yahoo",
    "icloud",
    "me",
    "aol",
    "proton",
    "protonmail",
    "gmx",
    "msn",
    "zoho",
    "yandex",
];
/// Names that read better as the single word category keywords use.
const ALIASES: &[(&str, &str)] = &[("uber eats", "ubereats"), ("pedidos ya", "pedidosya")];

/// Finds the header block of an inline forward: a marker line such as
/// `---------- Forwarded message ---------` followed by `From:`, `Date:`,
/// `Subject:` lines, or an Outlook block that starts at `De:` and goes on
/// with `Enviado:`.
pub fn find_forward(lines: &[&str]) -> Option<Forward> {
    let start = lines.iter().enumerate().find_map(|(index, line)| {
        let folded = fold(line);
        if FORWARD_MARKERS.iter().any(|marker| folded.contains(marker)) {
            return Some((index, index + 1));
        }
        let label = header_label(line)?;
        let next = lines.get(index + 1).and_then(|next| header_label(next));
        let outlook = matches!(label, HeaderLabel::From)
            && matches!(
                next,
                Some(HeaderLabel::Date | HeaderLabel::To | HeaderLabel::Subject)
            );
        outlook.then_some((index, index))
    })?;

    let (marker, first) = start;
    let mut forward = Forward {
        header_lines: vec![marker],
        ..Forward::default()
    };
    for (index, line) in lines.iter().enumerate().skip(first).take(8) {
        let Some(label) = header_label(line) else {
            break;
        };
        let value = line
            .split_once(':')
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default();
        match label {
            HeaderLabel::From => {
                let (name, address) = split_address(&value);
                forward.from_name = name;
                forward.from = address;
            }
            HeaderLabel::Date => forward.date = Some(value),
            HeaderLabel::Subject => forward.subject = Some(value),
            HeaderLabel::To => {}
        }
        if !forward.header_lines.contains(&index) {
            forward.header_lines.push(index);
        }
    }
    Some(forward)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderLabel {
    From,
    Date,
    Subject,
    To,
}

fn header_label(line: &str) -> Option<HeaderLabel> {
    let (label, _) = line.split_once(':')?;
    let label = match fold(label)
        .trim()
        .trim_start_matches('*')
        .trim_end_matches('*')
    {
        "from" | "de" => HeaderLabel::From,
        "date" | "fecha" | "sent" | "enviado" | "enviado el" => HeaderLabel::Date,
        "subject" | "asunto" => HeaderLabel::Subject,
        "to" | "para" | "cc" | "reply-to" | "responder a" => HeaderLabel::To,
        _ => return None,
    };
    Some(label)
}

/// Finds who was paid; see the module documentation for the order.
pub fn find_merchant(
    lines: &[&str],
    total_line: usize,
    total_token: usize,
    forward: Option<&Forward>,
    mail: &Mail,
) -> Option<String> {
    let skipped = |index: usize| forward.is_some_and(|f| f.header_lines.contains(&index));
    let labelled = lines.iter().enumerate().find_map(|(index, line)| {
        if skipped(index) {
            return None;
        }
        let (label, value) = line.split_once(':')?;
        let label = fold(label);
        if !MERCHANT_LABELS.contains(&label.trim()) {
            return None;
        }
        let value = value.trim();
        let value = if value.is_empty() {
            lines.get(index + 1).copied()?
        } else {
            value
        };
        clean(value)
    });
    if labelled.is_some() {
        return labelled;
    }

    if let Some(found) = lines
        .get(total_line)
        .and_then(|line| after_amount(line, total_token))
    {
        return Some(found);
    }

    let (name, address) = match forward {
        Some(forward) => (forward.from_name.as_deref(), forward.from.as_deref()),
        None => (mail.from_name.as_deref(), mail.from.as_deref()),
    };
    let domain = address
        .and_then(|address| address.rsplit_once('@'))
        .map(|(_, domain)| domain);
    let domain_label = domain.and_then(domain_label);
    if domain_label.is_some_and(|label| MAILBOX_PROVIDERS.contains(&label)) {
        return None;
    }
    if domain_label.is_some_and(is_intermediary) {
        return None;
    }
    name.filter(|name| !is_intermediary(name))
        .and_then(clean)
        .or_else(|| domain_label.and_then(clean))
}

/// The words after the first `en` or `at` that follows the amount in a
/// bank's sentence (`compra por $12.990 con tu tarjeta en LIDER EXPRESS el
/// 05/03/2026`).
fn after_amount(line: &str, token: usize) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let start = (token + 1..words.len().min(token + 10))
        .find(|&index| matches!(fold(words[index]).as_str(), "en" | "at" | "in"))?;
    let mut name = Vec::new();
    for word in words.iter().skip(start + 1).take(6) {
        let folded = fold(word);
        let bare = folded.trim_matches(|c: char| !c.is_alphanumeric());
        let digits = word.chars().filter(char::is_ascii_digit).count();
        let is_number = word.contains([':', '/', '$', '€']) || digits > 4;
        if MERCHANT_STOPS.contains(&bare) || is_number || (digits > 0 && name.is_empty()) {
            break;
        }
        let ends_sentence = word.ends_with(['.', ',', ';']) && !word.contains(".com");
        name.push(*word);
        if ends_sentence {
            break;
        }
    }
    clean(&name.join(" ")).filter(|found| !is_intermediary(found))
}

/// The label of a domain that names its owner: `mail.rappi.com` → `rappi`,
/// `amazon.com.mx` → `amazon`.
fn domain_label(domain: &str) -> Option<&str> {
    let mut labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    labels.pop()?;
    if labels.len() >= 2 {
        let second = labels[labels.len() - 1];
        if ["com", "co", "net", "org", "gob", "gov", "edu"].contains(&second) {
            labels.pop();
        }
    }
    labels.last().copied()
}

fn is_intermediary(text: &str) -> bool {
    let folded = fold(text);
    INTERMEDIARIES.iter().any(|name| folded.contains(name))
}

/// Lowercases a merchant name and drops what is not part of it.
fn clean(text: &str) -> Option<String> {
    let lower = text
        .trim()
        .trim_matches(['"', '\'', '*', '.', ',', ';'])
        .to_lowercase();
    let words: Vec<String> = lower
        .split_whitespace()
        .map(|word| {
            // `Amazon.com` → `amazon`
            match word.split_once('.') {
                Some((name, tld))
                    if !name.is_empty() && tld.chars().all(|c| c.is_alphabetic() || c == '.') =>
                {
                    name.to_owned()
                }
                _ => word.to_owned(),
            }
        })
        .filter(|word| !NOISE_WORDS.contains(&fold(word).as_str()))
        .collect();
    let name = words.join(" ");
    let name = name.trim_matches(|c: char| !c.is_alphanumeric());
    if name.is_empty() {
        return None;
    }
    let name = ALIASES
        .iter()
        .find(|(long, _)| *long == name)
        .map_or(name, |(_, short)| *short);
    Some(name.chars().take(MAX_MERCHANT).collect())
}

/// The description of the expense: the receipt's subject without `Fwd:` and
/// the like, else the merchant, else a word for a mailed receipt.
pub fn describe(
    mail: &Mail,
    forward: Option<&Forward>,
    merchant: Option<&str>,
    language: Language,
) -> String {
    let subject = forward
        .and_then(|f| f.subject.as_deref())
        .filter(|subject| !subject.trim().is_empty())
        .unwrap_or(&mail.subject);
    let subject = strip_reply_prefixes(subject);
    let fallback = match language {
        Language::Spanish => "recibo por correo",
        Language::English => "emailed receipt",
    };
    let text = if !subject.is_empty() {
        subject
    } else {
        merchant.unwrap_or(fallback)
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX_DESCRIPTION {
        return text;
    }
    let mut short: String = text.chars().take(MAX_DESCRIPTION - 1).collect();
    short.push('…');
    short
}

fn strip_reply_prefixes(subject: &str) -> &str {
    let mut rest = subject.trim();
    loop {
        let Some((prefix, after)) = rest.split_once(':') else {
            return rest;
        };
        let prefix = prefix.trim().to_ascii_lowercase();
        if ![
            "fwd",
            "fw",
            "rv",
            "re",
            "tr",
            "enc",
            "reenviado",
            "wg",
            "fwd fw",
        ]
        .contains(&prefix.as_str())
        {
            return rest;
        }
        rest = after.trim();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_forward_block_is_read() {
        let lines = [
            "Mira este recibo",
            "---------- Forwarded message ---------",
            "From: Uber Receipts <noreply@uber.com>",
            "Date: mar, 3 mar 2026 a las 21:14",
            "Subject: Tu viaje del martes",
            "To: <ana@gmail.com>",
            "Total $5.430",
        ];
        let forward = find_forward(&lines).expect("a forward block");
        assert_eq!(forward.from_name.as_deref(), Some("Uber Receipts"));
        assert_eq!(forward.from.as_deref(), Some("noreply@uber.com"));
        assert_eq!(forward.date.as_deref(), Some("mar, 3 mar 2026 a las 21:14"));
        assert_eq!(forward.subject.as_deref(), Some("Tu viaje del martes"));
        assert_eq!(forward.header_lines, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn outlook_forward_block_is_read() {
        let lines = [
            "De: Rappi <pedidos@rappi.com>",
            "Enviado: martes, 3 de marzo de 2026 13:00",
            "Asunto: Tu pedido",
            "Total $1",
        ];
        let forward = find_forward(&lines).expect("a forward block");
        assert_eq!(forward.from.as_deref(), Some("pedidos@rappi.com"));
        assert_eq!(forward.header_lines, [0, 1, 2]);
    }

    #[test]
    fn merchant_comes_from_sender_name_or_domain() {
        let mail = |name: Option<&str>, from: &str| Mail {
            from_name: name.map(str::to_owned),
            from: Some(from.to_owned()),
            ..Mail::default()
        };
        let cases = [
            (
                mail(Some("Uber Receipts"), "noreply@uber.com"),
                Some("uber"),
            ),
            (
                mail(Some("Uber Eats"), "noreply@uber.com"),
                Some("ubereats"),
            ),
            (
                mail(Some("Amazon.com"), "auto-confirm@amazon.com"),
                Some("amazon"),
            ),
            (mail(None, "pedidos@mail.rappi.com"), Some("rappi")),
            (mail(None, "ventas@jumbo.com.ar"), Some("jumbo")),
            (
                mail(Some("Banco de Chile"), "enviodigital@bancochile.cl"),
                None,
            ),
            (mail(Some("Ana Pérez"), "ana@gmail.com"), None),
        ];
        for (mail, expected) in cases {
            let found = find_merchant(&["Total $1"], 0, 1, None, &mail);
            assert_eq!(found.as_deref(), expected, "{:?}", mail.from);
        }
    }

    #[test]
    fn merchant_comes_from_labels_and_bank_sentences() {
        let mail = Mail::default();
        let labelled = ["Comercio: LIDER EXPRESS ÑUÑOA", "Monto: $5.000"];
        assert_eq!(
            find_merchant(&labelled, 1, 1, None, &mail).as_deref(),
            Some("lider express ñuñoa")
        );
        let sentence = ["Se realizó una compra por $8.500 en FARMACIAS AHUMADA el 03/03/2026."];
        assert_eq!(
            find_merchant(&sentence, 0, 5, None, &mail).as_deref(),
            Some("farmacias ahumada")
        );
        let english = ["A charge of $45.20 USD at WHOLE FOODS MARKET on March 3."];
        assert_eq!(
            find_merchant(&english, 0, 3, None, &mail).as_deref(),
            Some("whole foods market")
        );
    }

    #[test]
    fn description_drops_forward_prefixes() {
        let mail = Mail {
            subject: "RV: Fwd: Tu boleta de Jumbo".to_owned(),
            ..Mail::default()
        };
        assert_eq!(
            describe(&mail, None, None, Language::Spanish),
            "Tu boleta de Jumbo"
        );
        let empty = Mail::default();
        assert_eq!(
            describe(&empty, None, Some("rappi"), Language::Spanish),
            "rappi"
        );
        assert_eq!(
            describe(&empty, None, None, Language::English),
            "emailed receipt"
        );
    }
}
