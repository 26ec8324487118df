//! Fuzzes the line handler: any bytes a host can send as one line.
//!
//! Invariants: no panic escapes; every answer is one JSON-RPC response (or a batch of them);
//! and no answer is -32603, which the server gives only when handling panicked (a caught panic
//! is still a bug). Sends go to a sender that accepts everything, so no network is touched.

#![no_main]

use std::cell::RefCell;
use std::ffi::OsString;

use dingtalk_mcp::dingtalk::{Deliver, SendError};
use dingtalk_mcp::robots::Fleet;
use dingtalk_mcp::server::Server;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

struct Accept;

impl Deliver for Accept {
    fn deliver(&self, _: &[u8]) -> Result<(), SendError> {
        Ok(())
    }
}

fn server() -> Server {
    let state = std::env::temp_dir().join(format!("dingtalk-mcp-fuzz-{}", std::process::id()));
    let env = |name: &str| -> Option<OsString> {
        match name {
            "DINGTALK_BOTS" => Some(
                r#"[{"name":"ops","webhook":"token","keywords":["kw"],"rate_limit":"1000000/1s"},
                    {"name":"dev","webhook":"token2","secret":"SECx"}]"#
                    .into(),
            ),
            "DINGTALK_STATE_DIR" => Some(state.clone().into_os_string()),
            "DINGTALK_MAX_WAIT_SECS" => Some("0".into()),
            _ => None,
        }
    };
    let config = dingtalk_mcp::config::load(env, None, |_| Ok(String::new()))
        .expect("the fuzz configuration is valid");
    Server::new(Ok(Fleet::new(config, |_| Box::new(Accept))))
}

thread_local! {
    static SERVER: RefCell<Server> = RefCell::new(server());
}

fn check(response: &Value) {
    let object = response.as_object().expect("a response is an object");
    assert_eq!(object.get("jsonrpc"), Some(&Value::from("2.0")));
    assert!(object.contains_key("id"));
    assert!(object.contains_key("result") != object.contains_key("error"));
    assert_ne!(response["error"]["code"], -32603, "handling panicked: {response}");
}

fuzz_target!(|line: &[u8]| {
    let answer = SERVER.with(|server| server.borrow_mut().handle_line(line));
    let json = serde_json::to_value(&answer).expect("answers serialize");
    match &json {
        Value::Null => {}
        Value::Array(batch) => batch.iter().for_each(check),
        single => check(single),
    }
});
