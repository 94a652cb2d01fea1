//! The CUCM feature mix end to end: its records, read by the `cucm` parser
//! and joined by the correlator, make the calls that were generated; each
//! feature call has the records of the Cisco example it follows, as the
//! correlation scenarios (`crates/correlate/tests/scenarios/cucm/`) encode
//! them.

use cdr::{Cdr, Parsed, ParserContext};
use correlate::{Config, Correlator, Feature, Leg, LogicalCall, Rules, Vendor, leg_of};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use synth::{CucmFeature, CucmMix, MixedCall, Org, RecordFormat, RecordStream};

/// Parses a CUCM file's bytes as `bluewhale import --format cucm` does.
fn parse_cucm(bytes: &[u8]) -> Vec<Cdr> {
    let format = parsers::Format::by_name("cucm").unwrap();
    let mut parser = format.parser(&ParserContext::default());
    let mut reader = parsers::RecordReader::new(bytes, parser.framing());
    let mut raw = Vec::new();
    let mut cdrs = Vec::new();
    while let Some(line) = reader.next_record(&mut raw).unwrap() {
        match parser.parse(&raw) {
            Ok(Parsed::Cdr(mut cdr)) => {
                cdr.pbx = "cucm".into();
                cdrs.push(*cdr);
            }
            Ok(Parsed::Quality(_) | Parsed::NotARecord) => {}
            Err(e) => panic!("line {line}: {e}: {}", String::from_utf8_lossy(&raw)),
        }
        reader.set_framing(parser.framing());
    }
    cdrs
}

/// `count` calls of the mix, and their records parsed, in order.
fn generate(org: &Org, seed: u64, count: usize) -> (Vec<MixedCall>, Vec<Cdr>) {
    let mut mix = CucmMix::new(org, seed);
    let mut bytes = mix.header_lines().into_bytes();
    let calls: Vec<MixedCall> = (0..count).map(|_| mix.next_call(&mut bytes)).collect();
    let cdrs = parse_cucm(&bytes);
    assert_eq!(cdrs.len(), calls.iter().map(|c| c.records).sum::<usize>());
    (calls, cdrs)
}

/// Legs as correlation reads them, ids 1, 2, … in record order.
fn legs_of(org: &Org, cdrs: &[Cdr]) -> Vec<Leg> {
    let extensions: HashSet<&str> = org.extensions.iter().map(String::as_str).collect();
    let is_extension = |n: &str| extensions.contains(n);
    cdrs.iter()
        .enumerate()
        .map(|(k, cdr)| leg_of(cdr, Vendor::Cucm, k as u64 + 1, &is_extension))
        .collect()
}

/// The feature correlation must recognise in a call of the mix.
fn recognised(feature: Option<CucmFeature>) -> Vec<Feature> {
    match feature {
        None => vec![],
        Some(CucmFeature::ConsultationTransfer) => vec![Feature::Transfer],
        Some(CucmFeature::Forward) => vec![Feature::Forward],
        Some(CucmFeature::AdHocConference) => vec![Feature::Conference],
    }
}

/// The generated calls with the ids of their legs.
fn with_leg_ids(calls: &[MixedCall]) -> Vec<(&MixedCall, Vec<u64>)> {
    let mut first = 1;
    calls
        .iter()
        .map(|call| {
            let ids = (first..first + call.records as u64).collect();
            first += call.records as u64;
            (call, ids)
        })
        .collect()
}

fn leg_ids(call: &LogicalCall) -> Vec<u64> {
    let mut ids: Vec<u64> = call.legs.iter().map(|l| l.leg).collect();
    ids.sort_unstable();
    ids
}

/// A leg with a party outside the organisation (a carrier leg).
fn is_outside(leg: &Leg) -> bool {
    let outside = |p: &correlate::Party| {
        !p.inside && !p.number.is_empty() && !correlate::leg::is_bridge(&p.number)
    };
    outside(&leg.calling) || outside(&leg.called)
}

