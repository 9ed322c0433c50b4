//! The HTTP side of `serve`: answers GET and HEAD from the in-memory site,
//! plus the live-reload event stream and a JSON status endpoint.

use super::live::{self, EVENTS_PATH, Message, STATUS_PATH};
use super::paths::{self, BadPath};
use super::site::Site;
use crate::diagnostics::Diagnostic;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// What is being served right now: the last good site and the state of the last build.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub site: Arc<Site>,
    /// Errors of the last build attempt; empty when it succeeded.
    pub errors: Vec<Diagnostic>,
    /// Warnings of the last successful build.
    pub warnings: Vec<Diagnostic>,
    /// Build attempts so far, failed ones included.
    pub attempts: u64,
    /// Output files the last successful rebuild changed.
    pub changed: Vec<String>,
    /// How long the last build attempt took.
    pub elapsed_ms: u128,
}

/// State shared by every request and the rebuild thread.
pub struct Shared {
    current: RwLock<Arc<Snapshot>>,
    events: broadcast::Sender<String>,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub fn new(first: Snapshot, shutdown: watch::Receiver<bool>) -> Shared {
        Shared {
            current: RwLock::new(Arc::new(first)),
            events: broadcast::channel(64).0,
            shutdown,
        }
    }

    /// The snapshot being served.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Swap in a new snapshot: requests from now on see it whole.
    pub fn replace(&self, next: Snapshot) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
    }

    /// Tell every open tab (no-op when none is connected).
    pub fn broadcast(&self, message: &Message<'_>) {
        let _ = self.events.send(message.to_json());
    }
}

/// The router: one handler for everything, so every path goes through the same checks.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let mut res = respond(&shared, &req);
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn respond(shared: &Arc<Shared>, req: &Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 Method Not Allowed: this preview server only answers GET and HEAD\n",
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    if has_body(req.headers()) {
        return text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "413 Payload Too Large: requests must not have a body\n",
        );
    }
    let raw = req.uri().path();
    let path = match paths::normalise(raw) {
        Ok(p) => p,
        Err(BadPath::TooLong) => return text(StatusCode::URI_TOO_LONG, "414 URI Too Long\n"),
        Err(BadPath::Invalid) => {
            return text(StatusCode::BAD_REQUEST, "400 Bad Request: invalid path\n");
        }
    };
    match path.as_str() {
        EVENTS_PATH if req.method() == Method::HEAD => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/event-stream")],
        )
            .into_response(),
        EVENTS_PATH => events(shared.clone()),
        STATUS_PATH => status(&shared.snapshot()),
        _ => site_file(&shared.snapshot(), raw, &path, req.uri().query()),
    }
}

/// Whether a request says it carries a body.
fn has_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .map(|v| v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()) != Some(0));
    length.unwrap_or(false) || headers.contains_key(header::TRANSFER_ENCODING)
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn redirect(status: StatusCode, location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (status, [(header::LOCATION, v)]).into_response(),
        Err(_) => text(StatusCode::BAD_REQUEST, "400 Bad Request\n"),
    }
}

/// A file of the site, by decoded request path.
fn site_file(snap: &Snapshot, raw: &str, path: &str, query: Option<&str>) -> Response {
    let site = &snap.site;
    if site.build == 0 {
        return not_built(snap);
    }
    let base = site.base_path.as_str();
    let with_query = |p: &str| match query {
        Some(q) => format!("{p}?{q}"),
        None => p.to_string(),
    };
    let Some(rel) = path.strip_prefix(base) else {
        if path == "/" || format!("{path}/") == base {
            return redirect(StatusCode::FOUND, &with_query(base));
        }
        return not_found(site);
    };
    let rel = rel.to_string();
    if rel.is_empty() || rel.ends_with('/') {
        let index = format!("{rel}index.html");
        return match site.get(&index) {
            Some(bytes) => file(site, &index, bytes, StatusCode::OK),
            None => not_found(site),
        };
    }
    if let Some(bytes) = site.get(&rel) {
        return file(site, &rel, bytes, StatusCode::OK);
    }
    if site.get(&format!("{rel}/index.html")).is_some() {
        return redirect(
            StatusCode::MOVED_PERMANENTLY,
            &with_query(&format!("{raw}/")),
        );
    }
    not_found(site)
}

fn file(site: &Site, rel: &str, bytes: &Bytes, status: StatusCode) -> Response {
    let content_type = paths::content_type(rel);
    let body = if paths::is_html(&content_type) {
        Body::from(live::inject(bytes, &live::script(site.build)))
    } else {
        Body::from(bytes.clone())
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The site's own `404.html`, with status 404.
fn not_found(site: &Site) -> Response {
    match site.get("404.html") {
        Some(bytes) => file(site, "404.html", bytes, StatusCode::NOT_FOUND),
        None => text(StatusCode::NOT_FOUND, "404 Not Found\n"),
    }
}

/// Before the first successful build: a page listing the errors (the script
/// shows them in the overlay too, and reloads once the site builds).
fn not_built(snap: &Snapshot) -> Response {
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>explainer: the site did not build</title></head>\n<body>\n<h1>The site did not build</h1>\n<p>Fix the errors below; this page reloads when the site builds.</p>\n<pre>",
    );
    for d in &snap.errors {
        html.push_str(&crate::html::escape(&d.to_string()));
        html.push('\n');
    }
    html.push_str("</pre>\n");
    html.push_str(&live::script(0));
    html.push_str("\n</body></html>\n");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn status(snap: &Snapshot) -> Response {
    let json = serde_json::json!({
        "ok": snap.errors.is_empty() && snap.site.build > 0,
        "build": snap.site.build,
        "attempts": snap.attempts,
        "base_path": snap.site.base_path,
        "files": snap.site.files.len(),
        "changed": snap.changed,
        "elapsed_ms": snap.elapsed_ms,
        "errors": snap.errors,
        "warnings": snap.warnings,
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    )
        .into_response()
}

/// The event stream: a `hello` with the current state, then every broadcast,
/// until the client goes away or the server stops.
fn events(shared: Arc<Shared>) -> Response {
    // Subscribe before reading the state so no change falls between the two.
    let rx = shared.events.subscribe();
    let shutdown = shared.shutdown.clone();
    let hello = |shared: &Shared| {
        let snap = shared.snapshot();
        Event::default().retry(Duration::from_millis(500)).data(
            Message::Hello {
                server: live::server_id(),
                build: snap.site.build,
                errors: &snap.errors,
            }
            .to_json(),
        )
    };
    let first = hello(&shared);
    let stream = futures_util::stream::unfold(
        (Some(first), rx, shutdown, shared),
        move |(first, mut rx, mut shutdown, shared)| async move {
            if let Some(event) = first {
                return Some((Ok::<_, Infallible>(event), (None, rx, shutdown, shared)));
            }
            if *shutdown.borrow() {
                return None;
            }
            let event = tokio::select! {
                r = rx.recv() => match r {
                    Ok(json) => Event::default().data(json),
                    // Fell behind: resend the whole state instead of the missed messages.
                    Err(broadcast::error::RecvError::Lagged(_)) => hello(&shared),
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = shutdown.changed() => return None,
            };
            Some((Ok(event), (None, rx, shutdown, shared)))
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
