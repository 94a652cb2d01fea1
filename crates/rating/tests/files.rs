//! Loading errors (located, explicit) and export → load round trips.

use jiff::Timestamp;
use rating::{Call, TariffBook};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tariffs.toml");

/// A one-carrier book with `version_extra` added to the version table and
/// `destination` as its destination.
fn book_text(version_extra: &str, destination: &str) -> String {
    format!(
        r#"format = 1

[[carrier]]
name = "Acme"

[[carrier.version]]
id = "v1"
valid_from = 2025-01-01
currency = "EUR"
time_zone = "Europe/Paris"
crossing = "start"
rounding = {{ at = "per_call", mode = "half_up", decimals = 2 }}
{version_extra}
[[carrier.version.band]]
name = "all"

[[carrier.version.destination]]
{destination}
"#
    )
}

const GOOD_DESTINATION: &str = r#"name = "France"
prefixes = ["33"]
rates.all = { first_seconds = 60, first_price = "0.10", increment_seconds = 60, increment_price = "0.10" }"#;

fn load_error(text: &str) -> String {
    TariffBook::from_toml_str(text).unwrap_err().to_string()
}

#[test]
fn good_book_loads() {
    let book = TariffBook::from_toml_str(&book_text("", GOOD_DESTINATION)).unwrap();
    assert_eq!(book.prefix_count(), 1);
}

#[test]
fn errors_name_the_line_and_the_tariff_part() {
    assert_eq!(
        load_error(&book_text("", &GOOD_DESTINATION.replace("\"0.10\" }", "0.10 }"))),
        "<tariffs>:20: write amounts as strings (\"0.1\"): floating-point numbers are not exact"
    );
    assert_eq!(
        load_error(&book_text("", &GOOD_DESTINATION.replace("rates.all", "rates.peak"))),
        r#"<tariffs>:18: carrier "Acme" version "v1" destination "France": rates.peak: "peak" is not a declared band (or "all")"#
    );
    assert_eq!(
        load_error(&book_text(
            "",
            &GOOD_DESTINATION.replace("increment_seconds = 60", "increment_seconds = 0")
        )),
        r#"<tariffs>:18: carrier "Acme" version "v1" destination "France": rates.all: first_seconds and increment_seconds must be at least 1"#
    );
    assert_eq!(
        load_error(&book_text("", &GOOD_DESTINATION.replace("[\"33\"]", "[\"33\", \"3x\"]"))),
        r#"<tariffs>:18: carrier "Acme" version "v1" destination "France": not a prefix (1 to 16 digits): "3x""#
    );
    assert_eq!(
        load_error(&book_text("", &GOOD_DESTINATION.replace("[\"33\"]", "[\"33\", \"33\"]"))),
        r#"<tariffs>:7: carrier "Acme" version "v1": prefix 33 is listed twice: destination "France" and destination "France""#
    );
    assert_eq!(
        load_error(&book_text("", GOOD_DESTINATION).replace("Europe/Paris", "Europe/Pariss")),
        r#"<tariffs>:7: carrier "Acme" version "v1": unknown IANA time zone: "Europe/Pariss" (e.g. "Europe/Paris")"#
    );
    assert_eq!(
        load_error(&book_text("default_band = \"peak\"\n", GOOD_DESTINATION)),
        r#"<tariffs>:7: carrier "Acme" version "v1": default_band "peak" is not a declared band"#
    );
    assert_eq!(
        load_error(&book_text("holidays = [\"FR\"]\nholiday_band = \"all\"\n", GOOD_DESTINATION)),
        r#"<tariffs>:7: carrier "Acme" version "v1": holiday calendar "FR" is not declared"#
    );
    assert_eq!(
        load_error(&book_text("prefixes_csv = \"p.csv\"\n", GOOD_DESTINATION)),
        r#"<tariffs>:7: carrier "Acme" version "v1": prefixes_csv "p.csv" needs a file: load the book from a path"#
    );
    assert_eq!(
        load_error(&book_text("", GOOD_DESTINATION).replace("EUR", "euro")),
        r#"<tariffs>:7: carrier "Acme" version "v1": not an ISO currency code: "euro" (e.g. "EUR")"#
    );
    assert_eq!(
        load_error(&book_text("colour = \"blue\"\n", GOOD_DESTINATION)),
        "<tariffs>:13: unknown field `colour`, expected one of `id`, `valid_from`, `currency`, `time_zone`, `crossing`, `rounding`, `default_band`, `holiday_band`, `holidays`, `discounts`, `bundles`, `prefixes_csv`, `band`, `destination`"
    );
}

#[test]
fn band_without_rate_is_refused() {
    let text = book_text("default_band = \"all\"\n", GOOD_DESTINATION).replace(
        "[[carrier.version.band]]\nname = \"all\"",
        "[[carrier.version.band]]\nname = \"all\"\n\n[[carrier.version.band]]\nname = \"peak\"\nwhen = [{ days = \"mon-fri\", from = \"08:00\", to = \"19:00\" }]",
    );
    let text = text.replace("rates.all", "rates.peak");
    assert_eq!(
        load_error(&text),
        r#"<tariffs>:23: carrier "Acme" version "v1" destination "France": no rate for band "all" (and no rates.all)"#
    );
}

