//! The MCP server: era selection per request, method dispatch, and the read-answer loop.
//!
//! Dual-era (MCP 2026-07-28 `basic/versioning`): a request whose `params._meta` names a
//! protocol version is served statelessly under that version; `initialize` selects legacy
//! semantics for the rest of the process; any other request uses the session's version.
//!
//! | method            | legacy (session)                              | 2026-07-28 (stateless)              |
//! |-------------------|-----------------------------------------------|-------------------------------------|
//! | `initialize`      | the requested version if served, else 2025-11-25 | (always legacy)                  |
//! | `server/discover` | -32602: needs `_meta` protocolVersion          | versions, capabilities, serverInfo  |
//! | `ping`            | `{}`                                           | -32601 (removed)                    |
//! | `tools/list`      | every tool; any cursor → -32602                | same, plus `ttlMs`, `cacheScope`    |
//! | `tools/call`      | a tool result; bad `name`/`arguments` → -32602 | same, plus `resultType`             |
//! | anything else     | -32601 at once, before `initialize` too        | -32601                              |
//! | no `id`           | never answered                                 | never answered                      |

use std::io::{self, BufRead, Write};
use std::panic::{self, AssertUnwindSafe};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::clip::{NAME_CHARS, clip};
use crate::config::ConfigErrors;
use crate::jsonrpc::{ErrorCode, Incoming, Outgoing, Request, Response, RpcError};
use crate::robots::Fleet;
use crate::tools::{self, Listing, TOOLS};
use crate::transport::{Frame, LineReader, MAX_LINE_BYTES, write_message};
use crate::version::ProtocolVersion;

/// Given to the model at `initialize`: what this server is for and how to use it well.
const INSTRUCTIONS: &str = "This server posts messages into one DingTalk group chat through the \
group's custom robot. Every member of the group sees each message at once and a robot message \
cannot be recalled, so send only what the user asked for. Use send_text_message for plain text, \
send_markdown_message for formatting (headings, bold, italic, links, images, lists, quotes; \
DingTalk renders no tables or code blocks), and send_link_message, send_action_card_message or \
send_feed_card_message for cards with links and buttons. To mention people in text or markdown, \
pass their mobile numbers in atMobiles or their DingTalk user ids in atUserIds (the @ markers \
DingTalk needs to notify them are added to the text when missing), or set atAll. A robot may send \
20 messages a minute (DingTalk then blocks it for 10 minutes); a message body may be at most \
20,000 bytes, and longer text or markdown is split into numbered parts, so combine updates into \
one message. preview_message shows exactly what a send would post without sending it. Failed \
sends return isError with DingTalk's errcode and a hint; when `delivered` is \"unknown\", check \
the group before sending again";

/// `_meta` key naming a request's protocol version (MCP 2026-07-28 `basic/index` §_meta).
const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key a 2026-07-28 request must carry.
const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key identifying us in every 2026-07-28 result.
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// How long a client may cache `tools/list` and `server/discover`: the table is fixed for the
/// life of the process.
const TTL_MS: u64 = 3_600_000;

/// A result as written to stdout.
#[derive(Debug)]
pub enum Answer {
    /// Most results: small, built as a `Value`.
    Value(Value),
    /// `tools/list`: written straight from the static tool table, the largest answer by far.
    Tools(ToolList),
}

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(value) => value.serialize(serializer),
            Self::Tools(list) => list.serialize(serializer),
        }
    }
}

/// A `tools/list` result. The fields are in the sorted order a `Value` map writes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolList {
    /// 2026-07-28: who we are.
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    meta: Option<Value>,
    /// 2026-07-28: any client may share the cached list.
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_scope: Option<&'static str>,
    /// 2026-07-28: always `complete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    result_type: Option<&'static str>,
    /// Every tool.
    tools: Listing,
    /// 2026-07-28: how long the list may be cached.
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl_ms: Option<u64>,
}

