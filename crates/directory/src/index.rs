//! Attribution of a call to the directory: which extension (and so user,
//! department and site) and which trunks it belongs to, as they were when
//! the call started.

use crate::{Directory, Id};
use cdr::{Cdr, Direction, Text};
use jiff::tz::TimeZone;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// What the pipeline needs to know of a PBX.
#[derive(Debug, Clone)]
pub struct PbxInfo {
    pub id: Id,
    pub name: String,
    pub format: String,
    pub site_id: Option<Id>,
    /// The PBX's own zone, else its site's, else UTC.
    pub time_zone: TimeZone,
}

#[derive(Debug, Clone, Copy)]
struct ExtensionPeriod {
    from: i64,
    to: i64,
    extension_id: Id,
    user_id: Option<Id>,
    department_id: Option<Id>,
}

/// The result of attributing one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    /// The internal number the call is billed to (known to the directory
    /// or not); empty when the call has no internal party.
    pub extension: Text,
    pub extension_id: Option<Id>,
    pub user_id: Option<Id>,
    pub department_id: Option<Id>,
    pub site_id: Option<Id>,
    pub trunk_in_id: Option<Id>,
    pub trunk_out_id: Option<Id>,
    /// The record's direction, or the one inferred from the directory when
    /// the record did not say.
    pub direction: Direction,
}

/// A number's periods: the latest one inline (most calls fall in it, and
/// reading it then costs no further cache miss), the earlier ones (if
/// any) in [`DirectoryIndex::periods`].
#[derive(Debug, Clone, Copy)]
struct Periods {
    latest: ExtensionPeriod,
    earlier_start: u32,
    earlier_len: u32,
}

/// A number as a hash key. Numbers of up to 15 bytes (all real ones) are
/// packed with their length into one integer: hashing and comparing it
/// costs a multiply and a compare, where a string key costs a byte loop
/// and a pointer chase per probe. The attribution of every call looks
/// numbers up, so this is on the import's hot path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NumberKey {
    Short(u128),
    Long(Text),
}

impl NumberKey {
    fn new(number: &str) -> NumberKey {
        let bytes = number.as_bytes();
        if bytes.len() < 16 {
            let mut packed = [0u8; 16];
            packed[..bytes.len()].copy_from_slice(bytes);
            packed[15] = bytes.len() as u8;
            NumberKey::Short(u128::from_le_bytes(packed))
        } else {
            NumberKey::Long(Text::from(number))
        }
    }
}

/// A number's bit in [`DirectoryIndex::number_lengths`].
fn length_bit(number: &str) -> u64 {
    1 << number.len().min(63)
}

/// Lookup tables built once from a [`Directory`] snapshot.
#[derive(Debug, Default)]
pub struct DirectoryIndex {
    pbxs: HashMap<String, PbxInfo>,
    /// By site id (0 for extensions without a site), then number; each
    /// number's periods sorted by start, side by side in `periods`.
    extensions: FxHashMap<Id, FxHashMap<NumberKey, Periods>>,
    periods: Vec<ExtensionPeriod>,
    trunks: FxHashMap<(Id, Text), Id>,
    /// Bit `n` set: some extension's number is `n` bytes long (bit 63: 63
    /// or more). Most numbers looked up are outside numbers, longer than
    /// any extension: told apart by their length, without a hash probe.
    number_lengths: u64,
}

impl DirectoryIndex {
    pub fn build(dir: &Directory) -> Self {
        let site_zone: HashMap<Id, TimeZone> = dir
            .sites
            .iter()
            .map(|s| (s.id, TimeZone::get(&s.time_zone).unwrap_or(TimeZone::UTC)))
            .collect();
        let pbxs = dir
            .pbxs
            .iter()
            .map(|p| {
                let zone = p
                    .time_zone
                    .as_deref()
                    .and_then(|z| TimeZone::get(z).ok())
                    .or_else(|| p.site_id.and_then(|s| site_zone.get(&s).cloned()))
                    .unwrap_or(TimeZone::UTC);
                let info = PbxInfo {
                    id: p.id,
                    name: p.name.clone(),
                    format: p.format.clone(),
                    site_id: p.site_id,
                    time_zone: zone,
                };
                (p.name.clone(), info)
            })
            .collect();
        // Grouped by (site, number), then by start of validity.
        let mut sorted: Vec<_> = dir.extensions.iter().collect();
        sorted.sort_by(|a, b| {
            (a.site_id.unwrap_or(0), &a.number, a.valid_from).cmp(&(
                b.site_id.unwrap_or(0),
                &b.number,
                b.valid_from,
            ))
        });
        let mut extensions: FxHashMap<Id, FxHashMap<NumberKey, Periods>> = FxHashMap::default();
        let mut periods = Vec::new();
        let mut number_lengths = 0;
        for group in sorted.chunk_by(|a, b| {
            (a.site_id.unwrap_or(0), &a.number) == (b.site_id.unwrap_or(0), &b.number)
        }) {
            let period = |e: &&crate::Extension| ExtensionPeriod {
                from: e.valid_from,
                to: e.valid_to.unwrap_or(i64::MAX),
                extension_id: e.id,
                user_id: e.user_id,
                department_id: e.department_id,
            };
            let Some((latest, earlier)) = group.split_last() else { continue };
            let entry = Periods {
                latest: period(latest),
                earlier_start: periods.len() as u32,
                earlier_len: earlier.len() as u32,
            };
            periods.extend(earlier.iter().map(period));
            number_lengths |= length_bit(&latest.number);
            extensions
                .entry(latest.site_id.unwrap_or(0))
                .or_default()
                .insert(NumberKey::new(&latest.number), entry);
        }
        let trunks =
            dir.trunks.iter().map(|t| ((t.pbx_id, Text::from(t.code.as_str())), t.id)).collect();
        DirectoryIndex { pbxs, extensions, periods, trunks, number_lengths }
    }

