//! The client socket against a scripted server that misbehaves on purpose: silence
//! (watchdog), close codes (reconnect policy), server-sent private events, batches.
//! The script speaks only what each case needs; behaviour against real relays is in
//! `client_relay.rs` and `client_reference.rs`.

use std::time::{Duration, Instant};

mod common;

use common::quick_reconnect;
use futures_util::{SinkExt, StreamExt};
use remotedev::client::{ConnectionState, Socket, SocketEvent};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<tokio::net::TcpStream>;

/// Accepts connections; each one is handshaken (pingTimeout `ping_ms`) and handed to
/// the returned channel together with the handshake request's data.
async fn server(ping_ms: u64) -> (String, mpsc::UnboundedReceiver<(Ws, Value)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/socketcluster/", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((stream, _)) = listener.accept().await {
            n += 1;
            let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
            let Some(Ok(Message::Text(t))) = ws.next().await else {
                continue;
            };
            let v: Value = serde_json::from_str(&t).unwrap();
            assert_eq!(v["event"], "#handshake");
            let reply = format!(
                r#"{{"rid":{},"data":{{"id":"scriptedSocketId{n:04}","pingTimeout":{ping_ms},"isAuthenticated":false}}}}"#,
                v["cid"]
            );
            ws.send(Message::text(reply)).await.unwrap();
            if tx.send((ws, v["data"].clone())).is_err() {
                break;
            }
        }
    });
    (url, rx)
}

async fn accept(rx: &mut mpsc::UnboundedReceiver<(Ws, Value)>) -> (Ws, Value) {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a connection")
        .unwrap()
}

async fn close_with(ws: &mut Ws, code: u16) {
    ws.close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: "scripted".into(),
    }))
    .await
    .unwrap();
}

#[tokio::test]
async fn silent_server_trips_the_watchdog_and_the_client_reconnects_at_once() {
    let (url, mut conns) = server(300).await;
    let s = Socket::create(&url, quick_reconnect(300)).unwrap();
    let (mut first, _) = accept(&mut conns).await;
    let started = Instant::now();
    // the client gives up on the silent server with 4000
    let close = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match first.next().await {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(close, Some(4000));
    assert!(started.elapsed() >= Duration::from_millis(250));
    drop(first); // completes the close handshake from our side
                 // and reconnects immediately (well before the 300 ms backoff)
    let before = Instant::now();
    accept(&mut conns).await;
    assert!(
        before.elapsed() < Duration::from_millis(250),
        "{:?}",
        before.elapsed()
    );
    drop(s);
}

#[tokio::test]
async fn either_ping_form_is_answered_and_keeps_the_socket() {
    let (url, mut conns) = server(300).await;
    let s = Socket::create(&url, quick_reconnect(300)).unwrap();
    let (mut ws, _) = accept(&mut conns).await;
    s.connect(Duration::from_secs(2)).await.unwrap();
    for ping in ["#1", "", "#1", "", "#1", ""] {
        tokio::time::sleep(Duration::from_millis(150)).await;
        ws.send(Message::text(ping)).await.unwrap();
        let pong = loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => break t.to_string(),
                Some(Ok(_)) => continue,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(pong, if ping == "#1" { "#2" } else { "" });
    }
    assert!(matches!(
        s.state(),
        ConnectionState::Open { generation: 1, .. }
    ));
}

#[tokio::test]
async fn close_codes_decide_whether_to_reconnect() {
    for (code, reconnects) in [
        (1000, false),
        (4500, false),
        (4999, false),
        (4002, true),
        (1001, true),
    ] {
        let (url, mut conns) = server(5000).await;
        let s = Socket::create(&url, quick_reconnect(300)).unwrap();
        let (mut ws, _) = accept(&mut conns).await;
        s.connect(Duration::from_secs(2)).await.unwrap();
        close_with(&mut ws, code).await;
        let again = tokio::time::timeout(Duration::from_millis(1500), conns.recv()).await;
        assert_eq!(again.is_ok(), reconnects, "close {code}");
        if !reconnects {
            assert_eq!(s.state(), ConnectionState::Closed, "close {code}");
        }
    }
}

#[tokio::test]
async fn server_disconnect_event_closes_with_its_code() {
    let (url, mut conns) = server(5000).await;
    let s = Socket::create(&url, quick_reconnect(300)).unwrap();
    let mut events = s.listener();
    let (mut ws, _) = accept(&mut conns).await;
    s.connect(Duration::from_secs(2)).await.unwrap();
    ws.send(Message::text(
        r##"{"event":"#disconnect","data":{"code":4321,"data":"server says bye"}}"##,
    ))
    .await
    .unwrap();
    let code = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Ok(SocketEvent::Disconnected { code, reason }) = events.recv().await {
                return (code, reason);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(code, (4321, "server says bye".to_owned()));
}

#[tokio::test]
async fn batches_auth_tokens_and_kick_outs() {
    let (url, mut conns) = server(5000).await;
    let s = Socket::create(&url, quick_reconnect(300)).unwrap();
    let mut events = s.listener();
    let mut sub = s.subscribe("news").unwrap();
    let (mut ws, first_handshake) = accept(&mut conns).await;
    assert_eq!(first_handshake, serde_json::json!({"authToken":null}));
    // the client subscribes after the handshake; answer it
    let sub_req: Value = loop {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            break serde_json::from_str(&t).unwrap();
        }
    };
    assert_eq!(sub_req["event"], "#subscribe");
    assert_eq!(sub_req["data"]["channel"], "news");
    // a batch: the subscribe answer and two publications
    ws.send(Message::text(format!(
        r##"[{{"rid":{}}},{{"event":"#publish","data":{{"channel":"news","data":1}}}},{{"event":"#publish","data":{{"channel":"news","data":{{"n":2}}}}}}]"##,
        sub_req["cid"]
    )))
    .await
    .unwrap();
    assert_eq!(sub.next().await.unwrap().get(), "1");
    assert_eq!(sub.next().await.unwrap().get(), r#"{"n":2}"#);
    assert!(s.is_subscribed("news"));
    // a token with delivery confirmation is acknowledged and used for the next handshake
    ws.send(Message::text(
        r##"{"event":"#setAuthToken","data":{"token":"t.o.k"},"cid":9}"##,
    ))
    .await
    .unwrap();
    let ack = loop {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            break t.to_string();
        }
    };
    assert_eq!(ack, r#"{"rid":9}"#);
    ws.send(Message::text(
        r##"{"event":"#kickOut","data":{"message":"go away","channel":"news"}}"##,
    ))
    .await
    .unwrap();
    let kicked = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Ok(SocketEvent::KickedOut { channel, message }) = events.recv().await {
                return (channel, message);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(kicked, ("news".to_owned(), "go away".to_owned()));
    assert!(!s.is_subscribed("news"));
    close_with(&mut ws, 4002).await;
    let (_, second_handshake) = accept(&mut conns).await;
    assert_eq!(second_handshake, serde_json::json!({"authToken":"t.o.k"}));
}
