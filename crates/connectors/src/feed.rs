//! What every connector hands its records to: the queue to the journal
//! stage, the connector's state, connection ids and the stop signal.
//!
//! Some sources must not be told "received" before the bytes are safe:
//! Avaya's RSP acknowledges a block, NEC SMDR acknowledges a record, an
//! HTTP POST gets its status, a dropped file is moved to `done/`. Those
//! connectors use [`Feed::send_durable`], which hands back a [`Durable`]
//! that resolves once the journal stage has synced the item to disk.

use crate::event::{ConnectionIds, Received, SourceId, What};
use crate::framer::StreamFraming;
use crate::state::ConnectorState;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::{mpsc, oneshot, watch};

/// The plumbing one connector shares with the server.
#[derive(Clone)]
pub struct Feed {
    pub source: SourceId,
    pub framing: StreamFraming,
    /// Longest record accepted (see `framer`).
    pub max_record: usize,
    pub state: Arc<ConnectorState>,
    pub ids: Arc<ConnectionIds>,
    pub out: mpsc::Sender<Received>,
    /// Becomes true when the server stops.
    pub stop: watch::Receiver<bool>,
}

/// The server is stopping (or its journal stage failed): nothing more can
/// be handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("server stopping")
    }
}

/// Resolves when an item handed on with [`Feed::send_durable`] is on disk.
#[derive(Debug)]
pub struct Durable(oneshot::Receiver<()>);

impl Durable {
    /// Waits until the item is in the journal and synced. An error means it
    /// may not be: the source must not be told it was received.
    pub async fn wait(self) -> Result<(), Stopped> {
        self.0.await.map_err(|_| Stopped)
    }
}

impl Feed {
    /// Hands on one item; waits while the journal stage is behind.
    pub async fn send(&self, connection: u64, what: What) -> Result<(), Stopped> {
        self.out.send(self.item(connection, what, None)).await.map_err(|_| Stopped)
    }

    /// Hands on one item and returns what resolves once it is durable.
    /// Items of one feed are journaled in the order sent, so waiting for
    /// the last of several is waiting for all of them.
    pub async fn send_durable(&self, connection: u64, what: What) -> Result<Durable, Stopped> {
        let (tell, told) = oneshot::channel();
        self.out.send(self.item(connection, what, Some(tell))).await.map_err(|_| Stopped)?;
        Ok(Durable(told))
    }

    /// Whether the server has been asked to stop.
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    fn item(&self, connection: u64, what: What, durable: Option<oneshot::Sender<()>>) -> Received {
        Received { source: self.source, connection, at: SystemTime::now(), what, durable }
    }
}
