//! FreeSWITCH call records: `mod_cdr_csv` lines and `mod_json_cdr` documents.
//!
//! Both modules write a channel's variables at the end of the call; the CSV
//! module through a text template (`"${caller_id_number}","${uuid}"…`), the
//! JSON module as a document holding every variable. Both are turned into a
//! list of `(variable, value)` pairs and mapped to a [`cdr::Cdr`] by the same
//! rules (see [`variables`]), so a call reads the same whichever module
//! reported it, and the two reports of one leg share an identity.

mod csv;
mod json;
mod stamp;
mod template;
mod urlencoding;
pub mod variables;

pub use csv::FreeswitchCsvParser;
pub use json::FreeswitchJsonParser;
pub use template::CsvTemplate;
