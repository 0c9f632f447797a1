//! Error reports to Sentry, through its envelope endpoint.
//!
//! A DSN `{scheme}://{public_key}@{host}{/path}/{project_id}` names the
//! endpoint `POST {scheme}://{host}{/path}/api/{project_id}/envelope/`, which
//! is authenticated with the public key in `X-Sentry-Auth`. An envelope is
//! newline-separated JSON: a header, an item header, and the event
//! (<https://develop.sentry.dev/sdk/foundations/transport/envelopes/>).
//!
//! A report carries the event name, the error text, tags such as the customer
//! id and HTTP status, the release and the environment. It never carries a
//! phone number or a message text: callers pass no such fields, and
//! [`scrub`] masks long digit runs that an error text could contain. No
//! `user`, request or server fields are sent. The worker glue sends reports
//! in `ctx.wait_until`.

use serde_json::{json, Map, Value};

use crate::http::{HttpClient, HttpError, HttpRequest};

/// The name and version this client reports as `sentry_client` and `sdk`.
const CLIENT_NAME: &str = "misgastos";
/// Maximum characters of error text sent; the rest is cut.
const MAX_MESSAGE_CHARS: usize = 1_000;
/// Digit runs this long or longer are masked, because phone numbers in E.164
/// have 8 to 15 digits. Numeric ids such as Kapso's `phone_number_id` are
/// masked too.
const MIN_MASKED_DIGITS: usize = 7;

/// A parsed Sentry DSN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    scheme: String,
    public_key: String,
    /// Host with its port, if any.
    host: String,
    /// Path before the project id, without a trailing slash (usually empty).
    path: String,
    project_id: String,
}

/// The reason a DSN was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    #[error("expected `http://` or `https://` at the start of the DSN")]
    Scheme,
    #[error("expected `public_key@` before the host")]
    PublicKey,
    #[error("expected a host after `@`")]
    Host,
    #[error("expected a numeric project id at the end of the DSN, found `{0}`")]
    ProjectId(String),
}

impl Dsn {
    /// Parses `{scheme}://{public_key}[:{secret}]@{host}[/{path}]/{project_id}`.
    /// A legacy secret key is accepted and never sent.
    ///
    /// # Errors
    ///
    /// [`DsnError`] names the part that is missing or malformed.
    pub fn parse(dsn: &str) -> Result<Dsn, DsnError> {
        let dsn = dsn.trim();
        let (scheme, rest) = dsn.split_once("://").ok_or(DsnError::Scheme)?;
        if scheme != "http" && scheme != "https" {
            return Err(DsnError::Scheme);
        }
        let (credentials, location) = rest.split_once('@').ok_or(DsnError::PublicKey)?;
        let public_key = credentials.split(':').next().unwrap_or_default();
        if public_key.is_empty() {
            return Err(DsnError::PublicKey);
        }
        let location = location.trim_end_matches('/');
        let (host, path) = match location.find('/') {
            Some(slash) => location.split_at(slash),
            None => (location, ""),
        };
        if host.is_empty() {
            return Err(DsnError::Host);
        }
        let (path, project_id) = path.rsplit_once('/').unwrap_or(("", ""));
        if project_id.is_empty() || !project_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DsnError::ProjectId(project_id.to_owned()));
        }
        Ok(Dsn {
            scheme: scheme.to_owned(),
            public_key: public_key.to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
            project_id: project_id.to_owned(),
        })
    }

    /// `{scheme}://{host}{path}/api/{project_id}/envelope/`.
    pub fn envelope_url(&self) -> String {
        format!(
            "{}://{}{}/api/{}/envelope/",
            self.scheme, self.host, self.path, self.project_id
        )
    }

    /// Returns the `X-Sentry-Auth` header value, with the public key only.
    pub fn auth_header(&self) -> String {
        format!(
            "Sentry sentry_version=7, sentry_client={CLIENT_NAME}/{}, sentry_key={}",
            env!("CARGO_PKG_VERSION"),
            self.public_key
        )
    }
}

/// The Sentry project that reports go to, and the labels they carry.
#[derive(Debug, Clone)]
pub struct SentryClient {
    pub dsn: Dsn,
    /// `SENTRY_RELEASE`, or `misgastos@<version>` when it is unset.
    pub release: String,
    pub environment: String,
}

/// One error to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The log event under which the error was logged, from [`crate::events`].
    pub event: &'static str,
    /// The error text; [`scrub`]bed and cut before it is sent.
    pub message: String,
    /// Tags to filter on: `customer_id`, `message_id`, `status`, …; never a
    /// phone number or a message text.
    pub tags: Vec<(&'static str, String)>,
}

impl Report {
    pub fn new(event: &'static str, message: impl Into<String>) -> Report {
        Report {
            event,
            message: message.into(),
            tags: Vec::new(),
        }
    }

