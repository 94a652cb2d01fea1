//! A call as stored: the narrow row the writer binds ([`CdrRow`]) and the
//! full record read back ([`CallRecord`]).

use crate::charge::Charge;
use crate::codec::{Reader, Writer};
use crate::rollup::{Bucket, Sums};
use cdr::{Cdr, Direction, Disposition, RecordKind, Text};
use directory::Attribution;

/// Call type code of calls nobody classified.
pub const UNCLASSIFIED: u8 = 8;

/// Layout of `rec`. Version 1 wrote every text with its length (18 bytes
/// for the empty ones alone); version 2 writes a bit set of the texts
/// present (and whether the extension is the calling or dialled number,
/// and whether vendor extras follow), then only those: about 20 bytes less
/// per call to store, log and copy. Both are read.
const REC_VERSION: u8 = 2;
const EXTENSION_IS_CALLING: u64 = 1;
const EXTENSION_IS_DIALLED: u64 = 1 << 1;
const HAS_EXTRAS: u64 = 1 << 2;
/// Bit of the first text (the extension) in the bit set; the others follow
/// in `CdrRow::new_in`'s order.
const TEXTS_SHIFT: usize = 3;
/// Texts of a call in `rec`.
const TEXTS: usize = 18;

/// One row of the `cdr` table, built on the parsing side of the pipeline so
/// the writer only binds nine values, with what the call adds to the
/// rollups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CdrRow {
    pub start_s: i64,
    pub dedup: i64,
    pub pbx_id: i64,
    pub extension_id: Option<i64>,
    pub department_id: Option<i64>,
    pub calling: Text,
    pub dialled: Text,
    /// Everything else, packed (see `codec`).
    pub rec: Vec<u8>,
    /// How the call was priced, packed (see `charge`); None before rating.
    pub charge: Option<Vec<u8>>,
    /// Local day and month of the start in the reporting zone (days since
    /// 1970-01-01; year × 12 + month − 1).
    pub day: i64,
    pub month: i64,
    pub bucket: Bucket,
    pub sums: Sums,
}

/// A stored call with every field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallRecord {
    pub start_s: i64,
    pub dedup: i64,
    pub pbx_id: i64,
    pub extension_id: Option<i64>,
    pub department_id: Option<i64>,
    pub calling: Text,
    pub dialled: Text,
    pub charge: Option<Charge>,
    pub kind: RecordKind,
    pub direction: Direction,
    pub disposition: Disposition,
    pub answer_s: Option<i64>,
    pub end_s: i64,
    pub duration_s: u32,
    pub ring_s: Option<u32>,
    pub user_id: Option<i64>,
    pub site_id: Option<i64>,
    pub trunk_in_id: Option<i64>,
    pub trunk_out_id: Option<i64>,
    pub source_id: i64,
    pub source_pos: i64,
    pub extension: Text,
    pub final_called: Text,
    pub original_called: Text,
    pub last_redirecting: Text,
    pub account_code: Text,
    pub auth_code: Text,
    pub client_matter: Text,
    pub trunk_in: Text,
    pub trunk_out: Text,
    pub device_orig: Text,
    pub device_dest: Text,
    pub cause_orig: Text,
    pub cause_dest: Text,
    pub global_call_id: Text,
    pub orig_leg_id: Text,
    pub dest_leg_id: Text,
    pub orig_conversation_id: Text,
    pub dest_conversation_id: Text,
    pub extras: Vec<(Text, Text)>,
}

impl CdrRow {
    /// The row for `cdr`, read from PBX `pbx_id` at its location in
    /// `source_id`, attributed as `a` says.
    pub fn new(cdr: &Cdr, dedup: i64, pbx_id: i64, source_id: i64, a: &Attribution) -> Self {
        Self::new_in(Vec::new(), cdr, dedup, pbx_id, source_id, a)
    }

