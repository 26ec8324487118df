//! How a tool call ended, rendered as an MCP `CallToolResult`: one sentence the model can act
//! on, the same facts as `structuredContent` (matching the tools' `outputSchema`) and as a JSON
//! text block for clients older than `structuredContent`, and `isError` on every failure.

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::args::ArgError;
use crate::clip::clip;
use crate::compose::{ComposeError, Plan};
use crate::config::ConfigErrors;
use crate::dingtalk::{Deliver, Delivery, SendError, errcode};
use crate::version::ProtocolVersion;

/// `errcode` when DingTalk gave no answer at all (bad arguments, configuration, network, a
/// preview). It is not a DingTalk code: DingTalk's own are 0, -1 and positive numbers.
pub const NO_DINGTALK_ANSWER: i64 = -2;

/// Room for a whole result on one line: Python hosts read at most 64 KiB per line, and the
/// JSON-RPC envelope needs a little more.
const MAX_RESULT_BYTES: usize = 60 * 1024;

/// Why a tool call failed.
#[derive(Debug, Error)]
pub enum ToolError {
    /// The model's arguments are wrong: it can correct them and call again.
    #[error("invalid arguments: {0}")]
    Arguments(#[from] ArgError),
    /// The message cannot be sent as asked (too large): the model can shorten it.
    #[error("invalid arguments: {0}")]
    Compose(#[from] ComposeError),
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
            Self::Arguments(_) | Self::Compose(_) => "arguments",
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
            Self::Send(error) => error.delivery(),
            _ => Delivery::No,
        }
    }

    fn hint(&self, tool: &str) -> Option<String> {
        match self {
            Self::Arguments(_) | Self::Compose(_) => Some(format!(
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

/// The `structuredContent` of every tool result, success or failure.
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
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    preview: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    msgtype: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parts: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parts_sent: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    body_bytes: Vec<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    body_sha256: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bodies: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    bodies_shortened: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mentions_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// The `outputSchema` shared by every tool; it describes [`Report`]. Flat: primitives and
/// arrays of primitives only.
pub fn output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "ok": {"type": "boolean", "description": "true when DingTalk accepted every part (errcode 0), or when a preview found the message valid"},
            "errcode": {"type": "integer", "description": "DingTalk's errcode: 0 on success; -2 when DingTalk gave no answer (a preview, or see errorKind)"},
            "errmsg": {"type": "string", "description": "DingTalk's errmsg, or what went wrong when DingTalk gave no answer"},
            "delivered": {"type": "string", "enum": ["yes", "no", "unknown", "partial"], "description": "whether the group received the message: partial means some parts arrived (see partsSent); on unknown, check the group before sending again"},
            "errorKind": {"type": "string", "enum": ["arguments", "configuration", "dingtalk", "http", "reply", "timeout", "connection", "tls"], "description": "what failed; absent on success"},
            "hint": {"type": "string", "description": "what to do about the failure"},
            "preview": {"type": "boolean", "description": "true for preview_message: nothing was sent"},
            "msgtype": {"type": "string", "description": "the DingTalk msgtype"},
            "parts": {"type": "integer", "description": "how many request bodies the message takes (more than 1 when a long message is split)"},
            "partsSent": {"type": "integer", "description": "how many parts DingTalk accepted before a failure"},
            "bodyBytes": {"type": "array", "items": {"type": "integer"}, "description": "each body's size in bytes (DingTalk's limit is 20,000)"},
            "bodySha256": {"type": "array", "items": {"type": "string"}, "description": "preview: each full body's SHA-256, hex"},
            "bodies": {"type": "array", "items": {"type": "string"}, "description": "preview: each body exactly as it would be POSTed (shortened when bodiesShortened)"},
            "bodiesShortened": {"type": "boolean", "description": "preview: true when the bodies were too large to return whole and are shown shortened"},
            "mentionsAdded": {"type": "array", "items": {"type": "string"}, "description": "@ markers appended to the text so the mentions notify"},
            "warnings": {"type": "array", "items": {"type": "string"}, "description": "things DingTalk will not render as written (e.g. markdown tables)"}
        },
        "required": ["ok", "errcode", "errmsg", "delivered"]
    })
}

/// What a tool call did.
#[derive(Debug)]
pub struct Outcome {
    tool: &'static str,
    end: End,
}

#[derive(Debug)]
enum End {
    /// Every part was accepted.
    Sent(Plan),
    /// A preview: nothing was sent.
    Previewed(Plan),
    /// It failed; `sent` parts of `plan` (if composed) had arrived.
    Failed {
        error: ToolError,
        plan: Option<Plan>,
        sent: usize,
    },
}

impl Outcome {
    /// A call that failed before anything was sent.
    pub fn failed(tool: &'static str, error: ToolError) -> Self {
        Self {
            tool,
            end: End::Failed {
                error,
                plan: None,
                sent: 0,
            },
        }
    }

