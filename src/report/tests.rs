use chrono::NaiveDate;

use super::*;
use crate::fx::Tables;

fn day(date: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, date).expect("valid date")
}

fn december() -> Period {
    Period::new(2026, 12).expect("valid period")
}

fn line(date: u32, description: &str, category: Option<(&str, &str)>, amount: Money) -> Line {
    Line {
        spent_on: day(date),
        description: description.into(),
        merchant: None,
        category_id: category.map(|(id, _)| id.to_owned()),
        category: category.map(|(_, name)| name.to_owned()),
        amount,
    }
}

fn clp(minor: i64) -> Money {
    Money::new(minor, Currency::Clp)
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::Usd)
}

fn lines() -> Vec<Line> {
    vec![
        line(1, "almuerzo", Some(("food", "Comida")), clp(12_500)),
        line(1, "uber", Some(("transport", "Transporte")), clp(5_000)),
        line(3, "cena", Some(("food", "Comida")), clp(8_000)),
        line(3, "xyzzy", None, clp(1_000)),
        line(31, "taxi", Some(("transport", "Transporte")), usd(840)),
    ]
}

/// No rate tables: amounts in other currencies stay unconverted.
static NO_RATES: Tables = Tables::new();

/// Rates of 2026-12-31 against CLP: 1 USD = 1000 CLP.
fn december_rates() -> Tables {
    let date = day(31);
    let table = crate::fx::RateTable {
        date,
        base: Currency::Clp,
        rates: vec![(
            Currency::Usd,
            crate::fx::Rate::parse("0.001").expect("rate"),
        )],
    };
    Tables::from([(date, table)])
}

fn page<'a>(lines: &'a [Line], language: Language) -> Page<'a> {
    page_with(lines, &NO_RATES, language)
}

fn page_with<'a>(lines: &'a [Line], rates: &'a Tables, language: Language) -> Page<'a> {
    Page {
        language,
        locale: match language {
            Language::Spanish => "es-CL",
            Language::English => "en-US",
        },
        home_currency: Currency::Clp,
        period: december(),
        scope: Scope::Household,
        lines,
        rates,
        csv_href: "/reports/abc.def/csv",
    }
}

#[test]
fn totals_are_per_currency_by_category_and_day() {
    let totals = totals(&lines(), Currency::Clp);
    assert_eq!(totals.len(), 2);
    let clp_total = &totals[0];
    assert_eq!(clp_total.currency, Currency::Clp, "home currency first");
    assert_eq!(clp_total.total(), clp(26_500));
    assert_eq!(
        clp_total.by_category,
        vec![
            (Some("food".to_owned()), clp(20_500)),
            (Some("transport".to_owned()), clp(5_000)),
            (None, clp(1_000)),
        ],
        "largest first"
    );
    assert_eq!(clp_total.by_day[0], 17_500);
    assert_eq!(clp_total.by_day[2], 9_000);
    assert_eq!(clp_total.by_day.iter().sum::<i64>(), 26_500);
    let usd_total = &totals[1];
    assert_eq!(usd_total.total(), usd(840));
    assert_eq!(usd_total.by_day[30], 840);

    let home_usd = totals_of_home(Currency::Usd);
    assert_eq!(home_usd, [Currency::Usd, Currency::Clp]);
    assert!(super::totals(&[], Currency::Clp).is_empty());
}

fn totals_of_home(home: Currency) -> Vec<Currency> {
    totals(&lines(), home)
        .into_iter()
        .map(|total| total.currency)
        .collect()
}

