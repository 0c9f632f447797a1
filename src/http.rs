//! A small HTTP port so that the Kapso, Telegram and Sentry clients stay pure.
//!
//! The worker glue implements [`HttpClient`] with `worker::Fetch`; tests use
//! an in-memory fake. Requests and responses are plain data.

/// An outbound HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Give up after this many milliseconds.
    pub timeout_ms: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The first value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no response was received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("request timed out after {0} ms")]
    Timeout(u32),
    #[error("request failed: {0}")]
    Network(String),
}

/// Sends requests. Futures need not be `Send`: worker futures are not.
#[allow(async_fn_in_trait)]
pub trait HttpClient {
    /// Sends one request and waits for its response.
    ///
    /// # Errors
    ///
    /// [`HttpError`] when no response arrives: a timeout or a network failure.
    /// An error status is a response, not an error.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;

    /// Waits before a retry.
    async fn sleep(&self, milliseconds: u32);
}

impl HttpRequest {
    /// A JSON POST with the default timeout of 8 s.
    pub fn post_json(url: String, body: &serde_json::Value) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(body.to_string()),
            timeout_ms: 8_000,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}
