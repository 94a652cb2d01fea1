//! Cuts one CUCM line into its comma-separated, optionally double-quoted
//! fields with `csv_core`, reusing the same buffers for every line so the
//! hot path allocates nothing.

use cdr::ParseError;
use csv_core::{ReadRecordResult, Reader};

/// Splits lines into fields; one per parser, reused line after line.
pub(crate) struct FieldSplitter {
    reader: Reader,
    /// Unescaped field bytes, one field after the other.
    output: Vec<u8>,
    /// End offset of each field in `output`.
    ends: Vec<usize>,
}

/// The fields of one line, borrowed from the splitter's buffers.
pub(crate) struct Fields<'a> {
    output: &'a [u8],
    ends: &'a [usize],
}

impl Default for FieldSplitter {
    fn default() -> Self {
        FieldSplitter { reader: Reader::new(), output: Vec::new(), ends: Vec::new() }
    }
}

impl FieldSplitter {
    /// Splits `raw` (one record, without its line terminator). A line break
    /// outside quotes means the framing handed over two records: an error,
    /// not a guess about which one was meant.
    pub(crate) fn split(&mut self, raw: &[u8]) -> Result<Fields<'_>, ParseError> {
        self.reader.reset();
        // Unescaping only shrinks a field, and every field but the last ends
        // at a comma: buffers this large can never fill up.
        if self.output.len() < raw.len() {
            self.output.resize(raw.len(), 0);
        }
        if self.ends.len() < raw.len() + 2 {
            self.ends.resize(raw.len() + 2, 0);
        }
        let (result, read, written, ended) =
            self.reader.read_record(raw, &mut self.output, &mut self.ends);
        let count = match result {
            ReadRecordResult::Record => {
                let rest = raw.get(read..).unwrap_or_default();
                if rest.iter().any(|b| !matches!(b, b'\r' | b'\n')) {
                    return Err(ParseError::record("line break outside quotes inside one record"));
                }
                ended
            }
            ReadRecordResult::InputEmpty => {
                // The last field ends with the input: an empty read closes it.
                let output = self.output.get_mut(written..).unwrap_or_default();
                let ends = self.ends.get_mut(ended..).unwrap_or_default();
                match self.reader.read_record(&[], output, ends) {
                    (ReadRecordResult::Record, _, _, more) => ended + more,
                    (ReadRecordResult::End, ..) => ended,
                    _ => return Err(ParseError::record("record could not be split into fields")),
                }
            }
            ReadRecordResult::End => 0,
            ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                return Err(ParseError::record("record could not be split into fields"));
            }
        };
        let ends = self.ends.get(..count).unwrap_or_default();
        Ok(Fields { output: &self.output, ends })
    }
}

impl<'a> Fields<'a> {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The unescaped bytes of field `index` (empty when out of range, which
    /// callers rule out by checking the column count first).
    pub(crate) fn get(&self, index: usize) -> &'a [u8] {
        let end = self.ends.get(index).copied().unwrap_or(0);
        let start = match index.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(end),
            None => 0,
        };
        self.output.get(start..end).unwrap_or_default()
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
}
