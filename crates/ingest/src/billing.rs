//! A correlated call as the store records it ([`store::LegBilling`], then
//! `Batch::bill_leg`): each leg keyed as its stored call (its start second
//! and dedup key, which is the leg's id), the payer's number resolved to
//! the extension it was, and that extension's department, when the leg
//! started.

use correlate::LogicalCall;
use directory::{DirectoryIndex, PbxInfo};
use store::LegBilling;

/// The store's outcome of every leg of `call`, whose legs came from `pbx`
/// (keys are per PBX, so a call's legs share one). A payer the directory
/// does not know as an extension at the leg's start pays as nobody.
pub fn billings(call: &LogicalCall, index: &DirectoryIndex, pbx: &PbxInfo) -> Vec<LegBilling> {
    let first_start = call.legs.iter().find(|l| l.leg == call.id).map(|l| l.start);
    let call_key = (first_start.map_or(0, |t| t.as_second()), call.id as i64);
    let mut features = cdr::Text::default();
    for feature in &call.features {
        if !features.is_empty() {
            features.push(',');
        }
        features.push_str(feature.as_str());
    }
    call.legs
        .iter()
        .map(|leg| {
            let at = leg.start.as_second();
            let payer = leg
                .billed_to
                .as_deref()
                .and_then(|number| index.extension_owner_at(pbx.site_id, number, at));
            LegBilling {
                start_s: at,
                dedup: leg.leg as i64,
                call: call_key,
                part: leg.part.as_str().into(),
                features: features.clone(),
                payer,
                counted: leg.counted,
                reason: leg.reason.code().into(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use correlate::{Feature, LegOutcome, Part, Reason};
    use directory::{Directory, Extension, Pbx, Site};

    fn index() -> DirectoryIndex {
        let extension = |id, number: &str, department, from, to| Extension {
            id,
            site_id: Some(1),
            number: number.into(),
            user_id: None,
            department_id: Some(department),
            valid_from: from,
            valid_to: to,
        };
        DirectoryIndex::build(&Directory {
            sites: vec![Site {
                id: 1,
                name: "HQ".into(),
                time_zone: "Europe/Paris".into(),
                country_code: "33".into(),
                area_code: "1".into(),
                carrier: String::new(),
                reference_carrier: String::new(),
                holidays: String::new(),
            }],
            pbxs: vec![Pbx {
                id: 7,
                name: "cucm".into(),
                format: "cucm".into(),
                site_id: Some(1),
                time_zone: None,
            }],
            // 2001 changed department at t = 1,000.
            extensions: vec![
                extension(1, "2001", 100, 0, Some(1_000)),
                extension(2, "2001", 200, 1_000, None),
                extension(3, "2002", 100, 0, None),
            ],
            ..Directory::default()
        })
    }

    fn leg(id: u64, start: i64, billed_to: Option<&str>, counted: bool) -> LegOutcome {
        LegOutcome {
            leg: id,
            start: cdr::Timestamp::from_second(start).unwrap(),
            part: Part::Transferred,
            billed_to: billed_to.map(Into::into),
            reason: Reason::Transferor,
            counted,
        }
    }

    #[test]
    fn each_leg_is_keyed_as_its_call_and_paid_by_the_extension_it_was_then() {
        let index = index();
        let pbx = index.pbx("cucm").unwrap().clone();
        let call = LogicalCall {
            id: 11,
            pbx: "cucm".into(),
            features: vec![Feature::Transfer, Feature::Tandem],
            legs: vec![
                leg(11, 900, Some("2001"), true),
                leg(12, 1_100, Some("2001"), false),
                leg(13, 1_100, Some("2999"), false),
                leg(14, 1_100, None, false),
            ],
            complete: false,
        };
        let billings = billings(&call, &index, &pbx);
        let payers: Vec<_> = billings.iter().map(|b| (b.start_s, b.dedup, b.payer)).collect();
        assert_eq!(
            payers,
            [
                (900, 11, Some((1, Some(100)))),
                (1_100, 12, Some((2, Some(200)))),
                // Not an extension then: nobody.
                (1_100, 13, None),
                (1_100, 14, None),
            ]
        );
        assert!(billings.iter().all(|b| b.call == (900, 11)));
        assert!(billings.iter().all(|b| b.features == "transfer,tandem"));
        assert_eq!(billings.iter().filter(|b| b.counted).count(), 1);
        assert_eq!(billings[1].part, "transferred");
        assert_eq!(billings[1].reason, Reason::Transferor.code());
    }
}
