//! An import killed at any moment leaves a consistent store, and running it
//! again stores exactly what was missing.

mod common;

use common::{Bw, import_counts};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn killed_import_resumes_without_loss_or_duplicates() {
    let work = tempfile::tempdir().unwrap(); // the input files, kept apart from the store
    let bw = Bw::new();
    let file = work.path().join("avaya.txt");
    let org = synth::Org::new(1_000);
    let directory = org.write_directory(work.path(), &[("avaya-hq", "avaya:avaya-97")]).unwrap();
    const CALLS: u64 = 300_000;
    synth::write_avaya(&file, &org, CALLS, 42).unwrap();
    bw.ok(&["load", directory.to_str().unwrap()]);
    let import = ["import", "--pbx", "avaya-hq", "--format", "avaya", file.to_str().unwrap()];

    let mut child =
        bw.process(&import).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "the import ended before it could be killed");
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();

    let summary = bw.ok(&import);
    let [read, stored, duplicates, quarantined] = import_counts(&summary);
    assert_eq!(read, CALLS, "{summary}");
    assert_eq!(quarantined, 0, "{summary}");
    assert_eq!(stored + duplicates, CALLS, "{summary}");

    let store = bw.store();
    assert_eq!(store.cdr_count().unwrap(), CALLS, "every call stored exactly once");
}
