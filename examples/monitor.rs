//! A monitor that prints every app message it receives, one JSON line each.
//!
//! `cargo run --example monitor -- --url ws://127.0.0.1:8000/socketcluster/`
//!
//! Each line is the app's message object with `id` set to the sending connection (also
//! for `log-noid` messages, which arrive wrapped). Uses the blocking API.

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use remotedev::client::{BlockingMonitor, MonitorEvent, MonitorOptions, Recv};
use serde_json::Value;

#[derive(Parser)]
struct Args {
    /// Relay URL.
    #[arg(long, default_value = "ws://127.0.0.1:8000/socketcluster/")]
    url: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let monitor = BlockingMonitor::start(MonitorOptions::new(&args.url))?;
    if let Err(e) = monitor.connect(Duration::from_secs(10)) {
        eprintln!("monitor: not connected yet ({e}); still trying");
    }
    loop {
        let event = match monitor.recv(Duration::from_secs(1)) {
            Recv::Message(event) => event,
            Recv::TimedOut => continue,
            Recv::Closed => return Ok(()),
        };
        let MonitorEvent::App(message) = event else {
            continue;
        };
        let mut value: Value = serde_json::from_str(&message.raw)?;
        if let (Value::Object(map), Some(id)) = (&mut value, &message.connection_id) {
            map.insert("id".into(), Value::String(id.clone()));
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "{value}")?;
        out.flush()?;
    }
}
