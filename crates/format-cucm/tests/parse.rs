//! The CUCM parser against Cisco's sample files and synthetic fixtures
//! (see `tests/fixtures/README.md` for where their layout comes from).

use cdr::{
    Cdr, Direction, Disposition, Framing, IdentityHasher, ParseError, Parsed, QualityRecord,
    RecordKind, RecordParser,
};
use expect_test::{Expect, expect};
use format_cucm::CucmParser;
use std::fmt::Write;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sample(name: &str) -> String {
    read(&format!("{}/../../samples/cucm/{name}", env!("CARGO_MANIFEST_DIR")))
}

fn fixture(name: &str) -> String {
    read(&format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
}

/// Parses every line of a file with one parser (these files have no line
/// breaks inside quoted fields).
fn parse_all(contents: &str) -> Vec<Result<Parsed, ParseError>> {
    let mut parser = CucmParser::new();
    contents.split('\n').map(|line| parser.parse(line.as_bytes())).collect()
}

fn cdrs(results: &[Result<Parsed, ParseError>]) -> Vec<&Cdr> {
    results
        .iter()
        .filter_map(|r| match r {
            Ok(Parsed::Cdr(cdr)) => Some(&**cdr),
            _ => None,
        })
        .collect()
}

fn quality(results: &[Result<Parsed, ParseError>]) -> Vec<&QualityRecord> {
    results
        .iter()
        .filter_map(|r| match r {
            Ok(Parsed::Quality(q)) => Some(&**q),
            _ => None,
        })
        .collect()
}

/// One line per non-empty field, then the extras.
fn render_cdr(c: &Cdr) -> String {
    let mut out = String::new();
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let value = value.to_string();
        if !value.is_empty() {
            let _ = writeln!(out, "{name}: {value}");
        }
    };
    line("kind", &c.kind.as_str());
    line("start", &c.start);
    line("answer", &c.answer.map(|a| a.to_string()).unwrap_or_else(|| "-".into()));
    line("end", &c.end);
    line("duration_s", &c.duration_s);
    line("ring_s", &c.ring_s.map(|r| r.to_string()).unwrap_or_else(|| "-".into()));
    line("direction", &c.direction.as_str());
    line("disposition", &c.disposition.as_str());
    line("calling", &c.calling);
    line("dialled", &c.dialled);
    line("original_called", &c.original_called);
    line("final_called", &c.final_called);
    line("last_redirecting", &c.last_redirecting);
    line("auth_code", &c.auth_code);
    line("client_matter", &c.client_matter);
    line("trunk_in", &c.trunk_in);
    line("trunk_out", &c.trunk_out);
    line("device_orig", &c.device_orig);
    line("device_dest", &c.device_dest);
    line("cause_orig", &c.cause_orig);
    line("cause_dest", &c.cause_dest);
    line("global_call_id", &c.correlation.global_call_id);
    line("orig_leg_id", &c.correlation.orig_leg_id);
    line("dest_leg_id", &c.correlation.dest_leg_id);
    line("orig_conversation_id", &c.correlation.orig_conversation_id);
    line("dest_conversation_id", &c.correlation.dest_conversation_id);
    for (key, value) in &c.extras {
        let _ = writeln!(out, "  {key} = {value}");
    }
    out
}

fn render_quality(q: &QualityRecord) -> String {
    let opt = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    let mut out = format!(
        "{} leg {} at {} dn {} device {}\n\
         packets sent {} received {} lost {}, jitter {} ms, latency {} ms\n",
        q.global_call_id,
        q.leg_id,
        q.timestamp,
        q.directory_number,
        q.device_name,
        opt(q.packets_sent),
        opt(q.packets_received),
        opt(q.packets_lost),
        opt(q.jitter_ms.map(u64::from)),
        opt(q.latency_ms.map(u64::from)),
    );
    for (key, value) in &q.metrics {
        let _ = writeln!(out, "  {key} = {value}");
    }
    out
}

