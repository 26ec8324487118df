//! The configured robots and everything that protects them: the robot a call chooses, the
//! sliding-window limit shared by every process on the machine, the cooldown after DingTalk
//! throttles a robot, duplicate suppression, the monthly count, and the audit log.

mod audit;
mod state;

use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::clock;
use crate::compose::Plan;
use crate::config::{Config, Rate, RobotConfig};
use crate::dingtalk::{Deliver, SendError};
use audit::{AuditLog, Entry};
use state::{Admission, Request, Store};

/// One configured robot and the sender that reaches it.
pub struct Robot {
    /// Its configuration.
    pub config: RobotConfig,
    sender: Box<dyn Deliver>,
    fingerprint: String,
}

/// Why a send was refused before anything went out; each says when to try again.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The rate window is full for longer than the allowed wait.
    #[error(
        "robot {robot:?} has used its {rate} sends (shared by every dingtalk-mcp process on this machine, to keep DingTalk from blocking the robot for 10 minutes); a slot frees in {}s. Nothing was sent",
        .retry_after.as_secs_f64().ceil()
    )]
    RateLimited {
        /// The robot.
        robot: String,
        /// Its limit.
        rate: Rate,
        /// When enough slots free.
        retry_after: Duration,
    },
    /// DingTalk is throttling the robot.
    #[error(
        "DingTalk is throttling robot {robot:?} for sending too fast (errcode 130101/410100) until {}; nothing was sent",
        clock::rfc3339(*.until)
    )]
    Cooldown {
        /// The robot.
        robot: String,
        /// The end of the cooldown (ms).
        until: u64,
    },
    /// The message has more parts than the robot may ever send in one window.
    #[error(
        "the message needs {parts} sends but robot {robot:?} allows only {rate}; shorten it. Nothing was sent"
    )]
    NeverFits {
        /// The robot.
        robot: String,
        /// The parts needed.
        parts: usize,
        /// Its limit.
        rate: Rate,
    },
}

impl Refusal {
    /// Seconds until a send can succeed, when known.
    pub fn retry_after_secs(&self) -> Option<u64> {
        let now = clock::now_ms();
        match self {
            Self::RateLimited { retry_after, .. } => Some(retry_after.as_secs_f64().ceil() as u64),
            Self::Cooldown { until, .. } => Some(until.saturating_sub(now).div_ceil(1000)),
            Self::NeverFits { .. } => None,
        }
    }
}

/// How a send ended.
#[derive(Debug)]
pub enum Dispatch {
    /// Every part was delivered.
    Sent,
    /// The same message reached the same robot at `first_at` (ms): not sent again.
    Duplicate {
        /// When the first one was delivered (ms).
        first_at: u64,
    },
    /// Refused before anything was sent.
    Refused(Refusal),
    /// Part `sent + 1` failed; the parts before it arrived.
    Failed {
        /// Parts delivered before the failure.
        sent: usize,
        /// Why that part failed.
        error: SendError,
    },
}

/// What `list_robots` shows of a robot: never a token, secret or URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Its name.
    pub name: String,
    /// What group it posts to.
    pub description: Option<String>,
    /// Whether it is used when a call names no robot.
    pub default: bool,
    /// Whether it signs its requests.
    pub signs: bool,
    /// Whether it is secured by keywords.
    pub has_keywords: bool,
    /// Its limit.
    pub rate: Rate,
    /// Sends left in the current window.
    pub sends_left: usize,
    /// The end of a cooldown, if DingTalk is throttling it (ms).
    pub cooldown_until: Option<u64>,
    /// Messages delivered this calendar month (UTC).
    pub sent_this_month: u64,
}

/// The configured robots and their shared state.
pub struct Fleet {
    robots: Vec<Robot>,
    default: usize,
    max_wait: Duration,
    dedup: Duration,
    store: Store,
    audit: Option<AuditLog>,
}

impl Fleet {
    /// The fleet `config` describes, reaching each robot through `sender(robot)`.
    pub fn new(config: Config, sender: impl Fn(&RobotConfig) -> Box<dyn Deliver>) -> Self {
        let robots = config
            .robots
            .into_iter()
            .map(|config| Robot {
                sender: sender(&config),
                fingerprint: config.webhook.fingerprint(),
                config,
            })
            .collect();
        Self {
            robots,
            default: config.default,
            max_wait: config.max_wait,
            dedup: config.dedup,
            store: Store::new(config.state_dir),
            audit: config.audit_log.map(AuditLog::new),
        }
    }

    /// Every robot, in configuration order.
    pub fn robots(&self) -> &[Robot] {
        &self.robots
    }

    /// The robot used when a call names none.
    pub fn default_robot(&self) -> &Robot {
        &self.robots[self.default]
    }

    /// The robot named `name`, or the default one.
    pub fn pick(&self, name: Option<&str>) -> Option<&Robot> {
        match name {
            None => Some(self.default_robot()),
            Some(name) => self.robots.iter().find(|r| r.config.name == name),
        }
    }

