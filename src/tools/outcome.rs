//! How a tool call ended, rendered as an MCP `CallToolResult`: one sentence the model can act
//! on, the same facts as `structuredContent` (matching the tools' `outputSchema`), and
//! `isError` on every failure.

use serde::Serialize;
use serde_json::{Value, json};
use thiserror::Error;

use super::args::ArgError;
use crate::config::ConfigErrors;
use crate::dingtalk::{Delivery, SendError, errcode};
use crate::version::ProtocolVersion;

/// `errcode` when DingTalk gave no answer at all (bad arguments, configuration, network). It is
/// not a DingTalk code: DingTalk's own are 0, -1 and positive numbers.
pub const NO_DINGTALK_ANSWER: i64 = -2;

/// Why a tool call failed.
#[derive(Debug, Error)]
pub enum ToolError {
    /// The model's arguments are wrong: it can correct them and call again.
    #[error("invalid arguments: {0}")]
    Arguments(#[from] ArgError),
    /// The server is misconfigured: only the user can fix it.
    #[error("dingtalk-mcp is not configured: {0}")]
    Config(ConfigErrors),
    /// The send itself failed.
    #[error("{0}")]
    Send(#[from] SendError),
}

impl ToolError {
    fn kind(&self) -> &'static str {
        match self {
            Self::Arguments(_) => "arguments",
            Self::Config(_) => "configuration",
            Self::Send(SendError::DingTalk { .. }) => "dingtalk",
            Self::Send(SendError::Http { .. }) => "http",
            Self::Send(SendError::BadReply { .. }) => "reply",
            Self::Send(SendError::Timeout { .. }) => "timeout",
            Self::Send(SendError::Connect { .. }) => "connection",
            Self::Send(SendError::Tls { .. }) => "tls",
            Self::Send(SendError::Transport { .. }) => "connection",
        }
    }

    fn delivery(&self) -> Delivery {
        match self {
            Self::Arguments(_) | Self::Config(_) => Delivery::No,
            Self::Send(error) => error.delivery(),
        }
    }

    fn hint(&self, tool: &str) -> Option<String> {
        match self {
            Self::Arguments(_) => Some(format!(
                "Correct the arguments and call {tool} again; nothing was sent."
            )),
            Self::Config(_) => Some(
                "The user must fix the server's configuration (the `env` block of this server in \
                 the MCP host's config) and restart it; retrying will not help."
                    .into(),
            ),
            Self::Send(SendError::DingTalk { errcode, errmsg }) => {
                errcode::hint(*errcode, errmsg).map(str::to_owned)
            }
            Self::Send(error) => Some(match error.delivery() {
                Delivery::No => "Nothing was sent; check the network and try again.".into(),
                _ => {
                    "Check the group before sending again, or the message may appear twice.".into()
                }
            }),
        }
    }
}

/// The `structuredContent` of every send result, success or failure.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    ok: bool,
    errcode: i64,
    errmsg: String,
    delivered: Delivery,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msgtype: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_bytes: Option<usize>,
}

/// The `outputSchema` shared by the send tools; it describes [`Report`].
pub fn output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "ok": {"type": "boolean", "description": "true when DingTalk accepted the message (errcode 0)"},
            "errcode": {"type": "integer", "description": "DingTalk's errcode: 0 on success; -2 when DingTalk gave no answer (see errorKind)"},
            "errmsg": {"type": "string", "description": "DingTalk's errmsg, or what went wrong when DingTalk gave no answer"},
            "delivered": {"type": "string", "enum": ["yes", "no", "unknown"], "description": "whether the group can have received the message; on unknown, check the group before sending again"},
            "errorKind": {"type": "string", "enum": ["arguments", "configuration", "dingtalk", "http", "reply", "timeout", "connection", "tls"], "description": "what failed; absent on success"},
            "hint": {"type": "string", "description": "what to do about the failure"},
            "msgtype": {"type": "string", "description": "the DingTalk msgtype sent"},
            "bodyBytes": {"type": "integer", "description": "size of the request body in bytes (DingTalk's limit is 20,000)"}
        },
        "required": ["ok", "errcode", "errmsg", "delivered"]
    })
}

/// What a send tool reports.
#[derive(Debug)]
pub enum Outcome {
    /// DingTalk accepted the message.
    Sent {
        /// The msgtype sent.
        msgtype: &'static str,
        /// The body size.
        body_bytes: usize,
    },
    /// It failed; the tool name goes into the hint.
    Failed {
        /// The tool that was called.
        tool: &'static str,
        /// Why.
        error: ToolError,
    },
}

impl Outcome {
    /// The `CallToolResult` for `version`: `structuredContent` only where the version has it,
    /// and the same facts as a JSON text block for older clients.
    pub fn to_result(&self, version: ProtocolVersion) -> Value {
        let (report, text) = self.report();
        let structured = serde_json::to_value(&report).unwrap_or(Value::Null);
        let mut result = json!({
            "content": [
                {"type": "text", "text": text},
                {"type": "text", "text": structured.to_string()},
            ],
            "isError": !report.ok,
        });
        if version.has_structured_output() {
            result["structuredContent"] = structured;
        }
        result
    }

    fn report(&self) -> (Report, String) {
        match self {
            Self::Sent {
                msgtype,
                body_bytes,
            } => (
                Report {
                    ok: true,
                    errcode: 0,
                    errmsg: "ok".into(),
                    delivered: Delivery::Yes,
                    error_kind: None,
                    hint: None,
                    msgtype: Some(msgtype),
                    body_bytes: Some(*body_bytes),
                },
                format!(
                    "Sent: the {msgtype} message was delivered to the DingTalk group \
                     (errcode 0, {body_bytes}-byte body)."
                ),
            ),
            Self::Failed { tool, error } => {
                let (errcode, errmsg) = match error {
                    ToolError::Send(SendError::DingTalk { errcode, errmsg }) => {
                        (*errcode, errmsg.clone())
                    }
                    other => (NO_DINGTALK_ANSWER, other.to_string()),
                };
                let hint = error.hint(tool);
                let delivered = error.delivery();
                let verdict = match delivered {
                    Delivery::No => "Not sent",
                    _ => "Failed",
                };
                let mut text = format!("{verdict}: {error}.");
                if let Some(hint) = &hint {
                    text.push(' ');
                    text.push_str(hint);
                }
                let report = Report {
                    ok: false,
                    errcode,
                    errmsg,
                    delivered,
                    error_kind: Some(error.kind()),
                    hint,
                    msgtype: None,
                    body_bytes: None,
                };
                (report, text)
            }
        }
    }
}
