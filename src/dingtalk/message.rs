//! Robot message payloads, serialized exactly as DingTalk expects them (its field names, its
//! casing; `shared/reference/dingtalk.md` §1.2). The casing is DingTalk's own and inconsistent:
//! `link.messageUrl`/`picUrl`, but `feedCard.links[].messageURL`/`picURL`, `singleURL` and
//! `btns[].actionURL`.

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
    /// `msgtype: link`: a card that opens a URL.
    Link {
        /// The card.
        link: LinkBody,
    },
    /// `msgtype: actionCard`: markdown with one or several buttons.
    #[serde(rename = "actionCard")]
    ActionCard {
        /// The card.
        #[serde(rename = "actionCard")]
        action_card: ActionCardBody,
    },
    /// `msgtype: feedCard`: a list of linked items.
    #[serde(rename = "feedCard")]
    FeedCard {
        /// The items.
        #[serde(rename = "feedCard")]
        feed_card: FeedCardBody,
    },
}

impl Message {
    /// The `msgtype` value, for results and logs.
    pub fn msgtype(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Markdown { .. } => "markdown",
            Self::Link { .. } => "link",
            Self::ActionCard { .. } => "actionCard",
            Self::FeedCard { .. } => "feedCard",
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

/// The body of a link message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    /// The card's title.
    pub title: String,
    /// The card's text (DingTalk shortens long text with an ellipsis).
    pub text: String,
    /// Opened when the card is clicked.
    pub message_url: String,
    /// The card's picture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pic_url: Option<String>,
}

/// The body of an actionCard message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionCardBody {
    /// Shown in the chat list and the notification.
    pub title: String,
    /// The card's markdown text.
    pub text: String,
    /// One button for the whole card, or independent buttons.
    #[serde(flatten)]
    pub buttons: Buttons,
    /// `"0"` stacks buttons vertically, `"1"` lays them out horizontally.
    pub btn_orientation: &'static str,
}

/// An actionCard's buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Buttons {
    /// "整体跳转": one button.
    Single {
        /// The button's label.
        #[serde(rename = "singleTitle")]
        title: String,
        /// Opened by the button.
        #[serde(rename = "singleURL")]
        url: String,
    },
    /// "独立跳转": 1–5 buttons, each with its own URL.
    Several {
        /// The buttons.
        btns: Vec<Button>,
    },
}

/// One button of an actionCard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    /// The button's label.
    pub title: String,
    /// Opened by the button.
    #[serde(rename = "actionURL")]
    pub action_url: String,
}

/// The body of a feedCard message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedCardBody {
    /// 1–10 items.
    pub links: Vec<FeedLink>,
}

/// One item of a feedCard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedLink {
    /// The item's title.
    pub title: String,
    /// Opened when the item is clicked.
    #[serde(rename = "messageURL")]
    pub message_url: String,
    /// The item's picture.
    #[serde(rename = "picURL")]
    pub pic_url: String,
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
    fn link_action_card_and_feed_card_payloads_use_dingtalks_casing() {
        let link = Message::Link {
            link: LinkBody {
                title: "T".into(),
                text: "x".into(),
                message_url: "https://a.example/1".into(),
                pic_url: Some("https://a.example/p.png".into()),
            },
        };
        assert_eq!(
            String::from_utf8(link.to_body()).unwrap(),
            r#"{"msgtype":"link","link":{"title":"T","text":"x","messageUrl":"https://a.example/1","picUrl":"https://a.example/p.png"}}"#
        );
        let single = Message::ActionCard {
            action_card: ActionCardBody {
                title: "T".into(),
                text: "**x**".into(),
                buttons: Buttons::Single {
                    title: "Open".into(),
                    url: "https://a.example".into(),
                },
                btn_orientation: "0",
            },
        };
        assert_eq!(
            String::from_utf8(single.to_body()).unwrap(),
            r#"{"msgtype":"actionCard","actionCard":{"title":"T","text":"**x**","singleTitle":"Open","singleURL":"https://a.example","btnOrientation":"0"}}"#
        );
        let several = Message::ActionCard {
            action_card: ActionCardBody {
                title: "T".into(),
                text: "x".into(),
                buttons: Buttons::Several {
                    btns: vec![Button {
                        title: "Yes".into(),
                        action_url: "dingtalk://dingtalkclient/page/link?url=x".into(),
                    }],
                },
                btn_orientation: "1",
            },
        };
        assert_eq!(
            String::from_utf8(several.to_body()).unwrap(),
            r#"{"msgtype":"actionCard","actionCard":{"title":"T","text":"x","btns":[{"title":"Yes","actionURL":"dingtalk://dingtalkclient/page/link?url=x"}],"btnOrientation":"1"}}"#
        );
        let feed = Message::FeedCard {
            feed_card: FeedCardBody {
                links: vec![FeedLink {
                    title: "A".into(),
                    message_url: "https://a.example/a".into(),
                    pic_url: "https://a.example/a.png".into(),
                }],
            },
        };
        assert_eq!(feed.msgtype(), "feedCard");
        assert_eq!(
            String::from_utf8(feed.to_body()).unwrap(),
            r#"{"msgtype":"feedCard","feedCard":{"links":[{"title":"A","messageURL":"https://a.example/a","picURL":"https://a.example/a.png"}]}}"#
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
