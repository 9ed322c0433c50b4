//! Replay fuzz inputs through the targets on stable Rust, without libFuzzer.
//!
//! ```text
//! cargo run --release --features replay --bin run_corpus                       # every target, its corpus/<target>/
//! cargo run --release --features replay --bin run_corpus -- markdown FILE|DIR…  # one target, given inputs
//! cargo run --release --features replay --bin run_corpus -- --mutate SECS [TARGET]
//! ```
//!
//! `--mutate` is a blind stand-in for fuzzing where cargo-fuzz cannot be set up:
//! it mutates the seeds at random (no coverage feedback) for SECS seconds per
//! target. Exits 1 on the first input that panics, after writing it to
//! `artifacts/<target>/crash-run_corpus-<n>`.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target(name: &str) -> Option<explainer_fuzz::Target> {
    explainer_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

/// Every file under `path` (or `path` itself), sorted.
fn inputs(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            out.extend(inputs(&e.path()));
        }
    }
    out.sort();
    out
}

/// Run one input; `Err` carries the panic message.
fn run_one(f: explainer_fuzz::Target, data: &[u8]) -> Result<(), String> {
    panic::catch_unwind(AssertUnwindSafe(|| f(data))).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

fn save_crash(name: &str, data: &[u8]) -> PathBuf {
    let dir = fuzz_dir().join("artifacts").join(name);
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join(format!("crash-run_corpus-{}", std::process::id()));
    std::fs::write(&path, data).ok();
    path
}

fn replay(name: &str, paths: &[PathBuf]) -> Result<usize, ()> {
    let Some(f) = target(name) else {
        eprintln!("unknown target {name:?}");
        return Err(());
    };
    let files: Vec<PathBuf> = paths.iter().flat_map(|p| inputs(p)).collect();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_default();
        if let Err(msg) = run_one(f, &data) {
            eprintln!("CRASH {name}: {} panicked: {msg}", file.display());
            return Err(());
        }
    }
    Ok(files.len())
}

/// xorshift64*: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens worth splicing in: the syntax the targets care about.
const TOKENS: &[&[u8]] = &[
    b"+++\n",
    b"---\n",
    b"\r\n",
    b"\n",
    b"\0",
    b"[@",
    b"]",
    b"[[sources]]\n",
    b"[[statements]]\n",
    b"id = \"",
    b"\"\n",
    b"(@/",
    b".md#",
    b"```",
    b"~~~",
    b"# ",
    b"{#",
    b"}",
    b"> ",
    b"- ",
    b"  ",
    b"\"",
    b"\xe2\x80\x9c",
    b"\xe2\x80\x9d",
    b"\xe2\x80\x99",
    b"\xef\xbb\xbf",
    b"\xff",
    b"date = ",
    b"2023-05-04",
    b"kind = \"quote\"\n",
    b"status = \"claimed\"\n",
    b"source = \"",
    b"text = \"",
    b"basis = \"",
    b"[^1]",
    b"|---|",
    b"...",
    b"--",
    b"\t",
];

fn mutate(rng: &mut Rng, seed: &[u8], max_len: usize) -> Vec<u8> {
    let mut d = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(d.len() + 1);
        match rng.below(6) {
            0 if !d.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(d.len());
                d.drain(at.min(end)..end);
            }
            1 => d.insert(at, rng.next() as u8),
            2 if at < d.len() => d[at] ^= 1 << rng.below(8),
            3 | 4 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                d.splice(at..at, t.iter().copied());
            }
            _ if !d.is_empty() => {
                let from = rng.below(d.len());
                let len = rng.below(32).min(d.len() - from);
                let chunk: Vec<u8> = d[from..from + len].to_vec();
                d.splice(at..at, chunk);
            }
            _ => {}
        }
    }
    d.truncate(max_len);
    d
}

fn mutate_for(name: &str, secs: u64) -> Result<u64, ()> {
    let f = target(name).ok_or(())?;
    let seeds: Vec<Vec<u8>> = inputs(&fuzz_dir().join("corpus").join(name))
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    let seeds = if seeds.is_empty() {
        vec![Vec::new()]
    } else {
        seeds
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let seed = &seeds[rng.below(seeds.len())];
        let data = mutate(&mut rng, seed, 8192);
        runs += 1;
        if let Err(msg) = run_one(f, &data) {
            let path = save_crash(name, &data);
            eprintln!(
                "CRASH {name}: panicked: {msg}; input saved to {}",
                path.display()
            );
            return Err(());
        }
    }
    Ok(runs)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Panics are reported per input; keep the default hook's message off stderr noise.
    panic::set_hook(Box::new(|_| {}));
    let names: Vec<&str> = explainer_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    let start = Instant::now();
    let ok = match args.first().map(String::as_str) {
        Some("--mutate") => {
            let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
            let chosen: Vec<&str> = args.get(2).map_or(names.clone(), |n| vec![n.as_str()]);
            chosen.iter().all(|n| match mutate_for(n, secs) {
                Ok(runs) => {
                    println!("{n}: {runs} mutated inputs in {secs} s, no crash");
                    true
                }
                Err(()) => false,
            })
        }
        Some(name) => {
            let paths: Vec<PathBuf> = if args.len() > 1 {
                args[1..].iter().map(PathBuf::from).collect()
            } else {
                vec![fuzz_dir().join("corpus").join(name)]
            };
            match replay(name, &paths) {
                Ok(n) => {
                    println!("{name}: {n} inputs, no crash");
                    true
                }
                Err(()) => false,
            }
        }
        None => names
            .iter()
            .all(|n| match replay(n, &[fuzz_dir().join("corpus").join(n)]) {
                Ok(count) => {
                    println!("{n}: {count} inputs, no crash");
                    true
                }
                Err(()) => false,
            }),
    };
    println!("{:.1} s", start.elapsed().as_secs_f64());
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
