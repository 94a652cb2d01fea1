//! The `charge` column: how a call was classified and priced, packed like
//! `rec` (see `codec`). Written when the call is stored and rewritten by
//! re-rating; the call's rollup contribution is derived from it.

use crate::codec::{Reader, Writer};
use crate::money::Amount;
use crate::rollup::{Bucket, Sums};
use cdr::Text;

/// Whether a call has a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChargeStatus {
    /// Priced on a tariff.
    #[default]
    Rated,
    /// Costs nothing by its nature (internal, inbound, unanswered, a
    /// free number); `reason` says which.
    Free,
    /// Should have a price but could not get one; `reason` says why.
    Unrated,
}

impl ChargeStatus {
    fn code(self) -> u8 {
        match self {
            ChargeStatus::Rated => 0,
            ChargeStatus::Free => 1,
            ChargeStatus::Unrated => 2,
        }
    }

    fn from_code(code: u8) -> Result<ChargeStatus, String> {
        Ok(match code {
            0 => ChargeStatus::Rated,
            1 => ChargeStatus::Free,
            2 => ChargeStatus::Unrated,
            other => return Err(format!("unknown charge status {other}")),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Rated => "rated",
            ChargeStatus::Free => "free",
            ChargeStatus::Unrated => "unrated",
        }
    }
}

/// Where a price came from: enough to find the rate again and to say how
/// it was computed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceTrace {
    pub carrier: Text,
    pub version: Text,
    pub prefix: Text,
    /// The tariff's destination ("France mobile").
    pub destination: Text,
    pub billed_s: u32,
    pub units: u32,
    pub discount: Amount,
    /// The free-minute bundle that covered part of the call and the
    /// seconds it spent (a month's earlier calls decide them); empty
    /// name when none.
    pub bundle: (Text, u32),
    /// Bands used, in order: name, seconds, units.
    pub bands: Vec<(Text, u32, u32)>,
}

/// A call's classification and price.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Charge {
    pub status: ChargeStatus,
    /// The classifier's call type code.
    pub call_type: u8,
    /// The classifier's service code (ordinary, emergency, toll-free …).
    pub service: u8,
    /// `carrier.id` of the carrier that carried it, 0 for none.
    pub carrier_id: i64,
    pub cost: Amount,
    /// The price on the site's reference tariff (0 when it has none).
    pub reference: Amount,
    /// ISO 4217 code of `cost` and `reference`; empty when nothing was priced.
    pub currency: Text,
    /// The other party in E.164 form, when known.
    pub e164: Text,
    /// The country / region the number leads to.
    pub destination: Text,
    /// For `Free` and `Unrated`: why.
    pub reason: Text,
    pub price: Option<PriceTrace>,
    pub reference_price: Option<PriceTrace>,
}

/// Version 2 added the bundle to the trace; version 1 blobs still decode.
const CHARGE_VERSION: u8 = 2;

impl Charge {
    /// The rollup column this call falls in.
    pub fn bucket(&self) -> Bucket {
        Bucket { call_type: self.call_type, carrier_id: self.carrier_id }
    }

    /// What this call adds to its rollups.
    pub fn sums(&self, duration_s: u32) -> Sums {
        Sums {
            calls: 1,
            seconds: i64::from(duration_s),
            cost: self.cost,
            reference: self.reference,
            unrated: i64::from(self.status == ChargeStatus::Unrated),
        }
    }

    pub fn savings(&self) -> Amount {
        Amount(self.reference.0 - self.cost.0)
    }

