//! A loopback fake of DingTalk's robot webhook (std `TcpListener`, HTTP/1.1 keep-alive).
//!
//! It checks each request the way DingTalk does — path, access token, signature and its one-hour
//! window, content type, JSON body and the 20,000-byte limit — answers with DingTalk's errcodes
//! when a check fails, records every request, and otherwise answers whatever a test scripted:
//! any errcode, an HTTP error, garbage, a slow answer, or nothing at all.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::percent_decode_str;
use serde_json::Value;
use sha2::Sha256;

/// What the fake answers to a request that passes DingTalk's checks.
#[derive(Debug, Clone)]
pub enum Reply {
    /// HTTP 200 `{"errcode":…,"errmsg":…}`.
    Errcode(i64, &'static str),
    /// This status with this body (e.g. 500 and an HTML page).
    Status(u16, &'static str),
    /// HTTP 200 with a body that is not JSON.
    Garbage(&'static str),
    /// Waits this long, then answers errcode 0.
    Slow(Duration),
    /// Reads the request and never answers.
    Hang,
    /// Announces a 100-byte body, sends 10 bytes, and closes.
    Truncated,
    /// Announces and streams a 50 MiB body.
    Huge,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The path, without the query.
    pub path: String,
    /// The decoded query parameters.
    pub query: HashMap<String, String>,
    /// The raw query string as sent.
    pub raw_query: String,
    /// Lower-cased header names to values.
    pub headers: HashMap<String, String>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The connection it came on (counts from 0).
    pub connection: usize,
}

impl Recorded {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the recorded body is JSON")
    }
}

struct State {
    token: String,
    secret: Option<String>,
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
}

/// A running fake webhook; it lives until the test process exits.
pub struct Fake {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Fake {
    /// Starts a fake robot with this token and, if it signs, this secret.
    pub fn start(token: &str, secret: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(Mutex::new(State {
            token: token.to_owned(),
            secret: secret.map(str::to_owned),
            replies: VecDeque::new(),
            requests: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            let connections = AtomicUsize::new(0);
            for stream in listener.incoming().flatten() {
                let n = connections.fetch_add(1, Ordering::SeqCst);
                let state = Arc::clone(&shared);
                thread::spawn(move || serve_connection(stream, n, &state));
            }
        });
        Self { port, state }
    }

    /// The webhook URL a user would paste, pointing at this fake.
    pub fn url(&self) -> String {
        let token = self.state.lock().unwrap().token.clone();
        format!(
            "http://127.0.0.1:{}/robot/send?access_token={token}",
            self.port
        )
    }

    /// `http://127.0.0.1:PORT`, for fixtures.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Queues answers for the next requests; afterwards the fake answers errcode 0.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().replies.extend(replies);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Every signature received, for leak checks.
    pub fn signatures(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|r| r.query.get("sign").cloned())
            .collect()
    }
}

/// DingTalk's signature: base64(HMAC-SHA256(secret, timestamp + "\n" + secret)).
pub fn expected_sign(secret: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn serve_connection(stream: TcpStream, connection: usize, state: &Mutex<State>) {
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader, connection) {
        let reply = check(&request, state);
        let (status, body) = match reply {
            Reply::Errcode(code, msg) => (200, dingtalk_body(code, msg)),
            Reply::Status(status, body) => (status, body.to_owned()),
            Reply::Garbage(body) => (200, body.to_owned()),
            Reply::Slow(delay) => {
                thread::sleep(delay);
                (200, dingtalk_body(0, "ok"))
            }
            Reply::Hang => {
                // Hold the connection until the client gives up and closes it.
                let _ = reader.read_to_end(&mut Vec::new());
                return;
            }
            Reply::Truncated => {
                let _ =
                    writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"errcode\"");
                return;
            }
            Reply::Huge => {
                let size = 50 * 1024 * 1024;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                let chunk = vec![b' '; 64 * 1024];
                let _ = writer.write_all(head.as_bytes());
                // Stops as soon as the client stops reading and closes.
                for _ in 0..size / chunk.len() {
                    if writer.write_all(&chunk).is_err() {
                        return;
                    }
                }
                return;
            }
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(body.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

fn dingtalk_body(errcode: i64, errmsg: &str) -> String {
    serde_json::json!({"errcode": errcode, "errmsg": errmsg}).to_string()
}

fn read_request(reader: &mut BufReader<TcpStream>, connection: usize) -> Option<Recorded> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    assert_eq!(method, "POST", "the server only ever POSTs");
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    assert!(
        !headers.contains_key("transfer-encoding"),
        "the fake expects a Content-Length body"
    );
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let query = raw_query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_decode_str(v).decode_utf8_lossy().into_owned(),
            )
        })
        .collect();
    Some(Recorded {
        path: path.to_owned(),
        query,
        raw_query: raw_query.to_owned(),
        headers,
        body,
        connection,
    })
}

/// DingTalk's own checks, then the scripted reply.
fn check(request: &Recorded, state: &Mutex<State>) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push(request.clone());
    if request.path != "/robot/send" {
        return Reply::Status(404, "not found");
    }
    if request.query.get("access_token") != Some(&state.token) {
        return Reply::Errcode(300001, "token is not exist");
    }
    if let Some(secret) = &state.secret {
        let (Some(timestamp), Some(sign)) =
            (request.query.get("timestamp"), request.query.get("sign"))
        else {
            return Reply::Errcode(310000, "sign not match");
        };
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i128;
        match timestamp.parse::<i128>() {
            Ok(ts) if (now_ms - ts).abs() <= 3_600_000 => {}
            _ => return Reply::Errcode(310000, "invalid timestamp"),
        }
        if *sign != expected_sign(secret, timestamp) {
            return Reply::Errcode(310000, "sign not match");
        }
    }
    let content_type = request.headers.get("content-type").map(String::as_str);
    if !content_type.is_some_and(|ct| ct.starts_with("application/json")) {
        return Reply::Errcode(43004, "invalid HTTP header Content-Type");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return Reply::Errcode(40035, "缺少参数 json");
    };
    if request.body.len() > 20_000 {
        return Reply::Errcode(460101, "message too long, exceed 20000 bytes");
    }
    // DingTalk's own field names and casing, per message type.
    let strings = |object: &Value, fields: &[&str]| fields.iter().all(|f| object[*f].is_string());
    let valid = match body["msgtype"].as_str() {
        Some("text") => strings(&body["text"], &["content"]),
        Some("markdown") => strings(&body["markdown"], &["title", "text"]),
        Some("link") => strings(&body["link"], &["title", "text", "messageUrl"]),
        Some("actionCard") => {
            let card = &body["actionCard"];
            strings(card, &["title", "text"])
                && (strings(card, &["singleTitle", "singleURL"])
                    || card["btns"].as_array().is_some_and(|btns| {
                        !btns.is_empty() && btns.iter().all(|b| strings(b, &["title", "actionURL"]))
                    }))
        }
        Some("feedCard") => body["feedCard"]["links"].as_array().is_some_and(|links| {
            !links.is_empty()
                && links
                    .iter()
                    .all(|l| strings(l, &["title", "messageURL", "picURL"]))
        }),
        _ => return Reply::Errcode(400105, "不支持的消息类型"),
    };
    if !valid {
        return Reply::Errcode(400402, "参数缺失");
    }
    state.replies.pop_front().unwrap_or(Reply::Errcode(0, "ok"))
}
