use chrono::NaiveDate;

use super::*;
use crate::money::Currency::{self, Ars, Clp, Cop, Eur, Mxn, Usd};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn rate(text: &str) -> Rate {
    Rate::parse(text).expect("test rate")
}

/// Round rates against USD, so that every expected value below can be
/// checked by hand: 1 USD = 1000 CLP = 4000 COP = 20 MXN = 1000 ARS =
/// 0.8 EUR.
fn usd_table() -> RateTable {
    RateTable {
        date: day("2026-12-04"),
        base: Usd,
        rates: vec![
            (Clp, rate("1000")),
            (Cop, rate("4000")),
            (Mxn, rate("20")),
            (Ars, rate("1000")),
            (Eur, rate("0.8")),
        ],
    }
}

#[test]
fn converts_every_pair_with_each_exponent() {
    // (from, minor units, to, expected minor units). CLP and COP have no
    // minor unit in misgastos; the others have two decimals. The expected
    // values were computed with exact fractions, then rounded half to even.
    let cases: [(Currency, i64, Currency, i64); 30] = [
        (Clp, 12345, Cop, 49380),
        (Clp, 12345, Mxn, 24690),
        (Clp, 12345, Ars, 1234500),
        (Clp, 12345, Usd, 1234),  // 1234.5: the tie goes to the even 1234
        (Clp, 12345, Eur, 988),   // 987.6
        (Cop, 98765, Clp, 24691), // 24691.25
        (Cop, 98765, Mxn, 49382), // 49382.5: tie, even
        (Cop, 98765, Ars, 2469125),
        (Cop, 98765, Usd, 2469), // 2469.125
        (Cop, 98765, Eur, 1975), // 1975.3
        (Mxn, 123456, Clp, 61728),
        (Mxn, 123456, Cop, 246912),
        (Mxn, 123456, Ars, 6172800),
        (Mxn, 123456, Usd, 6173),    // 6172.8
        (Mxn, 123456, Eur, 4938),    // 4938.24
        (Ars, 4567890, Clp, 45679),  // 45678.9
        (Ars, 4567890, Cop, 182716), // 182715.6
        (Ars, 4567890, Mxn, 91358),  // 91357.8
        (Ars, 4567890, Usd, 4568),   // 4567.89
        (Ars, 4567890, Eur, 3654),   // 3654.312
        (Usd, 840, Clp, 8400),
        (Usd, 840, Cop, 33600),
        (Usd, 840, Mxn, 16800),
        (Usd, 840, Ars, 840000),
        (Usd, 840, Eur, 672),
        (Eur, 999, Clp, 12488), // 12487.5: tie, even
        (Eur, 999, Cop, 49950),
        (Eur, 999, Mxn, 24975),
        (Eur, 999, Ars, 1248750),
        (Eur, 999, Usd, 1249), // 1248.75
    ];
    let table = usd_table();
    for (from, minor, to, expected) in cases {
        let converted = convert(Money::new(minor, from), to, &table);
        assert_eq!(
            converted,
            Ok(Money::new(expected, to)),
            "{minor} {from} to {to}"
        );
    }
}

#[test]
fn same_currency_is_returned_unchanged() {
    let table = usd_table();
    for currency in [Clp, Cop, Mxn, Ars, Usd, Eur] {
        let amount = Money::new(12_345, currency);
        assert_eq!(convert(amount, currency, &table), Ok(amount), "{currency}");
    }
}

#[test]
fn ties_round_to_even_and_others_to_nearest() {
    // 1 USD = 50 CLP, so one cent is half a peso.
    let table = RateTable {
        date: day("2026-12-04"),
        base: Usd,
        rates: vec![(Clp, rate("50"))],
    };
    let cases = [
        (1, 0),   // 0.5 -> 0
        (3, 2),   // 1.5 -> 2
        (5, 2),   // 2.5 -> 2
        (7, 4),   // 3.5 -> 4
        (2, 1),   // exact
        (-3, -2), // the sign is kept and the magnitude rounded
        (-5, -2),
    ];
    for (cents, pesos) in cases {
        assert_eq!(
            convert(Money::new(cents, Usd), Clp, &table),
            Ok(Money::new(pesos, Clp)),
            "{cents} US cents"
        );
    }
    // And back: 1 CLP is 2 cents; 1 cent is 0.5 CLP.
    assert_eq!(
        convert(Money::new(15, Clp), Usd, &table),
        Ok(Money::new(30, Usd))
    );
}