    /// A preview of what `tool` would send.
    pub fn previewed(tool: &'static str, plan: Plan) -> Self {
        Self {
            tool,
            end: End::Previewed(plan),
        }
    }

    /// Sends the plan's parts in order through `robot`, stopping at the first failure.
    pub fn send(tool: &'static str, plan: Plan, robot: &dyn Deliver) -> Self {
        let failure = plan
            .bodies
            .iter()
            .enumerate()
            .find_map(|(i, body)| robot.deliver(body).err().map(|error| (i, error)));
        let end = match failure {
            None => End::Sent(plan),
            Some((sent, error)) => End::Failed {
                error: error.into(),
                plan: Some(plan),
                sent,
            },
        };
        Self { tool, end }
    }

    /// The `CallToolResult` for `version`: `structuredContent` only where the version has it,
    /// the facts as a JSON text block for older clients, and never a line over 64 KiB.
    pub fn to_result(&self, version: ProtocolVersion) -> Value {
        let mut excerpt = None;
        loop {
            let result = self.render(version, excerpt);
            let size = result.to_string().len();
            match (&self.end, excerpt) {
                (End::Previewed(plan), _) if size > MAX_RESULT_BYTES => {
                    let whole = plan.bodies.iter().map(Vec::len).max().unwrap_or(0);
                    let next = excerpt.unwrap_or(whole) / 2;
                    if next == 0 {
                        return result;
                    }
                    excerpt = Some(next);
                }
                _ => return result,
            }
        }
    }

    fn render(&self, version: ProtocolVersion, excerpt: Option<usize>) -> Value {
        let (report, text) = self.report(excerpt);
        let structured = serde_json::to_value(&report).unwrap_or(Value::Null);
        let mut facts = structured.clone();
        let bodies = facts
            .as_object_mut()
            .and_then(|f| f.remove("bodies"))
            .unwrap_or(Value::Null);
        let mut content = vec![
            json!({"type": "text", "text": text}),
            json!({"type": "text", "text": facts.to_string()}),
        ];
        // A preview's bodies follow as their own blocks, so they are escaped only once.
        for body in bodies.as_array().into_iter().flatten() {
            content.push(json!({"type": "text", "text": body}));
        }
        let mut result = json!({"content": content, "isError": !report.ok});
        if version.has_structured_output() {
            result["structuredContent"] = structured;
        }
        result
    }

