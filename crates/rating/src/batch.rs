//! Pricing many calls at once. With traffic spread over many carriers
//! nearly every lookup misses the cache, and pricing one call at a time
//! waits for each miss in turn. Here a chunk of calls is resolved first
//! (version, number, prefix table walk, destination) in a tight loop whose
//! iterations do not depend on each other, so the CPU keeps several misses
//! in flight; the chunk is then priced while those lines are still warm.

use crate::bundle::PeriodUsage;
use crate::model::TariffBook;
use crate::price::{Call, EMPTY_USAGE, PriceError, Priced, Resolved, price_resolved};

/// Calls resolved ahead of pricing: small enough that their cache lines
/// stay in L1/L2 until priced, large enough to overlap many misses.
const CHUNK: usize = 32;

impl TariffBook {
    /// Prices `calls` as [`TariffBook::price`] does (no earlier usage),
    /// appending one result per call, in order, to `out`.
    pub fn price_batch<'a>(
        &'a self,
        calls: &[Call<'_>],
        out: &mut Vec<Result<Priced<'a>, PriceError>>,
    ) {
        out.reserve(calls.len());
        let period = PeriodUsage::same(&EMPTY_USAGE);
        let mut resolved: [Option<Resolved<'a>>; CHUNK] = [None; CHUNK];
        for chunk in calls.chunks(CHUNK) {
            for (slot, call) in resolved.iter_mut().zip(chunk) {
                *slot = self.resolve(call).ok();
            }
            for (slot, call) in resolved.iter().zip(chunk) {
                out.push(match slot {
                    Some(found) => Ok(price_resolved(*found, call, &period)),
                    // Rare: resolve again for the error itself.
                    None => self.resolve(call).map(|found| price_resolved(found, call, &period)),
                });
            }
        }
    }
}
