use cdr::ParseError;
use csv_core::{ReadRecordResult, Reader};

/// Splits one CSV line into unescaped fields, reusing its buffers from line
/// to line so that a record costs no allocation once warmed up.
pub(crate) struct FieldSplitter {
    reader: Reader,
    output: Vec<u8>,
    ends: Vec<usize>,
    count: usize,
}

impl FieldSplitter {
    pub fn new() -> Self {
        FieldSplitter { reader: Reader::new(), output: Vec::new(), ends: Vec::new(), count: 0 }
    }

    /// Splits `raw` (one record, without its line terminator) and returns
    /// the number of fields.
    pub fn split(&mut self, raw: &[u8]) -> Result<usize, ParseError> {
        self.reader.reset();
        // Unescaping never lengthens a field, and a line has at most one
        // more field than it has bytes.
        self.output.resize(raw.len() + 1, 0);
        self.ends.resize(raw.len() + 2, 0);
        let (mut input, mut written, mut count) = (raw, 0, 0);
        loop {
            let (result, read, out, ends) = self.reader.read_record(
                input,
                self.output.get_mut(written..).unwrap_or_default(),
                self.ends.get_mut(count..).unwrap_or_default(),
            );
            input = input.get(read..).unwrap_or_default();
            written += out;
            count += ends;
            match result {
                ReadRecordResult::InputEmpty => continue,
                ReadRecordResult::Record => break,
                ReadRecordResult::End => break,
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    return Err(ParseError::record("record too large to split"));
                }
            }
        }
        if !cdr::text::trim(input).is_empty() {
            return Err(ParseError::record("line break outside quotes inside the record"));
        }
        self.count = count;
        Ok(count)
    }

    /// The unescaped bytes of field `i` of the last split record (empty when
    /// there is no such field).
    pub fn get(&self, i: usize) -> &[u8] {
        if i >= self.count {
            return &[];
        }
        let start = if i == 0 { 0 } else { self.ends.get(i - 1).copied().unwrap_or(0) };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.output.get(start..end).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(raw: &str) -> Vec<String> {
        let mut s = FieldSplitter::new();
        let n = s.split(raw.as_bytes()).unwrap();
        (0..n).map(|i| String::from_utf8_lossy(s.get(i)).into_owned()).collect()
    }

    #[test]
    fn quoted_commas_and_doubled_quotes_stay_inside_their_field() {
        assert_eq!(split(r#""a,b","""Al"" <1>",,7,"x""#), vec!["a,b", "\"Al\" <1>", "", "7", "x"]);
        assert_eq!(split("\"multi\nline\",2"), vec!["multi\nline", "2"]);
        assert_eq!(split(""), Vec::<String>::new());
    }

    #[test]
    fn a_second_line_is_an_error() {
        let mut s = FieldSplitter::new();
        assert!(s.split(b"a,b\nc,d").is_err());
        assert_eq!(s.split(b"a,b\r\n").unwrap(), 2);
    }
}
