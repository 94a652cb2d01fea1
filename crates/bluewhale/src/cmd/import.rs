use crate::progress::Bar;
use anyhow::{Result, anyhow};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// PBX the records come from (must be in the directory); default: a
    /// PBX named after each file's format.
    #[arg(long)]
    pbx: Option<String>,
    /// Record format (see `bluewhale formats`); `auto` recognises CUCM,
    /// Asterisk, FreeSWITCH and NEC files.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Time zone of local times in the records (default: the PBX's).
    #[arg(long)]
    tz: Option<String>,
    /// Files or directories (walked recursively); `.gz` is read as is.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let mut store = store::Store::open(data_dir)?;
    let req = ingest::Request { pbx: args.pbx, format: Some(args.format), time_zone: args.tz };
    let summary =
        ingest::import(&mut store, &args.paths, &req, &mut Bar::new()).map_err(|e| anyhow!(e))?;
    let c = summary.counts;
    println!(
        "{} files, {} records: {} stored, {} duplicates, {} quarantined in {:.2} s ({:.0} CDR/s)",
        summary.files,
        c.records,
        c.stored,
        c.duplicates,
        c.quarantined,
        summary.seconds,
        summary.per_second()
    );
    if c.quarantined > 0 {
        println!("see them with: bluewhale quarantine list");
    }
    for f in &summary.failed {
        eprintln!("error: {f}");
    }
    Ok(if summary.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
