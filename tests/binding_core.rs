//! What the core owns for every binding: a receive with a deadline that tells a
//! message, a timeout and a closed handle apart; connection errors that name the
//! endpoint and the operating system's cause, also while retrying; options checked
//! once with the field named.

mod common;

use std::time::{Duration, Instant};

use remotedev::client::{
    AppOptions, BlockingApp, BlockingMonitor, BlockingSocket, ClientError, MonitorOptions, Recv,
    SocketOptions,
};
use remotedev::{BlockingRelay, RelayError, RelayOptions};

/// A port nothing listens on: bound once, then released.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn connecting_to_a_dead_port_names_the_endpoint_and_says_refused() {
    let port = dead_port();
    let url = format!("ws://127.0.0.1:{port}/socketcluster/");
    let mut options = AppOptions::new(&url);
    options.socket = common::quick_reconnect(100);
    let app = BlockingApp::start(options).unwrap();
    let started = Instant::now();
    let e = app.connect(Duration::from_millis(1500)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "within the timeout"
    );
    let text = e.to_string();
    assert!(text.contains(&url), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert_eq!(e.io_kind(), Some(std::io::ErrorKind::ConnectionRefused));
    // kept while the client goes on retrying in the background
    let last = app.last_error().expect("a last error while retrying");
    assert!(last.to_string().contains("refused"), "{last}");
    assert!(!app.is_closed());

    let monitor = BlockingMonitor::start(MonitorOptions::new(&url)).unwrap();
    let e = monitor.connect(Duration::from_millis(800)).unwrap_err();
    assert!(matches!(e, ClientError::Connect { .. }), "{e:?}");
}

#[test]
fn a_name_that_does_not_resolve_is_a_dns_error_not_a_timeout() {
    let socket = BlockingSocket::create(
        "ws://no-such-host.invalid:8000/socketcluster/",
        SocketOptions::default(),
    )
    .unwrap();
    let e = socket.connect(Duration::from_secs(5)).unwrap_err();
    assert!(matches!(e, ClientError::Connect { .. }), "{e:?}");
    assert!(e.to_string().contains("no-such-host.invalid"), "{e}");
}

#[test]
fn receiving_on_a_closed_handle_reports_closed_not_timeout() {
    let mut o = RelayOptions::default();
    o.port = 0;
    o.store = remotedev::store::StoreLocation::Memory;
    let relay = BlockingRelay::start(o).unwrap();

    let app = BlockingApp::start(AppOptions::new(relay.url())).unwrap();
    app.connect(common::WAIT).unwrap();
    assert_eq!(app.recv(Duration::from_millis(50)), Recv::TimedOut);
    app.close();
    assert!(app.is_closed());
    let started = Instant::now();
    assert_eq!(app.recv(Duration::from_secs(5)), Recv::Closed);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "at once, not after the wait"
    );

    let monitor = BlockingMonitor::start(MonitorOptions::new(relay.url())).unwrap();
    monitor.connect(common::WAIT).unwrap();
    monitor.close();
    // What reached the monitor before it closed (the app's DISCONNECTED, the report
    // list) is still handed out, then Closed at once: never a timeout.
    let started = Instant::now();
    loop {
        match monitor.recv(Duration::from_secs(5)) {
            Recv::Message(_) => continue,
            other => {
                assert!(other.is_closed(), "{other:?}");
                break;
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(1));

    let socket = BlockingSocket::create(relay.url(), SocketOptions::default()).unwrap();
    socket.connect(common::WAIT).unwrap();
    let mut sub = socket.subscribe("log").unwrap();
    let mut events = socket.receiver("respond");
    socket.close();
    assert_eq!(sub.recv(Duration::from_secs(5)), Recv::Closed);
    assert_eq!(events.recv(Duration::from_secs(5)), Recv::Closed);
    assert_eq!(socket.state().name(), "closed");
}

#[test]
fn invalid_options_are_refused_with_the_field_named() {
    let mut o = RelayOptions::default();
    o.port = 0;
    o.ping_interval = Duration::ZERO;
    let e = BlockingRelay::start(o.clone()).err().unwrap();
    assert!(
        matches!(&e, RelayError::InvalidOption(f) if f.field == "ping_interval"),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "invalid option ping_interval: must be greater than 0 ms"
    );

    o.ping_interval = Duration::from_secs(30);
    let e = BlockingRelay::start(o.clone()).err().unwrap();
    assert_eq!(
        e.to_string(),
        "invalid option ping_interval: must be less than ping_timeout (20000 ms), got 30000 ms"
    );
    o.ping_interval = Duration::from_secs(1);
    // Beyond 1 GiB one frame header would make the reader reserve more than memory.
    o.max_payload = remotedev::options::MAX_PAYLOAD_LIMIT + 1;
    let e = BlockingRelay::start(o.clone()).err().unwrap();
    assert_eq!(
        e.to_string(),
        "invalid option max_payload: must be at most 1073741824 bytes (1 GiB), got 1073741825"
    );
    o.max_payload = remotedev::options::MAX_PAYLOAD_LIMIT;
    o.worker_threads = Some(0);
    assert!(BlockingRelay::start(o).is_err());

    let mut a = AppOptions::new("ws://127.0.0.1:1/socketcluster/");
    a.max_age = 0;
    assert!(
        matches!(BlockingApp::start(a), Err(ClientError::InvalidOption(f)) if f.field == "max_age")
    );
    let mut s = SocketOptions::default();
    s.ack_timeout = Duration::ZERO;
    let e = BlockingSocket::create("ws://127.0.0.1:1/socketcluster/", s)
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "invalid option ack_timeout: must be greater than 0 ms"
    );
    assert!(remotedev::options::size("max_payload", -1).is_err());
    let mut s = SocketOptions::default();
    s.max_payload = usize::MAX;
    assert!(matches!(
        BlockingSocket::create("ws://127.0.0.1:1/socketcluster/", s),
        Err(ClientError::InvalidOption(f)) if f.field == "max_payload"
    ));
}
