//! mod_cdr_csv templates: text with `${variable}` placeholders, one line per
//! call. mod_cdr_csv substitutes values without escaping them, so a line is
//! read by matching it against its template's literal text rather than as
//! general CSV.

/// The templates of FreeSWITCH's stock `cdr_csv.conf.xml` (conf/vanilla),
/// plus `default`, the template compiled into mod_cdr_csv and used when the
/// configuration names none. The vanilla configuration selects `example`.
const PRESETS: &[(&str, &str)] = &[
    (
        "default",
        r#""${caller_id_name}","${caller_id_number}","${destination_number}","${context}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${uuid}","${bleg_uuid}", "${accountcode}""#,
    ),
    (
        "example",
        r#""${caller_id_name}","${caller_id_number}","${destination_number}","${context}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${uuid}","${bleg_uuid}","${accountcode}","${read_codec}","${write_codec}""#,
    ),
    (
        "sql",
        r#"INSERT INTO cdr VALUES ("${caller_id_name}","${caller_id_number}","${destination_number}","${context}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${uuid}","${bleg_uuid}", "${accountcode}");"#,
    ),
    (
        "snom",
        r#""${caller_id_name}","${caller_id_number}","${destination_number}","${context}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${uuid}","${bleg_uuid}", "${accountcode}","${read_codec}","${write_codec}","${sip_user_agent}","${call_clientcode}","${sip_rtp_rxstat}","${sip_rtp_txstat}","${sofia_record_file}""#,
    ),
    (
        "linksys",
        r#""${caller_id_name}","${caller_id_number}","${destination_number}","${context}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${uuid}","${bleg_uuid}","${accountcode}","${read_codec}","${write_codec}","${sip_user_agent}","${sip_p_rtp_stat}""#,
    ),
    (
        "asterisk",
        r#""${accountcode}","${caller_id_number}","${destination_number}","${context}","${caller_id}","${channel_name}","${bridge_channel}","${last_app}","${last_arg}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${amaflags}","${uuid}","${userfield}""#,
    ),
    (
        "opencdrrate",
        r#""${uuid}","${signal_bond}","${direction}","${ani}","${destination_number}","${answer_stamp}","${end_stamp}","${billsec}","${accountcode}","${userfield}","${network_addr}","${regex('${original_caller_id_name}'|^.)}","${sip_gateway_name}""#,
    ),
];

/// Variables that can give a call's end; a template needs one of them.
const END_VARIABLES: [&str; 3] = ["end_stamp", "end_epoch", "end_uepoch"];

/// A parsed mod_cdr_csv template: `literals[0] ${variables[0]} literals[1]
/// … ${variables[n-1]} literals[n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvTemplate {
    literals: Vec<String>,
    variables: Vec<String>,
}

