//! NEC SMDR records in the "flexible" format (NEAX2400 IMX, UNIVERGE
//! SV8500/SV9500, SV8100/SV9100 and their FCCS networks): KK outgoing, KL
//! incoming and KM station-to-station calls.
//!
//! A message is `STX SA UA 'K' kind <sections> ETX`. SA (sending address,
//! an ASCII digit) and UA (unit address, `!`) open every message: they are
//! the `0!` the records start with. STX and ETX are link framing; a
//! collector usually strips them, and the parser skips them when present.
//! The sections ("kinds of data") are described in [`sections`].

mod layout;
mod message;
mod parser;
pub mod sections;
mod time;

pub use parser::NecParser;
