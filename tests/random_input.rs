//! A deterministic randomized test of everything a host can send: random bytes, truncated and
//! mutated valid messages, invalid UTF-8, deep nesting, huge numbers, ids and strings, and wrong
//! types in every field of every method and every tool argument. 100,000 inputs from fixed seeds
//! (a std-only generator), each followed by a `ping`: the server must answer the ping, write
//! nothing but JSON-RPC, answer every request exactly once and no notification at all.

mod common;

use common::fake::Fake;
use common::{Process, TOKEN, assert_json_rpc_line};
use serde_json::{Map, Value, json};

/// SplitMix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const METHODS: [&str; 7] = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "server/discover",
    "resources/list",
    "notifications/initialized",
];
const FIELDS: [&str; 21] = [
    "text",
    "title",
    "atMobiles",
    "atUserIds",
    "atAll",
    "robot",
    "allowDuplicate",
    "messageUrl",
    "picUrl",
    "singleTitle",
    "singleUrl",
    "buttons",
    "buttonsHorizontal",
    "links",
    "tool",
    "arguments",
    "protocolVersion",
    "capabilities",
    "cursor",
    "_meta",
    "name",
];

/// A JSON value of a random type: the wrong type for most fields.
fn any_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 2 { 8 } else { 10 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!(rng.next()),
        4 => json!(f64::from(rng.below(1000) as u32) / 7.0),
        5 => json!(""),
        6 => json!(
            [
                "13800000000",
                "+852-12345678",
                "bad",
                "",
                "@x",
                "https://a.example",
                "javascript:x"
            ][rng.below(7)]
        ),
        // A huge string now and then (up to 120,000 characters, 360 KB).
        7 if rng.below(20) == 0 => Value::String("界".repeat(rng.below(4) * 40_000)),
        7 => Value::String("界".repeat(rng.below(100))),
        8 => Value::Array(
            (0..rng.below(4))
                .map(|_| any_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(rng.pick(&FIELDS).to_string(), any_value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

fn any_id(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(u64::MAX),
        3 => json!(i64::MIN),
        4 => json!(format!("id-{}", rng.next())),
        5 => json!(""),
        6 => json!(rng.below(1_000_000)),
        _ => any_value(rng, 3),
    }
}

/// A request or notification of a known method with plausible-but-wrong params.
fn message(rng: &mut Rng) -> Value {
    let method = *rng.pick(&METHODS);
    let mut params = Map::new();
    if method == "tools/call" {
        let name = match rng.below(10) {
            0 => any_value(rng, 1),
            1 => json!("no_such_tool"),
            _ => json!(rng.pick(&common::TOOL_NAMES)),
        };
        params.insert("name".into(), name);
        let mut arguments = Map::new();
        for _ in 0..rng.below(5) {
            arguments.insert(rng.pick(&FIELDS).to_string(), any_value(rng, 1));
        }
        if rng.below(3) == 0 {
            arguments.insert("text".into(), json!(format!("random {}", rng.next())));
        }
        params.insert(
            "arguments".into(),
            if rng.below(8) == 0 {
                any_value(rng, 1)
            } else {
                Value::Object(arguments)
            },
        );
    } else {
        for _ in 0..rng.below(3) {
            params.insert(rng.pick(&FIELDS).to_string(), any_value(rng, 1));
        }
    }
    if rng.below(6) == 0 {
        params.insert(
            "_meta".into(),
            json!({"io.modelcontextprotocol/protocolVersion": rng.pick(&["2026-07-28", "2025-11-25", "1999-01-01"]),
                   "io.modelcontextprotocol/clientCapabilities": any_value(rng, 2)}),
        );
    }
    let mut message = json!({"jsonrpc": "2.0", "method": method, "params": params});
    if rng.below(5) != 0 {
        message["id"] = any_id(rng);
    }
    match rng.below(12) {
        0 => message["jsonrpc"] = any_value(rng, 3),
        1 => message["params"] = any_value(rng, 2),
        2 => message["method"] = any_value(rng, 3),
        _ => {}
    }
    message
}

/// One input line (never containing `\n`).
fn input(rng: &mut Rng) -> Vec<u8> {
    let mut line = match rng.below(10) {
        // Random bytes, invalid UTF-8 included.
        0 => (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
        // A valid message, truncated.
        1 => {
            let text = message(rng).to_string().into_bytes();
            let cut = rng.below(text.len() + 1);
            text[..cut].to_vec()
        }
        // A valid message with random byte mutations.
        2 => {
            let mut text = message(rng).to_string().into_bytes();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(text.len());
                match rng.below(3) {
                    0 => text[at] = rng.next() as u8,
                    1 => {
                        text.remove(at);
                    }
                    _ => text.insert(at, *rng.pick(b"{}[]\",:0-.e\\x\xff")),
                }
            }
            text
        }
        // Deep nesting, past serde_json's recursion limit or not.
        3 => {
            let depth = *rng.pick(&[10, 127, 129, 5_000, 5_000, 5_000, 5_000, 200_000]);
            let open = *rng.pick(&["[", "{\"a\":"]);
            let close = if open == "[" { "]" } else { "}" };
            format!("{}1{}", open.repeat(depth), close.repeat(depth)).into_bytes()
        }
        // Huge numbers and ids.
        4 => {
            let number = rng.pick(&[
                "1e400",
                "-1e400",
                "18446744073709551616",
                "123456789012345678901234567890",
                "0.0000001",
                "-0",
            ]);
            format!(r#"{{"jsonrpc":"2.0","id":{number},"method":"ping"}}"#).into_bytes()
        }
        // A batch of messages.
        5 => {
            let items: Vec<Value> = (0..rng.below(4)).map(|_| message(rng)).collect();
            Value::Array(items).to_string().into_bytes()
        }
        // A well-formed message with wrong types.
        _ => message(rng).to_string().into_bytes(),
    };
    line.retain(|&b| b != b'\n');
    line
}

/// How many answers an input must get, by JSON-RPC's rules; `None` for a line that is blank
/// (nothing to answer).
fn expected_answers(line: &[u8]) -> Option<(usize, Option<Value>)> {
    let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
    if trimmed.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let Ok(value) = serde_json::from_slice::<Value>(trimmed) else {
        return Some((1, Some(Value::Null)));
    };
    let answers_one = |item: &Value| -> (bool, Option<Value>) {
        let Value::Object(object) = item else {
            return (true, Some(Value::Null));
        };
        let has_method = object.contains_key("method");
        let is_response =
            !has_method && (object.contains_key("result") || object.contains_key("error"));
        match object.get("id") {
            _ if is_response => (false, None),
            None if has_method => (false, None),
            None => (true, Some(Value::Null)),
            Some(id) => {
                let readable = id.is_string() || id.is_i64() || id.is_u64();
                (true, Some(if readable { id.clone() } else { Value::Null }))
            }
        }
    };
    match &value {
        Value::Array(items) if items.is_empty() => Some((1, Some(Value::Null))),
        Value::Array(items) => {
            let answered = items.iter().filter(|item| answers_one(item).0).count();
            Some((usize::from(answered > 0), None))
        }
        single => match answers_one(single) {
            (true, id) => Some((1, id)),
            (false, _) => Some((0, None)),
        },
    }
}

fn run(seed: u64, count: usize) {
    let fake = Fake::start(TOKEN, None);
    let url = fake.url();
    let mut server = Process::spawn(&[
        ("DINGTALK_BOT_ACCESS_TOKEN", url.as_str()),
        ("DINGTALK_MAX_WAIT_SECS", "0"),
        ("DINGTALK_TIMEOUT_SECS", "2"),
    ]);
    let mut rng = Rng(seed);
    for n in 0..count {
        let line = input(&mut rng);
        let ping = format!(r#"{{"jsonrpc":"2.0","id":"ping-{n}","method":"ping"}}"#);
        let mut bytes = line.clone();
        bytes.push(b'\n');
        bytes.extend_from_slice(ping.as_bytes());
        bytes.push(b'\n');
        server.write(&bytes);
        let mut answers = Vec::new();
        loop {
            let answer = server.recv();
            assert_json_rpc_line(&answer.to_string());
            if answer["id"] == format!("ping-{n}") {
                assert_eq!(
                    answer["result"],
                    json!({}),
                    "seed {seed} input {n}: the ping"
                );
                break;
            }
            answers.push(answer);
        }
        let shown = String::from_utf8_lossy(&line[..line.len().min(300)]).into_owned();
        match expected_answers(&line) {
            None => assert!(
                answers.is_empty(),
                "seed {seed} input {n} is blank: {shown}"
            ),
            Some((count, id)) => {
                assert_eq!(
                    answers.len(),
                    count,
                    "seed {seed} input {n}: {shown}\n{answers:?}"
                );
                if let (Some(answer), Some(id)) = (answers.first(), id) {
                    assert_eq!(
                        answer["id"], id,
                        "seed {seed} input {n}: the id is echoed: {shown}"
                    );
                }
            }
        }
    }
    let finished = server.finish(Some(&fake));
    assert!(finished.status.success());
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
}

// Four seeds of 25,000 inputs each: 100,000 in all, two at a time on two cores.
#[test]
fn random_inputs_seed_1() {
    run(1, 25_000);
}

#[test]
fn random_inputs_seed_2() {
    run(2, 25_000);
}

#[test]
fn random_inputs_seed_3() {
    run(3, 25_000);
}

#[test]
fn random_inputs_seed_4() {
    run(4, 25_000);
}
