//! From what a tool was asked to send to the exact bodies that will be POSTed: a security
//! keyword and mention markers added, markdown checked, long text and markdown split into
//! numbered parts under DingTalk's 20,000-byte body limit (`shared/reference/dingtalk.md` §1.6).
//!
//! Sending and `preview_message` both go through [`compose`], so a preview shows the very bytes
//! a send would POST.

mod markdown;
mod mentions;
mod split;

use thiserror::Error;

use crate::dingtalk::{At, MarkdownBody, Message, TextBody};
pub use mentions::Mentions;
use split::SplitError;

/// DingTalk refuses a request body over this many bytes (errcode 460101): UTF-8 bytes of the
/// whole JSON body, envelope, `at` object and escaping included.
pub const MAX_BODY_BYTES: usize = 20_000;
/// A long message is split into at most this many parts.
pub const MAX_PARTS: usize = 10;

/// A message as a tool asked for it, arguments already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Draft {
    /// Plain text with mentions; split when too long.
    Text {
        /// The text.
        text: String,
        /// Who to mention.
        mentions: Mentions,
    },
    /// Markdown with mentions; split when too long.
    Markdown {
        /// The title, numbered per part when split.
        title: String,
        /// The markdown text.
        text: String,
        /// Who to mention.
        mentions: Mentions,
    },
    /// A link, actionCard or feedCard: sent whole or not at all.
    Card(Message),
}

/// What will be POSTed, in order, and what was changed or noticed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The msgtype of every part.
    pub msgtype: &'static str,
    /// The exact request bodies, each at most [`MAX_BODY_BYTES`].
    pub bodies: Vec<Vec<u8>>,
    /// Mention markers appended to the content so the mentions notify.
    pub mentions_added: Vec<String>,
    /// The robot keyword appended because the content had none (DingTalk's keyword security
    /// refuses such a message with errcode 310000).
    pub keyword_added: Option<String>,
    /// Things DingTalk will not render as the model may expect.
    pub warnings: Vec<String>,
}

/// Why a message cannot be sent as asked; the model can fix each by shortening something.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ComposeError {
    /// A card over the limit: cards are never split.
    #[error(
        "the {msgtype} message is {bytes} bytes as JSON, over DingTalk's {MAX_BODY_BYTES}-byte limit for one message (only text and markdown are split into parts); shorten it"
    )]
    CardTooLarge {
        /// The card's msgtype.
        msgtype: &'static str,
        /// Its body size.
        bytes: usize,
    },
    /// Text or markdown that would need more than [`MAX_PARTS`] parts.
    #[error(
        "the message is {bytes} bytes as JSON and would need more than {MAX_PARTS} parts of at most {MAX_BODY_BYTES} bytes; shorten it or send it in several calls"
    )]
    TooManyParts {
        /// The unsplit body size.
        bytes: usize,
    },
    /// The title, mentions and numbering alone fill a part.
    #[error(
        "the title and mentions alone leave no room for text within {MAX_BODY_BYTES} bytes per part; shorten them"
    )]
    NoRoom,
    /// A link, image or `<font>` element larger than a part.
    #[error(
        "a markdown link, image or <font> element is larger than one part ({MAX_BODY_BYTES} bytes) and cannot be split; shorten it"
    )]
    SpanTooLarge,
}

/// Composes the bodies for `draft`, for a robot secured by `keywords` (none: no keyword check).
pub fn compose(draft: Draft, keywords: &[String]) -> Result<Plan, ComposeError> {
    match draft {
        Draft::Card(mut message) => {
            let keyword_added =
                card_keyword(&mut message, |content| missing_keyword(keywords, content)).cloned();
            let body = message.to_body();
            if body.len() > MAX_BODY_BYTES {
                return Err(ComposeError::CardTooLarge {
                    msgtype: message.msgtype(),
                    bytes: body.len(),
                });
            }
            Ok(Plan {
                msgtype: message.msgtype(),
                bodies: vec![body],
                mentions_added: Vec::new(),
                keyword_added,
                warnings: Vec::new(),
            })
        }
        Draft::Text { text, mentions } => {
            split_message(Splittable::Text, &text, &[], mentions, keywords)
        }
        Draft::Markdown {
            title,
            text,
            mentions,
        } => {
            let kind = Splittable::Markdown { title: &title };
            let spans = split::protected_spans(&text);
            let mut plan = split_message(kind, &text, &spans, mentions, keywords)?;
            plan.warnings = markdown::warnings(&text);
            Ok(plan)
        }
    }
}

