use chrono::{DateTime, NaiveDate, Utc, Weekday};

use super::*;
use crate::money::Currency;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn dates(occurrences: &[Occurrence]) -> Vec<String> {
    occurrences
        .iter()
        .map(|occurrence| format!("{} {}", occurrence.date, occurrence.period))
        .collect()
}

#[test]
fn monthly_day_31_falls_on_the_last_day() {
    let monthly = Frequency::Monthly { day: 31 };
    let cases = [
        ("2026-01-15", "2026-01-31"),
        ("2026-02-01", "2026-02-28"),
        ("2028-02-01", "2028-02-29"),
        ("2026-04-30", "2026-04-30"),
        ("2026-05-01", "2026-05-31"),
        ("2026-12-31", "2026-12-31"),
    ];
    for (from, expected) in cases {
        assert_eq!(
            monthly.next_on_or_after(day(from)),
            day(expected),
            "day 31 from {from}"
        );
    }
    let day_30 = Frequency::Monthly { day: 30 };
    assert_eq!(
        day_30.next_on_or_after(day("2026-03-01")),
        day("2026-03-30")
    );
    assert_eq!(
        day_30.next_on_or_after(day("2026-03-31")),
        day("2026-04-30")
    );
}

#[test]
fn monthly_rolls_to_next_month_and_year() {
    let fifth = Frequency::Monthly { day: 5 };
    let cases = [
        ("2026-12-04", "2026-12-05"),
        ("2026-12-05", "2026-12-05"),
        ("2026-12-06", "2027-01-05"),
    ];
    for (from, expected) in cases {
        assert_eq!(fifth.next_on_or_after(day(from)), day(expected), "{from}");
    }
}

#[test]
fn weekly_finds_the_next_weekday() {
    let monday = Frequency::Weekly {
        weekday: Weekday::Mon,
    };
    // 2026-12-07 is a Monday.
    let cases = [
        ("2026-12-07", "2026-12-07"),
        ("2026-12-08", "2026-12-14"),
        ("2026-12-06", "2026-12-07"),
        ("2026-12-29", "2027-01-04"),
    ];
    for (from, expected) in cases {
        assert_eq!(monday.next_on_or_after(day(from)), day(expected), "{from}");
    }
}

#[test]
fn periods_are_months_or_iso_weeks() {
    let monthly = Frequency::Monthly { day: 5 };
    let weekly = Frequency::Weekly {
        weekday: Weekday::Fri,
    };
    assert_eq!(monthly.period_of(day("2026-12-05")), "2026-12");
    assert_eq!(weekly.period_of(day("2026-12-11")), "2026-W50");
    // 2027-01-01 is a Friday of ISO week 53 of 2026.
    assert_eq!(weekly.period_of(day("2027-01-01")), "2026-W53");
}

#[test]
fn columns_round_trip() {
    let frequencies = [
        Frequency::Monthly { day: 1 },
        Frequency::Monthly { day: 31 },
        Frequency::Weekly {
            weekday: Weekday::Mon,
        },
        Frequency::Weekly {
            weekday: Weekday::Sun,
        },
    ];
    for frequency in frequencies {
        assert_eq!(
            Frequency::from_columns(frequency.as_str(), frequency.day_column()),
            Some(frequency),
            "{frequency:?}"
        );
    }
    for (name, value) in [
        ("monthly", 0),
        ("monthly", 32),
        ("weekly", 0),
        ("weekly", 8),
        ("daily", 1),
    ] {
        assert_eq!(Frequency::from_columns(name, value), None, "{name} {value}");
    }
}

#[test]
fn due_occurrences_start_on_active_from() {
    let fifth = Frequency::Monthly { day: 5 };
    // Created on the 10th: December's 5th has passed and is not recorded.
    let created = day("2026-12-10");
    assert!(due_occurrences(fifth, created, None, day("2026-12-10")).is_empty());
    assert!(due_occurrences(fifth, created, None, day("2027-01-04")).is_empty());
    assert_eq!(
        dates(&due_occurrences(fifth, created, None, day("2027-01-05"))),
        vec!["2027-01-05 2027-01"]
    );
    // Created on the due day itself: that day is due at once.
    assert_eq!(
        dates(&due_occurrences(
            fifth,
            day("2026-12-05"),
            None,
            day("2026-12-05")
        )),
        vec!["2026-12-05 2026-12"]
    );
}

#[test]
fn due_occurrences_skip_what_was_recorded() {
    let fifth = Frequency::Monthly { day: 5 };
    let recorded = Some(day("2027-01-05"));
    assert!(due_occurrences(fifth, day("2026-12-01"), recorded, day("2027-01-20")).is_empty());
    assert_eq!(
        dates(&due_occurrences(
            fifth,
            day("2026-12-01"),
            recorded,
            day("2027-02-05")
        )),
        vec!["2027-02-05 2027-02"]
    );
}

