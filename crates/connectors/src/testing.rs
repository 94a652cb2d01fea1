//! A connector's plumbing for tests (feature `testing`), with the ends the
//! server would hold: the queue's receiving end, the stop switch and the
//! connector's state.

use crate::event::{ConnectionIds, Received, SourceId};
use crate::feed::Feed;
use crate::framer::StreamFraming;
use crate::state::ConnectorState;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// A [`Feed`] and the server's ends of it.
pub struct TestFeed {
    pub feed: Feed,
    pub received: mpsc::Receiver<Received>,
    /// Set to true to stop the connector.
    pub stopping: watch::Sender<bool>,
    pub state: Arc<ConnectorState>,
}

impl TestFeed {
    /// A line-framed feed of `source`, for PBX `pbx` on a `kind`
    /// connector, taking records of up to 1,024 bytes, with `capacity`
    /// items queued at most.
    pub fn lines(pbx: &str, kind: &'static str, source: SourceId, capacity: usize) -> TestFeed {
        let (out, received) = mpsc::channel(capacity);
        let (stopping, stop) = watch::channel(false);
        let state = Arc::new(ConnectorState::new(pbx, kind, None));
        let feed = Feed {
            source,
            framing: StreamFraming::Lines,
            max_record: 1024,
            state: state.clone(),
            ids: Arc::new(ConnectionIds::new()),
            out,
            stop,
        };
        TestFeed { feed, received, stopping, state }
    }
}
