//! CDR rows (`cdrRecordType` 1) → [`cdr::Cdr`].
//!
//! Field meanings follow the "CDR Field Descriptions" chapter of Cisco's
//! Call Detail Records Administration Guide. Times are UTC epoch seconds.

use crate::direction;
use crate::disposition::disposition;
use crate::header::Header;
use crate::split::Fields;
use crate::values;
use cdr::{Cdr, Correlation, IdentityHasher, ParseError, RecordKind, Text, text};

/// OnBehalfOf codes that make a record a leg of a larger call.
const ON_BEHALF_OF_CONFERENCE: u32 = 4;
const ON_BEHALF_OF_RECORDING: u32 = 27;
const ON_BEHALF_OF_MONITORING: u32 = 28;
/// Redirect reasons of recording and monitoring legs.
const REDIRECT_RECORDING: u32 = 354;
const REDIRECT_MONITORING: u32 = 370;

/// Where the columns a CDR needs are in this file, resolved once from the
/// header so each row is read by index.
#[derive(Debug, Clone)]
pub(crate) struct CdrLayout {
    width: usize,
    record_type: usize,
    cluster_id: Option<usize>,
    call_manager_id: usize,
    call_id: usize,
    orig_leg: usize,
    dest_leg: usize,
    origination: usize,
    connect: usize,
    disconnect: usize,
    duration: usize,
    calling: usize,
    original_called: usize,
    final_called: usize,
    last_redirect_dn: Option<usize>,
    auth_code: Option<usize>,
    client_matter: Option<usize>,
    orig_device: usize,
    dest_device: usize,
    orig_cause: usize,
    dest_cause: usize,
    orig_conversation: Option<usize>,
    dest_conversation: Option<usize>,
    pkid: Option<usize>,
    /// Every `…OnBehalfOf` column, with its name for errors.
    on_behalf_of: Vec<(usize, Text)>,
    last_redirect_reason: Option<usize>,
    /// Columns kept as extras, in column order.
    extras: Vec<ExtraColumn>,
}

#[derive(Debug, Clone)]
struct ExtraColumn {
    index: usize,
    /// The header's name as written.
    name: Text,
    /// Holds an IPv4 address as a little-endian integer.
    is_ipv4: bool,
}

impl CdrLayout {
    /// Resolves the columns; a missing required column makes the whole file
    /// unreadable.
    pub(crate) fn new(header: &Header) -> Result<CdrLayout, ParseError> {
        let required = |name: &str| header.require(name);
        let optional = |name: &str| header.find(name);
        let layout = CdrLayout {
            width: header.width(),
            record_type: required("cdrRecordType")?,
            cluster_id: optional("globalCallId_ClusterID"),
            call_manager_id: required("globalCallID_callManagerId")?,
            call_id: required("globalCallID_callId")?,
            orig_leg: required("origLegCallIdentifier")?,
            dest_leg: required("destLegIdentifier")?,
            origination: required("dateTimeOrigination")?,
            connect: required("dateTimeConnect")?,
            disconnect: required("dateTimeDisconnect")?,
            duration: required("duration")?,
            calling: required("callingPartyNumber")?,
            original_called: required("originalCalledPartyNumber")?,
            final_called: required("finalCalledPartyNumber")?,
            last_redirect_dn: optional("lastRedirectDn"),
            auth_code: optional("authorizationCodeValue"),
            client_matter: optional("clientMatterCode"),
            orig_device: required("origDeviceName")?,
            dest_device: required("destDeviceName")?,
            orig_cause: required("origCause_value")?,
            dest_cause: required("destCause_value")?,
            orig_conversation: optional("origConversationId"),
            dest_conversation: optional("destConversationId"),
            pkid: optional("pkid"),
            on_behalf_of: header
                .names()
                .filter(|(_, name)| name.to_ascii_lowercase().ends_with("onbehalfof"))
                .map(|(index, name)| (index, name.clone()))
                .collect(),
            last_redirect_reason: optional("lastRedirectRedirectReason"),
            extras: Vec::new(),
        };
        let mapped = layout.mapped_columns();
        let extras = header
            .names()
            .filter(|(index, _)| !mapped.contains(&Some(*index)))
            .map(|(index, name)| ExtraColumn { index, name: name.clone(), is_ipv4: is_ipv4(name) })
            .collect();
        Ok(CdrLayout { extras, ..layout })
    }

