//! Cutting a byte stream into raw records, as a parser's [`Framing`] asks.

use cdr::Framing;
use std::io::{self, BufRead};

/// Reads raw records one at a time into a reused buffer, counting lines so
/// every record knows where it started.
pub struct RecordReader<R> {
    input: R,
    framing: Framing,
    /// Line the next record starts on (1-based).
    next_line: u64,
    /// For `Document` framing: the records split out of the input.
    documents: Option<std::vec::IntoIter<(u64, Vec<u8>)>>,
}

impl<R: BufRead> RecordReader<R> {
    pub fn new(input: R, framing: Framing) -> Self {
        RecordReader { input, framing, next_line: 1, documents: None }
    }

    /// Changes the framing from the next record on (a parser may only know
    /// its framing after it has been created from the first bytes).
    pub fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
    }

    /// Reads the next record into `buf` (without its line terminator) and
    /// returns the line it starts on; `None` at the end of the input.
    pub fn next_record(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<u64>> {
        buf.clear();
        match self.framing {
            Framing::Lines => self.line(buf),
            Framing::QuotedLines => self.quoted_line(buf),
            Framing::Document => self.document(buf),
        }
    }

    fn line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<u64>> {
        let n = self.input.read_until(b'\n', buf)?;
        if n == 0 {
            return Ok(None);
        }
        let line = self.next_line;
        self.next_line += 1;
        strip_terminator(buf);
        Ok(Some(line))
    }

    fn quoted_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<u64>> {
        let Some(line) = self.line(buf)? else { return Ok(None) };
        // An odd number of quotes so far means a quoted field goes on past
        // the newline: the record continues on the next line.
        let mut quotes = memchr::memchr_iter(b'"', buf).count();
        while quotes % 2 == 1 {
            let start = buf.len();
            buf.push(b'\n');
            if self.input.read_until(b'\n', buf)? == 0 {
                buf.truncate(start);
                break;
            }
            self.next_line += 1;
            strip_terminator(buf);
            quotes += memchr::memchr_iter(b'"', &buf[start..]).count();
        }
        Ok(Some(line))
    }

    fn document(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<u64>> {
        if self.documents.is_none() {
            let mut all = Vec::new();
            self.input.read_to_end(&mut all)?;
            self.documents = Some(split_documents(all).into_iter());
        }
        match self.documents.as_mut().and_then(Iterator::next) {
            Some((line, doc)) => {
                *buf = doc;
                Ok(Some(line))
            }
            None => Ok(None),
        }
    }
}

fn strip_terminator(buf: &mut Vec<u8>) {
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
}

/// One JSON document per input, or one per line (JSON Lines) when every
/// non-blank line is a whole object on its own.
fn split_documents(all: Vec<u8>) -> Vec<(u64, Vec<u8>)> {
    let lines: Vec<(u64, &[u8])> = all
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, cdr::text::trim(l)))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let one_per_line = lines.len() > 1
        && lines.iter().all(|(_, l)| l.first() == Some(&b'{') && l.last() == Some(&b'}'));
    if one_per_line {
        return lines.into_iter().map(|(n, l)| (n, l.to_vec())).collect();
    }
    if cdr::text::trim(&all).is_empty() {
        return Vec::new();
    }
    let first = lines.first().map_or(1, |(n, _)| *n);
    vec![(first, all)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str, framing: Framing) -> Vec<(u64, String)> {
        let mut r = RecordReader::new(input.as_bytes(), framing);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = r.next_record(&mut buf).unwrap() {
            out.push((line, String::from_utf8(buf.clone()).unwrap()));
        }
        out
    }

    #[test]
    fn lines_drop_crlf_and_count() {
        assert_eq!(
            records("a\r\nb\n\nc", Framing::Lines),
            vec![(1, "a".into()), (2, "b".into()), (3, "".into()), (4, "c".into())]
        );
    }

    #[test]
    fn quoted_newlines_stay_in_the_record() {
        assert_eq!(
            records("\"x\",\"multi\nline\"\n\"y\"\n", Framing::QuotedLines),
            vec![(1, "\"x\",\"multi\nline\"".into()), (3, "\"y\"".into())]
        );
        // An unterminated quote at the end of input ends the record.
        assert_eq!(records("\"open\nrest", Framing::QuotedLines), vec![(1, "\"open\nrest".into())]);
    }

    #[test]
    fn documents_whole_or_one_per_line() {
        assert_eq!(records("{\n \"a\": 1\n}\n", Framing::Document).len(), 1);
        assert_eq!(
            records("{\"a\":1}\n\n{\"a\":2}\n", Framing::Document),
            vec![(1, "{\"a\":1}".into()), (3, "{\"a\":2}".into())]
        );
        assert!(records("  \n", Framing::Document).is_empty());
    }
}
