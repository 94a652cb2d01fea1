//! One batch as multi-row `INSERT`s in one transaction (see the module
//! above).

use super::classify::classify;
use crate::error::{Error, Result};
use crate::{Quarantined, Written};
use mysql::prelude::Queryable;
use mysql::{Conn, TxOpts, Value};
use store::CdrRow;

/// Calls per `INSERT`: 9 parameters each, well under the protocol's
/// 65,535 and a packet of a few hundred kilobytes.
const CALLS_PER_INSERT: usize = 2000;
/// Quarantined records per `INSERT` (10 parameters each).
const QUARANTINED_PER_INSERT: usize = 1000;
/// Bytes of values per `INSERT`, well under the smallest default
/// `max_allowed_packet` (16 MiB on MariaDB, 64 MiB on MySQL 8), whatever
/// the size of the records.
const MAX_BYTES_PER_INSERT: usize = 4 << 20;

/// One batch, in one transaction (rolled back if anything fails).
pub(super) fn write(
    conn: &mut Conn,
    target: &str,
    calls: &[CdrRow],
    quarantined: &[Quarantined<'_>],
    positions: &[(&str, i64, i64)],
) -> Result<Written> {
    let err = |doing: &'static str| move |e: mysql::Error| classify(&e, target, doing);
    let mut tx =
        conn.start_transaction(TxOpts::default()).map_err(err("beginning a transaction"))?;
    let mut stored = 0;
    let call_size = |r: &CdrRow| {
        r.rec.len() + r.charge.as_ref().map_or(0, Vec::len) + r.calling.len() + r.dialled.len()
    };
    for chunk in bounded_chunks(calls, CALLS_PER_INSERT, call_size) {
        let mut values = Vec::with_capacity(chunk.len() * 9);
        for r in chunk {
            values.extend([
                Value::Int(r.start_s),
                Value::Int(r.dedup),
                Value::Int(r.pbx_id),
                r.extension_id.map_or(Value::NULL, Value::Int),
                r.department_id.map_or(Value::NULL, Value::Int),
                text(&r.calling),
                text(&r.dialled),
                Value::Bytes(r.rec.clone()),
                r.charge.as_ref().map_or(Value::NULL, |c| Value::Bytes(c.clone())),
            ]);
        }
        tx.exec_drop(insert_calls_sql(chunk.len()), values).map_err(err("storing the calls"))?;
        stored += tx.affected_rows();
    }
    let mut kept = 0;
    let quarantined_size = |q: &Quarantined<'_>| {
        let i = q.item;
        i.raw.len()
            + i.header.as_ref().map_or(0, Vec::len)
            + i.reason.len()
            + i.location.source.len()
    };
    for chunk in bounded_chunks(quarantined, QUARANTINED_PER_INSERT, quarantined_size) {
        let mut values = Vec::with_capacity(chunk.len() * 10);
        for q in chunk {
            let i = q.item;
            let position = i64::try_from(i.location.position).map_err(|_| Error::Rejected {
                target: target.to_owned(),
                doing: "keeping quarantined records".to_owned(),
                message: format!("record at {}: position out of range", i.location.source),
            })?;
            values.extend([
                Value::Int(q.received_at),
                Value::from(i.pbx.as_str()),
                Value::from(i.format.as_str()),
                Value::from(i.location.source.as_str()),
                Value::Int(position),
                Value::Int(i64::from(i.location.is_offset)),
                Value::from(i.reason.as_str()),
                Value::Bytes(i.raw.clone()),
                i.header.as_ref().map_or(Value::NULL, |h| Value::Bytes(h.clone())),
                // The same identity as the embedded store's.
                Value::Int(cdr::whole_record("quarantine", &i.raw) as i64),
            ]);
        }
        tx.exec_drop(insert_quarantine_sql(chunk.len()), values)
            .map_err(err("keeping quarantined records"))?;
        kept += tx.affected_rows();
    }
    if !positions.is_empty() {
        let values: Vec<Value> = positions
            .iter()
            .flat_map(|&(source, segment, offset)| {
                [Value::from(source), Value::Int(segment), Value::Int(offset)]
            })
            .collect();
        tx.exec_drop(upsert_positions_sql(positions.len()), values)
            .map_err(err("recording journal positions"))?;
    }
    tx.commit().map_err(err("committing"))?;
    Ok(Written { stored, duplicates: calls.len() as u64 - stored, quarantined: kept })
}

/// `items` in runs of at most `max_rows` and, but for a single item larger
/// on its own, [`MAX_BYTES_PER_INSERT`] bytes of values.
fn bounded_chunks<T>(
    items: &[T],
    max_rows: usize,
    size: impl Fn(&T) -> usize,
) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let mut n = 0;
        while n < rest.len().min(max_rows) {
            bytes += size(&rest[n]);
            if n > 0 && bytes > MAX_BYTES_PER_INSERT {
                break;
            }
            n += 1;
        }
        let (chunk, after) = rest.split_at(n);
        rest = after;
        Some(chunk)
    })
}

fn insert_calls_sql(rows: usize) -> String {
    format!(
        "INSERT INTO cdr (start_s, dedup, pbx_id, extension_id, department_id, calling, dialled,
         rec, charge) VALUES {}
         ON DUPLICATE KEY UPDATE start_s = start_s",
        vec!["(?,?,?,?,?,?,?,?,?)"; rows].join(",")
    )
}

fn insert_quarantine_sql(rows: usize) -> String {
    format!(
        "INSERT INTO quarantine (received_at, pbx, format, source, position, is_offset, reason,
         raw, header, raw_hash) VALUES {}
         ON DUPLICATE KEY UPDATE id = id",
        vec!["(?,?,?,?,?,?,?,?,?,?)"; rows].join(",")
    )
}

/// `VALUES(col)` rather than MySQL 8's row alias, which MariaDB lacks.
fn upsert_positions_sql(rows: usize) -> String {
    format!(
        "INSERT INTO journal_position (source, segment, `offset`) VALUES {}
         ON DUPLICATE KEY UPDATE segment = VALUES(segment), `offset` = VALUES(`offset`)",
        vec!["(?,?,?)"; rows].join(",")
    )
}

/// Empty text is stored as NULL, as in the embedded store.
fn text(t: &str) -> Value {
    if t.is_empty() { Value::NULL } else { Value::from(t) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_are_bounded_in_rows_and_bytes() {
        let sizes = |items: &[usize], rows| -> Vec<usize> {
            bounded_chunks(items, rows, |&n| n).map(<[usize]>::len).collect()
        };
        let mb = 1 << 20;
        assert_eq!(sizes(&[1; 5], 2), [2, 2, 1]);
        assert_eq!(sizes(&[mb; 9], 100), [4, 4, 1]);
        // A record larger than the bound goes alone.
        assert_eq!(sizes(&[1, 5 * mb, 1], 100), [1, 1, 1]);
        assert!(sizes(&[], 3).is_empty());
    }
}
