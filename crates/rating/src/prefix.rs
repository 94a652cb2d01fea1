//! Longest-prefix lookup of dialled numbers.
//!
//! Structure: per tariff version, a hash table of the prefixes whose
//! buckets are one cache line (five keys and their destinations), and the
//! set of prefix lengths present. A number is looked up by probing, from
//! the longest length present down, the number cut to that length; the
//! first hit is the longest prefix. Why this and not a sorted array or a
//! trie: with traffic spread over many carriers nearly every lookup misses
//! the cache, and what costs is the number of *dependent* misses. A binary
//! search (or a trie walk) is a chain of them, one per step; here the
//! probes do not depend on each other, so the CPU issues them together
//! and a lookup waits about one memory latency whatever the table size.
//! A probe reads one line unless its bucket overflowed (sized for at most
//! 60 % of the slots, an overflow is rare), and a number only tries the
//! lengths its version uses. The prefixes are also kept sorted, for
//! export and duplicate detection (`PrefixList`).
//!
//! Packing: up to 16 digits, each stored as digit + 1 in a 4-bit nibble,
//! left-aligned, unused nibbles zero. Comparing keys as integers then
//! compares digit strings lexicographically, a prefix sorting before its
//! extensions; a key is never zero, which marks an empty slot.

use std::fmt;

/// Longest prefix (and number part) that takes part in matching.
pub const MAX_PREFIX_DIGITS: usize = 16;

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
    #[inline]
    pub(crate) fn parse(number: &str) -> Option<NumberKey> {
        let bytes = number.as_bytes();
        let bytes = bytes.strip_prefix(b"+").unwrap_or(bytes);
        let (head, tail) = bytes.split_at(bytes.len().min(MAX_PREFIX_DIGITS));
        // One pass packing the head; `bad` collects any non-digit.
        let mut key = 0u64;
        let mut bad = head.is_empty();
        for (i, &byte) in head.iter().enumerate() {
            let digit = byte.wrapping_sub(b'0');
            bad |= digit > 9;
            key |= u64::from(digit.wrapping_add(1) & 0xF) << (60 - 4 * i);
        }
        if bad || !tail.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(NumberKey(key))
    }

    /// Digits taking part in matching (1 to 16).
    fn len(self) -> usize {
        Prefix(self.0).len()
    }

    /// The number's first `digits` digits as a prefix key.
    fn cut(self, digits: usize) -> u64 {
        self.0 & (!0u64 << (64 - 4 * digits as u32))
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

/// One version's prefixes and their destination indexes, sorted: for
/// export and counting.
#[derive(Debug, Default)]
pub(crate) struct PrefixList(Box<[(Prefix, u32)]>);

impl PrefixList {
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// All (prefix, destination index) pairs in prefix order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Prefix, u32)> + '_ {
        self.0.iter().copied()
    }
}

/// One version's prefixes → destination index, for lookups. Kept by the
/// carrier rather than the version (see `Carrier`), so its address is
/// known before the version is read.
#[derive(Debug)]
pub(crate) struct PrefixTable {
    /// Open addressing over whole buckets: a key lives in the bucket its
    /// hash names or, when that one is full, in the next one not full.
    buckets: Box<[Bucket]>,
    /// `buckets.len() - 1` (a power of two, at least 2, minus one).
    bucket_mask: u32,
    /// `64 - log2(buckets.len())`: the hash is the top bits of a product.
    hash_shift: u32,
    /// Bit `n - 1` is set when some prefix has `n` digits.
    lengths: u16,
}

const SLOTS: usize = 5;

/// Five keys and their destinations: one cache line.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
struct Bucket {
    /// Packed prefixes, 0 for an empty slot; slots fill from the first.
    keys: [u64; SLOTS],
    destinations: [u32; SLOTS],
    /// Whether some key hashed here was placed in a later bucket, so a
    /// miss here must look on.
    overflowed: u32,
}

impl Default for PrefixTable {
    fn default() -> PrefixTable {
        PrefixTable {
            buckets: vec![Bucket::default(); 2].into(),
            bucket_mask: 1,
            hash_shift: 63,
            lengths: 0,
        }
    }
}

