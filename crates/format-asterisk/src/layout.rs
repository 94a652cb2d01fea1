/// The optional columns cdr_csv appends after `amaflags`, named after the
/// `[csv]` options of `cdr.conf` that switch them on. cdr_csv writes them in
/// this order: `uniqueid`, `userfield`, then `peeraccount`, `linkedid`,
/// `sequence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvLayout {
    pub loguniqueid: bool,
    pub loguserfield: bool,
    pub newcdrcolumns: bool,
}

/// Columns every cdr_csv line has (`accountcode` … `amaflags`).
pub(crate) const BASE_COLUMNS: usize = 16;

/// Text of the error for a record whose column count matches no layout.
pub(crate) const AUTO_COUNTS: &str = "16, 17, 18, 19, 20 or 21";

impl CsvLayout {
    pub fn column_count(self) -> usize {
        BASE_COLUMNS
            + usize::from(self.loguniqueid)
            + usize::from(self.loguserfield)
            + 3 * usize::from(self.newcdrcolumns)
    }

    /// The layout a column count implies. 17 and 20 are read as carrying
    /// `uniqueid` (the option sample configurations turn on), not `userfield`.
    pub fn from_column_count(count: usize) -> Option<Self> {
        let (loguniqueid, loguserfield, newcdrcolumns) = match count {
            16 => (false, false, false),
            17 => (true, false, false),
            18 => (true, true, false),
            19 => (false, false, true),
            20 => (true, false, true),
            21 => (true, true, true),
            _ => return None,
        };
        Some(CsvLayout { loguniqueid, loguserfield, newcdrcolumns })
    }

    /// Column positions of the optional fields in this layout.
    pub(crate) fn positions(self) -> OptionalPositions {
        let mut next = BASE_COLUMNS;
        let mut take = |on: bool| {
            on.then(|| {
                next += 1;
                next - 1
            })
        };
        let uniqueid = take(self.loguniqueid);
        let userfield = take(self.loguserfield);
        let peeraccount = take(self.newcdrcolumns);
        let linkedid = take(self.newcdrcolumns);
        let sequence = take(self.newcdrcolumns);
        OptionalPositions { uniqueid, userfield, peeraccount, linkedid, sequence }
    }
}

pub(crate) struct OptionalPositions {
    pub uniqueid: Option<usize>,
    pub userfield: Option<usize>,
    pub peeraccount: Option<usize>,
    pub linkedid: Option<usize>,
    pub sequence: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_count_round_trips() {
        for n in 16..=21 {
            assert_eq!(CsvLayout::from_column_count(n).unwrap().column_count(), n);
        }
        assert_eq!(CsvLayout::from_column_count(15), None);
        assert_eq!(CsvLayout::from_column_count(22), None);
    }

    #[test]
    fn new_columns_follow_userfield() {
        let p =
            CsvLayout { loguniqueid: false, loguserfield: true, newcdrcolumns: true }.positions();
        assert_eq!(
            (p.uniqueid, p.userfield, p.peeraccount, p.linkedid, p.sequence),
            (None, Some(16), Some(17), Some(18), Some(19))
        );
    }
}
