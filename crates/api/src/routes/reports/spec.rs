//! A report run as asked for, checked: the report, the days, the filters,
//! the language and format; then resolved against the directory and the
//! caller's scope.

use crate::error::{ApiError, ApiResult};
use crate::roles::Scope;
use jiff::civil::Date;
use report::reports::ReportName;
use report::{Lang, ReportFormat};
use reporting::Within;
use reporting::catalogue::DEFAULT_TOP;
use reporting::departments::{DepartmentRef, resolve};
use serde::Deserialize;
use std::collections::BTreeSet;
use store::Store;
use utoipa::ToSchema;

/// Rows of each top list, at most.
pub const MAX_TOP: usize = 10_000;

/// A report to run.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// A report's `name` from `GET /reports`.
    pub report: String,
    /// First day, `YYYY-MM-DD`, in the reporting time zone.
    pub from: String,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: String,
    /// Only this department and the ones below it: its id or its path
    /// (`Company\Sales`).
    pub department: Option<DepartmentInput>,
    /// Only this extension number.
    pub extension: Option<String>,
    /// The `top` report: rows of each list (default 20).
    pub top: Option<usize>,
    /// `en` (default) or `zh`.
    pub language: Option<String>,
    /// `xlsx`, `html`, `csv`, `txt` or `json`.
    pub format: String,
}

/// A department by id or path.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum DepartmentInput {
    Id(i64),
    Path(String),
}

/// What a run builds, as its view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct About {
    pub report: ReportName,
    pub format: ReportFormat,
    pub lang: Lang,
    pub from: Date,
    pub to: Date,
    /// The department's path.
    pub department: Option<String>,
    pub extension: Option<String>,
    /// The `top` report's list length.
    pub top: Option<usize>,
}

impl About {
    /// `<report>-<from>-<to>.<ext>`.
    pub fn filename(&self) -> String {
        format!("{}-{}-{}.{}", self.report, self.from, self.to, self.format.extension())
    }
}

/// A run's input with its values checked; the department is still a reference.
#[derive(Debug, Clone)]
pub struct Checked {
    pub about: About,
    department: Option<DepartmentRef>,
}

fn day(field: &str, value: &str) -> ApiResult<Date> {
    value
        .trim()
        .parse::<Date>()
        .map_err(|_| ApiError::bad_request(format!("{field}: not a day (YYYY-MM-DD): {value:?}")))
}

impl RunInput {
    /// Checks every value that needs no store.
    pub fn check(&self) -> ApiResult<Checked> {
        let report: ReportName = self
            .report
            .parse()
            .map_err(|e: String| ApiError::bad_request(format!("report: {e}")))?;
        let format: ReportFormat = self
            .format
            .parse()
            .map_err(|e: String| ApiError::bad_request(format!("format: {e}")))?;
        let lang: Lang = match self.language.as_deref() {
            None => Lang::En,
            Some(l) => {
                l.parse().map_err(|e: String| ApiError::bad_request(format!("language: {e}")))?
            }
        };
        let (from, to) = (day("from", &self.from)?, day("to", &self.to)?);
        if to < from {
            return Err(ApiError::bad_request(format!("to: {to} is before from ({from})")));
        }
        let top = match (report, self.top) {
            (ReportName::Top, None) => Some(DEFAULT_TOP),
            (ReportName::Top, Some(n)) if (1..=MAX_TOP).contains(&n) => Some(n),
            (ReportName::Top, Some(n)) => {
                return Err(ApiError::bad_request(format!(
                    "top: {n} rows; between 1 and {MAX_TOP}"
                )));
            }
            (_, None) => None,
            (_, Some(_)) => {
                return Err(ApiError::bad_request(format!(
                    "top: only the top report takes it, not {report}"
                )));
            }
        };
        let extension = match self.extension.as_deref().map(str::trim) {
            None => None,
            Some("") => return Err(ApiError::bad_request("extension: empty")),
            Some(e) => Some(e.to_string()),
        };
        let department = match &self.department {
            None => None,
            Some(DepartmentInput::Id(id)) => Some(DepartmentRef::Id(*id)),
            Some(DepartmentInput::Path(p)) if p.trim().is_empty() => {
                return Err(ApiError::bad_request("department: empty"));
            }
            Some(DepartmentInput::Path(p)) => Some(DepartmentRef::Path(p.trim().to_string())),
        };
        let about = About { report, format, lang, from, to, department: None, extension, top };
        Ok(Checked { about, department })
    }
}

