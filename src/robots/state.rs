//! Per-robot state shared by every dingtalk-mcp process on the machine: recent send times (the
//! rate window), a throttling cooldown, recent successful bodies (duplicate suppression), and a
//! monthly count.
//!
//! Each robot has one small JSON file, named by a hash of its webhook (never the token itself)
//! and holding no secret, read and rewritten under an exclusive `File::lock`, so several MCP
//! host sessions on one machine share one limit. Corrupt or unreadable state is replaced with
//! a warning on stderr; an unusable directory falls back to this process's memory.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::config::Rate;

/// How long DingTalk blocks a robot that sent too fast (errcode 130101/410100).
pub const COOLDOWN: Duration = Duration::from_secs(10 * 60);

/// One robot's shared state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RobotState {
    /// Times of sends in the current window (ms), oldest first.
    sends: Vec<u64>,
    /// Until when DingTalk throttles the robot (ms), if it does.
    cooldown_until: Option<u64>,
    /// Recently delivered messages, for duplicate suppression.
    recent: Vec<Recent>,
    /// The month `month_count` counts, `YYYY-MM` (UTC).
    month: String,
    /// Messages delivered in `month`.
    month_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Recent {
    sha256: String,
    at: u64,
}

/// Whether a send may go ahead now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Go: the slots are taken.
    Go,
    /// A slot frees within the allowed wait: try again after this long.
    Wait(Duration),
    /// The window is full for longer than the allowed wait.
    Full {
        /// When enough slots free.
        retry_after: Duration,
    },
    /// DingTalk is throttling the robot until then (ms).
    Cooldown {
        /// The end of the cooldown (ms).
        until: u64,
    },
    /// The same message was delivered recently (ms).
    Duplicate {
        /// When it was delivered (ms).
        first_at: u64,
    },
    /// More parts than the limit allows in any window.
    NeverFits,
}

/// What a send needs from the state.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Now (ms).
    pub now: u64,
    /// The robot's limit.
    pub rate: Rate,
    /// Slots needed: a split message needs all its parts' slots at once.
    pub parts: usize,
    /// How long the caller may still wait.
    pub max_wait: Duration,
    /// The message's hash, unless duplicates are allowed.
    pub dedup_key: Option<&'a str>,
    /// How long an identical message counts as a duplicate.
    pub dedup: Duration,
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl RobotState {
    /// Decides on a send and, when it may go, takes its slots.
    pub fn admit(&mut self, request: Request) -> Admission {
        let Request {
            now, rate, parts, ..
        } = request;
        let window = ms(rate.window);
        self.sends.retain(|&t| t + window > now);
        self.recent.retain(|r| r.at + ms(request.dedup) > now);
        if let Some(until) = self.cooldown_until.filter(|&until| until > now) {
            return Admission::Cooldown { until };
        }
        if let Some(key) = request.dedup_key
            && let Some(first) = self.recent.iter().find(|r| r.sha256 == key)
        {
            return Admission::Duplicate { first_at: first.at };
        }
        if parts > rate.count {
            return Admission::NeverFits;
        }
        let free = rate.count.saturating_sub(self.sends.len());
        if parts <= free {
            self.sends.extend(std::iter::repeat_n(now, parts));
            return Admission::Go;
        }
        // The send that must leave the window before enough slots are free.
        let blocking = self.sends[parts - free - 1];
        let wait = Duration::from_millis(blocking + window - now);
        if wait <= request.max_wait {
            Admission::Wait(wait)
        } else {
            Admission::Full { retry_after: wait }
        }
    }

    /// Records `parts` delivered messages, and the message for duplicate suppression.
    pub fn delivered(&mut self, now: u64, parts: usize, dedup_key: Option<&str>) {
        let month = clock::month(now);
        if self.month != month {
            self.month = month;
            self.month_count = 0;
        }
        self.month_count += parts as u64;
        if let Some(key) = dedup_key {
            self.recent.push(Recent {
                sha256: key.to_owned(),
                at: now,
            });
        }
    }

    /// Records that DingTalk is throttling the robot.
    pub fn throttled(&mut self, now: u64) {
        self.cooldown_until = Some(now + ms(COOLDOWN));
    }

    /// Sends still allowed in the current window.
    pub fn sends_left(&self, now: u64, rate: Rate) -> usize {
        let window = ms(rate.window);
        let used = self.sends.iter().filter(|&&t| t + window > now).count();
        rate.count.saturating_sub(used)
    }

    /// The end of a current cooldown (ms).
    pub fn cooldown(&self, now: u64) -> Option<u64> {
        self.cooldown_until.filter(|&until| until > now)
    }

    /// Messages delivered in the calendar month of `now`.
    pub fn sent_this_month(&self, now: u64) -> u64 {
        if self.month == clock::month(now) {
            self.month_count
        } else {
            0
        }
    }
}

/// Where robots' states live.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// States kept in memory when the directory cannot be used.
    fallback: Mutex<HashMap<String, RobotState>>,
}

