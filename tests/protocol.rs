//! Wire behaviour that golden text fixtures cannot express: raw bytes, huge lines, timing of
//! silence, end of input mid-line, and the command line.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{BIN, Process};
use serde_json::{Value, json};

const PING: &str = r#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#;

fn assert_ping_answered(server: &mut Process) {
    server.send(PING);
    assert_eq!(
        server.recv(),
        json!({"jsonrpc": "2.0", "id": "after", "result": {}})
    );
}

#[test]
fn invalid_utf8_is_a_parse_error_and_serving_goes_on() {
    let mut server = Process::spawn(&[]);
    server.write(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xffing\"}\n");
    let answer = server.recv();
    assert_eq!(answer["error"]["code"], -32700);
    assert_eq!(answer["id"], Value::Null);
    assert_ping_answered(&mut server);
    server.finish(None);
}

#[test]
fn an_over_long_line_is_refused_without_buffering_and_the_next_line_is_served() {
    let mut server = Process::spawn(&[]);
    // A valid request just under the cap is served...
    let cap = 4 * 1024 * 1024;
    let prefix = r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":""#;
    let suffix = r#""}}"#;
    let pad = "x".repeat(cap - prefix.len() - suffix.len());
    server.send(&format!("{prefix}{pad}{suffix}"));
    assert_eq!(server.recv()["result"], json!({}));
    // ...one byte more is not, and the stream stays in sync.
    server.send(&format!("{prefix}{pad}x{suffix}"));
    let refused = server.recv();
    assert_eq!(refused["error"]["code"], -32600);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("4194304")
    );
    // A line of many megabytes without JSON structure is skipped the same way.
    server.write(&vec![b'['; 9 * 1024 * 1024]);
    server.write(b"\n");
    assert_eq!(server.recv()["error"]["code"], -32600);
    assert_ping_answered(&mut server);
    server.finish(None);
}

#[test]
fn deep_nesting_is_a_parse_error_not_a_crash() {
    let mut server = Process::spawn(&[]);
    let depth = 100_000;
    server.send(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
    assert_eq!(server.recv()["error"]["code"], -32700);
    server.send(&format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"send_text_message","arguments":{{"text":{}1{}}}}}}}"#,
        "[".repeat(1000),
        "]".repeat(1000)
    ));
    assert_eq!(server.recv()["error"]["code"], -32700);
    assert_ping_answered(&mut server);
    server.finish(None);
}

#[test]
fn notifications_get_no_answer_at_all() {
    let mut server = Process::spawn(&[]);
    for line in [
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","method":"unknown/thing","params":[]}"#,
        r#"{"method":"tools/call"}"#,
    ] {
        server.send(line);
    }
    server.expect_silence(Duration::from_millis(300));
    assert_ping_answered(&mut server);
    server.finish(None);
}

#[test]
fn end_of_input_exits_zero_even_mid_line() {
    let mut server = Process::spawn(&[]);
    server.write(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#);
    let finished = server.finish(None);
    assert!(finished.status.success());
    assert_eq!(
        finished.stdout,
        vec![r#"{"jsonrpc":"2.0","id":1,"result":{}}"#]
    );

    let mut server = Process::spawn(&[]);
    server.write(br#"{"jsonrpc":"2.0","id":1,"meth"#);
    let finished = server.finish(None);
    assert!(finished.status.success());
    assert_eq!(
        finished.stdout.len(),
        1,
        "the fragment is answered as a parse error"
    );
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
}

#[test]
fn help_and_version_print_to_stdout_and_exit_zero() {
    for flag in ["--help", "-h"] {
        let out = Command::new(BIN).arg(flag).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        for needle in [
            "DINGTALK_BOT_ACCESS_TOKEN",
            "DINGTALK_BOT_SECRET",
            "DINGTALK_TIMEOUT_SECS",
            "send_markdown_message",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        assert!(out.stderr.is_empty());
    }
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("dingtalk-mcp {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_arguments_exit_two_with_one_line_on_stderr() {
    for arg in ["--bogus", "serve", "-x"] {
        let out = Command::new(BIN).arg(arg).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(out.stdout.is_empty(), "{arg}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(arg) && stderr.contains("--help"),
            "{stderr}"
        );
    }
}
