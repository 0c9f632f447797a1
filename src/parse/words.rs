//! Numbers written as words, as voice-note transcripts often write them:
//! `doce mil quinientos`, `quince mil`, `ciento veinte`, `twenty`,
//! `two hundred and fifty`.

use super::amount::Decimal;
use super::token::{Kind, Token};

/// A number read from words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WordNumber {
    pub(super) value: Decimal,
    /// How many tokens the number spans.
    pub(super) length: usize,
    /// Whether the number is `medio`/`media` (a half), which only makes sense
    /// before a multiplier (`media luca`, `medio palo`).
    pub(super) is_half: bool,
    /// Whether the number is only `un`, `una`, `uno` or `a`, which is far
    /// more often an article than an amount.
    pub(super) is_article: bool,
}

/// What one word contributes to a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// Added to the current group: units, tens, teens, Spanish hundreds.
    Small(u64),
    /// English `hundred`, which multiplies the units before it.
    Hundred,
    /// `mil`, `thousand`, `millón`, `million`: closes a group.
    Scale(u64),
}

fn piece(word: &str) -> Option<Piece> {
    let small = match word {
        "un" | "uno" | "una" | "one" => 1,
        "dos" | "two" => 2,
        "tres" | "three" => 3,
        "cuatro" | "four" => 4,
        "cinco" | "five" => 5,
        "seis" | "six" => 6,
        "siete" | "seven" => 7,
        "ocho" | "eight" => 8,
        "nueve" | "nine" => 9,
        "diez" | "ten" => 10,
        "once" | "eleven" => 11,
        "doce" | "twelve" => 12,
        "trece" | "thirteen" => 13,
        "catorce" | "fourteen" => 14,
        "quince" | "fifteen" => 15,
        "dieciseis" | "sixteen" => 16,
        "diecisiete" | "seventeen" => 17,
        "dieciocho" | "eighteen" => 18,
        "diecinueve" | "nineteen" => 19,
        "veinte" | "twenty" => 20,
        "veintiun" | "veintiuno" | "veintiuna" => 21,
        "veintidos" => 22,
        "veintitres" => 23,
        "veinticuatro" => 24,
        "veinticinco" => 25,
        "veintiseis" => 26,
        "veintisiete" => 27,
        "veintiocho" => 28,
        "veintinueve" => 29,
        "treinta" | "thirty" => 30,
        "cuarenta" | "forty" => 40,
        "cincuenta" | "fifty" => 50,
        "sesenta" | "sixty" => 60,
        "setenta" | "seventy" => 70,
        "ochenta" | "eighty" => 80,
        "noventa" | "ninety" => 90,
        "cien" | "ciento" => 100,
        "doscientos" | "doscientas" => 200,
        "trescientos" | "trescientas" => 300,
        "cuatrocientos" | "cuatrocientas" => 400,
        "quinientos" | "quinientas" => 500,
        "seiscientos" | "seiscientas" => 600,
        "setecientos" | "setecientas" => 700,
        "ochocientos" | "ochocientas" => 800,
        "novecientos" | "novecientas" => 900,
        "hundred" => return Some(Piece::Hundred),
        "mil" | "thousand" => return Some(Piece::Scale(1_000)),
        "millon" | "millones" | "million" | "millions" => return Some(Piece::Scale(1_000_000)),
        _ => return None,
    };
    Some(Piece::Small(small))
}

/// Whether `next` may follow `previous` inside one group below a thousand:
/// `ciento veinte`, `treinta y cinco`, `twenty five`, but not `dos tres`.
fn can_follow(previous: u64, next: u64) -> bool {
    if previous >= 100 && previous.is_multiple_of(100) {
        return next < 100;
    }
    (20..100).contains(&previous) && previous.is_multiple_of(10) && next < 10
}

