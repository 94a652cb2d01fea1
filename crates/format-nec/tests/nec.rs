//! NEC SMDR flexible-format records, checked field by field.
//!
//! `samples/nec/K?record.smdr` are the test records of the public
//! NEC-SMDR-Collector. Cut by NEC's layout (see `src/sections.rs`), KL is a
//! valid record (its section 19 writes the length `34` that NEC's table
//! labels it with, and carries the 17 characters of one time), while KK
//! (section 03 says 08, carries 11 characters) and KM (account code 07 says
//! 11, carries 9 digits) each have one wrong length that the rest of the
//! record proves; they are read with the proved length and say so in the
//! extra `Length of Data NN`. `tests/fixtures/K?-length-fixed.smdr` are the
//! same records with that length written right (0308→0311, 1934→1917,
//! 0711→0710): valid records that read to the same call.

use cdr::{Parsed, ParserContext, RecordParser};
use expect_test::{Expect, expect};
use format_nec::NecParser;
use jiff::tz::TimeZone;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/../../samples/nec/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parser() -> NecParser {
    NecParser::new(ParserContext {
        time_zone: TimeZone::get("America/New_York").unwrap(),
        received: "2020-01-01T00:00:00Z".parse().unwrap(),
    })
}

/// Cuts input the way `Framing::Lines` does and renders every outcome.
fn check(input: &[u8], expect: Expect) {
    let mut parser = parser();
    let mut out = String::new();
    for line in input.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        out.push_str(&render(parser.parse(line)));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    expect.assert_eq(&out);
}

fn render(result: Result<Parsed, cdr::ParseError>) -> String {
    let cdr = match result {
        Ok(Parsed::Cdr(cdr)) => cdr,
        Ok(other) => return format!("{other:?}"),
        Err(e) => return format!("error: {e}"),
    };
    assert!(cdr.check_consistency().is_ok());
    let mut s = format!(
        "{} {} {}\nstart={} answer={} end={} talk={}s\n",
        cdr.kind.as_str(),
        cdr.direction.as_str(),
        cdr.disposition.as_str(),
        cdr.start,
        cdr.answer.map_or("-".to_string(), |a| a.to_string()),
        cdr.end,
        cdr.duration_s,
    );
    for (name, value) in [
        ("calling", &cdr.calling),
        ("dialled", &cdr.dialled),
        ("final_called", &cdr.final_called),
        ("account", &cdr.account_code),
        ("auth", &cdr.auth_code),
        ("trunk_in", &cdr.trunk_in),
        ("trunk_out", &cdr.trunk_out),
        ("cause_orig", &cdr.cause_orig),
    ] {
        if !value.is_empty() {
            s.push_str(&format!("{name}={value}\n"));
        }
    }
    for (k, v) in &cdr.extras {
        s.push_str(&format!("  {k}: {v}\n"));
    }
    s
}

