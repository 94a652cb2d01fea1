//! What a connector reports: connections, records, bytes, errors, the
//! last record and peer, and whether it has fallen silent. Updated by the
//! connector's tasks with atomics; read by metrics and the console.

use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct ConnectorState {
    pub pbx: String,
    pub kind: &'static str,
    /// Alarm when no record came for this long.
    pub silent_after: Option<Duration>,
    connections: AtomicI64,
    records: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
    /// Unix seconds of the last record; 0 before the first.
    last_record_s: AtomicI64,
    /// Unix seconds the connector started, for silence before any record.
    started_s: i64,
    last_peer: Mutex<Option<String>>,
    last_error: Mutex<Option<String>>,
}

/// A copy of a connector's state at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateSnapshot {
    pub pbx: String,
    pub kind: &'static str,
    pub connections: i64,
    pub records: u64,
    pub bytes: u64,
    pub errors: u64,
    pub last_record_s: Option<i64>,
    pub last_peer: Option<String>,
    pub last_error: Option<String>,
    /// Silent longer than `silent_after`.
    pub silent: bool,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl ConnectorState {
    pub fn new(pbx: &str, kind: &'static str, silent_after: Option<Duration>) -> ConnectorState {
        ConnectorState {
            pbx: pbx.to_string(),
            kind,
            silent_after,
            connections: AtomicI64::new(0),
            records: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            last_record_s: AtomicI64::new(0),
            started_s: unix_now(),
            last_peer: Mutex::new(None),
            last_error: Mutex::new(None),
        }
    }

    pub fn connected(&self, peer: &str) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_peer.lock() {
            *last = Some(peer.to_string());
        }
    }

    pub fn disconnected(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// Whole records handed on.
    pub fn received(&self, records: u64, bytes: u64) {
        self.records.fetch_add(records, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.last_record_s.store(unix_now(), Ordering::Relaxed);
    }

    pub fn error(&self, message: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(message);
        }
    }

    pub fn snapshot(&self) -> StateSnapshot {
        self.snapshot_at(unix_now())
    }

    pub fn snapshot_at(&self, now_s: i64) -> StateSnapshot {
        let last = self.last_record_s.load(Ordering::Relaxed);
        let since = if last == 0 { self.started_s } else { last };
        let silent = self.silent_after.is_some_and(|limit| now_s - since > limit.as_secs() as i64);
        StateSnapshot {
            pbx: self.pbx.clone(),
            kind: self.kind,
            connections: self.connections.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            last_record_s: (last != 0).then_some(last),
            last_peer: self.last_peer.lock().ok().and_then(|p| p.clone()),
            last_error: self.last_error.lock().ok().and_then(|e| e.clone()),
            silent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connector_is_silent_after_its_limit_without_records() {
        let state = ConnectorState::new("pbx", "tcp-listen", Some(Duration::from_secs(60)));
        let start = state.started_s;
        assert!(!state.snapshot_at(start + 60).silent);
        assert!(state.snapshot_at(start + 61).silent);
        state.received(3, 300);
        let now = state.snapshot().last_record_s.unwrap();
        let snap = state.snapshot_at(now + 10);
        assert!(!snap.silent);
        assert_eq!((snap.records, snap.bytes), (3, 300));
    }
}

/// Turns connector states into alarms: one message when a connector falls
/// silent past its limit, one when it sends again (not one per check).
#[derive(Debug, Default)]
pub struct SilenceWatch {
    silent: std::collections::HashSet<String>,
}

impl SilenceWatch {
    /// The alarm and recovery messages since the last check.
    pub fn check(&mut self, states: &[StateSnapshot]) -> Vec<String> {
        let mut messages = Vec::new();
        for s in states {
            let was = self.silent.contains(&s.pbx);
            if s.silent && !was {
                self.silent.insert(s.pbx.clone());
                let last = s.last_record_s.map_or("never".to_string(), |t| format!("at unix {t}"));
                messages.push(format!("alarm: PBX {:?} is silent (last record: {last})", s.pbx));
            } else if !s.silent && was {
                self.silent.remove(&s.pbx);
                messages.push(format!("PBX {:?} sends again", s.pbx));
            }
        }
        messages
    }
}

#[cfg(test)]
mod watch_tests {
    use super::*;

    #[test]
    fn an_alarm_is_raised_once_and_cleared_once() {
        let state = ConnectorState::new("pbx-a", "tcp-listen", Some(Duration::from_secs(60)));
        let start = state.started_s;
        let mut watch = SilenceWatch::default();
        assert!(watch.check(&[state.snapshot_at(start + 10)]).is_empty());
        let raised = watch.check(&[state.snapshot_at(start + 61)]);
        assert_eq!(raised, ["alarm: PBX \"pbx-a\" is silent (last record: never)"]);
        assert!(watch.check(&[state.snapshot_at(start + 120)]).is_empty());
        state.received(1, 10);
        let now = state.snapshot().last_record_s.unwrap();
        assert_eq!(watch.check(&[state.snapshot_at(now)]), ["PBX \"pbx-a\" sends again"]);
    }
}
