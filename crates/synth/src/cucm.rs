//! Cisco UCM CDR flat files with the full 133-column header of UCM 12+.

use crate::{CallGenerator, CallKind, Org};
use std::io::{self, Write};
use std::path::Path;

const SAMPLE: &str = include_str!("../../../samples/cucm/cdr_example.txt");

/// The sample's header and type lines: the column set of a current release.
fn header_and_types() -> (Vec<&'static str>, Vec<&'static str>, &'static str, &'static str) {
    let mut lines = SAMPLE.lines();
    let header = lines.next().expect("sample header");
    let types = lines.next().expect("sample type line");
    let names = header.split(',').map(|n| n.trim_matches('"')).collect();
    let kinds = types.split(',').collect();
    (names, kinds, header, types)
}

fn le_ip(a: u8, b: u8, c: u8, d: u8) -> i32 {
    i32::from_le_bytes([a, b, c, d])
}

/// Writes `count` calls as one CUCM CDR file.
pub fn write_cucm(path: &Path, org: &Org, count: u64, seed: u64) -> io::Result<()> {
    let (names, kinds, header, types) = header_and_types();
    let col = |name: &str| names.iter().position(|n| *n == name).expect("known column");
    let c = |name| col(name);
    let (record_type, cm_id, call_id, orig_leg, orig_time, orig_ip, calling, orig_cause) = (
        c("cdrRecordType"),
        c("globalCallID_callManagerId"),
        c("globalCallID_callId"),
        c("origLegCallIdentifier"),
        c("dateTimeOrigination"),
        c("origIpAddr"),
        c("callingPartyNumber"),
        c("origCause_value"),
    );
    let (dest_leg, dest_ip, original_called, final_called, dest_cause, connect, disconnect) = (
        c("destLegIdentifier"),
        c("destIpAddr"),
        c("originalCalledPartyNumber"),
        c("finalCalledPartyNumber"),
        c("destCause_value"),
        c("dateTimeConnect"),
        c("dateTimeDisconnect"),
    );
    let (pkid, duration, orig_dev, dest_dev, cluster) = (
        c("pkid"),
        c("duration"),
        c("origDeviceName"),
        c("destDeviceName"),
        c("globalCallId_ClusterID"),
    );
    let quoted: Vec<bool> = kinds.iter().map(|k| !k.starts_with("INTEGER")).collect();
    let defaults: Vec<&str> = quoted.iter().map(|q| if *q { "" } else { "0" }).collect();

    let mut out = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "{header}")?;
    writeln!(out, "{types}")?;
    let mut calls = CallGenerator::new(org, seed);
    let mut values: Vec<String> = defaults.iter().map(|d| d.to_string()).collect();
    for i in 0..count {
        let call = calls.next_call();
        for (v, d) in values.iter_mut().zip(&defaults) {
            v.clear();
            v.push_str(d);
        }
        let leg = 40_000_000 + 2 * i;
        let (od, dd) = match call.kind {
            CallKind::Outgoing => {
                (format!("SEP{:012X}", call.extension_index), "SIPTrunk-PSTN".to_string())
            }
            CallKind::Incoming => {
                ("SIPTrunk-PSTN".to_string(), format!("SEP{:012X}", call.extension_index))
            }
            CallKind::Internal => {
                (format!("SEP{:012X}", call.extension_index), format!("SEP{:012X}", i % 100_000))
            }
        };
        let set = |values: &mut Vec<String>, idx: usize, v: String| values[idx] = v;
        set(&mut values, record_type, "1".into());
        set(&mut values, cm_id, "1".into());
        set(&mut values, call_id, (1_000_000 + i).to_string());
        set(&mut values, orig_leg, leg.to_string());
        set(&mut values, dest_leg, (leg + 1).to_string());
        set(&mut values, orig_time, call.start.as_second().to_string());
        set(&mut values, orig_ip, le_ip(10, 1, (i % 250) as u8, 10).to_string());
        set(&mut values, dest_ip, le_ip(10, 2, 0, 1).to_string());
        set(&mut values, calling, call.calling.clone());
        set(&mut values, original_called, call.dialled.clone());
        set(&mut values, final_called, call.dialled.clone());
        set(&mut values, orig_cause, "16".into());
        set(&mut values, dest_cause, if call.answered { "0".into() } else { "17".into() });
        let connect_s =
            if call.answered { call.start.as_second() + i64::from(call.ring_s) } else { 0 };
        set(&mut values, connect, connect_s.to_string());
        set(&mut values, disconnect, call.end.as_second().to_string());
        set(&mut values, duration, call.duration_s.to_string());
        set(&mut values, orig_dev, od);
        set(&mut values, dest_dev, dd);
        set(&mut values, cluster, "StandAloneCluster".into());
        set(&mut values, pkid, format!("{:08x}-0000-4000-8000-{:012x}", seed as u32, i));
        for (n, (v, q)) in values.iter().zip(&quoted).enumerate() {
            if n > 0 {
                out.write_all(b",")?;
            }
            if *q {
                write!(out, "\"{v}\"")?;
            } else {
                out.write_all(v.as_bytes())?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()
}
