use std::borrow::Cow;

/// Undoes mod_json_cdr's `encode-values` (switch_url_encode: unsafe bytes
/// as `%XX`). A `+` stays a plus: FreeSWITCH writes it as `%2B` when
/// encoding, so a bare `+` (an E.164 number with encoding off) is literal.
/// A `%` not followed by two hex digits is kept as written.
pub(crate) fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| hex(*c));
            let lo = bytes.get(i + 2).and_then(|c| hex(*c));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_only() {
        assert_eq!(decode("2018-01-11%2011%3A25%3A44"), "2018-01-11 11:25:44");
        assert_eq!(decode("%2B4930123"), "+4930123");
        assert_eq!(decode("+4930123"), "+4930123");
        assert_eq!(decode("M%C3%BCller"), "Müller");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert!(matches!(decode("plain"), Cow::Borrowed(_)));
    }
}
