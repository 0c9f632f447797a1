//! The subscription policy: whether a customer may use the bot now, and
//! whether a message may add expenses.
//!
//! [`Entitlements`] are the facts of a customer's current subscription, read
//! from D1 and cached in `ENTITLEMENTS_KV` for [`ENTITLEMENTS_TTL_SECONDS`].
//! [`decide`] turns them, this month's expense count and the number of new
//! expenses a message would add into a [`Decision`]. Everything here is pure;
//! the runner reads D1 and KV, and performs the refusal.
//!
//! The month's expense count is not cached, because it changes with every
//! expense: a cached count would let a customer pass the limit by what it
//! records within one TTL. It is one indexed `count(*)`, run only for plans
//! that have a limit.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Language;
use crate::reply;

/// Seconds an entitlements entry lives in `ENTITLEMENTS_KV`. A subscription
/// change made in D1 reaches the worker within this time, or at once when
/// the entry is deleted (`tools/ops.mjs` deletes it). Cloudflare KV accepts
/// no TTL under 60 s.
pub const ENTITLEMENTS_TTL_SECONDS: u64 = 300;

/// A warning is added when a message takes the month's count to this share
/// of the limit, in percent.
const NEAR_LIMIT_PERCENT: u64 = 80;

/// The policy's log events, defined with the others in [`crate::events`].
pub mod events {
    pub use crate::events::{
        POLICY_ALLOWED_IN_PERMISSIVE_MODE as ALLOWED_IN_PERMISSIVE_MODE, POLICY_DENIED as DENIED,
        POLICY_ENTITLEMENTS_CACHE_FAILED as ENTITLEMENTS_CACHE_FAILED,
        POLICY_ENTITLEMENTS_CACHE_UNAVAILABLE as ENTITLEMENTS_CACHE_UNAVAILABLE,
        POLICY_ENTITLEMENTS_LOADED as ENTITLEMENTS_LOADED, POLICY_LIMIT_NEAR as LIMIT_NEAR,
        POLICY_SUBSCRIPTION_UNREADABLE as SUBSCRIPTION_UNREADABLE,
    };
}

/// The `ENTITLEMENTS_KV` key of a customer's entitlements.
pub fn cache_key(customer_id: &str) -> String {
    format!("entitlements:{customer_id}")
}

/// The `status` column of `subscriptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Trialing,
    Active,
    PastDue,
    Canceled,
    Expired,
}

impl Status {
    /// Parses the column value; `None` for a value the migration does not allow.
    pub fn parse(value: &str) -> Option<Status> {
        match value {
            "trialing" => Some(Status::Trialing),
            "active" => Some(Status::Active),
            "past_due" => Some(Status::PastDue),
            "canceled" => Some(Status::Canceled),
            "expired" => Some(Status::Expired),
            _ => None,
        }
    }

    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Trialing => "trialing",
            Status::Active => "active",
            Status::PastDue => "past_due",
            Status::Canceled => "canceled",
            Status::Expired => "expired",
        }
    }

    /// Whether the status grants service while the period runs.
    fn grants_service(self) -> bool {
        matches!(self, Status::Trialing | Status::Active)
    }
}

/// One row of `sql::CURRENT_SUBSCRIPTION`, as D1 returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub plan: String,
    pub status: String,
    pub current_period_start: String,
    pub current_period_end: String,
    pub monthly_expense_limit: Option<i64>,
}

/// A subscription row that the policy can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub plan: String,
    pub status: Status,
    /// Unix seconds; the period is `[period_start, period_end)`.
    pub period_start: i64,
    pub period_end: i64,
    /// Expenses allowed per calendar month in the customer's time zone;
    /// `None` means no limit.
    pub monthly_expense_limit: Option<u32>,
}

/// Why a subscription row could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("subscription `{id}` has status `{status}`; expected trialing, active, past_due, canceled or expired")]
    Status { id: String, status: String },
    #[error("subscription `{id}` has {column} `{value}`; expected an RFC 3339 timestamp")]
    Timestamp {
        id: String,
        column: &'static str,
        value: String,
    },
    #[error("subscription `{id}` has monthly_expense_limit {value}; expected 0 or more")]
    Limit { id: String, value: i64 },
}

