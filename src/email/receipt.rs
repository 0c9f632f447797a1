//! Reading a receipt: the total paid and its currency, the merchant, the
//! purchase date and a description.
//!
//! The text is read line by line. Each line gets a rank from its label:
//! `Total pagado` and `Grand total` rank above a bare `Total`, which ranks
//! above `Monto`, `Cargo` or a bank's "compra por … en …" sentence; lines
//! naming a subtotal, tip, tax, discount, shipping, balance or points are
//! never the total. The best-ranked amount wins, and among equals the
//! largest, since item lines and partial payments are smaller than the
//! total. Amounts are read by [`parse::parse_amount`]; this module only
//! decides which `$` the mail means and how its numbers are separated.

use chrono::NaiveDate;

use super::dates::find_date;
use super::merchant::{self, Forward};
use super::mime::Mail;
use crate::classify::fold;
use crate::model::Language;
use crate::money::{Currency, Money};
use crate::parse::{self, AmountReading, ParseContext};

/// What the reader needs to know about the customer.
#[derive(Debug, Clone, Copy)]
pub struct ReceiptContext<'a> {
    /// BCP 47 locale such as `es-CL`.
    pub locale: &'a str,
    pub home_currency: Currency,
    /// Today in the customer's time zone.
    pub today: NaiveDate,
    /// The day the mail was sent, in the customer's time zone.
    pub sent_on: Option<NaiveDate>,
}

/// An expense read from a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub amount: Money,
    /// Lowercase, like the merchants `parse` finds in messages.
    pub merchant: Option<String>,
    pub spent_on: NaiveDate,
    pub description: String,
}

/// Why no expense could be read from a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("mail has no text body")]
    NoText,
    #[error("no total amount found in the receipt")]
    NoTotal,
    /// The total is above [`crate::money::MAX_AMOUNT_MINOR`].
    #[error("the receipt's total is above the maximum amount")]
    AmountTooLarge(Money),
}

impl ReceiptError {
    /// A stable name for logs and the HTTP body.
    pub fn reason(self) -> &'static str {
        match self {
            ReceiptError::NoText => "no_text",
            ReceiptError::NoTotal => "no_total",
            ReceiptError::AmountTooLarge(_) => "amount_too_large",
        }
    }
}

/// Reads the expense of a receipt. The text body is tried first, then the
/// HTML body when the text part has no total.
///
/// # Errors
///
/// [`ReceiptError::NoText`] for a mail without a body,
/// [`ReceiptError::NoTotal`] when no line holds a total,
/// [`ReceiptError::AmountTooLarge`] when the total is above the maximum.
pub fn extract(mail: &Mail, context: &ReceiptContext<'_>) -> Result<Receipt, ReceiptError> {
    let bodies: Vec<&str> = [Some(mail.text.as_str()), mail.html_text.as_deref()]
        .into_iter()
        .flatten()
        .filter(|body| !body.trim().is_empty())
        .collect();
    if bodies.is_empty() {
        return Err(ReceiptError::NoText);
    }
    let receipt = bodies
        .into_iter()
        .find_map(|body| extract_from(mail, body, context))
        .ok_or(ReceiptError::NoTotal)?;
    if !receipt.amount.is_recordable() {
        return Err(ReceiptError::AmountTooLarge(receipt.amount));
    }
    Ok(receipt)
}

/// Most non-empty lines of one body that are read. Receipts have tens of
/// lines, a long order some hundreds. Reading a line costs tens of
/// microseconds, so a mail under the 5 MiB limit made of short lines took
/// about 30 seconds of CPU in the worker before this bound.
pub const MAX_RECEIPT_LINES: usize = 2_000;
/// Most bytes of one body that are read, for the same reason: one long line
/// costs as much as many short ones.
pub const MAX_RECEIPT_BYTES: usize = 128 * 1024;

