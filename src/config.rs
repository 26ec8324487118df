//! Configuration: the robots and the server-wide settings, from the environment (the only
//! channel every MCP host passes to a server) and an optional JSON file.
//!
//! Robots come from a file (`DINGTALK_CONFIG` or `--config`), inline JSON (`DINGTALK_BOTS`, for
//! hosts that pass only env), and the original `mcp-dingding-bot` variables, which define a robot
//! named `default`. A bad configuration is data, not a crash: the server still starts, prints
//! one line per problem, and every send explains what to fix.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};
use thiserror::Error;

use crate::dingtalk::{Secret, Webhook, WebhookError};

/// The original server's robot: its access token, or its whole webhook URL.
pub const TOKEN_VAR: &str = "DINGTALK_BOT_ACCESS_TOKEN";
/// The original server's optional signing secret.
pub const SECRET_VAR: &str = "DINGTALK_BOT_SECRET";
/// A JSON file of robots.
pub const CONFIG_VAR: &str = "DINGTALK_CONFIG";
/// The same JSON, inline.
pub const BOTS_VAR: &str = "DINGTALK_BOTS";
/// The whole-request timeout in seconds.
pub const TIMEOUT_VAR: &str = "DINGTALK_TIMEOUT_SECS";
/// How long a send may wait for a free slot in the rate window.
pub const MAX_WAIT_VAR: &str = "DINGTALK_MAX_WAIT_SECS";
/// How long an identical send is suppressed as a duplicate.
pub const DEDUP_VAR: &str = "DINGTALK_DEDUP_SECS";
/// Where the per-robot state shared by every process lives.
pub const STATE_DIR_VAR: &str = "DINGTALK_STATE_DIR";
/// Where to append the audit log.
pub const AUDIT_LOG_VAR: &str = "DINGTALK_AUDIT_LOG";
/// Extra PEM root certificates, for TLS-inspecting corporate proxies.
pub const CA_FILE_VAR: &str = "DINGTALK_CA_FILE";

/// The name of the robot the original variables define.
pub const DEFAULT_ROBOT: &str = "default";

/// A robot's send limit: `count` sends per sliding `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sends allowed per window.
    pub count: usize,
    /// The window.
    pub window: Duration,
}

impl Rate {
    /// DingTalk's own limit: 20 messages a minute per robot (`shared/reference/dingtalk.md` §1.5).
    pub const DINGTALK: Rate = Rate {
        count: 20,
        window: Duration::from_secs(60),
    };
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.count, self.window.as_secs_f64())
    }
}

/// One configured robot.
#[derive(Debug, Clone)]
pub struct RobotConfig {
    /// How tools and people name it.
    pub name: String,
    /// Where its messages go.
    pub webhook: Webhook,
    /// Its signing secret, if it signs.
    pub secret: Option<Secret>,
    /// Its security keywords: every message must contain one.
    pub keywords: Vec<String>,
    /// What group it posts to, shown to the model.
    pub description: Option<String>,
    /// Its send limit.
    pub rate: Rate,
}

/// Everything configured.
#[derive(Debug, Clone)]
pub struct Config {
    /// The robots, in configuration order.
    pub robots: Vec<RobotConfig>,
    /// The index of the robot used when a call names none.
    pub default: usize,
    /// The whole-request timeout.
    pub timeout: Duration,
    /// The longest a send waits for a free slot before it is refused.
    pub max_wait: Duration,
    /// Identical sends within this span are suppressed; zero turns it off.
    pub dedup: Duration,
    /// Where the shared state lives.
    pub state_dir: PathBuf,
    /// Where to append the audit log, if anywhere.
    pub audit_log: Option<PathBuf>,
    /// Root certificates trusted in addition to the bundled ones.
    pub extra_roots: Vec<ureq::tls::Certificate<'static>>,
}