#[test]
fn published_samples_are_read_by_the_layout() {
    check(
        &sample("KKrecord.smdr"),
        expect![[r#"
        call outgoing answered
        start=2018-07-07T16:00:00.001Z answer=2018-07-07T16:00:00.001Z end=2018-07-07T17:01:01Z talk=3661s
        calling=20001
        dialled=17325551212
        account=7325551212
        auth=8675309
        trunk_out=010/052
        cause_orig=012
          Fusion Point Code: 001
          Logical Route: 210
          Calling Party Identification: 0
          Calling Tenant: 001
          Calling FPC: 001
          Calling User Group: 002
          Calling Station Number: 20001
          Condition B: 012
          Route Used FPC: 001
          Route Used Physical: 010
          Route Used Logical: 110
          First Route FPC: 002
          First Route Physical: 010
          First Route Logical: 210
          Office Code of Calling Party: 0867
          Office Code of Billing Process Office: 5309
          Condition C: 4
          Billing Information: 012345
          Condition D: 1
          Bill Notification ATTCON Number: 2
          Department Code: 012
          ANI Presentation: 1
          Converted Number: 123456
          Calling Party MA-ID: 01234
          Outgoing Route MA-ID: 09875
          Length of Data 03: declared 08, fits 11
          Calling Party Number / ANI: 17325551212
    "#]],
    );
    check(
        &sample("KLrecord.smdr"),
        expect![[r#"
        call incoming answered
        start=2019-09-09T01:57:41.398Z answer=2019-09-09T01:57:41.398Z end=2019-09-09T01:57:48.738Z talk=7s
        calling=17325551212
        dialled=7325551212
        final_called=20000
        account=7325551212
        auth=8675309
        trunk_in=001/023
        cause_orig=004
          Fusion Point Code: 002
          Logical Route: 201
          Called Party Identification: 0
          Called Tenant: 001
          Called FPC: 001
          Called User Group: 001
          Called Station Number: 20000
          Condition B: 004
          Route Used FPC: 002
          Route Used Physical: 002
          Route Used Logical: 202
          First Route FPC: 001
          First Route Physical: 001
          First Route Logical: 201
          Office Code of Calling Party: 0123
          Office Code of Billing Process Office: 1234
          Condition C: 1
          Billing Information: 2
          ANI Presentation: 4
          Calling Party MA-ID: 12345
          Incoming Route MA-ID: 54321
          Trunk Call Received Time: 20170101000000001
    "#]],
    );
    check(
        &sample("KMrecord.smdr"),
        expect![[r#"
        call internal answered
        start=2019-09-09T01:57:41.398Z answer=2019-09-09T01:57:41.398Z end=2019-09-09T01:57:48.738Z talk=7s
        calling=20000
        dialled=7325551212
        final_called=20001
        account=735551212
          Calling Party Identification: 0
          Calling Tenant: 001
          Calling FPC: 000
          Calling User Group: 001
          Calling Station Number: 20000
          Called Party Identification: 0
          Called Tenant: 001
          Called FPC: 000
          Calling Party MA-ID: 12345
          Called Party MA-ID: 54321
          Length of Data 07: declared 11, fits 10
    "#]],
    );
}

/// Everything but the identity (a hash of the bytes) and the repair note.
fn call_without_identity(raw: &[u8]) -> cdr::Cdr {
    let Ok(Parsed::Cdr(mut cdr)) = parser().parse(raw.trim_ascii_end()) else { panic!() };
    cdr.identity = 0;
    cdr.extras.retain(|(name, _)| !name.starts_with("Length of Data"));
    *cdr
}

#[test]
fn samples_read_to_the_same_call_as_their_corrected_copies() {
    for (published, corrected) in [
        ("KKrecord.smdr", "KK-length-fixed.smdr"),
        ("KLrecord.smdr", "KL-length-fixed.smdr"),
        ("KMrecord.smdr", "KM-length-fixed.smdr"),
    ] {
        assert_eq!(
            call_without_identity(&sample(published)),
            call_without_identity(&fixture(corrected)),
            "{published}"
        );
    }
}

#[test]
fn truncated_and_garbled_records_are_errors() {
    let kk = fixture("KK-length-fixed.smdr");
    let kk = kk.trim_ascii_end();
    let published_kk = sample("KKrecord.smdr");
    let published_kk = published_kk.trim_ascii_end();
    let km = sample("KMrecord.smdr");
    let km = km.trim_ascii_end();
    let with = |record: &[u8], at: usize, byte: u8| {
        let mut record = record.to_vec();
        record[at] = byte;
        record
    };
    let mut p = parser();
    let mut run = |bytes: &[u8]| render(p.parse(bytes));
    // Cut inside section 16, the account code, the call times.
    expect!["error: section 16 declares 12 characters, 5 left"].assert_eq(&run(&kk[..201]));
    expect!["error: section 07 declares 11 (10 characters), 5 left"].assert_eq(&run(&km[..101]));
    expect!["error: section 06 declares 34 characters, 20 left"].assert_eq(&run(&km[..78]));
    // Cut after a wrong length: nothing proves another, the first error
    // stands.
    expect![[r#"error: field kind of data: section 01 after section 07"#]]
        .assert_eq(&run(&km[..115]));
    expect![[r#"error: field kind of data: unknown "00" after section 03"#]]
        .assert_eq(&run(&published_kk[..201]));
    // A wrong length for a fixed section (08 written 04), a kind out of
    // order (09 written 05), a letter in the call start's seconds.
    expect![[r#"error: field length of data 08: expected 03: "04""#]]
        .assert_eq(&run(&with(kk, 104, b'4')));
    expect!["error: field kind of data: section 05 after section 08"]
        .assert_eq(&run(&with(kk, 109, b'5')));
    expect![[r#"error: field Call Start Time: not a time: "201807071200x0001""#]]
        .assert_eq(&run(&with(kk, 65, b'x')));
}

#[test]
fn kk_outgoing() {
    // 2018-07-07 12:00:00.001 → 13:01:01.000 EDT (UTC−4): 3660.999 s, 3661 rounded.
    check(
        &fixture("KK-length-fixed.smdr"),
        expect![[r#"
        call outgoing answered
        start=2018-07-07T16:00:00.001Z answer=2018-07-07T16:00:00.001Z end=2018-07-07T17:01:01Z talk=3661s
        calling=20001
        dialled=17325551212
        account=7325551212
        auth=8675309
        trunk_out=010/052
        cause_orig=012
          Fusion Point Code: 001
          Logical Route: 210
          Calling Party Identification: 0
          Calling Tenant: 001
          Calling FPC: 001
          Calling User Group: 002
          Calling Station Number: 20001
          Condition B: 012
          Route Used FPC: 001
          Route Used Physical: 010
          Route Used Logical: 110
          First Route FPC: 002
          First Route Physical: 010
          First Route Logical: 210
          Office Code of Calling Party: 0867
          Office Code of Billing Process Office: 5309
          Condition C: 4
          Billing Information: 012345
          Condition D: 1
          Bill Notification ATTCON Number: 2
          Department Code: 012
          ANI Presentation: 1
          Converted Number: 123456
          Calling Party MA-ID: 01234
          Outgoing Route MA-ID: 09875
          Calling Party Number / ANI: 17325551212
    "#]],
    );
}

#[test]
fn kl_incoming() {
    // 2019-09-08 21:57:41.398 → 21:57:48.738 EDT: 7.34 s, 7 rounded.
    check(
        &fixture("KL-length-fixed.smdr"),
        expect![[r#"
        call incoming answered
        start=2019-09-09T01:57:41.398Z answer=2019-09-09T01:57:41.398Z end=2019-09-09T01:57:48.738Z talk=7s
        calling=17325551212
        dialled=7325551212
        final_called=20000
        account=7325551212
        auth=8675309
        trunk_in=001/023
        cause_orig=004
          Fusion Point Code: 002
          Logical Route: 201
          Called Party Identification: 0
          Called Tenant: 001
          Called FPC: 001
          Called User Group: 001
          Called Station Number: 20000
          Condition B: 004
          Route Used FPC: 002
          Route Used Physical: 002
          Route Used Logical: 202
          First Route FPC: 001
          First Route Physical: 001
          First Route Logical: 201
          Office Code of Calling Party: 0123
          Office Code of Billing Process Office: 1234
          Condition C: 1
          Billing Information: 2
          ANI Presentation: 4
          Calling Party MA-ID: 12345
          Incoming Route MA-ID: 54321
          Trunk Call Received Time: 20170101000000001
    "#]],
    );
}

#[test]
fn km_station_to_station() {
    check(
        &fixture("KM-length-fixed.smdr"),
        expect![[r#"
        call internal answered
        start=2019-09-09T01:57:41.398Z answer=2019-09-09T01:57:41.398Z end=2019-09-09T01:57:48.738Z talk=7s
        calling=20000
        dialled=7325551212
        final_called=20001
        account=735551212
          Calling Party Identification: 0
          Calling Tenant: 001
          Calling FPC: 000
          Calling User Group: 001
          Calling Station Number: 20000
          Called Party Identification: 0
          Called Tenant: 001
          Called FPC: 000
          Calling Party MA-ID: 12345
          Called Party MA-ID: 54321
    "#]],
    );
}

#[test]
fn framing_bytes_and_sa_ua_are_optional() {
    let line = fixture("KM-length-fixed.smdr");
    let line = line.strip_suffix(b"\n").unwrap();
    let bare = line.strip_prefix(b"0!").unwrap();
    let mut framed = vec![0x02];
    framed.extend_from_slice(line);
    framed.push(0x03);
    let expected = render(parser().parse(line));
    assert_eq!(render(parser().parse(bare)), expected);
    assert_eq!(render(parser().parse(&framed)), expected);
    let Ok(Parsed::Cdr(a)) = parser().parse(line) else { panic!() };
    assert_eq!(a.identity, cdr::whole_record("nec", bare));
}

#[test]
fn errors() {
    let mut p = parser();
    let mut run = |bytes: &[u8]| render(p.parse(bytes));
    expect!["NotARecord"].assert_eq(&run(b""));
    expect!["NotARecord"].assert_eq(&run(b"  \r"));
    expect![[r#"error: field kind of call: unsupported: "KA""#]].assert_eq(&run(b"0!KA0100"));
    expect![[r#"error: record too short: "0!K""#]].assert_eq(&run(b"0!K"));
    expect![[r#"error: not an SMDR message: "HELLO WO""#]].assert_eq(&run(b"HELLO WORLD"));
    expect!["error: no call start/end time (section 06)"].assert_eq(&run(b"0!KM0503000"));
    expect!["error: section 06 declares 34 characters, 8 left"]
        .assert_eq(&run(b"0!KM063420190908"));
    expect![[r#"error: field Call Start Time: not a time: "20190908215x41398""#]]
        .assert_eq(&run(b"0!KM063420190908215x4139820190908215748738"));
    expect![[r#"error: field Call End Time: before the start: 2019-09-08T21:57:41.398 < 2019-09-08T21:57:48.738"#]]
        .assert_eq(&run(b"0!KM06342019090821574873820190908215741398"));
}