    /// [`CdrRow::new`], packing into `buffer` (cleared first): a row
    /// recycled from an earlier batch lends its allocation to the next.
    pub fn new_in(
        buffer: Vec<u8>,
        cdr: &Cdr,
        dedup: i64,
        pbx_id: i64,
        source_id: i64,
        a: &Attribution,
    ) -> Self {
        let start_s = cdr.start.as_second();
        let mut w = Writer::versioned(buffer, REC_VERSION);
        w.u8(cdr.kind.code());
        w.u8(a.direction.code());
        w.u8(cdr.disposition.code());
        w.opt(cdr.answer.map(|t| t.as_second() - start_s));
        w.int(cdr.end.as_second() - start_s);
        w.uint(u64::from(cdr.duration_s));
        w.opt(cdr.ring_s.map(i64::from));
        for id in [a.user_id, a.site_id, a.trunk_in_id, a.trunk_out_id] {
            w.opt(id);
        }
        w.int(source_id);
        w.int(cdr.location.position as i64);
        let c = &cdr.correlation;
        let texts = [
            &a.extension,
            &cdr.final_called,
            &cdr.original_called,
            &cdr.last_redirecting,
            &cdr.account_code,
            &cdr.auth_code,
            &cdr.client_matter,
            &cdr.trunk_in,
            &cdr.trunk_out,
            &cdr.device_orig,
            &cdr.device_dest,
            &cdr.cause_orig,
            &cdr.cause_dest,
            &c.global_call_id,
            &c.orig_leg_id,
            &c.dest_leg_id,
            &c.orig_conversation_id,
            &c.dest_conversation_id,
        ];
        // The extension is nearly always the calling or the dialled
        // number, which are columns of their own: a flag says which.
        let extension = if a.extension.is_empty() {
            0
        } else if a.extension == cdr.calling {
            EXTENSION_IS_CALLING
        } else if a.extension == cdr.dialled {
            EXTENSION_IS_DIALLED
        } else {
            0
        };
        let mut present = extension;
        // (The extension's flag stands for its text.)
        let elided = |i: usize| i == 0 && extension != 0;
        for (i, t) in texts.iter().enumerate() {
            if !t.is_empty() && !elided(i) {
                present |= 1 << (TEXTS_SHIFT + i);
            }
        }
        if !cdr.extras.is_empty() {
            present |= HAS_EXTRAS;
        }
        w.uint(present);
        for (i, t) in texts.iter().enumerate() {
            if present & (1 << (TEXTS_SHIFT + i)) != 0 {
                w.str(t);
            }
        }
        if !cdr.extras.is_empty() {
            w.pairs(&cdr.extras);
        }
        let day = start_s.div_euclid(86_400);
        CdrRow {
            start_s,
            dedup,
            pbx_id,
            extension_id: a.extension_id,
            department_id: a.department_id,
            calling: cdr.calling.clone(),
            dialled: cdr.dialled.clone(),
            rec: w.0,
            charge: None,
            day,
            month: utc_month_of_day(day),
            bucket: Bucket { call_type: UNCLASSIFIED, carrier_id: 0 },
            sums: Sums { calls: 1, seconds: i64::from(cdr.duration_s), ..Sums::default() },
        }
    }

    /// Records how the call was priced; `duration_s` is its talk time.
    pub fn set_charge(&mut self, charge: &Charge, duration_s: u32) {
        self.bucket = charge.bucket();
        self.sums = charge.sums(duration_s);
        self.charge = Some(charge.encode());
    }

    /// Moves the row's heap buffers (`rec`, `charge`) to `into`, leaving
    /// the row without them: whoever frees or reuses them then does it,
    /// not the thread that drops the row.
    pub fn take_buffers(&mut self, into: &mut Vec<Vec<u8>>) {
        into.push(std::mem::take(&mut self.rec));
        if let Some(charge) = self.charge.take() {
            into.push(charge);
        }
    }

    /// Files the call under its local day and month in the reporting zone.
    pub fn set_day(&mut self, day: i64, month: i64) {
        self.day = day;
        self.month = month;
    }

