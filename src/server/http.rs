//! `paperdex serve`: axum routes over one shared `Engine`, the embedded search page and the
//! OpenAPI description. Engine calls run on tokio's blocking pool; errors are JSON.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::cors::CorsLayer;

pub use super::conn::connection_limit;
use crate::engine::{Engine, FacetsRequest};
use crate::error::Error;
use crate::search::{SearchRequest, SortOrder, SyntaxMode};

const INDEX_HTML: &str = include_str!("static/index.html");
const APP_JS: &str = include_str!("static/app.js");
const STYLE_CSS: &str = include_str!("static/style.css");
/// The OpenAPI 3 description of every route, served at `/api/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// Default number of similar papers.
const SIMILAR_LIMIT: usize = 5;

/// Longest URI (path and query) answered; longer gets 414 `uri_too_long`. A query within
/// `max_query_bytes` (4 KiB) takes at most 12 KiB percent-encoded, so this leaves room for
/// pasted text to be searched on its opening; hyper answers 414 itself (empty body) only past
/// 64 KiB (the `http` crate's limit), and 431 past `conn::MAX_HEAD_BYTES` of head.
pub const MAX_URI_BYTES: usize = 32 * 1024;
/// Most header bytes (names and values) answered; more gets 431 `headers_too_large`.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most header lines answered; more gets 431. hyper answers 431 itself past 100.
pub const MAX_HEADERS: usize = 64;

