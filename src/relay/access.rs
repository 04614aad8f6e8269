//! Who may use the relay (issue 12): the Origin / Host policy every HTTP request and
//! WebSocket upgrade passes first, the report API's bearer token, the monitor UI's
//! token script (`GET /auth-token.js`) and the read-only rule.
//!
//! Origin policy (on unless `allow_origins` holds `*`): a request that carries an
//! `Origin` is accepted when the origin is the relay's own (same scheme-less
//! host:port as the request's `Host`, and that Host cannot be a rebound name), a
//! loopback origin (`http(s)://localhost`, `*.localhost`, `127.0.0.1`, `[::1]`, any
//! port), a browser-extension origin, `null` / `file://` only when listed, or listed
//! in `allow_origins`. Requests without `Origin` (native apps, Node, Python, C) pass.
//! Host policy: a relay bound to a loopback address refuses a `Host` that is neither a
//! loopback name nor an IP address nor the host of a listed origin (DNS rebinding).
//! Refusals are `403` with a one-line reason, logged once per origin / host.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{AuthKey, Verified};
use super::http::Shared;
use super::options::RelayOptions;
use crate::options::InvalidOption;
use crate::protocol::error::{names, ErrorObject};

/// The address of the TCP peer of a request, added by the server to every request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) SocketAddr);

/// How long a token handed to the relay's own monitor page stays valid.
const UI_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Distinct refused origins / hosts remembered so each is logged once.
const LOGGED_LIMIT: usize = 1024;