    /// Every field of the row.
    pub fn decode(&self) -> Result<CallRecord, String> {
        self.decode_fields(true)
    }

    /// The fields attribution and pricing read (times, direction,
    /// numbers, trunks, charge); the other texts and the vendor extras are
    /// left empty. Re-rating reads every call of a period, so it skips
    /// what it does not need.
    pub fn decode_for_rating(&self) -> Result<CallRecord, String> {
        self.decode_fields(false)
    }

    fn decode_fields(&self, full: bool) -> Result<CallRecord, String> {
        let (version, mut r) = Reader::start_versioned(&self.rec)?;
        let start_s = self.start_s;
        let mut c = CallRecord {
            start_s,
            dedup: self.dedup,
            pbx_id: self.pbx_id,
            extension_id: self.extension_id,
            department_id: self.department_id,
            calling: self.calling.clone(),
            dialled: self.dialled.clone(),
            charge: self.charge.as_deref().map(Charge::decode).transpose()?,
            kind: RecordKind::from_code(r.u8()?),
            direction: Direction::from_code(r.u8()?),
            disposition: Disposition::from_code(r.u8()?),
            answer_s: r.opt()?.map(|d| start_s + d),
            end_s: start_s + r.int()?,
            duration_s: u32::try_from(r.uint()?).map_err(|_| "bad duration")?,
            ring_s: r.opt()?.and_then(|v| u32::try_from(v).ok()),
            user_id: r.opt()?,
            site_id: r.opt()?,
            trunk_in_id: r.opt()?,
            trunk_out_id: r.opt()?,
            source_id: r.int()?,
            source_pos: r.int()?,
            ..Default::default()
        };
        // Version 1: every text, then the extras' count.
        let present = match version {
            1 => (((1 << TEXTS) - 1) << TEXTS_SHIFT) | HAS_EXTRAS,
            REC_VERSION => r.uint()?,
            v => return Err(format!("call record version {v} is unknown")),
        };
        // The texts, in `new_in`'s order; `true` marks those pricing reads.
        for (i, (s, needed)) in [
            (&mut c.extension, true),
            (&mut c.final_called, true),
            (&mut c.original_called, false),
            (&mut c.last_redirecting, false),
            (&mut c.account_code, false),
            (&mut c.auth_code, false),
            (&mut c.client_matter, false),
            (&mut c.trunk_in, true),
            (&mut c.trunk_out, true),
            (&mut c.device_orig, false),
            (&mut c.device_dest, false),
            (&mut c.cause_orig, false),
            (&mut c.cause_dest, false),
            (&mut c.global_call_id, false),
            (&mut c.orig_leg_id, false),
            (&mut c.dest_leg_id, false),
            (&mut c.orig_conversation_id, false),
            (&mut c.dest_conversation_id, false),
        ]
        .into_iter()
        .enumerate()
        {
            if present & (1 << (TEXTS_SHIFT + i)) == 0 {
                continue;
            }
            if full || needed {
                *s = r.str()?;
            } else {
                r.skip_str()?;
            }
        }
        if present & EXTENSION_IS_CALLING != 0 {
            c.extension = c.calling.clone();
        } else if present & EXTENSION_IS_DIALLED != 0 {
            c.extension = c.dialled.clone();
        }
        if full && present & HAS_EXTRAS != 0 {
            c.extras = r.pairs()?;
        }
        Ok(c)
    }

    pub fn id(&self) -> String {
        call_id(self.start_s, self.dedup)
    }

    /// The call's key: (start second, dedup key).
    pub fn key(&self) -> (i64, i64) {
        (self.start_s, self.dedup)
    }

    /// About the bytes the row takes in the database (for sizing write
    /// transactions).
    pub fn stored_size(&self) -> u64 {
        let charge = self.charge.as_ref().map_or(0, Vec::len);
        (self.rec.len() + charge + self.calling.len() + self.dialled.len() + 24) as u64
    }
}

