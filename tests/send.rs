//! Sending through the real binary to the loopback fake: signing, payloads, DingTalk's errcodes,
//! HTTP and network failures, configuration errors, and argument errors.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::fake::{Fake, Reply};
use common::{Process, SECRET, TOKEN, result_text};
use serde_json::{Value, json};

fn structured(result: &Value) -> &Value {
    &result["structuredContent"]
}

#[test]
fn a_signed_text_message_arrives_exactly_as_dingtalk_expects() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = Process::for_fake(&fake, Some(SECRET));
    server.initialize("2025-11-25");
    let result = server.call(
        1,
        "send_text_message",
        json!({"text": "部署完成 @13800000000", "atMobiles": ["13800000000"], "atUserIds": ["u1"], "atAll": false}),
    );
    assert_eq!(result["isError"], false, "{result}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        String::from_utf8(request.body.clone()).unwrap(),
        r#"{"msgtype":"text","text":{"content":"部署完成 @13800000000\n@u1"},"at":{"atMobiles":["13800000000"],"atUserIds":["u1"],"isAtAll":false}}"#
    );
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(request.headers["user-agent"].starts_with("dingtalk-mcp/"));
    // The fake accepted the signature; it is also encoded exactly once on the wire.
    let raw_sign = request.raw_query.split("sign=").nth(1).unwrap();
    assert!(
        !raw_sign.contains(['+', '/', '=']) && !raw_sign.contains("%25"),
        "{raw_sign}"
    );
    assert_eq!(
        structured(&result),
        &json!({"ok": true, "errcode": 0, "errmsg": "ok", "delivered": "yes", "msgtype": "text",
                "parts": 1, "bodyBytes": [request.body.len()], "mentionsAdded": ["@u1"],
                "robot": "default"})
    );
    assert_eq!(
        result_text(&result),
        format!(
            "Sent: the text message was delivered to the DingTalk group (errcode 0, {}-byte body). \
             Mention markers @u1 were appended so the mentions notify.",
            request.body.len()
        )
    );
    let finished = server.finish(Some(&fake));
    assert!(finished.status.success());
    assert_eq!(finished.stderr, "");
}

#[test]
fn the_original_servers_config_and_calls_work_unchanged() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let url = fake.url();
    let mut server = Process::spawn(&[
        ("DINGTALK_BOT_ACCESS_TOKEN", url.as_str()),
        ("DINGTALK_BOT_SECRET", SECRET),
    ]);
    server.initialize("2024-11-05");
    let text = server.call(
        1,
        "send_text_message",
        json!({"text": "hi", "atMobiles": ["13800000000"], "atAll": true}),
    );
    let markdown = server.call(
        2,
        "send_markdown_message",
        json!({"title": "Deploy", "text": "# Done\n\n- **ok**", "atMobiles": [], "atAll": false}),
    );
    for result in [&text, &markdown] {
        assert_eq!(result["isError"], false, "{result}");
        // 2024-11-05 has no structuredContent: the facts come as a JSON text block instead.
        assert!(result.get("structuredContent").is_none());
        let facts: Value =
            serde_json::from_str(result["content"][1]["text"].as_str().unwrap()).unwrap();
        assert_eq!(facts["ok"], true);
    }
    let bodies: Vec<Value> = fake.requests().iter().map(|r| r.json()).collect();
    assert_eq!(
        bodies[0]["at"],
        json!({"atMobiles": ["13800000000"], "isAtAll": true})
    );
    assert_eq!(
        bodies[1],
        json!({"msgtype": "markdown", "markdown": {"title": "Deploy", "text": "# Done\n\n- **ok**"}, "at": {"isAtAll": false}})
    );
    server.finish(Some(&fake));
}

#[test]
fn an_unsigned_robot_sends_no_timestamp_or_sign_and_reuses_one_connection() {
    let fake = Fake::start(TOKEN, None);
    let mut server = Process::for_fake(&fake, None);
    server.initialize("2025-06-18");
    for id in 1..=3 {
        let result = server.call(id, "send_text_message", json!({"text": format!("n{id}")}));
        assert_eq!(result["isError"], false, "{result}");
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.raw_query, format!("access_token={TOKEN}"));
        assert_eq!(
            request.connection, 0,
            "every send reuses the first connection"
        );
    }
    server.finish(Some(&fake));
}

