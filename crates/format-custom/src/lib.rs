//! Administrator-defined CDR formats: a TOML definition describes a PBX's
//! record layout (CSV, fixed columns or a regular expression) and how its
//! fields become the uniform [`cdr::Cdr`], so a site can read a PBX nobody
//! has written a parser for. Vendors' published layouts ship as presets
//! written in the same language. See `FORMAT.md` for the language.

mod compile;
mod definition;
mod derive;
mod duration;
mod error;
mod parser;
mod presets;
mod resolve;
mod split;
mod time;

pub use error::DefinitionError;
pub use parser::CustomParser;
pub use presets::{preset, preset_names};

use cdr::ParserContext;
use std::sync::Arc;

/// A validated, pre-compiled format definition. Cheap to clone; make one
/// parser per input with [`CustomFormat::parser`].
#[derive(Debug, Clone)]
pub struct CustomFormat {
    format: Arc<compile::Format>,
}

impl CustomFormat {
    /// Reads and checks a definition; errors give the TOML line and column.
    pub fn from_toml(text: &str) -> Result<CustomFormat, DefinitionError> {
        compile::compile(text).map(|format| CustomFormat { format: Arc::new(format) })
    }

    /// The definition's `name`; also the namespace of record identities.
    pub fn name(&self) -> &str {
        &self.format.name
    }

    pub fn parser(&self, ctx: &ParserContext) -> CustomParser {
        CustomParser::new(Arc::clone(&self.format), ctx)
    }
}