#[test]
fn the_mix_correlates_into_the_calls_generated() {
    let org = Org::new(2_000);
    let (calls, cdrs) = generate(&org, 11, 2_000);
    let legs = legs_of(&org, &cdrs);
    let mut correlator = Correlator::new(Rules::default(), Config::default());
    for leg in &legs {
        correlator.add(leg.clone());
    }
    let mut logical_ids = HashSet::new();
    let mut by_feature: BTreeMap<Feature, usize> = BTreeMap::new();
    let mut outside_legs: BTreeMap<Option<CucmFeature>, usize> = BTreeMap::new();
    for (call, ids) in with_leg_ids(&calls) {
        let logical = correlator.call_of(ids[0]).expect("every leg is in a call");
        let context = format!("{call:?}: {logical:?}");
        // The call's records and no other's.
        assert_eq!(leg_ids(&logical), ids, "{context}");
        assert!(logical_ids.insert(logical.id), "{context}");
        assert_eq!(logical.legs.iter().filter(|l| l.counted).count(), 1, "{context}");
        let mut features = logical.features.clone();
        features.retain(|f| *f != Feature::Tandem);
        assert_eq!(features, recognised(call.feature), "{context}");
        for feature in &logical.features {
            *by_feature.entry(*feature).or_default() += 1;
        }
        for outcome in &logical.legs {
            let leg = &legs[outcome.leg as usize - 1];
            if is_outside(leg) {
                *outside_legs.entry(call.feature).or_default() += 1;
            }
            // Default rules: every leg of a feature call goes to the
            // transferor, the forwarding party or the controller.
            if let Some(by) = &call.by {
                assert_eq!(outcome.billed_to.as_deref(), Some(by.as_str()), "{context}");
            }
        }
    }
    assert_eq!(logical_ids.len(), 2_000);
    // 2,000 calls: twenty hundreds of 10 transfers, 5 forwards, 2 conferences.
    assert_eq!(by_feature.get(&Feature::Transfer), Some(&200));
    assert_eq!(by_feature.get(&Feature::Forward), Some(&100));
    assert_eq!(by_feature.get(&Feature::Conference), Some(&40));
    // Each feature has carrier legs to pay for.
    for feature in CucmFeature::ALL {
        assert!(outside_legs.get(&Some(feature)).is_some_and(|n| *n > 20), "{outside_legs:?}");
    }
}

#[test]
fn feature_calls_complete_once_as_their_records_stream_in() {
    let org = Org::new(500);
    let (calls, cdrs) = generate(&org, 12, 1_000);
    let legs = legs_of(&org, &cdrs);
    let mut correlator = Correlator::new(Rules::default(), Config::default());
    let mut completed: Vec<LogicalCall> = Vec::new();
    let mut clock = legs[0].end;
    for leg in legs {
        clock = clock.max(leg.end);
        correlator.add(leg);
        completed.extend(correlator.advance(clock).completed);
    }
    let later = clock.checked_add(jiff::SignedDuration::from_hours(72)).unwrap();
    completed.extend(correlator.advance(later).completed);
    assert_eq!(correlator.legs_held(), 0, "every call was forgotten in the end");

    let told: HashMap<Vec<u64>, &LogicalCall> = completed.iter().map(|c| (leg_ids(c), c)).collect();
    assert_eq!(told.len(), completed.len(), "a call told complete twice");
    let mut features = 0;
    for (call, ids) in with_leg_ids(&calls) {
        if call.feature.is_none() {
            continue;
        }
        features += 1;
        let logical = told.get(&ids).unwrap_or_else(|| panic!("{call:?} was not told complete"));
        let by = call.by.as_deref();
        assert!(logical.legs.iter().all(|l| l.billed_to.as_deref() == by), "{logical:?}");
    }
    // Plain calls are alone: nothing to tell.
    assert_eq!(completed.len(), features);
    assert_eq!(features, 170);
}

/// One record of a call as compared with a Cisco example: which of the
/// call's ids, parties and times it shows where (each numbered by first
/// appearance in the call), and its codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RecordShape {
    call_id: usize,
    /// origLegCallIdentifier, destLegIdentifier, origConversationId,
    /// destConversationId (one kind of id).
    legs: [Option<usize>; 4],
    /// calling, original called, final called, last redirecting.
    parties: [Option<usize>; 4],
    bridge: bool,
    /// ConfControllerDn of the comment.
    controller: Option<usize>,
    /// dateTimeOrigination, dateTimeConnect, dateTimeDisconnect.
    times: [usize; 3],
    causes: (String, String),
    /// orig/dest termination, original called / last redirect, join.
    on_behalf_of: [u32; 5],
    reasons: (u32, u32),
}

