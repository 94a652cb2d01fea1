//! The sections of a flexible-format message.
//!
//! After `K` and the kind of call come sections, each a two-digit "kind of
//! data", a two-digit "length of data" and the data, in rising order of
//! kind; optional sections are left out. Sources: the "Message Format for
//! Outgoing / Incoming / Station-to-Station Call - FCCS" figures of NEC's
//! UNIVERGE SV8500 operations manual, a public character-by-character
//! transcription of NEC's KK/KL/KM tables, and the public
//! NEC-SMDR-Collector (`parse-nec-smdr.js`), which reads the same records.
//!
//! | kind | data | length of data |
//! |---|---|---|
//! | 01 | trunk: fusion point code 3, physical route 3, trunk 3, logical route 3 | 12 |
//! | 02 | calling party (station): identification 1, tenant 3, station number 6 | 10 |
//! | 03 | calling party (telephone number): FPC 3, then user group 3 and number (≤ 16) | 03, 06–22 |
//! | 04 | called party (station): as 02 | 10 |
//! | 05 | called party (telephone number): as 03 | 03, 06–22 |
//! | 06 | call start, call end: each `yyyymmddhhmmss` + milliseconds 3 | 34 |
//! | 07 | account code (≤ 24 digits) | digits + 1 |
//! | 08 | condition B: C0 C1 C2 | 03 |
//! | 09 | alternate routing: route used (FPC, physical, logical), route first selected (same) | 18 |
//! | 10 | dial code (≤ 32 digits) | digits + 1 |
//! | 11 | office code of calling party 4, of billing process office 4 | 08 |
//! | 12 | authorization code (≤ 16 digits) | digits + 1 |
//! | 13 | condition C (charge information) 1, billing information (≤ 6) | 01–07 |
//! | 14 | condition D (bill notification) 1, attendant console number (≤ 3) | 01–04 |
//! | 15 | department code | 03 |
//! | 16 | ANI presentation identifier 1, calling number / ANI (≤ 32) | 01–33 |
//! | 17 | converted number (≤ 6) | 01–06 |
//! | 18 | MA-ID of the calling party 5, of the route / called party 5 | 10 |
//! | 19 | trunk call received time, as one time of 06 | 17 (or 34) |
//!
//! What the length of data counts differs by kind, and the parser reads
//! each kind by its own rule ([`crate::layout`]):
//! - Fixed sections must state their size; a wrong one is an error.
//! - 03/05 count the FPC, the user group and the number: "03 when no data,
//!   22 maximum" (3 + 3 + 16).
//! - The digit strings 07, 10 and 12 count one more than their digits:
//!   "01 when no data"; the 32 digits of a dial code sit at characters
//!   005–037 of the section. The collector reads them the same way.
//! - 19 holds one time, 17 characters: NEC's table prints its length digits
//!   as `1`, `7`, and the collector reads 17 characters whatever the length
//!   says. The same table labels it "34 characters" (copied from 06), so a
//!   length of 34 is accepted for it too, still with 17 characters of data.
//!
//! The three published sample records, cut by these rules (character
//! positions count from the `0` of `0!`):
//! - KL: 01 `002001023201` (FPC 002, route 001, trunk 023, logical 201),
//!   04 `000120000 ` (station 20000 of tenant 001), 05 `00100120000` (FPC
//!   001, user group 001, number 20000), 06 2019-09-08 21:57:41.398 to
//!   21:57:48.738, 07 length 11 → `7325551212`, 08 `004`, 09
//!   `002002202001001201`, 10 length 11 → `7325551212`, 11 `01231234`, 12
//!   length 08 → `8675309`, 13 `12`, 16 `417325551212` (identifier 4, ANI
//!   17325551212), 18 `1234554321`, and 19 written `1934` followed by the 17
//!   characters `20170101000000001`, which end the record: a valid record
//!   under the rule for 19 above.
//! - KK (character 35) declares `0308` but carries `00100220001`: FPC 001,
//!   user group 002 and number 20001, 11 characters. The written length
//!   cannot be right: 8 characters leave `001063…`, and there is no kind
//!   00; 11 leave 06 (2018-07-07 12:00:00.001 to 13:01:01.000) and twelve
//!   more sections that end exactly at the end of the record.
//! - KM (character 93) declares account code `0711` (10 digits) but carries
//!   the 9 digits `735551212`; 10 digits would take the `1` of the next
//!   header and leave `01…`, a kind that may not follow 07. At 9 digits the
//!   rest is 10 (`7325551212`) and 18 (`1234554321`) to the end.
//!
//! These are test records composed by hand (555-1212, 867-5309, MA-IDs
//! 12345/54321), and KK and KM each carry a wrong length digit. The
//! collector does not refuse them, but misreads them: each of its section
//! readers looks for its own kind next and skips it when absent, so it
//! takes KK's number as `20` and then finds no further section (no call
//! times, codes or dial code), and takes KM's account code as `7355512121`
//! and loses its 10 and 18.
//!
//! So a record whose lengths do not add up is refused, naming the place,
//! with one narrow exception that reads such records the way their data
//! proves. When the header right after a variable-length section has a
//! kind that cannot come there (unknown, or not above the section's), the
//! lengths of that section are tried, shortest first. A length passes
//! when its data is digits (after the identifier some kinds carry) and the
//! rest of the record walks to its very end by its own lengths, through at
//! least one fixed-size section (whose kind, length and place must all
//! agree). The shortest passing length is the reading that folds no
//! well-formed section into the data (KM's account code could also swallow
//! its 10); it is taken if it lies within 3 of the written length (less
//! than a header) and no other passing length does. The record then says
//! so in [`Sections::repair`], which the parser keeps as an extra (`Length
//! of Data 03: declared 08, fits 11`); otherwise the first error stands.
//! KK's 03 moves by 3 and KM's 07 by 1, each the shortest length that
//! passes and the only one near the written length. Nothing else is
//! repaired: not data that runs out (a truncated record), not a header
//! whose kind may come but whose length is bad, not a fixed-size section.

