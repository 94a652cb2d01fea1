pub mod bench;
pub mod cdrs;
pub mod formats;
pub mod import;
pub mod load;
pub mod quarantine;
