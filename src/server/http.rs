//! `paperdex serve`: axum routes over one shared `Engine`, the embedded search page and the
//! OpenAPI description. Engine calls run on tokio's blocking pool; errors are JSON.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
use crate::cite::CiteFormat;
use crate::engine::{Engine, FacetsRequest};
use crate::error::Error;
use crate::search::facets::LabelledFacets;
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
#[derive(Debug)]
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

const NEVER_CLOSED: &str = "the semaphores are never closed";

/// What every handler shares.
pub struct App {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
    /// Searches that may cost far more than a few words (`search::is_costly`) first take one
    /// of these, half the slots: a flood of them leaves the other half to everyone else.
    costly_slots: Arc<Semaphore>,
    time_budget: Duration,
}

impl App {
    /// Runs engine work on tokio's blocking pool within the time budget, given the deadline
    /// it must stop at (searches stop inside their collection; a request that waited for a
    /// slot until then never starts); a panic becomes a 500, never a dead server. `costly`
    /// work waits for a costly slot first.
    async fn run<T, F>(&self, costly: bool, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine, Instant) -> crate::Result<T> + Send + 'static,
    {
        let deadline = Instant::now() + self.time_budget;
        let engine = self.engine.clone();
        let slots = self.slots.clone();
        let costly_slots = costly.then(|| self.costly_slots.clone());
        let job = async move {
            let lane = match costly_slots {
                Some(lane) => Some(lane.acquire_owned().await.expect(NEVER_CLOSED)),
                None => None,
            };
            let slot = slots.acquire_owned().await.expect(NEVER_CLOSED);
            tokio::task::spawn_blocking(move || {
                let _slots = (lane, slot);
                if Instant::now() >= deadline {
                    return Err(crate::Error::TimedOut);
                }
                work(&engine, deadline)
            })
            .await
        };
        match tokio::time::timeout_at(deadline.into(), job).await {
            Ok(Ok(Err(crate::Error::TimedOut))) | Err(_) => Err(self.timed_out()),
            Ok(Ok(result)) => result.map_err(ApiError::from),
            Ok(Err(_)) => Err(ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "internal",
                message: "the request failed inside paperdex".into(),
            }),
        }
    }

    fn timed_out(&self) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "timeout",
            message: format!(
                "the request took longer than its {} ms budget (a query over very many terms, \
                 such as short prefixes, can: make it more specific)",
                self.time_budget.as_millis()
            ),
        }
    }
}

type Shared = State<Arc<App>>;

/// The routes described in `openapi.json` (a test keeps the two in step). `/app.js` and
/// `/style.css` are the page's own assets and are left out.
pub const DOCUMENTED_ROUTES: [&str; 8] = [
    "/",
    "/health",
    "/api/openapi.json",
    "/api/search",
    "/api/facets",
    "/api/papers/{id}",
    "/api/papers/{id}/cite",
    "/api/similar/{id}",
];

/// The routes, over one engine shared by every request.
pub fn router(engine: Arc<Engine>, opts: &ServerOptions) -> Router {
    let app = Arc::new(App {
        engine,
        slots: Arc::new(Semaphore::new(opts.max_in_flight.max(1))),
        costly_slots: Arc::new(Semaphore::new((opts.max_in_flight / 2).max(1))),
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
    let costly = crate::search::is_costly(&req.q);
    let response = app
        .run(costly, move |e, deadline| e.search_until(&req, deadline))
        .await?;
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
    let costly = crate::search::is_costly(&req.q);
    let counts = app
        .run(costly, move |e, deadline| {
            e.facets_until(&req, Some(deadline))
        })
        .await?;
    Ok(Json(LabelledFacets::from(counts)).into_response())
}

/// The `{id}` of a path, or a JSON 400 (an id that is not UTF-8 once decoded: `%ff%fe`).
fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|e| ApiError::bad_request(format!("paper id: {}", e.body_text())))
}

