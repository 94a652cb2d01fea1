//! Correlation where calls are stored: the writer of an import or of the
//! server joins the legs of the calls it has just stored into logical
//! calls, and records the outcome of every call they touched (who pays
//! for each leg, which leg counts: `store::Batch::bill_leg`) in the same
//! transaction as the calls.
//!
//! - Only calls stored now are joined: a duplicate's leg was joined when
//!   its original was stored, and joining it again after its call was
//!   forgotten would bill it as a call on its own.
//! - Each touched call is attributed once per batch, whole, and every leg
//!   recorded again; recording an unchanged outcome moves nothing, so a
//!   late leg re-prices its call idempotently.
//! - The correlator's state is not written anywhere of its own: the stored
//!   calls are its durable copy, committed with the outcomes. A writer
//!   starting ([`Correlating::resume`]) joins the calls stored in the last
//!   [`Config::window`] before the newest one, without billing them (their
//!   outcomes are stored already), so a crash or a restart loses nothing.
//! - The clock is the records' own: the latest end joined.

use crate::billing::billings;
use crate::context::Context;
use correlate::{CallRef, Config, Correlator, Joined, Leg, Rules, Vendor, leg_of};
use crossbeam_channel::{Receiver, Sender, bounded};
use std::thread::{Scope, ScopedJoinHandle};
use store::{Batch, CdrRow, LegBilling, Store};

/// A writer's correlator.
pub struct Correlating {
    correlator: Correlator,
    rules: Rules,
    /// Scratch: the keys stored by the batch, sorted.
    stored: Vec<i64>,
    /// Scratch: the calls the batch's legs touched.
    touched: Vec<CallRef>,
    /// Scratch: the ids of the legs the batch joined, sorted.
    joined: Vec<i64>,
}

/// What correlating one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Correlated {
    /// Legs joined.
    pub legs: u64,
    /// Calls of more than one leg, or of a leg with a feature, recorded.
    pub calls: u64,
    /// Legs whose outcome moved their sums.
    pub moved: u64,
}

impl Correlating {
    /// The correlator of a writer of `store`, under the rules `context`
    /// correlates by (`None` when it does not), holding the calls stored in
    /// the last window before the newest.
    pub fn resume(store: &Store, context: &Context) -> Result<Option<Correlating>, String> {
        let Some(rules) = context.correlation else { return Ok(None) };
        let config = Config::default();
        let mut correlating = Correlating {
            correlator: Correlator::new(rules, config),
            rules,
            stored: Vec::new(),
            touched: Vec::new(),
            joined: Vec::new(),
        };
        let err = |e: store::Error| format!("resuming correlation: {e}");
        let Some(newest) = store.newest_call_start().map_err(err)? else {
            return Ok(Some(correlating));
        };
        let from = newest - config.window.as_secs();
        let mut latest = None;
        let index = &context.index;
        store
            .each_call_since(from, &mut |call| {
                let Some(pbx) = index.pbx_by_id(call.pbx_id) else { return Ok(()) };
                let Some(cdr) = call.to_cdr(&pbx.name) else { return Ok(()) };
                let vendor = Vendor::of_format(&pbx.format);
                let at = call.start_s;
                let is_extension = |n: &str| index.is_extension_at(pbx.site_id, n, at);
                let leg = leg_of(&cdr, vendor, call.dedup as u64, &is_extension);
                latest = latest.max(Some(leg.end));
                correlating.correlator.join(leg);
                Ok(())
            })
            .map_err(err)?;
        if let Some(latest) = latest {
            correlating.correlator.advance(latest);
        }
        Ok(Some(correlating))
    }

    /// The rules it attributes by.
    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Joins those of `legs` whose calls the batch stored (`stored`: their
    /// keys, from `DedupWriter::stored_keys`; `None`: all) and gives the
    /// outcome of every call they touched, to record
    /// ([`Outcomes::record`]) in the transaction that stores their calls,
    /// into `outcomes` (emptied: one recorded before, whose vectors are
    /// reused). It needs no store, so a writer runs it beside its own work
    /// ([`Beside`]).
    pub fn outcomes(
        &mut self,
        legs: impl IntoIterator<Item = Leg>,
        stored: Option<&[i64]>,
        context: &Context,
        mut outcomes: Outcomes,
    ) -> Outcomes {
        debug_assert!(outcomes.new.is_empty() && outcomes.earlier.is_empty());
        outcomes.done = Correlated::default();
        self.stored.clear();
        if let Some(stored) = stored {
            self.stored.extend_from_slice(stored);
            self.stored.sort_unstable();
        }
        let mut latest = None;
        self.joined.clear();
        for leg in legs {
            if stored.is_some() && self.stored.binary_search(&(leg.id as i64)).is_err() {
                continue;
            }
            latest = latest.max(Some(leg.end));
            outcomes.done.legs += 1;
            self.joined.push(leg.id as i64);
            if let Joined::Call(call) = self.correlator.join(leg) {
                self.touched.push(call);
            }
        }
        self.joined.sort_unstable();
        self.touched.sort_unstable();
        self.touched.dedup();
        for call in self.touched.drain(..) {
            // None: merged into a call joined later in the batch, which
            // was touched too.
            let Some(call) = self.correlator.attribution(call) else { continue };
            let Some(pbx) = context.index.pbx(&call.pbx) else { continue };
            outcomes.done.calls += 1;
            for leg in billings(&call, &context.index, pbx) {
                // Joined now, so stored now: its outcome is its first.
                if self.joined.binary_search(&leg.dedup).is_ok() {
                    outcomes.new.push(leg);
                } else {
                    outcomes.earlier.push(leg);
                }
            }
        }
        if let Some(latest) = latest {
            // Completion changes no outcome (every change is recorded as
            // it happens): only the memory is freed.
            self.correlator.advance_quietly(latest);
        }
        outcomes
    }
}

/// The outcomes of the calls a batch of legs touched, to record.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// Of legs whose calls the batch stored.
    new: Vec<LegBilling>,
    /// Of legs stored earlier (a late leg re-prices its call).
    earlier: Vec<LegBilling>,
    done: Correlated,
    /// Where the emptied vectors go once recorded (the correlator's thread,
    /// which fills them again rather than growing new ones into fresh
    /// memory batch after batch).
    home: Option<Sender<Outcomes>>,
}

