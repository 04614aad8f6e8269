//! `remotedev`: run a relay from the command line with the reference relay's flags.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use remotedev::protocol::ProtocolVersion;
use remotedev::store::StoreLocation;
use remotedev::{Relay, RelayError, RelayOptions};

// The relay allocates and frees a frame per message; mimalloc keeps that off the
// system allocator's heap-trimming path (measured: ~100k -> ~150k deliveries/s of
// 10 KiB messages here). Built without transparent huge pages: with them, the first
// thousand idle sockets cost 2 MiB steps of RSS (8.2 instead of 5.8 KiB each).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A RemoteDev / Redux DevTools relay: point remote Redux DevTools apps and monitors at
/// ws://HOSTNAME:PORT/socketcluster/.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Interface to listen on. The default accepts connections from this machine only;
    /// use --hostname 0.0.0.0 (or ::) to listen on all interfaces, e.g. for phones and
    /// emulators. The relay has no authentication.
    #[arg(long, default_value = "127.0.0.1")]
    hostname: String,
    /// TCP port; 0 picks a free one.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// 0 = silent, 1 = errors, 2 = warnings, 3 = info.
    #[arg(long = "logLevel", default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=3))]
    log_level: u8,
    /// Milliseconds between keep-alive pings to each socket.
    #[arg(long = "pingInterval", default_value_t = 8000, value_parser = clap::value_parser!(u64).range(1..))]
    ping_interval: u64,
    /// Milliseconds of silence after which a socket is closed (4001); sent to clients.
    #[arg(long = "pingTimeout", default_value_t = 20000, value_parser = clap::value_parser!(u64).range(1..))]
    ping_timeout: u64,
    /// Largest inbound message in bytes; larger ones close the socket with 1009.
    #[arg(long = "maxPayload", default_value_t = 100 * 1024 * 1024)]
    max_payload: usize,
    /// Bytes that may wait for one slow socket before it is closed with 4100.
    #[arg(long = "maxOutboundBytes", default_value_t = 64 * 1024 * 1024)]
    max_outbound_bytes: usize,
    /// Keep-alive form: auto (both until the client answers one), 1 (`#1`/`#2`) or 2 (empty frames).
    #[arg(long = "protocolVersion", default_value = "auto")]
    protocol_version: ProtocolVersion,
    /// Milliseconds a logged-in socket may take to subscribe before targeted messages
    /// are sent to it as plain events.
    #[arg(long = "subscribeGraceMs", default_value_t = 2000)]
    subscribe_grace_ms: u64,
    /// Report database as the reference's knex JSON config file, e.g.
    /// {"client":"sqlite3","connection":{"filename":"reports.sqlite3"}} (filename may be
    /// ":memory:"). Only SQLite is supported.
    #[arg(long = "dbOptions", value_name = "FILE", conflicts_with = "db")]
    db_options: Option<std::path::PathBuf>,
    /// Report database file, or :memory: (lost on exit). Default:
    /// remotedev/reports.sqlite3 in the user's data directory (e.g.
    /// ~/.local/share/remotedev/reports.sqlite3), created on first use.
    #[arg(long = "db", value_name = "PATH")]
    db: Option<String>,
    /// Largest HTTP request body (report uploads, GraphQL): bytes, or with a kb/mb/gb
    /// suffix like the reference's "16mb". Larger requests get 413.
    #[arg(long = "maxRequestBody", default_value = "16mb", value_parser = parse_size)]
    max_request_body: usize,
    /// Open the monitor UI in the system browser once the relay listens: --open or
    /// --open=browser ($BROWSER is honoured). The reference's --open=electron is not
    /// supported.
    #[arg(long, value_name = "browser", num_args = 0..=1, require_equals = true,
          default_missing_value = "browser", value_parser = parse_open)]
    open: Option<String>,
}

const ELECTRON: &str = "the Electron app is not supported; use --open or --open=browser to \
                        open the monitor in the system browser";

fn parse_open(text: &str) -> Result<String, String> {
    match text {
        "browser" => Ok(text.to_owned()),
        "electron" => Err(ELECTRON.to_owned()),
        _ => Err("use --open or --open=browser".to_owned()),
    }
}

/// `16777216`, `16mb`, `512kb`, `1gb` (1024-based, as the reference's `bytes` package).
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim().to_ascii_lowercase();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (bytes, or a number with kb/mb/gb)"))?;
    let scale: usize = match unit.trim() {
        "" | "b" => 1,
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use b, kb, mb or gb)")),
    };
    n.checked_mul(scale)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_level);
    let mut options = RelayOptions::default();
    options.host = args.hostname;
    options.port = args.port;
    options.ping_interval = Duration::from_millis(args.ping_interval);
    options.ping_timeout = Duration::from_millis(args.ping_timeout);
    options.max_payload = args.max_payload;
    options.outbound_limit = args.max_outbound_bytes;
    options.protocol_version = args.protocol_version;
    options.subscribe_grace = Duration::from_millis(args.subscribe_grace_ms);
    options.max_request_body = args.max_request_body;
    options.store = match (&args.db_options, &args.db) {
        (Some(file), _) => match StoreLocation::from_knex_file(file) {
            Ok(location) => location,
            Err(e) => {
                eprintln!("remotedev: --dbOptions: {e}");
                return ExitCode::FAILURE;
            }
        },
        (None, Some(db)) => StoreLocation::from_db_arg(db),
        (None, None) => StoreLocation::DataDir,
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("remotedev: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(options, args.open.is_some()))
}

async fn serve(options: RelayOptions, open: bool) -> ExitCode {
    let store = options.store.clone();
    let relay = match Relay::start(options).await {
        Ok(relay) => relay,
        Err(e @ RelayError::AddrInUse { .. }) => {
            eprintln!("remotedev: {e}; choose another with --port");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("remotedev: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("remotedev relay listening on {}", relay.url());
    let ui =
        remotedev::relay::ui::BUILT_IN.then(|| remotedev::relay::ui::page_url(relay.local_addr()));
    if let Some(url) = &ui {
        println!("remotedev monitor UI at {url}");
    }
    if open {
        match ui {
            Some(url) => open_browser(url),
            None => eprintln!("remotedev: --open: this relay was built without the monitor UI"),
        }
    }
    tracing::info!("reports are stored in {store}");
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    tracing::info!("shutting down");
    relay.shutdown().await;
    ExitCode::SUCCESS
}

/// On a thread of its own: a browser command may take a while or never return.
fn open_browser(url: String) {
    std::thread::spawn(move || {
        if let Err(e) = remotedev::relay::ui::open_browser(&url) {
            eprintln!("remotedev: --open: cannot open {url}: {e}");
        }
    });
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn init_logging(level: u8) {
    let max = match level {
        0 => return,
        1 => tracing::Level::ERROR,
        2 => tracing::Level::WARN,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(max)
        .with_writer(std::io::stderr)
        .init();
}
