//! The `remotedev` command line, with the reference relay's flags (`--hostname`,
//! `--port`, `--logLevel`, `--dbOptions`, …). It lives in the library so that every
//! front end runs the same parser: the `remotedev` binary and Python's
//! `python -m remotedev` both call [`main`].

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::Parser;

use crate::logging::{set_log_level, LogLevel};
use crate::protocol::ProtocolVersion;
use crate::relay::{AuthKey, DEFAULT_HOST, DEFAULT_PORT};
use crate::store::StoreLocation;
use crate::{Relay, RelayError, RelayOptions};

/// A RemoteDev / Redux DevTools relay: point remote Redux DevTools apps and monitors at
/// ws://HOSTNAME:PORT/socketcluster/ (wss:// with --protocol https).
#[derive(Parser, Debug)]
#[command(name = "remotedev", version, about)]
struct Args {
    /// Interface to listen on. The default accepts connections from this machine only;
    /// use --hostname 0.0.0.0 (or ::) to listen on all interfaces, e.g. for phones and
    /// emulators (then also set --authKey).
    #[arg(env = "REMOTEDEV_HOSTNAME", long, default_value = DEFAULT_HOST)]
    hostname: String,
    /// TCP port; 0 picks a free one.
    #[arg(env = "REMOTEDEV_PORT", long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// 0 = silent, 1 = errors, 2 = warnings, 3 = info, 4 = debug, 5 = trace.
    #[arg(env = "REMOTEDEV_LOG_LEVEL", long = "logLevel", default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=5))]
    log_level: u8,
    /// Milliseconds between keep-alive pings to each socket.
    #[arg(env = "REMOTEDEV_PING_INTERVAL", long = "pingInterval", default_value_t = 8000, value_parser = clap::value_parser!(u64).range(1..))]
    ping_interval: u64,
    /// Milliseconds of silence after which a socket is closed (4001); sent to clients.
    #[arg(env = "REMOTEDEV_PING_TIMEOUT", long = "pingTimeout", default_value_t = 20000, value_parser = clap::value_parser!(u64).range(1..))]
    ping_timeout: u64,
    /// Largest inbound message in bytes (at most 1 GiB); larger ones close the socket with 1009.
    #[arg(env = "REMOTEDEV_MAX_PAYLOAD", long = "maxPayload", default_value_t = 100 * 1024 * 1024)]
    max_payload: usize,
    /// Bytes that may wait for one slow socket before it is closed with 4100.
    #[arg(env = "REMOTEDEV_MAX_OUTBOUND_BYTES", long = "maxOutboundBytes", default_value_t = 64 * 1024 * 1024)]
    max_outbound_bytes: usize,
    /// Keep-alive form: auto (both until the client answers one), 1 (`#1`/`#2`) or 2 (empty frames).
    #[arg(
        env = "REMOTEDEV_PROTOCOL_VERSION",
        long = "protocolVersion",
        default_value = "auto"
    )]
    protocol_version: ProtocolVersion,
    /// Milliseconds a logged-in socket may take to subscribe before targeted messages
    /// are sent to it as plain events.
    #[arg(
        env = "REMOTEDEV_SUBSCRIBE_GRACE_MS",
        long = "subscribeGraceMs",
        default_value_t = 2000
    )]
    subscribe_grace_ms: u64,
    /// Report database as the reference's knex JSON config file: SQLite
    /// {"client":"sqlite3","connection":{"filename":"reports.sqlite3"}} (filename may be
    /// ":memory:") or PostgreSQL {"client":"pg","connection":"postgres://user:pw@host/db"}
    /// (or "connection":{"host","port","user","password","database"}).
    #[arg(env = "REMOTEDEV_DB_OPTIONS", long = "dbOptions", value_name = "FILE")]
    db_options: Option<std::path::PathBuf>,
    /// Report database file, :memory: (lost on exit), or a PostgreSQL URL
    /// postgres://user:password@host:5432/database (shared by several relays). Default:
    /// remotedev/reports.sqlite3 in the user's data directory (e.g.
    /// ~/.local/share/remotedev/reports.sqlite3), created on first use.
    #[arg(
        env = "REMOTEDEV_DB",
        hide_env_values = true,
        long = "db",
        value_name = "PATH"
    )]
    db: Option<String>,
    /// Largest HTTP request body (report uploads, GraphQL): bytes, or with a kb/mb/gb
    /// suffix like the reference's "16mb". Larger requests get 413.
    #[arg(env = "REMOTEDEV_MAX_REQUEST_BODY", long = "maxRequestBody", default_value = "16mb", value_parser = parse_size)]
    max_request_body: usize,
    /// Open the monitor UI in the system browser once the relay listens: --open or
    /// --open=browser ($BROWSER is honoured). The reference's --open=electron is not
    /// supported.
    #[arg(env = "REMOTEDEV_OPEN", long, value_name = "browser", num_args = 0..=1, require_equals = true,
          default_missing_value = "browser", value_parser = parse_open)]
    open: Option<String>,
    /// http (ws://) or https (wss:// and https:// on the same port, with --key and
    /// --cert). Default: https when --key and --cert are given, else http.
    #[arg(env = "REMOTEDEV_PROTOCOL", long, value_enum)]
    protocol: Option<Protocol>,
    /// TLS private key (PEM; an encrypted PKCS#8 key needs --passphrase).
    #[arg(env = "REMOTEDEV_KEY", long, value_name = "FILE")]
    key: Option<std::path::PathBuf>,
    /// TLS certificate chain (PEM: the server certificate, then any intermediates).
    #[arg(env = "REMOTEDEV_CERT", long, value_name = "FILE")]
    cert: Option<std::path::PathBuf>,
    /// Passphrase of an encrypted --key.
    #[arg(
        env = "REMOTEDEV_PASSPHRASE",
        hide_env_values = true,
        long,
        value_name = "TEXT"
    )]
    passphrase: Option<String>,
    /// Also accept browser pages from this origin (scheme://host[:port]; null or
    /// file:// for pages opened from files; * turns the Origin check off). Repeatable.
    /// Always accepted: the relay's own pages, http(s)://localhost|127.0.0.1|[::1] on
    /// any port, browser extensions, and requests without an Origin (native clients).
    #[arg(
        env = "REMOTEDEV_ALLOW_ORIGIN",
        value_delimiter = ',',
        long = "allowOrigin",
        value_name = "ORIGIN"
    )]
    allow_origin: Vec<String>,
    /// Require a token: sockets must present a JWT signed (HS256) with SECRET before
    /// logging in or subscribing, and the report API needs `Authorization: Bearer`.
    /// `remotedev token` prints a token.
    #[arg(
        long = "authKey",
        env = "REMOTEDEV_AUTH_KEY",
        hide_env_values = true,
        value_name = "SECRET",
        global = true
    )]
    auth_key: Option<String>,
    /// As --authKey, with the secret read from FILE (trailing newline ignored).
    #[arg(
        long = "authKeyFile",
        env = "REMOTEDEV_AUTH_KEY_FILE",
        value_name = "FILE",
        global = true
    )]
    auth_key_file: Option<std::path::PathBuf>,
    /// Monitors may watch but not command apps (DISPATCH, ACTION, IMPORT, … refused).
    #[arg(env = "REMOTEDEV_READ_ONLY", long = "readOnly")]
    read_only: bool,
    /// Cluster mode: relays sharing this Redis (redis://HOST:PORT[/DB]) behave as one
    /// relay to every client (README "Cluster mode").
    #[arg(
        long,
        value_name = "URL",
        env = "REMOTEDEV_REDIS_URL",
        hide_env_values = true
    )]
    redis: Option<String>,
    /// Names the cluster inside a shared Redis (A-Z a-z 0-9 _ - .); needs --redis.
    #[arg(
        long,
        value_name = "NAME",
        requires = "redis",
        env = "REMOTEDEV_CLUSTER"
    )]
    cluster: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Subcommands; without one, `remotedev` runs the relay.
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Print a token signed with the key (--authKey, --authKeyFile or
    /// REMOTEDEV_AUTH_KEY) for clients of a relay started with the same key.
    Token {
        /// How long the token is valid, e.g. 30d, 12h, 90m (default: until the key
        /// changes).
        #[arg(env = "REMOTEDEV_TOKEN_EXP", long, value_parser = crate::relay::parse_expiry)]
        exp: Option<Duration>,
    },
}

