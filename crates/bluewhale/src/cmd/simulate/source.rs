//! The records of a run, rendered ahead of time on a thread of their own
//! and handed out in chunks: each chunk goes to exactly one lane (a
//! connection, or the file writer), so no record is sent twice. Chunks are
//! dealt to the lanes in turn, so every connection gets its share however
//! fast the others are.

use anyhow::{Result, anyhow};
use std::sync::Arc;
use std::time::Duration;
use synth::{Org, RecordChunk, RecordFormat, RecordStream};
use tokio::sync::{Mutex, mpsc, oneshot};

/// What to render: the stream's format and seed, how many records at most,
/// in chunks of how many.
pub struct Plan {
    pub format: RecordFormat,
    /// The CUCM feature mix rather than plain calls
    /// ([`RecordStream::with_features`]).
    pub features: bool,
    pub extensions: usize,
    pub seed: u64,
    /// `None`: until the run stops taking them (`--duration`).
    pub count: Option<u64>,
    pub chunk_records: usize,
    /// Records rendered before the run starts (and kept ahead during it).
    pub ahead_records: u64,
    /// Senders taking chunks, each from its own lane.
    pub lanes: usize,
}

/// Chunks of records, one queue per lane.
pub struct Source {
    lanes: Vec<Mutex<mpsc::Receiver<RecordChunk>>>,
}

impl Source {
    /// Starts rendering; returns once `ahead_records` are ready (or all of
    /// them, if fewer), so that a run's clock does not time the rendering.
    pub async fn start(plan: Plan) -> Result<Arc<Source>> {
        if plan.features && plan.format != RecordFormat::Cucm {
            return Err(synth::FeaturesUnsupported(plan.format).into());
        }
        let lanes = plan.lanes.max(1);
        let chunks_ahead = plan.ahead_records.div_ceil(plan.chunk_records as u64);
        let per_lane = usize::try_from(chunks_ahead.div_ceil(lanes as u64)).unwrap_or(usize::MAX);
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..lanes).map(|_| mpsc::channel(per_lane.max(1))).unzip();
        let (ready_tx, ready_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("simulate-render".into())
            .spawn(move || render(plan, senders, ready_tx))
            .map_err(|e| anyhow!("cannot start the record renderer: {e}"))?;
        // The renderer says when it is ahead; a dropped sender (a renderer
        // that ended early) is just as much "ready".
        let _ = ready_rx.await;
        Ok(Arc::new(Source { lanes: receivers.into_iter().map(Mutex::new).collect() }))
    }

    /// The next chunk of `lane`, or `None` once it has had all of its own.
    pub async fn next(&self, lane: usize) -> Option<RecordChunk> {
        self.lanes.get(lane)?.lock().await.recv().await
    }
}

/// The renderer thread: chunks dealt to the lanes in turn, skipping a
/// lane whose queue is full (its connection is slow or down: the others
/// go on), until the count is reached or no lane takes any more; `ready`
/// fires when every lane is first full. With the feature mix the last
/// chunk ends on a whole call, past the count if need be.
fn render(plan: Plan, mut lanes: Vec<mpsc::Sender<RecordChunk>>, ready: oneshot::Sender<()>) {
    let org = Org::new(plan.extensions);
    let mut stream = RecordStream::new(&org, plan.format, plan.seed);
    if plan.features {
        stream = stream.with_features().expect("checked by Source::start");
    }
    let mut ready = Some(ready);
    let mut turn = 0;
    loop {
        let left = plan.count.map_or(u64::MAX, |count| count.saturating_sub(stream.position()));
        if left == 0 {
            return;
        }
        let size = usize::try_from(left).unwrap_or(usize::MAX).min(plan.chunk_records);
        let mut chunk = stream.next_chunk(size);
        if plan.count.is_some_and(|count| stream.position() >= count) {
            while stream.mid_call() {
                stream.next_record(&mut chunk.bytes);
                chunk.ends.push(chunk.bytes.len());
            }
        }
        let mut full = 0;
        loop {
            if lanes.is_empty() {
                return;
            }
            turn %= lanes.len();
            match lanes[turn].try_send(chunk) {
                Ok(()) => {
                    turn += 1;
                    break;
                }
                // The lane's sender has finished (a timed run ended).
                Err(mpsc::error::TrySendError::Closed(back)) => {
                    lanes.remove(turn);
                    chunk = back;
                }
                Err(mpsc::error::TrySendError::Full(back)) => {
                    chunk = back;
                    turn += 1;
                    full += 1;
                    if full >= lanes.len() {
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(());
                        }
                        full = 0;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hands_out_every_record_once_in_chunks() {
        let plan = Plan {
            format: RecordFormat::Avaya,
            features: false,
            extensions: 50,
            seed: 3,
            count: Some(1001),
            chunk_records: 100,
            ahead_records: 300,
            lanes: 3,
        };
        let source = Source::start(plan).await.unwrap();
        let lanes = (0..3).map(|lane| {
            let source = Arc::clone(&source);
            tokio::spawn(async move {
                let mut chunks = Vec::new();
                while let Some(chunk) = source.next(lane).await {
                    chunks.push((chunk.first, chunk.len()));
                }
                chunks
            })
        });
        let mut all = Vec::new();
        for lane in lanes.collect::<Vec<_>>() {
            let chunks = lane.await.unwrap();
            assert!(!chunks.is_empty());
            assert!(chunks.windows(2).all(|w| w[0].0 < w[1].0));
            all.extend(chunks);
        }
        all.sort();
        let expected: Vec<(u64, usize)> =
            (0..=10).map(|c| (c * 100, if c == 10 { 1 } else { 100 })).collect();
        assert_eq!(all, expected);
    }

    #[tokio::test]
    async fn a_feature_run_ends_on_a_whole_call() {
        let plan = Plan {
            format: RecordFormat::Cucm,
            features: true,
            extensions: 50,
            seed: 3,
            count: Some(1001),
            chunk_records: 100,
            ahead_records: 300,
            lanes: 1,
        };
        let source = Source::start(plan).await.unwrap();
        let mut sent = Vec::new();
        let mut records = 0;
        while let Some(chunk) = source.next(0).await {
            sent.extend_from_slice(&chunk.bytes);
            records += chunk.len();
        }
        // The stream's first records, up to the end of the call that
        // reaches the count.
        let org = Org::new(50);
        let mut stream = RecordStream::new(&org, RecordFormat::Cucm, 3).with_features().unwrap();
        let mut expected = stream.next_chunk(1001).bytes;
        while stream.mid_call() {
            stream.next_record(&mut expected);
        }
        assert_eq!(records as u64, stream.position());
        assert!((1001..=1006).contains(&records), "{records}");
        assert_eq!(sent, expected);
    }

    #[tokio::test]
    async fn only_cucm_renders_the_feature_mix() {
        let plan = Plan {
            format: RecordFormat::Asterisk,
            features: true,
            extensions: 50,
            seed: 3,
            count: Some(10),
            chunk_records: 10,
            ahead_records: 10,
            lanes: 1,
        };
        let error = Source::start(plan).await.err().unwrap().to_string();
        assert!(error.contains("asterisk"), "{error}");
    }
}
