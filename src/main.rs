//! `dingtalk-mcp`: an MCP server on stdio that posts messages to DingTalk group chats through
//! custom robot webhooks.
//!
//! With no arguments it serves MCP on stdin/stdout until stdin closes. Nothing but JSON-RPC is
//! ever written to stdout; diagnostics go to stderr.

mod clip;
mod compose;
mod config;
mod dingtalk;
mod jsonrpc;
mod server;
mod tools;
mod transport;
mod version;

use std::io::{self, Write};
use std::process::ExitCode;

use dingtalk::{Deliver, Robot};
use server::Server;

const USAGE: &str = concat!(
    "dingtalk-mcp ",
    env!("CARGO_PKG_VERSION"),
    "
Post messages to a DingTalk group chat from an AI assistant: an MCP server on stdio.

USAGE:
    dingtalk-mcp              serve MCP over stdin/stdout (what MCP hosts run)
    dingtalk-mcp --help       print this help
    dingtalk-mcp --version    print the version

ENVIRONMENT:
    DINGTALK_BOT_ACCESS_TOKEN   the robot's access token, or its whole webhook URL (required)
    DINGTALK_BOT_SECRET         the robot's signing secret, SEC… (if the robot signs)
    DINGTALK_TIMEOUT_SECS       whole-request timeout in seconds (default 10)

TOOLS:
    send_text_message       text, atMobiles?, atUserIds?, atAll?
    send_markdown_message   title, text, atMobiles?, atUserIds?, atAll?
"
);

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    if let Some(arg) = args.next() {
        return match arg.to_str() {
            Some("--help" | "-h") => print(USAGE),
            Some("--version" | "-V") => {
                print(&format!("dingtalk-mcp {}\n", env!("CARGO_PKG_VERSION")))
            }
            _ => {
                eprintln!(
                    "dingtalk-mcp: unknown argument {:?}; run `dingtalk-mcp --help` for usage",
                    arg
                );
                ExitCode::from(2)
            }
        };
    }

    let robot = config::load(|name| std::env::var_os(name)).map(|settings| {
        Box::new(Robot::new(
            settings.webhook,
            settings.secret,
            settings.timeout,
        )) as Box<dyn Deliver>
    });
    if let Err(errors) = &robot {
        eprintln!(
            "dingtalk-mcp: warning: {errors}; every send will fail until this is fixed in the `env` block of this server's MCP host config"
        );
    }
    let mut server = Server::new(robot);
    match server::serve(io::stdin().lock(), io::stdout().lock(), &mut server) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dingtalk-mcp: stopped: {error}");
            ExitCode::FAILURE
        }
    }
}

fn print(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