/// Each line's outcome, one per line: what kind of record, or the error.
fn outcomes(results: &[Result<Parsed, ParseError>]) -> String {
    let mut out = String::new();
    for (line, result) in results.iter().enumerate() {
        let what = match result {
            Ok(Parsed::NotARecord) => "not a record".to_string(),
            Ok(Parsed::Cdr(c)) => format!(
                "cdr {} {} {} {}",
                c.correlation.global_call_id,
                c.kind.as_str(),
                c.direction.as_str(),
                c.disposition.as_str()
            ),
            Ok(Parsed::Quality(q)) => format!("cmr {} leg {}", q.global_call_id, q.leg_id),
            Err(e) => format!("error: {e}"),
        };
        let _ = writeln!(out, "{}: {what}", line + 1);
    }
    out
}

fn check(actual: String, expect: Expect) {
    expect.assert_eq(&actual);
}

#[test]
fn framing_keeps_quoted_line_breaks_together() {
    assert_eq!(CucmParser::new().framing(), Framing::QuotedLines);
}

#[test]
fn sample_cdr_file() {
    let results = parse_all(&sample("cdr_example.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: not a record
        3: cdr cucmOHSUtest:2:25449 leg unknown failed
        4: cdr cucmOHSUtest:2:25448 leg unknown failed
        5: cdr cucmOHSUtest:2:25447 call internal answered
        6: not a record
    "#]],
    );
    let cdrs = cdrs(&results);
    let call = cdrs.iter().find(|c| c.correlation.global_call_id.ends_with(":25447")).unwrap();
    assert_eq!(call.calling, "5033466594");
    assert_eq!(call.dialled, "5033466593");
    assert_eq!(call.answer.unwrap().to_string(), "2025-04-18T16:32:10Z");
    assert_eq!(call.duration_s, 11);
    assert_eq!(call.extra("origIpAddr"), Some("10.248.64.14"));
    assert_eq!(
        call.identity,
        IdentityHasher::new("cucm").field("ed56fecd-bd2d-48d4-ae03-7ee3766d6048").finish()
    );
    assert_eq!(call.check_consistency(), Ok(()));
    check(
        render_cdr(call),
        expect![[r#"
        kind: call
        start: 2025-04-18T16:32:08Z
        answer: 2025-04-18T16:32:10Z
        end: 2025-04-18T16:32:21Z
        duration_s: 11
        ring_s: 2
        direction: internal
        disposition: answered
        calling: 5033466594
        dialled: 5033466593
        original_called: 5033466593
        final_called: 5033466593
        last_redirecting: 5033466593
        device_orig: SEPCC7F750586B7
        device_dest: SEPCC8E7148AD29
        cause_orig: 16
        cause_dest: 0
        global_call_id: cucmOHSUtest:2:25447
        orig_leg_id: 47874239
        dest_leg_id: 47874240
          origNodeId = 2
          origIpAddr = 10.248.64.14
          callingPartyUnicodeLoginUserID = rubbleb
          origPrecedenceLevel = 4
          origMediaTransportAddress_IP = 10.248.64.14
          origMediaTransportAddress_Port = 22018
          origMediaCap_payloadCapability = 4
          origMediaCap_maxFramesPerPacket = 20
          destNodeId = 2
          destIpAddr = 10.248.64.17
          finalCalledPartyUnicodeLoginUserID = rubbleb
          destPrecedenceLevel = 4
          destMediaTransportAddress_IP = 10.248.64.17
          destMediaTransportAddress_Port = 31598
          destMediaCap_payloadCapability = 4
          destMediaCap_maxFramesPerPacket = 20
          pkid = ed56fecd-bd2d-48d4-ae03-7ee3766d6048
          originalCalledPartyNumberPartition = OnNet
          callingPartyNumberPartition = OnNet
          finalCalledPartyNumberPartition = OnNet
          lastRedirectDnPartition = OnNet
          origCallTerminationOnBehalfOf = 12
          origDTMFMethod = 3
          destDTMFMethod = 3
          origMediaCap_Bandwidth = 64
          destMediaCap_Bandwidth = 64
          origIpv4v6Addr = 10.248.64.14
          destIpv4v6Addr = 10.248.64.17
          OutgoingProtocolID = 3
          OutgoingProtocolCallRef = 000000000000636702DA80C000000000
          calledPartyPatternUsage = 2
          originalCalledPartyPattern = 5033466593
          finalCalledPartyPattern = 5033466593
          lastRedirectingPartyPattern = 5033466593
          origDeviceSessionID = 0e7ca15300105000a000cc7f750586b7
          destDeviceSessionID = 45a03cac00105000a000cc8e7148ad29
    "#]],
    );
}

#[test]
fn sample_cmr_file_matches_the_cdr_legs() {
    let cdr_results = parse_all(&sample("cdr_example.txt"));
    let call = cdrs(&cdr_results)
        .into_iter()
        .find(|c| c.correlation.global_call_id.ends_with(":25447"))
        .unwrap()
        .clone();
    let results = parse_all(&sample("cmr_example.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: not a record
        3: cmr cucmOHSUtest:2:25447 leg 47874239
        4: cmr cucmOHSUtest:2:25447 leg 47874240
        5: not a record
    "#]],
    );
    let records = quality(&results);
    assert_eq!(records.len(), 2);
    for q in &records {
        assert_eq!(q.global_call_id, call.correlation.global_call_id);
    }
    assert_eq!(records[0].leg_id, call.correlation.orig_leg_id);
    assert_eq!(records[1].leg_id, call.correlation.dest_leg_id);
    assert_eq!(
        records[0].identity,
        IdentityHasher::new("cucm-cmr").field("60e07196-5c4f-407d-8c0b-01c8ebf8e164").finish()
    );
    check(
        records.iter().map(|q| render_quality(q)).collect(),
        expect![[r#"
        cucmOHSUtest:2:25447 leg 47874239 at 2025-04-18T16:32:21Z dn 5033466594 device SEPCC7F750586B7
        packets sent 559 received 555 lost 0, jitter 0 ms, latency 1 ms
          CCR = 0.0000
          ICR = 0.0000
          ICRmx = 0.0000
          CS = 0
          SCS = 0
          Ver = 0.90
          VoRxCodec = G.711 u-la
          CID = 4
          VoPktSizeMs = 20
          VoPktLost = 0
          VoPktDis = 1
          VoOneWayDelayMs = 1
          maxJitter = 0
        cucmOHSUtest:2:25447 leg 47874240 at 2025-04-18T16:32:21Z dn 5033466593 device SEPCC8E7148AD29
        packets sent 555 received 559 lost 0, jitter 0 ms, latency 1 ms
          CCR = 0.0011
          ICR = 0.0000
          ICRmx = 0.0034
          CS = 1
          SCS = 0
          Ver = 0.90
          VoRxCodec = G.711 u-la
          CID = 4
          VoPktSizeMs = 20
          VoPktLost = 0
          VoPktDis = 1
          VoOneWayDelayMs = 0
          maxJitter = 8
    "#]],
    );
}

#[test]
fn synthetic_calls_in_the_current_layout() {
    let results = parse_all(&fixture("cdr_calls.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: not a record
        3: cdr StandAloneCluster:1:2 call internal no_answer
        4: cdr StandAloneCluster:1:3 call internal busy
        5: cdr StandAloneCluster:1:4 call unknown failed
        6: cdr StandAloneCluster:1:5 call internal answered
        7: cdr StandAloneCluster:1:6 call outgoing answered
        8: cdr StandAloneCluster:1:7 call incoming answered
        9: cdr StandAloneCluster:1:8 leg outgoing answered
        10: cdr StandAloneCluster:1:9 leg outgoing answered
        11: not a record
    "#]],
    );
    let rendered: String = cdrs(&results).iter().map(|c| render_cdr(c) + "\n").collect();
    check(
        rendered,
        expect![[r#"
        kind: call
        start: 2025-04-18T17:00:00Z
        answer: -
        end: 2025-04-18T17:00:08Z
        duration_s: 0
        ring_s: -
        direction: internal
        disposition: no_answer
        calling: 2001
        dialled: 2309
        original_called: 2309
        final_called: 2309
        device_orig: SEP001122334455
        device_dest: SEP00AABBCCDDEE
        cause_orig: 16
        cause_dest: 0
        global_call_id: StandAloneCluster:1:2
        orig_leg_id: 200
        dest_leg_id: 201
          origNodeId = 1
          origIpAddr = 192.168.1.10
          origPrecedenceLevel = 4
          destNodeId = 1
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000002
          originalCalledPartyNumberPartition = Marketing
          callingPartyNumberPartition = Accounts
          finalCalledPartyNumberPartition = Marketing

        kind: call
        start: 2025-04-18T17:01:00Z
        answer: -
        end: 2025-04-18T17:01:02Z
        duration_s: 0
        ring_s: -
        direction: internal
        disposition: busy
        calling: 2001
        dialled: 2309
        original_called: 2309
        final_called: 2309
        device_orig: SEP001122334455
        device_dest: SEP00AABBCCDDEE
        cause_orig: 17
        cause_dest: 0
        global_call_id: StandAloneCluster:1:3
        orig_leg_id: 300
        dest_leg_id: 301
          origNodeId = 1
          origPrecedenceLevel = 4
          destNodeId = 1
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000003

        kind: call
        start: 2025-04-18T17:02:00Z
        answer: -
        end: 2025-04-18T17:02:01Z
        duration_s: 0
        ring_s: -
        direction: unknown
        disposition: failed
        calling: 2001
        dialled: 2999
        original_called: 2999
        final_called: 2999
        device_orig: SEP001122334455
        cause_orig: 1
        cause_dest: 0
        global_call_id: StandAloneCluster:1:4
        orig_leg_id: 400
        dest_leg_id: 401
          origNodeId = 1
          origPrecedenceLevel = 4
          destNodeId = 1
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000004

        kind: call
        start: 2025-04-18T17:03:00Z
        answer: 2025-04-18T17:03:12Z
        end: 2025-04-18T17:04:12Z
        duration_s: 60
        ring_s: 12
        direction: internal
        disposition: answered
        calling: 2001
        dialled: 2309
        original_called: 2309
        final_called: 2000
        last_redirecting: 2309
        device_orig: SEP001122334455
        device_dest: SEP0A0B0C0D0E0F
        cause_orig: 16
        cause_dest: 0
        global_call_id: StandAloneCluster:1:5
        orig_leg_id: 500
        dest_leg_id: 501
          origNodeId = 1
          origPrecedenceLevel = 4
          destNodeId = 1
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000005
          origCalledPartyRedirectOnBehalfOf = 5
          lastRedirectRedirectOnBehalfOf = 5
          origCalledPartyRedirectReason = 2
          lastRedirectRedirectReason = 2

        kind: call
        start: 2025-04-18T17:05:00Z
        answer: 2025-04-18T17:05:09Z
        end: 2025-04-18T17:07:09Z
        duration_s: 120
        ring_s: 9
        direction: outgoing
        disposition: answered
        calling: 2001
        dialled: 912145551212
        original_called: 912145551212
        final_called: 912145551212
        auth_code: 12345
        client_matter: 33333
        trunk_out: RTP-PSTN-GW
        device_orig: SEP001122334455
        device_dest: RTP-PSTN-GW
        cause_orig: 0
        cause_dest: 16
        global_call_id: StandAloneCluster:1:6
        orig_leg_id: 600
        dest_leg_id: 601
          origNodeId = 1
          origIpAddr = 192.168.1.10
          origPrecedenceLevel = 4
          origMediaTransportAddress_IP = 192.168.1.10
          origMediaTransportAddress_Port = 24580
          origMediaCap_payloadCapability = 4
          origMediaCap_maxFramesPerPacket = 20
          destNodeId = 1
          destIpAddr = 10.1.168.192
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000006
          authCodeDescription = Legal
          authorizationLevel = 1
          outpulsedCalledPartyNumber = 12145551212
          origIpv4v6Addr = 192.168.1.10
          destIpv4v6Addr = 10.1.168.192

        kind: call
        start: 2025-04-18T17:10:00Z
        answer: 2025-04-18T17:10:04Z
        end: 2025-04-18T17:10:34Z
        duration_s: 30
        ring_s: 4
        direction: incoming
        disposition: answered
        calling: +12145551212
        dialled: 2309
        original_called: 2309
        final_called: 2309
        trunk_in: SIP-TRUNK-PSTN
        device_orig: SIP-TRUNK-PSTN
        device_dest: SEP00AABBCCDDEE
        cause_orig: 16
        cause_dest: 0
        global_call_id: StandAloneCluster:1:7
        orig_leg_id: 700
        dest_leg_id: 701
          origNodeId = 1
          origPrecedenceLevel = 4
          destNodeId = 1
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000007

        kind: leg
        start: 2025-04-18T17:10:05Z
        answer: 2025-04-18T17:10:05Z
        end: 2025-04-18T17:10:34Z
        duration_s: 29
        ring_s: 0
        direction: outgoing
        disposition: answered
        calling: BIB2309
        dialled: 90000
        original_called: 90000
        final_called: 90000
        trunk_out: RECORDER-TRUNK
        device_orig: SEP00AABBCCDDEE
        device_dest: RECORDER-TRUNK
        cause_orig: 16
        cause_dest: 0
        global_call_id: StandAloneCluster:1:8
        orig_leg_id: 800
        dest_leg_id: 801
          origNodeId = 1
          origPrecedenceLevel = 4
          destNodeId = 1
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000008
          origCalledPartyRedirectOnBehalfOf = 27
          lastRedirectRedirectOnBehalfOf = 27
          origCalledPartyRedirectReason = 354
          lastRedirectRedirectReason = 354
          joinOnBehalfOf = 27

        kind: leg
        start: 2025-04-18T17:15:00Z
        answer: 2025-04-18T17:15:00Z
        end: 2025-04-18T17:16:40Z
        duration_s: 100
        ring_s: 0
        direction: outgoing
        disposition: answered
        calling: 2001
        dialled: b0029901001
        original_called: b0029901001
        final_called: b0029901001
        trunk_out: CFB_2
        device_orig: SEP001122334455
        device_dest: CFB_2
        cause_orig: 16
        cause_dest: 0
        global_call_id: StandAloneCluster:1:9
        orig_leg_id: 900
        dest_leg_id: 901
          origNodeId = 1
          origPrecedenceLevel = 4
          destNodeId = 1
          destPrecedenceLevel = 4
          pkid = 0c4a1a5e-0000-4000-8000-000000000009
          origCalledPartyRedirectOnBehalfOf = 4
          lastRedirectRedirectOnBehalfOf = 4
          origCalledPartyRedirectReason = 98
          lastRedirectRedirectReason = 98
          joinOnBehalfOf = 4
          comment = ConfControllerDn=2001;ConfControllerDeviceName=SEP001122334455

    "#]],
    );
    for cdr in cdrs(&results) {
        assert_eq!(cdr.check_consistency(), Ok(()), "{}", cdr.correlation.global_call_id);
    }
}

#[test]
fn older_release_with_other_case_order_and_subset() {
    let results = parse_all(&fixture("cdr_old_release.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: not a record
        3: cdr :1:101 call outgoing answered
        4: cdr :1:102 call incoming no_answer
        5: not a record
    "#]],
    );
    let rendered: String = cdrs(&results).iter().map(|c| render_cdr(c) + "\n").collect();
    check(
        rendered,
        expect![[r#"
        kind: call
        start: 2005-01-01T12:00:00Z
        answer: 2005-01-01T12:00:10Z
        end: 2005-01-01T12:01:10Z
        duration_s: 60
        ring_s: 10
        direction: outgoing
        disposition: answered
        calling: 2001
        dialled: 902920262226
        original_called: 902920262226
        final_called: 902920262226
        trunk_out: LONDON-GW
        device_orig: SEP001122334455
        device_dest: LONDON-GW
        cause_orig: 0
        cause_dest: 16
        global_call_id: :1:101
        orig_leg_id: 16777217
        dest_leg_id: 16777218
          ORIGIPADDR = 192.168.1.10
          DESTIPADDR = 10.1.168.192

        kind: call
        start: 2005-01-01T12:03:20Z
        answer: -
        end: 2005-01-01T12:03:40Z
        duration_s: 0
        ring_s: -
        direction: incoming
        disposition: no_answer
        calling: 02920262227
        dialled: 2309
        original_called: 2309
        final_called: 2309
        trunk_in: LONDON-GW
        device_orig: LONDON-GW
        device_dest: SEP00AABBCCDDEE
        cause_orig: 0
        cause_dest: 0
        global_call_id: :1:102
        orig_leg_id: 16777219
        dest_leg_id: 16777220
          DESTIPADDR = 192.168.1.10

    "#]],
    );
    // Without pkid the identity comes from the ids and times.
    let first = cdrs(&results)[0];
    let expected = IdentityHasher::new("cucm")
        .field("")
        .field("1")
        .field("101")
        .field("16777217")
        .field("16777218")
        .field("1104580800")
        .field("1104580870")
        .finish();
    assert_eq!(first.identity, expected);
}

#[test]
fn lower_case_header_without_type_line() {
    let results = parse_all(&fixture("cdr_lowercase_no_type_line.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: cdr :1:103 call internal answered
        3: not a record
    "#]],
    );
    let cdr = cdrs(&results)[0];
    assert_eq!(cdr.start.to_string(), "2005-01-01T12:00:00Z");
    assert_eq!(cdr.answer.map(|a| a.to_string()).as_deref(), Some("2005-01-01T12:00:10Z"));
    assert_eq!(cdr.end.to_string(), "2005-01-01T12:01:10Z");
    assert_eq!((cdr.duration_s, cdr.ring_s), (60, Some(10)));
    assert_eq!(cdr.extra("pkid"), Some("7d4c0a8e-0000-4000-8000-000000000103"));
}

#[test]
fn errors_name_the_field_and_quote_the_value() {
    let results = parse_all(&fixture("cdr_errors.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: not a record
        3: error: field dateTimeOrigination: not a number: "abc"
        4: error: expected 18 columns, got 11
        5: error: field cdrRecordType: CMR record in a CDR file: "2"
        6: error: field origCause_value: not a number: "sixteen"
        7: error: field origIpAddr: not a number: "10.1.1.1"
        8: not a record
        9: error: field cdrRecordType: unknown record type: "7"
        10: cdr :1:208 call internal answered
        11: not a record
    "#]],
    );
    let bad_number = results[2].as_ref().unwrap_err();
    assert_eq!(bad_number.to_string(), r#"field dateTimeOrigination: not a number: "abc""#);
    assert_eq!(bad_number.field.as_deref(), Some("dateTimeOrigination"));
    assert_eq!(results[3].as_ref().unwrap_err().to_string(), "expected 18 columns, got 11");
}

#[test]
fn a_header_without_a_required_column_makes_every_row_fail() {
    let results = parse_all(&fixture("cdr_missing_column.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: error: field dateTimeOrigination: column missing from the header
        2: error: field dateTimeOrigination: column missing from the header
        3: error: field dateTimeOrigination: column missing from the header
        4: not a record
    "#]],
    );
}

#[test]
fn synthetic_cmr_file() {
    let results = parse_all(&fixture("cmr_quality.txt"));
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: not a record
        3: cmr StandAloneCluster:1:5 leg 501
        4: cmr StandAloneCluster:1:5 leg 500
        5: error: field cdrRecordType: CDR record in a CMR file: "1"
        6: error: field numberPacketsSent: not a number: "12x"
        7: not a record
    "#]],
    );
    check(
        quality(&results).iter().map(|q| render_quality(q)).collect(),
        expect![[r#"
        StandAloneCluster:1:5 leg 501 at 2025-04-18T17:04:12Z dn 2000 device SEP0A0B0C0D0E0F
        packets sent 3000 received 2990 lost 10, jitter 12 ms, latency - ms
        StandAloneCluster:1:5 leg 500 at 2025-04-18T17:04:12Z dn 2001 device SEP001122334455
        packets sent - received - lost -, jitter - ms, latency - ms
          CCR = 0.0012
          MOSLQK = 4.2000
          maxJitter = 12
    "#]],
    );
}

/// A file's first lines, as the parser sees them.
fn header_and_type_line() -> String {
    sample("cdr_example.txt").split('\n').take(2).collect::<Vec<_>>().join("\n")
}

/// The sample's answered call, as a row to mutate.
fn answered_row() -> String {
    sample("cdr_example.txt").split('\n').nth(4).unwrap().to_string()
}

fn parse_after_header(rows: &[&[u8]]) -> Vec<Result<Parsed, ParseError>> {
    let mut parser = CucmParser::new();
    for line in header_and_type_line().split('\n') {
        assert_eq!(parser.parse(line.as_bytes()), Ok(Parsed::NotARecord));
    }
    rows.iter().map(|row| parser.parse(row)).collect()
}

#[test]
fn blank_lines_start_records_and_repeated_headers() {
    let header = header_and_type_line();
    let header_line = header.split('\n').next().unwrap();
    let row = answered_row();
    let start_record = row.replacen("1,", "0,", 1);
    let results = parse_after_header(&[
        b"",
        b"   \r",
        start_record.as_bytes(),
        // Concatenated files: a second header starts over.
        header_line.as_bytes(),
        row.as_bytes(),
    ]);
    check(
        outcomes(&results),
        expect![[r#"
        1: not a record
        2: not a record
        3: not a record
        4: not a record
        5: cdr cucmOHSUtest:2:25447 call internal answered
    "#]],
    );
}

#[test]
fn line_breaks_inside_quoted_comments_are_kept() {
    let row = answered_row();
    // `comment` is the 68th column; it is empty ("") in the sample row.
    let fields: Vec<&str> = row.split(',').collect();
    assert_eq!(fields[67], "\"\"");
    let with_comment = row.replacen(
        ",\"cucmOHSUtest\",0,\"\",",
        ",\"cucmOHSUtest\",0,\"ConfControllerDn=2001;\nline two\",",
        1,
    );
    let results = parse_after_header(&[with_comment.as_bytes()]);
    let Ok(Parsed::Cdr(cdr)) = &results[0] else { panic!("{results:?}") };
    assert_eq!(cdr.extra("comment"), Some("ConfControllerDn=2001;\nline two"));
}

#[test]
fn unanswered_busy_and_forwarded_calls() {
    let results = parse_all(&fixture("cdr_calls.txt"));
    let cdrs = cdrs(&results);
    let by_call = |id: &str| {
        *cdrs
            .iter()
            .find(|c| c.correlation.global_call_id == format!("StandAloneCluster:1:{id}"))
            .unwrap()
    };
    let abandoned = by_call("2");
    assert_eq!((abandoned.answer, abandoned.ring_s), (None, None));
    assert_eq!(abandoned.disposition, Disposition::NoAnswer);
    assert_eq!(by_call("3").disposition, Disposition::Busy);
    assert_eq!(by_call("4").disposition, Disposition::Failed);
    let forwarded = by_call("5");
    assert_eq!(
        (
            forwarded.original_called.as_str(),
            forwarded.final_called.as_str(),
            forwarded.last_redirecting.as_str()
        ),
        ("2309", "2000", "2309")
    );
    assert_eq!(forwarded.extra("lastRedirectRedirectReason"), Some("2"));
    assert_eq!(forwarded.kind, RecordKind::Call);
    let outgoing = by_call("6");
    assert_eq!(
        (outgoing.direction, outgoing.trunk_out.as_str()),
        (Direction::Outgoing, "RTP-PSTN-GW")
    );
    assert_eq!((outgoing.auth_code.as_str(), outgoing.client_matter.as_str()), ("12345", "33333"));
    assert_eq!(outgoing.extra("authCodeDescription"), Some("Legal"));
    let incoming = by_call("7");
    assert_eq!(
        (incoming.direction, incoming.trunk_in.as_str()),
        (Direction::Incoming, "SIP-TRUNK-PSTN")
    );
    assert_eq!(by_call("8").kind, RecordKind::Leg);
    assert_eq!(by_call("9").kind, RecordKind::Leg);
}

#[test]
fn a_row_set_aside_can_be_parsed_again_after_the_header() {
    let mut parser = CucmParser::new();
    assert_eq!(parser.header(), None);
    let contents = sample("cdr_example.txt");
    let lines: Vec<&str> = contents.split('\n').collect();
    for line in &lines[..4] {
        parser.parse(line.as_bytes()).unwrap();
    }
    assert_eq!(parser.header(), Some(lines[0].as_bytes()));
    let first_time = parser.parse(lines[4].as_bytes()).unwrap();

    let mut later = CucmParser::new();
    assert_eq!(later.parse(parser.header().unwrap()), Ok(Parsed::NotARecord));
    assert_eq!(later.parse(lines[4].as_bytes()), Ok(first_time));
}