impl TryFrom<SubscriptionRow> for Subscription {
    type Error = RowError;

    fn try_from(row: SubscriptionRow) -> Result<Subscription, RowError> {
        let status = Status::parse(&row.status).ok_or_else(|| RowError::Status {
            id: row.id.clone(),
            status: row.status.clone(),
        })?;
        let timestamp = |column: &'static str, value: &str| {
            DateTime::parse_from_rfc3339(value)
                .map(|instant| instant.timestamp())
                .map_err(|_| RowError::Timestamp {
                    id: row.id.clone(),
                    column,
                    value: value.to_owned(),
                })
        };
        let period_start = timestamp("current_period_start", &row.current_period_start)?;
        let period_end = timestamp("current_period_end", &row.current_period_end)?;
        let monthly_expense_limit = match row.monthly_expense_limit {
            None => None,
            Some(value) => Some(u32::try_from(value).map_err(|_| RowError::Limit {
                id: row.id.clone(),
                value,
            })?),
        };
        Ok(Subscription {
            id: row.id,
            plan: row.plan,
            status,
            period_start,
            period_end,
            monthly_expense_limit,
        })
    }
}

/// What a customer is entitled to, as cached in `ENTITLEMENTS_KV`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlements {
    /// The current subscription; `None` when the customer has none.
    pub subscription: Option<Subscription>,
    /// Unix seconds when these were read from D1.
    pub computed_at: i64,
}

impl Entitlements {
    /// Whether [`decide`] needs this month's expense count.
    pub fn has_expense_limit(&self) -> bool {
        self.subscription
            .as_ref()
            .is_some_and(|s| s.monthly_expense_limit.is_some())
    }

    /// Whether a cached entry may be used at `now`: it is younger than the
    /// TTL (KV may serve an entry for up to 60 s after it), and the period it
    /// names still runs, so that a renewal recorded for the next period
    /// applies as soon as the old one ends.
    pub fn is_fresh(&self, now: i64) -> bool {
        let age = now.saturating_sub(self.computed_at);
        let young = (0..=ENTITLEMENTS_TTL_SECONDS as i64).contains(&age);
        let in_period = self
            .subscription
            .as_ref()
            .is_none_or(|s| s.period_start <= now && now < s.period_end);
        young && in_period
    }
}

/// What a message would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Unix seconds.
    pub now: i64,
    /// Expenses created this calendar month, deleted ones excluded.
    pub expenses_this_month: u32,
    /// Expenses the message would add. Completing a stored pending expense
    /// adds none.
    pub new_expenses: u32,
}

/// Why a customer is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No subscription row at all.
    NoSubscription,
    /// The current subscription's status grants no service.
    Inactive { status: Status },
    /// The period starts in the future.
    NotStarted,
    /// The period is over and no later one was recorded.
    PeriodEnded,
    /// The message would take the month's count over the limit.
    LimitReached {
        limit: u32,
        used: u32,
        requested: u32,
    },
}

impl Denial {
    /// The `reason` field of `policy.denied`.
    pub fn reason(&self) -> &'static str {
        match self {
            Denial::NoSubscription => "no_subscription",
            Denial::Inactive { .. } => "subscription_inactive",
            Denial::NotStarted => "period_not_started",
            Denial::PeriodEnded => "period_ended",
            Denial::LimitReached { .. } => "limit_reached",
        }
    }
}

/// Why a message goes through with a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// `STRICT_POLICY_MODE` is off, so this denial is only logged.
    Permissive(Denial),
    /// The message took the month's count to the warning mark or to the
    /// limit; the user is told what is left.
    LimitNear { limit: u32, remaining: u32 },
}

/// The policy's answer for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    AllowWithWarning(Warning),
    Deny(Denial),
}

/// Decides whether a message may go through. With `strict` off, every
/// denial becomes [`Warning::Permissive`].
pub fn decide(entitlements: &Entitlements, usage: Usage, strict: bool) -> Decision {
    match evaluate(entitlements, usage) {
        Ok(None) => Decision::Allow,
        Ok(Some(warning)) => Decision::AllowWithWarning(warning),
        Err(denial) if strict => Decision::Deny(denial),
        Err(denial) => Decision::AllowWithWarning(Warning::Permissive(denial)),
    }
}

