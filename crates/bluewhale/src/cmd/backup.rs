//! `bluewhale backup` and `bluewhale restore` (see `store::backup`).

use anyhow::{Result, anyhow};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist). The server may be running.
    #[arg(long)]
    to: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `bluewhale backup`. The server must be stopped;
    /// the store it replaces is kept aside.
    #[arg(long)]
    from: PathBuf,
}

pub fn backup(data_dir: &Path, args: BackupArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let copied = store::backup::backup(data_dir, &args.to)?;
    println!(
        "backed up {} calls ({:.1} MiB) to {} in {:.1} s",
        copied.calls,
        copied.bytes as f64 / (1 << 20) as f64,
        args.to.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn restore(data_dir: &Path, args: RestoreArgs) -> Result<ExitCode> {
    let _lock = server::lock_data_dir(data_dir, "bluewhale restore").map_err(|e| anyhow!(e))?;
    let copied = store::backup::restore(data_dir, &args.from)?;
    // Brings an older backup's schema up to this version.
    store::Store::open(data_dir)?;
    println!("restored {} calls from {}", copied.calls, args.from.display());
    if let Some(aside) = copied.kept_aside {
        println!("the store it replaced is kept as {}", aside.display());
    }
    println!(
        "the server, once started, reads again what its raw journal still holds from after the \
         backup; calls already stored count as duplicates"
    );
    Ok(ExitCode::SUCCESS)
}
