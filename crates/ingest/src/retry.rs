//! `bluewhale quarantine retry`: parse held records again (after a format
//! definition or the directory was fixed) and store those that now pass.

use crate::context::Context;
use crate::record::{Item, Origin};
use cdr::{ParserContext, Timestamp};
use parsers::Format;
use std::collections::HashMap;
use store::{Insert, Store};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetryOutcome {
    pub stored: u64,
    pub duplicates: u64,
    pub still_held: u64,
}

/// Retries the held records `ids` (all held records when `None`), with
/// `format` instead of the recorded one when given.
pub fn retry(
    store: &mut Store,
    ids: Option<&[i64]>,
    format: Option<&str>,
) -> Result<RetryOutcome, String> {
    let err = |e: store::Error| e.to_string();
    let entries = match ids {
        Some(ids) => {
            let mut v = Vec::new();
            for id in ids {
                let e = store
                    .quarantine_get(*id)
                    .map_err(err)?
                    .ok_or(format!("no quarantined record {id}"))?;
                if e.released_at.is_none() {
                    v.push(e);
                }
            }
            v
        }
        None => store.quarantine_list(false, usize::MAX).map_err(err)?,
    };
    let context = Context::load(store)?;
    let settlement = crate::rerate::settlement_start(store, &context)?;
    let index = &context.index;
    let mut out = RetryOutcome::default();
    let now = Timestamp::now().as_second();
    let mut batch = store.batch().map_err(err)?;
    // A definition file is read and compiled once, not once per record.
    let mut formats: HashMap<String, Format> = HashMap::new();
    for entry in entries {
        let q = &entry.item;
        let name = format.unwrap_or(&q.format);
        let fmt = match formats.get(name) {
            Some(f) => f,
            None => formats.entry(name.to_string()).or_insert(Format::by_name(name)?),
        };
        let pbx = index.pbx(&q.pbx);
        let ctx = ParserContext {
            time_zone: pbx.map_or(jiff::tz::TimeZone::UTC, |p| p.time_zone.clone()),
            received: Timestamp::from_second(entry.received_at)
                .unwrap_or_else(|_| Timestamp::now()),
        };
        let mut parser = fmt.parser(&ctx);
        if let Some(header) = &q.header {
            // The header gives the record its columns; its own outcome is
            // not a record.
            let _ = parser.parse(header);
        }
        let source_id = match pbx {
            Some(_) => batch.source_id(&q.location.source).map_err(err)?,
            None => 0,
        };
        let format_name = fmt.name();
        let origin = Origin::new(&q.pbx, pbx, &format_name, source_id, &context);
        // A retried call is stored as a call on its own: its leg is not
        // correlated (see ARCHITECTURE.md, correlation).
        let mut legs = Vec::new();
        let outcome = match origin.item(
            parser.parse(&q.raw),
            &q.raw,
            q.location.clone(),
            q.header.as_deref(),
            &mut legs,
        ) {
            Some(Item::Call(row)) => {
                if batch.cdr_exists(row.start_s, row.dedup).map_err(err)? {
                    Insert::Duplicate
                } else {
                    batch.insert_cdr(&row).map_err(err)?
                }
            }
            Some(Item::Quality { record, pbx_id, source_id }) => {
                batch.insert_quality(&record, pbx_id, source_id).map_err(err)?
            }
            Some(Item::Bad(_)) | None => {
                out.still_held += 1;
                continue;
            }
        };
        batch.release_quarantined(entry.id, now).map_err(err)?;
        match outcome {
            Insert::Stored => out.stored += 1,
            Insert::Duplicate => out.duplicates += 1,
        }
    }
    batch.commit().map_err(err)?;
    // Volume tiers and bundles: the months just written, priced in order.
    crate::rerate::settle_import(store, &context, settlement)?;
    Ok(out)
}
