//! The console's page-free logic (tests/js/logic.test.mjs) run with node,
//! when node is installed; without it the test says so and passes.

use std::path::Path;
use std::process::Command;

#[test]
fn the_consoles_logic_passes_its_checks_in_node() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/logic.test.mjs");
    let output = match Command::new("node").arg(&script).output() {
        Ok(output) => output,
        Err(e) => {
            eprintln!("node is not available ({e}): the console's logic checks were not run");
            return;
        }
    };
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