/// The server's state: the robots (or why there are none) and the negotiated version.
pub struct Server {
    fleet: Result<Fleet, ConfigErrors>,
    version: ProtocolVersion,
}

impl Server {
    /// A server sending through `fleet`; a configuration error is kept and reported by every
    /// send, so the server still answers `initialize` and `tools/list`.
    pub fn new(fleet: Result<Fleet, ConfigErrors>) -> Self {
        Self {
            fleet,
            version: ProtocolVersion::LATEST_HANDSHAKE,
        }
    }

    /// Answers one input line (already without its newline).
    pub fn handle_line(&mut self, line: &[u8]) -> Outgoing<Answer> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Outgoing::Nothing;
        }
        let value: Value = match serde_json::from_slice(line) {
            Ok(value) => value,
            Err(error) => {
                let message = format!("Parse error: the line is not valid JSON ({error})");
                return Outgoing::Single(Response::error(
                    None,
                    RpcError::new(ErrorCode::ParseError, message),
                ));
            }
        };
        match value {
            Value::Array(items) if items.is_empty() => Outgoing::Single(Response::error(
                None,
                RpcError::new(ErrorCode::InvalidRequest, "Invalid Request: empty batch"),
            )),
            Value::Array(items) => {
                let responses: Vec<Response<Answer>> = items
                    .into_iter()
                    .filter_map(|item| self.handle_message(Incoming::classify(item), true))
                    .collect();
                if responses.is_empty() {
                    Outgoing::Nothing
                } else {
                    Outgoing::Batch(responses)
                }
            }
            single => self
                .handle_message(Incoming::classify(single), false)
                .map_or(Outgoing::Nothing, Outgoing::Single),
        }
    }

    fn handle_message(&mut self, message: Incoming, in_batch: bool) -> Option<Response<Answer>> {
        match message {
            Incoming::Notification | Incoming::Response => None,
            Incoming::Invalid { id, reason } => Some(Response::error(
                id,
                RpcError::new(
                    ErrorCode::InvalidRequest,
                    format!("Invalid Request: {reason}"),
                ),
            )),
            Incoming::Request(request) if in_batch && request.method == "initialize" => {
                Some(Response::error(
                    Some(request.id),
                    RpcError::new(
                        ErrorCode::InvalidRequest,
                        "Invalid Request: initialize must not be part of a batch",
                    ),
                ))
            }
            Incoming::Request(request) => Some(self.handle_request(request)),
        }
    }

    /// Answers one request; a panic inside becomes -32603 and the server goes on.
    fn handle_request(&mut self, request: Request) -> Response<Answer> {
        let id = request.id.clone();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.dispatch(request)))
            .unwrap_or_else(|_| {
                Err(RpcError::new(
                    ErrorCode::InternalError,
                    "Internal error: the server failed while handling this request; it keeps serving",
                ))
            });
        Response {
            id: Some(id),
            outcome,
        }
    }

    fn dispatch(&mut self, request: Request) -> Result<Answer, RpcError> {
        let Request { method, params, .. } = request;
        if method == "initialize" {
            return Ok(Answer::Value(self.initialize(&params)));
        }
        let version = match requested_version(&params)? {
            Some(version) => version,
            None if method == "server/discover" => {
                return Err(RpcError::new(
                    ErrorCode::InvalidParams,
                    format!(
                        "Invalid params: server/discover needs params._meta[\"{PROTOCOL_VERSION_KEY}\"]"
                    ),
                ));
            }
            None => self.version,
        };
        let result = match method.as_str() {
            "ping" if !version.is_modern() => Answer::Value(json!({})),
            "server/discover" => Answer::Value(discover()),
            "tools/list" => Answer::Tools(list_tools(&params, version, self.fleet.as_ref().ok())?),
            "tools/call" => Answer::Value(self.call_tool(params, version)?),
            _ => {
                return Err(RpcError::new(
                    ErrorCode::MethodNotFound,
                    format!("Method not found: {}", clip(&method, NAME_CHARS)),
                ));
            }
        };
        Ok(if version.is_modern() || method == "server/discover" {
            complete(result)
        } else {
            result
        })
    }

    fn initialize(&mut self, params: &Map<String, Value>) -> Value {
        self.version =
            ProtocolVersion::negotiate(params.get("protocolVersion").and_then(Value::as_str));
        json!({
            "protocolVersion": self.version.as_str(),
            "capabilities": capabilities(),
            "serverInfo": server_info(self.version),
            "instructions": INSTRUCTIONS,
        })
    }

    fn call_tool(
        &mut self,
        mut params: Map<String, Value>,
        version: ProtocolVersion,
    ) -> Result<Value, RpcError> {
        let invalid = |message: String| RpcError::new(ErrorCode::InvalidParams, message);
        let name = match params.remove("name") {
            Some(Value::String(name)) => name,
            _ => {
                return Err(invalid(
                    "Invalid params: tools/call needs `name`, a string".into(),
                ));
            }
        };
        let arguments = match params.remove("arguments") {
            None => Map::new(),
            Some(Value::Object(arguments)) => arguments,
            Some(_) => {
                return Err(invalid(
                    "Invalid params: `arguments` must be an object".into(),
                ));
            }
        };
        let Some(tool) = tools::find(&name) else {
            let names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
            return Err(invalid(format!(
                "Unknown tool: {}. Available tools: {}",
                clip(&name, NAME_CHARS),
                names.join(", ")
            )));
        };
        Ok(tool.call(arguments, self.fleet.as_ref()).to_result(version))
    }
}

