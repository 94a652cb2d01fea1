//! Pricing stored calls again: `bluewhale rerate` after tariff or
//! directory changes, and settling the months an import touched when a
//! carrier has volume tiers or bundles.
//!
//! Day by day, each day in one transaction (its calls, its `cdr_owner`
//! rows and the month rollups' difference), so it is idempotent and an
//! interruption leaves whole days done or not. A day's calls are read
//! while the ones before are priced on the other cores (list pricing is
//! pure); calls whose carrier has period discounts are then priced in
//! start order on this thread against the month's earlier calls (see
//! `charging::period`), which is why such months are always re-rated
//! whole, from their first day.

use crate::context::Context;
use charging::Ledger;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use store::{CallRecord, CdrRow, RowChange, Store};

/// Which stored calls to price again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// Every call: attributed and priced again.
    All,
    /// The calls this carrier (its store id) carried before or carries
    /// now.
    Carrier(i64),
    /// Only the calls on carriers with volume tiers or bundles, priced in
    /// month order: what an import leaves to do (it prices each call at
    /// its list price, not knowing the month's other calls).
    PeriodCarriers,
}

/// What a re-rating did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerateOutcome {
    /// The local days re-rated (whole months when period discounts apply).
    pub days: RangeInclusive<i64>,
    pub calls: u64,
    pub changed: u64,
}

/// Rows per piece of work handed to a pricing thread.
const PIECE: usize = 4096;
/// Rows read from the store at a time: the memory a day's re-rating holds
/// beyond its postings, whatever the size of the day.
const CHUNK: usize = 16 * PIECE;

/// The days to re-rate for `days`: whole months when a selected call may
/// be on a carrier with period discounts, since each of its calls' price
/// depends on the month's calls before it (and changes those after).
pub fn days_to_rerate(
    context: &Context,
    days: RangeInclusive<i64>,
    select: Select,
) -> RangeInclusive<i64> {
    let charger = &context.charger;
    let whole_months = match select {
        Select::Carrier(id) => charger.has_period_discounts(id),
        Select::All | Select::PeriodCarriers => charger.any_period_discounts(),
    };
    if !whole_months {
        return days;
    }
    let first = month_days(charging::month_of_day(*days.start()));
    let last = month_days(charging::month_of_day(*days.end()));
    *first.start()..=*last.end()
}

/// The local days of `month`.
fn month_days(month: i64) -> RangeInclusive<i64> {
    charging::first_day_of_month(month)..=charging::first_day_of_month(month + 1) - 1
}

/// Prices the selected calls of `days` (local days of the reporting
/// zone, widened by [`days_to_rerate`]) again and stores what changed;
/// `each_day` hears of every day done with the totals so far.
pub fn rerate(
    store: &mut Store,
    context: &Context,
    days: RangeInclusive<i64>,
    select: Select,
    each_day: &mut dyn FnMut(i64, u64, u64),
) -> Result<RerateOutcome, String> {
    // Commits then never stop to copy the WAL back (see `store::checkpoint`).
    store.start_background_checkpoints().map_err(|e| e.to_string())?;
    let done = rerate_days(store, context, days, select, each_day);
    store.stop_background_checkpoints();
    done
}

fn rerate_days(
    store: &Store,
    context: &Context,
    days: RangeInclusive<i64>,
    select: Select,
    each_day: &mut dyn FnMut(i64, u64, u64),
) -> Result<RerateOutcome, String> {
    let days = days_to_rerate(context, days, select);
    let mut outcome = RerateOutcome { days: days.clone(), calls: 0, changed: 0 };
    let mut ledger = Ledger::new();
    for day in days {
        let month = charging::month_of_day(day);
        ledger.forget_before(month);
        let (from_s, to_s) = (context.calendar.day_start(day), context.calendar.day_start(day + 1));
        let err = |e: store::Error| e.to_string();
        let mut rewrite = store.rewrite_day(day, month, from_s, to_s).map_err(err)?;
        rewrite_day(context, &mut rewrite, select, &mut ledger)?;
        let done = rewrite.commit().map_err(err)?;
        outcome.calls += done.calls;
        outcome.changed += done.changed;
        each_day(day, outcome.calls, outcome.changed);
    }
    Ok(outcome)
}

/// A row as a pricing thread leaves it. `Done` is by far the common case,
/// so it stays unboxed.
#[allow(clippy::large_enum_variant)]
enum Worked {
    Done(RowChange),
    /// To be priced against the month's earlier calls, in order.
    InPeriod(Box<(CdrRow, CallRecord)>),
}