/// Reads the number written in words that starts at `tokens[start]`.
pub(super) fn read_words(tokens: &[Token<'_>], start: usize) -> Option<WordNumber> {
    let first = tokens.get(start)?;
    if first.kind != Kind::Word {
        return None;
    }
    if matches!(first.folded.as_str(), "medio" | "media" | "half") {
        return Some(WordNumber {
            value: Decimal {
                digits: 5,
                scale: 1,
            },
            length: 1,
            is_half: true,
            is_article: false,
        });
    }

    let mut total: u64 = 0;
    let mut group: u64 = 0;
    // The last value added to `group`, to reject `dos tres`.
    let mut last_small: Option<u64> = None;
    let mut length = 0;
    let mut index = start;

    while let Some(token) = tokens.get(index) {
        if token.kind != Kind::Word {
            break;
        }
        // `twenty-five` is one token.
        let parts: Vec<&str> = token.folded.split('-').collect();
        let pieces: Option<Vec<Piece>> = parts.iter().map(|part| piece(part)).collect();
        let pieces = match pieces {
            Some(pieces) => pieces,
            None if is_joiner(tokens, index, last_small, length) => {
                index += 1;
                continue;
            }
            None if token.is("a") && next_is_scale(tokens, index) => vec![Piece::Small(1)],
            None => break,
        };

        let mut accepted = true;
        for piece in pieces {
            match piece {
                Piece::Small(value) => match last_small {
                    Some(previous) if !can_follow(previous, value) => accepted = false,
                    _ => {
                        group += value;
                        last_small = Some(value);
                    }
                },
                Piece::Hundred if (1..10).contains(&group) => {
                    group *= 100;
                    last_small = Some(group);
                }
                Piece::Hundred => accepted = false,
                Piece::Scale(scale) => {
                    let factor = if group == 0 && total == 0 { 1 } else { group };
                    if factor == 0 {
                        accepted = false;
                    } else {
                        total = total.checked_add(factor.checked_mul(scale)?)?;
                        group = 0;
                        last_small = None;
                    }
                }
            }
        }
        if !accepted {
            break;
        }
        index += 1;
        length = index - start;
    }

    let value = total.checked_add(group)?;
    if length == 0 || value == 0 {
        return None;
    }
    let is_article = length == 1 && value == 1;
    Some(WordNumber {
        value: Decimal::whole(value),
        length,
        is_half: false,
        is_article,
    })
}

/// Whether the `y` or `and` at `index` joins two parts of one number
/// (`treinta y cinco`, `two hundred and five`) rather than two expenses.
fn is_joiner(tokens: &[Token<'_>], index: usize, last_small: Option<u64>, length: usize) -> bool {
    let Some(token) = tokens.get(index) else {
        return false;
    };
    let next = tokens.get(index + 1).and_then(|next| piece(&next.folded));
    match token.folded.as_str() {
        "y" => {
            let after_tens = last_small.is_some_and(|value| (20..100).contains(&value));
            after_tens && matches!(next, Some(Piece::Small(value)) if value < 10)
        }
        "and" => length > 0 && last_small.is_none_or(|value| value >= 100) && next.is_some(),
        _ => false,
    }
}

fn next_is_scale(tokens: &[Token<'_>], index: usize) -> bool {
    tokens
        .get(index + 1)
        .and_then(|next| piece(&next.folded))
        .is_some_and(|piece| matches!(piece, Piece::Hundred | Piece::Scale(_)))
}

#[cfg(test)]
mod tests {
    use super::super::token::tokenize;
    use super::*;

    fn read(text: &str) -> Option<(u64, usize)> {
        let tokens = tokenize(text);
        read_words(&tokens, 0).map(|number| (number.value.digits, number.length))
    }

    #[test]
    fn spanish_numbers_read() {
        let cases = [
            ("doce mil quinientos", 12_500, 3),
            ("quince mil", 15_000, 2),
            ("mil quinientos", 1_500, 2),
            ("mil", 1_000, 1),
            ("treinta y cinco mil", 35_000, 4),
            ("ciento veinte", 120, 2),
            ("dos millones quinientos mil", 2_500_000, 4),
            ("un millón", 1_000_000, 2),
            ("veintidós mil", 22_000, 2),
            ("cien mil pesos", 100_000, 2),
        ];
        for (text, value, length) in cases {
            assert_eq!(read(text), Some((value, length)), "{text}");
        }
    }

    #[test]
    fn english_numbers_read() {
        let cases = [
            ("twenty dollars", 20, 1),
            ("twenty-five", 25, 1),
            ("two hundred and fifty", 250, 4),
            ("a thousand", 1_000, 2),
            ("one hundred", 100, 2),
        ];
        for (text, value, length) in cases {
            assert_eq!(read(text), Some((value, length)), "{text}");
        }
    }

    #[test]
    fn y_between_expenses_is_not_part_of_number() {
        assert_eq!(read("cinco y almuerzo"), Some((5, 1)));
        assert_eq!(read("veinte y cinco"), Some((25, 3)));
    }

    #[test]
    fn unit_after_unit_stops_number() {
        assert_eq!(read("dos tres"), Some((2, 1)));
    }

    #[test]
    fn article_is_flagged() {
        let tokens = tokenize("un café");
        assert!(read_words(&tokens, 0).is_some_and(|number| number.is_article));
        let tokens = tokenize("un millón");
        assert!(read_words(&tokens, 0).is_some_and(|number| !number.is_article));
    }

    #[test]
    fn plain_words_are_not_numbers() {
        assert_eq!(read("almuerzo"), None);
        assert_eq!(read("a lunch"), None);
    }
}