#[test]
fn html_has_both_charts_the_table_and_the_csv_link() {
    let rates = december_rates();
    for language in [Language::Spanish, Language::English] {
        let lines = lines();
        let html = render_html(&page_with(&lines, &rates, language));
        for needle in [
            "<svg class=\"chart chart-category\"",
            "<svg class=\"chart chart-day\"",
            "<a class=\"csv\" href=\"/reports/abc.def/csv\" download>",
            "data-currency=\"CLP\"",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<meta name=\"robots\" content=\"noindex\">",
        ] {
            assert!(html.contains(needle), "{language:?}: {needle}");
        }
        assert_eq!(html.matches("<svg").count(), 2, "one chart of each kind");
        assert_eq!(
            html.matches("<rect class=\"bar\"").count(),
            3,
            "food, transport and no category, in CLP"
        );
        assert_eq!(
            html.matches("<tr><td>").count(),
            lines.len(),
            "one row per expense"
        );
        assert!(!html.contains("<script"), "{language:?}");
        assert!(!html.contains("http"), "{language:?}: no external asset");
    }
    let spanish = render_html(&page_with(&lines(), &rates, Language::Spanish));
    assert!(
        spanish.contains("<h1>diciembre 2026 · Hogar</h1>"),
        "{spanish}"
    );
    assert!(spanish.contains("<h2>Total en CLP</h2><p class=\"total\">CLP 34.900</p>"));
    assert!(spanish
        .contains("Incluye USD convertido a CLP al tipo de cambio de la fecha de cada gasto."));
    assert!(spanish.contains("Por moneda: CLP 26.500 · USD 8,40"));
    assert!(!spanish.contains("Sin tipo de cambio"));
    assert!(spanish.contains("Comida · CLP 20.500"));
    assert!(
        spanish.contains("Transporte · CLP 13.400"),
        "CLP 5.000 + USD 8,40"
    );
    assert!(spanish.contains("Sin categoría · CLP 1.000"));
    assert!(spanish.contains("<th class=\"amount\">En CLP</th>"));
    assert!(
        spanish.contains("<td class=\"amount\">USD 8,40</td><td class=\"amount\">CLP 8.400</td>")
    );
    assert!(spanish.contains("Descargar CSV"));
    let english = render_html(&page_with(&lines(), &rates, Language::English));
    assert!(english.contains("<h1>December 2026 · Household</h1>"));
    assert!(english.contains("<h2>Total in CLP</h2><p class=\"total\">CLP 34,900</p>"));
    assert!(english.contains("By currency: CLP 26,500 · USD 8.40"));
    assert!(english.contains("Download CSV"));
    let empty = render_html(&page(&[], Language::Spanish));
    assert!(empty.contains("No hay gastos este mes."));
    assert!(!empty.contains("<svg"));
}

#[test]
fn html_without_a_rate_lists_the_amount_as_not_converted() {
    let html = render_html(&page(&lines(), Language::Spanish));
    assert!(html.contains("<p class=\"total\">CLP 26.500</p>"), "{html}");
    assert!(html
        .contains("Sin tipo de cambio, fuera del total y de los gráficos: USD 8,40 (31-12-2026)"));
    assert!(!html.contains("Incluye USD"));
    assert!(
        html.contains("Transporte · CLP 5.000"),
        "only the CLP part is charted"
    );
    assert!(html.contains(
        "<td class=\"amount\">USD 8,40</td><td class=\"amount\"><span class=\"note\">sin convertir</span></td>"
    ));
    let english = render_html(&page(&lines(), Language::English));
    assert!(english
        .contains("No exchange rate, left out of the total and the charts: USD 8.40 (12/31/2026)"));
    assert!(english.contains("not converted"));
}

#[test]
fn html_in_one_currency_has_no_conversion_notes() {
    let only_clp: Vec<Line> = lines()
        .into_iter()
        .filter(|line| line.amount.currency == Currency::Clp)
        .collect();
    let html = render_html(&page(&only_clp, Language::Spanish));
    assert!(html.contains("<p class=\"total\">CLP 26.500</p>"));
    for absent in ["Por moneda", "Incluye", "Sin tipo de cambio", "En CLP"] {
        assert!(!html.contains(absent), "{absent}");
    }
}

