//! A counter app streamed to Redux DevTools through a relay, following time travel.
//!
//! `cargo run --example counter_app -- --url ws://127.0.0.1:8000/socketcluster/ --count 3 --name Counter`
//!
//! Sends `INIT` ({"count":0}) and `--count` INCREMENT actions, then keeps running. It
//! prints one JSON line `{"count":N}` each time its state changes, including when a
//! monitor jumps to a state or action (`JUMP_TO_STATE`, `JUMP_TO_ACTION`) or imports one.

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use remotedev::client::{AppClient, AppOptions, Command};
use serde_json::Value;

#[derive(Parser)]
struct Args {
    /// Relay URL.
    #[arg(long, default_value = "ws://127.0.0.1:8000/socketcluster/")]
    url: String,
    /// INCREMENT actions to send after INIT.
    #[arg(long, default_value_t = 3)]
    count: u64,
    /// Instance name shown in the monitor.
    #[arg(long, default_value = "CounterApp")]
    name: String,
}

fn print_state(count: u64) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{{\"count\":{count}}}");
    let _ = out.flush();
}

/// The counter a monitor command asks for: the `state` it carries (generic instances),
/// else the position it names (each INCREMENT adds one, so action N leaves count N).
fn target_count(action: &str, state: Option<&str>) -> Option<u64> {
    if let Some(count) = state
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .and_then(|v| v.get("count").and_then(Value::as_u64))
    {
        return Some(count);
    }
    let action: Value = serde_json::from_str(action).ok()?;
    match action.get("type")?.as_str()? {
        "JUMP_TO_STATE" => action.get("index")?.as_u64(),
        "JUMP_TO_ACTION" => action.get("actionId")?.as_u64(),
        _ => None,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut options = AppOptions::new(&args.url);
    options.name = args.name;
    let app = AppClient::start(options)?;
    if let Err(e) = app.connect(Duration::from_secs(10)).await {
        eprintln!("counter_app: not connected yet ({e}); messages are queued until it is");
    }

    let mut count = 0;
    app.init(r#"{"count":0}"#)?;
    print_state(count);
    for _ in 0..args.count {
        count += 1;
        app.send(
            r#"{"type":"INCREMENT"}"#,
            &format!(r#"{{"count":{count}}}"#),
        )?;
        print_state(count);
    }

    loop {
        tokio::select! {
            command = app.recv() => match command {
                Some(Command::Dispatch { action, state }) => match target_count(&action, state.as_deref()) {
                    Some(n) if n != count => {
                        count = n;
                        print_state(count);
                    }
                    Some(_) => {}
                    None => eprintln!("counter_app: ignoring DISPATCH {action}"),
                },
                Some(Command::Import { state }) => {
                    if let Some(n) = target_count("{}", Some(&state)) {
                        count = n;
                        print_state(count);
                    }
                }
                Some(other) => eprintln!("counter_app: {}", other.kind()),
                None => return Ok(()),
            },
            _ = tokio::signal::ctrl_c() => {
                app.close().await;
                return Ok(());
            }
        }
    }
}
