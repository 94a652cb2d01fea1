//! Rating: the price of one call from a carrier's tariffs.
//!
//! A [`TariffBook`] holds carriers, each with effective-dated
//! [`TariffVersion`]s: destinations found by longest prefix, rates per time
//! band, bands evaluated in the tariff's IANA zone (with DST and holidays),
//! a band-crossing policy, a rounding rule and a currency. It is loaded
//! from TOML (+ CSV) — see `TARIFF.md` — and is immutable afterwards, so
//! one book is shared by every pricing thread. [`TariffBook::price`] turns
//! a [`Call`] into a [`Priced`] (cost, version, prefix, bands, units) or a
//! [`PriceError`] such as `NoRate`; never a silent zero.
//!
//! Pure logic: no database, no I/O besides loading and exporting files.

mod bands;
mod batch;
mod bundle;
mod cgrates;
mod discount;
mod exact;
mod explain;
mod file;
mod fixed;
mod grid;
mod model;
mod money;
mod prefetch;
mod prefix;
mod price;
mod zone;

pub use bands::{HolidayCalendar, HolidayDate, TimeRange, Weekdays};
pub use bundle::{Bundle, BundleScope, BundleUse, PeriodUsage};
pub use cgrates::{CgratesError, CgratesOptions, import_cgrates, import_cgrates_with};
pub use discount::{Discounts, Usage, VolumeTier};
pub use file::{INLINE_PREFIX_LIMIT, LoadError};
pub use model::{
    Band, Carrier, CarrierId, Crossing, Destination, MAX_BANDS, Rate, Step, TariffBook,
    TariffVersion,
};
pub use money::{Currency, RoundAt, RoundMode, Rounding};
pub use prefix::{MAX_PREFIX_DIGITS, Prefix};
pub use price::{Adjustment, BandShare, BandShares, Call, PriceError, Priced};

/// A book is shared read-only across pricing threads.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<TariffBook>();
};
