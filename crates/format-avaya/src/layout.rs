//! A customized record layout, as administered on the form, and the fixed
//! offsets the parser reads it with.

use crate::data_item::{DataItem, Width};

/// The ordered (data item, width) list of page 2 of `system-parameters cdr`.
///
/// How the record ends: Avaya counts the `return` and `line-feed` items in
/// the record length ("Record length = 97"), but the importer cuts input into
/// lines at LF and drops the CR before it, so the parser sees the record
/// without them. A `return` may only stand right before `line-feed`, and
/// only `null` items may follow `line-feed` (printers' padding): those NULs
/// arrive at the start of the next line and are skipped there. A layout
/// without `line-feed` relies on the transport to end each record with a
/// newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    items: Vec<(DataItem, usize)>,
}

/// Byte range of one item within a line.
pub(crate) type Slot = (usize, usize);

impl Layout {
    /// Builds a layout from (item, width) pairs, checking what the form
    /// checks (widths) and what the parser needs (a `date`, a `time`, a
    /// duration, each data item once, the terminator at the end).
    pub fn new(items: Vec<(DataItem, usize)>) -> Result<Layout, String> {
        if items.is_empty() {
            return Err("layout has no data items".into());
        }
        for (i, &(item, len)) in items.iter().enumerate() {
            check_width(item, len)?;
            if !item.is_filler() && items[..i].iter().any(|(seen, _)| *seen == item) {
                return Err(format!("data item {} appears twice", item.name()));
            }
        }
        let has = |wanted: DataItem| items.iter().any(|(item, _)| *item == wanted);
        for needed in [DataItem::Date, DataItem::Time] {
            if !has(needed) {
                return Err(format!("layout has no {} item", needed.name()));
            }
        }
        if !has(DataItem::SecDur) && !has(DataItem::Duration) {
            return Err("layout has neither sec-dur nor duration".into());
        }
        let line_feed = items.iter().position(|(item, _)| *item == DataItem::LineFeed);
        for (i, (item, _)) in items.iter().enumerate() {
            let next_is_line_feed = line_feed == Some(i + 1);
            let last_without_line_feed = line_feed.is_none() && i + 1 == items.len();
            if *item == DataItem::Return && !next_is_line_feed && !last_without_line_feed {
                return Err("return may only stand right before line-feed".into());
            }
            if line_feed.is_some_and(|lf| i > lf) && *item != DataItem::Null {
                return Err(format!("{} follows line-feed; only null may", item.name()));
            }
        }
        Ok(Layout { items })
    }

    /// Reads a layout written as on the form: `date 6, space 1, time 4, …`.
    /// Items are separated by commas (or newlines); each is an Avaya item
    /// name, in any case, and optionally its width (the form's default
    /// width when omitted).
    pub fn parse(spec: &str) -> Result<Layout, String> {
        let mut items = Vec::new();
        for entry in spec.split([',', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
            let mut words = entry.split_whitespace();
            let name = words.next().unwrap_or_default();
            let item =
                DataItem::from_name(name).ok_or_else(|| format!("unknown data item {name:?}"))?;
            let len = match words.next() {
                None => item.default_len(),
                Some(len) => len
                    .parse::<usize>()
                    .map_err(|_| format!("data item {}: bad length {len:?}", item.name()))?,
            };
            if let Some(extra) = words.next() {
                return Err(format!("data item {}: unexpected {extra:?}", item.name()));
            }
            items.push((item, len));
        }
        Layout::new(items)
    }

    /// A built-in layout. `avaya-97` is the common 97-character layout:
    /// date 6, space, time 4, space, sec-dur 5, space, calling-num 15,
    /// space, dialed-num 23, space, auth-code 13, space, in-trk-code 4,
    /// in-crt-id 3, space, code-dial 4, space, code-used 4, out-crt-id 3,
    /// space, cond-code 1, space, return, line-feed.
    pub fn preset(name: &str) -> Result<Layout, String> {
        match name.to_ascii_lowercase().as_str() {
            "avaya-97" => Layout::parse(
                "date 6, space, time 4, space, sec-dur 5, space, calling-num 15, space, \
                 dialed-num 23, space, auth-code 13, space, in-trk-code 4, in-crt-id 3, space, \
                 code-dial 4, space, code-used 4, out-crt-id 3, space, cond-code 1, space, \
                 return, line-feed",
            ),
            _ => Err(format!("unknown layout preset {name:?} (known: avaya-97)")),
        }
    }

    pub fn items(&self) -> &[(DataItem, usize)] {
        &self.items
    }

    /// The record length as the form shows it, terminator included.
    pub fn record_len(&self) -> usize {
        self.items.iter().map(|(_, len)| len).sum()
    }

    /// The offsets of every item within a line, computed once per parser.
    pub(crate) fn slots(&self) -> Slots {
        let line_feed = self.items.iter().position(|(item, _)| *item == DataItem::LineFeed);
        let mut slots = Slots { record_len: self.record_len(), ..Slots::default() };
        let mut offset = 0;
        for (i, &(item, len)) in self.items.iter().enumerate() {
            let slot = (offset, offset + len);
            let in_terminator = match line_feed {
                Some(lf) => i + 1 >= lf,
                None => i + 1 == self.items.len() && item == DataItem::Return,
            };
            if in_terminator && item.is_filler() {
                continue;
            }
            offset += len;
            slots.assign(item, slot);
        }
        slots.line_len = offset;
        slots
    }
}

fn check_width(item: DataItem, len: usize) -> Result<(), String> {
    let ok = match item.width() {
        Width::Exactly(n) => len == n,
        Width::Date => len == 4 || len == 6,
        Width::UpTo(n) => (1..=n).contains(&len),
    };
    if ok {
        return Ok(());
    }
    let allowed = match item.width() {
        Width::Exactly(n) => format!("{n}"),
        Width::Date => "4 or 6".into(),
        Width::UpTo(n) => format!("1 to {n}"),
    };
    Err(format!("data item {}: length {len} not allowed ({allowed})", item.name()))
}

/// Where the items the parser maps live in a line; everything else that
/// carries data is read into extras, in layout order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots {
    /// Characters of a line as the framer hands it over (no CR/LF).
    pub line_len: usize,
    /// Characters of a record as Avaya counts them.
    pub record_len: usize,
    pub date: Option<Slot>,
    pub time: Option<Slot>,
    pub sec_dur: Option<Slot>,
    pub duration: Option<Slot>,
    pub cond_code: Option<Slot>,
    pub calling_num: Option<Slot>,
    pub clg_num_in_tac: Option<Slot>,
    pub dialed_num: Option<Slot>,
    pub auth_code: Option<Slot>,
    pub acct_code: Option<Slot>,
    pub in_trk_code: Option<Slot>,
    pub in_crt_id: Option<Slot>,
    pub code_used: Option<Slot>,
    pub out_crt_id: Option<Slot>,
    pub extras: Vec<(DataItem, Slot)>,
}