/// Returns the start of `body` that a receipt is read from: at most
/// [`MAX_RECEIPT_BYTES`], cut at a character boundary.
fn readable_start(body: &str) -> &str {
    let mut end = body.len().min(MAX_RECEIPT_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    &body[..end]
}

fn extract_from(mail: &Mail, body: &str, context: &ReceiptContext<'_>) -> Option<Receipt> {
    let lines: Vec<&str> = readable_start(body)
        .lines()
        .map(|line| line.trim_start_matches(['>', ' ', '\t']).trim())
        .filter(|line| !line.is_empty())
        .take(MAX_RECEIPT_LINES)
        .collect();
    let forward = merchant::find_forward(&lines);
    let skipped = |index: usize| {
        forward
            .as_ref()
            .is_some_and(|f| f.header_lines.contains(&index))
    };

    let sender_domain = forward
        .as_ref()
        .and_then(|f| f.from.as_deref())
        .or(mail.from.as_deref())
        .and_then(|address| address.rsplit_once('@'))
        .map(|(_, domain)| domain.to_owned());
    let money = money_context(&lines, sender_domain.as_deref(), context);
    let total = find_total(&lines, &skipped, &money)?;

    let merchant = merchant::find_merchant(&lines, total.line, total.token, forward.as_ref(), mail);
    let spent_on = spent_on(&lines, &skipped, total.line, forward.as_ref(), context);
    let language = Language::of_locale(context.locale);
    let description = merchant::describe(mail, forward.as_ref(), merchant.as_deref(), language);
    Some(Receipt {
        amount: total.amount,
        merchant,
        spent_on,
        description,
    })
}

/// How a label ranks a line as the total.
const STRONG_TOTAL: u8 = 4;
const TOTAL: u8 = 3;
const AMOUNT_LABEL: u8 = 2;

/// Words that, with `total`, name the amount paid.
const PAID_WORDS: &[&str] = &[
    "pagado",
    "pagar",
    "pagada",
    "cobrado",
    "cobrada",
    "charged",
    "paid",
    "grand",
    "order",
    "pedido",
    "compra",
    "orden",
    "final",
    "boleta",
    "factura",
    "facturado",
    "viaje",
    "trip",
];
/// Phrases that name an amount paid without the word `total`.
const PAID_PHRASES: &[&str] = &[
    "monto total",
    "importe total",
    "valor total",
    "total amount",
    "amount charged",
    "amount paid",
    "you paid",
    "pagaste",
    "importe pagado",
    "monto pagado",
    "monto cobrado",
];
/// Words of a line that states one amount of a purchase (bank notices).
const AMOUNT_WORDS: &[&str] = &[
    "monto",
    "importe",
    "amount",
    "valor",
    "cargo",
    "charge",
    "charged",
    "cobro",
    "compra",
    "compraste",
    "purchase",
    "transaccion",
    "transaction",
    "consumo",
    "pagaste",
    "paid",
    "spent",
    "gastaste",
    "pago",
    "payment",
];
/// Phrases of lines that are never the total.
const EXCLUDED_PHRASES: &[&str] = &[
    "subtotal",
    "sub total",
    "sub-total",
    "propina",
    "tip",
    "tips",
    "gratuity",
    "iva",
    "impuesto",
    "impuestos",
    "tax",
    "taxes",
    "vat",
    "saldo",
    "balance",
    "disponible",
    "available",
    "cupo",
    "credit limit",
    "descuento",
    "descuentos",
    "discount",
    "ahorro",
    "ahorraste",
    "savings",
    "you saved",
    "envio",
    "despacho",
    "shipping",
    "delivery fee",
    "costo de entrega",
    "tarifa de servicio",
    "service fee",
    "cargo por servicio",
    "puntos",
    "points",
    "millas",
    "miles",
    "cuota",
    "cuotas",
    "installment",
    "installments",
    "pago minimo",
    "minimum payment",
    "deuda",
    "reembolso",
    "refund",
    "neto",
    "exento",
    "redondeo",
    "donacion",
    "vuelto",
    "cambio",
];
/// Phrases that mention a tax as included in the total, not as its own line.
const TAX_INCLUDED: &[&str] = &[
    "iva incluido",
    "incluye iva",
    "incl iva",
    "impuestos incluidos",
    "tax included",
    "incl tax",
    "including tax",
    "taxes included",
];

/// The amount chosen as the total, and where it was found.
#[derive(Debug, Clone, Copy)]
struct Total {
    amount: Money,
    line: usize,
    /// Index of the amount's word in its line.
    token: usize,
}

/// How an amount names its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// A code or symbol of one currency: `USD`, `US$`, `€`.
    Explicit(Currency),
    /// `$` or `pesos`: the local currency, whichever it is.
    Local,
    /// A bare number.
    Bare,
}