/// The version a request names in `params._meta`, if any: unsupported → -32022 with the
/// versions we serve; a 2026-07-28 request without `clientCapabilities` → -32602.
fn requested_version(params: &Map<String, Value>) -> Result<Option<ProtocolVersion>, RpcError> {
    let Some(meta) = params.get("_meta").and_then(Value::as_object) else {
        return Ok(None);
    };
    let Some(requested) = meta.get(PROTOCOL_VERSION_KEY) else {
        return Ok(None);
    };
    let Some(requested) = requested.as_str() else {
        return Err(RpcError::new(
            ErrorCode::InvalidParams,
            format!("Invalid params: _meta[\"{PROTOCOL_VERSION_KEY}\"] must be a string"),
        ));
    };
    let Some(version) = ProtocolVersion::parse(requested) else {
        let supported: Vec<&str> = ProtocolVersion::ALL.iter().map(|v| v.as_str()).collect();
        return Err(RpcError {
            code: ErrorCode::UnsupportedProtocolVersion,
            message: "Unsupported protocol version".into(),
            data: Some(json!({"supported": supported, "requested": requested})),
        });
    };
    if version.is_modern()
        && !meta
            .get(CLIENT_CAPABILITIES_KEY)
            .is_some_and(Value::is_object)
    {
        return Err(RpcError::new(
            ErrorCode::InvalidParams,
            format!("Invalid params: missing required _meta[\"{CLIENT_CAPABILITIES_KEY}\"]"),
        ));
    }
    Ok(Some(version))
}

fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}})
}

/// Who we are, with the fields `version`'s `Implementation` defines.
fn server_info(version: ProtocolVersion) -> Value {
    let mut info = json!({
        "name": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
    });
    if version.has_structured_output() {
        info["title"] = "DingTalk robot".into();
    }
    if version.has_server_description() {
        info["description"] = env!("CARGO_PKG_DESCRIPTION").into();
        info["websiteUrl"] = env!("CARGO_PKG_HOMEPAGE").into();
    }
    info
}

fn discover() -> Value {
    let supported: Vec<&str> = ProtocolVersion::ALL.iter().map(|v| v.as_str()).collect();
    json!({
        "supportedVersions": supported,
        "capabilities": capabilities(),
        "instructions": INSTRUCTIONS,
        "ttlMs": TTL_MS,
        "cacheScope": "public",
    })
}

