//! The `explainer` command: see `explainer --help`.

/// mimalloc rather than glibc's malloc: rebuilds allocate many small
/// objects (a one-page edit of a 10 000-page site builds a third faster),
/// and glibc grows its per-thread arenas with thousands of `mprotect` calls.
/// Its default purge delay is kept: returning freed memory at once made a
/// one-page edit fault in ten times as many pages (7 600 against 630).
/// Wrapped in the render limits (see `explainer::limits`).
#[global_allocator]
static ALLOCATOR: explainer::limits::Guarded<mimalloc::MiMalloc> =
    explainer::limits::Guarded(mimalloc::MiMalloc);

fn main() {
    std::process::exit(explainer::cli::main());
}
