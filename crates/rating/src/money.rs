//! Currencies and the rounding rule of a tariff: money is `Decimal`,
//! rounded only at the points the tariff names (invariant 4).

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An ISO 4217 alphabetic code, e.g. `EUR`. Copy-sized so a priced call
/// carries it without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Accepts exactly three ASCII capital letters.
    pub fn parse(code: &str) -> Option<Currency> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_uppercase).then_some(Currency(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

/// Where rounding happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundAt {
    /// Each priced part (connect fee, first interval, each increment,
    /// minimum, maximum) is rounded before it is added.
    PerIncrement,
    /// Parts are added exactly; the call's total is rounded once.
    PerCall,
}

/// How a value is rounded to the tariff's number of decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundMode {
    /// .5 goes away from zero (0.125 → 0.13).
    HalfUp,
    /// .5 goes to the even neighbour (0.125 → 0.12, 0.135 → 0.14).
    HalfEven,
    /// Any remainder goes away from zero (0.121 → 0.13).
    Up,
    /// Any remainder is dropped (0.129 → 0.12).
    Down,
}

impl RoundMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundMode::Up => RoundingStrategy::AwayFromZero,
            RoundMode::Down => RoundingStrategy::ToZero,
        }
    }
}

/// A tariff's rounding rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    pub at: RoundAt,
    pub mode: RoundMode,
    pub decimals: u32,
}

/// More decimals than any currency uses; keeps `rescale` exact.
pub const MAX_DECIMALS: u32 = 8;

impl Rounding {
    /// Rounds to the tariff's decimals and pads to exactly that many, so
    /// `0.4` is shown and stored as `0.40`.
    pub fn round(&self, value: Decimal) -> Decimal {
        let mut rounded = value.round_dp_with_strategy(self.decimals, self.mode.strategy());
        rounded.rescale(self.decimals);
        rounded
    }

    /// Zero as `round` gives it: with exactly the tariff's decimals.
    pub(crate) fn zero(&self) -> Decimal {
        Decimal::from_parts(0, 0, 0, false, self.decimals)
    }

    /// A part's price as it enters a sum: rounded under `per_increment`,
    /// exact under `per_call`.
    pub fn part(&self, value: Decimal) -> Decimal {
        match self.at {
            RoundAt::PerIncrement => self.round(value),
            RoundAt::PerCall => value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn modes_at_the_half() {
        let r = |mode| Rounding { at: RoundAt::PerCall, mode, decimals: 2 };
        assert_eq!(r(RoundMode::HalfUp).round(dec("0.125")).to_string(), "0.13");
        assert_eq!(r(RoundMode::HalfEven).round(dec("0.125")).to_string(), "0.12");
        assert_eq!(r(RoundMode::HalfEven).round(dec("0.135")).to_string(), "0.14");
        assert_eq!(r(RoundMode::Up).round(dec("0.121")).to_string(), "0.13");
        assert_eq!(r(RoundMode::Up).round(dec("0.4")).to_string(), "0.40");
        assert_eq!(r(RoundMode::Down).round(dec("0.129")).to_string(), "0.12");
        for decimals in 0..=MAX_DECIMALS {
            let rounding = Rounding { at: RoundAt::PerCall, mode: RoundMode::HalfUp, decimals };
            let zero = rounding.zero();
            assert_eq!(
                (zero.to_string(), zero.scale()),
                (rounding.round(Decimal::ZERO).to_string(), decimals)
            );
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("EUR").unwrap().to_string(), "EUR");
        assert!(Currency::parse("eur").is_none());
        assert!(Currency::parse("EURO").is_none());
    }
}
