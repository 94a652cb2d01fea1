//! `bluewhale replay`: feeds what one PBX sent in a period back from the
//! raw journal through parsing, pricing and storing, as the server did
//! when it arrived: after a fix to a format, the directory or a tariff, or
//! to recover calls lost downstream. Deduplication makes it safe: calls
//! already stored are counted as duplicates, and a record quarantined
//! before is not quarantined twice (same PBX, bytes and location). It
//! does not move where the server resumes reading. With a main database
//! (`storage_url`), the calls go there, or to the offline store while it
//! cannot be reached (written by the next `serve`).

use crate::processing::{Parsed, Source, new_parser, records};
use crate::sink::{Pending, Sink};
use crate::stats::Stats;
use cdr::RecordParser;
use directory::DirectoryIndex;
use ingest::{Context, Counts, Origin};
use journal::{EntryKind, Journal, JournalConfig};
use parsers::Format;
use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;
use store::Store;

/// What a replay read and did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Replayed {
    /// Journal entries in the period.
    pub entries: u64,
    pub counts: Counts,
}

/// Replays the entries of PBX `pbx` received in `[from, to)`, parsed in
/// `format` (the server configuration's; the directory's if `None`), into
/// the main database at `storage_url` if given, else the embedded store.
/// The caller holds the data directory's lock (see `lock`).
pub fn replay(
    data_dir: &Path,
    pbx: &str,
    format: Option<&str>,
    storage_url: Option<&str>,
    from: SystemTime,
    to: SystemTime,
) -> Result<Replayed, String> {
    let err = |e: store::Error| e.to_string();
    let mut store = Store::open(data_dir).map_err(err)?;
    let index = DirectoryIndex::build(&store.directory().map_err(err)?);
    let info = index.pbx(pbx).cloned().ok_or_else(|| format!("no PBX {pbx:?} in the directory"))?;
    let format =
        Format::by_name(format.unwrap_or(&info.format)).map_err(|e| format!("{pbx}: {e}"))?;
    let source_id = store.source_id(&format!("{pbx}@live")).map_err(err)?;
    let source = Source { name: pbx.to_string(), format, source_id };
    let context = Context::with_index(&store, index)?;
    let config = JournalConfig { compress: false, ..JournalConfig::default() };
    let journal = Journal::open(&data_dir.join("journal"), config).map_err(|e| e.to_string())?;
    if !journal.sources().iter().any(|s| s == pbx) {
        return Err(format!("the journal holds nothing from {pbx:?}"));
    }
    let format_name = source.format.name();
    let origin = Origin::new(&source.name, Some(&info), &format_name, source.source_id, &context);
    let stats = Stats::default();
    let mut sink = crate::sink::open(storage_url, data_dir, &mut store, &stats)?;
    sink.start()?;
    let mut done = Replayed::default();
    let mut parsers: HashMap<u64, Box<dyn RecordParser>> = HashMap::new();
    let mut parsed = Parsed::empty();
    let entries = journal.entries_between(pbx, from, to).map_err(|e| e.to_string())?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        done.entries += 1;
        match entry.kind {
            EntryKind::Open => {
                parsers.insert(entry.connection, new_parser(&source, &info, &entry));
            }
            EntryKind::Close => {
                parsers.remove(&entry.connection);
            }
            EntryKind::Data => {
                // Its opening may be before the period.
                let parser = parsers
                    .entry(entry.connection)
                    .or_insert_with(|| new_parser(&source, &info, &entry));
                records(&entry, &origin, parser.as_mut(), &mut parsed);
                if parsed.calls.len() >= sink.calls_per_transaction() {
                    store_parsed(sink.as_mut(), &mut parsed, &context, &mut done.counts)?;
                }
            }
        }
    }
    store_parsed(sink.as_mut(), &mut parsed, &context, &mut done.counts)?;
    sink.finish()?;
    Ok(done)
}

/// Stores what is parsed, without journal positions: a replay does not
/// move where the server resumes.
fn store_parsed(
    sink: &mut dyn Sink,
    parsed: &mut Parsed,
    context: &Context,
    counts: &mut Counts,
) -> Result<(), String> {
    let mut pending = Pending {
        calls: std::mem::take(&mut parsed.calls),
        others: std::mem::take(&mut parsed.others),
        legs: vec![std::mem::take(&mut parsed.legs)],
        upto: Default::default(),
    };
    sink.write(&mut pending, &[], context, counts)?;
    pending.clear();
    parsed.calls = pending.calls;
    Ok(())
}