    /// Columns whose values have a place in [`Cdr`] (the global call id parts
    /// live on in `correlation.global_call_id`). `pkid` is not among them: its
    /// hash is the identity, the id itself stays as an extra for tracing.
    fn mapped_columns(&self) -> [Option<usize>; 22] {
        [
            Some(self.record_type),
            self.cluster_id,
            Some(self.call_manager_id),
            Some(self.call_id),
            Some(self.orig_leg),
            Some(self.dest_leg),
            Some(self.origination),
            Some(self.connect),
            Some(self.disconnect),
            Some(self.duration),
            Some(self.calling),
            Some(self.original_called),
            Some(self.final_called),
            self.last_redirect_dn,
            self.auth_code,
            self.client_matter,
            Some(self.orig_device),
            Some(self.dest_device),
            Some(self.orig_cause),
            Some(self.dest_cause),
            self.orig_conversation,
            self.dest_conversation,
        ]
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn record_type<'a>(&self, fields: &Fields<'a>) -> &'a [u8] {
        fields.get(self.record_type)
    }

    /// Maps one end-of-call row (its width already checked).
    pub(crate) fn parse(&self, fields: &Fields<'_>) -> Result<Cdr, ParseError> {
        let field = |index: usize| fields.get(index);
        let optional = |index: Option<usize>| index.map_or(&b""[..], |i| fields.get(i));

        let start = text::epoch_seconds(
            "dateTimeOrigination",
            text::utf8("dateTimeOrigination", field(self.origination))?,
        )?;
        let answer = text::optional_epoch_seconds(
            "dateTimeConnect",
            text::utf8("dateTimeConnect", field(self.connect))?,
        )?;
        let end = text::epoch_seconds(
            "dateTimeDisconnect",
            text::utf8("dateTimeDisconnect", field(self.disconnect))?,
        )?;
        let duration_s =
            text::u32_field("duration", text::utf8("duration", field(self.duration))?)?;
        let ring_s = answer.and_then(|answer| {
            u32::try_from(answer.as_second().checked_sub(start.as_second())?).ok()
        });

        let orig_cause_code = values::code("origCause_value", field(self.orig_cause))?;
        let dest_cause_code = values::code("destCause_value", field(self.dest_cause))?;

        let device_orig = text::lossy(field(self.orig_device));
        let device_dest = text::lossy(field(self.dest_device));
        let route = direction::route(&device_orig, &device_dest);
        let final_called = text::number(field(self.final_called));
        let original_called = text::number(field(self.original_called));

        let correlation = Correlation {
            global_call_id: global_call_id(
                optional(self.cluster_id),
                field(self.call_manager_id),
                field(self.call_id),
            ),
            orig_leg_id: id(field(self.orig_leg)),
            dest_leg_id: id(field(self.dest_leg)),
            orig_conversation_id: id(optional(self.orig_conversation)),
            dest_conversation_id: id(optional(self.dest_conversation)),
        };

        Ok(Cdr {
            kind: self.kind(fields, &final_called)?,
            identity: self.identity(fields),
            start,
            answer,
            end,
            duration_s,
            ring_s,
            direction: route.direction,
            disposition: disposition(answer.is_some(), orig_cause_code, dest_cause_code),
            calling: text::number(field(self.calling)),
            dialled: original_called.clone(),
            original_called,
            final_called,
            last_redirecting: text::number(optional(self.last_redirect_dn)),
            auth_code: text::lossy(optional(self.auth_code)),
            client_matter: text::lossy(optional(self.client_matter)),
            trunk_in: route.trunk_in,
            trunk_out: route.trunk_out,
            device_orig,
            device_dest,
            cause_orig: text::lossy(field(self.orig_cause)),
            cause_dest: text::lossy(field(self.dest_cause)),
            correlation,
            extras: self.extras(fields)?,
            ..Cdr::default()
        })
    }

    /// Recording and monitoring legs, and conference legs, are parts of a
    /// larger call: correlation decides how they are billed.
    fn kind(&self, fields: &Fields<'_>, final_called: &str) -> Result<RecordKind, ParseError> {
        const LEG_ON_BEHALF_OF: [u32; 3] =
            [ON_BEHALF_OF_CONFERENCE, ON_BEHALF_OF_RECORDING, ON_BEHALF_OF_MONITORING];
        let mut leg = false;
        for (index, name) in &self.on_behalf_of {
            leg |= LEG_ON_BEHALF_OF.contains(&values::code(name, fields.get(*index))?);
        }
        if let Some(index) = self.last_redirect_reason {
            let reason = values::code("lastRedirectRedirectReason", fields.get(index))?;
            leg |= matches!(reason, REDIRECT_RECORDING | REDIRECT_MONITORING);
        }
        // Conference bridges are reached through "b00…" numbers.
        leg |= final_called.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("b00"));
        Ok(if leg { RecordKind::Leg } else { RecordKind::Call })
    }

    /// `pkid` is unique per record; files of releases without it fall back
    /// to the ids and times that identify a call leg.
    fn identity(&self, fields: &Fields<'_>) -> u64 {
        record_identity(
            "cucm",
            self.pkid.map(|i| fields.get(i)),
            &[
                self.cluster_id.map_or(&b""[..], |i| fields.get(i)),
                fields.get(self.call_manager_id),
                fields.get(self.call_id),
                fields.get(self.orig_leg),
                fields.get(self.dest_leg),
                fields.get(self.origination),
                fields.get(self.disconnect),
            ],
        )
    }

    fn extras(&self, fields: &Fields<'_>) -> Result<Vec<(Text, Text)>, ParseError> {
        let mut extras = Vec::with_capacity(32);
        for column in &self.extras {
            let value = fields.get(column.index);
            if !values::is_set(value) {
                continue;
            }
            let value = if column.is_ipv4 {
                let address = text::utf8(&column.name, value)?;
                match text::ipv4_le(&column.name, address)? {
                    Some(ip) => dotted_quad(ip),
                    None => continue,
                }
            } else {
                text::lossy(value)
            };
            extras.push((column.name.clone(), value));
        }
        Ok(extras)
    }
}

