//! Sending WhatsApp messages through Kapso's Meta-compatible API.
//!
//! `POST {KAPSO_API_BASE_URL}/{phone_number_id}/messages` with `X-API-Key`.
//! Builds the request bodies (text, reply buttons, lists, read receipts) and
//! sends them through [`HttpClient`]. WhatsApp's limits are enforced here so
//! that no caller can send a message Meta would reject: at most 3 reply
//! buttons with titles of 20 characters, at most 10 list rows with titles of
//! 24.

use serde_json::{json, Value};

use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse};
use crate::retry::{self, Clock, Decision, RetryNote, RetryPolicy, Stop};

/// Maximum reply buttons in one message.
pub const MAX_BUTTONS: usize = 3;
/// Maximum characters of a reply button title.
pub const MAX_BUTTON_TITLE: usize = 20;
/// Maximum rows across all sections of a list message.
pub const MAX_LIST_ROWS: usize = 10;
/// Maximum characters of a list row title.
pub const MAX_ROW_TITLE: usize = 24;
const MAX_ROW_DESCRIPTION: usize = 72;
const MAX_BODY: usize = 1024;
const MAX_TEXT: usize = 4096;

/// A message to send to a WhatsApp user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Text(String),
    /// Reply buttons: `(id, title)` pairs.
    Buttons {
        body: String,
        buttons: Vec<(String, String)>,
    },
    /// A list: the label of the button that opens it, and `(id, title,
    /// description)` rows.
    List {
        body: String,
        label: String,
        rows: Vec<(String, String, String)>,
    },
    /// An approved template, the only message WhatsApp delivers outside the
    /// 24-hour window: its name, language code (`es`, `en_US`) and the
    /// values of its body variables, in order.
    Template {
        name: String,
        language: String,
        parameters: Vec<String>,
    },
}

impl Outbound {
    /// The plain text of the message (a template's name), for logs at debug
    /// level and tests.
    pub fn text(&self) -> &str {
        match self {
            Outbound::Text(text) => text,
            Outbound::Buttons { body, .. } | Outbound::List { body, .. } => body,
            Outbound::Template { name, .. } => name,
        }
    }
}

/// Kapso's answer to a send, reduced to what the caller acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted, with the new message's wamid when Kapso returned one.
    Sent { message_id: Option<String> },
    /// Error 131047: the user's 24-hour window is closed; only a template can
    /// be sent now. Not retried.
    WindowClosed,
    /// Any other rejection, with the HTTP status and Meta's error code.
    Rejected { status: u16, code: Option<i64> },
    /// No answer: a timeout or a network failure.
    Unreachable(HttpError),
}

/// Retries of one reply, inside `ctx.wait_until`. Four attempts within 15 s
/// leave room for a second reply and the Telegram notices before Cloudflare
/// cancels `wait_until` work, 30 s after the response.
pub const REPLY_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    budget_ms: 15_000,
    attempt_timeout_ms: 6_000,
    first_backoff_ms: 500,
    max_backoff_ms: 4_000,
};

/// Meta error codes for throttling, which a later attempt can pass: the
/// codes the Kapso TypeScript SDK retries (`src/errors/retry.ts`).
const THROTTLING_CODES: [i64; 5] = [4, 80_007, 130_429, 131_048, 131_056];

/// A reply's outcome after its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReport {
    /// The outcome of the last attempt.
    pub outcome: SendOutcome,
    pub attempts: u32,
    pub stop: Stop,
}

/// Longest `biz_opaque_callback_data` the Cloud API accepts, in characters
/// (raised from 256 to 512 in Meta's WhatsApp Business Platform changelog).
const MAX_CALLBACK_DATA: usize = 512;

/// Who a message goes to, from which business number, and which inbound
/// message it answers.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    pub phone_number_id: &'a str,
    pub to: &'a str,
    /// The id of the message being answered, sent as
    /// `biz_opaque_callback_data`. The Cloud API echoes it in the status
    /// webhooks of the reply, so a failed delivery names the message it
    /// answered. `None` for messages that answer nothing.
    pub in_reply_to: Option<&'a str>,
}

/// Where and how to reach Kapso.
#[derive(Debug, Clone)]
pub struct KapsoClient {
    pub base_url: String,
    pub api_key: String,
}

