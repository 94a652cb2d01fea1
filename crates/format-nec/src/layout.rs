//! How NEC's flexible format sizes the data of each kind of data. The
//! reasoning and the sources are in [`crate::sections`].

/// The highest kind of data the flexible format defines.
pub(crate) const LAST_KIND: usize = 19;

/// What section 19's length of data may also say: NEC's table prints its
/// length digits as `1`, `7` but labels them "34 characters" (copied from
/// section 06), and records written from that label carry `34`.
const SECTION_19_AS_LABELLED: usize = 34;

/// How the layout sizes one kind of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// Fixed by the layout; the length of data must state it.
    Fixed(usize),
    /// Telephone number (03, 05): fusion point code 3, then user group 3
    /// and at most 16 digits; 3 when there is no number.
    Party,
    /// Counted exactly, from the first to the second bound.
    Counted(usize, usize),
    /// Digit strings (07, 10, 12): the length of data is one more than the
    /// digits ("01 when no data"), which are at most this many.
    DigitsPlusOne(usize),
}

/// The size rule of each kind of data, indexed by kind.
const SIZES: [Option<Size>; LAST_KIND + 1] = [
    None,
    Some(Size::Fixed(12)),         // 01 trunk
    Some(Size::Fixed(10)),         // 02 calling party, station
    Some(Size::Party),             // 03 calling party, telephone number
    Some(Size::Fixed(10)),         // 04 called party, station
    Some(Size::Party),             // 05 called party, telephone number
    Some(Size::Fixed(34)),         // 06 call start and end
    Some(Size::DigitsPlusOne(24)), // 07 account code
    Some(Size::Fixed(3)),          // 08 condition B
    Some(Size::Fixed(18)),         // 09 alternate routing
    Some(Size::DigitsPlusOne(32)), // 10 dial code
    Some(Size::Fixed(8)),          // 11 office codes
    Some(Size::DigitsPlusOne(16)), // 12 authorization code
    Some(Size::Counted(1, 7)),     // 13 condition C and billing information
    Some(Size::Counted(1, 4)),     // 14 condition D and attendant console
    Some(Size::Fixed(3)),          // 15 department code
    Some(Size::Counted(1, 33)),    // 16 ANI identifier and number
    Some(Size::Counted(1, 6)),     // 17 converted number
    Some(Size::Fixed(10)),         // 18 MA-IDs
    Some(Size::Fixed(17)),         // 19 trunk call received time
];

/// The size rule of a kind of data; `None` for a kind the format lacks.
pub(crate) fn size_of(kind: usize) -> Option<Size> {
    SIZES.get(kind).copied().flatten()
}

impl Size {
    /// The characters of data a declared length of data stands for, or
    /// `None` when the layout does not allow that length.
    pub fn data_len(self, kind: usize, declared: usize) -> Option<usize> {
        match self {
            Size::Fixed(n) => {
                (declared == n || (kind == 19 && declared == SECTION_19_AS_LABELLED)).then_some(n)
            }
            Size::Party => (declared == 3 || (6..=22).contains(&declared)).then_some(declared),
            Size::Counted(min, max) => (min..=max).contains(&declared).then_some(declared),
            Size::DigitsPlusOne(max) => (1..=max + 1).contains(&declared).then(|| declared - 1),
        }
    }

    /// The length of data that states `len` characters of data.
    pub fn declared_for(self, len: usize) -> usize {
        match self {
            Size::DigitsPlusOne(_) => len + 1,
            _ => len,
        }
    }

    /// Every length of data the section can hold, shortest first (some,
    /// like 4 and 5 for a telephone number, are refused by
    /// [`Size::data_len`]).
    pub fn data_lengths(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Size::Fixed(n) => n..=n,
            Size::Party => 3..=22,
            Size::Counted(min, max) => min..=max,
            Size::DigitsPlusOne(max) => 0..=max,
        }
    }

    /// The lengths of data the layout allows, for error messages.
    pub fn allowed(self, kind: usize) -> String {
        match self {
            Size::Fixed(n) if kind == 19 => format!("{n:02} (or {SECTION_19_AS_LABELLED})"),
            Size::Fixed(n) => format!("{n:02}"),
            Size::Party => "03 or 06 to 22".to_string(),
            Size::Counted(min, max) => format!("{min:02} to {max:02}"),
            Size::DigitsPlusOne(max) => format!("01 to {:02}", max + 1),
        }
    }
}

/// Whether data could be what a section of this kind carries: digits
/// (with `*` and `#` where a number is dialled) after the one-character
/// identifier some kinds start with. Used only to weigh a repaired length.
pub(crate) fn plausible(kind: usize, data: &[u8]) -> bool {
    let dialable = |b: &u8| b.is_ascii_digit() || matches!(b, b'*' | b'#');
    let (head, tail) = data.split_at(data.len().min(1));
    match kind {
        3 | 5 => {
            let (codes, number) = data.split_at(data.len().min(6));
            codes.iter().all(u8::is_ascii_digit) && number.iter().all(dialable)
        }
        13 => head.iter().all(|b| b.is_ascii_digit() || *b == b'F') && tail.iter().all(dialable),
        14 => head.iter().all(|b| matches!(b, b' ' | b'0' | b'1')) && tail.iter().all(dialable),
        16 => head.iter().all(|b| (b'0'..=b'5').contains(b)) && tail.iter().all(dialable),
        _ => data.iter().all(dialable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_data_follow_the_layout() {
        let len = |kind, declared| size_of(kind).and_then(|s| s.data_len(kind, declared));
        assert_eq!(len(1, 12), Some(12));
        assert_eq!(len(1, 11), None);
        assert_eq!(len(3, 3), Some(3));
        assert_eq!(len(3, 4), None);
        assert_eq!(len(3, 22), Some(22));
        assert_eq!(len(3, 23), None);
        assert_eq!(len(7, 1), Some(0));
        assert_eq!(len(7, 11), Some(10));
        assert_eq!(len(7, 0), None);
        assert_eq!(len(12, 18), None);
        assert_eq!(len(19, 17), Some(17));
        assert_eq!(len(19, 34), Some(17));
        assert_eq!(len(6, 17), None);
        assert_eq!(len(20, 1), None);
    }

    #[test]
    fn plausible_data_is_digits_after_the_identifier() {
        assert!(plausible(3, b"00100220001"));
        assert!(!plausible(3, b"001 0220001"));
        assert!(plausible(10, b"*72#"));
        assert!(!plausible(7, b"12 3"));
        assert!(plausible(13, b"F00"));
        assert!(plausible(16, b"417325551212"));
        assert!(!plausible(16, b"917325551212"));
    }
}
