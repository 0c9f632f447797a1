//! The platform side of the ports: outbound fetch with a timeout, waiting,
//! and conversation state in KV.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::{
    AbortController, Delay, Fetch, Headers, Method as WorkerMethod, Request, RequestInit,
};

use crate::flow::{State, STATE_TTL_SECONDS};
use crate::http::{HttpClient, HttpError, HttpRequest, HttpResponse, Method};

/// Reads a request's body until its end or until more than `max` bytes came,
/// so that a huge or endless upload is refused without being held in
/// memory. More than `max` bytes in the result means the body is over the
/// limit. A request without a body reads as empty.
///
/// # Errors
///
/// The stream's error when reading fails.
pub async fn read_body(req: &mut Request, max: usize) -> worker::Result<Vec<u8>> {
    let mut stream = match req.stream() {
        Ok(stream) => stream,
        // workers-rs reports a request without a body this way.
        Err(worker::Error::RustError(_)) => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > max {
            break;
        }
    }
    Ok(body)
}

/// [`HttpClient`] over the Workers `fetch` API.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchClient;

impl HttpClient for FetchClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers
                .set(name, value)
                .map_err(|e| HttpError::Network(format!("{e:?}")))?;
        }
        let mut init = RequestInit::new();
        init.with_method(match request.method {
            Method::Get => WorkerMethod::Get,
            Method::Post => WorkerMethod::Post,
        })
        .with_headers(headers);
        if let Some(body) = &request.body {
            init.with_body(Some(body.as_str().into()));
        }
        let outbound = Request::new_with_init(&request.url, &init)
            .map_err(|e| HttpError::Network(format!("{e:?}")))?;

        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Box::pin(async move {
            let mut response = Fetch::Request(outbound).send_with_signal(&signal).await?;
            let status = response.status_code();
            let headers = response.headers().entries().collect::<Vec<_>>();
            let body = response.text().await.unwrap_or_default();
            Ok::<_, worker::Error>(HttpResponse {
                status,
                headers,
                body,
            })
        });
        let timeout = Box::pin(Delay::from(Duration::from_millis(
            request.timeout_ms.into(),
        )));
        match select(fetch, timeout).await {
            Either::Left((Ok(response), _)) => Ok(response),
            Either::Left((Err(error), _)) => Err(HttpError::Network(format!("{error:?}"))),
            Either::Right(_) => {
                controller.abort();
                Err(HttpError::Timeout(request.timeout_ms))
            }
        }
    }

    async fn sleep(&self, milliseconds: u32) {
        Delay::from(Duration::from_millis(milliseconds.into())).await;
    }
}

/// The KV key of one sender's conversation state. It names the customer and
/// the identity's id, never the phone number.
pub fn state_key(customer_id: &str, identity_id: &str) -> String {
    format!("conversation:{customer_id}:{identity_id}")
}

/// Reads a conversation state; a missing or unreadable value is a fresh one.
pub async fn load_state(kv: &worker::KvStore, key: &str) -> Result<State, worker::KvError> {
    let value = kv.get(key).text().await?;
    Ok(value
        .and_then(|json| match serde_json::from_str::<State>(&json) {
            Ok(state) => Some(state),
            Err(error) => {
                tracing::warn!(
                    event = "conversation.state_unreadable",
                    error = %error,
                    "conversation state could not be read and was reset"
                );
                None
            }
        })
        .unwrap_or_default())
}

/// Writes a conversation state with its TTL, or deletes it when idle.
pub async fn save_state(kv: &worker::KvStore, key: &str, state: &State) -> Result<(), String> {
    if state.is_idle() {
        return kv.delete(key).await.map_err(|e| e.to_string());
    }
    let json = serde_json::to_string(state).map_err(|e| e.to_string())?;
    // The state outlives its questions, which `flow` expires after
    // QUESTION_TTL_SECONDS, so that the flow can tell the user which drafts
    // expired unrecorded.
    let ttl = u64::try_from(STATE_TTL_SECONDS).unwrap_or(2_592_000);
    kv.put(key, json)
        .map_err(|e| e.to_string())?
        .expiration_ttl(ttl)
        .execute()
        .await
        .map_err(|e| e.to_string())
}
