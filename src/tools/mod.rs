//! The static tool table: names, titles, descriptions, schemas, and how each tool's arguments
//! become a DingTalk message.
//!
//! The first two tools and their argument names are the original `mcp-dingding-bot`'s, so a host
//! config written for it works with only `command` changed. Schemas stay in the subset every
//! host accepts (`shared/reference/mcp.md` §3): `type: object`, `properties`, `required`,
//! `additionalProperties: false`, `items` on every array, a `description` on every property; no
//! `$schema`, `$ref`, `format` or nullable unions.

mod args;
mod listing;
mod outcome;

use serde_json::{Map, Value};

use crate::compose::{Draft, Mentions, compose};
use crate::config::ConfigErrors;
use crate::dingtalk::{ActionCardBody, Button, Buttons, FeedCardBody, FeedLink, LinkBody, Message};
use crate::robots::Fleet;
use crate::version::ProtocolVersion;
use args::{ArgError, Args, Kind, Param};
pub use listing::Listing;
use listing::{Annotations, Definition, ObjectSchema, RobotChoice};
use outcome::OUTPUT_SCHEMA;
pub use outcome::{Outcome, ToolError};

/// One tool in the table.
#[derive(Debug)]
pub struct Tool {
    /// The wire name: `[a-z0-9_]`, short enough for every host's prefixing.
    pub name: &'static str,
    /// The display name.
    pub title: &'static str,
    /// What the tool does, whom it reaches, and DingTalk's limits.
    description: &'static str,
    /// The arguments, in schema order.
    params: &'static [Param],
    /// What calling it does.
    run: Run,
}

#[derive(Debug)]
enum Run {
    /// Posts the message built from the arguments.
    Send(fn(&mut Args) -> Result<Draft, ArgError>),
    /// Shows what a send tool would post, posting nothing.
    Preview,
    /// Lists the configured robots and their limits.
    ListRobots,
}

const LIMITS: &str = "Every member of the group sees the message at once, and a robot message \
    cannot be recalled. DingTalk allows a robot 20 messages a minute (it then blocks the robot for \
    10 minutes) and a request body of at most 20,000 bytes (UTF-8; a Chinese character is 3 \
    bytes), so combine updates into one message.";

const SPLITS: &str = "A message over 20,000 bytes is split into up to 10 numbered parts, sent in \
    order; the result says which parts arrived.";

const MENTIONS: &str = "Mentions: list people in atMobiles/atUserIds (their @ markers are added \
    to the text when missing, which DingTalk needs to notify them), or set atAll.";

const AT_MOBILES: Param = Param {
    name: "atMobiles",
    kind: Kind::Mobiles,
    required: false,
    description: "Mobile numbers of group members to mention: 11 digits starting with 1 for \
        mainland China (e.g. \"13800000000\"), otherwise +<country code>-<number> (e.g. \
        \"+852-12345678\"). A missing @<mobile> marker is appended to the text.",
};
const AT_USER_IDS: Param = Param {
    name: "atUserIds",
    kind: Kind::UserIds,
    required: false,
    description: "DingTalk user ids of group members to mention. A missing @<userId> marker is \
        appended to the text.",
};
const AT_ALL: Param = Param {
    name: "atAll",
    kind: Kind::Flag,
    required: false,
    description: "true to mention everyone in the group (@all). Default false.",
};

const ROBOT: Param = Param {
    name: "robot",
    kind: Kind::Text,
    required: false,
    description: "Which robot (group) to post to; omit it for the default robot.",
};
const ALLOW_DUPLICATE: Param = Param {
    name: "allowDuplicate",
    kind: Kind::Flag,
    required: false,
    description: "true to send even if this exact message reached the robot within the last \
        minute. By default such a repeat (e.g. a retry after a host timeout) is not sent again.",
};

const SEND_TEXT: &str = "send_text_message";
const SEND_MARKDOWN: &str = "send_markdown_message";
const SEND_LINK: &str = "send_link_message";
const SEND_ACTION_CARD: &str = "send_action_card_message";
const SEND_FEED_CARD: &str = "send_feed_card_message";

const BUTTON_FIELDS: &[Param] = &[
    Param {
        name: "title",
        kind: Kind::Text,
        required: true,
        description: "The button's label.",
    },
    Param {
        name: "actionUrl",
        kind: Kind::Url,
        required: true,
        description: "Opened by the button: an http://, https:// or dingtalk:// URL.",
    },
];

