//! Certificate fingerprints in the form people compare them.

/// SHA-256 of a DER certificate as uppercase hex pairs joined by colons
/// (`AB:CD:…`), as `openssl x509 -noout -fingerprint -sha256` and browsers'
/// certificate viewers print it.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = String::with_capacity(digest.as_ref().len() * 3);
    for (i, byte) in digest.as_ref().iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{byte:02X}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sha256_as_colon_separated_uppercase_hex() {
        // SHA-256("abc") from FIPS 180-2's examples.
        assert_eq!(
            sha256_fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:\
             B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }
}
