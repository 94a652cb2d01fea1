//! `bluewhale serve`: the billing server (see the `server` crate).

use anyhow::{Result, anyhow};
use server::ServerConfig;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The server configuration (TOML): connectors, journal, listeners.
    /// Without it, the embedded default with no connectors.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Start simulated PBXs of four vendors at two sites sending live
    /// calls (a demonstration organisation is loaded into an empty store).
    #[arg(long)]
    demo: bool,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::read(path).map_err(|e| anyhow!(e))?,
        None => ServerConfig::parse("").map_err(|e| anyhow!(e))?,
    };
    std::fs::create_dir_all(data_dir)?;
    eprintln!("bluewhale serve: data in {}", data_dir.display());
    if args.demo {
        super::demo::prepare(data_dir)?;
        let addresses = super::demo::add_connectors(&mut config, data_dir)?;
        super::demo::start_pbxs(addresses)?;
        super::demo::start_reporter(data_dir)?;
    }
    let served = server::serve(data_dir, &config, None, &mut |line| eprintln!("{line}"))
        .map_err(|e| anyhow!(e))?;
    let c = served.counts;
    eprintln!(
        "stopped: {} journal entries ({} bytes) written; {} records read: {} stored, {} \
         duplicates, {} quarantined",
        served.journaled.entries,
        served.journaled.bytes,
        c.records,
        c.stored,
        c.duplicates,
        c.quarantined
    );
    Ok(ExitCode::SUCCESS)
}
