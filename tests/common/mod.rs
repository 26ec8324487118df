//! Shared test support: the fake webhook and a driver for the real binary over stdin/stdout.
//!
//! Every process test ends with [`Process::finish`], which asserts what must hold for any
//! session: stdout held only JSON-RPC responses, one per line, and neither the token, the secret
//! nor any signature appeared on stdout or stderr.

#![allow(dead_code)] // Each test crate uses a different part of this module.

pub mod fake;
pub mod schema;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Value, json};

use fake::Fake;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_dingtalk-mcp");
/// The token every test robot uses.
pub const TOKEN: &str = "5ec4a7f0c1d2e3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011";
/// The secret of every signing test robot.
pub const SECRET: &str = "SECb7f3c0ffee5ecre7d1ngta1k0123456789abcdef0123456789abcdef012345";

/// Every tool, in `tools/list` order.
pub const TOOL_NAMES: [&str; 7] = [
    "send_text_message",
    "send_markdown_message",
    "send_link_message",
    "send_action_card_message",
    "send_feed_card_message",
    "preview_message",
    "list_robots",
];

/// How long a test waits for one answer before failing.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server process.
pub struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
    secrets: Vec<String>,
}

/// What a finished session produced.
pub struct Finished {
    /// Every stdout line, in order.
    pub stdout: Vec<String>,
    /// All of stderr.
    pub stderr: String,
    /// How the process exited.
    pub status: ExitStatus,
}

impl Process {
    /// Starts the binary with exactly these environment variables (as a host's `env` block
    /// would), plus a state directory of its own unless `env` names one.
    pub fn spawn(env: &[(&str, &str)]) -> Self {
        let mut child = command(&[], env, Network::Host)
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { return };
                let text = String::from_utf8(line).expect("stdout is UTF-8");
                if sender.send(text).is_err() {
                    return;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr");
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut secrets = vec![TOKEN.to_owned(), SECRET.to_owned()];
        secrets.extend(
            env.iter()
                .filter(|(k, _)| k.contains("SECRET"))
                .map(|(_, v)| v.to_string()),
        );
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
            secrets,
        }
    }

    /// Starts a server configured for `fake` (full URL in the token variable), signing with
    /// `secret` if given, with a short timeout.
    pub fn for_fake(fake: &Fake, secret: Option<&str>) -> Self {
        let url = fake.url();
        let mut env = vec![
            ("DINGTALK_BOT_ACCESS_TOKEN", url.as_str()),
            ("DINGTALK_TIMEOUT_SECS", "3"),
        ];
        env.extend(secret.map(|s| ("DINGTALK_BOT_SECRET", s)));
        Self::spawn(&env)
    }

