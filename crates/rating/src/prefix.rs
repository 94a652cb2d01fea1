//! Longest-prefix lookup of dialled numbers.
//!
//! Structure: per tariff version, a sorted array of packed prefixes plus,
//! for each prefix, the index of its longest proper prefix in the same set
//! ("parent"). A number is looked up by one binary search for the greatest
//! prefix ≤ the number, then a walk up the parent links until one is a
//! prefix of the number. Why this and not per-length hash maps or a trie:
//! - Any prefix of the number sorts between itself and the number, so it is
//!   an ancestor of that greatest entry: the walk is exact and short (its
//!   depth is the nesting of prefixes, rarely more than 3).
//! - 16 bytes per prefix (8-byte key, destination, parent), contiguous:
//!   1,000,000 prefixes take 16 MB. A 257-entry index on the first two
//!   digits narrows the binary search to a few entries, so a lookup
//!   touches about three cache lines even when the table is cold (calls
//!   of 1,000 carriers interleaved).
//!   Hash maps per length cost one probe per distinct length (8–12 random
//!   memory accesses on a big table), and a 10-way trie costs ~40 bytes per
//!   node and one dependent load per digit.
//! - Building is a sort (1,000,000 prefixes in well under a second) and the
//!   order is the canonical order for export.
//!
//! Packing: up to 16 digits, each stored as digit + 1 in a 4-bit nibble,
//! left-aligned, unused nibbles zero. Comparing keys as integers then
//! compares digit strings lexicographically, a prefix sorting before its
//! extensions.

use std::fmt;

/// Longest prefix (and number part) that takes part in matching.
pub const MAX_PREFIX_DIGITS: usize = 16;

const NO_PARENT: u32 = u32::MAX;

/// 1 to 16 digits, packed (see the module comment).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix(u64);

impl Prefix {
    /// A prefix as written in a tariff: 1 to 16 ASCII digits.
    pub fn parse(digits: &str) -> Option<Prefix> {
        if digits.is_empty() || digits.len() > MAX_PREFIX_DIGITS {
            return None;
        }
        pack(digits.as_bytes())
    }

    /// Number of digits.
    pub fn len(self) -> usize {
        MAX_PREFIX_DIGITS - (self.0.trailing_zeros() / 4) as usize
    }

    /// Never true for a parsed prefix; present for the `len` convention.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn is_prefix_of(self, number: NumberKey) -> bool {
        let mask = !0u64 << (64 - 4 * self.len() as u32);
        number.0 & mask == self.0
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = [0u8; MAX_PREFIX_DIGITS];
        let len = self.len();
        for (i, slot) in buffer.iter_mut().enumerate().take(len) {
            let nibble = (self.0 >> (60 - 4 * i)) & 0xF;
            *slot = b'0' + nibble as u8 - 1;
        }
        f.write_str(std::str::from_utf8(&buffer[..len]).unwrap_or("?"))
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prefix({self})")
    }
}

/// A dialled number packed like a prefix; only its first 16 digits matter
/// for matching.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NumberKey(u64);

impl NumberKey {
    /// Digits with an optional leading `+`; None if empty or not digits.
    pub(crate) fn parse(number: &str) -> Option<NumberKey> {
        let bytes = number.as_bytes();
        let bytes = bytes.strip_prefix(b"+").unwrap_or(bytes);
        if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let head = &bytes[..bytes.len().min(MAX_PREFIX_DIGITS)];
        pack(head).map(|p| NumberKey(p.0))
    }
}

fn pack(digits: &[u8]) -> Option<Prefix> {
    let mut key = 0u64;
    for (i, &byte) in digits.iter().enumerate() {
        if !byte.is_ascii_digit() {
            return None;
        }
        key |= u64::from(byte - b'0' + 1) << (60 - 4 * i);
    }
    Some(Prefix(key))
}

/// One version's prefixes → destination index.
#[derive(Debug, Default)]
pub(crate) struct PrefixTable {
    /// Sorted by key.
    entries: Box<[Entry]>,
    /// `buckets[b]..buckets[b + 1]` are the entries whose first two
    /// nibbles (top byte) are `b`, so a lookup's binary search touches
    /// one or two cache lines instead of ~10 scattered ones.
    buckets: Box<[u32]>,
}

/// A prefix, its destination and its longest proper prefix in the table,
/// together so that a match costs one cache line.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Prefix,
    destination: u32,
    parent: u32,
}

const BUCKETS: usize = 256;

