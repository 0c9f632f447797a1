//! Workers AI, the glue half: calling the `AI` binding with a timeout,
//! loading prompt templates from `PROMPTS_KV`, and downloading receipt photos
//! from Kapso.
//!
//! The binding is called through js-sys rather than `worker::Ai`, because
//! `env.ai()` rejects the local stand-in (a service binding), and `Ai::run`
//! serialises `serde_json` maps as JavaScript `Map`s, which Workers AI reads
//! as `{}`. Prompts, parsing and the fallback policy live in [`crate::ai`].

use std::time::Duration;

use chrono::NaiveDate;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use js_sys::{Array, Function, Promise, Reflect};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{AbortController, Delay, Env, Fetch, Headers, KvStore, Method, Request, RequestInit};

use crate::ai::{self, AiAnswer, Fallback, ReceiptReading};
use crate::config::{Config, AI, PROMPTS_KV};
use crate::flow::{Draft, Input};
use crate::http::{HttpClient, HttpRequest};
use crate::kapso::client::KapsoClient;
use crate::kapso::{Content, InboundMessage};
use crate::model::{Category, Customer, Language};
use crate::parse::{self, Item, ParseContext};
use crate::platform::FetchClient;

/// Maximum wait for one classification, in milliseconds.
pub const CLASSIFY_TIMEOUT_MS: u32 = 4_000;
/// Maximum wait for the vision model to read a receipt, in milliseconds.
pub const RECEIPT_TIMEOUT_MS: u32 = 5_000;
/// Time all model calls of one message may take together, in milliseconds.
/// Kapso gives the webhook 10 s, and the rest covers D1 and the media
/// download.
pub const MESSAGE_BUDGET_MS: u32 = 6_000;
/// A call is not started with less time left than this.
const MIN_CALL_MS: u32 = 300;
/// Maximum wait for a media download (and for resolving its URL), in
/// milliseconds.
pub const MEDIA_TIMEOUT_MS: u32 = 2_500;
/// Largest receipt photo read, in bytes. WhatsApp sends photos as JPEGs of
/// a few hundred kilobytes; anything larger is not worth the model's time.
pub const MAX_MEDIA_BYTES: usize = 2 * 1024 * 1024;
/// Maximum length of the error text kept from the binding, in characters.
const MAX_ERROR_CHARS: usize = 200;

/// The `AI` binding: the real Workers AI binding or the local stand-in.
pub struct AiBinding {
    binding: JsValue,
    run: Function,
}

impl AiBinding {
    /// Reads the binding; `None` when the environment has no `AI` with a
    /// `run` method.
    pub fn from_env(env: &Env) -> Option<AiBinding> {
        let binding = Reflect::get(env.as_ref(), &JsValue::from_str(AI)).ok()?;
        if binding.is_undefined() || binding.is_null() {
            return None;
        }
        let run = Reflect::get(&binding, &JsValue::from_str("run")).ok()?;
        // An RPC stub's methods are proxies: `typeof` is "function", but they
        // are not `instanceof Function`, so the cast is unchecked.
        if !run.is_function() {
            return None;
        }
        Some(AiBinding {
            binding,
            run: run.unchecked_into(),
        })
    }

    /// Runs `model` on `input` and returns its output as JSON.
    ///
    /// # Errors
    ///
    /// [`Fallback::Timeout`] after `timeout_ms` (the call itself cannot be
    /// cancelled and is left to finish), [`Fallback::BindingError`] when the
    /// binding throws or rejects, [`Fallback::Malformed`] when the output is
    /// not representable as JSON.
    pub async fn run<I: Serialize>(
        &self,
        model: &str,
        input: &I,
        timeout_ms: u32,
    ) -> Result<Value, Fallback> {
        let input = input
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|error| Fallback::BindingError(format!("input not serialisable: {error}")))?;
        let args = Array::of2(&JsValue::from_str(model), &input);
        let result = Reflect::apply(&self.run, &self.binding, &args)
            .map_err(|error| Fallback::BindingError(error_text(&error)))?;
        // An RPC result is a thenable, not a `Promise`.
        let call = Box::pin(JsFuture::from(Promise::resolve(&result)));
        let timeout = Box::pin(Delay::from(Duration::from_millis(timeout_ms.into())));
        match select(call, timeout).await {
            Either::Left((Ok(output), _)) => serde_wasm_bindgen::from_value::<Value>(output)
                .map_err(|error| Fallback::Malformed(format!("output is not JSON: {error}"))),
            Either::Left((Err(error), _)) => Err(Fallback::BindingError(error_text(&error))),
            Either::Right(_) => Err(Fallback::Timeout),
        }
    }
}