#[test]
fn a_wrong_secret_is_reported_with_the_variable_to_fix() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = Process::for_fake(&fake, Some("SECnot-the-right-secret-at-all"));
    server.initialize("2025-11-25");
    let result = server.call(1, "send_text_message", json!({"text": "hi"}));
    assert_eq!(result["isError"], true);
    let facts = structured(&result);
    assert_eq!(facts["errcode"], 310000);
    assert_eq!(facts["errmsg"], "sign not match");
    assert_eq!(facts["delivered"], "no");
    assert_eq!(facts["errorKind"], "dingtalk");
    assert!(
        facts["hint"]
            .as_str()
            .unwrap()
            .contains("DINGTALK_BOT_SECRET"),
        "{facts}"
    );
    server.finish(Some(&fake));
}

#[test]
fn dingtalk_errcodes_come_back_as_errors_with_hints() {
    // A throttling code goes last: after it, the robot is in cooldown (tests/limits.rs).
    let cases: [(i64, &'static str, &str); 7] = [
        (310000, "keywords not in content", "keywords"),
        (310000, "ip 10.1.2.3 不在白名单中", "allow-list"),
        (310000, "invalid timestamp", "clock"),
        (
            460101,
            "message too long, exceed 20000 bytes",
            "20,000-byte",
        ),
        (400102, "机器人已停用", "disabled"),
        (430104, "含有不合适的内容", "moderation"),
        (410100, "发送速度太快而限流", "10 minutes"),
    ];
    let fake = Fake::start(TOKEN, None);
    fake.script(
        cases
            .iter()
            .map(|&(code, msg, _)| Reply::Errcode(code, msg)),
    );
    let mut server = Process::for_fake(&fake, None);
    server.initialize("2025-11-25");
    for (i, (code, msg, hint)) in cases.iter().enumerate() {
        let result = server.call(
            i as i64 + 1,
            "send_markdown_message",
            json!({"title": "t", "text": "x"}),
        );
        assert_eq!(result["isError"], true, "{result}");
        let facts = structured(&result);
        assert_eq!(facts["errcode"], *code);
        assert_eq!(facts["errmsg"], *msg);
        assert_eq!(facts["delivered"], "no");
        assert!(
            facts["hint"].as_str().unwrap().contains(hint),
            "{code}: {facts}"
        );
        assert!(result_text(&result).contains(&code.to_string()), "{result}");
    }
    server.finish(Some(&fake));
}

#[test]
fn a_wrong_token_gets_the_token_hint() {
    let fake = Fake::start(TOKEN, None);
    let wrong = fake.url().replace(TOKEN, "0000wrongtoken0000");
    let mut server = Process::spawn(&[("DINGTALK_BOT_ACCESS_TOKEN", wrong.as_str())]);
    server.initialize("2025-11-25");
    let result = server.call(1, "send_text_message", json!({"text": "hi"}));
    let facts = structured(&result);
    assert_eq!(facts["errcode"], 300001);
    assert!(
        facts["hint"]
            .as_str()
            .unwrap()
            .contains("DINGTALK_BOT_ACCESS_TOKEN")
    );
    let finished = server.finish(Some(&fake));
    assert!(
        !finished
            .stdout
            .iter()
            .any(|l| l.contains("0000wrongtoken0000")),
        "the token leaked"
    );
}

#[test]
fn http_errors_and_garbage_are_reported_and_the_server_goes_on() {
    let fake = Fake::start(TOKEN, None);
    fake.script([
        Reply::Status(500, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        Reply::Garbage("this is not json"),
        Reply::Status(503, ""),
    ]);
    let mut server = Process::for_fake(&fake, None);
    server.initialize("2025-11-25");
    let expectations = [
        ("http", "HTTP 500"),
        ("reply", "not a DingTalk answer"),
        ("http", "HTTP 503"),
    ];
    for (i, (kind, words)) in expectations.iter().enumerate() {
        let result = server.call(i as i64 + 1, "send_text_message", json!({"text": "hi"}));
        assert_eq!(result["isError"], true);
        let facts = structured(&result);
        assert_eq!(facts["errorKind"], *kind, "{facts}");
        assert_eq!(facts["delivered"], "unknown");
        assert_eq!(facts["errcode"], -2);
        assert!(result_text(&result).contains(words), "{result}");
    }
    let ok = server.call(9, "send_text_message", json!({"text": "hi"}));
    assert_eq!(ok["isError"], false);
    server.finish(Some(&fake));
}

#[test]
fn a_hanging_webhook_times_out_within_the_limit_and_the_next_call_works() {
    let fake = Fake::start(TOKEN, None);
    fake.script([Reply::Hang]);
    let url = fake.url();
    let mut server = Process::spawn(&[
        ("DINGTALK_BOT_ACCESS_TOKEN", url.as_str()),
        ("DINGTALK_TIMEOUT_SECS", "1"),
    ]);
    server.initialize("2025-11-25");
    let started = Instant::now();
    let result = server.call(1, "send_text_message", json!({"text": "hi"}));
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(2),
        "answered after {elapsed:?}"
    );
    let facts = structured(&result);
    assert_eq!(facts["errorKind"], "timeout", "{facts}");
    assert_eq!(facts["delivered"], "unknown");
    assert!(result_text(&result).contains("within 1s"), "{result}");
    let ok = server.call(2, "send_text_message", json!({"text": "again"}));
    assert_eq!(ok["isError"], false, "{ok}");
    server.finish(Some(&fake));
}

#[test]
fn a_slow_answer_within_the_timeout_is_a_success() {
    let fake = Fake::start(TOKEN, None);
    fake.script([Reply::Slow(Duration::from_millis(300))]);
    let mut server = Process::for_fake(&fake, None);
    server.initialize("2025-11-25");
    let result = server.call(1, "send_text_message", json!({"text": "hi"}));
    assert_eq!(result["isError"], false, "{result}");
    server.finish(Some(&fake));
}

#[test]
fn a_refused_connection_says_nothing_was_sent() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/robot/send?access_token={TOKEN}");
    let mut server = Process::spawn(&[
        ("DINGTALK_BOT_ACCESS_TOKEN", url.as_str()),
        ("DINGTALK_BOT_SECRET", SECRET),
    ]);
    server.initialize("2025-11-25");
    let result = server.call(1, "send_text_message", json!({"text": "hi"}));
    let facts = structured(&result);
    assert_eq!(facts["errorKind"], "connection", "{facts}");
    assert_eq!(facts["delivered"], "no");
    assert!(
        result_text(&result).contains("nothing was sent"),
        "{result}"
    );
    server.finish(None);
}