impl Outcomes {
    /// Records the outcomes in `batch`, the transaction that stores (or
    /// stored) their calls; `row` finds a row of the batch by key, to bill
    /// a new leg from (one it does not find is read back). Outcomes must be
    /// recorded in the order they were given.
    pub fn record<'r>(
        mut self,
        batch: &mut Batch<'_>,
        row: impl Fn(i64, i64) -> Option<&'r CdrRow>,
        context: &Context,
    ) -> store::Result<Correlated> {
        let mut done = self.done;
        let zone = context.calendar.zone();
        let mut from_rows = Vec::with_capacity(self.new.len());
        for leg in self.new.drain(..) {
            match row(leg.start_s, leg.dedup) {
                Some(row) => from_rows.push((leg, row)),
                None => done.moved += u64::from(batch.bill_leg(&leg, zone)?),
            }
        }
        // Not from the batch's rows even where one has the key: that row
        // is a duplicate, not the call stored.
        for leg in self.earlier.drain(..) {
            done.moved += u64::from(batch.bill_leg(&leg, zone)?);
        }
        done.moved += batch.bill_new_legs(&from_rows)?;
        if let Some(home) = self.home.take() {
            let _ = home.try_send(self);
        }
        Ok(done)
    }
}

/// The legs of one batch for a [`Beside`] correlator: those of the calls
/// the batch stored (`stored`: their keys; `None`: all).
struct Job {
    legs: Vec<Vec<Leg>>,
    stored: Option<Vec<i64>>,
}

/// A correlator on a thread of its own beside a writer: the writer hands
/// it each batch's legs once the batch's calls are stored, stores the next
/// batch meanwhile, then records the outcomes, in the order it handed the
/// batches over, in the same transaction as their calls. Joining and
/// attributing so run in parallel with SQLite's work. The writer takes
/// each batch's outcomes before handing over more than one further batch
/// (the queues between them are short).
pub struct Beside<'scope> {
    /// Dropped by `finish` or with it, which ends the thread's loop (and a
    /// send of the thread's fails once `outcomes` is dropped), so its scope
    /// can end.
    jobs: Sender<Job>,
    outcomes: Receiver<Outcomes>,
    thread: ScopedJoinHandle<'scope, Correlating>,
}

impl<'scope> Beside<'scope> {
    /// Starts `correlating` on a thread of `scope`, which hands each
    /// vector of legs back through `give_back` once emptied.
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        mut correlating: Correlating,
        context: &'env Context,
        give_back: impl Fn(Vec<Leg>) + Send + 'scope,
    ) -> Result<Beside<'scope>, String> {
        let (jobs, to_do) = bounded::<Job>(2);
        let (done, outcomes) = bounded::<Outcomes>(2);
        // Emptied outcomes coming back: as many as can be out at once.
        let (home, spent) = bounded::<Outcomes>(4);
        let thread = std::thread::Builder::new()
            .name("correlate".into())
            .spawn_scoped(scope, move || {
                for mut job in to_do {
                    let legs = job.legs.iter_mut().flat_map(|legs| legs.drain(..));
                    let reused = spent.try_recv().unwrap_or_default();
                    let mut outcomes =
                        correlating.outcomes(legs, job.stored.as_deref(), context, reused);
                    outcomes.home = Some(home.clone());
                    job.legs.into_iter().for_each(&give_back);
                    if done.send(outcomes).is_err() {
                        break; // the writer stopped
                    }
                }
                correlating
            })
            .map_err(|e| format!("starting correlation: {e}"))?;
        Ok(Beside { jobs, outcomes, thread })
    }

    /// Hands over the legs of a batch whose calls are stored.
    pub fn send(&mut self, legs: Vec<Vec<Leg>>, stored: Option<&[i64]>) -> Result<(), String> {
        let job = Job { legs, stored: stored.map(<[i64]>::to_vec) };
        self.jobs.send(job).map_err(|_| Self::stopped())
    }

    /// The outcomes of the oldest batch handed over and not taken yet.
    pub fn take_outcomes(&mut self) -> Result<Outcomes, String> {
        self.outcomes.recv().map_err(|_| Self::stopped())
    }

    /// Stops the thread, every outcome taken, and gives the correlator back.
    pub fn finish(self) -> Result<Correlating, String> {
        drop(self.jobs);
        self.thread.join().map_err(|_| Self::stopped())
    }

    fn stopped() -> String {
        "correlation stopped unexpectedly (see the log): nothing of this transaction was kept"
            .into()
    }
}
