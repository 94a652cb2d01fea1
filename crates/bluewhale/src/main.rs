//! `bluewhale`: the command line of the CDR billing server.

mod allocator;
mod cmd;
mod period;
mod progress;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "bluewhale", version, about = "CDR billing and telecom cost management")]
struct Cli {
    /// Where the embedded store and its files live.
    #[arg(long, global = true, default_value = "./bluewhale-data", env = "BLUEWHALE_DATA_DIR")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import CDR files (files, directories, .gz) into the store.
    Import(cmd::import::Args),
    /// List stored calls.
    Cdrs(cmd::cdrs::Args),
    /// Load the directory (sites, PBXs, trunks, departments, users,
    /// extensions) from a TOML file, or extensions from a CSV file.
    Load(cmd::load::Args),
    /// Inspect and retry records that could not be stored.
    #[command(subcommand)]
    Quarantine(cmd::quarantine::Command),
    /// List the record formats bluewhale reads.
    Formats,
    /// Measure throughput end to end on synthetic data.
    #[command(subcommand)]
    Bench(cmd::bench::Command),
    /// Import, export, list and try tariffs.
    #[command(subcommand)]
    Tariff(cmd::tariff::Command),
    /// Show the logical calls of a PBX's records: legs of one transfer,
    /// forward or conference joined, who pays for each leg and why.
    Correlate(cmd::correlate::Args),
    /// Show how a stored call was classified and priced, step by step.
    Explain(cmd::explain::Args),
    /// Price a stored period on a candidate tariff, changing nothing.
    Whatif(cmd::whatif::Args),
    /// Price a stored period again (after tariff or directory changes).
    Rerate(cmd::rerate::Args),
    /// Write a report (department, extension, trunk, carrier, site,
    /// destination, top, traffic, inbound, savings, unknown-extensions).
    Report(cmd::report::Args),
    /// Run the billing server: receive records from PBXs, journal,
    /// price and store them (stop with Ctrl-C or SIGTERM).
    Serve(cmd::serve::Args),
    /// Write a consistent copy of the store to a file (the server may run).
    Backup(cmd::backup::BackupArgs),
    /// Replace the store with a backup (the server must be stopped).
    Restore(cmd::backup::RestoreArgs),
    /// Feed what a PBX sent in a period back from the raw journal through
    /// the pipeline (calls already stored count as duplicates).
    Replay(cmd::replay::Args),
    /// Simulate PBXs sending CDRs: TCP streams or file drops, paced, with
    /// injected faults.
    Simulate(cmd::simulate::Args),
}

fn main() -> ExitCode {
    allocator::keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Import(args) => cmd::import::run(&cli.data_dir, args),
        Command::Cdrs(args) => cmd::cdrs::run(&cli.data_dir, args),
        Command::Load(args) => cmd::load::run(&cli.data_dir, args),
        Command::Quarantine(c) => cmd::quarantine::run(&cli.data_dir, c),
        Command::Formats => cmd::formats::run(),
        Command::Bench(c) => cmd::bench::run(c),
        Command::Tariff(c) => cmd::tariff::run(&cli.data_dir, c),
        Command::Correlate(args) => cmd::correlate::run(&cli.data_dir, args),
        Command::Explain(args) => cmd::explain::run(&cli.data_dir, args),
        Command::Whatif(args) => cmd::whatif::run(&cli.data_dir, args),
        Command::Rerate(args) => cmd::rerate::run(&cli.data_dir, args),
        Command::Replay(args) => cmd::replay::run(&cli.data_dir, args),
        Command::Backup(args) => cmd::backup::backup(&cli.data_dir, args),
        Command::Restore(args) => cmd::backup::restore(&cli.data_dir, args),
        Command::Report(args) => cmd::report::run(&cli.data_dir, args),
        Command::Serve(args) => cmd::serve::run(&cli.data_dir, args),
        Command::Simulate(args) => cmd::simulate::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