impl Slots {
    fn assign(&mut self, item: DataItem, slot: Slot) {
        let target = match item {
            DataItem::Date => &mut self.date,
            DataItem::Time => &mut self.time,
            DataItem::SecDur => &mut self.sec_dur,
            DataItem::Duration => &mut self.duration,
            DataItem::CondCode => &mut self.cond_code,
            DataItem::CallingNum => &mut self.calling_num,
            DataItem::ClgNumInTac => &mut self.clg_num_in_tac,
            DataItem::DialedNum => &mut self.dialed_num,
            DataItem::AuthCode => &mut self.auth_code,
            DataItem::AcctCode => &mut self.acct_code,
            DataItem::InTrkCode => &mut self.in_trk_code,
            DataItem::InCrtId => &mut self.in_crt_id,
            DataItem::CodeUsed => &mut self.code_used,
            DataItem::OutCrtId => &mut self.out_crt_id,
            filler if filler.is_filler() => return,
            other => {
                self.extras.push((other, slot));
                return;
            }
        };
        *target = Some(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_97_sums_to_97_and_leaves_95_per_line() {
        let layout = Layout::preset("avaya-97").unwrap();
        assert_eq!(layout.record_len(), 97);
        let slots = layout.slots();
        assert_eq!(slots.line_len, 95);
        assert_eq!(slots.date, Some((0, 6)));
        assert_eq!(slots.time, Some((7, 11)));
        assert_eq!(slots.sec_dur, Some((12, 17)));
        assert_eq!(slots.calling_num, Some((18, 33)));
        assert_eq!(slots.dialed_num, Some((34, 57)));
        assert_eq!(slots.auth_code, Some((58, 71)));
        assert_eq!(slots.in_trk_code, Some((72, 76)));
        assert_eq!(slots.in_crt_id, Some((76, 79)));
        assert_eq!(slots.code_used, Some((85, 89)));
        assert_eq!(slots.out_crt_id, Some((89, 92)));
        assert_eq!(slots.cond_code, Some((93, 94)));
        assert_eq!(slots.extras, vec![(DataItem::CodeDial, (80, 84))]);
    }

    #[test]
    fn spec_errors_say_what_is_wrong() {
        let err = |spec: &str| Layout::parse(spec).unwrap_err();
        assert_eq!(err("date 6, tim 4"), "unknown data item \"tim\"");
        assert_eq!(err("date 5, time, sec-dur"), "data item date: length 5 not allowed (4 or 6)");
        assert_eq!(
            err("date, time, sec-dur, dialed-num 24"),
            "data item dialed-num: length 24 not allowed (1 to 23)"
        );
        assert_eq!(err("date, time, sec-dur x"), "data item sec-dur: bad length \"x\"");
        assert_eq!(err("date, time"), "layout has neither sec-dur nor duration");
        assert_eq!(err("time, sec-dur"), "layout has no date item");
        assert_eq!(err("date, time, sec-dur, time"), "data item time appears twice");
        assert_eq!(
            err("date, time, sec-dur, return, space, line-feed"),
            "return may only stand right before line-feed"
        );
        assert_eq!(
            err("date, time, sec-dur, line-feed, space"),
            "space follows line-feed; only null may"
        );
        assert_eq!(err("nope"), "unknown data item \"nope\"");
        assert_eq!(
            Layout::preset("x").unwrap_err(),
            "unknown layout preset \"x\" (known: avaya-97)"
        );
    }

    #[test]
    fn nulls_after_line_feed_are_not_part_of_the_line() {
        let layout =
            Layout::parse("DATE 4, Time, duration, return, line-feed, null, null").unwrap();
        assert_eq!(layout.record_len(), 16);
        assert_eq!(layout.slots().line_len, 12);
    }
}
