//! `explainer new DIR`: writes a starter explainer (being written).

use std::path::Path;

/// Write a starter site into `dir`; returns the exit code.
pub fn run(_dir: &Path) -> i32 {
    eprintln!("error: `new` is not available in this build yet");
    2
}
