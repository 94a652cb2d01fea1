//! `TariffBook` → TOML (+ CSV), in the format `load` reads, so that
//! export → load → export gives the same text.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use toml::Spanned;

use super::format::{
    BandFile, BookFile, BundleFile, CalendarFile, CarrierFile, DestinationFile, DiscountsFile,
    FORMAT_VERSION, Money, RateFile, StepFile, VersionFile, VolumeTierFile, WhenFile,
};
use crate::bands::format_time;
use crate::model::{Rate, TariffBook, TariffVersion};

/// Versions with more prefixes than this get their own CSV on export.
pub const INLINE_PREFIX_LIMIT: usize = 64;

/// Name of the TOML file [`TariffBook::export`] writes.
const BOOK_FILE: &str = "tariffs.toml";

impl TariffBook {
    /// The whole book as one TOML document, every prefix inline.
    pub fn to_toml_string(&self) -> String {
        let file = self.to_file(|_, _| None);
        // Every field of the file model is serialisable TOML.
        toml::to_string(&file).expect("a tariff book always serialises to TOML")
    }

    /// Writes `tariffs.toml` into `folder`, and `prefixes/<n>.csv` for each
    /// version with more than [`INLINE_PREFIX_LIMIT`] prefixes. Returns the
    /// TOML file's path, which [`TariffBook::load`] reads back.
    pub fn export(&self, folder: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(folder)?;
        let mut csv_files = Vec::new();
        let file = self.to_file(|carrier_index, version_index| {
            let relative = format!("prefixes/c{carrier_index}-v{version_index}.csv");
            csv_files.push((carrier_index, version_index, relative.clone()));
            Some(relative)
        });
        for (carrier_index, version_index, relative) in csv_files {
            let version = &self.carriers[carrier_index].versions[version_index];
            let path = folder.join(&relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_prefix_csv(version, &path)?;
        }
        let path = folder.join(BOOK_FILE);
        let text = toml::to_string(&file).map_err(std::io::Error::other)?;
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// `csv_for(carrier, version)` names a CSV for a long prefix list, or
    /// None to keep prefixes inline.
    fn to_file(&self, mut csv_for: impl FnMut(usize, usize) -> Option<String>) -> BookFile {
        let calendars = self
            .calendars
            .iter()
            .map(|c| CalendarFile {
                name: spanned(c.name().to_string()),
                dates: c.dates().iter().map(ToString::to_string).collect(),
            })
            .collect();
        let carriers = self
            .carriers
            .iter()
            .enumerate()
            .map(|(carrier_index, carrier)| CarrierFile {
                name: spanned(carrier.name.to_string()),
                versions: carrier
                    .versions
                    .iter()
                    .enumerate()
                    .map(|(version_index, version)| {
                        let csv = if version.prefixes.len() > INLINE_PREFIX_LIMIT {
                            csv_for(carrier_index, version_index)
                        } else {
                            None
                        };
                        version_file(version, csv)
                    })
                    .collect(),
            })
            .collect();
        BookFile { format: FORMAT_VERSION, calendars, carriers }
    }
}

fn version_file(version: &TariffVersion, prefixes_csv: Option<String>) -> VersionFile {
    let mut inline: Vec<Vec<String>> = vec![Vec::new(); version.destinations.len()];
    if prefixes_csv.is_none() {
        for (prefix, destination) in version.prefixes.iter() {
            if let Some(list) = inline.get_mut(destination as usize) {
                list.push(prefix.to_string());
            }
        }
    }
    let valid_from = version
        .valid_from
        .to_zoned(version.zone.time_zone().clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    let discounts = (!version.discounts.is_empty()).then(|| DiscountsFile {
        percent: (!version.discounts.percent.is_zero()).then_some(Money(version.discounts.percent)),
        volume_tiers: version
            .discounts
            .volume_tiers
            .iter()
            .map(|t| VolumeTierFile { from_minutes: t.from_minutes, percent: Money(t.percent) })
            .collect(),
    });
    VersionFile {
        id: spanned(version.id.to_string()),
        valid_from: valid_from.parse().expect("an RFC 3339 datetime is a TOML datetime"),
        currency: version.currency.to_string(),
        time_zone: version.time_zone().to_string(),
        crossing: version.crossing,
        rounding: version.rounding,
        default_band: version.default_band.as_deref().map(str::to_string),
        holiday_band: version.holiday_band.as_deref().map(str::to_string),
        holidays: version.holiday_calendars.iter().map(|n| n.to_string()).collect(),
        discounts,
        bundles: version
            .bundles
            .iter()
            .map(|b| BundleFile {
                name: b.name.to_string(),
                minutes: b.minutes,
                destinations: b.destinations.iter().map(ToString::to_string).collect(),
                scope: b.scope,
            })
            .collect(),
        prefixes_csv,
        bands: version
            .bands
            .iter()
            .map(|band| BandFile {
                name: spanned(band.name.to_string()),
                when: band
                    .ranges
                    .iter()
                    .map(|r| WhenFile {
                        days: r.days.to_string(),
                        from: format_time(r.from),
                        to: format_time(r.to),
                    })
                    .collect(),
            })
            .collect(),
        destinations: version
            .destinations
            .iter()
            .zip(inline)
            .map(|(destination, prefixes)| DestinationFile {
                name: spanned(destination.name.to_string()),
                prefixes,
                rates: destination
                    .declared_rates
                    .iter()
                    .map(|(key, rate)| (key.to_string(), rate_file(rate)))
                    .collect::<BTreeMap<_, _>>(),
            })
            .collect(),
    }
}

fn rate_file(rate: &Rate) -> RateFile {
    let optional = |value: Decimal| (!value.is_zero()).then_some(Money(value));
    let stepped = rate.is_stepped();
    RateFile {
        connect_fee: optional(rate.connect_fee),
        first_seconds: (!stepped).then_some(rate.first_seconds),
        first_price: (!stepped).then_some(Money(rate.first_price)),
        increment_seconds: (!stepped).then_some(rate.increment_seconds),
        increment_price: (!stepped).then_some(Money(rate.increment_price)),
        minimum: optional(rate.minimum),
        free_seconds: (rate.free_seconds > 0).then_some(rate.free_seconds),
        maximum: rate.maximum.map(Money),
        steps: rate
            .steps
            .iter()
            .map(|s| StepFile {
                from_seconds: s.from_seconds,
                increment_seconds: s.increment_seconds,
                price: Money(s.price),
                per_seconds: s.per_seconds,
            })
            .collect(),
    }
}

fn write_prefix_csv(version: &TariffVersion, path: &Path) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut writer = csv::Writer::from_writer(&mut out);
    writer.write_record(["prefix", "destination"])?;
    for (prefix, destination) in version.prefixes() {
        writer.write_record([prefix.to_string().as_str(), destination.name()])?;
    }
    writer.flush()?;
    drop(writer);
    out.flush()
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}
