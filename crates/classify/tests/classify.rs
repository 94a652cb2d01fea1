//! Data-driven tests: `fixtures/calls.txt` lists calls of the sites of
//! `fixtures/directory.txt` (plans in `fixtures/dialplans.toml`) with the
//! classification each must get.

use cdr::Direction;
use classify::{
    CallType, Classification, Classifier, DialPlan, DialPlansFile, NoExtensions, Service,
    SiteCodes, SiteId,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const DIRECTORY: &str = include_str!("fixtures/directory.txt");
const DIAL_PLANS: &str = include_str!("fixtures/dialplans.toml");
const CALLS: &str = include_str!("fixtures/calls.txt");

struct Site {
    id: SiteId,
    name: String,
    country_code: String,
    area_code: String,
}

struct Organisation {
    sites: Vec<Site>,
    extensions: HashMap<String, SiteId>,
    classifier: Classifier,
}

impl Organisation {
    fn load() -> Organisation {
        let mut sites = Vec::new();
        let mut extensions = HashMap::new();
        for line in rows(DIRECTORY) {
            let [id, name, country_code, area_code, ranges] = fields(line);
            let id: SiteId = id.parse().expect("site id");
            for range in ranges.split_whitespace() {
                let (first, last) = range.split_once('-').expect("first-last");
                let (first, last): (u32, u32) = (first.parse().unwrap(), last.parse().unwrap());
                for number in first..=last {
                    extensions.insert(number.to_string(), id);
                }
            }
            sites.push(Site {
                id,
                name: name.into(),
                country_code: country_code.into(),
                area_code: area_code.into(),
            });
        }
        let codes: Vec<SiteCodes<'_>> = sites
            .iter()
            .map(|s| SiteCodes {
                id: s.id,
                name: &s.name,
                country_code: &s.country_code,
                area_code: &s.area_code,
            })
            .collect();
        let file = DialPlansFile::parse(DIAL_PLANS).expect("dial plans parse");
        let classifier = Classifier::from_file(&file, &codes).expect("dial plans resolve");
        Organisation { sites, extensions, classifier }
    }

    fn site(&self, name: &str) -> &Site {
        self.sites.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("site {name}"))
    }

    fn classify(&self, site: &str, direction: Direction, number: &str) -> Classification {
        let lookup = |n: &str| self.extensions.get(n).copied();
        self.classifier.classify(Some(self.site(site).id), direction, number, &lookup)
    }
}

