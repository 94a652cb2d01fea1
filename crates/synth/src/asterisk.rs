//! Asterisk `cdr_csv` lines (Master.csv) with the uniqueid and userfield
//! columns, local times as cdr.conf writes them by default.

use crate::{Call, CallKind};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::io::Write;

/// Appends call number `i` of the stream as one Master.csv line (with its
/// `\n`) to `out`, times local in `zone`.
pub(crate) fn render_asterisk(i: u64, call: &Call, zone: &TimeZone, out: &mut Vec<u8>) {
    let (context, channel, dst_channel, last_data) = match call.kind {
        CallKind::Outgoing => (
            "from-internal",
            format!("SIP/{}-{:08x}", call.calling, 2 * i),
            format!("SIP/pstn-{:08x}", 2 * i + 1),
            format!("SIP/pstn/{},60", call.dialled),
        ),
        CallKind::Incoming => (
            "from-pstn",
            format!("SIP/pstn-{:08x}", 2 * i),
            format!("SIP/{}-{:08x}", call.dialled, 2 * i + 1),
            format!("SIP/{},30", call.dialled),
        ),
        CallKind::Internal => (
            "from-internal",
            format!("SIP/{}-{:08x}", call.calling, 2 * i),
            format!("SIP/{}-{:08x}", call.dialled, 2 * i + 1),
            format!("SIP/{},30", call.dialled),
        ),
    };
    let answer = call.start.as_second() + i64::from(call.ring_s);
    let answer = if call.answered { local(answer, zone) } else { String::new() };
    let disposition = match (call.answered, call.kind) {
        (true, _) => "ANSWERED",
        (false, CallKind::Outgoing) if call.circuit.is_multiple_of(4) => "BUSY",
        (false, _) => "NO ANSWER",
    };
    let total_s = call.end.as_second() - call.start.as_second();
    // Writing into a Vec cannot fail.
    let _ = writeln!(
        out,
        "\"\",\"{calling}\",\"{dialled}\",\"{context}\",\"\"\"{calling}\"\" <{calling}>\",\
         \"{channel}\",\"{dst_channel}\",\"Dial\",\"{last_data}\",\"{start}\",\"{answer}\",\
         \"{end}\",{total_s},{billsec},\"{disposition}\",\"DOCUMENTATION\",\"{unique}.{i}\",\"\"",
        calling = call.calling,
        dialled = call.dialled,
        start = local(call.start.as_second(), zone),
        end = local(call.end.as_second(), zone),
        billsec = call.duration_s,
        unique = call.start.as_second(),
    );
}

/// `YYYY-MM-DD HH:MM:SS` in `zone`; the generator's seconds are in range.
fn local(second: i64, zone: &TimeZone) -> String {
    Timestamp::from_second(second)
        .map(|t| t.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}
