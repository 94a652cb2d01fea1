//! `bluewhale bench import`: synthetic traffic through the real import path
//! into a fresh store, timed; `bench report`: the department report;
//! `bench serve`: the live server end to end (see [`super::bench_serve`]).

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum BenchFormat {
    Avaya,
    Cucm,
}

/// The calls generated: plain ones only, or the realistic mix of features
/// correlation joins (per 100 calls, 10 consultation transfers, 5
/// forwards, 2 ad hoc conferences; Cisco UCM only).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    Plain,
    Features,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Generate CDRs, import them into a fresh store and report CDR/s and
    /// peak memory. Generation and directory loading are not timed.
    Import {
        #[arg(long, value_enum)]
        format: BenchFormat,
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// Extensions in the synthetic directory.
        #[arg(long, default_value_t = 100_000)]
        extensions: usize,
        #[arg(long, value_enum, default_value = "plain")]
        mix: Mix,
        /// Store every record as a call of its own (correlation off), to
        /// measure what correlation costs.
        #[arg(long)]
        no_correlation: bool,
        /// Import the records generated once this many times with
        /// correlation on and as many with it off, alternated, each in a
        /// process and store of its own, and report the medians and what
        /// correlation costs (run-to-run noise on a shared machine is
        /// larger than the cost itself; only medians of alternated runs
        /// tell it).
        #[arg(long, value_name = "PAIRS", conflicts_with = "no_correlation")]
        compare_correlation: Option<usize>,
        /// The work directory holds the records an earlier run generated
        /// with the same settings: import them as they are.
        #[arg(long, hide = true, requires = "work_dir")]
        generated: bool,
        /// Where to put the generated files and the store (default: a
        /// temporary directory, removed afterwards).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Time the department report for one month. Fills a store with
    /// `--count` synthetic calls first (about 650,000 a day from
    /// 2025-03-03), unless `--work-dir` already holds one from an earlier
    /// run.
    Report {
        #[arg(long, default_value_t = 20_000_000)]
        count: u64,
        #[arg(long, default_value_t = 100_000)]
        extensions: usize,
        /// The month reported on (YYYY-MM).
        #[arg(long, default_value = "2025-03")]
        month: String,
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Times the report is built (the median is shown).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Time call searches through the REST API over a large store (the
    /// one `bench report` fills).
    Search(super::bench_search::Args),
    /// Run the server on a fresh store and the simulator against it over
    /// TCP; report CDR/s until everything sent is stored, and the
    /// server's memory and CPU.
    Serve(super::bench_serve::Args),
}

/// Peak resident set size of this process, in MiB (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Import {
            format,
            count,
            extensions,
            mix,
            no_correlation,
            compare_correlation,
            generated,
            work_dir,
            json,
        } => {
            let correlate = !no_correlation;
            let setup = Setup { format, count, extensions, mix, correlate, generated };
            match compare_correlation {
                Some(pairs) => super::bench_compare::run(&setup, work_dir, pairs, json),
                None => import(setup, work_dir, json),
            }
        }
        Command::Report { count, extensions, month, work_dir, runs } => {
            report(count, extensions, &month, work_dir, runs)
        }
        Command::Search(args) => super::bench_search::run(args),
        Command::Serve(args) => super::bench_serve::run(args),
    }
}

fn report(
    count: u64,
    extensions: usize,
    month: &str,
    work_dir: Option<PathBuf>,
    runs: usize,
) -> Result<ExitCode> {
    let (work, _temp) = work_directory(work_dir)?;
    if !work.join("data").exists() {
        fill(count, extensions, &work)?;
    }
    let store = store::Store::open(&work.join("data"))?;

    let first: jiff::civil::Date =
        format!("{month}-01").parse().with_context(|| format!("not a month: {month:?}"))?;
    let last = first.last_of_month();
    let request = reporting::Request {
        name: report::reports::ReportName::Department,
        first_day: charging::day_number(first),
        last_day: charging::day_number(last),
        department: None,
        extension: None,
        created_by: "bench".into(),
        top: 20,
        json: false,
    };
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let built = reporting::build(&store, &request)?;
        times.push(started.elapsed().as_secs_f64());
        rows = built.report.iter().flat_map(|r| &r.sections).map(|t| t.rows.len()).sum::<usize>();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "department report for {month}: {rows} rows in {:.3} s (median of {}, fastest {:.3} s)",
        times[times.len() / 2],
        times.len(),
        times[0]
    );
    Ok(ExitCode::SUCCESS)
}

