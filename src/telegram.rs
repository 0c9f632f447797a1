//! Operator notifications through the Telegram Bot API.
//!
//! `POST {TELEGRAM_API_BASE_URL}/bot<token>/sendMessage` with MarkdownV2 text.
//! Owns escaping and splitting (Telegram takes at most 4096 characters per
//! message, counted after entities are parsed) and reading a 429's
//! `retry_after`. Which kinds of notice go out is [`NotifySet`], read from
//! `TELEGRAM_NOTIFY`; what a notice says is decided by the caller.

use serde_json::{json, Value};

use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse};
use crate::retry::{self, Clock, Decision, RetryNote, RetryPolicy};

/// Retries of one chunk of a notice: flood control (429, after its
/// `retry_after`), 5xx and answers that never came.
pub const NOTICE_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    budget_ms: 10_000,
    attempt_timeout_ms: 5_000,
    first_backoff_ms: 1_000,
    max_backoff_ms: 2_000,
};

/// A kind of operator notice, as named in `TELEGRAM_NOTIFY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// An expense stored with its category.
    Completed,
    /// An expense stored without a category; the user was asked.
    Pending,
    /// An error reported at error level (storage failures, lost replies).
    Errors,
    /// A new sender or customer.
    Customers,
    /// A customer refused by the subscription policy.
    Policy,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::Completed,
        NoticeKind::Pending,
        NoticeKind::Errors,
        NoticeKind::Customers,
        NoticeKind::Policy,
    ];

    /// The name used in `TELEGRAM_NOTIFY`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Completed => "completed",
            NoticeKind::Pending => "pending",
            NoticeKind::Errors => "errors",
            NoticeKind::Customers => "customers",
            NoticeKind::Policy => "policy",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The kinds of notice that are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifySet {
    bits: u8,
}

impl NotifySet {
    pub const ALL: NotifySet = NotifySet { bits: 0b1_1111 };
    pub const NONE: NotifySet = NotifySet { bits: 0 };

    /// Reads `TELEGRAM_NOTIFY`: kind names separated by commas (`completed,
    /// pending,errors,customers,policy`), `all` or `none`. Unset means all.
    /// Returns the set and the names it did not know, which are ignored.
    pub fn parse(value: Option<&str>) -> (NotifySet, Vec<String>) {
        let Some(value) = value else {
            return (NotifySet::ALL, Vec::new());
        };
        let mut set = NotifySet::NONE;
        let mut unknown = Vec::new();
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let name = name.to_ascii_lowercase();
            match name.as_str() {
                "all" => set = NotifySet::ALL,
                "none" => {}
                _ => match NoticeKind::ALL.iter().find(|kind| kind.as_str() == name) {
                    Some(kind) => set.bits |= kind.bit(),
                    None => unknown.push(name),
                },
            }
        }
        (set, unknown)
    }

    pub fn contains(self, kind: NoticeKind) -> bool {
        self.bits & kind.bit() != 0
    }
}

/// Telegram's limit on one message's text.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// Where and how to reach the operators' chat.
#[derive(Debug, Clone)]
pub struct TelegramClient {
    pub base_url: String,
    pub token: String,
    pub chat_id: String,
}

/// Telegram's answer to one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramOutcome {
    Sent,
    /// Flood control: wait this many seconds before repeating the request.
    RetryAfter(u32),
    Rejected {
        status: u16,
        description: String,
    },
    Unreachable(HttpError),
}

