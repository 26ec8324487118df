//! Every message type through the real binary to the fake (which checks DingTalk's field names
//! and casing): exact payloads, preview ≡ send, mentions, long messages split and sent in
//! order, partial failures, and argument errors for bad URLs, mobiles and combinations.

mod common;

use common::fake::{Fake, Reply};
use common::{Process, SECRET, TOKEN, result_text};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn server(fake: &Fake) -> Process {
    let mut server = Process::for_fake(fake, Some(SECRET));
    server.initialize("2025-11-25");
    server
}

fn facts(result: &Value) -> &Value {
    &result["structuredContent"]
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One call per send tool and the exact body DingTalk must receive.
fn exact_payloads() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "send_text_message",
            json!({"text": "发布完成 @13800000000", "atMobiles": ["13800000000", "+852-12345678"], "atUserIds": ["manager01"]}),
            r#"{"msgtype":"text","text":{"content":"发布完成 @13800000000\n@+852-12345678 @manager01"},"at":{"atMobiles":["13800000000","+852-12345678"],"atUserIds":["manager01"],"isAtAll":false}}"#,
        ),
        (
            "send_markdown_message",
            json!({"title": "日报", "text": "# 日报\n\n- **完成** [详情](https://example.com/r?id=1)", "atAll": true}),
            r##"{"msgtype":"markdown","markdown":{"title":"日报","text":"# 日报\n\n- **完成** [详情](https://example.com/r?id=1)"},"at":{"isAtAll":true}}"##,
        ),
        (
            "send_link_message",
            json!({"title": "Release 1.2", "text": "Notes", "messageUrl": "https://example.com/1.2", "picUrl": "https://example.com/p.png"}),
            r#"{"msgtype":"link","link":{"title":"Release 1.2","text":"Notes","messageUrl":"https://example.com/1.2","picUrl":"https://example.com/p.png"}}"#,
        ),
        (
            "send_link_message",
            json!({"title": "No picture", "text": "x", "messageUrl": "dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fexample.com&pc_slide=true"}),
            r#"{"msgtype":"link","link":{"title":"No picture","text":"x","messageUrl":"dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fexample.com&pc_slide=true"}}"#,
        ),
        (
            "send_action_card_message",
            json!({"title": "Approve?", "text": "**Deploy 1.2**", "singleTitle": "Open", "singleUrl": "https://example.com/d"}),
            r#"{"msgtype":"actionCard","actionCard":{"title":"Approve?","text":"**Deploy 1.2**","singleTitle":"Open","singleURL":"https://example.com/d","btnOrientation":"0"}}"#,
        ),
        (
            "send_action_card_message",
            json!({"title": "Vote", "text": "Pick one", "buttons": [{"title": "Yes", "actionUrl": "https://example.com/y"}, {"title": "No", "actionUrl": "https://example.com/n"}], "buttonsHorizontal": true}),
            r#"{"msgtype":"actionCard","actionCard":{"title":"Vote","text":"Pick one","btns":[{"title":"Yes","actionURL":"https://example.com/y"},{"title":"No","actionURL":"https://example.com/n"}],"btnOrientation":"1"}}"#,
        ),
        (
            "send_feed_card_message",
            json!({"links": [{"title": "A", "messageUrl": "https://example.com/a", "picUrl": "https://example.com/a.png"}, {"title": "B", "messageUrl": "https://example.com/b", "picUrl": "https://example.com/b.png"}]}),
            r#"{"msgtype":"feedCard","feedCard":{"links":[{"title":"A","messageURL":"https://example.com/a","picURL":"https://example.com/a.png"},{"title":"B","messageURL":"https://example.com/b","picURL":"https://example.com/b.png"}]}}"#,
        ),
    ]
}