/// Reads the day's calls a chunk at a time; while the pricing threads
/// work out a chunk's changes, the next chunk is read, then the chunk's
/// changes are applied in row (start) order, the calls with period
/// discounts priced on the way.
fn rewrite_day(
    context: &Context,
    rewrite: &mut store::DayRewrite<'_>,
    select: Select,
    ledger: &mut Ledger,
) -> Result<(), String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let (to_workers, jobs) = crossbeam_channel::bounded::<(usize, Vec<CdrRow>)>(2 * CHUNK / PIECE);
    type Piece = (usize, Result<Vec<Worked>, String>);
    let (to_main, done) = crossbeam_channel::unbounded::<Piece>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (jobs, to_main) = (jobs.clone(), to_main.clone());
            scope.spawn(move || {
                for (n, rows) in jobs {
                    let worked = rows.into_iter().map(|r| work(context, r, select)).collect();
                    if to_main.send((n, worked)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((jobs, to_main));
        let mut applier = Applier { done, waiting: BTreeMap::new(), next: 0 };
        let (mut sent, mut after) = (0, None);
        loop {
            let rows = rewrite.read_chunk(after, CHUNK).map_err(|e| e.to_string())?;
            let last_chunk = rows.len() < CHUNK;
            after = rows.last().map(|r| (r.start_s, r.dedup));
            let pieces_before = sent;
            let mut rows = rows.into_iter();
            loop {
                let piece: Vec<CdrRow> = rows.by_ref().take(PIECE).collect();
                if piece.is_empty() {
                    break;
                }
                to_workers.send((sent, piece)).map_err(|_| "a re-rating thread failed")?;
                sent += 1;
            }
            // The chunk before this one is priced meanwhile: apply it.
            applier.apply_until(pieces_before, context, rewrite, ledger)?;
            if last_chunk {
                break;
            }
        }
        drop(to_workers);
        applier.apply_until(sent, context, rewrite, ledger)
    })
}

/// Applies the pricing threads' pieces in the order they were sent.
struct Applier {
    done: crossbeam_channel::Receiver<(usize, Result<Vec<Worked>, String>)>,
    /// Pieces that came back before their turn.
    waiting: BTreeMap<usize, Result<Vec<Worked>, String>>,
    /// The next piece to apply.
    next: usize,
}

impl Applier {
    /// Applies every piece before `end`, waiting for them as needed.
    fn apply_until(
        &mut self,
        end: usize,
        context: &Context,
        rewrite: &mut store::DayRewrite<'_>,
        ledger: &mut Ledger,
    ) -> Result<(), String> {
        while self.next < end {
            let part = match self.waiting.remove(&self.next) {
                Some(part) => part,
                None => {
                    let (n, part) =
                        self.done.recv().map_err(|_| "a re-rating thread failed".to_string())?;
                    if n != self.next {
                        self.waiting.insert(n, part);
                        continue;
                    }
                    part
                }
            };
            self.next += 1;
            for worked in part? {
                let change = match worked {
                    Worked::Done(change) => change,
                    Worked::InPeriod(call) => {
                        let (row, record) = *call;
                        let new = context.recharge_in_period(&record, ledger);
                        let stored = record.charge.as_ref();
                        RowChange::new(&row, stored, record.duration_s, new.as_ref())
                    }
                };
                rewrite.apply(&change).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

/// One row's change, or the row to price in period order; kept as stored
/// when it is not selected or its PBX left the directory.
fn work(context: &Context, row: CdrRow, select: Select) -> Result<Worked, String> {
    let record: CallRecord = row.decode_for_rating()?;
    let stored_carrier = record.charge.as_ref().map_or(0, |c| c.carrier_id);
    let in_period = |carrier: i64| context.charger.has_period_discounts(carrier);
    let new = match select {
        Select::PeriodCarriers if in_period(stored_carrier) => {
            return Ok(Worked::InPeriod(Box::new((row, record))));
        }
        Select::PeriodCarriers => None,
        Select::All | Select::Carrier(_) => context.recharge(&record),
    };
    let new_carrier = new.as_ref().map(|n| n.charge.carrier_id);
    let selected = match select {
        Select::Carrier(c) => stored_carrier == c || new_carrier == Some(c),
        Select::All | Select::PeriodCarriers => true,
    };
    if selected && new_carrier.is_some_and(in_period) {
        return Ok(Worked::InPeriod(Box::new((row, record))));
    }
    let new = if selected { new } else { None };
    Ok(Worked::Done(RowChange::new(&row, record.charge.as_ref(), record.duration_s, new.as_ref())))
}

/// Settles what an import leaves to do, the import having started after
/// posting number `after_seq`: the months it stored calls in are priced
/// again in start order, for the calls on carriers with volume tiers or
/// bundles. Returns the calls changed.
pub(crate) fn settle_after(
    store: &mut Store,
    context: &Context,
    after_seq: i64,
) -> Result<u64, String> {
    let months = store.months_posted_after(after_seq).map_err(|e| e.to_string())?;
    let mut changed = 0;
    for month in months {
        let days = month_days(month);
        let done = rerate(store, context, days, Select::PeriodCarriers, &mut |_, _, _| {})?;
        changed += done.changed;
    }
    Ok(changed)
}

/// Where settling after an import starts: after the posting number an
/// earlier import left unsettled (it stopped between its commits and its
/// settlement), else after the current one, recorded first so that a
/// crash in between leaves it behind. None when no carrier has volume
/// tiers or bundles: list prices are then final.
pub(crate) fn settlement_start(store: &Store, context: &Context) -> Result<Option<i64>, String> {
    let err = |e: store::Error| e.to_string();
    let left = store.setting(store::SETTLE_AFTER_SEQ).map_err(err)?;
    if !context.charger.any_period_discounts() {
        if left.is_some() {
            store.remove_setting(store::SETTLE_AFTER_SEQ).map_err(err)?;
        }
        return Ok(None);
    }
    if let Some(seq) = left.and_then(|text| text.parse::<i64>().ok()) {
        return Ok(Some(seq));
    }
    let seq = store.posting_seq().map_err(err)?;
    store.set_setting(store::SETTLE_AFTER_SEQ, &seq.to_string()).map_err(err)?;
    Ok(Some(seq))
}

/// Settles after an import that started at `start` (see
/// [`settlement_start`]) and forgets the mark.
pub(crate) fn settle_import(
    store: &mut Store,
    context: &Context,
    start: Option<i64>,
) -> Result<u64, String> {
    let Some(after_seq) = start else { return Ok(0) };
    let changed = settle_after(store, context, after_seq)?;
    store.remove_setting(store::SETTLE_AFTER_SEQ).map_err(|e| e.to_string())?;
    Ok(changed)
}
