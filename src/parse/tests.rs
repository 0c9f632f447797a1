//! Tests of whole messages through `parse_message`, `parse_amount` and
//! `small_talk`, and property tests that formatting an amount and reading
//! it back is the identity. The labelled corpus in `tests/corpus/parse/`
//! covers many more messages.

use proptest::prelude::*;

use super::*;
use crate::model::Language;

const LOCALES: [&str; 5] = ["es-CL", "es-MX", "es-AR", "es-CO", "en-US"];

fn context(locale: &str, home_currency: Currency) -> ParseContext<'_> {
    ParseContext {
        locale,
        home_currency,
        today: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap_or_default(),
    }
}

fn only_expense(items: &[Item]) -> Option<&Draft> {
    match items {
        [Item::Expense(draft)] => Some(draft),
        _ => None,
    }
}

#[test]
fn simple_expense_parses() {
    let items = parse_message("almuerzo 12.500", &context("es-CL", Currency::Clp));
    let draft = only_expense(&items);
    assert_eq!(
        draft.map(|d| d.amount),
        Some(Money::new(12_500, Currency::Clp)),
        "{items:?}"
    );
    assert_eq!(
        draft.map(|d| d.description.as_str()),
        Some("almuerzo"),
        "{items:?}"
    );
}

#[test]
fn comma_decimal_is_never_thousands_for_pesos() {
    // `3,40` read as 3400 would be the worst misreading: it must be asked.
    let items = parse_message("café 3,40", &context("es-CL", Currency::Clp));
    assert!(
        matches!(items.as_slice(), [Item::AmbiguousAmount { .. }]),
        "{items:?}"
    );
}

#[test]
fn comma_decimal_in_dollars_is_exact() {
    let items = parse_message("café 3,40 usd", &context("es-CL", Currency::Clp));
    let draft = only_expense(&items);
    assert_eq!(
        draft.map(|d| d.amount),
        Some(Money::new(340, Currency::Usd)),
        "{items:?}"
    );
}

#[test]
fn thousands_reading_is_first_candidate() {
    let cases = [
        ("12,500", "es-CL", Currency::Clp),
        ("1.500", "en-US", Currency::Usd),
    ];
    for (text, locale, currency) in cases {
        let items = parse_message(text, &context(locale, currency));
        let Some(Item::AmbiguousAmount { draft, candidates }) = items.first() else {
            panic!("expected an ambiguous amount for `{text}` in {locale}, found {items:?}");
        };
        assert_eq!(
            Some(&draft.amount),
            candidates.first(),
            "`{text}` in {locale}"
        );
        assert!(
            candidates.len() >= 2,
            "`{text}` in {locale}: {candidates:?}"
        );
    }
}

#[test]
fn future_date_is_reported() {
    let items = parse_message("mañana arriendo 450.000", &context("es-CL", Currency::Clp));
    assert!(
        matches!(items.as_slice(), [Item::UnusualDate { .. }]),
        "{items:?}"
    );
}

#[test]
fn date_more_than_a_year_back_is_reported() {
    let es = context("es-CL", Currency::Clp);
    let day = |year, month, day| NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default();
    let cases = [
        ("almuerzo 5000 el 1/1/1900", day(1900, 1, 1)),
        ("taxi 5000 hace 400 días", day(2025, 2, 5)),
        ("cena 20000 el 10/3/2025", day(2025, 3, 10)),
    ];
    for (text, spent_on) in cases {
        let items = parse_message(text, &es);
        let Some(Item::UnusualDate { draft }) = items.first() else {
            panic!("`{text}` should ask about its date, found {items:?}");
        };
        assert_eq!(draft.spent_on, spent_on, "`{text}`");
        assert_eq!(items.len(), 1, "`{text}`: {items:?}");
    }
    // 366 days back is still an ordinary date; a day more is asked about.
    let items = parse_message("cena 20000 el 10/3/2025 y taxi 3000 el 11/3/2025", &es);
    assert!(
        matches!(
            items.as_slice(),
            [Item::UnusualDate { .. }, Item::Expense(_)]
        ),
        "{items:?}"
    );
}

