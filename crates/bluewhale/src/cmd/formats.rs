use anyhow::Result;
use std::process::ExitCode;

pub fn run() -> Result<ExitCode> {
    println!("Built-in formats:");
    for f in parsers::BUILT_IN {
        println!("  {f}");
    }
    println!("Presets of the definition language:");
    for p in parsers::custom_presets() {
        println!("  {p}");
    }
    println!("Or a definition file: --format path/to/format.toml");
    println!("Recognised by --format auto: {}", parsers::DETECTABLE.join(", "));
    Ok(ExitCode::SUCCESS)
}
