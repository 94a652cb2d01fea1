//! Avaya CM customized records in the common 97-character layout
//! (`avaya:avaya-97`): 95 characters, then CR LF.

use crate::{Call, CallKind};
use jiff::tz::TimeZone;

/// Appends `call` as one Avaya line (with its CR LF) to `out`, the end time
/// local in `zone`. Written field by field rather than with `format!`
/// widths, which pad one character at a time: this is the hot loop of
/// `bluewhale simulate`.
pub(crate) fn render_avaya(call: &Call, zone: &TimeZone, out: &mut Vec<u8>) {
    let end = call.end.to_zoned(zone.clone());
    let (in_trunk, out_trunk, cond) = match call.kind {
        CallKind::Outgoing => (None, Some(b"0101"), b'7'),
        CallKind::Incoming => (Some(b"0102"), None, b'9'),
        CallKind::Internal => (None, None, b'0'),
    };
    let cond = if call.answered {
        cond
    } else if call.kind == CallKind::Incoming {
        b'H'
    } else {
        b'I'
    };
    zero_padded(out, end.month() as u64, 2);
    zero_padded(out, end.day() as u64, 2);
    zero_padded(out, (end.year() % 100) as u64, 2);
    out.push(b' ');
    zero_padded(out, end.hour() as u64, 2);
    zero_padded(out, end.minute() as u64, 2);
    out.push(b' ');
    zero_padded(out, u64::from(call.duration_s), 5);
    out.push(b' ');
    left_aligned(out, call.calling.as_bytes(), 15);
    out.push(b' ');
    left_aligned(out, call.dialled.as_bytes(), 23);
    out.push(b' ');
    left_aligned(out, b"", 13);
    out.push(b' ');
    trunk_and_circuit(out, in_trunk, call.circuit);
    out.push(b' ');
    left_aligned(out, b"", 4);
    out.push(b' ');
    trunk_and_circuit(out, out_trunk, call.circuit);
    out.push(b' ');
    out.push(cond);
    out.extend_from_slice(b" \r\n");
}

/// A trunk access code (4) and circuit (3, zero-padded), or 7 blanks.
fn trunk_and_circuit(out: &mut Vec<u8>, trunk: Option<&[u8; 4]>, circuit: u32) {
    match trunk {
        Some(trunk) => {
            out.extend_from_slice(trunk);
            // `{:<3}` of the zero-padded circuit: a wider one is kept whole.
            let start = out.len();
            zero_padded(out, u64::from(circuit), 3);
            let written = out.len() - start;
            out.resize(out.len() + 3usize.saturating_sub(written), b' ');
        }
        None => out.extend_from_slice(b"       "),
    }
}

/// `value` in decimal, zeros before it up to `width` (as `{:0width$}`).
fn zero_padded(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let len = digits.len() - at;
    out.resize(out.len() + width.saturating_sub(len), b'0');
    out.extend_from_slice(&digits[at..]);
}

/// `text`, blanks after it up to `width` (as `{:<width$}`).
fn left_aligned(out: &mut Vec<u8>, text: &[u8], width: usize) {
    out.extend_from_slice(text);
    out.resize(out.len() + width.saturating_sub(text.len()), b' ');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_as_format_widths_do() {
        let mut out = Vec::new();
        zero_padded(&mut out, 7, 2);
        zero_padded(&mut out, 123_456, 5);
        zero_padded(&mut out, 0, 3);
        left_aligned(&mut out, b"abc", 5);
        left_aligned(&mut out, b"toolong", 3);
        assert_eq!(
            out,
            format!("{:02}{:05}{:03}{:<5}{:<3}", 7, 123_456, 0, "abc", "toolong").as_bytes()
        );
    }
}
