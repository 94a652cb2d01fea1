//! A batch's parameters other than the calls, as the statements bind
//! them (column arrays for `unnest`), checked before anything is sent.

use crate::Quarantined;
use journal::Position;

/// PostgreSQL's text cannot hold NUL. A quarantined record's texts are
/// for people (its bytes are kept as they are in `raw`), so a NUL in them
/// is shown as U+FFFD rather than making the whole batch fail.
fn printable(t: &str) -> String {
    t.replace('\0', "\u{FFFD}")
}

/// The quarantined records as column arrays (bound to `unnest`).
#[derive(Default)]
pub(super) struct QuarantineColumns<'a> {
    pub received_at: Vec<i64>,
    pub pbx: Vec<String>,
    pub format: Vec<String>,
    pub source: Vec<String>,
    pub position: Vec<i64>,
    pub is_offset: Vec<bool>,
    pub reason: Vec<String>,
    pub raw: Vec<&'a [u8]>,
    pub header: Vec<Option<&'a [u8]>>,
    pub raw_hash: Vec<i64>,
}

/// A batch's parameters other than the calls, checked before anything is
/// sent.
pub(super) struct Rows<'a> {
    pub quarantine: QuarantineColumns<'a>,
    pub positions: (Vec<String>, Vec<i64>, Vec<i64>),
}

impl<'a> Rows<'a> {
    pub fn new<S: AsRef<str>>(
        quarantined: &[Quarantined<'a>],
        positions: &[(S, Position)],
    ) -> Result<Rows<'a>, String> {
        let mut q = QuarantineColumns::default();
        for item in quarantined {
            let i = item.item;
            q.received_at.push(item.received_at);
            q.pbx.push(printable(&i.pbx));
            q.format.push(printable(&i.format));
            q.source.push(printable(&i.location.source));
            q.position.push(i64::try_from(i.location.position).map_err(|_| {
                format!("quarantined record at {}: position out of range", i.location.source)
            })?);
            q.is_offset.push(i.location.is_offset);
            q.reason.push(printable(&i.reason));
            q.raw.push(&i.raw);
            q.header.push(i.header.as_deref());
            // The same identity as the embedded store's, so that both keep
            // a record once under the same key.
            q.raw_hash.push(cdr::whole_record("quarantine", &i.raw) as i64);
        }
        // The last position of each source wins (one statement cannot
        // update a row twice).
        let mut last: Vec<(&str, Position)> = Vec::with_capacity(positions.len());
        for (source, position) in positions {
            let source = source.as_ref();
            match last.iter_mut().find(|(s, _)| *s == source) {
                Some(slot) => slot.1 = *position,
                None => last.push((source, *position)),
            }
        }
        let mut p = (Vec::new(), Vec::new(), Vec::new());
        for (source, position) in last {
            let (segment, offset) = position.to_pair();
            let (Ok(segment), Ok(offset)) = (i64::try_from(segment), i64::try_from(offset)) else {
                return Err(format!("journal position of {source}: {position:?} out of range"));
            };
            p.0.push(source.to_owned());
            p.1.push(segment);
            p.2.push(offset);
        }
        Ok(Rows { quarantine: q, positions: p })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_named_twice_keeps_its_last_position() {
        let positions =
            [("a", Position::new(1, 10)), ("b", Position::new(2, 5)), ("a", Position::new(1, 20))];
        let rows = Rows::new(&[], &positions).unwrap();
        assert_eq!(rows.positions, (vec!["a".to_owned(), "b".to_owned()], vec![1, 2], vec![20, 5]));
    }

    #[test]
    fn positions_past_what_the_database_holds_are_refused() {
        let positions = [("a", Position::new(u64::MAX, 0))];
        let error = Rows::new(&[], &positions).err().unwrap();
        assert!(error.contains("journal position of a"), "{error}");
    }

    #[test]
    fn nul_in_a_quarantined_record_s_texts_is_shown_not_stored() {
        assert_eq!(printable("a\0b"), "a\u{FFFD}b");
    }
}