/// Where a piece of configuration came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file named by `DINGTALK_CONFIG` or `--config`.
    File(PathBuf),
    /// `DINGTALK_BOTS`.
    Inline,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Inline => f.write_str(BOTS_VAR),
        }
    }
}

/// What is wrong with one field of a robot configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldProblem {
    /// A required field is absent.
    #[error("is missing")]
    Missing,
    /// The field has the wrong type.
    #[error("must be {0}")]
    Type(&'static str),
    /// A field no robot has (a typo, usually).
    #[error(
        "is not a known field (a robot has name, webhook, secret, keywords, description, default, rate_limit)"
    )]
    Unknown,
    /// `${VAR}` names an unset variable.
    #[error("refers to ${{{0}}}, which is not set")]
    UnsetVariable(String),
    /// The webhook is unusable.
    #[error("{0}")]
    Webhook(WebhookError),
    /// A name with characters tools cannot carry.
    #[error("must be 1 to 32 letters, digits, '_' or '-'")]
    Name,
    /// A rate limit that is not `N/Ts`.
    #[error("must look like \"20/60s\" (sends per window in seconds)")]
    Rate,
}

/// One problem with the configuration; the text says where and what to do, and never repeats
/// a value that could be a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// No robot is configured at all.
    #[error(
        "no robot is configured: set {TOKEN_VAR} to the robot's access token or its whole webhook URL (or configure several robots with {CONFIG_VAR} or {BOTS_VAR})"
    )]
    NoRobot,
    /// `DINGTALK_BOT_ACCESS_TOKEN` is unusable.
    #[error("{TOKEN_VAR} is invalid: {0}")]
    InvalidToken(WebhookError),
    /// A variable is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUnicode(&'static str),
    /// A numeric variable out of range.
    #[error("{var} is invalid: {value:?} is not a number of seconds from {range}")]
    InvalidSeconds {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// The values accepted, e.g. `0.1 to 600`.
        range: &'static str,
    },
    /// The configuration file cannot be read.
    #[error("cannot read the configuration file {}: {error}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// `DINGTALK_CA_FILE` holds no usable certificate.
    #[error("{CA_FILE_VAR} {}: {problem}", .path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The JSON does not parse.
    #[error("{origin}:{line}:{column}: invalid JSON: {message}")]
    Syntax {
        /// Where.
        origin: Origin,
        /// The line of the error.
        line: usize,
        /// The column of the error.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// The JSON has the wrong shape.
    #[error(
        "{origin}: must be a list of robots, or an object with \"robots\" (a list) and an optional \"default\" (a robot name)"
    )]
    Shape {
        /// Where.
        origin: Origin,
    },
    /// One field of one robot is wrong.
    #[error("{origin}: {field} {problem}")]
    Field {
        /// Where.
        origin: Origin,
        /// The field's path, e.g. `robots[1].webhook`.
        field: String,
        /// What is wrong.
        problem: FieldProblem,
    },
    /// Two robots share a name.
    #[error("two robots are named {0:?}; names must be unique")]
    DuplicateName(String),
    /// The default names no robot, or several robots are marked default.
    #[error("the default robot {0:?} is not one of the configured robots")]
    UnknownDefault(String),
    /// Several robots claim to be the default.
    #[error("more than one robot is marked \"default\": true")]
    SeveralDefaults,
}

