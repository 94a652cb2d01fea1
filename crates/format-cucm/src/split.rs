//! Cuts one CUCM line into its comma-separated, optionally double-quoted
//! fields. Hand-written rather than a general CSV reader because it is the
//! hottest loop of a CUCM import: fields are borrowed from the line itself
//! (a copy is made only for a field with a doubled quote), and quoted
//! fields are crossed with `memchr`. It reads exactly what `csv_core` reads
//! for any input (a property test checks that): doubled quotes inside
//! quotes stand for one, text after a closing quote joins the field, a
//! quote inside an unquoted field is a plain character.

use cdr::ParseError;

/// Where one field's bytes are: in the line, or in the unescape buffer.
#[derive(Clone, Copy)]
enum Span {
    Line(u32, u32),
    Unescaped(u32, u32),
}

/// Splits lines into fields; one per parser, reused line after line.
#[derive(Default)]
pub(crate) struct FieldSplitter {
    spans: Vec<Span>,
    /// Bytes of fields that needed unescaping, one after the other.
    unescaped: Vec<u8>,
}

/// The fields of one line, borrowed from the line and the splitter.
pub(crate) struct Fields<'a> {
    line: &'a [u8],
    unescaped: &'a [u8],
    spans: &'a [Span],
}

fn line_break() -> ParseError {
    ParseError::record("line break outside quotes inside one record")
}

impl FieldSplitter {
    /// Splits `raw` (one record, without its line terminator). A line break
    /// outside quotes means the framing handed over two records: an error,
    /// not a guess about which one was meant.
    pub(crate) fn split<'a>(&'a mut self, raw: &'a [u8]) -> Result<Fields<'a>, ParseError> {
        self.spans.clear();
        self.unescaped.clear();
        if raw.len() > u32::MAX as usize {
            return Err(ParseError::record("record too long"));
        }
        // Terminators before the record are tolerated (an empty record is no
        // record); so are terminators after it, outside quotes (below).
        let first = raw.iter().position(|b| !matches!(b, b'\r' | b'\n')).unwrap_or(raw.len());
        let line = &raw[first..];
        if line.is_empty() {
            return Ok(Fields { line, unescaped: &self.unescaped, spans: &self.spans });
        }
        let mut i = 0;
        loop {
            let (span, next) = if line[i] == b'"' {
                self.quoted(line, i + 1)?
            } else {
                // Most fields are a few digits: a plain loop beats memchr's
                // set-up cost here.
                match line[i..].iter().position(|&b| matches!(b, b',' | b'\n' | b'\r')) {
                    None => (Span::Line(i as u32, line.len() as u32), line.len()),
                    Some(k) if line[i + k] == b',' => (Span::Line(i as u32, (i + k) as u32), i + k),
                    Some(k) => {
                        let end = terminated(line, i + k, line.len())?;
                        (Span::Line(i as u32, end as u32), line.len())
                    }
                }
            };
            self.spans.push(span);
            if next >= line.len() {
                break;
            }
            // `next` is at a comma: a field follows, empty if the line ends.
            i = next + 1;
            if i == line.len() {
                self.spans.push(Span::Line(i as u32, i as u32));
                break;
            }
        }
        Ok(Fields { line, unescaped: &self.unescaped, spans: &self.spans })
    }

    /// A field whose opening quote is just before `start`; returns its span
    /// and the offset of the comma (or end of line) after it.
    fn quoted(&mut self, line: &[u8], start: usize) -> Result<(Span, usize), ParseError> {
        let mut from = start;
        let mut copy: Option<usize> = None; // offset in `unescaped` once copying
        let end_of_quotes = loop {
            let Some(k) = line[from..].iter().position(|&b| b == b'"') else {
                // Unterminated: the rest of the line is the field.
                if copy.is_some() {
                    self.unescaped.extend_from_slice(&line[from..]);
                }
                break None;
            };
            let q = from + k;
            if line.get(q + 1) == Some(&b'"') {
                // A doubled quote stands for one: from here on the field is
                // copied without the second quote.
                copy.get_or_insert(self.unescaped.len());
                self.unescaped.extend_from_slice(&line[from..=q]);
                from = q + 2;
                continue;
            }
            if copy.is_some() {
                self.unescaped.extend_from_slice(&line[from..q]);
            }
            break Some(q);
        };
        let Some(close) = end_of_quotes else {
            let span = match copy {
                Some(c) => Span::Unescaped(c as u32, self.unescaped.len() as u32),
                None => Span::Line(start as u32, line.len() as u32),
            };
            return Ok((span, line.len()));
        };
        // Text between the closing quote and the next comma joins the field.
        let after = close + 1;
        let end = memchr::memchr(b',', &line[after..]).map_or(line.len(), |k| after + k);
        if end == after {
            let span = match copy {
                Some(c) => Span::Unescaped(c as u32, self.unescaped.len() as u32),
                None => Span::Line(start as u32, close as u32),
            };
            return Ok((span, end));
        }
        let text_end = terminated(line, after, end)?;
        let end = if text_end < end { line.len() } else { end };
        if text_end == after {
            let span = match copy {
                Some(c) => Span::Unescaped(c as u32, self.unescaped.len() as u32),
                None => Span::Line(start as u32, close as u32),
            };
            return Ok((span, end));
        }
        let c = match copy {
            Some(c) => c,
            None => {
                let c = self.unescaped.len();
                self.unescaped.extend_from_slice(&line[start..close]);
                c
            }
        };
        self.unescaped.extend_from_slice(&line[after..text_end]);
        Ok((Span::Unescaped(c as u32, self.unescaped.len() as u32), end))
    }
}

