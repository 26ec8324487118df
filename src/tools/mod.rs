//! The static tool table: names, titles, descriptions, schemas, and how each tool's arguments
//! become a DingTalk message.
//!
//! Names and argument names are the original `mcp-dingding-bot`'s, so a host config written for
//! it works with only `command` changed. Schemas stay in the subset every host accepts
//! (`shared/reference/mcp.md` §3): `type: object`, `properties`, `required`,
//! `additionalProperties: false`, `items` on every array, a `description` on every property; no
//! `$schema`, `$ref`, `format` or nullable unions.

mod args;
mod outcome;

use serde_json::{Map, Value, json};

use crate::config::ConfigErrors;
use crate::dingtalk::{At, Deliver, MarkdownBody, Message, TextBody};
use crate::version::ProtocolVersion;
use args::{ArgError, Args, Kind, Param};
pub use outcome::{Outcome, ToolError};

/// One tool in the table.
#[derive(Debug)]
pub struct Tool {
    /// The wire name: `[a-z0-9_]`, short enough for every host's prefixing.
    pub name: &'static str,
    /// The display name.
    pub title: &'static str,
    /// What the tool does, whom it reaches, and DingTalk's limits.
    pub description: &'static str,
    /// The arguments, in schema order.
    params: &'static [Param],
    /// Builds the message from checked arguments.
    build: fn(&mut Args) -> Result<Message, ArgError>,
}

const LIMITS: &str = "Every member of the group sees the message at once, and a robot message \
    cannot be recalled. DingTalk allows a robot 20 messages a minute (it then blocks the robot for \
    10 minutes) and a request body of at most 20,000 bytes (UTF-8; a Chinese character is 3 \
    bytes), so combine updates into one message.";

const AT_MOBILES: Param = Param {
    name: "atMobiles",
    kind: Kind::Names,
    required: false,
    description: "Mobile numbers of group members to mention, e.g. [\"13800000000\"]. DingTalk \
        notifies them only if the text also contains @<mobile>, e.g. \"@13800000000\".",
};
const AT_USER_IDS: Param = Param {
    name: "atUserIds",
    kind: Kind::Names,
    required: false,
    description: "DingTalk user ids of group members to mention. DingTalk notifies them only if \
        the text also contains @<userId>.",
};
const AT_ALL: Param = Param {
    name: "atAll",
    kind: Kind::Flag,
    required: false,
    description: "true to mention everyone in the group (@all). Default false.",
};

/// Every tool, in the order `tools/list` shows them.
pub static TOOLS: &[Tool] = &[
    Tool {
        name: "send_text_message",
        title: "Send DingTalk text message",
        description: "Send a plain-text message to the DingTalk group through its custom robot. \
            Use it for short notices; use send_markdown_message for formatting. Mentions: list \
            people in atMobiles/atUserIds and write @<mobile>/@<userId> in the text, or set \
            atAll. The result says whether DingTalk accepted the message and, if not, why and \
            what to do.",
        params: &[
            Param {
                name: "text",
                kind: Kind::Text,
                required: true,
                description: "The message text, shown exactly as written.",
            },
            AT_MOBILES,
            AT_USER_IDS,
            AT_ALL,
        ],
        build: |args| {
            Ok(Message::Text {
                text: TextBody {
                    content: args.text("text")?,
                },
                at: mentions(args)?,
            })
        },
    },
    Tool {
        name: "send_markdown_message",
        title: "Send DingTalk markdown message",
        description: "Send a markdown message to the DingTalk group through its custom robot. \
            DingTalk renders only: headings (#), bold (**x**), italic (*x*), links ([t](url)), \
            images (![](url), public URLs only), ordered and unordered lists, quotes (>) and \
            <font color=…>; it does NOT render tables or code blocks. Use a blank line between \
            paragraphs. Mentions: list people in atMobiles/atUserIds and write \
            @<mobile>/@<userId> in the text, or set atAll. The result says whether DingTalk \
            accepted the message and, if not, why and what to do.",
        params: &[
            Param {
                name: "title",
                kind: Kind::Text,
                required: true,
                description: "Shown in the chat list and the notification, not in the message \
                    body; keep it short.",
            },
            Param {
                name: "text",
                kind: Kind::Text,
                required: true,
                description: "The markdown text (DingTalk's subset: no tables, no code blocks).",
            },
            AT_MOBILES,
            AT_USER_IDS,
            AT_ALL,
        ],
        build: |args| {
            Ok(Message::Markdown {
                markdown: MarkdownBody {
                    title: args.text("title")?,
                    text: args.text("text")?,
                },
                at: mentions(args)?,
            })
        },
    },
];