/// Every problem found, reported together so a user fixes them in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Reads the configuration through `var` (the process environment in production); `file` is
/// `--config`, which wins over `DINGTALK_CONFIG`; `read` reads a file.
pub fn load(
    var: impl Fn(&str) -> Option<OsString>,
    file: Option<PathBuf>,
    read: impl Fn(&std::path::Path) -> std::io::Result<String>,
) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let mut text = |name: &'static str| match var(name).map(OsString::into_string) {
        None => None,
        Some(Ok(value)) => Some(value).filter(|v| !v.trim().is_empty()),
        Some(Err(_)) => {
            errors.push(ConfigError::NotUnicode(name));
            None
        }
    };
    let token = text(TOKEN_VAR);
    let secret = text(SECRET_VAR);
    let inline = text(BOTS_VAR);
    let file = file.or_else(|| text(CONFIG_VAR).map(PathBuf::from));
    let timeout = seconds(
        text(TIMEOUT_VAR),
        TIMEOUT_VAR,
        10.0,
        (0.1, 600.0),
        "0.1 to 600",
    );
    let max_wait = seconds(
        text(MAX_WAIT_VAR),
        MAX_WAIT_VAR,
        5.0,
        (0.0, 600.0),
        "0 to 600",
    );
    let dedup = seconds(
        text(DEDUP_VAR),
        DEDUP_VAR,
        60.0,
        (0.0, 86_400.0),
        "0 to 86400",
    );
    let state_dir = text(STATE_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_state_dir(text("XDG_STATE_HOME"), text("HOME")));
    let audit_log = text(AUDIT_LOG_VAR).map(PathBuf::from);
    let ca_file = text(CA_FILE_VAR).map(PathBuf::from);
    let variable = |name: &str| var(name).and_then(|v| v.into_string().ok());

    let mut robots = Vec::new();
    let mut default_name = None;
    if let Some(token) = token {
        match Webhook::parse(&token) {
            Ok(webhook) => robots.push(RobotConfig {
                name: DEFAULT_ROBOT.to_owned(),
                webhook,
                secret: secret.map(|s| Secret::new(s.trim())),
                keywords: Vec::new(),
                description: None,
                rate: Rate::DINGTALK,
            }),
            Err(e) => errors.push(ConfigError::InvalidToken(e)),
        }
    }
    if let Some(path) = file {
        match read(&path) {
            Ok(json) => parse_robots(
                &json,
                Origin::File(path),
                &variable,
                &mut robots,
                &mut default_name,
                &mut errors,
            ),
            Err(error) => errors.push(ConfigError::Unreadable {
                path,
                error: error.to_string(),
            }),
        }
    }
    if let Some(json) = inline {
        parse_robots(
            &json,
            Origin::Inline,
            &variable,
            &mut robots,
            &mut default_name,
            &mut errors,
        );
    }
    let extra_roots = match ca_file {
        None => Vec::new(),
        Some(path) => match read(&path)
            .map_err(|e| e.to_string())
            .and_then(|pem| certificates(&pem))
        {
            Ok(certs) => certs,
            Err(problem) => {
                errors.push(ConfigError::CaFile { path, problem });
                Vec::new()
            }
        },
    };
    for (i, robot) in robots.iter().enumerate() {
        if robots[..i].iter().any(|other| other.name == robot.name) {
            errors.push(ConfigError::DuplicateName(robot.name.clone()));
        }
    }
    let default = match &default_name {
        Some(name) => robots
            .iter()
            .position(|r| &r.name == name)
            .unwrap_or_else(|| {
                errors.push(ConfigError::UnknownDefault(name.clone()));
                0
            }),
        None => robots
            .iter()
            .position(|r| r.name == DEFAULT_ROBOT)
            .unwrap_or(0),
    };
    if robots.is_empty() && errors.is_empty() {
        errors.push(ConfigError::NoRobot);
    }
    let settings = [timeout, max_wait, dedup];
    for setting in &settings {
        if let Err(e) = setting {
            errors.push(e.clone());
        }
    }
    match settings {
        [Ok(timeout), Ok(max_wait), Ok(dedup)] if errors.is_empty() => Ok(Config {
            robots,
            default,
            timeout,
            max_wait,
            dedup,
            state_dir,
            audit_log,
            extra_roots,
        }),
        _ => Err(ConfigErrors(errors)),
    }
}

