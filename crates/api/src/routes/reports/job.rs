//! Building one run's report and writing it: the file in the format asked
//! for and, from the same built model, the preview (the HTML page, or the
//! JSON document of a JSON run).

use super::runs::{Handle, Output, Phase};
use super::spec::About;
use report::{ReportFormat, write_html};
use reporting::{Request, Within};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use store::Store;

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// What the job needs besides the store.
pub struct Job {
    pub about: About,
    pub within: Within,
    /// Who the report says made it.
    pub created_by: String,
}

impl Job {
    fn request(&self) -> Request {
        let a = &self.about;
        Request {
            name: a.report,
            first_day: store::days::day_number(a.from),
            last_day: store::days::day_number(a.to),
            department: a.department.clone(),
            extension: a.extension.clone(),
            created_by: self.created_by.clone(),
            top: a.top.unwrap_or(reporting::catalogue::DEFAULT_TOP),
            json: a.format == ReportFormat::Json,
        }
    }

    /// Builds the report and writes its files into the run's directory.
    pub fn run(&self, store: &Store, handle: &Handle<About>) -> Result<Output, String> {
        let built = reporting::build_with(store, &self.request(), &self.within, &mut |share| {
            handle.progress(share)
        })
        .map_err(|e| e.to_string())?;
        handle.phase(Phase::Writing);
        let dir = handle.dir();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let format = self.about.format;
        let lang = self.about.lang;
        let file = dir.join(format!("report.{}", format.extension()));
        match (&built.json, &built.report) {
            (Some(json), _) => write_to(&file, |out| {
                serde_json::to_writer_pretty(&mut *out, json).map_err(|e| e.to_string())?;
                out.write_all(b"\n").map_err(|e| e.to_string())
            })?,
            (None, Some(report)) => {
                write_to(&file, |out| format.write(report, lang, out).map_err(|e| e.to_string()))?
            }
            (None, None) => return Err("the report came out empty".into()),
        }
        let size_bytes = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();
        let (preview, preview_type) = match (format, &built.report) {
            (ReportFormat::Json, _) => (file.clone(), JSON),
            (ReportFormat::Html, _) => (file.clone(), HTML),
            (_, Some(report)) => {
                let preview = dir.join("preview.html");
                write_to(&preview, |out| write_html(report, lang, out).map_err(|e| e.to_string()))?;
                (preview, HTML)
            }
            (_, None) => return Err("the report came out empty".into()),
        };
        Ok(Output { file, size_bytes, preview, preview_type })
    }
}

/// Writes a file through `write`; flushed, so a full disk is an error here.
fn write_to(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), String>,
) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut out = BufWriter::new(File::create(path).map_err(failed)?);
    write(&mut out)?;
    out.into_inner().map_err(|e| failed(e.into_error()))?;
    Ok(())
}
