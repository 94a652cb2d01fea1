//! The `bluewhale` command line, end to end: each test runs the binary
//! against a fresh data directory.

mod common;

use common::{Bw, fixture, fixture_arg, import_counts};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(path: &str) -> PathBuf {
    root().join("samples").join(path)
}

#[test]
fn cucm_sample_call_is_stored_with_the_values_the_file_holds() {
    let bw = Bw::new();
    let out = bw.import(&[], &[sample("cucm/cdr_example.txt"), sample("cucm/cmr_example.txt")]);
    // 3 CDRs and 2 CMRs.
    assert_eq!(import_counts(&out), [5, 5, 0, 0], "{out}");
    let calls = bw.calls("2025-04-18", "2025-04-18");
    assert_eq!(calls.len(), 3);
    let call =
        calls.iter().find(|c| c["global_call_id"].as_str().unwrap().ends_with(":25447")).unwrap();
    assert_eq!(call["calling"], "5033466594");
    assert_eq!(call["dialled"], "5033466593");
    assert_eq!(call["answer"], "2025-04-18T16:32:10Z");
    assert_eq!(call["duration_s"], 11);
    assert_eq!(call["disposition"], "answered");
    assert_eq!(call["extras"]["origIpAddr"], "10.248.64.14");
    let quality = call["quality"].as_array().unwrap();
    assert_eq!(quality.len(), 2, "both CMRs attach to the call's legs");
    let legs: Vec<&str> = quality.iter().map(|q| q["leg_id"].as_str().unwrap()).collect();
    assert_eq!(legs, ["47874239", "47874240"]);
    // CMR columns without a field of their own are kept too.
    assert_eq!(quality[0]["extras"]["numberOctetsSent"], "89440");
    for key in [
        "id",
        "pbx",
        "start",
        "answer",
        "end",
        "duration_s",
        "calling",
        "dialled",
        "direction",
        "disposition",
        "extension",
        "department",
        "trunk_in",
        "trunk_out",
    ] {
        assert!(call.get(key).is_some(), "key {key} missing");
    }
}

#[test]
fn every_shipped_sample_imports_and_reimporting_adds_nothing() {
    let bw = Bw::new();
    let dirs: Vec<PathBuf> =
        ["cucm", "asterisk", "freeswitch", "nec"].iter().map(|d| sample(d)).collect();
    let first = import_counts(&bw.import(&[], &dirs));
    assert_eq!(first, [10, 10, 0, 0], "every record of every sample is stored");
    let again = import_counts(&bw.import(&[], &dirs));
    assert_eq!(again, [10, 0, 10, 0], "a re-import stores nothing and reports duplicates");
}

#[test]
fn malformed_records_are_quarantined_with_a_located_reason() {
    let bw = Bw::new();
    let file = fixture("cucm_bad_row.txt");
    let out = bw.import(&["--format", "cucm"], std::slice::from_ref(&file));
    assert_eq!(import_counts(&out), [2, 1, 0, 1], "{out}");
    let list = bw.ok(&["quarantine", "list"]);
    let expected =
        format!("{}:3: field dateTimeOrigination: not a number: \"abc\"", file.display());
    assert!(list.contains(&expected), "{list}");
    let show = bw.ok(&["quarantine", "show", "1"]);
    assert!(show.contains("abc"), "the raw bytes are kept: {show}");
    // A second import holds the same record once.
    assert_eq!(import_counts(&bw.import(&["--format", "cucm"], &[file])), [2, 0, 1, 1]);
    assert!(bw.ok(&["quarantine", "list"]).ends_with("1 held\n"));
}

#[test]
fn retry_after_fixing_a_format_definition_stores_the_records() {
    let bw = Bw::new();
    let wrong = fixture("pipe_calls_wrong_date.toml");
    let data = fixture("pipe_calls.txt");
    let out = bw.import(&["--format", wrong.to_str().unwrap()], &[data]);
    assert_eq!(import_counts(&out), [2, 0, 0, 2]);
    let list = bw.ok(&["quarantine", "list"]);
    assert!(list.contains("field Start: not a time"), "{list}");
    let fixed = fixture("pipe_calls.toml");
    let retry = bw.ok(&["quarantine", "retry", "--format", fixed.to_str().unwrap()]);
    assert_eq!(retry.trim(), "2 stored, 0 duplicates, 0 still held");
    let calls = bw.calls("2025-04-18", "2025-04-18");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["start"], "2025-04-18T16:32:10Z");
    assert_eq!(calls[0]["end"], "2025-04-18T16:32:52Z");
    assert!(bw.ok(&["quarantine", "list"]).ends_with("0 held\n"));
}

