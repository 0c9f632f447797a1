//! Operator notifications through the Telegram Bot API.
//!
//! `POST {TELEGRAM_API_BASE_URL}/bot<token>/sendMessage` with MarkdownV2 text.
//! Owns escaping and splitting (Telegram takes at most 4096 characters per
//! message, counted after entities are parsed) and reading a 429's
//! `retry_after`. What to notify about is decided by the caller.

use serde_json::{json, Value};

use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse};

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

    /// Sends MarkdownV2 text, split as needed. Waits once for `retry_after`
    /// when flood control asks for no more than `max_wait_seconds`; a longer
    /// wait is returned to the caller to log.
    pub async fn send(
        &self,
        http: &impl HttpClient,
        markdown: &str,
        max_wait_seconds: u32,
    ) -> TelegramOutcome {
        for chunk in split_message(markdown) {
            let mut outcome = self.send_chunk(http, &chunk).await;
            if let TelegramOutcome::RetryAfter(seconds) = outcome {
                if seconds <= max_wait_seconds {
                    http.sleep(seconds.saturating_mul(1000)).await;
                    outcome = self.send_chunk(http, &chunk).await;
                }
            }
            if outcome != TelegramOutcome::Sent {
                return outcome;
            }
        }
        TelegramOutcome::Sent
    }

    async fn send_chunk(&self, http: &impl HttpClient, chunk: &str) -> TelegramOutcome {
        match http.send(self.send_request(chunk)).await {
            Ok(response) => read_outcome(&response),
            Err(error) => TelegramOutcome::Unreachable(error),
        }
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
