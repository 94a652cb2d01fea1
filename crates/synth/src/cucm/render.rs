//! One CDR row under the full 133-column header of UCM 12+: the columns a
//! synthetic call fills ([`Row`]), every other one left at its default
//! (0 for an integer column, empty for a text one), as CUCM leaves the
//! columns of features a call did not use.

use crate::{Call, CallKind};
use std::io::Write;

const SAMPLE: &str = include_str!("../../../../samples/cucm/cdr_example.txt");

/// A phone's device name: `SEP` and a MAC address, here the extension's
/// index in [`crate::Org::extensions`].
pub(crate) fn phone_device(extension_index: usize) -> String {
    format!("SEP{extension_index:012X}")
}

/// The PSTN trunk every outside party comes through.
pub(crate) const TRUNK_DEVICE: &str = "SIPTrunk-PSTN";

/// An IPv4 address as CUCM writes it: the little-endian bytes read as a
/// signed integer.
pub(crate) fn le_ip(a: u8, b: u8, c: u8, d: u8) -> i32 {
    i32::from_le_bytes([a, b, c, d])
}

/// The address of the phone of extension number `extension_index`.
pub(crate) fn phone_ip(extension_index: usize) -> i32 {
    le_ip(10, 1, (extension_index % 250) as u8, 10)
}

/// The PSTN trunk's gateway.
pub(crate) fn trunk_ip() -> i32 {
    le_ip(10, 2, 0, 1)
}

/// The values of one CDR row. Times are UTC epoch seconds; `connect` 0
/// when the call never connected (its duration is then 0, else
/// `disconnect - connect`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Row {
    pub call_id: u64,
    pub orig_leg: u64,
    pub dest_leg: u64,
    pub origination: i64,
    pub connect: i64,
    pub disconnect: i64,
    pub orig_ip: i32,
    pub dest_ip: i32,
    pub calling: String,
    pub original_called: String,
    pub final_called: String,
    pub last_redirect_dn: String,
    pub orig_cause: u32,
    pub dest_cause: u32,
    pub orig_device: String,
    pub dest_device: String,
    pub orig_termination: u32,
    pub dest_termination: u32,
    pub orig_called_redirect: u32,
    pub last_redirect: u32,
    pub orig_called_reason: u32,
    pub last_reason: u32,
    pub join: u32,
    pub orig_conversation: u64,
    pub dest_conversation: u64,
    pub comment: String,
}

impl Row {
    /// A call as one ordinary record: call number `i` of its stream, with
    /// its call id and the first of its two leg ids.
    pub(crate) fn plain(i: u64, call: &Call, call_id: u64, leg: u64) -> Row {
        let (orig_device, dest_device) = match call.kind {
            CallKind::Outgoing => (phone_device(call.extension_index), TRUNK_DEVICE.to_string()),
            CallKind::Incoming => (TRUNK_DEVICE.to_string(), phone_device(call.extension_index)),
            CallKind::Internal => {
                (phone_device(call.extension_index), phone_device((i % 100_000) as usize))
            }
        };
        let connect =
            if call.answered { call.start.as_second() + i64::from(call.ring_s) } else { 0 };
        Row {
            call_id,
            orig_leg: leg,
            dest_leg: leg + 1,
            origination: call.start.as_second(),
            connect,
            disconnect: call.end.as_second(),
            orig_ip: le_ip(10, 1, (i % 250) as u8, 10),
            dest_ip: trunk_ip(),
            calling: call.calling.clone(),
            original_called: call.dialled.clone(),
            final_called: call.dialled.clone(),
            orig_cause: 16,
            dest_cause: if call.answered { 0 } else { 17 },
            orig_device,
            dest_device,
            ..Row::default()
        }
    }

    fn duration(&self) -> i64 {
        if self.connect == 0 { 0 } else { self.disconnect - self.connect }
    }
}

/// What a column of the header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// Nothing a synthetic call fills: 0 or empty.
    Default,
    RecordType,
    CallManagerId,
    CallId,
    OrigLeg,
    DestLeg,
    Origination,
    Connect,
    Disconnect,
    Duration,
    OrigIp,
    DestIp,
    Calling,
    OriginalCalled,
    FinalCalled,
    LastRedirectDn,
    OrigCause,
    DestCause,
    Pkid,
    OrigDevice,
    DestDevice,
    OrigTermination,
    DestTermination,
    OrigCalledRedirect,
    LastRedirect,
    OrigCalledReason,
    LastReason,
    Join,
    OrigConversation,
    DestConversation,
    Comment,
    Cluster,
}