/// The certificates of a PEM file; at least one.
fn certificates(pem: &str) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem.as_bytes()) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(format!("not valid PEM ({e})")),
        }
    }
    if certs.is_empty() {
        return Err("contains no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

fn seconds(
    raw: Option<String>,
    var: &'static str,
    default: f64,
    (min, max): (f64, f64),
    range: &'static str,
) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Duration::from_secs_f64(default));
    };
    match raw.trim().parse::<f64>() {
        Ok(secs) if (min..=max).contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err(ConfigError::InvalidSeconds {
            var,
            value: raw,
            range,
        }),
    }
}

/// `$XDG_STATE_HOME/dingtalk-mcp`, else `~/.local/state/dingtalk-mcp`, else the temp dir.
fn default_state_dir(xdg_state_home: Option<String>, home: Option<String>) -> PathBuf {
    match (xdg_state_home, home) {
        (Some(state), _) => PathBuf::from(state).join("dingtalk-mcp"),
        (None, Some(home)) => PathBuf::from(home).join(".local/state/dingtalk-mcp"),
        (None, None) => std::env::temp_dir().join("dingtalk-mcp"),
    }
}

/// Parses one JSON source of robots into `robots`, recording every problem.
fn parse_robots(
    json: &str,
    origin: Origin,
    variable: &dyn Fn(&str) -> Option<String>,
    robots: &mut Vec<RobotConfig>,
    default_name: &mut Option<String>,
    errors: &mut Vec<ConfigError>,
) {
    let value: Value = match serde_json::from_str(json) {
        Ok(value) => value,
        Err(e) => {
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned();
            return errors.push(ConfigError::Syntax {
                origin,
                line: e.line(),
                column: e.column(),
                message,
            });
        }
    };
    let (list, prefix) = match value {
        Value::Array(list) => (list, "robots"),
        Value::Object(mut top) => {
            match top.remove("default") {
                None => {}
                Some(Value::String(name)) => *default_name = Some(name),
                Some(_) => errors.push(ConfigError::Field {
                    origin: origin.clone(),
                    field: "default".into(),
                    problem: FieldProblem::Type("a robot name"),
                }),
            }
            match top.remove("robots") {
                Some(Value::Array(list)) if top.is_empty() => (list, "robots"),
                _ => return errors.push(ConfigError::Shape { origin }),
            }
        }
        _ => return errors.push(ConfigError::Shape { origin }),
    };
    let mut marked = Vec::new();
    for (i, item) in list.into_iter().enumerate() {
        let field = |name: &str| format!("{prefix}[{i}].{name}");
        let mut problem = |name: &str, problem: FieldProblem| {
            errors.push(ConfigError::Field {
                origin: origin.clone(),
                field: field(name),
                problem,
            });
        };
        let Value::Object(mut robot) = item else {
            problem("", FieldProblem::Type("an object"));
            continue;
        };
        // `Ok(None)`: absent; `Err(())`: present but wrong, already reported.
        let strings = |robot: &mut Map<String, Value>,
                       name: &str,
                       problem: &mut dyn FnMut(&str, FieldProblem)|
         -> Result<Option<String>, ()> {
            match robot.remove(name) {
                None => Ok(None),
                Some(Value::String(s)) => expand(&s, variable)
                    .map(Some)
                    .map_err(|var| problem(name, FieldProblem::UnsetVariable(var))),
                Some(_) => {
                    problem(name, FieldProblem::Type("a string"));
                    Err(())
                }
            }
        };
        let name = strings(&mut robot, "name", &mut problem);
        let webhook = strings(&mut robot, "webhook", &mut problem);
        let secret = strings(&mut robot, "secret", &mut problem).ok().flatten();
        let description = strings(&mut robot, "description", &mut problem)
            .ok()
            .flatten();
        let rate = strings(&mut robot, "rate_limit", &mut problem);
        let keywords = match robot.remove("keywords") {
            None => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .into_iter()
                .filter_map(|k| k.as_str().and_then(|k| expand(k, variable).ok()))
                .filter(|k| !k.is_empty())
                .collect(),
            Some(_) => {
                problem("keywords", FieldProblem::Type("a list of strings"));
                Vec::new()
            }
        };
        let is_default = match robot.remove("default") {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(_) => {
                problem("default", FieldProblem::Type("true or false"));
                false
            }
        };
        for unknown in robot.keys() {
            problem(unknown, FieldProblem::Unknown);
        }
        let name = match name {
            Ok(None) => {
                problem("name", FieldProblem::Missing);
                None
            }
            Ok(Some(name)) if is_valid_name(&name) => Some(name),
            Ok(Some(_)) => {
                problem("name", FieldProblem::Name);
                None
            }
            Err(()) => None,
        };
        let webhook = match webhook {
            Ok(None) => {
                problem("webhook", FieldProblem::Missing);
                None
            }
            Ok(Some(webhook)) => Webhook::parse(&webhook)
                .map_err(|e| problem("webhook", FieldProblem::Webhook(e)))
                .ok(),
            Err(()) => None,
        };
        let rate = match rate {
            Ok(None) => Some(Rate::DINGTALK),
            Ok(Some(rate)) => {
                let parsed = parse_rate(&rate);
                if parsed.is_none() {
                    problem("rate_limit", FieldProblem::Rate);
                }
                parsed
            }
            Err(()) => None,
        };
        if let (Some(name), Some(webhook), Some(rate)) = (name, webhook, rate) {
            if is_default {
                marked.push(name.clone());
            }
            robots.push(RobotConfig {
                name,
                webhook,
                secret: secret
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| Secret::new(s.trim())),
                keywords,
                description: description.filter(|d| !d.trim().is_empty()),
                rate,
            });
        }
    }
    match marked.as_slice() {
        [] => {}
        [name] => {
            default_name.get_or_insert_with(|| name.clone());
        }
        _ => errors.push(ConfigError::SeveralDefaults),
    }
}

