use super::*;
use crate::money::Currency;
use crate::parse::{parse_message, ParseContext};

fn fixture(name: &str) -> &'static str {
    match name {
        "kapso_text" => include_str!("../../tests/fixtures/kapso_text.json"),
        "kapso_batch" => include_str!("../../tests/fixtures/kapso_batch.json"),
        "kapso_button_reply" => include_str!("../../tests/fixtures/kapso_button_reply.json"),
        "kapso_list_reply" => include_str!("../../tests/fixtures/kapso_list_reply.json"),
        "kapso_status_delivered" => {
            include_str!("../../tests/fixtures/kapso_status_delivered.json")
        }
        "kapso_outbound_echo" => include_str!("../../tests/fixtures/kapso_outbound_echo.json"),
        "kapso_audio_transcript" => {
            include_str!("../../tests/fixtures/kapso_audio_transcript.json")
        }
        "kapso_image" => include_str!("../../tests/fixtures/kapso_image.json"),
        "kapso_test_delivery" => include_str!("../../tests/fixtures/kapso_test_delivery.json"),
        "kapso_delivered_event" => include_str!("../../tests/fixtures/kapso_delivered_event.json"),
        "meta_text" => include_str!("../../tests/fixtures/meta_text.json"),
        "meta_status" => include_str!("../../tests/fixtures/meta_status.json"),
        other => panic!("no fixture named {other}"),
    }
}

fn messages(name: &str) -> Vec<InboundMessage> {
    normalise(fixture(name).as_bytes(), None)
        .unwrap_or_else(|error| panic!("{name}: {error}"))
        .into_iter()
        .filter_map(|delivery| match delivery {
            Delivery::Message(message) => Some(message),
            Delivery::Ignored(_) => None,
        })
        .collect()
}

fn only_message(name: &str) -> InboundMessage {
    let mut all = messages(name);
    assert_eq!(all.len(), 1, "{name} should hold one message");
    all.remove(0)
}

#[test]
fn kapso_text_becomes_inbound_text() {
    let message = only_message("kapso_text");
    assert_eq!(
        message.id,
        "wamid.HBgLNTY5MTIzNDU2NzgVAgASGBQzQUI1RjE2QjJBNkY2QzE4RTM4MQA="
    );
    assert_eq!(message.phone_number_id, "100200300400500");
    assert_eq!(message.sender.phone.as_deref(), Some("56912345678"));
    assert_eq!(message.sender.name.as_deref(), Some("Camila Rojas"));
    assert_eq!(message.timestamp, Some(1_796_371_200));
    assert_eq!(message.content, Content::Text("almuerzo 12500".into()));
    assert!(!message.is_test);
}

// A zero-width space pasted inside `12500` used to reach the parser, which
// read it as two expenses, of 12 and of 500.
#[test]
fn invisible_characters_leave_every_text() {
    let zero_width = "almuerzo 12\u{200b}500";
    let text = fixture("kapso_text").replace("almuerzo 12500", zero_width);
    let message = normalise(text.as_bytes(), None).expect("payload");
    let Some(Delivery::Message(message)) = message.into_iter().next() else {
        panic!("no message");
    };
    assert_eq!(message.content, Content::Text("almuerzo 12500".into()));

    let reply = fixture("kapso_button_reply").replace("\"title\": \"", "\"title\": \"\u{202e}");
    let choices = normalise(reply.as_bytes(), None).expect("payload");
    let Some(Delivery::Message(tap)) = choices.into_iter().next() else {
        panic!("no message");
    };
    let Content::Choice { title, .. } = tap.content else {
        panic!("not a choice: {:?}", tap.content);
    };
    assert!(!title.contains('\u{202e}'), "{title:?}");
    assert!(!title.is_empty());

    let context = ParseContext {
        locale: "es-CL",
        home_currency: Currency::Clp,
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
    };
    let Content::Text(body) = message.content else {
        unreachable!()
    };
    assert_eq!(parse_message(&body, &context).len(), 1, "one expense");
}

#[test]
fn kapso_batch_gives_each_message() {
    let all = messages("kapso_batch");
    let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["wamid.batch.1", "wamid.batch.2"]);
    assert!(all
        .iter()
        .all(|m| m.sender.phone.as_deref() == Some("5215512345678")));
    assert!(all.iter().all(|m| m.phone_number_id == "200300400500600"));
    assert_eq!(all[1].content, Content::Text("uber 89".into()));
}

#[test]
fn button_and_list_replies_become_choices() {
    let button = only_message("kapso_button_reply");
    assert_eq!(
        button.content,
        Content::Choice {
            id: "cat:3f6b2a".into(),
            title: "Comida".into()
        }
    );
    let list = only_message("kapso_list_reply");
    assert_eq!(
        list.content,
        Content::Choice {
            id: "cat:9a01".into(),
            title: "Transporte".into()
        }
    );
}