    /// Adds a tag.
    pub fn tag(mut self, name: &'static str, value: impl Into<String>) -> Report {
        self.tags.push((name, value.into()));
        self
    }
}

/// A failure to deliver a report to Sentry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SentryError {
    #[error("sentry answered {status}")]
    Rejected { status: u16 },
    #[error(transparent)]
    Unreachable(#[from] HttpError),
}

impl SentryClient {
    /// Builds the envelope of one error event. `event_id` is 32 lowercase hex
    /// digits; `timestamp` is seconds since the Unix epoch.
    pub fn envelope(&self, report: &Report, event_id: &str, timestamp: f64) -> String {
        let mut tags = Map::new();
        tags.insert("event".into(), json!(report.event));
        for (name, value) in &report.tags {
            tags.insert((*name).to_owned(), json!(scrub(value)));
        }
        let event = json!({
            "event_id": event_id,
            "timestamp": timestamp,
            "platform": "other",
            "level": "error",
            "logger": report.event,
            "release": self.release,
            "environment": self.environment,
            "message": { "formatted": scrub(&report.message) },
            "tags": Value::Object(tags),
            "sdk": { "name": CLIENT_NAME, "version": env!("CARGO_PKG_VERSION") },
        })
        .to_string();
        let header = json!({ "event_id": event_id });
        let item = json!({ "type": "event", "length": event.len() });
        format!("{header}\n{item}\n{event}\n")
    }

    /// Builds the request that posts `envelope`.
    pub fn request(&self, envelope: String) -> HttpRequest {
        HttpRequest {
            method: crate::http::Method::Post,
            url: self.dsn.envelope_url(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-sentry-envelope".into(),
                ),
                ("x-sentry-auth".into(), self.dsn.auth_header()),
            ],
            body: Some(envelope),
            timeout_ms: 5_000,
        }
    }

    /// Sends one report, with no retry. The caller logs a lost report, and
    /// the error it describes was logged already.
    ///
    /// # Errors
    ///
    /// [`SentryError`] when Sentry returns an error status (429 when it
    /// rate-limits this project) or cannot be reached.
    pub async fn send(
        &self,
        http: &impl HttpClient,
        report: &Report,
        event_id: &str,
        timestamp: f64,
    ) -> Result<(), SentryError> {
        let request = self.request(self.envelope(report, event_id, timestamp));
        let response = http.send(request).await?;
        if response.is_success() {
            Ok(())
        } else {
            Err(SentryError::Rejected {
                status: response.status,
            })
        }
    }
}

