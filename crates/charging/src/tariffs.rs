//! The tariff book kept in the store: its files (`tariffs.toml` and the
//! CSV prefix lists it names) in the `tariff_file` table, so that a backup
//! of the database is a backup of the tariffs.
//!
//! Importing merges at carrier level: a carrier in the imported book
//! replaces the stored carrier of that name (all its versions), other
//! stored carriers stay; holiday calendars likewise by name. The merged
//! book is loaded (so it is checked exactly as any tariff file) before it
//! replaces the stored one.

use std::path::Path;

use rating::TariffBook;
use store::Store;
use toml::{Table, Value};

#[derive(Debug, thiserror::Error)]
pub enum TariffError {
    #[error("{0}")]
    Store(#[from] store::Error),
    #[error("{0}")]
    Load(#[from] rating::LoadError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

/// Name of the book's TOML file.
pub const BOOK_FILE: &str = "tariffs.toml";

/// The stored tariff book (empty when none was imported).
pub fn load_book(store: &Store) -> Result<TariffBook, TariffError> {
    let files = store.tariff_files()?;
    if files.is_empty() {
        return Ok(TariffBook::default());
    }
    let dir = tempfile::tempdir()?;
    write_files(dir.path(), &files)?;
    Ok(TariffBook::load(dir.path().join(BOOK_FILE))?)
}

/// Writes the stored book's files into `folder`; returns the TOML's path.
pub fn export(store: &Store, folder: &Path) -> Result<std::path::PathBuf, TariffError> {
    let files = store.tariff_files()?;
    if files.is_empty() {
        return Ok(TariffBook::default().export(folder)?);
    }
    write_files(folder, &files)?;
    Ok(folder.join(BOOK_FILE))
}

fn write_files(folder: &Path, files: &[(String, Vec<u8>)]) -> Result<(), TariffError> {
    for (name, content) in files {
        if name.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(TariffError::Invalid(format!("stored tariff file name {name:?}")));
        }
        let path = folder.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, content)?;
    }
    Ok(())
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Carriers imported (replacing stored ones of the same name or new).
    pub carriers: Vec<String>,
    pub replaced: Vec<String>,
    /// Carriers in the stored book after the import.
    pub total_carriers: usize,
    pub prefixes: usize,
}

/// Merges `incoming` into the stored book and stores the result.
/// `carrier`: with a one-carrier book, the name to store it under; with
/// several, the one to import.
pub fn import(
    store: &mut Store,
    incoming: &TariffBook,
    carrier: Option<&str>,
) -> Result<ImportSummary, TariffError> {
    let current = load_book(store)?;
    let merged = merge(&current, incoming, carrier)?;
    store.replace_tariff_files(&merged.files)?;
    Ok(merged.summary)
}

/// A merged book, its files and what the merge did.
pub struct Merged {
    pub book: TariffBook,
    /// The book's files as [`TariffBook::export`] writes them.
    pub files: Vec<(String, Vec<u8>)>,
    pub summary: ImportSummary,
}

/// `current` with `incoming`'s carriers (and calendars) in place of those
/// of the same name (see [`import`] for `carrier`). Nothing is stored.
pub fn merge(
    current: &TariffBook,
    incoming: &TariffBook,
    carrier: Option<&str>,
) -> Result<Merged, TariffError> {
    let work = tempfile::tempdir()?;
    let current_dir = work.path().join("a");
    let incoming_dir = work.path().join("b");
    let merged_dir = work.path().join("m");
    let current_toml = read_table(&current.export(&current_dir)?)?;
    let mut incoming_toml = read_table(&incoming.export(&incoming_dir)?)?;
    select_carrier(&mut incoming_toml, carrier)?;
    let mut summary = ImportSummary::default();
    let mut merged = Table::new();
    merged.insert("format".into(), Value::Integer(1));
    for key in ["calendar", "carrier"] {
        let mut items: Vec<Value> = Vec::new();
        let names_in = |t: &Table| -> Vec<String> {
            array(t, key).iter().filter_map(|v| name_of(v).map(str::to_string)).collect()
        };
        let replacing = names_in(&incoming_toml);
        for item in array(&current_toml, key) {
            match name_of(item) {
                Some(name) if replacing.iter().any(|n| n == name) => {
                    if key == "carrier" {
                        summary.replaced.push(name.to_string());
                    }
                }
                _ => items.push(relocated(item, "a")),
            }
        }
        for item in array(&incoming_toml, key) {
            if key == "carrier" {
                summary.carriers.extend(name_of(item).map(str::to_string));
            }
            items.push(relocated(item, "b"));
        }
        if !items.is_empty() {
            merged.insert(key.into(), Value::Array(items));
        }
    }
    std::fs::create_dir_all(&merged_dir)?;
    for (from, to) in [(&current_dir, "a"), (&incoming_dir, "b")] {
        copy_csvs(from, &merged_dir.join(to))?;
    }
    let text = toml::to_string(&merged).map_err(|e| TariffError::Invalid(e.to_string()))?;
    std::fs::write(merged_dir.join(BOOK_FILE), text)?;
    let book = TariffBook::load(merged_dir.join(BOOK_FILE))?;
    check_currencies(&book)?;
    let final_dir = work.path().join("final");
    book.export(&final_dir)?;
    let files = collect_files(&final_dir)?;
    summary.total_carriers = book.carriers().len();
    summary.prefixes = book.prefix_count();
    Ok(Merged { book, files, summary })
}

/// Rollups add costs per carrier, so all of a carrier's versions must be
/// in one currency.
fn check_currencies(book: &TariffBook) -> Result<(), TariffError> {
    for carrier in book.carriers() {
        let mut versions = carrier.versions().iter();
        if let Some(first) = versions.next()
            && let Some(other) = versions.find(|v| v.currency() != first.currency())
        {
            return Err(TariffError::Invalid(format!(
                "carrier {:?}: version {:?} is in {} but version {:?} in {}; a carrier's \
                     versions share one currency",
                carrier.name(),
                first.id(),
                first.currency(),
                other.id(),
                other.currency()
            )));
        }
    }
    Ok(())
}

fn read_table(path: &Path) -> Result<Table, TariffError> {
    let text = std::fs::read_to_string(path)?;
    text.parse::<Table>().map_err(|e| TariffError::Invalid(format!("{}: {e}", path.display())))
}

fn array<'t>(table: &'t Table, key: &str) -> &'t [Value] {
    table.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn name_of(item: &Value) -> Option<&str> {
    item.get("name").and_then(Value::as_str)
}

