//! dingtalk-mcp: an MCP server on stdio that posts messages to DingTalk group chats through
//! custom robot webhooks.
//!
//! The binary (`src/main.rs`) is a thin shell over this library; the library exists so that the
//! fuzz target (`fuzz/`) can drive the same line handler the binary serves.

pub mod cli;
mod clip;
mod clock;
mod compose;
pub mod config;
pub mod dingtalk;
mod jsonrpc;
pub mod robots;
pub mod server;
mod tools;
mod transport;
mod version;
