//! The monitor UI over HTTP (feature `ui`): `GET /` and unknown pages a browser asks
//! for serve the page with its content type, ETag / 304, cache headers and gzip; the
//! hashed assets are immutable; other routes and 404s are unchanged; `serve_ui = false`
//! restores the previous answers.
#![cfg(feature = "ui")]

mod common;

use std::io::Read;

use common::{options, relay};
use remotedev::Relay;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn base(r: &Relay) -> String {
    format!("http://{}", r.local_addr())
}

async fn get(url: &str, headers: &[(header::HeaderName, &str)]) -> reqwest::Response {
    request(Method::GET, url, headers).await
}

async fn request(
    method: Method,
    url: &str,
    headers: &[(header::HeaderName, &str)],
) -> reqwest::Response {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
    }
    reqwest::Client::new()
        .request(method, url)
        .headers(map)
        .send()
        .await
        .expect("request")
}

fn header(resp: &reqwest::Response, name: header::HeaderName) -> &str {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

/// The `/_remotedev/…` paths the page links.
fn asset_paths(page: &str) -> Vec<String> {
    page.split('"')
        .filter(|s| s.starts_with("/_remotedev/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn root_serves_the_page_with_cache_headers() {
    let r = relay(options()).await;
    let resp = get(&format!("{}/", base(&r)), &[]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(&resp, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&resp, header::CACHE_CONTROL), "no-cache");
    assert_eq!(header(&resp, header::CONTENT_ENCODING), "");
    assert_eq!(header(&resp, header::VARY), "Accept-Encoding");
    let etag = header(&resp, header::ETAG).to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 18,
        "{etag}"
    );
    let page = resp.text().await.unwrap();
    assert!(page.contains("<div id=\"root\">"), "{page}");
    assert_eq!(asset_paths(&page).len(), 2, "{page}");
    assert!(!page.contains("https://"), "no CDN: {page}");
    r.shutdown().await;
}

#[tokio::test]
async fn etag_gives_304() {
    let r = relay(options()).await;
    let url = format!("{}/", base(&r));
    let etag = header(&get(&url, &[]).await, header::ETAG).to_owned();
    let resp = get(&url, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&resp, header::ETAG), etag);
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = get(&url, &[(header::IF_NONE_MATCH, "\"something-else\"")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    r.shutdown().await;
}

#[tokio::test]
async fn gzip_when_accepted_and_the_same_content_inflated() {
    let r = relay(options()).await;
    let page = get(&format!("{}/", base(&r)), &[])
        .await
        .text()
        .await
        .unwrap();
    for path in asset_paths(&page) {
        let url = format!("{}{path}", base(&r));
        let zipped = get(&url, &[(header::ACCEPT_ENCODING, "gzip, deflate, br")]).await;
        assert_eq!(zipped.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&zipped, header::CONTENT_ENCODING), "gzip");
        assert_eq!(
            header(&zipped, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        let want_type = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(header(&zipped, header::CONTENT_TYPE), want_type);
        let etag = header(&zipped, header::ETAG).to_owned();
        // The hash in the name is the ETag.
        assert!(path.contains(etag.trim_matches('"')), "{path} {etag}");
        let zipped = zipped.bytes().await.unwrap();
        let plain = get(&url, &[(header::ACCEPT_ENCODING, "identity")]).await;
        assert_eq!(header(&plain, header::CONTENT_ENCODING), "");
        let plain = plain.bytes().await.unwrap();
        assert_eq!(gunzip(&zipped), plain.to_vec());
        assert!(zipped.len() < plain.len(), "{path} compresses");
    }
    r.shutdown().await;
}

#[tokio::test]
async fn unknown_pages_a_browser_asks_for_get_the_page_others_404() {
    let r = relay(options()).await;
    let b = base(&r);
    let resp = get(
        &format!("{b}/some/deep/link"),
        &[(header::ACCEPT, BROWSER_ACCEPT)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(&resp, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(
        get(&format!("{b}/some/deep/link"), &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(
            &format!("{b}/x.json"),
            &[(header::ACCEPT, "application/json")]
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let post = request(
        Method::POST,
        &format!("{b}/nope"),
        &[(header::ACCEPT, BROWSER_ACCEPT)],
    )
    .await;
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    let missing = get(
        &format!("{b}/_remotedev/app.0000.js"),
        &[(header::ACCEPT, BROWSER_ACCEPT)],
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    r.shutdown().await;
}

#[tokio::test]
async fn other_routes_are_unchanged() {
    let r = relay(options()).await;
    let b = base(&r);
    let port_js = get(&format!("{b}/port.js"), &[(header::ACCEPT, BROWSER_ACCEPT)]).await;
    assert_eq!(
        port_js.text().await.unwrap(),
        format!("reduxDevToolsPort = {}", r.local_addr().port())
    );
    let list = reqwest::Client::new()
        .post(format!("{b}/"))
        .json(&serde_json::json!({"op": "list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(list.text().await.unwrap(), "[]");
    let put = request(Method::PUT, &format!("{b}/"), &[]).await;
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    let graphiql = get(
        &format!("{b}/graphiql"),
        &[(header::ACCEPT, BROWSER_ACCEPT)],
    )
    .await;
    assert!(graphiql
        .text()
        .await
        .unwrap()
        .to_lowercase()
        .contains("graphiql"));
    let sc = get(
        &format!("{b}/socketcluster/"),
        &[(header::ACCEPT, BROWSER_ACCEPT)],
    )
    .await;
    assert_eq!(sc.status(), StatusCode::BAD_REQUEST);
    r.shutdown().await;
}

#[tokio::test]
async fn serve_ui_false_restores_the_previous_answers() {
    let mut o = options();
    o.serve_ui = false;
    let r = relay(o).await;
    let b = base(&r);
    let root = get(&format!("{b}/"), &[(header::ACCEPT, BROWSER_ACCEPT)]).await;
    assert_eq!(root.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(root.text().await.unwrap(), "Use POST on this path");
    let deep = get(
        &format!("{b}/some/page"),
        &[(header::ACCEPT, BROWSER_ACCEPT)],
    )
    .await;
    assert_eq!(deep.status(), StatusCode::NOT_FOUND);
    let page = {
        let r2 = relay(options()).await;
        let p = get(&format!("{}/", base(&r2)), &[])
            .await
            .text()
            .await
            .unwrap();
        r2.shutdown().await;
        p
    };
    for path in asset_paths(&page) {
        assert_eq!(
            get(&format!("{b}{path}"), &[]).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    r.shutdown().await;
}