/// An error as every HTTP client sees it: `{"error": {"code", "message"}}`.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn bad_request(message: String) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            message,
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> ApiError {
        let status = match &err {
            Error::QuerySyntax { .. } | Error::InvalidRequest(_) | Error::BadInput(_) => {
                StatusCode::BAD_REQUEST
            }
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Locked(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// Default `ServerOptions::header_timeout`.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `ServerOptions::send_timeout`.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `ServerOptions::max_connections`: under the usual `ulimit -n` of 1024.
pub const MAX_CONNECTIONS: usize = 512;
/// Default `ServerOptions::shutdown_grace`: a request within the default 2 s budget finishes.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// How the server protects itself from slow or hostile requests.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Longest a request may take, waiting for a slot included, before it is answered 503
    /// `timeout`: a query over a huge term range (`a* b* c*`) never holds a client forever.
    pub time_budget: Duration,
    /// Engine calls running at once; others wait for a slot within their budget. A request
    /// that timed out keeps its slot until its work ends, so runaway queries cannot pile up.
    pub max_in_flight: usize,
    /// The one origin whose pages may call the API (CORS); none by default.
    pub cors: Option<HeaderValue>,
    /// Serve requests for any host name. Off, only loopback names are answered, so a page
    /// that rebinds its own name to 127.0.0.1 (DNS rebinding) cannot read the API.
    pub allow_remote: bool,
    /// Time for a request's headers to arrive, counted from when the connection is ready for
    /// them (accepted, or its previous response written): bounds half-sent requests, clients
    /// dripping bytes and idle keep-alive connections alike.
    pub header_timeout: Duration,
    /// A response the client reads none of for this long ends its connection.
    pub send_timeout: Duration,
    /// Connections open at once (lowered to fit `RLIMIT_NOFILE`); one more closes the
    /// connection that has waited longest for a request.
    pub max_connections: usize,
    /// On shutdown, how long requests in flight get to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServerOptions {
            time_budget: Duration::from_secs(2),
            max_in_flight: (2 * cores).max(4),
            cors: None,
            allow_remote: false,
            header_timeout: HEADER_TIMEOUT,
            send_timeout: SEND_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// What every handler shares.
pub struct App {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
    time_budget: Duration,
}

impl App {
    /// Runs engine work on tokio's blocking pool within the time budget; a panic becomes a
    /// 500, never a dead server.
    async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> crate::Result<T> + Send + 'static,
    {
        let engine = self.engine.clone();
        let slots = self.slots.clone();
        let job = async move {
            let slot = slots
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            tokio::task::spawn_blocking(move || {
                let _slot = slot;
                work(&engine)
            })
            .await
        };
        match tokio::time::timeout(self.time_budget, job).await {
            Ok(Ok(result)) => result.map_err(ApiError::from),
            Ok(Err(_)) => Err(ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: "the request failed inside paperdex".into(),
            }),
            Err(_) => Err(ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "timeout",
                message: format!(
                    "the request took longer than its {} ms budget (a query over very many \
                     terms, such as short prefixes, can: make it more specific)",
                    self.time_budget.as_millis()
                ),
            }),
        }
    }
}

type Shared = State<Arc<App>>;

/// The routes described in `openapi.json` (a test keeps the two in step). `/app.js` and
/// `/style.css` are the page's own assets and are left out.
pub const DOCUMENTED_ROUTES: [&str; 7] = [
    "/",
    "/health",
    "/api/openapi.json",
    "/api/search",
    "/api/facets",
    "/api/papers/{id}",
    "/api/similar/{id}",
];

/// The routes, over one engine shared by every request.
pub fn router(engine: Arc<Engine>, opts: &ServerOptions) -> Router {
    let app = Arc::new(App {
        engine,
        slots: Arc::new(Semaphore::new(opts.max_in_flight.max(1))),
        time_budget: opts.time_budget,
    });
    let router = Router::new()
        .route(
            "/",
            get(|| async { static_file("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { static_file("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { static_file("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/health", get(health))
        .route(
            "/api/openapi.json",
            get(|| async { static_file("application/json", OPENAPI_JSON) }),
        )
        .route("/api/search", get(search))
        .route("/api/facets", get(facets))
        .route("/api/papers/{*id}", get(paper))
        .route("/api/similar/{*id}", get(similar))
        .fallback(|| async {
            ApiError {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message: "no such route".into(),
            }
        })
        .method_not_allowed_fallback(|| async {
            ApiError {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: "method_not_allowed",
                message: "only GET is served".into(),
            }
        })
        .with_state(app);
    let router = if opts.allow_remote {
        router
    } else {
        router.layer(axum::middleware::from_fn(loopback_hosts_only))
    };
    let router = match &opts.cors {
        // Without it browsers refuse cross-origin reads: no CORS header is ever sent.
        None => router,
        Some(origin) => router.layer(
            CorsLayer::new()
                .allow_origin(origin.clone())
                .allow_methods([Method::GET]),
        ),
    };
    // Outermost, so every request is measured before anything reads it.
    router.layer(axum::middleware::from_fn(size_limits))
}

/// 414 and 431 in the JSON shape, below the limits at which hyper answers them itself with
/// an empty body.
async fn size_limits(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let uri = req.uri();
    let uri_bytes = uri.scheme_str().map_or(0, str::len)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return ApiError {
            status: StatusCode::URI_TOO_LONG,
            code: "uri_too_long",
            message: format!(
                "the URI has {uri_bytes} bytes, over the {MAX_URI_BYTES} served (a query is \
                 searched on its first few KiB anyway: send less)"
            ),
        }
        .into_response();
    }
    let headers = req.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return ApiError {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            code: "headers_too_large",
            message: format!(
                "{} headers of {header_bytes} bytes; at most {MAX_HEADERS} headers of \
                 {MAX_HEADER_BYTES} bytes are served",
                headers.len()
            ),
        }
        .into_response();
    }
    next.run(req).await
}

/// Refuses requests whose `Host` is not a loopback name (403 `forbidden_host`).
async fn loopback_hosts_only(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("?"));
    match host {
        Some(host) if !is_loopback_host(host) => ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden_host",
            message: format!(
                "host `{}` is not a loopback name; `paperdex serve --allow-remote` serves other names",
                host.escape_debug()
            ),
        }
        .into_response(),
        _ => next.run(req).await,
    }
}

/// `localhost`, `*.localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => return rest.split(']').next() == Some("::1"),
        None => host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        }),
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Serves until `shutdown` resolves, then gives the requests in flight
/// `opts.shutdown_grace` to finish; returns how many were still running then (they are
/// dropped with the runtime). Connections and their limits: `super::conn`.
pub async fn serve(
    engine: Arc<Engine>,
    opts: &ServerOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<usize> {
    super::conn::serve(router(engine, opts), opts, listener, shutdown).await
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Query parameters as (key, value) pairs; repeated keys are kept.
fn pairs(raw: Option<String>) -> Vec<(String, String)> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ApiError> {
    value.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "parameter `{key}`: `{value}` is not a valid number"
        ))
    })
}

/// A boolean parameter: `true`, `1` or nothing is true, `false` or `0` false; anything else
/// is a 400 rather than a silent guess.
fn flag(key: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "" | "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        other => Err(ApiError::bad_request(format!(
            "parameter `{key}`: `{other}` is not true or false"
        ))),
    }
}