#[test]
fn spaced_thousands_read_as_one_amount() {
    let es = context("es-CL", Currency::Clp);
    let cases = [
        ("almuerzo 5 000", 5_000, "almuerzo"),
        ("arriendo 1 234 567", 1_234_567, "arriendo"),
        ("$2 000 pan", 2_000, "pan"),
        ("bencina 20 000 pesos", 20_000, "bencina"),
    ];
    for (text, minor, description) in cases {
        let items = parse_message(text, &es);
        let draft = only_expense(&items);
        assert_eq!(
            draft.map(|d| d.amount),
            Some(Money::new(minor, Currency::Clp)),
            "`{text}`: {items:?}"
        );
        assert_eq!(
            draft.map(|d| d.description.as_str()),
            Some(description),
            "`{text}`"
        );
    }

    let items = parse_message("super 2 000 y taxi 3 000", &es);
    let amounts: Vec<Money> = items
        .iter()
        .filter_map(|item| match item {
            Item::Expense(draft) => Some(draft.amount),
            _ => None,
        })
        .collect();
    assert_eq!(
        amounts,
        [
            Money::new(2_000, Currency::Clp),
            Money::new(3_000, Currency::Clp)
        ]
    );

    // Two groups with a non-zero second one stay a question.
    assert!(matches!(
        parse_message("taxi 3 500", &es).as_slice(),
        [Item::AmbiguousAmount { .. }]
    ));

    // Phone numbers stay out of the amount.
    for text in [
        "gasfiter 25000 llamar 9 8765 4321",
        "gasfiter 25000 llamar 56 912 345 678",
        "gasfiter 25000 llamar 912 345 678",
    ] {
        let items = parse_message(text, &es);
        assert_eq!(
            only_expense(&items).map(|d| d.amount),
            Some(Money::new(25_000, Currency::Clp)),
            "`{text}`: {items:?}"
        );
    }

    // With a currency next to them, groups of three are an amount however
    // long.
    let items = parse_message("casa $ 95 000 000", &es);
    assert_eq!(
        only_expense(&items).map(|d| d.amount),
        Some(Money::new(95_000_000, Currency::Clp)),
        "{items:?}"
    );
}

#[test]
fn instalments_and_promotions_stay_in_the_description() {
    let clp = |minor| Money::new(minor, Currency::Clp);
    let cases = [
        ("cuota 3 de 12 45000", "es-CL", clp(45_000), "cuota 3 de 12"),
        (
            "zapatillas cuota 3 de 12 de 45 000",
            "es-CL",
            clp(45_000),
            "zapatillas cuota 3 de 12",
        ),
        (
            "payment 3 of 6 $120",
            "en-US",
            Money::new(12_000, Currency::Usd),
            "payment 3 of 6",
        ),
        ("2 x 1 en cine 7000", "es-CL", clp(7_000), "2 x 1 en cine"),
        (
            "3 x 2 en jumbo 15000",
            "es-CL",
            clp(15_000),
            "3 x 2 en jumbo",
        ),
    ];
    for (text, locale, amount, description) in cases {
        let items = parse_message(text, &context(locale, amount.currency));
        let draft = only_expense(&items);
        assert_eq!(draft.map(|d| d.amount), Some(amount), "`{text}`: {items:?}");
        assert_eq!(
            draft.map(|d| d.description.as_str()),
            Some(description),
            "`{text}`"
        );
    }
}

#[test]
fn quantity_times_price_asks_total_or_one() {
    let ars = |minor| Money::new(minor, Currency::Ars);
    let cases = [
        ("pizza 2 x 8000", [ars(1_600_000), ars(800_000)], "pizza"),
        (
            "colectivo 1.200 x 2",
            [ars(240_000), ars(120_000)],
            "colectivo",
        ),
    ];
    for (text, expected, description) in cases {
        let items = parse_message(text, &context("es-AR", Currency::Ars));
        let Some(Item::AmbiguousAmount { draft, candidates }) = items.first() else {
            panic!("`{text}` should ask total or one, found {items:?}");
        };
        assert_eq!(items.len(), 1, "`{text}`: {items:?}");
        assert_eq!(candidates.as_slice(), expected, "`{text}`");
        assert_eq!(draft.description, description, "`{text}`");
    }
}

#[test]
fn labelled_numbers_and_instalments_are_not_amounts() {
    let ars = |minor| Money::new(minor, Currency::Ars);
    let today = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap_or_default();
    let cases = [
        (
            "expensas 85.000 del mes 11",
            ars(8_500_000),
            "expensas del mes 11",
        ),
        (
            "cuota 2/6 tarjeta 15000",
            ars(1_500_000),
            "cuota 2/6 tarjeta",
        ),
        ("cena mesa 12 45000", ars(4_500_000), "cena mesa 12"),
    ];
    for (text, amount, description) in cases {
        let items = parse_message(text, &context("es-AR", Currency::Ars));
        let draft = only_expense(&items);
        assert_eq!(draft.map(|d| d.amount), Some(amount), "`{text}`: {items:?}");
        assert_eq!(draft.map(|d| d.spent_on), Some(today), "`{text}`");
        assert_eq!(
            draft.map(|d| d.description.as_str()),
            Some(description),
            "`{text}`"
        );
    }
}