fn error_text(error: &JsValue) -> String {
    let text = match error.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    };
    text.chars().take(MAX_ERROR_CHARS).collect()
}

/// The time left for model calls while one message is handled.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    deadline_ms: f64,
}

impl Budget {
    /// Starts a budget of [`MESSAGE_BUDGET_MS`] from now.
    pub fn start() -> Budget {
        Budget {
            deadline_ms: js_sys::Date::now() + f64::from(MESSAGE_BUDGET_MS),
        }
    }

    /// Returns the timeout for the next call: `max_ms`, or less when the
    /// budget is nearly spent. `None` when too little is left to start one.
    fn timeout(&self, max_ms: u32) -> Option<u32> {
        let left = (self.deadline_ms - js_sys::Date::now()).max(0.0);
        let left = if left > f64::from(u32::MAX) {
            u32::MAX
        } else {
            left as u32
        };
        (left >= MIN_CALL_MS).then(|| left.min(max_ms))
    }
}

/// Reads a prompt template from `PROMPTS_KV`, or the built-in default when
/// the key is missing, unusable or KV fails.
pub async fn load_template(kv: Option<&KvStore>, key: &str, default: &'static str) -> String {
    let Some(kv) = kv else {
        return default.to_owned();
    };
    match kv.get(key).text().await {
        Ok(Some(stored)) => {
            let template = ai::template_or_default(Some(&stored), default);
            if template == default {
                tracing::warn!(
                    event = "ai.prompt_ignored",
                    key,
                    bytes = stored.len(),
                    "stored prompt is empty or too large; using the built-in default"
                );
            }
            template.to_owned()
        }
        Ok(None) => default.to_owned(),
        Err(error) => {
            tracing::warn!(event = "ai.prompt_unavailable", key, error = %error, "PROMPTS_KV read failed; using the built-in default");
            default.to_owned()
        }
    }
}

/// The model side of one message: the binding, the models and the time
/// budget their calls share.
pub struct AiContext {
    binding: Option<AiBinding>,
    prompts: Option<KvStore>,
    model: String,
    vision_model: String,
    budget: Budget,
    template: Option<String>,
}

impl AiContext {
    /// Reads the binding and starts the message's time budget.
    pub fn new(env: &Env, config: &Config) -> AiContext {
        AiContext {
            binding: AiBinding::from_env(env),
            prompts: env.kv(PROMPTS_KV).ok(),
            model: config.ai_model.clone(),
            vision_model: config.ai_vision_model.clone(),
            budget: Budget::start(),
            template: None,
        }
    }

    /// Returns the text model's name, for logs.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Loads the classifier template once per message, before the first
    /// classification.
    pub async fn prepare(&mut self) {
        if self.template.is_none() && self.binding.is_some() {
            let template = load_template(
                self.prompts.as_ref(),
                ai::CLASSIFIER_PROMPT_KEY,
                ai::DEFAULT_CLASSIFIER_PROMPT,
            )
            .await;
            self.template = Some(template);
        }
    }