/// An origin as `scheme`, lower-case `host` (IPv6 in brackets) and `port` (the
/// scheme's default filled in; none for schemes without ports).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// Splits `host[:port]` (`[v6]:port` too); the host lower-cased.
fn split_host_port(text: &str) -> Option<(String, Option<u16>)> {
    let text = text.trim();
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &text[..end + 2];
        match &rest[end + 1..] {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

impl Origin {
    /// `scheme://host[:port]` (a trailing `/` is tolerated).
    fn parse(text: &str) -> Option<Origin> {
        let (scheme, rest) = text.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return None;
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = split_host_port(rest)?;
        let port = port.or_else(|| default_port(&scheme));
        Some(Origin { scheme, host, port })
    }

    fn is_web(&self) -> bool {
        self.scheme == "http" || self.scheme == "https"
    }
}

/// `localhost`, `*.localhost` (browsers resolve these to loopback themselves), or a
/// loopback IP address.
fn is_loopback_name(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || ip_of(host).is_some_and(|ip| ip.is_loopback())
}

/// The IP address a host names literally (IPv6 in brackets).
fn ip_of(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Browser-extension schemes: the Redux DevTools extension's remote monitor.
const EXTENSION_SCHEMES: [&str; 3] = ["chrome-extension", "moz-extension", "safari-web-extension"];

/// The policy of one running relay, built from its options and bound address.
#[derive(Debug)]
pub(crate) struct Access {
    any_origin: bool,
    allow_null: bool,
    origins: HashSet<Origin>,
    /// Hosts of the listed origins: accepted as `Host` on a loopback relay.
    hosts: HashSet<String>,
    loopback_bound: bool,
    pub(crate) auth: Option<AuthKey>,
    pub(crate) read_only: bool,
    logged: Mutex<HashSet<String>>,
}

/// Checks `allow_origins` entries; [`RelayOptions::validate`] calls it.
pub(crate) fn validate_origins(list: &[String]) -> Result<(), InvalidOption> {
    for entry in list {
        let e = entry.trim();
        if e == "*" || e == "null" || e.eq_ignore_ascii_case("file://") {
            continue;
        }
        if Origin::parse(e).is_none() {
            return Err(InvalidOption::new(
                "allow_origins",
                format!(
                    "{entry:?} is not an origin: use scheme://host[:port] (e.g. \
                     http://192.168.1.5:3000), null, file:// or *"
                ),
            ));
        }
    }
    Ok(())
}

impl Access {
    pub(crate) fn new(options: &RelayOptions, bound: SocketAddr) -> Access {
        let mut access = Access {
            any_origin: false,
            allow_null: false,
            origins: HashSet::new(),
            hosts: HashSet::new(),
            loopback_bound: bound.ip().is_loopback(),
            auth: options.auth_key.clone(),
            read_only: options.read_only,
            logged: Mutex::new(HashSet::new()),
        };
        for entry in &options.allow_origins {
            let e = entry.trim();
            if e == "*" {
                access.any_origin = true;
            } else if e == "null" || e.eq_ignore_ascii_case("file://") {
                access.allow_null = true;
            } else if let Some(o) = Origin::parse(e) {
                access.hosts.insert(o.host.clone());
                access.origins.insert(o);
            }
        }
        access
    }

    /// A `Host` that cannot be a rebound DNS name: loopback names, IP addresses, and
    /// the hosts of listed origins.
    fn trusted_host(&self, host: &str) -> bool {
        is_loopback_name(host) || ip_of(host).is_some() || self.hosts.contains(host)
    }

    /// Why a request is refused, if it is: the Host rule, then the Origin rule.
    fn refusal(&self, headers: &HeaderMap) -> Option<(String, String)> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(split_host_port);
        if self.loopback_bound {
            if let Some((name, _)) = &host {
                if !self.trusted_host(name) {
                    return Some((
                        format!("host {name}"),
                        format!(
                            "Host {name} refused: this relay listens on loopback and answers \
                             only loopback names (DNS rebinding protection; --allowOrigin \
                             http://{name} allows it, any port)"
                        ),
                    ));
                }
            }
        }
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().unwrap_or("(not text)");
        if self.any_origin || self.origin_allowed(text, host.as_ref()) {
            return None;
        }
        Some((
            format!("origin {text}"),
            format!(
                "Origin {text} refused: only this relay's own pages, loopback and \
                 browser-extension origins may use it (start it with --allowOrigin {text} \
                 to allow this one)"
            ),
        ))
    }

    fn origin_allowed(&self, text: &str, host: Option<&(String, Option<u16>)>) -> bool {
        let text = text.trim();
        if text == "null" || text.to_ascii_lowercase().starts_with("file://") {
            return self.allow_null;
        }
        let Some(origin) = Origin::parse(text) else {
            return false;
        };
        if EXTENSION_SCHEMES.contains(&origin.scheme.as_str()) {
            return true;
        }
        if origin.is_web() && is_loopback_origin(&origin) {
            return true;
        }
        if self.origins.contains(&origin) {
            return true;
        }
        // The relay's own pages: same host and port as the request's Host.
        if let Some((name, port)) = host {
            let port = port.or_else(|| default_port(&origin.scheme));
            if origin.is_web()
                && &origin.host == name
                && origin.port == port
                && self.trusted_host(name)
            {
                return true;
            }
        }
        false
    }

    /// Logs a refusal the first time it happens for this origin / host.
    fn log_once(&self, key: String, reason: &str) {
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        if logged.len() < LOGGED_LIMIT && logged.insert(key) {
            tracing::warn!("{reason}");
        }
    }

    /// Verifies a token if the relay has a key; `None` without a key or token.
    pub(crate) fn verify(&self, token: &str) -> Option<Result<Verified, ErrorObject>> {
        self.auth.as_ref().map(|k| k.verify(token))
    }
}

/// Loopback origins of web pages: development servers on this machine. Only the
/// canonical loopback names: other `127.x` addresses are separate local services and
/// must be listed with `--allowOrigin`.
fn is_loopback_origin(origin: &Origin) -> bool {
    let h = origin.host.as_str();
    h == "localhost" || h.ends_with(".localhost") || h == "127.0.0.1" || h == "[::1]"
}

fn text_response(status: StatusCode, reason: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        reason + "\n",
    )
        .into_response()
}

/// The middleware in front of every route: Origin / Host policy, then the report
/// API's bearer token when the relay has a key.
pub(crate) async fn check(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let access = &shared.access;
    // Probes and scrapers (load balancers, orchestrators) send no Origin and may use
    // any Host name; what these paths show is not the apps' data.
    if super::health::is_ops_path(req.uri().path()) && !req.headers().contains_key(header::ORIGIN) {
        return next.run(req).await;
    }
    if let Some((key, reason)) = access.refusal(req.headers()) {
        access.log_once(key, &reason);
        return text_response(StatusCode::FORBIDDEN, reason);
    }
    if access.auth.is_some()
        && req.method() == Method::POST
        && matches!(req.uri().path(), "/" | "/graphql")
    {
        let ok = bearer(req.headers())
            .and_then(|t| access.verify(t))
            .is_some_and(|r| r.is_ok());
        if !ok {
            shared.hub.metrics.auth_failures.increment(1);
            let mut resp = (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                serde_json::json!({
                    "error": "this relay requires an auth token: send Authorization: Bearer <token> (`remotedev token` prints one)"
                })
                .to_string(),
            )
                .into_response();
            let h = resp.headers_mut();
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            return resp;
        }
    }
    next.run(req).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `?token=…` of a WebSocket URL's query.
pub(crate) fn query_token(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
}

/// What a page of the relay is, for [`ui_token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageRequest {
    /// A script or fetch of the relay's own page (`GET /auth-token.js`): only a
    /// same-origin request (`Sec-Fetch-Site: same-origin`) gets the token.
    Subresource,
    /// The HTML page itself, for a relay that writes the token into the page: only a
    /// top-level or frame navigation (`Sec-Fetch-Mode: navigate`), whose content the
    /// navigating site cannot read. The page must send `X-Frame-Options: DENY`.
    #[allow(dead_code)]
    Navigation,
}

/// A token for the relay's own monitor UI, or `None`: only when the relay has a key,
/// the request passed the Origin / Host policy (the middleware ran), it comes from
/// this machine (loopback peer) under a loopback Host (so no rebound name), and it is
/// the kind of browser request `kind` names. Valid for 24 hours.
pub(crate) fn ui_token(
    shared: &Shared,
    headers: &HeaderMap,
    peer: Option<PeerAddr>,
    kind: PageRequest,
) -> Option<String> {
    let key = shared.access.auth.as_ref()?;
    if !peer.is_some_and(|p| p.0.ip().is_loopback()) {
        return None;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(split_host_port)?;
    if !is_loopback_name(&host.0) {
        return None;
    }
    let header_is = |name: &str, want: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case(want))
    };
    let fits = match kind {
        PageRequest::Subresource => header_is("sec-fetch-site", "same-origin"),
        PageRequest::Navigation => header_is("sec-fetch-mode", "navigate"),
    };
    fits.then(|| key.issue_token(Some(UI_TOKEN_LIFETIME)))
}

