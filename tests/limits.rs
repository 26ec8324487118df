//! Several robots, keyword security, the machine-wide rate limit, cooldowns, duplicate
//! suppression, the monthly count, the audit log and the command line, through the real binary
//! against loopback fakes, with short windows (`3/2s`) so the tests stay fast.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::fake::{Fake, Reply};
use common::{
    Audited, Network, Output, Process, SECRET, TOKEN, fresh_state_dir, result_text, run_once,
};
use serde_json::{Value, json};

fn facts(result: &Value) -> &Value {
    &result["structuredContent"]
}

/// Robots as DINGTALK_BOTS JSON: (name, fake, rate).
fn bots(robots: &[(&str, &Fake, &str)]) -> String {
    let list: Vec<Value> = robots
        .iter()
        .map(|(name, fake, rate)| {
            json!({"name": name, "webhook": fake.url(), "secret": SECRET, "rate_limit": rate,
                   "description": format!("{name} group")})
        })
        .collect();
    Value::Array(list).to_string()
}

fn started(env: &[(&str, &str)]) -> Process {
    let mut server = Process::spawn(env);
    server.initialize("2025-11-25");
    server
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn robots_come_from_a_file_with_env_references_and_calls_choose_them() {
    let (ops, dev) = (
        Fake::start(TOKEN, Some(SECRET)),
        Fake::start(TOKEN, Some(SECRET)),
    );
    let dir = fresh_state_dir();
    let config = json!({"default": "ops", "robots": [
        {"name": "ops", "webhook": "${OPS_WEBHOOK}", "secret": "${OPS_SECRET}", "description": "Ops on-call group"},
        {"name": "dev", "webhook": dev.url(), "secret": SECRET, "description": "Developers"}
    ]});
    let file = write_file(&dir, "bots.json", &config.to_string());
    let ops_url = ops.url();
    let mut server = started(&[
        ("DINGTALK_CONFIG", file.to_str().unwrap()),
        ("OPS_WEBHOOK", &ops_url),
        ("OPS_SECRET", SECRET),
    ]);
    let list = server.request(1, "tools/list", json!({}));
    let schema = &list["result"]["tools"][0]["inputSchema"]["properties"]["robot"];
    assert_eq!(schema["enum"], json!(["ops", "dev"]));
    let description = schema["description"].as_str().unwrap();
    assert!(
        description.contains("ops (Ops on-call group)") && description.contains("dev (Developers)"),
        "{description}"
    );
    assert!(
        description.contains("the default robot, ops"),
        "{description}"
    );

    let to_default = server.call(2, "send_text_message", json!({"text": "to the default"}));
    assert_eq!(facts(&to_default)["robot"], "ops");
    let to_dev = server.call(
        3,
        "send_text_message",
        json!({"text": "to dev", "robot": "dev"}),
    );
    assert_eq!(facts(&to_dev)["robot"], "dev");
    assert_eq!(ops.requests().len(), 1);
    assert_eq!(dev.requests().len(), 1);
    assert_eq!(dev.requests()[0].json()["text"]["content"], "to dev");

    let unknown = server.call(
        4,
        "send_text_message",
        json!({"text": "x", "robot": "sales"}),
    );
    assert_eq!(facts(&unknown)["errorKind"], "arguments");
    assert!(
        result_text(&unknown)
            .contains("unknown robot \"sales\"; the configured robots are: ops, dev")
    );

    let listed = server.call(5, "list_robots", json!({}));
    let lines = facts(&listed)["robots"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let ops_line = lines[0].as_str().unwrap();
    assert!(
        ops_line.starts_with("ops: default, Ops on-call group, signs"),
        "{ops_line}"
    );
    assert!(
        ops_line.contains("19 of 20 sends left") && ops_line.contains("1 sent this month"),
        "{ops_line}"
    );
    let finished = server.finish(None);
    for text in finished.stdout.iter().chain([&finished.stderr]) {
        assert!(
            !text.contains(&ops_url) && !text.contains("127.0.0.1"),
            "no URL is shown: {text}"
        );
    }
}

#[test]
fn invalid_configuration_is_reported_line_by_line_and_sends_fail_with_it() {
    let dir = fresh_state_dir();
    let file = write_file(
        &dir,
        "bots.json",
        "[\n  {\"name\": \"ops\", \"webhook\": \"${UNSET_HOOK}\"},\n  {\"name\": \"ops\", \"webhook\": \"t\", \"colour\": 1}\n]",
    );
    let mut server = started(&[
        ("DINGTALK_CONFIG", file.to_str().unwrap()),
        ("DINGTALK_BOTS", "{oops"),
    ]);
    let result = server.call(1, "send_text_message", json!({"text": "x"}));
    assert_eq!(facts(&result)["errorKind"], "configuration");
    let finished = server.finish(None);
    let lines: Vec<&str> = finished.stderr.lines().collect();
    let expected = [
        "robots[0].webhook refers to ${UNSET_HOOK}, which is not set",
        "robots[1].colour is not a known field",
        "DINGTALK_BOTS:1:2: invalid JSON",
    ];
    assert_eq!(
        lines.len(),
        expected.len(),
        "one line per problem: {}",
        finished.stderr
    );
    for (line, words) in lines.iter().zip(expected) {
        assert!(line.contains(words), "{line}");
        assert!(
            result_text(&result).contains(words),
            "the send says it too: {result}"
        );
    }
}

#[test]
fn a_keyword_secured_robot_gets_its_keyword_when_a_message_has_none() {
    let fake = Fake::start(TOKEN, None);
    let robots = json!([{"name": "alerts", "webhook": fake.url(), "keywords": ["告警", "alert"]}])
        .to_string();
    let mut server = started(&[("DINGTALK_BOTS", &robots)]);
    let added = server.call(1, "send_text_message", json!({"text": "disk full"}));
    assert_eq!(facts(&added)["keywordAdded"], "告警");
    assert!(result_text(&added).contains("keyword \"告警\" was appended"));
    let kept = server.call(2, "send_text_message", json!({"text": "alert: disk full"}));
    assert!(facts(&kept).get("keywordAdded").is_none());
    let card = server.call(
        3,
        "send_feed_card_message",
        json!({"links": [{"title": "Disk", "messageUrl": "https://x.example", "picUrl": "https://x.example/p.png"}]}),
    );
    assert_eq!(facts(&card)["keywordAdded"], "告警");
    let bodies: Vec<Value> = fake.requests().iter().map(|r| r.json()).collect();
    assert_eq!(bodies[0]["text"]["content"], "disk full\n告警");
    assert_eq!(bodies[1]["text"]["content"], "alert: disk full");
    assert_eq!(bodies[2]["feedCard"]["links"][0]["title"], "Disk 告警");
    server.finish(Some(&fake));
}

#[test]
fn two_processes_share_one_limit_and_nothing_beyond_it_reaches_dingtalk() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    // A window far longer than the six calls take, even on a loaded machine.
    let robots = bots(&[("ops", &fake, "3/20s")]);
    let state = fresh_state_dir();
    let env = [
        ("DINGTALK_BOTS", robots.as_str()),
        ("DINGTALK_STATE_DIR", state.to_str().unwrap()),
        ("DINGTALK_MAX_WAIT_SECS", "0"),
    ];
    let mut servers = [started(&env), started(&env)];
    let mut refused = Vec::new();
    for i in 0..6 {
        let server = &mut servers[i % 2];
        let result = server.call(
            i as i64 + 1,
            "send_text_message",
            json!({"text": format!("message {i}")}),
        );
        if result["isError"] == true {
            refused.push(result);
        }
    }
    assert_eq!(
        fake.requests().len(),
        3,
        "exactly the limit reached DingTalk"
    );
    assert_eq!(refused.len(), 3);
    for result in &refused {
        let facts = facts(result);
        assert_eq!(facts["errorKind"], "rate_limited", "{result}");
        assert_eq!(facts["delivered"], "no");
        assert!(
            (1..=20).contains(&facts["retryAfterSecs"].as_u64().unwrap()),
            "{facts}"
        );
        assert!(result_text(result).contains("3/20s"), "{result}");
    }
    for server in servers {
        server.finish(Some(&fake));
    }
}

#[test]
fn a_send_waits_for_a_slot_within_the_allowed_wait() {
    let fake = Fake::start(TOKEN, None);
    let robots = json!([{"name": "ops", "webhook": fake.url(), "rate_limit": "2/1s"}]).to_string();
    let mut server = started(&[("DINGTALK_BOTS", &robots), ("DINGTALK_MAX_WAIT_SECS", "3")]);
    // The window is 1 s: the third send cannot go before a second after the first.
    let begun = Instant::now();
    server.call(1, "send_text_message", json!({"text": "a"}));
    server.call(2, "send_text_message", json!({"text": "b"}));
    let waited = server.call(3, "send_text_message", json!({"text": "c"}));
    let elapsed = begun.elapsed();
    assert_eq!(waited["isError"], false, "{waited}");
    assert!(
        elapsed >= Duration::from_secs(1),
        "it waited for the window: {elapsed:?}"
    );
    // A split message needs all its slots before its first part goes out.
    let long = "x".repeat(45_000);
    let split = server.call(4, "send_text_message", json!({"text": long}));
    assert_eq!(
        facts(&split)["errorKind"],
        "rate_limited",
        "3 parts never fit 2/1s: {split}"
    );
    assert!(result_text(&split).contains("needs 3 sends"), "{split}");
    assert_eq!(fake.requests().len(), 3);
    server.finish(Some(&fake));
}

#[test]
fn after_dingtalk_throttles_a_robot_every_process_refuses_it_until_the_cooldown_ends() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    fake.script([Reply::Errcode(
        130101,
        "send too fast, exceed 20 times per minute",
    )]);
    let robots = bots(&[("ops", &fake, "20/60s")]);
    let state = fresh_state_dir();
    let env = [
        ("DINGTALK_BOTS", robots.as_str()),
        ("DINGTALK_STATE_DIR", state.to_str().unwrap()),
    ];
    let mut first = started(&env);
    let throttled = first.call(1, "send_text_message", json!({"text": "one"}));
    assert_eq!(facts(&throttled)["errcode"], 130101);
    let begun = Instant::now();
    let refused = first.call(2, "send_text_message", json!({"text": "two"}));
    assert!(begun.elapsed() < Duration::from_secs(1), "refused at once");
    assert_eq!(facts(&refused)["errorKind"], "cooldown");
    let retry = facts(&refused)["retryAfterSecs"].as_u64().unwrap();
    assert!((595..=600).contains(&retry), "{retry}");
    assert!(
        facts(&refused)["cooldownUntil"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let mut second = started(&env);
    let also = second.call(
        1,
        "send_markdown_message",
        json!({"title": "t", "text": "three"}),
    );
    assert_eq!(facts(&also)["errorKind"], "cooldown", "{also}");
    let listed = second.call(2, "list_robots", json!({}));
    assert!(
        facts(&listed)["robots"][0]
            .as_str()
            .unwrap()
            .contains("throttled by DingTalk until")
    );
    let preview = second.call(
        3,
        "preview_message",
        json!({"tool": "send_text_message", "arguments": {"text": "x"}}),
    );
    assert!(
        result_text(&preview).contains("throttled by DingTalk until"),
        "{preview}"
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "nothing was sent during the cooldown"
    );
    first.finish(Some(&fake));
    second.finish(Some(&fake));
}

#[test]
fn an_identical_message_is_sent_once_unless_duplicates_are_allowed() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut server = Process::for_fake(&fake, Some(SECRET));
    server.initialize("2025-11-25");
    let first = server.call(1, "send_text_message", json!({"text": "deploy done"}));
    assert_eq!(first["isError"], false);
    let again = server.call(2, "send_text_message", json!({"text": "deploy done"}));
    assert_eq!(again["isError"], false);
    assert_eq!(facts(&again)["duplicate"], true);
    assert_eq!(facts(&again)["delivered"], "yes");
    assert!(
        facts(&again)["firstSentAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert!(
        result_text(&again).contains("Not sent again")
            && result_text(&again).contains("allowDuplicate")
    );
    assert_eq!(fake.requests().len(), 1);
    let forced = server.call(
        3,
        "send_text_message",
        json!({"text": "deploy done", "allowDuplicate": true}),
    );
    assert!(facts(&forced).get("duplicate").is_none());
    assert_eq!(fake.requests().len(), 2);
    server.finish(Some(&fake));

    let url = fake.url();
    let mut off = started(&[
        ("DINGTALK_BOT_ACCESS_TOKEN", &url),
        ("DINGTALK_BOT_SECRET", SECRET),
        ("DINGTALK_DEDUP_SECS", "0"),
    ]);
    off.call(1, "send_text_message", json!({"text": "same"}));
    off.call(2, "send_text_message", json!({"text": "same"}));
    assert_eq!(
        fake.requests().len(),
        4,
        "DINGTALK_DEDUP_SECS=0 turns suppression off"
    );
    off.finish(Some(&fake));
}

#[test]
fn the_monthly_count_and_the_audit_log_record_sends_without_secrets() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    fake.script([
        Reply::Errcode(0, "ok"),
        Reply::Errcode(0, "ok"),
        Reply::Errcode(310000, "keywords not in content"),
    ]);
    let audited = Audited::new();
    let url = fake.url();
    let env = audited.robot_env(&url);
    let mut server = started(&env);
    server.call(1, "send_text_message", json!({"text": "one"}));
    server.call(
        2,
        "send_markdown_message",
        json!({"title": "T", "text": "two"}),
    );
    server.call(3, "send_text_message", json!({"text": "three"}));
    server.call(4, "send_text_message", json!({"text": "one"}));
    server.finish(Some(&fake));
    let mut later = started(&env);
    let listed = later.call(1, "list_robots", json!({}));
    assert!(
        facts(&listed)["robots"][0]
            .as_str()
            .unwrap()
            .contains("2 sent this month"),
        "{listed}"
    );
    later.finish(Some(&fake));

    let log = std::fs::read_to_string(&audited.audit).unwrap();
    let entries: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 4);
    let outcomes: Vec<&str> = entries
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["ok", "ok", "errcode 310000", "duplicate"]);
    let first = &entries[0];
    assert_eq!(first["robot"], "default");
    assert_eq!(first["tool"], "send_text_message");
    assert_eq!(first["msgtype"], "text");
    assert_eq!(first["content"]["text"]["content"], "one");
    assert_eq!(first["bodyBytes"], fake.requests()[0].body.len());
    assert_eq!(first["sha256"].as_str().unwrap().len(), 64);
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    assert!(first["latencyMs"].is_u64());
    let mut stored = log.clone();
    for entry in std::fs::read_dir(&audited.state).unwrap() {
        stored.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut secrets = vec![TOKEN.to_owned(), SECRET.to_owned()];
    secrets.extend(fake.signatures());
    for secret in secrets {
        assert!(
            !stored.contains(&secret),
            "a secret reached the audit log or the state files"
        );
    }
}