/// Fills `work/data` with `count` synthetic Avaya calls (about 650,000 a
/// day from 2025-03-03) for the benchmarks that read a large store.
pub(super) fn fill(count: u64, extensions: usize, work: &Path) -> Result<()> {
    let setup = Setup {
        format: BenchFormat::Avaya,
        count,
        extensions,
        mix: Mix::Plain,
        correlate: true,
        generated: false,
    };
    import(setup, Some(work.to_path_buf()), false).map(|_| ())
}

/// The benchmark's work directory: the one given, or a temporary one,
/// removed when the guard returned with it is dropped.
pub(super) fn work_directory(
    given: Option<PathBuf>,
) -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    Ok(match given {
        Some(dir) => (dir, None),
        None => {
            let temp = tempfile::Builder::new().prefix("bluewhale-bench").tempdir()?;
            (temp.path().to_path_buf(), Some(temp))
        }
    })
}

/// What `bench import` generates and how it stores it.
pub(super) struct Setup {
    pub format: BenchFormat,
    pub count: u64,
    pub extensions: usize,
    pub mix: Mix,
    pub correlate: bool,
    /// The records are in the work directory already.
    pub generated: bool,
}

impl Setup {
    /// The arguments of `bench import` that give this setup.
    pub(super) fn args(&self) -> Vec<String> {
        fn value(v: &impl clap::ValueEnum) -> String {
            v.to_possible_value().map(|p| p.get_name().to_owned()).unwrap_or_default()
        }
        let mut args = vec![
            "--format".into(),
            value(&self.format),
            "--count".into(),
            self.count.to_string(),
            "--extensions".into(),
            self.extensions.to_string(),
            "--mix".into(),
            value(&self.mix),
        ];
        if !self.correlate {
            args.push("--no-correlation".into());
        }
        if self.generated {
            args.push("--generated".into());
        }
        args
    }
}

/// Writes the synthetic directory and records of `setup` into `work`
/// (the records only unless they are there already); returns the
/// directory file and the records file.
pub(super) fn generate(setup: &Setup, work: &Path) -> Result<(PathBuf, PathBuf)> {
    let Setup { format, count, extensions, mix, generated, .. } = *setup;
    let (_, pbx, format_name, file) = names(format, work);
    let org = synth::Org::new(extensions);
    let dir_file = org.write_directory(work, &[(pbx, format_name)])?;
    if generated {
        if !file.exists() {
            bail!("{} was not generated", file.display());
        }
        return Ok((dir_file, file));
    }
    match (format, mix) {
        (BenchFormat::Avaya, _) => synth::write_avaya(&file, &org, count, 1)?,
        (BenchFormat::Cucm, Mix::Plain) => synth::write_cucm(&file, &org, count, 1)?,
        (BenchFormat::Cucm, Mix::Features) => synth::write_cucm_features(&file, &org, count, 1)?,
    }
    Ok((dir_file, file))
}

/// The name, PBX, format and records file of a benchmark in `work`.
fn names(format: BenchFormat, work: &Path) -> (&'static str, &'static str, &'static str, PathBuf) {
    match format {
        BenchFormat::Avaya => ("avaya", "avaya-hq", "avaya:avaya-97", work.join("avaya.txt")),
        BenchFormat::Cucm => ("cucm", "cucm-hq", "cucm", work.join("cdr_bench.txt")),
    }
}