/// A number in a line that may be an amount.
#[derive(Debug, Clone)]
struct Candidate {
    /// The number with the currency words next to it.
    window: String,
    /// The number alone.
    number: String,
    token: usize,
    mark: Mark,
}

fn words_of(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The numbers of a line with their currency words.
fn candidates(line: &str) -> Vec<Candidate> {
    let words = words_of(line);
    let mut found = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let number = word.trim_matches(|c: char| !c.is_ascii_digit());
        if number.is_empty() || !is_amount_like(word, number) {
            continue;
        }
        if index > 0 && is_reference(words[index - 1]) {
            continue;
        }
        let mut window = Vec::new();
        if let Some(previous) = index.checked_sub(1).map(|i| words[i]) {
            if is_currency_word(previous) {
                window.push(previous);
            }
        }
        window.push(word);
        if let Some(next) = words.get(index + 1) {
            if is_currency_word(next) {
                window.push(next);
            }
        }
        let window = window.join(" ");
        let mark = mark_of(&window);
        found.push(Candidate {
            window,
            number: number.to_owned(),
            token: index,
            mark,
        });
    }
    found
}

/// A word made of digits and separators, with at most currency symbols or
/// brackets around it: not a date, a time, a percentage or a negative.
fn is_amount_like(word: &str, number: &str) -> bool {
    let separators_only = number
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
    let negative = word.starts_with('-') || word.starts_with("−");
    let percentage = word.trim_end_matches([')', ',', '.', ';']).ends_with('%');
    let digits = number.chars().filter(char::is_ascii_digit).count();
    // Card masks (`****1234`), references (`#123`) and addresses.
    let masked = word.contains(['*', '•', '#', '@', '=']);
    separators_only && !negative && !percentage && !masked && digits <= 12
}

/// A word before a number that makes it an id, not an amount.
fn is_reference(word: &str) -> bool {
    let folded = fold(word);
    let folded = folded.trim_end_matches([':', '.']);
    word.ends_with('#')
        || matches!(
            folded,
            "#" | "n"
                | "no"
                | "nº"
                | "n°"
                | "nro"
                | "numero"
                | "orden"
                | "order"
                | "pedido"
                | "boleta"
                | "folio"
                | "id"
                | "ref"
                | "ending"
                | "terminada"
                | "terminación"
                | "terminacion"
                | "****"
                | "•••"
                | "••••"
                | "visa"
                | "mastercard"
        )
}

/// A short word that may name a currency next to a number: a symbol, a
/// three-letter code or a currency name. Which currency it is, if any, is
/// left to `parse`.
fn is_currency_word(word: &str) -> bool {
    let word = word.trim_matches(|c: char| c == ':' || c == '(' || c == ')' || c == ',');
    let has_digit = word.chars().any(|c| c.is_ascii_digit());
    let short_symbol = word.chars().count() <= 4 && !word.chars().all(char::is_alphabetic);
    let code = word.len() == 3 && word.chars().all(|c| c.is_ascii_uppercase());
    let name = matches!(
        fold(word).as_str(),
        "pesos" | "peso" | "dolares" | "dollars" | "euros" | "soles" | "reales"
    );
    !has_digit && !word.is_empty() && (short_symbol || code || name)
}

/// Finds out whether `window` names its currency, by reading it for two
/// customers whose `$` means different pesos, and for one without a peso.
fn mark_of(window: &str) -> Mark {
    let read = |home: Currency| {
        let context = ParseContext {
            locale: "es",
            home_currency: home,
            today: NaiveDate::default(),
        };
        match parse::parse_amount(window, &context) {
            AmountReading::Exact(money) => Some(money.currency),
            AmountReading::Ambiguous(candidates) => candidates.first().map(|m| m.currency),
            AmountReading::None => None,
        }
    };
    match (
        read(Currency::Clp),
        read(Currency::Mxn),
        read(Currency::Eur),
    ) {
        (Some(a), Some(b), _) if a == b => Mark::Explicit(a),
        (_, _, Some(Currency::Eur)) | (_, _, None) => Mark::Bare,
        _ => Mark::Local,
    }
}