    pub fn pbx(&self, name: &str) -> Option<&PbxInfo> {
        self.pbxs.get(name)
    }

    /// The extension `number` is at `site` at time `at` (seconds), and its
    /// department then.
    pub fn extension_owner_at(
        &self,
        site: Option<Id>,
        number: &str,
        at: i64,
    ) -> Option<(Id, Option<Id>)> {
        self.extension_at(site, number, at).map(|p| (p.extension_id, p.department_id))
    }

    /// Whether `number` is an extension at `site` at time `at` (seconds).
    pub fn is_extension_at(&self, site: Option<Id>, number: &str, at: i64) -> bool {
        self.extension_at(site, number, at).is_some()
    }

    fn extension_at(&self, site: Option<Id>, number: &str, at: i64) -> Option<&ExtensionPeriod> {
        if number.is_empty() || self.number_lengths & length_bit(number) == 0 {
            return None;
        }
        let key = NumberKey::new(number);
        let at_site = |id: Id| self.extensions.get(&id).and_then(|s| s.get(&key));
        let found = at_site(site.unwrap_or(0)).or_else(|| {
            // Extensions declared without a site match at any site.
            site.and_then(|_| at_site(0))
        })?;
        let valid = |p: &&ExtensionPeriod| p.from <= at && at < p.to;
        if valid(&&found.latest) {
            return Some(&found.latest);
        }
        let start = found.earlier_start as usize;
        let earlier = self.periods.get(start..start + found.earlier_len as usize)?;
        earlier.iter().rev().find(valid)
    }

    fn trunk(&self, pbx: Id, code: &str) -> Option<Id> {
        if code.is_empty() {
            return None;
        }
        if let Some(id) = self.trunks.get(&(pbx, Text::from(code))) {
            return Some(*id);
        }
        // `trunk/circuit`: the trunk group alone identifies the trunk.
        let group = code.split_once('/').map(|(g, _)| g)?;
        self.trunks.get(&(pbx, Text::from(group))).copied()
    }

    /// Attributes `cdr`, read from `pbx`, to the directory as it was when
    /// the call started.
    /// The PBX with store id `id`.
    pub fn pbx_by_id(&self, id: Id) -> Option<&PbxInfo> {
        self.pbxs.values().find(|p| p.id == id)
    }