#[test]
fn due_occurrences_catch_up_within_the_window() {
    let weekly = Frequency::Weekly {
        weekday: Weekday::Mon,
    };
    // Nothing ran for three weeks: the three Mondays are due, oldest first.
    let due = due_occurrences(
        weekly,
        day("2026-11-01"),
        Some(day("2026-11-30")),
        day("2026-12-21"),
    );
    assert_eq!(
        dates(&due),
        vec![
            "2026-12-07 2026-W50",
            "2026-12-14 2026-W51",
            "2026-12-21 2026-W52"
        ]
    );
    // A rule silent for a year only makes up the last CATCH_UP_DAYS.
    let monthly = Frequency::Monthly { day: 1 };
    let due = due_occurrences(monthly, day("2025-01-01"), None, day("2026-12-15"));
    assert_eq!(dates(&due), vec!["2026-12-01 2026-12"]);
}

#[test]
fn day_31_is_due_on_the_last_day_of_february() {
    let monthly = Frequency::Monthly { day: 31 };
    let active = day("2026-01-31");
    let recorded = Some(day("2026-01-31"));
    assert!(due_occurrences(monthly, active, recorded, day("2026-02-27")).is_empty());
    assert_eq!(
        dates(&due_occurrences(
            monthly,
            active,
            recorded,
            day("2026-02-28")
        )),
        vec!["2026-02-28 2026-02"]
    );
}

#[test]
fn local_date_turns_at_the_customers_midnight() {
    let at = |text: &str| -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .with_timezone(&Utc)
    };
    let fifth = Frequency::Monthly { day: 5 };
    let active = day("2026-12-01");
    // Santiago is UTC-3 in December (summer time).
    let cases = [
        ("2026-12-05T02:59:59Z", "America/Santiago", "2026-12-04", 0),
        ("2026-12-05T03:00:00Z", "America/Santiago", "2026-12-05", 1),
        // Mexico City is UTC-6 all year.
        (
            "2026-12-05T05:59:00Z",
            "America/Mexico_City",
            "2026-12-04",
            0,
        ),
        (
            "2026-12-05T06:01:00Z",
            "America/Mexico_City",
            "2026-12-05",
            1,
        ),
        // Madrid is ahead of UTC: its 5th starts on the 4th in UTC.
        ("2026-12-04T23:30:00Z", "Europe/Madrid", "2026-12-05", 1),
    ];
    for (now, zone, local_day, due) in cases {
        let today = local_time(at(now), zone).expect("known zone").date();
        assert_eq!(today, day(local_day), "{now} in {zone}");
        assert_eq!(
            due_occurrences(fifth, active, None, today).len(),
            due,
            "{now} in {zone}"
        );
    }
    assert_eq!(local_time(at("2026-12-05T03:00:00Z"), "Mars/Olympus"), None);
}

#[test]
fn next_occurrence_follows_the_last_recorded() {
    let rule = Rule {
        id: "r1".into(),
        description: "arriendo".into(),
        merchant: None,
        amount: Money::new(450_000, Currency::Clp),
        frequency: Frequency::Monthly { day: 5 },
        status: RuleStatus::Active,
        active_from: day("2026-11-20"),
        last_occurrence_on: Some(day("2026-12-05")),
    };
    assert_eq!(
        rule.next_occurrence(day("2026-12-05")),
        Some(day("2027-01-05"))
    );
    assert_eq!(
        rule.next_occurrence(day("2026-12-01")),
        Some(day("2027-01-05"))
    );
    let fresh = Rule {
        last_occurrence_on: None,
        ..rule.clone()
    };
    assert_eq!(
        fresh.next_occurrence(day("2026-11-20")),
        Some(day("2026-12-05"))
    );
    let paused = Rule {
        status: RuleStatus::Paused,
        ..rule
    };
    assert_eq!(paused.next_occurrence(day("2026-12-01")), None);
}

#[test]
fn source_id_names_rule_and_period() {
    assert_eq!(source_id("rule-1", "2026-12"), "recurring:rule-1:2026-12");
}

#[test]
fn occurrence_completes_like_a_typed_expense() {
    use crate::classify::{Classification, Classifier};
    use crate::flow::{Draft, ExpenseStatus, Pending};
    use crate::model::Category;

    let categories = vec![Category {
        id: "home".into(),
        name: "Hogar".into(),
        keywords: vec!["arriendo".into()],
    }];
    let pending = || Pending {
        source_id: source_id("rule-1", "2026-12"),
        draft: Draft {
            amount: Money::new(450_000, Currency::Clp),
            spent_on: day("2026-12-05"),
            description: "arriendo".into(),
            merchant: None,
        },
    };
    let classified = |category: Option<&str>, confidence| Classification {
        category_id: category.map(str::to_owned),
        confidence,
        classifier: Classifier::Keyword,
        alternatives: Vec::new(),
    };
    let cases = [
        (Some("home"), 0.9, ExpenseStatus::Completed, Some("home")),
        (Some("home"), 0.5, ExpenseStatus::PendingCategory, None),
        (
            Some("someone-elses"),
            0.9,
            ExpenseStatus::PendingCategory,
            None,
        ),
        (None, 0.0, ExpenseStatus::PendingCategory, None),
    ];
    for (category, confidence, status, stored) in cases {
        let expense = occurrence_expense(
            pending(),
            &classified(category, confidence),
            &categories,
            0.75,
        );
        assert_eq!(expense.status, status, "{category:?} at {confidence}");
        assert_eq!(
            expense.category_id.as_deref(),
            stored,
            "{category:?} at {confidence}"
        );
        assert_eq!(expense.source_id, "recurring:rule-1:2026-12");
        assert_eq!(expense.confidence, confidence);
    }
}
