//! Deciding, before any record is read, how each input will be read: its
//! format, its PBX and the parser context (zone, reception time).

use crate::input;
use cdr::{ParserContext, Timestamp};
use directory::{DirectoryIndex, PbxInfo};
use parsers::Format;
use std::path::PathBuf;
use store::Store;

/// How one file is read.
pub struct FilePlan {
    pub path: PathBuf,
    pub source: String,
    pub source_id: i64,
    pub format: Format,
    pub pbx_name: String,
    /// `None` when the PBX named is not in the directory: its records go to
    /// quarantine ("unknown PBX") until it is added and they are retried.
    pub pbx: Option<PbxInfo>,
    pub ctx: ParserContext,
}

/// What the user asked for, before resolution.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// PBX the records come from; without it each file is attributed to a
    /// PBX named after its format (`cucm`, `avaya`…), created if needed.
    pub pbx: Option<String>,
    /// Format name; `None` or `auto` recognises each file.
    pub format: Option<String>,
    /// Overrides the PBX's time zone for formats that write local times.
    pub time_zone: Option<String>,
}

/// The PBX a format's records are attributed to when none is named.
pub fn default_pbx_name(format: &Format) -> String {
    let name = format.name();
    let family = name.split(':').next().unwrap_or(&name);
    if family.ends_with(".toml") {
        // A definition file: name the PBX after the file, not its path.
        std::path::Path::new(family)
            .file_stem()
            .map_or_else(|| family.to_string(), |s| s.to_string_lossy().into_owned())
    } else {
        family.to_string()
    }
}

/// Resolves one file's plan; the error is the reason the file cannot be
/// read at all (unreadable, unrecognised format, bad zone).
pub fn plan_file(
    store: &Store,
    index: &mut DirectoryIndex,
    req: &Request,
    path: PathBuf,
) -> Result<FilePlan, String> {
    let source = path.display().to_string();
    let format = match req.format.as_deref() {
        None | Some("auto") => {
            let head = input::head(&path).map_err(|e| e.to_string())?;
            parsers::detect(&head).map_err(|e| format!("{source}: {e}"))?
        }
        Some(name) => Format::by_name(name)?,
    };
    let pbx_name = req.pbx.clone().unwrap_or_else(|| default_pbx_name(&format));
    let mut pbx = index.pbx(&pbx_name).cloned();
    if pbx.is_none() && req.pbx.is_none() {
        store.ensure_pbx(&pbx_name, &format.name()).map_err(|e| e.to_string())?;
        *index = DirectoryIndex::build(&store.directory().map_err(|e| e.to_string())?);
        pbx = index.pbx(&pbx_name).cloned();
    }
    let mut zone = pbx.as_ref().map_or(jiff::tz::TimeZone::UTC, |p| p.time_zone.clone());
    if let Some(z) = &req.time_zone {
        zone = jiff::tz::TimeZone::get(z).map_err(|_| format!("unknown time zone {z:?}"))?;
    }
    let received = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| Timestamp::try_from(t).ok())
        .unwrap_or_else(Timestamp::now);
    let source_id = store.source_id(&source).map_err(|e| e.to_string())?;
    Ok(FilePlan {
        path,
        source,
        source_id,
        format,
        pbx_name,
        pbx,
        ctx: ParserContext { time_zone: zone, received },
    })
}
