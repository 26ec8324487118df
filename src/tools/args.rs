//! Decoding a `tools/call`'s `arguments` into typed values, with errors that name the argument
//! and what is expected, so a model can correct its call (`isError: true`, not a protocol error:
//! MCP 2025-11-25, SEP-1303).
//!
//! One [`Param`] list per tool drives both its input schema and its decoding.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::clip::{NAME_CHARS, clip};

/// The type of one declared argument.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string that is not blank.
    Text,
    /// A link target: `http://`, `https://` or `dingtalk://`.
    Url,
    /// Mobile numbers: 11 mainland digits starting with 1, or `+<country code>-<number>`.
    Mobiles,
    /// DingTalk user ids: non-empty, no whitespace.
    UserIds,
    /// A boolean.
    Flag,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// Any JSON object, passed on undecoded.
    Object,
    /// An array of `min..=max` objects, each with these fields.
    Objects {
        /// The fields of each object.
        fields: &'static [Param],
        /// The fewest objects accepted.
        min: usize,
        /// The most objects accepted.
        max: usize,
    },
}

/// One declared argument of a tool.
#[derive(Debug)]
pub struct Param {
    /// The argument name, in camelCase.
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
        /// The argument, with its path for nested fields (`buttons[1].title`).
        name: String,
        /// What it should be.
        expected: String,
    },
    /// An argument has the wrong type or value.
    #[error("argument `{name}` must be {expected}, but got {got}")]
    Invalid {
        /// The argument, with its path (`atMobiles[2]`).
        name: String,
        /// What it should be.
        expected: String,
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
    /// Arguments that are each fine but do not fit together.
    #[error("{0}")]
    Combination(&'static str),
    /// `robot` names no configured robot.
    #[error("unknown robot {name:?}; the configured robots are: {known}")]
    UnknownRobot {
        /// The name given.
        name: String,
        /// The configured names.
        known: String,
    },
}

impl Kind {
    fn expected(self) -> String {
        match self {
            Self::Text => "a non-empty string".into(),
            Self::Url => "an http://, https:// or dingtalk:// URL".into(),
            Self::Mobiles => "an array of mobile numbers: 11 digits starting with 1 (mainland China) or +<country code>-<number> such as +852-12345678".into(),
            Self::UserIds => "an array of DingTalk user ids (non-empty, no spaces)".into(),
            Self::Flag => "true or false".into(),
            Self::Choice(choices) => format!("one of: {}", choices.join(", ")),
            Self::Object => "an object".into(),
            Self::Objects { min, max, .. } => format!("an array of {min} to {max} objects"),
        }
    }
}

/// A call's arguments (or one nested object), checked against the declared parameters.
#[derive(Debug)]
pub struct Args {
    values: Map<String, Value>,
    params: &'static [Param],
    /// Prepended to argument names in errors (`buttons[1].`).
    path: String,
}

impl Args {
    /// Refuses any argument not in `params`; `null` values count as absent (many clients send
    /// `null` for an omitted optional argument).
    pub fn new(values: Map<String, Value>, params: &'static [Param]) -> Result<Self, ArgError> {
        Self::at_path(values, params, String::new())
    }

    /// Like [`Args::new`] for arguments found under `path` (e.g. `arguments.` of a preview, or
    /// `buttons[1].`), which error messages then name.
    pub fn at_path(
        values: Map<String, Value>,
        params: &'static [Param],
        path: String,
    ) -> Result<Self, ArgError> {
        if let Some(name) = values
            .keys()
            .find(|key| !params.iter().any(|p| p.name == key.as_str()))
        {
            let allowed: Vec<&str> = params.iter().map(|p| p.name).collect();
            return Err(ArgError::Unknown {
                name: format!("{path}{}", clip(name, NAME_CHARS)),
                allowed: allowed.join(", "),
            });
        }
        let values = values.into_iter().filter(|(_, v)| !v.is_null()).collect();
        Ok(Self {
            values,
            params,
            path,
        })
    }

    /// Takes an argument: `Ok(None)` when an optional one is absent.
    fn take(&mut self, name: &'static str) -> Result<Option<(Value, Kind, String)>, ArgError> {
        let param = self
            .params
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| unreachable!("{name} is declared by the tool that reads it"));
        let path = format!("{}{name}", self.path);
        match self.values.remove(name) {
            Some(value) => Ok(Some((value, param.kind, path))),
            None if param.required => Err(ArgError::Missing {
                name: path,
                expected: param.kind.expected(),
            }),
            None => Ok(None),
        }
    }

    /// A string argument (`Text`, `Url` or `Choice`); `None` when optional and absent.
    pub fn string(&mut self, name: &'static str) -> Result<Option<String>, ArgError> {
        let Some((value, kind, path)) = self.take(name)? else {
            return Ok(None);
        };
        let valid = match (&value, kind) {
            (Value::String(s), Kind::Text) => !s.trim().is_empty(),
            (Value::String(s), Kind::Url) => is_link(s),
            (Value::String(s), Kind::Choice(choices)) => choices.contains(&s.as_str()),
            _ => false,
        };
        match value {
            Value::String(s) if valid => Ok(Some(s)),
            other => Err(invalid(path, kind, &other)),
        }
    }

    /// A required string argument.
    pub fn text(&mut self, name: &'static str) -> Result<String, ArgError> {
        self.string(name)?
            .ok_or_else(|| unreachable!("{name} is declared required"))
    }

    /// A list of mobiles or user ids; absent reads as empty.
    pub fn names(&mut self, name: &'static str) -> Result<Vec<String>, ArgError> {
        let Some((value, kind, path)) = self.take(name)? else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value else {
            return Err(invalid(path, kind, &value));
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if is_name(&s, kind) => Ok(s),
                other => Err(invalid(format!("{path}[{i}]"), kind, &other)),
            })
            .collect()
    }

    /// A boolean; absent reads as `false`.
    pub fn flag(&mut self, name: &'static str) -> Result<bool, ArgError> {
        match self.take(name)? {
            None => Ok(false),
            Some((Value::Bool(b), _, _)) => Ok(b),
            Some((other, kind, path)) => Err(invalid(path, kind, &other)),
        }
    }

    /// An object, undecoded, with the path to name its fields in errors; absent reads as empty.
    pub fn object(&mut self, name: &'static str) -> Result<(Map<String, Value>, String), ArgError> {
        match self.take(name)? {
            None => Ok((Map::new(), format!("{}{name}.", self.path))),
            Some((Value::Object(map), _, path)) => Ok((map, format!("{path}."))),
            Some((other, kind, path)) => Err(invalid(path, kind, &other)),
        }
    }

    /// An array of objects, each checked against its declared fields; `None` when optional and
    /// absent.
    pub fn objects(&mut self, name: &'static str) -> Result<Option<Vec<Args>>, ArgError> {
        let Some((value, kind, path)) = self.take(name)? else {
            return Ok(None);
        };
        let Kind::Objects { fields, min, max } = kind else {
            unreachable!("{name} is declared as objects")
        };
        let items = match value {
            Value::Array(items) if (min..=max).contains(&items.len()) => items,
            other => return Err(invalid(path, kind, &other)),
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Args::at_path(map, fields, format!("{path}[{i}].")),
                other => Err(ArgError::Invalid {
                    name: format!("{path}[{i}]"),
                    expected: "an object".into(),
                    got: describe(&other),
                }),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Schemes a DingTalk card may link to; `javascript:`, relative and empty links are refused.
fn is_link(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ["http://", "https://", "dingtalk://"]
        .iter()
        .any(|scheme| lower.len() > scheme.len() && lower.starts_with(scheme))
        && !s.contains(char::is_whitespace)
}

/// Mainland mobiles are 11 digits starting with 1; others are `+<country code>-<number>`
/// (DingTalk does not recognise `+85212345678`; `shared/reference/dingtalk.md` §1.3).
fn is_mobile(s: &str) -> bool {
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    match s.strip_prefix('+') {
        Some(international) => international
            .split_once('-')
            .is_some_and(|(cc, number)| digits(cc, 1..=4) && digits(number, 4..=14)),
        None => s.starts_with('1') && digits(s, 11..=11),
    }
}

fn is_name(s: &str, kind: Kind) -> bool {
    match kind {
        Kind::Mobiles => is_mobile(s),
        _ => !s.is_empty() && !s.contains(char::is_whitespace),
    }
}

fn invalid(name: String, kind: Kind, got: &Value) -> ArgError {
    ArgError::Invalid {
        name,
        expected: kind.expected(),
        got: describe(got),
    }
}

/// Names a JSON value's type; short strings are quoted so a model sees which entry is wrong.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(_) => "a number".into(),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        Value::String(s) if s.trim().is_empty() => "a blank string".into(),
        Value::String(s) => format!("{:?}", clip(s, 40)),
        Value::Array(items) => format!("an array of {}", items.len()),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BUTTON: &[Param] = &[
        Param {
            name: "title",
            kind: Kind::Text,
            required: true,
            description: "",
        },
        Param {
            name: "actionUrl",
            kind: Kind::Url,
            required: true,
            description: "",
        },
    ];
    const PARAMS: &[Param] = &[
        Param {
            name: "text",
            kind: Kind::Text,
            required: true,
            description: "",
        },
        Param {
            name: "atMobiles",
            kind: Kind::Mobiles,
            required: false,
            description: "",
        },
        Param {
            name: "atAll",
            kind: Kind::Flag,
            required: false,
            description: "",
        },
        Param {
            name: "url",
            kind: Kind::Url,
            required: false,
            description: "",
        },
        Param {
            name: "buttons",
            kind: Kind::Objects {
                fields: BUTTON,
                min: 1,
                max: 2,
            },
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

    fn first_error(value: Value) -> String {
        let mut a = match args(value) {
            Ok(a) => a,
            Err(e) => return e.to_string(),
        };
        a.text("text")
            .and_then(|_| a.names("atMobiles"))
            .and_then(|_| a.flag("atAll"))
            .and_then(|_| a.string("url"))
            .and_then(|_| {
                for mut button in a.objects("buttons")?.unwrap_or_default() {
                    button.text("title")?;
                    button.text("actionUrl")?;
                }
                Ok(None::<String>)
            })
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn decodes_typed_values_and_treats_null_as_absent() {
        let mut a = args(json!({"text": "hi", "atMobiles": ["13800000000", "+852-12345678"], "atAll": null, "url": "DingTalk://x"})).unwrap();
        assert_eq!(a.text("text").unwrap(), "hi");
        assert_eq!(
            a.names("atMobiles").unwrap(),
            ["13800000000", "+852-12345678"]
        );
        assert!(!a.flag("atAll").unwrap());
        assert_eq!(a.string("url").unwrap().as_deref(), Some("DingTalk://x"));
        assert!(a.objects("buttons").unwrap().is_none());
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
                json!({"text": "x", "atMobiles": ["13800000000", "12345"]}),
                "argument `atMobiles[1]` must be an array of mobile numbers: 11 digits starting with 1 (mainland China) or +<country code>-<number> such as +852-12345678, but got \"12345\"",
            ),
            (
                json!({"text": "x", "atMobiles": ["+85212345678"]}),
                "argument `atMobiles[0]`",
            ),
            (
                json!({"text": "x", "atMobiles": ["23800000000"]}),
                "argument `atMobiles[0]`",
            ),
            (
                json!({"text": "x", "atMobiles": "138"}),
                "argument `atMobiles` must be an array of mobile numbers",
            ),
            (
                json!({"text": "x", "atAll": "yes"}),
                "argument `atAll` must be true or false, but got \"yes\"",
            ),
            (
                json!({"text": "x", "url": "javascript:alert(1)"}),
                "argument `url` must be an http://, https:// or dingtalk:// URL",
            ),
            (
                json!({"text": "x", "url": "/relative"}),
                "argument `url` must be",
            ),
            (
                json!({"text": "x", "url": "https://"}),
                "argument `url` must be",
            ),
            (
                json!({"text": "x", "buttons": []}),
                "argument `buttons` must be an array of 1 to 2 objects, but got an array of 0",
            ),
            (
                json!({"text": "x", "buttons": [{"title": "a"}]}),
                "missing required argument `buttons[0].actionUrl`",
            ),
            (
                json!({"text": "x", "buttons": [{"title": "a", "actionUrl": "ftp://x"}]}),
                "argument `buttons[0].actionUrl` must be an http://",
            ),
            (
                json!({"text": "x", "buttons": [{"title": "a", "actionUrl": "https://x", "url": 1}]}),
                "unknown argument `buttons[0].url`; this tool takes: title, actionUrl",
            ),
            (
                json!({"content": "hi"}),
                "unknown argument `content`; this tool takes: text, atMobiles, atAll, url, buttons",
            ),
        ];
        for (value, expected) in cases {
            let error = first_error(value.clone());
            assert!(
                error.starts_with(expected),
                "{value}:\n{error}\nwanted {expected}"
            );
        }
    }

    #[test]
    fn mobile_formats() {
        for good in [
            "13800000000",
            "19912345678",
            "+852-12345678",
            "+1-4155550100",
        ] {
            assert!(is_mobile(good), "{good}");
        }
        for bad in [
            "1380000000",
            "138000000000",
            "+85212345678",
            "852-1234",
            "+-123456",
            "+852-",
            "1380000000a",
        ] {
            assert!(!is_mobile(bad), "{bad}");
        }
    }
}
