//! Retries of one outbound HTTP request within a budget of attempts and time.
//!
//! The caller decides which responses are worth another attempt (a
//! [`Decision`] per result) and how long the whole send may take
//! ([`RetryPolicy`]). This module waits between attempts, cuts each attempt's
//! timeout to the time left, and stops when either budget runs out. It is generic over [`HttpClient`] and [`Clock`], so
//! tests drive it with a fake client whose sleep only advances a fake clock.

use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse};

/// Milliseconds since the Unix epoch, or any monotonic origin.
pub trait Clock {
    fn now_ms(&self) -> u64;
}

/// [`Clock`] over the system time. On Workers, `chrono` reads JavaScript's
/// `Date.now()`, which advances only across I/O. The waits and fetches this
/// module times are I/O, so the elapsed times it measures are right.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
    }
}

/// Each attempt gets at least this long, so that a budget almost spent still
/// allows one real try instead of a request that times out at once.
pub const MIN_ATTEMPT_MS: u64 = 500;

/// Limits on one logical send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// Time for all attempts and waits, from the start of the first attempt.
    pub budget_ms: u64,
    /// Timeout of one attempt, cut to the time left in the budget.
    pub attempt_timeout_ms: u32,
    /// Wait before the second attempt when the server names none; it doubles
    /// after each retry up to `max_backoff_ms`.
    pub first_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl RetryPolicy {
    /// Returns the same policy with its time budget cut to `remaining_ms`, for a send
    /// that shares a deadline with other sends.
    pub fn within(self, remaining_ms: u64) -> RetryPolicy {
        RetryPolicy {
            budget_ms: self.budget_ms.min(remaining_ms),
            ..self
        }
    }
}

/// The caller's verdict on one attempt's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Final: a success, or a rejection that another attempt cannot fix.
    Done,
    /// Worth another attempt, after the server's wait when it named one
    /// (`Retry-After`, Telegram's `retry_after`) or after the backoff.
    Retry { after_ms: Option<u64> },
}

/// The reason the retry loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The last result was final.
    Done,
    /// The last result asked for a retry but no attempts were left.
    AttemptsExhausted,
    /// The last result asked for a retry, but waiting `wait_ms` and then
    /// trying again would not fit the time left (`remaining_ms`).
    BudgetExhausted { wait_ms: u64, remaining_ms: u64 },
}

/// One retry about to happen, for the caller's log.
#[derive(Debug)]
pub struct RetryNote<'a> {
    /// The attempt that just failed, counting from 1.
    pub attempt: u32,
    pub wait_ms: u64,
    pub result: &'a Result<HttpResponse, HttpError>,
}

/// The result of the last attempt and how the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retried {
    pub last: Result<HttpResponse, HttpError>,
    pub attempts: u32,
    pub elapsed_ms: u64,
    pub stop: Stop,
}

