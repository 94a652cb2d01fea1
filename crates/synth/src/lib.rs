//! Realistic synthetic traffic for benchmarks, tests and demos: an
//! organisation (sites, departments, users, extensions) and calls between
//! its extensions and the outside world, written in vendor formats.

mod asterisk;
mod avaya;
mod calls;
mod cucm;
mod nec;
mod org;
mod stream;

pub use calls::{Call, CallGenerator, CallKind};
pub use cucm::{CucmFeature, CucmMix, MixedCall, write_cucm, write_cucm_features};
pub use org::Org;
pub use stream::{FeaturesUnsupported, RecordChunk, RecordFormat, RecordStream};
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
    let mut line = Vec::with_capacity(128);
    for _ in 0..count {
        line.clear();
        avaya::render_avaya(&calls.next_call(), &zone, &mut line);
        out.write_all(&line)?;
    }
    out.flush()
}
