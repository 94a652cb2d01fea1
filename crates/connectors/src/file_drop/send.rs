//! Reading one dropped file as one connection: `Opened` with the file's
//! name, its whole records in chunks, `Closed` with an unterminated tail.
//!
//! The file is read a chunk at a time so that its size does not matter.
//! Each chunk's records are handed on durably, a few chunks in flight at
//! once so that reading overlaps the journal's syncs; as each becomes
//! durable, the offset after it is recorded (`progress`), so a restart
//! continues from there.

use super::blocking;
use super::progress::{Identity, Progress, ProgressFile};
use super::scan::Candidate;
use crate::event::What;
use crate::feed::{Durable, Feed};
use crate::framer::{LineFramer, StreamFraming};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// Chunks handed on and not yet durable, at most.
const IN_FLIGHT: usize = 4;
/// Reads that find the end of a file whose length says there is more,
/// before it is taken as ended (a file system whose length and reads
/// disagree must not keep us here).
const EMPTY_READS: u32 = 3;

/// What became of a file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything in it is durable: it can go to `done/`.
    Finished,
    /// The server is stopping, or its journal stage has: progress so far
    /// is recorded.
    Stopped,
    /// It changed or vanished since it settled: to be looked at again.
    Changed,
    /// It could not be read (the message says why): left in place, to be
    /// tried again later.
    Failed(String),
}

/// How files are read.
pub(crate) struct Reading<'a> {
    pub feed: &'a Feed,
    pub progress_file: &'a ProgressFile,
    /// Bytes read at a time.
    pub chunk: usize,
    /// Leading records sent again when resuming mid-file (see `mod`).
    pub replay_lines: usize,
}

/// Hands on what is left of `file` to send, given the recorded progress
/// (which it updates).
pub(crate) async fn send_file(
    reading: &Reading<'_>,
    file: &Candidate,
    progress: &mut Option<Progress>,
) -> Outcome {
    let identity = file.identity();
    let (start, finished) = match progress {
        Some(p) if p.file == identity => (p.offset, p.finished),
        _ => (0, false),
    };
    if finished {
        return Outcome::Finished;
    }
    let path = file.path.clone();
    let (size, mtime) = (file.size, file.mtime);
    let replay_limit = reading
        .replay_lines
        .saturating_mul(reading.feed.max_record.saturating_add(1))
        .min(usize::try_from(start).unwrap_or(usize::MAX));
    let opened = blocking(move || -> std::io::Result<Option<(File, Vec<u8>)>> {
        let mut f = File::open(&path)?;
        let meta = f.metadata()?;
        if meta.len() != size || meta.modified()? != mtime {
            return Ok(None);
        }
        let mut head = vec![0; replay_limit];
        let n = fill(&mut f, &mut head)?;
        head.truncate(n);
        f.seek(SeekFrom::Start(start))?;
        Ok(Some((f, head)))
    })
    .await;
    let (handle, head) = match opened {
        Ok(Ok(Some(opened))) => opened,
        Ok(Ok(None)) => return Outcome::Changed,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => return Outcome::Changed,
        Ok(Err(e)) => return Outcome::Failed(format!("{}: {e}", file.path.display())),
        Err(e) => return Outcome::Failed(e),
    };
    let feed = reading.feed;
    let preamble = first_records(feed.framing, feed.max_record, &head, reading.replay_lines);
    feed.state.connected(&identity.name);
    let mut connection = Connection {
        reading,
        connection: feed.ids.next(),
        identity,
        progress,
        in_flight: VecDeque::new(),
        save_error_reported: false,
    };
    let outcome = connection.stream(handle, start, preamble, file).await;
    feed.state.disconnected();
    outcome
}

/// How reading a file ended.
enum End {
    Eof,
    Stopping,
    ReadError(String),
}

/// One file being handed on.
struct Connection<'r, 'a, 'p> {
    reading: &'r Reading<'a>,
    connection: u64,
    identity: Identity,
    progress: &'p mut Option<Progress>,
    /// Items handed on and not yet durable, oldest first, with the
    /// progress each makes: the offset after it, whether it closes.
    in_flight: VecDeque<(Durable, u64, bool)>,
    save_error_reported: bool,
}

