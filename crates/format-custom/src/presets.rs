//! Vendors' published layouts, written in the definition language and
//! embedded in the binary.

use crate::CustomFormat;

const PRESETS: &[(&str, &str)] = &[
    ("avaya-ip-office-smdr", include_str!("../presets/avaya-ip-office-smdr.toml")),
    ("mitel-mivb-smdr", include_str!("../presets/mitel-mivb-smdr.toml")),
    ("3cx-cdr", include_str!("../presets/3cx-cdr.toml")),
];

const NAMES: &[&str] = &["avaya-ip-office-smdr", "mitel-mivb-smdr", "3cx-cdr"];

/// Names of the built-in presets, for `preset`.
pub fn preset_names() -> &'static [&'static str] {
    NAMES
}

/// A built-in preset by name.
pub fn preset(name: &str) -> Option<CustomFormat> {
    let (_, text) = PRESETS.iter().find(|(n, _)| *n == name)?;
    // Presets are checked by the tests; a broken one is simply absent.
    CustomFormat::from_toml(text).ok()
}