#[test]
fn records_of_an_unknown_pbx_wait_in_quarantine_until_it_is_added() {
    let bw = Bw::new();
    let out = bw.import(&["--pbx", "cucm-pdx"], &[sample("cucm/cdr_example.txt")]);
    assert_eq!(import_counts(&out), [3, 0, 0, 3]);
    assert!(bw.ok(&["quarantine", "list"]).contains("unknown PBX \"cucm-pdx\""));
    bw.ok(&["load", &fixture_arg("directory.toml")]);
    assert_eq!(bw.ok(&["quarantine", "retry"]).trim(), "3 stored, 0 duplicates, 0 still held");
    let calls = bw.calls_where("2025-04-18", "2025-04-18", &["--extension", "5033466594"]);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["pbx"], "cucm-pdx");
    assert_eq!(calls[0]["department"], "Company\\Engineering\\Voice");
    assert_eq!(calls[0]["user"], "Barney Rubble");
}

#[test]
fn calls_are_attributed_and_filtered_by_department_subtree() {
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("directory.toml")]);
    // Loading twice changes nothing.
    bw.ok(&["load", &fixture_arg("directory.toml")]);
    bw.import(&["--pbx", "cucm-pdx"], &[sample("cucm/cdr_example.txt")]);
    let dept = bw.calls_where("2025-04-18", "2025-04-18", &["--department", "Company"]);
    assert_eq!(dept.len(), 1, "the subtree includes Company\\Engineering\\Voice");
    assert_eq!(dept[0]["extension"], "5033466594");
    assert_eq!(dept[0]["direction"], "internal");
    let none = bw.calls_where("2025-04-17", "2025-04-17", &["--department", "Company"]);
    assert!(none.is_empty());
    let err =
        bw.fails(&["cdrs", "--from", "2025-04-18", "--to", "2025-04-18", "--department", "Nope"]);
    assert!(err.contains("unknown department \"Nope\""));
}

#[test]
fn gzip_files_are_read_as_they_are() {
    use std::io::Write;
    let bw = Bw::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Master.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&std::fs::read(sample("asterisk/Master.csv")).unwrap()).unwrap();
    gz.finish().unwrap();
    assert_eq!(import_counts(&bw.import(&[], &[path])), [1, 1, 0, 0]);
    let calls = bw.calls("2010-04-02", "2010-04-02");
    assert_eq!(calls[0]["start"], "2010-04-02T00:26:32Z");
}

#[test]
fn unreadable_or_unrecognised_input_fails_with_a_clear_message() {
    let bw = Bw::new();
    let err = bw.fails(&["import", "/no/such/file"]);
    assert!(err.contains("/no/such/file"));

    let err = bw.fails(&["import", sample("README.md").to_str().unwrap()]);
    assert!(
        err.contains("cannot recognise the format (tried cucm, freeswitch-json, asterisk, freeswitch-csv, nec)"),
        "{err}"
    );
}

/// `correlate` on the ad hoc conference of Cisco's CDR examples (the
/// records of `crates/correlate/tests/scenarios/cucm/conference_adhoc_pstn.toml`).
#[test]
fn correlate_shows_one_conference_and_who_pays_for_each_leg() {
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("correlate/directory.toml")]);
    let records = fixture_arg("correlate/conference.csv");
    let calls = |rule: &[&str]| -> Vec<serde_json::Value> {
        let args = [&["correlate", "--pbx", "cucm-hq", "--json"], rule, &[records.as_str()]];
        bw.ok(&args.concat()).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let by_controller = calls(&[]);
    assert_eq!(by_controller.len(), 1, "{by_controller:?}");
    let call = &by_controller[0];
    assert_eq!(call["features"], serde_json::json!(["conference"]));
    let legs = call["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 6);
    assert!(legs.iter().all(|l| l["billed_to"] == "2001"), "{legs:?}");
    assert_eq!(legs.iter().filter(|l| l["counted"] == true).count(), 1);
    assert_eq!(legs[0]["record"], format!("{records}:3"));

    // Each party its own leg: 2309's leg to the bridge is 2309's.
    let by_party = calls(&["--conference", "party"]);
    let legs = by_party[0]["legs"].as_array().unwrap();
    let of_2309 = legs.iter().find(|l| l["calling"] == "2309").unwrap();
    assert_eq!(of_2309["billed_to"], "2309");

    let unknown = bw.fails(&["correlate", "--pbx", "nowhere", &records]);
    assert!(unknown.contains("no PBX \"nowhere\""), "{unknown}");
}

/// `correlate` reads what an import reads: a directory of files, gzip
/// compressed or not (a rotated CDR directory, the raw journal's files).
#[test]
fn correlate_reads_directories_and_compressed_files() {
    use std::io::Write;
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("correlate/directory.toml")]);
    let records = std::fs::read(fixture("correlate/conference.csv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&records).unwrap();
    std::fs::write(dir.path().join("conference.csv.gz"), gz.finish().unwrap()).unwrap();
    let out = bw.ok(&["correlate", "--pbx", "cucm-hq", "--json", dir.path().to_str().unwrap()]);
    let calls: Vec<serde_json::Value> =
        out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["features"], serde_json::json!(["conference"]));
    assert_eq!(calls[0]["legs"].as_array().unwrap().len(), 6);
}