impl KapsoClient {
    /// Builds the request that sends `message` to `addressee`.
    pub fn message_request(&self, addressee: &Addressee<'_>, message: &Outbound) -> HttpRequest {
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": addressee.to,
        });
        let callback_data = addressee
            .in_reply_to
            .filter(|id| id.chars().count() <= MAX_CALLBACK_DATA);
        if let Some(id) = callback_data {
            body["biz_opaque_callback_data"] = json!(id);
        }
        let extra = message_body(message);
        if let (Some(target), Value::Object(fields)) = (body.as_object_mut(), extra) {
            target.extend(fields);
        }
        self.post(addressee.phone_number_id, &body)
    }

    /// Builds the request that marks an inbound message as read.
    pub fn mark_read_request(&self, phone_number_id: &str, message_id: &str) -> HttpRequest {
        let body = json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
        });
        self.post(phone_number_id, &body)
    }

    fn post(&self, phone_number_id: &str, body: &Value) -> HttpRequest {
        let url = format!(
            "{}/{}/messages",
            self.base_url.trim_end_matches('/'),
            phone_number_id
        );
        HttpRequest::post_json(url, body).with_header("x-api-key", &self.api_key)
    }

    /// Sends `message` once and reads Kapso's answer.
    pub async fn send(
        &self,
        http: &impl HttpClient,
        addressee: &Addressee<'_>,
        message: &Outbound,
    ) -> SendOutcome {
        let request = self.message_request(addressee, message);
        match http.send(request).await {
            Ok(response) => read_outcome(&response),
            Err(error) => SendOutcome::Unreachable(error),
        }
    }
}

/// Decides whether a send is tried again: 429 (after `Retry-After`), 409
/// (another message to this user is in flight), throttling codes, 5xx and
/// answers that never came. A timed-out send may have been delivered, so its
/// retry can show the reply twice; that is preferred to losing it, because a
/// user without an answer sends the expense again. 131047 and every other
/// rejection are final.
pub fn retry_decision(result: &Result<HttpResponse, HttpError>) -> Decision {
    let response = match result {
        Ok(response) if response.is_success() => return Decision::Done,
        Ok(response) => response,
        Err(_) => return Decision::Retry { after_ms: None },
    };
    let code = match read_outcome(response) {
        SendOutcome::Rejected { code, .. } => code,
        _ => return Decision::Done,
    };
    let throttled = code.is_some_and(|code| THROTTLING_CODES.contains(&code));
    match response.status {
        429 => Decision::Retry {
            after_ms: retry::retry_after_ms(response),
        },
        409 | 500..=599 => Decision::Retry { after_ms: None },
        _ if throttled => Decision::Retry {
            after_ms: retry::retry_after_ms(response),
        },
        _ => Decision::Done,
    }
}