async fn paper(
    State(app): Shared,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let id = path_id(path)?;
    // `/api/papers/{id}/cite` is served here: a wildcard must end its route, and ids hold
    // slashes (`hep-th/9901001`, URLs).
    let (id, mut cite) = match id.strip_suffix("/cite") {
        Some(paper) => (paper.to_string(), Some(CiteFormat::Bibtex)),
        None => (id, None),
    };
    for (key, value) in pairs(raw) {
        match (key.as_str(), value.as_str()) {
            ("format", "json" | "") if cite.is_none() => {}
            ("format", name) => {
                cite = Some(name.parse().map_err(|e: String| {
                    ApiError::bad_request(format!("parameter `format`: {e}"))
                })?)
            }
            _ if cite.is_some() => return Err(unknown(&key, &["format"])),
            // The paper's JSON took no parameters and ignored any.
            _ => {}
        }
    }
    let Some(format) = cite else {
        let paper = app.run(false, move |e, _| e.get(&id)).await?;
        return Ok(Json(paper).into_response());
    };
    let citations = app
        .run(false, move |e, _| e.cite(std::slice::from_ref(&id), format))
        .await?;
    Ok((
        [(header::CONTENT_TYPE, format.content_type())],
        citations.document(),
    )
        .into_response())
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
    let response = app.run(false, move |e, _| e.similar(&id, limit)).await?;
    Ok(Json(response).into_response())
}

async fn health(State(app): Shared) -> ApiResult {
    let stats = app.run(false, |e, _| e.stats()).await?;
    Ok(Json(json!({
        "status": "ok",
        "papers": stats.papers,
        "first_date": stats.first_date,
        "last_date": stats.last_date,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use super::*;
    use crate::schema::SchemaConfig;

    fn app(slots: usize, budget: Duration) -> (tempfile::TempDir, Arc<App>) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
        let app = App {
            engine: Arc::new(engine),
            slots: Arc::new(Semaphore::new(slots)),
            costly_slots: Arc::new(Semaphore::new((slots / 2).max(1))),
            time_budget: budget,
        };
        (dir, Arc::new(app))
    }

    /// A flood of costly requests holds half the slots at most: a cheap request that comes
    /// after them is done before any of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn costly_requests_leave_slots_to_the_rest() {
        let (_dir, app) = app(4, Duration::from_secs(30));
        let done = Arc::new(Mutex::new(Vec::new()));
        let mut flood = Vec::new();
        for i in 0..8 {
            let (app, done) = (app.clone(), done.clone());
            flood.push(tokio::spawn(async move {
                app.run(true, move |_, _| {
                    std::thread::sleep(Duration::from_millis(300));
                    Ok(())
                })
                .await
                .unwrap();
                done.lock().unwrap().push(format!("costly {i}"));
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        app.run(false, |_, _| Ok(())).await.unwrap();
        done.lock().unwrap().push("cheap".into());
        for f in flood {
            f.await.unwrap();
        }
        let done = done.lock().unwrap();
        assert_eq!(done.len(), 9);
        assert_eq!(done[0], "cheap", "{done:?}");
    }

    /// Work that waited for a slot past its deadline is answered 503 and never starts; work
    /// that runs is handed the deadline.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_that_waited_past_its_deadline_never_starts() {
        let (_dir, app) = app(1, Duration::from_millis(200));
        let started = Arc::new(AtomicUsize::new(0));
        let mut all = Vec::new();
        for _ in 0..4 {
            let (app, started) = (app.clone(), started.clone());
            all.push(tokio::spawn(async move {
                app.run(false, move |_, deadline| {
                    started.fetch_add(1, Ordering::SeqCst);
                    // As a search does: work until the deadline, then stop.
                    while Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err::<(), _>(crate::Error::TimedOut)
                })
                .await
            }));
        }
        for job in all {
            let err = job.await.unwrap().unwrap_err();
            assert_eq!(
                (err.status, err.code),
                (StatusCode::SERVICE_UNAVAILABLE, "timeout")
            );
        }
        // One slot, a 200 ms budget, all four arrived together: only the first ran.
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }
}