/// A CDR's or CMR's identity: its `pkid` when the file has one (unique per
/// record), else the ids and times that identify the leg, in order.
pub(crate) fn record_identity(tag: &str, pkid: Option<&[u8]>, fallback: &[&[u8]]) -> u64 {
    let hasher = IdentityHasher::new(tag);
    if let Some(pkid) = pkid.map(text::trim).filter(|p| !p.is_empty()) {
        return hasher.field(pkid).finish();
    }
    fallback.iter().fold(hasher, |h, f| h.field(text::trim(f))).finish()
}

/// `a.b.c.d`, written digit by digit: `Display` through `write!` costs
/// more than the rest of an extra, and a CDR has several addresses.
fn dotted_quad(ip: std::net::Ipv4Addr) -> Text {
    let mut out = [0u8; 15];
    let mut len = 0;
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out[len] = b'.';
            len += 1;
        }
        if octet >= 100 {
            out[len] = b'0' + octet / 100;
            len += 1;
        }
        if octet >= 10 {
            out[len] = b'0' + octet / 10 % 10;
            len += 1;
        }
        out[len] = b'0' + octet % 10;
        len += 1;
    }
    Text::from(std::str::from_utf8(&out[..len]).unwrap_or_default())
}

/// `ClusterID:callManagerId:callId`, the key that groups every record of one
/// call (CDRs and CMRs alike).
pub(crate) fn global_call_id(cluster: &[u8], call_manager: &[u8], call: &[u8]) -> Text {
    let mut id = text::lossy(cluster);
    id.push(':');
    id.push_str(&text::lossy(call_manager));
    id.push(':');
    id.push_str(&text::lossy(call));
    id
}

/// A leg or conversation id; CUCM writes 0 when there is none (the
/// destination leg of a call abandoned before routing, a call outside any
/// conference), and a shared "0" must not join unrelated records.
fn id(bytes: &[u8]) -> Text {
    if values::is_set(bytes) { text::lossy(bytes) } else { Text::default() }
}

/// Columns holding IPv4 addresses as little-endian integers: `origIpAddr`,
/// `destIpAddr` and the media/video `…TransportAddress_IP…` columns.
/// (`origIpv4v6Addr` is already text.)
fn is_ipv4(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "origipaddr" || name == "destipaddr" || name.contains("transportaddress_ip")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_dotted_quads() {
        for ip in ["0.0.0.0", "10.248.64.14", "255.255.255.255", "1.20.100.9"] {
            assert_eq!(dotted_quad(ip.parse().unwrap()), ip);
        }
    }

    #[test]
    fn ipv4_columns() {
        for name in [
            "origIpAddr",
            "destIpAddr",
            "origMediaTransportAddress_IP",
            "destVideoTransportAddress_IP_Channel2",
        ] {
            assert!(is_ipv4(name), "{name}");
        }
        for name in ["origIpv4v6Addr", "origMediaTransportAddress_Port", "destIpv4v6Addr"] {
            assert!(!is_ipv4(name), "{name}");
        }
    }

    #[test]
    fn global_call_id_joins_the_three_parts() {
        assert_eq!(global_call_id(b"cucmOHSUtest", b"2", b"25447"), "cucmOHSUtest:2:25447");
        assert_eq!(global_call_id(b"", b"1", b"7"), ":1:7");
    }
}
