//! What counts as alive (SC§8.3 step 3, issue 13 kind 1): bytes, not whole frames.
//! A phone on slow Wi-Fi uploading a large state is never closed for silence, and
//! neither is a monitor on a slow link downloading one.

use std::time::{Duration, Instant};

mod common;

use common::{Got, Peer};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const TWO_MIB: usize = 2 * 1024 * 1024;

/// A relay that pings every `interval` ms and closes after `timeout` ms of silence.
async fn relay_pinging(interval: u64, timeout: u64) -> remotedev::Relay {
    let mut options = common::options();
    options.ping_interval = Duration::from_millis(interval);
    options.ping_timeout = Duration::from_millis(timeout);
    common::relay(options).await
}

/// The peer's TCP stream, to write or read raw WebSocket bytes at our own pace.
fn plain_tcp(peer: Peer) -> tokio::net::TcpStream {
    let MaybeTlsStream::Plain(tcp) = peer.ws.into_inner() else {
        panic!("plain TCP expected");
    };
    tcp
}

/// `len` letters, a..z repeated: a large string payload.
fn letters(len: usize) -> String {
    (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}

/// One masked client text frame (RFC 6455 §5.2) holding `payload`.
fn masked_text_frame(payload: &[u8]) -> Vec<u8> {
    let mask = [0x37u8, 0xfa, 0x21, 0x3d];
    let mut out = vec![0x81u8];
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// A `log` whose payload is a 2 MiB string, as a phone's lifted state upload.
fn big_log() -> (String, String) {
    let payload = letters(TWO_MIB);
    let data = format!(r#"{{"type":"STATE","id":"slowPhone","payload":"{payload}"}}"#);
    (format!(r#"{{"event":"log","data":{data}}}"#), data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_trickled_over_four_ping_timeouts_arrives_and_nobody_is_closed() {
    let relay = relay_pinging(2000, 5000).await;
    let url = relay.url();

    // A monitor that answers pings and reports every log it gets.
    let mut monitor = Peer::login(&url, "{}").await;
    let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel::<Got>();
    let monitor_task = tokio::spawn(async move {
        loop {
            let Some(got) = monitor.next_within(Duration::from_secs(60)).await else {
                return;
            };
            match &got {
                Got::Text(t) if t == "#1" => monitor.send("#2").await,
                Got::Text(t) if t.is_empty() => {}
                _ => {
                    let closed = matches!(got, Got::Closed(..));
                    let _ = got_tx.send(got);
                    if closed {
                        return;
                    }
                }
            }
        }
    });

    let app = Peer::login(&url, r#""master""#).await;
    let mut tcp = plain_tcp(app);
    let (frame, data) = big_log();
    let bytes = masked_text_frame(frame.as_bytes());
    // 8 KiB every 80 ms: about 100 KiB/s, so the upload takes about 21 s, four times
    // the ping timeout, and the relay hears no complete frame meanwhile.
    let started = Instant::now();
    for chunk in bytes.chunks(8 * 1024) {
        tcp.write_all(chunk).await.expect("the relay keeps reading");
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    let took = started.elapsed();
    assert!(took > Duration::from_secs(15), "{took:?}");

    // The monitor receives it intact.
    let publish = tokio::time::timeout(Duration::from_secs(10), got_rx.recv())
        .await
        .expect("the monitor gets the log")
        .expect("monitor alive");
    let Got::Text(text) = publish else {
        panic!("monitor closed: {publish:?}");
    };
    let expected = format!(r##"{{"event":"#publish","data":{{"channel":"log","data":{data}}}}}"##);
    assert!(
        text == expected,
        "the published log differs (len {})",
        text.len()
    );

    // The app is still connected: it answers pings from now on and stays open.
    let mut app = WebSocketStream::from_raw_socket(tcp, Role::Client, None).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while let Ok(message) = tokio::time::timeout_at(deadline, app.next()).await {
        match message {
            Some(Ok(Message::Text(t))) if t.as_str() == "#1" => {
                app.send(Message::text("#2")).await.unwrap()
            }
            Some(Ok(Message::Text(_))) => {}
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("the app was closed: {other:?}"),
        }
    }
    // ... and so is the monitor.
    assert!(
        got_rx.try_recv().is_err(),
        "the monitor got more or was closed"
    );
    monitor_task.abort();
    relay.shutdown().await;
}

/// Complete server frames (unmasked, RFC 6455 §5.2) at the front of `buf`, removed
/// from it: (FIN, opcode, payload).
fn take_frames(buf: &mut Vec<u8>) -> Vec<(bool, u8, Vec<u8>)> {
    let mut frames = Vec::new();
    loop {
        if buf.len() < 2 {
            return frames;
        }
        let (fin, opcode) = (buf[0] & 0x80 != 0, buf[0] & 0x0f);
        let (len, head) = match buf[1] & 0x7f {
            126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
            127 if buf.len() >= 10 => (
                u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
                10,
            ),
            126 | 127 => return frames,
            n => (n as usize, 2),
        };
        if buf.len() < head + len {
            return frames;
        }
        frames.push((fin, opcode, buf[head..head + len].to_vec()));
        buf.drain(..head + len);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_read_slowly_past_the_ping_timeout_arrives_and_the_reader_stays() {
    let relay = relay_pinging(4000, 10000).await;
    let url = relay.url();

    // A monitor on a slow link: it reads 16 KiB every 62.5 ms (256 KiB/s) and answers
    // each ping when it gets to it, behind the state it is downloading. Without the
    // cap on unsent bytes the kernel takes the whole state at once, no write makes
    // progress, and the monitor is closed with 4001 after 10 s.
    let monitor = Peer::login(&url, "{}").await;
    let mut tcp = plain_tcp(monitor);
    let mut app = Peer::login(&url, r#""master""#).await;
    let size = 3 * 1024 * 1024;
    let payload = letters(size);
    let data = format!(r#"{{"type":"STATE","id":"big","payload":"{payload}"}}"#);
    app.send(&format!(r#"{{"event":"log","data":{data}}}"#))
        .await;
    let app_task = tokio::spawn(async move {
        while let Some(got) = app.next_within(Duration::from_secs(60)).await {
            match got {
                Got::Text(t) if t == "#1" => app.send("#2").await,
                Got::Closed(..) => return,
                _ => {}
            }
        }
    });

    // One reader for the whole test: while the state arrives it reads at 256 KiB/s;
    // once it is complete it reads at full speed for 3 s more, because a close would
    // come right behind the message (the message is finished first).
    let started = Instant::now();
    let (mut buf, mut chunk, mut message) = (Vec::new(), vec![0u8; 16 * 1024], Vec::new());
    let mut state: Option<(String, Duration)> = None;
    let mut after_state = None;
    loop {
        let wait =
            after_state.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(10));
        let Ok(read) = tokio::time::timeout_at(wait, tcp.read(&mut chunk)).await else {
            assert!(state.is_some(), "the relay stopped writing");
            break;
        };
        let n = read.expect("the monitor's connection stays open");
        assert!(
            n > 0,
            "the relay closed the monitor after {:?}",
            started.elapsed()
        );
        buf.extend_from_slice(&chunk[..n]);
        for (fin, opcode, bytes) in take_frames(&mut buf) {
            match opcode {
                0x8 => panic!(
                    "the monitor was closed after {:?}: {:?}",
                    started.elapsed(),
                    String::from_utf8_lossy(&bytes)
                ),
                0x1 if bytes == b"#1" => tcp.write_all(&masked_text_frame(b"#2")).await.unwrap(),
                0x1 if bytes.is_empty() => {}
                0x1 | 0x0 if state.is_none() => {
                    message.extend_from_slice(&bytes);
                    if fin {
                        let done = String::from_utf8(std::mem::take(&mut message)).unwrap();
                        if done.len() > size {
                            state = Some((done, started.elapsed()));
                            after_state =
                                Some(tokio::time::Instant::now() + Duration::from_secs(3));
                        }
                    }
                }
                _ => {}
            }
        }
        if state.is_none() {
            tokio::time::sleep(Duration::from_micros(62_500)).await;
        }
    }
    let (text, took) = state.expect("the state arrived");
    // Longer than the ping timeout, with the pings queued behind the state.
    assert!(took > Duration::from_secs(11), "{took:?}");
    let expected = format!(r##"{{"event":"#publish","data":{{"channel":"log","data":{data}}}}}"##);
    assert!(text == expected, "the state differs (len {})", text.len());
    app_task.abort();
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_still_closed_with_4001() {
    let relay = relay_pinging(200, 600).await;
    let mut peer = Peer::connect(&relay.url()).await;
    let started = Instant::now();
    let (code, _) = peer.closed().await;
    assert_eq!(code, Some(4001));
    assert!(started.elapsed() >= Duration::from_millis(500));
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_mid_frame_is_closed_with_4001() {
    let relay = relay_pinging(200, 600).await;
    let peer = Peer::connect(&relay.url()).await;
    let mut tcp = plain_tcp(peer);
    let (frame, _) = big_log();
    let bytes = masked_text_frame(frame.as_bytes());
    tcp.write_all(&bytes[..64 * 1024]).await.unwrap();
    // then nothing: half a frame proves nothing after pingTimeout
    let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Client, None).await;
    let code = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed in time");
    assert_eq!(code, Some(4001));
    relay.shutdown().await;
}

/// Our client receiving a large frame slowly from a scripted server: the bytes
/// arriving keep its watchdog (4000) happy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_watchdog_counts_bytes_of_a_frame_still_arriving() {
    use remotedev::client::{ConnectionState, Socket};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/socketcluster/", listener.local_addr().unwrap());
    let payload: String = "x".repeat(512 * 1024);
    let expected = payload.clone();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("handshake expected");
        };
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        ws.send(Message::text(format!(
            r#"{{"rid":{},"data":{{"id":"slowServer","pingTimeout":2000,"isAuthenticated":false}}}}"#,
            v["cid"]
        )))
        .await
        .unwrap();
        // An unmasked server frame (RFC 6455) with a 512 KiB event, written at about
        // 100 KiB/s: 2.5 times the client's 2 s ping timeout.
        let frame = format!(r#"{{"event":"big","data":"{payload}"}}"#);
        let mut bytes = vec![0x81u8, 127];
        bytes.extend_from_slice(&(frame.len() as u64).to_be_bytes());
        bytes.extend_from_slice(frame.as_bytes());
        let mut tcp = ws.into_inner();
        for chunk in bytes.chunks(4 * 1024) {
            tcp.write_all(chunk).await.unwrap();
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        // then a ping, and stay until the test is done
        let mut ws = WebSocketStream::from_raw_socket(tcp, Role::Server, None).await;
        ws.send(Message::text("#1")).await.unwrap();
        let mut closes = Vec::new();
        while let Ok(Some(Ok(m))) =
            tokio::time::timeout(Duration::from_millis(500), ws.next()).await
        {
            if let Message::Close(f) = m {
                closes.push(f.map(|f| u16::from(f.code)));
            }
        }
        closes
    });
    let socket = Socket::create(&url, common::quick_reconnect(5000)).unwrap();
    let mut big = socket.receiver("big");
    socket.connect(Duration::from_secs(5)).await.unwrap();
    let data = tokio::time::timeout(Duration::from_secs(15), big.next())
        .await
        .expect("the event arrives")
        .expect("stream open");
    assert_eq!(data.get(), format!(r#""{expected}""#));
    assert!(matches!(
        socket.state(),
        ConnectionState::Open { generation: 1, .. }
    ));
    let closes = server.await.unwrap();
    assert!(closes.is_empty(), "the client closed: {closes:?}");
}

/// A socket closed while a large publish (a fragmented message) is half written to it
/// gets the rest of that message before the close, never a frame inside the message
/// (RFC 6455 §5.4): here the slow-reader close (4100) of a monitor that stopped
/// reading in the middle of an 8 MiB state.
#[tokio::test]
async fn a_close_in_the_middle_of_a_large_message_finishes_the_message_first() {
    let mut options = common::options();
    options.outbound_limit = 256 * 1024;
    let r = common::relay(options).await;
    let mut monitor = Peer::login(&r.url(), "{}").await; // does not read for now
    let mut app = Peer::login(&r.url(), r#""master""#).await;
    let payload = format!(r#"{{"pad":"{}"}}"#, "x".repeat(8 * 1024 * 1024));
    // Far more than the socket buffers hold: the relay is left writing its middle frame.
    app.transmit("log", &payload).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.transmit("log", &payload).await; // over the monitor's budget: closed with 4100
    let first = monitor.text().await;
    assert_eq!(
        first.len(),
        payload.len() + r##"{"event":"#publish","data":{"channel":"log","data":}}"##.len()
    );
    assert!(
        first.ends_with(&format!("{payload}}}}}")),
        "the whole message"
    );
    loop {
        match monitor.next_within(Duration::from_secs(10)).await {
            Some(Got::Text(t)) if t.is_empty() || t.starts_with(r##"{"event":"#disconnect""##) => {}
            Some(Got::Closed(code, _)) => {
                assert_eq!(
                    code,
                    Some(4100),
                    "the slow-reader close, not a broken stream"
                );
                break;
            }
            other => panic!("expected the close, got {other:?}"),
        }
    }
}