/// Escapes text for MarkdownV2 outside code and link entities: every one of
/// `_*[]()~`>#+-=|{}.!` and `\` gets a leading backslash.
pub fn escape_markdown_v2(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 4);
    for character in text.chars() {
        if "_*[]()~`>#+-=|{}.!\\".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// Splits MarkdownV2 text into chunks Telegram accepts, preferring line
/// breaks and never cutting an escape sequence in two. The limit counts
/// characters after parsing, so an escaping backslash does not count.
pub fn split_message(text: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut visible = 0;
    let mut last_newline: Option<(usize, usize)> = None;
    let mut characters = text.chars().peekable();

    while let Some(character) = characters.next() {
        let mut unit = String::from(character);
        if character == '\\' {
            if let Some(next) = characters.next() {
                unit.push(next);
            }
        }
        if visible == MAX_MESSAGE_CHARS {
            match last_newline {
                Some((byte, count)) if count > 0 => {
                    let rest = current.split_off(byte);
                    chunks.push(std::mem::take(&mut current));
                    current = rest;
                    visible -= count;
                }
                _ => {
                    chunks.push(std::mem::take(&mut current));
                    visible = 0;
                }
            }
            last_newline = None;
        }
        current.push_str(&unit);
        visible += 1;
        if character == '\n' {
            last_newline = Some((current.len(), visible));
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

impl TelegramClient {
    /// Builds the sendMessage request for one chunk of MarkdownV2 text.
    pub fn send_request(&self, markdown: &str) -> HttpRequest {
        let url = format!(
            "{}/bot{}/sendMessage",
            self.base_url.trim_end_matches('/'),
            self.token
        );
        let body = json!({
            "chat_id": self.chat_id,
            "text": markdown,
            "parse_mode": "MarkdownV2",
            "link_preview_options": { "is_disabled": true },
        });
        HttpRequest::post_json(url, &body)
    }

    /// Sends MarkdownV2 text, split as needed, within `budget_ms` for all
    /// chunks. Flood control's `retry_after` is waited for when it fits the
    /// time left; otherwise [`TelegramOutcome::RetryAfter`] is returned for the
    /// caller to log, and the chunks after it are not sent.
    pub async fn send(
        &self,
        http: &impl HttpClient,
        clock: &impl Clock,
        markdown: &str,
        budget_ms: u64,
        mut on_retry: impl FnMut(&RetryNote<'_>),
    ) -> TelegramOutcome {
        let deadline = clock.now_ms().saturating_add(budget_ms);
        for chunk in split_message(markdown) {
            let remaining_ms = deadline.saturating_sub(clock.now_ms());
            let policy = NOTICE_RETRY.within(remaining_ms);
            let request = self.send_request(&chunk);
            let retried = retry::send_with_retry(
                http,
                clock,
                &policy,
                &request,
                retry_decision,
                &mut on_retry,
            )
            .await;
            let outcome = match &retried.last {
                Ok(response) => read_outcome(response),
                Err(error) => TelegramOutcome::Unreachable(error.clone()),
            };
            if outcome != TelegramOutcome::Sent {
                return outcome;
            }
        }
        TelegramOutcome::Sent
    }
}

/// Decides whether a sendMessage is tried again: flood control after its
/// `retry_after`, 5xx and answers that never came. Other errors are final.
pub fn retry_decision(result: &Result<HttpResponse, HttpError>) -> Decision {
    let response = match result {
        Ok(response) => response,
        Err(_) => return Decision::Retry { after_ms: None },
    };
    match read_outcome(response) {
        TelegramOutcome::RetryAfter(seconds) => Decision::Retry {
            after_ms: Some(u64::from(seconds).saturating_mul(1000)),
        },
        TelegramOutcome::Rejected { status, .. } if status >= 500 => {
            Decision::Retry { after_ms: None }
        }
        _ => Decision::Done,
    }
}

/// Reads Telegram's `{"ok": …}` envelope.
pub fn read_outcome(response: &HttpResponse) -> TelegramOutcome {
    let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    if response.is_success() && body["ok"].as_bool() != Some(false) {
        return TelegramOutcome::Sent;
    }
    if response.status == 429 {
        let seconds = body["parameters"]["retry_after"]
            .as_u64()
            .or_else(|| {
                response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(1);
        return TelegramOutcome::RetryAfter(u32::try_from(seconds).unwrap_or(u32::MAX));
    }
    TelegramOutcome::Rejected {
        status: response.status,
        description: body["description"].as_str().unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_reserved_character() {
        assert_eq!(
            escape_markdown_v2("a_b*c[d]e(f)g~h`i>j#k+l-m=n|o{p}q.r!s\\t"),
            "a\\_b\\*c\\[d\\]e\\(f\\)g\\~h\\`i\\>j\\#k\\+l\\-m\\=n\\|o\\{p\\}q\\.r\\!s\\\\t"
        );
        assert_eq!(
            escape_markdown_v2("CLP 12.500 (comida)"),
            "CLP 12\\.500 \\(comida\\)"
        );
        assert_eq!(escape_markdown_v2("café ñandú"), "café ñandú");
    }

    #[test]
    fn short_text_is_one_chunk() {
        assert_eq!(split_message("hola"), vec!["hola".to_owned()]);
    }

    #[test]
    fn long_text_splits_at_line_breaks() {
        let line = format!("{}\n", "x".repeat(99));
        let text = line.repeat(100);
        let chunks = split_message(&text);
        assert_eq!(chunks.len(), 3);
        assert!(chunks
            .iter()
            .all(|c| c.chars().count() <= MAX_MESSAGE_CHARS));
        assert!(chunks[..2].iter().all(|c| c.ends_with('\n')));
        assert_eq!(chunks.concat(), text);
    }

    #[test]
    fn escapes_do_not_count_and_are_never_cut() {
        let text = escape_markdown_v2(&".".repeat(5000));
        let chunks = split_message(&text);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].len(), MAX_MESSAGE_CHARS * 2);
        assert!(chunks.iter().all(|c| c.starts_with('\\')));
        assert_eq!(chunks.concat(), text);
    }

    #[test]
    fn reads_retry_after_from_body() {
        let response = HttpResponse {
            status: 429,
            headers: vec![],
            body: r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#.into(),
        };
        assert_eq!(read_outcome(&response), TelegramOutcome::RetryAfter(3));
    }

    mod sending {
        use super::*;
        use crate::retry::fake::{block_on, status, Answer, FakeHttp};

        const FLOOD: &str = r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#;
        const OK: &str = r#"{"ok":true,"result":{"message_id":1}}"#;

        fn client() -> TelegramClient {
            TelegramClient {
                base_url: "http://127.0.0.1:9".into(),
                token: "123:abc".into(),
                chat_id: "-100".into(),
            }
        }

        fn send(http: &FakeHttp, text: &str, budget_ms: u64) -> TelegramOutcome {
            block_on(client().send(http, http, text, budget_ms, |_| {}))
        }

        #[test]
        fn flood_control_within_budget_waits_and_resends() {
            let http = FakeHttp::new([status(429, FLOOD), status(200, OK)]);
            assert_eq!(send(&http, "hola", 10_000), TelegramOutcome::Sent);
            assert_eq!(*http.sleeps.borrow(), vec![3_000]);
            assert_eq!(http.requests.borrow().len(), 2);
        }

        #[test]
        fn flood_control_over_budget_is_returned_unsent() {
            let http = FakeHttp::new([status(429, FLOOD), status(200, OK)]);
            assert_eq!(send(&http, "hola", 2_000), TelegramOutcome::RetryAfter(3));
            assert!(http.sleeps.borrow().is_empty());
            assert_eq!(http.requests.borrow().len(), 1);
        }

        #[test]
        fn long_notice_is_sent_in_chunks() {
            let http = FakeHttp::new([]);
            let text = format!("{}\n", "x".repeat(99)).repeat(100);
            assert_eq!(send(&http, &text, 10_000), TelegramOutcome::Sent);
            assert_eq!(http.requests.borrow().len(), 3);
        }

        #[test]
        fn bad_request_is_not_retried() {
            let body = r#"{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"}"#;
            let http = FakeHttp::new([status(400, body)]);
            let outcome = send(&http, "a.b", 10_000);
            assert_eq!(
                outcome,
                TelegramOutcome::Rejected {
                    status: 400,
                    description: "Bad Request: can't parse entities".into()
                }
            );
            assert_eq!(http.requests.borrow().len(), 1);
        }

        #[test]
        fn unreachable_is_retried_then_returned() {
            let http = FakeHttp::new([Answer::Hang, Answer::Hang, Answer::Hang]);
            let outcome = send(&http, "hola", 20_000);
            // 5000 ms, a 1000 ms wait, then the 4000 ms left of NOTICE_RETRY's 10 s.
            assert_eq!(
                outcome,
                TelegramOutcome::Unreachable(HttpError::Timeout(4_000))
            );
            assert_eq!(http.requests.borrow().len(), 2);
        }
    }

    #[test]
    fn notify_set_reads_kinds_all_and_none() {
        let (all, unknown) = NotifySet::parse(None);
        assert_eq!(all, NotifySet::ALL);
        assert!(unknown.is_empty());
        for kind in NoticeKind::ALL {
            assert!(all.contains(kind), "{}", kind.as_str());
        }

        let (set, unknown) = NotifySet::parse(Some(" Completed, errors ,bogus"));
        assert!(set.contains(NoticeKind::Completed));
        assert!(set.contains(NoticeKind::Errors));
        assert!(!set.contains(NoticeKind::Pending));
        assert!(!set.contains(NoticeKind::Customers));
        assert!(!set.contains(NoticeKind::Policy));
        assert_eq!(unknown, vec!["bogus".to_owned()]);

        assert_eq!(NotifySet::parse(Some("none")).0, NotifySet::NONE);
        assert_eq!(NotifySet::parse(Some("all")).0, NotifySet::ALL);
    }

    #[test]
    fn request_names_bot_and_chat() {
        let client = TelegramClient {
            base_url: "http://127.0.0.1:9/".into(),
            token: "123:abc".into(),
            chat_id: "-100".into(),
        };
        let request = client.send_request("hola");
        assert_eq!(request.url, "http://127.0.0.1:9/bot123:abc/sendMessage");
        let body: Value =
            serde_json::from_str(request.body.as_deref().unwrap_or("")).expect("json");
        assert_eq!(body["chat_id"], "-100");
        assert_eq!(body["parse_mode"], "MarkdownV2");
    }
}