/// The key from --authKey or --authKeyFile (or their environment variables, see
/// [`parse`] for which wins).
fn auth_key(args: &Args) -> Result<Option<AuthKey>, String> {
    if let Some(k) = args.auth_key.as_ref().filter(|k| !k.is_empty()) {
        return Ok(Some(AuthKey::new(k.clone())));
    }
    if let Some(file) = &args.auth_key_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("--authKeyFile {}: {e}", file.display()))?;
        return Ok(Some(AuthKey::new(text.trim_end_matches(['\n', '\r']))));
    }
    Ok(None)
}

/// Parses the command line with every option's `REMOTEDEV_*` environment variable.
/// Of two options that exclude each other (`--db` / `--dbOptions`, `--authKey` /
/// `--authKeyFile`), one given on the command line wins over the other's environment
/// variable; both on the command line, or both in the environment, are refused.
fn parse<I, T>(args: I) -> Result<Args, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use clap::{CommandFactory, FromArgMatches};
    let mut command = Args::command();
    let matches = command.try_get_matches_from_mut(args)?;
    let mut parsed = Args::from_arg_matches(&matches)?;
    let pairs = [
        (("db_options", "--dbOptions"), ("db", "--db")),
        (
            ("auth_key", "--authKey"),
            ("auth_key_file", "--authKeyFile"),
        ),
    ];
    for ((a, a_flag), (b, b_flag)) in pairs {
        let (Some(sa), Some(sb)) = (matches.value_source(a), matches.value_source(b)) else {
            continue;
        };
        let drop = match (sa, sb) {
            (ValueSource::CommandLine, ValueSource::EnvVariable) => b,
            (ValueSource::EnvVariable, ValueSource::CommandLine) => a,
            _ => {
                let env = |flag: &str| {
                    command
                        .get_arguments()
                        .find(|arg| arg.get_long() == flag.strip_prefix("--"))
                        .and_then(|arg| arg.get_env())
                        .map(|e| e.to_string_lossy().into_owned())
                        .unwrap_or_default()
                };
                let place = if sa == ValueSource::EnvVariable {
                    format!(
                        "the environment variables {} and {}",
                        env(a_flag),
                        env(b_flag)
                    )
                } else {
                    format!("{a_flag} and {b_flag}")
                };
                return Err(command.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("{place} cannot be used together: give one of them"),
                ));
            }
        };
        match drop {
            "db" => parsed.db = None,
            "db_options" => parsed.db_options = None,
            "auth_key" => parsed.auth_key = None,
            _ => parsed.auth_key_file = None,
        }
    }
    Ok(parsed)
}

