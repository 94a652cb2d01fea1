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
use store::{CallRecord, CdrRow, RowChange, Store};

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
        let mut rewrite = store.rewrite_day(day, month, from_s, to_s)?;
        let changes = day_changes(&context, &mut rewrite, carrier)?;
        let outcome = rewrite.commit(&changes)?;
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

/// Rows per piece of work handed to a pricing thread.
const CHUNK: usize = 4096;

/// Reads the day's calls and works out their changes on the other cores
/// while the next rows are read (pricing is pure); changes come back in
/// row order.
fn day_changes(
    context: &Context,
    rewrite: &mut store::DayRewrite<'_>,
    carrier: Option<i64>,
) -> Result<Vec<RowChange>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let (to_workers, jobs) = crossbeam_channel::bounded::<(usize, Vec<CdrRow>)>(threads * 2);
    let (to_main, done) = crossbeam_channel::unbounded::<(usize, Result<Vec<RowChange>>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (jobs, to_main) = (jobs.clone(), to_main.clone());
            scope.spawn(move || {
                for (n, rows) in jobs {
                    let changes = rows.iter().map(|r| recharge(context, r, carrier)).collect();
                    if to_main.send((n, changes)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((jobs, to_main));
        let mut pieces = 0;
        let read = rewrite.read_rows(CHUNK, |rows| {
            // Workers only stop when this channel closes.
            let _ = to_workers.send((pieces, rows));
            pieces += 1;
        });
        drop(to_workers);
        let mut results: Vec<(usize, Result<Vec<RowChange>>)> = done.iter().collect();
        read?;
        results.sort_by_key(|(n, _)| *n);
        if results.len() != pieces {
            anyhow::bail!("a re-rating thread failed");
        }
        let mut changes = Vec::new();
        for (_, part) in results {
            changes.extend(part?);
        }
        Ok(changes)
    })
}

/// One row's change; none (kept as stored) when the call is not the
/// carrier's or its PBX left the directory.
fn recharge(context: &Context, row: &CdrRow, carrier: Option<i64>) -> Result<RowChange> {
    let record: CallRecord = row.decode_for_rating().map_err(anyhow::Error::msg)?;
    let mut new = context.recharge(&record);
    if let (Some(carrier), Some(new_state)) = (carrier, &new) {
        let old_carrier = record.charge.as_ref().map_or(0, |c| c.carrier_id);
        if old_carrier != carrier && new_state.charge.carrier_id != carrier {
            new = None;
        }
    }
    Ok(RowChange::new(row, record.charge.as_ref(), record.duration_s, new.as_ref()))
}
