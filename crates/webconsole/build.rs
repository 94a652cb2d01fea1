//! Rebuild when anything under `assets/` changes: the embedded files are
//! read at compile time, and a file added to the folder would otherwise go
//! unnoticed until some other change forced a rebuild.

fn main() {
    println!("cargo:rerun-if-changed=assets");
}
