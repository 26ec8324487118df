//! Where a robot's messages go: the webhook endpoint and access token, the signing secret, and
//! the signed request URL.
//!
//! Users paste the whole webhook URL where the token belongs all the time (DingTalk then answers
//! 300001; `shared/reference/dingtalk.md` §1.4), so both forms are accepted.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::Sha256;
use thiserror::Error;

/// DingTalk's endpoint, used when only a bare token is configured.
pub const DEFAULT_ENDPOINT: &str = "https://oapi.dingtalk.com/robot/send";

/// Everything but RFC 3986's unreserved characters is escaped, so a base64 signature's `+`, `/`
/// and `=` are encoded exactly once.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a configured webhook was refused. The messages never repeat the value itself: it holds
/// the access token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    /// The value is empty or only whitespace.
    #[error("it is empty")]
    Empty,
    /// A URL whose scheme is neither `https` nor loopback `http`.
    #[error(
        "the URL must start with https:// (http:// is accepted only for loopback hosts such as 127.0.0.1)"
    )]
    Scheme,
    /// A URL without a host.
    #[error("the URL has no host")]
    NoHost,
    /// A URL with `user:password@` in it.
    #[error("the URL must not contain a user name or password")]
    Credentials,
    /// A URL without an `access_token` query parameter.
    #[error(
        "the URL has no access_token=… query parameter; copy the whole webhook URL from the robot's settings"
    )]
    NoToken,
    /// A bare token with characters no DingTalk token has.
    #[error(
        "it is neither a webhook URL nor an access token (a token has no spaces, '&', '?', '#', '/' or '=')"
    )]
    MalformedToken,
}

/// A robot webhook: the endpoint and the access token, kept apart so the token can be redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    endpoint: String,
    token: String,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Webhook({}?access_token=***)", self.endpoint)
    }
}

impl Webhook {
    /// Parses a bare access token or a whole webhook URL.
    pub fn parse(raw: &str) -> Result<Self, WebhookError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(WebhookError::Empty);
        }
        match raw.split_once("://") {
            Some((scheme, rest)) => parse_url(scheme, rest),
            None => {
                let malformed = |c: char| c.is_whitespace() || "&?#/=%".contains(c);
                if raw.contains(malformed) {
                    return Err(WebhookError::MalformedToken);
                }
                Ok(Self {
                    endpoint: DEFAULT_ENDPOINT.to_owned(),
                    token: raw.to_owned(),
                })
            }
        }
    }

    /// A stable name for this webhook that reveals nothing of the token: the first 32 hex
    /// digits of SHA-256 over the endpoint and the token. Names shared state files.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let digest = Sha256::digest(format!("{}?{}", self.endpoint, self.token));
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The URL with the token hidden, for people to recognise which webhook this is.
    pub fn redacted(&self) -> String {
        format!("{}?access_token=***", self.endpoint)
    }

    /// The access token: a secret, for redaction only.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The URL to POST to, signed with a fresh `timestamp` when a secret is set.
    pub fn url(&self, secret: Option<&Secret>, timestamp_ms: u128) -> SignedUrl {
        let mut url = format!(
            "{}?access_token={}",
            self.endpoint,
            utf8_percent_encode(&self.token, QUERY_VALUE)
        );
        let mut signature = None;
        if let Some(secret) = secret {
            let sign = secret.sign(timestamp_ms);
            url.push_str(&format!(
                "&timestamp={timestamp_ms}&sign={}",
                utf8_percent_encode(&sign, QUERY_VALUE)
            ));
            signature = Some(sign);
        }
        SignedUrl { url, signature }
    }
}

fn parse_url(scheme: &str, rest: &str) -> Result<Webhook, WebhookError> {
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(WebhookError::Credentials);
    }
    let host = host_of(authority).ok_or(WebhookError::NoHost)?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(host) => {}
        _ => return Err(WebhookError::Scheme),
    }
    let before_fragment = path_and_query.split('#').next().unwrap_or_default();
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let token = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "access_token")
        .map(|(_, value)| percent_decode_str(value).decode_utf8_lossy().into_owned())
        .filter(|token| !token.is_empty())
        .ok_or(WebhookError::NoToken)?;
    Ok(Webhook {
        endpoint: format!("{}://{authority}{path}", scheme.to_ascii_lowercase()),
        token,
    })
}

