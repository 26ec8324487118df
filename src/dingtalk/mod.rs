//! The DingTalk custom-robot webhook: payloads, signing, sending, and errcode hints.

mod client;
pub mod errcode;
mod message;
mod resolver;
mod webhook;

use serde::Serialize;

pub use client::{HttpSender, SendError};
pub use message::{
    ActionCardBody, At, Button, Buttons, FeedCardBody, FeedLink, LinkBody, MarkdownBody, Message,
    TextBody,
};
pub use webhook::{Secret, Webhook, WebhookError};

/// Whether DingTalk can have received a message: what a model needs to decide whether to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// DingTalk accepted it (errcode 0).
    Yes,
    /// It certainly did not arrive: resending cannot double-post.
    No,
    /// It may have arrived (e.g. a timeout after the request went out): check the group first.
    Unknown,
    /// Some parts of a split message arrived and the rest did not.
    Partial,
}

/// Something that delivers a message body to a group. The server holds one behind this seam
/// so its tests can drive every path without a network.
pub trait Deliver {
    /// POSTs one request body, exactly these bytes, and reports how it went.
    fn deliver(&self, body: &[u8]) -> Result<(), SendError>;
}
