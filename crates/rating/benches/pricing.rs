//! The Rating floors: pricing ≥ 2,000,000 calls/s per core with 1,000,000
//! prefixes and 1,000 carriers loaded; loading 1,000,000 prefixes ≤ 3 s.
//!
//! The synthetic book: 1,000 carriers × 1 version × 1,000 prefixes (2–9
//! digits) over 20 destinations, bands peak / offpeak / weekend with
//! holidays, half the carriers `split` and half `start`, four zones, the
//! prefixes in one CSV per carrier. Calls: random carrier, a number under
//! a random prefix of it, a start in 2025, 1–900 s.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use rating::{Call, CarrierId, TariffBook};

const CARRIERS: usize = 1_000;
const PREFIXES_PER_CARRIER: usize = 1_000;
const DESTINATIONS: usize = 20;
const CALLS: usize = 1 << 16;
/// Calls per `price_batch` in its benchmark.
const BATCH: usize = 256;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes the synthetic book; returns the TOML path and each carrier's prefixes.
fn write_book(folder: &Path) -> (PathBuf, Vec<Vec<String>>) {
    std::fs::create_dir_all(folder.join("prefixes")).unwrap();
    let zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "Europe/London"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut toml = String::from(
        "format = 1\n\n[[calendar]]\nname = \"common\"\ndates = [\"01-01\", \"05-01\", \"12-25\", \"2025-04-21\"]\n",
    );
    let mut all_prefixes = Vec::with_capacity(CARRIERS);
    for carrier in 0..CARRIERS {
        let crossing = if carrier % 2 == 0 { "split" } else { "start" };
        let _ = write!(
            toml,
            r#"
[[carrier]]
name = "carrier-{carrier}"

[[carrier.version]]
id = "2025"
valid_from = 2025-01-01
currency = "EUR"
time_zone = "{zone}"
crossing = "{crossing}"
rounding = {{ at = "per_call", mode = "half_up", decimals = 2 }}
default_band = "offpeak"
holiday_band = "weekend"
holidays = ["common"]
prefixes_csv = "prefixes/{carrier}.csv"

[[carrier.version.band]]
name = "peak"
when = [{{ days = "mon-fri", from = "08:00", to = "19:00" }}]

[[carrier.version.band]]
name = "offpeak"

[[carrier.version.band]]
name = "weekend"
when = [{{ days = "sat-sun", from = "00:00", to = "24:00" }}]
"#,
            zone = zones[carrier % zones.len()],
        );
        for destination in 0..DESTINATIONS {
            let cents = 1 + destination;
            let _ = write!(
                toml,
                r#"
[[carrier.version.destination]]
name = "destination {destination}"
rates.peak = {{ connect_fee = "0.05", first_seconds = 30, first_price = "0.{cents:02}", increment_seconds = 6, increment_price = "0.0{d}" }}
rates.all = {{ first_seconds = 60, first_price = "0.{cents:02}", increment_seconds = 60, increment_price = "0.{cents:02}", minimum = "0.10" }}
"#,
                d = destination % 10,
            );
        }
        let mut prefixes = std::collections::BTreeSet::new();
        while prefixes.len() < PREFIXES_PER_CARRIER {
            let len = 2 + rng.below(8) as usize;
            let digits: String = (0..len).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
            prefixes.insert(digits);
        }
        let mut csv = String::from("prefix,destination\n");
        for prefix in &prefixes {
            let _ = writeln!(csv, "{prefix},destination {}", rng.below(DESTINATIONS as u64));
        }
        std::fs::write(folder.join(format!("prefixes/{carrier}.csv")), csv).unwrap();
        all_prefixes.push(prefixes.into_iter().collect());
    }
    let path = folder.join("tariffs.toml");
    std::fs::write(&path, toml).unwrap();
    (path, all_prefixes)
}

/// `carriers`: how many carriers the traffic is spread over (uniformly).
fn calls(
    book: &TariffBook,
    prefixes: &[Vec<String>],
    carriers: usize,
) -> Vec<(CarrierId, String, Timestamp, u32)> {
    let mut rng = Rng(42);
    let year_start = "2025-01-01T00:00:00Z".parse::<Timestamp>().unwrap().as_second();
    (0..CALLS)
        .map(|_| {
            let carrier = rng.below(carriers as u64) as usize * (CARRIERS / carriers);
            let list = &prefixes[carrier];
            let mut number = list[rng.below(list.len() as u64) as usize].clone();
            while number.len() < 11 {
                number.push(char::from(b'0' + rng.below(10) as u8));
            }
            let start =
                Timestamp::from_second(year_start + rng.below(365 * 86_400) as i64).unwrap();
            let id = book.carrier_id(&format!("carrier-{carrier}")).unwrap();
            (id, number, start, 1 + rng.below(900) as u32)
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rating-bench-book");
    let (path, prefixes) = write_book(&folder);

    let started = Instant::now();
    let book = TariffBook::load(&path).unwrap();
    eprintln!(
        "loaded {} prefixes, {} carriers in {:.2?}",
        book.prefix_count(),
        book.carriers().len(),
        started.elapsed()
    );
    assert_eq!(book.prefix_count(), CARRIERS * PREFIXES_PER_CARRIER);

    let mut group = c.benchmark_group("rating");
    group.throughput(Throughput::Elements(1));
    // Traffic over all 1,000 carriers uniformly (every lookup cold in
    // cache: the worst case), and over 10 carriers (a usual organisation:
    // a handful of carriers carry the calls, the rest are loaded).
    for spread in [CARRIERS, 10] {
        let calls = calls(&book, &prefixes, spread);
        let mut next = 0usize;
        group.bench_function(
            format!("price_one_call_1M_prefixes_traffic_on_{spread}_carriers"),
            |b| {
                b.iter(|| {
                    let (carrier, number, start, duration_s) = &calls[next % CALLS];
                    next = next.wrapping_add(1);
                    let call = Call {
                        carrier: *carrier,
                        number,
                        start: *start,
                        duration_s: *duration_s,
                        site_holidays: None,
                    };
                    black_box(book.price(black_box(&call)).map(|p| p.cost))
                })
            },
        );
        // The same calls through `price_batch`, BATCH at a time.
        let batch: Vec<Call<'_>> = calls
            .iter()
            .map(|(carrier, number, start, duration_s)| Call {
                carrier: *carrier,
                number,
                start: *start,
                duration_s: *duration_s,
                site_holidays: None,
            })
            .collect();
        let mut out = Vec::with_capacity(BATCH);
        let mut next = 0usize;
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(
            format!("price_batch_1M_prefixes_traffic_on_{spread}_carriers"),
            |b| {
                b.iter(|| {
                    let from = next % (CALLS / BATCH) * BATCH;
                    next = next.wrapping_add(1);
                    out.clear();
                    book.price_batch(black_box(&batch[from..from + BATCH]), &mut out);
                    black_box(out.len())
                })
            },
        );
        group.throughput(Throughput::Elements(1));
    }
    group.sample_size(10);
    group.throughput(Throughput::Elements((CARRIERS * PREFIXES_PER_CARRIER) as u64));
    group.bench_function("load_1M_prefixes", |b| b.iter(|| TariffBook::load(&path).unwrap()));
    group.finish();
}

criterion_group!(rating, benches);
criterion_main!(rating);
