//! A dialled number reduced to its digits, on the stack.

use crate::UnknownReason;

/// More digits than this is not a number anyone dialled (E.164 allows 15,
/// plus access code and international prefix).
pub(crate) const MAX_DIGITS: usize = 32;

/// The digits of a dialled number and whether it was written with `+`.
/// Numbers as PBXs record them are usually bare digits: those are borrowed
/// as they are; only numbers with separators are copied, on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Dialled<'a> {
    digits: Digits<'a>,
    pub(crate) plus: bool,
}

#[derive(Clone, Copy)]
enum Digits<'a> {
    Borrowed(&'a str),
    Copied { buf: [u8; MAX_DIGITS], len: u8 },
}

impl<'a> Dialled<'a> {
    /// Keeps the digits of `number`. Spaces, `-`, `.`, `(`, `)` and `/` are
    /// separators people and PBXs write; a `+` may lead; one trailing `#`
    /// is the end-of-dialling key some PBXs record. Anything else means the
    /// string is not a number: the caller reports it rather than guess.
    pub(crate) fn parse(number: &'a str) -> Result<Dialled<'a>, UnknownReason> {
        let number = number.trim_ascii();
        let number = number.strip_suffix('#').unwrap_or(number);
        let (plus, rest) = match number.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            if rest.len() > MAX_DIGITS {
                return Err(UnknownReason::TooLong);
            }
            return Ok(Dialled { digits: Digits::Borrowed(rest), plus });
        }
        Dialled::copy_digits(number)
    }

    /// The slow path: a number with separators (or not a number at all).
    fn copy_digits(number: &str) -> Result<Dialled<'a>, UnknownReason> {
        let mut buf = [0u8; MAX_DIGITS];
        let mut len = 0usize;
        let mut plus = false;
        let mut seen_any = false;
        for byte in number.bytes() {
            match byte {
                b'0'..=b'9' => {
                    *buf.get_mut(len).ok_or(UnknownReason::TooLong)? = byte;
                    len += 1;
                    seen_any = true;
                }
                b' ' | b'-' | b'.' | b'(' | b')' | b'/' => {}
                b'+' if !seen_any => {
                    plus = true;
                    seen_any = true;
                }
                b'*' | b'#' if !seen_any => return Err(UnknownReason::FeatureCode),
                _ => return Err(UnknownReason::NotANumber),
            }
        }
        if len == 0 {
            return Err(UnknownReason::EmptyNumber);
        }
        Ok(Dialled { digits: Digits::Copied { buf, len: len as u8 }, plus })
    }

    pub(crate) fn digits(&self) -> &str {
        match &self.digits {
            Digits::Borrowed(digits) => digits,
            Digits::Copied { buf, len } => {
                // Only ASCII digits are ever stored.
                std::str::from_utf8(buf.get(..usize::from(*len)).unwrap_or_default())
                    .unwrap_or_default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(number: &str) -> Result<(bool, String), UnknownReason> {
        Dialled::parse(number).map(|d| (d.plus, d.digits().to_owned()))
    }

    #[test]
    fn keeps_digits_and_plus() {
        assert_eq!(parse(" 0 010-1234.5678 "), Ok((false, "001012345678".into())));
        assert_eq!(parse("+1 (212) 555/1234"), Ok((true, "12125551234".into())));
        assert_eq!(parse("0044207946000#"), Ok((false, "0044207946000".into())));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        assert_eq!(parse(""), Err(UnknownReason::EmptyNumber));
        assert_eq!(parse(" - "), Err(UnknownReason::EmptyNumber));
        assert_eq!(parse("+"), Err(UnknownReason::EmptyNumber));
        assert_eq!(parse("*67"), Err(UnknownReason::FeatureCode));
        assert_eq!(parse("#31#"), Err(UnknownReason::FeatureCode));
        assert_eq!(parse("12*3"), Err(UnknownReason::NotANumber));
        assert_eq!(parse("1+2"), Err(UnknownReason::NotANumber));
        assert_eq!(parse("++1"), Err(UnknownReason::NotANumber));
        assert_eq!(parse("sip:100@host"), Err(UnknownReason::NotANumber));
        assert_eq!(parse(&"1".repeat(33)), Err(UnknownReason::TooLong));
        assert_eq!(parse(&"1".repeat(32)).map(|p| p.1.len()), Ok(32));
        assert_eq!(parse(&format!("1 {}", "1".repeat(32))), Err(UnknownReason::TooLong));
        assert_eq!(parse("+ 33 1"), Ok((true, "331".into())));
    }
}
