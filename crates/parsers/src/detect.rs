//! `--format auto`: recognising a file's format from its first bytes.

use crate::Format;

/// The formats auto-detection can recognise, in the order it tries them.
pub const DETECTABLE: &[&str] = &["cucm", "freeswitch-json", "asterisk", "freeswitch-csv", "nec"];

/// Recognises the format of a file from its first bytes (a few KiB).
/// The error names every format tried.
pub fn detect(head: &[u8]) -> Result<Format, String> {
    let text = String::from_utf8_lossy(head);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let name = if first.to_ascii_lowercase().contains("\"cdrrecordtype\"")
        || first.to_ascii_lowercase().starts_with("cdrrecordtype,")
    {
        Some("cucm")
    } else if first.starts_with('{')
        && ["\"variables\"", "\"callflow\"", "\"channel_data\""].iter().any(|k| text.contains(k))
    {
        Some("freeswitch-json")
    } else if looks_like_asterisk(first) {
        Some("asterisk")
    } else if looks_like_freeswitch_example(first) {
        Some("freeswitch-csv")
    } else if looks_like_nec(first) {
        Some("nec")
    } else {
        None
    };
    match name {
        Some(n) => Format::by_name(n),
        None => Err(format!(
            "cannot recognise the format (tried {}); name it with --format",
            DETECTABLE.join(", ")
        )),
    }
}

/// Splits a simple quoted CSV line (enough for recognition, not parsing).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn is_int(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// cdr_csv: 16–21 columns; start, answer, end at 10–12; duration and
/// billsec numbers; a disposition word at 15.
fn looks_like_asterisk(line: &str) -> bool {
    let f = csv_fields(line);
    (16..=21).contains(&f.len())
        && is_datetime(&f[9])
        && (f[10].is_empty() || is_datetime(&f[10]))
        && is_datetime(&f[11])
        && is_int(&f[12])
        && is_int(&f[13])
        && ["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"].contains(&f[14].as_str())
}

/// mod_cdr_csv's "example" template: 15 columns, stamps at 5–7, a uuid at 11.
fn looks_like_freeswitch_example(line: &str) -> bool {
    let f = csv_fields(line);
    f.len() == 15
        && is_datetime(&f[4])
        && (f[5].is_empty() || is_datetime(&f[5]))
        && is_datetime(&f[6])
        && is_int(&f[7])
        && is_int(&f[8])
        && f[10].len() == 36
        && f[10].bytes().filter(|b| *b == b'-').count() == 4
}

/// NEC SMDR: an optional two-byte address, then `K` and a record kind.
fn looks_like_nec(line: &str) -> bool {
    let body = line.trim_start_matches(['\u{2}']);
    let body = if body.get(1..2) == Some("!") { &body[2..] } else { body };
    let b = body.as_bytes();
    b.len() > 20
        && b[0] == b'K'
        && b[1].is_ascii_uppercase()
        && b[2..6].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../../samples/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn recognises_the_samples() {
        for (file, name) in [
            ("cucm/cdr_example.txt", "cucm"),
            ("cucm/cmr_example.txt", "cucm"),
            ("asterisk/Master.csv", "asterisk"),
            ("freeswitch/Master.csv", "freeswitch-csv:example"),
            ("nec/KKrecord.smdr", "nec"),
            ("nec/KLrecord.smdr", "nec"),
            ("nec/KMrecord.smdr", "nec"),
        ] {
            assert_eq!(detect(&sample(file)).unwrap().name(), name, "{file}");
        }
        let json = br#"{"core-uuid":"x","variables":{"uuid":"y"}}"#;
        assert_eq!(detect(json).unwrap().name(), "freeswitch-json");
    }

    #[test]
    fn unrecognised_input_names_what_was_tried() {
        assert_eq!(
            detect(b"hello world\n").unwrap_err(),
            "cannot recognise the format (tried cucm, freeswitch-json, asterisk, freeswitch-csv, nec); name it with --format"
        );
        assert!(detect(b"").is_err());
        assert!(detect(&[0xff, 0xfe, 0x00]).is_err());
    }
}
