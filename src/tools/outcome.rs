//! How a tool call ended, rendered as an MCP `CallToolResult`: one sentence the model can act
//! on, the same facts as `structuredContent` (matching the tools' `outputSchema`) and as a JSON
//! text block for clients older than `structuredContent`, and `isError` on every failure.

use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::args::ArgError;
use super::listing::{Field, FieldType, OutputSchema};
use crate::clip::clip;
use crate::clock;
use crate::compose::{ComposeError, Plan};
use crate::config::ConfigErrors;
use crate::dingtalk::{Delivery, SendError, errcode};
use crate::robots::{Dispatch, Refusal, Summary, hex};
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
    /// Refused to protect the robot from DingTalk's throttling.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The send itself failed.
    #[error("{0}")]
    Send(#[from] SendError),
}

impl ToolError {
    fn kind(&self) -> &'static str {
        match self {
            Self::Arguments(_) | Self::Compose(_) => "arguments",
            Self::Config(_) => "configuration",
            Self::Refused(Refusal::Cooldown { .. }) => "cooldown",
            Self::Refused(_) => "rate_limited",
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
            Self::Refused(Refusal::RateLimited { retry_after, .. }) => Some(format!(
                "Wait {} seconds and send again, and combine updates into fewer messages.",
                retry_after.as_secs_f64().ceil()
            )),
            Self::Refused(Refusal::Cooldown { until, .. }) => Some(format!(
                "Wait until {} and send again; sending earlier only prolongs DingTalk's block.",
                clock::rfc3339(*until)
            )),
            Self::Refused(Refusal::NeverFits { .. }) => {
                Some(format!("Shorten the message and call {tool} again."))
            }
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
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cooldown_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    robot: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_sent_at: Option<String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    keyword_added: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sends_left: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    robots: Vec<String>,
}

impl Report {
    /// A delivered message's report, with every optional fact absent.
    fn success(robot: Option<String>) -> Self {
        Self {
            ok: true,
            errcode: 0,
            errmsg: "ok".into(),
            delivered: Delivery::Yes,
            error_kind: None,
            hint: None,
            retry_after_secs: None,
            cooldown_until: None,
            robot,
            duplicate: false,
            first_sent_at: None,
            preview: false,
            msgtype: None,
            parts: None,
            parts_sent: None,
            body_bytes: Vec::new(),
            body_sha256: Vec::new(),
            bodies: Vec::new(),
            bodies_shortened: false,
            mentions_added: Vec::new(),
            keyword_added: None,
            sends_left: None,
            warnings: Vec::new(),
            robots: Vec::new(),
        }
    }
}

/// The `outputSchema` shared by every tool; it describes [`Report`], field for field.
pub const OUTPUT_SCHEMA: OutputSchema = OutputSchema(&[
    Field {
        name: "ok",
        ty: FieldType::Boolean,
        description: "true when DingTalk accepted every part (errcode 0), or when a preview found the message valid",
        required: true,
    },
    Field {
        name: "errcode",
        ty: FieldType::Integer,
        description: "DingTalk's errcode: 0 on success; -2 when DingTalk gave no answer (a preview, or see errorKind)",
        required: true,
    },
    Field {
        name: "errmsg",
        ty: FieldType::String,
        description: "DingTalk's errmsg, or what went wrong when DingTalk gave no answer",
        required: true,
    },
    Field {
        name: "delivered",
        ty: FieldType::Choice(&["yes", "no", "unknown", "partial"]),
        description: "whether the group received the message: partial means some parts arrived (see partsSent); on unknown, check the group before sending again",
        required: true,
    },
    Field {
        name: "errorKind",
        ty: FieldType::Choice(&[
            "arguments",
            "configuration",
            "rate_limited",
            "cooldown",
            "dingtalk",
            "http",
            "reply",
            "timeout",
            "connection",
            "tls",
        ]),
        description: "what failed; absent on success",
        required: false,
    },
    Field {
        name: "hint",
        ty: FieldType::String,
        description: "what to do about the failure",
        required: false,
    },
    Field {
        name: "retryAfterSecs",
        ty: FieldType::Integer,
        description: "rate_limited or cooldown: seconds until a send can succeed",
        required: false,
    },
    Field {
        name: "cooldownUntil",
        ty: FieldType::String,
        description: "when DingTalk's throttling of the robot ends (RFC 3339)",
        required: false,
    },
    Field {
        name: "robot",
        ty: FieldType::String,
        description: "the robot (group) the message went, or would go, to",
        required: false,
    },
    Field {
        name: "duplicate",
        ty: FieldType::Boolean,
        description: "true when the same message reached the robot shortly before and was not sent again",
        required: false,
    },
    Field {
        name: "firstSentAt",
        ty: FieldType::String,
        description: "duplicate: when the first one was delivered (RFC 3339)",
        required: false,
    },
    Field {
        name: "preview",
        ty: FieldType::Boolean,
        description: "true for preview_message: nothing was sent",
        required: false,
    },
    Field {
        name: "msgtype",
        ty: FieldType::String,
        description: "the DingTalk msgtype",
        required: false,
    },
    Field {
        name: "parts",
        ty: FieldType::Integer,
        description: "how many request bodies the message takes (more than 1 when a long message is split)",
        required: false,
    },
    Field {
        name: "partsSent",
        ty: FieldType::Integer,
        description: "how many parts DingTalk accepted before a failure",
        required: false,
    },
    Field {
        name: "bodyBytes",
        ty: FieldType::Integers,
        description: "each body's size in bytes (DingTalk's limit is 20,000)",
        required: false,
    },
    Field {
        name: "bodySha256",
        ty: FieldType::Strings,
        description: "preview: each full body's SHA-256, hex",
        required: false,
    },
    Field {
        name: "bodies",
        ty: FieldType::Strings,
        description: "preview: each body exactly as it would be POSTed (shortened when bodiesShortened)",
        required: false,
    },
    Field {
        name: "bodiesShortened",
        ty: FieldType::Boolean,
        description: "preview: true when the bodies were too large to return whole and are shown shortened",
        required: false,
    },
    Field {
        name: "mentionsAdded",
        ty: FieldType::Strings,
        description: "@ markers appended to the text so the mentions notify",
        required: false,
    },
    Field {
        name: "keywordAdded",
        ty: FieldType::String,
        description: "the robot's security keyword, appended because the message had none",
        required: false,
    },
    Field {
        name: "sendsLeft",
        ty: FieldType::Integer,
        description: "preview: sends the robot has left in its current rate window",
        required: false,
    },
    Field {
        name: "warnings",
        ty: FieldType::Strings,
        description: "things DingTalk will not render as written (e.g. markdown tables)",
        required: false,
    },
    Field {
        name: "robots",
        ty: FieldType::Strings,
        description: "list_robots: one line per robot with its state",
        required: false,
    },
]);

/// What a tool call did.
#[derive(Debug)]
pub struct Outcome {
    tool: &'static str,
    robot: Option<String>,
    end: End,
}

#[derive(Debug)]
enum End {
    /// Every part was accepted.
    Sent(Plan),
    /// The same message was delivered at `first_at` (ms) and was not sent again.
    Duplicate { plan: Plan, first_at: u64 },
    /// A preview: nothing was sent.
    Previewed { plan: Plan, robot: Summary },
    /// The configured robots.
    Listed(Vec<Summary>),
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
            robot: None,
            end: End::Failed {
                error,
                plan: None,
                sent: 0,
            },
        }
    }

    /// A preview of what `tool` would send through `robot`.
    pub fn previewed(tool: &'static str, plan: Plan, robot: Summary) -> Self {
        Self {
            tool,
            robot: Some(robot.name.clone()),
            end: End::Previewed { plan, robot },
        }
    }

    /// The robots `list_robots` shows.
    pub fn listed(tool: &'static str, robots: Vec<Summary>) -> Self {
        Self {
            tool,
            robot: None,
            end: End::Listed(robots),
        }
    }

    /// How sending `plan` through `robot` went.
    pub fn dispatched(tool: &'static str, robot: &str, plan: Plan, dispatch: Dispatch) -> Self {
        let end = match dispatch {
            Dispatch::Sent => End::Sent(plan),
            Dispatch::Duplicate { first_at } => End::Duplicate { plan, first_at },
            Dispatch::Refused(refusal) => End::Failed {
                error: refusal.into(),
                plan: Some(plan),
                sent: 0,
            },
            Dispatch::Failed { sent, error } => End::Failed {
                error: error.into(),
                plan: Some(plan),
                sent,
            },
        };
        Self {
            tool,
            robot: Some(robot.to_owned()),
            end,
        }
    }

    /// The `CallToolResult` for `version`: `structuredContent` only where the version has it,
    /// the facts as a JSON text block for older clients, and never a line over 64 KiB.
    pub fn to_result(&self, version: ProtocolVersion) -> Value {
        let mut excerpt = None;
        loop {
            let result = self.render(version, excerpt);
            // Only a preview's bodies can outgrow a line; nothing else needs measuring.
            let End::Previewed { plan, .. } = &self.end else {
                return result;
            };
            if result.to_string().len() <= MAX_RESULT_BYTES {
                return result;
            }
            let whole = plan.bodies.iter().map(Vec::len).max().unwrap_or(0);
            match excerpt.unwrap_or(whole) / 2 {
                0 => return result,
                next => excerpt = Some(next),
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
        let block = |text: Value| {
            Value::Object(Map::from_iter([
                ("type".to_owned(), Value::from("text")),
                ("text".to_owned(), text),
            ]))
        };
        let mut content = vec![block(text.into()), block(facts.to_string().into())];
        // A preview's bodies follow as their own blocks, so they are escaped only once.
        if let Value::Array(bodies) = bodies {
            content.extend(bodies.into_iter().map(block));
        }
        let mut result = json!({"isError": !report.ok});
        // Moved in, not embedded with json!: that macro deep-copies a Value it is given.
        result["content"] = Value::Array(content);
        if version.has_structured_output() {
            result["structuredContent"] = structured;
        }
        result
    }

    fn report(&self, excerpt: Option<usize>) -> (Report, String) {
        let mut report = Report::success(self.robot.clone());
        let plan = match &self.end {
            End::Sent(plan) | End::Duplicate { plan, .. } | End::Previewed { plan, .. } => {
                Some(plan)
            }
            End::Failed { plan, .. } => plan.as_ref(),
            End::Listed(_) => None,
        };
        if let Some(plan) = plan {
            report.msgtype = Some(plan.msgtype);
            report.parts = Some(plan.bodies.len());
            report.body_bytes = plan.bodies.iter().map(Vec::len).collect();
            report.mentions_added = plan.mentions_added.clone();
            report.keyword_added = plan.keyword_added.clone();
            report.warnings = plan.warnings.clone();
        }
        let mut text = match &self.end {
            End::Sent(plan) => sent_summary(plan),
            End::Duplicate { plan, first_at } => {
                report.duplicate = true;
                report.first_sent_at = Some(clock::rfc3339(*first_at));
                report.errmsg = "duplicate: not sent again".into();
                format!(
                    "Not sent again: this exact {} message reached robot {:?} at {}, shortly \
                     before, so it was not posted twice. Pass allowDuplicate: true to post it again.",
                    plan.msgtype,
                    self.robot.as_deref().unwrap_or_default(),
                    clock::rfc3339(*first_at)
                )
            }
            End::Listed(robots) => {
                report.errcode = NO_DINGTALK_ANSWER;
                report.delivered = Delivery::No;
                report.robots = robots.iter().map(robot_line).collect();
                format!(
                    "{} configured: {}",
                    match robots.len() {
                        1 => "1 robot is".to_owned(),
                        n => format!("{n} robots are"),
                    },
                    report.robots.join(" | ")
                )
            }
            End::Previewed { plan, robot } => {
                report.sends_left = Some(robot.sends_left);
                report.cooldown_until = robot.cooldown_until.map(clock::rfc3339);
                report.preview = true;
                report.errcode = NO_DINGTALK_ANSWER;
                report.errmsg = "preview only: nothing was sent".into();
                report.delivered = Delivery::No;
                report.body_sha256 = plan
                    .bodies
                    .iter()
                    .map(|b| hex(&Sha256::digest(b)))
                    .collect();
                report.bodies = plan
                    .bodies
                    .iter()
                    .map(|body| {
                        let body = String::from_utf8_lossy(body);
                        excerpt.map_or_else(|| body.to_string(), |max| clip(&body, max))
                    })
                    .collect();
                report.bodies_shortened = excerpt.is_some();
                let mut text = preview_summary(self.tool, plan, excerpt.is_some());
                text.push_str(&match robot.cooldown_until {
                    Some(until) => format!(
                        " Robot {:?} is throttled by DingTalk until {}: a send now would be refused.",
                        robot.name,
                        clock::rfc3339(until)
                    ),
                    None => format!(
                        " Robot {:?} has {} of {} sends left in its current window.",
                        robot.name, robot.sends_left, robot.rate.count
                    ),
                });
                text
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
                if let ToolError::Refused(refusal) = error {
                    report.retry_after_secs = refusal.retry_after_secs();
                    if let Refusal::Cooldown { until, .. } = refusal {
                        report.cooldown_until = Some(clock::rfc3339(*until));
                    }
                }
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
        if let Some(keyword) = &report.keyword_added {
            let verb = if report.preview { "would be" } else { "was" };
            text.push_str(&format!(
                " The robot's keyword {keyword:?} {verb} appended: the robot refuses messages without one."
            ));
        }
        for warning in &report.warnings {
            text.push_str(&format!(" Warning: {warning}"));
        }
        (report, text)
    }
}

/// One robot's state in a line a model can read.
fn robot_line(robot: &Summary) -> String {
    let mut facts = Vec::new();
    if robot.default {
        facts.push("default".to_owned());
    }
    if let Some(description) = &robot.description {
        facts.push(description.clone());
    }
    facts.push(
        if robot.signs {
            "signs"
        } else {
            "does not sign"
        }
        .to_owned(),
    );
    if robot.has_keywords {
        facts.push("keyword-secured (a keyword is added when missing)".to_owned());
    }
    facts.push(format!(
        "{} of {} sends left (limit {})",
        robot.sends_left, robot.rate.count, robot.rate
    ));
    facts.push(match robot.cooldown_until {
        Some(until) => format!("throttled by DingTalk until {}", clock::rfc3339(until)),
        None => "not throttled".to_owned(),
    });
    facts.push(format!("{} sent this month", robot.sent_this_month));
    format!("{}: {}", robot.name, facts.join(", "))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(report: &Report) -> BTreeSet<String> {
        match serde_json::to_value(report).unwrap() {
            Value::Object(map) => map.into_iter().map(|(key, _)| key).collect(),
            other => panic!("a report is an object: {other}"),
        }
    }

    #[test]
    fn the_output_schema_describes_every_field_a_report_can_have() {
        let text = || "x".to_owned();
        let full = Report {
            ok: true,
            errcode: 0,
            errmsg: text(),
            delivered: Delivery::Yes,
            error_kind: Some("http"),
            hint: Some(text()),
            retry_after_secs: Some(1),
            cooldown_until: Some(text()),
            robot: Some(text()),
            duplicate: true,
            first_sent_at: Some(text()),
            preview: true,
            msgtype: Some("text"),
            parts: Some(1),
            parts_sent: Some(1),
            body_bytes: vec![1],
            body_sha256: vec![text()],
            bodies: vec![text()],
            bodies_shortened: true,
            mentions_added: vec![text()],
            keyword_added: Some(text()),
            sends_left: Some(1),
            warnings: vec![text()],
            robots: vec![text()],
        };
        let described: BTreeSet<String> =
            OUTPUT_SCHEMA.0.iter().map(|f| f.name.to_owned()).collect();
        assert_eq!(keys(&full), described);

        let required: BTreeSet<String> = OUTPUT_SCHEMA
            .0
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.to_owned())
            .collect();
        assert_eq!(keys(&Report::success(None)), required);
    }

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
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