    pub fn encode(&self) -> Vec<u8> {
        // Sized for a rated call with both traces, so that it never grows.
        let mut w = Writer(Vec::with_capacity(192));
        w.u8(CHARGE_VERSION);
        w.u8(self.status.code());
        w.u8(self.call_type);
        w.u8(self.service);
        w.int(self.carrier_id);
        w.int(self.cost.0);
        w.int(self.reference.0);
        for s in [&self.currency, &self.e164, &self.destination, &self.reason] {
            w.str(s);
        }
        for trace in [&self.price, &self.reference_price] {
            match trace {
                None => w.u8(0),
                Some(t) => {
                    w.u8(1);
                    for s in [&t.carrier, &t.version, &t.prefix, &t.destination] {
                        w.str(s);
                    }
                    w.uint(u64::from(t.billed_s));
                    w.uint(u64::from(t.units));
                    w.int(t.discount.0);
                    w.str(&t.bundle.0);
                    w.uint(u64::from(t.bundle.1));
                    w.uint(t.bands.len() as u64);
                    for (name, seconds, units) in &t.bands {
                        w.str(name);
                        w.uint(u64::from(*seconds));
                        w.uint(u64::from(*units));
                    }
                }
            }
        }
        w.0
    }

    pub fn decode(blob: &[u8]) -> Result<Charge, String> {
        let mut r = Reader(blob);
        let version = r.u8()?;
        if version != CHARGE_VERSION && version != 1 {
            return Err(format!("charge version {version} is unknown"));
        }
        let u32_of = |n: u64| u32::try_from(n).map_err(|_| "corrupt charge".to_string());
        let mut c = Charge {
            status: ChargeStatus::from_code(r.u8()?)?,
            call_type: r.u8()?,
            service: r.u8()?,
            carrier_id: r.int()?,
            cost: Amount(r.int()?),
            reference: Amount(r.int()?),
            ..Charge::default()
        };
        for s in [&mut c.currency, &mut c.e164, &mut c.destination, &mut c.reason] {
            *s = r.str()?;
        }
        for trace in [&mut c.price, &mut c.reference_price] {
            if r.u8()? == 1 {
                let mut t = PriceTrace::default();
                for s in [&mut t.carrier, &mut t.version, &mut t.prefix, &mut t.destination] {
                    *s = r.str()?;
                }
                t.billed_s = u32_of(r.uint()?)?;
                t.units = u32_of(r.uint()?)?;
                t.discount = Amount(r.int()?);
                if version >= 2 {
                    t.bundle = (r.str()?, u32_of(r.uint()?)?);
                }
                for _ in 0..r.uint()? {
                    t.bands.push((r.str()?, u32_of(r.uint()?)?, u32_of(r.uint()?)?));
                }
                *trace = Some(t);
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_survives() {
        let charge = Charge {
            status: ChargeStatus::Rated,
            call_type: 4,
            service: 0,
            carrier_id: 7,
            cost: Amount(13_000_000),
            reference: Amount(25_000_000),
            currency: "EUR".into(),
            e164: "+33612345678".into(),
            destination: "France".into(),
            reason: Text::default(),
            price: Some(PriceTrace {
                carrier: "Orange".into(),
                version: "2025".into(),
                prefix: "336".into(),
                destination: "France mobile".into(),
                billed_s: 36,
                units: 2,
                discount: Amount(0),
                bundle: ("national".into(), 30),
                bands: vec![("peak".into(), 30, 1), ("offpeak".into(), 6, 1)],
            }),
            reference_price: None,
        };
        let decoded = Charge::decode(&charge.encode()).unwrap();
        assert_eq!(decoded, charge);
        assert_eq!(decoded.savings(), Amount(12_000_000));
        assert_eq!(charge.sums(36).unrated, 0);
        let mut truncated = charge.encode();
        truncated.truncate(truncated.len() - 2);
        assert!(Charge::decode(&truncated).is_err());
    }

    #[test]
    fn version_1_blobs_still_decode() {
        let charge = Charge {
            status: ChargeStatus::Free,
            reason: "internal call".into(),
            ..Charge::default()
        };
        let mut blob = charge.encode();
        blob[0] = 1;
        assert_eq!(Charge::decode(&blob).unwrap(), charge);
        blob[0] = 9;
        assert_eq!(Charge::decode(&blob).unwrap_err(), "charge version 9 is unknown");
    }
}
