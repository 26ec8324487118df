//! Everything the server writes, validated against the official schema of the protocol version
//! it negotiated (`shared/reference/mcp-spec/schema-<version>.json`), and every
//! `structuredContent` against its tool's `outputSchema` (the TypeScript SDK client enforces it).

mod common;

use common::fake::{Fake, Reply};
use common::schema::McpSchema;
use common::{Process, SECRET, TOKEN};
use serde_json::{Value, json};

const LEGACY_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// Validates one response envelope and its result against `version`'s schema.
fn validate_response(
    schema: &McpSchema,
    response: &Value,
    result_type: &str,
) -> Result<(), String> {
    if response.get("error").is_some() {
        let envelope = if schema.has("JSONRPCErrorResponse") {
            "JSONRPCErrorResponse"
        } else {
            "JSONRPCError"
        };
        return schema.validate(envelope, response);
    }
    let envelope = if schema.has("JSONRPCResultResponse") {
        "JSONRPCResultResponse"
    } else {
        "JSONRPCResponse"
    };
    schema.validate(envelope, response)?;
    schema.validate(result_type, &response["result"])
}

#[test]
fn every_answer_matches_the_negotiated_versions_schema() {
    for version in LEGACY_VERSIONS {
        let schema = McpSchema::load(version);
        let fake = Fake::start(TOKEN, Some(SECRET));
        fake.script([
            Reply::Errcode(0, "ok"),
            Reply::Errcode(0, "ok"),
            Reply::Errcode(130101, "send too fast"),
        ]);
        let mut server = Process::for_fake(&fake, Some(SECRET));
        let init = server.request(
            0,
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}),
        );
        assert_eq!(init["result"]["protocolVersion"], version);
        server.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        let mut checks = vec![(init, "InitializeResult")];
        let tools = server.request(1, "tools/list", json!({}));
        checks.push((tools.clone(), "ListToolsResult"));
        let calls = [
            json!({"name": "send_text_message", "arguments": {"text": "hi", "atMobiles": ["13800000000"]}}),
            json!({"name": "send_markdown_message", "arguments": {"title": "t", "text": "**x**"}}),
            json!({"name": "send_text_message", "arguments": {"text": "throttled"}}),
            json!({"name": "send_text_message", "arguments": {"text": ""}}),
        ];
        for (i, params) in calls.into_iter().enumerate() {
            let response = server.request(10 + i as i64, "tools/call", params.clone());
            let result = &response["result"];
            if let Some(structured) = result.get("structuredContent") {
                let tool = tools["result"]["tools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["name"] == params["name"])
                    .unwrap();
                schema
                    .validate_with(&tool["outputSchema"], structured)
                    .unwrap_or_else(|e| panic!("{version} structuredContent vs outputSchema: {e}"));
            }
            checks.push((response, "CallToolResult"));
        }
        checks.push((server.request(20, "ping", json!({})), "EmptyResult"));
        checks.push((server.request(21, "no/such/method", json!({})), ""));
        checks.push((
            server.request(22, "tools/call", json!({"name": "nope"})),
            "",
        ));
        for (response, result_type) in &checks {
            validate_response(&schema, response, result_type)
                .unwrap_or_else(|e| panic!("{version}: {response}\n{e}"));
        }
        let has_structured = version >= "2025-06-18";
        for tool in tools["result"]["tools"].as_array().unwrap() {
            assert_eq!(
                tool.get("outputSchema").is_some(),
                has_structured,
                "{version}"
            );
            assert_eq!(
                tool.get("annotations").is_some(),
                version >= "2025-03-26",
                "{version}"
            );
        }
        server.finish(Some(&fake));
    }
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let schema = McpSchema::load("2025-11-25");
    assert!(
        schema
            .validate("CallToolResult", &json!({"isError": false}))
            .is_err(),
        "content is required"
    );
    assert!(
        schema
            .validate("CallToolResult", &json!({"content": [{"type": "text"}]}))
            .is_err(),
        "a text block needs text"
    );
    assert!(schema
        .validate("InitializeResult", &json!({"protocolVersion": 1, "capabilities": {}, "serverInfo": {"name": "x", "version": "1"}}))
        .is_err());
    assert!(
        schema
            .validate(
                "JSONRPCResultResponse",
                &json!({"jsonrpc": "2.0", "id": 1.5, "result": {}})
            )
            .is_err(),
        "fractional ids are not ids"
    );
    assert!(schema
        .validate_with(&json!({"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}), &json!({"ok": "yes"}))
        .is_err());
    assert!(
        schema
            .validate(
                "CallToolResult",
                &json!({"content": [{"type": "text", "text": "x"}]})
            )
            .is_ok()
    );
}

/// JSON-RPC 2.0 requires `"id": null` when a request's id cannot be read; the MCP schemas type
/// ids as string or integer only. We follow JSON-RPC (Python clients require the null; the
/// TypeScript client logs the line and goes on), and check the rest of the envelope here.
#[test]
fn errors_without_a_readable_id_are_otherwise_schema_valid() {
    let schema = McpSchema::load("2025-11-25");
    let mut server = Process::spawn(&[]);
    server.send("not json");
    let mut response = server.recv();
    assert_eq!(response["id"], Value::Null);
    response.as_object_mut().unwrap().remove("id");
    schema.validate("JSONRPCErrorResponse", &response).unwrap();
    server.finish(None);
}

/// `_meta` of a 2026-07-28 request.
fn modern_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "schema-test", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

#[test]
fn stateless_answers_match_the_2026_07_28_schema() {
    let schema = McpSchema::load("2026-07-28");
    let fake = Fake::start(TOKEN, Some(SECRET));
    fake.script([
        Reply::Errcode(0, "ok"),
        Reply::Errcode(310000, "keywords not in content"),
    ]);
    let mut server = Process::for_fake(&fake, Some(SECRET));
    let discover = server.request(1, "server/discover", json!({"_meta": modern_meta()}));
    schema
        .validate("DiscoverResultResponse", &discover)
        .unwrap();
    assert_eq!(
        discover["result"]["supportedVersions"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let tools = server.request(2, "tools/list", json!({"_meta": modern_meta()}));
    validate_response(&schema, &tools, "ListToolsResult").unwrap();
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, common::TOOL_NAMES, "a deterministic order");
    for (id, text) in [(3, "delivered"), (4, "refused"), (5, "")] {
        let call = server.request(
            id,
            "tools/call",
            json!({"name": "send_text_message", "arguments": {"text": text}, "_meta": modern_meta()}),
        );
        validate_response(&schema, &call, "CallToolResult")
            .unwrap_or_else(|e| panic!("{call}\n{e}"));
        schema
            .validate_with(
                &tools["result"]["tools"][0]["outputSchema"],
                &call["result"]["structuredContent"],
            )
            .unwrap();
        assert_eq!(
            call["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
            "dingtalk-mcp"
        );
    }
    let mut meta = modern_meta();
    meta["io.modelcontextprotocol/protocolVersion"] = "1900-01-01".into();
    let unsupported = server.request(6, "tools/list", json!({"_meta": meta}));
    schema
        .validate("UnsupportedProtocolVersionError", &unsupported)
        .unwrap();
    let mut meta = modern_meta();
    meta.as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientCapabilities");
    let invalid = server.request(7, "tools/list", json!({"_meta": meta}));
    schema
        .validate("InvalidParamsError", &invalid["error"])
        .unwrap();
    validate_response(&schema, &invalid, "").unwrap();
    server.finish(Some(&fake));
}