fn internal(e: reporting::ReportingError) -> ApiError {
    ApiError::internal(e.to_string())
}

impl Checked {
    /// Resolves the department and narrows the run to what `scope` sees: a
    /// department outside it is refused (403); without one, the report
    /// covers the scope's departments (or extensions) only.
    pub fn resolve(mut self, store: &Store, scope: &Scope) -> ApiResult<(About, Within)> {
        let department = match &self.department {
            None => None,
            Some(r) => Some(resolve(store, r).map_err(internal)?.ok_or_else(|| {
                ApiError::bad_request(match r {
                    DepartmentRef::Id(id) => format!("department: no department {id}"),
                    DepartmentRef::Path(p) => format!("department: no department {p:?}"),
                })
            })?),
        };
        let within = match scope {
            Scope::All => Within::All,
            Scope::Departments(mine) => {
                let mine: BTreeSet<i64> = mine.iter().copied().collect();
                if let Some(d) = &department
                    && !d.subtree.is_subset(&mine)
                {
                    return Err(ApiError::forbidden(format!(
                        "department {} is outside your departments",
                        d.path
                    )));
                }
                Within::Departments(mine)
            }
            Scope::Extensions(mine) => Within::Extensions(mine.iter().copied().collect()),
        };
        self.about.department = department.map(|d| d.path);
        Ok((self.about, within))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> ApiResult<Checked> {
        serde_json::from_value::<RunInput>(json).unwrap().check()
    }

    fn message(json: serde_json::Value) -> String {
        input(json).unwrap_err().message
    }

    #[test]
    fn a_complete_input_is_read_with_its_defaults() {
        let c = input(serde_json::json!({
            "report": "top", "from": "2026-12-01", "to": "2026-12-31", "format": "excel",
            "department": "Company\\Sales", "extension": " 1001 "
        }))
        .unwrap();
        assert_eq!(c.about.report, ReportName::Top);
        assert_eq!(c.about.format, ReportFormat::Xlsx);
        assert_eq!(c.about.lang, Lang::En);
        assert_eq!(c.about.top, Some(DEFAULT_TOP));
        assert_eq!(c.about.extension.as_deref(), Some("1001"));
        assert_eq!(c.department, Some(DepartmentRef::Path("Company\\Sales".into())));
        assert_eq!(c.about.filename(), "top-2026-12-01-2026-12-31.xlsx");
        let c = input(serde_json::json!({
            "report": "department", "from": "2026-12-01", "to": "2026-12-01",
            "format": "json", "department": 3, "language": "zh"
        }))
        .unwrap();
        assert_eq!((c.department, c.about.lang), (Some(DepartmentRef::Id(3)), Lang::Zh));
    }

    #[test]
    fn each_bad_value_is_named() {
        let base = |k: &str, v: serde_json::Value| {
            let mut j = serde_json::json!({
                "report": "department", "from": "2026-12-01", "to": "2026-12-02", "format": "csv"
            });
            j[k] = v;
            message(j)
        };
        assert!(base("report", "payroll".into()).starts_with("report: unknown report"));
        assert!(base("format", "pdf".into()).starts_with("format: unknown report format"));
        assert!(base("language", "fr".into()).starts_with("language: unknown language"));
        assert!(base("from", "01/12/2026".into()).starts_with("from: not a day"));
        assert!(base("to", "2026-11-30".into()).starts_with("to: 2026-11-30 is before from"));
        assert!(base("top", 5.into()).starts_with("top: only the top report"));
        assert!(base("extension", "".into()).starts_with("extension: empty"));
        assert!(base("department", " ".into()).starts_with("department: empty"));
        let mut j = serde_json::json!({
            "report": "top", "from": "2026-12-01", "to": "2026-12-02", "format": "csv", "top": 0
        });
        assert!(message(j.clone()).starts_with("top: 0 rows"));
        j["top"] = (MAX_TOP + 1).into();
        assert!(message(j).starts_with("top:"));
    }
}
