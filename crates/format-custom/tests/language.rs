//! The definition language on small definitions: each record kind, each
//! conversion, derivations, and the errors definitions and records give.

mod common;

use cdr::{Parsed, RecordParser};
use common::{ctx, parse_one, run};
use expect_test::expect;
use format_custom::CustomFormat;

fn format(text: &str) -> CustomFormat {
    CustomFormat::from_toml(text).unwrap_or_else(|e| panic!("{e}"))
}

fn utc() -> cdr::ParserContext {
    ctx("UTC", "2025-07-01T00:00:00Z")
}

/// A csv definition with columns a..f and the given extra TOML for [map].
fn csv_with(map: &str) -> CustomFormat {
    format(&format!(
        "name = \"t\"\nkind = \"csv\"\n[csv]\ncolumns = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]\n[map]\n{map}"
    ))
}

#[test]
fn csv_columns_by_header_name() {
    let f = format(
        r#"
        name = "hdr"
        kind = "csv"
        [csv]
        header = true
        [map]
        start = { field = "Start", format = "%Y-%m-%d %H:%M:%S" }
        end = { derive = "start + duration" }
        duration_s = { field = "SECS", duration = "seconds" }
        calling = { field = "From", number = true }
        "#,
    );
    let text = "start,from,secs,note\n\
                \"2025-01-02 03:04:05\",\"+1 503-555 0100\",42,\"a \"\"quoted\"\", note\"\n\
                start,from,secs,note\n";
    // Header names match case-insensitively; the repeated header is skipped.
    expect![[r#"
        not a record
        2025-01-02T03:04:05Z .. 2025-01-02T03:04:47Z answer 2025-01-02T03:04:05Z | talk 42 ring - | unknown answered call
          calling=+15035550100
          extras: note=a "quoted", note
        not a record
    "#]]
    .assert_eq(&run(&f, &utc(), text));
    assert_eq!(f.parser(&utc()).framing(), cdr::Framing::QuotedLines);
}

#[test]
fn csv_header_missing_a_mapped_column_is_an_error() {
    let f = format(
        r#"
        name = "hdr"
        kind = "csv"
        [csv]
        header = true
        [map]
        start = { field = "Start", format = "%s" }
        end = { derive = "start + duration" }
        "#,
    );
    assert_eq!(parse_one(&f, &utc(), "begin,x"), "error: header has no column \"Start\"\n");
}

#[test]
fn csv_columns_by_index_with_other_delimiter_and_no_quotes() {
    let f = format(
        r#"
        name = "idx"
        kind = "csv"
        [csv]
        delimiter = ";"
        quote = ""
        min_columns = 3
        [map]
        start = { field = 1, format = "epoch" }
        end = { field = 2, format = "epoch" }
        dialled = { field = 3 }
        "#,
    );
    assert_eq!(f.parser(&utc()).framing(), cdr::Framing::Lines);
    expect![[r#"
        2025-04-18T16:32:10Z .. 2025-04-18T16:33:10Z answer - | talk 0 ring - | unknown no_answer call
          dialled="0123"
          extras: column 4=x
        error: expected at least 3 columns, got 2
    "#]]
    .assert_eq(&run(&f, &utc(), "1744993930;1744993990;\"0123\";x\n1;2\n"));
}

#[test]
fn fixed_fields_and_length_check() {
    let f = format(
        r#"
        name = "fx"
        kind = "fixed"
        skip = ['^-+$', 'PAGE \d+']
        [fixed]
        length = 24
        fields = [
          { name = "Date", start = 1, length = 6 },
          { name = "Time", start = 8, length = 4 },
          { name = "Dur", start = 13, length = 5 },
          { name = "Ext", start = 19, length = 4 },
          { name = "Cond", start = 24, length = 1 },
        ]
        [map]
        start = { field = "Date", format = "%y%m%d", time_field = "Time", time_format = "%H%M" }
        duration_s = { field = "Dur", duration = "seconds" }
        end = { derive = "start + duration" }
        calling = { field = "Ext" }
        "#,
    );
    let text = "250102 0304 00042 2001 A\n--------\nPAGE 2\n\n250102 0304 0004";
    expect![[r#"
        2025-01-02T03:04:00Z .. 2025-01-02T03:04:42Z answer 2025-01-02T03:04:00Z | talk 42 ring - | unknown answered call
          calling=2001
          extras: Cond=A
        not a record
        not a record
        not a record
        error: expected 24 characters, got 16
    "#]]
    .assert_eq(&run(&f, &utc(), text));
}

#[test]
fn regex_named_groups() {
    let f = format(
        r#"
        name = "rx"
        kind = "regex"
        [regex]
        pattern = '^(?P<when>\S+ \S+) (?P<from>\d+) -> (?P<to>\d+) (?P<secs>\d+)s(?: acct=(?P<acct>\w+))?'
        [map]
        end = { field = "when", format = "%d.%m.%Y %H:%M:%S" }
        duration_s = { field = "secs", duration = "seconds" }
        start = { derive = "end - duration" }
        calling = { field = "from" }
        dialled = { field = "to", strip_prefix = ["0"] }
        account_code = { field = "acct" }
        "#,
    );
    let text = "05.03.2025 10:00:30 201 -> 0441632960000 30s acct=X1\n05.03.2025 10:00:30 201 -> 0 5s\nnoise";
    expect![[r#"
        2025-03-05T10:00:00Z .. 2025-03-05T10:00:30Z answer 2025-03-05T10:00:00Z | talk 30 ring - | unknown answered call
          calling=201 dialled=441632960000 account_code=X1
        2025-03-05T10:00:25Z .. 2025-03-05T10:00:30Z answer 2025-03-05T10:00:25Z | talk 5 ring - | unknown answered call
          calling=201 dialled=0
        error: record does not match the pattern
    "#]]
    .assert_eq(&run(&f, &utc(), text));
}

#[test]
fn dates_without_year_take_the_latest_year_not_after_receipt() {
    let f = csv_with(
        r#"start = { field = "a", format = "%m/%d %H:%M" }
           end = { derive = "start + duration" }"#,
    );
    let ctx = ctx("UTC", "2025-01-01T10:00:00Z");
    // Dec 31 is last year; Jan 2 is within a day after receipt, so this year.
    expect![[r#"
        2024-12-31T23:00:00Z .. 2024-12-31T23:00:00Z answer - | talk 0 ring - | unknown no_answer call
        2025-01-02T09:00:00Z .. 2025-01-02T09:00:00Z answer - | talk 0 ring - | unknown no_answer call
        2024-01-03T10:00:00Z .. 2024-01-03T10:00:00Z answer - | talk 0 ring - | unknown no_answer call
    "#]]
    .assert_eq(&run(&f, &ctx, "12/31 23:00\n01/02 09:00\n01/03 10:00\n"));
}

#[test]
fn zones_come_from_context_definition_or_utc() {
    let map = r#"
        [map]
        start = { field = 1, format = "%Y-%m-%d %H:%M" }
        end = { derive = "start + duration" }
    "#;
    let from_ctx = format(&format!("name = \"z\"\nkind = \"csv\"\n{map}"));
    let overridden =
        format(&format!("name = \"z\"\nkind = \"csv\"\ntime_zone = \"Asia/Tokyo\"\n{map}"));
    let utc_times = format(&format!("name = \"z\"\nkind = \"csv\"\nutc = true\n{map}"));
    let paris = ctx("Europe/Paris", "2025-07-01T00:00:00Z");
    let line = "2025-03-30 02:30"; // inside the Paris spring-forward gap
    assert!(parse_one(&from_ctx, &paris, line).starts_with("2025-03-30T01:30:00Z"));
    assert!(parse_one(&overridden, &paris, line).starts_with("2025-03-29T17:30:00Z"));
    assert!(parse_one(&utc_times, &paris, line).starts_with("2025-03-30T02:30:00Z"));
}

#[test]
fn twelve_hour_clock_with_pm_suffix_and_percent_p() {
    let f = csv_with(
        r#"start = { field = "a", format = "%Y-%m-%d", time_field = "b", time_format = "%H:%M", pm_suffix = "P" }
           end = { field = "c", format = "%Y-%m-%d %I:%M %p" }"#,
    );
    expect![[r#"
        2025-01-02T15:10:00Z .. 2025-01-02T15:20:00Z answer - | talk 0 ring - | unknown no_answer call
        2025-01-02T03:10:00Z .. 2025-01-02T12:20:00Z answer - | talk 0 ring - | unknown no_answer call
    "#]]
    .assert_eq(&run(
        &f,
        &utc(),
        "2025-01-02,03:10P,2025-01-02 03:20 PM\n2025-01-02,03:10,2025-01-02 12:20 PM\n",
    ));
}

#[test]
fn every_duration_format() {
    let f = csv_with(
        r#"start = { field = "a", format = "%s" }
           end = { derive = "start + duration" }
           duration_s = { field = "b", duration = "hh:mm:ss" }
           ring_s = { field = "c", duration = "mm:ss" }
           [map.client_matter]
           value = "fixed""#,
    );
    assert!(parse_one(&f, &utc(), "0,01:02:03,1'05").contains("talk 3723 ring 65"));
    for (format, text, seconds) in [
        ("seconds", "0042", 42),
        ("mmm.t", "002.3", 138),
        ("mmmt", "0023", 138),
        ("mm:ss", "10:00", 600),
    ] {
        let f = csv_with(&format!(
            "start = {{ field = \"a\", format = \"%s\" }}\nend = {{ derive = \"start + duration\" }}\nduration_s = {{ field = \"b\", duration = \"{format}\" }}"
        ));
        let out = parse_one(&f, &utc(), &format!("0,{text}"));
        assert!(out.contains(&format!("talk {seconds} ")), "{format}: {out}");
    }
}

#[test]
fn bad_values_name_their_field() {
    let f = format(
        r#"
        name = "e"
        kind = "csv"
        [csv]
        columns = ["start", "duration", "dir"]
        [map]
        start = { field = "start", format = "%Y-%m-%d %H:%M:%S" }
        duration_s = { field = "duration", duration = "mm:ss" }
        end = { derive = "start + duration" }
        direction = { field = "dir", values = { I = "incoming", O = "outgoing" } }
        "#,
    );
    expect![[r#"
        error: field duration: not a duration: "1x:00"
        error: field start: not a time (%Y-%m-%d %H:%M:%S): "2025-13-01 00:00:00"
        error: field start: empty
        error: field dir: unknown value: "X"
        error: field duration: not a duration: "�"
        2025-01-01T00:00:00Z .. 2025-01-01T00:01:00Z answer 2025-01-01T00:00:00Z | talk 60 ring - | unknown answered call
    "#]]
    .assert_eq(&run(
        &f,
        &utc(),
        "2025-01-01 00:00:00,1x:00,I\n2025-13-01 00:00:00,1:00,I\n,1:00,I\n2025-01-01 00:00:00,1:00,X\n2025-01-01 00:00:00,\u{fffd},I\n2025-01-01 00:00:00,1:00,\n",
    ));
    let mut parser = f.parser(&utc());
    let e = parser.parse(b"2025-01-01 00:00:00,\xff,I").unwrap_err();
    assert_eq!(e.to_string(), "field duration: not valid UTF-8: \"\u{fffd}\"");
}

#[test]
fn value_tables_rules_constants_and_dispositions() {
    let f = csv_with(
        r#"start = { field = "a", format = "%s" }
           end = { derive = "start + duration" }
           duration_s = { field = "b", duration = "seconds" }
           kind = { value = "leg" }
           trunk_out = { field = "e", values = { "9" = "PSTN" }, default = "other" }
           [map.direction]
           field = "c"
           values = { I = "incoming", O = "outgoing" }
           when = [{ field = "d", equals = ["1", "Y"], value = "internal" }]
           [map.disposition]
           field = "f"
           values = { B = "busy" }
           default = "by_duration""#,
    );
    expect![[r#"
        1970-01-01T00:00:00Z .. 1970-01-01T00:00:10Z answer 1970-01-01T00:00:00Z | talk 10 ring - | incoming answered leg
          trunk_out=PSTN
          extras: d=0
        1970-01-01T00:00:00Z .. 1970-01-01T00:00:00Z answer - | talk 0 ring - | internal no_answer leg
          trunk_out=other
          extras: d=Y
        1970-01-01T00:00:00Z .. 1970-01-01T00:00:00Z answer - | talk 0 ring - | outgoing busy leg
          trunk_out=other
          extras: d=0
    "#]]
    .assert_eq(&run(&f, &utc(), "0,10,I,0,9,\n0,0,O,Y,7,\n0,0,O,0,,B\n"));
}

#[test]
fn derivations_between_times() {
    let f = csv_with(
        r#"start = { field = "a", format = "%s" }
           ring_s = { field = "b", duration = "seconds" }
           duration_s = { field = "c", duration = "seconds" }
           answer = { derive = "start + ring" }
           end = { derive = "answer + duration + [d]" }"#,
    );
    expect![[r#"
        1970-01-01T00:00:00Z .. 1970-01-01T00:01:15Z answer 1970-01-01T00:00:05Z | talk 60 ring 5 | unknown answered call
          extras: d=10
        error: cannot derive end: answer is unknown
    "#]]
    .assert_eq(&run(&f, &utc(), "0,5,60,10\n0,5,0,\n"));

    let from_times = csv_with(
        r#"start = { field = "a", format = "%s" }
           answer = { field = "b", format = "%s", null_values = ["0"] }
           end = { field = "c", format = "%s" }
           duration_s = { derive = "end - answer" }"#,
    );
    expect![[r#"
        1970-01-01T00:01:40Z .. 1970-01-01T00:03:20Z answer 1970-01-01T00:01:50Z | talk 90 ring 10 | unknown answered call
        1970-01-01T00:01:40Z .. 1970-01-01T00:03:20Z answer - | talk 0 ring - | unknown no_answer call
        error: end 1970-01-01T00:01:40Z is before answer 1970-01-01T00:01:50Z
    "#]]
    .assert_eq(&run(&from_times, &utc(), "100,110,200\n100,0,200\n100,110,100\n"));
}

#[test]
fn identity_from_chosen_fields_or_whole_record() {
    let by_id = format(
        r#"
        name = "id"
        kind = "csv"
        identity = [1]
        ignore = [3]
        [map]
        start = { field = 2, format = "%s" }
        end = { derive = "start + duration" }
        "#,
    );
    let whole = format(
        r#"
        name = "id"
        kind = "csv"
        [map]
        start = { field = 2, format = "%s" }
        end = { derive = "start + duration" }
        "#,
    );
    let identity = |f: &CustomFormat, line: &str| match f.parser(&utc()).parse(line.as_bytes()) {
        Ok(Parsed::Cdr(cdr)) => (cdr.identity, cdr.extras.len()),
        other => panic!("{other:?}"),
    };
    assert_eq!(identity(&by_id, "A,1,x").0, identity(&by_id, "A,1,y").0);
    assert_ne!(identity(&by_id, "A,1,x").0, identity(&by_id, "B,1,x").0);
    assert_eq!(identity(&by_id, "A,1,x").1, 1, "column 3 is ignored, column 1 is an extra");
    assert_ne!(identity(&whole, "A,1,x").0, identity(&whole, "A,1,y").0);
    assert_eq!(identity(&whole, "A,1,x").0, cdr::whole_record("id", b"A,1,x"));
}

fn definition_error(map: &str) -> String {
    let text =
        format!("name = \"t\"\nkind = \"csv\"\n[csv]\ncolumns = [\"a\", \"b\"]\n[map]\n{map}");
    CustomFormat::from_toml(&text).unwrap_err().to_string()
}

const END: &str = "end = { derive = \"start + duration\" }\n";

#[test]
fn definition_errors_say_what_and_where() {
    let cases = [
        (format!("strat = {{ field = \"a\", format = \"%H\" }}\n{END}"), "line 6, column 1: unknown target \"strat\"; targets are: start, answer, end, duration_s, ring_s, direction, disposition, kind, calling, dialled, original_called, final_called, last_redirecting, account_code, auth_code, client_matter, trunk_in, trunk_out, device_orig, device_dest, cause_orig, cause_dest, global_call_id, orig_leg_id, dest_leg_id, orig_conversation_id, dest_conversation_id"),
        (format!("start = {{ field = \"zz\", format = \"%H\" }}\n{END}"), "line 6, column 19: unknown source field \"zz\"; fields are: a, b"),
        (format!("start = {{ field = \"a\", format = \"%J\" }}\n{END}"), "line 6, column 33: map.start: bad time format \"%J\": strftime formatting failed: found unrecognized specifier directive `J`"),
        ("start = { field = \"a\", format = \"%H\" }\n".to_string(), "line 5, column 1: map.end is missing: map it from a field or derive it"),
        ("end = { field = \"a\", format = \"%H\" }\n".to_string(), "line 5, column 1: map.start is missing: map it from a field or derive it"),
        ("start = { field = \"a\", format = \"%H\" }\nend = { derive = \"start + talk\" }\n".to_string(), "line 7, column 18: map.end: unknown term \"talk\": use duration, ring or a [source field] in seconds"),
        (format!("start = {{ derive = \"end - duration\" }}\n{END}"), "line 6, column 9: derived times depend on each other in a circle"),
        ("start = { field = \"a\", format = \"%H\" }\nend = { derive = \"answer + duration\" }\n".to_string(), "line 7, column 7: map.end: derived from answer, which is not mapped"),
        (format!("start = {{ field = \"a\", format = \"%H\" }}\n{END}direction = {{ field = \"b\", values = {{ I = \"inbound\" }} }}\n"), "line 8, column 13: map.direction: unknown direction \"inbound\"; directions are incoming, outgoing, internal, tandem, unknown"),
        (format!("start = {{ field = \"a\", format = \"%H\" }}\n{END}duration_s = {{ field = \"b\", duration = \"weeks\" }}\n"), "line 8, column 40: unknown variant `weeks`, expected one of `seconds`, `hh:mm:ss`, `mm:ss`, `mmm.t`, `mmmt`"),
        (format!("start = {{ field = \"a\", format = \"%H\", number = true }}\n{END}"), "line 6, column 9: map.start: number does not apply here"),
        (format!("start = {{ field = 3, format = \"%H\" }}\n{END}"), "line 6, column 19: column 3 does not exist: there are 2 fields"),
        (format!("start = {{ field = \"a\" }}\n{END}"), "line 6, column 9: map.start: give field and format, or derive"),
    ];
    for (map, expected) in cases {
        assert_eq!(definition_error(&map), expected, "for {map}");
    }
}

#[test]
fn definition_errors_outside_the_map() {
    let cases = [
        (
            "name = \"t\"\nkind = \"regex\"\n[regex]\npattern = \"(?P<a>[0-9]+\"\n[map]\n",
            "line 4, column 11: bad pattern: regex parse error: (?P<a>[0-9]+ ^ error: unclosed group",
        ),
        (
            "name = \"t\"\nkind = \"fixed\"\n[map]\n",
            "line 2, column 8: kind \"fixed\" needs a [fixed] section with fields",
        ),
        (
            "name = \"t\"\nkind = \"xml\"\n[map]\n",
            "line 2, column 8: unknown variant `xml`, expected one of `csv`, `fixed`, `regex`",
        ),
        (
            "name = \"t\"\nkind = \"csv\"\ntime_zone = \"Mars/Olympus\"\n[map]\n",
            "line 3, column 13: unknown time zone \"Mars/Olympus\"",
        ),
        (
            "name = \"t\"\nkind = \"csv\"\nskip = [\"(\"]\n[map]\n",
            "line 3, column 9: bad skip pattern: regex parse error: ( ^ error: unclosed group",
        ),
        (
            "name = \"t\"\nkind = \"csv\"\n[fixed]\nfields = []\n[map]\n",
            "line 3, column 1: section [fixed] does not apply to kind \"csv\"",
        ),
        (
            "name = \"t\"\nkind = \"csv\"\nbogus = 1\n[map]\n",
            "line 3, column 1: unknown field `bogus`, expected one of `name`, `description`, `kind`, `time_zone`, `utc`, `skip`, `csv`, `fixed`, `regex`, `identity`, `ignore`, `map`",
        ),
        ("name = \"t\"\nkind = \"csv\n", "line 2, column 12: invalid basic string, expected `\"`"),
        ("name = \" \"\nkind = \"csv\"\n[map]\n", "line 1, column 8: name is empty"),
    ];
    for (text, expected) in cases {
        assert_eq!(CustomFormat::from_toml(text).unwrap_err().to_string(), expected);
    }
}

#[test]
fn the_example_in_format_md_works() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md")).unwrap();
    let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
    let toml = &doc[start..start + doc[start..].find("```").unwrap()];
    let line = toml.lines().nth(1).unwrap().trim_start_matches("# ");
    let f = format(toml);
    assert_eq!(f.name(), "acme-smdr");
    // 5 March 14:02 GMT; the access code 9 is stripped from the number.
    expect![[r#"
        2025-03-05T14:02:00Z .. 2025-03-05T14:05:27Z answer 2025-03-05T14:02:00Z | talk 207 ring - | outgoing answered call
          calling=203 dialled=01632555018 account_code=4711 trunk_out=T05
    "#]].assert_eq(&parse_one(&f, &ctx("UTC", "2025-07-01T00:00:00Z"), line));
}

/// The language reads a real vendor sample: Asterisk's cdr_csv line (no
/// header; column order from Asterisk's cdr_csv documentation).
#[test]
fn a_definition_reads_the_asterisk_csv_sample() {
    let f = format(
        r#"
        name = "asterisk-csv"
        kind = "csv"
        identity = ["uniqueid"]
        [csv]
        columns = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel",
                   "lastapp", "lastdata", "start", "answer", "end", "duration", "billsec",
                   "disposition", "amaflags", "uniqueid", "userfield"]
        [map]
        start = { field = "start", format = "%Y-%m-%d %H:%M:%S" }
        answer = { field = "answer", format = "%Y-%m-%d %H:%M:%S" }
        end = { field = "end", format = "%Y-%m-%d %H:%M:%S" }
        duration_s = { field = "billsec", duration = "seconds" }
        calling = { field = "src" }
        dialled = { field = "dst" }
        account_code = { field = "accountcode" }
        device_orig = { field = "channel" }
        device_dest = { field = "dstchannel" }
        orig_leg_id = { field = "uniqueid" }
        disposition = { field = "disposition", values = { ANSWERED = "answered", "NO ANSWER" = "no_answer", BUSY = "busy", FAILED = "failed" } }
        "#,
    );
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/asterisk/Master.csv"
    ))
    .unwrap();
    expect![[r#"
        2010-04-02T00:26:32Z .. 2010-04-02T00:26:39Z answer 2010-04-02T00:26:32Z | talk 7 ring 0 | unknown answered call
          dialled=1 device_orig=Console/dsp orig_leg_id=1270167992.0
          extras: dcontext=default; lastapp=Hangup; duration=7; amaflags=DOCUMENTATION
    "#]].assert_eq(&run(&f, &ctx("UTC", "2025-07-01T00:00:00Z"), &sample));
}
