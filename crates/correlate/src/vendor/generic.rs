//! Asterisk, FreeSWITCH, Avaya and other formats: legs tied by the ids the
//! parser put in [`cdr::Correlation`] (Asterisk `linkedid` and `uniqueid`,
//! FreeSWITCH call and leg uuids); features from what the record names.

use super::{Keys, Vendor, extra};
use crate::leg::{Feature, Part, Sign};
use cdr::{Cdr, RecordKind};

pub(crate) fn keys(cdr: &Cdr, keys: &mut Keys) {
    let ids = &cdr.correlation;
    keys.add("g", &ids.global_call_id);
    for id in
        [&ids.orig_leg_id, &ids.dest_leg_id, &ids.orig_conversation_id, &ids.dest_conversation_id]
    {
        keys.add(super::LEG, id);
    }
}

pub(crate) fn sign(cdr: &Cdr, vendor: Vendor) -> Sign {
    let mut features = Vec::new();
    let app = extra(cdr, "lastapp").unwrap_or_default();
    let part = if matches!(vendor, Vendor::Asterisk)
        && ["ConfBridge", "MeetMe"].iter().any(|a| app.eq_ignore_ascii_case(a))
    {
        features.push(Feature::Conference);
        Part::ConferenceLeg
    } else if cdr.kind == RecordKind::Leg {
        // Avaya condition code C: a conference leg.
        features.push(Feature::Conference);
        Part::ConferenceLeg
    } else {
        Part::Ordinary
    };
    Sign { part, features, controller: None, continues: false, explicit: false }
}
