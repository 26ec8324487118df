//! Bounded memory and clean exits: a 200 MiB line without a newline and a flood of 100,000
//! requests keep the process under 16 MiB of resident memory, and a host closing stdout ends the
//! server quietly.

mod common;

use std::io::Write;

use common::{Network, Process, command};
use serde_json::json;

const LIMIT_KIB: u64 = 16 * 1024;

#[test]
fn a_200_mib_line_is_refused_without_being_held_and_the_next_line_is_served() {
    let mut server = Process::spawn(&[]);
    let chunk = vec![b'x'; 1024 * 1024];
    for _ in 0..200 {
        server.write(&chunk);
    }
    server.write(b"\n");
    let refused = server.recv();
    assert_eq!(refused["error"]["code"], -32600);
    server.send(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#);
    assert_eq!(server.recv()["result"], json!({}));
    let peak = server.peak_rss_kib();
    eprintln!("peak RSS after a 200 MiB line: {peak} KiB");
    assert!(peak < LIMIT_KIB, "peak RSS {peak} KiB");
    server.finish(None);
}

#[test]
fn a_flood_of_100_000_requests_keeps_memory_flat() {
    let mut server = Process::spawn(&[]);
    let mut flood = Vec::new();
    for id in 0..100_000 {
        flood.extend_from_slice(
            format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}\n").as_bytes(),
        );
    }
    server.write(&flood);
    for id in 0..100_000 {
        assert_eq!(server.recv()["id"], id);
    }
    let peak = server.peak_rss_kib();
    eprintln!("peak RSS after 100,000 requests: {peak} KiB");
    assert!(peak < LIMIT_KIB, "peak RSS {peak} KiB");
    server.finish(None);
}

#[test]
fn a_host_closing_stdout_ends_the_server_quietly() {
    let mut child = command(&[], &[], Network::Host).spawn().unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    // The first answer hits the closed pipe; the server stops reading, so later writes may fail.
    for id in 0..1_000 {
        if stdin
            .write_all(
                format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}\n").as_bytes(),
            )
            .is_err()
        {
            break;
        }
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}