impl KapsoClient {
    /// Sends `message`, retrying within `policy` as [`retry_decision`] says.
    /// `on_retry` is called before each wait, for the caller's log.
    pub async fn send_with_retry(
        &self,
        http: &impl HttpClient,
        clock: &impl Clock,
        policy: &RetryPolicy,
        addressee: &Addressee<'_>,
        message: &Outbound,
        on_retry: impl FnMut(&RetryNote<'_>),
    ) -> SendReport {
        let request = self.message_request(addressee, message);
        let retried =
            retry::send_with_retry(http, clock, policy, &request, retry_decision, on_retry).await;
        let outcome = match &retried.last {
            Ok(response) => read_outcome(response),
            Err(error) => SendOutcome::Unreachable(error.clone()),
        };
        SendReport {
            outcome,
            attempts: retried.attempts,
            stop: retried.stop,
        }
    }
}

/// Reads a send response: a success with its wamid, or the Meta error code.
pub fn read_outcome(response: &HttpResponse) -> SendOutcome {
    let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    if response.is_success() {
        let message_id = body["messages"][0]["id"].as_str().map(str::to_owned);
        return SendOutcome::Sent { message_id };
    }
    let code = body["error"]["code"].as_i64();
    if code == Some(131_047) {
        return SendOutcome::WindowClosed;
    }
    SendOutcome::Rejected {
        status: response.status,
        code,
    }
}

fn message_body(message: &Outbound) -> Value {
    match message {
        Outbound::Text(text) => json!({
            "type": "text",
            "text": { "body": truncate(text, MAX_TEXT), "preview_url": false },
        }),
        Outbound::Buttons { body, buttons } => {
            let buttons: Vec<Value> = buttons
                .iter()
                .take(MAX_BUTTONS)
                .map(|(id, title)| {
                    json!({"type": "reply", "reply": {"id": id, "title": truncate(title, MAX_BUTTON_TITLE)}})
                })
                .collect();
            json!({
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": { "text": truncate(body, MAX_BODY) },
                    "action": { "buttons": buttons },
                },
            })
        }
        Outbound::Template {
            name,
            language,
            parameters,
        } => {
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !parameters.is_empty() {
                let parameters: Vec<Value> = parameters
                    .iter()
                    .map(|text| json!({ "type": "text", "text": text }))
                    .collect();
                template["components"] = json!([{ "type": "body", "parameters": parameters }]);
            }
            json!({ "type": "template", "template": template })
        }
        Outbound::List { body, label, rows } => {
            let rows: Vec<Value> = rows
                .iter()
                .take(MAX_LIST_ROWS)
                .map(|(id, title, description)| {
                    let mut row = json!({"id": id, "title": truncate(title, MAX_ROW_TITLE)});
                    if !description.is_empty() {
                        row["description"] = json!(truncate(description, MAX_ROW_DESCRIPTION));
                    }
                    row
                })
                .collect();
            json!({
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "body": { "text": truncate(body, MAX_BODY) },
                    "action": {
                        "button": truncate(label, MAX_BUTTON_TITLE),
                        "sections": [{ "title": truncate(label, MAX_ROW_TITLE), "rows": rows }],
                    },
                },
            })
        }
    }
}