use crate::layout::{LAST_KIND, Size, plausible, size_of};
use cdr::ParseError;

/// The data of each section present, indexed by kind of data.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Sections<'a> {
    data: [Option<&'a [u8]>; LAST_KIND + 1],
    /// The one length of data the record got wrong and its data proved.
    pub repair: Option<Repair>,
}

/// A length of data read otherwise than it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Repair {
    pub kind: usize,
    /// The length of data as written.
    pub declared: usize,
    /// The length of data that fits the data.
    pub fits: usize,
}

/// The last section read before the walk stopped.
#[derive(Debug, Clone, Copy)]
struct Placed {
    kind: usize,
    size: Size,
    /// Where its header starts.
    at: usize,
    declared: usize,
}

/// Why a walk stopped.
struct Stop {
    error: ParseError,
    /// The bytes where a header should be cannot start one here (unknown
    /// kind, kind out of order), as opposed to data that runs out or a
    /// header with a bad length.
    misaligned: bool,
    after: Option<Placed>,
}

impl<'a> Sections<'a> {
    /// Walks the sections of one message.
    pub fn split(bytes: &'a [u8]) -> Result<Sections<'a>, ParseError> {
        let mut sections = Sections::default();
        let Err(stop) = walk(bytes, 0, 0, &mut sections) else {
            return Ok(sections);
        };
        match stop.after {
            Some(placed) if stop.misaligned => {
                sections.data[placed.kind] = None;
                repair(bytes, sections, placed).ok_or(stop.error)
            }
            _ => Err(stop.error),
        }
    }

    /// The data of section `kind`, if the message carries it.
    pub fn get(&self, kind: usize) -> Option<&'a [u8]> {
        self.data.get(kind).copied().flatten()
    }
}

/// What a walk read.
#[derive(Debug, Default, Clone, Copy)]
struct Walked {
    /// Whether a section read has a fixed size: its kind, length and place
    /// all had to agree, the best proof that the walk is in step.
    anchored: bool,
}

