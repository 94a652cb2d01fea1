//! The console's files read as text: nothing loaded from the internet, no
//! inline script or style (the CSP forbids them), both dictionaries with the
//! same keys and placeholders, every key the pages use present, every key
//! used, every import resolving, every data-test name in place.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use webconsole::Assets;

/// Every text asset: (path, content).
fn texts() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Assets::iter()
        .filter(|path| [".html", ".css", ".js"].iter().any(|ext| path.ends_with(ext)))
        .map(|path| {
            let file = Assets::get(&path).unwrap();
            let text = String::from_utf8(file.data.into_owned())
                .unwrap_or_else(|_| panic!("{path} is not UTF-8"));
            (path.into_owned(), text)
        })
        .collect();
    out.sort();
    assert!(out.len() > 15, "only {} text assets", out.len());
    out
}

fn text(path: &str) -> String {
    String::from_utf8(Assets::get(path).unwrap_or_else(|| panic!("no {path}")).data.into_owned())
        .unwrap()
}

fn is_dictionary(path: &str) -> bool {
    path.starts_with("js/i18n/")
}

/// The text without HTML comments, so a name only listed in the comment at
/// the top of index.html does not count as used.
fn without_html_comments(html: &str) -> String {
    Regex::new(r"(?s)<!--.*?-->").unwrap().replace_all(html, "").into_owned()
}