/// Where unquoted text in `line[from..to]` ends: `to`, or the first line
/// break when only line breaks follow it (the record's terminator); a line
/// break with more after it is an error.
fn terminated(line: &[u8], from: usize, to: usize) -> Result<usize, ParseError> {
    match memchr::memchr2(b'\n', b'\r', &line[from..to]) {
        None => Ok(to),
        Some(k) if line[from + k..].iter().all(|b| matches!(b, b'\r' | b'\n')) => Ok(from + k),
        Some(_) => Err(line_break()),
    }
}

impl<'a> Fields<'a> {
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The unescaped bytes of field `index` (empty when out of range, which
    /// callers rule out by checking the column count first).
    pub(crate) fn get(&self, index: usize) -> &'a [u8] {
        match self.spans.get(index) {
            Some(Span::Line(s, e)) => self.line.get(*s as usize..*e as usize).unwrap_or_default(),
            Some(Span::Unescaped(s, e)) => {
                self.unescaped.get(*s as usize..*e as usize).unwrap_or_default()
            }
            None => b"",
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(raw: &[u8]) -> Result<Vec<String>, ParseError> {
        let mut splitter = FieldSplitter::default();
        let fields = splitter.split(raw)?;
        Ok(fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect())
    }

    #[test]
    fn quoted_and_bare_fields() {
        assert_eq!(
            split(br#"1,"a,b","",,"say ""hi""""#).unwrap(),
            ["1", "a,b", "", "", "say \"hi\""]
        );
        assert_eq!(split(b"a,").unwrap(), ["a", ""]);
        assert_eq!(split(b",").unwrap(), ["", ""]);
        assert_eq!(split(br#""ab"cd,x"#).unwrap(), ["abcd", "x"]);
        assert_eq!(split(br#"ab"c,"un"#).unwrap(), ["ab\"c", "un"]);
        assert!(split(b"").unwrap().is_empty());
    }

    #[test]
    fn line_break_inside_quotes_is_part_of_the_field() {
        assert_eq!(split(b"1,\"two\nlines\",3").unwrap(), ["1", "two\nlines", "3"]);
    }

    #[test]
    fn trailing_terminator_is_tolerated_but_a_second_record_is_not() {
        assert_eq!(split(b"1,2\r").unwrap(), ["1", "2"]);
        assert_eq!(split(b"1,2\r\n").unwrap(), ["1", "2"]);
        assert_eq!(
            split(b"1,2\n3,4").unwrap_err().to_string(),
            "line break outside quotes inside one record"
        );
    }

    #[test]
    fn buffers_are_reused_across_lines() {
        let mut splitter = FieldSplitter::default();
        assert_eq!(splitter.split(b"a,b,c,d,e,f").unwrap().len(), 6);
        let fields = splitter.split(b"x,y").unwrap();
        assert_eq!((fields.len(), fields.get(1)), (2, &b"y"[..]));
        assert_eq!(fields.get(7), b"");
    }

    /// The `csv_core` record reader this splitter replaced, kept as the
    /// reference it must agree with: the fields, or `None` for an error.
    fn csv_core_fields(raw: &[u8]) -> Option<Vec<Vec<u8>>> {
        use csv_core::{ReadRecordResult, Reader};
        let mut reader = Reader::new();
        let mut output = vec![0u8; raw.len() + 1];
        let mut ends = vec![0usize; raw.len() + 2];
        let (result, read, written, ended) = reader.read_record(raw, &mut output, &mut ends);
        let count = match result {
            ReadRecordResult::Record => {
                if raw[read..].iter().any(|b| !matches!(b, b'\r' | b'\n')) {
                    return None;
                }
                ended
            }
            ReadRecordResult::InputEmpty => {
                match reader.read_record(&[], &mut output[written..], &mut ends[ended..]) {
                    (ReadRecordResult::Record, _, _, more) => ended + more,
                    (ReadRecordResult::End, ..) => ended,
                    _ => return None,
                }
            }
            ReadRecordResult::End => 0,
            _ => return None,
        };
        let mut fields = Vec::new();
        let mut start = 0;
        for &end in &ends[..count] {
            fields.push(output[start..end].to_vec());
            start = end;
        }
        Some(fields)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn reads_what_csv_core_reads(raw in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b','), proptest::strategy::Just(b'"'),
                proptest::strategy::Just(b'\n'), proptest::strategy::Just(b'\r'),
                proptest::strategy::Just(b'a'), proptest::strategy::Just(b'1'),
            ],
            0..40,
        )) {
            let mut splitter = FieldSplitter::default();
            let ours = splitter
                .split(&raw)
                .ok()
                .map(|f| f.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
            let reference = csv_core_fields(&raw);
            proptest::prop_assert_eq!(ours, reference, "{:?}", String::from_utf8_lossy(&raw));
        }
    }
}