/// Numbers things in order of first appearance.
struct Numbering<T>(HashMap<T, usize>);

impl<T: std::hash::Hash + Eq> Numbering<T> {
    fn of(&mut self, value: T) -> usize {
        let next = self.0.len();
        *self.0.entry(value).or_insert(next)
    }
}

fn code(cdr: &Cdr, column: &str) -> u32 {
    cdr.extra(column).map_or(0, |v| v.trim().parse().unwrap())
}

/// The shape of one call's records. `loose`: the details a mix draws
/// beyond any one example are let go (which forward reason, 1, 2 or 15;
/// which side hung up normally).
fn shape(cdrs: &[Cdr], loose: bool) -> Vec<RecordShape> {
    let mut calls = Numbering(HashMap::new());
    let mut ids = Numbering(HashMap::new());
    let mut parties = Numbering(HashMap::new());
    let mut instants: Vec<i64> = cdrs
        .iter()
        .flat_map(|c| [Some(c.start), c.answer, Some(c.end)])
        .flatten()
        .map(|t| t.as_second())
        .collect();
    instants.sort_unstable();
    instants.dedup();
    let rank = |t: Option<cdr::Timestamp>| {
        t.map_or(usize::MAX, |t| instants.binary_search(&t.as_second()).unwrap())
    };
    cdrs.iter()
        .map(|cdr| {
            let ids_of = &cdr.correlation;
            let legs = [
                &ids_of.orig_leg_id,
                &ids_of.dest_leg_id,
                &ids_of.orig_conversation_id,
                &ids_of.dest_conversation_id,
            ]
            .map(|id| (!id.is_empty()).then(|| ids.of(id.to_string())));
            let parties_of =
                [&cdr.calling, &cdr.original_called, &cdr.final_called, &cdr.last_redirecting]
                    .map(|n| (!n.is_empty()).then(|| parties.of(n.to_string())));
            let controller = cdr
                .extra("comment")
                .and_then(|c| c.strip_prefix("ConfControllerDn="))
                .map(|c| parties.of(c.split(';').next().unwrap().to_string()));
            let forward_reason = |r: u32| if loose && [1, 2, 15].contains(&r) { 1 } else { r };
            let mut causes = (cdr.cause_orig.to_string(), cdr.cause_dest.to_string());
            let normal = ["16", "0"];
            if loose && normal.contains(&causes.0.as_str()) && normal.contains(&causes.1.as_str()) {
                causes = ("16|0".into(), "16|0".into());
            }
            RecordShape {
                call_id: calls.of(cdr.correlation.global_call_id.to_string()),
                legs,
                parties: parties_of,
                bridge: cdr.final_called.starts_with("b00"),
                controller,
                times: [rank(Some(cdr.start)), rank(cdr.answer), rank(Some(cdr.end))],
                causes,
                on_behalf_of: [
                    code(cdr, "origCallTerminationOnBehalfOf"),
                    code(cdr, "destCallTerminationOnBehalfOf"),
                    code(cdr, "origCalledPartyRedirectOnBehalfOf"),
                    code(cdr, "lastRedirectRedirectOnBehalfOf"),
                    code(cdr, "joinOnBehalfOf"),
                ],
                reasons: (
                    forward_reason(code(cdr, "origCalledPartyRedirectReason")),
                    forward_reason(code(cdr, "lastRedirectRedirectReason")),
                ),
            }
        })
        .collect()
}

/// The Cisco examples the mix follows, as the correlation scenarios encode
/// them, and the feature whose calls follow each.
const EXAMPLES: [(&str, CucmFeature); 7] = [
    ("transfer_consult_outgoing_pstn.toml", CucmFeature::ConsultationTransfer),
    ("forward_cfa_incoming.toml", CucmFeature::Forward),
    ("forward_cfna_cfb.toml", CucmFeature::Forward),
    ("forward_cfa_cfna_voicemail.toml", CucmFeature::Forward),
    ("forward_incoming_to_pstn.toml", CucmFeature::Forward),
    ("forward_to_pstn_internal_caller.toml", CucmFeature::Forward),
    ("conference_adhoc_pstn.toml", CucmFeature::AdHocConference),
];