/// `remotedev token`: prints a token for the configured key.
fn print_token(args: &Args, exp: Option<Duration>) -> ExitCode {
    let key = match auth_key(args) {
        Ok(Some(key)) => key,
        Ok(None) => {
            eprintln!(
                "remotedev token: no key: pass --authKey SECRET or --authKeyFile FILE, or set REMOTEDEV_AUTH_KEY"
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("remotedev token: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = key.validate() {
        eprintln!("remotedev token: {e}");
        return ExitCode::FAILURE;
    }
    println!("{}", key.issue_token(exp));
    ExitCode::SUCCESS
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

/// `--protocol`: the reference's names.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// Plain ws:// and http://.
    Http,
    /// TLS: wss:// and https://.
    Https,
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
    n.checked_mul(scale).filter(|n| *n > 0).ok_or_else(|| {
        format!(
            "{text:?} is out of range: give 1 byte or more, at most {}",
            usize::MAX
        )
    })
}

/// Runs the relay as the `remotedev` command: parses `args` (the first one is the
/// program name, shown in `--help`), serves until Ctrl-C or SIGTERM, and returns the
/// process's exit status: 0 after a clean shutdown (and for `--help` / `--version`),
/// 1 when the relay cannot start (a busy port, a bad store, invalid options: one line
/// on stderr names the problem), 2 for unusable arguments (clap's message).
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match parse(args) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    if let Some(Command::Token { exp }) = args.command {
        return print_token(&args, exp);
    }
    if let Ok(level) = LogLevel::from_number(i64::from(args.log_level)) {
        set_log_level(level);
    }
    let options = match relay_options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("remotedev: {message}");
            return ExitCode::FAILURE;
        }
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

fn relay_options(args: &Args) -> Result<RelayOptions, String> {
    let store = match (&args.db_options, &args.db) {
        (Some(file), _) => {
            StoreLocation::from_knex_file(file).map_err(|e| format!("--dbOptions: {e}"))?
        }
        (None, Some(db)) => StoreLocation::from_db_arg(db),
        (None, None) => StoreLocation::DataDir,
    };
    let https = match (args.protocol, &args.key, &args.cert) {
        (Some(Protocol::Http), None, None) | (None, None, None) => {
            if args.passphrase.is_some() {
                return Err("--passphrase is only used with --key (https)".to_owned());
            }
            false
        }
        (Some(Protocol::Http), _, _) => {
            return Err(
                "--key and --cert serve https: use --protocol https (or leave --protocol out)"
                    .to_owned(),
            )
        }
        (_, Some(_), Some(_)) => true,
        (_, None, _) => {
            return Err("https needs --key FILE (the certificate's private key)".to_owned())
        }
        (_, _, None) => return Err("https needs --cert FILE (the certificate chain)".to_owned()),
    };
    let pem = |path: &Option<std::path::PathBuf>| {
        path.clone()
            .filter(|_| https)
            .map(crate::tls::PemSource::File)
    };
    let options = RelayOptions {
        host: args.hostname.clone(),
        tls_cert: pem(&args.cert),
        tls_key: pem(&args.key),
        tls_passphrase: args.passphrase.clone().filter(|_| https),
        port: args.port,
        ping_interval: Duration::from_millis(args.ping_interval),
        ping_timeout: Duration::from_millis(args.ping_timeout),
        max_payload: args.max_payload,
        outbound_limit: args.max_outbound_bytes,
        protocol_version: args.protocol_version,
        subscribe_grace: Duration::from_millis(args.subscribe_grace_ms),
        max_request_body: args.max_request_body,
        store,
        allow_origins: args.allow_origin.clone(),
        auth_key: auth_key(args)?,
        read_only: args.read_only,
        redis: args.redis.clone(),
        cluster: args.cluster.clone(),
        ..RelayOptions::default()
    };
    options.validate().map_err(|e| match flag_of(e.field) {
        Some(flag) => format!("invalid option {} ({flag}): {}", e.field, e.reason),
        None => e.to_string(),
    })?;
    Ok(options)
}

/// The command-line flag that sets a `RelayOptions` field, so that a refusal names
/// what the user typed (`invalid option outbound_limit (--maxOutboundBytes): …`).
fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "host" => "--hostname",
        "ping_interval" => "--pingInterval",
        "ping_timeout" => "--pingTimeout",
        "max_payload" => "--maxPayload",
        "outbound_limit" => "--maxOutboundBytes",
        "subscribe_grace" => "--subscribeGraceMs",
        "max_request_body" => "--maxRequestBody",
        "allow_origins" => "--allowOrigin",
        "auth_key" => "--authKey",
        "tls_cert" => "--cert",
        "tls_key" => "--key",
        "tls_passphrase" => "--passphrase",
        "redis" => "--redis",
        "cluster" => "--cluster",
        _ => return None,
    })
}