impl PrefixTable {
    /// Sorts the entries; a prefix listed twice returns the two duplicate
    /// entries' tags so the caller can say where they were written.
    pub(crate) fn build<T: Copy>(
        mut rows: Vec<(Prefix, u32, T)>,
    ) -> Result<(PrefixTable, PrefixList), (Prefix, T, T)> {
        rows.sort_unstable_by_key(|row| row.0);
        if let Some(pair) = rows.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err((pair[0].0, pair[0].2, pair[1].2));
        }
        // At most 60 % of the slots used: overflows stay rare.
        let wanted = (rows.len() * 5 / 3).div_ceil(SLOTS).max(1);
        let count = wanted.next_power_of_two().max(2);
        let mut table = PrefixTable {
            buckets: vec![Bucket::default(); count].into(),
            bucket_mask: (count - 1) as u32,
            hash_shift: 64 - count.trailing_zeros(),
            lengths: 0,
        };
        for &(key, destination, _) in &rows {
            table.insert(key, destination);
        }
        let list =
            PrefixList(rows.iter().map(|&(key, destination, _)| (key, destination)).collect());
        Ok((table, list))
    }

    /// Keys are unique (checked by `build`) and at least one slot in 2.5
    /// is free, so the scan ends.
    fn insert(&mut self, key: Prefix, destination: u32) {
        self.lengths |= 1 << (key.len() - 1);
        let mut index = self.home(key.0);
        loop {
            let bucket = &mut self.buckets[index];
            if let Some(slot) = bucket.keys.iter().position(|&k| k == 0) {
                bucket.keys[slot] = key.0;
                bucket.destinations[slot] = destination;
                return;
            }
            bucket.overflowed = 1;
            index = (index + 1) & self.bucket_mask as usize;
        }
    }

    /// Multiplicative hashing: the top bits of `key × odd constant`
    /// depend on every bit of the key, which suits keys whose low bits are
    /// zero (left-aligned digits), and cost one multiplication.
    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.hash_shift) as usize
    }

    /// The longest prefix of `number` and its destination index.
    #[inline]
    pub(crate) fn longest_match(&self, number: NumberKey) -> Option<(Prefix, u32)> {
        // Lengths that could match, longest first. The probes do not
        // depend on each other, so their cache misses overlap.
        let mut candidates = u32::from(self.lengths) & ((1u32 << number.len()) - 1);
        while candidates != 0 {
            let digits = 32 - candidates.leading_zeros() as usize;
            candidates &= !(1 << (digits - 1));
            let key = number.cut(digits);
            if let Some(destination) = self.get(key) {
                return Some((Prefix(key), destination));
            }
        }
        None
    }

    /// Calls `visit` with the first key of the home bucket of every probe
    /// `longest_match` may make (see `batch.rs`).
    #[inline]
    pub(crate) fn homes<'t>(&'t self, number: NumberKey, mut visit: impl FnMut(&'t u64)) {
        let mut candidates = u32::from(self.lengths) & ((1u32 << number.len()) - 1);
        while candidates != 0 {
            let digits = 32 - candidates.leading_zeros() as usize;
            candidates &= !(1 << (digits - 1));
            if let Some(bucket) = self.buckets.get(self.home(number.cut(digits))) {
                visit(&bucket.keys[0]);
            }
        }
    }

    #[inline]
    fn get(&self, key: u64) -> Option<u32> {
        let mut index = self.home(key);
        loop {
            let bucket = self.buckets.get(index)?;
            for slot in 0..SLOTS {
                if bucket.keys[slot] == key {
                    return Some(bucket.destinations[slot]);
                }
            }
            if bucket.overflowed == 0 {
                return None;
            }
            index = (index + 1) & self.bucket_mask as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(prefixes: &[&str]) -> PrefixTable {
        table_and_list(prefixes).0
    }

    fn table_and_list(prefixes: &[&str]) -> (PrefixTable, PrefixList) {
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

    /// The longest prefix by brute force: the reference for the table.
    fn naive<'p>(prefixes: &[&'p str], number: &str) -> Option<&'p str> {
        let digits = number.strip_prefix('+').unwrap_or(number);
        let digits = &digits[..digits.len().min(MAX_PREFIX_DIGITS)];
        prefixes.iter().copied().filter(|p| digits.starts_with(p)).max_by_key(|p| p.len())
    }

    proptest::proptest! {
        /// Few digits and short lengths, so prefixes nest and collide.
        #[test]
        fn agrees_with_brute_force(
            set in proptest::collection::btree_set("[0-2]{1,6}", 1..300),
            numbers in proptest::collection::vec("[0-2]{1,8}", 1..50),
        ) {
            let prefixes: Vec<&str> = set.iter().map(String::as_str).collect();
            let t = table(&prefixes);
            for number in &numbers {
                let found = lookup(&t, number);
                proptest::prop_assert_eq!(found.as_deref(), naive(&prefixes, number));
            }
        }
    }

    #[test]
    fn full_buckets_overflow_into_the_next() {
        // 60,000 prefixes of 5 to 9 digits: some buckets overflow.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut set = std::collections::BTreeSet::new();
        while set.len() < 60_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = 5 + (state % 5) as usize;
            set.insert(format!("{:09}", state % 1_000_000_000)[..len].to_string());
        }
        let prefixes: Vec<&str> = set.iter().map(String::as_str).collect();
        let (t, list) = table_and_list(&prefixes);
        assert!(t.buckets.iter().any(|b| b.overflowed != 0));
        for (i, prefix) in prefixes.iter().enumerate() {
            // The prefix itself is the longest: no other starts with it
            // and is a prefix of `prefix0` unless it is `prefix0`.
            let number = format!("{prefix}0");
            let expected = if set.contains(&number) { number.as_str() } else { prefix };
            let found = t.longest_match(NumberKey::parse(&number).unwrap());
            assert_eq!(found.map(|(p, _)| p.to_string()).as_deref(), Some(expected));
            if expected == *prefix {
                assert_eq!(found.map(|(_, d)| d), Some(i as u32));
            }
        }
        assert_eq!(list.len(), 60_000);
        assert!(list.iter().map(|(p, _)| p).is_sorted());
    }

    #[test]
    fn empty_table_finds_nothing() {
        let (t, list) = PrefixTable::build(Vec::<(Prefix, u32, ())>::new()).unwrap();
        assert_eq!(lookup(&t, "33"), None);
        assert_eq!(list.len(), 0);
    }
}
