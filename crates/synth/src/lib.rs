//! Realistic synthetic traffic for benchmarks, tests and demos: an
//! organisation (sites, departments, users, extensions) and calls between
//! its extensions and the outside world, written in vendor formats.

mod calls;
mod cucm;
mod org;

pub use calls::{Call, CallGenerator, CallKind};
pub use cucm::write_cucm;
pub use org::Org;
pub use tariffs::write_tariffs;
pub mod tariffs;

use std::io::{self, Write};
use std::path::Path;

/// The PBX zone the synthetic Avaya writes local times in.
pub const AVAYA_ZONE: &str = "Europe/Paris";

/// Writes `count` calls as Avaya CM lines in the 97-character customized
/// layout (`avaya:avaya-97`), local times in [`AVAYA_ZONE`].
pub fn write_avaya(path: &Path, org: &Org, count: u64, seed: u64) -> io::Result<()> {
    let zone = jiff::tz::TimeZone::get(AVAYA_ZONE).expect("bundled zone");
    let mut out = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut calls = CallGenerator::new(org, seed);
    for _ in 0..count {
        let c = calls.next_call();
        let end = c.end.to_zoned(zone.clone());
        let circuit = format!("{:03}", c.circuit);
        let (in_trk, in_crt, out_trk, out_crt, cond) = match c.kind {
            CallKind::Outgoing => ("", "", "0101", circuit.as_str(), '7'),
            CallKind::Incoming => ("0102", circuit.as_str(), "", "", '9'),
            CallKind::Internal => ("", "", "", "", '0'),
        };
        let cond = if c.answered {
            cond
        } else if c.kind == CallKind::Incoming {
            'H'
        } else {
            'I'
        };
        writeln!(
            out,
            "{:02}{:02}{:02} {:02}{:02} {:05} {:<15} {:<23} {:<13} {:<4}{:<3} {:<4} {:<4}{:<3} {} \r",
            end.month(),
            end.day(),
            end.year() % 100,
            end.hour(),
            end.minute(),
            c.duration_s,
            c.calling,
            c.dialled,
            "",
            in_trk,
            in_crt,
            "",
            out_trk,
            out_crt,
            cond
        )?;
    }
    out.flush()
}
