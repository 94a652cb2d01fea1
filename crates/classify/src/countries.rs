//! The shipped table of country calling codes and the destinations they
//! name (`data/country_codes.txt`, from the ITU-T E.164 assignment list; see
//! the file's header for its sources and format).

use crate::trie::DigitTrie;
use std::sync::OnceLock;

const TABLE_TEXT: &str = include_str!("../data/country_codes.txt");

/// Where a number leads: a country (or territory, or international
/// service) and, when the table knows it, a region of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The matched prefix, digits only (`8610`).
    pub prefix: String,
    /// The country calling code the prefix starts with (`86`).
    pub country_code: String,
    /// The prefix that identifies the country or territory itself: the
    /// country code, or a longer prefix for a territory that shares it
    /// (`1242` for the Bahamas).
    pub country_prefix: String,
    pub country: String,
    pub country_zh: String,
    pub region: Option<String>,
    pub region_zh: Option<String>,
    /// `China / Beijing`, or `China`.
    pub name: String,
    /// `中国 / 北京`, or `中国`.
    pub name_zh: String,
}

/// The parsed table, with its lookup trie.
#[derive(Debug)]
pub struct CountryTable {
    destinations: Vec<Destination>,
    by_prefix: DigitTrie<u32>,
    /// The rows that are exactly a country code, for checking dial plans.
    by_code: DigitTrie<u32>,
}

impl CountryTable {
    /// The table shipped with the crate, parsed on first use.
    pub fn shipped() -> &'static CountryTable {
        static TABLE: OnceLock<CountryTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            CountryTable::parse(TABLE_TEXT).expect("the shipped country table is well formed")
        })
    }

    /// The destination of the longest prefix of `digits` (an E.164 number
    /// without its `+`), with the length of its country code.
    #[inline]
    pub fn lookup(&self, digits: &str) -> Option<&Destination> {
        let (_, index) = self.by_prefix.longest(digits.as_bytes())?;
        self.destinations.get(index as usize)
    }

    /// The country whose calling code is exactly `code`.
    pub fn country(&self, code: &str) -> Option<&Destination> {
        let index = self.by_code.exact(code.as_bytes())?;
        self.destinations.get(index as usize)
    }

    pub fn destinations(&self) -> &[Destination] {
        &self.destinations
    }

    fn parse(text: &str) -> Result<CountryTable, String> {
        let mut destinations = Vec::new();
        let mut by_prefix = DigitTrie::default();
        let mut by_code = DigitTrie::default();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let row = parse_row(line).map_err(|e| format!("line {}: {e}", index + 1))?;
            let at = destinations.len() as u32;
            by_prefix.insert(row.prefix.as_bytes(), at);
            if row.prefix == row.country_code {
                by_code.insert(row.prefix.as_bytes(), at);
            }
            destinations.push(row);
        }
        Ok(CountryTable { destinations, by_prefix, by_code })
    }
}

fn parse_row(line: &str) -> Result<Destination, String> {
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    let (code_field, country, country_zh, region, region_zh) = match fields.as_slice() {
        [code, en, zh] => (*code, *en, *zh, None, None),
        [code, en, zh, region, region_zh] => (*code, *en, *zh, Some(*region), Some(*region_zh)),
        _ => return Err(format!("expected 3 or 5 fields: {line:?}")),
    };
    let mut groups = code_field.split_whitespace();
    let country_code = groups.next().unwrap_or_default();
    let more: String = groups.collect();
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if country_code.is_empty() || !all_digits(country_code) || !all_digits(&more) {
        return Err(format!("not a prefix: {code_field:?}"));
    }
    let prefix = format!("{country_code}{more}");
    let country_prefix = if region.is_some() { country_code.to_owned() } else { prefix.clone() };
    let (name, name_zh) = match (region, region_zh) {
        (Some(r), Some(rz)) => (format!("{country} / {r}"), format!("{country_zh} / {rz}")),
        _ => (country.to_owned(), country_zh.to_owned()),
    };
    Ok(Destination {
        prefix,
        country_code: country_code.to_owned(),
        country_prefix,
        country: country.to_owned(),
        country_zh: country_zh.to_owned(),
        region: region.map(str::to_owned),
        region_zh: region_zh.map(str::to_owned),
        name,
        name_zh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_names_the_destination() {
        let table = CountryTable::shipped();
        let name = |digits: &str| table.lookup(digits).map(|d| d.name.as_str());
        assert_eq!(name("861012345678"), Some("China / Beijing"));
        assert_eq!(name("8657112345678"), Some("China / Hangzhou"));
        assert_eq!(name("8637112345678"), Some("China"));
        assert_eq!(name("12125551234"), Some("NANP: United States/Canada"));
        assert_eq!(name("12423221234"), Some("Bahamas"));
        assert_eq!(name("390669812345"), Some("Vatican City"));
        assert_eq!(name("77012345678"), Some("Kazakhstan"));
        assert_eq!(name("281234"), None);
        let bahamas = table.lookup("12423221234").unwrap();
        assert_eq!((bahamas.country_code.as_str(), bahamas.country_prefix.as_str()), ("1", "1242"));
        let beijing = table.lookup("861012345678").unwrap();
        assert_eq!(beijing.country_prefix, "86");
        assert_eq!(beijing.name_zh, "中国 / 北京");
    }

    #[test]
    fn every_country_code_is_listed_once() {
        let table = CountryTable::shipped();
        let codes: Vec<&str> = table
            .destinations()
            .iter()
            .filter(|d| d.prefix == d.country_code)
            .map(|d| d.prefix.as_str())
            .collect();
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(codes.len(), unique.len(), "a country code is listed twice");
        // Every code is 1 to 3 digits and no code is a prefix of another
        // (E.164 country codes form a prefix-free set), except the longer
        // rows that share a code.
        for code in &codes {
            assert!((1..=3).contains(&code.len()), "{code}");
            for other in &codes {
                assert!(other == code || !other.starts_with(code), "{code} prefixes {other}");
            }
        }
        assert_eq!(table.country("44").map(|d| d.name_zh.as_str()), Some("英国"));
        assert_eq!(table.country("28"), None);
        assert!(codes.len() > 200, "{}", codes.len());
    }

    #[test]
    fn rows_are_checked() {
        assert!(CountryTable::parse("86 | China").is_err());
        assert!(CountryTable::parse("8x | China | 中国").is_err());
    }
}