fn rows(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

fn fields<const N: usize>(line: &str) -> [&str; N] {
    let parts: Vec<&str> = line.split('|').map(str::trim).collect();
    parts.try_into().unwrap_or_else(|_| panic!("expected {N} fields: {line}"))
}

fn direction(name: &str) -> Direction {
    match name {
        "out" => Direction::Outgoing,
        "in" => Direction::Incoming,
        "int" => Direction::Internal,
        "tandem" => Direction::Tandem,
        "unknown" => Direction::Unknown,
        other => panic!("direction {other}"),
    }
}

/// The `expected` column's notation.
fn render(c: &Classification) -> String {
    let mut text = c.call_type.to_string();
    if c.service != Service::Ordinary {
        text += &format!(" ({})", c.service.as_str());
    }
    if let Some(reason) = c.reason {
        text += &format!(" ({reason})");
    }
    if let Some(site) = c.extension_site {
        text += &format!(" @{site}");
    }
    text
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

#[test]
fn fixture_calls_classify_as_listed() {
    let org = Organisation::load();
    let mut failures = Vec::new();
    let mut count = 0;
    for (index, line) in CALLS.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        count += 1;
        let [site, dir, number, expected, e164, destination] = fields(line);
        let got = org.classify(site, direction(dir), number);
        let got_destination = got.destination.map(|d| d.name.as_str()).unwrap_or("-");
        let actual = (render(&got), or_dash(&got.e164).to_owned(), got_destination.to_owned());
        let wanted = (expected.to_owned(), e164.to_owned(), destination.to_owned());
        if actual != wanted {
            failures.push(format!(
                "calls.txt:{}: {site} {dir} {number:?}\n   want {wanted:?}\n    got {actual:?}",
                index + 1
            ));
        }
    }
    assert!(count > 100, "{count} fixture calls");
    assert!(failures.is_empty(), "{} of {count} failed:\n{}", failures.len(), failures.join("\n"));
}

/// Each preset's site has fixtures for every call type (the NANP has no
/// separate mobile numbers).
#[test]
fn fixtures_cover_every_call_type_for_each_preset() {
    let mut covered: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for line in rows(CALLS) {
        let [site, _, _, expected, _, _] = fields(line);
        let call_type = expected.split_whitespace().next().unwrap_or_default();
        assert!(CallType::parse(call_type).is_some(), "{line}");
        covered.entry(site).or_default().insert(call_type);
    }
    for site in ["Beijing", "Paris", "London", "Berlin", "New York"] {
        let missing: Vec<&str> = CallType::ALL
            .iter()
            .map(|t| t.as_str())
            .filter(|t| !covered[site].contains(t))
            .filter(|t| !(site == "New York" && *t == "mobile"))
            .collect();
        assert!(missing.is_empty(), "{site} lacks fixtures for {missing:?}");
    }
}

#[test]
fn destinations_carry_chinese_names() {
    let org = Organisation::load();
    let call = org.classify("Paris", Direction::Outgoing, "0 00 86 10 6234 5678");
    let destination = call.destination.expect("destination");
    assert_eq!(destination.name_zh, "中国 / 北京");
    assert_eq!(
        (destination.country.as_str(), destination.region.as_deref()),
        ("China", Some("Beijing"))
    );
    let call = org.classify("Beijing", Direction::Outgoing, "0 00 44 161 496 0000");
    assert_eq!(call.destination.map(|d| d.name_zh.as_str()), Some("英国 / 曼彻斯特"));
}

/// The example in DIALPLAN.md is a valid file.
#[test]
fn documented_example_parses() {
    let doc = include_str!("../DIALPLAN.md");
    let start = doc.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed");
    let file = DialPlansFile::parse(&doc[start..end]).expect("example parses");
    for (name, config) in &file.sites {
        config.clone().resolve().unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    file.default.expect("example has a default").resolve().expect("default resolves");
}

proptest! {
    /// Classification returns for any string, site and direction.
    #[test]
    fn never_panics(number in "\\PC{0,40}", site in 0i64..12, dir in 0u8..5) {
        let org = Organisation::load_cached();
        let lookup = |n: &str| org.extensions.get(n).copied();
        let _ = org.classifier.classify(Some(site), Direction::from_code(dir), &number, &lookup);
    }

    /// Dial-string-like input (digits, separators, + * #) exercises the
    /// number rules rather than the character check.
    #[test]
    fn never_panics_on_dial_strings(number in "[0-9+*# ()-]{0,36}", site in 1i64..10, dir in 0u8..5) {
        let org = Organisation::load_cached();
        let lookup = |n: &str| org.extensions.get(n).copied();
        let c = org.classifier.classify(Some(site), Direction::from_code(dir), &number, &lookup);
        // An E.164 number is + and at most 15 digits.
        prop_assert!(c.e164.is_empty() || (c.e164.starts_with('+') && c.e164.len() <= 16));
        prop_assert_eq!(c.reason.is_some(), c.call_type == CallType::Unknown);
    }
}

impl Organisation {
    fn load_cached() -> &'static Organisation {
        static ORG: std::sync::OnceLock<Organisation> = std::sync::OnceLock::new();
        ORG.get_or_init(Organisation::load)
    }
}

#[test]
fn default_plan_serves_sites_without_their_own() {
    let file = DialPlansFile::parse("[default]\npreset = \"cn\"\n").unwrap();
    let sites = [SiteCodes { id: 1, name: "Shenzhen", country_code: "86", area_code: "755" }];
    let classifier = Classifier::from_file(&file, &sites).unwrap();
    let local = classifier.classify(Some(1), Direction::Outgoing, "86012345", &NoExtensions);
    assert_eq!((local.call_type, local.e164.as_str()), (CallType::Local, "+8675586012345"));
    // A site the classifier has never heard of, or no site, gets the
    // default plan without area code: the same number has no E.164 form.
    for site in [Some(42), None] {
        let local = classifier.classify(site, Direction::Outgoing, "86012345", &NoExtensions);
        assert_eq!((local.call_type, local.e164.as_str()), (CallType::Local, ""));
        let mobile = classifier.classify(site, Direction::Outgoing, "13912345678", &NoExtensions);
        assert_eq!(mobile.call_type, CallType::Mobile);
    }
}

#[test]
fn one_classifier_serves_many_threads() {
    let mut classifier = Classifier::new();
    classifier.add_site(1, &DialPlan::preset("fr", "1").unwrap());
    let classifier = &classifier;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(move || {
                    classifier.classify(Some(1), Direction::Outgoing, "0612345678", &NoExtensions)
                })
            })
            .collect();
        for worker in workers {
            assert_eq!(worker.join().unwrap().call_type, CallType::Mobile);
        }
    });
}
