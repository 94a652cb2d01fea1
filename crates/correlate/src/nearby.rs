//! Keys that stay near each other in memory when their ids are near.
//!
//! PBXs number their calls and legs with counters (a CUCM call id, a call
//! leg identifier, an Asterisk `uniqueid`'s sequence), and records come
//! roughly in that order. The correlator's tables are probed for every key
//! of every leg, and at their bound they hold millions of keys: hashed at
//! random, nearly every probe was a miss of the processor's caches, which
//! made up most of what correlation cost.
//!
//! - [`key`] keeps a counter's order: an id ending in a number is keyed as
//!   the hash of the rest plus that number, so the ids `…:1041` and
//!   `…:1042` are keys one apart;
//! - [`NearbyHash`] places keys one apart in neighbouring places of a
//!   table, in blocks of [`BLOCK`] (each block at a random place, so that
//!   runs of full places stay short), while the bits a table compares first
//!   stay random.
//!
//! The legs of one moment then probe a few cache lines of each table, not
//! one line each.

use crate::leg::Key;
use std::hash::{BuildHasher, Hasher};

/// Ids whose number is this large or larger are hashed whole: keys of two
/// ids differ by their numbers' difference, which must stay small next to
/// the 64 bits of a key for two ids never to meet by chance.
const LARGEST_NUMBER: u64 = 1 << 40;

/// The key of `id`, under `parts` (its PBX, kind and scope).
pub(crate) fn key(parts: [&str; 3], id: &str) -> Key {
    match numbered(id) {
        // The marker tells the hash of a prefix from that of a whole id.
        Some((prefix, number)) => hash(parts, prefix, PREFIX).wrapping_add(number),
        None => hash(parts, id, 0xff),
    }
}

/// `id` as a prefix and the number it ends with, if it ends with one (not
/// zero, and below [`LARGEST_NUMBER`]). Leading zeros stay in the prefix,
/// so that the prefix and the number's digits give the id back: two ids
/// never share both.
fn numbered(id: &str) -> Option<(&str, u64)> {
    let bytes = id.as_bytes();
    let digits = bytes.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let zeros = bytes[bytes.len() - digits..].iter().take_while(|b| **b == b'0').count();
    let start = bytes.len() - digits + zeros;
    if start == bytes.len() || bytes.len() - start > 13 {
        return None;
    }
    // At most 13 digits: no overflow.
    let number = bytes[start..].iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    if number >= LARGEST_NUMBER {
        return None;
    }
    Some((&id[..start], number))
}

fn hash(parts: [&str; 3], last: &str, marker: u8) -> u64 {
    // One-shot hashing of the parts laid end to end on the stack: a
    // streaming hasher's set-up costs more than these few bytes.
    let parts = [parts[0], parts[1], parts[2], last];
    let mut buffer = [0u8; 160];
    let mut at = 0;
    for part in parts {
        let bytes = part.as_bytes();
        if at + bytes.len() + 1 > buffer.len() {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            for part in parts {
                hasher.update(part.as_bytes());
                hasher.update(&[marker]);
            }
            return hasher.digest();
        }
        buffer[at..at + bytes.len()].copy_from_slice(bytes);
        buffer[at + bytes.len()] = marker;
        at += bytes.len() + 1;
    }
    xxhash_rust::xxh3::xxh3_64(&buffer[..at])
}

/// The marker after the parts of a prefix (a whole id has another).
const PREFIX: u8 = 0xfe;

/// Keys that many apart (aligned) share a block of neighbouring places.
pub(crate) const BLOCK: u64 = 64;

/// The place of a key in a table of `mask + 1` places (a power of two)
/// probed directly: neighbours for keys of one block.
pub(crate) fn place(key: u64, mask: usize) -> usize {
    (spread(key) as usize) & mask
}

/// 32 bits of `key` that differ between neighbours, to tell keys at one
/// place of a table probed directly apart before their legs are read.
pub(crate) fn tag(key: u64) -> u32 {
    (mix(key) >> 32) as u32
}

