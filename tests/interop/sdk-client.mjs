// Drives the dingtalk-mcp release binary with the official TypeScript SDK client
// (Client + StdioClientTransport), as a host would. Run by tests/interop.rs, which starts a
// loopback fake DingTalk and passes: DINGTALK_MCP_BIN, FAKE_WEBHOOK, FAKE_SECRET, FAKE_STATE_DIR,
// and EXPECTED_TOOLS (the tool names in order, from tests/common/mod.rs). The fake
// answers errcode 0, 0, 310000, 310000 in that order.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const { DINGTALK_MCP_BIN, FAKE_WEBHOOK, FAKE_SECRET, FAKE_STATE_DIR, EXPECTED_TOOLS } = process.env;
assert.ok(
  DINGTALK_MCP_BIN && FAKE_WEBHOOK && FAKE_SECRET && FAKE_STATE_DIR && EXPECTED_TOOLS,
  "run me from tests/interop.rs",
);

// Like a host config: only the `env` block reaches the server (plus the SDK's default whitelist).
const transport = new StdioClientTransport({
  command: DINGTALK_MCP_BIN,
  args: [],
  env: {
    DINGTALK_BOT_ACCESS_TOKEN: FAKE_WEBHOOK,
    DINGTALK_BOT_SECRET: FAKE_SECRET,
    DINGTALK_STATE_DIR: FAKE_STATE_DIR,
  },
  stderr: "pipe",
});
let stderr = "";
transport.stderr?.on("data", (chunk) => (stderr += chunk));
const client = new Client({ name: "interop-sdk", version: "1.0.0" });
client.onerror = (error) => assert.fail(`client error: ${error}`);

let passed = 0;
const check = async (name, body) => {
  await body();
  passed += 1;
  console.log(`ok - ${name}`);
};

await client.connect(transport);
await check("initialize negotiates the SDK's latest version", async () => {
  assert.equal(client.getServerVersion().name, "dingtalk-mcp");
  assert.deepEqual(client.getServerCapabilities(), { tools: { listChanged: false } });
  assert.match(client.getInstructions(), /DingTalk group/);
});

let tools;
await check("tools/list returns every tool with an output schema", async () => {
  ({ tools } = await client.listTools());
  assert.deepEqual(tools.map((t) => t.name), EXPECTED_TOOLS.split(","));
  for (const tool of tools) {
    assert.equal(tool.annotations.readOnlyHint, ["preview_message", "list_robots"].includes(tool.name));
    assert.equal(tool.outputSchema.type, "object");
  }
});

// callTool validates structuredContent against the tool's outputSchema (it throws otherwise).
const calls = [
  ["send_text_message", { text: "interop text", atMobiles: ["13800000000"] }],
  ["send_markdown_message", { title: "Interop", text: "# Interop\n\n**markdown**" }],
];
for (const [name, args] of calls) {
  await check(`${name} succeeds`, async () => {
    const result = await client.callTool({ name, arguments: args });
    assert.equal(result.isError, false);
    assert.equal(result.structuredContent.ok, true);
    assert.equal(result.structuredContent.errcode, 0);
    assert.equal(result.structuredContent.delivered, "yes");
    assert.match(result.content[0].text, /^Sent: /);
  });
}
for (const [name, args] of calls) {
  await check(`${name} reports DingTalk errcode 310000 as a tool error`, async () => {
    // A new text: the same message again would be suppressed as a duplicate.
    const result = await client.callTool({ name, arguments: { ...args, text: `${args.text} again` } });
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.errcode, 310000);
    assert.equal(result.structuredContent.delivered, "no");
    assert.match(result.structuredContent.hint, /keyword/);
  });
}
await check("a bad argument is a tool error the model can read", async () => {
  const result = await client.callTool({ name: "send_text_message", arguments: { text: "" } });
  assert.equal(result.isError, true);
  assert.match(result.content[0].text, /argument `text`/);
});
await check("an unknown tool is a protocol error", async () => {
  await assert.rejects(client.callTool({ name: "nope", arguments: {} }), /Unknown tool/);
});
await check("a repeated message is not posted twice", async () => {
  const result = await client.callTool({ name: "send_text_message", arguments: calls[0][1] });
  assert.equal(result.isError, false);
  assert.equal(result.structuredContent.duplicate, true);
});
await check("ping", async () => {
  assert.deepEqual(await client.ping(), {});
});
await client.close();
assert.ok(!stderr.includes(FAKE_SECRET), "the secret never reaches stderr");
console.log(`${passed} passed, 0 failed`);