fn import(setup: Setup, work_dir: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    let Setup { format, count, extensions, mix, correlate, .. } = setup;
    if mix == Mix::Features && !matches!(format, BenchFormat::Cucm) {
        bail!("--mix features is generated for --format cucm only");
    }
    let (work, _temp) = work_directory(work_dir)?;
    let data = work.join("data");
    if data.exists() {
        bail!("{} exists; the benchmark needs a fresh store", data.display());
    }
    let (name, pbx, format_name, _) = names(format, &work);
    let say = |m: &str| {
        if !json {
            eprintln!("{m}");
        }
    };
    say(&format!(
        "{} {extensions} extensions and {count} {name} CDRs in {}",
        if setup.generated { "reading" } else { "generating" },
        work.display()
    ));
    let (dir_file, file) = generate(&setup, &work)?;
    let loading = Instant::now();
    let mut store = load_synthetic(&work, &data, &dir_file)?;
    if !correlate {
        ingest::save_correlation_setting(&store, None).map_err(|e| anyhow!(e))?;
    }
    say(&format!("directory loaded in {:.2} s; importing", loading.elapsed().as_secs_f64()));
    let req = ingest::Request {
        pbx: Some(pbx.into()),
        format: Some(format_name.into()),
        time_zone: None,
    };
    // Processor time on every core: on a machine whose cores are all busy,
    // throughput follows it, and it varies less from run to run.
    let cpu_seconds = || super::bench_serve::cpu_seconds(std::process::id()).map(|(_, s)| s);
    let cpu_before = cpu_seconds();
    let summary =
        ingest::import(&mut store, &[file], &req, &mut ingest::Silent).map_err(|e| anyhow!(e))?;
    let cpu = cpu_before.zip(cpu_seconds()).map(|(before, after)| after - before);
    let c = summary.counts;
    // The features mix ends on a whole call: up to five records more.
    let written = if mix == Mix::Features { count..=count + 5 } else { count..=count };
    if !written.contains(&c.records) || !c.balanced() || c.stored != c.records {
        bail!(
            "expected {count} stored records, got {} read: {} stored, {} duplicates, {} quarantined",
            c.records,
            c.stored,
            c.duplicates,
            c.quarantined
        );
    }
    let rss = peak_rss_mib();
    if json {
        println!(
            "{}",
            json!({
                "format": name,
                "mix": if mix == Mix::Features { "features" } else { "plain" },
                "correlation": correlate,
                "cdrs": c.records,
                "seconds": summary.seconds,
                "cdr_per_s": summary.per_second().round(),
                "peak_rss_mib": rss.map(|r| r.round()),
                "cpu_seconds": cpu,
                "cdr_per_cpu_s": cpu.map(|cpu| (c.records as f64 / cpu).round()),
                "stored": c.stored,
                "duplicates": c.duplicates,
                "quarantined": c.quarantined,
                "exact_checks": summary.exact_checks,
            })
        );
    } else {
        println!(
            "{name}{}{}: {} CDRs in {:.2} s = {:.0} CDR/s ({:.1} s of processor time); peak RSS {:.0} MiB; {} stored, {} duplicates, {} quarantined",
            if mix == Mix::Features { " (features mix)" } else { "" },
            if correlate { "" } else { ", correlation off" },
            c.records,
            summary.seconds,
            summary.per_second(),
            cpu.unwrap_or(f64::NAN),
            rss.unwrap_or(f64::NAN),
            c.stored,
            c.duplicates,
            c.quarantined
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A new store in `data` holding the synthetic directory `dir_file` (from
/// [`synth::Org::write_directory`]) and the synthetic tariffs, written
/// into `work`.
pub(super) fn load_synthetic(work: &Path, data: &Path, dir_file: &Path) -> Result<store::Store> {
    let mut store = store::Store::open(data)?;
    let directory = directory::DirectoryFile::read(dir_file)?;
    store.load_directory(&directory, dir_file).context("loading the directory")?;
    let book = rating::TariffBook::load(synth::write_tariffs(work)?)?;
    charging::tariffs::import(&mut store, &book, None)?;
    Ok(store)
}