#[test]
fn date_alone_is_read_and_anything_else_is_not() {
    let es = context("es-CL", Currency::Clp);
    let day = |month, day| NaiveDate::from_ymd_opt(2026, month, day);
    // 2026-03-12 is a Thursday.
    let cases = [
        ("ayer", day(3, 11)),
        ("fue el lunes", day(3, 9)),
        ("el 3/3.", day(3, 3)),
        ("hoy", day(3, 12)),
        ("sé", None),
        ("no sé", None),
        ("", None),
        ("almuerzo ayer", None),
        ("5000 ayer", None),
        ("ayer y hoy", None),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_date(text, &es), expected, "`{text}`");
    }
}

#[test]
fn empty_and_blank_messages_have_no_items() {
    for text in ["", "   ", "\n\n"] {
        assert!(
            parse_message(text, &context("es-CL", Currency::Clp)).is_empty(),
            "{text:?}"
        );
    }
}

#[test]
fn small_talk_with_amount_is_an_expense() {
    assert_eq!(small_talk("hola, uber 5000"), None);
    assert_eq!(small_talk("hola"), Some(SmallTalk::Greeting));
}

#[test]
fn answer_reads_slang_and_words() {
    let chile = context("es-CL", Currency::Clp);
    let cases = [
        ("12 lucas", Money::new(12_000, Currency::Clp)),
        ("doce mil quinientos", Money::new(12_500, Currency::Clp)),
        ("8.40 usd", Money::new(840, Currency::Usd)),
    ];
    for (text, expected) in cases {
        assert_eq!(
            parse_amount(text, &chile),
            AmountReading::Exact(expected),
            "{text}"
        );
    }
    assert_eq!(parse_amount("no sé", &chile), AmountReading::None);
}

/// Whether `$` stands for `currency` at home.
fn uses_dollar_sign(currency: Currency) -> bool {
    matches!(
        currency,
        Currency::Clp
            | Currency::Mxn
            | Currency::Ars
            | Currency::Cop
            | Currency::Usd
            | Currency::Uyu
    )
}

/// Number of the forms [`written_date`] writes.
const DATE_FORMS: usize = 8;

/// Writes `date` in one of the forms people type after an amount, month
/// first in English locales as they write it (`11/3/2026`).
fn written_date(date: NaiveDate, form: usize, locale: &str) -> String {
    use chrono::Datelike;
    let (day, month, year) = (date.day(), date.month(), date.year());
    let english = locale.starts_with("en");
    let (first, second) = if english { (month, day) } else { (day, month) };
    let month_name = Language::of_locale(locale).month_names()[date.month0() as usize];
    match form {
        0 => format!("{first}/{second}"),
        1 => format!("{first}/{second}/{year}"),
        2 => format!("{first:02}-{second:02}-{year}"),
        3 => format!("{year}-{month:02}-{day:02}"),
        4 => format!("{first}/{second}/{:02}", year % 100),
        5 if english => format!("on {first}/{second}/{year}"),
        5 => format!("el {first}/{second}/{year}"),
        6 if english => format!("{month_name} {day}, {year}"),
        6 => format!("{day} de {month_name} de {year}"),
        _ if english => format!("{month_name} {day}"),
        _ => format!("el {day} de {month_name}"),
    }
}

/// Writes an expense: a description and a bare amount, an amount followed by
/// its currency code, or an amount preceded by it.
fn written_expense(description: &str, money: Money, form: usize, locale: &str) -> String {
    let number = money.format_number(locale);
    let code = money.currency.code();
    match form {
        0 => format!("{description} {number}"),
        1 => format!("{description} {number} {}", code.to_lowercase()),
        _ => format!("{description} {code} {number}"),
    }
}

