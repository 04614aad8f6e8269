//! Frame classification and the encoding round trip: any text is classified without
//! panicking; every event and response it finds, re-encoded by `encode`, classifies
//! back to the same name, data, cid / rid (data byte for byte). The relay's fast path
//! (`scan_event`, `scan::is_valid_value`, issue 14) never accepts what the exact
//! decoder (serde_json) refuses, and finds the same name, data and cid when it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remotedev::protocol::{classify, encode, scan, scan_event, Frame, Inbound};

fn round_trip(f: &Frame<'_>) {
    match f {
        Frame::Event(e) => {
            let data = e.data.map(|d| d.get());
            let text = match e.cid {
                Some(cid) => {
                    let mut t = encode::transmit(&e.name, data);
                    t.pop();
                    t.push_str(&format!(r#","cid":{}}}"#, cid.get()));
                    t
                }
                None => encode::transmit(&e.name, data),
            };
            let Inbound::Frame(Frame::Event(back)) = classify(&text) else {
                panic!("re-encoded event does not classify as one: {text}");
            };
            assert_eq!(back.name, e.name);
            assert_eq!(back.data.map(|d| d.get()), data);
            assert_eq!(back.cid.map(|c| c.get()), e.cid.map(|c| c.get()));
            // and as a publication on a channel named like the event
            let publish = encode::publish(&e.name, data);
            let Inbound::Frame(Frame::Event(p)) = classify(&publish) else {
                panic!("publish does not classify: {publish}");
            };
            assert_eq!(p.name, "#publish");
        }
        Frame::Response(r) => {
            let text = match r.data {
                Some(d) => encode::ack_data(r.rid.get(), d.get()),
                None => encode::ack(r.rid.get()),
            };
            let Inbound::Frame(Frame::Response(back)) = classify(&text) else {
                panic!("re-encoded response does not classify as one: {text}");
            };
            assert_eq!(back.rid.get(), r.rid.get());
            assert_eq!(back.data.map(|d| d.get()), r.data.map(|d| d.get()));
        }
        Frame::Raw(_) => {}
    }
}

/// The fast path agrees with the exact one wherever it answers.
fn fast_path_agrees(text: &str, classified: &Inbound<'_>) {
    if let Some(fast) = scan_event(text) {
        let Inbound::Frame(Frame::Event(e)) = classified else {
            panic!("scan_event accepted what classify does not call an event: {text}");
        };
        assert_eq!(fast.name, e.name, "{text}");
        assert_eq!(fast.data, e.data.map(|d| d.get()), "{text}");
        assert_eq!(fast.cid, e.cid.map(|c| c.get()), "{text}");
    }
    // RawValue: the exact decoder's own check, which (like RFC 8259) takes numbers
    // beyond f64 such as 7E1000; a Value would refuse those.
    if scan::is_valid_value(text) {
        if let Err(e) = serde_json::from_str::<Box<serde_json::value::RawValue>>(text) {
            panic!("scan accepted what serde_json refuses ({e}): {text}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let classified = classify(&text);
    fast_path_agrees(&text, &classified);
    match classified {
        Inbound::Frame(f) => round_trip(&f),
        Inbound::Batch(frames) => frames.iter().for_each(round_trip),
        _ => {}
    }
    // any string survives json_str
    let quoted = encode::json_str(&text);
    let back: String = serde_json::from_str(&quoted).expect("json_str makes a JSON string");
    assert_eq!(back, text);
});
