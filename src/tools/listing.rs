//! The `tools/list` view of the tool table, serialized straight from the static tables.
//!
//! No `serde_json::Value` tree is built: one for the whole list (seven tools, each with the
//! shared output schema) took about 300 KiB of heap for a 32 KB answer, most of the server's
//! peak memory. Keys are written in sorted order, the order a `Value` map has, so the listing
//! reads the same as every other answer.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::args::{Kind, Param};
use super::{ROBOT, TOOLS};
use crate::robots::Fleet;
use crate::version::ProtocolVersion;

/// Every tool's entry under one protocol version: the `tools` of a `tools/list` result.
#[derive(Debug)]
pub struct Listing {
    version: ProtocolVersion,
    robot: Option<RobotChoice>,
}

impl Listing {
    /// The entries `version` defines, with `fleet`'s robots offered where a tool takes one.
    pub fn new(version: ProtocolVersion, fleet: Option<&Fleet>) -> Self {
        Self {
            version,
            robot: fleet.map(RobotChoice::of),
        }
    }
}

impl Serialize for Listing {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            TOOLS
                .iter()
                .map(|tool| tool.definition(self.version, self.robot.as_ref())),
        )
    }
}

/// One tool's `tools/list` entry, with only the fields its protocol version defines.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition<'a> {
    /// Hints for the host; MCP 2025-03-26 on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// What the tool does and DingTalk's limits, for the model.
    pub description: String,
    /// The arguments.
    pub input_schema: ObjectSchema<'a>,
    /// The wire name.
    pub name: &'static str,
    /// What `structuredContent` holds; MCP 2025-06-18 on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<OutputSchema>,
    /// The display name; MCP 2025-06-18 on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'static str>,
}

/// A tool's behaviour hints (MCP 2025-03-26 `ToolAnnotations`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// Never: a message adds to the chat and removes nothing.
    pub destructive_hint: bool,
    /// True only for the tools that send nothing.
    pub idempotent_hint: bool,
    /// True for the tools that reach DingTalk.
    pub open_world_hint: bool,
    /// True for the tools that send nothing.
    pub read_only_hint: bool,
    /// The display name.
    pub title: &'static str,
}

/// What the `robot` argument says about the configured robots: their names as an enum when
/// there are several, and which group each posts to.
#[derive(Debug)]
pub struct RobotChoice {
    /// The argument this describes.
    param: &'static str,
    /// The robot names, offered as an enum; empty with one robot.
    names: Vec<String>,
    /// Replaces the parameter's generic description.
    description: String,
}

impl RobotChoice {
    /// The choice `fleet` offers.
    pub fn of(fleet: &Fleet) -> Self {
        let robots = fleet.robots();
        let names = if robots.len() > 1 {
            robots.iter().map(|r| r.config.name.clone()).collect()
        } else {
            Vec::new()
        };
        let listed: Vec<String> = robots
            .iter()
            .map(|r| match &r.config.description {
                Some(d) => format!("{} ({d})", r.config.name),
                None => r.config.name.clone(),
            })
            .collect();
        let description = format!(
            "Which robot (group) to post to: {}. Omit it for the default robot, {}.",
            listed.join("; "),
            fleet.default_robot().config.name
        );
        Self {
            param: ROBOT.name,
            names,
            description,
        }
    }
}

/// The JSON Schema of an object with these fields: `additionalProperties: false`, every
/// property described, in the subset every host accepts.
#[derive(Debug, Clone, Copy)]
pub struct ObjectSchema<'a> {
    /// The object's fields.
    pub params: &'static [Param],
    /// Replaces what the robot argument offers, when robots are configured.
    pub robot: Option<&'a RobotChoice>,
}

impl Serialize for ObjectSchema<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut params: Vec<&Param> = self.params.iter().collect();
        params.sort_unstable_by_key(|p| p.name);
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("additionalProperties", &false)?;
        map.serialize_entry("properties", &Properties(&params, self))?;
        let required = self.params.iter().filter(|p| p.required).map(|p| p.name);
        map.serialize_entry("required", &Names(required))?;
        map.serialize_entry("type", "object")?;
        map.end()
    }
}