impl PrefixTable {
    /// Sorts the entries; a prefix listed twice returns the two duplicate
    /// entries' tags so the caller can say where they were written.
    pub(crate) fn build<T: Copy>(
        mut rows: Vec<(Prefix, u32, T)>,
    ) -> Result<PrefixTable, (Prefix, T, T)> {
        rows.sort_unstable_by_key(|row| row.0);
        if let Some(pair) = rows.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err((pair[0].0, pair[0].2, pair[1].2));
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(rows.len());
        // Ancestors of the current entry, innermost last.
        let mut ancestors: Vec<u32> = Vec::new();
        for (index, &(key, destination, _)) in rows.iter().enumerate() {
            while let Some(&top) = ancestors.last() {
                if entries[top as usize].key.is_prefix_of(NumberKey(key.0)) {
                    break;
                }
                ancestors.pop();
            }
            let parent = ancestors.last().copied().unwrap_or(NO_PARENT);
            entries.push(Entry { key, destination, parent });
            ancestors.push(index as u32);
        }
        let mut buckets = vec![0u32; BUCKETS + 1];
        for entry in &entries {
            buckets[bucket(entry.key.0) + 1] += 1;
        }
        for b in 0..BUCKETS {
            buckets[b + 1] += buckets[b];
        }
        Ok(PrefixTable { entries: entries.into(), buckets: buckets.into() })
    }

    /// The longest prefix of `number` and its destination index.
    #[inline]
    pub(crate) fn longest_match(&self, number: NumberKey) -> Option<(Prefix, u32)> {
        // Entries before the number's bucket are all < number and those
        // after it all > number, so the greatest entry ≤ number is in the
        // bucket or, if none there is, the one just before it.
        let b = bucket(number.0);
        let low = *self.buckets.get(b)? as usize;
        let high = *self.buckets.get(b + 1)? as usize;
        let window = self.entries.get(low..high)?;
        let end = low + window.partition_point(|entry| entry.key.0 <= number.0);
        let mut index = end.checked_sub(1)?;
        loop {
            let entry = self.entries.get(index)?;
            if entry.key.is_prefix_of(number) {
                return Some((entry.key, entry.destination));
            }
            if entry.parent == NO_PARENT {
                return None;
            }
            index = entry.parent as usize;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// All (prefix, destination index) pairs in prefix order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Prefix, u32)> + '_ {
        self.entries.iter().map(|entry| (entry.key, entry.destination))
    }
}

fn bucket(key: u64) -> usize {
    (key >> 56) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(prefixes: &[&str]) -> PrefixTable {
        let entries = prefixes
            .iter()
            .enumerate()
            .map(|(i, p)| (Prefix::parse(p).unwrap(), i as u32, ()))
            .collect();
        PrefixTable::build(entries).unwrap()
    }

    fn lookup(table: &PrefixTable, number: &str) -> Option<String> {
        table.longest_match(NumberKey::parse(number).unwrap()).map(|(p, _)| p.to_string())
    }

    #[test]
    fn longest_prefix_wins() {
        let t = table(&["33", "336", "3361", "34", "1", "0"]);
        assert_eq!(lookup(&t, "33612345678").as_deref(), Some("3361"));
        assert_eq!(lookup(&t, "33622345678").as_deref(), Some("336"));
        assert_eq!(lookup(&t, "33142345678").as_deref(), Some("33"));
        assert_eq!(lookup(&t, "+3491").as_deref(), Some("34"));
        assert_eq!(lookup(&t, "0044").as_deref(), Some("0"));
        assert_eq!(lookup(&t, "35").as_deref(), None);
        assert_eq!(lookup(&t, "3").as_deref(), None);
        assert_eq!(lookup(&t, "99999999999999999999").as_deref(), None);
    }

    #[test]
    fn sixteen_digits_and_longer_numbers() {
        let t = table(&["1234567890123456", "12"]);
        assert_eq!(lookup(&t, "123456789012345678").as_deref(), Some("1234567890123456"));
        assert_eq!(lookup(&t, "123456789012345").as_deref(), Some("12"));
    }

    #[test]
    fn duplicates_are_reported() {
        let entries =
            vec![(Prefix::parse("33").unwrap(), 0, 1), (Prefix::parse("33").unwrap(), 1, 2)];
        let (prefix, a, b) = PrefixTable::build(entries).unwrap_err();
        assert_eq!((prefix.to_string(), a.min(b), a.max(b)), ("33".to_string(), 1, 2));
    }

    #[test]
    fn bad_numbers() {
        assert!(NumberKey::parse("").is_none());
        assert!(NumberKey::parse("+").is_none());
        assert!(NumberKey::parse("33-1").is_none());
        assert!(Prefix::parse("12345678901234567").is_none());
    }
}