/// The block's place at random, the key's place in its block kept.
fn spread(key: u64) -> u64 {
    let block = mix(key / BLOCK);
    (block & !(BLOCK - 1)) | (key % BLOCK)
}

fn mix(x: u64) -> u64 {
    // A multiply by an odd constant, its high bits folded down (as in
    // splitmix64's finaliser, one round).
    let x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

/// The hasher of tables keyed by [`Key`]s or by ids counted up (a leg's
/// id, a call's slot): the place bits from [`spread`], the top bits (which
/// a `hashbrown` table compares before the keys) from the whole key.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NearbyHash;

pub(crate) struct NearbyHasher(u64);

impl BuildHasher for NearbyHash {
    type Hasher = NearbyHasher;

    fn build_hasher(&self) -> NearbyHasher {
        NearbyHasher(0)
    }
}

impl Hasher for NearbyHasher {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only integers are hashed nearby");
    }

    fn write_u64(&mut self, key: u64) {
        const TOP: u64 = !0 << 57;
        self.0 = (mix(key) & TOP) | (spread(key) & !TOP);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map whose keys are hashed by [`NearbyHash`].
pub(crate) type NearbyMap<V> = std::collections::HashMap<u64, V, NearbyHash>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn an_id_ending_in_a_number_is_split_where_its_digits_give_it_back() {
        let cases = [
            ("1:1:1042", Some(("1:1:", 1042))),
            ("16777217", Some(("", 16777217))),
            ("abc0012", Some(("abc00", 12))),
            ("1700000000.123", Some(("1700000000.", 123))),
            ("abc", None),
            ("abc0", None),
            ("000", None),
            ("", None),
            // Too large to be kept apart by its difference from others.
            ("99999999999999999", None),
        ];
        for (id, expected) in cases {
            assert_eq!(numbered(id), expected, "{id}");
        }
    }

    #[test]
    fn ids_counted_up_are_keys_one_apart_and_no_two_ids_share_a_key() {
        let parts = ["cm1", "l", "1"];
        assert_eq!(key(parts, "1:1:1043"), key(parts, "1:1:1042") + 1);
        let ids = [
            "1:1:1042",
            "1:1:01042",
            "1:1:1042a",
            "1:1:",
            "1:1:0",
            "1:1:00",
            "12",
            "012",
            "0012",
            "1",
            "01",
            "a1",
            "a01",
            "",
            "99999999999999999",
        ];
        let keys: HashSet<Key> = ids.iter().map(|id| key(parts, id)).collect();
        assert_eq!(keys.len(), ids.len());
        // Other parts, other keys.
        assert_ne!(key(["cm2", "l", "1"], "1042"), key(parts, "1042"));
        assert_ne!(key(["cm1", "g", "1"], "1042"), key(parts, "1042"));
    }

    #[test]
    fn keys_of_one_block_take_neighbouring_places_and_blocks_are_scattered() {
        let mask = (1 << 20) - 1;
        let base = 0x1234_5678_9abc_0000u64;
        for k in 0..BLOCK {
            assert_eq!(place(base + k, mask), place(base, mask) + k as usize);
        }
        // A thousand blocks fall on 16,384 blocks of places as if at
        // random: about 970 different ones.
        let blocks: HashSet<usize> =
            (0..1000).map(|b| place(base + b * BLOCK, mask) / BLOCK as usize).collect();
        assert!(blocks.len() > 950, "{}", blocks.len());
    }

    #[test]
    fn the_bits_a_table_compares_first_differ_between_neighbours() {
        let top = |k: u64| {
            let mut hasher = NearbyHash.build_hasher();
            hasher.write_u64(k);
            hasher.finish() >> 57
        };
        let tops: HashSet<u64> = (0..BLOCK).map(|k| top(1_000_000 + k)).collect();
        assert!(tops.len() > 32, "{}", tops.len());
    }
}