impl Store {
    /// A store under `dir`; nothing is touched until the first use.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            fallback: Mutex::new(HashMap::new()),
        }
    }

    /// The file for the robot whose webhook has this fingerprint.
    pub fn path(&self, fingerprint: &str) -> PathBuf {
        self.dir.join(format!("robot-{fingerprint}.json"))
    }

    /// Runs `change` on the robot's state with every other process locked out, and saves it.
    pub fn update<T>(&self, fingerprint: &str, change: impl FnOnce(&mut RobotState) -> T) -> T {
        let path = self.path(fingerprint);
        match self.open_locked(&path) {
            Ok(mut file) => {
                let mut state = read_state(&mut file, &path);
                let result = change(&mut state);
                if let Err(e) = write_state(&mut file, &state) {
                    eprintln!("dingtalk-mcp: warning: cannot save {}: {e}", path.display());
                }
                result
            }
            Err(e) => {
                eprintln!(
                    "dingtalk-mcp: warning: cannot use the state file {} ({e}); limits are kept for this process only",
                    path.display()
                );
                let mut fallback = self.fallback.lock().unwrap_or_else(|e| e.into_inner());
                change(fallback.entry(fingerprint.to_owned()).or_default())
            }
        }
    }

    fn open_locked(&self, path: &Path) -> std::io::Result<File> {
        fs::create_dir_all(&self.dir)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        file.lock()?;
        Ok(file)
    }
}

fn read_state(file: &mut File, path: &Path) -> RobotState {
    let mut text = String::new();
    if let Err(e) = file.read_to_string(&mut text) {
        eprintln!(
            "dingtalk-mcp: warning: replacing unreadable state {}: {e}",
            path.display()
        );
        return RobotState::default();
    }
    if text.trim().is_empty() {
        return RobotState::default();
    }
    serde_json::from_str(&text).unwrap_or_else(|e| {
        eprintln!(
            "dingtalk-mcp: warning: replacing corrupt state {}: {e}",
            path.display()
        );
        RobotState::default()
    })
}

fn write_state(file: &mut File, state: &RobotState) -> std::io::Result<()> {
    let json = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    file.seek(SeekFrom::Start(0))?;
    file.set_len(0)?;
    file.write_all(&json)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate {
        count: 3,
        window: Duration::from_secs(2),
    };

    fn request(now: u64, parts: usize) -> Request<'static> {
        Request {
            now,
            rate: RATE,
            parts,
            max_wait: Duration::from_millis(500),
            dedup_key: None,
            dedup: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_window_slides_and_waits_or_refuses() {
        let mut state = RobotState::default();
        assert_eq!(state.admit(request(1_000, 2)), Admission::Go);
        assert_eq!(state.admit(request(1_600, 1)), Admission::Go);
        assert_eq!(state.sends_left(1_700, RATE), 0);
        // The first two slots free at 3,000: 400 ms away is within the wait...
        assert_eq!(
            state.admit(request(2_600, 1)),
            Admission::Wait(Duration::from_millis(400))
        );
        // ...900 ms is not.
        assert_eq!(
            state.admit(request(2_100, 1)),
            Admission::Full {
                retry_after: Duration::from_millis(900)
            }
        );
        assert_eq!(state.admit(request(3_000, 2)), Admission::Go);
        assert_eq!(state.admit(request(3_000, 4)), Admission::NeverFits);
    }

    #[test]
    fn a_split_message_needs_all_its_slots() {
        let mut state = RobotState::default();
        assert_eq!(state.admit(request(0, 2)), Admission::Go);
        // Two parts need both held slots... one is free now, the other at 2,000.
        assert_eq!(
            state.admit(request(1_000, 2)),
            Admission::Full {
                retry_after: Duration::from_millis(1_000)
            }
        );
        assert_eq!(
            state.sends_left(1_000, RATE),
            1,
            "a refused send takes no slot"
        );
    }

    #[test]
    fn cooldowns_duplicates_and_the_month() {
        let mut state = RobotState::default();
        state.throttled(1_000);
        let until = 1_000 + 600_000;
        assert_eq!(
            state.admit(request(2_000, 1)),
            Admission::Cooldown { until }
        );
        assert_eq!(state.cooldown(until), None);
        let mut dup = request(until, 1);
        dup.dedup_key = Some("abc");
        assert_eq!(state.admit(dup), Admission::Go);
        state.delivered(until, 1, Some("abc"));
        dup.now = until + 10;
        assert_eq!(state.admit(dup), Admission::Duplicate { first_at: until });
        dup.now = until + 60_000;
        assert_eq!(
            state.admit(dup),
            Admission::Go,
            "a minute later it is not a duplicate"
        );
        // 2023-11-14 and then December.
        state.delivered(1_700_000_000_000, 3, None);
        state.delivered(1_700_000_000_001, 2, None);
        assert_eq!(state.sent_this_month(1_700_000_000_002), 5);
        assert_eq!(state.sent_this_month(1_702_000_000_000), 0);
    }

    #[test]
    fn the_store_shares_state_and_replaces_corrupt_files() {
        let dir =
            std::env::temp_dir().join(format!("dingtalk-mcp-state-test-{}", std::process::id()));
        let store = Store::new(dir.clone());
        store.update("f1", |s| s.delivered(1_700_000_000_000, 2, None));
        let again = Store::new(dir.clone());
        assert_eq!(
            again.update("f1", |s| s.sent_this_month(1_700_000_000_000)),
            2
        );
        fs::write(store.path("f1"), "{not json").unwrap();
        assert_eq!(
            store.update("f1", |s| s.sent_this_month(1_700_000_000_000)),
            0
        );
        let saved = fs::read_to_string(store.path("f1")).unwrap();
        assert!(
            serde_json::from_str::<RobotState>(&saved).is_ok(),
            "{saved}"
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
