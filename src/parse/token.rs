//! Splits one line of a message into words, numbers, currency symbols and
//! punctuation, keeping each piece's original text so the description can be
//! rebuilt exactly as typed.

/// The kind of text in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Letters, with inner apostrophes or hyphens (`mcdonald's`, `twenty-five`).
    Word,
    /// Digits with the separators `.` `,` `/` `-` `:` between them, an optional
    /// leading `+` (phone numbers) and an optional trailing `%`.
    Number,
    /// A currency symbol such as `$`, `US$`, `u$s` or `€`.
    Symbol,
    /// Any other single character: punctuation, emoji.
    Punct,
}

/// One piece of a line.
#[derive(Debug, Clone)]
pub(super) struct Token<'a> {
    /// The text exactly as typed.
    pub(super) text: &'a str,
    /// Lowercase with accents removed, for matching keywords (`dólares`
    /// becomes `dolares`, `Miércoles` becomes `miercoles`).
    pub(super) folded: String,
    pub(super) kind: Kind,
    /// Whether whitespace separates this token from the previous one; a
    /// number glued to a word (`2x`, `covid19`) is not an amount.
    pub(super) space_before: bool,
}

impl Token<'_> {
    /// Returns whether the token is the word `word`, compared folded.
    pub(super) fn is(&self, word: &str) -> bool {
        self.folded == word
    }

    /// Returns whether the token is a number made only of ASCII digits.
    pub(super) fn is_plain_digits(&self) -> bool {
        self.kind == Kind::Number && self.text.bytes().all(|byte| byte.is_ascii_digit())
    }
}

/// Currency symbols, longest first so that `US$` wins over `$`. Symbols that
/// start with a letter only match at the start of a word.
const SYMBOLS: [&str; 17] = [
    "usd$", "mxn$", "clp$", "cop$", "col$", "us$", "u$s", "u$d", "mx$", "ar$", "cl$", "r$", "$u",
    "s/", "$", "€", "£",
];

/// Splits `line` into tokens.
pub(super) fn tokenize(line: &str) -> Vec<Token<'_>> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    let mut space_before = true;

    while index < chars.len() {
        let (start, current) = chars[index];
        if current.is_whitespace() {
            space_before = true;
            index += 1;
            continue;
        }

        let (end_index, kind) = if let Some(length) = symbol_at(line, &chars, index) {
            (index + length, Kind::Symbol)
        } else if starts_number(&chars, index) {
            (number_end(&chars, index), Kind::Number)
        } else if current.is_alphabetic() {
            (word_end(&chars, index), Kind::Word)
        } else {
            (index + 1, Kind::Punct)
        };

        let end = chars
            .get(end_index)
            .map_or(line.len(), |&(offset, _)| offset);
        let text = &line[start..end];
        tokens.push(Token {
            text,
            folded: fold(text),
            kind,
            space_before,
        });
        space_before = false;
        index = end_index;
    }
    tokens
}

/// Lowercases `text` and removes the accents used in Spanish, so keyword
/// lists need one spelling (`pagué` and `pague`, `dólares` and `dolares`).
pub(super) fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            '’' | '‘' => '\'',
            other => other,
        })
        .collect()
}

/// Length in chars of the currency symbol starting at `index`, if any.
fn symbol_at(line: &str, chars: &[(usize, char)], index: usize) -> Option<usize> {
    let (offset, first) = chars[index];
    if first.is_alphabetic() && index > 0 && chars[index - 1].1.is_alphanumeric() {
        return None;
    }
    let rest = &line[offset..];
    SYMBOLS.into_iter().find_map(|symbol| {
        let candidate = rest.get(..symbol.len())?;
        if !candidate.eq_ignore_ascii_case(symbol) {
            return None;
        }
        let length = symbol.chars().count();
        let next = chars.get(index + length).map(|&(_, c)| c);
        // `s/` (Peruvian sol) and `$u` (Uruguayan peso) are also ordinary
        // text (`s/n`, `$uber`), so they count only before a number or a space.
        let needs_boundary = matches!(symbol, "s/" | "$u");
        if needs_boundary && next.is_some_and(|c| c.is_alphabetic()) {
            return None;
        }
        // A symbol that ends in a letter must not run into another word.
        let ends_in_letter = symbol.ends_with(|c: char| c.is_ascii_alphabetic());
        if ends_in_letter && next.is_some_and(|c| c.is_alphabetic()) {
            return None;
        }
        Some(length)
    })
}

