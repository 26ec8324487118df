//! Failing and corporate networks: every fault is a tool error that says what happened and
//! what to do, within the timeout plus a second, and the next call works. Retries happen only
//! when DingTalk cannot have received the message. Proxies and extra CA roots are honoured.
//! Everything runs against loopback servers; the DNS failure runs in an empty network namespace.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::fake::{Fake, Reply};
use common::{
    Audited, Network, Output, Process, SECRET, TOKEN, fresh_state_dir, result_text, run_once,
};
use serde_json::{Value, json};

fn facts(result: &Value) -> &Value {
    &result["structuredContent"]
}

/// A server for `url` with a one-second timeout and an audit log in its own state directory.
fn server_for(url: &str, extra: &[(&str, &str)]) -> (Process, PathBuf) {
    let audited = Audited::new();
    let mut env = audited.robot_env(url);
    env.push(("DINGTALK_TIMEOUT_SECS", "1"));
    env.extend_from_slice(extra);
    let mut server = Process::spawn(&env);
    server.initialize("2025-11-25");
    (server, audited.state)
}

/// Asserts no secret reached the state directory (audit log and state files).
fn assert_no_secret_stored(state: &Path, signatures: &[String]) {
    let Ok(entries) = std::fs::read_dir(state) else {
        return;
    };
    for entry in entries {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for secret in [TOKEN, SECRET]
            .iter()
            .copied()
            .chain(signatures.iter().map(String::as_str))
        {
            assert!(
                !text.contains(secret),
                "a secret reached {}",
                state.display()
            );
        }
    }
}

#[test]
fn every_network_fault_is_reported_in_time_and_the_next_call_works() {
    let cases: [(Reply, &str, &str, &str); 6] = [
        (
            Reply::Hang,
            "timeout",
            "unknown",
            "no answer from DingTalk within 1s",
        ),
        (
            Reply::Slow(Duration::from_secs(3)),
            "timeout",
            "unknown",
            "no answer from DingTalk within 1s",
        ),
        (
            Reply::Status(500, "<html><h1>Internal Server Error</h1></html>"),
            "http",
            "unknown",
            "HTTP 500",
        ),
        (
            Reply::Garbage("\u{0}\u{1}garbage"),
            "reply",
            "unknown",
            "not a DingTalk answer",
        ),
        (
            Reply::Truncated,
            "connection",
            "unknown",
            "may or may not have been delivered",
        ),
        (
            Reply::Huge,
            "reply",
            "unknown",
            "a reply larger than 65536 bytes",
        ),
    ];
    for (reply, kind, delivered, words) in cases {
        let fake = Fake::start(TOKEN, Some(SECRET));
        fake.script([reply.clone()]);
        let (mut server, state) = server_for(&fake.url(), &[]);
        let begun = Instant::now();
        let result = server.call(1, "send_text_message", json!({"text": "fault"}));
        let elapsed = begun.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "{reply:?}: answered after {elapsed:?}"
        );
        assert_eq!(result["isError"], true, "{reply:?}");
        assert_eq!(facts(&result)["errorKind"], kind, "{reply:?}: {result}");
        assert_eq!(facts(&result)["delivered"], delivered, "{reply:?}");
        let text = result_text(&result);
        assert!(text.contains(words), "{reply:?}: {text}");
        assert!(
            text.contains("Check the group before sending again"),
            "{reply:?}: {text}"
        );
        assert_eq!(
            fake.requests().len(),
            1,
            "{reply:?}: never retried after the request went out"
        );
        let next = server.call(2, "send_text_message", json!({"text": "next"}));
        assert_eq!(
            next["isError"], false,
            "{reply:?}: the next call works: {next}"
        );
        server.finish(Some(&fake));
        assert_no_secret_stored(&state, &fake.signatures());
    }
}

