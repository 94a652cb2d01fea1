//! Each preset against fixture lines written from the vendor's published
//! layout; expected values checked by hand against the field tables.

mod common;

use common::{ctx, fixture, run};
use expect_test::expect;
use format_custom::{preset, preset_names};

#[test]
fn every_preset_loads_under_its_own_name() {
    assert_eq!(preset_names(), ["avaya-ip-office-smdr", "mitel-mivb-smdr", "3cx-cdr"]);
    for name in preset_names() {
        let format = preset(name).unwrap_or_else(|| panic!("preset {name} does not load"));
        assert_eq!(format.name(), *name);
    }
    assert!(preset("nortel").is_none());
}

#[test]
fn avaya_ip_office_smdr() {
    let format = preset("avaya-ip-office-smdr").unwrap();
    let out = run(
        &format,
        &ctx("Europe/London", "2024-06-01T00:00:00Z"),
        &fixture("avaya-ip-office-smdr.txt"),
    );
    // 09:28:41 BST is 08:28:41Z. Lost call: 9 s ringing, no talk time.
    // Transfer: 7 s ring + 13 s talk + 11 s hold = end 08:31:28Z.
    // R11: 14:02:11 GMT + 5 ring + 207 talk + 12 hold = 14:05:55Z, which
    // is what the PBX wrote in SMDR Record Time.
    expect![[r#"
        not a record
        2008-06-28T08:28:41Z .. 2008-06-28T08:28:50Z answer - | talk 0 ring 9 | incoming no_answer call
          calling=8004206 dialled=4324 original_called=4324 device_orig=E4324 device_dest=T9161 global_call_id=1000014155
          extras: Is Internal=0; Continuation=0; Party1Name=Joe Bloggs; Party2Name=LINE 5.1; Hold Time=0; Park Time=0
        2008-06-28T08:30:57Z .. 2008-06-28T08:31:28Z answer 2008-06-28T08:31:04Z | talk 13 ring 7 | incoming answered call
          calling=01707392200 dialled=299999 original_called=299999 device_orig=E4750 device_dest=T9002 global_call_id=1000014160
          extras: Is Internal=0; Continuation=1; Party1Name=John Smith; Party2Name=LINE 1.2; Hold Time=11; Park Time=0
        2008-06-28T08:30:57Z .. 2008-06-28T08:31:18Z answer 2008-06-28T08:30:57Z | talk 21 ring 0 | incoming answered call
          calling=01707392200 dialled=299999 original_called=299999 device_orig=V9502 device_dest=T9002 global_call_id=1000014160
          extras: Is Internal=0; Continuation=0; Party1Name=VM Channel 2; Party2Name=LINE 1.2; Hold Time=0; Park Time=0
        2008-08-01T14:14:19Z .. 2008-08-01T14:14:31Z answer 2008-08-01T14:14:26Z | talk 5 ring 7 | incoming answered call
          calling=01707299900 dialled=390664 original_called=23 device_orig=E23 device_dest=T9001 global_call_id=1000013
          extras: Is Internal=0; Continuation=0; Party1Name=Extn23; Party2Name=Line 1.2; Hold Time=0; Park Time=0
        2008-06-26T09:27:44Z .. 2008-06-26T09:28:32Z answer 2008-06-26T09:27:48Z | talk 44 ring 4 | internal answered call
          calling=4688 dialled=4207 original_called=4207 device_orig=E4688 device_dest=E4207 global_call_id=1000013898
          extras: Is Internal=1; Continuation=0; Party1Name=Joe Bloggs; Party2Name=John Smith; Hold Time=0; Park Time=0
        not a record
        2024-03-05T14:02:11Z .. 2024-03-05T14:05:55Z answer 2024-03-05T14:02:16Z | talk 207 ring 5 | outgoing answered call
          calling=203 dialled=901632555018 original_called=901632555018 account_code=4711 auth_code=5678 device_orig=E203 device_dest=T9005 global_call_id=1000211
          extras: Is Internal=0; Continuation=0; Party1Name=Anna Weber; Party2Name=Line 5.1; Hold Time=12; Park Time=0; Auth Valid=1; External Targeted Number=192.0.2.10; Calling Party Server IP Address=3001; Unique Call ID for the Caller Extension=192.0.2.10; Called Party Server IP Address=3002; Unique Call ID for the Called Extension=2024/03/05 14:05:55
    "#]]
    .assert_eq(&out);
}

#[test]
fn mitel_mivb_smdr() {
    let format = preset("mitel-mivb-smdr").unwrap();
    let out = run(
        &format,
        &ctx("America/Toronto", "2025-07-01T12:00:00Z"),
        &fixture("mitel-mivb-smdr.txt"),
    );
    // No year in the record: June 13 and May 17 are 2025 (before the
    // receipt), and Feb 29 is 2024, the latest year that has one.
    // 11:42 EDT = 15:42Z; 03:10P EST = 15:10 local = 20:10Z.
    expect![[r#"
        2025-06-13T15:42:00Z .. 2025-06-13T15:50:29Z answer 2025-06-13T15:42:00Z | talk 509 ring - | outgoing answered call
          calling=214 dialled=6135952122 device_orig=214 device_dest=T054
          extras: Long Call=-; System Identifier=000
        2025-05-17T14:51:00Z .. 2025-05-17T14:52:52Z answer 2025-05-17T14:51:00Z | talk 112 ring - | outgoing answered call
          calling=213 dialled=201 account_code=1200 device_orig=213 device_dest=X082
          extras: System Identifier=000
        2025-01-30T20:10:00Z .. 2025-01-30T20:12:30Z answer 2025-01-30T20:10:08Z | talk 142 ring 8 | incoming answered call
          calling=T102 dialled=201 device_orig=T102 device_dest=201
          extras: System Identifier=000
        2024-03-01T04:59:00Z .. 2024-03-01T04:59:00Z answer - | talk 0 ring - | incoming busy call
          calling=T103 dialled=205 device_orig=T103 device_dest=205
          extras: System Identifier=000
    "#]].assert_eq(&out);
}

#[test]
fn three_cx_cdr() {
    let format = preset("3cx-cdr").unwrap();
    let out = run(&format, &ctx("Europe/London", "2024-06-01T00:00:00Z"), &fixture("3cx-cdr.txt"));
    // Times are UTC whatever the PBX's zone.
    expect![[r#"
        2024-05-14T08:15:02Z .. 2024-05-14T08:17:14Z answer 2024-05-14T08:15:09Z | talk 125 ring 7 | outgoing answered call
          calling=Ext.101 dialled=0441632960123 original_called=0441632960123 final_called=0441632960123 device_orig=101 device_dest=10000 cause_orig=TerminatedBySrc global_call_id=00000C5B2A7E1F03_117
          extras: historyid=Call 1021; to-dn=10000; chain=Chain: Ext.101;0441632960123;; from-type=Extension; to-type=Line; final-type=Line; from-dispname=Alice Smith
        2024-05-14T09:00:00Z .. 2024-05-14T09:00:41Z answer - | talk 0 ring - | incoming no_answer call
          calling=+441632960555 dialled=01632960100 original_called=Queue800 final_called=Queue800 device_orig=10000 device_dest=800 cause_orig=TerminatedBySrc global_call_id=00000C5B2A7E1F03_118
          extras: historyid=Call 1022; to-dn=800; chain=Chain: +441632960555;Queue 800;; from-type=Line; to-type=Queue; final-type=Queue; to-dispname=Sales; final-dispname=Sales; missed-queue-calls=Ext.102;Ext.103
        2024-05-14T10:30:00Z .. 2024-05-14T10:30:35Z answer 2024-05-14T10:30:04Z | talk 31 ring 4 | internal answered call
          calling=Ext.102 dialled=103 original_called=Ext.103 final_called=Ext.103 device_orig=102 device_dest=103 cause_orig=TerminatedByDst global_call_id=00000C5B2A7E1F03_119
          extras: historyid=Call 1023; to-dn=103; chain=Chain: Ext.102;Ext.103;; from-type=Extension; to-type=Extension; final-type=Extension; from-dispname=Smith, John; to-dispname=Bob Jones; final-dispname=Bob Jones
    "#]].assert_eq(&out);
}
