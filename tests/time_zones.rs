//! The time zones compiled into the worker.
//!
//! `.cargo/config.toml` sets `CHRONO_TZ_TIMEZONE_FILTER`, so chrono-tz embeds
//! the Americas, Spain and `Etc/*` only. These tests pin that set. A zone
//! outside it behaves like a misspelt one: it does not parse, so every caller
//! falls back as documented (UTC for the day and the month, no local day for
//! a mail's date).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use misgastos::email::local_day;
use misgastos::policy::month_bounds;

/// 2026-03-04T01:30:00Z: still the 3rd in the Americas, the 4th in UTC.
fn late_evening_in_the_americas() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 1, 30, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn customer_zones_are_compiled_in() {
    let zones = [
        "America/Santiago",
        "America/Argentina/Buenos_Aires",
        "America/Bogota",
        "America/Lima",
        "America/Mexico_City",
        "America/Sao_Paulo",
        "America/New_York",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Puerto_Rico",
        "Pacific/Honolulu",
        "Pacific/Easter",
        "Pacific/Galapagos",
        "Europe/Madrid",
        "Atlantic/Canary",
        "UTC",
        "Etc/UTC",
        "Etc/GMT+3",
        // Links follow their target.
        "US/Eastern",
        "Chile/Continental",
        "Brazil/East",
    ];
    for zone in zones {
        assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "`{zone}` is missing");
    }
}

#[test]
fn other_zones_are_left_out() {
    for zone in [
        "Asia/Tokyo",
        "Europe/London",
        "Australia/Sydney",
        "Africa/Lagos",
    ] {
        assert!(
            zone.parse::<chrono_tz::Tz>().is_err(),
            "`{zone}` is compiled in; update the filter and this test together"
        );
    }
}

#[test]
fn zone_left_out_reads_as_utc() {
    let now = late_evening_in_the_americas();
    let utc_march = (
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single(),
        Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).single(),
    );
    for zone in ["Asia/Tokyo", "Mars/Olympus"] {
        let (start, end) = month_bounds(now, zone);
        assert_eq!((Some(start), Some(end)), utc_march, "month of `{zone}`");
        assert_eq!(local_day(now, zone), None, "mail day in `{zone}`");
    }
    assert_eq!(
        local_day(now, "America/Santiago"),
        NaiveDate::from_ymd_opt(2026, 3, 3)
    );
}
