//! Every scenario under `tests/scenarios/<vendor>/*.toml` (format in
//! `tests/scenarios/README.md`): the vendor's records, parsed by the real
//! parser, correlated in the written order, reversed, shuffled, across a
//! restart and with a late leg, must give the documented logical calls.

use cdr::{Parsed, ParserContext};
use correlate::{Config, Correlator, Leg, LogicalCall, Rules, Vendor, leg_of};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    source: String,
    description: String,
    format: String,
    extensions: Vec<String>,
    /// The PBX's time zone, for formats that write local times.
    #[serde(default)]
    time_zone: Option<String>,
    /// When the records were received (formats without years), RFC 3339.
    #[serde(default)]
    received: Option<String>,
    #[serde(default)]
    rules: Rules,
    records: String,
    #[serde(default)]
    call: Vec<ExpectedCall>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedCall {
    features: Vec<String>,
    legs: Vec<ExpectedLeg>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedLeg {
    record: u64,
    billed_to: String,
    #[serde(default)]
    counted: bool,
}

/// One call as compared: features, and (record, billed to, counted) per leg.
type Shape = (Vec<String>, Vec<(u64, String, bool)>);

/// The scenarios of `tests/scenarios/<vendor>/`.
fn scenario_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files = Vec::new();
    for vendor in std::fs::read_dir(&root).unwrap() {
        let vendor = vendor.unwrap().path();
        if !vendor.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&vendor).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "toml") {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

fn name(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    path.strip_prefix(&root).unwrap_or(path).display().to_string()
}

/// A scenario and its legs (ids 1, 2, … in record order), or what is wrong.
fn load(path: &Path) -> Result<(Scenario, Vec<Leg>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scenario: Scenario = toml::from_str(&text).map_err(|e| e.to_string())?;
    if scenario.source.trim().is_empty() || scenario.description.trim().is_empty() {
        return Err("source and description must say where it comes from and what it is".into());
    }
    let format = parsers::Format::by_name(&scenario.format)?;
    let mut context = ParserContext::default();
    if let Some(zone) = &scenario.time_zone {
        context.time_zone = jiff::tz::TimeZone::get(zone).map_err(|e| e.to_string())?;
    }
    if let Some(received) = &scenario.received {
        context.received = received.parse().map_err(|e| format!("received: {e}"))?;
    }
    let mut parser = format.parser(&context);
    let mut reader = parsers::RecordReader::new(scenario.records.as_bytes(), parser.framing());
    let extensions: BTreeSet<&str> = scenario.extensions.iter().map(String::as_str).collect();
    let is_extension = |n: &str| extensions.contains(n);
    let vendor = Vendor::of_format(&scenario.format);
    let mut legs = Vec::new();
    let mut raw = Vec::new();
    while let Some(line) = reader.next_record(&mut raw).map_err(|e| e.to_string())? {
        match parser.parse(&raw) {
            Ok(Parsed::Cdr(mut cdr)) => {
                cdr.pbx = "pbx".into();
                let id = legs.len() as u64 + 1;
                legs.push(leg_of(&cdr, vendor, id, &is_extension));
            }
            Ok(Parsed::Quality(_) | Parsed::NotARecord) => {}
            Err(e) => return Err(format!("records line {line}: {e}")),
        }
        reader.set_framing(parser.framing());
    }
    Ok((scenario, legs))
}

fn expected(scenario: &Scenario) -> Vec<Shape> {
    let mut calls: Vec<Shape> = scenario
        .call
        .iter()
        .map(|call| {
            let mut features = call.features.clone();
            features.sort();
            let mut legs: Vec<(u64, String, bool)> =
                call.legs.iter().map(|l| (l.record, l.billed_to.clone(), l.counted)).collect();
            legs.sort();
            (features, legs)
        })
        .collect();
    calls.sort();
    calls
}

fn shape(call: &LogicalCall) -> Shape {
    let mut features: Vec<String> = call.features.iter().map(|f| f.as_str().to_string()).collect();
    features.sort();
    let mut legs: Vec<(u64, String, bool)> = call
        .legs
        .iter()
        .map(|l| (l.leg, l.billed_to.as_deref().unwrap_or_default().to_string(), l.counted))
        .collect();
    legs.sort();
    (features, legs)
}

/// The calls the correlator holds for `legs`, as compared.
fn calls_of(correlator: &Correlator, legs: &[Leg]) -> Vec<Shape> {
    let mut by_id: BTreeMap<u64, LogicalCall> = BTreeMap::new();
    for leg in legs {
        let call =
            correlator.call_of(leg.id).unwrap_or_else(|| panic!("record {} is in no call", leg.id));
        by_id.insert(call.id, call);
    }
    let mut calls: Vec<Shape> = by_id.values().map(shape).collect();
    calls.sort();
    calls
}

fn correlate(scenario: &Scenario, legs: &[Leg], order: &[usize]) -> Vec<Shape> {
    let mut correlator = Correlator::new(scenario.rules, Config::default());
    for &i in order {
        let added = correlator.add(legs[i].clone());
        assert_ne!(added, correlate::Added::Repeated, "a new leg is not a repeated one");
    }
    calls_of(&correlator, legs)
}

/// A shuffled order of `n`, the same for the same seed.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    for i in (1..n).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let j = (state >> 33) as usize % (i + 1);
        order.swap(i, j);
    }
    order
}