/// Reads sections from `at` to the end of `bytes`, each of a higher kind
/// than `previous`, into `sections`.
fn walk<'a>(
    bytes: &'a [u8],
    mut at: usize,
    mut previous: usize,
    sections: &mut Sections<'a>,
) -> Result<Walked, Stop> {
    let mut walked = Walked::default();
    let mut after = None;
    let stop = |error, misaligned, after| Err(Stop { error, misaligned, after });
    while at < bytes.len() {
        let rest = bytes.get(at..).unwrap_or_default();
        let [k1, k2, l1, l2, data @ ..] = rest else {
            let error = ParseError::record(format!(
                "truncated section at character {}: {:?}",
                at + 1,
                quote(rest)
            ));
            return stop(error, false, after);
        };
        let Some((kind, size)) = two_digits(*k1, *k2).and_then(|kind| Some((kind, size_of(kind)?)))
        else {
            let error = ParseError::field(
                "kind of data",
                format!("unknown {:?} after section {previous:02}", quote(&[*k1, *k2])),
            );
            return stop(error, true, after);
        };
        if kind <= previous {
            let error = ParseError::field(
                "kind of data",
                format!("section {kind:02} after section {previous:02}"),
            );
            return stop(error, true, after);
        }
        // From here the kind may follow: a bad length is this header's own
        // damage, not a sign that the walk is out of step.
        let field = || format!("length of data {kind:02}");
        let Some(declared) = two_digits(*l1, *l2) else {
            let error =
                ParseError::field(field(), format!("not a number: {:?}", quote(&[*l1, *l2])));
            return stop(error, false, after);
        };
        let Some(len) = size.data_len(kind, declared) else {
            let error = ParseError::field(
                field(),
                format!("expected {}: {:?}", size.allowed(kind), quote(&[*l1, *l2])),
            );
            return stop(error, false, after);
        };
        let Some(section) = data.get(..len) else {
            let declares = if len == declared {
                format!("{len} characters")
            } else {
                format!("{declared:02} ({len} characters)")
            };
            let error = ParseError::record(format!(
                "section {kind:02} declares {declares}, {} left",
                data.len()
            ));
            return stop(error, false, after);
        };
        sections.data[kind] = Some(section);
        after = Some(Placed { kind, size, at, declared });
        walked.anchored |= matches!(size, Size::Fixed(_));
        previous = kind;
        at += 4 + len;
    }
    Ok(walked)
}

/// How far a repair may move the end of a section from where its written
/// length puts it: less than a header.
const MOST_A_REPAIR_MOVES: usize = 3;

/// The length of `placed` that the rest of the record proves (see the
/// module documentation), with the sections read so; `sections` holds
/// those before `placed`.
fn repair<'a>(bytes: &'a [u8], sections: Sections<'a>, placed: Placed) -> Option<Sections<'a>> {
    if matches!(placed.size, Size::Fixed(_)) {
        return None;
    }
    let data_at = placed.at + 4;
    let near = |fits: usize| fits.abs_diff(placed.declared) <= MOST_A_REPAIR_MOVES;
    let mut found: Option<Sections<'a>> = None;
    for len in placed.size.data_lengths() {
        let fits = placed.size.declared_for(len);
        if placed.size.data_len(placed.kind, fits).is_none() {
            continue;
        }
        // Past the window a first passing length would be too far, and a
        // later one cannot contest a reading found.
        if fits > placed.declared + MOST_A_REPAIR_MOVES {
            break;
        }
        let rest_at = data_at + len;
        // The data may not swallow the record's end: sections must follow
        // to prove the length.
        let (Some(data), true) = (bytes.get(data_at..rest_at), rest_at < bytes.len()) else {
            break;
        };
        if !plausible(placed.kind, data) {
            continue;
        }
        let mut trial = sections;
        trial.data[placed.kind] = Some(data);
        if !walk(bytes, rest_at, placed.kind, &mut trial).is_ok_and(|walked| walked.anchored) {
            continue;
        }
        // The shortest passing length folds no well-formed section into
        // the data; it must be near the written one, and alone there.
        if found.is_some() || !near(fits) {
            return None;
        }
        trial.repair = Some(Repair { kind: placed.kind, declared: placed.declared, fits });
        found = Some(trial);
    }
    found
}

