//! Money as stored: an exact integer count of 10⁻⁸ currency units.
//!
//! Tariffs round every cost to at most eight decimals, so every cost and
//! every sum of costs is exactly such an integer; integers sum in SQL and
//! in rollup blobs without any rounding (invariant 4).

use rust_decimal::Decimal;
use std::ops::Add;

/// Decimals an [`Amount`] keeps.
pub const AMOUNT_DECIMALS: u32 = 8;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(pub i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// The exact amount of `value`, or an error if it has more than eight
    /// decimals or is beyond ±92 billion.
    pub fn from_decimal(value: Decimal) -> Result<Amount, String> {
        let mut scaled = value;
        scaled.rescale(AMOUNT_DECIMALS);
        if scaled != value {
            return Err(format!("amount {value} has more than {AMOUNT_DECIMALS} decimals"));
        }
        i64::try_from(scaled.mantissa())
            .map(Amount)
            .map_err(|_| format!("amount {value} is out of range"))
    }

    /// The amount with trailing zeros dropped (`0.13`, `2`).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, AMOUNT_DECIMALS).normalize()
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add for Amount {
    type Output = Amount;
    fn add(self, other: Amount) -> Amount {
        Amount(self.0.saturating_add(other.0))
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = self.to_decimal();
        if d.scale() < 2 {
            d.rescale(2);
        }
        write!(f, "{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn exact_both_ways() {
        let a = Amount::from_decimal(dec("0.13")).unwrap();
        assert_eq!(a, Amount(13_000_000));
        assert_eq!(a.to_decimal(), dec("0.13"));
        assert_eq!(a.to_string(), "0.13");
        assert_eq!(Amount::from_decimal(dec("2")).unwrap().to_string(), "2.00");
        assert_eq!(Amount::from_decimal(dec("-0.00000001")).unwrap(), Amount(-1));
        assert_eq!(Amount(12_345).to_string(), "0.00012345");
    }

    #[test]
    fn refuses_what_it_cannot_hold() {
        assert_eq!(
            Amount::from_decimal(dec("0.123456789")).unwrap_err(),
            "amount 0.123456789 has more than 8 decimals"
        );
        assert!(Amount::from_decimal(dec("100000000000")).is_err());
    }
}