/// The host part of an authority (`host`, `host:port`, `[v6]`, `[v6]:port`).
fn host_of(authority: &str) -> Option<&str> {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// A robot's signing secret ("加签"); its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Wraps a secret as configured (DingTalk's start with `SEC`).
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The value, for redaction only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret))`, not yet
    /// URL-encoded (`shared/reference/dingtalk.md` §1.4).
    pub fn sign(&self, timestamp_ms: u128) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{timestamp_ms}\n{}", self.0).as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// A request URL and the signature inside it, which must be redacted like the token.
pub struct SignedUrl {
    /// The full URL, token and signature included.
    pub url: String,
    /// The base64 signature, when the robot signs.
    pub signature: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123abcd";

    #[test]
    fn signature_matches_openssl() {
        // printf '1700000000002\nSEC0123456789abcdef' |
        //   openssl dgst -sha256 -hmac 'SEC0123456789abcdef' -binary | base64
        let secret = Secret::new("SEC0123456789abcdef");
        assert_eq!(
            secret.sign(1_700_000_000_002),
            "VGvd0brDJp/nMZtR+XnA3yBIlhowT+TwkRPua0q1/jg="
        );
    }

    #[test]
    fn signed_url_encodes_the_signature_exactly_once() {
        let webhook = Webhook::parse(TOKEN).unwrap();
        let signed = webhook.url(Some(&Secret::new("SEC0123456789abcdef")), 1_700_000_000_002);
        assert_eq!(
            signed.url,
            "https://oapi.dingtalk.com/robot/send?access_token=0123abcd\
             &timestamp=1700000000002&sign=VGvd0brDJp%2FnMZtR%2BXnA3yBIlhowT%2BTwkRPua0q1%2Fjg%3D"
        );
        assert_eq!(
            webhook.url(None, 1).url,
            format!("{DEFAULT_ENDPOINT}?access_token={TOKEN}")
        );
    }

    #[test]
    fn a_pasted_url_gives_endpoint_and_token() {
        let webhook =
            Webhook::parse(" https://oapi.dingtalk.com/robot/send?access_token=0123abcd\n")
                .unwrap();
        assert_eq!(webhook, Webhook::parse(TOKEN).unwrap());
        // A previously signed URL loses its stale timestamp and sign.
        let webhook = Webhook::parse(
            "https://oapi.dingtalk.com/robot/send?timestamp=1&access_token=0123abcd&sign=x#frag",
        )
        .unwrap();
        assert_eq!(webhook, Webhook::parse(TOKEN).unwrap());
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for url in [
            "http://127.0.0.1:8080/robot/send?access_token=t",
            "http://127.9.9.9/robot/send?access_token=t",
            "http://localhost:1/robot/send?access_token=t",
            "http://[::1]:9/robot/send?access_token=t",
            "HTTPS://example.com/hook?access_token=t",
        ] {
            assert!(Webhook::parse(url).is_ok(), "{url}");
        }
        for url in [
            "http://oapi.dingtalk.com/robot/send?access_token=t",
            "http://128.0.0.1/robot/send?access_token=t",
            "http://localhost.evil.com/robot/send?access_token=t",
            "ftp://127.0.0.1/robot/send?access_token=t",
        ] {
            assert_eq!(Webhook::parse(url), Err(WebhookError::Scheme), "{url}");
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        assert_eq!(Webhook::parse("  "), Err(WebhookError::Empty));
        assert_eq!(
            Webhook::parse("https://oapi.dingtalk.com/robot/send"),
            Err(WebhookError::NoToken)
        );
        assert_eq!(
            Webhook::parse("https://oapi.dingtalk.com/robot/send?access_token="),
            Err(WebhookError::NoToken)
        );
        assert_eq!(
            Webhook::parse("https://u:p@oapi.dingtalk.com/robot/send?access_token=t"),
            Err(WebhookError::Credentials)
        );
        assert_eq!(Webhook::parse("https://"), Err(WebhookError::NoHost));
        assert_eq!(
            Webhook::parse("access_token=abc"),
            Err(WebhookError::MalformedToken)
        );
        assert_eq!(Webhook::parse("abc def"), Err(WebhookError::MalformedToken));
    }

    #[test]
    fn fingerprints_tell_webhooks_apart_without_the_token() {
        let a = Webhook::parse(TOKEN).unwrap();
        let b = Webhook::parse("https://example.com/robot/send?access_token=0123abcd").unwrap();
        assert_eq!(a.fingerprint().len(), 32);
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert!(!a.fingerprint().contains(TOKEN));
        assert_eq!(
            a.redacted(),
            "https://oapi.dingtalk.com/robot/send?access_token=***"
        );
    }

    #[test]
    fn debug_output_hides_token_and_secret() {
        let shown = format!(
            "{:?} {:?}",
            Webhook::parse(TOKEN).unwrap(),
            Secret::new("SECxyz")
        );
        assert!(
            !shown.contains(TOKEN) && !shown.contains("SECxyz"),
            "{shown}"
        );
    }
}