/// The records of a correlation scenario, parsed.
fn scenario_records(file: &str) -> Vec<Cdr> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../correlate/tests/scenarios/cucm").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let scenario: toml::Table = toml::from_str(&text).unwrap();
    let records = scenario["records"].as_str().expect("records");
    parse_cucm(records.as_bytes())
}

#[test]
fn feature_calls_have_the_records_of_the_cisco_examples() {
    // Enough calls for the rarest example (an incoming call forwarded on
    // no answer, then on busy, to another extension) to come up.
    let org = Org::new(1_000);
    let mut mix = CucmMix::new(&org, 5);
    let mut bytes = mix.header_lines().into_bytes();
    let mut features = Vec::new();
    let mut scratch = Vec::new();
    for _ in 0..200_000 {
        scratch.clear();
        let call = mix.next_call(&mut scratch);
        if let Some(feature) = call.feature {
            bytes.extend_from_slice(&scratch);
            features.push((feature, call.records));
        }
    }
    let cdrs = parse_cucm(&bytes);
    let mut exact: HashMap<CucmFeature, HashSet<Vec<RecordShape>>> = HashMap::new();
    let mut loose: HashMap<CucmFeature, HashSet<Vec<RecordShape>>> = HashMap::new();
    let mut at = 0;
    for (feature, records) in features {
        let call = &cdrs[at..at + records];
        exact.entry(feature).or_default().insert(shape(call, false));
        loose.entry(feature).or_default().insert(shape(call, true));
        at += records;
    }

    // Each example comes out exactly, ids, parties, times and codes.
    let mut allowed: HashMap<CucmFeature, HashSet<Vec<RecordShape>>> = HashMap::new();
    for (file, feature) in EXAMPLES {
        let example = scenario_records(file);
        assert!(exact[&feature].contains(&shape(&example, false)), "{file}: no call like it");
        allowed.entry(feature).or_default().insert(shape(&example, true));
    }
    // And every feature call is one of its examples, but for the forward
    // reason and which side hung up.
    for (feature, shapes) in &loose {
        for shape in shapes {
            assert!(allowed[feature].contains(shape), "{feature:?}: no example like {shape:#?}");
        }
    }
}

#[test]
fn every_hundred_calls_hold_the_mix() {
    let org = Org::new(300);
    let mut mix = CucmMix::new(&org, 21);
    let mut bytes = Vec::new();
    for hundred in 0..10 {
        let mut counts: BTreeMap<Option<CucmFeature>, usize> = BTreeMap::new();
        for _ in 0..100 {
            let call = mix.next_call(&mut bytes);
            let records = call.feature.map_or(1, CucmFeature::records);
            assert_eq!(call.records, records, "{call:?}");
            assert_eq!(call.by.is_some(), call.feature.is_some(), "{call:?}");
            *counts.entry(call.feature).or_default() += 1;
        }
        let expected = BTreeMap::from([
            (None, 83),
            (Some(CucmFeature::ConsultationTransfer), 10),
            (Some(CucmFeature::Forward), 5),
            (Some(CucmFeature::AdHocConference), 2),
        ]);
        assert_eq!(counts, expected, "hundred {hundred}");
    }
}

