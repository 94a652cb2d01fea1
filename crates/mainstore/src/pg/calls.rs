//! How calls go into `cdr`: binary `COPY`, straight into the table or
//! through the staging table (see the module above for when).

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{Statement, Transaction};
use store::CdrRow;

/// Columns of a call, in the order they are copied.
macro_rules! cdr_columns {
    () => {
        "start_s, dedup, pbx_id, extension_id, department_id, calling, dialled, rec, charge"
    };
}
const COPY_INTO_CDR: &str = concat!("COPY cdr (", cdr_columns!(), ") FROM STDIN (FORMAT binary)");
const COPY_INTO_STAGING: &str =
    concat!("COPY cdr_incoming (", cdr_columns!(), ") FROM STDIN (FORMAT binary)");
pub(super) const INSERT_STAGED: &str = concat!(
    "INSERT INTO cdr (",
    cdr_columns!(),
    ") SELECT ",
    cdr_columns!(),
    " FROM cdr_incoming ON CONFLICT (start_s, dedup) DO NOTHING"
);
const CDR_TYPES: [Type; 9] = [
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::BYTEA,
    Type::BYTEA,
];

/// The staging table: temporary (no WAL, private to the connection),
/// emptied at each commit and reused.
pub(super) const CREATE_STAGING: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS cdr_incoming (
    start_s BIGINT NOT NULL,
    dedup BIGINT NOT NULL,
    pbx_id BIGINT NOT NULL,
    extension_id BIGINT,
    department_id BIGINT,
    calling TEXT,
    dialled TEXT,
    rec BYTEA NOT NULL,
    charge BYTEA
) ON COMMIT DELETE ROWS";

/// The fast path, for calls that are all new: copies them straight into
/// `cdr`, inside a savepoint. None (and nothing copied) when one of them is
/// stored already or twice in the batch: the primary key refuses it and
/// the savepoint is rolled back.
pub(super) fn copy_new_calls(
    tx: &mut Transaction<'_>,
    calls: &[CdrRow],
) -> Result<Option<u64>, postgres::Error> {
    let mut savepoint = tx.savepoint("new_calls")?;
    let copied = copy_rows(&mut savepoint, COPY_INTO_CDR, calls);
    match copied {
        Ok(n) => {
            savepoint.commit()?;
            Ok(Some(n))
        }
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            savepoint.rollback()?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The path that skips duplicates: copies the calls into the staging
/// table, then inserts those not stored yet; returns how many were.
pub(super) fn copy_calls(
    tx: &mut Transaction<'_>,
    insert_staged: &Statement,
    calls: &[CdrRow],
) -> Result<u64, postgres::Error> {
    copy_rows(tx, COPY_INTO_STAGING, calls)?;
    tx.execute(insert_staged, &[])
}

/// Sends calls through `COPY … FROM STDIN (FORMAT binary)`.
fn copy_rows(
    tx: &mut Transaction<'_>,
    copy: &str,
    calls: &[CdrRow],
) -> Result<u64, postgres::Error> {
    let mut writer = BinaryCopyInWriter::new(tx.copy_in(copy)?, &CDR_TYPES);
    for r in calls {
        writer.write(&[
            &r.start_s,
            &r.dedup,
            &r.pbx_id,
            &r.extension_id,
            &r.department_id,
            &text(&r.calling),
            &text(&r.dialled),
            &r.rec.as_slice(),
            &r.charge.as_deref(),
        ])?;
    }
    writer.finish()
}

/// Empty text is stored as NULL, as in the embedded store.
fn text(t: &str) -> Option<&str> {
    if t.is_empty() { None } else { Some(t) }
}
