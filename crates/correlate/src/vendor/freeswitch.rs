//! FreeSWITCH (`mod_json_cdr`, `mod_cdr_csv`): one record per channel. A
//! call's A-leg is the channel that came in; each B-leg is a channel
//! FreeSWITCH originated to bridge it, whose `call_uuid` is the A-leg's
//! `uuid` ("Putting Together CDRs" in the FreeSWITCH documentation). A
//! B-leg is the same call seen from the other side: it is billed as its
//! A-leg is, except where it shows a forward (its A-leg dialled an
//! extension, it went out to a trunk). Its parties are read from the
//! channels, not the caller id, which the dialplan often replaces with the
//! company's number: the B-leg's own channel is the party reached, the
//! channel it is bridged to the party calling.
//!
//! A transfer shows on the channel that left: `endpoint_disposition`
//! `BLIND_TRANSFER` or `ATTENDED_TRANSFER`, or hangup cause
//! `ATTENDED_TRANSFER`; the legs still up once it left are the transferred
//! call (`crate::infer`). Members of one `mod_conference` room at the same
//! time are one conference.

use super::{LEG, Ties};
use crate::leg::{Feature, Leg, Near, Part, Party, Sign};
use cdr::Cdr;

pub(crate) fn read(cdr: &Cdr, leg: &mut Leg, keys: &mut Ties, is_extension: &dyn Fn(&str) -> bool) {
    let ids = &cdr.correlation;
    keys.add("g", &ids.global_call_id);
    keys.add_origin_scoped(LEG, "", &ids.orig_leg_id);
    keys.add(LEG, &ids.dest_leg_id);
    let party = |channel: &str| {
        let number = endpoint(channel);
        Party { number: number.into(), inside: is_extension(number) }
    };

    let mut sign = Sign::default();
    let outbound = cdr.extra("direction").is_some_and(|d| d.eq_ignore_ascii_case("outbound"));
    let is_b_leg = outbound && !cdr.device_dest.is_empty() && ids.global_call_id != ids.orig_leg_id;
    if is_b_leg {
        leg.calling = party(&cdr.device_dest);
        leg.called = party(&cdr.device_orig);
        sign.part = Part::OtherSide;
        sign.other_side_of = Some(keys.key(LEG, "", &ids.global_call_id));
    } else {
        let own = party(&cdr.device_orig);
        if own.inside {
            leg.calling = own;
        }
    }
    if let Some(room) = cdr.extra("conference_name") {
        keys.add_near("conf", room, Near::Touch);
        sign.part = Part::ConferenceLeg;
        sign.features.push(Feature::Conference);
    }
    let left_by_transfer = ["endpoint_disposition", "hangup_cause"].iter().any(|name| {
        cdr.extra(name).is_some_and(|v| v == "BLIND_TRANSFER" || v == "ATTENDED_TRANSFER")
    }) || cdr.cause_dest == "ATTENDED_TRANSFER";
    if left_by_transfer {
        sign.part = Part::BeforeTransfer;
        sign.features.push(Feature::Transfer);
        sign.continues = true;
    }
    leg.sign = sign;
}

/// The number or user of a channel name: `sofia/internal/1001@pbx` →
/// `1001`, `sofia/gateway/carrier/0049301234567` → `0049301234567`.
fn endpoint(channel: &str) -> &str {
    let last = channel.rsplit('/').next().unwrap_or_default();
    last.split(['@', '%']).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn channel_names_give_their_party() {
        assert_eq!(endpoint("sofia/internal/1001@pbx.example.com"), "1001");
        assert_eq!(endpoint("sofia/internal/1001%40192.0.2.21%3A5060"), "1001");
        assert_eq!(endpoint("sofia/gateway/carrier/0049301234567"), "0049301234567");
        assert_eq!(endpoint("sofia/external/0612345678@carrier.example.net"), "0612345678");
        assert_eq!(endpoint(""), "");
    }
}