/// The first keyword, when `content` holds none of them (DingTalk refuses it: errcode 310000).
fn missing_keyword<'k>(keywords: &'k [String], content: &str) -> Option<&'k String> {
    let first = keywords.first()?;
    (!keywords.iter().any(|k| content.contains(k.as_str()))).then_some(first)
}

/// A message that may be split, and where its numbering, markers and keyword go.
#[derive(Debug, Clone, Copy)]
enum Splittable<'a> {
    /// Numbered in the content (`(i/n)` on a line of its own); markers and keyword follow a
    /// line break.
    Text,
    /// Numbered in the title (`title (i/n)`); markers and keyword follow a blank line.
    Markdown {
        /// The title of every part.
        title: &'a str,
    },
}

impl Splittable<'_> {
    fn msgtype(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Markdown { .. } => "markdown",
        }
    }

    fn separator(self) -> &'static str {
        match self {
            Self::Text => "\n",
            Self::Markdown { .. } => "\n\n",
        }
    }

    /// What DingTalk searches for the keyword: a markdown message's title counts too.
    fn keyword_scope(self, piece: &str) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Text => piece.into(),
            Self::Markdown { title } => format!("{title}\n{piece}").into(),
        }
    }

    /// The body of the whole message (`numbering` none) or of part `i` of `n`.
    fn body(self, numbering: Option<(usize, usize)>, content: String, at: At) -> Vec<u8> {
        let message = match self {
            Self::Text => Message::Text {
                text: TextBody {
                    content: match numbering {
                        Some((i, n)) => format!("({i}/{n})\n{content}"),
                        None => content,
                    },
                },
                at,
            },
            Self::Markdown { title } => Message::Markdown {
                markdown: MarkdownBody {
                    title: match numbering {
                        Some((i, n)) => format!("{title} ({i}/{n})"),
                        None => title.to_owned(),
                    },
                    text: content,
                },
                at,
            },
        };
        message.to_body()
    }
}

/// Text or markdown, split into numbered parts when too long. Each part is its own message to
/// DingTalk, so each gets the keyword it lacks; only the last carries the mention markers and
/// the `at` object, so people are notified once.
fn split_message(
    kind: Splittable<'_>,
    text: &str,
    protected: &[std::ops::Range<usize>],
    mentions: Mentions,
    keywords: &[String],
) -> Result<Plan, ComposeError> {
    let added = mentions.missing_markers(text);
    let separator = kind.separator();
    let suffix = marker_suffix(separator, &added);
    let at = at_of(mentions);
    let added_keyword = std::cell::Cell::new(None);
    let part = |piece: &str, numbering: Option<(usize, usize)>| {
        let mut content = piece.to_owned();
        if let Some(k) = missing_keyword(keywords, &kind.keyword_scope(piece)) {
            added_keyword.set(Some(k));
            content = format!("{content}{separator}{k}");
        }
        if numbering.is_none_or(|(i, n)| i == n) {
            content.push_str(&suffix);
            kind.body(numbering, content, at.clone())
        } else {
            kind.body(numbering, content, At::default())
        }
    };
    let reserve = keywords
        .first()
        .map(|k| format!("{separator}{k}"))
        .unwrap_or_default();
    // The largest numbering, keyword, suffix and `at`, for every part.
    let envelope = || {
        let numbering = Some((MAX_PARTS, MAX_PARTS));
        kind.body(numbering, format!("{reserve}{suffix}"), at.clone())
    };
    let bodies = split_into_bodies(text, protected, part, envelope)?;
    Ok(Plan {
        msgtype: kind.msgtype(),
        bodies,
        mentions_added: added,
        keyword_added: added_keyword.get().cloned(),
        warnings: Vec::new(),
    })
}

/// Appends the keyword to a card lacking one: to the text of a link or actionCard (whose title
/// and text are checked), to the first item's title of a feedCard (whose titles are checked).
fn card_keyword<'k>(
    message: &mut Message,
    keyword: impl Fn(&str) -> Option<&'k String>,
) -> Option<&'k String> {
    match message {
        Message::Link { link } => {
            let k = keyword(&format!("{}\n{}", link.title, link.text))?;
            link.text = format!("{} {k}", link.text);
            Some(k)
        }
        Message::ActionCard { action_card } => {
            let k = keyword(&format!("{}\n{}", action_card.title, action_card.text))?;
            action_card.text = format!("{}\n\n{k}", action_card.text);
            Some(k)
        }
        Message::FeedCard { feed_card } => {
            let titles: Vec<&str> = feed_card.links.iter().map(|l| l.title.as_str()).collect();
            let k = keyword(&titles.join("\n"))?;
            let first = feed_card.links.first_mut()?;
            first.title = format!("{} {k}", first.title);
            Some(k)
        }
        Message::Text { .. } | Message::Markdown { .. } => None,
    }
}