const FEED_LINK_FIELDS: &[Param] = &[
    Param {
        name: "title",
        kind: Kind::Text,
        required: true,
        description: "The item's title.",
    },
    Param {
        name: "messageUrl",
        kind: Kind::Url,
        required: true,
        description: "Opened when the item is clicked: an http://, https:// or dingtalk:// URL.",
    },
    Param {
        name: "picUrl",
        kind: Kind::Url,
        required: true,
        description: "The item's picture: a public http:// or https:// image URL.",
    },
];

/// Every tool, in the order `tools/list` shows them.
pub static TOOLS: &[Tool] = &[
    Tool {
        name: SEND_TEXT,
        title: "Send DingTalk text message",
        description: "Send a plain-text message to the DingTalk group through its custom robot. \
            Use it for short notices; use send_markdown_message for formatting.",
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
            ROBOT,
            ALLOW_DUPLICATE,
        ],
        run: Run::Send(|args| {
            Ok(Draft::Text {
                text: args.text("text")?,
                mentions: mentions(args)?,
            })
        }),
    },
    Tool {
        name: SEND_MARKDOWN,
        title: "Send DingTalk markdown message",
        description: "Send a markdown message to the DingTalk group through its custom robot. \
            DingTalk renders only: headings (#), bold (**x**), italic (*x*), links ([t](url)), \
            images (![](url), public URLs only), ordered and unordered lists, quotes (>) and \
            <font color=…>; it does NOT render tables or code blocks (the result warns when it \
            finds them). Use a blank line between paragraphs.",
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
            ROBOT,
            ALLOW_DUPLICATE,
        ],
        run: Run::Send(|args| {
            Ok(Draft::Markdown {
                title: args.text("title")?,
                text: args.text("text")?,
                mentions: mentions(args)?,
            })
        }),
    },
    Tool {
        name: SEND_LINK,
        title: "Send DingTalk link card",
        description: "Send a link card to the DingTalk group: a title, a short text and an \
            optional picture that open a URL when clicked. DingTalk shortens long text with an \
            ellipsis. No mentions.",
        params: &[
            Param {
                name: "title",
                kind: Kind::Text,
                required: true,
                description: "The card's title.",
            },
            Param {
                name: "text",
                kind: Kind::Text,
                required: true,
                description: "The card's text; keep it to a sentence or two.",
            },
            Param {
                name: "messageUrl",
                kind: Kind::Url,
                required: true,
                description: "Opened when the card is clicked: an http://, https:// or \
                    dingtalk:// URL.",
            },
            Param {
                name: "picUrl",
                kind: Kind::Url,
                required: false,
                description: "The card's picture: a public http:// or https:// image URL.",
            },
            ROBOT,
            ALLOW_DUPLICATE,
        ],
        run: Run::Send(|args| {
            Ok(Draft::Card(Message::Link {
                link: LinkBody {
                    title: args.text("title")?,
                    text: args.text("text")?,
                    message_url: args.text("messageUrl")?,
                    pic_url: args.string("picUrl")?,
                },
            }))
        }),
    },
    Tool {
        name: SEND_ACTION_CARD,
        title: "Send DingTalk action card",
        description: "Send an action card to the DingTalk group: a title and markdown text with \
            either one button for the whole card (singleTitle + singleUrl) or 1 to 5 independent \
            buttons (buttons), never both. Same markdown subset as send_markdown_message. No \
            mentions.",
        params: &[
            Param {
                name: "title",
                kind: Kind::Text,
                required: true,
                description: "Shown in the chat list and the notification.",
            },
            Param {
                name: "text",
                kind: Kind::Text,
                required: true,
                description: "The card's markdown text.",
            },
            Param {
                name: "singleTitle",
                kind: Kind::Text,
                required: false,
                description: "The label of the card's one button (with singleUrl; not with \
                    buttons).",
            },
            Param {
                name: "singleUrl",
                kind: Kind::Url,
                required: false,
                description: "Opened by the card's one button: an http://, https:// or \
                    dingtalk:// URL (with singleTitle; not with buttons).",
            },
            Param {
                name: "buttons",
                kind: Kind::Objects {
                    fields: BUTTON_FIELDS,
                    min: 1,
                    max: 5,
                },
                required: false,
                description: "1 to 5 independent buttons, each {title, actionUrl} (not with \
                    singleTitle/singleUrl).",
            },
            Param {
                name: "buttonsHorizontal",
                kind: Kind::Flag,
                required: false,
                description: "true to lay the buttons out side by side instead of stacked. \
                    Default false.",
            },
            ROBOT,
            ALLOW_DUPLICATE,
        ],
        run: Run::Send(|args| {
            let title = args.text("title")?;
            let text = args.text("text")?;
            let single = (args.string("singleTitle")?, args.string("singleUrl")?);
            let buttons = match (single, args.objects("buttons")?) {
                ((Some(title), Some(url)), None) => Buttons::Single { title, url },
                ((None, None), Some(buttons)) => Buttons::Several {
                    btns: buttons
                        .into_iter()
                        .map(|mut button| {
                            Ok(Button {
                                title: button.text("title")?,
                                action_url: button.text("actionUrl")?,
                            })
                        })
                        .collect::<Result<_, ArgError>>()?,
                },
                ((None, None), None) => {
                    return Err(ArgError::Combination(
                        "an action card needs either singleTitle + singleUrl (one button) or \
                         buttons (1 to 5 buttons)",
                    ));
                }
                (_, Some(_)) => {
                    return Err(ArgError::Combination(
                        "use either singleTitle + singleUrl or buttons, not both",
                    ));
                }
                _ => {
                    return Err(ArgError::Combination(
                        "singleTitle and singleUrl go together: give both, or use buttons",
                    ));
                }
            };
            let horizontal = args.flag("buttonsHorizontal")?;
            Ok(Draft::Card(Message::ActionCard {
                action_card: ActionCardBody {
                    title,
                    text,
                    buttons,
                    btn_orientation: if horizontal { "1" } else { "0" },
                },
            }))
        }),
    },
    Tool {
        name: SEND_FEED_CARD,
        title: "Send DingTalk feed card",
        description: "Send a feed card to the DingTalk group: a list of 1 to 10 items, each a \
            title with a picture that opens a URL. No mentions.",
        params: &[
            Param {
                name: "links",
                kind: Kind::Objects {
                    fields: FEED_LINK_FIELDS,
                    min: 1,
                    max: 10,
                },
                required: true,
                description: "1 to 10 items, each {title, messageUrl, picUrl}.",
            },
            ROBOT,
            ALLOW_DUPLICATE,
        ],
        run: Run::Send(|args| {
            let links = args
                .objects("links")?
                .unwrap_or_default()
                .into_iter()
                .map(|mut link| {
                    Ok(FeedLink {
                        title: link.text("title")?,
                        message_url: link.text("messageUrl")?,
                        pic_url: link.text("picUrl")?,
                    })
                })
                .collect::<Result<_, ArgError>>()?;
            Ok(Draft::Card(Message::FeedCard {
                feed_card: FeedCardBody { links },
            }))
        }),
    },
    Tool {
        name: "preview_message",
        title: "Preview a DingTalk message (dry run)",
        description: "Show exactly what a send tool would POST to DingTalk, without sending: \
            every request body (the parts of a split message), each body's size in bytes and \
            SHA-256, the mention markers that would be added, and warnings such as markdown \
            DingTalk will not render. It runs the same checks as the send tool, so argument \
            errors show here too. Use it before sending anything long or formatted.",
        params: &[
            Param {
                name: "tool",
                kind: Kind::Choice(&[
                    SEND_TEXT,
                    SEND_MARKDOWN,
                    SEND_LINK,
                    SEND_ACTION_CARD,
                    SEND_FEED_CARD,
                ]),
                required: true,
                description: "The send tool to preview.",
            },
            Param {
                name: "arguments",
                kind: Kind::Object,
                required: true,
                description: "The arguments you would pass to that tool.",
            },
            ROBOT,
        ],
        run: Run::Preview,
    },
    Tool {
        name: "list_robots",
        title: "List DingTalk robots",
        description: "List the configured robots (the groups this server can post to): each \
            robot's name and description, whether it is the default, whether it signs or needs \
            keywords, how many sends are left in the current minute, any cooldown after DingTalk \
            throttled it and when it ends, and messages sent this calendar month. Never shows \
            tokens, secrets or URLs.",
        params: &[],
        run: Run::ListRobots,
    },
];

