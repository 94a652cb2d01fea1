//! `bluewhale tariff`: the tariff book kept in the store — import (a
//! tariff TOML or a CGRateS tariff plan), export, list, and pricing one
//! made-up call to see what a tariff does.

use anyhow::{Context as _, Result, bail};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use rating::{Carrier, CgratesOptions, HolidayCalendar, Priced, TariffBook};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use store::Store;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Import a tariff file into the stored book: its carriers replace
    /// stored carriers of the same name, other carriers stay.
    Import(ImportArgs),
    /// Write the stored book as files (`tariffs.toml` and prefix CSVs).
    Export(ExportArgs),
    /// List the stored carriers and their tariff versions.
    List(ListArgs),
    /// Price one call with the stored book and show how.
    Price(PriceArgs),
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A tariff TOML file, or a folder holding `tariffs.toml`; with
    /// `--cgrates`, a CGRateS tariff-plan folder.
    path: PathBuf,
    /// With a one-carrier file, the name to store it under; with several,
    /// the one carrier to import.
    #[arg(long)]
    carrier: Option<String>,
    /// PATH is a CGRateS tariff plan (Destinations.csv, Rates.csv,
    /// DestinationRates.csv, Timings.csv, RatingPlans.csv,
    /// RatingProfiles.csv); needs --currency.
    #[arg(long)]
    cgrates: bool,
    /// CGRateS: the rating profile to import (`Subject`,
    /// `Tenant:Subject` or `Tenant:Category:Subject`); default the first.
    #[arg(long, requires = "cgrates")]
    subject: Option<String>,
    /// CGRateS: IANA zone the plan's timings are in.
    #[arg(long, requires = "cgrates", default_value = "UTC")]
    time_zone: String,
    /// CGRateS: ISO 4217 code of the plan's amounts (plans do not say).
    #[arg(long, requires = "cgrates")]
    currency: Option<String>,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Folder to write into (created if needed).
    #[arg(short, long, default_value = "./tariffs-export")]
    output: PathBuf,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// One JSON object per carrier instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct PriceArgs {
    /// Carrier whose stored tariff prices the call.
    #[arg(long)]
    carrier: String,
    /// The dialled number in international form: digits, a leading `+`
    /// allowed (`+33155512345`).
    #[arg(long)]
    to: String,
    /// When talk starts: RFC 3339 with offset (`2025-04-18T10:00:00+02:00`)
    /// or a local `YYYY-MM-DDTHH:MM:SS`, read in the time zone of the
    /// carrier's tariff version in force then (in a repeated hour the
    /// earlier instant, in a skipped hour the later one).
    #[arg(long)]
    at: String,
    /// Talk time in seconds.
    #[arg(long)]
    duration: u32,
    /// Price with this site's holiday calendar (as calls of the site are).
    #[arg(long)]
    site: Option<String>,
    /// Print a JSON object (exact decimal strings) instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(data_dir: &Path, command: Command) -> Result<ExitCode> {
    match command {
        Command::Import(args) => import(data_dir, args),
        Command::Export(args) => export(data_dir, args),
        Command::List(args) => list(data_dir, args),
        Command::Price(args) => price(data_dir, args),
    }
}

/// The tariff TOML a path names: the file itself, or `tariffs.toml` in a
/// folder.
pub(crate) fn tariff_file(path: &Path) -> PathBuf {
    if path.is_dir() { path.join(charging::tariffs::BOOK_FILE) } else { path.to_path_buf() }
}

/// Loads a tariff TOML (or a folder holding one).
pub(crate) fn load_tariff_file(path: &Path) -> Result<TariffBook> {
    let file = tariff_file(path);
    if !file.is_file() {
        bail!("{}: no such tariff file", file.display());
    }
    Ok(TariffBook::load(&file)?)
}

fn import(data_dir: &Path, args: ImportArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let book = if args.cgrates {
        let Some(currency) = args.currency.as_deref() else {
            bail!(
                "--cgrates needs --currency: CGRateS tariff plans do not say which currency \
                 their amounts are in"
            );
        };
        let options = CgratesOptions {
            subject: args.subject.as_deref(),
            time_zone: &args.time_zone,
            currency,
        };
        rating::import_cgrates_with(&args.path, &options)?
    } else {
        load_tariff_file(&args.path)?
    };
    let mut store = Store::open(data_dir)?;
    let summary = charging::tariffs::import(&mut store, &book, args.carrier.as_deref())?;
    let carriers: Vec<String> = summary
        .carriers
        .iter()
        .map(|name| {
            let how = if summary.replaced.contains(name) { "replaced" } else { "new" };
            format!("{name} ({how})")
        })
        .collect();
    println!(
        "imported {} carrier(s): {}; the book now has {} carrier(s) and {} prefix(es) ({:.2} s)",
        carriers.len(),
        carriers.join(", "),
        summary.total_carriers,
        summary.prefixes,
        started.elapsed().as_secs_f64()
    );
    if store.cdr_count()? > 0 {
        println!("stored calls keep their prices until `bluewhale rerate`");
    }
    Ok(ExitCode::SUCCESS)
}

