//! Cutting a connection's byte stream into whole records before they are
//! journaled, so that every journal entry holds whole records and reading
//! can resume at any entry (see `journal`).
//!
//! A PBX writes records back to back, and a read returns whatever the
//! network delivered: the end of one record, several records, the start of
//! the next. The framer keeps the incomplete tail until the rest arrives.
//! A stream that never ends a record (binary garbage, a wrong port) must
//! not grow memory without bound: past `max_record` bytes the tail is
//! handed on as it is, to be quarantined by the parser, and the
//! connection goes on.

/// How records end in a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFraming {
    /// A record ends at `\n` (a `\r` before it stays part of the record;
    /// parsers drop it).
    Lines,
    /// Like `Lines`, but a `\n` inside a double-quoted field does not end
    /// the record (CSV).
    QuotedLines,
}

/// The records found in a read, as a byte range of the framer's buffer.
#[derive(Debug)]
pub struct LineFramer {
    framing: StreamFraming,
    max_record: usize,
    /// Bytes received and not yet handed on.
    pending: Vec<u8>,
    /// Bytes of `pending` already scanned for an end of record.
    scanned: usize,
    /// Inside a quoted field at `scanned` (QuotedLines).
    in_quotes: bool,
}

impl LineFramer {
    pub fn new(framing: StreamFraming, max_record: usize) -> LineFramer {
        LineFramer { framing, max_record, pending: Vec::new(), scanned: 0, in_quotes: false }
    }

    /// Adds bytes just read; returns the whole records now complete (each
    /// with its terminator), possibly none. What follows the last complete
    /// record stays pending; if it is longer than `max_record`, it is
    /// returned as it is (an overlong or endless record).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let end = self.last_record_end();
        if end > 0 {
            return self.take(end);
        }
        if self.pending.len() > self.max_record {
            let all = self.pending.len();
            self.in_quotes = false;
            return self.take(all);
        }
        Vec::new()
    }

    /// What is left when the connection closes: an incomplete record, or
    /// nothing.
    pub fn finish(&mut self) -> Vec<u8> {
        self.in_quotes = false;
        let all = self.pending.len();
        self.take(all)
    }

    /// Bytes waiting for the end of their record.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Scans the new bytes; returns the end (exclusive) of the last
    /// complete record in `pending`, 0 if none.
    fn last_record_end(&mut self) -> usize {
        let mut end = 0;
        let start = self.scanned;
        match self.framing {
            StreamFraming::Lines => {
                if let Some(i) = self.pending[start..].iter().rposition(|&b| b == b'\n') {
                    end = start + i + 1;
                }
            }
            StreamFraming::QuotedLines => {
                for (i, &b) in self.pending[start..].iter().enumerate() {
                    match b {
                        b'"' => self.in_quotes = !self.in_quotes,
                        b'\n' if !self.in_quotes => end = start + i + 1,
                        _ => {}
                    }
                }
            }
        }
        self.scanned = self.pending.len();
        end
    }

    fn take(&mut self, end: usize) -> Vec<u8> {
        let rest = self.pending.split_off(end);
        let taken = std::mem::replace(&mut self.pending, rest);
        self.scanned = self.pending.len();
        if self.framing == StreamFraming::QuotedLines && end > 0 {
            // The quote state after the records taken is that of the rest,
            // scanned again from its start.
            self.in_quotes = false;
            self.scanned = 0;
            let _ = self.last_record_end();
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `reads` one by one; returns what each push handed on, then
    /// what `finish` left.
    fn frame(framing: StreamFraming, max: usize, reads: &[&str]) -> (Vec<String>, String) {
        let mut framer = LineFramer::new(framing, max);
        let out =
            reads.iter().map(|r| String::from_utf8(framer.push(r.as_bytes())).unwrap()).collect();
        (out, String::from_utf8(framer.finish()).unwrap())
    }

    #[test]
    fn records_are_handed_on_whole_whatever_the_reads() {
        let cases: &[(&[&str], &[&str], &str)] = &[
            (&["a\r\nb\r\n"], &["a\r\nb\r\n"], ""),
            (&["a\r", "\nb", "c\n", "d"], &["", "a\r\n", "bc\n", ""], "d"),
            (&["", "x"], &["", ""], "x"),
            (&["1\n2\n3", "\n"], &["1\n2\n", "3\n"], ""),
        ];
        for (reads, expected, left) in cases {
            let (out, rest) = frame(StreamFraming::Lines, 100, reads);
            assert_eq!(out, *expected, "{reads:?}");
            assert_eq!(rest, *left, "{reads:?}");
        }
    }

    #[test]
    fn a_newline_inside_quotes_does_not_end_a_csv_record() {
        let reads = ["\"a\nb\",1\n\"c", "\n\",2\n", "x"];
        let (out, rest) = frame(StreamFraming::QuotedLines, 100, &reads);
        assert_eq!(out, ["\"a\nb\",1\n", "\"c\n\",2\n", ""]);
        assert_eq!(rest, "x");
    }

    #[test]
    fn an_endless_record_is_handed_on_past_the_limit() {
        let (out, rest) = frame(StreamFraming::Lines, 8, &["0123", "45678", "9\nok\n"]);
        assert_eq!(out, ["", "012345678", "9\nok\n"]);
        assert_eq!(rest, "");
    }
}
