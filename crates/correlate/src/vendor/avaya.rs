//! Avaya Communication Manager: its records carry no call id, so what
//! belongs together is told from trunks, numbers and times (the
//! administrator's guide's "Call detail recording" chapter): with
//! incoming trunk call splitting, a transferred call's parts are records on
//! the same trunk member from the same caller, back to back; a trunk call
//! forwarded off the switch gives an incoming and an outgoing record of the
//! forwarding station with the same times; a conference gives one record
//! (condition code C) per trunk serving it, all naming its originator, and
//! overlapping in time. Condition code 1 marks an attendant-handled call.
//! Times are whole minutes, so "together" allows a minute
//! (`Config::near_tolerance`).

use super::Ties;
use crate::leg::{Feature, Leg, Near, Part, Sign};
use cdr::{Cdr, RecordKind};

pub(crate) fn read(cdr: &Cdr, leg: &mut Leg, keys: &mut Ties) {
    let mut sign = Sign::default();
    let extensions: Vec<String> = leg.extensions().map(|e| e.to_string()).collect();
    if cdr.kind == RecordKind::Leg {
        sign.part = Part::ConferenceLeg;
        sign.features.push(Feature::Conference);
        for extension in &extensions {
            keys.add_near("conf", extension, Near::Touch);
        }
    } else {
        for (trunk, kind) in [(&cdr.trunk_in, "in"), (&cdr.trunk_out, "out")] {
            if !trunk.is_empty() {
                let outside = if kind == "in" { &leg.calling } else { &leg.called };
                keys.add_near(kind, &format!("{trunk}|{}", outside.number), Near::Touch);
            }
        }
        for extension in &extensions {
            keys.add_near("x", extension, Near::Span);
        }
    }
    if cdr.cause_orig.trim() == "1" {
        sign.features.push(Feature::Attendant);
    }
    leg.sign = sign;
}