#[test]
fn missing_configuration_still_serves_and_every_send_names_the_variable() {
    let mut server = Process::spawn(&[]);
    let init = server.initialize("2025-11-25");
    assert_eq!(init["protocolVersion"], "2025-11-25");
    let list = server.request(1, "tools/list", json!({}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 7);
    for id in 2..=3 {
        let result = server.call(id, "send_text_message", json!({"text": "hi"}));
        let facts = structured(&result);
        assert_eq!(facts["errorKind"], "configuration");
        assert_eq!(facts["delivered"], "no");
        assert!(
            result_text(&result).contains("no robot is configured: set DINGTALK_BOT_ACCESS_TOKEN"),
            "{result}"
        );
    }
    let finished = server.finish(None);
    assert!(finished.status.success());
    let warnings: Vec<&str> = finished.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "one warning line: {}", finished.stderr);
    assert!(warnings[0].contains("DINGTALK_BOT_ACCESS_TOKEN"));
}

#[test]
fn invalid_configuration_values_are_named_without_their_values() {
    let plain_http = format!("http://oapi.dingtalk.com/robot/send?access_token={TOKEN}");
    let cases = [
        (
            vec![("DINGTALK_BOT_ACCESS_TOKEN", plain_http.as_str())],
            "https://",
        ),
        (
            vec![
                ("DINGTALK_BOT_ACCESS_TOKEN", TOKEN),
                ("DINGTALK_TIMEOUT_SECS", "soon"),
            ],
            "DINGTALK_TIMEOUT_SECS",
        ),
        (
            vec![(
                "DINGTALK_BOT_ACCESS_TOKEN",
                "https://oapi.dingtalk.com/robot/send",
            )],
            "access_token",
        ),
    ];
    for (env, words) in cases {
        let mut server = Process::spawn(&env);
        server.initialize("2025-11-25");
        let result = server.call(1, "send_text_message", json!({"text": "hi"}));
        assert_eq!(structured(&result)["errorKind"], "configuration");
        assert!(result_text(&result).contains(words), "{result}");
        let finished = server.finish(None);
        assert!(finished.stderr.contains(words), "{}", finished.stderr);
    }
}

