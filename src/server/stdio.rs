//! `paperdex stdio`: JSON-RPC 2.0 over stdin/stdout, one JSON value per line, for editors.
//! Only responses are written to stdout; requests are answered in order; batches are
//! supported; every malformed line gets its JSON-RPC error and the loop goes on.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use serde_json::value::{to_raw_value, RawValue};
use serde_json::{json, Value};

use crate::cite::CiteFormat;
use crate::engine::{Engine, FacetsRequest};
use crate::error::Error;
use crate::search::SearchRequest;

/// Longest request line; a longer one is discarded as it is read, never held in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Most requests in one batch: a 23 KB line of 300 searches built a 182 MB reply.
pub const MAX_BATCH: usize = 100;
/// Most bytes of results one batch line may carry; requests past it get an error each
/// instead of running (a reply is held whole until its line is written).
pub const MAX_BATCH_REPLY_BYTES: usize = 16 << 20;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// Application error: the paper does not exist.
pub const NOT_FOUND: i64 = -32001;

const DEFAULT_SIMILAR: usize = 5;

/// One serialized response (or batch of them), written out as it is.
type Reply = Box<RawValue>;

/// What the loop should do after a message.
enum Flow {
    Continue,
    Shutdown,
}

/// Serves requests from `input` until EOF or `shutdown`.
pub fn run(
    engine: &Engine,
    mut input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    let mut line = Vec::new();
    loop {
        let (read, overlong) =
            crate::ingest::read::read_line_capped(&mut input, &mut line, MAX_LINE_BYTES)?;
        if read == 0 {
            return Ok(());
        }
        let (reply, flow) = if overlong {
            let message =
                format!("request line is {read} bytes, over the {MAX_LINE_BYTES}-byte limit");
            (
                Some(error(Value::Null, INVALID_REQUEST, message, None)),
                Flow::Continue,
            )
        } else {
            handle_line(engine, &line)
        };
        if let Some(reply) = reply {
            serde_json::to_writer(&mut output, &reply)?;
            output.write_all(b"\n")?;
            output.flush()?;
        }
        if let Flow::Shutdown = flow {
            return Ok(());
        }
    }
}

fn handle_line(engine: &Engine, line: &[u8]) -> (Option<Reply>, Flow) {
    if line.iter().all(u8::is_ascii_whitespace) {
        return (None, Flow::Continue);
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            return (
                Some(error(
                    Value::Null,
                    PARSE_ERROR,
                    format!("parse error: {e}"),
                    None,
                )),
                Flow::Continue,
            )
        }
    };
    match value {
        Value::Array(items) if items.is_empty() => (
            Some(error(
                Value::Null,
                INVALID_REQUEST,
                "empty batch".into(),
                None,
            )),
            Flow::Continue,
        ),
        Value::Array(items) if items.len() > MAX_BATCH => (
            Some(error(
                Value::Null,
                INVALID_REQUEST,
                format!(
                    "batch of {} requests, the limit is {MAX_BATCH}; send more lines",
                    items.len()
                ),
                None,
            )),
            Flow::Continue,
        ),
        Value::Array(items) => {
            let mut replies: Vec<Reply> = Vec::new();
            let mut bytes = 0;
            let mut flow = Flow::Continue;
            for item in items {
                if bytes > MAX_BATCH_REPLY_BYTES {
                    // A notification gets no reply, in a batch as alone.
                    let Some(id) = item.get("id").cloned() else {
                        continue;
                    };
                    let message = format!(
                        "the batch's replies are over {MAX_BATCH_REPLY_BYTES} bytes; send the rest again (with smaller limits or fewer per line)"
                    );
                    replies.push(error(id, INVALID_REQUEST, message, None));
                    continue;
                }
                let (reply, f) = handle_message(engine, item);
                if let Some(reply) = &reply {
                    bytes += reply.get().len();
                }
                replies.extend(reply);
                if let Flow::Shutdown = f {
                    flow = Flow::Shutdown;
                    break;
                }
            }
            let batch = (!replies.is_empty()).then(|| serialized(&replies));
            (batch, flow)
        }
        other => handle_message(engine, other),
    }
}

