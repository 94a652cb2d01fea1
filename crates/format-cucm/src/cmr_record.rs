//! CMR rows (`cdrRecordType` 2) → [`cdr::QualityRecord`].
//!
//! CUCM writes one CMR per call leg of a device that reports voice quality;
//! `callIdentifier` equals the CDR's `origLegCallIdentifier` or
//! `destLegIdentifier`, and the global call id is built the same way as the
//! CDR's, so correlation can attach the CMR to its CDR.
//!
//! The other CMR columns (octet counts, `directoryNumPartition`, video
//! counters, session ids…) go to the record's extras, by the same rule as
//! a CDR's: every set value, under the header's name.

use crate::cdr_record::{global_call_id, record_identity};
use crate::header::Header;
use crate::split::Fields;
use crate::values;
use cdr::{ParseError, QualityRecord, Text, text};

/// Where the columns a CMR needs are in this file.
#[derive(Debug, Clone)]
pub(crate) struct CmrLayout {
    width: usize,
    record_type: usize,
    cluster_id: Option<usize>,
    call_manager_id: usize,
    call_id: usize,
    call_identifier: usize,
    time_stamp: usize,
    directory_number: Option<usize>,
    device_name: Option<usize>,
    packets_sent: Option<usize>,
    packets_received: Option<usize>,
    packets_lost: Option<usize>,
    jitter: Option<usize>,
    latency: Option<usize>,
    vq_metrics: Option<usize>,
    pkid: Option<usize>,
    /// Columns kept as extras (every one not read above), in column order.
    extras: Vec<(usize, Text)>,
}

impl CmrLayout {
    pub(crate) fn new(header: &Header) -> Result<CmrLayout, ParseError> {
        let mut layout = CmrLayout {
            width: header.width(),
            record_type: header.require("cdrRecordType")?,
            cluster_id: header.find("globalCallId_ClusterID"),
            call_manager_id: header.require("globalCallID_callManagerId")?,
            call_id: header.require("globalCallID_callId")?,
            call_identifier: header.require("callIdentifier")?,
            time_stamp: header.require("dateTimeStamp")?,
            directory_number: header.find("directoryNum"),
            device_name: header.find("deviceName"),
            packets_sent: header.find("numberPacketsSent"),
            packets_received: header.find("numberPacketsReceived"),
            packets_lost: header.find("numberPacketsLost"),
            jitter: header.find("jitter"),
            latency: header.find("latency"),
            vq_metrics: header.find("varVQMetrics"),
            pkid: header.find("pkid"),
            extras: Vec::new(),
        };
        let used = [
            Some(layout.record_type),
            layout.cluster_id,
            Some(layout.call_manager_id),
            Some(layout.call_id),
            Some(layout.call_identifier),
            Some(layout.time_stamp),
            layout.directory_number,
            layout.device_name,
            layout.packets_sent,
            layout.packets_received,
            layout.packets_lost,
            layout.jitter,
            layout.latency,
            layout.vq_metrics,
        ];
        layout.extras = header
            .names()
            .filter(|(i, _)| !used.contains(&Some(*i)))
            .map(|(i, name)| (i, name.clone()))
            .collect();
        Ok(layout)
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn record_type<'a>(&self, fields: &Fields<'a>) -> &'a [u8] {
        fields.get(self.record_type)
    }

    /// Maps one CMR row (its width already checked).
    pub(crate) fn parse(&self, fields: &Fields<'_>) -> Result<QualityRecord, ParseError> {
        let optional = |index: Option<usize>| index.map_or(&b""[..], |i| fields.get(i));
        let timestamp = text::epoch_seconds(
            "dateTimeStamp",
            text::utf8("dateTimeStamp", fields.get(self.time_stamp))?,
        )?;
        Ok(QualityRecord {
            identity: self.identity(fields),
            global_call_id: global_call_id(
                optional(self.cluster_id),
                fields.get(self.call_manager_id),
                fields.get(self.call_id),
            ),
            leg_id: text::lossy(fields.get(self.call_identifier)),
            timestamp,
            directory_number: text::number(optional(self.directory_number)),
            device_name: text::lossy(optional(self.device_name)),
            packets_sent: values::optional_u64("numberPacketsSent", optional(self.packets_sent))?,
            packets_received: values::optional_u64(
                "numberPacketsReceived",
                optional(self.packets_received),
            )?,
            packets_lost: values::optional_u64("numberPacketsLost", optional(self.packets_lost))?,
            jitter_ms: values::optional_u32("jitter", optional(self.jitter))?,
            latency_ms: values::optional_u32("latency", optional(self.latency))?,
            metrics: vq_metrics(optional(self.vq_metrics)),
            extras: self
                .extras
                .iter()
                .map(|(i, name)| (name, fields.get(*i)))
                .filter(|(_, v)| values::is_set(v))
                .map(|(name, v)| (name.clone(), text::lossy(v)))
                .collect(),
            ..QualityRecord::default()
        })
    }

    fn identity(&self, fields: &Fields<'_>) -> u64 {
        record_identity(
            "cucm-cmr",
            self.pkid.map(|i| fields.get(i)),
            &[
                self.cluster_id.map_or(&b""[..], |i| fields.get(i)),
                fields.get(self.call_manager_id),
                fields.get(self.call_id),
                fields.get(self.call_identifier),
                fields.get(self.time_stamp),
            ],
        )
    }
}

/// `varVQMetrics` (`CCR=0.0000;ICR=0.0000;…;maxJitter=0`) as key/value
/// pairs, verbatim. An item without `=` keeps its text as the key with an
/// empty value, so nothing is dropped.
fn vq_metrics(bytes: &[u8]) -> Vec<(Text, Text)> {
    let all = text::lossy(bytes);
    all.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((key, value)) => (Text::from(key.trim()), Text::from(value.trim())),
            None => (Text::from(item), Text::default()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_split_into_pairs() {
        let metrics = vq_metrics(b"CCR=0.0011;VoRxCodec=G.711 u-la;odd;;maxJitter=8");
        let pairs: Vec<(&str, &str)> =
            metrics.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [("CCR", "0.0011"), ("VoRxCodec", "G.711 u-la"), ("odd", ""), ("maxJitter", "8")]
        );
        assert!(vq_metrics(b"").is_empty());
    }
}