fn starts_number(chars: &[(usize, char)], index: usize) -> bool {
    let current = chars[index].1;
    let next_is_digit = chars
        .get(index + 1)
        .is_some_and(|&(_, c)| c.is_ascii_digit());
    let previous_is_digit = index > 0 && chars[index - 1].1.is_ascii_digit();
    current.is_ascii_digit()
        || (current == '+' && next_is_digit)
        || (matches!(current, '.' | ',') && next_is_digit && !previous_is_digit)
}

fn number_end(chars: &[(usize, char)], start: usize) -> usize {
    let mut index = start + 1;
    while let Some(&(_, current)) = chars.get(index) {
        let next_is_digit = chars
            .get(index + 1)
            .is_some_and(|&(_, c)| c.is_ascii_digit());
        if current.is_ascii_digit()
            || (matches!(current, '.' | ',' | '/' | '-' | ':') && next_is_digit)
        {
            index += 1;
        } else {
            break;
        }
    }
    if chars.get(index).is_some_and(|&(_, c)| c == '%') {
        index += 1;
    }
    index
}

fn word_end(chars: &[(usize, char)], start: usize) -> usize {
    let mut index = start + 1;
    while let Some(&(_, current)) = chars.get(index) {
        let next_is_letter = chars
            .get(index + 1)
            .is_some_and(|&(_, c)| c.is_alphabetic());
        if current.is_alphabetic() || (matches!(current, '\'' | '’' | '-' | '&') && next_is_letter)
        {
            index += 1;
        } else {
            break;
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(line: &str) -> Vec<(&str, Kind)> {
        tokenize(line)
            .into_iter()
            .map(|token| (token.text, token.kind))
            .collect()
    }

    #[test]
    fn trailing_comma_is_not_part_of_number() {
        assert_eq!(
            pieces("uber 5000, almuerzo"),
            [
                ("uber", Kind::Word),
                ("5000", Kind::Number),
                (",", Kind::Punct),
                ("almuerzo", Kind::Word)
            ]
        );
    }

    #[test]
    fn separators_inside_number_are_kept() {
        for line in [
            "1.234,56",
            "1,234.56",
            "3/11",
            "03-11-2026",
            "14:30",
            ".50",
            "10%",
        ] {
            assert_eq!(pieces(line), [(line, Kind::Number)], "{line}");
        }
    }

    #[test]
    fn currency_symbols_split_from_digits() {
        let cases = [
            ("$12.990", "$"),
            ("US$20", "US$"),
            ("u$s 20", "u$s"),
            ("€5", "€"),
            ("£12.35", "£"),
            ("R$ 30", "R$"),
            ("S/ 25", "S/"),
        ];
        for (line, symbol) in cases {
            let tokens = tokenize(line);
            assert_eq!(tokens[0].text, symbol, "{line}");
            assert_eq!(tokens[0].kind, Kind::Symbol, "{line}");
            assert_eq!(tokens[1].kind, Kind::Number, "{line}");
        }
    }

    #[test]
    fn letter_symbols_need_word_start() {
        assert_eq!(pieces("bus$"), [("bus", Kind::Word), ("$", Kind::Symbol)]);
        assert_eq!(
            pieces("s/n"),
            [("s", Kind::Word), ("/", Kind::Punct), ("n", Kind::Word)]
        );
    }

    #[test]
    fn glued_suffix_has_no_space_before() {
        let tokens = tokenize("1k 15lucas");
        assert_eq!(tokens[1].text, "k");
        assert!(!tokens[1].space_before);
        assert!(tokens[2].space_before);
        assert_eq!(tokens[3].text, "lucas");
        assert!(!tokens[3].space_before);
    }

    #[test]
    fn fold_removes_spanish_accents() {
        assert_eq!(
            fold("Pagué DÓLARES Miércoles año"),
            "pague dolares miercoles ano"
        );
    }
}
