//! Cisco UCM CDR flat files with the full 133-column header of UCM 12+.

use crate::{Call, CallGenerator, CallKind, Org};
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

/// Where each column the synthetic calls fill sits in the header.
struct Columns {
    record_type: usize,
    cm_id: usize,
    call_id: usize,
    orig_leg: usize,
    orig_time: usize,
    orig_ip: usize,
    calling: usize,
    orig_cause: usize,
    dest_leg: usize,
    dest_ip: usize,
    original_called: usize,
    final_called: usize,
    dest_cause: usize,
    connect: usize,
    disconnect: usize,
    pkid: usize,
    duration: usize,
    orig_dev: usize,
    dest_dev: usize,
    cluster: usize,
}

/// Renders calls as CUCM CDR rows under the sample's header. The sample is
/// compiled in, so its columns are known to be there.
pub(crate) struct CucmRenderer {
    columns: Columns,
    header: &'static str,
    types: &'static str,
    quoted: Vec<bool>,
    defaults: Vec<&'static str>,
    values: Vec<String>,
    seed: u64,
}

impl CucmRenderer {
    pub(crate) fn new(seed: u64) -> Self {
        let (names, kinds, header, types) = header_and_types();
        let c = |name: &str| names.iter().position(|n| *n == name).expect("known column");
        let columns = Columns {
            record_type: c("cdrRecordType"),
            cm_id: c("globalCallID_callManagerId"),
            call_id: c("globalCallID_callId"),
            orig_leg: c("origLegCallIdentifier"),
            orig_time: c("dateTimeOrigination"),
            orig_ip: c("origIpAddr"),
            calling: c("callingPartyNumber"),
            orig_cause: c("origCause_value"),
            dest_leg: c("destLegIdentifier"),
            dest_ip: c("destIpAddr"),
            original_called: c("originalCalledPartyNumber"),
            final_called: c("finalCalledPartyNumber"),
            dest_cause: c("destCause_value"),
            connect: c("dateTimeConnect"),
            disconnect: c("dateTimeDisconnect"),
            pkid: c("pkid"),
            duration: c("duration"),
            orig_dev: c("origDeviceName"),
            dest_dev: c("destDeviceName"),
            cluster: c("globalCallId_ClusterID"),
        };
        let quoted: Vec<bool> = kinds.iter().map(|k| !k.starts_with("INTEGER")).collect();
        let defaults: Vec<&str> = quoted.iter().map(|q| if *q { "" } else { "0" }).collect();
        let values = defaults.iter().map(|d| d.to_string()).collect();
        CucmRenderer { columns, header, types, quoted, defaults, values, seed }
    }

    /// The header and type lines that open every CUCM CDR file.
    pub(crate) fn header_lines(&self) -> String {
        format!("{}\n{}\n", self.header, self.types)
    }

    /// Appends call number `i` of the stream as one row (with its `\n`).
    pub(crate) fn render(&mut self, i: u64, call: &Call, out: &mut Vec<u8>) {
        self.fill(i, call);
        for (n, (v, q)) in self.values.iter().zip(&self.quoted).enumerate() {
            if n > 0 {
                out.push(b',');
            }
            if *q {
                out.push(b'"');
                out.extend_from_slice(v.as_bytes());
                out.push(b'"');
            } else {
                out.extend_from_slice(v.as_bytes());
            }
        }
        out.push(b'\n');
    }

    fn fill(&mut self, i: u64, call: &Call) {
        for (v, d) in self.values.iter_mut().zip(&self.defaults) {
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
        let c = &self.columns;
        let values = &mut self.values;
        values[c.record_type] = "1".into();
        values[c.cm_id] = "1".into();
        values[c.call_id] = (1_000_000 + i).to_string();
        values[c.orig_leg] = leg.to_string();
        values[c.dest_leg] = (leg + 1).to_string();
        values[c.orig_time] = call.start.as_second().to_string();
        values[c.orig_ip] = le_ip(10, 1, (i % 250) as u8, 10).to_string();
        values[c.dest_ip] = le_ip(10, 2, 0, 1).to_string();
        values[c.calling] = call.calling.clone();
        values[c.original_called] = call.dialled.clone();
        values[c.final_called] = call.dialled.clone();
        values[c.orig_cause] = "16".into();
        values[c.dest_cause] = if call.answered { "0".into() } else { "17".into() };
        let connect_s =
            if call.answered { call.start.as_second() + i64::from(call.ring_s) } else { 0 };
        values[c.connect] = connect_s.to_string();
        values[c.disconnect] = call.end.as_second().to_string();
        values[c.duration] = call.duration_s.to_string();
        values[c.orig_dev] = od;
        values[c.dest_dev] = dd;
        values[c.cluster] = "StandAloneCluster".into();
        values[c.pkid] = format!("{:08x}-0000-4000-8000-{:012x}", self.seed as u32, i);
    }
}

/// Writes `count` calls as one CUCM CDR file.
pub fn write_cucm(path: &Path, org: &Org, count: u64, seed: u64) -> io::Result<()> {
    let mut renderer = CucmRenderer::new(seed);
    let mut out = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(renderer.header_lines().as_bytes())?;
    let mut calls = CallGenerator::new(org, seed);
    let mut row = Vec::with_capacity(1024);
    for i in 0..count {
        row.clear();
        renderer.render(i, &calls.next_call(), &mut row);
        out.write_all(&row)?;
    }
    out.flush()
}
