//! `bluewhale backup` and `bluewhale restore`: of the embedded store (see
//! `store::backup`), or, when the server configuration names a main
//! database (`[storage] url`), of that database (see `mainstore::backup`).

use anyhow::{Result, anyhow};
use mainstore::MainStore;
use mainstore::backup::BackupError;
use server::ServerConfig;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist). The server may be running.
    #[arg(long)]
    to: PathBuf,
    /// The server configuration: when it names a main database (`[storage]
    /// url`), a consistent export of that database is written instead of a
    /// copy of the embedded store.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `bluewhale backup`. The server must be stopped;
    /// the store it replaces is kept aside.
    #[arg(long)]
    from: PathBuf,
    /// The server configuration: when it names a main database (`[storage]
    /// url`), the backup's calls, quarantined records and journal
    /// positions are written into that database (those it holds already
    /// are left as they are) and the embedded store is not touched.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// The main database the configuration at `config` names, if any; when
/// it names none, says so and what `doing` does instead.
fn main_database(config: Option<&Path>, doing: &str) -> Result<Option<String>> {
    let Some(path) = config else { return Ok(None) };
    let config = ServerConfig::read(path).map_err(|e| anyhow!(e))?;
    if config.storage.url.is_none() {
        eprintln!("{}: no [storage] url: {doing} the embedded store", path.display());
    }
    Ok(config.storage.url)
}

fn connect(url: &str) -> Result<MainStore> {
    MainStore::connect(url).map_err(|e| anyhow!(e))
}

fn backup_error(e: BackupError) -> anyhow::Error {
    anyhow!(e)
}

pub fn backup(data_dir: &Path, args: BackupArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    if let Some(url) = main_database(args.config.as_deref(), "backing up")? {
        let mut main = connect(&url)?;
        let done = mainstore::backup::backup(&mut main, &args.to).map_err(backup_error)?;
        let m = &done.meta;
        println!(
            "backed up {} calls, {} quarantined records and {} journal positions of {} as of {} \
             ({:.1} MiB) to {} in {:.1} s",
            m.calls,
            m.quarantined,
            m.positions,
            m.database,
            m.taken_at,
            done.bytes as f64 / (1 << 20) as f64,
            args.to.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    }
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
    let url = main_database(args.config.as_deref(), "restoring")?;
    let _lock = server::lock_data_dir(data_dir, "bluewhale restore").map_err(|e| anyhow!(e))?;
    if let Some(url) = url {
        return restore_main(&url, &args.from);
    }
    if mainstore::backup::is_main_backup(&args.from) {
        anyhow::bail!(
            "{} is a backup of a main database: restore it with --config naming the server \
             configuration whose [storage] url is that database",
            args.from.display()
        );
    }
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

fn restore_main(url: &str, from: &Path) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let mut main = connect(url)?;
    let done = mainstore::backup::restore(&mut main, from).map_err(backup_error)?;
    let m = &done.meta;
    println!(
        "restored the backup of {} as of {} into {} in {:.1} s:",
        m.database,
        m.taken_at,
        main.target(),
        started.elapsed().as_secs_f64()
    );
    println!("  calls: {} restored, {} already there", done.calls_stored, done.calls_present);
    println!(
        "  quarantined records: {} restored, {} already there{}",
        done.quarantined_kept,
        done.quarantined_present,
        if done.released > 0 { format!(", {} marked released", done.released) } else { "".into() }
    );
    println!(
        "  journal positions: {} set, {} left as they were (the database's were as far or \
         further)",
        done.positions_set, done.positions_kept
    );
    println!(
        "the server, once started, reads again what its raw journal still holds from the \
         database's positions; calls already stored count as duplicates"
    );
    Ok(ExitCode::SUCCESS)
}
