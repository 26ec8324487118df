//! `dingtalk-mcp`: an MCP server on stdio that posts messages to DingTalk group chats through
//! custom robot webhooks, and a small command line for people and scripts.
//!
//! With no arguments it serves MCP on stdin/stdout until stdin closes. Nothing but JSON-RPC is
//! ever written to stdout while serving; diagnostics go to stderr.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use dingtalk_mcp::cli::{self, Command};
use dingtalk_mcp::config::{self, ConfigErrors};
use dingtalk_mcp::dingtalk::HttpSender;
use dingtalk_mcp::robots::Fleet;
use dingtalk_mcp::server::{self, Server};

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os().skip(1)) {
        Ok(cli) => cli,
        Err(error) => {
            eprintln!("dingtalk-mcp: {error}; run `dingtalk-mcp --help` for usage");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Help => print(cli::HELP),
        Command::Version => print(&format!("dingtalk-mcp {}\n", env!("CARGO_PKG_VERSION"))),
        Command::Check { send_test } => cli::check(fleet(cli.config), send_test),
        Command::Send { robot, message } => cli::send(fleet(cli.config), robot, message),
        Command::Serve => serve(fleet(cli.config)),
    }
}

/// The configured robots, each reached over HTTP(S); no network I/O happens here.
fn fleet(config_file: Option<PathBuf>) -> Result<Fleet, ConfigErrors> {
    let config = config::load(
        |name| std::env::var_os(name),
        config_file,
        |path| std::fs::read_to_string(path),
    )?;
    let timeout = config.timeout;
    let extra_roots = config.extra_roots.clone();
    Ok(Fleet::new(config, |robot| {
        Box::new(HttpSender::new(
            robot.webhook.clone(),
            robot.secret.clone(),
            timeout,
            &extra_roots,
        ))
    }))
}

fn serve(fleet: Result<Fleet, ConfigErrors>) -> ExitCode {
    if let Err(errors) = &fleet {
        for error in &errors.0 {
            eprintln!(
                "dingtalk-mcp: warning: {error}; every send will fail until this is fixed in the `env` block of this server's MCP host config"
            );
        }
    }
    let mut server = Server::new(fleet);
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
