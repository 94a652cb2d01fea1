//! Pricing many calls at once. With traffic spread over many carriers
//! nearly every lookup misses the cache, and pricing one call at a time
//! waits for each miss in turn: the prefix probes and the version, then
//! the destination and its rate. Here calls go through a pipeline of
//! three stages, `AHEAD` calls apart: call `i + 2 × AHEAD` is located and
//! the memory its lookups will read is prefetched; call `i + AHEAD` is
//! resolved (its buckets arrived meanwhile) and its rate and destination
//! prefetched; call `i` is priced from warm lines. The misses of many
//! calls are then in flight while others are computed.

use crate::bundle::PeriodUsage;
use crate::model::TariffBook;
use crate::price::{Call, EMPTY_USAGE, Located, PriceError, Priced, Resolved, price_resolved};

/// Calls between the stages: enough pricing work to cover a memory
/// access, few enough that prefetched lines are not evicted before use.
const AHEAD: usize = 4;
/// Ring slots: calls between the first stage and the last.
const RING: usize = 2 * AHEAD + 1;

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
        let mut located: [Option<Located<'a>>; RING] = [None; RING];
        let mut resolved: [Option<Resolved<'a>>; RING] = [None; RING];
        for step in 0..calls.len() + 2 * AHEAD {
            if let Some(call) = calls.get(step) {
                let found = self.locate(call).ok();
                if let Some(found) = &found {
                    found.prefetch();
                }
                located[step % RING] = found;
            }
            if let Some(i) = step.checked_sub(AHEAD)
                && let Some(call) = calls.get(i)
            {
                let found = located[i % RING].and_then(|found| found.resolve(call).ok());
                if let Some(found) = &found {
                    found.prefetch();
                }
                resolved[i % RING] = found;
            }
            if let Some(i) = step.checked_sub(2 * AHEAD)
                && let Some(call) = calls.get(i)
            {
                out.push(match resolved[i % RING] {
                    Some(found) => price_resolved(found, call, &period),
                    // Rare: resolve again for the error itself.
                    None => {
                        self.resolve(call).and_then(|found| price_resolved(found, call, &period))
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    fn summary(result: &Result<Priced<'_>, PriceError>) -> String {
        match result {
            Ok(p) => format!(
                "{} {} {} {} {} {:?} {:?}",
                p.cost, p.gross, p.destination, p.billed_seconds, p.units, p.adjustment, &*p.bands
            ),
            Err(e) => format!("{e:?}"),
        }
    }

    /// Batches shorter and longer than the pipeline, errors included,
    /// give `price`'s results in order.
    #[test]
    fn any_length_gives_the_results_of_price() {
        let book =
            TariffBook::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tariffs.toml"))
                .unwrap();
        let numbers = ["33142345678", "33612345678", "4930123456", "x", "1555", "99"];
        let calls: Vec<Call<'_>> = (0..3 * RING + 5)
            .map(|i| Call {
                carrier: book
                    .carrier_id(book.carriers()[i % book.carriers().len()].name())
                    .unwrap(),
                number: numbers[i % numbers.len()],
                start: Timestamp::from_second(1_740_000_000 + 7_919 * i as i64).unwrap(),
                duration_s: (i as u32 * 37) % 700,
                site_holidays: None,
            })
            .collect();
        for len in [0, 1, AHEAD - 1, AHEAD, AHEAD + 1, RING, RING + 1, calls.len()] {
            let mut out = Vec::new();
            book.price_batch(&calls[..len], &mut out);
            assert_eq!(out.len(), len);
            for (call, result) in calls.iter().zip(&out) {
                assert_eq!(summary(result), summary(&book.price(call)), "{len} {call:?}");
            }
        }
    }
}
