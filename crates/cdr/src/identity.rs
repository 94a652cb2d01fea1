use xxhash_rust::xxh3::Xxh3;

/// Builds a record's identity: a 64-bit hash of the fields that identify it
/// at its PBX. Each field is followed by a separator byte so that
/// `("ab","c")` and `("a","bc")` differ.
///
/// The store keys CDRs by `(start second, identity)`, so two records collide
/// only if they start in the same second *and* their 64-bit hashes match.
pub struct IdentityHasher(Xxh3);

impl IdentityHasher {
    pub fn new(format: &str) -> Self {
        let mut h = Xxh3::new();
        h.update(format.as_bytes());
        h.update(&[0xff]);
        IdentityHasher(h)
    }
    pub fn field(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.0.update(bytes.as_ref());
        self.0.update(&[0xff]);
        self
    }
    pub fn finish(self) -> u64 {
        self.0.digest()
    }
}

/// Identity of a record whose every byte is its identity (fixed-width SMDR
/// lines have no record id: the same line sent twice is the same call).
pub fn whole_record(format: &str, bytes: &[u8]) -> u64 {
    IdentityHasher::new(format).field(bytes).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_keep_fields_apart() {
        let a = IdentityHasher::new("x").field("ab").field("c").finish();
        let b = IdentityHasher::new("x").field("a").field("bc").finish();
        assert_ne!(a, b);
        assert_eq!(a, IdentityHasher::new("x").field("ab").field("c").finish());
        assert_ne!(whole_record("x", b"abc"), whole_record("y", b"abc"));
    }
}
