//! What the connector remembers of each PBX session across its
//! connections: the last block handed on whole and the last block known
//! durable. A PBX that reconnects resends what it has not had
//! acknowledged; blocks already handed on are acknowledged again (once
//! durable) rather than handed on twice. This lives in memory only: after
//! a restart the PBX resends its unacknowledged blocks and the pipeline's
//! deduplication keeps one copy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Sessions remembered at most; past it, sessions no connection uses are
/// forgotten (their PBX would have restarted with a new session id).
const MAX_SESSIONS: usize = 1024;

/// A session is named by the PBX: its name and session id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    name: String,
    id: u64,
}

/// Every session of one connector.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    known: Mutex<HashMap<Key, Arc<Resume>>>,
}

impl Sessions {
    /// The session `id` of `name`, remembered or new.
    pub(crate) fn get(&self, name: &str, id: u64) -> Arc<Resume> {
        let key = Key { name: name.to_string(), id };
        let mut known = self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if known.len() >= MAX_SESSIONS && !known.contains_key(&key) {
            known.retain(|_, resume| Arc::strong_count(resume) > 1);
        }
        known.entry(key).or_insert_with(|| Arc::new(Resume::new())).clone()
    }
}

/// One session's progress.
#[derive(Debug)]
pub(crate) struct Resume {
    /// The last block whose bytes have all been handed on (0: none). Held
    /// while a block is handed on, so that two connections of the session
    /// never both hand on the same block.
    pub(crate) handed: tokio::sync::Mutex<u64>,
    /// The last block known durable, with every block before it.
    durable: watch::Sender<u64>,
}

impl Resume {
    fn new() -> Resume {
        Resume { handed: tokio::sync::Mutex::new(0), durable: watch::Sender::new(0) }
    }

    pub(crate) fn durable(&self) -> u64 {
        *self.durable.borrow()
    }

    /// Block `seq` (and so every block before it) is durable.
    pub(crate) fn durable_up_to(&self, seq: u64) {
        self.durable.send_if_modified(|durable| {
            let newer = seq > *durable;
            if newer {
                *durable = seq;
            }
            newer
        });
    }

    /// Resolves once block `seq` is durable.
    pub(crate) async fn wait_durable(&self, seq: u64) {
        let mut durable = self.durable.subscribe();
        // The sender lives as long as `self`: this cannot fail.
        let _ = durable.wait_for(|d| *d >= seq).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_session_is_found_again_by_name_and_id() {
        let sessions = Sessions::default();
        let first = sessions.get("cm1", 7);
        first.durable_up_to(5);
        first.durable_up_to(3);
        assert_eq!(sessions.get("cm1", 7).durable(), 5);
        assert_eq!(sessions.get("cm1", 8).durable(), 0);
        assert_eq!(sessions.get("cm2", 7).durable(), 0);
        sessions.get("cm1", 7).wait_durable(4).await;
    }

    #[test]
    fn sessions_nobody_uses_are_forgotten_past_the_limit() {
        let sessions = Sessions::default();
        let held = sessions.get("held", 0);
        held.durable_up_to(9);
        for id in 0..MAX_SESSIONS as u64 {
            sessions.get("old", id).durable_up_to(1);
        }
        assert_eq!(sessions.get("held", 0).durable(), 9);
        assert_eq!(sessions.get("old", 1).durable(), 0);
    }
}
