//! The organisation's directory — sites, PBXs, trunks, departments, users
//! and extensions — as declared in files, and the index that attributes
//! each call to the extension, user, department, site and trunks that were
//! valid when it was made.

mod entities;
mod file;
mod index;

pub use entities::*;
pub use file::{
    DirectoryFile, ExtensionRow, FileError, OrganisationDef, PaidNumberDef, read_extensions_csv,
};
pub use index::{Attribution, DirectoryIndex, PbxInfo};
