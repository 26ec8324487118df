//! Robot message payloads, serialized exactly as DingTalk expects them (its field names, its
//! casing; `shared/reference/dingtalk.md` §1.2).

use serde::Serialize;

/// One message as POSTed to the webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "msgtype", rename_all = "camelCase")]
pub enum Message {
    /// `msgtype: text`.
    Text {
        /// `text.content`.
        text: TextBody,
        /// Who to mention.
        at: At,
    },
    /// `msgtype: markdown`.
    Markdown {
        /// `markdown.title` and `markdown.text`.
        markdown: MarkdownBody,
        /// Who to mention.
        at: At,
    },
}

impl Message {
    /// The `msgtype` value, for results and logs.
    pub fn msgtype(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Markdown { .. } => "markdown",
        }
    }

    /// The exact bytes POSTed: DingTalk's 20,000-byte limit is measured on these.
    pub fn to_body(&self) -> Vec<u8> {
        // Serializing plain structs of strings, vectors and booleans cannot fail.
        serde_json::to_vec(self).unwrap_or_else(|_| unreachable!("payloads always serialize"))
    }
}

/// The body of a text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextBody {
    /// The message text.
    pub content: String,
}

/// The body of a markdown message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarkdownBody {
    /// Shown in the conversation list and the notification, not in the message.
    pub title: String,
    /// The markdown text.
    pub text: String,
}

/// The `at` object. DingTalk notifies a mentioned person only when `@<mobile>`/`@<userId>` is
/// also in the content (§1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct At {
    /// Mobile numbers to mention.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub at_mobiles: Vec<String>,
    /// DingTalk user ids to mention.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub at_user_ids: Vec<String>,
    /// Mention everyone in the group.
    pub is_at_all: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_payload_is_byte_exact() {
        let message = Message::Text {
            text: TextBody {
                content: "部署完成 \"ok\"".into(),
            },
            at: At {
                at_mobiles: vec!["13800000000".into()],
                at_user_ids: vec!["user1".into()],
                is_at_all: false,
            },
        };
        assert_eq!(
            String::from_utf8(message.to_body()).unwrap(),
            r#"{"msgtype":"text","text":{"content":"部署完成 \"ok\""},"at":{"atMobiles":["13800000000"],"atUserIds":["user1"],"isAtAll":false}}"#
        );
    }

    #[test]
    fn markdown_payload_is_byte_exact() {
        let message = Message::Markdown {
            markdown: MarkdownBody {
                title: "Deploy".into(),
                text: "# Done\n- a".into(),
            },
            at: At {
                is_at_all: true,
                ..At::default()
            },
        };
        assert_eq!(message.msgtype(), "markdown");
        assert_eq!(
            String::from_utf8(message.to_body()).unwrap(),
            r##"{"msgtype":"markdown","markdown":{"title":"Deploy","text":"# Done\n- a"},"at":{"isAtAll":true}}"##
        );
    }
}