fn handle_message(engine: &Engine, message: Value) -> (Option<Reply>, Flow) {
    let Value::Object(mut obj) = message else {
        return (
            Some(error(
                Value::Null,
                INVALID_REQUEST,
                "a request must be a JSON object".into(),
                None,
            )),
            Flow::Continue,
        );
    };
    let id = obj.remove("id");
    let is_notification = id.is_none();
    let id = id.unwrap_or(Value::Null);
    if !matches!(id, Value::Null | Value::String(_) | Value::Number(_)) {
        let message = "`id` must be a string, a number or null".to_string();
        return (
            Some(error(Value::Null, INVALID_REQUEST, message, None)),
            Flow::Continue,
        );
    }
    let invalid = |msg: &str| {
        (
            Some(error(id.clone(), INVALID_REQUEST, msg.to_string(), None)),
            Flow::Continue,
        )
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid("`jsonrpc` must be \"2.0\"");
    }
    let Some(method) = obj
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return invalid("`method` must be a string");
    };
    let params = obj.remove("params").unwrap_or(Value::Null);
    if !matches!(params, Value::Null | Value::Object(_)) {
        return invalid("`params` must be an object");
    }
    let (outcome, flow) = match method.as_str() {
        "shutdown" => (Ok(serialized(&Value::Null)), Flow::Shutdown),
        _ => {
            // A panic inside the engine (a damaged index can cause one in tantivy) answers
            // this request with an internal error; the session goes on.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                dispatch(engine, &method, params)
            }))
            .unwrap_or_else(|_| {
                Err((
                    INTERNAL_ERROR,
                    "the request failed inside paperdex (is the index damaged? \
                     `paperdex check` tells)"
                        .into(),
                    None,
                ))
            });
            (outcome, Flow::Continue)
        }
    };
    if is_notification {
        return (None, flow);
    }
    let reply = match outcome {
        Ok(result) => serialized(&Success {
            jsonrpc: "2.0",
            id: &id,
            result: &result,
        }),
        Err((code, message, data)) => error(id, code, message, data),
    };
    (Some(reply), flow)
}

#[derive(Serialize)]
struct Success<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    result: &'a RawValue,
}

fn serialized<T: Serialize + ?Sized>(value: &T) -> Reply {
    to_raw_value(value).expect("replies are plain JSON values")
}

/// A method's result, already serialized: it goes into the reply without being parsed again.
type Outcome = Result<Reply, (i64, String, Option<Value>)>;

fn params<T: for<'de> Deserialize<'de> + Default>(
    method: &str,
    params: Value,
) -> Result<T, (i64, String, Option<Value>)> {
    if params.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(params).map_err(|e| {
        (
            INVALID_PARAMS,
            format!("invalid params for `{method}`: {e}"),
            None,
        )
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdParams {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

/// `cite`: `ids` (or one `id`) and a `format` (bibtex, csl-json, text; bibtex by default).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CiteParams {
    #[serde(default)]
    ids: Option<Vec<String>>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    format: Option<CiteFormat>,
}

/// Serialized straight to text, so floats print as the CLI and HTTP print them (an f32 score
/// turned into a `Value` would print its f64 widening, 22.04456329345703) and the result is
/// not built twice (through a `Value` it was an eighth of a search's instructions).
fn to_json<T: Serialize>(result: crate::Result<T>) -> Outcome {
    let value = result.map_err(engine_error)?;
    to_raw_value(&value).map_err(|e| (INTERNAL_ERROR, e.to_string(), None))
}

fn dispatch(engine: &Engine, method: &str, raw: Value) -> Outcome {
    let need_id = |p: &IdParams| {
        p.id.clone().ok_or((
            INVALID_PARAMS,
            format!("`{method}` needs params {{\"id\": \"...\"}}"),
            None,
        ))
    };
    match method {
        "search" => {
            let req: SearchRequest = params(method, raw)?;
            to_json(engine.search(&req))
        }
        "get" => {
            let p: IdParams = params(method, raw)?;
            let id = need_id(&p)?;
            to_json(engine.get(&id))
        }
        "similar" => {
            let p: IdParams = params(method, raw)?;
            let id = need_id(&p)?;
            to_json(engine.similar(&id, p.limit.unwrap_or(DEFAULT_SIMILAR)))
        }
        "facets" => {
            let req: FacetsRequest = params(method, raw)?;
            to_json(engine.facets(&req))
        }
        "stats" => to_json(engine.stats()),
        "cite" => {
            let p: CiteParams = params(method, raw)?;
            let mut ids = p.ids.unwrap_or_default();
            ids.extend(p.id);
            if ids.is_empty() {
                return Err((
                    INVALID_PARAMS,
                    "`cite` needs params {\"ids\": [\"...\"]}".into(),
                    None,
                ));
            }
            to_json(engine.cite(&ids, p.format.unwrap_or_default()))
        }
        other => Err((
            METHOD_NOT_FOUND,
            format!(
                "unknown method `{other}` (methods: search, get, similar, facets, stats, cite, shutdown)"
            ),
            None,
        )),
    }
}

fn engine_error(err: Error) -> (i64, String, Option<Value>) {
    let code = match &err {
        Error::NotFound(_) => NOT_FOUND,
        e if e.is_user_error() => INVALID_PARAMS,
        _ => INTERNAL_ERROR,
    };
    (code, err.to_string(), Some(json!({ "code": err.code() })))
}

fn error(id: Value, code: i64, message: String, data: Option<Value>) -> Reply {
    let mut error = json!({ "code": code, "message": message });
    if let Some(data) = data {
        error["data"] = data;
    }
    serialized(&json!({ "jsonrpc": "2.0", "id": id, "error": error }))
}