#[test]
fn busy_is_retried_with_a_fresh_signature_and_succeeds() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    fake.script([
        Reply::Errcode(-1, "系统繁忙"),
        Reply::Errcode(-1, "系统繁忙"),
    ]);
    let (mut server, _) = server_for(&fake.url(), &[("DINGTALK_TIMEOUT_SECS", "5")]);
    let result = server.call(1, "send_text_message", json!({"text": "busy"}));
    assert_eq!(result["isError"], false, "{result}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "two retries");
    assert_ne!(
        requests[0].query["timestamp"], requests[2].query["timestamp"],
        "each attempt is signed anew"
    );
    server.finish(Some(&fake));
}

#[test]
fn a_refused_connection_is_retried_then_reported_as_not_sent() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/robot/send?access_token={TOKEN}");
    let (mut server, state) = server_for(&url, &[]);
    let begun = Instant::now();
    let result = server.call(1, "send_text_message", json!({"text": "x"}));
    assert!(begun.elapsed() < Duration::from_secs(2));
    assert_eq!(facts(&result)["errorKind"], "connection");
    assert_eq!(facts(&result)["delivered"], "no");
    assert!(
        result_text(&result).contains("nothing was sent")
            && result_text(&result).contains("check the network")
    );
    server.finish(None);
    assert_no_secret_stored(&state, &[]);
}

#[test]
fn dns_failure_in_an_empty_network_namespace_is_reported_as_not_sent() {
    // No resolver is reachable in a new network namespace: the lookup of a real host fails
    // without any packet leaving this machine. Both configuration forms are covered.
    for token in [
        TOKEN.to_owned(),
        format!("https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"),
    ] {
        let env = [
            ("DINGTALK_BOT_ACCESS_TOKEN", token.as_str()),
            ("DINGTALK_BOT_SECRET", SECRET),
            ("DINGTALK_TIMEOUT_SECS", "2"),
        ];
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"send_text_message","arguments":{"text":"x"}}}"#;
        let output = run_once(&[], &env, &format!("{call}\n"), Network::None);
        assert_eq!(output.code, Some(0), "{output:?}");
        let Output { stdout, stderr, .. } = output;
        let result: Value = serde_json::from_str(stdout.trim()).unwrap();
        let result = &result["result"];
        assert_eq!(facts(result)["errorKind"], "connection", "{result}");
        assert_eq!(facts(result)["delivered"], "no");
        assert!(
            result_text(result).contains("failed to lookup address"),
            "{result}"
        );
        assert!(result_text(result).contains("nothing was sent"), "{result}");
        for secret in [TOKEN, SECRET] {
            assert!(!stdout.contains(secret) && !stderr.contains(secret));
        }
    }
}

/// A loopback HTTP proxy that forwards absolute-form requests and tunnels CONNECT, recording
/// each request line.
fn start_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let log = Arc::clone(&log);
            thread::spawn(move || proxy_connection(client, &log));
        }
    });
    (port, seen)
}

fn proxy_connection(client: TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    log.lock().unwrap().push(request_line.clone());
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let mut client_writer = client;
    if method == "CONNECT" {
        let Ok(upstream) = TcpStream::connect(target) else {
            return;
        };
        let _ = client_writer.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n");
        tunnel(reader, client_writer, upstream);
        return;
    }
    let rest = target.strip_prefix("http://").unwrap_or(target);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Ok(mut upstream) = TcpStream::connect(authority) else {
        return;
    };
    let forwarded = head.replacen(target, path, 1);
    let _ = upstream.write_all(forwarded.as_bytes());
    tunnel(reader, client_writer, upstream);
}

fn tunnel(mut from_client: BufReader<TcpStream>, mut to_client: TcpStream, upstream: TcpStream) {
    let mut up_writer = upstream.try_clone().unwrap();
    let mut up_reader = upstream;
    thread::spawn(move || {
        let _ = std::io::copy(&mut up_reader, &mut to_client);
    });
    let _ = std::io::copy(&mut from_client, &mut up_writer);
}

