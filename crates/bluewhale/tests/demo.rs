//! `bluewhale serve --demo`: a newcomer's first run. Simulated PBXs of
//! four vendors at two sites send live calls; the server prices and
//! stores them, and a second run reuses the organisation it loaded.

mod common;

use common::Bw;
use common::server::{free_port, start_with};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Runs the demonstration until calls of every PBX are stored (a minute
/// at most); returns the stored calls.
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
        let pbxs: BTreeSet<String> = bw
            .calls(&from, &to)
            .iter()
            .map(|c| c["pbx"].as_str().unwrap_or_default().to_string())
            .collect();
        if pbxs.len() == 4 || Instant::now() > deadline {
            break;
        }
    }
    server.stop();
    bw.calls(&from, &to)
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
