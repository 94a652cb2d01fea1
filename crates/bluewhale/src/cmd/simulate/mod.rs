//! `bluewhale simulate`: PBXs sending realistic CDRs to a server, for
//! tests, demos and benchmarks. Records come from `synth` (the same calls
//! as `bench import`), rendered ahead of time; a target ([`target`]) sends
//! them: TCP connections streaming lines ([`tcp`]), Avaya CM links
//! speaking the Reliable Session Protocol ([`rsp`]) or files dropped in a
//! directory ([`files`]), with faults injected on request ([`faults`]) at
//! a paced rate ([`rate`]).

mod faults;
pub(crate) mod files;
mod rate;
mod rsp;
mod source;
mod stats;
mod target;
mod tcp;

use anyhow::{Context, Result, bail};
use faults::Faults;
use source::{Plan, Source};
use stats::{Describe, Stats};
use std::num::NonZeroU64;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use synth::RecordFormat;
use target::{Patience, Run};
use tokio::time::Instant;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Avaya,
    Cucm,
    Asterisk,
    Nec,
}

impl Format {
    fn record_format(self) -> RecordFormat {
        match self {
            Format::Avaya => RecordFormat::Avaya,
            Format::Cucm => RecordFormat::Cucm,
            Format::Asterisk => RecordFormat::Asterisk,
            Format::Nec => RecordFormat::Nec,
        }
    }

    /// About how many bytes a record takes, to size what is rendered ahead.
    fn record_bytes(self) -> u64 {
        match self {
            Format::Avaya | Format::Nec => 100,
            Format::Asterisk => 260,
            Format::Cucm => 800,
        }
    }
}

/// Which calls a run sends.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// Every call one record.
    Plain,
    /// Cisco UCM calls with features: per hundred calls, ten consultation
    /// transfers, five forwards and two ad hoc conferences, the rest plain.
    Features,
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("length").required(true).args(["duration", "count"]))]
pub struct Args {
    /// Where records go: tcp://HOST:PORT (each connection one PBX streaming
    /// lines), rsp://HOST:PORT (each connection an Avaya CM link speaking
    /// the Reliable Session Protocol) or a directory (files dropped as CUCM
    /// and Asterisk push them).
    #[arg(long)]
    target: String,
    #[arg(long, value_enum)]
    format: Format,
    /// Which calls: `plain`, one record each, or `features` (with
    /// --format cucm only): per hundred calls, 10 consultation transfers,
    /// 5 forwards, 2 ad hoc conferences, each call's records written
    /// together as CUCM writes them. A --count run then ends on a whole
    /// call: up to 5 records more than the count.
    #[arg(long, value_enum, default_value_t = Mix::Plain)]
    mix: Mix,
    /// Records a second over all connections; 0: as fast as possible.
    /// Records are rendered ahead (up to 512 MiB of them) before the clock
    /// starts.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// TCP connections, each a PBX with its own share of the records (a
    /// directory target writes one file at a time).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Send for this many seconds.
    #[arg(long)]
    duration: Option<u64>,
    /// Send this many records.
    #[arg(long)]
    count: Option<u64>,
    /// Extensions in the synthetic organisation.
    #[arg(long, default_value_t = 10_000)]
    extensions: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Every N records, close a connection halfway through a record, then
    /// reconnect and send that record whole (tcp:// and rsp:// targets; over
    /// RSP the link is cut inside the block holding the record, and the
    /// block is sent again whole).
    #[arg(long)]
    drop_every: Option<NonZeroU64>,
    /// Every N records, put a line of random binary bytes before the next.
    #[arg(long)]
    garbage_every: Option<NonZeroU64>,
    /// Seconds a connection may fail to connect before the run fails.
    #[arg(long, default_value_t = 30, hide = true)]
    give_up_after: u64,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Records rendered ahead at most, in bytes.
const AHEAD_BYTES: u64 = 512 << 20;
/// A paced timed run keeps this many seconds of records ahead.
const AHEAD_SECONDS: u64 = 10;

pub fn run(args: Args) -> Result<ExitCode> {
    if args.extensions == 0 {
        bail!("--extensions must be at least 1");
    }
    let format = args.format.record_format();
    if args.mix == Mix::Features && format != RecordFormat::Cucm {
        bail!(
            "--mix features needs --format cucm: transfers, forwards and conferences are \
             rendered as Cisco UCM records only (--format {} sends plain calls)",
            format.name()
        );
    }
    let patience = Patience { give_up_after: Duration::from_secs(args.give_up_after) };
    let target = target::parse(&args.target, format, args.connections, patience)?;
    if target.connections().is_none() && args.drop_every.is_some() {
        bail!("--drop-every cuts TCP connections; a directory target has none");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(simulate(args, target))
}

async fn simulate(args: Args, target: Box<dyn target::Target>) -> Result<ExitCode> {
    let format = args.format.record_format();
    let ahead_budget = AHEAD_BYTES / args.format.record_bytes();
    let ahead_records = match (args.count, args.rate) {
        (Some(count), _) => count.min(ahead_budget),
        (None, 0) => ahead_budget,
        (None, rate) => rate.saturating_mul(AHEAD_SECONDS).min(ahead_budget),
    };
    let plan = Plan {
        format,
        features: args.mix == Mix::Features,
        extensions: args.extensions,
        seed: args.seed,
        count: args.count,
        chunk_records: target.chunk_records(args.count, args.rate),
        ahead_records,
        lanes: target.connections().unwrap_or(1),
    };
    let source = Source::start(plan).await?;
    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let describe =
        Describe { target: &args.target, format: format.name(), connections: target.connections() };
    let run = Run {
        source,
        stats: Arc::clone(&stats),
        faults: Faults {
            drop_every: args.drop_every,
            garbage_every: args.garbage_every,
            seed: args.seed,
        },
        format,
        rate: args.rate,
        deadline: args.duration.map(|seconds| started + Duration::from_secs(seconds)),
    };
    let acknowledged = target.acknowledged();
    let mut sending = tokio::spawn(target.run(run));
    let mut ticks = tokio::time::interval_at(started + SECOND, SECOND);
    let mut records_before = 0;
    let result = loop {
        tokio::select! {
            ended = &mut sending => break ended,
            _ = ticks.tick() => {
                eprintln!("{}", stats::progress_line(&describe, &stats, records_before, SECOND));
                records_before = Stats::get(&stats.records);
            }
        }
    };
    let elapsed = started.elapsed();
    result.context("the sending task failed")??;
    let acknowledged = acknowledged.map(|a| a.load(std::sync::atomic::Ordering::Relaxed));
    if args.json {
        let mut summary = stats::summary_json(&describe, &stats, elapsed);
        if let (Some(acknowledged), Some(fields)) = (acknowledged, summary.as_object_mut()) {
            fields.insert("acknowledged".into(), acknowledged.into());
        }
        println!("{summary}");
    } else {
        let mut summary = stats::summary_text(&describe, &stats, elapsed);
        if let Some(acknowledged) = acknowledged {
            summary.push_str(&format!("; {acknowledged} records acknowledged"));
        }
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

const SECOND: Duration = Duration::from_secs(1);