    /// Asks the text model for the category of one draft.
    ///
    /// # Errors
    ///
    /// A [`Fallback`] with the reason the keyword classifier must decide.
    pub async fn classify(
        &self,
        draft: &Draft,
        categories: &[Category],
        customer: &Customer,
    ) -> Result<AiAnswer, Fallback> {
        let binding = self.binding.as_ref().ok_or(Fallback::BindingMissing)?;
        let timeout = self
            .budget
            .timeout(CLASSIFY_TIMEOUT_MS)
            .ok_or(Fallback::Timeout)?;
        let template = self
            .template
            .as_deref()
            .unwrap_or(ai::DEFAULT_CLASSIFIER_PROMPT);
        let language = Language::of_locale(&customer.locale);
        let request =
            ai::classifier_request(template, draft, categories, language, &customer.locale);
        let output = binding.run(&self.model, &request, timeout).await?;
        ai::parse_classifier_output(&output, categories)
    }

    /// Asks the vision model to read the amount, merchant and date of a
    /// receipt photo.
    ///
    /// # Errors
    ///
    /// A [`Fallback`] when the call failed or the output is not a reading.
    pub async fn read_receipt(
        &self,
        image: Vec<u8>,
        customer: &Customer,
        today: NaiveDate,
    ) -> Result<ReceiptReading, Fallback> {
        let binding = self.binding.as_ref().ok_or(Fallback::BindingMissing)?;
        let timeout = self
            .budget
            .timeout(RECEIPT_TIMEOUT_MS)
            .ok_or(Fallback::Timeout)?;
        let template = load_template(
            self.prompts.as_ref(),
            ai::RECEIPT_PROMPT_KEY,
            ai::DEFAULT_RECEIPT_PROMPT,
        )
        .await;
        let language = Language::of_locale(&customer.locale);
        let request = ai::receipt_request(&template, image, language, today);
        let output = binding.run(&self.vision_model, &request, timeout).await?;
        ai::parse_receipt_output(&output, customer.home_currency)
    }
}

/// The reason a photo could not be downloaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the message has neither a media url nor a media id that resolves")]
    NoUrl,
    #[error("media download answered status {0}")]
    Status(u16),
    #[error("media is larger than {MAX_MEDIA_BYTES} bytes")]
    TooLarge,
    #[error("media download timed out after {MEDIA_TIMEOUT_MS} ms")]
    Timeout,
    #[error("media download failed: {0}")]
    Network(String),
}

impl MediaError {
    /// Returns a short, stable label for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            MediaError::NoUrl => "no_url",
            MediaError::Status(_) => "status",
            MediaError::TooLarge => "too_large",
            MediaError::Timeout => "timeout",
            MediaError::Network(_) => "network",
        }
    }
}

/// Downloads a photo of a message: from its Kapso media URL, or from the URL
/// Kapso resolves its media id to. `X-API-Key` goes only to the origin of
/// `KAPSO_API_BASE_URL`.
///
/// # Errors
///
/// [`MediaError`] when there is no URL, the download fails or times out, or
/// the photo is over [`MAX_MEDIA_BYTES`].
pub async fn download_photo(
    kapso: Option<&KapsoClient>,
    url: Option<&str>,
    media_id: Option<&str>,
    phone_number_id: &str,
) -> Result<Vec<u8>, MediaError> {
    let url = match (url, media_id, kapso) {
        (Some(url), _, _) => url.to_owned(),
        (None, Some(media_id), Some(kapso)) => resolve_media_url(kapso, media_id, phone_number_id)
            .await
            .ok_or(MediaError::NoUrl)?,
        _ => return Err(MediaError::NoUrl),
    };
    let headers = Headers::new();
    if let Some(kapso) = kapso.filter(|k| ai::same_origin(&url, &k.base_url)) {
        headers
            .set("x-api-key", &kapso.api_key)
            .map_err(|e| MediaError::Network(format!("{e:?}")))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let request =
        Request::new_with_init(&url, &init).map_err(|e| MediaError::Network(format!("{e:?}")))?;

    let controller = AbortController::default();
    let signal = controller.signal();
    let download = Box::pin(async move {
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| MediaError::Network(format!("{e:?}")))?;
        let status = response.status_code();
        if !(200..300).contains(&status) {
            return Err(MediaError::Status(status));
        }
        let declared = response
            .headers()
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|value| value.trim().parse::<usize>().ok());
        if declared.is_some_and(|length| length > MAX_MEDIA_BYTES) {
            return Err(MediaError::TooLarge);
        }
        // Read in chunks so that a body without (or with a false)
        // Content-Length still stops at the limit.
        let mut stream = response
            .stream()
            .map_err(|e| MediaError::Network(format!("{e:?}")))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| MediaError::Network(format!("{e:?}")))?;
            if bytes.len() + chunk.len() > MAX_MEDIA_BYTES {
                return Err(MediaError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    });
    let timeout = Box::pin(Delay::from(Duration::from_millis(MEDIA_TIMEOUT_MS.into())));
    match select(download, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => {
            controller.abort();
            Err(MediaError::Timeout)
        }
    }
}