/// Runs `check` on every scenario; fails naming every file that failed.
fn for_every_scenario(check: impl Fn(&Scenario, &[Leg]) -> Result<(), String>) {
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenario files");
    let mut failures = Vec::new();
    for file in &files {
        let outcome = load(file).and_then(|(scenario, legs)| check(&scenario, &legs));
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", name(file)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

fn compare(what: &str, got: Vec<Shape>, scenario: &Scenario) -> Result<(), String> {
    let want = expected(scenario);
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}:\n  expected {want:?}\n  got      {got:?}"))
    }
}

#[test]
fn every_scenario_is_well_formed() {
    for_every_scenario(well_formed);
}

fn well_formed(scenario: &Scenario, legs: &[Leg]) -> Result<(), String> {
    const FEATURES: [&str; 12] = [
        "transfer",
        "forward",
        "divert",
        "conference",
        "barge",
        "cbarge",
        "park",
        "pickup",
        "recording",
        "monitoring",
        "tandem",
        "attendant",
    ];
    if legs.is_empty() {
        return Err("no call records".into());
    }
    let mut seen = BTreeSet::new();
    for call in &scenario.call {
        for feature in &call.features {
            if !FEATURES.contains(&feature.as_str()) {
                return Err(format!("unknown feature {feature:?}"));
            }
        }
        if call.legs.iter().filter(|l| l.counted).count() > 1 {
            return Err(format!("more than one counted leg in {:?}", call.legs));
        }
        for leg in &call.legs {
            if leg.record == 0 || leg.record > legs.len() as u64 {
                return Err(format!("record {} of {} records", leg.record, legs.len()));
            }
            if !seen.insert(leg.record) {
                return Err(format!("record {} is in two calls", leg.record));
            }
        }
    }
    if seen.len() != legs.len() {
        let missing: Vec<u64> = (1..=legs.len() as u64).filter(|r| !seen.contains(r)).collect();
        return Err(format!("records in no [[call]]: {missing:?}"));
    }
    Ok(())
}

#[test]
fn every_scenario_correlates_as_documented() {
    for_every_scenario(|scenario, legs| {
        let order: Vec<usize> = (0..legs.len()).collect();
        compare("in the written order", correlate(scenario, legs, &order), scenario)
    });
}

#[test]
fn the_order_the_legs_come_in_changes_nothing() {
    for_every_scenario(|scenario, legs| {
        let reversed: Vec<usize> = (0..legs.len()).rev().collect();
        compare("reversed", correlate(scenario, legs, &reversed), scenario)?;
        for seed in 1..=5 {
            let order = shuffled(legs.len(), seed);
            compare(&format!("shuffled {order:?}"), correlate(scenario, legs, &order), scenario)?;
        }
        Ok(())
    });
}

#[test]
fn a_restart_half_way_changes_nothing() {
    for_every_scenario(|scenario, legs| {
        let half = legs.len() / 2;
        let mut correlator = Correlator::new(scenario.rules, Config::default());
        for leg in &legs[..half] {
            correlator.add(leg.clone());
        }
        let saved = serde_json::to_string(&correlator.snapshot()).map_err(|e| e.to_string())?;
        drop(correlator);
        let snapshot = serde_json::from_str(&saved).map_err(|e| e.to_string())?;
        let mut correlator = Correlator::restore(scenario.rules, Config::default(), snapshot);
        for leg in &legs[half..] {
            correlator.add(leg.clone());
        }
        compare("across a restart", calls_of(&correlator, legs), scenario)
    });
}

#[test]
fn a_late_leg_reopens_its_call_and_a_repeated_one_changes_nothing() {
    for_every_scenario(|scenario, legs| {
        let Some(last) = legs.iter().max_by_key(|l| (l.start, l.id)) else { return Ok(()) };
        // Ordinary calls are remembered past the hour, so every record is
        // still in a call to compare at the end.
        let config =
            Config { plain_window: jiff::SignedDuration::from_hours(2), ..Config::default() };
        let mut correlator = Correlator::new(scenario.rules, config);
        for leg in legs.iter().filter(|l| l.id != last.id) {
            correlator.add(leg.clone());
        }
        // An hour later: every call that can be is complete.
        let end = legs.iter().map(|l| l.end).max().unwrap();
        correlator.advance(end + jiff::SignedDuration::from_hours(1));
        match correlator.add(last.clone()) {
            correlate::Added::Call(reopened) if reopened.complete => {
                return Err("a call a late leg joined is not complete yet".into());
            }
            correlate::Added::Repeated => return Err("the late leg was taken for a repeat".into()),
            correlate::Added::Call(_) | correlate::Added::Alone => {}
        }
        // Given again: nothing to record (an ordinary leg set aside is not
        // told from a new one, and alone it has nothing to record either).
        if let correlate::Added::Call(call) = correlator.add(last.clone()) {
            return Err(format!("the same leg again changed its call: {call:?}"));
        }
        compare("with the last leg late", calls_of(&correlator, legs), scenario)
    });
}