/// Year × 12 + month − 1 of a UTC day number.
pub fn utc_month_of_day(day: i64) -> i64 {
    let date = jiff::Timestamp::from_second(day.saturating_mul(86_400))
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .unwrap_or_default();
    i64::from(date.year()) * 12 + i64::from(date.month()) - 1
}

impl CallRecord {
    /// The record as the parser gave it, as far as the row keeps it (the
    /// times to the second), from PBX `pbx`: what correlation reads of a
    /// stored call when a writer resumes. `None` for times out of range.
    pub fn to_cdr(&self, pbx: &str) -> Option<Cdr> {
        let time = |s: i64| cdr::Timestamp::from_second(s).ok();
        Some(Cdr {
            pbx: pbx.into(),
            kind: self.kind,
            identity: 0,
            start: time(self.start_s)?,
            answer: match self.answer_s {
                Some(s) => Some(time(s)?),
                None => None,
            },
            end: time(self.end_s)?,
            duration_s: self.duration_s,
            ring_s: self.ring_s,
            direction: self.direction,
            disposition: self.disposition,
            calling: self.calling.clone(),
            dialled: self.dialled.clone(),
            original_called: self.original_called.clone(),
            final_called: self.final_called.clone(),
            last_redirecting: self.last_redirecting.clone(),
            account_code: self.account_code.clone(),
            auth_code: self.auth_code.clone(),
            client_matter: self.client_matter.clone(),
            trunk_in: self.trunk_in.clone(),
            trunk_out: self.trunk_out.clone(),
            device_orig: self.device_orig.clone(),
            device_dest: self.device_dest.clone(),
            cause_orig: self.cause_orig.clone(),
            cause_dest: self.cause_dest.clone(),
            correlation: cdr::Correlation {
                global_call_id: self.global_call_id.clone(),
                orig_leg_id: self.orig_leg_id.clone(),
                dest_leg_id: self.dest_leg_id.clone(),
                orig_conversation_id: self.orig_conversation_id.clone(),
                dest_conversation_id: self.dest_conversation_id.clone(),
            },
            location: cdr::Location::default(),
            extras: self.extras.clone(),
        })
    }

    pub fn id(&self) -> String {
        call_id(self.start_s, self.dedup)
    }
}

/// The public id of a stored call: its start second and dedup key, which
/// together are its primary key (`1744993930-9f3a0c…`).
pub fn call_id(start_s: i64, dedup: i64) -> String {
    format!("{start_s}-{:016x}", dedup as u64)
}

