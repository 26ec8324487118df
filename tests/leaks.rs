//! Nothing leaks: for every fault, every tool, every CLI command, and each configuration form
//! (full URL or bare token, with and without a secret), the token, the secret and every
//! signature appear nowhere on stdout, stderr, in the audit log or in the state files, even
//! when the webhook echoes them back.

mod common;

use std::path::Path;

use common::fake::{Fake, Reply};
use common::{Audited, Network, Process, SECRET, TOKEN, run_once};
use serde_json::{Value, json};

/// One valid call per tool; `n` keeps texts distinct so none is suppressed as a duplicate.
fn every_tool(n: usize) -> Vec<(&'static str, Value)> {
    let link = "https://example.com/x";
    vec![
        (
            "send_text_message",
            json!({"text": format!("t{n}"), "atMobiles": ["13800000000"]}),
        ),
        (
            "send_markdown_message",
            json!({"title": "T", "text": format!("**m{n}**")}),
        ),
        (
            "send_link_message",
            json!({"title": "L", "text": format!("l{n}"), "messageUrl": link}),
        ),
        (
            "send_action_card_message",
            json!({"title": "A", "text": format!("a{n}"), "singleTitle": "Go", "singleUrl": link}),
        ),
        (
            "send_feed_card_message",
            json!({"links": [{"title": format!("f{n}"), "messageUrl": link, "picUrl": link}]}),
        ),
        (
            "preview_message",
            json!({"tool": "send_text_message", "arguments": {"text": format!("p{n}")}}),
        ),
        ("list_robots", json!({})),
    ]
}

/// Every secret and every encoded form of one, for searching.
fn secret_forms(secrets: &[String]) -> Vec<String> {
    let mut forms = Vec::new();
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        forms.push(secret.clone());
        forms.push(
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
    }
    forms
}

fn assert_clean(place: &str, text: &str, secrets: &[String]) {
    for form in secret_forms(secrets) {
        assert!(!text.contains(&form), "a secret leaked into {place}");
    }
}

fn assert_state_clean(state: &Path, secrets: &[String]) {
    for entry in std::fs::read_dir(state).into_iter().flatten() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_clean(&path.display().to_string(), &text, secrets);
    }
}

fn echo(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

#[test]
fn no_fault_and_no_tool_leaks_a_secret_with_a_url_with_or_without_a_secret() {
    for secret in [Some(SECRET), None] {
        // The webhook echoes what the server holds: the token, and the secret when it has one.
        let held = format!("{TOKEN} {}", secret.unwrap_or(""));
        let faults = [
            Reply::Errcode(0, "ok"),
            Reply::Errcode(300001, echo(format!("token {held} is not exist"))),
            Reply::Errcode(310000, echo(format!("sign not match: {held}"))),
            Reply::Status(500, echo(format!("<html>{held}</html>"))),
            Reply::Garbage(echo(format!("garbage {held}"))),
            Reply::Truncated,
            Reply::Hang,
        ];
        for (n, fault) in faults.iter().enumerate() {
            let fake = Fake::start(TOKEN, secret);
            let calls = every_tool(n);
            fake.script(std::iter::repeat_n(fault.clone(), calls.len()));
            let audited = Audited::new();
            let url = fake.url();
            let mut env = vec![
                ("DINGTALK_BOT_ACCESS_TOKEN", url.as_str()),
                ("DINGTALK_TIMEOUT_SECS", "0.3"),
            ];
            env.extend(audited.env());
            env.extend(secret.map(|s| ("DINGTALK_BOT_SECRET", s)));
            let mut server = Process::spawn(&env);
            server.initialize("2025-11-25");
            for (id, (tool, arguments)) in calls.into_iter().enumerate() {
                let result = server.call(id as i64 + 1, tool, arguments);
                assert!(result["content"].is_array(), "{fault:?} {tool}: {result}");
            }
            // finish() checks stdout and stderr for the token, the secret and each signature.
            server.finish(Some(&fake));
            let mut secrets = vec![TOKEN.to_owned(), SECRET.to_owned()];
            secrets.extend(fake.signatures());
            assert_state_clean(&audited.state, &secrets);
        }
    }
}

/// Runs the binary with `args` in an empty network namespace, where a bare token's
/// `oapi.dingtalk.com` cannot resolve, and returns stdout and stderr.
fn run_isolated(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (String, String) {
    let output = run_once(args, env, stdin, Network::None);
    (output.stdout, output.stderr)
}

#[test]
fn a_bare_token_with_or_without_a_secret_leaks_nothing_through_tools_or_the_cli() {
    for secret in [Some(SECRET), None] {
        let audited = Audited::new();
        let mut env = vec![
            ("DINGTALK_BOT_ACCESS_TOKEN", TOKEN),
            ("DINGTALK_TIMEOUT_SECS", "1"),
        ];
        env.extend(audited.env());
        env.extend(secret.map(|s| ("DINGTALK_BOT_SECRET", s)));
        let mut session = String::from(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}"#,
        );
        session.push('\n');
        for (id, (tool, arguments)) in every_tool(0).into_iter().enumerate() {
            let call = json!({"jsonrpc": "2.0", "id": id + 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
            session.push_str(&format!("{call}\n"));
        }
        let (stdout, stderr) = run_isolated(&[], &env, &session);
        assert_eq!(stdout.lines().count(), 8, "{stdout}");
        let secrets = [TOKEN.to_owned(), SECRET.to_owned()];
        assert_clean("stdout", &stdout, &secrets);
        assert_clean("stderr", &stderr, &secrets);
        for args in [
            &["check"][..],
            &["check", "--send-test"],
            &["send", "--text", "cli"],
            &["send", "--title", "T", "--markdown", "-"],
        ] {
            let (stdout, stderr) = run_isolated(args, &env, "piped markdown");
            assert_clean(&format!("{args:?} stdout"), &stdout, &secrets);
            assert_clean(&format!("{args:?} stderr"), &stderr, &secrets);
        }
        assert_state_clean(&audited.state, &secrets);
    }
}

#[test]
fn the_cli_leaks_nothing_against_a_webhook_that_echoes_secrets() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    fake.script([
        Reply::Status(500, echo(format!("<p>{TOKEN}</p>"))),
        Reply::Errcode(300001, echo(format!("token {TOKEN} is not exist"))),
    ]);
    let audited = Audited::new();
    let url = fake.url();
    let env = audited.robot_env(&url);
    for args in [
        &["check"][..],
        &["check", "--send-test"],
        &["send", "--text", "cli"],
        &["send", "--text", "ok now"],
    ] {
        let output = run_once(args, &env, "", Network::Host);
        let mut secrets = vec![TOKEN.to_owned(), SECRET.to_owned()];
        secrets.extend(fake.signatures());
        assert_clean(&format!("{args:?} stdout"), &output.stdout, &secrets);
        assert_clean(&format!("{args:?} stderr"), &output.stderr, &secrets);
    }
    let mut secrets = vec![TOKEN.to_owned(), SECRET.to_owned()];
    secrets.extend(fake.signatures());
    assert!(fake.signatures().len() >= 3);
    assert_state_clean(&audited.state, &secrets);
}
