//! Digit tries: longest-prefix and exact lookups of ASCII digit strings.
//!
//! Dial plans and the country table hold a few hundred prefixes at most, so
//! a flat 10-way trie stays small (tens of kilobytes, in cache) and answers
//! a lookup in one step per digit with no hashing; that is the cheapest
//! structure for the classifier's hot path.

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node<V> {
    next: [u32; 10],
    value: Option<V>,
}

impl<V> Node<V> {
    fn empty() -> Self {
        Node { next: [NONE; 10], value: None }
    }
}

/// A set of digit prefixes, each with a value.
#[derive(Debug, Clone)]
pub(crate) struct DigitTrie<V> {
    nodes: Vec<Node<V>>,
}

impl<V: Copy> Default for DigitTrie<V> {
    fn default() -> Self {
        DigitTrie { nodes: vec![Node::empty()] }
    }
}

impl<V: Copy> DigitTrie<V> {
    /// Adds `prefix` (ASCII digits; anything else is ignored by the
    /// caller's validation) with `value`; a later insert of the same
    /// prefix replaces the value.
    pub(crate) fn insert(&mut self, prefix: &[u8], value: V) {
        let mut at = 0usize;
        for &byte in prefix {
            let Some(digit) = digit(byte) else { return };
            let next = self.nodes[at].next[digit];
            at = if next == NONE {
                let new = self.nodes.len();
                self.nodes.push(Node::empty());
                self.nodes[at].next[digit] = new as u32;
                new
            } else {
                next as usize
            };
        }
        self.nodes[at].value = Some(value);
    }

    /// The value of the longest prefix of `number` in the set, with that
    /// prefix's length. Stops at the first non-digit.
    #[inline]
    pub(crate) fn longest(&self, number: &[u8]) -> Option<(usize, V)> {
        let mut best = None;
        let mut at = 0usize;
        for (len, &byte) in number.iter().enumerate() {
            let Some(digit) = digit(byte) else { break };
            let Some(node) = self.nodes.get(at) else { break };
            let next = node.next[digit];
            if next == NONE {
                break;
            }
            at = next as usize;
            if let Some(value) = self.nodes.get(at).and_then(|n| n.value) {
                best = Some((len + 1, value));
            }
        }
        best
    }

    /// The value of `number` itself, when it is in the set.
    #[inline]
    pub(crate) fn exact(&self, number: &[u8]) -> Option<V> {
        match self.longest(number) {
            Some((len, value)) if len == number.len() => Some(value),
            _ => None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.len() == 1 && self.nodes[0].value.is_none()
    }
}

#[inline]
fn digit(byte: u8) -> Option<usize> {
    byte.is_ascii_digit().then(|| usize::from(byte - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let mut trie = DigitTrie::default();
        trie.insert(b"1", 'a');
        trie.insert(b"1242", 'b');
        trie.insert(b"86", 'c');
        assert_eq!(trie.longest(b"12425551234"), Some((4, 'b')));
        assert_eq!(trie.longest(b"12125551234"), Some((1, 'a')));
        assert_eq!(trie.longest(b"124"), Some((1, 'a')));
        assert_eq!(trie.longest(b"8"), None);
        assert_eq!(trie.longest(b""), None);
        assert_eq!(trie.exact(b"86"), Some('c'));
        assert_eq!(trie.exact(b"861"), None);
        assert!(!trie.is_empty());
        assert!(DigitTrie::<u8>::default().is_empty());
    }
}