fn list_tools(
    params: &Map<String, Value>,
    version: ProtocolVersion,
    fleet: Option<&Fleet>,
) -> Result<ToolList, RpcError> {
    if params.get("cursor").is_some_and(|c| !c.is_null()) {
        return Err(RpcError::new(
            ErrorCode::InvalidParams,
            "Invalid params: unknown cursor (this server lists every tool in one page and never issues cursors)",
        ));
    }
    let modern = version.is_modern();
    Ok(ToolList {
        meta: None,
        cache_scope: modern.then_some("public"),
        result_type: None,
        tools: Listing::new(version, fleet),
        ttl_ms: modern.then_some(TTL_MS),
    })
}

/// Marks a 2026-07-28 result complete and identifies the server in its `_meta`.
fn complete(result: Answer) -> Answer {
    let meta = json!({ SERVER_INFO_KEY: server_info(ProtocolVersion::V2026_07_28) });
    match result {
        Answer::Value(mut result) => {
            result["resultType"] = "complete".into();
            result["_meta"] = meta;
            Answer::Value(result)
        }
        Answer::Tools(list) => Answer::Tools(ToolList {
            meta: Some(meta),
            result_type: Some("complete"),
            ..list
        }),
    }
}

/// Serves MCP until `input` ends: reads a line, answers it, flushes, repeats.
///
/// Returns `Ok` at end of input and when the host has closed `output` (a broken pipe means the
/// host is gone, which is no error of ours).
pub fn serve(input: impl BufRead, mut output: impl Write, server: &mut Server) -> io::Result<()> {
    let mut lines = LineReader::new(input, MAX_LINE_BYTES);
    loop {
        let answer = match lines.next_frame()? {
            Frame::Eof => return Ok(()),
            Frame::TooLong => Outgoing::Single(Response::error(
                None,
                RpcError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "Invalid Request: the line is longer than {MAX_LINE_BYTES} bytes and was discarded"
                    ),
                ),
            )),
            Frame::Line(line) => server.handle_line(&line),
        };
        let written = match answer {
            Outgoing::Nothing => Ok(()),
            answer => write_message(&mut output, &answer),
        };
        match written {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            other => other?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dingtalk::{Deliver, SendError};

    struct Panics;

    impl Deliver for Panics {
        fn deliver(&self, _: &[u8]) -> Result<(), SendError> {
            panic!("deliberate test panic")
        }
    }

    fn panicking_fleet() -> Fleet {
        let state_dir =
            std::env::temp_dir().join(format!("dingtalk-mcp-server-test-{}", std::process::id()));
        let config = crate::config::load(
            |name| match name {
                "DINGTALK_BOT_ACCESS_TOKEN" => Some("token".into()),
                "DINGTALK_STATE_DIR" => Some(state_dir.clone().into_os_string()),
                _ => None,
            },
            None,
            |_| Ok(String::new()),
        )
        .expect("a valid test configuration");
        Fleet::new(config, |_| Box::new(Panics))
    }

    fn answer(server: &mut Server, line: &str) -> String {
        match server.handle_line(line.as_bytes()) {
            Outgoing::Nothing => String::new(),
            other => serde_json::to_string(&other).unwrap(),
        }
    }

    #[test]
    fn a_panic_becomes_internal_error_and_the_server_goes_on() {
        let mut server = Server::new(Ok(panicking_fleet()));
        let call = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"send_text_message","arguments":{"text":"hi"}}}"#;
        let out = answer(&mut server, call);
        assert!(
            out.starts_with(r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"#),
            "{out}"
        );
        assert_eq!(
            answer(&mut server, r#"{"jsonrpc":"2.0","id":8,"method":"ping"}"#),
            r#"{"jsonrpc":"2.0","id":8,"result":{}}"#
        );
    }

    #[test]
    fn serve_stops_quietly_when_the_host_closes_stdout() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut server = Server::new(Err(ConfigErrors(Vec::new())));
        let input = &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"[..];
        assert!(serve(input, Closed, &mut server).is_ok());
    }
}
