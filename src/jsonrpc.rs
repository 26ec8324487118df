//! JSON-RPC 2.0 wire types: request ids, the classification of one incoming message, and the
//! outgoing response.
//!
//! Incoming messages are classified by hand from a parsed [`Value`] instead of with
//! `#[serde(untagged)]`: an untagged enum silently reads `"id": null`, `1.5` or `4294967296`
//! as a notification, and the client then waits forever for an answer
//! (`shared/reference/mcp.md` §4.1).

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Number, Value};

/// A request id, echoed back exactly as received.
///
/// MCP allows strings and integers only ("the ID MUST NOT be null"); `0`, negative ids and ids
/// beyond 2^53 are all in use by real clients, so integers keep serde_json's full `i64`/`u64`
/// range and are never narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestId {
    /// An integer id; the wrapped number is always an `i64` or a `u64`, never a float.
    Integer(Number),
    /// A string id.
    String(String),
}

impl RequestId {
    /// Reads an id from the wire; `None` for null, fractional, boolean, object and array ids.
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Self::String(s.clone())),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(Self::Integer(n.clone())),
            _ => None,
        }
    }
}

impl Serialize for RequestId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Integer(n) => n.serialize(serializer),
            Self::String(s) => s.serialize(serializer),
        }
    }
}

/// The standard JSON-RPC error codes this server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The line is not JSON (or is nested deeper than serde_json's recursion limit).
    ParseError = -32700,
    /// JSON, but not a valid request object; also an over-long line.
    InvalidRequest = -32600,
    /// The method is not one this server implements.
    MethodNotFound = -32601,
    /// The params do not have the shape the method needs (e.g. an unknown tool).
    InvalidParams = -32602,
    /// A bug: handling the message panicked.
    InternalError = -32603,
    /// MCP 2026-07-28: the request's `_meta` names a protocol version we do not serve.
    UnsupportedProtocolVersion = -32022,
}

/// A JSON-RPC error object: errors are data, returned like any other result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcError {
    /// Always one of the standard codes.
    #[serde(serialize_with = "serialize_code")]
    pub code: ErrorCode,
    /// One sentence that says what was wrong and, where possible, what to send instead.
    pub message: String,
    /// Machine-readable detail, where a client can use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

fn serialize_code<S: serde::Serializer>(code: &ErrorCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i32(*code as i32)
}

impl RpcError {
    /// An error with no `data`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }
}

/// A request: it has an id and must get exactly one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Echoed in the response.
    pub id: RequestId,
    /// The method name, e.g. `tools/call`.
    pub method: String,
    /// The params object; absent and `null` params both read as an empty object.
    pub params: Map<String, Value>,
}

/// One incoming JSON value, classified by what the server must do with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// Answer it.
    Request(Request),
    /// A message without an id: never answered, whatever its method or shape.
    Notification,
    /// A response to a request we never send: ignored.
    Response,
    /// Not a valid request: answered with -32600, echoing the id when one could be read.
    Invalid {
        /// The id, if the message carried a usable one.
        id: Option<RequestId>,
        /// What is wrong, for the error message.
        reason: &'static str,
    },
}

impl Incoming {
    /// Classifies one JSON value (an element of a batch, or a whole line).
    pub fn classify(value: Value) -> Self {
        let Value::Object(mut object) = value else {
            return Self::Invalid {
                id: None,
                reason: "a JSON-RPC message must be a JSON object",
            };
        };
        let Some(raw_id) = object.get("id") else {
            if object.contains_key("method") {
                return Self::Notification;
            }
            if object.contains_key("result") || object.contains_key("error") {
                return Self::Response;
            }
            return Self::Invalid {
                id: None,
                reason: "the message has neither a method nor an id",
            };
        };
        let id = RequestId::from_value(raw_id);
        if !object.contains_key("method")
            && (object.contains_key("result") || object.contains_key("error"))
        {
            return Self::Response;
        }
        let invalid = |reason| Self::Invalid {
            id: id.clone(),
            reason,
        };
        if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return invalid("\"jsonrpc\" must be \"2.0\"");
        }
        let Some(id) = id.clone() else {
            return invalid("\"id\" must be a string or an integer");
        };
        let method = match object.remove("method") {
            Some(Value::String(method)) => method,
            _ => return invalid("\"method\" must be a string"),
        };
        let params = match object.remove("params") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(params)) => params,
            Some(_) => return invalid("\"params\" must be an object"),
        };
        Self::Request(Request { id, method, params })
    }
}

