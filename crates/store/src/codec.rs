//! The `rec` column: everything about a call that is not one of the few
//! columns queries filter on, packed into one blob.
//!
//! Why: SQLite's insert cost grows with every bound column; a narrow row
//! (eight columns) stores about twice as fast as a row with a column per
//! field. The encoding is varints and length-prefixed strings: cheap to
//! write on the parsing thread, cheap to read, never ambiguous. It starts
//! with a version byte so the layout can evolve.

use cdr::Text;

pub const VERSION: u8 = 1;

/// Small magnitudes of either sign become small unsigned numbers.
fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    (z >> 1) as i64 ^ -((z & 1) as i64)
}

pub struct Writer(pub Vec<u8>);

impl Writer {
    /// A writer reusing `buffer`'s allocation (its content is dropped).
    pub fn with_buffer(buffer: Vec<u8>) -> Self {
        Self::versioned(buffer, VERSION)
    }
    /// A writer reusing `buffer`'s allocation, starting with `version`.
    pub fn versioned(mut buffer: Vec<u8>, version: u8) -> Self {
        buffer.clear();
        buffer.push(version);
        Writer(buffer)
    }
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }
    pub fn int(&mut self, n: i64) {
        self.uint(zigzag(n));
    }
    /// An optional number: 0 for none, its zigzag form + 1 otherwise (ids
    /// and time offsets; `i64::MIN` is out of range and reads back as
    /// `i64::MAX`).
    pub fn opt(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.uint(zigzag(v).saturating_add(1)),
            None => self.uint(0),
        }
    }
    pub fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

pub struct Reader<'a>(pub &'a [u8]);

fn corrupt() -> String {
    "corrupt call record".to_string()
}

impl Reader<'_> {
    pub fn start(blob: &[u8]) -> Result<Reader<'_>, String> {
        match blob.split_first() {
            Some((&VERSION, rest)) => Ok(Reader(rest)),
            Some((v, _)) => Err(format!("call record version {v} is unknown")),
            None => Err(corrupt()),
        }
    }
    /// A reader of a blob that starts with any version byte, and that
    /// byte (for layouts that read several versions).
    pub fn start_versioned(blob: &[u8]) -> Result<(u8, Reader<'_>), String> {
        match blob.split_first() {
            Some((&v, rest)) => Ok((v, Reader(rest))),
            None => Err(corrupt()),
        }
    }
    pub fn u8(&mut self) -> Result<u8, String> {
        let (&b, rest) = self.0.split_first().ok_or_else(corrupt)?;
        self.0 = rest;
        Ok(b)
    }
    pub fn uint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(corrupt())
    }
    pub fn int(&mut self) -> Result<i64, String> {
        Ok(unzigzag(self.uint()?))
    }
    pub fn opt(&mut self) -> Result<Option<i64>, String> {
        Ok(match self.uint()? {
            0 => None,
            z => Some(unzigzag(z - 1)),
        })
    }
    pub fn skip_str(&mut self) -> Result<(), String> {
        let n = usize::try_from(self.uint()?).map_err(|_| corrupt())?;
        self.0 = self.0.get(n..).ok_or_else(corrupt)?;
        Ok(())
    }
    pub fn str(&mut self) -> Result<Text, String> {
        let n = usize::try_from(self.uint()?).map_err(|_| corrupt())?;
        if n > self.0.len() {
            return Err(corrupt());
        }
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(Text::from(std::str::from_utf8(s).map_err(|_| corrupt())?))
    }
}

impl Writer {
    /// Key/value pairs: a count, then each key and value.
    pub fn pairs(&mut self, pairs: &[(Text, Text)]) {
        self.uint(pairs.len() as u64);
        for (k, v) in pairs {
            self.str(k);
            self.str(v);
        }
    }
}

impl Reader<'_> {
    pub fn pairs(&mut self) -> Result<Vec<(Text, Text)>, String> {
        let n = self.uint()?;
        let mut out = Vec::new();
        for _ in 0..n {
            out.push((self.str()?, self.str()?));
        }
        Ok(out)
    }
}

/// Key/value pairs as a blob of their own (a version byte, then the
/// pairs); `None` when there are none.
pub fn encode_pairs(pairs: &[(Text, Text)]) -> Option<Vec<u8>> {
    if pairs.is_empty() {
        return None;
    }
    let mut w = Writer::with_buffer(Vec::new());
    w.pairs(pairs);
    Some(w.0)
}

pub fn decode_pairs(blob: Option<&[u8]>) -> Result<Vec<(Text, Text)>, String> {
    match blob {
        None => Ok(Vec::new()),
        Some(b) => Reader::start(b)?.pairs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let mut w = Writer::with_buffer(Vec::new());
        for v in [0, 1, -1, 300, -300, i64::MAX, i64::MIN + 1] {
            w.int(v);
            w.opt(Some(v));
        }
        w.int(i64::MIN);
        w.opt(None);
        w.str("5033466594");
        w.str("");
        let mut r = Reader::start(&w.0).unwrap();
        for v in [0, 1, -1, 300, -300, i64::MAX, i64::MIN + 1] {
            assert_eq!(r.int().unwrap(), v);
            assert_eq!(r.opt().unwrap(), Some(v));
        }
        assert_eq!(r.int().unwrap(), i64::MIN);
        assert_eq!(r.opt().unwrap(), None);
        assert_eq!(r.str().unwrap(), "5033466594");
        assert_eq!(r.str().unwrap(), "");
        assert!(r.u8().is_err(), "nothing left");
        assert!(Reader::start(&[9]).is_err());
        assert!(Reader::start(&[]).is_err());
    }
}
