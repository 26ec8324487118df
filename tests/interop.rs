//! Interop with the official MCP clients, pinned by `tests/interop/package-lock.json`: the
//! TypeScript SDK client (`Client` + `StdioClientTransport`) and the Inspector CLI in its
//! default (legacy) era and in `auto` era (which probes `server/discover` and goes stateless).
//!
//! Both drive the **release** binary, built here, against the loopback fake. Node.js and npm are
//! required: without them this test fails, it does not skip. `.ci/run` installs the pinned
//! packages with `npm ci`; run by hand, this test does so when `node_modules` is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::fake::{Fake, Reply};
use common::{SECRET, TOKEN};
use serde_json::Value;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Builds the release binary (a no-op when it is fresh) and returns its path.
fn release_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--locked", "--bin", "dingtalk-mcp"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build --release");
    assert!(status.success(), "cargo build --release failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("release/dingtalk-mcp")
}

/// Installs the pinned clients if needed; fails loudly when npm is missing.
fn node_path() -> String {
    let dir = interop_dir();
    if !dir.join("node_modules/.bin/mcp-inspector").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .unwrap_or_else(|e| {
                panic!("the interop suite needs Node.js >= 20 and npm on PATH ({e}); install them, then run `npm ci` in tests/interop")
            });
        assert!(status.success(), "npm ci in tests/interop failed");
    }
    // The pinned `node` package provides Node 22, which the Inspector needs, first on PATH.
    let bin = dir.join("node_modules/.bin");
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", bin.display())
}

fn assert_clean(output: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for secret in [TOKEN, SECRET] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{what}: a secret leaked:\n{stdout}\n{stderr}"
        );
    }
}

#[test]
fn the_typescript_sdk_client_works_with_the_release_binary() {
    let path = node_path();
    let binary = release_binary();
    let fake = Fake::start(TOKEN, Some(SECRET));
    fake.script([
        Reply::Errcode(0, "ok"),
        Reply::Errcode(0, "ok"),
        Reply::Errcode(310000, "keywords not in content"),
        Reply::Errcode(310000, "keywords not in content"),
    ]);
    let output = Command::new("node")
        .arg("sdk-client.mjs")
        .current_dir(interop_dir())
        .env("PATH", &path)
        .env("DINGTALK_MCP_BIN", &binary)
        .env("FAKE_WEBHOOK", fake.url())
        .env("FAKE_SECRET", SECRET)
        .env("FAKE_STATE_DIR", common::fresh_state_dir())
        .env("EXPECTED_TOOLS", common::TOOL_NAMES.join(","))
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "sdk-client.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("10 passed, 0 failed"), "{stdout}");
    assert_clean(&output, "sdk client");
    assert_eq!(fake.requests().len(), 4, "every send reached the fake");
}

/// Runs the Inspector CLI against the release binary configured for `fake`, in `era`.
fn inspector(
    path: &str,
    binary: &Path,
    fake: &Fake,
    state_dir: &Path,
    era: &str,
    method_args: &[&str],
) -> (Option<i32>, Value, Output) {
    let config = serde_json::json!({"mcpServers": {"dingtalk": {
        "command": binary,
        "args": [],
        "env": {"DINGTALK_BOT_ACCESS_TOKEN": fake.url(), "DINGTALK_BOT_SECRET": SECRET, "DINGTALK_STATE_DIR": state_dir},
        "protocolEra": era,
    }}});
    let config_path = std::env::temp_dir().join(format!(
        "dingtalk-mcp-inspector-{}-{era}.json",
        std::process::id()
    ));
    std::fs::write(&config_path, config.to_string()).expect("write the Inspector config");
    let output = Command::new("mcp-inspector")
        .args(["--cli", "--config"])
        .arg(&config_path)
        .args(["--server", "dingtalk", "--format", "json"])
        .args(method_args)
        .env("PATH", path)
        .env("MCP_INSPECTOR_SECRET_STORE", "memory")
        .output()
        .expect("run mcp-inspector");
    let _ = std::fs::remove_file(&config_path);
    assert_clean(&output, "inspector");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (output.status.code(), json, output)
}

#[test]
fn the_inspector_cli_works_in_legacy_and_auto_eras() {
    let path = node_path();
    let binary = release_binary();
    for era in ["legacy", "auto"] {
        let fake = Fake::start(TOKEN, Some(SECRET));
        let state_dir = common::fresh_state_dir();
        fake.script([
            Reply::Errcode(0, "ok"),
            Reply::Errcode(130101, "send too fast, exceed 20 times per minute"),
        ]);
        let (code, list, output) = inspector(
            &path,
            &binary,
            &fake,
            &state_dir,
            era,
            &["--method", "tools/list"],
        );
        assert_eq!(code, Some(0), "{era} tools/list: {output:?}");
        let names: Vec<&str> = list["result"]["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(names, common::TOOL_NAMES, "{era}");

        let call = [
            "--method",
            "tools/call",
            "--tool-name",
            "send_text_message",
            "--tool-args-json",
            r#"{"text":"from the inspector"}"#,
        ];
        let (code, sent, output) = inspector(&path, &binary, &fake, &state_dir, era, &call);
        assert_eq!(code, Some(0), "{era} tools/call: {output:?}");
        let result = &sent["result"];
        assert_eq!(result["structuredContent"]["ok"], true, "{era}: {sent}");
        // Only the stateless era puts serverInfo into each result's _meta: proof of the era used.
        let stateless = result["_meta"]["io.modelcontextprotocol/serverInfo"].is_object();
        assert_eq!(stateless, era == "auto", "{era}: {sent}");

        // A different text: the same one again would be suppressed as a duplicate.
        let mut again = call;
        again[5] = r#"{"text":"from the inspector, again"}"#;
        let (code, _, output) = inspector(&path, &binary, &fake, &state_dir, era, &again);
        assert_eq!(code, Some(5), "{era}: a tool error exits 5: {output:?}");
        assert_eq!(fake.requests().len(), 2, "{era}");
    }
}
