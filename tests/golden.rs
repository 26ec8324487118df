//! Golden wire transcripts: each `fixtures/*.txt` file is replayed against the real binary and
//! its stdout must match line for line, byte for byte.
//!
//! Fixture format, one directive per line:
//! - `# …` a comment; blank lines are ignored.
//! - `! env NAME=VALUE` sets a variable; `{fake}` in VALUE becomes `http://127.0.0.1:PORT` of a
//!   fresh fake webhook. Without any `! env`, the server is configured for the fake with
//!   `DINGTALK_BOT_ACCESS_TOKEN={fake}/robot/send?access_token=<TOKEN>` and the test secret.
//! - `! reply ERRCODE ERRMSG` scripts the fake's next answer.
//! - `> LINE` is written to stdin as is, plus `\n`; a LINE ending in `<CR>` is sent with `\r\n`,
//!   and `>` alone sends an empty line.
//! - `< LINE` is an expected stdout line, in order.
//!
//! After the last `>` line stdin is closed: the server must then exit 0 having written exactly
//! the `<` lines. Run with `UPDATE_FIXTURES=1` to rewrite the `<` lines from what the server
//! wrote (then review the diff).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::fake::{Fake, Reply};
use common::{Process, SECRET, TOKEN};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("fixtures/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    files
}

fn replay(path: &Path) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fake = Fake::start(TOKEN, Some(SECRET));
    let mut env: Vec<(String, String)> = Vec::new();
    let mut inputs = Vec::new();
    let mut expected = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("! env ") {
            let (name, value) = rest.split_once('=').ok_or("`! env` needs NAME=VALUE")?;
            env.push((name.to_owned(), value.replace("{fake}", &fake.base())));
        } else if let Some(rest) = line.strip_prefix("! reply ") {
            let (code, msg) = rest
                .split_once(' ')
                .ok_or("`! reply` needs ERRCODE ERRMSG")?;
            let msg: &'static str = Box::leak(msg.to_owned().into_boxed_str());
            fake.script([Reply::Errcode(
                code.parse().map_err(|_| "bad errcode")?,
                msg,
            )]);
        } else if let Some(rest) = line.strip_prefix('>') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            inputs.push(match rest.strip_suffix("<CR>") {
                Some(crlf) => format!("{crlf}\r\n"),
                None => format!("{rest}\n"),
            });
        } else if let Some(rest) = line.strip_prefix("< ") {
            expected.push(rest.to_owned());
        } else if !(line.is_empty() || line.starts_with('#')) {
            return Err(format!("unknown fixture line: {line}"));
        }
    }
    if env.is_empty() {
        env.push(("DINGTALK_BOT_ACCESS_TOKEN".into(), fake.url()));
        env.push(("DINGTALK_BOT_SECRET".into(), SECRET.into()));
    }
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut server = Process::spawn(&env_refs);
    for input in &inputs {
        server.write(input.as_bytes());
    }
    let finished = server.finish(Some(&fake));
    if !finished.status.success() {
        return Err(format!("exit status {}", finished.status));
    }
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("< ")).collect();
        let mut updated = kept.join("\n") + "\n";
        for line in &finished.stdout {
            updated.push_str(&format!("< {line}\n"));
        }
        fs::write(path, updated).map_err(|e| e.to_string())?;
        return Ok(());
    }
    if finished.stdout != expected {
        let mut report = String::new();
        for i in 0..finished.stdout.len().max(expected.len()) {
            let (want, got) = (expected.get(i), finished.stdout.get(i));
            if want != got {
                report.push_str(&format!("line {i}:\n  want {want:?}\n  got  {got:?}\n"));
            }
        }
        return Err(report);
    }
    Ok(())
}

#[test]
fn every_fixture_replays_exactly() {
    let files = fixtures();
    assert!(files.len() >= 10, "the fixtures are there: {files:?}");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            replay(path)
                .err()
                .map(|e| format!("{}:\n{e}", path.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