#[test]
fn csv_errors_name_the_csv_line() {
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rating-csv-errors");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("tariffs.toml"),
        book_text("prefixes_csv = \"p.csv\"\n", GOOD_DESTINATION),
    )
    .unwrap();
    std::fs::write(folder.join("p.csv"), "prefix,destination\n34,France\n35,Spain\n").unwrap();
    let error = TariffBook::load(folder.join("tariffs.toml")).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            r#"{}:3: carrier "Acme" version "v1": destination "Spain" is not declared in the TOML"#,
            folder.join("p.csv").display()
        )
    );
}

fn sample_prices(book: &TariffBook) -> Vec<String> {
    let starts = ["2025-03-03T18:58:00+01:00", "2025-10-26T00:30:00Z", "2025-12-25T10:00:00+01:00"];
    let mut out = Vec::new();
    for carrier in book.carriers() {
        let id = book.carrier_id(carrier.name()).unwrap();
        for number in ["33612345678", "3389123", "1555", "2555", "4420", "41761234567"] {
            for start in starts {
                let call = Call {
                    carrier: id,
                    number,
                    start: start.parse::<Timestamp>().unwrap(),
                    duration_s: 187,
                    site_holidays: None,
                };
                out.push(match book.price(&call) {
                    Ok(p) => format!("{} {} {}", p.cost, p.currency, p.version_id),
                    Err(e) => e.to_string(),
                });
            }
        }
    }
    out
}

#[test]
fn toml_round_trip() {
    let book = TariffBook::load(FIXTURE).unwrap();
    let text = book.to_toml_string();
    let again = TariffBook::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again.to_toml_string(), text);
    assert_eq!(sample_prices(&again), sample_prices(&book));
}

#[test]
fn export_with_csv_round_trip() {
    // A version with more than INLINE_PREFIX_LIMIT prefixes goes to CSV.
    let many: Vec<String> = (0..200).map(|i| format!("\"9{i:03}\"")).collect();
    let destination = format!(
        "{GOOD_DESTINATION}\n\n[[carrier.version.destination]]\nname = \"Many\"\nprefixes = [{}]\nrates.all = {{ first_seconds = 1, first_price = \"0.001\", increment_seconds = 1, increment_price = \"0.001\" }}",
        many.join(", ")
    );
    let book = TariffBook::from_toml_str(&book_text("", &destination)).unwrap();
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rating-export");
    let _ = std::fs::remove_dir_all(&folder);
    let path = book.export(&folder).unwrap();
    let exported = std::fs::read_to_string(&path).unwrap();
    assert!(exported.contains("prefixes_csv = \"prefixes/c0-v0.csv\""), "{exported}");
    let csv = std::fs::read_to_string(folder.join("prefixes/c0-v0.csv")).unwrap();
    assert_eq!(
        csv.lines().take(3).collect::<Vec<_>>(),
        ["prefix,destination", "33,France", "9000,Many"]
    );
    let again = TariffBook::load(&path).unwrap();
    assert_eq!(again.prefix_count(), 201);
    assert_eq!(again.to_toml_string(), book.to_toml_string());

    // The fixture book, exported with its CSV-backed carrier, reloads the same.
    let fixture = TariffBook::load(FIXTURE).unwrap();
    let path = fixture.export(&folder.join("fixture")).unwrap();
    let reloaded = TariffBook::load(&path).unwrap();
    assert_eq!(reloaded.to_toml_string(), fixture.to_toml_string());
    assert_eq!(sample_prices(&reloaded), sample_prices(&fixture));
}

#[test]
fn stepped_rates_load_and_are_checked() {
    let stepped = r#"name = "France"
prefixes = ["33"]
rates.all = { connect_fee = "0.1", steps = [{ from_seconds = 0, increment_seconds = 60, price = "0.2", per_seconds = 60 }, { from_seconds = 60, increment_seconds = 1, price = "0.1", per_seconds = 60 }] }"#;
    let book = TariffBook::from_toml_str(&book_text("", stepped)).unwrap();
    let call = Call {
        carrier: book.carrier_id("Acme").unwrap(),
        number: "331",
        start: "2025-03-03T12:00:00Z".parse::<Timestamp>().unwrap(),
        duration_s: 90,
        site_holidays: None,
    };
    // 60 s at 0.2 per 60 s, then 30 × 1 s at 0.1 per 60 s = 0.05;
    // 0.1 + 0.2 + 0.05 = 0.35.
    assert_eq!(book.price(&call).unwrap().cost.to_string(), "0.35");
    assert_eq!(
        load_error(&book_text("", &stepped.replace("from_seconds = 0", "from_seconds = 5"))),
        r#"<tariffs>:18: carrier "Acme" version "v1" destination "France": rates.all: steps[0]: from_seconds 5 must be 0 for the first step and increase after"#
    );
    assert_eq!(
        load_error(&book_text(
            "",
            &stepped.replace("connect_fee = \"0.1\",", "first_seconds = 1, connect_fee = \"0.1\",")
        )),
        r#"<tariffs>:18: carrier "Acme" version "v1" destination "France": rates.all: give either steps or first_seconds, first_price, increment_seconds and increment_price, not both"#
    );
    assert_eq!(
        load_error(&book_text("", &GOOD_DESTINATION.replace("first_seconds = 60, ", ""))),
        r#"<tariffs>:18: carrier "Acme" version "v1" destination "France": rates.all: needs first_seconds, first_price, increment_seconds and increment_price (or steps)"#
    );
}
