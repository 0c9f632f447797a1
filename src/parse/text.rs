//! The description left around an amount, and recognising small talk
//! (greetings, thanks, questions) that is not an expense.

use super::token::{tokenize, Kind, Token};
use super::SmallTalk;

/// Words dropped from the edges of a description: verbs of spending,
/// prepositions, articles, connectors and greetings. Inside the description
/// they stay (`cuenta de luz`).
const FILLERS: &[&str] = &[
    // Spanish verbs of spending and asking to record.
    "gaste",
    "gastamos",
    "gasto",
    "gastado",
    "pague",
    "pagamos",
    "pago",
    "compre",
    "compramos",
    "anota",
    "anote",
    "anotar",
    "registra",
    "registrar",
    "agrega",
    "agregar",
    "fue",
    "fueron",
    "costo",
    "salio",
    "cuesta",
    "son",
    "eran",
    "era",
    "me",
    "nos",
    "se",
    "mi",
    "total",
    // Spanish prepositions, articles and connectors.
    "en",
    "por",
    "de",
    "del",
    "el",
    "la",
    "los",
    "las",
    "lo",
    "un",
    "una",
    "unos",
    "unas",
    "al",
    "a",
    "para",
    "y",
    "e",
    "mas",
    "tambien",
    "aprox",
    "aproximadamente",
    // English.
    "spent",
    "spend",
    "paid",
    "pay",
    "bought",
    "buy",
    "add",
    "on",
    "for",
    "at",
    "the",
    "an",
    "of",
    "and",
    "in",
    "plus",
    "also",
    "my",
    "i",
    // Greetings and acknowledgements around an expense (`hola! uber 5000`).
    "hola",
    "buenas",
    "gracias",
    "ok",
    "okay",
    "hi",
    "hello",
    "hey",
    "thanks",
];

/// Returns whether `token` is dropped at an edge of a description.
pub(super) fn is_filler(token: &Token<'_>) -> bool {
    token.kind == Kind::Word && FILLERS.contains(&token.folded.as_str())
}