fn evaluate(entitlements: &Entitlements, usage: Usage) -> Result<Option<Warning>, Denial> {
    let Some(subscription) = &entitlements.subscription else {
        return Err(Denial::NoSubscription);
    };
    if !subscription.status.grants_service() {
        return Err(Denial::Inactive {
            status: subscription.status,
        });
    }
    if usage.now < subscription.period_start {
        return Err(Denial::NotStarted);
    }
    if usage.now >= subscription.period_end {
        return Err(Denial::PeriodEnded);
    }

    let Some(limit) = subscription.monthly_expense_limit else {
        return Ok(None);
    };
    if usage.new_expenses == 0 {
        return Ok(None);
    }
    let used = usage.expenses_this_month;
    let after = used.saturating_add(usage.new_expenses);
    if after > limit {
        return Err(Denial::LimitReached {
            limit,
            used,
            requested: usage.new_expenses,
        });
    }
    let mark = u64::from(limit) * NEAR_LIMIT_PERCENT;
    let crosses_mark = u64::from(used) * 100 < mark && u64::from(after) * 100 >= mark;
    if crosses_mark || after == limit {
        return Ok(Some(Warning::LimitNear {
            limit,
            remaining: limit - after,
        }));
    }
    Ok(None)
}

/// The reply to a refused message, in the customer's language.
pub fn refusal_text(denial: &Denial, language: Language) -> String {
    match denial {
        Denial::LimitReached {
            limit,
            used,
            requested,
        } => {
            reply::expense_limit_reached(language, *limit, limit.saturating_sub(*used), *requested)
        }
        Denial::NoSubscription
        | Denial::Inactive { .. }
        | Denial::NotStarted
        | Denial::PeriodEnded => reply::subscription_inactive(language).to_owned(),
    }
}

/// The note a warning adds to the replies; `None` for a warning that is only
/// logged.
pub fn warning_text(warning: &Warning, language: Language) -> Option<String> {
    match warning {
        Warning::LimitNear { limit, remaining } => {
            Some(reply::expense_limit_near(language, *limit, *remaining))
        }
        Warning::Permissive(_) => None,
    }
}

/// The calendar month that contains `now` in `zone`, as UTC instants
/// `[start, end)`. An unknown zone is read as UTC.
pub fn month_bounds(now: DateTime<Utc>, zone: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(zone) => month_bounds_in(now, &zone),
        Err(_) => month_bounds_in(now, &Utc),
    }
}

fn month_bounds_in<Z: TimeZone>(now: DateTime<Utc>, zone: &Z) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = now.with_timezone(zone).date_naive();
    let first = local.with_day(1).unwrap_or(local);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (start_of_day(first, zone), start_of_day(next, zone))
}

/// The first instant of `day` in `zone`. Where the day starts inside a
/// daylight-saving gap (Chile moves from 24:00 to 01:00), that is the first
/// local time that exists.
fn start_of_day<Z: TimeZone>(day: NaiveDate, zone: &Z) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    for hours in 0..=3 {
        let local = midnight + chrono::Duration::hours(hours);
        if let Some(instant) = zone.from_local_datetime(&local).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&midnight)
}

