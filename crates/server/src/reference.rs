//! The reference data the parse workers use (the directory's index, the
//! charger with its tariffs and dial plans, the reporting calendar, and
//! each configured PBX as the directory describes it), kept current while
//! the server runs.
//!
//! Every write of that data, by the API, the command line in another
//! process or an import, bumps the store's reference generation in the
//! same transaction (see `store::settings`). The *reloader* reads the
//! generation every [`POLL`] on its own connection; when it changed, it
//! builds a new context and swaps it in. Each worker takes the current
//! one once per unit (a lock held for an `Arc` clone, never per record),
//! so calls processed after the swap use the new data; calls already
//! stored keep theirs until re-rated (`bluewhale rerate`). A context that
//! cannot be built leaves the previous one in use, and is tried again at
//! the next poll.

use crate::processing::Source;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use directory::PbxInfo;
use ingest::Context;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use store::Store;

/// How often the reloader looks at the reference generation.
pub(crate) const POLL: Duration = Duration::from_secs(2);

/// The reference data of one generation.
pub(crate) struct Current {
    /// The store's reference generation read before this was built: a
    /// change committed while it was being read shows as a newer one.
    pub(crate) generation: i64,
    pub(crate) context: Context,
    /// Each source's PBX, in the order of the sources.
    pub(crate) pbxs: Vec<PbxInfo>,
}

/// The current reference data, swapped as a whole.
pub(crate) struct Reference {
    current: RwLock<Arc<Current>>,
}

impl Reference {
    pub(crate) fn new(current: Current) -> Reference {
        Reference { current: RwLock::new(Arc::new(current)) }
    }

    /// The reference data in force now. Cheap (an `Arc` clone under a read
    /// lock): take it once per unit of work, not per record.
    pub(crate) fn current(&self) -> Arc<Current> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Puts `next` in force; returns what it replaces.
    fn swap(&self, next: Current) -> Arc<Current> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, Arc::new(next))
    }
}

/// The reloader: until `stop` is dropped (or sent to), every [`POLL`]
/// compares the store's reference generation with the one in force and
/// puts a new context in force when it changed. What it does is said on
/// `log` (standard error in the server).
pub(crate) fn keep_current(
    data_dir: &Path,
    reference: &Reference,
    sources: &[Source],
    stop: &Receiver<()>,
    log: &(dyn Fn(&str) + Sync),
) {
    let mut reloader = Reloader::default();
    loop {
        match stop.recv_timeout(POLL) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        reloader.poll(data_dir, reference, sources, log);
    }
}

#[derive(Default)]
struct Reloader {
    /// Its own connection, opened at the first poll (and again after an
    /// error).
    store: Option<Store>,
    /// Whether the last reading of the generation failed (said once).
    unreadable: bool,
    /// The generation that could not be loaded (said once).
    failed: Option<i64>,
    /// Contexts replaced, kept until no worker holds them any more, so
    /// that a worker never has to free a whole directory and tariff book
    /// between two units.
    retired: Vec<Arc<Current>>,
}

impl Reloader {
    fn poll(
        &mut self,
        data_dir: &Path,
        reference: &Reference,
        sources: &[Source],
        log: &(dyn Fn(&str) + Sync),
    ) {
        self.retired.retain(|c| Arc::strong_count(c) > 1);
        let in_force = reference.current();
        let generation = match self.generation(data_dir) {
            Ok(g) => g,
            Err(e) => {
                self.store = None;
                if !self.unreadable {
                    log(&format!("reference data: cannot read its generation: {e}"));
                    self.unreadable = true;
                }
                return;
            }
        };
        self.unreadable = false;
        if generation == in_force.generation {
            return;
        }
        let Some(store) = &self.store else { return };
        match load(store, generation, sources, &in_force.pbxs) {
            Ok((next, missing)) => {
                for name in missing {
                    log(&format!(
                        "reference data: PBX {name:?} is no longer in the directory; its calls \
                         are still attributed with its last known entry (put it back with \
                         bluewhale load or the console)"
                    ));
                }
                self.retired.push(reference.swap(next));
                self.failed = None;
                log(&format!(
                    "reference data changed (generation {generation}): directory, tariffs and \
                     dial plans reloaded for the calls processed from now on"
                ));
            }
            Err(e) => {
                if self.failed != Some(generation) {
                    log(&format!(
                        "reference data: generation {generation} cannot be loaded: {e}; calls \
                         are still processed with the previous data (tried again every {} s)",
                        POLL.as_secs()
                    ));
                    self.failed = Some(generation);
                }
            }
        }
        drop(in_force);
    }

    fn generation(&mut self, data_dir: &Path) -> Result<i64, store::Error> {
        if self.store.is_none() {
            self.store = Some(Store::open(data_dir)?);
        }
        self.store.as_ref().map_or(Ok(0), Store::reference_generation)
    }
}

