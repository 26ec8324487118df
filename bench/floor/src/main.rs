//! Reads one JSON line with serde_json, writes one line back, then waits for the end of input
//! (so its peak RSS can be read before it exits): the physical floor for startup and memory.

use std::io::{BufRead, Read, Write};

fn main() {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = String::new();
    if input.read_line(&mut line).is_err() {
        return;
    }
    let request: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    let response = serde_json::json!({"jsonrpc": "2.0", "id": request["id"], "result": {}});
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{response}");
    let _ = out.flush();
    let _ = input.read_to_end(&mut Vec::new());
}
