//! An import killed at any moment leaves a consistent store, and running it
//! again stores exactly what was missing.

use assert_cmd::cargo::cargo_bin;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn killed_import_resumes_without_loss_or_duplicates() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let file = work.path().join("avaya.txt");
    let org = synth::Org::new(1_000);
    let directory = org.write_directory(work.path(), &[("avaya-hq", "avaya:avaya-97")]).unwrap();
    const CALLS: u64 = 300_000;
    synth::write_avaya(&file, &org, CALLS, 42).unwrap();
    let bw = |args: &[&str]| {
        let mut c = Command::new(cargo_bin("bluewhale"));
        c.arg("--data-dir").arg(&data).args(args);
        c
    };
    assert!(bw(&["load", directory.to_str().unwrap()]).status().unwrap().success());
    let import = ["import", "--pbx", "avaya-hq", "--format", "avaya", file.to_str().unwrap()];

    let mut child = bw(&import).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "the import ended before it could be killed");
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();

    let out = bw(&import).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8(out.stdout).unwrap();
    let nums: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let (read, stored, duplicates, quarantined) = (nums[1], nums[2], nums[3], nums[4]);
    assert_eq!(read, CALLS, "{summary}");
    assert_eq!(quarantined, 0, "{summary}");
    assert_eq!(stored + duplicates, CALLS, "{summary}");

    let store = store::Store::open(&data).unwrap();
    assert_eq!(store.cdr_count().unwrap(), CALLS, "every call stored exactly once");
}
