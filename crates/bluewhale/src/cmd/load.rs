use anyhow::{Result, bail};
use directory::DirectoryFile;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A directory file (`.toml`) or an extension CSV (`.csv`, columns
    /// number, site, user, department, valid_from, valid_to).
    file: PathBuf,
}

pub fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let mut store = store::Store::open(data_dir)?;
    let started = std::time::Instant::now();
    match args.file.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            let file = DirectoryFile::read(&args.file)?;
            let dial_plans = dial_plans(&file, &args.file)?;
            let s = store.load_directory(&file, &args.file)?;
            if let Some(text) = dial_plans {
                store.set_setting(store::settings::DIAL_PLANS, &text)?;
            }
            // Checks what pricing will rely on (dial plans against the
            // sites), so a mistake shows now rather than at import.
            let book = charging::tariffs::load_book(&store)?;
            charging::Charger::new(&store, std::sync::Arc::new(book))?;
            println!(
                "loaded {} sites, {} PBXs, {} trunks, {} departments, {} users, {} extensions in {:.2} s",
                s.sites,
                s.pbxs,
                s.trunks,
                s.departments,
                s.users,
                s.extensions,
                started.elapsed().as_secs_f64()
            );
        }
        Some("csv") => {
            let n = store.load_extensions_csv(&args.file)?;
            println!("loaded {n} extensions in {:.2} s", started.elapsed().as_secs_f64());
        }
        _ => bail!(
            "{}: expected a .toml directory file or a .csv extension file",
            args.file.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The dial-plan file the directory's `[organisation]` names, read and
/// checked.
fn dial_plans(file: &DirectoryFile, path: &Path) -> Result<Option<String>> {
    let Some(relative) = file.organisation.as_ref().and_then(|o| o.dial_plans.as_ref()) else {
        return Ok(None);
    };
    let plans = path.parent().unwrap_or(Path::new(".")).join(relative);
    let text =
        std::fs::read_to_string(&plans).map_err(|e| anyhow::anyhow!("{}: {e}", plans.display()))?;
    classify::DialPlansFile::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", plans.display()))?;
    Ok(Some(text))
}
