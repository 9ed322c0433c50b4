//! The `explainer` command: see `explainer --help`.

fn main() {
    std::process::exit(explainer::cli::main());
}
