//! Asterisk (`cdr_csv`, Asterisk 12 and later, as its CDR specification
//! describes): legs tied by `linkedid`, `uniqueid` and the channels they
//! pair (an attended transfer done by a SIP phone gives its consultation a
//! linkedid of its own; its channels still tie it to the call). A record
//! pairs Party A (`channel`) with Party B (`dstchannel`); `dst` stays what
//! the caller dialled, so the party reached is read from Party B's channel
//! (`PJSIP/202-00000012` is extension 202) or, for a trunk, from the Dial
//! target (`lastdata`). Transfers and queues are inferred from the legs
//! (`crate::infer`); ConfBridge and MeetMe legs, and calls to an extension
//! that were dialled out to a trunk (a forward done in the dialplan), are
//! read from the record.

use super::{LEG, Ties};
use crate::leg::{Feature, Leg, Part, Party, Sign};
use cdr::Cdr;

pub(crate) fn read(cdr: &Cdr, leg: &mut Leg, keys: &mut Ties, is_extension: &dyn Fn(&str) -> bool) {
    let ids = &cdr.correlation;
    keys.add("g", &ids.global_call_id);
    keys.add_origin_scoped(LEG, "", &ids.orig_leg_id);
    for channel in [&cdr.device_orig, &cdr.device_dest] {
        keys.add("c", channel);
    }

    let app = cdr.extra("lastapp").unwrap_or_default();
    let mut sign = Sign::default();
    if ["ConfBridge", "MeetMe"].iter().any(|a| app.eq_ignore_ascii_case(a)) {
        sign.part = Part::ConferenceLeg;
        sign.features.push(Feature::Conference);
        leg.sign = sign;
        return;
    }
    let endpoint = endpoint(&cdr.device_dest);
    if is_extension(endpoint) {
        leg.called = Party { number: endpoint.into(), inside: true };
    } else if !cdr.device_dest.is_empty() && leg.called.inside && app.eq_ignore_ascii_case("Dial") {
        // An extension dialled, a trunk reached: the dialplan forwarded it.
        let target = cdr.extra("lastdata").map(dial_target).unwrap_or_default();
        leg.redirecting = leg.called.clone();
        leg.called = Party { number: target.into(), inside: is_extension(target) };
        if !leg.called.inside {
            sign.part = Part::Forwarded;
            sign.features.push(Feature::Forward);
        }
    }
    leg.sign = sign;
}

/// The endpoint of a channel name: `PJSIP/202-00000012` → `202`,
/// `SIP/carrier-0000001a` → `carrier`.
fn endpoint(channel: &str) -> &str {
    let name = channel.split_once('/').map_or("", |(_, rest)| rest);
    name.rsplit_once('-').map_or(name, |(endpoint, _)| endpoint)
}

/// The number a Dial went to: `PJSIP/0049171555666@carrier,60` →
/// `0049171555666`; empty when it is not a number.
fn dial_target(lastdata: &str) -> &str {
    let first = lastdata.split(['&', ',']).next().unwrap_or_default();
    let resource = first.split_once('/').map_or(first, |(_, rest)| rest);
    let number = resource.split('@').next().unwrap_or_default();
    let number = number.rsplit('/').next().unwrap_or_default();
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit() || b == b'+') {
        number
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_and_dial_targets_are_read() {
        assert_eq!(endpoint("PJSIP/202-00000012"), "202");
        assert_eq!(endpoint("SIP/carrier-0000001a"), "carrier");
        assert_eq!(endpoint("Local/201@from-internal-00000003;1"), "201@from-internal");
        assert_eq!(endpoint(""), "");
        assert_eq!(dial_target("PJSIP/0049171555666@carrier,60"), "0049171555666");
        assert_eq!(dial_target("SIP/carrier/0612345678,30,tT"), "0612345678");
        assert_eq!(dial_target("PJSIP/201,,Tt"), "201");
        assert_eq!(dial_target("PJSIP/alice"), "");
    }
}
