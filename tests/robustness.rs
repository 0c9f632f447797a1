//! Bad input against the webhook's pure path: `webhook::accept`, then every
//! accepted message through `flow::advance` the way the runner drives it
//! (keyword classification fed back as `Input::Classified`).
//!
//! Whatever the bytes, the path must not panic and must not answer a 5xx
//! (a 5xx makes Kapso retry a body that can never succeed). Bodies over
//! `MAX_BODY_BYTES` get 413 whatever their signature, and every reply the
//! flow produces must become a Kapso request within WhatsApp's limits.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{json, Value};

use misgastos::categories;
use misgastos::classify::classify_by_keywords;
use misgastos::error::{AppError, MAX_BODY_BYTES};
use misgastos::flow::{self, Classified, Effect, Input, State, Turn};
use misgastos::kapso::client::{Addressee, KapsoClient, Outbound};
use misgastos::kapso::{Content, Delivery, InboundMessage};
use misgastos::model::{Category, Customer, Language};
use misgastos::money::Currency;
use misgastos::signature::sign;
use misgastos::webhook::{self, Delivered};

const SECRET: &[u8] = b"robustness-secret";
/// The flow runs at most this many classify rounds per message, as the runner does.
const MAX_CLASSIFY_ROUNDS: usize = 3;
/// Unix seconds of 2026-03-14T12:00:00Z, the fixed "now" of every turn.
const NOW: i64 = 1_773_489_600;

fn customer(locale: &str, currency: Currency) -> Customer {
    Customer {
        id: "robustness-customer".into(),
        name: "Robustness".into(),
        home_currency: currency,
        locale: locale.into(),
        time_zone: "America/Santiago".into(),
        confidence_threshold: 0.8,
    }
}

fn default_categories(language: Language) -> Vec<Category> {
    categories::defaults(language)
        .iter()
        .enumerate()
        .map(|(index, category)| Category {
            id: format!("cat-{index}"),
            name: category.name.to_owned(),
            keywords: misgastos::model::split_keywords(&categories::keywords_column(category)),
        })
        .collect()
}

/// The HTTP status the webhook answers for an `accept` result.
fn status_of(result: &Result<Vec<Delivery>, AppError>) -> u16 {
    match result {
        Ok(_) => 200,
        Err(error) => error.status(),
    }
}

/// Accepts `body` signed with the test secret under `x-kapso-signature`.
fn accept_signed(body: &[u8]) -> Result<Vec<Delivery>, AppError> {
    let signature = sign(SECRET, body);
    let delivered = Delivered {
        kapso_signature: Some(&signature),
        event: Some("whatsapp.message.received"),
        body,
        ..Default::default()
    };
    webhook::accept(&[SECRET], &delivered)
}

/// Runs one message through the flow as the runner does and checks what
/// comes out: replies fit WhatsApp, expenses belong to this message, and
/// the state survives the JSON round trip through KV.
fn run_message(state: State, message: &InboundMessage, customer: &Customer) -> State {
    let language = Language::of_locale(&customer.locale);
    let categories = default_categories(language);
    let turn = Turn {
        customer,
        categories: &categories,
        today: NaiveDate::from_ymd_opt(2026, 3, 14).unwrap_or_default(),
        now: NOW,
        message_id: &message.id,
    };

    // An answer completes the expense of the message that opened the
    // question, so those source ids are this message's to save too.
    let open: Vec<String> = state
        .questions
        .iter()
        .map(|question| question.source_id().to_owned())
        .collect();
    let mut transition = flow::advance(state, Input::of(&message.content), &turn);
    let mut effects = Vec::new();
    for _ in 0..MAX_CLASSIFY_ROUNDS {
        let mut pending = Vec::new();
        for effect in std::mem::take(&mut transition.effects) {
            match effect {
                Effect::Classify(drafts) => pending.extend(drafts),
                other => effects.push(other),
            }
        }
        if pending.is_empty() {
            break;
        }
        let classified = pending
            .into_iter()
            .map(|pending| Classified {
                classification: classify_by_keywords(
                    &pending.draft.description,
                    pending.draft.merchant.as_deref(),
                    &categories,
                ),
                pending,
            })
            .collect();
        transition = flow::advance(transition.state, Input::Classified(classified), &turn);
    }
    effects.append(&mut transition.effects);

    let kapso = KapsoClient {
        base_url: "http://127.0.0.1:9/kapso".into(),
        api_key: "key".into(),
    };
    for effect in &effects {
        match effect {
            Effect::Reply(outbound) => check_reply(&kapso, outbound),
            Effect::SaveExpense(expense) => {
                let prefix = format!("{}#", message.id);
                assert!(
                    expense.source_id.starts_with(&prefix) || open.contains(&expense.source_id),
                    "expense `{}` of message `{}`, open questions {open:?}",
                    expense.source_id,
                    message.id
                );
                assert!(
                    expense.draft.amount.minor > 0,
                    "expense amount {:?}",
                    expense.draft.amount
                );
            }
            _ => {}
        }
    }

    let stored = serde_json::to_string(&transition.state);
    assert!(stored.is_ok(), "state serialises: {stored:?}");
    let restored: Result<State, _> = serde_json::from_str(&stored.unwrap_or_default());
    assert_eq!(restored.ok().as_ref(), Some(&transition.state));
    transition.state
}