/// The `properties` of an [`ObjectSchema`], sorted by name.
struct Properties<'a>(&'a [&'a Param], &'a ObjectSchema<'a>);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(params, object) = self;
        let mut map = serializer.serialize_map(Some(params.len()))?;
        for param in params.iter() {
            let robot = object.robot.filter(|r| r.param == param.name);
            let property = Property {
                kind: param.kind,
                description: robot.map_or(param.description, |r| &r.description),
                names: robot.map_or(&[], |r| &r.names),
            };
            map.serialize_entry(param.name, &property)?;
        }
        map.end()
    }
}

/// One field's schema.
struct Property<'a> {
    kind: Kind,
    description: &'a str,
    /// An enum of names (the configured robots), for a text field.
    names: &'a [String],
}

impl Serialize for Property<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("description", self.description)?;
        match self.kind {
            Kind::Choice(choices) => map.serialize_entry("enum", choices)?,
            _ if !self.names.is_empty() => map.serialize_entry("enum", self.names)?,
            _ => {}
        }
        match self.kind {
            Kind::Text | Kind::Url | Kind::Flag | Kind::Choice(_) => {}
            Kind::Mobiles | Kind::UserIds => map.serialize_entry("items", &Items("string"))?,
            Kind::Object => map.serialize_entry("properties", &Empty)?,
            Kind::Objects { fields, .. } => map.serialize_entry(
                "items",
                &ObjectSchema {
                    params: fields,
                    robot: None,
                },
            )?,
        }
        let ty = match self.kind {
            Kind::Text | Kind::Url | Kind::Choice(_) => "string",
            Kind::Flag => "boolean",
            Kind::Mobiles | Kind::UserIds | Kind::Objects { .. } => "array",
            Kind::Object => "object",
        };
        map.serialize_entry("type", ty)?;
        map.end()
    }
}

/// `{"type": …}`: the items of an array of primitives.
struct Items(&'static str);

impl Serialize for Items {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("type", self.0)?;
        map.end()
    }
}

/// `{}`.
struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

/// The type of one output field: primitives and arrays of primitives only, because Gemini
/// hosts rejected nested output schemas (`shared/reference/mcp.md` §3).
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// `true` or `false`.
    Boolean,
    /// A whole number.
    Integer,
    /// Any string.
    String,
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// An array of whole numbers.
    Integers,
    /// An array of strings.
    Strings,
}

/// One property of the tools' `outputSchema`.
#[derive(Debug)]
pub struct Field {
    /// The property name, as `structuredContent` spells it.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// What it means, for the model.
    pub description: &'static str,
    /// Whether every result has it.
    pub required: bool,
}

/// An `outputSchema`: an object with these fields.
#[derive(Debug, Clone, Copy)]
pub struct OutputSchema(pub &'static [Field]);

impl Serialize for OutputSchema {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("properties", &Fields(self.0))?;
        let required = self.0.iter().filter(|f| f.required).map(|f| f.name);
        map.serialize_entry("required", &Names(required))?;
        map.serialize_entry("type", "object")?;
        map.end()
    }
}

/// The properties of an [`OutputSchema`], sorted by name.
struct Fields(&'static [Field]);

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields: Vec<&Field> = self.0.iter().collect();
        fields.sort_unstable_by_key(|f| f.name);
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for field in fields {
            map.serialize_entry(field.name, field)?;
        }
        map.end()
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("description", self.description)?;
        let (ty, items) = match self.ty {
            FieldType::Boolean => ("boolean", None),
            FieldType::Integer => ("integer", None),
            FieldType::String => ("string", None),
            FieldType::Choice(choices) => {
                map.serialize_entry("enum", choices)?;
                ("string", None)
            }
            FieldType::Integers => ("array", Some("integer")),
            FieldType::Strings => ("array", Some("string")),
        };
        if let Some(item) = items {
            map.serialize_entry("items", &Items(item))?;
        }
        map.serialize_entry("type", ty)?;
        map.end()
    }
}

/// Names written as a JSON array without collecting them.
struct Names<I>(I);

impl<'a, I: Iterator<Item = &'a str> + Clone> Serialize for Names<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}
