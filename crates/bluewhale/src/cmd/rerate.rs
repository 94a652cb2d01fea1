//! `bluewhale rerate`: attribute and price a stored period again with
//! today's directory and tariffs (see `ingest::rerate`).

use crate::period::local_days;
use anyhow::{Context as _, Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use ingest::{Context, Select};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// First day (YYYY-MM-DD, in the reporting time zone).
    #[arg(long)]
    from: String,
    /// Last day, included.
    #[arg(long)]
    to: String,
    /// Only calls that this carrier carried before or carries now.
    #[arg(long)]
    carrier: Option<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let mut store = Store::open(data_dir)?;
    let context = Context::load(&store).map_err(anyhow::Error::msg)?;
    let asked = local_days(&args.from, &args.to)?;
    let select = match &args.carrier {
        Some(name) => {
            let names = store.carrier_names()?;
            let id = names.iter().find(|(_, n)| *n == name).map(|(id, _)| *id);
            Select::Carrier(id.with_context(|| format!("no carrier {name:?} is known"))?)
        }
        None => Select::All,
    };
    let days = ingest::days_to_rerate(&context, asked.clone(), select);
    if days != asked {
        eprintln!(
            "volume tiers or free-minute bundles make each call's price depend on its month's \
             earlier calls: re-rating whole months, {} to {}",
            charging::date_of_day(*days.start()),
            charging::date_of_day(*days.end())
        );
    }
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(days.clone().count() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} days, {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let outcome = ingest::rerate(&mut store, &context, days, select, &mut |_, calls, changed| {
        bar.inc(1);
        bar.set_message(format!("{calls} calls, {changed} changed"));
    })
    .map_err(|e| anyhow!(e))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "re-rated {} calls over {} days: {} changed, in {seconds:.2} s ({:.0} calls/s)",
        outcome.calls,
        outcome.days.count(),
        outcome.changed,
        outcome.calls as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
