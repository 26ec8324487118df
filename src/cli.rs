//! The command line: serving MCP (the default), and `check` and `send` for people and scripts.
//! `send` and `check --send-test` go through the same tools as an MCP client does.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::config::ConfigErrors;
use crate::robots::Fleet;
use crate::tools;
use crate::version::ProtocolVersion;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve MCP on stdin/stdout.
    Serve,
    /// Print the help.
    Help,
    /// Print the version.
    Version,
    /// Check the configuration; with `Some(robot)`, also send a test message (`None` inside:
    /// the default robot).
    Check {
        /// `--send-test [ROBOT]`.
        send_test: Option<Option<String>>,
    },
    /// Send one message.
    Send {
        /// `--robot NAME`.
        robot: Option<String>,
        /// The message.
        message: Outgoing,
    },
}

/// The message `send` posts; `-` as a value reads stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// `--text TEXT`.
    Text(String),
    /// `--title TITLE --markdown TEXT`.
    Markdown {
        /// The title.
        title: String,
        /// The markdown.
        text: String,
    },
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cli {
    /// What to do.
    pub command: Command,
    /// `--config PATH`.
    pub config: Option<PathBuf>,
}

/// Parses the arguments after the program name; the error is one line for stderr.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Cli, String> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
        })
        .collect::<Result<_, _>>()?;
    let mut config = None;
    let mut words = Vec::new();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--config" {
            config = Some(PathBuf::from(
                iter.next().ok_or("--config needs a file path")?,
            ));
        } else {
            words.push(arg);
        }
    }
    let mut words = words.into_iter();
    let command = match words.next().as_deref() {
        None => Command::Serve,
        Some("--help" | "-h" | "help") => Command::Help,
        Some("--version" | "-V") => Command::Version,
        Some("check") => match (words.next().as_deref(), words.next(), words.next()) {
            (None, ..) => Command::Check { send_test: None },
            (Some("--send-test"), robot, None) => Command::Check {
                send_test: Some(robot),
            },
            _ => return Err("usage: dingtalk-mcp check [--send-test [ROBOT]]".into()),
        },
        Some("send") => parse_send(words)?,
        Some(other) => return Err(format!("unknown argument {other:?}")),
    };
    Ok(Cli { command, config })
}

fn parse_send(words: impl Iterator<Item = String>) -> Result<Command, String> {
    const USAGE: &str = "usage: dingtalk-mcp send [--robot NAME] --text TEXT | --title TITLE --markdown TEXT (TEXT may be - for stdin)";
    let mut robot = None;
    let mut text = None;
    let mut title = None;
    let mut markdown = None;
    let mut words = words;
    while let Some(flag) = words.next() {
        let slot = match flag.as_str() {
            "--robot" => &mut robot,
            "--text" => &mut text,
            "--title" => &mut title,
            "--markdown" => &mut markdown,
            _ => return Err(format!("unknown argument {flag:?}; {USAGE}")),
        };
        *slot = Some(
            words
                .next()
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))?,
        );
    }
    let message = match (text, title, markdown) {
        (Some(text), None, None) => Outgoing::Text(text),
        (None, Some(title), Some(text)) => Outgoing::Markdown { title, text },
        _ => return Err(USAGE.into()),
    };
    Ok(Command::Send { robot, message })
}