    /// A robot's current state, for people and models.
    pub fn summary(&self, robot: &Robot) -> Summary {
        let now = clock::now_ms();
        let rate = robot.config.rate;
        let (sends_left, cooldown_until, sent_this_month) =
            self.store.update(&robot.fingerprint, |s| {
                (
                    s.sends_left(now, rate),
                    s.cooldown(now),
                    s.sent_this_month(now),
                )
            });
        Summary {
            name: robot.config.name.clone(),
            description: robot.config.description.clone(),
            default: std::ptr::eq(robot, self.default_robot()),
            signs: robot.config.secret.is_some(),
            has_keywords: !robot.config.keywords.is_empty(),
            rate,
            sends_left,
            cooldown_until,
            sent_this_month,
        }
    }

    /// Sends `plan` through `robot`: refuses during a cooldown, suppresses a recent duplicate
    /// (unless `allow_duplicate`), waits up to `DINGTALK_MAX_WAIT_SECS` for all its slots, then
    /// posts the parts in order and records what happened.
    pub fn send(&self, robot: &Robot, tool: &str, plan: &Plan, allow_duplicate: bool) -> Dispatch {
        let dedup_key = (!allow_duplicate && !self.dedup.is_zero()).then(|| {
            let mut hash = Sha256::new();
            for body in &plan.bodies {
                hash.update(body);
                hash.update([0]);
            }
            hex(&hash.finalize())
        });
        let parts = plan.bodies.len();
        let deadline = Instant::now() + self.max_wait;
        loop {
            let request = Request {
                now: clock::now_ms(),
                rate: robot.config.rate,
                parts,
                max_wait: deadline.saturating_duration_since(Instant::now()),
                dedup_key: dedup_key.as_deref(),
                dedup: self.dedup,
            };
            let refusal = match self.store.update(&robot.fingerprint, |s| s.admit(request)) {
                Admission::Go => break,
                Admission::Wait(wait) => {
                    thread::sleep(wait);
                    continue;
                }
                Admission::Duplicate { first_at } => {
                    self.audit_refusal(robot, tool, plan, "duplicate");
                    return Dispatch::Duplicate { first_at };
                }
                Admission::Full { retry_after } => Refusal::RateLimited {
                    robot: robot.config.name.clone(),
                    rate: robot.config.rate,
                    retry_after,
                },
                Admission::Cooldown { until } => Refusal::Cooldown {
                    robot: robot.config.name.clone(),
                    until,
                },
                Admission::NeverFits => Refusal::NeverFits {
                    robot: robot.config.name.clone(),
                    parts,
                    rate: robot.config.rate,
                },
            };
            let outcome = match refusal {
                Refusal::RateLimited { .. } | Refusal::NeverFits { .. } => "rate_limited",
                Refusal::Cooldown { .. } => "cooldown",
            };
            self.audit_refusal(robot, tool, plan, outcome);
            return Dispatch::Refused(refusal);
        }
        for (i, body) in plan.bodies.iter().enumerate() {
            let started = Instant::now();
            let result = robot.sender.deliver(body);
            let outcome = match &result {
                Ok(()) => "ok".to_owned(),
                Err(SendError::DingTalk { errcode, .. }) => format!("errcode {errcode}"),
                Err(error) => format!("failed: {error}"),
            };
            self.audit(robot, tool, plan, i, &outcome, Some(started.elapsed()));
            if let Err(error) = result {
                let now = clock::now_ms();
                let throttled = matches!(
                    error,
                    SendError::DingTalk {
                        errcode: 130101 | 410100,
                        ..
                    }
                );
                self.store.update(&robot.fingerprint, |s| {
                    s.failed(now, i, parts, dedup_key.as_deref(), throttled)
                });
                return Dispatch::Failed { sent: i, error };
            }
        }
        Dispatch::Sent
    }

    fn audit_refusal(&self, robot: &Robot, tool: &str, plan: &Plan, outcome: &str) {
        for i in 0..plan.bodies.len() {
            self.audit(robot, tool, plan, i, outcome, None);
        }
    }

    fn audit(
        &self,
        robot: &Robot,
        tool: &str,
        plan: &Plan,
        part: usize,
        outcome: &str,
        latency: Option<Duration>,
    ) {
        let Some(log) = &self.audit else { return };
        let body = &plan.bodies[part];
        log.record(&Entry {
            time: clock::rfc3339(clock::now_ms()),
            robot: &robot.config.name,
            tool,
            msgtype: plan.msgtype,
            part: part + 1,
            parts: plan.bodies.len(),
            body_bytes: body.len(),
            sha256: hex(&Sha256::digest(body)),
            content: serde_json::from_slice(body).unwrap_or_default(),
            outcome: outcome.to_owned(),
            latency_ms: latency.map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX)),
        });
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