/// The reference data of the store as it is now, read under `generation`
/// (read before it). A configured PBX no longer in the directory keeps its
/// entry of `before`; the names of those are returned with it.
pub(crate) fn load(
    store: &Store,
    generation: i64,
    sources: &[Source],
    before: &[PbxInfo],
) -> Result<(Current, Vec<String>), String> {
    let context = Context::load(store)?;
    let mut missing = Vec::new();
    let pbxs = sources
        .iter()
        .zip(before)
        .map(|(source, before)| match context.index.pbx(&source.name) {
            Some(pbx) => pbx.clone(),
            None => {
                missing.push(source.name.clone());
                before.clone()
            }
        })
        .collect();
    Ok((Current { generation, context, pbxs }, missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use directory::{DirectoryFile, DirectoryIndex};
    use std::sync::Mutex;

    const DIRECTORY: &str = r#"
[[site]]
name = "Paris"
time_zone = "Europe/Paris"
country_code = "33"
area_code = "1"

[[pbx]]
name = "pbx-paris"
format = "asterisk"
site = "Paris"
"#;

    fn prepared() -> (tempfile::TempDir, Store, Vec<Source>, Reference) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let path = dir.path().join("directory.toml");
        let file = DirectoryFile::parse(&path, DIRECTORY).unwrap();
        store.load_directory(&file, &path).unwrap();
        let sources = vec![Source {
            name: "pbx-paris".into(),
            format: parsers::Format::by_name("asterisk").unwrap(),
            source_id: store.source_id("pbx-paris@live").unwrap(),
        }];
        let generation = store.reference_generation().unwrap();
        let index = DirectoryIndex::build(&store.directory().unwrap());
        let pbxs = vec![index.pbx("pbx-paris").cloned().unwrap()];
        let context = Context::with_index(&store, index).unwrap();
        let reference = Reference::new(Current { generation, context, pbxs });
        (dir, store, sources, reference)
    }

    fn extension_known(current: &Current, number: &str) -> bool {
        let pbx = &current.pbxs[0];
        let cdr = cdr::Cdr {
            start: cdr::Timestamp::from_second(1_750_000_000).unwrap(),
            end: cdr::Timestamp::from_second(1_750_000_060).unwrap(),
            calling: number.into(),
            dialled: "0155512345".into(),
            ..Default::default()
        };
        current.context.index.attribute(pbx, &cdr).extension_id.is_some()
    }

    #[test]
    fn a_change_in_the_store_is_put_in_force_at_the_next_poll_and_only_then() {
        let (dir, mut store, sources, reference) = prepared();
        let said = Mutex::new(Vec::<String>::new());
        let log = |line: &str| said.lock().unwrap().push(line.to_string());
        let mut reloader = Reloader::default();
        let held = reference.current();
        assert!(!extension_known(&held, "2001"));
        // Nothing changed: the same context stays.
        reloader.poll(dir.path(), &reference, &sources, &log);
        assert!(Arc::ptr_eq(&held, &reference.current()));
        assert!(said.lock().unwrap().is_empty());
        let csv = dir.path().join("extensions.csv");
        std::fs::write(&csv, "number,site,user,department,valid_from,valid_to\n2001,Paris,,,,\n")
            .unwrap();
        store.load_extensions_csv(&csv).unwrap();
        reloader.poll(dir.path(), &reference, &sources, &log);
        let now = reference.current();
        assert!(extension_known(&now, "2001"));
        assert_eq!(now.generation, store.reference_generation().unwrap());
        // What a worker still holds is unchanged, and kept by the
        // reloader until the worker lets go of it.
        assert!(!extension_known(&held, "2001"));
        assert_eq!(reloader.retired.len(), 1);
        drop(held);
        reloader.poll(dir.path(), &reference, &sources, &log);
        assert!(reloader.retired.is_empty());
        assert!(Arc::ptr_eq(&now, &reference.current()));
        let said = said.lock().unwrap();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("reference data changed (generation"), "{said:?}");
    }

    #[test]
    fn a_pbx_gone_from_the_directory_keeps_its_last_entry() {
        let (dir, store, sources, reference) = prepared();
        let id = reference.current().pbxs[0].id;
        assert!(store.directory_edit().delete_pbx(id).unwrap());
        let said = Mutex::new(Vec::<String>::new());
        let log = |line: &str| said.lock().unwrap().push(line.to_string());
        let mut reloader = Reloader::default();
        reloader.poll(dir.path(), &reference, &sources, &log);
        let now = reference.current();
        assert_eq!(now.generation, store.reference_generation().unwrap());
        assert_eq!((now.pbxs[0].id, now.pbxs[0].name.as_str()), (id, "pbx-paris"));
        let said = said.lock().unwrap();
        assert!(said[0].contains("\"pbx-paris\" is no longer in the directory"), "{said:?}");
    }

    #[test]
    fn a_context_that_cannot_be_built_leaves_the_previous_one_and_is_said_once() {
        let (dir, mut store, sources, reference) = prepared();
        let held = reference.current();
        // A tariff book that does not load (the import commands check
        // books; this one is written past them).
        let files = vec![("tariffs.toml".to_string(), b"format = \"not a book\"\n".to_vec())];
        store.replace_tariff_files(&files).unwrap();
        let said = Mutex::new(Vec::<String>::new());
        let log = |line: &str| said.lock().unwrap().push(line.to_string());
        let mut reloader = Reloader::default();
        reloader.poll(dir.path(), &reference, &sources, &log);
        reloader.poll(dir.path(), &reference, &sources, &log);
        assert!(Arc::ptr_eq(&held, &reference.current()));
        assert_eq!(said.lock().unwrap().len(), 1, "{:?}", said.lock().unwrap());
        assert!(said.lock().unwrap()[0].contains("cannot be loaded"));
        // Fixed: put in force at the next poll.
        store.replace_tariff_files(&[]).unwrap();
        reloader.poll(dir.path(), &reference, &sources, &log);
        assert!(!Arc::ptr_eq(&held, &reference.current()));
        assert_eq!(reference.current().generation, store.reference_generation().unwrap());
    }

    #[test]
    fn the_reloader_stops_when_told() {
        let (dir, _store, sources, reference) = prepared();
        let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
        let started = std::time::Instant::now();
        std::thread::scope(|scope| {
            let reloader =
                scope.spawn(|| keep_current(dir.path(), &reference, &sources, &stopped, &|_| {}));
            drop(stop);
            reloader.join().unwrap();
        });
        assert!(started.elapsed() < POLL, "{:?}", started.elapsed());
    }
}