/// One body when `text` fits, else numbered parts. `body(piece, Some((i, n)))` builds part `i`
/// of `n`; `envelope()` is the largest body with an empty piece, so the room left for text is
/// `MAX_BODY_BYTES - envelope().len()` in every part (JSON escaping is per character, so a
/// body's size is the envelope's plus the piece's escaped size).
fn split_into_bodies(
    text: &str,
    protected: &[std::ops::Range<usize>],
    body: impl Fn(&str, Option<(usize, usize)>) -> Vec<u8>,
    envelope: impl Fn() -> Vec<u8>,
) -> Result<Vec<Vec<u8>>, ComposeError> {
    let whole = body(text, None);
    if whole.len() <= MAX_BODY_BYTES {
        return Ok(vec![whole]);
    }
    let budget = MAX_BODY_BYTES
        .checked_sub(envelope().len())
        .filter(|&room| room > 0)
        .ok_or(ComposeError::NoRoom)?;
    let pieces = split::split(text, budget, MAX_PARTS, protected).map_err(|e| match e {
        SplitError::TooManyPieces => ComposeError::TooManyParts { bytes: whole.len() },
        SplitError::SpanTooLarge => ComposeError::SpanTooLarge,
    })?;
    let n = pieces.len();
    Ok(pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| body(piece, Some((i + 1, n))))
        .collect())
}

fn marker_suffix(separator: &str, markers: &[String]) -> String {
    if markers.is_empty() {
        String::new()
    } else {
        format!("{separator}{}", markers.join(" "))
    }
}

