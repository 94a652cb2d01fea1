//! `bluewhale rerate`: attribute and price a stored period again with
//! today's directory and tariffs. Day by day, each day in one transaction
//! (its calls, its `cdr_owner` rows and the month rollups' difference), so
//! it is idempotent and an interruption leaves whole days done or not.

use crate::period::local_days;
use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ingest::Context;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use store::{CallRecord, CdrRow, Recharge, Store};

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
    let store = Store::open(data_dir)?;
    let context = Context::load(&store).map_err(anyhow::Error::msg)?;
    let days = local_days(&args.from, &args.to)?;
    let carrier = match &args.carrier {
        Some(name) => {
            let names = store.carrier_names()?;
            let id = names.iter().find(|(_, n)| *n == name).map(|(id, _)| *id);
            Some(id.with_context(|| format!("no carrier {name:?} is known"))?)
        }
        None => None,
    };
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(days.clone().count() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} days, {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut calls, mut changed) = (0u64, 0u64);
    for day in days.clone() {
        let (from_s, to_s) = (context.calendar.day_start(day), context.calendar.day_start(day + 1));
        let month = charging::month_of_day(day);
        let rewrite = store.rewrite_day(day, month, from_s, to_s)?;
        let states = recharge_all(&context, &rewrite.rows, carrier)?;
        let outcome = rewrite.commit(&states)?;
        calls += outcome.calls;
        changed += outcome.changed;
        bar.inc(1);
        bar.set_message(format!("{calls} calls, {changed} changed"));
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "re-rated {calls} calls over {} days: {changed} changed, in {seconds:.2} s ({:.0} calls/s)",
        days.count(),
        calls as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// The new state of every row, computed on all cores (pricing is pure).
fn recharge_all(
    context: &Context,
    rows: &[CdrRow],
    carrier: Option<i64>,
) -> Result<Vec<(Option<Recharge>, u32)>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let chunk = rows.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<_>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|r| recharge(context, r, carrier)).collect())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a re-rating thread failed"))))
            .collect()
    });
    let mut states = Vec::with_capacity(rows.len());
    for part in results {
        states.extend(part?);
    }
    Ok(states)
}

/// One row's new state; None (kept as stored) when the call is not the
/// carrier's or its PBX left the directory.
fn recharge(
    context: &Context,
    row: &CdrRow,
    carrier: Option<i64>,
) -> Result<(Option<Recharge>, u32)> {
    let record: CallRecord = row.decode().map_err(anyhow::Error::msg)?;
    let new = context.recharge(&record);
    if let (Some(carrier), Some(new_state)) = (carrier, &new) {
        let old_carrier = record.charge.as_ref().map_or(0, |c| c.carrier_id);
        if old_carrier != carrier && new_state.charge.carrier_id != carrier {
            return Ok((None, record.duration_s));
        }
    }
    Ok((new, record.duration_s))
}
