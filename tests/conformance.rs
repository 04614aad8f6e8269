//! The codec against every frame the two spec files quote and every frame recorded
//! from the reference relays and real clients (`tests/conformance/`): each one must
//! classify as what it is, and each one our encoder can build must come out byte for
//! byte as the reference sent it.

use std::path::Path;

use remotedev::protocol::error::ErrorObject;
use remotedev::protocol::{classify, encode, Event, Frame, Inbound, Response};
use serde_json::value::RawValue;
use serde_json::Value;

struct Record {
    origin: String,
    text: String,
}

fn records() -> Vec<Record> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("transcripts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let r: Value = serde_json::from_str(line).unwrap();
                if r["kind"] == "text" {
                    out.push(Record {
                        origin: format!(
                            "{}#{}",
                            path.file_name().unwrap().to_string_lossy(),
                            r["seq"]
                        ),
                        text: r["data"].as_str().unwrap().to_owned(),
                    });
                }
            }
        }
    }
    for line in std::fs::read_to_string(dir.join("spec-frames.jsonl"))
        .unwrap()
        .lines()
    {
        let r: Value = serde_json::from_str(line).unwrap();
        out.push(Record {
            origin: format!("{} {}", r["source"], r["dir"]),
            text: r["text"].as_str().unwrap().to_owned(),
        });
    }
    out
}

/// Rebuilds an event with our encoder.
fn rebuild_event(e: &Event<'_>) -> Option<String> {
    let data = e.data.map(RawValue::get);
    Some(match e.cid {
        Some(cid) => encode::invoke(&e.name, data, cid.get().parse().ok()?),
        None => encode::transmit(&e.name, data),
    })
}

/// Rebuilds a `#publish` delivery from its channel and raw data.
fn rebuild_publish(e: &Event<'_>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct P<'a> {
        channel: String,
        #[serde(borrow)]
        data: Option<&'a RawValue>,
    }
    let p: P<'_> = serde_json::from_str(e.data?.get()).ok()?;
    Some(encode::publish(&p.channel, p.data.map(RawValue::get)))
}

fn rebuild_response(r: &Response<'_>) -> Option<String> {
    let rid = r.rid.get();
    if let Some(err) = r.error {
        let e = ErrorObject::from_raw(err);
        return Some(encode::ack_error(rid, &e, r.data.map(RawValue::get)));
    }
    let Some(data) = r.data else {
        return Some(encode::ack(rid));
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Handshake {
        id: String,
        ping_timeout: u64,
        is_authenticated: bool,
    }
    if let Ok(h) = serde_json::from_str::<Handshake>(data.get()) {
        if !h.is_authenticated && !data.get().contains("authError") {
            return Some(encode::ack_data(
                rid,
                &encode::handshake_status(&h.id, h.ping_timeout, None),
            ));
        }
    }
    Some(encode::ack_data(rid, data.get()))
}

fn is_compact_js(text: &str) -> bool {
    // Frames written by JSON.stringify have no whitespace between tokens; the Python
    // client's (and the spec's prose examples) do, and are only compared semantically.
    !text.contains("\": ") && !text.contains(", \"")
}

#[test]
fn every_recorded_and_quoted_frame_classifies_and_reencodes() {
    let records = records();
    assert!(records.len() > 230, "only {} records", records.len());
    let mut rebuilt = 0;
    for rec in &records {
        let t = rec.text.as_str();
        let why = &rec.origin;
        match classify(t) {
            Inbound::Empty => assert_eq!(t, "", "{why}"),
            Inbound::PingV1 => assert_eq!(t, "#1", "{why}"),
            Inbound::PongV1 => assert_eq!(t, "#2", "{why}"),
            Inbound::Frame(Frame::Event(e)) => {
                assert!(t.contains(r#""event""#), "{why}");
                let ours = if e.name == "#publish" && !t.contains(r#""cid""#) {
                    rebuild_publish(&e)
                } else {
                    rebuild_event(&e)
                };
                if let Some(ours) = ours {
                    if is_compact_js(t) {
                        assert_eq!(ours, t, "{why}");
                    } else {
                        assert_eq!(
                            serde_json::from_str::<Value>(&ours).unwrap(),
                            serde_json::from_str::<Value>(t).unwrap(),
                            "{why}"
                        );
                    }
                    rebuilt += 1;
                }
            }
            Inbound::Frame(Frame::Response(r)) => {
                assert!(t.starts_with(r#"{"rid":"#), "{why}");
                assert_eq!(rebuild_response(&r).unwrap(), t, "{why}");
                rebuilt += 1;
            }
            other => panic!("{why}: {t:?} classified as {other:?}"),
        }
    }
    println!("{} records, {rebuilt} rebuilt", records.len());
    assert!(rebuilt > 180, "only {rebuilt} frames rebuilt");
}

#[test]
fn reference_keepalive_and_close_sequences_are_recognised() {
    // The mismatch transcripts show why the dual ping exists: each generation ignores
    // the other's ping. Ours must recognise both forms in both directions.
    for rec in records()
        .iter()
        .filter(|r| r.origin.contains("ping-mismatch"))
    {
        match classify(&rec.text) {
            Inbound::Empty | Inbound::PingV1 | Inbound::PongV1 | Inbound::Frame(_) => {}
            other => panic!("{}: {other:?}", rec.origin),
        }
    }
}
