//! `bluewhale serve --demo`: a newcomer's first run. Simulated PBXs of
//! four vendors at two sites send live calls (three stream them over TCP,
//! the Cisco UCM writes CDR files into a watched directory); the server
//! prices and stores them, and a second run reuses the organisation it
//! loaded.

mod common;

use common::Bw;
use common::server::{free_port, start_with};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Runs the demonstration until calls of every PBX are stored and one of
/// the CUCM's is priced (a minute at most); returns the stored calls.
fn run_demo(bw: &Bw) -> Vec<serde_json::Value> {
    let config = bw.data.path().join("http.toml");
    std::fs::write(&config, format!("[server]\nhttp = \"127.0.0.1:{}\"\n", free_port())).unwrap();
    let server = start_with(bw, &["serve", "--demo", "--config", &common::arg(&config)]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let today = jiff::Zoned::now().date();
    let (from, to) =
        (today.yesterday().unwrap().to_string(), today.tomorrow().unwrap().to_string());
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let calls = bw.calls(&from, &to);
        let pbxs: BTreeSet<&str> = calls.iter().filter_map(|c| c["pbx"].as_str()).collect();
        if (pbxs.len() == 4 && calls.iter().any(rated_cucm)) || Instant::now() > deadline {
            break;
        }
    }
    server.stop();
    bw.calls(&from, &to)
}

/// A call of the demonstration's Cisco UCM, priced.
fn rated_cucm(call: &serde_json::Value) -> bool {
    call["pbx"] == "paris-cucm" && call["charge"]["status"] == "rated"
}

#[test]
fn the_demo_streams_priced_calls_from_four_vendors_and_reuses_its_organisation() {
    let bw = Bw::new();
    let calls = run_demo(&bw);
    let pbxs: BTreeSet<&str> = calls.iter().filter_map(|c| c["pbx"].as_str()).collect();
    assert_eq!(
        pbxs,
        BTreeSet::from(["lyon-asterisk", "lyon-nec", "paris-avaya", "paris-cucm"]),
        "{calls:#?}"
    );
    // The CUCM's calls came as files dropped in the data directory, taken
    // and moved to done/, and are priced on the Paris carrier.
    let done = bw.data.path().join("demo-drop/paris-cucm/done");
    let files: Vec<String> = std::fs::read_dir(&done)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("cdr_StandAloneCluster_01_"))
        .collect();
    assert!(!files.is_empty(), "no CUCM file in {}", done.display());
    let cucm = calls.iter().filter(|c| rated_cucm(c));
    assert!(cucm.clone().count() > 0, "no CUCM call was priced: {calls:#?}");
    assert!(cucm.clone().all(|c| c["charge"]["carrier"] == "Orange Business"), "{calls:#?}");
    // Calls of an extension are attributed to its department (tandem
    // calls, trunk to trunk, have none) and priced on the site's carrier.
    let of_extensions = calls.iter().filter(|c| c["extension"].is_string());
    assert!(of_extensions.clone().count() > 0);
    assert!(of_extensions.clone().all(|c| c["department"].is_string()), "{calls:#?}");
    let carriers: BTreeSet<&str> = calls
        .iter()
        .filter(|c| c["charge"]["status"] == "rated")
        .filter_map(|c| c["charge"]["carrier"].as_str())
        .collect();
    assert!(!carriers.is_empty(), "no call was priced: {calls:#?}");
    assert!(
        carriers.iter().all(|c| ["Orange Business", "SFR Business"].contains(c)),
        "{carriers:?}"
    );
    // A second run finds the organisation loaded and adds calls.
    let again = run_demo(&bw);
    assert!(again.len() > calls.len());
    // A store of another organisation is refused, not mixed with it.
    let other = Bw::new();
    other.ok(&["load", &common::fixture_arg("serve/directory.toml")]);
    let refused = other.fails(&["serve", "--demo"]);
    assert!(refused.contains("another organisation"), "{refused}");
}