fn run_cli(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (Option<i32>, String, String) {
    let Output {
        code,
        stdout,
        stderr,
    } = run_once(args, env, stdin, Network::Host);
    for secret in [TOKEN, SECRET] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{args:?} leaked a secret"
        );
    }
    (code, stdout, stderr)
}

#[test]
fn the_command_line_checks_and_sends_with_meaningful_exit_codes() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let robots = bots(&[("ops", &fake, "20/60s")]);
    let env = [("DINGTALK_BOTS", robots.as_str())];

    let (code, stdout, _) = run_cli(&["check"], &env, "");
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("robot ops (default): ops group; signs; no keywords; limit 20/60s"),
        "{stdout}"
    );
    assert!(stdout.contains("access_token=***"), "{stdout}");

    let (code, stdout, _) = run_cli(&["check"], &[("DINGTALK_BOTS", "[{}]")], "");
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("problem: DINGTALK_BOTS: robots[0].name is missing"),
        "{stdout}"
    );

    let (code, stdout, _) = run_cli(&["check", "--send-test", "ops"], &env, "");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        fake.requests()[0].json()["text"]["content"]
            .as_str()
            .unwrap()
            .contains("test message")
    );

    let (code, stdout, _) = run_cli(&["send", "--text", "from a script"], &env, "");
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("Sent: the text message was delivered"),
        "{stdout}"
    );
    let (code, _, _) = run_cli(
        &["send", "--title", "Report", "--markdown", "-"],
        &env,
        "# piped\n\nbody",
    );
    assert_eq!(code, Some(0));
    assert_eq!(
        fake.requests()[2].json()["markdown"]["text"],
        "# piped\n\nbody"
    );

    fake.script([Reply::Errcode(310000, "keywords not in content")]);
    let (code, _, stderr) = run_cli(&["send", "--text", "refused"], &env, "");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("errcode 310000"), "{stderr}");

    for args in [
        &["send"][..],
        &["send", "--text"],
        &["bogus"],
        &["send", "--robot", "nope", "--text", "x"],
    ] {
        let (code, stdout, stderr) = run_cli(args, &env, "");
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty() && !stderr.is_empty(), "{args:?}");
    }
    let (code, stdout, _) = run_cli(&["--help"], &[], "");
    assert_eq!(code, Some(0));
    for words in [
        "check",
        "--send-test",
        "send [--robot NAME]",
        "DINGTALK_CONFIG",
        "DINGTALK_AUDIT_LOG",
        "list_robots",
    ] {
        assert!(stdout.contains(words), "{words}");
    }
}