    fn report(&self, excerpt: Option<usize>) -> (Report, String) {
        let mut report = Report {
            ok: true,
            errcode: 0,
            errmsg: "ok".into(),
            delivered: Delivery::Yes,
            error_kind: None,
            hint: None,
            preview: false,
            msgtype: None,
            parts: None,
            parts_sent: None,
            body_bytes: Vec::new(),
            body_sha256: Vec::new(),
            bodies: Vec::new(),
            bodies_shortened: false,
            mentions_added: Vec::new(),
            warnings: Vec::new(),
        };
        let plan = match &self.end {
            End::Sent(plan) | End::Previewed(plan) => Some(plan),
            End::Failed { plan, .. } => plan.as_ref(),
        };
        if let Some(plan) = plan {
            report.msgtype = Some(plan.msgtype);
            report.parts = Some(plan.bodies.len());
            report.body_bytes = plan.bodies.iter().map(Vec::len).collect();
            report.mentions_added = plan.mentions_added.clone();
            report.warnings = plan.warnings.clone();
        }
        let mut text = match &self.end {
            End::Sent(plan) => sent_summary(plan),
            End::Previewed(plan) => {
                report.preview = true;
                report.errcode = NO_DINGTALK_ANSWER;
                report.errmsg = "preview only: nothing was sent".into();
                report.delivered = Delivery::No;
                report.body_sha256 = plan.bodies.iter().map(|b| hex_sha256(b)).collect();
                report.bodies = plan
                    .bodies
                    .iter()
                    .map(|body| {
                        let body = String::from_utf8_lossy(body);
                        excerpt.map_or_else(|| body.to_string(), |max| clip(&body, max))
                    })
                    .collect();
                report.bodies_shortened = excerpt.is_some();
                preview_summary(self.tool, plan, excerpt.is_some())
            }
            End::Failed { error, plan, sent } => {
                let (errcode, errmsg) = match error {
                    ToolError::Send(SendError::DingTalk { errcode, errmsg }) => {
                        (*errcode, errmsg.clone())
                    }
                    other => (NO_DINGTALK_ANSWER, other.to_string()),
                };
                report.ok = false;
                report.errcode = errcode;
                report.errmsg = errmsg;
                report.delivered = if *sent > 0 {
                    Delivery::Partial
                } else {
                    error.delivery()
                };
                report.error_kind = Some(error.kind());
                report.hint = error.hint(self.tool);
                let parts = plan.as_ref().map_or(1, |p| p.bodies.len());
                if parts > 1 {
                    report.parts_sent = Some(*sent);
                }
                let verdict = match report.delivered {
                    Delivery::No => "Not sent",
                    _ => "Failed",
                };
                let mut text = format!("{verdict}: {error}.");
                if parts > 1 {
                    text.push_str(&progress(*sent, parts));
                }
                if let Some(hint) = &report.hint {
                    text.push(' ');
                    text.push_str(hint);
                }
                text
            }
        };
        if !report.mentions_added.is_empty() {
            let verb = if report.preview { "would be" } else { "were" };
            text.push_str(&format!(
                " Mention markers {} {verb} appended so the mentions notify.",
                report.mentions_added.join(" ")
            ));
        }
        for warning in &report.warnings {
            text.push_str(&format!(" Warning: {warning}"));
        }
        (report, text)
    }
}

fn sizes(plan: &Plan) -> String {
    let sizes: Vec<String> = plan.bodies.iter().map(|b| b.len().to_string()).collect();
    sizes.join(" + ")
}

fn sent_summary(plan: &Plan) -> String {
    match plan.bodies.len() {
        1 => format!(
            "Sent: the {} message was delivered to the DingTalk group (errcode 0, {}-byte body).",
            plan.msgtype,
            plan.bodies[0].len()
        ),
        n => format!(
            "Sent: the {} message was too long for one message and was delivered in {n} numbered \
             parts, in order ({} bytes).",
            plan.msgtype,
            sizes(plan)
        ),
    }
}

fn preview_summary(tool: &str, plan: &Plan, shortened: bool) -> String {
    let n = plan.bodies.len();
    let what = if n == 1 {
        format!("1 {} body", plan.msgtype)
    } else {
        format!("{n} {} bodies, in order,", plan.msgtype)
    };
    let shown = if shortened {
        "they follow, shortened to fit this reply (bodySha256 identifies each full body)"
    } else {
        "they follow exactly as they would be sent"
    };
    format!(
        "Preview only, nothing was sent: {tool} would POST {what} ({} bytes); {shown}.",
        sizes(plan)
    )
}

/// Which parts of a split message arrived and which did not.
fn progress(sent: usize, parts: usize) -> String {
    let failed = sent + 1;
    let arrived = match sent {
        0 => String::new(),
        1 => format!("Part 1 of {parts} arrived; "),
        n => format!("Parts 1–{n} of {parts} arrived; "),
    };
    let unsent = match parts - failed {
        0 => String::new(),
        1 => format!("; part {parts} was not sent"),
        _ => format!("; parts {}–{parts} were not sent", failed + 1),
    };
    format!(" {arrived}part {failed} of {parts} failed{unsent}.")
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_names_the_parts() {
        assert_eq!(
            progress(0, 3),
            " part 1 of 3 failed; parts 2–3 were not sent."
        );
        assert_eq!(
            progress(1, 3),
            " Part 1 of 3 arrived; part 2 of 3 failed; part 3 was not sent."
        );
        assert_eq!(
            progress(2, 3),
            " Parts 1–2 of 3 arrived; part 3 of 3 failed."
        );
    }

    #[test]
    fn sha256_is_hex_of_the_body() {
        // printf 'abc' | sha256sum
        assert_eq!(
            hex_sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
