//! Records one at a time or in chunks, as the bytes a PBX sends or writes:
//! for simulators that stream calls to a server rather than write a file.

use crate::asterisk::render_asterisk;
use crate::avaya::render_avaya;
use crate::cucm::{CucmMix, CucmRenderer};
use crate::nec::render_nec;
use crate::{AVAYA_ZONE, CallGenerator, Org};
use jiff::tz::TimeZone;

/// A vendor format the synthetic calls can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// Avaya CM customized, the 97-character layout (CR LF ended).
    Avaya,
    /// Cisco UCM CDR rows under a 133-column header (`\n` ended).
    Cucm,
    /// Asterisk `cdr_csv` Master.csv lines (`\n` ended).
    Asterisk,
    /// NEC SMDR flexible format, KK/KL/KM (CR LF ended); connected calls only.
    Nec,
}

impl RecordFormat {
    /// The name `bluewhale import --format` knows it by.
    pub fn name(self) -> &'static str {
        match self {
            RecordFormat::Avaya => "avaya",
            RecordFormat::Cucm => "cucm",
            RecordFormat::Asterisk => "asterisk",
            RecordFormat::Nec => "nec",
        }
    }

    /// What a file of these records starts with before its records: the
    /// CUCM header and type lines; nothing for the other formats.
    pub fn file_header(self) -> Vec<u8> {
        match self {
            RecordFormat::Cucm => CucmRenderer::new(0).header_lines().into_bytes(),
            _ => Vec::new(),
        }
    }
}

/// Records rendered back to back, with where each ends.
#[derive(Debug, Clone, Default)]
pub struct RecordChunk {
    /// Stream index of the first record.
    pub first: u64,
    /// The records' bytes, each with its line terminator.
    pub bytes: Vec<u8>,
    /// `ends[k]` is where record `first + k` ends in `bytes`.
    pub ends: Vec<usize>,
}

impl RecordChunk {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes of record `first + k`.
    pub fn record(&self, k: usize) -> &[u8] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.bytes[start..self.ends[k]]
    }
}

/// What turns a call into bytes; only CUCM keeps state (its columns).
enum Renderer {
    Avaya,
    Cucm(Box<CucmRenderer>),
    Asterisk,
    Nec,
}

/// Where a stream's records come from.
enum Calls<'o> {
    /// One call at a time, rendered in the stream's format.
    Plain { calls: CallGenerator<'o>, renderer: Renderer },
    /// The CUCM feature mix: each call's records rendered together, then
    /// handed out one by one from `pending` (`at` is where the next starts).
    Features { mix: Box<CucmMix<'o>>, pending: Vec<u8>, at: usize },
}

/// [`RecordStream::with_features`] asked of a format other than CUCM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeaturesUnsupported(pub RecordFormat);

impl std::fmt::Display for FeaturesUnsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the feature mix (transfers, forwards, conferences) is rendered as Cisco UCM records \
             only; format {} has plain calls only",
            self.0.name()
        )
    }
}

impl std::error::Error for FeaturesUnsupported {}

/// An endless stream of distinct records in one format: the calls of a
/// [`CallGenerator`], in order. The same org, format and seed give the same
/// records; Avaya and CUCM records are those [`crate::write_avaya`] and
/// [`crate::write_cucm`] write, and a CUCM stream
/// [`with features`](RecordStream::with_features) those
/// [`crate::write_cucm_features`] writes.
pub struct RecordStream<'o> {
    format: RecordFormat,
    seed: u64,
    zone: TimeZone,
    calls: Calls<'o>,
    /// Index of the next call (CUCM ids and Asterisk uniqueids derive from it).
    next_call: u64,
    /// Index of the next record (NEC skips calls that have none).
    next_record: u64,
}

impl<'o> RecordStream<'o> {
    /// Plain calls, one record each (see [`RecordStream::with_features`]).
    pub fn new(org: &'o Org, format: RecordFormat, seed: u64) -> Self {
        RecordStream::of_calls(CallGenerator::new(org, seed), format, seed)
    }