#[test]
fn converts_through_a_base_that_is_neither_currency() {
    // Rates as the source publishes them for a CLP base, with eight
    // significant digits: 1 CLP = 0.00105263 USD = 0.01842105 MXN.
    let table = RateTable {
        date: day("2026-12-04"),
        base: Clp,
        rates: vec![(Usd, rate("0.00105263")), (Mxn, rate("0.01842105"))],
    };
    // 100 USD * 0.01842105 / 0.00105263 = 1750.00237... MXN.
    assert_eq!(
        convert(Money::new(10_000, Usd), Mxn, &table),
        Ok(Money::new(175_000, Mxn))
    );
    // 12,500 CLP / 1 * 0.00105263 = 13.157875 USD.
    assert_eq!(
        convert(Money::new(12_500, Clp), Usd, &table),
        Ok(Money::new(1_316, Usd))
    );
    // 8.40 USD at 1 / 0.00105263 CLP each = 7980.0119... CLP.
    assert_eq!(
        convert(Money::new(840, Usd), Clp, &table),
        Ok(Money::new(7_980, Clp))
    );
}

#[test]
fn missing_rate_names_the_currency() {
    let table = RateTable {
        date: day("2026-12-04"),
        base: Usd,
        rates: vec![(Clp, rate("950"))],
    };
    assert_eq!(
        convert(Money::new(100, Ars), Clp, &table),
        Err(NotConverted::MissingRate {
            currency: Ars,
            date: day("2026-12-04")
        })
    );
    assert_eq!(
        convert(Money::new(100, Clp), Cop, &table),
        Err(NotConverted::MissingRate {
            currency: Cop,
            date: day("2026-12-04")
        })
    );
}

#[test]
fn results_above_the_maximum_amount_are_not_converted() {
    let table = RateTable {
        date: day("2026-12-04"),
        base: Usd,
        rates: vec![(Eur, rate("1")), (Clp, rate("950"))],
    };
    let max = crate::money::MAX_AMOUNT_MINOR;
    assert_eq!(
        convert(Money::new(max, Usd), Eur, &table),
        Ok(Money::new(max, Eur))
    );
    assert_eq!(
        convert(Money::new(max + 1, Usd), Eur, &table),
        Err(NotConverted::TooLarge)
    );
    // A recordable amount whose conversion is not: USD 1.000.000.000,00 is
    // CLP 950.000.000.000.
    assert_eq!(
        convert(Money::new(max, Usd), Clp, &table),
        Err(NotConverted::TooLarge)
    );
}

#[test]
fn results_beyond_safe_integers_are_not_converted() {
    let table = RateTable {
        date: day("2026-12-04"),
        base: Usd,
        rates: vec![
            (Cop, rate("9999999999999")),
            (Eur, rate("0.000000000000000000000000000001")),
        ],
    };
    // 90 trillion USD in COP is far past 2^53 pesos.
    assert_eq!(
        convert(Money::new(MAX_SAFE_MINOR, Usd), Cop, &table),
        Err(NotConverted::TooLarge)
    );
    // The numerator overflows u128 on the way; still too large, no panic.
    assert_eq!(
        convert(Money::new(i64::MAX, Eur), Cop, &table),
        Err(NotConverted::TooLarge)
    );
    // A denominator past u128 means less than half a minor unit.
    assert_eq!(
        convert(Money::new(1, Cop), Eur, &table),
        Ok(Money::new(0, Eur))
    );
}

