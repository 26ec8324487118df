//! The audit log: one JSON line per send attempt (`DINGTALK_AUDIT_LOG`), for people who must
//! show what an assistant posted. Never a token, secret or signature: only what was sent.
//!
//! Each line is written by one `write` to a file opened in append mode, so lines from several
//! processes never interleave.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

/// One send attempt.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry<'a> {
    /// When (RFC 3339, UTC).
    pub time: String,
    /// The robot's name.
    pub robot: &'a str,
    /// The tool that sent.
    pub tool: &'a str,
    /// The msgtype.
    pub msgtype: &'a str,
    /// Which part of how many (1 of 1 for most messages).
    pub part: usize,
    /// The number of parts.
    pub parts: usize,
    /// The body's size in bytes.
    pub body_bytes: usize,
    /// The body's SHA-256, hex (the same as a preview's `bodySha256`).
    pub sha256: String,
    /// The body as sent.
    pub content: Value,
    /// `ok`, DingTalk's `errcode N`, or what stopped the send.
    pub outcome: String,
    /// How long the request took; absent when none was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

/// Where audit lines go.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// Appends to `path` (created on first use).
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Appends one line; a failure is reported on stderr and never stops a send.
    pub fn record(&self, entry: &Entry) {
        let mut line = match serde_json::to_vec(entry) {
            Ok(line) => line,
            Err(e) => return eprintln!("dingtalk-mcp: warning: audit entry not written: {e}"),
        };
        line.push(b'\n');
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(&line));
        if let Err(e) = written {
            eprintln!(
                "dingtalk-mcp: warning: cannot append to the audit log {}: {e}",
                self.path.display()
            );
        }
    }
}