/// Whether a number ends in one or two decimals after a point (`23.45`,
/// `1,234.5`), the way US dollars are written.
fn has_point_cents(number: &str) -> bool {
    let decimals = number.rsplit_once('.').map(|(_, tail)| tail.len());
    matches!(decimals, Some(1 | 2)) && decimal_mark_of(number) == Some(DecimalMark::Point)
}

/// How numbers of a mail are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecimalMark {
    /// `1.234,56`, `12.990`
    Comma,
    /// `1,234.56`, `23.45`
    Point,
}

/// The decimal mark a number shows, when its shape tells.
fn decimal_mark_of(number: &str) -> Option<DecimalMark> {
    let groups: Vec<&str> = number.split(['.', ',']).collect();
    let separators: Vec<char> = number.chars().filter(|c| *c == '.' || *c == ',').collect();
    let last = *separators.last()?;
    let tail = groups.last()?.len();
    let as_decimal = |mark: char| {
        if mark == ',' {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        }
    };
    let as_thousands = |mark: char| {
        if mark == ',' {
            DecimalMark::Point
        } else {
            DecimalMark::Comma
        }
    };
    if separators.iter().any(|c| *c != last) || tail <= 2 {
        return (tail <= 2).then(|| as_decimal(last));
    }
    let grouped = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
        && groups[1..].iter().all(|g| g.len() == 3);
    grouped.then(|| as_thousands(last))
}

/// Whether people in `locale` write `1.234,56`.
fn locale_decimal_mark(locale: &str) -> DecimalMark {
    let lower = locale.to_ascii_lowercase().replace('_', "-");
    let point = lower.starts_with("en")
        || [
            "es-mx", "es-pe", "es-us", "es-pr", "es-do", "es-gt", "es-hn", "es-ni", "es-pa",
            "es-sv",
        ]
        .iter()
        .any(|tag| lower.starts_with(tag));
    if point {
        DecimalMark::Point
    } else {
        DecimalMark::Comma
    }
}

/// The locale a currency's own receipts are written in.
fn currency_locale(currency: Currency) -> &'static str {
    match currency {
        Currency::Ars => "es-AR",
        Currency::Brl => "pt-BR",
        Currency::Clp => "es-CL",
        Currency::Cop => "es-CO",
        Currency::Eur => "es-ES",
        Currency::Gbp => "en-GB",
        Currency::Mxn => "es-MX",
        Currency::Pen => "es-PE",
        Currency::Usd => "en-US",
        Currency::Uyu => "es-UY",
    }
}

/// The currency a country-code domain's `$` means.
fn domain_currency(domain: &str) -> Option<Currency> {
    let tld = domain.rsplit('.').next()?;
    let currency = match tld {
        "cl" => Currency::Clp,
        "mx" => Currency::Mxn,
        "ar" => Currency::Ars,
        "co" => Currency::Cop,
        "uy" => Currency::Uyu,
        "pe" => Currency::Pen,
        "br" => Currency::Brl,
        "es" | "de" | "fr" | "it" | "pt" | "nl" | "ie" | "be" | "at" | "fi" | "eu" => Currency::Eur,
        _ => return None,
    };
    Some(currency)
}