fn export(data_dir: &Path, args: ExportArgs) -> Result<ExitCode> {
    let store = Store::open(data_dir)?;
    let path = charging::tariffs::export(&store, &args.output)
        .with_context(|| format!("exporting to {}", args.output.display()))?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `2025-01-01T00:00:00+01:00`, in `zone`.
fn local_time(at: Timestamp, zone: &str) -> String {
    let zone = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    at.to_zoned(zone).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn list(data_dir: &Path, args: ListArgs) -> Result<ExitCode> {
    let store = Store::open(data_dir)?;
    let book = charging::tariffs::load_book(&store)?;
    if args.json {
        for carrier in book.carriers() {
            let versions: Vec<Value> = carrier
                .versions()
                .iter()
                .map(|v| {
                    json!({
                        "id": v.id(),
                        "valid_from": local_time(v.valid_from(), v.time_zone()),
                        "currency": v.currency().as_str(),
                        "time_zone": v.time_zone(),
                        "prefixes": v.prefix_count(),
                    })
                })
                .collect();
            println!("{}", json!({ "carrier": carrier.name(), "versions": versions }));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows = vec![
        ["carrier", "version", "valid_from", "currency", "zone", "prefixes"].map(String::from),
    ];
    let mut versions = 0;
    for carrier in book.carriers() {
        for v in carrier.versions() {
            versions += 1;
            rows.push([
                carrier.name().to_string(),
                v.id().to_string(),
                local_time(v.valid_from(), v.time_zone()),
                v.currency().to_string(),
                v.time_zone().to_string(),
                v.prefix_count().to_string(),
            ]);
        }
    }
    print!("{}", table(&rows));
    println!("{} carrier(s), {versions} version(s)", book.carriers().len());
    Ok(ExitCode::SUCCESS)
}

/// Left-aligned columns, two spaces apart.
pub(crate) fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> =
            row.iter().zip(widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    out
}

fn price(data_dir: &Path, args: PriceArgs) -> Result<ExitCode> {
    let store = Store::open(data_dir)?;
    let book = charging::tariffs::load_book(&store)?;
    let carrier_id = book.carrier_id(&args.carrier).with_context(|| {
        let known: Vec<&str> = book.carriers().iter().map(Carrier::name).collect();
        format!(
            "no carrier {:?} in the stored tariffs (carriers: {})",
            args.carrier,
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        )
    })?;
    let number = args.to.strip_prefix('+').unwrap_or(&args.to);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--to: not a number (digits, a leading + allowed): {:?}", args.to);
    }
    let carrier = book.carrier(carrier_id).context("carrier id out of range")?;
    let start = call_start(&args.at, carrier)?;
    let holidays = match &args.site {
        Some(site) => site_holidays(&store, &book, site)?,
        None => None,
    };
    let call = rating::Call {
        carrier: carrier_id,
        number,
        start,
        duration_s: args.duration,
        site_holidays: holidays,
    };
    let priced = book.price(&call)?;
    if args.json {
        let mut object = priced_json(&priced);
        object["number"] = json!(number);
        object["start"] = json!(start.to_string());
        object["duration_s"] = json!(args.duration);
        println!("{object}");
    } else {
        println!("cost {} {}", priced.cost, priced.currency);
        println!("destination {} (prefix {})", priced.destination, priced.prefix);
        println!("billed {} s, {} unit(s)", priced.billed_seconds, priced.units);
        for line in priced.explanation() {
            println!("  {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A priced call as JSON: amounts as exact decimal strings.
pub(crate) fn priced_json(priced: &Priced<'_>) -> Value {
    let bands: Vec<Value> = priced
        .bands
        .iter()
        .map(|b| {
            json!({
                "band": b.band,
                "seconds": b.seconds,
                "units": b.units,
                "cost": b.cost.to_string(),
            })
        })
        .collect();
    json!({
        "carrier": priced.carrier,
        "version": priced.version_id,
        "prefix": priced.prefix.to_string(),
        "destination": priced.destination,
        "cost": priced.cost.to_string(),
        "currency": priced.currency.as_str(),
        "billed_s": priced.billed_seconds,
        "units": priced.units,
        "bands": bands,
        "explanation": priced.explanation(),
    })
}

/// The instant `--at` names: RFC 3339, or a civil time read in the zone
/// of the carrier's version in force at it (newest version first; before
/// every version, the oldest one's zone, and pricing says no version is
/// valid).
fn call_start(text: &str, carrier: &Carrier) -> Result<Timestamp> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let civil: DateTime = text.parse().with_context(|| {
        format!("--at: not an RFC 3339 time or a local YYYY-MM-DDTHH:MM:SS: {text:?}")
    })?;
    let mut instant = None;
    for version in carrier.versions().iter().rev() {
        let zone = TimeZone::get(version.time_zone())?;
        let at = civil.to_zoned(zone)?.timestamp();
        instant = Some(at);
        if version.valid_from() <= at {
            break;
        }
    }
    instant.with_context(|| format!("carrier {:?} has no tariff version", carrier.name()))
}

/// The holiday calendar of the site named `site`, as calls of the site
/// are priced with (none when it names none, or one the book lacks).
fn site_holidays<'b>(
    store: &Store,
    book: &'b TariffBook,
    site: &str,
) -> Result<Option<&'b HolidayCalendar>> {
    let directory = store.directory()?;
    let found = directory.sites.iter().find(|s| s.name == site);
    let Some(found) = found else {
        let known: Vec<&str> = directory.sites.iter().map(|s| s.name.as_str()).collect();
        bail!("unknown site {site:?} (sites: {})", known.join(", "));
    };
    if found.holidays.is_empty() {
        return Ok(None);
    }
    let calendar = book.calendars().iter().find(|c| c.name() == found.holidays);
    if calendar.is_none() {
        eprintln!(
            "warning: site {site:?} names holiday calendar {:?}, which the tariffs do not declare",
            found.holidays
        );
    }
    Ok(calendar)
}