fn mentions(args: &mut Args) -> Result<Mentions, ArgError> {
    Ok(Mentions {
        mobiles: args.names(AT_MOBILES.name)?,
        user_ids: args.names(AT_USER_IDS.name)?,
        all: args.flag(AT_ALL.name)?,
    })
}

/// Finds a tool by its wire name.
pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|tool| tool.name == name)
}

impl Tool {
    /// The JSON Schema of the arguments; with robots configured, `robot` says what group each
    /// posts to, and with several it is an enum of their names.
    pub fn input_schema<'a>(&self, robot: Option<&'a RobotChoice>) -> ObjectSchema<'a> {
        ObjectSchema {
            params: self.params,
            robot,
        }
    }

    fn read_only(&self) -> bool {
        !matches!(self.run, Run::Send(_))
    }

    /// The tool's `tools/list` entry, with only the fields `version` defines.
    pub fn definition<'a>(
        &self,
        version: ProtocolVersion,
        robot: Option<&'a RobotChoice>,
    ) -> Definition<'a> {
        let description = match self.run {
            Run::Send(_) if self.params.iter().any(|p| p.name == AT_MOBILES.name) => {
                format!("{} {MENTIONS} {SPLITS} {LIMITS}", self.description)
            }
            Run::Send(_) => format!("{} {LIMITS}", self.description),
            Run::Preview | Run::ListRobots => self.description.to_owned(),
        };
        let read_only = self.read_only();
        Definition {
            annotations: version.has_annotations().then_some(Annotations {
                destructive_hint: false,
                idempotent_hint: read_only,
                open_world_hint: !read_only,
                read_only_hint: read_only,
                title: self.title,
            }),
            description,
            input_schema: self.input_schema(robot),
            name: self.name,
            output_schema: version.has_structured_output().then_some(OUTPUT_SCHEMA),
            title: version.has_structured_output().then_some(self.title),
        }
    }

    /// Runs the tool: checks the arguments, picks the robot, composes the message, then sends
    /// it (or, for the preview, shows it).
    pub fn call(
        &'static self,
        arguments: Map<String, Value>,
        fleet: Result<&Fleet, &ConfigErrors>,
    ) -> Outcome {
        let result = match self.run {
            Run::Send(_) => self.send(arguments, fleet),
            Run::Preview => self.preview(arguments, fleet),
            Run::ListRobots => fleet
                .map(|fleet| {
                    let robots = fleet.robots().iter().map(|r| fleet.summary(r)).collect();
                    Outcome::listed(self.name, robots)
                })
                .map_err(|errors| ToolError::Config(errors.clone())),
        };
        result.unwrap_or_else(|error| Outcome::failed(self.name, error))
    }

    fn send(
        &'static self,
        arguments: Map<String, Value>,
        fleet: Result<&Fleet, &ConfigErrors>,
    ) -> Result<Outcome, ToolError> {
        let call = self.decode(arguments, String::new())?;
        let fleet = fleet.map_err(|errors| ToolError::Config(errors.clone()))?;
        let robot = pick(fleet, call.robot.as_deref())?;
        let plan = compose(call.draft, &robot.config.keywords)?;
        let dispatch = fleet.send(robot, self.name, &plan, call.allow_duplicate);
        Ok(Outcome::dispatched(
            self.name,
            &robot.config.name,
            plan,
            dispatch,
        ))
    }

    fn preview(
        &self,
        arguments: Map<String, Value>,
        fleet: Result<&Fleet, &ConfigErrors>,
    ) -> Result<Outcome, ToolError> {
        let mut args = Args::new(arguments, self.params)?;
        let name = args.text("tool")?;
        let (arguments, path) = args.object("arguments")?;
        let outer_robot = args.string(ROBOT.name)?;
        let target = find(&name).unwrap_or_else(|| unreachable!("`tool` is one of the send tools"));
        let call = target.decode(arguments, path)?;
        let fleet = fleet.map_err(|errors| ToolError::Config(errors.clone()))?;
        let robot = pick(fleet, call.robot.as_deref().or(outer_robot.as_deref()))?;
        let plan = compose(call.draft, &robot.config.keywords)?;
        Ok(Outcome::previewed(target.name, plan, fleet.summary(robot)))
    }

    /// A send tool's arguments (named under `path` in errors), decoded.
    fn decode(&self, arguments: Map<String, Value>, path: String) -> Result<Call, ArgError> {
        let Run::Send(build) = self.run else {
            unreachable!("only send tools are decoded")
        };
        let mut args = Args::at_path(arguments, self.params, path)?;
        Ok(Call {
            robot: args.string(ROBOT.name)?,
            allow_duplicate: args.flag(ALLOW_DUPLICATE.name)?,
            draft: build(&mut args)?,
        })
    }
}