/// Decides what `$` and a bare number mean in this mail, and how its numbers
/// are separated: a currency the mail names explicitly, else the sender's
/// country domain, else the customer's home currency. The locale is the
/// customer's unless the mail's numbers are separated the other way.
fn money_context<'a>(
    lines: &[&str],
    sender_domain: Option<&str>,
    context: &ReceiptContext<'a>,
) -> ParseContext<'a> {
    let mut explicit: Vec<(Currency, usize)> = Vec::new();
    let (mut comma, mut point) = (0, 0);
    let mut dollar_cents = false;
    for line in lines {
        for candidate in candidates(line) {
            if candidate.mark == Mark::Bare {
                continue;
            }
            if candidate.mark == Mark::Local && has_point_cents(&candidate.number) {
                dollar_cents = true;
            }
            if let Mark::Explicit(currency) = candidate.mark {
                match explicit.iter_mut().find(|(c, _)| *c == currency) {
                    Some((_, count)) => *count += 1,
                    None => explicit.push((currency, 1)),
                }
            }
            match decimal_mark_of(&candidate.number) {
                Some(DecimalMark::Comma) => comma += 1,
                Some(DecimalMark::Point) => point += 1,
                None => {}
            }
        }
    }
    let named = explicit
        .iter()
        .max_by_key(|(_, count)| *count)
        .map(|(currency, _)| *currency);
    // A `$` amount with cents (`$23.45`) cannot be in a currency without
    // minor units (CLP, COP). From a sender without a country domain, such
    // as a `.com` store, it is in US dollars.
    let home = if dollar_cents && context.home_currency.exponent() == 0 {
        Currency::Usd
    } else {
        context.home_currency
    };
    let currency = named
        .or_else(|| sender_domain.and_then(domain_currency))
        .unwrap_or(home);

    let mail_mark = match comma.cmp(&point) {
        std::cmp::Ordering::Greater => Some(DecimalMark::Comma),
        std::cmp::Ordering::Less => Some(DecimalMark::Point),
        std::cmp::Ordering::Equal => None,
    };
    let locale = match mail_mark {
        None => context.locale,
        Some(mark) if mark == locale_decimal_mark(context.locale) => context.locale,
        Some(mark) if mark == locale_decimal_mark(currency_locale(currency)) => {
            currency_locale(currency)
        }
        Some(DecimalMark::Comma) => "es-ES",
        Some(DecimalMark::Point) => "en-US",
    };
    ParseContext {
        locale,
        home_currency: currency,
        today: context.today,
    }
}

fn contains_phrase(folded: &str, phrase: &str) -> bool {
    let padded = format!(" {folded} ");
    padded.contains(&format!(" {phrase} "))
}

