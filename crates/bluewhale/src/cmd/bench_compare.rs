//! `bench import --compare-correlation PAIRS` and `bench serve
//! --compare-correlation PAIRS`: what correlation costs an import or the
//! server, measured the only way a shared machine lets it be. The same
//! work (for an import, the same generated records) is run with
//! correlation on and off, alternated (in pairs whose order alternates
//! too), each run in a process and store of its own so that no run
//! inherits another's memory; the medians of each side are compared.

use super::bench::{Setup, generate};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

/// One run's figures, as its `--json` line gives them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run {
    cdr_per_s: f64,
    cpu_seconds: f64,
    peak_rss_mib: f64,
}

/// The figures a child benchmark gives in its `--json` line, by name.
pub(super) struct Figures {
    pub cdr_per_s: &'static str,
    pub cpu_seconds: &'static str,
    pub peak_rss_mib: &'static str,
}

/// `bench import --compare-correlation`: the records generated once in
/// the work directory, imported by each run.
pub(super) fn run(
    setup: &Setup,
    work_dir: Option<PathBuf>,
    pairs: usize,
    json: bool,
) -> Result<ExitCode> {
    at_least_one(pairs)?;
    let (work, _temp) = super::bench::work_directory(work_dir)?;
    if !json {
        eprintln!("generating {} records once in {}", setup.count, work.display());
    }
    generate(setup, &work)?;
    let figures = Figures {
        cdr_per_s: "cdr_per_s",
        cpu_seconds: "cpu_seconds",
        peak_rss_mib: "peak_rss_mib",
    };
    alternate(pairs, json, |correlate| {
        let child = Setup { correlate, generated: true, ..*setup };
        let mut args: Vec<OsString> =
            ["bench", "import", "--json", "--work-dir"].map(OsString::from).into();
        args.push(work.clone().into());
        args.extend(child.args().into_iter().map(OsString::from));
        let run = run_child(&args, &figures);
        let removed = std::fs::remove_dir_all(work.join("data"));
        let run = run?;
        removed.context("removing the import's store")?;
        Ok(run)
    })
}

/// Refuses a comparison of no pairs (`alternate` does; an import asks
/// before it generates the records).
fn at_least_one(pairs: usize) -> Result<()> {
    if pairs == 0 {
        bail!("--compare-correlation needs at least one pair");
    }
    Ok(())
}

/// Runs `once` with correlation on and off, `pairs` times each,
/// alternated (the order alternating too, so that neither side always
/// runs first after the machine rested), and prints each run and the
/// summary.
pub(super) fn alternate(
    pairs: usize,
    json: bool,
    mut once: impl FnMut(bool) -> Result<Run>,
) -> Result<ExitCode> {
    at_least_one(pairs)?;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for pair in 0..pairs {
        let order = if pair % 2 == 0 { [true, false] } else { [false, true] };
        for correlate in order {
            let run = once(correlate)?;
            if !json {
                eprintln!(
                    "pair {}: correlation {}: {:.0} CDR/s, {:.1} s of processor time, peak RSS {:.0} MiB",
                    pair + 1,
                    if correlate { "on " } else { "off" },
                    run.cdr_per_s,
                    run.cpu_seconds,
                    run.peak_rss_mib
                );
            }
            if correlate { on.push(run) } else { off.push(run) }
        }
    }
    let summary = summarise(&on, &off);
    if json {
        println!("{summary}");
    } else {
        println!(
            "correlation on: {:.0} CDR/s, off: {:.0} CDR/s (medians of {pairs} each): correlation costs {:.1} % of the throughput ({:.1} % of the processor time)",
            summary["on"]["cdr_per_s"].as_f64().unwrap_or(f64::NAN),
            summary["off"]["cdr_per_s"].as_f64().unwrap_or(f64::NAN),
            summary["cost_percent"].as_f64().unwrap_or(f64::NAN),
            summary["cpu_cost_percent"].as_f64().unwrap_or(f64::NAN),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs this program with `args` in a process of its own (no run inherits
/// another's memory) and reads `figures` from the JSON line it prints.
pub(super) fn run_child(args: &[OsString], figures: &Figures) -> Result<Run> {
    let exe = std::env::current_exe().context("cannot find this program to run the benchmark")?;
    let output = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running a benchmark")?;
    if !output.status.success() {
        bail!(
            "a run failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{'));
    let result: Value = serde_json::from_str(line.ok_or_else(|| anyhow!("no result printed"))?)?;
    let figure = |name: &str| {
        result[name].as_f64().ok_or_else(|| anyhow!("the run gave no {name}: {result}"))
    };
    Ok(Run {
        cdr_per_s: figure(figures.cdr_per_s)?,
        cpu_seconds: figure(figures.cpu_seconds)?,
        peak_rss_mib: figure(figures.peak_rss_mib)?,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// The median of each figure of `runs`.
fn medians(runs: &[Run]) -> Run {
    let of = |figure: fn(&Run) -> f64| median(runs.iter().map(figure).collect());
    Run {
        cdr_per_s: of(|r| r.cdr_per_s),
        cpu_seconds: of(|r| r.cpu_seconds),
        peak_rss_mib: of(|r| r.peak_rss_mib),
    }
}

/// The medians of each side and what correlation costs: of the medians'
/// throughput, and of their processor time (which follows throughput when
/// every core is busy, and varies less).
fn summarise(on: &[Run], off: &[Run]) -> Value {
    let (on_medians, off_medians) = (medians(on), medians(off));
    let side = |runs: &[Run], m: Run| {
        json!({
            "runs": runs.len(),
            "cdr_per_s": m.cdr_per_s.round(),
            "cpu_seconds": round2(m.cpu_seconds),
            "peak_rss_mib": m.peak_rss_mib.round(),
            "all_cdr_per_s": runs.iter().map(|r| r.cdr_per_s).collect::<Vec<_>>(),
        })
    };
    let pair_costs: Vec<f64> = on
        .iter()
        .zip(off)
        .map(|(a, b)| round2(100.0 * (1.0 - a.cdr_per_s / b.cdr_per_s)))
        .collect();
    json!({
        "on": side(on, on_medians),
        "off": side(off, off_medians),
        "cost_percent": round2(100.0 * (1.0 - on_medians.cdr_per_s / off_medians.cdr_per_s)),
        "cpu_cost_percent": round2(100.0 * (1.0 - off_medians.cpu_seconds / on_medians.cpu_seconds)),
        "pair_cost_percent": pair_costs,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cdr_per_s: f64, cpu_seconds: f64) -> Run {
        Run { cdr_per_s, cpu_seconds, peak_rss_mib: 100.0 }
    }

    #[test]
    fn the_cost_is_that_of_the_medians() {
        let on = [run(80.0, 12.0), run(90.0, 11.0), run(10.0, 50.0)];
        let off = [run(100.0, 10.0), run(120.0, 9.0), run(100.0, 8.0)];
        let summary = summarise(&on, &off);
        assert_eq!(summary["on"]["cdr_per_s"], 80.0);
        assert_eq!(summary["off"]["cdr_per_s"], 100.0);
        assert_eq!(summary["cost_percent"], 20.0);
        // Processor time: 12 s on against 9 s off.
        assert_eq!(summary["cpu_cost_percent"], 25.0);
        assert_eq!(summary["pair_cost_percent"], json!([20.0, 25.0, 90.0]));
    }

    #[test]
    fn an_even_number_of_runs_has_the_mean_of_the_middle_two_as_median() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![5.0]), 5.0);
    }
}
