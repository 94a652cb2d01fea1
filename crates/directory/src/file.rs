//! The declarative directory file (`bluewhale load FILE.toml`) and the bulk
//! extension CSV. Loading is idempotent: entities are matched by their
//! natural keys (site name, PBX name, trunk code per PBX, department path,
//! user key, extension number per site and start date).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl FileError {
    fn invalid(path: &Path, message: impl Into<String>) -> Self {
        FileError::Invalid { path: path.display().to_string(), message: message.into() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    /// Organisation-wide settings.
    pub organisation: Option<OrganisationDef>,
    #[serde(default)]
    pub site: Vec<SiteDef>,
    #[serde(default)]
    pub pbx: Vec<PbxDef>,
    #[serde(default)]
    pub trunk: Vec<TrunkDef>,
    #[serde(default)]
    pub department: Vec<DepartmentDef>,
    #[serde(default)]
    pub user: Vec<UserDef>,
    #[serde(default)]
    pub extension: Vec<ExtensionDef>,
    /// CSV files of extensions (see [`read_extensions_csv`]), relative to
    /// the TOML file.
    #[serde(default)]
    pub extensions_csv: Vec<PathBuf>,
    #[serde(default)]
    pub paid_number: Vec<PaidNumberDef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationDef {
    /// IANA zone reports count days and months in (default UTC).
    pub time_zone: Option<String>,
    /// Carrier of outside calls of sites and trunks that name none.
    pub carrier: Option<String>,
    /// Reference (PSTN) carrier of sites that name none.
    pub reference_carrier: Option<String>,
    /// Dial-plan file (see the classifier's DIALPLAN.md), relative to this file.
    pub dial_plans: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaidNumberDef {
    pub number: String,
    pub carrier: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDef {
    pub name: String,
    pub time_zone: String,
    #[serde(default)]
    pub country_code: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub carrier: String,
    #[serde(default)]
    pub reference_carrier: String,
    #[serde(default)]
    pub holidays: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PbxDef {
    pub name: String,
    pub format: String,
    pub site: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkDef {
    pub pbx: String,
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub carrier: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentDef {
    /// `Company\Sales\EMEA`; parents are created as needed.
    pub path: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDef {
    pub key: String,
    pub name: String,
    pub department: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDef {
    pub number: String,
    pub site: Option<String>,
    pub user: Option<String>,
    /// Defaults to the user's department.
    pub department: Option<String>,
    /// `YYYY-MM-DD` (midnight in the site's zone); default: always.
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD`, exclusive; default: still valid.
    pub valid_to: Option<String>,
}

/// One extension, resolved to times, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRow {
    pub number: String,
    pub site: Option<String>,
    pub user: Option<String>,
    pub department: Option<String>,
    pub valid_from: i64,
    pub valid_to: Option<i64>,
}

/// Start of time for extensions without a start date.
pub const ALWAYS: i64 = 0;

impl DirectoryFile {
    pub fn read(path: &Path) -> Result<Self, FileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| FileError::Io { path: path.display().to_string(), source })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        toml::from_str(text).map_err(|e| FileError::invalid(path, e.to_string()))
    }

    /// The zone of a site declared in this file (for extension dates).
    pub fn site_zone(&self, site: Option<&str>) -> TimeZone {
        site.and_then(|s| self.site.iter().find(|d| d.name == s))
            .and_then(|d| TimeZone::get(&d.time_zone).ok())
            .unwrap_or(TimeZone::UTC)
    }

    /// Extensions declared inline, with dates resolved in their site's zone.
    pub fn extension_rows(&self, path: &Path) -> Result<Vec<ExtensionRow>, FileError> {
        self.extension
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let tz = self.site_zone(e.site.as_deref());
                let at = |what: &str, v: &Option<String>| {
                    v.as_deref().map(|d| date_to_epoch(d, &tz)).transpose().map_err(|m| {
                        FileError::invalid(path, format!("extension[{i}] {what}: {m}"))
                    })
                };
                Ok(ExtensionRow {
                    number: e.number.trim().to_string(),
                    site: e.site.clone(),
                    user: e.user.clone(),
                    department: e.department.clone(),
                    valid_from: at("valid_from", &e.valid_from)?.unwrap_or(ALWAYS),
                    valid_to: at("valid_to", &e.valid_to)?,
                })
            })
            .collect()
    }
}

/// `YYYY-MM-DD` at midnight in `tz`, as UTC epoch seconds.
pub fn date_to_epoch(text: &str, tz: &TimeZone) -> Result<i64, String> {
    let date: Date =
        text.trim().parse().map_err(|_| format!("not a date (YYYY-MM-DD): {text:?}"))?;
    let zoned = date.to_zoned(tz.clone()).map_err(|e| e.to_string())?;
    Ok(zoned.timestamp().as_second())
}

/// Reads a bulk extension CSV with a header row naming the columns
/// `number` (required), `site`, `user`, `department`, `valid_from`,
/// `valid_to` (dates as `YYYY-MM-DD`, in the zone `zone_of(site)` gives).
/// Errors name the file and line.
pub fn read_extensions_csv(
    path: &Path,
    zone_of: impl Fn(Option<&str>) -> TimeZone,
    mut each: impl FnMut(ExtensionRow) -> Result<(), String>,
) -> Result<u64, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| FileError::invalid(path, e.to_string()))?;
    let headers = reader.headers().map_err(|e| FileError::invalid(path, e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let number = col("number").ok_or_else(|| FileError::invalid(path, "no column `number`"))?;
    let (site, user, dept, from, to) =
        (col("site"), col("user"), col("department"), col("valid_from"), col("valid_to"));
    let mut record = csv::StringRecord::new();
    let mut count = 0;
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(FileError::invalid(path, format!("line {line}: {e}"))),
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c)).filter(|v| !v.is_empty()).map(str::to_string)
        };
        let located = |m: String| FileError::invalid(path, format!("line {line}: {m}"));
        let site_name = get(site);
        let tz = zone_of(site_name.as_deref());
        let date = |c| get(c).map(|d| date_to_epoch(&d, &tz)).transpose();
        let row = ExtensionRow {
            number: get(Some(number)).ok_or_else(|| located("empty number".into()))?,
            site: site_name,
            user: get(user),
            department: get(dept),
            valid_from: date(from).map_err(located)?.unwrap_or(ALWAYS),
            valid_to: date(to).map_err(located)?,
        };
        each(row).map_err(located)?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_directory_file() {
        let text = r#"
            [[site]]
            name = "Portland"
            time_zone = "America/Los_Angeles"
            country_code = "1"
            area_code = "503"

            [[pbx]]
            name = "cucm-pdx"
            format = "cucm"
            site = "Portland"

            [[department]]
            path = 'Company\Sales\EMEA'

            [[extension]]
            number = "5033466594"
            site = "Portland"
            valid_from = "2025-01-01"
        "#;
        let f = DirectoryFile::parse(Path::new("d.toml"), text).unwrap();
        let rows = f.extension_rows(Path::new("d.toml")).unwrap();
        // Midnight in Portland (PST, UTC-8).
        assert_eq!(rows[0].valid_from, 1735718400);
        assert_eq!(rows[0].valid_to, None);
    }

    #[test]
    fn unknown_keys_and_bad_dates_are_errors() {
        let e = DirectoryFile::parse(
            Path::new("d.toml"),
            "[[site]]\nname='x'\ntime_zone='UTC'\ncolour=1\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("d.toml: "), "{e}");
        assert!(e.to_string().contains("colour"), "{e}");
        let f = DirectoryFile::parse(
            Path::new("d.toml"),
            "[[extension]]\nnumber='1'\nvalid_from='2025-13-01'\n",
        )
        .unwrap();
        let e = f.extension_rows(Path::new("d.toml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "d.toml: extension[0] valid_from: not a date (YYYY-MM-DD): \"2025-13-01\""
        );
    }
}
