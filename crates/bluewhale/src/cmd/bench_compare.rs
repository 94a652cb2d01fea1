//! `bench import --compare-correlation PAIRS`: what correlation costs an
//! import, measured the only way a shared machine lets it be. The same
//! generated records are imported with correlation on and off, alternated
//! (in pairs whose order alternates too), each run in a process and store
//! of its own so that no run inherits another's memory; the medians of
//! each side are compared.

use super::bench::{Setup, generate};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// One import's figures, as its `--json` line gives them.
#[derive(Debug, Clone, Copy)]
struct Run {
    cdr_per_s: f64,
    cpu_seconds: f64,
    peak_rss_mib: f64,
}

pub(super) fn run(
    setup: &Setup,
    work_dir: Option<PathBuf>,
    pairs: usize,
    json: bool,
) -> Result<ExitCode> {
    if pairs == 0 {
        bail!("--compare-correlation needs at least one pair");
    }
    let (work, _temp) = super::bench::work_directory(work_dir)?;
    let say = |m: &str| {
        if !json {
            eprintln!("{m}");
        }
    };
    say(&format!("generating {} records once in {}", setup.count, work.display()));
    generate(setup, &work)?;
    let exe = std::env::current_exe().context("cannot find this program to run the imports")?;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for pair in 0..pairs {
        // Alternated within pairs too, so that neither side always runs
        // first after the machine rested.
        let order = if pair % 2 == 0 { [true, false] } else { [false, true] };
        for correlate in order {
            let run = import_once(&exe, setup, correlate, &work)?;
            say(&format!(
                "pair {}: correlation {}: {:.0} CDR/s, {:.1} s of processor time, peak RSS {:.0} MiB",
                pair + 1,
                if correlate { "on " } else { "off" },
                run.cdr_per_s,
                run.cpu_seconds,
                run.peak_rss_mib
            ));
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

/// Runs one import of the records in `work` in a process of its own, into
/// a fresh store removed afterwards.
fn import_once(exe: &Path, setup: &Setup, correlate: bool, work: &Path) -> Result<Run> {
    let child = Setup { correlate, generated: true, ..*setup };
    let output = Command::new(exe)
        .args(["bench", "import", "--json", "--work-dir"])
        .arg(work)
        .args(child.args())
        .stdin(Stdio::null())
        .output()
        .context("running an import")?;
    let removed = std::fs::remove_dir_all(work.join("data"));
    if !output.status.success() {
        bail!(
            "an import failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    removed.context("removing the import's store")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{'));
    let result: Value = serde_json::from_str(line.ok_or_else(|| anyhow!("no result printed"))?)?;
    let figure = |name: &str| {
        result[name].as_f64().ok_or_else(|| anyhow!("the import gave no {name}: {result}"))
    };
    Ok(Run {
        cdr_per_s: figure("cdr_per_s")?,
        cpu_seconds: figure("cpu_seconds")?,
        peak_rss_mib: figure("peak_rss_mib")?,
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