/// Builds the description from the tokens of `range` for which `keep` is
/// true: filler and punctuation are dropped at both edges, the text is
/// lowercased and accents are kept.
pub(super) fn describe(
    tokens: &[Token<'_>],
    range: std::ops::Range<usize>,
    keep: impl Fn(usize) -> bool,
) -> String {
    let kept_indices: Vec<usize> = range.filter(|&index| keep(index)).collect();
    // Emoji at the edges go too, unless they are all there is (`🍕 12.000`).
    let has_word = kept_indices.iter().any(|&index| {
        let token = &tokens[index];
        !is_filler(token) && token.text.chars().any(char::is_alphanumeric)
    });
    let is_edge_noise = |index: &usize| {
        let token = &tokens[*index];
        let is_punctuation = token
            .text
            .chars()
            .all(|c| c.is_ascii_punctuation() || "¿¡…–—“”«»".contains(c));
        is_filler(token)
            || is_punctuation
            || (has_word && !token.text.chars().any(char::is_alphanumeric))
    };
    let first = kept_indices.iter().position(|index| !is_edge_noise(index));
    let last = kept_indices.iter().rposition(|index| !is_edge_noise(index));
    let (Some(first), Some(last)) = (first, last) else {
        return String::new();
    };

    let mut description = String::new();
    let mut previous: Option<usize> = None;
    for &index in &kept_indices[first..=last] {
        let token = &tokens[index];
        let separated = previous.is_some_and(|p| token.space_before || p + 1 != index);
        if separated {
            description.push(' ');
        }
        description.push_str(&token.text.to_lowercase());
        previous = Some(index);
    }
    description
}

/// Messages that are small talk as a whole, even though they contain a
/// number word (`mil gracias`).
const FIXED_PHRASES: &[(&str, SmallTalk)] = &[
    ("mil gracias", SmallTalk::Thanks),
    ("un millon de gracias", SmallTalk::Thanks),
    ("a thousand thanks", SmallTalk::Thanks),
];

const GREETINGS: &[&str] = &[
    "hola", "holi", "holis", "ola", "buenas", "buenos", "buen", "saludos", "alo", "hi", "hello",
    "hey", "good", "hiya", "howdy",
];

const THANKS: &[&str] = &["gracias", "grax", "thanks", "thank", "thx", "ty", "muchas"];

/// Words that acknowledge on their own (`ok`, `listo`, `dale`).
const ACKNOWLEDGEMENTS: &[&str] = &[
    "ok", "okay", "oki", "okey", "vale", "listo", "lista", "dale", "perfecto", "genial", "bueno",
    "bien", "si", "no", "ya", "sale", "va", "cool", "great", "nice", "yes", "yep", "nope", "sure",
    "k", "jaja", "jajaja", "haha", "super",
];

const QUESTION_WORDS: &[&str] = &[
    "cuanto", "cuanta", "cuantos", "cuantas", "que", "como", "cual", "cuales", "cuando", "donde",
    "porque", "quien", "puedes", "podes", "podrias", "how", "what", "why", "when", "where",
    "which", "who", "can", "could", "do", "does", "is", "are",
];

/// Recognises small talk from the words alone; the caller checks first that
/// the text contains no amount, except for [`FIXED_PHRASES`].
pub(super) fn small_talk_words(text: &str) -> Option<SmallTalk> {
    let tokens = tokenize(text.trim());
    if tokens.is_empty() {
        return None;
    }
    let words: Vec<&str> = tokens
        .iter()
        .filter(|token| token.kind != Kind::Punct)
        .map(|token| token.folded.as_str())
        .collect();
    let asks = tokens.iter().any(|token| matches!(token.text, "?" | "¿"));

    // `what's` is read as `what`.
    let words: Vec<&str> = words
        .iter()
        .map(|word| word.split('\'').next().unwrap_or(word))
        .collect();
    let Some(&first) = words.first() else {
        // Only punctuation or emoji: `👍`, `🙏`, `!!`, `?`.
        return Some(if asks {
            SmallTalk::Question
        } else {
            SmallTalk::Thanks
        });
    };
    let greeting_pair = first == "que"
        && words
            .get(1)
            .is_some_and(|w| ["tal", "onda", "hubo"].contains(w));
    if first_word_is_greeting(first) || greeting_pair {
        return Some(SmallTalk::Greeting);
    }
    if THANKS.contains(&first) && (first != "muchas" || words.get(1) == Some(&"gracias")) {
        return Some(SmallTalk::Thanks);
    }
    if asks || QUESTION_WORDS.contains(&first) {
        return Some(SmallTalk::Question);
    }
    if words
        .iter()
        .all(|word| ACKNOWLEDGEMENTS.contains(word) || THANKS.contains(word))
    {
        return Some(SmallTalk::Thanks);
    }
    None
}

/// Recognises the phrases in [`FIXED_PHRASES`].
pub(super) fn fixed_phrase(text: &str) -> Option<SmallTalk> {
    let folded: Vec<String> = tokenize(text)
        .into_iter()
        .filter(|token| token.kind == Kind::Word)
        .map(|token| token.folded)
        .collect();
    let phrase = folded.join(" ");
    FIXED_PHRASES
        .iter()
        .find(|(known, _)| *known == phrase)
        .map(|&(_, kind)| kind)
}

/// Returns whether `word` opens a greeting, also with repeated letters
/// (`holaaa`).
fn first_word_is_greeting(word: &str) -> bool {
    if GREETINGS.contains(&word) {
        return true;
    }
    let mut squeezed = String::new();
    for c in word.chars() {
        if !squeezed.ends_with(c) {
            squeezed.push(c);
        }
    }
    matches!(squeezed.as_str(), "hola" | "holi" | "hey" | "buenas")
}

/// Returns whether `c` is a format character that shows nothing: the zero-width
/// space, joiners and word joiner, the soft hyphen, the byte order mark and
/// the bidirectional marks, embeddings, overrides and isolates.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// Removes the invisible format characters (see `is_invisible`) from a text a
/// person sent. Copied and pasted amounts carry them (`12\u{200b}500`), and
/// between two digits such a character split one amount into two expenses.
/// A bidirectional override in a description would also reorder the text
/// that the household's summary and report page show. The zero-width joiner
/// stays unless it touches an ASCII digit, because emoji sequences and some
/// scripts are built with it.
pub fn remove_invisible(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (index, &c) in chars.iter().enumerate() {
        if c == '\u{200d}' {
            let digit_at = |at: Option<usize>| {
                at.and_then(|at| chars.get(at))
                    .is_some_and(char::is_ascii_digit)
            };
            if !digit_at(index.checked_sub(1)) && !digit_at(Some(index + 1)) {
                out.push(c);
            }
        } else if !is_invisible(c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe_all(text: &str) -> String {
        let tokens = tokenize(text);
        describe(&tokens, 0..tokens.len(), |_| true)
    }

    #[test]
    fn invisible_characters_are_removed() {
        let cases = [
            ("almuerzo 12\u{200b}500", "almuerzo 12500"),
            ("12\u{200c}500", "12500"),
            ("12\u{200d}500", "12500"),
            ("12\u{2060}500", "12500"),
            ("12\u{200f}500", "12500"),
            ("12\u{00ad}500", "12500"),
            ("\u{feff}almuerzo 5000", "almuerzo 5000"),
            ("\u{202e}odaglah 5000\u{202c}", "odaglah 5000"),
            ("\u{2067}cena\u{2069} 5000", "cena 5000"),
            (
                "familia 👨\u{200d}👩\u{200d}👧 5000",
                "familia 👨\u{200d}👩\u{200d}👧 5000",
            ),
            ("café 1.000", "café 1.000"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(remove_invisible(text), expected, "{text:?}");
        }
    }

    #[test]
    fn fillers_are_dropped_only_at_edges() {
        let cases = [
            ("gasté en uber", "uber"),
            ("pagué por el estacionamiento", "estacionamiento"),
            ("spent on lunch", "lunch"),
            ("cuenta de luz", "cuenta de luz"),
            ("almuerzo de", "almuerzo"),
            ("Café con Leche!", "café con leche"),
            ("hola, uber", "uber"),
            ("2 cafés", "2 cafés"),
        ];
        for (text, expected) in cases {
            assert_eq!(describe_all(text), expected, "{text}");
        }
    }

    #[test]
    fn dropped_middle_token_leaves_a_space() {
        let tokens = tokenize("uber 5000 aeropuerto");
        assert_eq!(
            describe(&tokens, 0..tokens.len(), |index| index != 1),
            "uber aeropuerto"
        );
    }

    #[test]
    fn small_talk_is_recognised() {
        let cases = [
            ("hola", SmallTalk::Greeting),
            ("Holaaa!", SmallTalk::Greeting),
            ("buenas tardes", SmallTalk::Greeting),
            ("good morning", SmallTalk::Greeting),
            ("gracias", SmallTalk::Thanks),
            ("muchas gracias!", SmallTalk::Thanks),
            ("ok", SmallTalk::Thanks),
            ("dale, listo", SmallTalk::Thanks),
            ("👍", SmallTalk::Thanks),
            ("¿cuánto llevo este mes?", SmallTalk::Question),
            ("what did I spend", SmallTalk::Question),
        ];
        for (text, expected) in cases {
            assert_eq!(small_talk_words(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn purchases_are_not_small_talk() {
        for text in ["almuerzo", "uber al centro", "muchas cosas en el super", ""] {
            assert_eq!(small_talk_words(text), None, "{text}");
        }
    }

    #[test]
    fn mil_gracias_is_thanks() {
        assert_eq!(fixed_phrase("¡Mil gracias!"), Some(SmallTalk::Thanks));
        assert_eq!(fixed_phrase("mil pesos"), None);
    }
}
