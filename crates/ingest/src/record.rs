//! What becomes of one parsed record: a call row ready to store, a quality
//! record, or a quarantined record with its reason. Shared by imports,
//! retries and (later) live connectors, so every path applies the same
//! checks.

use crate::context::Context;
use crate::dedup::dedup_key;
use cdr::{Location, ParseError, Parsed, QualityRecord};
use correlate::{Leg, Vendor, leg_of};
use directory::PbxInfo;
use store::{CdrRow, QuarantineItem};

pub enum Item {
    Call(CdrRow),
    Quality { record: Box<QualityRecord>, pbx_id: i64, source_id: i64 },
    Bad(QuarantineItem),
}

/// Where records come from, for turning them into items.
pub struct Origin<'a> {
    pub pbx_name: &'a str,
    pub pbx: Option<&'a PbxInfo>,
    pub format_name: &'a str,
    pub source_id: i64,
    pub context: &'a Context,
    /// Whose records these are for correlation; `None` when stored calls
    /// are not correlated.
    vendor: Option<Vendor>,
}

impl<'a> Origin<'a> {
    pub fn new(
        pbx_name: &'a str,
        pbx: Option<&'a PbxInfo>,
        format_name: &'a str,
        source_id: i64,
        context: &'a Context,
    ) -> Origin<'a> {
        let vendor = context.correlation.map(|_| Vendor::of_format(format_name));
        Origin { pbx_name, pbx, format_name, source_id, context, vendor }
    }

    /// Whether its calls make legs for correlation.
    pub fn correlates(&self) -> bool {
        self.vendor.is_some()
    }

    /// A record of this origin quarantined with `reason`.
    pub fn bad(
        &self,
        reason: String,
        raw: &[u8],
        location: Location,
        header: Option<&[u8]>,
    ) -> Item {
        Item::Bad(QuarantineItem {
            pbx: self.pbx_name.to_string(),
            format: self.format_name.to_string(),
            location,
            reason,
            raw: raw.to_vec(),
            header: header.map(<[u8]>::to_vec),
        })
    }

    /// The item for one raw record and what its parser made of it; `None`
    /// for framing that carries no record (headers, blank lines). A call
    /// of a correlated origin also adds its leg to `legs` (its id is the
    /// row's dedup key).
    pub fn item(
        &self,
        parsed: Result<Parsed, ParseError>,
        raw: &[u8],
        location: Location,
        header: Option<&[u8]>,
        legs: &mut Vec<Leg>,
    ) -> Option<Item> {
        self.item_in(parsed, raw, location, header, &mut Vec::new(), legs)
    }

    /// [`Origin::item`], packing a call into a buffer from `spare` (buffers
    /// of rows already stored) when there is one.
    pub fn item_in(
        &self,
        parsed: Result<Parsed, ParseError>,
        raw: &[u8],
        location: Location,
        header: Option<&[u8]>,
        spare: &mut Vec<Vec<u8>>,
        legs: &mut Vec<Leg>,
    ) -> Option<Item> {
        let parsed = match parsed {
            Ok(Parsed::NotARecord) => return None,
            Ok(p) => p,
            Err(e) => return Some(self.bad(e.to_string(), raw, location, header)),
        };
        let Some(pbx) = self.pbx else {
            let reason = format!(
                "unknown PBX {:?}: add it to the directory (bluewhale load) and retry",
                self.pbx_name
            );
            return Some(self.bad(reason, raw, location, header));
        };
        Some(match parsed {
            Parsed::Cdr(mut cdr) => {
                if let Err(reason) = cdr.check_consistency() {
                    return Some(self.bad(reason, raw, location, header));
                }
                cdr.pbx = pbx.name.as_str().into();
                cdr.location = location;
                let context = self.context;
                let attribution = context.index.attribute(pbx, &cdr);
                let dedup = dedup_key(pbx.id, cdr.identity);
                let buffer = spare.pop().unwrap_or_default();
                let mut row =
                    CdrRow::new_in(buffer, &cdr, dedup, pbx.id, self.source_id, &attribution);
                let (day, month) = context.calendar.day_and_month(row.start_s);
                row.set_day(day, month);
                let charge = context.charge(pbx, &cdr, &attribution);
                row.set_charge(&charge, cdr.duration_s);
                if let Some(vendor) = self.vendor {
                    let at = row.start_s;
                    // The attribution looked its extension up already.
                    let is_extension = |n: &str| {
                        if n == attribution.extension {
                            attribution.extension_id.is_some()
                        } else {
                            context.index.is_extension_at(pbx.site_id, n, at)
                        }
                    };
                    legs.push(leg_of(&cdr, vendor, dedup as u64, &is_extension));
                }
                Item::Call(row)
            }
            Parsed::Quality(mut q) => {
                q.pbx = pbx.name.as_str().into();
                q.location = location;
                Item::Quality { record: q, pbx_id: pbx.id, source_id: self.source_id }
            }
            Parsed::NotARecord => return None,
        })
    }
}