#[test]
fn rates_parse_exact_decimals() {
    let cases = [
        ("950", "950"),
        ("950.12345678", "950.12345678"),
        ("0.00105263", "0.00105263"),
        ("1.50", "1.5"),
        ("007.25", "7.25"),
        (
            "0.000000000000000000000000000001",
            "0.000000000000000000000000000001",
        ),
    ];
    for (text, shown) in cases {
        assert_eq!(rate(text).to_string(), shown, "{text}");
    }
    assert_eq!(rate("1.50"), rate("1.5"));
}

#[test]
fn rates_reject_what_is_not_a_positive_decimal() {
    for text in [
        "", "0", "0.000", "-1", "+1", "1e-7", "1.", ".5", "1,5", "abc", "NaN",
    ] {
        assert!(
            matches!(Rate::parse(text), Err(RateError::Invalid(_))),
            "`{text}` should be invalid"
        );
    }
    for text in ["123456789012345678901", "0.0000000000000000000000000000001"] {
        assert!(
            matches!(Rate::parse(text), Err(RateError::TooPrecise(_))),
            "`{text}` should be too precise"
        );
    }
}

#[test]
fn rates_from_json_numbers_keep_their_digits() {
    let cases = [
        (950.12345678, "950.12345678"),
        (0.00105263, "0.00105263"),
        (1e-7, "0.0000001"),
        (17.0, "17"),
    ];
    for (value, shown) in cases {
        assert_eq!(
            Rate::from_f64(value).map(|rate| rate.to_string()),
            Some(shown.to_owned()),
            "{value}"
        );
    }
    for value in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(Rate::from_f64(value), None, "{value}");
    }
}

#[test]
fn home_total_lists_unconverted_amounts() {
    let table = usd_table();
    let known = day("2026-12-04");
    let unknown = day("2026-12-05");
    let converted = convert_each(
        [
            (known, Money::new(10_000, Clp)),
            (known, Money::new(840, Usd)),
            (unknown, Money::new(500, Usd)),
            (unknown, Money::new(2_000, Clp)),
        ],
        Clp,
        |date| (date == known).then_some(&table),
    );
    let total = home_total(&converted, Clp);
    assert_eq!(total.total, Money::new(10_000 + 8_400 + 2_000, Clp));
    assert!(total.includes_conversions);
    assert_eq!(total.not_converted.len(), 1);
    assert_eq!(total.not_converted[0].original, Money::new(500, Usd));
    assert_eq!(
        total.not_converted[0].home,
        Err(NotConverted::NoRates(unknown))
    );
}

#[test]
fn home_total_of_home_amounts_needs_no_rates() {
    let converted = convert_each([(day("2026-12-04"), Money::new(12_500, Clp))], Clp, |_| {
        None
    });
    let total = home_total(&converted, Clp);
    assert_eq!(total.total, Money::new(12_500, Clp));
    assert!(!total.includes_conversions);
    assert!(total.not_converted.is_empty());
}

#[test]
fn dates_to_convert_are_the_distinct_foreign_ones() {
    let amounts = [
        (day("2026-12-04"), Money::new(840, Usd)),
        (day("2026-12-01"), Money::new(12_500, Clp)),
        (day("2026-12-02"), Money::new(500, Eur)),
        (day("2026-12-04"), Money::new(100, Eur)),
    ];
    assert_eq!(
        dates_to_convert(amounts, Clp),
        vec![day("2026-12-02"), day("2026-12-04")]
    );
    assert_eq!(
        dates_to_convert([(day("2026-12-01"), Money::new(1, Clp))], Clp),
        Vec::<NaiveDate>::new()
    );
}

#[test]
fn convert_all_uses_the_table_of_each_date() {
    let mut tables = Tables::new();
    tables.insert(day("2026-12-04"), usd_table());
    let converted = convert_all(
        [
            (day("2026-12-04"), Money::new(840, Usd)),
            (day("2026-12-05"), Money::new(840, Usd)),
        ],
        Clp,
        &tables,
    );
    assert_eq!(converted[0].home, Ok(Money::new(8_400, Clp)));
    assert_eq!(
        converted[1].home,
        Err(NotConverted::NoRates(day("2026-12-05")))
    );
}