fn two_digits(tens: u8, units: u8) -> Option<usize> {
    (tens.is_ascii_digit() && units.is_ascii_digit())
        .then(|| usize::from(tens - b'0') * 10 + usize::from(units - b'0'))
}

fn quote(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `from..to` of a section's data, or nothing where the data is shorter.
pub(crate) fn part(data: &[u8], from: usize, to: usize) -> &[u8] {
    data.get(from..to.min(data.len())).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three published samples from `K` on the kind of call skipped.
    fn sample_sections(name: &str) -> Vec<u8> {
        let path = format!("{}/../../samples/nec/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read(&path).unwrap();
        text.trim_ascii_end().get(4..).unwrap().to_vec()
    }

    fn err(bytes: &[u8]) -> String {
        Sections::split(bytes).unwrap_err().to_string()
    }

    #[test]
    fn walks_sections_by_their_lengths() {
        let s = Sections::split(b"0210000120001 05030000706123451004987").unwrap();
        assert_eq!(s.get(2), Some(&b"000120001 "[..]));
        assert_eq!(s.get(5), Some(&b"000"[..]));
        // Digit strings: the length of data is one more than the digits.
        assert_eq!(s.get(7), Some(&b"12345"[..]));
        assert_eq!(s.get(10), Some(&b"987"[..]));
        assert_eq!(s.get(1), None);
        assert_eq!(s.repair, None);
    }

    #[test]
    fn section_19_holds_one_time_whether_its_length_says_17_or_34() {
        for header in ["1917", "1934"] {
            let bytes = format!("{header}20170101000000001");
            let s = Sections::split(bytes.as_bytes()).unwrap();
            assert_eq!(s.get(19), Some(&b"20170101000000001"[..]));
            assert_eq!(s.repair, None);
        }
        assert_eq!(
            err(b"191820170101000000001"),
            "field length of data 19: expected 17 (or 34): \"18\""
        );
        // 34 still means 17 characters: a second time is not a section.
        assert_eq!(
            err(b"19342017010100000000120170101000000001"),
            "field kind of data: unknown \"20\" after section 19"
        );
    }

    #[test]
    fn refuses_lengths_that_do_not_add_up() {
        assert_eq!(err(b"0634201909"), "section 06 declares 34 characters, 6 left");
        assert_eq!(err(b"07111234"), "section 07 declares 11 (10 characters), 4 left");
        assert_eq!(err(b"050300000100"), "field kind of data: unknown \"00\" after section 05");
        assert_eq!(err(b"05030000203000"), "field kind of data: section 02 after section 05");
        assert_eq!(err(b"05x3000"), "field length of data 05: not a number: \"x3\"");
        assert_eq!(err(b"050300007"), "truncated section at character 8: \"07\"");
        assert_eq!(err(b"0813012"), "field length of data 08: expected 03: \"13\"");
        assert_eq!(err(b"03040010"), "field length of data 03: expected 03 or 06 to 22: \"04\"");
        assert_eq!(err(b"0700"), "field length of data 07: expected 01 to 25: \"00\"");
        assert_eq!(err(b"1218"), "field length of data 12: expected 01 to 17: \"18\"");
        assert_eq!(err(b"2001x"), "field kind of data: unknown \"20\" after section 00");
    }

    #[test]
    fn the_published_samples_split_by_the_layout() {
        let kl = sample_sections("KLrecord.smdr");
        let s = Sections::split(&kl).unwrap();
        assert_eq!(s.get(5), Some(&b"00100120000"[..]));
        assert_eq!(s.get(16), Some(&b"417325551212"[..]));
        assert_eq!(s.get(19), Some(&b"20170101000000001"[..]));
        assert_eq!(s.repair, None);

        let kk = sample_sections("KKrecord.smdr");
        let s = Sections::split(&kk).unwrap();
        assert_eq!(s.get(3), Some(&b"00100220001"[..]));
        assert_eq!(s.get(6), Some(&b"2018070712000000120180707130101000"[..]));
        assert_eq!(s.get(18), Some(&b"0123409875"[..]));
        assert_eq!(s.repair, Some(Repair { kind: 3, declared: 8, fits: 11 }));

        let km = sample_sections("KMrecord.smdr");
        let s = Sections::split(&km).unwrap();
        assert_eq!(s.get(7), Some(&b"735551212"[..]));
        assert_eq!(s.get(10), Some(&b"7325551212"[..]));
        assert_eq!(s.get(18), Some(&b"1234554321"[..]));
        assert_eq!(s.repair, Some(Repair { kind: 7, declared: 11, fits: 10 }));
    }

    #[test]
    fn a_repair_needs_one_length_proved_by_the_rest_of_the_record() {
        // Account code 07 declared 06 (5 digits) leaves "80…"; with 4
        // digits the rest is 08 and 10 to the end.
        let s = Sections::split(b"07061234080301210029").unwrap();
        assert_eq!(s.get(7), Some(&b"1234"[..]));
        assert_eq!(s.get(10), Some(&b"9"[..]));
        assert_eq!(s.repair, Some(Repair { kind: 7, declared: 6, fits: 5 }));
        // Dial code declared 09 leaves "01…"; 6 digits would leave 14 and
        // 16 to the end, but neither has a fixed size to prove it.
        assert_eq!(err(b"10097130151401016011"), "field kind of data: section 01 after section 10");
        // Dial code declared 02 leaves "20…"; no digits (then an empty 12,
        // and 15) and 4 digits (then 15) both walk to the end: refused.
        assert_eq!(err(b"100212011503012"), "field kind of data: unknown \"20\" after section 10");
        // Nor may a repair move a section's end by a header or more: 03
        // declared 08 would need 15 characters to reach 15.
        assert_eq!(
            err(b"03080010022000103151503012"),
            "field kind of data: unknown \"00\" after section 03"
        );
        // The data may not swallow the record's end to make it fit.
        assert_eq!(err(b"0308001002200013"), "field kind of data: unknown \"00\" after section 03");
        // Nor is a truncated record mended: here 03 leaves 3 characters.
        assert_eq!(err(b"030800100220001"), "truncated section at character 13: \"001\"");
        // A header whose kind may come but whose length is bad is damaged
        // itself: no repair of the account code before it.
        assert_eq!(
            err(b"07107355512121311732555121218101234554321"),
            "field length of data 13: expected 01 to 07: \"11\""
        );
        // A fixed section is never resized.
        assert_eq!(err(b"0803012210021"), "field kind of data: unknown \"21\" after section 08");
    }

    /// Where each section ends, from the data lengths: header 4 + data.
    fn ends(data_lengths: &[usize]) -> Vec<usize> {
        data_lengths
            .iter()
            .scan(0, |end, len| {
                *end += 4 + len;
                Some(*end)
            })
            .collect()
    }

    #[test]
    fn cuts_inside_a_section_of_the_samples_are_errors() {
        // The data lengths the samples carry (hand-checked above), and those
        // their written lengths give up to the wrong one: a cut there is a
        // well-formed record by its own lengths.
        let kk = [12, 10, 11, 34, 10, 3, 18, 11, 8, 7, 7, 2, 3, 12, 6, 10];
        let kl = [12, 10, 11, 34, 10, 3, 18, 10, 8, 7, 2, 12, 10, 17];
        let km = [10, 11, 10, 3, 34, 9, 10, 10];
        let samples = [
            ("KKrecord.smdr", &kk[..], &[12, 10, 8][..]),
            ("KLrecord.smdr", &kl[..], &[][..]),
            ("KMrecord.smdr", &km[..], &[10, 11, 10, 3, 34, 10][..]),
        ];
        for (name, carried, written) in samples {
            let bytes = sample_sections(name);
            let mut allowed = ends(carried);
            assert_eq!(allowed.last(), Some(&bytes.len()), "{name}");
            allowed.extend(ends(written));
            let inside: Vec<usize> = (1..=bytes.len())
                .filter(|&cut| Sections::split(&bytes[..cut]).is_ok())
                .filter(|cut| !allowed.contains(cut))
                .collect();
            assert!(inside.is_empty(), "{name}: accepted cuts inside a section: {inside:?}");
        }
    }
}
