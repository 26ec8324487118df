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
use std::os::unix::fs::FileExt;
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
    /// Decides on a send. When it may go, it takes its slots and is recorded as delivered
    /// (counted this month, remembered for duplicate suppression), so a successful send needs
    /// no second update; [`RobotState::failed`] undoes what did not happen.
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
            self.count(now, parts as u64);
            if let Some(key) = request.dedup_key {
                self.recent.push(Recent {
                    sha256: key.to_owned(),
                    at: now,
                });
            }
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

    fn count(&mut self, now: u64, messages: u64) {
        let month = clock::month(now);
        if self.month != month {
            self.month = month;
            self.month_count = 0;
        }
        self.month_count += messages;
    }

    /// Undoes what [`RobotState::admit`] recorded of a send that failed after `sent` of its
    /// `parts` arrived: the rest is not counted, and the message is not a duplicate if sent
    /// again. `throttled` starts DingTalk's 10-minute cooldown.
    pub fn failed(
        &mut self,
        now: u64,
        sent: usize,
        parts: usize,
        dedup_key: Option<&str>,
        throttled: bool,
    ) {
        self.month_count = self.month_count.saturating_sub((parts - sent) as u64);
        if let Some(key) = dedup_key {
            self.recent.retain(|r| r.sha256 != key);
        }
        if throttled {
            self.cooldown_until = Some(now + ms(COOLDOWN));
        }
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
    /// Each robot's file, opened once and locked for every update.
    files: Mutex<HashMap<String, File>>,
    /// States kept in memory when the directory cannot be used.
    fallback: Mutex<HashMap<String, RobotState>>,
}

impl Store {
    /// A store under `dir`; nothing is touched until the first use.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            files: Mutex::new(HashMap::new()),
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
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if !files.contains_key(fingerprint) {
            match open(&self.dir, &path) {
                Ok(file) => {
                    files.insert(fingerprint.to_owned(), file);
                }
                Err(e) => {
                    eprintln!(
                        "dingtalk-mcp: warning: cannot use the state file {} ({e}); limits are kept for this process only",
                        path.display()
                    );
                    let mut fallback = self.fallback.lock().unwrap_or_else(|e| e.into_inner());
                    return change(fallback.entry(fingerprint.to_owned()).or_default());
                }
            }
        }
        let file = &files[fingerprint];
        if let Err(e) = file.lock() {
            eprintln!("dingtalk-mcp: warning: cannot lock {}: {e}", path.display());
        }
        let (mut state, stored) = read_state(file, &path);
        let result = change(&mut state);
        if let Err(e) = write_state(file, &state, stored) {
            eprintln!("dingtalk-mcp: warning: cannot save {}: {e}", path.display());
        }
        let _ = file.unlock();
        result
    }
}

fn open(dir: &Path, path: &Path) -> std::io::Result<File> {
    fs::create_dir_all(dir)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// The state and the stored length (which a rewrite pads to instead of truncating).
fn read_state(file: &File, path: &Path) -> (RobotState, u64) {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match file.read_at(&mut chunk, bytes.len() as u64) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!(
                    "dingtalk-mcp: warning: replacing unreadable state {}: {e}",
                    path.display()
                );
                return (RobotState::default(), 0);
            }
        }
    }
    let stored = bytes.len() as u64;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return (RobotState::default(), stored);
    }
    let state = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        eprintln!(
            "dingtalk-mcp: warning: replacing corrupt state {}: {e}",
            path.display()
        );
        RobotState::default()
    });
    (state, stored)
}

/// Rewrites the file in place. A shorter state is padded with spaces (valid JSON whitespace)
/// rather than truncated, since truncating costs more than the rest of an update; the file is
/// shrunk only when the state takes less than half of it.
fn write_state(file: &File, state: &RobotState, stored: u64) -> std::io::Result<()> {
    let mut json = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    let len = json.len() as u64;
    let shrink = len < stored / 2;
    if !shrink && len < stored {
        json.resize(stored as usize, b' ');
    }
    file.write_all_at(&json, 0)?;
    if shrink {
        file.set_len(len)?;
    }
    Ok(())
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
    fn cooldowns_duplicates_and_failures() {
        let mut state = RobotState::default();
        state.failed(1_000, 0, 0, None, true);
        let until = 1_000 + 600_000;
        assert_eq!(
            state.admit(request(2_000, 1)),
            Admission::Cooldown { until }
        );
        assert_eq!(state.cooldown(until), None);
        let mut dup = request(until, 1);
        dup.dedup_key = Some("abc");
        assert_eq!(state.admit(dup), Admission::Go);
        dup.now = until + 10;
        assert_eq!(state.admit(dup), Admission::Duplicate { first_at: until });
        dup.now = until + 60_000;
        assert_eq!(
            state.admit(dup),
            Admission::Go,
            "a minute later it is not a duplicate"
        );
        // A failed send is neither counted nor a duplicate.
        state.failed(until + 60_000, 0, 1, Some("abc"), false);
        dup.now = until + 60_010;
        assert_eq!(state.admit(dup), Admission::Go);
        assert_eq!(state.sent_this_month(until + 60_010), 2);
    }

    #[test]
    fn the_month_counts_what_arrived() {
        // 2023-11-14, then December.
        let mut state = RobotState::default();
        let mut three = request(1_700_000_000_000, 3);
        three.rate = Rate::DINGTALK;
        assert_eq!(state.admit(three), Admission::Go);
        three.now += 1;
        assert_eq!(state.admit(three), Admission::Go);
        state.failed(1_700_000_000_002, 1, 3, None, true);
        assert_eq!(state.sent_this_month(1_700_000_000_002), 4);
        assert!(state.cooldown(1_700_000_000_003).is_some());
        assert_eq!(state.sent_this_month(1_702_000_000_000), 0);
    }

    #[test]
    fn the_store_shares_state_and_replaces_corrupt_files() {
        let dir =
            std::env::temp_dir().join(format!("dingtalk-mcp-state-test-{}", std::process::id()));
        let store = Store::new(dir.clone());
        let mut two = request(1_700_000_000_000, 2);
        two.rate = Rate::DINGTALK;
        assert_eq!(store.update("f1", |s| s.admit(two)), Admission::Go);
        let again = Store::new(dir.clone());
        assert_eq!(
            again.update("f1", |s| s.sent_this_month(1_700_000_000_000)),
            2
        );
        // A shorter state is padded: no stale bytes may follow it.
        again.update("f1", |s| *s = RobotState::default());
        assert_eq!(store.update("f1", |s| s.clone()), RobotState::default());
        fs::write(store.path("f1"), "{not json").unwrap();
        assert_eq!(
            Store::new(dir.clone()).update("f1", |s| s.sent_this_month(1_700_000_000_000)),
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
