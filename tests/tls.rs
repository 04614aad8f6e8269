//! TLS (issue 11): the relay over `wss://` / `https://` with a test CA made here (root →
//! intermediate → server certificate for localhost and 127.0.0.1), our clients with the
//! CA option and with the insecure opt-in, the refusals (untrusted CA, wrong name,
//! expired, plain `ws://` against TLS) and the relay's refusals of bad files.
mod common;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use common::{options, relay, WAIT};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use remotedev::client::{
    AppClient, AppOptions, ClientError, MonitorClient, MonitorEvent, MonitorOptions, SocketOptions,
};
use remotedev::tls::{ClientTls, PemSource};
use remotedev::{RelayError, RelayOptions};

/// A test PKI in a fresh folder: `ca.pem` (root), `chain.pem` (server certificate +
/// intermediate), `key.pem`, and for the refusals `other-ca.pem`, `wrong-name.pem`
/// (+ `wrong-name-key.pem`), `expired.pem` (+ `expired-key.pem`).
struct Pki {
    dir: PathBuf,
}

fn ca_params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, format!("remotedev test {name}"));
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    p
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("remotedev-tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let root =
            CertifiedIssuer::self_signed(ca_params("root"), KeyPair::generate().unwrap()).unwrap();
        let intermediate = CertifiedIssuer::signed_by(
            ca_params("intermediate"),
            KeyPair::generate().unwrap(),
            &root,
        )
        .unwrap();
        let leaf = |names: Vec<String>, expired: bool| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(names).unwrap();
            if expired {
                p.not_before = rcgen::date_time_ymd(2020, 1, 1);
                p.not_after = rcgen::date_time_ymd(2021, 1, 1);
            }
            let cert = p.signed_by(&key, &intermediate).unwrap();
            (
                format!("{}{}", cert.pem(), intermediate.pem()),
                key.serialize_pem(),
            )
        };
        let local = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let (chain, key) = leaf(local.clone(), false);
        let (wrong, wrong_key) = leaf(vec!["example.org".to_owned()], false);
        let (expired, expired_key) = leaf(local, true);
        let other =
            CertifiedIssuer::self_signed(ca_params("other"), KeyPair::generate().unwrap()).unwrap();
        for (name, text) in [
            ("ca.pem", root.pem()),
            ("chain.pem", chain),
            ("key.pem", key),
            ("wrong-name.pem", wrong),
            ("wrong-name-key.pem", wrong_key),
            ("expired.pem", expired),
            ("expired-key.pem", expired_key),
            ("other-ca.pem", other.pem()),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn file(&self, name: &str) -> PemSource {
        PemSource::File(self.path(name))
    }

    fn relay_options(&self, cert: &str, key: &str) -> RelayOptions {
        let mut o = options();
        o.tls_cert = Some(self.file(cert));
        o.tls_key = Some(self.file(key));
        o
    }

    fn trusting(&self) -> SocketOptions {
        let mut o = common::quick_reconnect(100);
        o.tls.ca_certs = vec![self.file("ca.pem")];
        o
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn app_options(url: &str, socket: SocketOptions) -> AppOptions {
    let mut o = AppOptions::new(url);
    o.name = "Counter".into();
    o.socket = socket;
    o
}

#[tokio::test]
async fn wss_app_and_monitor_with_the_ca_option_and_an_intermediate() {
    let pki = Pki::new("ok");
    let r = relay(pki.relay_options("chain.pem", "key.pem")).await;
    assert!(r.url().starts_with("wss://127.0.0.1:"), "{}", r.url());
    assert!(r.is_secure());

    let mut mo = MonitorOptions::new(r.url());
    mo.socket = pki.trusting();
    let monitor = MonitorClient::start(mo).unwrap();
    monitor.connect(WAIT).await.unwrap();
    let app = AppClient::start(app_options(&r.url(), pki.trusting())).unwrap();
    app.connect(WAIT).await.unwrap();
    app.init(r#"{"count":0}"#).unwrap();
    app.send(r#"{"type":"INCREMENT"}"#, r#"{"count":1}"#)
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("INCREMENT") {
        match tokio::time::timeout(WAIT, monitor.recv()).await.unwrap() {
            Some(MonitorEvent::App(m)) => seen = format!("{m:?}"),
            Some(_) => {}
            None => panic!("monitor closed"),
        }
    }

    // the report upload goes over https:// with the same TLS settings
    let id = app.upload_report(r#"{"computedStates":[]}"#).await.unwrap();
    let row = monitor.get_report(&id).await.unwrap().unwrap();
    assert!(row.contains(r#""type":"STATE""#), "{row}");
    r.shutdown().await;
}

#[tokio::test]
async fn in_memory_pem_and_the_insecure_opt_in() {
    let pki = Pki::new("mem");
    let mut o = options();
    let read = |n: &str| std::fs::read_to_string(pki.path(n)).unwrap();
    o.tls_cert = Some(PemSource::Text(read("chain.pem")));
    o.tls_key = Some(PemSource::Text(read("key.pem")));
    let r = relay(o).await;
    let mut socket = common::quick_reconnect(100);
    socket.tls = ClientTls::default();
    socket.tls.dangerous_accept_any_certificate = true;
    let app = AppClient::start(app_options(&r.url(), socket)).unwrap();
    app.connect(WAIT).await.unwrap();
    // CA given as PEM text works too
    let mut socket = common::quick_reconnect(100);
    socket.tls.ca_certs = vec![PemSource::Text(read("ca.pem"))];
    let app2 = AppClient::start(app_options(&r.url(), socket)).unwrap();
    app2.connect(WAIT).await.unwrap();
    r.shutdown().await;
}

async fn refused_with(r_url: &str, socket: SocketOptions) -> String {
    let app = AppClient::start(app_options(r_url, socket)).unwrap();
    let e = app
        .connect(std::time::Duration::from_millis(1500))
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Connect { .. }), "{e:?}");
    // the same cause stays visible while the client retries (not a silent loop)
    let last = app
        .socket()
        .last_error()
        .expect("last_error while retrying");
    assert_eq!(last.to_string(), e.to_string());
    e.to_string()
}

#[tokio::test]
async fn refusals_name_the_reason() {
    let pki = Pki::new("refuse");
    let r = relay(pki.relay_options("chain.pem", "key.pem")).await;
    // platform roots only: our test CA is unknown
    let e = refused_with(&r.url(), common::quick_reconnect(100)).await;
    assert!(e.contains("UnknownIssuer"), "{e}");
    assert!(e.contains("TLS handshake with 127.0.0.1"), "{e}");
    // another CA
    let mut other = common::quick_reconnect(100);
    other.tls.ca_certs = vec![pki.file("other-ca.pem")];
    let e = refused_with(&r.url(), other).await;
    assert!(e.contains("UnknownIssuer"), "{e}");

    let wrong = relay(pki.relay_options("wrong-name.pem", "wrong-name-key.pem")).await;
    let e = refused_with(&wrong.url(), pki.trusting()).await;
    assert!(e.contains("not valid for name"), "{e}");
    let expired = relay(pki.relay_options("expired.pem", "expired-key.pem")).await;
    let e = refused_with(&expired.url(), pki.trusting()).await;
    assert!(e.contains("expired"), "{e}");

    // a plain ws:// client gets an HTTP error that says what to change, and the relay
    // keeps serving TLS clients
    let plain = r.url().replacen("wss://", "ws://", 1);
    let e = refused_with(&plain, common::quick_reconnect(100)).await;
    assert!(e.contains("HTTP 400"), "{e}");
    let app = AppClient::start(app_options(&r.url(), pki.trusting())).unwrap();
    app.connect(WAIT).await.unwrap();

    // the report upload refuses an untrusted relay with the same reason
    let untrusted = AppClient::start(app_options(&r.url(), common::quick_reconnect(100))).unwrap();
    let e = untrusted.upload_report("{}").await.unwrap_err();
    assert!(e.to_string().contains("UnknownIssuer"), "{e}");
}

#[test]
fn client_ca_option_errors_name_the_file() {
    let mut o = SocketOptions::default();
    o.tls.ca_certs = vec![PemSource::File("/nonexistent/ca.pem".into())];
    let e = AppClient::start(app_options("wss://127.0.0.1:1/socketcluster/", o.clone()))
        .err()
        .unwrap();
    assert!(matches!(e, ClientError::InvalidOption(_)), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("invalid option ca_certs: cannot read /nonexistent/ca.pem"),
        "{e}"
    );
    o.tls.ca_certs = vec![PemSource::Text("not pem".into())];
    let e = o.validate().unwrap_err();
    assert!(e.to_string().contains("holds no certificate"), "{e}");
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Encrypts `key.pem` as PKCS#8 (PBES2, AES-256-CBC) with openssl, as users do.
fn encrypt_key(pki: &Pki, passphrase: &str) -> PathBuf {
    let out = pki.path("key-encrypted.pem");
    let status = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in"])
        .arg(pki.path("key.pem"))
        .arg("-out")
        .arg(&out)
        .args(["-passout", &format!("pass:{passphrase}")])
        .status()
        .unwrap();
    assert!(status.success());
    out
}

#[tokio::test]
async fn relay_refuses_bad_files_with_one_line_each() {
    let pki = Pki::new("bad");
    let start_err = |o: RelayOptions| async move {
        match remotedev::Relay::start(o).await {
            Ok(_) => panic!("started"),
            Err(e) => e,
        }
    };
    let e = start_err(pki.relay_options("missing.pem", "key.pem")).await;
    assert!(matches!(e, RelayError::Tls(_)), "{e:?}");
    assert!(e.to_string().contains("missing.pem"), "{e}");
    let e = start_err(pki.relay_options("chain.pem", "wrong-name-key.pem")).await;
    assert!(
        e.to_string().contains("does not match the certificate"),
        "{e}"
    );
    let e = start_err(pki.relay_options("key.pem", "key.pem")).await;
    assert!(e.to_string().contains("holds no certificate"), "{e}");
    let e = start_err(pki.relay_options("chain.pem", "ca.pem")).await;
    assert!(e.to_string().contains("holds no private key"), "{e}");
    let mut o = options();
    o.tls_cert = Some(pki.file("chain.pem"));
    let e = start_err(o).await;
    assert!(e.to_string().contains("invalid option tls_key"), "{e}");

    if !openssl_available() {
        eprintln!("openssl not found: skipping the encrypted-key cases");
        return;
    }
    let encrypted = encrypt_key(&pki, "s3cret");
    let mut o = pki.relay_options("chain.pem", "key.pem");
    o.tls_key = Some(PemSource::File(encrypted.clone()));
    let e = start_err(o.clone()).await;
    assert!(
        e.to_string().contains("is encrypted: give its passphrase"),
        "{e}"
    );
    o.tls_passphrase = Some("wrong".into());
    let e = start_err(o.clone()).await;
    assert!(e.to_string().contains("wrong passphrase"), "{e}");
    o.tls_passphrase = Some("s3cret".into());
    let r = relay(o).await;
    let app = AppClient::start(app_options(&r.url(), pki.trusting())).unwrap();
    app.connect(WAIT).await.unwrap();
}

#[tokio::test]
async fn tls_1_2_and_1_3_both_work() {
    let pki = Pki::new("versions");
    let r = relay(pki.relay_options("chain.pem", "key.pem")).await;
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(pki.path("ca.pem")).unwrap();
    use rustls::pki_types::pem::PemObject;
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&ca) {
        roots.add(c.unwrap()).unwrap();
    }
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(r.local_addr())
            .await
            .unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect("localhost".try_into().unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.protocol_version(), Some(version.version));
    }
}

fn cli(args: &[&std::ffi::OsStr]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_remotedev"))
        .args(["--port", "0", "--logLevel", "0", "--db", ":memory:"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn refused(args: &[&std::ffi::OsStr]) -> String {
    let out = cli(args).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[test]
fn cli_https_serves_and_bad_flags_exit_1_with_one_line() {
    let pki = Pki::new("cli");
    let p = |n: &str| pki.path(n).into_os_string();
    let s = |t: &str| std::ffi::OsString::from(t);
    let e = refused(&[&s("--protocol"), &s("https")]);
    assert!(e.contains("--key"), "{e}");
    let e = refused(&[&s("--key"), &p("key.pem"), &s("--cert"), &p("nope.pem")]);
    assert!(e.contains("nope.pem") && e.contains("cannot read"), "{e}");
    let e = refused(&[
        &s("--key"),
        &p("wrong-name-key.pem"),
        &s("--cert"),
        &p("chain.pem"),
    ]);
    assert!(e.contains("does not match"), "{e}");
    if openssl_available() {
        let enc = encrypt_key(&pki, "pw").into_os_string();
        let e = refused(&[
            &s("--key"),
            &enc,
            &s("--cert"),
            &p("chain.pem"),
            &s("--passphrase"),
            &s("no"),
        ]);
        assert!(e.contains("wrong passphrase"), "{e}");
    }

    let mut child = cli(&[
        &s("--protocol"),
        &s("https"),
        &s("--key"),
        &p("key.pem"),
        &s("--cert"),
        &p("chain.pem"),
    ]);
    let url = common::spawned_relay_url(&mut child);
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");
    let https = url
        .replacen("wss://", "https://", 1)
        .replace("/socketcluster/", "/");
    if Command::new("curl").arg("--version").output().is_ok() {
        let out = Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(pki.path("ca.pem"))
            .args([
                "-H",
                "Content-Type: application/json",
                "-d",
                r#"{"op":"list"}"#,
                &https,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "[]");
        // SIGHUP reloads the certificate; the relay keeps serving
        let _ = Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let out = Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(pki.path("ca.pem"))
            .args(["-H", "Content-Type: application/json"])
            .args(["-d", r#"{"op":"list"}"#, &https])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "[]", "{out:?}");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut rest = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut rest);
    assert!(child.wait().unwrap().success(), "{rest}");
}

#[tokio::test]
async fn reload_tls_picks_up_new_files_and_keeps_the_old_ones_on_error() {
    let pki = Pki::new("reload");
    let (cert, key) = (pki.path("live-cert.pem"), pki.path("live-key.pem"));
    std::fs::copy(pki.path("chain.pem"), &cert).unwrap();
    std::fs::copy(pki.path("key.pem"), &key).unwrap();
    let mut o = options();
    o.tls_cert = Some(PemSource::File(cert.clone()));
    o.tls_key = Some(PemSource::File(key.clone()));
    let r = relay(o).await;
    let app = AppClient::start(app_options(&r.url(), pki.trusting())).unwrap();
    app.connect(WAIT).await.unwrap();

    // a broken renewal is refused and the relay keeps its certificate
    std::fs::write(&key, "not a key").unwrap();
    let e = r.reload_tls().unwrap_err();
    assert!(e.to_string().contains("live-key.pem"), "{e}");
    let again = AppClient::start(app_options(&r.url(), pki.trusting())).unwrap();
    again.connect(WAIT).await.unwrap();

    // a renewal for another name: new connections get it
    std::fs::copy(pki.path("wrong-name.pem"), &cert).unwrap();
    std::fs::copy(pki.path("wrong-name-key.pem"), &key).unwrap();
    assert!(r.reload_tls().unwrap());
    let e = refused_with(&r.url(), pki.trusting()).await;
    assert!(e.contains("not valid for name"), "{e}");
    // the connection made before the reload is still open
    assert!(matches!(
        app.socket().state(),
        remotedev::client::ConnectionState::Open { .. }
    ));
    assert!(
        !relay(options()).await.reload_tls().unwrap(),
        "plain relay: nothing to reload"
    );
}
