//! The Redux DevTools monitor in the browser: `GET /` (and any other `GET` for an HTML
//! page that no route serves) answers with the monitor app of `@redux-devtools/app`,
//! built from `ui/` into the binary, which connects itself to the relay that served it.
//!
//! Caching: the page is `no-cache` with a strong ETag (so a new build is picked up at
//! once and an unchanged one costs a 304); the script and stylesheet have their content
//! hash in their names and are `immutable` for a year. Bodies are gzipped when the
//! request accepts gzip, inflated otherwise.

mod assets;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::http::Shared;
use super::report_api;
use assets::Asset;
pub use assets::BUILT_IN;

/// Where the hashed script and stylesheet are served (`/_remotedev/app.<hash>.js`).
pub(crate) const ASSET_ROUTE: &str = "/_remotedev/{file}";

const PAGE_CACHE: HeaderValue = HeaderValue::from_static("no-cache");
const ASSET_CACHE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

fn enabled(shared: &Shared) -> bool {
    BUILT_IN && shared.hub.options.serve_ui
}

/// `GET /`: the page, or the report API's 405 when the UI is off.
pub(crate) async fn root(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    match Asset::page() {
        Some(page) if enabled(&shared) => serve(page, &headers),
        _ => report_api::not_allowed().await,
    }
}

/// `GET /_remotedev/<file>`: the page's script and stylesheet.
pub(crate) async fn asset(State(shared): State<Shared>, req: Request) -> Response {
    match Asset::find(req.uri().path()) {
        Some(asset) if enabled(&shared) && asset.path != "/" => serve(asset, req.headers()),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Any path no route serves: the page for a browser navigating there (so a bookmark of
/// a deeper address still opens the monitor), 404 for everything else.
pub(crate) async fn fallback(State(shared): State<Shared>, req: Request) -> Response {
    let navigating = matches!(*req.method(), Method::GET | Method::HEAD)
        && accepts(req.headers(), header::ACCEPT, "text/html");
    match Asset::page() {
        Some(page) if navigating && enabled(&shared) => serve(page, req.headers()),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn serve(asset: &'static Asset, request: &HeaderMap) -> Response {
    let cache = if asset.path == "/" {
        PAGE_CACHE
    } else {
        ASSET_CACHE
    };
    let etag = HeaderValue::from_static(asset.etag);
    let mut resp = if etag_matches(request, asset.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts(request, header::ACCEPT_ENCODING, "gzip") {
        let mut resp = Body::from(asset.gzip).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        resp
    } else {
        match asset.inflate() {
            Ok(bytes) => Body::from(bytes).into_response(),
            Err(e) => {
                tracing::error!("embedded UI file {} is corrupt: {e}", asset.path);
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    };
    let ok = resp.status() == StatusCode::OK;
    let h = resp.headers_mut();
    if ok {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, cache);
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    resp
}

/// `If-None-Match` lists this ETag (weak or strong) or is `*`.
fn etag_matches(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Whether a header like `Accept` / `Accept-Encoding` admits `wanted` (its own entry,
/// or a wildcard other than `*/*`, with a non-zero `q`).
fn accepts(request: &HeaderMap, name: header::HeaderName, wanted: &str) -> bool {
    let (kind, _) = wanted.split_once('/').unwrap_or((wanted, ""));
    let wildcard_type = format!("{kind}/*");
    let mut exact = None;
    let mut wildcard = None;
    for entry in request
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = entry.split(';');
        let token = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if token.eq_ignore_ascii_case(wanted) {
            exact = Some(q > 0.0);
        } else if token == "*" || token.eq_ignore_ascii_case(&wildcard_type) {
            wildcard = Some(q > 0.0);
        }
    }
    exact.or(wildcard).unwrap_or(false)
}

/// The monitor's address for a relay bound to `addr`: `http://HOST:PORT/`
/// (`https://` when `secure`), with the loopback address when the relay listens on
/// all interfaces.
pub fn page_url(addr: SocketAddr, secure: bool) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{}/", SocketAddr::new(ip, addr.port()))
}

/// Opens `url` in the user's browser (`$BROWSER` when set, else the system's default)
/// without waiting for the browser to exit.
///
/// # Errors
/// The opener's error text when no browser can be started (or the build has no UI).
pub fn open_browser(url: &str) -> Result<(), String> {
    #[cfg(feature = "ui")]
    {
        opener::open_browser(url).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "ui"))]
    {
        let _ = url;
        Err("this relay was built without the monitor UI (cargo feature `ui`)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn accept_encoding() {
        let yes = |v| {
            accepts(
                &headers(header::ACCEPT_ENCODING, v),
                header::ACCEPT_ENCODING,
                "gzip",
            )
        };
        assert!(yes("gzip, deflate, br"));
        assert!(yes("br;q=1.0, gzip;q=0.8"));
        assert!(yes("*"));
        assert!(!yes("gzip;q=0"));
        assert!(!yes("*, gzip;q=0"));
        assert!(!yes("br, identity"));
    }

    #[test]
    fn accept_html() {
        let yes = |v| accepts(&headers(header::ACCEPT, v), header::ACCEPT, "text/html");
        assert!(yes("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(yes("text/*"));
        assert!(!yes("*/*"));
        assert!(!yes("application/json"));
    }

    #[test]
    fn etags() {
        let h = headers(header::IF_NONE_MATCH, "\"a\", W/\"b\"");
        assert!(etag_matches(&h, "\"b\""));
        assert!(!etag_matches(&h, "\"c\""));
        assert!(etag_matches(&headers(header::IF_NONE_MATCH, "*"), "\"c\""));
    }

    #[test]
    fn page_urls() {
        assert_eq!(
            page_url("0.0.0.0:8000".parse().unwrap(), false),
            "http://127.0.0.1:8000/"
        );
        assert_eq!(
            page_url("[::]:80".parse().unwrap(), false),
            "http://[::1]:80/"
        );
        assert_eq!(
            page_url("192.168.1.2:8000".parse().unwrap(), true),
            "https://192.168.1.2:8000/"
        );
    }
}