    pub fn attribute(&self, pbx: &PbxInfo, cdr: &Cdr) -> Attribution {
        let at = cdr.start.as_second();
        let called = if cdr.final_called.is_empty() {
            cdr.dialled.as_str()
        } else {
            cdr.final_called.as_str()
        };
        let caller_ext = || self.extension_at(pbx.site_id, &cdr.calling, at);
        let called_ext = || self.extension_at(pbx.site_id, called, at);
        // Only the lookups the direction needs (each is a cache miss in a
        // large directory).
        let (direction, number, period) = match cdr.direction {
            Direction::Outgoing | Direction::Internal => {
                (cdr.direction, cdr.calling.as_str(), caller_ext())
            }
            Direction::Incoming => (Direction::Incoming, called, called_ext()),
            Direction::Tandem => (Direction::Tandem, "", None),
            Direction::Unknown => match (caller_ext(), called_ext()) {
                (Some(p), Some(_)) => (Direction::Internal, cdr.calling.as_str(), Some(p)),
                (Some(p), None) => (Direction::Outgoing, cdr.calling.as_str(), Some(p)),
                (None, Some(p)) => (Direction::Incoming, called, Some(p)),
                (None, None) => (Direction::Unknown, "", None),
            },
        };
        Attribution {
            extension: Text::from(number),
            extension_id: period.map(|p| p.extension_id),
            user_id: period.and_then(|p| p.user_id),
            department_id: period.and_then(|p| p.department_id),
            site_id: pbx.site_id,
            trunk_in_id: self.trunk(pbx.id, &cdr.trunk_in),
            trunk_out_id: self.trunk(pbx.id, &cdr.trunk_out),
            direction,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Extension, Pbx, Site, Trunk};
    use cdr::Timestamp;

    fn directory() -> Directory {
        let ext = |id, number: &str, dept, from, to| Extension {
            id,
            site_id: Some(1),
            number: number.into(),
            user_id: Some(id * 10),
            department_id: Some(dept),
            valid_from: from,
            valid_to: to,
        };
        Directory {
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
                name: "pbx".into(),
                format: "avaya".into(),
                site_id: Some(1),
                time_zone: None,
            }],
            trunks: vec![Trunk {
                id: 3,
                pbx_id: 7,
                code: "0123".into(),
                name: "PSTN".into(),
                carrier: "".into(),
            }],
            departments: vec![],
            users: vec![],
            // 2001 moved from department 100 to 200 at t = 1000.
            extensions: vec![
                ext(1, "2001", 100, 0, Some(1000)),
                ext(2, "2001", 200, 1000, None),
                ext(3, "2002", 100, 0, None),
            ],
            paid_numbers: vec![],
        }
    }

    fn call(calling: &str, dialled: &str, start: i64) -> Cdr {
        Cdr {
            calling: calling.into(),
            dialled: dialled.into(),
            start: Timestamp::from_second(start).unwrap(),
            trunk_out: "0123/004".into(),
            ..Default::default()
        }
    }

    #[test]
    fn calls_belong_to_the_period_they_started_in() {
        let idx = DirectoryIndex::build(&directory());
        let pbx = idx.pbx("pbx").unwrap().clone();
        assert_eq!(pbx.time_zone.iana_name(), Some("Europe/Paris"));
        let before = idx.attribute(&pbx, &call("2001", "0155512345", 999));
        assert_eq!((before.extension_id, before.department_id), (Some(1), Some(100)));
        assert_eq!(before.direction, Direction::Outgoing);
        assert_eq!(before.trunk_out_id, Some(3));
        let after = idx.attribute(&pbx, &call("2001", "0155512345", 1000));
        assert_eq!((after.extension_id, after.department_id), (Some(2), Some(200)));
    }

    #[test]
    fn direction_is_inferred_only_when_unknown() {
        let idx = DirectoryIndex::build(&directory());
        let pbx = idx.pbx("pbx").unwrap().clone();
        let a = idx.attribute(&pbx, &call("2001", "2002", 5));
        assert_eq!((a.direction, a.extension.as_str()), (Direction::Internal, "2001"));
        let a = idx.attribute(&pbx, &call("0155512345", "2002", 5));
        assert_eq!((a.direction, a.extension_id), (Direction::Incoming, Some(3)));
        let a = idx.attribute(&pbx, &call("0155512345", "0166", 5));
        assert_eq!((a.direction, a.extension.as_str()), (Direction::Unknown, ""));
        let mut c = call("9999", "0155512345", 5);
        c.direction = Direction::Outgoing;
        let a = idx.attribute(&pbx, &c);
        // Billed to the unknown extension 9999: it shows in the
        // unknown-extensions report rather than vanishing.
        assert_eq!((a.extension.as_str(), a.extension_id), ("9999", None));
    }

    #[test]
    fn numbers_of_lengths_no_extension_has_are_outside_numbers() {
        let mut dir = directory();
        let long = "7".repeat(70);
        let mut add = |id, number: &str| {
            dir.extensions.push(Extension {
                id,
                site_id: None,
                number: number.into(),
                user_id: None,
                department_id: None,
                valid_from: 0,
                valid_to: None,
            })
        };
        add(10, "sip:reception@example.org");
        add(11, &long);
        let idx = DirectoryIndex::build(&dir);
        let is = |number: &str| idx.is_extension_at(Some(1), number, 5);
        assert!(is("2001") && is("2002"));
        assert!(is("sip:reception@example.org") && is(&long));
        // Of an extension's length, but none: asked and not found.
        assert!(!is("2003"));
        // Of lengths no extension has.
        assert!(!is("200") && !is("20011") && !is("0155512345"));
        // 63 bytes and more share a bit: told by the look-up.
        assert!(!is(&"7".repeat(64)));
    }
}