impl Connection<'_, '_, '_> {
    async fn stream(
        &mut self,
        handle: File,
        start: u64,
        preamble: Vec<u8>,
        file: &Candidate,
    ) -> Outcome {
        let feed = self.reading.feed;
        let peer = self.identity.name.clone();
        if feed.send(self.connection, What::Opened { peer }).await.is_err() {
            return Outcome::Stopped;
        }
        if !preamble.is_empty()
            && feed.send(self.connection, What::Records(preamble)).await.is_err()
        {
            return Outcome::Stopped;
        }
        let mut framer = LineFramer::new(feed.framing, feed.max_record);
        let mut pos = start;
        let mut handle = Some(handle);
        let mut buffer = vec![0u8; self.reading.chunk.max(1)];
        let mut empty_reads = 0;
        let end = loop {
            if feed.stopping() {
                break End::Stopping;
            }
            let Some(mut f) = handle.take() else {
                break End::ReadError("file handle lost".into());
            };
            let mut buf = std::mem::take(&mut buffer);
            let read = blocking(move || {
                let read = fill(&mut f, &mut buf).and_then(|n| {
                    // At the end, the length now: a writer that kept
                    // writing past the settle time is read to its end.
                    let len = if n == 0 { f.metadata()?.len() } else { 0 };
                    Ok((n, len))
                });
                (f, buf, read)
            })
            .await;
            let (n, len) = match read {
                Ok((f, buf, read)) => {
                    handle = Some(f);
                    buffer = buf;
                    match read {
                        Ok(read) => read,
                        Err(e) => break End::ReadError(e.to_string()),
                    }
                }
                Err(e) => break End::ReadError(e),
            };
            if n == 0 {
                empty_reads += 1;
                if len > pos && empty_reads < EMPTY_READS {
                    continue;
                }
                break End::Eof;
            }
            empty_reads = 0;
            pos += n as u64;
            let records = framer.push(&buffer[..n]);
            if records.is_empty() {
                continue;
            }
            let count = records.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
            feed.state.received(count, records.len() as u64);
            let handed = pos - framer.pending_len() as u64;
            match feed.send_durable(self.connection, What::Records(records)).await {
                Ok(durable) => self.in_flight.push_back((durable, handed, false)),
                Err(_) => return Outcome::Stopped,
            }
            if self.in_flight.len() >= IN_FLIGHT && !self.settle_oldest().await {
                return Outcome::Stopped;
            }
        };
        if let End::Eof = end {
            // The close goes in flight behind the last records: once it is
            // durable, everything from the file is.
            let partial = framer.finish();
            let closed = What::Closed { partial, reason: "end of file".into() };
            match feed.send_durable(self.connection, closed).await {
                Ok(durable) => self.in_flight.push_back((durable, pos, true)),
                Err(_) => return Outcome::Stopped,
            }
        }
        while !self.in_flight.is_empty() {
            if !self.settle_oldest().await {
                return Outcome::Stopped;
            }
        }
        match end {
            End::Eof => Outcome::Finished,
            End::Stopping => {
                // The unterminated tail read so far is not handed on: it
                // is read again, whole, when the file is resumed.
                self.close(String::from("server stopping")).await;
                Outcome::Stopped
            }
            End::ReadError(e) => {
                self.close(format!("read error: {e}")).await;
                Outcome::Failed(format!("{}: {e}", file.path.display()))
            }
        }
    }

    /// Closes the connection before the end of the file.
    async fn close(&self, reason: String) {
        let closed = What::Closed { partial: Vec::new(), reason };
        let _ = self.reading.feed.send(self.connection, closed).await;
    }

    /// Waits for the oldest item in flight to be durable and records the
    /// progress it makes; false if it will never be durable.
    async fn settle_oldest(&mut self) -> bool {
        let Some((durable, offset, finished)) = self.in_flight.pop_front() else {
            return true;
        };
        if durable.wait().await.is_err() {
            return false;
        }
        self.record(offset, finished).await;
        true
    }

    async fn record(&mut self, offset: u64, finished: bool) {
        let progress = Progress { offset, finished, file: self.identity.clone() };
        *self.progress = Some(progress.clone());
        let file = self.reading.progress_file.clone();
        let saved = blocking(move || file.save(&progress)).await.and_then(|r| r);
        if let Err(e) = saved {
            // Reported once per file: without its progress a file is only
            // sent again from its start after a restart.
            if !std::mem::replace(&mut self.save_error_reported, true) {
                self.reading.feed.state.error(format!("cannot record progress: {e}"));
            }
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn fill(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The first `count` whole records of `head`, framed as the feed frames.
fn first_records(framing: StreamFraming, max_record: usize, head: &[u8], count: usize) -> Vec<u8> {
    let mut framer = LineFramer::new(framing, max_record);
    let mut records = Vec::new();
    let mut found = 0;
    // Pushed a line at a time, each push hands on at most one record.
    for line in head.split_inclusive(|&b| b == b'\n') {
        if found == count || !line.ends_with(b"\n") {
            break;
        }
        let record = framer.push(line);
        if !record.is_empty() {
            records.extend_from_slice(&record);
            found += 1;
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_records_are_whole_records_of_the_feed_framing() {
        let cases: &[(StreamFraming, &str, usize, &str)] = &[
            (StreamFraming::Lines, "h1\nh2\nr1\n", 2, "h1\nh2\n"),
            (StreamFraming::Lines, "h1\nh2", 2, "h1\n"),
            (StreamFraming::Lines, "h1\n", 0, ""),
            (StreamFraming::QuotedLines, "\"a\nb\",1\n2\n3\n", 2, "\"a\nb\",1\n2\n"),
        ];
        for &(framing, head, count, expected) in cases {
            let records = first_records(framing, 100, head.as_bytes(), count);
            assert_eq!(String::from_utf8(records).unwrap(), expected, "{head:?}");
        }
    }
}