/// Asks Kapso for the temporary URL of a media id:
/// `GET {KAPSO_API_BASE_URL}/{media_id}?phone_number_id=…` returns
/// `{"url": …}`.
async fn resolve_media_url(
    kapso: &KapsoClient,
    media_id: &str,
    phone_number_id: &str,
) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct MediaInfo {
        url: Option<String>,
    }
    let is_plain = |text: &str| {
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if !is_plain(media_id) || !is_plain(phone_number_id) {
        return None;
    }
    let request = HttpRequest {
        method: crate::http::Method::Get,
        url: format!(
            "{}/{media_id}?phone_number_id={phone_number_id}",
            kapso.base_url.trim_end_matches('/')
        ),
        headers: vec![("x-api-key".into(), kapso.api_key.clone())],
        body: None,
        timeout_ms: MEDIA_TIMEOUT_MS,
    };
    let response = FetchClient.send(request).await.ok()?;
    if !response.is_success() {
        return None;
    }
    serde_json::from_str::<MediaInfo>(&response.body)
        .ok()?
        .url
        .filter(|url| !url.trim().is_empty())
}

/// Builds the flow's input for a photo. A caption that states an amount is
/// read as text: the user's words win and no model is called. Otherwise the
/// photo is downloaded and read by the vision model, with the caption as the
/// description. A photo that cannot be downloaded or read is passed on as a
/// reading of nothing, so the flow requests the amount.
pub async fn photo_input(
    ai: &AiContext,
    config: &Config,
    message: &InboundMessage,
    customer: &Customer,
    today: NaiveDate,
) -> Input {
    let Content::Image {
        media_id,
        url,
        caption,
        ..
    } = &message.content
    else {
        return Input::Unsupported;
    };
    let caption = caption
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    if let Some(caption) = caption {
        let context = ParseContext {
            locale: &customer.locale,
            home_currency: customer.home_currency,
            today,
        };
        let items = parse::parse_message(caption, &context);
        if items
            .iter()
            .any(|item| !matches!(item, Item::MissingAmount { .. }))
        {
            return Input::Text(caption.to_owned());
        }
    }

    let photo = download_photo(
        config.kapso.as_ref(),
        url.as_deref(),
        media_id.as_deref(),
        &message.phone_number_id,
    )
    .await;
    let reading = match photo {
        Err(error) => {
            tracing::warn!(event = "receipt.download_failed", message_id = %message.id, customer_id = %customer.id, reason = error.reason(), error = %error, "receipt photo not downloaded; the user is asked for the amount");
            None
        }
        Ok(image) => match ai.read_receipt(image, customer, today).await {
            Ok(reading) => {
                tracing::info!(event = "receipt.read", message_id = %message.id, customer_id = %customer.id, amount_found = reading.amount.is_some(), merchant_found = reading.merchant.is_some(), date_found = reading.spent_on.is_some(), "vision model read the receipt photo");
                Some(reading)
            }
            Err(fallback) => {
                tracing::warn!(event = "receipt.read_failed", message_id = %message.id, customer_id = %customer.id, reason = fallback.reason(), detail = fallback.detail(), model = %ai.vision_model, "vision model could not read the photo; the user is asked for the amount");
                None
            }
        },
    };
    Input::Receipt {
        reading,
        caption: caption.map(str::to_owned),
    }
}
