//! A tariff book for the synthetic organisation: the carrier its calls
//! go out by and the PSTN reference, both for France, with peak and
//! off-peak bands, so that generated calls are priced like real ones.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The carrier the synthetic site sends its calls by.
pub const CARRIER: &str = "Orange Business";
/// The synthetic site's reference (PSTN) carrier.
pub const REFERENCE: &str = "PSTN";
/// A second carrier, for organisations whose sites use different ones.
pub const SECOND_CARRIER: &str = "SFR Business";

/// (name, prefixes, price per minute at peak and off-peak for the carrier,
/// then for the reference, then for [`SECOND_CARRIER`]).
const DESTINATIONS: [(&str, &[&str], [&str; 6]); 8] = [
    ("France fixed", &["33"], ["0.020", "0.010", "0.030", "0.015", "0.018", "0.012"]),
    ("Paris", &["331"], ["0.015", "0.008", "0.020", "0.010", "0.016", "0.009"]),
    ("France mobile", &["336", "337"], ["0.090", "0.060", "0.120", "0.080", "0.080", "0.065"]),
    ("United Kingdom", &["44"], ["0.050", "0.040", "0.070", "0.050", "0.055", "0.035"]),
    ("Germany", &["49"], ["0.050", "0.040", "0.070", "0.050", "0.045", "0.040"]),
    ("United States", &["1"], ["0.030", "0.030", "0.040", "0.040", "0.025", "0.025"]),
    ("China", &["86"], ["0.120", "0.100", "0.160", "0.130", "0.110", "0.095"]),
    ("Rest of world", &["34", "39", "81"], ["0.200", "0.150", "0.260", "0.200", "0.190", "0.160"]),
];

/// Writes `tariffs.toml` into `dir`: peak billed per minute, off-peak per
/// 30 s with a connect fee; the reference charges more than the carrier.
pub fn write_tariffs(dir: &Path) -> io::Result<PathBuf> {
    write_carriers(dir, &[(0, CARRIER), (2, REFERENCE)])
}

/// Like [`write_tariffs`], with [`SECOND_CARRIER`] as well.
pub fn write_tariffs_with_second_carrier(dir: &Path) -> io::Result<PathBuf> {
    write_carriers(dir, &[(0, CARRIER), (2, REFERENCE), (4, SECOND_CARRIER)])
}

/// Writes the carriers given by their price columns in [`DESTINATIONS`].
fn write_carriers(dir: &Path, carriers: &[(usize, &str)]) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("tariffs.toml");
    let mut t = io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(t, "format = 1\n")?;
    for &(column, carrier) in carriers {
        writeln!(
            t,
            "[[carrier]]\nname = \"{carrier}\"\n\n[[carrier.version]]\nid = \"2025\"\n\
             valid_from = 2020-01-01\ncurrency = \"EUR\"\ntime_zone = \"Europe/Paris\"\n\
             crossing = \"split\"\nrounding = {{ at = \"per_call\", mode = \"half_up\", decimals = 4 }}\n\
             default_band = \"offpeak\"\n\n[[carrier.version.band]]\nname = \"peak\"\n\
             when = [{{ days = \"mon-fri\", from = \"08:00\", to = \"19:00\" }}]\n\n\
             [[carrier.version.band]]\nname = \"offpeak\"\n"
        )?;
        for (name, prefixes, prices) in DESTINATIONS {
            let quoted: Vec<String> = prefixes.iter().map(|p| format!("\"{p}\"")).collect();
            let (peak, offpeak) = (prices[column], prices[column + 1]);
            writeln!(
                t,
                "[[carrier.version.destination]]\nname = \"{name}\"\nprefixes = [{}]\n\
                 rates.peak = {{ steps = [{{ from_seconds = 0, increment_seconds = 60, price = \"{peak}\", per_seconds = 60 }}] }}\n\
                 rates.offpeak = {{ connect_fee = \"0.01\", steps = [{{ from_seconds = 0, increment_seconds = 30, price = \"{offpeak}\", per_seconds = 60 }}] }}\n",
                quoted.join(", "),
            )?;
        }
    }
    t.flush()?;
    Ok(path)
}
