//! Faults a run injects on purpose, by record index in the stream so that
//! a run's faults do not depend on how records are spread over
//! connections: links cut mid-record (`--drop-every`) and lines of binary
//! garbage (`--garbage-every`).

use std::num::NonZeroU64;

#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub drop_every: Option<NonZeroU64>,
    pub garbage_every: Option<NonZeroU64>,
    pub seed: u64,
}

impl Faults {
    /// Whether record `index` (from 0) is cut in half by a dropped link
    /// before it is sent whole: the last of every `drop_every` records.
    pub fn cuts(&self, index: u64) -> bool {
        self.drop_every.is_some_and(|n| (index + 1).is_multiple_of(n.get()))
    }

    /// Whether a garbage line goes before record `index`: after every
    /// `garbage_every` records, before the next one (so none after the
    /// last record of a run).
    pub fn garbage_before(&self, index: u64) -> bool {
        self.garbage_every.is_some_and(|n| index > 0 && index.is_multiple_of(n.get()))
    }

    /// The garbage line put before record `index`: 16 to 80 random bytes
    /// with at least one NUL and one byte that is never valid UTF-8, then
    /// CR LF. It holds no `\n` or `\r` (it is one line, whatever the
    /// framing) and no `"` (which would open a quoted field that swallows
    /// the following lines of a CSV format).
    pub fn garbage_line(&self, index: u64, out: &mut Vec<u8>) {
        let mut state = self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut next = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let len = 16 + (next() % 65) as usize;
        let start = out.len();
        out.extend((0..len).map(|_| match (next() & 0xFF) as u8 {
            b'\n' | b'\r' | b'"' => 0xFE,
            b => b,
        }));
        let body = &mut out[start..];
        let (nul, invalid) = ((next() as usize) % len, (next() as usize) % len);
        body[nul] = 0;
        if invalid != nul {
            body[invalid] = 0xFF;
        } else {
            body[(nul + 1) % len] = 0xFF;
        }
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(n: u64) -> Option<NonZeroU64> {
        NonZeroU64::new(n)
    }

    #[test]
    fn faults_fall_on_fixed_record_indexes() {
        let faults = Faults { drop_every: every(100), garbage_every: every(50), seed: 1 };
        let cut: Vec<u64> = (0..2000).filter(|i| faults.cuts(*i)).collect();
        assert_eq!(cut.len(), 20);
        assert_eq!(cut[..2], [99, 199]);
        let garbage: Vec<u64> = (0..2000).filter(|i| faults.garbage_before(*i)).collect();
        assert_eq!(garbage.len(), 39);
        assert_eq!((garbage[0], garbage[38]), (50, 1950));
        let none = Faults::default();
        assert!(!(0..1000).any(|i| none.cuts(i) || none.garbage_before(i)));
    }

    #[test]
    fn garbage_is_one_binary_line() {
        let faults = Faults { seed: 7, ..Faults::default() };
        for index in 0..500 {
            let mut line = Vec::new();
            faults.garbage_line(index, &mut line);
            let body = line.strip_suffix(b"\r\n").unwrap();
            assert!((16..=80).contains(&body.len()));
            assert!(body.contains(&0) && body.contains(&0xFF));
            assert!(!body.iter().any(|b| matches!(b, b'\n' | b'\r' | b'"')));
            assert!(std::str::from_utf8(body).is_err());
        }
    }
}