/// Checks that a reply becomes a Kapso request within WhatsApp's limits.
fn check_reply(kapso: &KapsoClient, outbound: &Outbound) {
    let addressee = Addressee {
        phone_number_id: "100200300400500",
        to: "56912345678",
        in_reply_to: Some("wamid.robustness"),
    };
    let request = kapso.message_request(&addressee, outbound);
    let body: Value =
        serde_json::from_str(request.body.as_deref().unwrap_or("null")).unwrap_or(Value::Null);
    assert_eq!(body["messaging_product"], "whatsapp", "request body {body}");
    let text_length = |value: &Value| value.as_str().map_or(0, |text| text.chars().count());
    match body["type"].as_str() {
        Some("text") => {
            assert!(
                text_length(&body["text"]["body"]) <= 4096,
                "text reply of {body}"
            );
            assert!(
                text_length(&body["text"]["body"]) > 0,
                "empty text reply: {outbound:?}"
            );
        }
        Some("interactive") => {
            let interactive = &body["interactive"];
            assert!(
                text_length(&interactive["body"]["text"]) <= 1024,
                "body of {body}"
            );
            let buttons = interactive["action"]["buttons"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(buttons.len() <= 3, "{} buttons in {body}", buttons.len());
            for button in &buttons {
                assert!(
                    text_length(&button["reply"]["title"]) <= 20,
                    "button {button}"
                );
                assert!(
                    text_length(&button["reply"]["id"]) <= 256,
                    "button {button}"
                );
            }
            let rows: Vec<Value> = interactive["action"]["sections"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|section| section["rows"].as_array().cloned().unwrap_or_default())
                .collect();
            assert!(rows.len() <= 10, "{} rows in {body}", rows.len());
            for row in &rows {
                assert!(text_length(&row["title"]) <= 24, "row {row}");
            }
        }
        other => panic!("reply of unknown type {other:?}: {body}"),
    }
}

/// Accepts a signed body and drives every message it carries through the
/// flow; returns the status the webhook would answer.
fn exercise(body: &[u8]) -> u16 {
    let result = accept_signed(body);
    let status = status_of(&result);
    assert!(status < 500, "status {status} for {}", preview(body));
    if body.len() <= MAX_BODY_BYTES {
        assert_ne!(status, 413, "413 under the limit for {}", preview(body));
        assert_ne!(status, 401, "signed body refused: {}", preview(body));
    }
    let customers = [
        customer("es-CL", Currency::Clp),
        customer("en-US", Currency::Usd),
    ];
    for customer in &customers {
        let mut state = State::default();
        for delivery in result.as_ref().map(Vec::as_slice).unwrap_or_default() {
            if let Delivery::Message(message) = delivery {
                state = run_message(state, message, customer);
            }
        }
    }
    status
}

fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.chars().take(200).collect()
}