/// A send tool's decoded arguments.
struct Call {
    robot: Option<String>,
    allow_duplicate: bool,
    draft: Draft,
}

fn pick<'f>(fleet: &'f Fleet, name: Option<&str>) -> Result<&'f crate::robots::Robot, ArgError> {
    fleet.pick(name).ok_or_else(|| ArgError::UnknownRobot {
        name: name
            .map(|n| crate::clip::clip(n, crate::clip::NAME_CHARS))
            .unwrap_or_default(),
        known: fleet
            .robots()
            .iter()
            .map(|r| r.config.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;

    fn value(view: impl Serialize) -> Value {
        serde_json::to_value(view).unwrap()
    }

    fn input_schema(name: &str) -> Value {
        value(find(name).unwrap().input_schema(None))
    }

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
            let schema = value(tool.input_schema(None));
            assert_eq!(schema["additionalProperties"], false, "{}", tool.name);
            assert!(schema["required"].is_array(), "{}", tool.name);
            let mut found = Vec::new();
            host_violations("input", &schema, &mut found);
            host_violations("output", &value(OUTPUT_SCHEMA), &mut found);
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
        // Gemini hosts rejected nested output schemas (shared/reference/mcp.md §3): only
        // primitives and arrays of primitives.
        let schema = value(OUTPUT_SCHEMA);
        let primitive = |ty: &str| ["string", "integer", "boolean", "number"].contains(&ty);
        for (name, property) in schema["properties"].as_object().unwrap() {
            let ty = property["type"].as_str().unwrap_or_default();
            let item = property["items"]["type"].as_str().unwrap_or_default();
            assert!(
                primitive(ty) || (ty == "array" && primitive(item)),
                "{name} is {ty}"
            );
        }
    }

    #[test]
    fn the_original_servers_tools_and_arguments_exist() {
        let text = input_schema(SEND_TEXT);
        assert_eq!(text["required"], json!(["text"]));
        let markdown = input_schema(SEND_MARKDOWN);
        assert_eq!(markdown["required"], json!(["title", "text"]));
        for schema in [text, markdown] {
            for arg in ["atMobiles", "atUserIds", "atAll"] {
                assert!(schema["properties"][arg].is_object(), "{arg}");
            }
        }
    }

    #[test]
    fn the_preview_can_name_every_send_tool() {
        let schema = input_schema("preview_message");
        let sends: Vec<&str> = TOOLS
            .iter()
            .filter(|t| matches!(t.run, Run::Send(_)))
            .map(|t| t.name)
            .collect();
        assert_eq!(schema["properties"]["tool"]["enum"], json!(sends));
    }

    #[test]
    fn definitions_follow_the_version() {
        let tool = &TOOLS[0];
        let old = value(tool.definition(ProtocolVersion::V2024_11_05, None));
        assert!(old.get("annotations").is_none() && old.get("title").is_none());
        assert!(old.get("outputSchema").is_none());
        let mid = value(tool.definition(ProtocolVersion::V2025_03_26, None));
        assert!(mid.get("annotations").is_some() && mid.get("outputSchema").is_none());
        let new = value(tool.definition(ProtocolVersion::V2025_11_25, None));
        assert_eq!(new["title"], tool.title);
        assert_eq!(
            new["annotations"],
            json!({"title": tool.title, "readOnlyHint": false, "destructiveHint": false,
                   "idempotentHint": false, "openWorldHint": true})
        );
        assert_eq!(new["outputSchema"], value(OUTPUT_SCHEMA));
        let preview = value(
            find("preview_message")
                .unwrap()
                .definition(ProtocolVersion::V2025_11_25, None),
        );
        assert_eq!(preview["annotations"]["readOnlyHint"], true);
        assert_eq!(preview["annotations"]["openWorldHint"], false);
    }
}