#[test]
fn bad_argument_values_are_tool_errors_the_model_can_fix() {
    let fake = Fake::start(TOKEN, None);
    let mut server = Process::for_fake(&fake, None);
    server.initialize("2025-11-25");
    let cases = [
        (
            "send_text_message",
            json!({}),
            "missing required argument `text`",
        ),
        (
            "send_text_message",
            json!({"text": ""}),
            "argument `text` must be a non-empty string, but got an empty string",
        ),
        (
            "send_text_message",
            json!({"text": "x", "atMobiles": "13800000000"}),
            "argument `atMobiles` must be an array",
        ),
        (
            "send_text_message",
            json!({"text": "x", "atAll": "true"}),
            "argument `atAll` must be true or false",
        ),
        (
            "send_text_message",
            json!({"content": "x"}),
            "unknown argument `content`; this tool takes: text, atMobiles, atUserIds, atAll",
        ),
        (
            "send_markdown_message",
            json!({"text": "x"}),
            "missing required argument `title`",
        ),
    ];
    for (i, (tool, arguments, words)) in cases.iter().enumerate() {
        let result = server.call(i as i64 + 1, tool, arguments.clone());
        assert_eq!(result["isError"], true);
        assert_eq!(structured(&result)["errorKind"], "arguments");
        assert!(result_text(&result).contains(words), "{result}");
        assert!(
            result_text(&result).contains(&format!("call {tool} again")),
            "{result}"
        );
    }
    assert!(fake.requests().is_empty(), "nothing reaches DingTalk");
    server.finish(Some(&fake));
}

#[test]
fn secrets_in_a_reply_are_redacted() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let echo: &'static str =
        Box::leak(format!("<html>bad token {TOKEN} secret {SECRET}</html>").into_boxed_str());
    let errmsg: &'static str = Box::leak(format!("token {TOKEN} is not exist").into_boxed_str());
    fake.script([Reply::Status(500, echo), Reply::Errcode(300001, errmsg)]);
    let mut server = Process::for_fake(&fake, Some(SECRET));
    server.initialize("2025-11-25");
    let first = server.call(1, "send_text_message", json!({"text": "hi"}));
    assert!(
        result_text(&first).contains("bad token *** secret ***"),
        "{first}"
    );
    let second = server.call(2, "send_text_message", json!({"text": "hi"}));
    assert_eq!(structured(&second)["errmsg"], "token *** is not exist");
    server.finish(Some(&fake));
}

#[test]
fn no_network_io_happens_before_a_send() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = Process::for_fake(&fake, Some(SECRET));
    server.initialize("2025-11-25");
    server.request(1, "tools/list", json!({}));
    server.request(2, "ping", json!({}));
    server.finish(Some(&fake));
    assert!(fake.requests().is_empty());
}

/// Python hosts read lines with a 64 KiB default limit: no answer may outgrow it, whatever a
/// client or the webhook sends.
#[test]
fn every_answer_line_stays_under_64_kib() {
    const LIMIT: usize = 64 * 1024;
    let huge: &'static str = Box::leak("界".repeat(20_000).into_boxed_str());
    let fake = Fake::start(TOKEN, None);
    fake.script([
        Reply::Errcode(310000, huge),
        Reply::Garbage(huge),
        Reply::Status(500, huge),
    ]);
    let mut server = Process::for_fake(&fake, None);
    server.initialize("2025-11-25");
    for id in 1..=3 {
        server.call(id, "send_text_message", json!({"text": "x"}));
    }
    let name = "n".repeat(1_000_000);
    server.call(4, "send_text_message", json!({ name.clone(): 1 }));
    server.request(5, "tools/call", json!({"name": name, "arguments": {}}));
    server.request(6, &name, json!({}));
    server.call(
        7,
        "send_markdown_message",
        json!({"title": "t", "text": "x".repeat(1_000_000)}),
    );
    // The largest preview: ten full parts of quote-heavy text, each body escaped again.
    let quotes = "\"\\".repeat(45_000);
    let preview = server.call(
        8,
        "preview_message",
        json!({"tool": "send_text_message", "arguments": {"text": quotes}}),
    );
    assert_eq!(preview["structuredContent"]["parts"], 10, "{preview}");
    assert_eq!(preview["structuredContent"]["bodiesShortened"], true);
    let finished = server.finish(Some(&fake));
    assert_eq!(finished.stdout.len(), 9);
    for line in &finished.stdout {
        assert!(
            line.len() < LIMIT,
            "a {}-byte line: {}…",
            line.len(),
            &line[..200]
        );
    }
}