/// A Kapso v2 text message carrying `text`.
fn text_body(id: &str, text: &str) -> Vec<u8> {
    json!({
        "message": {
            "id": id,
            "from": "56912345678",
            "timestamp": "1773489600",
            "type": "text",
            "text": {"body": text},
            "kapso": {"direction": "inbound"},
        },
        "conversation": {"phone_number": "+56912345678", "phone_number_id": "100200300400500"},
        "phone_number_id": "100200300400500",
    })
    .to_string()
    .into_bytes()
}

/// A Kapso v2 message of any `type`, with `content` under that type's key.
fn typed_body(kind: &str, content: Value) -> Vec<u8> {
    let mut message = json!({"id": "wamid.typed", "from": "56912345678", "type": kind});
    if let Some(fields) = message.as_object_mut() {
        fields.insert(kind.to_owned(), content);
    }
    json!({"message": message, "phone_number_id": "100200300400500"})
        .to_string()
        .into_bytes()
}

/// Field names of the Kapso and Meta shapes, so that generated objects hit
/// the real deserialisers with the wrong types.
const FIELD_NAMES: &[&str] = &[
    "message",
    "conversation",
    "phone_number_id",
    "test",
    "type",
    "event",
    "batch",
    "data",
    "object",
    "entry",
    "changes",
    "field",
    "value",
    "metadata",
    "contacts",
    "messages",
    "statuses",
    "message_echoes",
    "id",
    "from",
    "from_user_id",
    "timestamp",
    "text",
    "body",
    "interactive",
    "button_reply",
    "list_reply",
    "title",
    "button",
    "payload",
    "image",
    "audio",
    "document",
    "caption",
    "filename",
    "mime_type",
    "kapso",
    "direction",
    "content",
    "media_url",
    "transcript",
    "phone_number",
    "wa_id",
    "profile",
    "name",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|number| json!(number)),
        any::<String>().prop_map(Value::String),
        "[0-9 .,$]{0,12}".prop_map(Value::String),
        Just(Value::String("whatsapp.message.received".into())),
        Just(Value::String("text".into())),
        Just(Value::String("interactive".into())),
        Just(Value::String("messages".into())),
        Just(Value::String("outbound".into())),
        Just(Value::String("cat|wamid.x#1|cat-1".into())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELD_NAMES), inner), 0..6).prop_map(
                |fields| {
                    Value::Object(
                        fields
                            .into_iter()
                            .map(|(key, value)| (key.to_owned(), value))
                            .collect(),
                    )
                }
            ),
        ]
    })
}