#[test]
fn nothing_is_loaded_from_the_internet() {
    let protocol_relative =
        Regex::new(r#"(?i)(src|href|action)\s*=\s*["']?//|url\(\s*["']?//|import\s*\(?\s*["']//"#)
            .unwrap();
    for (path, content) in texts() {
        let lower = content.to_lowercase();
        assert!(!lower.contains("http://"), "{path} refers to an http:// URL");
        assert!(!lower.contains("https://"), "{path} refers to an https:// URL");
        assert!(!protocol_relative.is_match(&content), "{path} refers to a protocol-relative URL");
    }
}

#[test]
fn index_html_has_no_inline_script_style_or_handlers() {
    let html = without_html_comments(&text("index.html"));
    let inline_script = Regex::new(r"(?i)<script(?:\s[^>]*)?>").unwrap();
    for tag in inline_script.find_iter(&html) {
        assert!(tag.as_str().contains("src="), "inline script: {}", tag.as_str());
    }
    assert!(!html.to_lowercase().contains("<style"), "a <style> block");
    assert!(!Regex::new(r#"(?i)\sstyle\s*="#).unwrap().is_match(&html), "a style= attribute");
    assert!(!Regex::new(r#"(?i)\son[a-z]+\s*="#).unwrap().is_match(&html), "an on…= handler");
    for (path, content) in texts() {
        if path.ends_with(".js") {
            assert!(!content.contains("setAttribute(\"style\""), "{path} sets a style attribute");
            assert!(!content.contains("eval("), "{path} uses eval");
        }
    }
}

/// Reads a dictionary: `"key": "text",` one per line between
/// `export default {` and `};`; blank and `//` lines allowed. Anything else
/// fails, so the format this test relies on cannot drift.
fn dictionary(path: &str) -> BTreeMap<String, String> {
    let content = text(path);
    let entry = Regex::new(r#"^\s*"([A-Za-z0-9_.]+)":\s*"((?:[^"\\]|\\.)*)",\s*$"#).unwrap();
    let mut lines = content.lines();
    for line in lines.by_ref() {
        if line.trim() == "export default {" {
            break;
        }
        assert!(
            line.trim().is_empty() || line.trim_start().starts_with("//"),
            "{path}: before the object: {line}"
        );
    }
    let mut map = BTreeMap::new();
    let mut closed = false;
    for line in lines {
        let trimmed = line.trim();
        if trimmed == "};" {
            closed = true;
            continue;
        }
        assert!(!closed || trimmed.is_empty(), "{path}: after the object: {line}");
        if trimmed.is_empty() || trimmed.starts_with("//") {
            continue;
        }
        let caps = entry
            .captures(line)
            .unwrap_or_else(|| panic!("{path}: not `\"key\": \"text\",`: {line}"));
        let (key, value) = (caps[1].to_owned(), caps[2].to_owned());
        assert!(!value.trim().is_empty(), "{path}: {key} is empty");
        assert!(map.insert(key.clone(), value).is_none(), "{path}: {key} twice");
    }
    assert!(closed, "{path}: no closing `}};`");
    assert!(map.len() > 100, "{path}: only {} keys", map.len());
    map
}

fn placeholders(text: &str) -> BTreeSet<String> {
    Regex::new(r"\{(\w+)\}").unwrap().captures_iter(text).map(|c| c[1].to_owned()).collect()
}

#[test]
fn both_dictionaries_have_the_same_keys_and_placeholders() {
    let en = dictionary("js/i18n/en.js");
    let zh = dictionary("js/i18n/zh.js");
    let en_keys: BTreeSet<_> = en.keys().collect();
    let zh_keys: BTreeSet<_> = zh.keys().collect();
    assert_eq!(
        en_keys.symmetric_difference(&zh_keys).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "keys in only one dictionary"
    );
    for (key, english) in &en {
        assert_eq!(placeholders(english), placeholders(&zh[key]), "placeholders of {key}");
    }
}

/// Keys the pages name literally: `data-i18n…="key"` in HTML or built DOM,
/// `t("key"…)`, and the DOM helper's `i18n…: "key"` properties.
fn used_keys() -> BTreeMap<String, String> {
    let patterns = [
        r#"data-i18n(?:-title|-placeholder|-label)?="([^"]+)""#,
        r#"\bt\(\s*"([^"]+)""#,
        r#"\bi18n(?:Title|Placeholder|Label)?:\s*"([^"]+)""#,
    ]
    .map(|p| Regex::new(p).unwrap());
    let mut used = BTreeMap::new();
    for (path, content) in texts().into_iter().filter(|(p, _)| !is_dictionary(p)) {
        let content =
            if path.ends_with(".html") { without_html_comments(&content) } else { content };
        for pattern in &patterns {
            for caps in pattern.captures_iter(&content) {
                used.entry(caps[1].to_owned()).or_insert_with(|| path.clone());
            }
        }
    }
    used
}

#[test]
fn every_key_the_pages_use_is_in_the_dictionaries() {
    let en = dictionary("js/i18n/en.js");
    let used = used_keys();
    assert!(used.len() > 100, "found only {} keys in use: is the pattern still right?", used.len());
    let missing: Vec<_> = used.iter().filter(|(key, _)| !en.contains_key(*key)).collect();
    assert!(missing.is_empty(), "keys used but not in the dictionaries (key, file): {missing:?}");
}

#[test]
fn every_key_is_used() {
    // Keys built from a value (`label("calltype", type)` → "calltype.mobile")
    // count as used when their prefix is used that way.
    let dynamic = [
        r#"\blabel\(\s*"(\w+)""#,
        r#"\bvalueLabel\(\s*"\w+",\s*"(\w+)""#,
        r#"\blabelled\(\s*"(\w+)""#,
        r#"labelOf\s*=\s*"(\w+)""#,
        r"`(\w+)\.\$\{",
    ]
    .map(|p| Regex::new(p).unwrap());
    let mut prefixes = BTreeSet::new();
    let mut everything = String::new();
    for (path, content) in texts().into_iter().filter(|(p, _)| !is_dictionary(p)) {
        for pattern in &dynamic {
            prefixes.extend(pattern.captures_iter(&content).map(|c| c[1].to_owned()));
        }
        everything.push_str(&if path.ends_with(".html") {
            without_html_comments(&content)
        } else {
            content
        });
    }
    let unused: Vec<_> = dictionary("js/i18n/en.js")
        .into_keys()
        .filter(|key| {
            let prefix = key.split('.').next().unwrap();
            !everything.contains(&format!("\"{key}\"")) && !prefixes.contains(prefix)
        })
        .collect();
    assert!(unused.is_empty(), "dictionary keys nothing uses: {unused:?}");
}

#[test]
fn every_value_the_api_sends_for_a_labelled_field_has_its_label() {
    let en = dictionary("js/i18n/en.js");
    let features = correlate::Feature::ALL.map(correlate::Feature::as_str);
    let values: [(&str, &[&str]); 6] = [
        (
            "calltype",
            &[
                "internal",
                "onnet",
                "local",
                "national",
                "mobile",
                "international",
                "free",
                "inbound",
                "unknown",
            ],
        ),
        ("role", &["admin", "operator", "finance", "manager", "user"]),
        ("status", &["rated", "free", "unrated"]),
        ("direction", &["outgoing", "incoming", "internal", "transit", "unknown"]),
        // A logical call's legs: `correlate::Part`, and its features.
        (
            "part",
            &[
                "ordinary",
                "before_transfer",
                "transferred",
                "before_conference",
                "conference_leg",
                "forwarded",
                "diverted",
                "parked",
                "retrieved",
                "picked_up",
                "rang_elsewhere",
                "other_side",
                "barge",
                "recording",
                "monitoring",
            ],
        ),
        ("feature", &features),
    ];
    for (prefix, names) in values {
        for name in names {
            assert!(en.contains_key(&format!("{prefix}.{name}")), "no label for {prefix}.{name}");
        }
    }
}

#[test]
fn every_import_and_referenced_file_exists() {
    let import = Regex::new(
        r#"(?m)^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)";|^\s*import\s+"([^"]+)";"#,
    )
    .unwrap();
    let mut count = 0;
    for (path, content) in texts().into_iter().filter(|(p, _)| p.ends_with(".js")) {
        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        for caps in import.captures_iter(&content) {
            let target = caps.get(1).or(caps.get(2)).unwrap().as_str();
            assert!(
                target.starts_with("./") || target.starts_with("../"),
                "{path}: import of {target}"
            );
            let resolved = resolve(dir, target);
            assert!(Assets::get(&resolved).is_some(), "{path}: imports {target}, no {resolved}");
            count += 1;
        }
    }
    assert!(count > 30, "found only {count} imports: is the pattern still right?");
    let html = without_html_comments(&text("index.html"));
    let reference = Regex::new(r#"(?:src|href)="/assets/([^"]+)""#).unwrap();
    let referenced: Vec<_> = reference.captures_iter(&html).map(|c| c[1].to_owned()).collect();
    assert!(referenced.len() >= 6, "index.html references {referenced:?}");
    for asset in referenced {
        assert!(Assets::get(&asset).is_some(), "index.html references {asset}, not embedded");
    }
}

/// `target` relative to the folder `dir` (both `/`-separated).
fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The names the browser tests rely on.
const DATA_TEST_NAMES: &[&str] = &[
    "login-username",
    "login-password",
    "login-submit",
    "login-error",
    "nav-dashboard",
    "nav-calls",
    "nav-live",
    "nav-connectors",
    "nav-logout",
    "calls-from",
    "calls-to",
    "calls-extension",
    "calls-number",
    "calls-search",
    "calls-table",
    "call-row",
    "call-legs",
    "calls-export-csv",
    "calls-next",
    "lang-zh",
    "lang-en",
    "theme-toggle",
    "whoami",
    "connectors-table",
    "connector-row",
    "dashboard-cards",
    "live-table",
    "live-row",
    "live-pause",
    "live-count",
    "live-rate",
    "live-connected",
    "reports-select",
    "reports-from",
    "reports-to",
    "reports-format",
    "reports-language",
    "reports-run",
    "reports-progress",
    "reports-download",
    "reports-preview",
    "reports-department",
    "reports-extension",
    "price-number",
    "price-at",
    "price-duration",
    "price-submit",
    "price-cost",
];

#[test]
fn every_data_test_name_is_in_the_markup_and_listed_at_the_top_of_index_html() {
    let html = text("index.html");
    let comment = Regex::new(r"(?s)<!--(.*?)-->").unwrap().captures(&html).unwrap()[1].to_owned();
    assert!(html.find("<!--").unwrap() < html.find("<head>").unwrap(), "the list comes first");
    let mut markup = without_html_comments(&html);
    for (path, content) in texts() {
        if path.ends_with(".js") {
            markup.push_str(&content);
        }
    }
    for name in DATA_TEST_NAMES {
        let listed =
            Regex::new(&format!(r"(?:^|[\s,]){}(?:$|[\s,])", regex::escape(name))).unwrap();
        assert!(listed.is_match(&comment), "{name} is not listed in index.html's comment");
        let in_html = markup.contains(&format!("data-test=\"{name}\""));
        let in_js = markup.contains(&format!("test: \"{name}\""));
        assert!(in_html || in_js, "no element has data-test=\"{name}\"");
    }
}