impl CsvTemplate {
    /// Parses a template as written in `cdr_csv.conf.xml` (a trailing line
    /// break is ignored: mod_cdr_csv adds one if missing). A placeholder's
    /// name is everything between `${` and its matching `}`, so expressions
    /// such as `${regex(…)}` become columns named by their text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim_end_matches(['\r', '\n']);
        let mut literals = Vec::new();
        let mut variables: Vec<String> = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            literal.push_str(&rest[..open]);
            let inner = &rest[open + 2..];
            let close = matching_brace(inner)
                .ok_or_else(|| format!("unterminated placeholder: {:?}", &rest[open..]))?;
            let name = &inner[..close];
            if name.is_empty() {
                return Err("empty placeholder \"${}\"".to_string());
            }
            if let Some(previous) = variables.last().filter(|_| literal.is_empty()) {
                return Err(format!(
                    "nothing separates ${{{previous}}} from ${{{name}}}, so their values cannot be told apart"
                ));
            }
            literals.push(std::mem::take(&mut literal));
            variables.push(name.to_string());
            rest = &inner[close + 1..];
        }
        literal.push_str(rest);
        literals.push(literal);
        if variables.is_empty() {
            return Err("template has no ${variable}".to_string());
        }
        if !variables.iter().any(|v| END_VARIABLES.contains(&v.as_str())) {
            return Err(
                "template has no end time: needs ${end_stamp}, ${end_epoch} or ${end_uepoch}"
                    .to_string(),
            );
        }
        Ok(CsvTemplate { literals, variables })
    }

    /// One of the templates FreeSWITCH ships: `default`, `example`, `sql`,
    /// `snom`, `linksys`, `asterisk`, `opencdrrate`.
    pub fn preset(name: &str) -> Option<Self> {
        PRESETS.iter().find(|(n, _)| *n == name).and_then(|(_, text)| Self::parse(text).ok())
    }

    /// Names of the shipped presets.
    pub fn preset_names() -> impl Iterator<Item = &'static str> {
        PRESETS.iter().map(|(name, _)| *name)
    }

    /// The variables in column order.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Cuts a record into one value per variable. Each value runs to the
    /// first occurrence of the literal that follows it; the last value runs
    /// to the closing literal at the end of the record.
    pub(crate) fn split<'r>(&self, record: &'r [u8]) -> Result<Vec<&'r [u8]>, String> {
        let expected = self.variables.len();
        let mut values = Vec::with_capacity(expected);
        let opening = self.literals.first().map_or("", String::as_str);
        let closing = self.literals.last().map_or("", String::as_str);
        let mut rest = record
            .strip_prefix(opening.as_bytes())
            .ok_or_else(|| format!("expected the record to start with {opening:?}"))?;
        let separators = self.literals.get(1..expected).unwrap_or_default();
        for separator in separators {
            let at = find(rest, separator.as_bytes())
                .ok_or_else(|| format!("expected {expected} columns, got {}", values.len() + 1))?;
            values.push(rest.get(..at).unwrap_or_default());
            rest = rest.get(at + separator.len()..).unwrap_or_default();
        }
        let last = rest
            .strip_suffix(closing.as_bytes())
            .ok_or_else(|| format!("expected the record to end with {closing:?}"))?;
        // A record with more columns than the template leaves the extra
        // separators inside the last value.
        if let Some(separator) = separators.last().filter(|s| s.len() > 1) {
            let extra = count(last, separator.as_bytes());
            if extra > 0 {
                return Err(format!("expected {expected} columns, got {}", expected + extra));
            }
        }
        values.push(last);
        Ok(values)
    }
}

/// Index of the `}` closing a placeholder whose `${` was just consumed,
/// allowing nested braces.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, tail)) = needle.split_first() else { return Some(0) };
    let mut from = 0;
    // Jump between occurrences of the first byte (the `"` of `","`).
    while let Some(offset) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let at = from + offset;
        if haystack.get(at + 1..at + needle.len()) == Some(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = haystack;
    while let Some(at) = find(rest, needle) {
        n += 1;
        rest = rest.get(at + needle.len()..).unwrap_or_default();
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses() {
        for name in CsvTemplate::preset_names() {
            assert!(CsvTemplate::preset(name).is_some(), "{name}");
        }
        assert_eq!(CsvTemplate::preset("example").unwrap().variables().len(), 15);
        assert_eq!(CsvTemplate::preset("asterisk").unwrap().variables().len(), 18);
        assert_eq!(
            CsvTemplate::preset("opencdrrate").unwrap().variables()[11],
            "regex('${original_caller_id_name}'|^.)"
        );
        assert_eq!(CsvTemplate::preset("nope"), None);
    }

    #[test]
    fn bad_templates_say_why() {
        let err = |t: &str| CsvTemplate::parse(t).unwrap_err();
        assert_eq!(err("\"${end_stamp\""), r#"unterminated placeholder: "${end_stamp\"""#);
        assert_eq!(err("${}"), r#"empty placeholder "${}""#);
        assert_eq!(
            err("${uuid}${end_stamp}"),
            "nothing separates ${uuid} from ${end_stamp}, so their values cannot be told apart"
        );
        assert_eq!(err("plain text"), "template has no ${variable}");
        assert_eq!(
            err("\"${uuid}\""),
            "template has no end time: needs ${end_stamp}, ${end_epoch} or ${end_uepoch}"
        );
    }

    #[test]
    fn split_follows_the_literals() {
        let t = CsvTemplate::parse("X(\"${a}\", \"${end_stamp}\");\n").unwrap();
        let values = t.split(br#"X("1,2", "3");"#).unwrap();
        assert_eq!(values, vec![&b"1,2"[..], &b"3"[..]]);
        assert_eq!(t.split(b"Y").unwrap_err(), r#"expected the record to start with "X(\"""#);
        assert_eq!(t.split(br#"X("1","2");"#).unwrap_err(), "expected 2 columns, got 1");
        assert_eq!(
            t.split(br#"X("1", "2")"#).unwrap_err(),
            r#"expected the record to end with "\");""#
        );
        assert_eq!(t.split(br#"X("1", "2", "3");"#).unwrap_err(), "expected 2 columns, got 3");
    }
}