/// Keeps the carrier `carrier` names, or renames a one-carrier book.
fn select_carrier(book: &mut Table, carrier: Option<&str>) -> Result<(), TariffError> {
    let Some(wanted) = carrier else { return Ok(()) };
    let Some(Value::Array(carriers)) = book.get_mut("carrier") else {
        return Err(TariffError::Invalid("the tariff file has no carrier".into()));
    };
    if carriers.len() == 1 {
        if let Some(table) = carriers[0].as_table_mut() {
            table.insert("name".into(), Value::String(wanted.to_string()));
        }
        return Ok(());
    }
    let names: Vec<String> = carriers.iter().filter_map(name_of).map(str::to_string).collect();
    carriers.retain(|c| name_of(c) == Some(wanted));
    if carriers.is_empty() {
        return Err(TariffError::Invalid(format!(
            "no carrier {wanted:?} in the tariff file (it has {})",
            names.join(", ")
        )));
    }
    Ok(())
}

/// A carrier table whose CSV paths are moved under `folder`.
fn relocated(item: &Value, folder: &str) -> Value {
    let mut item = item.clone();
    if let Some(versions) = item.get_mut("version").and_then(Value::as_array_mut) {
        for version in versions {
            if let Some(Value::String(path)) = version.get_mut("prefixes_csv") {
                *path = format!("{folder}/{path}");
            }
        }
    }
    item
}

fn copy_csvs(from: &Path, to: &Path) -> Result<(), TariffError> {
    for (name, content) in collect_files(from)? {
        if name == BOOK_FILE {
            continue;
        }
        let path = to.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, content)?;
    }
    Ok(())
}

/// Every file under `folder`, named by its `/`-separated relative path.
fn collect_files(folder: &Path) -> Result<Vec<(String, Vec<u8>)>, TariffError> {
    let mut files = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(folder)
                    .map_err(|e| TariffError::Invalid(e.to_string()))?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((relative, std::fs::read(&path)?));
            }
        }
    }
    files.sort();
    Ok(files)
}