/// `GET /auth-token.js`: a script for the relay's own monitor page. It stores a token
/// where socketcluster-client looks for one
/// (`localStorage["socketcluster.authToken.<hostname>:<port>"]`, and v14's
/// `socketCluster.authToken`): the relay's token when [`ui_token`] gives one, else a
/// `?token=` of the page's own URL. It sets `window.remotedevAuth = {required,
/// token}` (booleans). Never cached, never readable by other origins.
pub(crate) async fn auth_token_js(State(shared): State<Shared>, req: Request) -> Response {
    let peer = req.extensions().get::<PeerAddr>().copied();
    let token = ui_token(&shared, req.headers(), peer, PageRequest::Subresource);
    let token_js = token.map_or_else(
        || "null".to_owned(),
        |t| serde_json::Value::String(t).to_string(),
    );
    let required = shared.access.auth.is_some();
    let body = format!(
        r#"// remotedev relay: auth token for this page (README "Access control")
(function () {{
  var token = {token_js};
  if (!token) {{
    try {{ token = new URLSearchParams(location.search).get("token"); }} catch (e) {{}}
  }}
  if (token) {{
    var port = location.port || (location.protocol === "https:" ? "443" : "80");
    var names = ["socketcluster.authToken." + location.hostname + ":" + port, "socketCluster.authToken"];
    if (!location.port) names.push("socketcluster.authToken." + location.hostname);
    try {{ names.forEach(function (n) {{ localStorage.setItem(n, token); }}); }} catch (e) {{}}
  }}
  window.remotedevAuth = {{ required: {required}, token: !!token }};
}})();
"#
    );
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        body,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// Read-only mode: the monitor → app commands that change the app (anything but
/// `START`, `STOP` and `UPDATE`) on `respond` and `sc-<id>` are refused.
pub(crate) fn read_only_refusal(name: &str, data: Option<&str>) -> Option<ErrorObject> {
    if name != "respond" && !name.starts_with("sc-") {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(borrow, rename = "type")]
        kind: Option<std::borrow::Cow<'a, str>>,
    }
    let kind = data
        .and_then(|d| serde_json::from_str::<Typed<'_>>(d).ok())
        .and_then(|t| t.kind);
    match kind.as_deref() {
        Some("START" | "STOP" | "UPDATE") => None,
        other => Some(ErrorObject::new(
            names::INVALID_ACTION,
            format!(
                "{} refused: the relay is read-only (monitors may only watch)",
                other.unwrap_or(name)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(allow: &[&str], host: &str) -> Access {
        let options = RelayOptions {
            allow_origins: allow.iter().map(|s| (*s).to_owned()).collect(),
            ..RelayOptions::default()
        };
        Access::new(&options, format!("{host}:8000").parse().unwrap())
    }

    fn refused(a: &Access, host: &str, origin: Option<&str>) -> bool {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        a.refusal(&h).is_some()
    }

    #[test]
    fn default_policy() {
        let a = access(&[], "127.0.0.1");
        let host = "127.0.0.1:8000";
        assert!(!refused(&a, host, None));
        assert!(!refused(&a, host, Some("http://127.0.0.1:8000")));
        assert!(!refused(&a, host, Some("http://localhost:3000")));
        assert!(!refused(&a, host, Some("https://[::1]:5173")));
        assert!(!refused(&a, host, Some("chrome-extension://abcdef")));
        assert!(!refused(&a, host, Some("moz-extension://x-y")));
        assert!(refused(&a, host, Some("https://evil.example")));
        assert!(refused(&a, host, Some("http://127.0.0.2:9000")));
        assert!(refused(&a, host, Some("null")));
        assert!(refused(&a, host, Some("file://")));
        assert!(refused(&a, "evil.example:8000", None));
        assert!(refused(
            &a,
            "evil.example:8000",
            Some("http://evil.example:8000")
        ));
        assert!(!refused(
            &a,
            "localhost:8000",
            Some("http://localhost:8000")
        ));
    }

    #[test]
    fn listed_origins_and_star() {
        let a = access(&["https://app.example", "null"], "127.0.0.1");
        assert!(!refused(&a, "127.0.0.1:8000", Some("https://app.example")));
        assert!(!refused(
            &a,
            "127.0.0.1:8000",
            Some("https://APP.example:443")
        ));
        assert!(!refused(&a, "app.example", None));
        assert!(!refused(&a, "127.0.0.1:8000", Some("null")));
        assert!(refused(
            &a,
            "127.0.0.1:8000",
            Some("https://app.example:8443")
        ));
        let a = access(&["*"], "127.0.0.1");
        assert!(!refused(&a, "127.0.0.1:8000", Some("https://evil.example")));
        assert!(refused(&a, "evil.example", None));
        // Not bound to loopback: any Host; own origin only for IP literal hosts.
        let a = access(&[], "0.0.0.0");
        assert!(!refused(
            &a,
            "192.168.1.5:8000",
            Some("http://192.168.1.5:8000")
        ));
        assert!(!refused(&a, "evil.example:8000", None));
        assert!(refused(
            &a,
            "evil.example:8000",
            Some("http://evil.example:8000")
        ));
        assert!(validate_origins(&["http://x:1".into(), "*".into()]).is_ok());
        assert!(validate_origins(&["evil.example".into()]).is_err());
    }

    #[test]
    fn read_only_allows_watching_only() {
        let raw = |s: &'static str| s;
        assert!(read_only_refusal("respond", Some(raw(r#"{"type":"START"}"#))).is_none());
        assert!(read_only_refusal("sc-abc", Some(raw(r#"{"type":"DISPATCH"}"#))).is_some());
        assert!(read_only_refusal("respond", Some(raw(r#"{"type":"ACTION"}"#))).is_some());
        assert!(read_only_refusal("log", Some(raw(r#"{"type":"ACTION"}"#))).is_none());
        assert_eq!(query_token(Some("a=1&token=x%2By")).as_deref(), Some("x+y"));
    }
}
