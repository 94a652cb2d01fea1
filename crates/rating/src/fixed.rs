//! Pricing in integers: the common case — a first interval and increments
//! with prices of a few decimals — without `Decimal` arithmetic, whose
//! operations cost tens of nanoseconds each.
//!
//! At load, each version gets a *scale*: the most decimals any of its
//! amounts has (after `per_increment` rounding, which makes every amount
//! carry exactly the tariff's decimals). Every amount is held as an
//! integer at that scale, so sums, the minimum / maximum comparison and
//! the final rounding are exact integer operations; the result is turned
//! into `Decimal` once. An amount is held only if, at that scale, it is
//! below `AMOUNT_LIMIT`: then no sum of a call can exceed 2^85, far
//! inside `u128` and inside the 96 bits where `Decimal` is exact, so both
//! computations meet the same exact values. A destination with a stepped
//! rate or an amount not held is priced by `exact.rs`.
//!
//! The result must equal the `Decimal` computation to the last digit *and*
//! in its number of decimals (`0.10` is not `0.1` on an invoice), so the
//! unrounded values (band costs, connect fee, subtotal) carry the scale
//! `Decimal` would give them: a product or sum of zeros is `0` with no
//! decimals; otherwise a product keeps its price's decimals and a sum the
//! most of its non-zero terms. Rounded values carry the tariff's decimals.
//! A test compares the two paths over random tariffs and calls.

use rust_decimal::Decimal;

use crate::bands::BandIndex;
use crate::bundle::PeriodUsage;
use crate::exact::discount;
use crate::grid::Grid;
use crate::model::{MAX_BANDS, Rate};
use crate::money::{RoundMode, Rounding};
use crate::price::{Adjustment, Call, Priced, Resolved, bundle_left, bundle_use, free_until};

/// Most decimals a version's amounts may have to be held.
const MAX_SCALE: u32 = 18;
/// Amounts at the version's scale are below this (see the module comment).
const AMOUNT_LIMIT: u64 = 1 << 48;
const NO_MAXIMUM: u64 = u64::MAX;

const POW10: [u64; MAX_SCALE as usize + 1] = {
    let mut powers = [1u64; MAX_SCALE as usize + 1];
    let mut i = 1;
    while i < powers.len() {
        powers[i] = powers[i - 1] * 10;
        i += 1;
    }
    powers
};

/// A version's rates as integers; see the module comment.
#[derive(Debug, Default)]
pub(crate) struct FixedRates {
    /// As `TariffVersion::rates`: destination `d`, band `b` at
    /// `d * band_count + b`.
    rates: Box<[FixedRate]>,
    band_count: u32,
    /// Decimals of every amount held (the most any of them has).
    scale: u32,
    /// Whether the version has discounts (without, the discount is 0).
    discounted: bool,
}

/// One rate, its amounts as `rounding.part()` gives them: connect fee and
/// unit prices as used in sums at the version's scale, with the decimals
/// `Decimal` shows them with; the connect fee also as shown.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
pub(crate) struct FixedRate {
    connect: u64,
    first: u64,
    increment: u64,
    minimum: u64,
    /// `NO_MAXIMUM` when there is none.
    maximum: u64,
    /// The connect fee's mantissa at its own decimals.
    connect_shown: u64,
    first_seconds: u32,
    increment_seconds: u32,
    free_seconds: u32,
    connect_decimals: u8,
    first_decimals: u8,
    increment_decimals: u8,
    /// Whether every rate of the destination is held (else price it with
    /// `Decimal`).
    held: bool,
}

impl FixedRates {
    pub(crate) fn new(
        rates: &[Rate],
        band_count: usize,
        rounding: Rounding,
        discounted: bool,
    ) -> FixedRates {
        let scale = rates
            .iter()
            .filter(|rate| !rate.is_stepped())
            .flat_map(|rate| amounts(rate, rounding))
            .flatten()
            .map(|amount| amount.scale())
            .filter(|&decimals| decimals <= MAX_SCALE)
            .max()
            .unwrap_or(0);
        let band_count = band_count.max(1);
        let mut fixed = Vec::with_capacity(rates.len());
        for destination in rates.chunks(band_count) {
            let first = fixed.len();
            let mut all_held = true;
            for rate in destination {
                let held = hold(rate, rounding, scale);
                all_held &= held.is_some();
                fixed.push(held.unwrap_or_default());
            }
            for rate in &mut fixed[first..] {
                rate.held = all_held;
            }
        }
        FixedRates { rates: fixed.into(), band_count: band_count as u32, scale, discounted }
    }