#[test]
fn every_tool_posts_its_exact_payload_and_the_preview_shows_the_same_bytes() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = server(&fake);
    let mut id = 0;
    for (tool, arguments, expected) in exact_payloads() {
        id += 1;
        let preview = server.call(
            id,
            "preview_message",
            json!({"tool": tool, "arguments": arguments}),
        );
        assert_eq!(preview["isError"], false, "{tool}: {preview}");
        assert_eq!(facts(&preview)["preview"], true);
        assert_eq!(facts(&preview)["delivered"], "no");
        assert_eq!(
            facts(&preview)["bodies"],
            json!([expected]),
            "{tool} preview"
        );
        assert_eq!(
            preview["content"][2]["text"], expected,
            "{tool}: the body as its own block"
        );
        assert_eq!(
            facts(&preview)["bodySha256"],
            json!([hex_sha256(expected.as_bytes())])
        );
        let before = fake.requests().len();
        assert_eq!(before, (id as usize - 1) / 2, "a preview sends nothing");

        id += 1;
        let sent = server.call(id, tool, arguments.clone());
        assert_eq!(sent["isError"], false, "{tool}: {sent}");
        let requests = fake.requests();
        let body = String::from_utf8(requests[before].body.clone()).unwrap();
        assert_eq!(body, expected, "{tool}: byte for byte");
        assert_eq!(facts(&sent)["bodyBytes"], json!([expected.len()]));
    }
    server.finish(Some(&fake));
}

#[test]
fn long_markdown_is_split_into_numbered_parts_sent_in_order() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = server(&fake);
    let line = "- 服务 [状态页](https://status.example.com/svc?id=42) <font color=#FF0000>告警</font> 已恢复\n";
    let text = line.repeat(700); // about 70 KB
    let arguments = json!({"title": "巡检", "text": text, "atMobiles": ["13800000000"]});
    let preview = server.call(
        1,
        "preview_message",
        json!({"tool": "send_markdown_message", "arguments": arguments}),
    );
    let result = server.call(2, "send_markdown_message", arguments);
    assert_eq!(result["isError"], false, "{result}");
    let parts = facts(&result)["parts"].as_u64().unwrap() as usize;
    assert!((4..=10).contains(&parts), "{parts} parts");
    assert!(result_text(&result).contains(&format!("delivered in {parts} numbered parts")));
    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        parts,
        "every part reached the fake, none refused as too long"
    );
    let mut rebuilt = String::new();
    for (i, request) in requests.iter().enumerate() {
        assert!(request.body.len() <= 20_000);
        let body = request.json();
        assert_eq!(
            body["markdown"]["title"],
            format!("巡检 ({}/{parts})", i + 1)
        );
        rebuilt.push_str(body["markdown"]["text"].as_str().unwrap());
        let last = i + 1 == parts;
        assert_eq!(
            body["at"].get("atMobiles").is_some(),
            last,
            "mentions on the last part only"
        );
    }
    assert_eq!(rebuilt, format!("{text}\n\n@13800000000"));
    // The preview described the same bodies: same sizes, same hashes (shortened to fit a line).
    let shown = facts(&preview);
    assert_eq!(shown["bodiesShortened"], true);
    let hashes: Vec<String> = requests.iter().map(|r| hex_sha256(&r.body)).collect();
    assert_eq!(shown["bodySha256"], json!(hashes));
    assert_eq!(shown["bodyBytes"], facts(&result)["bodyBytes"]);
    server.finish(Some(&fake));
}

#[test]
fn a_failing_part_says_which_parts_arrived() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    fake.script([
        Reply::Errcode(0, "ok"),
        Reply::Errcode(130101, "send too fast, exceed 20 times per minute"),
    ]);
    let mut server = server(&fake);
    let text = "第一段内容。\n".repeat(2_700); // 54,000 escaped bytes: 3 parts
    let result = server.call(1, "send_text_message", json!({"text": text}));
    assert_eq!(result["isError"], true);
    let facts = facts(&result);
    assert_eq!(facts["parts"], 3);
    assert_eq!(facts["partsSent"], 1);
    assert_eq!(facts["delivered"], "partial");
    assert_eq!(facts["errcode"], 130101);
    assert!(
        result_text(&result)
            .contains("Part 1 of 3 arrived; part 2 of 3 failed; part 3 was not sent."),
        "{result}"
    );
    assert_eq!(fake.requests().len(), 2, "part 3 was never sent");
    server.finish(Some(&fake));
}

