//! Configuration from the environment, the only channel every MCP host passes to a server.
//!
//! Variable names are the original `mcp-dingding-bot`'s, so its host config works unchanged.
//! A bad configuration is data, not a crash: the server still starts, and every send explains
//! what to fix (hosts only show "connection closed" when a server exits at start-up).

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use thiserror::Error;

use crate::dingtalk::{Secret, Webhook, WebhookError};

/// The robot's access token, or its whole webhook URL.
pub const TOKEN_VAR: &str = "DINGTALK_BOT_ACCESS_TOKEN";
/// The robot's optional signing secret.
pub const SECRET_VAR: &str = "DINGTALK_BOT_SECRET";
/// The whole-request timeout in seconds.
pub const TIMEOUT_VAR: &str = "DINGTALK_TIMEOUT_SECS";

/// Used when `DINGTALK_TIMEOUT_SECS` is unset: well under hosts' own tool-call timeouts.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest timeout accepted, in seconds.
const MAX_TIMEOUT_SECS: f64 = 600.0;

/// A valid configuration.
#[derive(Debug)]
pub struct Settings {
    /// Where messages go.
    pub webhook: Webhook,
    /// The signing secret, if the robot signs.
    pub secret: Option<Secret>,
    /// The whole-request timeout.
    pub timeout: Duration,
}

/// One problem with the configuration; the text names the variable and the fix, never a value
/// that could be a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// The token variable is unset or empty.
    #[error("{TOKEN_VAR} is not set: set it to the robot's access token or its whole webhook URL")]
    MissingToken,
    /// The token variable holds something unusable.
    #[error("{TOKEN_VAR} is invalid: {0}")]
    InvalidToken(WebhookError),
    /// A variable is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUnicode(&'static str),
    /// The timeout is not a usable number of seconds.
    #[error("{TIMEOUT_VAR} is invalid: {0:?} is not a number of seconds from 0.1 to 600")]
    InvalidTimeout(String),
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

/// Reads the configuration through `var` (the process environment in production).
pub fn load(var: impl Fn(&str) -> Option<OsString>) -> Result<Settings, ConfigErrors> {
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
    let secret = text(SECRET_VAR).map(|s| Secret::new(s.trim()));
    let timeout = text(TIMEOUT_VAR);

    let webhook = match token {
        None if errors.contains(&ConfigError::NotUnicode(TOKEN_VAR)) => None,
        None => {
            errors.push(ConfigError::MissingToken);
            None
        }
        Some(token) => Webhook::parse(&token)
            .map_err(|e| errors.push(ConfigError::InvalidToken(e)))
            .ok(),
    };
    let timeout = match timeout {
        None => Some(DEFAULT_TIMEOUT),
        Some(raw) => match raw.trim().parse::<f64>() {
            Ok(secs) if (0.1..=MAX_TIMEOUT_SECS).contains(&secs) => {
                Some(Duration::from_secs_f64(secs))
            }
            _ => {
                errors.push(ConfigError::InvalidTimeout(raw));
                None
            }
        },
    };
    match (webhook, timeout) {
        (Some(webhook), Some(timeout)) if errors.is_empty() => Ok(Settings {
            webhook,
            secret,
            timeout,
        }),
        _ => Err(ConfigErrors(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load_from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        load(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_and_trimming() {
        let settings = load_from(&[(TOKEN_VAR, " abc "), (SECRET_VAR, "")]).unwrap();
        assert_eq!(settings.webhook, Webhook::parse("abc").unwrap());
        assert_eq!(settings.secret, None);
        assert_eq!(settings.timeout, Duration::from_secs(10));
        let settings = load_from(&[
            (TOKEN_VAR, "abc"),
            (SECRET_VAR, "SECx\n"),
            (TIMEOUT_VAR, "2.5"),
        ])
        .unwrap();
        assert_eq!(settings.secret, Some(Secret::new("SECx")));
        assert_eq!(settings.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn every_problem_is_reported_once_without_values() {
        let errors = load_from(&[(TIMEOUT_VAR, "soon")]).unwrap_err();
        assert_eq!(
            errors.0,
            vec![
                ConfigError::MissingToken,
                ConfigError::InvalidTimeout("soon".into())
            ]
        );
        let text = load_from(&[(
            TOKEN_VAR,
            "http://example.com/robot/send?access_token=SEKRIT",
        )])
        .unwrap_err()
        .to_string();
        assert!(
            text.contains(TOKEN_VAR) && text.contains("https://"),
            "{text}"
        );
        assert!(!text.contains("SEKRIT"), "{text}");
        for bad in ["0", "-1", "601", "NaN", "inf"] {
            assert!(
                load_from(&[(TOKEN_VAR, "a"), (TIMEOUT_VAR, bad)]).is_err(),
                "{bad}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_unicode_values_are_named() {
        use std::os::unix::ffi::OsStringExt;
        let errors =
            load(|name| (name == TOKEN_VAR).then(|| OsString::from_vec(vec![0xff]))).unwrap_err();
        assert_eq!(errors.0, vec![ConfigError::NotUnicode(TOKEN_VAR)]);
    }
}