#[test]
fn proxies_are_used_and_no_proxy_bypasses_them() {
    let fake = Fake::start(TOKEN, Some(SECRET));
    let fake_port = fake.base().rsplit(':').next().unwrap().to_owned();
    let (proxy_port, seen) = start_proxy();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    for (var, no_proxy, through) in [
        ("HTTPS_PROXY", None, true),
        ("https_proxy", None, true),
        ("ALL_PROXY", None, true),
        ("HTTPS_PROXY", Some("127.0.0.1"), false),
    ] {
        seen.lock().unwrap().clear();
        let mut extra = vec![(var, proxy.as_str())];
        extra.extend(no_proxy.map(|n| ("NO_PROXY", n)));
        let (mut server, _) = server_for(&fake.url(), &extra);
        let result = server.call(
            1,
            "send_text_message",
            json!({"text": format!("via {var} {no_proxy:?}")}),
        );
        assert_eq!(result["isError"], false, "{var}: {result}");
        // ureq tunnels with CONNECT (or sends an absolute URL): either names the fake's port.
        let went_through = seen
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.contains(&format!("127.0.0.1:{fake_port}")));
        assert_eq!(
            went_through,
            through,
            "{var} with NO_PROXY={no_proxy:?}: {:?}",
            seen.lock().unwrap()
        );
        server.finish(Some(&fake));
    }
}

/// A CA and a server certificate for 127.0.0.1, made with the openssl command line.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the openssl command line is installed");
        assert!(status.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=dingtalk-mcp test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// A loopback HTTPS server answering every request with errcode 0; returns its port and a
/// count of requests served.
fn start_tls_server(cert: &Path, key: &Path) -> (u16, Arc<Mutex<usize>>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(Mutex::new(0));
    let count = Arc::clone(&served);
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
                continue;
            };
            let mut stream = rustls::StreamOwned::new(connection, tcp);
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") {
                if stream.read(&mut byte).unwrap_or(0) == 0 {
                    break;
                }
                request.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&request).to_ascii_lowercase();
            let Some(length) = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
            else {
                continue;
            };
            let mut body = vec![0; length];
            if stream.read_exact(&mut body).is_err() {
                continue;
            }
            *count.lock().unwrap() += 1;
            let reply = r#"{"errcode":0,"errmsg":"ok"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = stream.flush();
            stream.conn.send_close_notify();
            let _ = stream.flush();
        }
    });
    (port, served)
}

#[test]
fn an_untrusted_certificate_fails_clearly_and_dingtalk_ca_file_makes_it_trusted() {
    let dir = fresh_state_dir();
    let (ca, cert, key) = certificates(&dir);
    let (port, served) = start_tls_server(&cert, &key);
    let url = format!("https://127.0.0.1:{port}/robot/send?access_token={TOKEN}");

    let (mut server, _) = server_for(&url, &[]);
    let refused = server.call(1, "send_text_message", json!({"text": "x"}));
    assert_eq!(facts(&refused)["errorKind"], "tls", "{refused}");
    assert_eq!(facts(&refused)["delivered"], "no");
    let text = result_text(&refused);
    assert!(
        text.contains("TLS failed") && text.contains("UnknownIssuer"),
        "{text}"
    );
    server.finish(None);
    assert_eq!(*served.lock().unwrap(), 0);

    let (mut server, _) = server_for(&url, &[("DINGTALK_CA_FILE", ca.to_str().unwrap())]);
    for id in 1..=2 {
        let sent = server.call(
            id,
            "send_text_message",
            json!({"text": format!("trusted {id}")}),
        );
        assert_eq!(sent["isError"], false, "{sent}");
    }
    server.finish(None);
    assert_eq!(*served.lock().unwrap(), 2);

    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let (mut server, _) = server_for(&url, &[("DINGTALK_CA_FILE", not_pem.to_str().unwrap())]);
    let broken = server.call(1, "send_text_message", json!({"text": "x"}));
    assert_eq!(facts(&broken)["errorKind"], "configuration");
    assert!(
        result_text(&broken).contains("DINGTALK_CA_FILE"),
        "{broken}"
    );
    server.finish(None);
}