async fn serve(options: RelayOptions, open: bool) -> ExitCode {
    // Handlers first: a Ctrl-C right after the start-up line must shut down cleanly.
    let signals = Signals::install();
    let store = options.store.clone();
    let serve_ui = options.serve_ui;
    let auth = options.auth_key.is_some();
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
    // Whoever started us may stop reading stdout after the first line (a supervisor,
    // a test): a closed pipe must not end the relay, so no println! (which panics).
    say(format_args!("remotedev relay listening on {}", relay.url()));
    let ui = (crate::relay::ui::BUILT_IN && serve_ui)
        .then(|| crate::relay::ui::page_url(relay.local_addr(), relay.is_secure()));
    if let Some(url) = &ui {
        say(format_args!("remotedev monitor UI at {url}"));
    }
    if open {
        match ui {
            Some(url) => open_browser(url),
            None => eprintln!("remotedev: --open: this relay was built without the monitor UI"),
        }
    }
    if auth && !relay.local_addr().ip().is_loopback() {
        tracing::info!("sockets and the report API need a token (`remotedev token` prints one)");
    } else if !auth && !relay.local_addr().ip().is_loopback() {
        tracing::warn!(
            "listening beyond this machine without --authKey: anyone who can reach the port can watch and command your apps"
        );
    }
    tracing::info!("reports are stored in {store}");
    let _ = std::io::stdout().flush();
    tokio::select! {
        _ = signals.wait() => {}
        _ = reload_tls_on_hangup(&relay) => {}
    }
    tracing::info!("shutting down");
    relay.shutdown().await;
    ExitCode::SUCCESS
}

