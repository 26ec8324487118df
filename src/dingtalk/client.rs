//! Sending one message: a blocking, bounded POST through one shared `ureq::Agent`, and an honest
//! reading of whatever comes back.
//!
//! DingTalk answers HTTP 200 with `{"errcode":…,"errmsg":…}` even when it refuses a message
//! (`shared/reference/dingtalk.md` §1.1), so the body is read whatever the status.

use std::cell::Cell;
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;
use thiserror::Error;

use super::resolver::CachingResolver;
use super::webhook::{Secret, Webhook};
use super::{Deliver, Delivery};
use crate::clip::{MESSAGE_CHARS, clip};
use crate::clock;

/// At most this much of a reply is read: DingTalk's replies are tiny, a hostile one is not.
const MAX_REPLY_BYTES: u64 = 64 * 1024;

/// Retries after the first attempt, only when DingTalk cannot have received the message.
const MAX_RETRIES: u32 = 2;

/// The wait before the first retry; it doubles for the next.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

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
    /// Trusts the bundled Mozilla roots.
    agent: ureq::Agent,
    /// Trusts the roots of `DINGTALK_CA_FILE`, for TLS-inspecting proxies.
    extra: Option<ureq::Agent>,
    /// Whether the last handshake needed `extra`, so the next send tries it first.
    prefer_extra: Cell<bool>,
}

impl HttpSender {
    /// Builds the sender and its agents; no network I/O happens until the first send. Proxies
    /// come from `ALL_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY` (either case) and `NO_PROXY`.
    pub fn new(
        webhook: Webhook,
        secret: Option<Secret>,
        timeout: Duration,
        extra_roots: &[ureq::tls::Certificate<'static>],
    ) -> Self {
        let agent = |roots: ureq::tls::RootCerts| {
            let config = ureq::Agent::config_builder()
                .timeout_global(Some(timeout))
                .http_status_as_error(false)
                .max_redirects(0)
                .user_agent(concat!("dingtalk-mcp/", env!("CARGO_PKG_VERSION")))
                .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
                .build();
            ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::new(),
                CachingResolver::default(),
            )
        };
        // ureq trusts either the bundled roots or a given set, never both, so a second agent
        // holds the extra roots and is tried when the bundled ones do not verify the server.
        let extra = (!extra_roots.is_empty())
            .then(|| agent(ureq::tls::RootCerts::new_with_certs(extra_roots)));
        Self {
            webhook,
            secret,
            timeout,
            agent: agent(ureq::tls::RootCerts::WebPki),
            extra,
            prefer_extra: Cell::new(false),
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
            ureq::Error::Io(ref io) if is_connect_failure(io) => SendError::Connect { detail },
            ureq::Error::Io(ref io) if is_handshake_failure(io) => SendError::Tls { detail },
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

/// Failures before a connection existed, so before any byte of the request left.
fn is_connect_failure(io: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        io.kind(),
        ConnectionRefused | AddrNotAvailable | NetworkUnreachable | HostUnreachable | NotConnected
    )
        // std reports a failed name lookup with this text and no ErrorKind of its own.
        || io.to_string().starts_with("failed to lookup address information")
}

/// A TLS handshake failure (rustls reports them as `InvalidData`): the request was never sent.
fn is_handshake_failure(io: &std::io::Error) -> bool {
    let text = io.to_string();
    io.kind() == std::io::ErrorKind::InvalidData
        && (text.contains("certificate") || text.contains("handshake"))
}

impl HttpSender {
    /// One POST with the time left, through the preferred agent and, after a certificate
    /// failure (nothing was sent), through the other one.
    fn attempt(&self, body: &[u8], left: Duration) -> Result<(), SendError> {
        let signed = self
            .webhook
            .url(self.secret.as_ref(), u128::from(clock::now_ms()));
        let signature = signed.signature.as_deref();
        let post = |agent: &ureq::Agent| {
            agent
                .post(&signed.url)
                .config()
                .timeout_global(Some(left))
                .build()
                .header("Content-Type", "application/json")
                .send(body)
        };
        let agents: Vec<(&ureq::Agent, bool)> = match &self.extra {
            None => vec![(&self.agent, false)],
            Some(extra) if self.prefer_extra.get() => vec![(extra, true), (&self.agent, false)],
            Some(extra) => vec![(&self.agent, false), (extra, true)],
        };
        let mut last = None;
        for (agent, is_extra) in agents {
            match post(agent) {
                Ok(response) => {
                    self.prefer_extra.set(is_extra);
                    return self.read_reply(response, signature);
                }
                Err(error) => {
                    let error = self.classify(error, signature);
                    let untrusted = matches!(error, SendError::Tls { .. });
                    last = Some(error);
                    if !untrusted {
                        break;
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| unreachable!("at least one agent was tried")))
    }
}

impl Deliver for HttpSender {
    /// Sends `body`, retrying at most twice with backoff, within the timeout, and only when
    /// DingTalk cannot have received it: the connection failed before the request went out,
    /// or DingTalk answered errcode -1 (busy). Never after a timeout or an HTTP error, when the
    /// message may already be in the group.
    fn deliver(&self, body: &[u8]) -> Result<(), SendError> {
        let deadline = Instant::now() + self.timeout;
        let mut backoff = FIRST_BACKOFF;
        let mut retries = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let result = self.attempt(body, left);
            let retryable = matches!(
                result,
                Err(SendError::Connect { .. } | SendError::DingTalk { errcode: -1, .. })
            );
            let time_left = deadline.saturating_duration_since(Instant::now());
            if !retryable || retries == MAX_RETRIES || time_left <= backoff * 2 {
                return result;
            }
            thread::sleep(backoff);
            backoff *= 2;
            retries += 1;
        }
    }
}