    /// The records of `calls` (for live traffic, see
    /// [`CallGenerator::starting_at`]).
    pub fn of_calls(calls: CallGenerator<'o>, format: RecordFormat, seed: u64) -> Self {
        let zone = TimeZone::get(AVAYA_ZONE).expect("bundled zone");
        let renderer = match format {
            RecordFormat::Avaya => Renderer::Avaya,
            RecordFormat::Cucm => Renderer::Cucm(Box::new(CucmRenderer::new(seed))),
            RecordFormat::Asterisk => Renderer::Asterisk,
            RecordFormat::Nec => Renderer::Nec,
        };
        RecordStream {
            format,
            seed,
            zone,
            calls: Calls::Plain { calls, renderer },
            next_call: 0,
            next_record: 0,
        }
    }

    /// The calls from here on are those of the CUCM feature mix
    /// ([`crate::CucmMix`]: per hundred calls, ten consultation transfers,
    /// five forwards, two ad hoc conferences, the rest plain), a call's
    /// records one after the other. CUCM only: the other formats' records
    /// do not carry what ties a feature call's legs together.
    pub fn with_features(self) -> Result<Self, FeaturesUnsupported> {
        if self.format != RecordFormat::Cucm {
            return Err(FeaturesUnsupported(self.format));
        }
        let calls = match self.calls {
            Calls::Plain { calls, .. } => {
                let mix = CucmMix::continuing(calls, self.seed, self.next_call, self.next_record);
                Calls::Features { mix: Box::new(mix), pending: Vec::with_capacity(8 << 10), at: 0 }
            }
            features @ Calls::Features { .. } => features,
        };
        Ok(RecordStream { calls, ..self })
    }

    pub fn format(&self) -> RecordFormat {
        self.format
    }

    /// Whether the stream has the feature mix ([`RecordStream::with_features`]).
    pub fn has_features(&self) -> bool {
        matches!(self.calls, Calls::Features { .. })
    }

    /// [`RecordFormat::file_header`] of the stream's format.
    pub fn file_header(&self) -> Vec<u8> {
        self.format.file_header()
    }

    /// When the last call rendered ended (Unix seconds).
    pub fn clock_s(&self) -> i64 {
        match &self.calls {
            Calls::Plain { calls, .. } => calls.clock_s(),
            Calls::Features { mix, .. } => mix.clock_s(),
        }
    }

    /// Index of the record [`RecordStream::next_record`] appends next.
    pub fn position(&self) -> u64 {
        self.next_record
    }

    /// Whether records of a call already begun are still to come (a
    /// feature call's): a run that must end on whole calls goes on until
    /// this is false.
    pub fn mid_call(&self) -> bool {
        match &self.calls {
            Calls::Plain { .. } => false,
            Calls::Features { pending, at, .. } => *at < pending.len(),
        }
    }

    /// Appends the next record, with its line terminator, to `out`.
    pub fn next_record(&mut self, out: &mut Vec<u8>) {
        match &mut self.calls {
            Calls::Plain { calls, renderer } => loop {
                let call = calls.next_call();
                let i = self.next_call;
                self.next_call += 1;
                let written = match renderer {
                    Renderer::Avaya => {
                        render_avaya(&call, &self.zone, out);
                        true
                    }
                    Renderer::Cucm(cucm) => {
                        cucm.render(i, &call, out);
                        true
                    }
                    Renderer::Asterisk => {
                        render_asterisk(i, &call, &self.zone, out);
                        true
                    }
                    Renderer::Nec => render_nec(&call, &self.zone, out),
                };
                if written {
                    break;
                }
            },
            Calls::Features { mix, pending, at } => {
                if *at == pending.len() {
                    pending.clear();
                    *at = 0;
                    mix.next_call(pending);
                    self.next_call += 1;
                }
                // Each record is one line.
                let rest = &pending[*at..];
                let len = rest.iter().position(|b| *b == b'\n').map_or(rest.len(), |n| n + 1);
                out.extend_from_slice(&rest[..len]);
                *at += len;
            }
        }
        self.next_record += 1;
    }

