//! Cutting one raw record into its source fields, without copying unless
//! a quoted CSV field holds doubled quotes.

use cdr::ParseError;

/// Where a field's bytes are: in the raw record, or in the scratch buffer
/// (an unescaped quoted CSV field).
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    in_scratch: bool,
}

/// The fields of the record being parsed; reused from record to record.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    spans: Vec<Span>,
    scratch: Vec<u8>,
}

impl Fields {
    fn clear(&mut self) {
        self.spans.clear();
        self.scratch.clear();
    }

    pub(crate) fn count(&self) -> usize {
        self.spans.len()
    }

    /// Field `index` of `raw`, blanks trimmed; a field the record does not
    /// have reads as empty.
    pub(crate) fn get<'a>(&'a self, raw: &'a [u8], index: usize) -> &'a [u8] {
        let Some(span) = self.spans.get(index) else { return b"" };
        let source = if span.in_scratch { &self.scratch[..] } else { raw };
        cdr::text::trim(source.get(span.start..span.end).unwrap_or_default())
    }

    /// CSV with one-byte delimiter and optional quote byte; a doubled quote
    /// inside a quoted field is one quote.
    pub(crate) fn split_csv(
        &mut self,
        raw: &[u8],
        delimiter: u8,
        quote: Option<u8>,
    ) -> Result<(), ParseError> {
        self.clear();
        let mut pos = 0;
        loop {
            let quoted = quote.filter(|q| raw.get(pos) == Some(q));
            let next = match quoted {
                Some(q) => self.quoted_field(raw, pos + 1, delimiter, q)?,
                None => {
                    let end = memchr(delimiter, raw, pos).unwrap_or(raw.len());
                    self.spans.push(Span { start: pos, end, in_scratch: false });
                    end
                }
            };
            if next >= raw.len() {
                return Ok(());
            }
            pos = next + 1; // past the delimiter
        }
    }

    /// Reads a quoted field whose content starts at `start`; returns the
    /// position of the delimiter after it (or the end of the record).
    fn quoted_field(
        &mut self,
        raw: &[u8],
        start: usize,
        delimiter: u8,
        quote: u8,
    ) -> Result<usize, ParseError> {
        let mut pos = start;
        let mut copy_from: Option<usize> = None; // scratch start once unescaping
        loop {
            let Some(q) = memchr(quote, raw, pos) else {
                return Err(ParseError::record("quoted field has no closing quote"));
            };
            if raw.get(q + 1) == Some(&quote) {
                // Doubled quote: keep one, continue in the scratch copy.
                copy_from.get_or_insert(self.scratch.len());
                self.scratch.extend_from_slice(raw.get(pos..=q).unwrap_or_default());
                pos = q + 2;
                continue;
            }
            // Closing quote. Anything up to the delimiter is kept as written.
            let end = memchr(delimiter, raw, q + 1).unwrap_or(raw.len());
            let trailing = raw.get(q + 1..end).unwrap_or_default();
            match copy_from {
                None if trailing.is_empty() => {
                    self.spans.push(Span { start, end: q, in_scratch: false });
                }
                from => {
                    let from = from.unwrap_or(self.scratch.len());
                    self.scratch.extend_from_slice(raw.get(pos..q).unwrap_or_default());
                    self.scratch.extend_from_slice(trailing);
                    self.spans.push(Span {
                        start: from,
                        end: self.scratch.len(),
                        in_scratch: true,
                    });
                }
            }
            return Ok(end);
        }
    }

    /// Fixed columns: `(start, end)` byte ranges, clipped to the record.
    pub(crate) fn split_fixed(&mut self, raw: &[u8], ranges: &[(usize, usize)]) {
        self.clear();
        for &(start, end) in ranges {
            let start = start.min(raw.len());
            let end = end.min(raw.len());
            self.spans.push(Span { start, end, in_scratch: false });
        }
    }

    /// Capture groups 1.. of a regex match; a group that did not take part
    /// reads as empty.
    pub(crate) fn split_captures(&mut self, locations: &regex::bytes::CaptureLocations) {
        self.clear();
        for group in 1..locations.len() {
            let (start, end) = locations.get(group).unwrap_or((0, 0));
            self.spans.push(Span { start, end, in_scratch: false });
        }
    }
}

fn memchr(needle: u8, haystack: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.iter().position(|b| *b == needle).map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(raw: &str) -> Vec<String> {
        let mut f = Fields::default();
        f.split_csv(raw.as_bytes(), b',', Some(b'"')).unwrap();
        (0..f.count())
            .map(|i| String::from_utf8_lossy(f.get(raw.as_bytes(), i)).into_owned())
            .collect()
    }

    #[test]
    fn csv_fields_unquote_and_unescape() {
        assert_eq!(csv("a,b,,c"), ["a", "b", "", "c"]);
        assert_eq!(csv("a,"), ["a", ""]);
        assert_eq!(csv(""), [""]);
        assert_eq!(csv(r#""x,y",z"#), ["x,y", "z"]);
        assert_eq!(csv(r#""say ""hi""",2"#), [r#"say "hi""#, "2"]);
        assert_eq!(csv(r#""a"b,c"#), ["ab", "c"]);
        assert_eq!(csv("\"multi\nline\",1"), ["multi\nline", "1"]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let mut f = Fields::default();
        let e = f.split_csv(br#"a,"open"#, b',', Some(b'"')).unwrap_err();
        assert_eq!(e.to_string(), "quoted field has no closing quote");
    }

    #[test]
    fn fixed_fields_are_clipped() {
        let mut f = Fields::default();
        f.split_fixed(b"abcdef", &[(0, 2), (4, 10), (8, 9)]);
        assert_eq!(f.get(b"abcdef", 0), b"ab");
        assert_eq!(f.get(b"abcdef", 1), b"ef");
        assert_eq!(f.get(b"abcdef", 2), b"");
        assert_eq!(f.get(b"abcdef", 3), b"");
    }
}