/// Message texts: amounts in every notation, commands, choice ids and noise.
fn message_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-záéíóúñ ]{0,20} [0-9]{1,9}([.,][0-9]{1,3})? ?(usd|eur|clp|lucas|mil|k)?( ayer| hoy| el lunes)?",
        "(ayuda|cancelar|categorias|reglas|borrar regla|agregar categoria|renombrar categoria) .{0,30}",
        "[0-9]{1,3}[.)]?",
        ".{0,200}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_fail_the_server(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let status = exercise(&body);
        prop_assert!([200, 400].contains(&status), "status {status}");
    }

    #[test]
    fn arbitrary_bytes_unsigned_are_401(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let delivered = Delivered { body: &body, ..Default::default() };
        let result = webhook::accept(&[SECRET], &delivered);
        prop_assert_eq!(status_of(&result), 401);
    }

    #[test]
    fn generated_json_never_fails_the_server(value in json_value()) {
        let body = value.to_string().into_bytes();
        let status = exercise(&body);
        let expected: &[u16] = if value.is_object() { &[200, 400] } else { &[400] };
        prop_assert!(expected.contains(&status), "status {} for {}", status, value);
    }

    #[test]
    fn message_with_any_fields_never_fails(message in json_value(), conversation in json_value()) {
        let body = json!({
            "message": message,
            "conversation": conversation,
            "phone_number_id": "100200300400500",
        });
        exercise(body.to_string().as_bytes());
    }

    #[test]
    fn any_text_runs_through_the_flow(texts in prop::collection::vec(message_text(), 1..4)) {
        // Several texts from one sender in a row, so later ones answer the
        // questions earlier ones opened.
        let batch: Vec<Value> = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let body: Value = serde_json::from_slice(&text_body(&format!("wamid.p{index}"), text))
                    .unwrap_or(Value::Null);
                body
            })
            .collect();
        let body = json!({"type": "whatsapp.message.received", "batch": true, "data": batch});
        prop_assert_eq!(exercise(body.to_string().as_bytes()), 200);
    }

    #[test]
    fn any_choice_runs_through_the_flow(
        id in prop_oneof![any::<String>(), "(cat|amt|date)\\|wamid\\.[a-z0-9]{0,4}#[0-9]\\|[a-z0-9-]{0,8}"],
        title in any::<String>(),
    ) {
        let body = typed_body("interactive", json!({"type": "button_reply", "button_reply": {"id": id, "title": title}}));
        prop_assert_eq!(exercise(&body), 200);
    }

    #[test]
    fn unknown_message_types_are_acknowledged(kind in "[a-z_]{1,16}", content in json_value()) {
        let body = typed_body(&kind, content);
        let status = exercise(&body);
        prop_assert!([200, 400].contains(&status), "status {} for type `{}`", status, kind);
    }

    #[test]
    fn truncated_bodies_never_fail_the_server(text in message_text(), cut in any::<prop::sample::Index>()) {
        let body = text_body("wamid.cut", &text);
        let truncated = &body[..cut.index(body.len() + 1)];
        let status = exercise(truncated);
        prop_assert!([200, 400].contains(&status), "status {} at {} of {}", status, truncated.len(), body.len());
    }

    #[test]
    fn invalid_utf8_in_a_string_is_400(
        text in ".{0,40}",
        bad in prop::sample::select(vec![vec![0xff_u8], vec![0xc3], vec![0xed, 0xa0, 0x80], vec![0xf8, 0x88, 0x80, 0x80, 0x80]]),
    ) {
        let mut body = text_body("wamid.utf8", &text);
        let at = body.windows(7).position(|window| window == b"\"body\":").map_or(0, |at| at + 8);
        body.splice(at..at, bad);
        prop_assert_eq!(exercise(&body), 400);
    }

    #[test]
    fn bodies_over_the_limit_are_413(extra in 1_usize..4096, signed in any::<bool>()) {
        let body = vec![b' '; MAX_BODY_BYTES + extra];
        let signature = if signed { sign(SECRET, &body) } else { "0".repeat(64) };
        let delivered = Delivered { body: &body, kapso_signature: Some(&signature), ..Default::default() };
        prop_assert_eq!(status_of(&webhook::accept(&[SECRET], &delivered)), 413);
    }

    #[test]
    fn declared_length_over_the_limit_is_413(declared in (MAX_BODY_BYTES as u64 + 1)..u64::MAX) {
        let body = text_body("wamid.declared", "almuerzo 12500");
        let signature = sign(SECRET, &body);
        let length = declared.to_string();
        let delivered = Delivered {
            content_length: Some(&length),
            kapso_signature: Some(&signature),
            body: &body,
            ..Default::default()
        };
        prop_assert_eq!(status_of(&webhook::accept(&[SECRET], &delivered)), 413);
    }
}

#[test]
fn deeply_nested_json_is_400() {
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let in_message =
        format!("{{\"message\":{{\"id\":\"wamid.deep\",\"type\":\"text\",\"text\":{objects}}}}}");
    let unclosed = "{\"message\":".repeat(depth);
    for (name, body) in [
        ("arrays", arrays),
        ("objects", objects),
        ("in_message", in_message),
        ("unclosed", unclosed),
    ] {
        assert_eq!(exercise(body.as_bytes()), 400, "{name}");
    }
}

#[test]
fn nesting_within_the_parser_limit_is_handled() {
    // serde_json refuses more than 128 levels; 100 levels of a field the
    // deserialiser ignores must still be read.
    let depth = 100;
    let padding = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let body = format!(
        "{{\"extra\":{padding},\"message\":{{\"id\":\"wamid.nested\",\"from\":\"56912345678\",\
         \"type\":\"text\",\"text\":{{\"body\":\"almuerzo 12500\"}}}},\"phone_number_id\":\"1\"}}"
    );
    assert_eq!(exercise(body.as_bytes()), 200);
}