    /// The rate of `destination` in `band`.
    #[inline]
    pub(crate) fn rate(&self, destination: u32, band: BandIndex) -> Option<&FixedRate> {
        self.rates.get(destination as usize * self.band_count as usize + usize::from(band))
    }
}

/// Connect fee, first and increment price, minimum and maximum as summed.
fn amounts(rate: &Rate, rounding: Rounding) -> [Option<Decimal>; 5] {
    [
        Some(rounding.part(rate.connect_fee)),
        Some(rounding.part(rate.first_price)),
        Some(rounding.part(rate.increment_price)),
        Some(rounding.part(rate.minimum)),
        rate.maximum.map(|maximum| rounding.part(maximum)),
    ]
}

/// `rate` as integers at `scale`, if it is not stepped and every amount
/// is held.
fn hold(rate: &Rate, rounding: Rounding, scale: u32) -> Option<FixedRate> {
    if rate.is_stepped() {
        return None;
    }
    let [connect, first, increment, minimum, maximum] = amounts(rate, rounding);
    let at_scale = |amount: Option<Decimal>| -> Option<(u64, u8)> {
        let amount = amount?;
        let decimals = amount.scale();
        let mantissa = u64::try_from(amount.mantissa()).ok()?;
        let scaled = mantissa.checked_mul(*POW10.get(scale.checked_sub(decimals)? as usize)?)?;
        (scaled < AMOUNT_LIMIT).then_some((scaled, decimals as u8))
    };
    let (connect_at, connect_decimals) = at_scale(connect)?;
    let (first, first_decimals) = at_scale(first)?;
    let (increment, increment_decimals) = at_scale(increment)?;
    let maximum = match maximum {
        Some(_) => at_scale(maximum)?.0,
        None => NO_MAXIMUM,
    };
    Some(FixedRate {
        connect: connect_at,
        first,
        increment,
        minimum: at_scale(minimum)?.0,
        maximum,
        connect_shown: u64::try_from(connect?.mantissa()).ok()?,
        first_seconds: rate.first_seconds,
        increment_seconds: rate.increment_seconds,
        free_seconds: rate.free_seconds,
        connect_decimals,
        first_decimals,
        increment_decimals,
        held: true,
    })
}

/// A sum at the version's scale and the decimals `Decimal` would show it
/// with.
#[derive(Clone, Copy, Default)]
struct Sum {
    value: u128,
    decimals: u32,
}

impl Sum {
    /// Adds `count × price` (`price` at the version's scale, shown with
    /// `decimals`); as in `Decimal`, a zero product adds no decimals.
    #[inline]
    fn add(&mut self, price: u64, decimals: u8, count: u32) {
        if price != 0 && count != 0 {
            self.value += u128::from(price) * u128::from(count);
            self.decimals = self.decimals.max(u32::from(decimals));
        }
    }

    /// Adds another sum: the most decimals of the non-zero terms.
    fn plus(self, other: Sum) -> Sum {
        match (self.value, other.value) {
            (0, _) => other,
            (_, 0) => self,
            _ => {
                Sum { value: self.value + other.value, decimals: self.decimals.max(other.decimals) }
            }
        }
    }

    /// As `Decimal`, from the value at `scale` ≥ `decimals`.
    fn to_decimal(self, scale: u32) -> Option<Decimal> {
        if self.value == 0 {
            return Some(Decimal::ZERO);
        }
        let shift = POW10.get(scale.checked_sub(self.decimals)? as usize)?;
        decimal(div_u128(self.value, *shift), self.decimals)
    }
}

/// A non-negative `Decimal` from its mantissa (< 2^96) and decimals.
#[inline]
fn decimal(mantissa: u128, decimals: u32) -> Option<Decimal> {
    if mantissa >> 96 != 0 || decimals > 28 {
        return None;
    }
    Some(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        (mantissa >> 64) as u32,
        false,
        decimals,
    ))
}

/// `value / divisor`, skipping the division when the divisor is 1 (all
/// amounts with as many decimals: the usual case) and the slow 128-bit
/// one when the value fits 64 bits (nearly always).
#[inline]
fn div_u128(value: u128, divisor: u64) -> u128 {
    if divisor == 1 {
        return value;
    }
    match u64::try_from(value) {
        Ok(small) => u128::from(small / divisor),
        Err(_) => value / u128::from(divisor),
    }
}