fn unknown(key: &str, allowed: &[&str]) -> ApiError {
    ApiError::bad_request(format!(
        "unknown parameter `{key}` (expected one of: {})",
        allowed.join(", ")
    ))
}

/// `/api/search` parameters -> `SearchRequest`.
pub fn search_request(raw: Option<String>) -> Result<SearchRequest, ApiError> {
    const KEYS: [&str; 16] = [
        "q",
        "plain",
        "match",
        "syntax",
        "topic",
        "since",
        "until",
        "limit",
        "offset",
        "sort",
        "recency_weight",
        "half_life",
        "as_of",
        "explain",
        "facets",
        "snippets",
    ];
    let mut req = SearchRequest::default();
    for (key, value) in pairs(raw) {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
        match key.as_str() {
            "q" => req.q = value,
            "plain" => req.plain = flag(&key, &value)?,
            "match" if value.is_empty() => req.match_mode = None,
            "match" => {
                req.match_mode = Some(value.parse().map_err(|e: String| {
                    ApiError::bad_request(format!("parameter `match`: {e}"))
                })?)
            }
            "syntax" if value.is_empty() => req.syntax = SyntaxMode::Auto,
            "syntax" => {
                req.syntax = value.parse().map_err(|e: String| {
                    ApiError::bad_request(format!("parameter `syntax`: {e}"))
                })?
            }
            "topic" if !value.is_empty() => req.topic.push(value),
            "topic" => {}
            "since" => req.since = some(&value),
            "until" => req.until = some(&value),
            "limit" => req.limit = Some(number(&key, &value)?),
            "offset" => req.offset = number(&key, &value)?,
            "sort" => {
                req.sort = match value.as_str() {
                    "relevance" | "" => SortOrder::Relevance,
                    "date" => SortOrder::Date,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "parameter `sort`: `{other}` is not relevance or date"
                        )))
                    }
                }
            }
            "recency_weight" => req.recency_weight = Some(number(&key, &value)?),
            "half_life" => req.half_life = Some(number(&key, &value)?),
            "as_of" => req.as_of = some(&value),
            "explain" => req.explain = flag(&key, &value)?,
            "facets" => req.facets = Some(flag(&key, &value)?),
            "snippets" => req.snippets = Some(flag(&key, &value)?),
            _ => return Err(unknown(&key, &KEYS)),
        }
    }
    Ok(req)
}

async fn search(State(app): Shared, RawQuery(raw): RawQuery) -> ApiResult {
    let req = search_request(raw)?;
    let response = app.run(move |e| e.search(&req)).await?;
    Ok(Json(response).into_response())
}

async fn facets(State(app): Shared, RawQuery(raw): RawQuery) -> ApiResult {
    let mut req = FacetsRequest::default();
    for (key, value) in pairs(raw) {
        match key.as_str() {
            "topic" => req.topic = (!value.is_empty()).then_some(value),
            "q" => req.q = value,
            _ => return Err(unknown(&key, &["topic", "q"])),
        }
    }
    let counts = app.run(move |e| e.facets(&req)).await?;
    Ok(Json(counts).into_response())
}

/// The `{id}` of a path, or a JSON 400 (an id that is not UTF-8 once decoded: `%ff%fe`).
fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|e| ApiError::bad_request(format!("paper id: {}", e.body_text())))
}

async fn paper(State(app): Shared, path: Result<Path<String>, PathRejection>) -> ApiResult {
    let id = path_id(path)?;
    let paper = app.run(move |e| e.get(&id)).await?;
    Ok(Json(paper).into_response())
}

async fn similar(
    State(app): Shared,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let id = path_id(path)?;
    let mut limit = SIMILAR_LIMIT;
    for (key, value) in pairs(raw) {
        match key.as_str() {
            "limit" => limit = number(&key, &value)?,
            _ => return Err(unknown(&key, &["limit"])),
        }
    }
    let response = app.run(move |e| e.similar(&id, limit)).await?;
    Ok(Json(response).into_response())
}

async fn health(State(app): Shared) -> ApiResult {
    let stats = app.run(|e| e.stats()).await?;
    Ok(
        Json(json!({ "status": "ok", "papers": stats.papers, "last_date": stats.last_date }))
            .into_response(),
    )
}