#[test]
fn huge_text_just_under_the_limit_is_handled() {
    let overhead = text_body("wamid.huge", "").len();
    let cases = [
        ("spaces", " ".repeat(MAX_BODY_BYTES - overhead)),
        ("digits", "9".repeat(MAX_BODY_BYTES - overhead)),
        (
            "words",
            "almuerzo 12.500 ".repeat((MAX_BODY_BYTES - overhead) / 16),
        ),
        ("accents", "é".repeat((MAX_BODY_BYTES - overhead) / 2)),
    ];
    for (name, text) in cases {
        let body = text_body("wamid.huge", &text);
        assert!(body.len() <= MAX_BODY_BYTES, "{name}: {} bytes", body.len());
        let started = std::time::Instant::now();
        assert_eq!(exercise(&body), 200, "{name}");
        // Debug builds are slow; this only catches quadratic blow-ups.
        let elapsed = started.elapsed();
        assert!(elapsed.as_secs() < 20, "{name} took {elapsed:?}");
    }
}

#[test]
fn huge_string_fields_are_handled() {
    // Four copies, so each gets a fifth of the limit.
    let long = "x".repeat(MAX_BODY_BYTES / 5);
    let body = json!({
        "message": {"id": long, "from": long, "type": long},
        "phone_number_id": long,
    });
    assert_eq!(exercise(body.to_string().as_bytes()), 200);
}

#[test]
fn wrong_types_are_400_or_ignored() {
    let cases: [(&str, u16); 12] = [
        (r#"{"message": "text"}"#, 400),
        (r#"{"message": {"id": 12345}}"#, 400),
        (r#"{"message": {"id": "wamid.t", "text": "almuerzo"}}"#, 400),
        (r#"{"data": {"message": {}}}"#, 400),
        (r#"{"data": [1, 2]}"#, 400),
        (r#"{"entry": "x"}"#, 400),
        (r#"{"entry": [{"changes": [{"value": []}]}]}"#, 400),
        (r#"{"test": "yes"}"#, 400),
        (r#"{"message": null}"#, 200),
        (r#"{"message": {"timestamp": {"nested": true}}}"#, 200),
        (r#"{"type": 5}"#, 400),
        (
            r#"{"entry": [{"changes": [{"field": "messages", "value": {"messages": [{"id": "w", "from": "1", "type": "text"}]}}]}]}"#,
            200,
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(exercise(body.as_bytes()), expected, "{body}");
    }
}

#[test]
fn unknown_message_types_reach_the_flow_as_unsupported() {
    for kind in [
        "sticker", "location", "reaction", "contacts", "order", "system", "", "TEXT",
    ] {
        let body = typed_body(kind, json!({"anything": [1, 2, 3]}));
        let result = accept_signed(&body);
        let Ok(deliveries) = &result else {
            panic!("type `{kind}` refused: {result:?}");
        };
        let contents: Vec<&Content> = deliveries
            .iter()
            .filter_map(|delivery| match delivery {
                Delivery::Message(message) => Some(&message.content),
                Delivery::Ignored(_) => None,
            })
            .collect();
        assert!(
            matches!(contents.as_slice(), [Content::Unsupported { .. }]),
            "type `{kind}`: {contents:?}"
        );
        assert_eq!(exercise(&body), 200, "type `{kind}`");
    }
}

#[test]
#[ignore]
fn zz_scaling_probe() {
    for kind in ["digits", "spaces", "words", "accents", "letters"] {
        for size in [16_384_usize, 65_536, 262_144] {
            let text = match kind {
                "digits" => "9".repeat(size),
                "spaces" => " ".repeat(size),
                "words" => "almuerzo 12.500 ".repeat(size / 16),
                "accents" => "é".repeat(size / 2),
                _ => "a".repeat(size),
            };
            let body = text_body("wamid.s", &text);
            let started = std::time::Instant::now();
            let status = status_of(&accept_signed(&body));
            let accept = started.elapsed();
            exercise(&body);
            eprintln!(
                "{kind} {size}: accept {accept:?} total {:?} status {status}",
                started.elapsed()
            );
        }
    }
}