/// `value` at `scale` decimals rounded to `decimals` by `mode` (as
/// `Decimal::round_dp_with_strategy` rounds a non-negative value); the
/// mantissa at `decimals`.
fn round(value: u128, scale: u32, decimals: u32, mode: RoundMode) -> Option<u128> {
    if scale <= decimals {
        let factor = POW10.get((decimals - scale) as usize)?;
        return value.checked_mul(u128::from(*factor));
    }
    let divisor = *POW10.get((scale - decimals) as usize)?;
    let quotient = div_u128(value, divisor);
    let remainder = value - quotient * u128::from(divisor);
    let twice = remainder * 2;
    let divisor = u128::from(divisor);
    let up = match mode {
        RoundMode::HalfUp => twice >= divisor,
        RoundMode::HalfEven => twice > divisor || (twice == divisor && quotient % 2 == 1),
        RoundMode::Up => remainder > 0,
        RoundMode::Down => false,
    };
    Some(quotient + u128::from(up))
}

/// Prices a resolved call in integers into `priced`, which `unpriced`
/// made; false when its destination's rates are not held (the caller then
/// prices it with `Decimal`).
#[inline]
pub(crate) fn price<'a>(
    priced: &mut Priced<'a>,
    resolved: Resolved<'a>,
    call: &Call<'_>,
    period: &PeriodUsage<'_>,
) -> bool {
    price_held(priced, resolved, call, period).is_some()
}