/// Cuts `text` to at most `max` characters, ending with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> KapsoClient {
        KapsoClient {
            base_url: "http://127.0.0.1:9/meta/whatsapp/v24.0/".into(),
            api_key: "k".into(),
        }
    }

    fn to<'a>(phone_number_id: &'a str, to: &'a str) -> Addressee<'a> {
        Addressee {
            phone_number_id,
            to,
            in_reply_to: None,
        }
    }

    fn body_of(request: &HttpRequest) -> Value {
        serde_json::from_str(request.body.as_deref().unwrap_or_default()).expect("json body")
    }

    #[test]
    fn text_request_targets_number_with_api_key() {
        let request =
            client().message_request(&to("123", "56912345678"), &Outbound::Text("hola".into()));
        assert_eq!(
            request.url,
            "http://127.0.0.1:9/meta/whatsapp/v24.0/123/messages"
        );
        assert!(request.headers.contains(&("x-api-key".into(), "k".into())));
        let body = body_of(&request);
        assert_eq!(body["to"], "56912345678");
        assert_eq!(body["type"], "text");
        assert_eq!(body["text"]["body"], "hola");
        assert_eq!(body["messaging_product"], "whatsapp");
    }

    #[test]
    fn template_request_carries_name_language_and_variables() {
        let message = Outbound::Template {
            name: "payment_notice".into(),
            language: "es".into(),
            parameters: vec!["arriendo".into(), "CLP 450.000".into()],
        };
        let body = body_of(&client().message_request(&to("1", "2"), &message));
        assert_eq!(body["type"], "template");
        assert_eq!(body["template"]["name"], "payment_notice");
        assert_eq!(body["template"]["language"]["code"], "es");
        let parameters = &body["template"]["components"][0]["parameters"];
        assert_eq!(body["template"]["components"][0]["type"], "body");
        assert_eq!(parameters[0]["type"], "text");
        assert_eq!(parameters[0]["text"], "arriendo");
        assert_eq!(parameters[1]["text"], "CLP 450.000");

        let bare = Outbound::Template {
            name: "daily_nudge".into(),
            language: "en".into(),
            parameters: Vec::new(),
        };
        let body = body_of(&client().message_request(&to("1", "2"), &bare));
        assert!(body["template"].get("components").is_none(), "{body}");
    }

    #[test]
    fn reply_carries_the_answered_message_id() {
        let long = "w".repeat(MAX_CALLBACK_DATA + 1);
        let cases = [
            (Some("wamid.in"), Some("wamid.in")),
            (None, None),
            (Some(long.as_str()), None),
        ];
        for (in_reply_to, expected) in cases {
            let addressee = Addressee {
                in_reply_to,
                ..to("1", "2")
            };
            let body = body_of(&client().message_request(&addressee, &Outbound::Text("ok".into())));
            assert_eq!(
                body["biz_opaque_callback_data"].as_str(),
                expected,
                "{in_reply_to:?}"
            );
        }
    }

    #[test]
    fn buttons_are_capped_at_whatsapp_limits() {
        let buttons = (0..5)
            .map(|i| (format!("id{i}"), format!("a very long category name {i}")))
            .collect();
        let message = Outbound::Buttons {
            body: "¿Categoría?".into(),
            buttons,
        };
        let body = body_of(&client().message_request(&to("1", "2"), &message));
        let sent = body["interactive"]["action"]["buttons"]
            .as_array()
            .expect("buttons");
        assert_eq!(sent.len(), MAX_BUTTONS);
        for button in sent {
            let title = button["reply"]["title"].as_str().expect("title");
            assert!(title.chars().count() <= MAX_BUTTON_TITLE, "{title}");
        }
        assert_eq!(sent[0]["reply"]["id"], "id0");
    }

    #[test]
    fn list_rows_are_capped_at_whatsapp_limits() {
        let rows = (0..12)
            .map(|i| {
                (
                    format!("r{i}"),
                    format!("row title that is too long {i}"),
                    String::new(),
                )
            })
            .collect();
        let message = Outbound::List {
            body: "Elige".into(),
            label: "Categorías".into(),
            rows,
        };
        let body = body_of(&client().message_request(&to("1", "2"), &message));
        let sent = body["interactive"]["action"]["sections"][0]["rows"]
            .as_array()
            .expect("rows");
        assert_eq!(sent.len(), MAX_LIST_ROWS);
        assert!(sent
            .iter()
            .all(|row| row["title"].as_str().unwrap_or("").chars().count() <= 24));
        assert!(sent.iter().all(|row| row.get("description").is_none()));
    }

    #[test]
    fn outcome_reads_wamid_and_window_closed() {
        let ok = HttpResponse {
            status: 200,
            headers: vec![],
            body: r#"{"messages":[{"id":"wamid.out"}]}"#.into(),
        };
        assert_eq!(
            read_outcome(&ok),
            SendOutcome::Sent {
                message_id: Some("wamid.out".into())
            }
        );
        let closed = HttpResponse {
            status: 400,
            headers: vec![],
            body: r#"{"error":{"code":131047,"message":"(#131047) Re-engagement message"}}"#.into(),
        };
        assert_eq!(read_outcome(&closed), SendOutcome::WindowClosed);
        let busy = HttpResponse {
            status: 409,
            headers: vec![],
            body: "in flight".into(),
        };
        assert_eq!(
            read_outcome(&busy),
            SendOutcome::Rejected {
                status: 409,
                code: None
            }
        );
    }

    mod retries {
        use super::*;
        use crate::retry::fake::{block_on, response, status, Answer, FakeHttp};

        const SENT: &str = r#"{"messages":[{"id":"wamid.out"}]}"#;
        const WINDOW_CLOSED: &str =
            r#"{"error":{"code":131047,"message":"(#131047) Re-engagement message"}}"#;

        fn send(http: &FakeHttp, policy: &RetryPolicy) -> (SendReport, Vec<u64>) {
            let mut waits = Vec::new();
            let report = block_on(client().send_with_retry(
                http,
                http,
                policy,
                &to("123", "56912345678"),
                &Outbound::Text("hola".into()),
                |note| waits.push(note.wait_ms),
            ));
            (report, waits)
        }

        fn sent() -> SendOutcome {
            SendOutcome::Sent {
                message_id: Some("wamid.out".into()),
            }
        }

        #[test]
        fn too_many_requests_waits_for_retry_after() {
            let throttled = Answer::Respond(response(429, &[("retry-after", "2")], ""), 10);
            let http = FakeHttp::new([throttled, status(200, SENT)]);
            let (report, waits) = send(&http, &REPLY_RETRY);
            assert_eq!(report.outcome, sent());
            assert_eq!(report.attempts, 2);
            assert_eq!(waits, vec![2_000]);
            assert_eq!(*http.sleeps.borrow(), vec![2_000]);
        }

        #[test]
        fn message_in_flight_is_retried_after_backoff() {
            let http = FakeHttp::new([status(409, "in flight"), status(200, SENT)]);
            let (report, waits) = send(&http, &REPLY_RETRY);
            assert_eq!(report.outcome, sent());
            assert_eq!(waits, vec![REPLY_RETRY.first_backoff_ms]);
        }

        #[test]
        fn server_errors_are_retried_until_attempts_run_out() {
            let http = FakeHttp::new((0..5).map(|_| status(500, "oops")));
            let (report, waits) = send(&http, &REPLY_RETRY);
            assert_eq!(report.stop, Stop::AttemptsExhausted);
            assert_eq!(report.attempts, REPLY_RETRY.max_attempts);
            assert_eq!(
                report.outcome,
                SendOutcome::Rejected {
                    status: 500,
                    code: None
                }
            );
            assert_eq!(waits, vec![500, 1_000, 2_000]);
        }

        #[test]
        fn hang_times_out_and_is_retried() {
            let http = FakeHttp::new([Answer::Hang, status(200, SENT)]);
            let (report, _) = send(&http, &REPLY_RETRY);
            assert_eq!(report.outcome, sent());
            assert_eq!(report.attempts, 2);
            let first_timeout = http.requests.borrow()[0].timeout_ms;
            assert_eq!(first_timeout, REPLY_RETRY.attempt_timeout_ms);
        }

        #[test]
        fn window_closed_is_not_retried() {
            let http = FakeHttp::new([status(400, WINDOW_CLOSED), status(200, SENT)]);
            let (report, waits) = send(&http, &REPLY_RETRY);
            assert_eq!(report.outcome, SendOutcome::WindowClosed);
            assert_eq!(report.attempts, 1);
            assert_eq!(report.stop, Stop::Done);
            assert!(waits.is_empty());
        }

        #[test]
        fn other_client_errors_are_not_retried() {
            let body = r#"{"error":{"code":100,"message":"Invalid parameter"}}"#;
            let http = FakeHttp::new([status(400, body), status(401, "")]);
            let (report, _) = send(&http, &REPLY_RETRY);
            assert_eq!(
                report.outcome,
                SendOutcome::Rejected {
                    status: 400,
                    code: Some(100)
                }
            );
            assert_eq!(report.attempts, 1);
        }

        #[test]
        fn throttling_code_is_retried() {
            let body = r#"{"error":{"code":131056,"message":"pair rate limit"}}"#;
            let http = FakeHttp::new([status(400, body), status(200, SENT)]);
            let (report, _) = send(&http, &REPLY_RETRY);
            assert_eq!(report.outcome, sent());
            assert_eq!(report.attempts, 2);
        }

        #[test]
        fn budget_exhausted_stops_before_the_next_wait() {
            let hangs = (0..4).map(|_| Answer::Hang);
            let http = FakeHttp::new(hangs);
            let policy = REPLY_RETRY.within(8_000);
            let (report, _) = send(&http, &policy);
            assert!(
                matches!(report.stop, Stop::BudgetExhausted { .. }),
                "{:?}",
                report.stop
            );
            // 6000 ms, a 500 ms wait, then the 1500 ms left; no time for more.
            assert_eq!(report.attempts, 2);
            assert_eq!(
                report.outcome,
                SendOutcome::Unreachable(HttpError::Timeout(1_500))
            );
            let timeouts: Vec<u32> = http
                .requests
                .borrow()
                .iter()
                .map(|r| r.timeout_ms)
                .collect();
            assert_eq!(timeouts, vec![6_000, 1_500]);
        }

        #[test]
        fn retry_after_over_budget_is_not_waited_for() {
            let throttled = Answer::Respond(response(429, &[("retry-after", "60")], ""), 10);
            let http = FakeHttp::new([throttled]);
            let (report, waits) = send(&http, &REPLY_RETRY);
            assert!(waits.is_empty());
            assert!(http.sleeps.borrow().is_empty());
            assert_eq!(
                report.stop,
                Stop::BudgetExhausted {
                    wait_ms: 60_000,
                    remaining_ms: REPLY_RETRY.budget_ms - 10
                }
            );
        }
    }

    #[test]
    fn truncate_counts_characters_not_bytes() {
        assert_eq!(truncate("alimentación", 20), "alimentación");
        assert_eq!(truncate("ñññññ", 3), "ññ…");
    }
}
