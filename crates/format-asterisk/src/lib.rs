//! Asterisk `cdr_csv` records: the lines of `/var/log/asterisk/cdr-csv/Master.csv`.
//!
//! cdr_csv writes one line per CDR, no header. The first 16 columns are
//! fixed; `cdr.conf`'s `[csv]` options append more (see [`CsvLayout`]):
//!
//! | columns | what follows `amaflags` |
//! |---|---|
//! | 16 | nothing |
//! | 17 | `uniqueid` (`loguniqueid=yes`) |
//! | 18 | `uniqueid`, `userfield` (`loguniqueid`, `loguserfield`) |
//! | 19 | `peeraccount`, `linkedid`, `sequence` (`newcdrcolumns=yes`) |
//! | 20 | `uniqueid`, `peeraccount`, `linkedid`, `sequence` |
//! | 21 | `uniqueid`, `userfield`, `peeraccount`, `linkedid`, `sequence` |
//!
//! 17 and 20 columns could also mean `userfield` without `uniqueid`; a PBX
//! set up that way must be described with [`AsteriskParser::with_layout`].
//! Times are the PBX's local time unless `usegmtime=yes`.

mod fields;
mod layout;
mod parser;
mod time;

pub use layout::CsvLayout;
pub use parser::AsteriskParser;