impl Field {
    fn of(name: &str) -> Field {
        match name {
            "cdrRecordType" => Field::RecordType,
            "globalCallID_callManagerId" => Field::CallManagerId,
            "globalCallID_callId" => Field::CallId,
            "origLegCallIdentifier" => Field::OrigLeg,
            "destLegIdentifier" => Field::DestLeg,
            "dateTimeOrigination" => Field::Origination,
            "dateTimeConnect" => Field::Connect,
            "dateTimeDisconnect" => Field::Disconnect,
            "duration" => Field::Duration,
            "origIpAddr" => Field::OrigIp,
            "destIpAddr" => Field::DestIp,
            "callingPartyNumber" => Field::Calling,
            "originalCalledPartyNumber" => Field::OriginalCalled,
            "finalCalledPartyNumber" => Field::FinalCalled,
            "lastRedirectDn" => Field::LastRedirectDn,
            "origCause_value" => Field::OrigCause,
            "destCause_value" => Field::DestCause,
            "pkid" => Field::Pkid,
            "origDeviceName" => Field::OrigDevice,
            "destDeviceName" => Field::DestDevice,
            "origCallTerminationOnBehalfOf" => Field::OrigTermination,
            "destCallTerminationOnBehalfOf" => Field::DestTermination,
            "origCalledPartyRedirectOnBehalfOf" => Field::OrigCalledRedirect,
            "lastRedirectRedirectOnBehalfOf" => Field::LastRedirect,
            "origCalledPartyRedirectReason" => Field::OrigCalledReason,
            "lastRedirectRedirectReason" => Field::LastReason,
            "joinOnBehalfOf" => Field::Join,
            "origConversationId" => Field::OrigConversation,
            "destConversationId" => Field::DestConversation,
            "comment" => Field::Comment,
            "globalCallId_ClusterID" => Field::Cluster,
            _ => Field::Default,
        }
    }
}

/// One column: what it holds, and whether it is text (written quoted).
#[derive(Debug, Clone, Copy)]
struct Column {
    field: Field,
    quoted: bool,
}

/// Renders rows under the sample's header. The sample is compiled in, so
/// its columns are known to be there.
pub(crate) struct CucmRenderer {
    columns: Vec<Column>,
    header: &'static str,
    types: &'static str,
    seed: u64,
}

impl CucmRenderer {
    pub(crate) fn new(seed: u64) -> Self {
        let mut lines = SAMPLE.lines();
        let header = lines.next().expect("sample header");
        let types = lines.next().expect("sample type line");
        let columns = header
            .split(',')
            .zip(types.split(','))
            .map(|(name, kind)| Column {
                field: Field::of(name.trim_matches('"')),
                quoted: !kind.starts_with("INTEGER"),
            })
            .collect();
        CucmRenderer { columns, header, types, seed }
    }

    /// The header and type lines that open every CUCM CDR file.
    pub(crate) fn header_lines(&self) -> String {
        format!("{}\n{}\n", self.header, self.types)
    }

    /// Appends call number `i` of a plain stream as one row (with its `\n`).
    pub(crate) fn render(&self, i: u64, call: &Call, out: &mut Vec<u8>) {
        let row = Row::plain(i, call, 1_000_000 + i, 40_000_000 + 2 * i);
        self.render_row(i, &row, out);
    }

    /// Appends `row` as record number `record` of its file or stream (its
    /// `pkid` derives from it), with its `\n`.
    pub(crate) fn render_row(&self, record: u64, row: &Row, out: &mut Vec<u8>) {
        for (n, column) in self.columns.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            if column.quoted {
                out.push(b'"');
            }
            self.write_value(column.field, column.quoted, record, row, out);
            if column.quoted {
                out.push(b'"');
            }
        }
        out.push(b'\n');
    }

    fn write_value(&self, field: Field, quoted: bool, record: u64, row: &Row, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = match field {
            Field::Default if quoted => Ok(()),
            Field::Default => out.write_all(b"0"),
            Field::RecordType | Field::CallManagerId => out.write_all(b"1"),
            Field::CallId => write!(out, "{}", row.call_id),
            Field::OrigLeg => write!(out, "{}", row.orig_leg),
            Field::DestLeg => write!(out, "{}", row.dest_leg),
            Field::Origination => write!(out, "{}", row.origination),
            Field::Connect => write!(out, "{}", row.connect),
            Field::Disconnect => write!(out, "{}", row.disconnect),
            Field::Duration => write!(out, "{}", row.duration()),
            Field::OrigIp => write!(out, "{}", row.orig_ip),
            Field::DestIp => write!(out, "{}", row.dest_ip),
            Field::Calling => out.write_all(row.calling.as_bytes()),
            Field::OriginalCalled => out.write_all(row.original_called.as_bytes()),
            Field::FinalCalled => out.write_all(row.final_called.as_bytes()),
            Field::LastRedirectDn => out.write_all(row.last_redirect_dn.as_bytes()),
            Field::OrigCause => write!(out, "{}", row.orig_cause),
            Field::DestCause => write!(out, "{}", row.dest_cause),
            Field::Pkid => {
                write!(out, "{:08x}-0000-4000-8000-{:012x}", self.seed as u32, record)
            }
            Field::OrigDevice => out.write_all(row.orig_device.as_bytes()),
            Field::DestDevice => out.write_all(row.dest_device.as_bytes()),
            Field::OrigTermination => write!(out, "{}", row.orig_termination),
            Field::DestTermination => write!(out, "{}", row.dest_termination),
            Field::OrigCalledRedirect => write!(out, "{}", row.orig_called_redirect),
            Field::LastRedirect => write!(out, "{}", row.last_redirect),
            Field::OrigCalledReason => write!(out, "{}", row.orig_called_reason),
            Field::LastReason => write!(out, "{}", row.last_reason),
            Field::Join => write!(out, "{}", row.join),
            Field::OrigConversation => write!(out, "{}", row.orig_conversation),
            Field::DestConversation => write!(out, "{}", row.dest_conversation),
            Field::Comment => out.write_all(row.comment.as_bytes()),
            Field::Cluster => out.write_all(b"StandAloneCluster"),
        };
    }
}
