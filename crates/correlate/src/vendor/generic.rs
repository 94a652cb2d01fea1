//! FreeSWITCH and other formats: legs tied by the ids the parser put in
//! [`cdr::Correlation`] (FreeSWITCH call and leg uuids); what the records
//! do not name is inferred from the call's legs (`crate::infer`).

use super::Ties;
use crate::leg::{Feature, Features, Part, Sign};
use cdr::{Cdr, RecordKind};

pub(crate) fn keys(cdr: &Cdr, keys: &mut Ties) {
    let ids = &cdr.correlation;
    keys.add("g", &ids.global_call_id);
    for id in
        [&ids.orig_leg_id, &ids.dest_leg_id, &ids.orig_conversation_id, &ids.dest_conversation_id]
    {
        keys.add(super::LEG, id);
    }
}

pub(crate) fn sign(cdr: &Cdr) -> Sign {
    let mut features = Features::default();
    let part = if cdr.kind == RecordKind::Leg {
        // The parser says the record is a conference's leg.
        features.push(Feature::Conference);
        Part::ConferenceLeg
    } else {
        Part::Ordinary
    };
    Sign { part, features, ..Sign::default() }
}