/// Formats an instant as `expenses.created_at` stores it
/// (`strftime('%Y-%m-%dT%H:%M:%fZ')`), so that text comparison is time order.
pub fn sql_timestamp(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000;

    fn subscription(status: Status, limit: Option<u32>) -> Subscription {
        Subscription {
            id: "sub-1".into(),
            plan: "free".into(),
            status,
            period_start: NOW - 86_400,
            period_end: NOW + 86_400,
            monthly_expense_limit: limit,
        }
    }

    fn entitlements(subscription: Option<Subscription>) -> Entitlements {
        Entitlements {
            subscription,
            computed_at: NOW,
        }
    }

    fn usage(expenses_this_month: u32, new_expenses: u32) -> Usage {
        Usage {
            now: NOW,
            expenses_this_month,
            new_expenses,
        }
    }

    fn row(status: &str, start: &str, end: &str, limit: Option<i64>) -> SubscriptionRow {
        SubscriptionRow {
            id: "sub-1".into(),
            plan: "free".into(),
            status: status.into(),
            current_period_start: start.into(),
            current_period_end: end.into(),
            monthly_expense_limit: limit,
        }
    }

    #[test]
    fn active_and_trialing_subscriptions_allow() {
        for status in [Status::Active, Status::Trialing] {
            let decision = decide(
                &entitlements(Some(subscription(status, None))),
                usage(1_000, 3),
                true,
            );
            assert_eq!(decision, Decision::Allow, "{status:?}");
        }
    }

    #[test]
    fn inactive_statuses_deny_in_strict_mode() {
        for status in [Status::PastDue, Status::Canceled, Status::Expired] {
            let decision = decide(
                &entitlements(Some(subscription(status, None))),
                usage(0, 0),
                true,
            );
            assert_eq!(
                decision,
                Decision::Deny(Denial::Inactive { status }),
                "{status:?}"
            );
        }
    }

    #[test]
    fn missing_subscription_denies() {
        let decision = decide(&entitlements(None), usage(0, 0), true);
        assert_eq!(decision, Decision::Deny(Denial::NoSubscription));
        assert_eq!(Denial::NoSubscription.reason(), "no_subscription");
    }

    #[test]
    fn period_bounds_are_start_inclusive_end_exclusive() {
        let sub = subscription(Status::Active, None);
        let cases = [
            (sub.period_start - 1, Decision::Deny(Denial::NotStarted)),
            (sub.period_start, Decision::Allow),
            (sub.period_end - 1, Decision::Allow),
            (sub.period_end, Decision::Deny(Denial::PeriodEnded)),
        ];
        let ents = entitlements(Some(sub));
        for (now, expected) in cases {
            let decision = decide(
                &ents,
                Usage {
                    now,
                    expenses_this_month: 0,
                    new_expenses: 0,
                },
                true,
            );
            assert_eq!(decision, expected, "now = {now}");
        }
    }

    #[test]
    fn permissive_mode_turns_denials_into_warnings() {
        let cases = [
            (entitlements(None), usage(0, 0), Denial::NoSubscription),
            (
                entitlements(Some(subscription(Status::Expired, None))),
                usage(0, 0),
                Denial::Inactive {
                    status: Status::Expired,
                },
            ),
            (
                entitlements(Some(subscription(Status::Active, Some(10)))),
                usage(10, 1),
                Denial::LimitReached {
                    limit: 10,
                    used: 10,
                    requested: 1,
                },
            ),
        ];
        for (ents, usage, denial) in cases {
            assert_eq!(
                decide(&ents, usage, false),
                Decision::AllowWithWarning(Warning::Permissive(denial.clone())),
                "{denial:?}"
            );
        }
    }

    #[test]
    fn limit_counts_new_expenses_only() {
        let ents = entitlements(Some(subscription(Status::Active, Some(10))));
        let cases = [
            (3, 1, Decision::Allow),
            (10, 0, Decision::Allow),
            (
                10,
                1,
                Decision::Deny(Denial::LimitReached {
                    limit: 10,
                    used: 10,
                    requested: 1,
                }),
            ),
            (
                8,
                3,
                Decision::Deny(Denial::LimitReached {
                    limit: 10,
                    used: 8,
                    requested: 3,
                }),
            ),
            (
                u32::MAX,
                1,
                Decision::Deny(Denial::LimitReached {
                    limit: 10,
                    used: u32::MAX,
                    requested: 1,
                }),
            ),
        ];
        for (used, new, expected) in cases {
            assert_eq!(
                decide(&ents, usage(used, new), true),
                expected,
                "used {used}, new {new}"
            );
        }
    }

    #[test]
    fn warning_at_the_mark_and_at_the_limit() {
        let ents = entitlements(Some(subscription(Status::Active, Some(10))));
        let near = |remaining| {
            Decision::AllowWithWarning(Warning::LimitNear {
                limit: 10,
                remaining,
            })
        };
        let cases = [
            (6, 1, Decision::Allow),
            (7, 1, near(2)),
            (8, 1, Decision::Allow),
            (9, 1, near(0)),
            (5, 4, near(1)),
        ];
        for (used, new, expected) in cases {
            assert_eq!(
                decide(&ents, usage(used, new), true),
                expected,
                "used {used}, new {new}"
            );
        }
    }

    #[test]
    fn zero_limit_denies_every_new_expense() {
        let ents = entitlements(Some(subscription(Status::Active, Some(0))));
        assert_eq!(decide(&ents, usage(0, 0), true), Decision::Allow);
        assert_eq!(
            decide(&ents, usage(0, 1), true),
            Decision::Deny(Denial::LimitReached {
                limit: 0,
                used: 0,
                requested: 1
            })
        );
    }

    #[test]
    fn row_converts_to_subscription() {
        let sub = Subscription::try_from(row(
            "trialing",
            "2026-12-01T00:00:00Z",
            "2027-01-01T00:00:00.000Z",
            Some(50),
        ))
        .expect("valid row");
        assert_eq!(sub.status, Status::Trialing);
        assert_eq!(sub.period_start, 1_796_083_200);
        assert_eq!(sub.period_end, 1_798_761_600);
        assert_eq!(sub.monthly_expense_limit, Some(50));
    }

    #[test]
    fn bad_rows_are_rejected_with_the_value() {
        let cases = [
            (
                row("paused", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", None),
                "subscription `sub-1` has status `paused`; expected trialing, active, past_due, canceled or expired",
            ),
            (
                row("active", "2026-12-01", "2027-01-01T00:00:00Z", None),
                "subscription `sub-1` has current_period_start `2026-12-01`; expected an RFC 3339 timestamp",
            ),
            (
                row("active", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", Some(-1)),
                "subscription `sub-1` has monthly_expense_limit -1; expected 0 or more",
            ),
        ];
        for (row, message) in cases {
            let error = Subscription::try_from(row.clone()).expect_err("invalid row");
            assert_eq!(error.to_string(), message, "{row:?}");
        }
    }

    #[test]
    fn cached_entry_is_fresh_within_the_ttl() {
        let ents = entitlements(None);
        let ttl = ENTITLEMENTS_TTL_SECONDS as i64;
        assert!(ents.is_fresh(NOW));
        assert!(ents.is_fresh(NOW + ttl));
        assert!(!ents.is_fresh(NOW + ttl + 1));
        assert!(!ents.is_fresh(NOW - 1), "an entry from the future");
    }

    #[test]
    fn cached_entry_is_stale_outside_its_period() {
        let sub = subscription(Status::Active, None);
        let (start, end) = (sub.period_start, sub.period_end);
        let ents = Entitlements {
            subscription: Some(sub),
            computed_at: end - 10,
        };
        assert!(ents.is_fresh(end - 1));
        assert!(!ents.is_fresh(end), "period over");
        let early = Entitlements {
            computed_at: start - 10,
            ..ents
        };
        assert!(!early.is_fresh(start - 1), "period not started");
    }

    #[test]
    fn refusals_are_in_the_customer_language() {
        let inactive = Denial::Inactive {
            status: Status::Expired,
        };
        let full = Denial::LimitReached {
            limit: 30,
            used: 30,
            requested: 1,
        };
        let too_many = Denial::LimitReached {
            limit: 30,
            used: 28,
            requested: 3,
        };
        let cases = [
            (&inactive, Language::Spanish, "Tu cuenta no tiene una suscripción activa, así que no anoté este mensaje. Pide a quien administra tu cuenta que la renueve y vuelve a escribirme."),
            (&inactive, Language::English, "Your account has no active subscription, so I didn't record this message. Ask your account's admin to renew it, then write again."),
            (&Denial::PeriodEnded, Language::Spanish, "Tu cuenta no tiene una suscripción activa, así que no anoté este mensaje. Pide a quien administra tu cuenta que la renueve y vuelve a escribirme."),
            (&full, Language::Spanish, "Llegaste al límite de 30 gastos de este mes en tu plan, así que no anoté este mensaje. El límite se renueva el próximo mes, y puedes seguir respondiendo sobre los gastos pendientes."),
            (&full, Language::English, "You've reached your plan's limit of 30 expenses this month, so I didn't record this message. The limit renews next month, and you can still answer about pending expenses."),
            (&too_many, Language::Spanish, "Tu plan permite 30 gastos al mes y te quedan 2, pero este mensaje trae 3. No lo anoté: envía menos gastos a la vez."),
            (&too_many, Language::English, "Your plan allows 30 expenses a month and you have 2 left, but this message has 3. I didn't record it: send fewer expenses at a time."),
        ];
        for (denial, language, expected) in cases {
            assert_eq!(
                refusal_text(denial, language),
                expected,
                "{denial:?} {language:?}"
            );
        }
    }

    #[test]
    fn limit_warnings_count_what_is_left() {
        let near = |remaining| Warning::LimitNear {
            limit: 10,
            remaining,
        };
        let cases = [
            (
                near(2),
                Language::Spanish,
                "Te quedan 2 de los 10 gastos de este mes en tu plan.",
            ),
            (
                near(1),
                Language::Spanish,
                "Te queda 1 de los 10 gastos de este mes en tu plan.",
            ),
            (
                near(0),
                Language::Spanish,
                "Con esto llegaste al límite de 10 gastos de este mes en tu plan.",
            ),
            (
                near(2),
                Language::English,
                "You have 2 of your plan's 10 expenses left this month.",
            ),
            (
                near(0),
                Language::English,
                "With this you've reached your plan's limit of 10 expenses this month.",
            ),
        ];
        for (warning, language, expected) in cases {
            assert_eq!(
                warning_text(&warning, language).as_deref(),
                Some(expected),
                "{warning:?} {language:?}"
            );
        }
        let permissive = Warning::Permissive(Denial::NoSubscription);
        assert_eq!(warning_text(&permissive, Language::Spanish), None);
    }

    #[test]
    fn entitlements_round_trip_through_json() {
        let ents = entitlements(Some(subscription(Status::PastDue, Some(5))));
        let json = serde_json::to_string(&ents).expect("serialise");
        assert!(json.contains("\"past_due\""), "{json}");
        let back: Entitlements = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, ents);
    }

    #[test]
    fn month_bounds_follow_the_customer_time_zone() {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .expect("timestamp")
                .with_timezone(&Utc)
        };
        let cases = [
            // 02:00 UTC on 1 December is still 30 November in Santiago (UTC-3).
            (
                "2026-12-01T02:00:00Z",
                "America/Santiago",
                "2026-11-01T03:00:00.000Z",
                "2026-12-01T03:00:00.000Z",
            ),
            (
                "2026-12-01T03:00:00Z",
                "America/Santiago",
                "2026-12-01T03:00:00.000Z",
                "2027-01-01T03:00:00.000Z",
            ),
            // Chile's clocks go forward at 24:00 on the first Saturday of
            // September, so 6 September 2026 starts at 01:00 local time; the
            // month starts on 1 September, before the change, at UTC-4.
            (
                "2026-09-15T12:00:00Z",
                "America/Santiago",
                "2026-09-01T04:00:00.000Z",
                "2026-10-01T03:00:00.000Z",
            ),
            (
                "2026-12-31T23:30:00Z",
                "Not/AZone",
                "2026-12-01T00:00:00.000Z",
                "2027-01-01T00:00:00.000Z",
            ),
            (
                "2026-02-10T00:00:00Z",
                "America/New_York",
                "2026-02-01T05:00:00.000Z",
                "2026-03-01T05:00:00.000Z",
            ),
        ];
        for (now, zone, start, end) in cases {
            let (from, to) = month_bounds(at(now), zone);
            assert_eq!(sql_timestamp(from), start, "start of {now} in {zone}");
            assert_eq!(sql_timestamp(to), end, "end of {now} in {zone}");
        }
    }

    #[test]
    fn day_in_a_dst_gap_starts_at_the_first_local_time() {
        // In 2024 Chile moved its clocks from 24:00 on 7 September to 01:00
        // on 8 September (UTC-4 to UTC-3).
        let zone: chrono_tz::Tz = "America/Santiago".parse().expect("zone");
        let day = NaiveDate::from_ymd_opt(2024, 9, 8).expect("date");
        assert_eq!(
            sql_timestamp(start_of_day(day, &zone)),
            "2024-09-08T04:00:00.000Z"
        );
    }
}