/// A response: the type allows exactly one of `result` and `error`. The result is any
/// serializable type, so a large one can be written without building a `Value` first.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<R = Value> {
    /// `None` only when the request's id could not be read; written as `null`.
    pub id: Option<RequestId>,
    /// The result, or the error.
    pub outcome: Result<R, RpcError>,
}

impl<R> Response<R> {
    /// An error response.
    pub fn error(id: Option<RequestId>, error: RpcError) -> Self {
        Self {
            id,
            outcome: Err(error),
        }
    }
}

impl<R: Serialize> Serialize for Response<R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("jsonrpc", "2.0")?;
        map.serialize_entry("id", &self.id)?;
        match &self.outcome {
            Ok(result) => map.serialize_entry("result", result)?,
            Err(error) => map.serialize_entry("error", error)?,
        }
        map.end()
    }
}

/// What one input line produces on stdout.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing<R = Value> {
    /// Nothing: a notification, a response, or a batch of those.
    Nothing,
    /// One response object.
    Single(Response<R>),
    /// The responses to a batch's requests, as one JSON array.
    Batch(Vec<Response<R>>),
}

impl<R: Serialize> Serialize for Outgoing<R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Nothing => serializer.serialize_unit(),
            Self::Single(response) => response.serialize(serializer),
            Self::Batch(responses) => responses.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classify(line: &str) -> Incoming {
        Incoming::classify(serde_json::from_str(line).expect("test line is JSON"))
    }

    #[test]
    fn ids_are_kept_verbatim() {
        for raw in [
            "0",
            "-7",
            "9007199254740993",
            "18446744073709551615",
            "\"abc\"",
        ] {
            let line = format!(r#"{{"jsonrpc":"2.0","id":{raw},"method":"ping"}}"#);
            let Incoming::Request(request) = classify(&line) else {
                panic!("{line} is a request");
            };
            let response = Response {
                id: Some(request.id),
                outcome: Ok(json!({})),
            };
            let out = serde_json::to_string(&response).unwrap();
            assert_eq!(
                out,
                format!(r#"{{"jsonrpc":"2.0","id":{raw},"result":{{}}}}"#)
            );
        }
    }

    #[test]
    fn unreadable_ids_are_invalid_not_notifications() {
        for raw in ["null", "1.5", "true", "{}", "[]", "1e2", "4.0"] {
            let line = format!(r#"{{"jsonrpc":"2.0","id":{raw},"method":"ping"}}"#);
            assert!(
                matches!(classify(&line), Incoming::Invalid { id: None, .. }),
                "{line}"
            );
        }
    }

    #[test]
    fn messages_without_id_are_notifications_whatever_their_shape() {
        for line in [
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"1.0","method":"x"}"#,
            r#"{"method":7,"params":3}"#,
        ] {
            assert_eq!(classify(line), Incoming::Notification, "{line}");
        }
    }

    #[test]
    fn invalid_requests_echo_the_id() {
        for line in [
            r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#,
            r#"{"id":3,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":4}"#,
            r#"{"jsonrpc":"2.0","id":3}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"ping","params":[1]}"#,
        ] {
            let Incoming::Invalid { id, .. } = classify(line) else {
                panic!("{line} is invalid");
            };
            assert_eq!(id, Some(RequestId::Integer(3.into())), "{line}");
        }
    }

    #[test]
    fn responses_are_recognised() {
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
            Incoming::Response
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}"#),
            Incoming::Response
        );
    }

    #[test]
    fn null_params_read_as_empty() {
        let Incoming::Request(request) =
            classify(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#)
        else {
            panic!("a request");
        };
        assert!(request.params.is_empty());
    }

    #[test]
    fn error_response_serializes_exactly() {
        let response: Response = Response::error(None, RpcError::new(ErrorCode::ParseError, "bad"));
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#
        );
    }
}