#[test]
fn html_escapes_hostile_descriptions_and_names() {
    let hostile = vec![line(
        2,
        "<script>alert('x')</script> & \"más\"",
        Some(("food", "<img src=x onerror=alert(1)>")),
        clp(1_000),
    )];
    let html = render_html(&page(&hostile, Language::Spanish));
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;más&quot;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let cases = [
        ("<a href=\"x\">", "&lt;a href=&quot;x&quot;&gt;"),
        ("O'Higgins & Co", "O&#39;Higgins &amp; Co"),
        ("plain", "plain"),
    ];
    for (text, escaped) in cases {
        assert_eq!(escape_html(text), escaped, "{text}");
    }
}

#[test]
fn csv_keeps_the_currency_and_defuses_formulas() {
    let mut rows = lines();
    rows.push(Line {
        merchant: Some("=HYPERLINK(\"http://x\")".into()),
        ..line(4, "+cmd|' /C calc'!A0", Some(("food", "-Comida")), clp(100))
    });
    rows.push(line(5, "@SUM(1,2)", None, usd(5)));
    rows.push(line(6, "con \"comillas\", y coma\nsalto", None, clp(7)));
    let csv = render_csv(&rows, Currency::Clp, &december_rates());
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "date,description,merchant,category,amount,currency,home_amount,home_currency,status"
    );
    assert_eq!(
        lines[1],
        "2026-12-01,almuerzo,,Comida,12500,CLP,12500,CLP,completed"
    );
    assert_eq!(
        lines[4],
        "2026-12-03,xyzzy,,,1000,CLP,1000,CLP,pending_category"
    );
    assert_eq!(
        lines[5], "2026-12-31,taxi,,Transporte,8.40,USD,8400,CLP,completed",
        "converted at the rate of its date"
    );
    assert_eq!(
        lines[6],
        "2026-12-04,'+cmd|' /C calc'!A0,\"'=HYPERLINK(\"\"http://x\"\")\",'-Comida,100,CLP,100,CLP,completed"
    );
    assert_eq!(
        lines[7], "2026-12-05,\"'@SUM(1,2)\",,,0.05,USD,,CLP,pending_category",
        "no rate for 2026-12-05: the converted field is empty"
    );
    assert_eq!(
        lines[8],
        "2026-12-06,\"con \"\"comillas\"\", y coma\nsalto\",,,7,CLP,7,CLP,pending_category",
        "a quoted field keeps its line break"
    );
    assert!(csv.ends_with("\r\n"));
    for (money, expected) in [
        (clp(12_500), "12500"),
        (usd(840), "8.40"),
        (usd(5), "0.05"),
        (usd(100_000), "1000.00"),
    ] {
        assert_eq!(decimal(money), expected, "{money:?}");
    }
}

#[test]
fn report_link_claims_expire_after_seven_days() {
    let claims = claims("c1", Some("u1"), december(), 1_000, "n".into());
    assert_eq!(claims.kind, TOKEN_KIND);
    assert_eq!(claims.customer_id, "c1");
    assert_eq!(claims.user_id.as_deref(), Some("u1"));
    assert_eq!(claims.period.as_deref(), Some("2026-12"));
    assert_eq!(claims.expires_at, 1_000 + 7 * 24 * 60 * 60);
    assert_eq!(
        link("https://misgastos.example/", "abc.def"),
        "https://misgastos.example/reports/abc.def"
    );
}

#[test]
fn content_security_policy_allows_only_the_inline_style() {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let policy = content_security_policy();
    assert!(policy.starts_with("default-src 'none'; "), "{policy}");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    assert!(
        policy.contains(&format!("style-src 'sha256-{hash}'")),
        "{policy}"
    );
    let html = render_html(&page(&lines(), Language::Spanish));
    assert!(
        html.contains(&format!("<style>{STYLE}</style>")),
        "the hashed text is exactly the style element's"
    );
    assert_eq!(html.matches("<style").count(), 1);
    assert!(!html.contains(" style="), "no inline style attributes");
}

#[test]
fn month_names_in_both_languages() {
    assert_eq!(month_name(Language::Spanish, december()), "diciembre 2026");
    assert_eq!(
        month_name(Language::English, Period::new(2027, 1).expect("period")),
        "January 2027"
    );
}
