//! The one error type at the edge, and its HTTP statuses.
//!
//! Permanent faults (bad signature, bad body) get a 4xx so that Kapso does not
//! retry them; transient ones (D1 unreachable) get a 503 so that Kapso's
//! retry can still succeed. Response bodies are generic; the detail goes to
//! the log, once, where the error is answered.

use crate::kapso::PayloadError;
use crate::signature::SignatureError;

/// Maximum webhook body, in bytes (1 MiB). Larger bodies get 413 before the
/// signature is checked.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("webhook signature rejected: {0}")]
    Unauthorized(SignatureError),
    #[error("missing or wrong bearer token")]
    BadToken,
    #[error("body is larger than {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("malformed body")]
    Malformed(#[source] PayloadError),
    #[error("invalid request: {0}")]
    BadRequest(String),
    #[error("`{0}` is not configured")]
    NotConfigured(&'static str),
    #[error("storage failed: {0}")]
    Storage(String),
    #[error("not found")]
    NotFound,
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized(_) | AppError::BadToken => 401,
            AppError::PayloadTooLarge => 413,
            AppError::Malformed(_) | AppError::BadRequest(_) => 400,
            AppError::NotFound => 404,
            AppError::NotConfigured(_) | AppError::Storage(_) => 503,
        }
    }

    /// The text sent to the client: what failed, never internals.
    pub fn public_message(&self) -> &'static str {
        match self {
            AppError::Unauthorized(_) => "invalid or missing signature",
            AppError::BadToken => "invalid or missing bearer token",
            AppError::PayloadTooLarge => "body too large",
            AppError::Malformed(_) => "malformed body",
            AppError::BadRequest(_) => "invalid request",
            AppError::NotFound => "not found",
            AppError::NotConfigured(_) => "service not configured",
            AppError::Storage(_) => "temporarily unavailable, retry later",
        }
    }
}

impl From<worker::Error> for AppError {
    fn from(error: worker::Error) -> AppError {
        AppError::Storage(format!("{error:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_faults_are_4xx_and_transient_503() {
        let cases = [
            (AppError::Unauthorized(SignatureError::Mismatch), 401),
            (AppError::BadToken, 401),
            (AppError::PayloadTooLarge, 413),
            (AppError::Malformed(PayloadError::NotAnObject), 400),
            (AppError::NotFound, 404),
            (AppError::NotConfigured("KAPSO_WEBHOOK_SECRET"), 503),
            (AppError::Storage("D1_ERROR".into()), 503),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error}");
        }
    }

    #[test]
    fn public_message_hides_detail() {
        let error = AppError::Storage("D1_ERROR: no such table: expenses".into());
        assert!(!error.public_message().contains("expenses"));
    }
}