#[test]
fn statuses_echoes_and_other_events_are_ignored() {
    let cases = [
        ("kapso_status_delivered", Ignored::Outbound),
        ("kapso_outbound_echo", Ignored::Outbound),
        (
            "kapso_delivered_event",
            Ignored::Event("whatsapp.message.delivered".into()),
        ),
        ("meta_status", Ignored::Status),
    ];
    for (name, expected) in cases {
        let deliveries = normalise(fixture(name).as_bytes(), None).expect(name);
        assert_eq!(deliveries, vec![Delivery::Ignored(expected)], "{name}");
    }
}

#[test]
fn event_header_names_the_event_when_body_does_not() {
    let deliveries = normalise(
        fixture("kapso_text").as_bytes(),
        Some("whatsapp.message.read"),
    )
    .expect("read");
    assert_eq!(
        deliveries,
        vec![Delivery::Ignored(Ignored::Event(
            "whatsapp.message.read".into()
        ))]
    );
    let received = normalise(fixture("kapso_text").as_bytes(), Some(MESSAGE_RECEIVED));
    assert!(matches!(received.as_deref(), Ok([Delivery::Message(_)])));
}

#[test]
fn audio_keeps_transcript() {
    let message = only_message("kapso_audio_transcript");
    assert_eq!(
        message.content,
        Content::Audio {
            transcript: Some("taxi 8000 ayer".into())
        }
    );
}

#[test]
fn image_keeps_media_and_caption() {
    let message = only_message("kapso_image");
    assert_eq!(
        message.content,
        Content::Image {
            media_id: Some("media-image-1".into()),
            url: Some("https://api.kapso.ai/media/image-1".into()),
            caption: Some("boleta jumbo".into()),
            mime_type: Some("image/jpeg".into()),
        }
    );
}

#[test]
fn kapso_test_delivery_is_marked() {
    assert!(only_message("kapso_test_delivery").is_test);
}

#[test]
fn meta_envelope_becomes_inbound_text() {
    let message = only_message("meta_text");
    assert_eq!(message.id, "wamid.meta.1");
    assert_eq!(message.phone_number_id, "100200300400500");
    assert_eq!(message.sender.phone.as_deref(), Some("573001234567"));
    assert_eq!(
        message.sender.business_scoped_user_id.as_deref(),
        Some("CO.bsuid.42")
    );
    assert_eq!(message.sender.name.as_deref(), Some("Diego"));
    assert_eq!(
        message.content,
        Content::Text("domicilio rappi 32000".into())
    );
}

#[test]
fn bodies_that_are_not_objects_are_errors() {
    let cases: [&[u8]; 6] = [
        b"",
        b"not json",
        b"[]",
        b"42",
        b"\"text\"",
        b"{\"message\":",
    ];
    for body in cases {
        assert!(
            normalise(body, None).is_err(),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn wrong_field_types_are_errors() {
    let cases = [
        r#"{"message": 5}"#,
        r#"{"message": {"id": 7}}"#,
        r#"{"entry": {}}"#,
    ];
    for body in cases {
        assert!(
            matches!(
                normalise(body.as_bytes(), None),
                Err(PayloadError::UnexpectedShape(_))
            ),
            "{body}"
        );
    }
}

#[test]
fn objects_without_messages_are_empty() {
    for body in [
        "{}",
        r#"{"hello": "world"}"#,
        r#"{"type": "whatsapp.message.received"}"#,
    ] {
        assert_eq!(
            normalise(body.as_bytes(), None).expect(body),
            vec![],
            "{body}"
        );
    }
}

#[test]
fn message_without_id_or_number_is_incomplete() {
    let cases = [
        r#"{"message": {"type": "text", "text": {"body": "hola"}}, "phone_number_id": "1", "conversation": {"phone_number": "569"}}"#,
        r#"{"message": {"id": "wamid.x", "type": "text"}, "conversation": {"phone_number": "569"}}"#,
        r#"{"message": {"id": "wamid.x", "type": "text"}, "phone_number_id": "1"}"#,
    ];
    for body in cases {
        assert_eq!(
            normalise(body.as_bytes(), None).expect(body),
            vec![Delivery::Ignored(Ignored::Incomplete)],
            "{body}"
        );
    }
}

#[test]
fn unknown_message_types_are_unsupported() {
    let body = r#"{"message": {"id": "wamid.s", "type": "sticker", "sticker": {"id": "1"}},
        "phone_number_id": "1", "conversation": {"phone_number": "56911112222"}}"#;
    let deliveries = normalise(body.as_bytes(), None).expect("sticker");
    let [Delivery::Message(message)] = deliveries.as_slice() else {
        panic!("expected one message, got {deliveries:?}");
    };
    assert_eq!(
        message.content,
        Content::Unsupported {
            kind: "sticker".into()
        }
    );
}
