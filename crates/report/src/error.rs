//! Errors the writers return.

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report contradicts itself (a cell that does not fit its column,
    /// a row with the wrong number of cells …); nothing was written.
    #[error("invalid report: {0}")]
    Invalid(String),
    /// The data handed to a report builder is unusable (an unknown call
    /// type, counts that contradict each other, a sum past the numeric
    /// range); the message names the input row.
    #[error("report input: {0}")]
    Input(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl ReportError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        ReportError::Invalid(reason.into())
    }

    pub(crate) fn input(reason: impl Into<String>) -> Self {
        ReportError::Input(reason.into())
    }

    /// Puts the place an input error happened (`department row 3 (…)`) in
    /// front of its message; other errors pass unchanged.
    pub(crate) fn at(self, location: &str) -> Self {
        match self {
            ReportError::Input(reason) => ReportError::Input(format!("{location}: {reason}")),
            other => other,
        }
    }
}
