//! Reading CUCM's integer columns.
//!
//! CUCM declares every numeric column as a 32-bit SQL `INTEGER` but fills it
//! from unsigned values, so large ones (cause codes such as
//! `CCM_SIP_503_SERVICE_UNAVAILABLE_SER_OPTION_NOAV`, 0xA700003F) may be
//! written negative. Unset integers are written `0`; CMR files leave unset
//! columns empty.

use cdr::{ParseError, text};

/// A code column (cause, OnBehalfOf, redirect reason) as the unsigned 32-bit
/// value CUCM meant; empty reads as 0, the value CUCM writes for "unset".
pub(crate) fn code(field: &str, bytes: &[u8]) -> Result<u32, ParseError> {
    let s = text::utf8(field, bytes)?;
    if s.is_empty() {
        return Ok(0);
    }
    let value = text::i64_field(field, s)?;
    if let Ok(unsigned) = u32::try_from(value) {
        return Ok(unsigned);
    }
    match i32::try_from(value) {
        // The signed form of the same 32 bits.
        Ok(signed) => Ok(signed as u32),
        Err(_) => Err(ParseError::field(field, format!("number out of range: {s:?}"))),
    }
}

/// An optional counter (CMR packets, jitter): empty is `None`, `0` is zero.
pub(crate) fn optional_u64(field: &str, bytes: &[u8]) -> Result<Option<u64>, ParseError> {
    let s = text::utf8(field, bytes)?;
    if s.is_empty() { Ok(None) } else { text::u64_field(field, s).map(Some) }
}

pub(crate) fn optional_u32(field: &str, bytes: &[u8]) -> Result<Option<u32>, ParseError> {
    let s = text::utf8(field, bytes)?;
    if s.is_empty() { Ok(None) } else { text::u32_field(field, s).map(Some) }
}

/// Is this value worth keeping as an extra? Empty values are not, and
/// neither is `0`, which CUCM writes for every unset integer column.
pub(crate) fn is_set(bytes: &[u8]) -> bool {
    let t = text::trim(bytes);
    !t.is_empty() && t != b"0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_accept_the_signed_form() {
        assert_eq!(code("c", b"16").unwrap(), 16);
        assert_eq!(code("c", b"").unwrap(), 0);
        assert_eq!(code("c", b"-1493172161").unwrap(), 0xA700_003F);
        assert_eq!(code("c", b"2801795135").unwrap(), 0xA700_003F);
        assert_eq!(
            code("origCause_value", b"x").unwrap_err().to_string(),
            "field origCause_value: not a number: \"x\""
        );
        assert_eq!(
            code("c", b"4294967296").unwrap_err().to_string(),
            "field c: number out of range: \"4294967296\""
        );
    }

    #[test]
    fn optional_counters() {
        assert_eq!(optional_u64("n", b"").unwrap(), None);
        assert_eq!(optional_u64("n", b"0").unwrap(), Some(0));
        assert_eq!(optional_u32("jitter", b"8").unwrap(), Some(8));
        assert!(optional_u32("jitter", b"-1").is_err());
    }

    #[test]
    fn unset_values() {
        assert!(!is_set(b""));
        assert!(!is_set(b"0"));
        assert!(is_set(b"00"));
        assert!(is_set(b"x"));
    }
}
