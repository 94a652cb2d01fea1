//! Turns one flexible-format message into a [`Cdr`].

use crate::message::{CallKind, Message, open};
use crate::sections::{Sections, part};
use crate::time::local_time;
use cdr::text::{local_to_utc, lossy, number, trim};
use cdr::{
    Cdr, Direction, Disposition, Framing, ParseError, Parsed, ParserContext, RecordParser, Text,
};

const FORMAT: &str = "nec";

/// Reads NEC SMDR flexible-format records (KK, KL, KM), one per line.
///
/// Mapping: KK → outgoing, KL → incoming, KM → internal. Section 06's start
/// and end (local times in `ctx.time_zone`) give start, answer (= start:
/// SMDR records connected calls, timed from the connection) and end;
/// duration is end − start rounded to the nearest second. Calling: the calling party's
/// telephone number (03), else its station number (02); on KL the ANI
/// (16). Dialled: the dial code (10), else the called party's telephone
/// number (05) or station (04), which is also `final_called` on KL and KM.
/// Trunk (01) physical route and trunk number → `trunk_out` on KK,
/// `trunk_in` on KL, as `route/trunk`. Account code 07, authorization code
/// 12, condition B (08) → `cause_orig`. Everything else goes to extras
/// under NEC's names. A record read with one length of data repaired (see
/// [`crate::sections`]) says so in the extra `Length of Data NN`, e.g.
/// `declared 08, fits 11`.
pub struct NecParser {
    ctx: ParserContext,
}

impl NecParser {
    pub fn new(ctx: ParserContext) -> Self {
        NecParser { ctx }
    }

    fn build(&self, message: Message<'_>) -> Result<Cdr, ParseError> {
        let sections = Sections::split(message.sections)?;
        let section = |kind| sections.get(kind).unwrap_or_default();
        let mut extras = Extras::default();

        let times = sections
            .get(6)
            .ok_or_else(|| ParseError::record("no call start/end time (section 06)"))?;
        let start_local = local_time("Call Start Time", part(times, 0, 17))?;
        let end_local = local_time("Call End Time", part(times, 17, 34))?;
        if end_local < start_local {
            return Err(ParseError::field(
                "Call End Time",
                format!("before the start: {end_local} < {start_local}"),
            ));
        }
        let start = local_to_utc(&self.ctx.time_zone, start_local)?;
        let end = local_to_utc(&self.ctx.time_zone, end_local)?;
        // Milliseconds are written; talk time is rounded to the nearest second.
        let millis = end.duration_since(start).as_millis().max(0);
        let duration_s = u32::try_from((millis + 500) / 1000).unwrap_or(u32::MAX);

        let trunk = section(1);
        extras.add("Fusion Point Code", part(trunk, 0, 3));
        extras.add("Logical Route", part(trunk, 9, 12));
        let route_trunk = route_and_trunk(part(trunk, 3, 6), part(trunk, 6, 9));

        let calling_station = party(&mut extras, "Calling", section(2), section(3));
        let called_station = party(&mut extras, "Called", section(4), section(5));

        extras.add("Condition B", section(8));
        let routing = section(9);
        extras.add("Route Used FPC", part(routing, 0, 3));
        extras.add("Route Used Physical", part(routing, 3, 6));
        extras.add("Route Used Logical", part(routing, 6, 9));
        extras.add("First Route FPC", part(routing, 9, 12));
        extras.add("First Route Physical", part(routing, 12, 15));
        extras.add("First Route Logical", part(routing, 15, 18));
        let dial_code = number(section(10));
        let office = section(11);
        extras.add("Office Code of Calling Party", part(office, 0, 4));
        extras.add("Office Code of Billing Process Office", part(office, 4, 8));
        let charge = section(13);
        extras.add("Condition C", part(charge, 0, 1));
        extras.add("Billing Information", part(charge, 1, charge.len()));
        let notification = section(14);
        extras.add("Condition D", part(notification, 0, 1));
        extras.add("Bill Notification ATTCON Number", part(notification, 1, notification.len()));
        extras.add("Department Code", section(15));
        let ani = section(16);
        extras.add("ANI Presentation", part(ani, 0, 1));
        let ani_number = number(part(ani, 1, ani.len()));
        extras.add("Converted Number", section(17));
        let ma_id = section(18);
        extras.add("Calling Party MA-ID", part(ma_id, 0, 5));
        let second_ma_id = match message.kind {
            CallKind::Outgoing => "Outgoing Route MA-ID",
            CallKind::Incoming => "Incoming Route MA-ID",
            CallKind::StationToStation => "Called Party MA-ID",
        };
        extras.add(second_ma_id, part(ma_id, 5, 10));
        extras.add("Trunk Call Received Time", section(19));
        if let Some(repair) = sections.repair {
            extras.push(
                format!("Length of Data {:02}", repair.kind),
                format!("declared {:02}, fits {:02}", repair.declared, repair.fits),
            );
        }

        let mut cdr = Cdr {
            identity: cdr::whole_record(FORMAT, message.record),
            start,
            answer: Some(start),
            end,
            duration_s,
            disposition: Disposition::Answered,
            dialled: if dial_code.is_empty() { called_station.clone() } else { dial_code },
            account_code: lossy(section(7)),
            auth_code: lossy(section(12)),
            cause_orig: lossy(section(8)),
            ..Cdr::default()
        };
        match message.kind {
            CallKind::Outgoing => {
                cdr.direction = Direction::Outgoing;
                cdr.calling = calling_station;
                cdr.trunk_out = route_trunk;
                extras.add("Called Number", called_station.as_bytes());
                extras.add("Calling Party Number / ANI", ani_number.as_bytes());
            }
            CallKind::Incoming => {
                cdr.direction = Direction::Incoming;
                cdr.calling = ani_number;
                cdr.trunk_in = route_trunk;
                cdr.final_called = called_station;
                extras.add("Calling Number", calling_station.as_bytes());
            }
            CallKind::StationToStation => {
                cdr.direction = Direction::Internal;
                cdr.calling = calling_station;
                cdr.final_called = called_station;
                extras.add("Calling Party Number / ANI", ani_number.as_bytes());
                extras.add("Route/Trunk", route_trunk.as_bytes());
            }
        }
        cdr.extras = extras.0;
        Ok(cdr)
    }
}

