//! Currency markers (`$`, `US$`, `usd`, `dólares`, `€`, `pesos`) and the
//! slang multipliers (`lucas`, `palos`, `k`, `mil`) that may follow a number.

use crate::money::Currency;

/// A currency as the text names it, before the customer's home currency is
/// known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    /// A code, a name or a symbol that names one currency.
    Explicit(Currency),
    /// `$` alone: the home currency when it is written with `$`, else USD.
    Dollar,
    /// `pesos` alone: the home currency when it is a peso.
    Pesos,
}

/// Currencies written with a bare `$` at home.
const DOLLAR_SIGN_HOMES: [Currency; 6] = [
    Currency::Clp,
    Currency::Mxn,
    Currency::Ars,
    Currency::Cop,
    Currency::Usd,
    Currency::Uyu,
];

/// Currencies called `pesos`.
const PESO_HOMES: [Currency; 5] = [
    Currency::Clp,
    Currency::Mxn,
    Currency::Ars,
    Currency::Cop,
    Currency::Uyu,
];

impl Mark {
    /// The currencies the mark can mean for a customer whose home currency is
    /// `home`, most likely first. More than one means the text does not say.
    pub(super) fn resolve(self, home: Currency) -> Vec<Currency> {
        match self {
            Mark::Explicit(currency) => vec![currency],
            Mark::Dollar if DOLLAR_SIGN_HOMES.contains(&home) => vec![home],
            Mark::Dollar => vec![Currency::Usd],
            Mark::Pesos if PESO_HOMES.contains(&home) => vec![home],
            // Mexico's peso first: the one most often met by a customer
            // whose home currency is not a peso.
            Mark::Pesos => vec![
                Currency::Mxn,
                Currency::Cop,
                Currency::Clp,
                Currency::Ars,
                Currency::Uyu,
            ],
        }
    }
}

/// Reads a currency symbol token (`$`, `US$`, `€`, `£`), folded.
pub(super) fn symbol_mark(folded: &str) -> Option<Mark> {
    let mark = match folded {
        "$" => Mark::Dollar,
        "us$" | "u$s" | "u$d" | "usd$" => Mark::Explicit(Currency::Usd),
        "mx$" | "mxn$" => Mark::Explicit(Currency::Mxn),
        "cl$" | "clp$" => Mark::Explicit(Currency::Clp),
        "col$" | "cop$" => Mark::Explicit(Currency::Cop),
        "ar$" => Mark::Explicit(Currency::Ars),
        "r$" => Mark::Explicit(Currency::Brl),
        "$u" => Mark::Explicit(Currency::Uyu),
        "s/" => Mark::Explicit(Currency::Pen),
        "€" => Mark::Explicit(Currency::Eur),
        "£" => Mark::Explicit(Currency::Gbp),
        _ => return None,
    };
    Some(mark)
}

/// Reads an ISO 4217 code, which may stand before or after the number
/// (`USD 20`, `20 usd`).
pub(super) fn code_mark(folded: &str) -> Option<Mark> {
    if folded.len() != 3 {
        return None;
    }
    Currency::from_code(folded).map(Mark::Explicit)
}

/// Reads a currency name, which only follows the number (`20 dólares`,
/// `5 euros`). `pounds` and `libras` are left out because they are also
/// weights (`2 libras de carne`).
pub(super) fn name_mark(folded: &str) -> Option<Mark> {
    let mark = match folded {
        "dolar" | "dolares" | "dollar" | "dollars" | "bucks" | "dls" | "dlls" | "dlrs" => {
            Mark::Explicit(Currency::Usd)
        }
        "euro" | "euros" => Mark::Explicit(Currency::Eur),
        "real" | "reales" | "reais" => Mark::Explicit(Currency::Brl),
        "sol" | "soles" => Mark::Explicit(Currency::Pen),
        "peso" | "pesos" | "pesitos" => Mark::Pesos,
        _ => return code_mark(folded),
    };
    Some(mark)
}

/// Reads the nationality after `pesos` (`pesos chilenos`).
pub(super) fn peso_nationality(folded: &str) -> Option<Currency> {
    let currency = match folded.trim_end_matches('s') {
        "chileno" => Currency::Clp,
        "mexicano" => Currency::Mxn,
        "argentino" => Currency::Ars,
        "colombiano" => Currency::Cop,
        "uruguayo" => Currency::Uyu,
        _ => return None,
    };
    Some(currency)
}

/// A word that multiplies the number before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Multiplier {
    pub(super) factor: u64,
    /// Slang for the home currency (`lucas`, `palos`): it names no other
    /// currency and means the factor only where the slang is spoken.
    pub(super) slang: bool,
}

/// Reads a multiplier word: `k`, `mil`, `thousand`, `grand`, `millones`,
/// `lucas`, `palos`.
pub(super) fn multiplier(folded: &str) -> Option<Multiplier> {
    let (factor, slang) = match folded {
        "k" | "mil" | "thousand" | "grand" => (1_000, false),
        "luca" | "lucas" | "luka" | "lukas" => (1_000, true),
        "mm" | "millon" | "millones" | "million" | "millions" => (1_000_000, false),
        "palo" | "palos" => (1_000_000, true),
        _ => return None,
    };
    Some(Multiplier { factor, slang })
}

/// Whether `lucas` (1,000) and `palos` (1,000,000) are money slang in
/// `locale`: Chile, Argentina and Colombia use both for pesos.
pub(super) fn slang_is_local(locale: &str) -> bool {
    let region = locale.rsplit(['-', '_']).next().unwrap_or_default();
    ["cl", "ar", "co"]
        .iter()
        .any(|known| region.eq_ignore_ascii_case(known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_sign_means_home_peso() {
        let cases = [
            (Currency::Clp, Currency::Clp),
            (Currency::Mxn, Currency::Mxn),
            (Currency::Usd, Currency::Usd),
            (Currency::Eur, Currency::Usd),
        ];
        for (home, expected) in cases {
            assert_eq!(Mark::Dollar.resolve(home), [expected], "home {home}");
        }
    }

    #[test]
    fn pesos_without_peso_home_is_unclear() {
        assert_eq!(Mark::Pesos.resolve(Currency::Ars), [Currency::Ars]);
        assert!(Mark::Pesos.resolve(Currency::Usd).len() > 1);
    }

    #[test]
    fn dollar_words_mean_usd() {
        for word in ["us$", "u$s", "usd$"] {
            assert_eq!(
                symbol_mark(word),
                Some(Mark::Explicit(Currency::Usd)),
                "{word}"
            );
        }
        for word in ["usd", "dolares", "dollars", "dolar", "dlls"] {
            assert_eq!(
                name_mark(word),
                Some(Mark::Explicit(Currency::Usd)),
                "{word}"
            );
        }
    }

    #[test]
    fn names_are_not_prefix_codes() {
        assert_eq!(code_mark("euros"), None);
        assert_eq!(code_mark("eur"), Some(Mark::Explicit(Currency::Eur)));
        assert_eq!(name_mark("libras"), None);
    }

    #[test]
    fn slang_is_local_to_chile_argentina_colombia() {
        for locale in ["es-CL", "es-AR", "es_CO"] {
            assert!(slang_is_local(locale), "{locale}");
        }
        for locale in ["es-MX", "en-US", "es"] {
            assert!(!slang_is_local(locale), "{locale}");
        }
    }
}