/// One line on stdout, flushed; a closed stdout is ignored.
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// On a thread of its own: a browser command may take a while or never return.
fn open_browser(url: String) {
    std::thread::spawn(move || {
        if let Err(e) = crate::relay::ui::open_browser(&url) {
            eprintln!("remotedev: --open: cannot open {url}: {e}");
        }
    });
}

/// With TLS: reads the certificate and key again on every SIGHUP (a failed reload keeps
/// the previous certificate and logs why). Never returns.
async fn reload_tls_on_hangup(relay: &Relay) {
    #[cfg(unix)]
    if relay.is_secure() {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut hup) = signal(SignalKind::hangup()) {
            while hup.recv().await.is_some() {
                match relay.reload_tls() {
                    Ok(_) => tracing::info!("SIGHUP: reloaded the TLS certificate and key"),
                    Err(e) => tracing::error!("SIGHUP: kept the previous certificate: {e}"),
                }
            }
        }
    }
    let _ = relay;
    std::future::pending::<()>().await
}

/// SIGINT and SIGTERM, registered when created.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = signal(SignalKind::interrupt())
                .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                .ok();
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.streams {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag, of the relay and of its subcommands, has a `REMOTEDEV_*` variable
    /// named after it (upper snake case), so new flags cannot forget theirs.
    #[test]
    fn every_flag_has_an_environment_variable() {
        use clap::CommandFactory;
        let command = Args::command();
        let mut commands = vec![&command];
        commands.extend(command.get_subcommands());
        for cmd in commands {
            for arg in cmd.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if matches!(long, "help" | "version") {
                    continue;
                }
                let mut want = String::from("REMOTEDEV_");
                if cmd.get_name() != command.get_name() && !arg.is_global_set() {
                    want.push_str(&cmd.get_name().to_uppercase());
                    want.push('_');
                }
                for (i, c) in long.chars().enumerate() {
                    if c.is_ascii_uppercase() && i > 0 {
                        want.push('_');
                    }
                    want.push(c.to_ascii_uppercase());
                }
                // the name issue 15 gives it, the one deployments already use
                if want == "REMOTEDEV_REDIS" {
                    want.push_str("_URL");
                }
                assert_eq!(
                    arg.get_env().and_then(|e| e.to_str()),
                    Some(want.as_str()),
                    "--{long} of {}",
                    cmd.get_name()
                );
            }
        }
    }

    #[test]
    fn flags_map_to_options_and_bad_combinations_are_refused() {
        let args = Args::try_parse_from([
            "remotedev",
            "--port=0",
            "--pingInterval",
            "100",
            "--pingTimeout",
            "500",
            "--db",
            ":memory:",
        ])
        .unwrap();
        let o = relay_options(&args).unwrap();
        assert_eq!((o.port, o.ping_interval), (0, Duration::from_millis(100)));
        let args = Args::try_parse_from(["remotedev", "--pingInterval", "30000"]).unwrap();
        let e = relay_options(&args).unwrap_err();
        assert!(e.contains("ping_interval"), "{e}");
        assert!(Args::try_parse_from(["remotedev", "--maxRequestBody", "12xb"]).is_err());
        let args = Args::try_parse_from([
            "remotedev",
            "--allowOrigin",
            "http://192.168.1.5:3000",
            "--allowOrigin=null",
            "--authKey",
            "k",
            "--readOnly",
        ])
        .unwrap();
        let o = relay_options(&args).unwrap();
        assert_eq!(o.allow_origins.len(), 2);
        assert!(o.read_only && o.auth_key == Some(AuthKey::new("k")));
        let args = Args::try_parse_from(["remotedev", "--allowOrigin", "example.com"]).unwrap();
        assert!(relay_options(&args).unwrap_err().contains("allow_origins"));
        let args =
            Args::try_parse_from(["remotedev", "token", "--authKey", "k", "--exp", "30d"]).unwrap();
        assert!(
            matches!(args.command, Some(Command::Token { exp: Some(d) }) if d.as_secs() == 30 * 86400)
        );
    }

    #[test]
    fn redis_and_cluster_flags() {
        let args = Args::try_parse_from([
            "remotedev",
            "--redis",
            "redis://127.0.0.1:6390/2",
            "--cluster",
            "eu-1",
        ])
        .unwrap();
        let o = relay_options(&args).unwrap();
        assert_eq!(o.redis.as_deref(), Some("redis://127.0.0.1:6390/2"));
        assert_eq!(o.cluster.as_deref(), Some("eu-1"));
        let args = Args::try_parse_from(["remotedev", "--redis", "localhost:6379"]).unwrap();
        let e = relay_options(&args).unwrap_err();
        assert!(e.contains("redis") && e.contains("redis://"), "{e}");
        let args = Args::try_parse_from(["remotedev", "--redis", "redis://h", "--cluster", "a b"])
            .unwrap();
        assert!(relay_options(&args).unwrap_err().contains("cluster"));
        assert!(Args::try_parse_from(["remotedev", "--cluster", "x"]).is_err());
    }

    #[test]
    fn tls_flags_follow_the_https_rule() {
        let parse = |a: &[&str]| {
            let mut all = vec!["remotedev"];
            all.extend_from_slice(a);
            relay_options(&Args::try_parse_from(all).unwrap())
        };
        let o = parse(&["--key", "k.pem", "--cert", "c.pem"]).unwrap();
        assert!(o.is_secure(), "--key and --cert alone imply https");
        let o = parse(&[
            "--protocol",
            "https",
            "--key",
            "k",
            "--cert",
            "c",
            "--passphrase",
            "p",
        ])
        .unwrap();
        assert_eq!(o.tls_passphrase.as_deref(), Some("p"));
        assert!(!parse(&["--protocol", "http"]).unwrap().is_secure());
        let e = parse(&["--protocol", "https"]).unwrap_err();
        assert!(e.contains("--key"), "{e}");
        let e = parse(&["--protocol", "https", "--key", "k"]).unwrap_err();
        assert!(e.contains("--cert"), "{e}");
        let e = parse(&["--cert", "c"]).unwrap_err();
        assert!(e.contains("--key"), "{e}");
        let e = parse(&["--protocol", "http", "--key", "k", "--cert", "c"]).unwrap_err();
        assert!(e.contains("--protocol https"), "{e}");
        assert!(parse(&["--passphrase", "p"]).is_err());
        assert!(Args::try_parse_from(["remotedev", "--protocol", "ftp"]).is_err());
    }
}
