//! Cisco UCM CDR flat files with the full 133-column header of UCM 12+:
//! plain calls (one record each, [`write_cucm`]) or a mix with
//! consultation transfers, forwards and ad hoc conferences
//! ([`CucmMix`], [`write_cucm_features`]).

mod features;
mod mix;
mod render;

pub use mix::{CucmFeature, CucmMix, MixedCall};
pub(crate) use render::CucmRenderer;

use crate::{CallGenerator, Org};
use std::io::{self, Write};
use std::path::Path;

/// Writes `count` calls as one CUCM CDR file, one record each.
pub fn write_cucm(path: &Path, org: &Org, count: u64, seed: u64) -> io::Result<()> {
    let renderer = CucmRenderer::new(seed);
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

/// Writes at least `count` records of the feature mix ([`CucmMix`]: per
/// hundred calls, ten consultation transfers, five forwards, two ad hoc
/// conferences, the rest plain) as one CUCM CDR file. A call's records are
/// never split: writing stops after the call whose records reach `count`,
/// so the file holds `count` records, or up to five more (the rest of a
/// conference's six). The same org and seed give the same file.
pub fn write_cucm_features(path: &Path, org: &Org, count: u64, seed: u64) -> io::Result<()> {
    let mut mix = CucmMix::new(org, seed);
    let mut out = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(mix.header_lines().as_bytes())?;
    let mut rows = Vec::with_capacity(8 << 10);
    while mix.records() < count {
        rows.clear();
        mix.next_call(&mut rows);
        out.write_all(&rows)?;
    }
    out.flush()
}
