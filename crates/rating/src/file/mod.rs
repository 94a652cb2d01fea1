//! Reading and writing tariff books as TOML (+ CSV for long prefix lists).

mod export;
pub(crate) mod format;
mod load;

use std::fmt;

/// A tariff file that cannot be loaded, with where the problem is: file,
/// line when known, and which carrier / version / destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// `file:line: carrier "X" version "Y" destination "Z"`, as far as known.
    pub location: String,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.location, self.message)
        }
    }
}

impl std::error::Error for LoadError {}

pub use export::INLINE_PREFIX_LIMIT;