/// Generates an event id: a random UUID as 32 lowercase hex digits.
pub fn new_event_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Masks every run of `MIN_MASKED_DIGITS` (7) or more digits (with an optional
/// leading `+`) as `[number]`, replaces the wamids that encode a phone
/// number with their pseudonym ([`crate::privacy::redact_wamids`]), and cuts
/// the text to `MAX_MESSAGE_CHARS`.
pub fn scrub(text: &str) -> String {
    let text = crate::privacy::redact_wamids(text);
    let mut scrubbed = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.trim_start_matches('+').len() >= MIN_MASKED_DIGITS {
            out.push_str("[number]");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for character in text.chars().take(MAX_MESSAGE_CHARS) {
        if character.is_ascii_digit() || (character == '+' && digits.is_empty()) {
            digits.push(character);
        } else {
            flush(&mut digits, &mut scrubbed);
            scrubbed.push(character);
        }
    }
    flush(&mut digits, &mut scrubbed);
    scrubbed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::fake::{block_on, status, FakeHttp};

    fn client() -> SentryClient {
        SentryClient {
            dsn: Dsn::parse("http://public@127.0.0.1:8790/1").expect("dsn"),
            release: "misgastos@0.1.0+abc1234".into(),
            environment: "development".into(),
        }
    }

    fn lines(envelope: &str) -> Vec<Value> {
        envelope
            .lines()
            .map(|line| serde_json::from_str(line).expect("json line"))
            .collect()
    }

    #[test]
    fn dsn_names_envelope_endpoint_and_key() {
        let cases = [
            (
                "https://abc123@o42.ingest.sentry.io/4501",
                "https://o42.ingest.sentry.io/api/4501/envelope/",
                "abc123",
            ),
            (
                "http://public@127.0.0.1:8790/1",
                "http://127.0.0.1:8790/api/1/envelope/",
                "public",
            ),
            (
                "https://key:legacysecret@sentry.example.com/prefix/7/",
                "https://sentry.example.com/prefix/api/7/envelope/",
                "key",
            ),
        ];
        for (dsn, url, key) in cases {
            let parsed = Dsn::parse(dsn).unwrap_or_else(|e| panic!("`{dsn}`: {e}"));
            assert_eq!(parsed.envelope_url(), url, "DSN `{dsn}`");
            let auth = parsed.auth_header();
            assert!(auth.starts_with("Sentry sentry_version=7, "), "{auth}");
            assert!(auth.ends_with(&format!("sentry_key={key}")), "{auth}");
            assert!(!auth.contains("legacysecret"), "{auth}");
        }
    }

    #[test]
    fn malformed_dsn_names_the_missing_part() {
        let cases = [
            ("", DsnError::Scheme),
            ("ftp://k@host/1", DsnError::Scheme),
            ("https://host/1", DsnError::PublicKey),
            ("https://@host/1", DsnError::PublicKey),
            ("https://k@/1", DsnError::Host),
            ("https://k@host", DsnError::ProjectId(String::new())),
            ("https://k@host/abc", DsnError::ProjectId("abc".into())),
        ];
        for (dsn, expected) in cases {
            assert_eq!(Dsn::parse(dsn), Err(expected), "DSN `{dsn}`");
        }
    }

    #[test]
    fn envelope_is_header_item_and_event() {
        let report = Report::new("http.request_failed", "storage failed: D1_ERROR")
            .tag("status", "503")
            .tag("customer_id", "dev-customer");
        let id = "0123456789abcdef0123456789abcdef";
        let envelope = client().envelope(&report, id, 1_780_000_000.5);
        let parts = lines(&envelope);
        assert_eq!(parts.len(), 3, "{envelope}");
        assert_eq!(parts[0]["event_id"], id);
        assert_eq!(parts[1]["type"], "event");
        let event_line = envelope.lines().nth(2).unwrap_or_default();
        assert_eq!(parts[1]["length"], event_line.len());

        let event = &parts[2];
        assert_eq!(event["event_id"], id);
        assert_eq!(event["level"], "error");
        assert_eq!(event["release"], "misgastos@0.1.0+abc1234");
        assert_eq!(event["environment"], "development");
        assert_eq!(event["message"]["formatted"], "storage failed: D1_ERROR");
        assert_eq!(event["tags"]["event"], "http.request_failed");
        assert_eq!(event["tags"]["status"], "503");
        assert_eq!(event["tags"]["customer_id"], "dev-customer");
        assert_eq!(event["timestamp"], 1_780_000_000.5);
        assert!(event.get("user").is_none());
        assert!(event.get("request").is_none());
        assert!(event.get("server_name").is_none());
    }

    #[test]
    fn envelope_masks_phone_numbers() {
        let report = Report::new("kapso.reply_failed", "no route to +56912345678 today")
            .tag("detail", "56912345678");
        let envelope = client().envelope(&report, "0", 0.0);
        assert!(!envelope.contains("56912345678"), "{envelope}");
        assert!(
            envelope.contains("no route to [number] today"),
            "{envelope}"
        );
    }

    #[test]
    fn scrub_keeps_short_numbers_and_cuts_long_text() {
        let cases = [
            ("status 503 after 3 attempts", "status 503 after 3 attempts"),
            ("row 123456", "row 123456"),
            ("to 1234567", "to [number]"),
            ("a+b", "a+b"),
            ("wamid.HBgL56912345678VAgA", "wamid.HBgL[number]VAgA"),
        ];
        for (text, expected) in cases {
            assert_eq!(scrub(text), expected, "text `{text}`");
        }
        assert_eq!(scrub(&"x".repeat(5_000)).chars().count(), MAX_MESSAGE_CHARS);
    }

    #[test]
    fn scrub_replaces_wamids_that_encode_a_number() {
        // Meta's example wamid, which encodes 16505076520 in base64.
        let wamid = "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA";
        let scrubbed = scrub(&format!("reply to {wamid} failed"));
        assert!(!scrubbed.contains(wamid), "{scrubbed}");
        assert!(
            scrubbed.contains(&crate::privacy::wamid_pseudonym(wamid)),
            "{scrubbed}"
        );
    }

    #[test]
    fn send_posts_to_envelope_endpoint_with_auth() {
        let http = FakeHttp::new([status(200, r#"{"id":"x"}"#)]);
        let report = Report::new("http.request_failed", "boom");
        let sent = block_on(client().send(&http, &report, &new_event_id(), 1.0));
        assert_eq!(sent, Ok(()));
        let requests = http.requests.borrow();
        assert_eq!(requests[0].url, "http://127.0.0.1:8790/api/1/envelope/");
        assert!(requests[0]
            .headers
            .iter()
            .any(|(name, value)| name == "x-sentry-auth" && value.contains("sentry_key=public")));
    }

    #[test]
    fn rate_limited_send_is_an_error() {
        let http = FakeHttp::new([status(429, "")]);
        let report = Report::new("http.request_failed", "boom");
        let sent = block_on(client().send(&http, &report, "0", 1.0));
        assert_eq!(sent, Err(SentryError::Rejected { status: 429 }));
        assert_eq!(http.requests.borrow().len(), 1);
    }

    #[test]
    fn event_ids_are_32_hex_digits() {
        let id = new_event_id();
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert_ne!(id, new_event_id());
    }
}