impl RecordParser for NecParser {
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError> {
        match open(raw)? {
            None => Ok(Parsed::NotARecord),
            Some(message) => self.build(message).map(|cdr| Parsed::Cdr(Box::new(cdr))),
        }
    }

    fn framing(&self) -> Framing {
        Framing::Lines
    }
}

/// A party's number from its station section (02/04: identification,
/// tenant, station) and telephone-number section (03/05: FPC, user group,
/// number). The telephone number is the one dialled across a fusion
/// network, so it wins when written; the rest goes to extras.
fn party(extras: &mut Extras, side: &'static str, station: &[u8], telephone: &[u8]) -> Text {
    let (identification, tenant, station_number, fpc, user_group) = match side {
        "Calling" => (
            "Calling Party Identification",
            "Calling Tenant",
            "Calling Station Number",
            "Calling FPC",
            "Calling User Group",
        ),
        _ => (
            "Called Party Identification",
            "Called Tenant",
            "Called Station Number",
            "Called FPC",
            "Called User Group",
        ),
    };
    extras.add(identification, part(station, 0, 1));
    extras.add(tenant, part(station, 1, 4));
    extras.add(fpc, part(telephone, 0, 3));
    extras.add(user_group, part(telephone, 3, 6));
    let telephone_number = number(part(telephone, 6, telephone.len()));
    let station_number_text = number(part(station, 4, 10));
    if telephone_number.is_empty() {
        station_number_text
    } else {
        extras.add(station_number, station_number_text.as_bytes());
        telephone_number
    }
}

/// `route/trunk` from section 01's physical route and trunk number.
fn route_and_trunk(route: &[u8], trunk_number: &[u8]) -> Text {
    let (route, trunk_number) = (trim(route), trim(trunk_number));
    if route.is_empty() {
        return lossy(trunk_number);
    }
    let mut text = lossy(route);
    if !trunk_number.is_empty() {
        text.push('/');
        text.push_str(&lossy(trunk_number));
    }
    text
}

/// Extras in the order they are met, empty values left out.
#[derive(Default)]
struct Extras(Vec<(Text, Text)>);

impl Extras {
    fn push(&mut self, name: String, value: String) {
        self.0.push((Text::from(name), Text::from(value)));
    }

    fn add(&mut self, name: &'static str, value: &[u8]) {
        let value = trim(value);
        if !value.is_empty() {
            self.0.push((Text::const_new(name), lossy(value)));
        }
    }
}
