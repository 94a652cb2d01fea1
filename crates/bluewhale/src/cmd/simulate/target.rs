//! Where records go. Each kind of target is a [`Target`]; a new transport
//! is one more implementation and one more arm in [`parse`].

use super::faults::Faults;
use super::source::Source;
use super::stats::Stats;
use super::{files, rsp, tcp};
use anyhow::{Result, bail};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use synth::RecordFormat;
use tokio::time::Instant;

/// What every target is given to run with.
pub struct Run {
    pub source: Arc<Source>,
    pub stats: Arc<Stats>,
    pub faults: Faults,
    pub format: RecordFormat,
    /// Records a second over the whole target; 0: as fast as possible.
    pub rate: u64,
    /// When a `--duration` run stops taking records.
    pub deadline: Option<Instant>,
}

pub type RunFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

pub trait Target: Send {
    /// Connections the target keeps open; `None` when it has none (files).
    fn connections(&self) -> Option<usize>;

    /// Records per chunk a sender claims at a time, for `count` records in
    /// all (`None`: a timed run).
    fn chunk_records(&self, count: Option<u64>, rate: u64) -> usize;

    /// Records the far end has acknowledged, for targets whose protocol
    /// acknowledges (RSP); `None` for the others.
    fn acknowledged(&self) -> Option<Arc<AtomicU64>> {
        None
    }

    /// Sends records from `run.source` until it is empty or the deadline
    /// passes; an error ends the whole run.
    fn run(self: Box<Self>, run: Run) -> RunFuture;
}

/// How a TCP target behaves when the far end is gone.
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    /// How long a connection may fail to connect before the run fails.
    pub give_up_after: Duration,
}

/// The target named by `--target`: `tcp://HOST:PORT`, `rsp://HOST:PORT`,
/// or a directory.
pub fn parse(
    target: &str,
    format: RecordFormat,
    connections: usize,
    patience: Patience,
) -> Result<Box<dyn Target>> {
    if let Some(address) = target.strip_prefix("tcp://") {
        if format == RecordFormat::Cucm {
            bail!(
                "--format cucm cannot go to a tcp:// target: Cisco UCM does not stream CDRs over \
                 TCP, it pushes CDR files (by SFTP) to a billing server; give a directory as \
                 --target to simulate that"
            );
        }
        return Ok(Box::new(tcp::TcpTarget::new(address, connections, patience)?));
    }
    if let Some(address) = target.strip_prefix("rsp://") {
        if format != RecordFormat::Avaya {
            bail!(
                "--format {} cannot go to an rsp:// target: the Reliable Session Protocol is \
                 Avaya Communication Manager's; use --format avaya",
                format.name()
            );
        }
        return Ok(Box::new(rsp::RspTarget::new(address, connections, patience)?));
    }
    if let Some((scheme, _)) = target.split_once("://") {
        bail!(
            "--target {target}: unknown scheme {scheme:?} (tcp://HOST:PORT, rsp://HOST:PORT or a \
             directory)"
        );
    }
    Ok(Box::new(files::DirTarget::new(PathBuf::from(target))))
}
