//! Sending one message: a blocking, bounded POST through one shared `ureq::Agent`, and an honest
//! reading of whatever comes back.
//!
//! DingTalk answers HTTP 200 with `{"errcode":…,"errmsg":…}` even when it refuses a message
//! (`shared/reference/dingtalk.md` §1.1), so the body is read whatever the status.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use thiserror::Error;

use super::webhook::{Secret, Webhook};
use super::{Deliver, Delivery};
use crate::clip::{MESSAGE_CHARS, clip};

/// At most this much of a reply is read: DingTalk's replies are tiny, a hostile one is not.
const MAX_REPLY_BYTES: u64 = 64 * 1024;

/// Why a message was not (or may not have been) delivered. Every message is already redacted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// DingTalk answered and refused the message.
    #[error("DingTalk refused the message: errcode {errcode}, errmsg \"{errmsg}\"")]
    DingTalk {
        /// DingTalk's error code.
        errcode: i64,
        /// DingTalk's error message.
        errmsg: String,
    },
    /// An HTTP error status without a DingTalk answer in the body.
    #[error(
        "the webhook answered HTTP {status} without a DingTalk errcode (body: {body}); the message may or may not have been delivered"
    )]
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the body, redacted.
        body: String,
    },
    /// A success status whose body is not a DingTalk answer.
    #[error(
        "the webhook answered HTTP {status} with a body that is not a DingTalk answer ({body}); the message may or may not have been delivered"
    )]
    BadReply {
        /// The HTTP status.
        status: u16,
        /// The start of the body (or why it could not be read), redacted.
        body: String,
    },
    /// The whole request took longer than the configured timeout.
    #[error(
        "no answer from DingTalk within {}s (DINGTALK_TIMEOUT_SECS); the message may or may not have been delivered",
        .timeout.as_secs_f64()
    )]
    Timeout {
        /// The configured timeout.
        timeout: Duration,
    },
    /// No connection could be made, so nothing was sent.
    #[error("could not connect to the webhook ({detail}); nothing was sent")]
    Connect {
        /// What failed, redacted.
        detail: String,
    },
    /// The TLS handshake failed, so nothing was sent.
    #[error("TLS failed ({detail}); nothing was sent")]
    Tls {
        /// What failed, redacted.
        detail: String,
    },
    /// The connection broke after the request may have gone out.
    #[error(
        "the connection failed while talking to the webhook ({detail}); the message may or may not have been delivered"
    )]
    Transport {
        /// What failed, redacted.
        detail: String,
    },
}

impl SendError {
    /// Whether DingTalk can have received the message.
    pub fn delivery(&self) -> Delivery {
        match self {
            Self::DingTalk { .. } | Self::Connect { .. } | Self::Tls { .. } => Delivery::No,
            Self::Http { .. } | Self::BadReply { .. } | Self::Timeout { .. } => Delivery::Unknown,
            Self::Transport { .. } => Delivery::Unknown,
        }
    }
}

/// Sends a robot's messages over HTTP(S), signed when it has a secret.
pub struct HttpSender {
    webhook: Webhook,
    secret: Option<Secret>,
    timeout: Duration,
    agent: ureq::Agent,
}

impl HttpSender {
    /// Builds the robot and its agent; no network I/O happens until the first send.
    pub fn new(webhook: Webhook, secret: Option<Secret>, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("dingtalk-mcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self {
            webhook,
            secret,
            timeout,
            agent,
        }
    }

    /// Replaces every secret the request carried (token, secret, signature, raw and
    /// URL-encoded) in text that came from elsewhere: ureq's errors quote the URL.
    fn redact(&self, text: &str, signature: Option<&str>) -> String {
        let mut secrets = vec![self.webhook.token().to_owned()];
        secrets.extend(self.secret.as_ref().map(|s| s.expose().to_owned()));
        secrets.extend(signature.map(str::to_owned));
        let encoded: Vec<String> = secrets
            .iter()
            .map(|s| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            })
            .collect();
        secrets.extend(encoded);
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), "***")
        })
    }

    /// Outside text, redacted and clipped (redaction first, so a clip cannot cut a secret
    /// in half and leave a prefix of it).
    fn quote(&self, text: &str, signature: Option<&str>) -> String {
        match text.trim() {
            "" => "empty".to_owned(),
            text => clip(&self.redact(text, signature), MESSAGE_CHARS),
        }
    }

    fn classify(&self, error: ureq::Error, signature: Option<&str>) -> SendError {
        let detail = self.quote(&error.to_string(), signature);
        match error {
            // Only a global timeout is set, so ureq cannot tell whether the request went out.
            ureq::Error::Timeout(_) => SendError::Timeout {
                timeout: self.timeout,
            },
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
                SendError::Connect { detail }
            }
            ureq::Error::Io(ref io) if is_connect_failure(io.kind()) => {
                SendError::Connect { detail }
            }
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
                SendError::Tls { detail }
            }
            _ => SendError::Transport { detail },
        }
    }

    fn read_reply(
        &self,
        mut response: ureq::http::Response<ureq::Body>,
        signature: Option<&str>,
    ) -> Result<(), SendError> {
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_vec();
        let body = match body {
            Ok(body) => body,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(SendError::BadReply {
                    status,
                    body: format!("a reply larger than {MAX_REPLY_BYTES} bytes"),
                });
            }
            Err(error) => return Err(self.classify(error, signature)),
        };
        #[derive(Deserialize)]
        struct Reply {
            errcode: i64,
            #[serde(default)]
            errmsg: String,
        }
        match serde_json::from_slice::<Reply>(&body) {
            Ok(reply) if reply.errcode == 0 => Ok(()),
            Ok(reply) => Err(SendError::DingTalk {
                errcode: reply.errcode,
                errmsg: self.quote(&reply.errmsg, signature),
            }),
            Err(_) if !(200..300).contains(&status) => Err(SendError::Http {
                status,
                body: self.quote(&String::from_utf8_lossy(&body), signature),
            }),
            Err(_) => Err(SendError::BadReply {
                status,
                body: self.quote(&String::from_utf8_lossy(&body), signature),
            }),
        }
    }
}

fn is_connect_failure(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        ConnectionRefused | AddrNotAvailable | NetworkUnreachable | HostUnreachable | NotConnected
    )
}

impl Deliver for HttpSender {
    fn deliver(&self, body: &[u8]) -> Result<(), SendError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        let signed = self.webhook.url(self.secret.as_ref(), now_ms);
        let signature = signed.signature.as_deref();
        let response = self
            .agent
            .post(&signed.url)
            .header("Content-Type", "application/json")
            .send(body)
            .map_err(|error| self.classify(error, signature))?;
        self.read_reply(response, signature)
    }
}