#[test]
fn markdown_tables_and_code_are_sent_with_a_warning() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = server(&fake);
    let result = server.call(
        1,
        "send_markdown_message",
        json!({"title": "t", "text": "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n```\ncode\n```"}),
    );
    assert_eq!(result["isError"], false);
    let warnings = facts(&result)["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(result_text(&result).contains("Warning: DingTalk does not render"));
    assert_eq!(fake.requests().len(), 1);
    server.finish(Some(&fake));
}

#[test]
fn invalid_links_mobiles_and_combinations_are_argument_errors() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = server(&fake);
    let six_buttons = vec![json!({"title": "b", "actionUrl": "https://b.example"}); 6];
    let cases = [
        (
            "send_link_message",
            json!({"title": "t", "text": "x", "messageUrl": "javascript:alert(1)"}),
            "argument `messageUrl` must be an http://, https:// or dingtalk:// URL",
        ),
        (
            "send_link_message",
            json!({"title": "t", "text": "x", "messageUrl": ""}),
            "argument `messageUrl` must be",
        ),
        (
            "send_link_message",
            json!({"title": "t", "text": "x", "messageUrl": "https://a.example", "picUrl": "/p.png"}),
            "argument `picUrl` must be",
        ),
        (
            "send_feed_card_message",
            json!({"links": [{"title": "A", "messageUrl": "https://a.example", "picUrl": "data:image/png;base64,x"}]}),
            "argument `links[0].picUrl` must be",
        ),
        (
            "send_feed_card_message",
            json!({"links": []}),
            "argument `links` must be an array of 1 to 10 objects",
        ),
        (
            "send_action_card_message",
            json!({"title": "t", "text": "x"}),
            "needs either singleTitle + singleUrl (one button) or buttons",
        ),
        (
            "send_action_card_message",
            json!({"title": "t", "text": "x", "singleTitle": "Go"}),
            "singleTitle and singleUrl go together",
        ),
        (
            "send_action_card_message",
            json!({"title": "t", "text": "x", "singleTitle": "Go", "singleUrl": "https://a.example", "buttons": [{"title": "b", "actionUrl": "https://b.example"}]}),
            "not both",
        ),
        (
            "send_action_card_message",
            json!({"title": "t", "text": "x", "buttons": six_buttons}),
            "argument `buttons` must be an array of 1 to 5 objects",
        ),
        (
            "send_text_message",
            json!({"text": "x", "atMobiles": ["+85212345678"]}),
            "argument `atMobiles[0]` must be an array of mobile numbers",
        ),
        (
            "send_text_message",
            json!({"text": "x", "atUserIds": ["two words"]}),
            "argument `atUserIds[0]`",
        ),
        (
            "send_link_message",
            json!({"title": "t", "text": "x".repeat(25_000), "messageUrl": "https://a.example"}),
            "over DingTalk's 20000-byte limit for one message",
        ),
        (
            "preview_message",
            json!({"tool": "send_sms", "arguments": {}}),
            "argument `tool` must be one of: send_text_message",
        ),
        (
            "preview_message",
            json!({"tool": "send_text_message", "arguments": {"txt": "x"}}),
            "unknown argument `arguments.txt`",
        ),
        (
            "preview_message",
            json!({"tool": "send_text_message", "arguments": {"text": 1}}),
            "argument `arguments.text` must be a non-empty string",
        ),
    ];
    for (i, (tool, arguments, words)) in cases.iter().enumerate() {
        let result = server.call(i as i64 + 1, tool, arguments.clone());
        assert_eq!(result["isError"], true, "{tool} {arguments}");
        assert_eq!(facts(&result)["errorKind"], "arguments");
        assert!(
            result_text(&result).contains(words),
            "{tool}: {}\nwanted {words}",
            result_text(&result)
        );
    }
    assert!(fake.requests().is_empty(), "nothing reaches DingTalk");
    server.finish(Some(&fake));
}

#[test]
fn a_message_too_long_for_ten_parts_is_refused_with_its_size() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = server(&fake);
    let result = server.call(1, "send_text_message", json!({"text": "钉".repeat(80_000)}));
    assert_eq!(result["isError"], true);
    let text = result_text(&result);
    assert!(
        text.contains("would need more than 10 parts") && text.contains("240"),
        "{text}"
    );
    assert!(fake.requests().is_empty());
    server.finish(Some(&fake));
}