fn at_of(mentions: Mentions) -> At {
    At {
        at_mobiles: mentions.mobiles,
        at_user_ids: mentions.user_ids,
        is_at_all: mentions.all,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn compose_plain(draft: Draft) -> Result<Plan, ComposeError> {
        compose(draft, &[])
    }

    fn mention(mobile: &str) -> Mentions {
        Mentions {
            mobiles: vec![mobile.to_owned()],
            ..Mentions::default()
        }
    }

    fn json(body: &[u8]) -> Value {
        serde_json::from_slice(body).unwrap()
    }

    #[test]
    fn a_short_message_is_one_body_with_missing_markers_added() {
        let plan = compose_plain(Draft::Text {
            text: "deploy done".into(),
            mentions: mention("13800000000"),
        })
        .unwrap();
        assert_eq!(plan.mentions_added, ["@13800000000"]);
        assert_eq!(
            String::from_utf8(plan.bodies[0].clone()).unwrap(),
            r#"{"msgtype":"text","text":{"content":"deploy done\n@13800000000"},"at":{"atMobiles":["13800000000"],"isAtAll":false}}"#
        );
    }

    /// Chinese text around every boundary: each part fits, the parts reassemble, mentions go
    /// on the last part only.
    #[test]
    fn long_chinese_text_splits_into_numbered_parts_that_reassemble() {
        let paragraph = "钉钉机器人消息测试，".repeat(150); // 4,500 bytes
        let text = vec![paragraph; 10].join("\n\n");
        let plan = compose_plain(Draft::Text {
            text: text.clone(),
            mentions: mention("13800000000"),
        })
        .unwrap();
        let n = plan.bodies.len();
        assert!((3..=MAX_PARTS).contains(&n), "{n} parts");
        let mut rebuilt = String::new();
        for (i, body) in plan.bodies.iter().enumerate() {
            assert!(
                body.len() <= MAX_BODY_BYTES,
                "part {i} is {} bytes",
                body.len()
            );
            let content = json(body)["text"]["content"].as_str().unwrap().to_owned();
            let numbered = content.strip_prefix(&format!("({}/{n})\n", i + 1)).unwrap();
            if i + 1 == n {
                rebuilt.push_str(numbered.strip_suffix("\n@13800000000").unwrap());
                assert_eq!(json(body)["at"]["atMobiles"][0], "13800000000");
            } else {
                rebuilt.push_str(numbered);
                assert!(!numbered.contains('@'));
                assert_eq!(json(body)["at"], serde_json::json!({"isAtAll": false}));
            }
        }
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn long_markdown_keeps_links_whole_and_numbers_titles() {
        let line = "- 第一项 [详情](https://example.com/a/b?c=d) <font color=#FF0000>红色</font>\n";
        let text = line.repeat(400);
        let plan = compose_plain(Draft::Markdown {
            title: "日报".into(),
            text: text.clone(),
            mentions: Mentions {
                all: true,
                ..Mentions::default()
            },
        })
        .unwrap();
        let n = plan.bodies.len();
        assert!(n >= 2);
        let mut rebuilt = String::new();
        for (i, body) in plan.bodies.iter().enumerate() {
            assert!(body.len() <= MAX_BODY_BYTES);
            let value = json(body);
            assert_eq!(value["markdown"]["title"], format!("日报 ({}/{n})", i + 1));
            assert_eq!(value["at"]["isAtAll"], i + 1 == n, "@all rings once");
            let piece = value["markdown"]["text"].as_str().unwrap();
            assert_eq!(
                split::protected_spans(piece).len(),
                2 * piece.matches("- 第一项").count()
            );
            rebuilt.push_str(piece);
        }
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn escaping_counts_toward_the_limit() {
        // Quotes and newlines take 2 bytes each on the wire.
        let text = "\"\n".repeat(6_000);
        let plan = compose_plain(Draft::Text {
            text,
            mentions: Mentions::default(),
        })
        .unwrap();
        assert_eq!(plan.bodies.len(), 2);
        assert!(plan.bodies.iter().all(|b| b.len() <= MAX_BODY_BYTES));
    }

    #[test]
    fn oversize_messages_are_refused_with_their_size() {
        let too_long = compose_plain(Draft::Text {
            text: "x".repeat(250_000),
            mentions: Mentions::default(),
        });
        assert!(matches!(too_long, Err(ComposeError::TooManyParts { bytes }) if bytes > 250_000));
        let card = Message::Link {
            link: crate::dingtalk::LinkBody {
                title: "t".into(),
                text: "x".repeat(MAX_BODY_BYTES),
                message_url: "https://x.example".into(),
                pic_url: None,
            },
        };
        let error = compose_plain(Draft::Card(card)).unwrap_err();
        assert!(error.to_string().contains("20000-byte limit"), "{error}");
    }

    #[test]
    fn a_keyword_is_added_where_missing_in_every_part_and_every_type() {
        let keywords = ["告警".to_owned(), "deploy".to_owned()];
        let plan = compose(
            Draft::Text {
                text: "deploy done".into(),
                mentions: Mentions::default(),
            },
            &keywords,
        )
        .unwrap();
        assert_eq!(plan.keyword_added, None, "the text has one");
        let plan = compose(
            Draft::Text {
                text: "all good".into(),
                mentions: mention("13800000000"),
            },
            &keywords,
        )
        .unwrap();
        assert_eq!(plan.keyword_added.as_deref(), Some("告警"));
        assert_eq!(
            json(&plan.bodies[0])["text"]["content"],
            "all good\n告警\n@13800000000"
        );
        // A markdown title is part of what the keyword check reads, as a card's title is.
        let plan = compose(
            Draft::Markdown {
                title: "deploy".into(),
                text: "all good".into(),
                mentions: Mentions::default(),
            },
            &keywords,
        )
        .unwrap();
        assert_eq!(plan.keyword_added, None, "the title has one");
        assert_eq!(json(&plan.bodies[0])["markdown"]["text"], "all good");
        // A long message: every part is a message of its own and gets the keyword.
        let plan = compose(
            Draft::Markdown {
                title: "t".into(),
                text: "服务正常。\n".repeat(6_000),
                mentions: Mentions::default(),
            },
            &keywords,
        )
        .unwrap();
        assert!(plan.bodies.len() > 1);
        for body in &plan.bodies {
            assert!(body.len() <= MAX_BODY_BYTES);
            assert!(
                json(body)["markdown"]["text"]
                    .as_str()
                    .unwrap()
                    .ends_with("\n\n告警")
            );
        }
        let card = Message::FeedCard {
            feed_card: crate::dingtalk::FeedCardBody {
                links: vec![crate::dingtalk::FeedLink {
                    title: "A".into(),
                    message_url: "https://x.example".into(),
                    pic_url: "https://x.example/p.png".into(),
                }],
            },
        };
        let plan = compose(Draft::Card(card), &keywords).unwrap();
        assert_eq!(
            json(&plan.bodies[0])["feedCard"]["links"][0]["title"],
            "A 告警"
        );
    }

    #[test]
    fn markdown_warnings_reach_the_plan() {
        let plan = compose_plain(Draft::Markdown {
            title: "t".into(),
            text: "| a | b |\n|---|---|".into(),
            mentions: Mentions::default(),
        })
        .unwrap();
        assert_eq!(plan.warnings.len(), 1);
    }
}
