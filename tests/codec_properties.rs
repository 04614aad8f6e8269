//! Properties of the codec and the relay's forwarding (issue 13, kind 3), with
//! proptest: any JSON value as `data` survives the relay byte for byte; batches keep
//! their frames in order; key order and spacing never matter.

mod common;

use common::Peer;
use proptest::prelude::*;
use remotedev::protocol::{classify, encode, Frame, Inbound};
use serde_json::Value;

/// Any JSON value: numbers (integers and finite floats), any Unicode in strings and
/// keys (escapes included), nested arrays and objects.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\"\\\\/\\u{0}-\\u{1f}\\u{7f}-\\u{ffff}]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The value as JSON text, compact or pretty.
fn json_text() -> impl Strategy<Value = String> {
    (json_value(), any::<bool>()).prop_map(|(v, pretty)| {
        if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            serde_json::to_string(&v).unwrap()
        }
    })
}

/// `{"event":…,"data":…,"cid":…}` with its keys in the given order and spacing.
fn event_frame(name: &str, data: &str, cid: Option<u64>, order: &[usize], ws: &str) -> String {
    let mut parts = vec![
        format!("\"event\"{ws}:{ws}{}", encode::json_str(name)),
        format!("\"data\"{ws}:{ws}{data}"),
    ];
    if let Some(cid) = cid {
        parts.push(format!("\"cid\"{ws}:{ws}{cid}"));
    }
    let body: Vec<&str> = order
        .iter()
        .filter_map(|i| parts.get(*i))
        .map(String::as_str)
        .collect();
    format!("{{{ws}{}{ws}}}", body.join(&format!("{ws},{ws}")))
}

fn spacing() -> impl Strategy<Value = String> {
    "[ \t\r\n]{0,3}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Our escaper (16-byte blocks) writes exactly serde_json's bytes, wherever the
    /// escapes fall relative to the blocks and however dense they are.
    #[test]
    fn escaped_strings_are_serde_jsons_bytes(
        s in prop_oneof![
            any::<String>(),
            r#"["\\a\x00-\x1f\x7f\x{e9}\x{1F600}]{0,80}"#,
            r#"[a-z]{0,40}["\\\n\x01][a-z\x{e9}]{0,40}"#,
        ],
    ) {
        prop_assert_eq!(encode::json_str(&s), serde_json::to_string(&s).unwrap());
    }

    #[test]
    fn any_data_is_kept_byte_for_byte_in_any_key_order(
        data in json_text(),
        name in "[a-z#-]{1,12}",
        cid in proptest::option::of(0u64..1_000_000),
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
        ws in spacing(),
    ) {
        let text = event_frame(&name, &data, cid, &order, &ws);
        let Inbound::Frame(Frame::Event(e)) = classify(&text) else {
            panic!("not an event: {text}");
        };
        prop_assert_eq!(&*e.name, name.as_str());
        prop_assert_eq!(e.data.map(|d| d.get()), Some(data.as_str()));
        let cid_text = cid.map(|c| c.to_string());
        prop_assert_eq!(e.cid.map(|c| c.get()), cid_text.as_deref());
        // and what the relay builds from it keeps the same bytes
        let publish = encode::publish("log", Some(&data));
        let Inbound::Frame(Frame::Event(p)) = classify(&publish) else {
            panic!("not an event: {publish}");
        };
        let inner: Value = serde_json::from_str(p.data.unwrap().get()).unwrap();
        prop_assert_eq!(&inner["channel"], "log");
        let tail = format!(",\"data\":{data}}}}}");
        prop_assert!(publish.ends_with(&tail));
    }

    #[test]
    fn batches_keep_every_frame_in_order(
        frames in prop::collection::vec((json_text(), 0u64..1000, Just(vec![0usize, 1, 2]).prop_shuffle()), 1..6),
        ws in spacing(),
    ) {
        let texts: Vec<String> = frames
            .iter()
            .map(|(d, cid, order)| event_frame("log", d, Some(*cid), order, &ws))
            .collect();
        let batch = format!("[{ws}{}{ws}]", texts.join(&format!("{ws},{ws}")));
        let Inbound::Batch(got) = classify(&batch) else {
            panic!("not a batch: {batch}");
        };
        prop_assert_eq!(got.len(), frames.len());
        for (f, (data, cid, _)) in got.iter().zip(&frames) {
            let Frame::Event(e) = f else { panic!("not an event") };
            prop_assert_eq!(e.data.map(|d| d.get()), Some(data.as_str()));
            let cid_text = cid.to_string();
            prop_assert_eq!(e.cid.map(|c| c.get()), Some(cid_text.as_str()));
        }
    }
}

/// Through a real relay: an app's `log` data arrives at a monitor byte for byte.
#[test]
fn any_data_survives_the_relay_byte_for_byte() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (relay, app, monitor) = rt.block_on(async {
        let relay = common::relay(common::options()).await;
        let app = Peer::login(&relay.url(), r#""master""#).await;
        let monitor = Peer::login(&relay.url(), "{}").await;
        (relay, app, monitor)
    });
    let peers = tokio::sync::Mutex::new((app, monitor));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(128));
    runner
        .run(&(json_text(), any::<bool>()), |(data, batched)| {
            let got = rt.block_on(async {
                let mut guard = peers.lock().await;
                let (app, monitor) = &mut *guard;
                let frame = format!(r#"{{"event":"log","data":{data}}}"#);
                if batched {
                    app.send(&format!("[{frame},{frame}]")).await;
                } else {
                    app.send(&frame).await;
                }
                let mut got = vec![monitor.text().await];
                if batched {
                    got.push(monitor.text().await);
                }
                got
            });
            let expected =
                format!(r##"{{"event":"#publish","data":{{"channel":"log","data":{data}}}}}"##);
            for g in got {
                prop_assert_eq!(g, expected.clone());
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(relay.shutdown());
}