/// A whole-value `${NAME}` reads `NAME` from the environment; other values are kept as they are.
fn expand(value: &str, variable: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        Some(name) => variable(name).ok_or_else(|| name.to_owned()),
        None => Ok(value.to_owned()),
    }
}

fn is_valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `"20/60s"`, `"3/2s"`, `"20/1m"`.
fn parse_rate(text: &str) -> Option<Rate> {
    let (count, window) = text.trim().split_once('/')?;
    let count: usize = count.trim().parse().ok().filter(|&c| c > 0)?;
    let window = window.trim();
    let (number, unit) = window.split_at(window.find(|c: char| c.is_ascii_alphabetic())?);
    let number: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n > 0.0)?;
    let secs = match unit {
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Rate {
        count,
        window: Duration::from_secs_f64(secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load_with(
        env: &[(&str, &str)],
        files: &[(&str, &str)],
        file: Option<&str>,
    ) -> Result<Config, ConfigErrors> {
        let env: HashMap<String, OsString> = env
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(k, v)| (PathBuf::from(k), v.to_string()))
            .collect();
        load(
            |name| env.get(name).cloned(),
            file.map(PathBuf::from),
            |path| {
                files
                    .get(path)
                    .cloned()
                    .ok_or_else(|| std::io::ErrorKind::NotFound.into())
            },
        )
    }

    fn errors(result: Result<Config, ConfigErrors>) -> Vec<String> {
        result
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_original_variables_define_the_default_robot() {
        let config = load_with(&[(TOKEN_VAR, " abc "), (SECRET_VAR, "SECx\n")], &[], None).unwrap();
        assert_eq!(config.robots.len(), 1);
        let robot = &config.robots[0];
        assert_eq!(robot.name, "default");
        assert_eq!(robot.webhook, Webhook::parse("abc").unwrap());
        assert_eq!(robot.secret, Some(Secret::new("SECx")));
        assert_eq!(robot.rate, Rate::DINGTALK);
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.max_wait, Duration::from_secs(5));
        assert_eq!(config.dedup, Duration::from_secs(60));
        assert!(config.audit_log.is_none());
    }

    #[test]
    fn a_file_inline_json_and_variables_combine() {
        let file = r#"{"default": "ops", "robots": [
            {"name": "ops", "webhook": "${OPS_HOOK}", "secret": "${OPS_SECRET}", "keywords": ["告警"], "description": "Ops on-call group", "rate_limit": "3/2s"},
            {"name": "dev", "webhook": "https://oapi.dingtalk.com/robot/send?access_token=dev"}
        ]}"#;
        let config = load_with(
            &[
                (CONFIG_VAR, "/etc/bots.json"),
                ("OPS_HOOK", "opstoken"),
                ("OPS_SECRET", "SECops"),
                (BOTS_VAR, r#"[{"name": "alerts", "webhook": "alerttoken"}]"#),
                (TOKEN_VAR, "legacy"),
            ],
            &[("/etc/bots.json", file)],
            None,
        )
        .unwrap();
        let names: Vec<&str> = config.robots.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["default", "ops", "dev", "alerts"]);
        assert_eq!(config.robots[config.default].name, "ops");
        let ops = &config.robots[1];
        assert_eq!(ops.webhook, Webhook::parse("opstoken").unwrap());
        assert_eq!(ops.secret, Some(Secret::new("SECops")));
        assert_eq!(ops.keywords, ["告警"]);
        assert_eq!(
            ops.rate,
            Rate {
                count: 3,
                window: Duration::from_secs(2)
            }
        );
        assert_eq!(ops.description.as_deref(), Some("Ops on-call group"));
    }

    #[test]
    fn default_is_marked_robot_else_the_original_else_the_first() {
        let marked =
            r#"[{"name": "a", "webhook": "t1"}, {"name": "b", "webhook": "t2", "default": true}]"#;
        let config = load_with(&[(BOTS_VAR, marked)], &[], None).unwrap();
        assert_eq!(config.robots[config.default].name, "b");
        let plain = r#"[{"name": "a", "webhook": "t1"}, {"name": "b", "webhook": "t2"}]"#;
        let config = load_with(&[(BOTS_VAR, plain)], &[], None).unwrap();
        assert_eq!(config.robots[config.default].name, "a");
        let config = load_with(&[(BOTS_VAR, plain), (TOKEN_VAR, "t0")], &[], None).unwrap();
        assert_eq!(config.robots[config.default].name, "default");
    }

    #[test]
    fn every_invalid_case_is_reported_where_it_is() {
        let cases: Vec<(&str, &str)> = vec![
            (
                "{\n  \"robots\": [\n    {\"name\": \"a\",}\n  ]\n}",
                "/c.json:3:18: invalid JSON: trailing comma",
            ),
            ("42", "/c.json: must be a list of robots"),
            (
                r#"{"robots": [], "extra": 1}"#,
                "/c.json: must be a list of robots",
            ),
            (
                r#"[{"webhook": "t"}]"#,
                "/c.json: robots[0].name is missing",
            ),
            (
                r#"[{"name": "a"}]"#,
                "/c.json: robots[0].webhook is missing",
            ),
            (
                r#"[{"name": "a b", "webhook": "t"}]"#,
                "robots[0].name must be 1 to 32 letters",
            ),
            (
                r#"[{"name": "a", "webhook": "http://example.com/robot/send?access_token=t"}]"#,
                "robots[0].webhook the URL must start with https://",
            ),
            (
                r#"[{"name": "a", "webhook": "${NOPE}"}]"#,
                "robots[0].webhook refers to ${NOPE}, which is not set",
            ),
            (
                r#"[{"name": "a", "webhook": "t", "secrets": "x"}]"#,
                "robots[0].secrets is not a known field",
            ),
            (
                r#"[{"name": "a", "webhook": "t", "keywords": "x"}]"#,
                "robots[0].keywords must be a list of strings",
            ),
            (
                r#"[{"name": "a", "webhook": "t", "rate_limit": "fast"}]"#,
                "robots[0].rate_limit must look like \"20/60s\"",
            ),
            (
                r#"[{"name": "a", "webhook": 5}]"#,
                "robots[0].webhook must be a string",
            ),
            (
                r#"[{"name": "a", "webhook": "t"}, {"name": "a", "webhook": "u"}]"#,
                "two robots are named \"a\"",
            ),
            (
                r#"{"default": "zz", "robots": [{"name": "a", "webhook": "t"}]}"#,
                "the default robot \"zz\" is not one of",
            ),
            (
                r#"[{"name": "a", "webhook": "t", "default": true}, {"name": "b", "webhook": "u", "default": true}]"#,
                "more than one robot is marked",
            ),
        ];
        for (json, expected) in cases {
            let found = errors(load_with(&[], &[("/c.json", json)], Some("/c.json")));
            assert!(
                found.iter().any(|e| e.contains(expected)),
                "{json}:\n{found:?}"
            );
        }
        let found = errors(load_with(&[(CONFIG_VAR, "/missing.json")], &[], None));
        assert!(
            found[0].starts_with("cannot read the configuration file /missing.json"),
            "{found:?}"
        );
        let found = errors(load_with(&[(BOTS_VAR, "[")], &[], None));
        assert!(
            found[0].starts_with("DINGTALK_BOTS:1:1: invalid JSON"),
            "{found:?}"
        );
    }

    #[test]
    fn settings_are_checked_and_values_stay_out_of_token_errors() {
        let found = errors(load_with(&[(TIMEOUT_VAR, "soon")], &[], None));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("no robot is configured"));
        assert!(found[1].contains("DINGTALK_TIMEOUT_SECS is invalid: \"soon\""));
        let found = errors(load_with(
            &[(
                TOKEN_VAR,
                "http://example.com/robot/send?access_token=SEKRIT",
            )],
            &[],
            None,
        ));
        assert!(
            found[0].contains(TOKEN_VAR) && !found[0].contains("SEKRIT"),
            "{found:?}"
        );
        for (var, bad) in [
            (TIMEOUT_VAR, "0"),
            (TIMEOUT_VAR, "601"),
            (MAX_WAIT_VAR, "-1"),
            (DEDUP_VAR, "NaN"),
        ] {
            assert!(
                load_with(&[(TOKEN_VAR, "a"), (var, bad)], &[], None).is_err(),
                "{var}={bad}"
            );
        }
        let config = load_with(
            &[(TOKEN_VAR, "a"), (DEDUP_VAR, "0"), (MAX_WAIT_VAR, "0")],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(config.dedup, Duration::ZERO);
        assert_eq!(config.max_wait, Duration::ZERO);
    }

    #[test]
    fn rates_and_state_dirs() {
        assert_eq!(parse_rate("20/60s"), Some(Rate::DINGTALK));
        assert_eq!(parse_rate("20/1m"), Some(Rate::DINGTALK));
        assert_eq!(
            parse_rate("3/2s"),
            Some(Rate {
                count: 3,
                window: Duration::from_secs(2)
            })
        );
        for bad in ["0/60s", "20/0s", "20/60", "20/60h", "x/1s", "20"] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
        assert_eq!(
            default_state_dir(Some("/s".into()), Some("/h".into())),
            PathBuf::from("/s/dingtalk-mcp")
        );
        assert_eq!(
            default_state_dir(None, Some("/h".into())),
            PathBuf::from("/h/.local/state/dingtalk-mcp")
        );
    }

    #[cfg(unix)]
    #[test]
    fn non_unicode_values_are_named() {
        use std::os::unix::ffi::OsStringExt;
        let errors = load(
            |name| (name == TOKEN_VAR).then(|| OsString::from_vec(vec![0xff])),
            None,
            |_| Ok(String::new()),
        )
        .unwrap_err();
        assert_eq!(errors.0, vec![ConfigError::NotUnicode(TOKEN_VAR)]);
    }
}
