//! Errors the writers return.

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report contradicts itself (a cell that does not fit its column,
    /// a row with the wrong number of cells …); nothing was written.
    #[error("invalid report: {0}")]
    Invalid(String),
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
}