/// The line's words, folded and without punctuation, space-separated.
fn plain_words(line: &str) -> String {
    fold(line)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that start a line about a tax, even when it says the tax is
/// included in the total.
const TAX_WORDS: &[&str] = &["iva", "tax", "taxes", "vat", "impuesto", "impuestos"];

/// The rank of a label (the words of a line before its first number) as the
/// total; `None` for labels that are never the total.
fn label_rank(label: &str) -> Option<u8> {
    let mut folded = plain_words(label);
    if TAX_WORDS
        .iter()
        .any(|word| folded.split(' ').next() == Some(word))
    {
        return None;
    }
    for phrase in TAX_INCLUDED {
        folded = format!(" {folded} ")
            .replace(&format!(" {phrase} "), " ")
            .trim()
            .to_owned();
    }
    if EXCLUDED_PHRASES
        .iter()
        .any(|phrase| contains_phrase(&folded, phrase))
    {
        return None;
    }
    let has_total = contains_phrase(&folded, "total");
    let rank = if PAID_PHRASES
        .iter()
        .any(|phrase| contains_phrase(&folded, phrase))
        || (has_total && PAID_WORDS.iter().any(|word| contains_phrase(&folded, word)))
    {
        STRONG_TOTAL
    } else if has_total {
        TOTAL
    } else if AMOUNT_WORDS
        .iter()
        .any(|word| contains_phrase(&folded, word))
    {
        AMOUNT_LABEL
    } else {
        0
    };
    Some(rank)
}

/// Reads `candidate` as money in the mail's context.
fn read_money(candidate: &Candidate, money: &ParseContext<'_>) -> Option<Money> {
    let amount = match parse::parse_amount(&candidate.window, money) {
        AmountReading::Exact(amount) => amount,
        AmountReading::Ambiguous(candidates) => *candidates.first()?,
        AmountReading::None => return None,
    };
    (amount.minor > 0).then_some(amount)
}

/// An amount a line states.
#[derive(Debug, Clone, Copy)]
struct Stated {
    amount: Money,
    token: usize,
    /// Whether it names a currency; a bare number counts only after a total
    /// label.
    marked: bool,
}

/// How one line reads: the rank of its label, and the amount it states.
/// `None` for a line that is never the total (a subtotal, a tip, a tax).
///
/// The amount is the last one with a currency between the label and the
/// first word that excludes the rest of the line (`Pagaste $29.990 en 3
/// cuotas de $9.997` states $29.990); after a total label, a bare number
/// counts when no amount names a currency.
fn read_line(text: &str, money: &ParseContext<'_>) -> Option<(u8, Option<Stated>)> {
    let words = words_of(text);
    let found = candidates(text);
    let label_end = found.first().map_or(words.len(), |c| c.token);
    let rank = label_rank(&words[..label_end].join(" "))?;

    let cut = (label_end..words.len())
        .find(|&index| {
            let word = plain_words(words[index]);
            EXCLUDED_PHRASES.contains(&word.as_str())
        })
        .unwrap_or(words.len());
    let usable: Vec<&Candidate> = found.iter().filter(|c| c.token < cut).collect();
    let marked = usable.iter().rev().find(|c| c.mark != Mark::Bare);
    let stated = match marked {
        Some(candidate) => read_money(candidate, money).map(|amount| Stated {
            amount,
            token: candidate.token,
            marked: true,
        }),
        None if rank >= TOTAL => {
            usable
                .iter()
                .rev()
                .find(|c| c.number.len() >= 3)
                .and_then(|candidate| {
                    read_money(candidate, money).map(|amount| Stated {
                        amount,
                        token: candidate.token,
                        marked: false,
                    })
                })
        }
        None => None,
    };
    Some((rank, stated))
}

fn find_total(
    lines: &[&str],
    skipped: &dyn Fn(usize) -> bool,
    money: &ParseContext<'_>,
) -> Option<Total> {
    // (rank, marked, total)
    let mut found: Vec<(u8, bool, Total)> = Vec::new();
    let mut marked_amounts: Vec<Total> = Vec::new();
    for (index, text) in lines.iter().enumerate() {
        if skipped(index) {
            continue;
        }
        let Some((rank, stated)) = read_line(text, money) else {
            continue;
        };
        if let Some(stated) = stated.filter(|s| s.marked) {
            marked_amounts.push(Total {
                amount: stated.amount,
                line: index,
                token: stated.token,
            });
        }
        if rank == 0 {
            continue;
        }
        let here = stated.map(|stated| (stated, index));
        // A label alone on its line: the amount is on the next line (HTML
        // layouts with one cell per line).
        let below = || {
            if text.chars().any(|c| c.is_ascii_digit()) {
                return None;
            }
            let next = index + 1;
            let next_text = lines.get(next)?;
            if words_of(next_text).len() > 4 {
                return None;
            }
            match read_line(next_text, money)? {
                (0, Some(stated)) if stated.marked || rank >= TOTAL => Some((stated, next)),
                _ => None,
            }
        };
        if let Some((stated, line)) = here.or_else(below) {
            let total = Total {
                amount: stated.amount,
                line,
                token: stated.token,
            };
            found.push((rank, stated.marked, total));
        }
    }

    let best = found.iter().map(|(rank, marked, _)| (*rank, *marked)).max();
    if let Some(best) = best {
        return found
            .iter()
            .filter(|(rank, marked, _)| (*rank, *marked) == best)
            .map(|(_, _, total)| *total)
            .reduce(|a, b| {
                if b.amount.minor > a.amount.minor {
                    b
                } else {
                    a
                }
            });
    }
    // No label at all: a mail that states exactly one amount states the total.
    let first = marked_amounts.first()?;
    marked_amounts
        .iter()
        .all(|total| total.amount == first.amount)
        .then_some(*first)
}

/// Words of a date label that name a date other than the purchase.
const OTHER_DATES: &[&str] = &[
    "entrega",
    "delivery",
    "llegada",
    "arrival",
    "vencimiento",
    "vence",
    "due",
    "expira",
    "expires",
    "expiration",
    "estimada",
    "estimated",
    "valido",
    "valida",
    "valid",
    "nacimiento",
    "envio",
    "shipped",
    "proximo",
    "next",
];
/// Words of a date label that name the purchase date.
const DATE_LABELS: &[&str] = &[
    "fecha",
    "date",
    "emitido",
    "emitida",
    "emision",
    "issued",
    "placed",
    "realizado",
    "realizada",
    "purchased",
    "dia",
];

/// The purchase date: a labelled date line, a date on the total's line, the
/// forwarded mail's date, the day the mail was sent, or today; never a day
/// after today.
fn spent_on(
    lines: &[&str],
    skipped: &dyn Fn(usize) -> bool,
    total_line: usize,
    forward: Option<&Forward>,
    context: &ReceiptContext<'_>,
) -> NaiveDate {
    let day_first = locale_decimal_mark(context.locale) == DecimalMark::Comma
        || !context.locale.to_ascii_lowercase().starts_with("en");
    let read =
        |text: &str| find_date(text, day_first, context.today).filter(|d| *d <= context.today);

    let labelled = lines.iter().enumerate().find_map(|(index, text)| {
        if skipped(index) {
            return None;
        }
        let folded = plain_words(text);
        let is_label = DATE_LABELS
            .iter()
            .any(|label| contains_phrase(&folded, label))
            && !OTHER_DATES
                .iter()
                .any(|word| contains_phrase(&folded, word));
        if !is_label {
            return None;
        }
        read(text).or_else(|| {
            let alone = !text.chars().any(|c| c.is_ascii_digit());
            lines
                .get(index + 1)
                .filter(|_| alone)
                .and_then(|next| read(next))
        })
    });
    labelled
        .or_else(|| lines.get(total_line).copied().and_then(read))
        .or_else(|| forward.and_then(|f| f.date.as_deref()).and_then(read))
        .or(context.sent_on.filter(|day| *day <= context.today))
        .unwrap_or(context.today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(locale: &str, home: Currency) -> ReceiptContext<'_> {
        ReceiptContext {
            locale,
            home_currency: home,
            today: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap_or_default(),
            sent_on: None,
        }
    }

    fn text_mail(text: &str) -> Mail {
        Mail {
            subject: "Recibo".to_owned(),
            text: text.to_owned(),
            ..Mail::default()
        }
    }

    fn total_of(text: &str, locale: &str, home: Currency) -> Option<Money> {
        extract(&text_mail(text), &context(locale, home))
            .ok()
            .map(|receipt| receipt.amount)
    }

    #[test]
    fn long_body_is_read_only_at_its_start() {
        let many_lines = format!("{}Total $5.000", "hola\n".repeat(MAX_RECEIPT_LINES));
        assert_eq!(total_of(&many_lines, "es-CL", Currency::Clp), None);
        let early = format!("Total $5.000\n{}", "hola\n".repeat(200_000));
        assert_eq!(
            total_of(&early, "es-CL", Currency::Clp),
            Some(Money::new(5_000, Currency::Clp))
        );

        let long_line = format!("{} Total $5.000", "é".repeat(MAX_RECEIPT_BYTES));
        assert_eq!(total_of(&long_line, "es-CL", Currency::Clp), None);
        let cut = readable_start(&long_line);
        assert!(cut.len() <= MAX_RECEIPT_BYTES, "{}", cut.len());
        assert!(cut.len() > MAX_RECEIPT_BYTES - 2, "{}", cut.len());

        let last_line = format!("{}Total $5.000", "hola\n".repeat(MAX_RECEIPT_LINES - 1));
        assert_eq!(
            total_of(&last_line, "es-CL", Currency::Clp),
            Some(Money::new(5_000, Currency::Clp))
        );
    }

    #[test]
    fn total_beats_subtotal_tip_and_tax() {
        let cases = [
            ("Subtotal $10.000\nPropina $1.000\nTotal $11.000", 11_000),
            ("Total $11.000\nSubtotal $10.000\nIVA $1.597", 11_000),
            (
                "Total (IVA incluido) $11.900\nNeto $10.000\nIVA $1.900",
                11_900,
            ),
            (
                "Total productos $20.000\nTotal a pagar $18.500\nDescuento $1.500",
                18_500,
            ),
            (
                "TOTAL $45.670\nTotal ahorro $3.200\nSaldo disponible $120.000",
                45_670,
            ),
            ("Monto: $12.990\nCupo disponible: $500.000", 12_990),
            ("Total\n$14.990", 14_990),
            ("Se realizó una compra por $8.500 en FARMACIA", 8_500),
        ];
        for (text, minor) in cases {
            assert_eq!(
                total_of(text, "es-CL", Currency::Clp),
                Some(Money::new(minor, Currency::Clp)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn total_above_the_maximum_is_an_error() {
        let at_max = extract(
            &text_mail("Total $100.000.000.000"),
            &context("es-CL", Currency::Clp),
        );
        assert_eq!(
            at_max.map(|receipt| receipt.amount),
            Ok(Money::new(100_000_000_000, Currency::Clp))
        );
        let above = extract(
            &text_mail("Total $100.000.000.001"),
            &context("es-CL", Currency::Clp),
        );
        let too_large = Money::new(100_000_000_001, Currency::Clp);
        assert_eq!(
            above.map(|receipt| receipt.amount),
            Err(ReceiptError::AmountTooLarge(too_large))
        );
    }

    #[test]
    fn order_numbers_and_dates_are_not_amounts() {
        let text = "Pedido #123456\nFecha 03/03/2026\nTotal $5.990";
        assert_eq!(
            total_of(text, "es-CL", Currency::Clp),
            Some(Money::new(5_990, Currency::Clp))
        );
    }

    #[test]
    fn explicit_currency_decides_the_dollar() {
        let text = "Todos los montos en MXN\nSubtotal MXN 200.00\nTotal $245.50";
        assert_eq!(
            total_of(text, "es-CL", Currency::Clp),
            Some(Money::new(24_550, Currency::Mxn))
        );
        assert_eq!(
            total_of("Subtotal £12.85\nTotal £12.35", "es-CL", Currency::Clp),
            Some(Money::new(1_235, Currency::Gbp))
        );
    }

    #[test]
    fn dollar_cents_are_us_dollars_for_a_peso_without_cents() {
        // A Chilean or Colombian customer forwarding a `.com` receipt; read
        // as pesos, `$23.45` became CLP 23.450.
        let text = "Order total: $23.45\nItems $20.00\nTax $3.45";
        for home in [Currency::Clp, Currency::Cop] {
            assert_eq!(
                total_of(text, "es-CL", home),
                Some(Money::new(2_345, Currency::Usd)),
                "{home:?}"
            );
        }
        // Pesos with thousands, and pesos that have cents, stay pesos.
        assert_eq!(
            total_of("Total $23.450", "es-CL", Currency::Clp),
            Some(Money::new(23_450, Currency::Clp))
        );
        assert_eq!(
            total_of("Total $245.50", "es-MX", Currency::Mxn),
            Some(Money::new(24_550, Currency::Mxn))
        );
        assert_eq!(
            total_of("Total $ 4.232,56", "es-AR", Currency::Ars),
            Some(Money::new(423_256, Currency::Ars))
        );
    }

    #[test]
    fn mail_without_amount_has_no_total() {
        let mail = text_mail("Gracias por tu compra\nTu pedido va en camino");
        assert_eq!(
            extract(&mail, &context("es-CL", Currency::Clp)),
            Err(ReceiptError::NoTotal)
        );
        assert_eq!(
            extract(&text_mail(""), &context("es-CL", Currency::Clp)),
            Err(ReceiptError::NoText)
        );
    }

    #[test]
    fn decimal_marks_are_read_from_shape() {
        let cases = [
            ("1.234,56", Some(DecimalMark::Comma)),
            ("1,234.56", Some(DecimalMark::Point)),
            ("12.990", Some(DecimalMark::Comma)),
            ("12,990", Some(DecimalMark::Point)),
            ("23.45", Some(DecimalMark::Point)),
            ("18,90", Some(DecimalMark::Comma)),
            ("12990", None),
            ("1.2345", None),
        ];
        for (number, expected) in cases {
            assert_eq!(decimal_mark_of(number), expected, "{number}");
        }
    }

    #[test]
    fn mark_of_tells_explicit_from_local() {
        assert_eq!(mark_of("US$ 23.45"), Mark::Explicit(Currency::Usd));
        assert_eq!(mark_of("CLP 5.430"), Mark::Explicit(Currency::Clp));
        assert_eq!(mark_of("18,90 €"), Mark::Explicit(Currency::Eur));
        assert_eq!(mark_of("$5.430"), Mark::Local);
        assert_eq!(mark_of("5.430"), Mark::Bare);
    }
}