#[inline]
fn price_held<'a>(
    priced: &mut Priced<'a>,
    resolved: Resolved<'a>,
    call: &Call<'_>,
    period: &PeriodUsage<'_>,
) -> Option<()> {
    let Resolved { version, destination, destination_index, start_band, .. } = resolved;
    let fixed = &version.fixed;
    let rate = fixed.rate(destination_index, start_band)?;
    if !rate.held {
        return None;
    }
    if call.duration_s == 0 || call.duration_s <= rate.free_seconds {
        return Some(());
    }
    let bundle = bundle_left(version, destination, period);
    let grid = Grid::new(rate.first_seconds, rate.increment_seconds, call.duration_s);
    let free_units = grid.units_ending_by(free_until(bundle));

    // Units' cost per band share, by the share's position.
    let mut costs = [Sum::default(); MAX_BANDS];
    let bands = &mut priced.bands;
    let mut charge = |band, band_rate: &FixedRate, first_units: u32, increments: u32| {
        let position = bands.position(&version.schedule, band);
        let share = bands.at(position);
        share.first_units += first_units;
        share.units += first_units + increments;
        share.seconds +=
            first_units * grid.first_seconds as u32 + increments * grid.increment_seconds as u32;
        if let Some(cost) = costs.get_mut(position) {
            cost.add(band_rate.first, band_rate.first_decimals, first_units);
            cost.add(band_rate.increment, band_rate.increment_decimals, increments);
        }
    };
    if grid.in_start_band(&resolved, call) {
        // Nearly every call: no band to look up, the start band's share
        // is the first.
        let charged = grid.units - free_units;
        if charged > 0 {
            let first_units = u32::from(free_units == 0);
            charge(start_band, rate, first_units, charged - first_units);
        }
    } else {
        let mut all_held = true;
        grid.for_each_run(&resolved, call, free_units, |band, first_units, increments| match fixed
            .rate(destination_index, band)
        {
            Some(band_rate) => charge(band, band_rate, first_units, increments),
            None => all_held = false,
        });
        if !all_held {
            return None;
        }
    }

    priced.billed_seconds = grid.billed_seconds();
    priced.units = grid.units;
    let charged_units = grid.units - free_units;
    priced.bundle = bundle.map(|b| bundle_use(b, priced.billed_seconds, grid.units, charged_units));
    if charged_units == 0 {
        // Every unit free in a bundle: nothing is charged at all.
        priced.adjustment = Adjustment::Bundle;
        return Some(());
    }
    let scale = fixed.scale;
    let mut units_cost = Sum::default();
    for (share, cost) in priced.bands.shares_mut().iter_mut().zip(&costs) {
        share.cost = cost.to_decimal(scale)?;
        units_cost = units_cost.plus(*cost);
    }
    let connect = Sum { value: u128::from(rate.connect), decimals: rate.connect_decimals.into() };
    let subtotal = connect.plus(units_cost);
    let (adjusted, adjustment) =
        if rate.maximum != NO_MAXIMUM && subtotal.value > u128::from(rate.maximum) {
            (u128::from(rate.maximum), Adjustment::Maximum)
        } else if subtotal.value < u128::from(rate.minimum) {
            (u128::from(rate.minimum), Adjustment::Minimum)
        } else {
            (subtotal.value, Adjustment::None)
        };
    let rounding = version.rounding;
    let gross =
        decimal(round(adjusted, scale, rounding.decimals, rounding.mode)?, rounding.decimals)?;
    // The connect fee keeps its own decimals even when it is zero.
    priced.connect_fee = decimal(rate.connect_shown.into(), rate.connect_decimals.into())?;
    priced.detail.subtotal = subtotal.to_decimal(scale)?;
    priced.adjustment = adjustment;
    if fixed.discounted {
        discount(priced, gross, period.discount);
    } else {
        // No discount: the zero discount set by `unpriced` stands.
        priced.gross = gross;
        priced.cost = gross;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use jiff::Timestamp;
    use proptest::prelude::*;

    use super::*;
    use crate::discount::Usage;
    use crate::model::TariffBook;
    use crate::price::unpriced;

    /// An amount as a tariff writes it, with 0 to 6 decimals (`0.00` too).
    fn amount() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => (0i64..200_000, 0u32..7).prop_map(|(m, d)| Decimal::new(m, d).to_string()),
            1 => Just("0.00".to_string()),
            // Too large to hold at a fine scale: priced by `exact.rs`.
            1 => (0i64..1_000_000_000_000_000, 0u32..12)
                .prop_map(|(m, d)| Decimal::new(m, d).to_string()),
        ]
    }

    fn grid_rate() -> impl Strategy<Value = String> {
        (
            (proptest::option::of(amount()), 1u32..120, amount(), 1u32..90, amount()),
            (proptest::option::of(amount()), proptest::option::of(0u32..40)),
            proptest::option::of(amount()),
        )
            .prop_map(|((connect, fs, fp, is, ip), (minimum, free), maximum)| {
                let mut rate = format!(
                    "{{ first_seconds = {fs}, first_price = \"{fp}\", \
                     increment_seconds = {is}, increment_price = \"{ip}\""
                );
                let (minimum, maximum) = match (minimum, maximum) {
                    (Some(a), Some(b)) if a.parse::<Decimal>().ok() > b.parse().ok() => {
                        (Some(b), Some(a))
                    }
                    pair => pair,
                };
                for (key, value) in
                    [("connect_fee", connect), ("minimum", minimum), ("maximum", maximum)]
                {
                    if let Some(value) = value {
                        let _ = write!(rate, ", {key} = \"{value}\"");
                    }
                }
                if let Some(free) = free {
                    let _ = write!(rate, ", free_seconds = {free}");
                }
                rate + " }"
            })
    }

    fn stepped_rate() -> impl Strategy<Value = String> {
        (1u32..60, amount(), 1u32..120, 1u32..300, 1u32..60, amount()).prop_map(
            |(i1, p1, per1, from2, i2, p2)| {
                format!(
                    "{{ steps = [{{ from_seconds = 0, increment_seconds = {i1}, price = \"{p1}\", \
                     per_seconds = {per1} }}, {{ from_seconds = {from2}, increment_seconds = {i2}, \
                     price = \"{p2}\", per_seconds = 60 }}] }}"
                )
            },
        )
    }

    fn clock() -> impl Strategy<Value = String> {
        (0u32..24, prop_oneof![Just(0u32), Just(30), 0u32..60])
            .prop_map(|(h, m)| format!("{h:02}:{m:02}"))
    }

    /// A random one-carrier book: bands with wrapping ranges, holidays,
    /// any zone, crossing and rounding, three destinations (the last
    /// sometimes stepped), optional discounts and bundle.
    fn book_text() -> impl Strategy<Value = String> {
        let zone = prop_oneof![
            Just("UTC"),
            Just("Europe/Paris"),
            Just("America/New_York"),
            Just("Australia/Lord_Howe"),
            Just("Asia/Kathmandu"),
        ];
        let band_rule = (
            prop_oneof![
                Just("mon-fri"),
                Just("sat,sun"),
                Just("fri-mon"),
                Just("all"),
                Just("wed")
            ],
            clock(),
            clock(),
        );
        (
            (zone, any::<bool>(), any::<bool>(), 0usize..4, prop_oneof![0u32..5, Just(8u32)]),
            proptest::collection::vec(band_rule, 0..3),
            proptest::option::of(0usize..3),
            proptest::collection::vec((grid_rate(), proptest::option::of(grid_rate())), 2),
            prop_oneof![grid_rate(), stepped_rate()],
            proptest::option::of(("[0-9]{1,2}(\\.[0-9]{1,2})?", 0u64..3000, "[0-9](\\.5)?")),
            proptest::option::of((1u32..40, any::<bool>())),
        )
            .prop_map(|(setup, rules, holiday, rates, third, discounts, bundle)| {
                let (zone, split, per_call, mode, decimals) = setup;
                let mode = ["half_up", "half_even", "up", "down"][mode];
                let mut text = format!(
                    "format = 1\n[[calendar]]\nname = \"h\"\ndates = [\"01-01\", \"12-25\", \
                     \"2025-03-30\", \"2025-11-02\", \"02-29\"]\n[[carrier]]\nname = \"c\"\n\
                     [[carrier.version]]\nid = \"v\"\nvalid_from = 2000-01-01\ncurrency = \"EUR\"\n\
                     time_zone = \"{zone}\"\ncrossing = \"{}\"\n\
                     rounding = {{ at = \"{}\", mode = \"{mode}\", decimals = {decimals} }}\n\
                     default_band = \"b0\"\n",
                    if split { "split" } else { "start" },
                    if per_call { "per_call" } else { "per_increment" },
                );
                let band_count = rules.len() + 1;
                if let Some(holiday) = holiday {
                    let _ = writeln!(
                        text,
                        "holiday_band = \"b{}\"\nholidays = [\"h\"]",
                        holiday % band_count
                    );
                }
                if let Some((percent, from, tier)) = &discounts {
                    let _ = writeln!(
                        text,
                        "discounts = {{ percent = \"{percent}\", volume_tiers = \
                         [{{ from_minutes = {from}, percent = \"{tier}\" }}] }}"
                    );
                }
                if let Some((minutes, department)) = bundle {
                    let scope = if department { "department" } else { "extension" };
                    let _ = writeln!(
                        text,
                        "bundles = [{{ name = \"free\", minutes = {minutes}, \
                         destinations = [\"d0\", \"d2\"], scope = \"{scope}\" }}]"
                    );
                }
                let _ = writeln!(text, "[[carrier.version.band]]\nname = \"b0\"");
                for (i, (days, from, to)) in rules.iter().enumerate() {
                    let to = if from == to { "24:00" } else { to.as_str() };
                    let _ = writeln!(
                        text,
                        "[[carrier.version.band]]\nname = \"b{}\"\n\
                         when = [{{ days = \"{days}\", from = \"{from}\", to = \"{to}\" }}]",
                        i + 1
                    );
                }
                for (d, (all, other)) in rates.iter().enumerate() {
                    let _ = writeln!(
                        text,
                        "[[carrier.version.destination]]\nname = \"d{d}\"\nprefixes = [\"{}\"]\n\
                         rates.all = {all}",
                        d + 1
                    );
                    if let Some(other) = other {
                        let _ = writeln!(text, "rates.b{} = {other}", band_count - 1);
                    }
                }
                let _ = writeln!(
                    text,
                    "[[carrier.version.destination]]\nname = \"d2\"\nprefixes = [\"3\"]\n\
                     rates.all = {third}"
                );
                text
            })
    }

    /// Every field of a priced call, decimals shown with their scale.
    fn summary(priced: &Priced<'_>) -> String {
        format!(
            "cost {} gross {} discount {} connect {} billed {} units {} {:?}\n\
             bands {:?}\nbundle {:?}\nsubtotal {} percent {}\n{}",
            priced.cost,
            priced.gross,
            priced.discount,
            priced.connect_fee,
            priced.billed_seconds,
            priced.units,
            priced.adjustment,
            &*priced.bands,
            priced.bundle,
            priced.detail.subtotal,
            priced.detail.discount_percent,
            priced.explanation().join("\n"),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// The integer path gives exactly what the `Decimal` path gives,
        /// decimals included, whenever it takes the call.
        #[test]
        fn fixed_equals_exact(
            text in book_text(),
            calls in proptest::collection::vec(
                (
                    0usize..3,
                    prop_oneof![
                        // Around the 2025 DST changes (Europe, US), and anywhere.
                        1_743_292_800i64..1_743_465_600,
                        1_762_000_000i64..1_762_200_000,
                        1_704_067_200i64..1_798_761_600,
                    ],
                    prop_oneof![0u32..5_000, 0u32..200_000],
                    0u64..200_000,
                    0u64..3_000,
                ),
                1..30,
            ),
        ) {
            let book = TariffBook::from_toml_str(&text).unwrap();
            let carrier = book.carrier_id("c").unwrap();
            for (destination, start, duration_s, billed, bundle_used) in calls {
                let number = ["1234", "2345", "3456"][destination];
                let call = Call {
                    carrier,
                    number,
                    start: Timestamp::from_second(start).unwrap(),
                    duration_s,
                    site_holidays: None,
                };
                let usage = Usage {
                    billed_seconds: billed,
                    bundles: vec![("free".into(), bundle_used)],
                    ..Usage::default()
                };
                let period = PeriodUsage::same(&usage);
                let resolved = book.resolve(&call).unwrap();
                let mut fixed = unpriced(resolved, &call);
                let held = price(&mut fixed, resolved, &call, &period);
                let mut exact = unpriced(resolved, &call);
                crate::exact::price(&mut exact, resolved, &call, &period);
                if held {
                    prop_assert_eq!(summary(&fixed), summary(&exact), "{}", text);
                }
                // What the book answers is the exact result either way.
                let answered = book.price_in_period(&call, &period).unwrap();
                prop_assert_eq!(summary(&answered), summary(&exact));
            }
        }
    }

    /// Amounts of a few decimals are held, stepped rates and amounts too
    /// fine or too large are not.
    #[test]
    fn what_is_held() {
        let book = |rates: &str| {
            TariffBook::from_toml_str(&format!(
                "format = 1\n[[carrier]]\nname = \"c\"\n[[carrier.version]]\nid = \"v\"\n\
                 valid_from = 2000-01-01\ncurrency = \"EUR\"\ntime_zone = \"UTC\"\n\
                 crossing = \"start\"\n\
                 rounding = {{ at = \"per_call\", mode = \"half_up\", decimals = 2 }}\n\
                 [[carrier.version.band]]\nname = \"all\"\n\
                 [[carrier.version.destination]]\nname = \"d\"\nprefixes = [\"1\"]\n\
                 rates.all = {rates}\n"
            ))
            .unwrap()
        };
        let held = |book: &TariffBook| {
            let version = &book.carriers()[0].versions()[0];
            (version.fixed.scale, version.fixed.rates[0].held)
        };
        let grid = |price: &str| {
            format!(
                "{{ first_seconds = 60, first_price = \"{price}\", increment_seconds = 60, \
                 increment_price = \"0.1\" }}"
            )
        };
        assert_eq!(held(&book(&grid("0.0125"))), (4, true));
        assert_eq!(held(&book(&grid("1000000"))), (1, true));
        // 10^13 at 4 decimals is past the limit.
        assert_eq!(held(&book(&grid("10000000000000.0001"))), (4, false));
        assert_eq!(held(&book(&grid("0.0000000000000000001"))), (1, false));
        let stepped = "{ steps = [{ from_seconds = 0, increment_seconds = 1, price = \"1\", \
                       per_seconds = 60 }] }";
        assert!(!held(&book(stepped)).1);
    }

    #[test]
    fn rounding_modes_on_integers() {
        // 0.125 and 0.135 at 3 decimals, to 2.
        let cases = [
            (RoundMode::HalfUp, 125, 13),
            (RoundMode::HalfEven, 125, 12),
            (RoundMode::HalfEven, 135, 14),
            (RoundMode::Up, 121, 13),
            (RoundMode::Down, 129, 12),
            (RoundMode::Up, 120, 12),
        ];
        for (mode, value, rounded) in cases {
            assert_eq!(round(value, 3, 2, mode), Some(rounded), "{mode:?} {value}");
        }
        assert_eq!(round(7, 1, 3, RoundMode::Down), Some(700));
        assert_eq!(
            round(u128::from(u64::MAX) * 1000 + 500, 3, 0, RoundMode::HalfUp),
            Some(u128::from(u64::MAX) + 1)
        );
    }
}