proptest! {
    /// A date with or without a year after the amount (`taxi 10 usd
    /// 3/11/2026`) once made the currency code read as the next amount's
    /// and a `2026-11-03` read as a phone number that swallowed the amount.
    #[test]
    fn date_after_expense_keeps_its_amount(
        description_index in 0..4_usize,
        minor in 1_i64..100_000_000,
        currency_index in 0..Currency::ALL.len(),
        home_index in 0..Currency::ALL.len(),
        locale_index in 0..LOCALES.len(),
        amount_form in 0..3_usize,
        days_back in 0_u64..365,
        date_form in 0..DATE_FORMS,
    ) {
        let description = ["taxi", "almuerzo", "farmacia cruz verde", "lunch"][description_index];
        let locale = LOCALES[locale_index];
        let home = Currency::ALL[home_index];
        let currency = if amount_form == 0 { home } else { Currency::ALL[currency_index] };
        let money = Money::new(minor, currency);
        let parse_context = context(locale, home);
        let expense = written_expense(description, money, amount_form, locale);
        let before = parse_message(&expense, &parse_context);
        let Some(draft) = only_expense(&before) else {
            return Err(TestCaseError::reject("not one exact expense"));
        };
        prop_assert_eq!(draft.amount, money, "`{}` in {}", expense, locale);

        let date = parse_context.today - chrono::Days::new(days_back);
        let text = format!("{expense} {}", written_date(date, date_form, locale));
        let after = parse_message(&text, &parse_context);
        let dated = only_expense(&after);
        prop_assert_eq!(dated.map(|d| d.amount), Some(money), "`{}` in {}", text, locale);
        prop_assert_eq!(dated.map(|d| d.spent_on), Some(date), "`{}` in {}", text, locale);
        prop_assert_eq!(
            dated.map(|d| d.description.as_str()),
            Some(draft.description.as_str()),
            "`{}` in {}", text, locale
        );
    }

    #[test]
    fn formatted_number_reads_back(
        minor in 1_i64..1_000_000_000_000,
        currency_index in 0..Currency::ALL.len(),
        locale_index in 0..LOCALES.len(),
    ) {
        let currency = Currency::ALL[currency_index];
        let locale = LOCALES[locale_index];
        let money = Money::new(minor, currency);
        let text = money.format_number(locale);
        let reading = parse_amount(&text, &context(locale, currency));
        prop_assert_eq!(reading, AmountReading::Exact(money), "`{}` in {}", text, locale);
    }

    #[test]
    fn displayed_amount_with_code_reads_back(
        minor in 1_i64..1_000_000_000_000,
        currency_index in 0..Currency::ALL.len(),
        home_index in 0..Currency::ALL.len(),
        locale_index in 0..LOCALES.len(),
    ) {
        let money = Money::new(minor, Currency::ALL[currency_index]);
        let locale = LOCALES[locale_index];
        let text = money.display(locale);
        let reading = parse_amount(&text, &context(locale, Currency::ALL[home_index]));
        prop_assert_eq!(reading, AmountReading::Exact(money), "`{}` in {}", text, locale);
    }

    #[test]
    fn amount_with_symbol_in_message_reads_back(
        minor in 1_i64..1_000_000_000_000,
        currency_index in 0..Currency::ALL.len(),
        locale_index in 0..LOCALES.len(),
    ) {
        let currency = Currency::ALL[currency_index];
        prop_assume!(uses_dollar_sign(currency));
        let locale = LOCALES[locale_index];
        let money = Money::new(minor, currency);
        let text = format!("almuerzo ${}", money.format_number(locale));
        let items = parse_message(&text, &context(locale, currency));
        prop_assert_eq!(only_expense(&items).map(|d| d.amount), Some(money), "`{}` in {}", text, locale);
    }

    #[test]
    fn euro_sign_reads_back(minor in 1_i64..1_000_000_000_000, locale_index in 0..LOCALES.len()) {
        let locale = LOCALES[locale_index];
        let money = Money::new(minor, Currency::Eur);
        let text = format!("€{} hotel", money.format_number(locale));
        let items = parse_message(&text, &context(locale, Currency::Clp));
        prop_assert_eq!(only_expense(&items).map(|d| d.amount), Some(money), "`{}` in {}", text, locale);
    }

    #[test]
    fn any_text_parses_without_panic(text in "\\PC{0,60}", locale_index in 0..LOCALES.len()) {
        let chile = context(LOCALES[locale_index], Currency::Clp);
        let _ = parse_message(&text, &chile);
        let _ = parse_amount(&text, &chile);
        let _ = small_talk(&text);
    }

    #[test]
    fn numeric_text_parses_without_panic(text in "[0-9.,/:+$ -]{0,30}[a-z ]{0,10}") {
        let chile = context("es-CL", Currency::Clp);
        let _ = parse_message(&text, &chile);
        let _ = parse_amount(&text, &chile);
    }
}
