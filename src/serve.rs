//! `explainer serve`: local preview with live reload (being written).

use crate::cli::ServeArgs;

/// Run the preview server; returns the exit code.
pub fn run(_args: ServeArgs) -> i32 {
    eprintln!("error: `serve` is not available in this build yet");
    2
}