/// Sends `request` until `decide` calls a result final or the policy's
/// attempts or time run out. `on_retry` is called before each wait.
pub async fn send_with_retry<H, C, D, L>(
    http: &H,
    clock: &C,
    policy: &RetryPolicy,
    request: &HttpRequest,
    decide: D,
    mut on_retry: L,
) -> Retried
where
    H: HttpClient,
    C: Clock,
    D: Fn(&Result<HttpResponse, HttpError>) -> Decision,
    L: FnMut(&RetryNote<'_>),
{
    let start = clock.now_ms();
    let deadline = start.saturating_add(policy.budget_ms);
    let mut backoff_ms = policy.first_backoff_ms;
    let mut attempt = 0;

    loop {
        attempt += 1;
        let remaining_ms = deadline.saturating_sub(clock.now_ms());
        let timeout_ms = remaining_ms
            .max(MIN_ATTEMPT_MS)
            .min(u64::from(policy.attempt_timeout_ms));
        let mut this_attempt = request.clone();
        this_attempt.timeout_ms = u32::try_from(timeout_ms).unwrap_or(policy.attempt_timeout_ms);

        let result = http.send(this_attempt).await;
        let now = clock.now_ms();
        let finish = |stop| Retried {
            last: result.clone(),
            attempts: attempt,
            elapsed_ms: now.saturating_sub(start),
            stop,
        };

        let Decision::Retry { after_ms } = decide(&result) else {
            return finish(Stop::Done);
        };
        if attempt >= policy.max_attempts {
            return finish(Stop::AttemptsExhausted);
        }
        let wait_ms = after_ms.unwrap_or(backoff_ms);
        let remaining_ms = deadline.saturating_sub(now);
        if wait_ms.saturating_add(MIN_ATTEMPT_MS) > remaining_ms {
            return finish(Stop::BudgetExhausted {
                wait_ms,
                remaining_ms,
            });
        }

        on_retry(&RetryNote {
            attempt,
            wait_ms,
            result: &result,
        });
        if wait_ms > 0 {
            http.sleep(u32::try_from(wait_ms).unwrap_or(u32::MAX)).await;
        }
        backoff_ms = backoff_ms.saturating_mul(2).min(policy.max_backoff_ms);
    }
}

/// Reads a `Retry-After` header given in seconds, as milliseconds. The
/// HTTP-date form is not read; the caller's backoff applies instead.
pub fn retry_after_ms(response: &HttpResponse) -> Option<u64> {
    let seconds: u64 = response.header("retry-after")?.trim().parse().ok()?;
    Some(seconds.saturating_mul(1000))
}

#[cfg(test)]
pub(crate) mod fake {
    //! A scripted [`HttpClient`] on a fake clock, shared by the clients' tests.

    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;

    use super::Clock;
    use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse};

    /// One scripted result: a response or error after a latency in ms. A hang
    /// takes the request's whole timeout and then fails with a timeout.
    #[derive(Debug, Clone)]
    pub(crate) enum Answer {
        Respond(HttpResponse, u64),
        Fail(HttpError, u64),
        Hang,
    }

    pub(crate) fn status(status: u16, body: &str) -> Answer {
        Answer::Respond(response(status, &[], body), 10)
    }

    pub(crate) fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            body: body.to_owned(),
        }
    }

    /// Returns scripted results in order, and 200 `{}` once the script is
    /// empty. Records requests and sleeps.
    #[derive(Default)]
    pub(crate) struct FakeHttp {
        pub(crate) now: Cell<u64>,
        pub(crate) script: RefCell<VecDeque<Answer>>,
        pub(crate) requests: RefCell<Vec<HttpRequest>>,
        pub(crate) sleeps: RefCell<Vec<u32>>,
    }

    impl FakeHttp {
        pub(crate) fn new(answers: impl IntoIterator<Item = Answer>) -> FakeHttp {
            FakeHttp {
                now: Cell::new(1_000_000),
                script: RefCell::new(answers.into_iter().collect()),
                ..FakeHttp::default()
            }
        }

        fn advance(&self, milliseconds: u64) {
            self.now.set(self.now.get() + milliseconds);
        }
    }

    impl Clock for FakeHttp {
        fn now_ms(&self) -> u64 {
            self.now.get()
        }
    }

    impl HttpClient for FakeHttp {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
            let timeout = request.timeout_ms;
            self.requests.borrow_mut().push(request);
            let answer = self.script.borrow_mut().pop_front();
            match answer {
                None => {
                    self.advance(10);
                    Ok(response(200, &[], "{}"))
                }
                Some(Answer::Respond(response, latency)) => {
                    self.advance(latency);
                    Ok(response)
                }
                Some(Answer::Fail(error, latency)) => {
                    self.advance(latency);
                    Err(error)
                }
                Some(Answer::Hang) => {
                    self.advance(u64::from(timeout));
                    Err(HttpError::Timeout(timeout))
                }
            }
        }

        async fn sleep(&self, milliseconds: u32) {
            self.sleeps.borrow_mut().push(milliseconds);
            self.advance(u64::from(milliseconds));
        }
    }

    /// Polls a future once and returns its output. Futures over the fakes
    /// never wait, so a `Pending` is a bug in the test and panics.
    pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
        use std::pin::pin;
        use std::task::{Context, Poll, Waker};

        let mut context = Context::from_waker(Waker::noop());
        match pin!(future).poll(&mut context) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected a future over the fakes to finish at once"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{block_on, status, Answer, FakeHttp};
    use super::*;
    use crate::http::Method;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        budget_ms: 10_000,
        attempt_timeout_ms: 3_000,
        first_backoff_ms: 200,
        max_backoff_ms: 1_000,
    };

    fn request() -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url: "http://127.0.0.1:9/x".into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: 8_000,
        }
    }

    /// Retries every non-2xx response and every error, honouring Retry-After.
    fn retry_failures(result: &Result<HttpResponse, HttpError>) -> Decision {
        match result {
            Ok(response) if response.is_success() => Decision::Done,
            Ok(response) => Decision::Retry {
                after_ms: retry_after_ms(response),
            },
            Err(_) => Decision::Retry { after_ms: None },
        }
    }

    fn run(http: &FakeHttp, policy: &RetryPolicy) -> (Retried, Vec<u32>) {
        let mut notes = Vec::new();
        let retried = block_on(send_with_retry(
            http,
            http,
            policy,
            &request(),
            retry_failures,
            |note| notes.push(note.attempt),
        ));
        (retried, notes)
    }

    #[test]
    fn success_takes_one_attempt() {
        let http = FakeHttp::new([]);
        let (retried, notes) = run(&http, &POLICY);
        assert_eq!(retried.stop, Stop::Done);
        assert_eq!(retried.attempts, 1);
        assert!(notes.is_empty());
        assert!(http.sleeps.borrow().is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let http = FakeHttp::new([
            status(500, ""),
            status(500, ""),
            status(500, ""),
            status(500, ""),
        ]);
        let policy = RetryPolicy {
            first_backoff_ms: 400,
            max_backoff_ms: 1_000,
            ..POLICY
        };
        let (retried, notes) = run(&http, &policy);
        assert_eq!(retried.stop, Stop::AttemptsExhausted);
        assert_eq!(retried.attempts, 4);
        assert_eq!(*http.sleeps.borrow(), vec![400, 800, 1_000]);
        assert_eq!(notes, vec![1, 2, 3]);
    }

    #[test]
    fn attempt_timeout_is_cut_to_the_time_left() {
        let http = FakeHttp::new([Answer::Hang, Answer::Hang, Answer::Hang]);
        let policy = RetryPolicy {
            budget_ms: 7_100,
            ..POLICY
        };
        let (retried, _) = run(&http, &policy);
        let timeouts: Vec<u32> = http
            .requests
            .borrow()
            .iter()
            .map(|r| r.timeout_ms)
            .collect();
        // 3000 ms, a 200 ms wait, 3000 ms, a 400 ms wait, then the 500 ms left.
        assert_eq!(timeouts, vec![3_000, 3_000, 500]);
        assert_eq!(
            retried.stop,
            Stop::BudgetExhausted {
                wait_ms: 800,
                remaining_ms: 0
            }
        );
        assert_eq!(retried.elapsed_ms, 7_100);
    }

    #[test]
    fn spent_budget_still_allows_one_short_attempt() {
        let http = FakeHttp::new([Answer::Hang]);
        let (retried, _) = run(&http, &POLICY.within(0));
        assert_eq!(http.requests.borrow()[0].timeout_ms, 500);
        assert_eq!(retried.attempts, 1);
        assert!(
            matches!(retried.stop, Stop::BudgetExhausted { .. }),
            "{:?}",
            retried.stop
        );
    }

    #[test]
    fn network_error_is_retried() {
        let refused = Answer::Fail(HttpError::Network("connection refused".into()), 5);
        let http = FakeHttp::new([refused]);
        let (retried, notes) = run(&http, &POLICY);
        assert_eq!(retried.stop, Stop::Done);
        assert_eq!(retried.attempts, 2);
        assert_eq!(notes, vec![1]);
        assert!(retried.last.is_ok());
    }

    #[test]
    fn wait_longer_than_budget_stops_without_sleeping() {
        let throttled = Answer::Respond(fake::response(429, &[("Retry-After", "60")], ""), 10);
        let http = FakeHttp::new([throttled]);
        let (retried, notes) = run(&http, &POLICY);
        assert_eq!(
            retried.stop,
            Stop::BudgetExhausted {
                wait_ms: 60_000,
                remaining_ms: 9_990
            }
        );
        assert_eq!(retried.attempts, 1);
        assert!(notes.is_empty());
        assert!(http.sleeps.borrow().is_empty());
    }

    #[test]
    fn within_only_shortens_the_budget() {
        assert_eq!(POLICY.within(4_000).budget_ms, 4_000);
        assert_eq!(POLICY.within(60_000).budget_ms, POLICY.budget_ms);
        assert_eq!(POLICY.within(4_000).max_attempts, POLICY.max_attempts);
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let cases = [
            ("3", Some(3_000)),
            (" 0 ", Some(0)),
            ("Wed, 21 Oct 2026 07:28:00 GMT", None),
            ("-1", None),
        ];
        for (value, expected) in cases {
            let response = fake::response(429, &[("retry-after", value)], "");
            assert_eq!(retry_after_ms(&response), expected, "Retry-After `{value}`");
        }
        assert_eq!(retry_after_ms(&fake::response(429, &[], "")), None);
    }
}