#[test]
fn ids_are_unique_per_call_and_parties_known() {
    let org = Org::new(400);
    let (calls, cdrs) = generate(&org, 3, 3_000);
    let mut owner: HashMap<String, usize> = HashMap::new();
    let mut pkids = HashSet::new();
    let mut at = 0;
    for (n, call) in calls.iter().enumerate() {
        for cdr in &cdrs[at..at + call.records] {
            let ids = &cdr.correlation;
            let call_ids = [&ids.global_call_id];
            let leg_ids = [
                &ids.orig_leg_id,
                &ids.dest_leg_id,
                &ids.orig_conversation_id,
                &ids.dest_conversation_id,
            ];
            for id in call_ids.into_iter().chain(leg_ids).filter(|id| !id.is_empty()) {
                let first = *owner.entry(id.to_string()).or_insert(n);
                assert_eq!(first, n, "id {id} of call {first} again in call {n}: {call:?}");
            }
            assert!(pkids.insert(cdr.identity), "a record identity repeated: {cdr:?}");
            // Times as CUCM writes them: connect within the leg, duration
            // from connect to disconnect.
            match cdr.answer {
                Some(answer) => {
                    assert!(cdr.start <= answer && answer <= cdr.end, "{cdr:?}");
                    let talk = cdr.end.duration_since(answer).as_secs();
                    assert_eq!(i64::from(cdr.duration_s), talk, "{cdr:?}");
                }
                None => assert!(call.feature.is_none() && cdr.duration_s == 0, "{cdr:?}"),
            }
            // Extensions of the org (six digits), outside numbers (nine
            // digits or more) and conference bridges.
            for number in [&cdr.calling, &cdr.original_called, &cdr.final_called] {
                let known = org.extensions.iter().any(|e| e == number.as_str());
                let outside = number.len() >= 9 && number.bytes().all(|b| b.is_ascii_digit());
                assert!(known || outside || number.starts_with("b00"), "{number}: {cdr:?}");
            }
            if let Some(by) = &call.by {
                assert!(org.extensions.contains(by), "{by}");
            }
        }
        at += call.records;
    }
}

#[test]
fn a_cucm_stream_with_features_is_the_file_the_writer_writes() {
    let org = Org::new(500);
    let dir = std::env::temp_dir().join(format!("synth-features-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cdr");
    synth::write_cucm_features(&path, &org, 1_000, 9).unwrap();
    let file = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // Whole calls: at least the count, at most a conference's five more.
    let records = file.iter().filter(|b| **b == b'\n').count() - 2;
    assert!((1_000..=1_005).contains(&records), "{records}");

    let mut stream = RecordStream::new(&org, RecordFormat::Cucm, 9).with_features().unwrap();
    assert!(stream.has_features());
    let mut bytes = stream.file_header();
    bytes.extend_from_slice(&stream.next_chunk(records - 7).bytes);
    for _ in 0..7 {
        stream.next_record(&mut bytes);
    }
    assert_eq!(String::from_utf8(bytes).unwrap(), String::from_utf8(file).unwrap());
    // The file ends on a whole call; the stream had nothing of it left.
    assert!(!stream.mid_call());
    assert_eq!(stream.position(), records as u64);
}

#[test]
fn a_stream_says_when_it_is_inside_a_call() {
    let org = Org::new(100);
    let mut stream = RecordStream::new(&org, RecordFormat::Cucm, 2).with_features().unwrap();
    let mut mix = CucmMix::new(&org, 2);
    let mut out = Vec::new();
    for _ in 0..300 {
        let call = mix.next_call(&mut Vec::new());
        for k in 0..call.records {
            stream.next_record(&mut out);
            assert_eq!(stream.mid_call(), k + 1 < call.records, "{call:?}");
        }
    }
}

#[test]
fn only_cucm_has_the_feature_mix() {
    let org = Org::new(100);
    for format in [RecordFormat::Avaya, RecordFormat::Asterisk, RecordFormat::Nec] {
        let refused = RecordStream::new(&org, format, 1).with_features().err().unwrap();
        assert_eq!(refused.0, format);
        let message = refused.to_string();
        assert!(message.contains(format.name()) && message.contains("Cisco UCM"), "{message}");
    }
    let plain = RecordStream::new(&org, RecordFormat::Cucm, 1);
    assert!(!plain.has_features() && !plain.mid_call());
}

#[test]
fn the_same_seed_gives_the_same_mix() {
    let org = Org::new(200);
    let render = |seed| {
        let mut mix = CucmMix::new(&org, seed);
        let mut bytes = Vec::new();
        for _ in 0..500 {
            mix.next_call(&mut bytes);
        }
        bytes
    };
    assert_eq!(render(4), render(4));
    assert_ne!(render(4), render(5));
}

#[test]
fn a_small_organisation_gets_plain_calls() {
    let org = Org::new(3);
    let mut mix = CucmMix::new(&org, 1);
    for _ in 0..200 {
        let call = mix.next_call(&mut Vec::new());
        assert_eq!((call.feature, call.records), (None, 1));
    }
}