fn mentions(args: &mut Args) -> Result<At, ArgError> {
    Ok(At {
        at_mobiles: args.names(AT_MOBILES.name)?,
        at_user_ids: args.names(AT_USER_IDS.name)?,
        is_at_all: args.flag(AT_ALL.name)?,
    })
}

/// Finds a tool by its wire name.
pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|tool| tool.name == name)
}

impl Tool {
    /// The JSON Schema of the arguments.
    pub fn input_schema(&self) -> Value {
        let mut properties = Map::new();
        for param in self.params {
            let mut schema = match param.kind {
                Kind::Text => json!({"type": "string"}),
                Kind::Names => json!({"type": "array", "items": {"type": "string"}}),
                Kind::Flag => json!({"type": "boolean"}),
            };
            schema["description"] = param.description.into();
            properties.insert(param.name.to_owned(), schema);
        }
        let required: Vec<&str> = self
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name)
            .collect();
        json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }

    /// The tool's `tools/list` entry, with only the fields `version` defines.
    pub fn definition(&self, version: ProtocolVersion) -> Value {
        let mut tool = json!({
            "name": self.name,
            "description": format!("{} {LIMITS}", self.description),
            "inputSchema": self.input_schema(),
        });
        if version.has_annotations() {
            tool["annotations"] = json!({
                "title": self.title,
                "readOnlyHint": false,
                "destructiveHint": false,
                "idempotentHint": false,
                "openWorldHint": true,
            });
        }
        if version.has_structured_output() {
            tool["title"] = self.title.into();
            tool["outputSchema"] = outcome::output_schema();
        }
        tool
    }

    /// Runs the tool: checks the arguments, then sends through `robot`.
    pub fn call(
        &'static self,
        arguments: Map<String, Value>,
        robot: Result<&dyn Deliver, &ConfigErrors>,
    ) -> Outcome {
        let fail = |error: ToolError| Outcome::Failed {
            tool: self.name,
            error,
        };
        let message = match Args::new(arguments, self.params).and_then(|mut a| (self.build)(&mut a))
        {
            Ok(message) => message,
            Err(error) => return fail(error.into()),
        };
        let robot = match robot {
            Ok(robot) => robot,
            Err(errors) => return fail(ToolError::Config(errors.clone())),
        };
        match robot.deliver(&message) {
            Ok(receipt) => Outcome::Sent {
                msgtype: message.msgtype(),
                body_bytes: receipt.body_bytes,
            },
            Err(error) => fail(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks a schema and returns every rule a host is known to reject.
    fn host_violations(path: &str, schema: &Value, found: &mut Vec<String>) {
        let Value::Object(map) = schema else {
            found.push(format!("{path}: not an object"));
            return;
        };
        // The keywords every host accepts; `$schema`, `$ref`, `format`, unions and the rest are
        // refused by at least one (shared/reference/mcp.md §3).
        const ALLOWED: [&str; 7] = [
            "type",
            "properties",
            "required",
            "description",
            "enum",
            "items",
            "additionalProperties",
        ];
        for key in map.keys().filter(|k| !ALLOWED.contains(&k.as_str())) {
            found.push(format!("{path}: keyword {key}"));
        }
        match map.get("type") {
            Some(Value::String(t)) if t == "object" => match map.get("properties") {
                Some(Value::Object(props)) => {
                    for (name, prop) in props {
                        if !prop.get("description").is_some_and(Value::is_string) {
                            found.push(format!("{path}.{name}: no description"));
                        }
                        host_violations(&format!("{path}.{name}"), prop, found);
                    }
                }
                _ => found.push(format!("{path}: object without properties")),
            },
            Some(Value::String(t)) if t == "array" => match map.get("items") {
                Some(items) => host_violations(&format!("{path}[]"), items, found),
                None => found.push(format!("{path}: array without items")),
            },
            Some(Value::String(_)) => {}
            _ => found.push(format!(
                "{path}: type is not a single string (nullable union?)"
            )),
        }
    }

    #[test]
    fn every_schema_is_in_the_host_safe_subset() {
        for tool in TOOLS {
            let schema = tool.input_schema();
            assert_eq!(schema["additionalProperties"], false, "{}", tool.name);
            assert!(schema["required"].is_array(), "{}", tool.name);
            let mut found = Vec::new();
            host_violations("input", &schema, &mut found);
            host_violations("output", &outcome::output_schema(), &mut found);
            assert!(found.is_empty(), "{}: {found:?}", tool.name);
        }
    }

    #[test]
    fn names_fit_every_host() {
        // The server name our README configures.
        const SERVER: &str = "dingtalk";
        for tool in TOOLS {
            let name = tool.name;
            assert!(
                (1..=40).contains(&name.len())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}: ^[a-z0-9_]{{1,40}}$ (Claude rejects dots; Codex and Copilot dots and slashes)"
            );
            assert!(
                format!("mcp__{SERVER}__{name}").len() <= 64,
                "{name}: Claude Code's prefixed name must fit 64 characters"
            );
            assert!(
                SERVER.len() + name.len() <= 60,
                "{name}: Cursor drops tools whose server + tool name exceeds 60 characters"
            );
        }
    }

    #[test]
    fn the_output_schema_is_flat() {
        // Gemini hosts rejected nested output schemas (shared/reference/mcp.md §3).
        let schema = outcome::output_schema();
        for (name, property) in schema["properties"].as_object().unwrap() {
            let ty = property["type"].as_str().unwrap_or_default();
            assert!(
                ["string", "integer", "boolean", "number"].contains(&ty),
                "{name} is {ty}"
            );
        }
    }

    #[test]
    fn the_original_servers_tools_and_arguments_exist() {
        let text = find("send_text_message").unwrap().input_schema();
        assert_eq!(text["required"], json!(["text"]));
        let markdown = find("send_markdown_message").unwrap().input_schema();
        assert_eq!(markdown["required"], json!(["title", "text"]));
        for schema in [text, markdown] {
            for arg in ["atMobiles", "atUserIds", "atAll"] {
                assert!(schema["properties"][arg].is_object(), "{arg}");
            }
        }
    }

    #[test]
    fn definitions_follow_the_version() {
        let tool = &TOOLS[0];
        let old = tool.definition(ProtocolVersion::V2024_11_05);
        assert!(old.get("annotations").is_none() && old.get("title").is_none());
        assert!(old.get("outputSchema").is_none());
        let mid = tool.definition(ProtocolVersion::V2025_03_26);
        assert!(mid.get("annotations").is_some() && mid.get("outputSchema").is_none());
        let new = tool.definition(ProtocolVersion::V2025_11_25);
        assert_eq!(new["title"], tool.title);
        assert_eq!(
            new["annotations"],
            json!({"title": tool.title, "readOnlyHint": false, "destructiveHint": false,
                   "idempotentHint": false, "openWorldHint": true})
        );
        assert_eq!(new["outputSchema"], outcome::output_schema());
    }
}
