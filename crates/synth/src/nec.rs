//! NEC SMDR flexible-format records as in `samples/nec/`: `0!` (SA, UA),
//! `K` and the kind of call, then sections `kind, length of data, data`
//! (see `format-nec`'s `sections` module). SMDR records connected calls
//! only, timed from the connection: unanswered calls have no record.
//!
//! Sections written: KK (outgoing) 01 trunk, 02 calling station, 06 times,
//! 10 dial code; KL (incoming) 01 trunk, 04 called station, 06 times, 16
//! ANI; KM (station to station) 02 calling station, 04 called station, 06
//! times.

use crate::{Call, CallKind};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::io::Write;

/// Appends `call` as one SMDR record and CR LF to `out`, times local in
/// `zone`; writes nothing for an unanswered call (returns false).
pub(crate) fn render_nec(call: &Call, zone: &TimeZone, out: &mut Vec<u8>) -> bool {
    if !call.answered {
        return false;
    }
    let connected = call.start.as_second() + i64::from(call.ring_s);
    let times = format!("{}000{}000", local(connected, zone), local(call.end.as_second(), zone));
    // Fusion point code 001, physical route, trunk, logical route.
    let trunk = |route: u32| format!("0112001{route:03}{:03}{:03}", call.circuit, 200 + route);
    let station = |kind: u8, number: &str| format!("{kind:02}100001{number:<6.6}");
    let digits = |kind: u8, number: &str| format!("{kind:02}{:02}{number}", number.len() + 1);
    let _ = match call.kind {
        CallKind::Outgoing => write!(
            out,
            "0!KK{}{}0634{times}{}",
            trunk(1),
            station(2, &call.calling),
            digits(10, &call.dialled)
        ),
        CallKind::Incoming => write!(
            out,
            "0!KL{}{}0634{times}16{:02}4{}",
            trunk(2),
            station(4, &call.dialled),
            call.calling.len() + 1,
            call.calling
        ),
        CallKind::Internal => {
            write!(out, "0!KM{}{}0634{times}", station(2, &call.calling), station(4, &call.dialled))
        }
    };
    out.extend_from_slice(b"\r\n");
    true
}

/// `yyyymmddhhmmss` in `zone`; the generator's seconds are in range.
fn local(second: i64, zone: &TimeZone) -> String {
    Timestamp::from_second(second)
        .map(|t| t.to_zoned(zone.clone()).strftime("%Y%m%d%H%M%S").to_string())
        .unwrap_or_default()
}