    /// The next `count` records as one chunk.
    pub fn next_chunk(&mut self, count: usize) -> RecordChunk {
        let mut chunk = RecordChunk {
            first: self.next_record,
            bytes: Vec::with_capacity(count * 128),
            ends: Vec::with_capacity(count),
        };
        for _ in 0..count {
            self.next_record(&mut chunk.bytes);
            chunk.ends.push(chunk.bytes.len());
        }
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(write: fn(&std::path::Path, &Org, u64, u64) -> std::io::Result<()>) -> Vec<u8> {
        let dir = std::env::temp_dir().join(format!("synth-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:p}", write as *const ()));
        write(&path, &Org::new(500), 300, 9).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        bytes
    }

    fn streamed(format: RecordFormat, count: usize) -> Vec<u8> {
        let org = Org::new(500);
        let mut stream = RecordStream::new(&org, format, 9);
        let mut bytes = stream.file_header();
        // Chunks of different sizes and single records give one stream.
        let first = stream.next_chunk(count / 3);
        bytes.extend_from_slice(&first.bytes);
        stream.next_record(&mut bytes);
        bytes.extend_from_slice(&stream.next_chunk(count - count / 3 - 1).bytes);
        bytes
    }

    #[test]
    fn streams_the_records_the_file_writers_write() {
        assert_eq!(streamed(RecordFormat::Avaya, 300), file_of(crate::write_avaya));
        assert_eq!(streamed(RecordFormat::Cucm, 300), file_of(crate::write_cucm));
    }

    #[test]
    fn chunks_know_where_each_record_ends() {
        let org = Org::new(100);
        let mut stream = RecordStream::new(&org, RecordFormat::Avaya, 1);
        stream.next_chunk(5);
        let chunk = stream.next_chunk(4);
        assert_eq!((chunk.first, chunk.len()), (5, 4));
        assert_eq!(stream.position(), 9);
        for k in 0..4 {
            let record = chunk.record(k);
            assert_eq!(record.len(), 97);
            assert!(record.ends_with(b" \r\n"), "{:?}", String::from_utf8_lossy(record));
        }
    }

    #[test]
    fn every_format_writes_distinct_whole_lines() {
        let org = Org::new(100);
        for format in
            [RecordFormat::Avaya, RecordFormat::Cucm, RecordFormat::Asterisk, RecordFormat::Nec]
        {
            let chunk = RecordStream::new(&org, format, 4).next_chunk(2000);
            let mut seen = std::collections::HashSet::new();
            for k in 0..chunk.len() {
                let record = chunk.record(k);
                assert_eq!(record.iter().filter(|b| **b == b'\n').count(), 1, "{format:?}");
                assert!(record.ends_with(b"\n") && record.is_ascii(), "{format:?}");
                assert!(seen.insert(record.to_vec()), "{format:?}: record {k} repeated");
            }
        }
    }

    #[test]
    fn nec_records_follow_the_sample_layout() {
        let org = Org::new(100);
        let chunk = RecordStream::new(&org, RecordFormat::Nec, 2).next_chunk(300);
        let kinds: std::collections::BTreeSet<&[u8]> =
            (0..chunk.len()).map(|k| &chunk.record(k)[..4]).collect();
        assert_eq!(kinds.into_iter().collect::<Vec<_>>(), [&b"0!KK"[..], b"0!KL", b"0!KM"]);
        for k in 0..chunk.len() {
            let record = chunk.record(k);
            let body = &record[4..record.len() - 2];
            // Walk the sections by their lengths: they must end exactly at
            // the end of the record, kinds rising, with the times (06).
            let (mut at, mut previous, mut times) = (0, 0, false);
            while at < body.len() {
                let n = |i: usize| (body[i] - b'0') as usize * 10 + (body[i + 1] - b'0') as usize;
                let (kind, declared) = (n(at), n(at + 2));
                assert!(kind > previous);
                let len = if matches!(kind, 7 | 10 | 12) { declared - 1 } else { declared };
                times |= kind == 6 && len == 34;
                previous = kind;
                at += 4 + len;
            }
            assert_eq!(at, body.len(), "{:?}", String::from_utf8_lossy(record));
            assert!(times);
        }
    }
}