/// What `--help` prints.
pub const HELP: &str = concat!(
    "dingtalk-mcp ",
    env!("CARGO_PKG_VERSION"),
    "
Post messages to DingTalk group chats from an AI assistant: an MCP server on stdio.

USAGE:
    dingtalk-mcp [--config FILE]            serve MCP over stdin/stdout (what MCP hosts run)
    dingtalk-mcp check [--send-test [ROBOT]]
                                            check the configuration; exit 0 only when all is
                                            well; --send-test also sends a short test message
    dingtalk-mcp send [--robot NAME] --text TEXT
    dingtalk-mcp send [--robot NAME] --title TITLE --markdown TEXT
                                            send one message (TEXT - reads stdin); exit 0 on
                                            success, 1 on a DingTalk or network failure, 2 on
                                            bad usage
    dingtalk-mcp --help | --version

OPTIONS:
    --config FILE   robots from a JSON file (also DINGTALK_CONFIG)

ENVIRONMENT:
    DINGTALK_BOT_ACCESS_TOKEN   a robot's access token or whole webhook URL (robot \"default\")
    DINGTALK_BOT_SECRET         that robot's signing secret, SEC… (if it signs)
    DINGTALK_CONFIG             a JSON file of robots:
                                  {\"default\": \"ops\", \"robots\": [{\"name\": \"ops\",
                                   \"webhook\": \"${OPS_WEBHOOK}\", \"secret\": \"${OPS_SECRET}\",
                                   \"keywords\": [\"alert\"], \"description\": \"Ops group\",
                                   \"rate_limit\": \"20/60s\"}]}
    DINGTALK_BOTS               the same JSON, inline
    DINGTALK_TIMEOUT_SECS       whole-request timeout in seconds (default 10)
    DINGTALK_MAX_WAIT_SECS      longest wait for a free rate-limit slot (default 5)
    DINGTALK_DEDUP_SECS         identical messages within this many seconds are sent once
                                (default 60; 0 turns it off)
    DINGTALK_STATE_DIR          shared rate-limit state (default $XDG_STATE_HOME/dingtalk-mcp,
                                else ~/.local/state/dingtalk-mcp)
    DINGTALK_AUDIT_LOG          append one JSON line per send attempt to this file

TOOLS:
    send_text_message           text, atMobiles?, atUserIds?, atAll?, robot?, allowDuplicate?
    send_markdown_message       title, text, atMobiles?, atUserIds?, atAll?, robot?, allowDuplicate?
    send_link_message           title, text, messageUrl, picUrl?, robot?, allowDuplicate?
    send_action_card_message    title, text, singleTitle + singleUrl | buttons, buttonsHorizontal?, ...
    send_feed_card_message      links, robot?, allowDuplicate?
    preview_message             tool, arguments, robot?: what a send would post, without sending
    list_robots                 the robots, their limits and state
"
);

/// `check`: every robot and every problem; optionally a test message.
pub fn check(fleet: Result<Fleet, ConfigErrors>, send_test: Option<Option<String>>) -> ExitCode {
    let fleet = match fleet {
        Ok(fleet) => fleet,
        Err(errors) => {
            for error in &errors.0 {
                println!("problem: {error}");
            }
            return ExitCode::FAILURE;
        }
    };
    for robot in fleet.robots() {
        let summary = fleet.summary(robot);
        let config = &robot.config;
        println!(
            "robot {}{}: {}; {}; {}; limit {}; {} sent this month; webhook {}",
            config.name,
            if summary.default { " (default)" } else { "" },
            config.description.as_deref().unwrap_or("no description"),
            if summary.signs {
                "signs"
            } else {
                "does not sign"
            },
            if summary.has_keywords {
                "keyword-secured"
            } else {
                "no keywords"
            },
            config.rate,
            summary.sent_this_month,
            config.webhook.redacted()
        );
    }
    let Some(robot) = send_test else {
        println!("ok: the configuration is valid");
        return ExitCode::SUCCESS;
    };
    let mut arguments = Map::new();
    arguments.insert(
        "text".into(),
        "dingtalk-mcp check: test message, please ignore".into(),
    );
    arguments.insert("allowDuplicate".into(), true.into());
    if let Some(robot) = robot {
        arguments.insert("robot".into(), robot.into());
    }
    run_tool("send_text_message", arguments, &fleet)
}

/// `send`: one message through the send tools.
pub fn send(
    fleet: Result<Fleet, ConfigErrors>,
    robot: Option<String>,
    message: Outgoing,
) -> ExitCode {
    let (tool, mut arguments) = match message {
        Outgoing::Text(text) => match read_dash(text) {
            Ok(text) => ("send_text_message", json!({"text": text})),
            Err(code) => return code,
        },
        Outgoing::Markdown { title, text } => match read_dash(text) {
            Ok(text) => (
                "send_markdown_message",
                json!({"title": title, "text": text}),
            ),
            Err(code) => return code,
        },
    };
    if let Some(robot) = robot {
        arguments["robot"] = robot.into();
    }
    let Value::Object(arguments) = arguments else {
        unreachable!("json! of an object")
    };
    match fleet {
        Ok(fleet) => run_tool(tool, arguments, &fleet),
        Err(errors) => {
            eprintln!("dingtalk-mcp: not sent: {errors}");
            ExitCode::FAILURE
        }
    }
}

fn read_dash(value: String) -> Result<String, ExitCode> {
    if value != "-" {
        return Ok(value);
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| {
        eprintln!("dingtalk-mcp: cannot read stdin: {e}");
        ExitCode::from(2)
    })?;
    Ok(text)
}

/// Runs a tool and prints its summary: stdout on success, stderr on failure.
fn run_tool(name: &str, arguments: Map<String, Value>, fleet: &Fleet) -> ExitCode {
    let Some(tool) = tools::find(name) else {
        unreachable!("{name} is in the tool table")
    };
    let result = tool
        .call(arguments, Ok(fleet))
        .to_result(ProtocolVersion::LATEST_HANDSHAKE);
    let summary = result["content"][0]["text"].as_str().unwrap_or_default();
    if result["isError"] == false {
        println!("{summary}");
        return ExitCode::SUCCESS;
    }
    eprintln!("dingtalk-mcp: {summary}");
    match result["structuredContent"]["errorKind"].as_str() {
        Some("arguments") => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Cli, String> {
        parse(words.iter().map(OsString::from))
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse_words(&[]).unwrap().command, Command::Serve);
        let cli = parse_words(&["--config", "/b.json"]).unwrap();
        assert_eq!(
            cli,
            Cli {
                command: Command::Serve,
                config: Some("/b.json".into())
            }
        );
        assert_eq!(
            parse_words(&["check"]).unwrap().command,
            Command::Check { send_test: None }
        );
        assert_eq!(
            parse_words(&["check", "--send-test", "ops", "--config", "x"])
                .unwrap()
                .command,
            Command::Check {
                send_test: Some(Some("ops".into()))
            }
        );
        assert_eq!(
            parse_words(&["send", "--robot", "ops", "--title", "T", "--markdown", "-"])
                .unwrap()
                .command,
            Command::Send {
                robot: Some("ops".into()),
                message: Outgoing::Markdown {
                    title: "T".into(),
                    text: "-".into()
                }
            }
        );
    }

    #[test]
    fn bad_usage_is_an_error() {
        for words in [
            &["--bogus"][..],
            &["send"],
            &["send", "--text"],
            &["send", "--text", "a", "--markdown", "b"],
            &["send", "--title", "t"],
            &["check", "--now"],
            &["--config"],
        ] {
            assert!(parse_words(words).is_err(), "{words:?}");
        }
    }
}
