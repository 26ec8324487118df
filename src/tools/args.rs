//! Decoding a `tools/call`'s `arguments` into typed values, with errors that name the argument
//! and what is expected, so a model can correct its call (`isError: true`, not a protocol error:
//! MCP 2025-11-25, SEP-1303).

use serde_json::{Map, Value};
use thiserror::Error;

use crate::clip::{NAME_CHARS, clip};

/// The JSON type of one declared argument; it drives both the input schema and the decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string that is not blank.
    Text,
    /// An array of non-blank strings without whitespace (mobiles, user ids).
    Names,
    /// A boolean.
    Flag,
}

/// One declared argument of a tool.
#[derive(Debug)]
pub struct Param {
    /// The argument name, in camelCase as the original server spelled it.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether the call must have it.
    pub required: bool,
    /// Shown to the model in the input schema.
    pub description: &'static str,
}

/// What is wrong with a call's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArgError {
    /// A required argument is absent.
    #[error("missing required argument `{name}` ({expected})")]
    Missing {
        /// The argument.
        name: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// An argument (or an array element, named `name[i]`) has the wrong type or value.
    #[error("argument `{name}` must be {expected}, but got {got}")]
    Invalid {
        /// The argument, with the index for array elements.
        name: String,
        /// What it should be.
        expected: &'static str,
        /// What it was.
        got: String,
    },
    /// The call has an argument the tool does not declare.
    #[error("unknown argument `{name}`; this tool takes: {allowed}")]
    Unknown {
        /// The unexpected argument.
        name: String,
        /// The declared arguments.
        allowed: String,
    },
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Self::Text => "a non-empty string",
            Self::Names => "an array of non-empty strings without spaces",
            Self::Flag => "true or false",
        }
    }
}

/// A call's arguments, checked against the tool's declared parameters.
#[derive(Debug)]
pub struct Args {
    values: Map<String, Value>,
}

impl Args {
    /// Refuses any argument not in `params`; `null` values count as absent (many clients send
    /// `null` for an omitted optional argument).
    pub fn new(values: Map<String, Value>, params: &[Param]) -> Result<Self, ArgError> {
        if let Some(name) = values
            .keys()
            .find(|key| !params.iter().any(|p| p.name == key.as_str()))
        {
            let allowed: Vec<&str> = params.iter().map(|p| p.name).collect();
            return Err(ArgError::Unknown {
                name: clip(name, NAME_CHARS),
                allowed: allowed.join(", "),
            });
        }
        let values = values.into_iter().filter(|(_, v)| !v.is_null()).collect();
        Ok(Self { values })
    }

    /// A required non-blank string.
    pub fn text(&mut self, name: &'static str) -> Result<String, ArgError> {
        match self.values.remove(name) {
            None => Err(ArgError::Missing {
                name,
                expected: Kind::Text.expected(),
            }),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
            Some(other) => Err(invalid(name.to_owned(), Kind::Text, &other)),
        }
    }

    /// An optional array of names; absent reads as empty.
    pub fn names(&mut self, name: &'static str) -> Result<Vec<String>, ArgError> {
        let items = match self.values.remove(name) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => return Err(invalid(name.to_owned(), Kind::Names, &other)),
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if !s.is_empty() && !s.contains(char::is_whitespace) => Ok(s),
                other => Err(invalid(format!("{name}[{i}]"), Kind::Names, &other)),
            })
            .collect()
    }

    /// An optional boolean; absent reads as `false`.
    pub fn flag(&mut self, name: &'static str) -> Result<bool, ArgError> {
        match self.values.remove(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(invalid(name.to_owned(), Kind::Flag, &other)),
        }
    }
}

fn invalid(name: String, kind: Kind, got: &Value) -> ArgError {
    ArgError::Invalid {
        name,
        expected: kind.expected(),
        got: describe(got),
    }
}

/// Names a JSON value's type (and blank strings) without quoting model input at length.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(_) => "a number".into(),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        Value::String(s) if s.trim().is_empty() => "a blank string".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PARAMS: &[Param] = &[
        Param {
            name: "text",
            kind: Kind::Text,
            required: true,
            description: "",
        },
        Param {
            name: "atMobiles",
            kind: Kind::Names,
            required: false,
            description: "",
        },
        Param {
            name: "atAll",
            kind: Kind::Flag,
            required: false,
            description: "",
        },
    ];

    fn args(value: Value) -> Result<Args, ArgError> {
        let Value::Object(map) = value else {
            panic!("test arguments are an object")
        };
        Args::new(map, PARAMS)
    }

    #[test]
    fn decodes_typed_values_and_treats_null_as_absent() {
        let mut a = args(json!({"text": "hi", "atMobiles": ["138"], "atAll": null})).unwrap();
        assert_eq!(a.text("text").unwrap(), "hi");
        assert_eq!(a.names("atMobiles").unwrap(), vec!["138"]);
        assert!(!a.flag("atAll").unwrap());
    }

    #[test]
    fn errors_name_the_argument_and_the_expectation() {
        let cases = [
            (
                json!({}),
                "missing required argument `text` (a non-empty string)",
            ),
            (
                json!({"text": 5}),
                "argument `text` must be a non-empty string, but got a number",
            ),
            (
                json!({"text": " \n"}),
                "argument `text` must be a non-empty string, but got a blank string",
            ),
            (
                json!({"text": "x", "atMobiles": ["1", 2]}),
                "argument `atMobiles[1]` must be an array of non-empty strings without spaces, but got a number",
            ),
            (
                json!({"text": "x", "atMobiles": "138"}),
                "argument `atMobiles` must be an array of non-empty strings without spaces, but got a string",
            ),
            (
                json!({"text": "x", "atAll": "yes"}),
                "argument `atAll` must be true or false, but got a string",
            ),
        ];
        for (value, expected) in cases {
            let mut a = args(value).unwrap();
            let error = a
                .text("text")
                .and_then(|_| a.names("atMobiles"))
                .and_then(|_| a.flag("atAll"))
                .unwrap_err();
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn unknown_arguments_list_the_allowed_ones() {
        let error = args(json!({"content": "hi"})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown argument `content`; this tool takes: text, atMobiles, atAll"
        );
    }
}