/// Reads a call id back into (start second, dedup key).
pub fn parse_call_id(id: &str) -> Option<(i64, i64)> {
    let (start, key) = id.split_once('-')?;
    let start = start.parse().ok()?;
    let key = u64::from_str_radix(key, 16).ok()?;
    Some((start, key as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cdr::Timestamp;

    #[test]
    fn call_ids_round_trip() {
        let id = call_id(1744993930, -5);
        assert_eq!(id, "1744993930-fffffffffffffffb");
        assert_eq!(parse_call_id(&id), Some((1744993930, -5)));
        assert_eq!(parse_call_id("x"), None);
    }

    #[test]
    fn every_field_survives_the_row() {
        let t = |s| Timestamp::from_second(s).unwrap();
        let mut cdr = Cdr {
            kind: RecordKind::Leg,
            start: t(1744993928),
            answer: Some(t(1744993930)),
            end: t(1744993941),
            duration_s: 11,
            ring_s: Some(2),
            disposition: Disposition::Answered,
            calling: "5033466594".into(),
            dialled: "5033466593".into(),
            final_called: "5033466593".into(),
            auth_code: "1234".into(),
            trunk_out: "0101/004".into(),
            device_orig: "SEPCC7F750586B7".into(),
            cause_dest: "16".into(),
            location: cdr::Location::line("cdr.txt", 3),
            extras: vec![("origIpAddr".into(), "10.248.64.14".into())],
            ..Default::default()
        };
        cdr.correlation.global_call_id = "c:2:25447".into();
        cdr.correlation.orig_leg_id = "47874239".into();
        let a = Attribution {
            extension: "5033466594".into(),
            extension_id: Some(9),
            user_id: Some(4),
            department_id: Some(2),
            site_id: Some(1),
            trunk_out_id: Some(3),
            direction: Direction::Internal,
            ..Default::default()
        };
        let row = CdrRow::new(&cdr, -77, 5, 6, &a);
        let c = row.decode().unwrap();
        assert_eq!((c.start_s, c.answer_s, c.end_s), (1744993928, Some(1744993930), 1744993941));
        assert_eq!((c.duration_s, c.ring_s, c.kind), (11, Some(2), RecordKind::Leg));
        assert_eq!((c.direction, c.disposition), (Direction::Internal, Disposition::Answered));
        assert_eq!((c.extension_id, c.user_id, c.department_id), (Some(9), Some(4), Some(2)));
        assert_eq!((c.site_id, c.trunk_in_id, c.trunk_out_id), (Some(1), None, Some(3)));
        assert_eq!((c.source_id, c.source_pos, c.pbx_id, c.dedup), (6, 3, 5, -77));
        assert_eq!(c.extension, "5033466594");
        assert_eq!((c.auth_code.as_str(), c.trunk_out.as_str()), ("1234", "0101/004"));
        assert_eq!((c.device_orig.as_str(), c.cause_dest.as_str()), ("SEPCC7F750586B7", "16"));
        assert_eq!((c.global_call_id.as_str(), c.orig_leg_id.as_str()), ("c:2:25447", "47874239"));
        assert_eq!(c.extras, cdr.extras);
        let mut bad = row.clone();
        bad.rec.truncate(bad.rec.len() - 3);
        assert!(bad.decode().is_err());
    }

    #[test]
    fn the_extension_is_read_back_whichever_number_it_is() {
        let cdr = Cdr {
            start: Timestamp::from_second(1744993928).unwrap(),
            end: Timestamp::from_second(1744993941).unwrap(),
            calling: "2001".into(),
            dialled: "0612345678".into(),
            ..Default::default()
        };
        for extension in ["2001", "0612345678", "2002", ""] {
            let a = Attribution { extension: extension.into(), ..Default::default() };
            let row = CdrRow::new(&cdr, 1, 1, 1, &a);
            assert_eq!(row.decode().unwrap().extension, extension);
            assert_eq!(row.decode_for_rating().unwrap().extension, extension);
        }
    }

    /// Stores written with the first layout (every text with its length)
    /// read as before.
    #[test]
    fn records_of_the_first_layout_still_read() {
        let mut w = Writer::versioned(Vec::new(), 1);
        for b in [0, 1, 0] {
            w.u8(b); // kind, direction, disposition
        }
        w.opt(Some(2)); // answer
        w.int(13); // end
        w.uint(11); // duration
        w.opt(None); // ring
        for id in [Some(4), Some(1), None, Some(3)] {
            w.opt(id);
        }
        w.int(6); // source
        w.int(3); // position
        for i in 0..18 {
            w.str(match i {
                0 => "5033466594",
                8 => "0101/004",
                _ => "",
            });
        }
        w.pairs(&[("origIpAddr".into(), "10.248.64.14".into())]);
        let row = CdrRow { start_s: 1744993928, rec: w.0, ..Default::default() };
        let c = row.decode().unwrap();
        assert_eq!((c.answer_s, c.end_s, c.duration_s), (Some(1744993930), 1744993941, 11));
        assert_eq!((c.user_id, c.site_id, c.trunk_out_id), (Some(4), Some(1), Some(3)));
        assert_eq!((c.extension.as_str(), c.trunk_out.as_str()), ("5033466594", "0101/004"));
        assert_eq!(c.extras.len(), 1);
        assert_eq!(row.decode_for_rating().unwrap().trunk_out, "0101/004");
    }
}
