//! The SocketCluster layer of the relay, driven frame by frame over real sockets.

mod common;

use std::time::Duration;

use common::{options, relay, Got, Peer};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn handshake_answers_with_exactly_the_reference_fields() {
    let r = relay(options()).await;
    let mut p = Peer::raw(&r.url()).await;
    p.send(r##"{"event":"#handshake","data":{"authToken":null},"cid":7}"##)
        .await;
    let text = p.text().await;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = v["data"]["id"].as_str().unwrap();
    assert_eq!(id.len(), 20);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        text,
        format!(
            r#"{{"rid":7,"data":{{"id":"{id}","pingTimeout":20000,"isAuthenticated":false}}}}"#
        )
    );
}

#[tokio::test]
async fn python_style_handshake_and_string_cid_are_accepted() {
    let r = relay(options()).await;
    let mut p = Peer::raw(&r.url()).await;
    p.send(r##"{"cid": "h1", "data": {"authToken": null}, "event": "#handshake"}"##)
        .await;
    let v = p.json().await;
    assert_eq!(v["rid"], "h1");
    assert_eq!(v["data"]["isAuthenticated"], false);
}

#[tokio::test]
async fn foreign_token_is_refused_but_handshake_completes() {
    let r = relay(options()).await;
    let mut p = Peer::raw(&r.url()).await;
    p.send(r##"{"event":"#handshake","data":{"authToken":"a.b.c"},"cid":1}"##)
        .await;
    let v = p.json().await;
    assert_eq!(
        v["data"]["authError"],
        json!({"message":"invalid token","name":"AuthTokenInvalidError"})
    );
    assert_eq!(v["data"]["isAuthenticated"], false);
    assert_eq!(
        p.json().await,
        json!({"event":"#removeAuthToken","data":null})
    );
    // the socket works normally afterwards
    let cid = p.invoke("login", r#""master""#).await;
    assert_eq!(p.json().await, json!({"rid":cid,"data":"respond"}));
}

#[tokio::test]
async fn events_before_handshake_close_4009() {
    let r = relay(options()).await;
    for early in [
        r#"{"event":"login","data":"master","cid":1}"#,
        "hello",
        r#"{"rid":1}"#,
        "[1]",
    ] {
        let mut p = Peer::raw(&r.url()).await;
        p.send(early).await;
        assert_eq!(p.closed().await.0, Some(4009), "after {early:?}");
    }
}

#[tokio::test]
async fn handshake_without_cid_closes_4008() {
    let r = relay(options()).await;
    let mut p = Peer::raw(&r.url()).await;
    p.send(r##"{"event":"#handshake","data":{"authToken":null}}"##)
        .await;
    assert_eq!(p.closed().await.0, Some(4008));
}

#[tokio::test]
async fn batch_starting_with_handshake_is_processed_in_order_and_answered_unbatched() {
    let r = relay(options()).await;
    let mut p = Peer::raw(&r.url()).await;
    p.send(r##"[{"event":"#handshake","data":{"authToken":null},"cid":1},{"event":"login","data":"master","cid":2},{"event":"#subscribe","data":"respond","cid":3}]"##)
        .await;
    assert_eq!(p.json().await["rid"], 1);
    assert_eq!(p.json().await, json!({"rid":2,"data":"respond"}));
    assert_eq!(p.json().await, json!({"rid":3}));
}

#[tokio::test]
async fn handshake_timeout_closes_4005_after_disconnect_frame() {
    let mut o = options();
    o.handshake_timeout = Duration::from_millis(200);
    let r = relay(o).await;
    let mut p = Peer::raw(&r.url()).await;
    let frame = p.text().await;
    assert_eq!(
        frame,
        r##"{"event":"#disconnect","data":{"code":4005,"data":"Did not receive #handshake from client before timeout"}}"##
    );
    assert_eq!(p.closed().await.0, Some(4005));
}

#[tokio::test]
async fn dual_ping_until_the_first_pong_then_locked() {
    let mut o = options();
    o.ping_interval = Duration::from_millis(100);
    let r = relay(o).await;

    let mut v2 = Peer::connect(&r.url()).await;
    assert_eq!(v2.next().await, Got::Text("#1".into()));
    assert_eq!(v2.next().await, Got::Text("".into()));
    v2.send("").await;
    for _ in 0..3 {
        assert_eq!(
            v2.next().await,
            Got::Text("".into()),
            "v2-locked socket gets only empty pings"
        );
    }

    let mut v1 = Peer::connect(&r.url()).await;
    assert_eq!(v1.next().await, Got::Text("#1".into()));
    assert_eq!(v1.next().await, Got::Text("".into()));
    v1.send("#2").await;
    for _ in 0..3 {
        assert_eq!(
            v1.next().await,
            Got::Text("#1".into()),
            "v1-locked socket gets only #1"
        );
    }
    // the other generation's pong is still accepted as liveness (no close)
    v1.send("").await;
    assert_eq!(v1.next().await, Got::Text("#1".into()));
}

#[tokio::test]
async fn protocol_version_option_forces_one_form() {
    let mut o = options();
    o.ping_interval = Duration::from_millis(100);
    o.protocol_version = remotedev::protocol::ProtocolVersion::V1;
    let r = relay(o).await;
    let mut p = Peer::connect(&r.url()).await;
    assert_eq!(p.next().await, Got::Text("#1".into()));
    assert_eq!(p.next().await, Got::Text("#1".into()));
}

#[tokio::test]
async fn silent_socket_closes_4001_and_answering_sockets_stay() {
    let mut o = options();
    o.ping_interval = Duration::from_millis(100);
    o.ping_timeout = Duration::from_millis(400);
    let r = relay(o).await;
    let mut silent = Peer::connect(&r.url()).await;
    let mut v1 = Peer::connect(&r.url()).await;
    let mut v2 = Peer::connect(&r.url()).await;
    let started = std::time::Instant::now();
    // answer pings for more than 2 x pingTimeout
    while started.elapsed() < Duration::from_millis(1000) {
        tokio::select! {
            got = v1.next() => if got == Got::Text("#1".into()) { v1.send("#2").await } else if got != Got::Text("".into()) { panic!("v1: {got:?}") },
            got = v2.next() => if got == Got::Text("".into()) { v2.send("").await } else if got != Got::Text("#1".into()) { panic!("v2: {got:?}") },
        }
    }
    assert_eq!(silent.closed().await.0, Some(4001));
    let cid = v1.invoke("login", "{}").await;
    assert_eq!(v1.json().await, json!({"rid":cid,"data":"log"}));
    let cid = v2.invoke("login", "{}").await;
    assert_eq!(v2.json().await, json!({"rid":cid,"data":"log"}));
}

#[tokio::test]
async fn websocket_level_pings_are_answered() {
    let r = relay(options()).await;
    let mut p = Peer::connect(&r.url()).await;
    p.ws.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(common::WAIT, async {
        loop {
            match futures_util::StreamExt::next(&mut p.ws).await {
                Some(Ok(Message::Pong(data))) => return data,
                Some(Ok(_)) => continue,
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(&pong[..], b"are you there");
}

#[tokio::test]
async fn oversize_message_closes_1009_and_others_keep_working() {
    let mut o = options();
    o.max_payload = 1024;
    let r = relay(o).await;
    let mut monitor = Peer::login(&r.url(), "{}").await;
    let mut app = Peer::login(&r.url(), r#""master""#).await;
    let mut big = Peer::connect(&r.url()).await;
    big.transmit("log", &format!("\"{}\"", "x".repeat(2000)))
        .await;
    assert_eq!(big.closed().await.0, Some(1009));
    app.transmit("log", r#"{"type":"ACTION","n":1}"#).await;
    assert_eq!(monitor.json().await["data"]["data"]["n"], 1);
}

#[tokio::test]
async fn binary_frames_are_read_as_text() {
    let r = relay(options()).await;
    let mut p = Peer::connect(&r.url()).await;
    p.ws.send(Message::binary(
        br#"{"event":"login","data":"master","cid":9}"#.to_vec(),
    ))
    .await
    .unwrap();
    assert_eq!(p.json().await, json!({"rid":9,"data":"respond"}));
}

#[tokio::test]
async fn bad_input_gets_spec_answers_and_the_socket_stays() {
    let r = relay(options()).await;
    let mut p = Peer::connect(&r.url()).await;
    // malformed JSON and raw text are ignored
    p.send("{\"event\":\"log\",").await;
    p.send("not json at all").await;
    p.send(r#"{"event":5,"cid":3}"#).await;
    // client publish is disabled
    let cid = p.invoke("#publish", r#"{"channel":"log","data":1}"#).await;
    assert_eq!(
        p.json().await,
        json!({"rid":cid,"error":{"message":"Client publish feature is disabled","name":"InvalidActionError"}})
    );
    // wrong types
    let cid = p.invoke("#subscribe", "5").await;
    assert_eq!(
        p.json().await,
        json!({"rid":cid,"error":{"message":"Subscribe channel name was malformatted","name":"InvalidActionError"}})
    );
    let cid = p.invoke("#subscribe", r#"{"channel":7}"#).await;
    assert_eq!(p.json().await["error"]["name"], "InvalidActionError");
    // unknown events
    let cid2 = p.invoke("noSuchProc", "1").await;
    assert_eq!(
        p.json().await,
        json!({"rid":cid2,"error":{"message":"No handler for event noSuchProc","name":"InvalidActionError"}})
    );
    let cid3 = p.invoke("#weird", "1").await;
    assert_eq!(p.json().await["rid"], cid3);
    // unsubscribing an unknown channel
    let cid4 = p.invoke("#unsubscribe", r#""nope""#).await;
    assert_eq!(p.json().await["error"]["name"], "BrokerError");
    let _ = (cid, cid4);
    // unknown transmits get no answer; the socket is still fine
    p.transmit("noSuchEvent", "1").await;
    let cid = p.invoke("login", r#""master""#).await;
    assert_eq!(p.json().await, json!({"rid":cid,"data":"respond"}));
}

#[tokio::test]
async fn subscribe_accepts_object_and_bare_string_and_is_idempotent() {
    let r = relay(options()).await;
    let mut sub = Peer::connect(&r.url()).await;
    sub.subscribe("log").await;
    let cid = sub.invoke("#subscribe", r#""log""#).await;
    assert_eq!(sub.json().await, json!({"rid":cid}));
    let mut app = Peer::login(&r.url(), r#""master""#).await;
    app.transmit("log", "1").await;
    assert_eq!(
        sub.text().await,
        r##"{"event":"#publish","data":{"channel":"log","data":1}}"##
    );
    sub.silent_for(Duration::from_millis(200)).await;
    // unsubscribe (transmit, as the JS clients send it) stops delivery
    sub.send(r##"{"event":"#unsubscribe","data":"log"}"##).await;
    let cid = sub.invoke("login", "{}").await; // round trip so the unsubscribe is processed
    assert_eq!(sub.json().await["rid"], cid);
    app.transmit("log", "2").await;
    sub.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn client_disconnect_event_closes_with_its_code() {
    let r = relay(options()).await;
    let mut p = Peer::connect(&r.url()).await;
    p.send(r##"{"event":"#disconnect","data":{"code":4321,"data":"bye"}}"##)
        .await;
    assert_eq!(p.closed().await.0, Some(4321));
    let mut q = Peer::connect(&r.url()).await;
    q.send(r##"{"event":"#disconnect","data":{"code":1006}}"##)
        .await;
    assert_eq!(q.closed().await.0, Some(1000));
}

#[tokio::test]
async fn plain_http_paths() {
    let r = relay(options()).await;
    let addr = r.local_addr();
    let get = |path: &'static str| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out.lines().next().unwrap_or_default().to_owned()
    };
    assert!(get("/nothing-here").await.contains("404"));
    assert!(get("/socketcluster/").await.contains("400"));
    // both spellings of the path upgrade
    let url = r.url();
    Peer::connect(&url).await;
    Peer::connect(url.trim_end_matches('/')).await;
}