    /// The peak resident set size so far, in KiB (`VmHWM` of `/proc/PID/status`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc is readable");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM is reported")
    }

    /// Writes raw bytes to stdin.
    pub fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush to the server");
    }

    /// Writes one line (a newline is added).
    pub fn send(&mut self, line: &str) {
        self.write(format!("{line}\n").as_bytes());
    }

    /// The next stdout line, parsed; fails the test after a generous timeout.
    pub fn recv(&mut self) -> Value {
        let line = self
            .lines
            .recv_timeout(ANSWER_TIMEOUT)
            .expect("the server answers in time");
        self.seen.push(line.clone());
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"))
    }

    /// Asserts that no line arrives within `wait`.
    pub fn expect_silence(&mut self, wait: Duration) {
        if let Ok(line) = self.lines.recv_timeout(wait) {
            panic!("expected no answer, got {line}");
        }
    }

    /// Sends a request and returns its response.
    pub fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&message.to_string());
        let response = self.recv();
        assert_eq!(response["id"], id, "answer to {method}: {response}");
        response
    }

    /// The legacy handshake; returns the initialize result.
    pub fn initialize(&mut self, version: &str) -> Value {
        let response = self.request(
            0,
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}),
        );
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        response["result"].clone()
    }

    /// Calls a tool and returns the `CallToolResult`.
    pub fn call(&mut self, id: i64, tool: &str, arguments: Value) -> Value {
        let response = self.request(
            id,
            "tools/call",
            json!({"name": tool, "arguments": arguments}),
        );
        response["result"].clone()
    }

    /// Closes stdin, waits for exit, and checks stdout hygiene and leaks. Signatures the fake
    /// received count as secrets too.
    pub fn finish(mut self, fake: Option<&Fake>) -> Finished {
        drop(self.stdin.take());
        let status = wait_with_timeout(&mut self.child, ANSWER_TIMEOUT);
        let mut stdout = std::mem::take(&mut self.seen);
        // The reader thread closes the channel at stdout's end: wait for that, not just for exit.
        loop {
            match self.lines.recv_timeout(ANSWER_TIMEOUT) {
                Ok(line) => stdout.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("stdout did not close after exit"),
            }
        }
        let stderr = self
            .stderr
            .take()
            .expect("stderr thread")
            .join()
            .expect("stderr read");
        let mut secrets = self.secrets.clone();
        secrets.extend(fake.map(Fake::signatures).unwrap_or_default());
        for line in &stdout {
            assert_json_rpc_line(line);
        }
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            let encoded =
                percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
            for form in [secret, &encoded] {
                assert!(
                    !stdout.iter().any(|l| l.contains(form.as_str())),
                    "a secret leaked to stdout"
                );
                assert!(
                    !stderr.contains(form.as_str()),
                    "a secret leaked to stderr: {stderr}"
                );
            }
        }
        Finished {
            stdout,
            stderr,
            status,
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A state directory of a test's own, with the audit log inside it.
pub struct Audited {
    /// `DINGTALK_STATE_DIR`.
    pub state: std::path::PathBuf,
    /// `DINGTALK_AUDIT_LOG`.
    pub audit: std::path::PathBuf,
}

impl Audited {
    /// A fresh directory; nothing is created until the server writes.
    pub fn new() -> Self {
        let state = fresh_state_dir();
        let audit = state.join("audit.jsonl");
        Self { state, audit }
    }

    /// The original variables for a robot at `url` signing with the test secret, plus these.
    pub fn robot_env<'a>(&'a self, url: &'a str) -> Vec<(&'static str, &'a str)> {
        let mut env = vec![
            ("DINGTALK_BOT_ACCESS_TOKEN", url),
            ("DINGTALK_BOT_SECRET", SECRET),
        ];
        env.extend(self.env());
        env
    }

    /// The two variables that point a server at them.
    pub fn env(&self) -> [(&'static str, &str); 2] {
        [
            (
                "DINGTALK_STATE_DIR",
                self.state.to_str().expect("temp paths are UTF-8"),
            ),
            (
                "DINGTALK_AUDIT_LOG",
                self.audit.to_str().expect("temp paths are UTF-8"),
            ),
        ]
    }
}

/// What a run of the binary may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// This machine's network (the tests' fakes listen on loopback).
    Host,
    /// None: an empty network namespace (`unshare -n`, needs root), where no name resolves.
    None,
}

/// The binary with `args` and exactly these environment variables (as a host's `env` block
/// would), plus a state directory of its own unless `env` names one; stdio piped.
pub fn command(args: &[&str], env: &[(&str, &str)], network: Network) -> Command {
    let mut command = match network {
        Network::Host => Command::new(BIN),
        Network::None => {
            let mut unshare = Command::new("unshare");
            unshare.args(["-n", BIN]);
            unshare
        }
    };
    command.args(args).env_clear();
    if !env.iter().any(|(k, _)| *k == "DINGTALK_STATE_DIR") {
        command.env("DINGTALK_STATE_DIR", fresh_state_dir());
    }
    command
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// What one run of a command printed, and its exit code.
#[derive(Debug)]
pub struct Output {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// All of stdout.
    pub stdout: String,
    /// All of stderr.
    pub stderr: String,
}

/// Runs the binary once (see [`command`]) with `stdin` written and closed, to its exit.
pub fn run_once(args: &[&str], env: &[(&str, &str)], stdin: &str, network: Network) -> Output {
    let mut child = command(args, env, network)
        .spawn()
        .expect("start the binary (unshare -n needs root and util-linux)");
    // A command that does not read stdin (check, send --text) may exit first: a failed write
    // to it is expected, not a test failure.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    let output = child.wait_with_output().expect("wait for the binary");
    Output {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A state directory no other test uses, so rate windows and duplicate suppression never leak
/// between tests or runs.
pub fn fresh_state_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "dingtalk-mcp-test-{}-{n}-{nanos}",
        std::process::id()
    ))
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the server") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit after EOF"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts a stdout line is one JSON-RPC response (or a batch of them) and nothing else.
pub fn assert_json_rpc_line(line: &str) {
    let value: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
    let check = |message: &Value| {
        let object = message
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {line}"));
        assert_eq!(object.get("jsonrpc"), Some(&json!("2.0")), "{line}");
        assert!(object.contains_key("id"), "a response has an id: {line}");
        assert!(
            object.contains_key("result") != object.contains_key("error"),
            "exactly one of result/error: {line}"
        );
        assert_eq!(object.len(), 3, "no other members: {line}");
    };
    match &value {
        Value::Array(batch) => {
            assert!(!batch.is_empty(), "no empty batch answers: {line}");
            batch.iter().for_each(check);
        }
        single => check(single),
    }
}

/// The text of a tool result's first content block.
pub fn result_text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().expect("a text block")
}
