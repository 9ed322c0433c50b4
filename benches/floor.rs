//! The physical floor of a cold build: what any generator that parses the same
//! Markdown, highlights the same code and reads and writes the same bytes must
//! spend, measured on the same cores in the same run as the real build.
//!
//! ```text
//! cargo bench --bench floor -- SITE [BUILT_OUTPUT]
//! ```
//!
//! SITE is an explainer site (its `content/` is read); BUILT_OUTPUT, when
//! given, is a real build's output folder, whose files the I/O stage writes
//! again (byte for byte, into a scratch folder beside it); without it the
//! stage writes the HTML of the parse stage. Three stages, each parallel on
//! every core (rayon), each timed on its own, fastest of `FLOOR_RUNS` (3):
//!
//! 1. parse: pulldown-cmark over every body, to HTML, with the options the
//!    build uses (tables, footnotes, strikethrough, task lists, heading
//!    attributes);
//! 2. highlight: syntect over every fenced code block, line by line, through
//!    `explainer::highlight::syntect_only` (the build's syntaxes and class
//!    style, without the build's memo of repeated lines: each run parses
//!    every line, so the fastest run is not a run of memo hits);
//! 3. I/O: read every content file, write every output file.
//!
//! It prints each stage and their sum, the floor, in seconds.

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;
use walkdir::WalkDir;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(site) = args.first().map(PathBuf::from) else {
        eprintln!("usage: cargo bench --bench floor -- SITE [BUILT_OUTPUT]");
        std::process::exit(2);
    };
    let built = args.get(1).map(PathBuf::from);
    let runs: usize = std::env::var("FLOOR_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);

    let inputs = content_files(&site.join("content"));
    let texts: Vec<String> = inputs
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("content file is UTF-8"))
        .collect();
    let bodies: Vec<&str> = texts.iter().map(|t| body_of(t)).collect();
    let blocks: Vec<(String, String)> = bodies.iter().flat_map(|b| code_blocks(b)).collect();
    let outputs = match &built {
        Some(dir) => output_files(dir),
        None => Vec::new(),
    };

    let parse = fastest(runs, || {
        bodies.par_iter().map(|b| to_html(b).len()).sum::<usize>()
    });
    let highlight = fastest(runs, || {
        blocks
            .par_iter()
            .map(|(lang, code)| {
                explainer::highlight::syntect_only(lang, code).map_or(0, |h| h.len())
            })
            .sum::<usize>()
    });
    let scratch = scratch_dir(built.as_deref(), &site);
    let io = fastest(runs, || {
        let _ = std::fs::remove_dir_all(&scratch);
        let read: usize = inputs
            .par_iter()
            .map(|p| std::fs::read(p).map_or(0, |b| b.len()))
            .sum();
        let written = if outputs.is_empty() {
            write_all(
                &scratch,
                bodies
                    .par_iter()
                    .enumerate()
                    .map(|(i, b)| (format!("{i}.html"), to_html(b).into_bytes()))
                    .collect(),
            )
        } else {
            write_all(&scratch, outputs.clone())
        };
        read + written
    });
    let _ = std::fs::remove_dir_all(&scratch);

    println!(
        "floor: {} content files, {} code blocks, {} output files, {} threads, fastest of {runs}",
        inputs.len(),
        blocks.len(),
        outputs.len(),
        rayon::current_num_threads()
    );
    println!("parse      {parse:.3} s");
    println!("highlight  {highlight:.3} s");
    println!("io         {io:.3} s");
    println!("floor      {:.3} s", parse + highlight + io);
}

/// The fastest wall time, in seconds, of `runs` runs of `work`.
fn fastest<T>(runs: usize, work: impl Fn() -> T) -> f64 {
    (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(work());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn content_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// Every file under a build's output folder, with its bytes (the build's own
/// bookkeeping left out).
fn output_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(e.path()).ok()?;
            (!rel.starts_with(".explainer")).then_some((rel, bytes))
        })
        .collect()
}

fn scratch_dir(built: Option<&Path>, site: &Path) -> PathBuf {
    let beside = built.unwrap_or(site);
    let name = format!(
        "{}.floor-scratch",
        beside
            .file_name()
            .map_or("out".into(), |n| n.to_string_lossy())
    );
    beside.with_file_name(name)
}

/// Write every file (folders made as needed); the bytes written.
fn write_all(root: &Path, files: Vec<(String, Vec<u8>)>) -> usize {
    files
        .par_iter()
        .map(|(rel, bytes)| {
            let path = root.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("scratch folder");
            }
            std::fs::write(&path, bytes).expect("scratch file");
            bytes.len()
        })
        .sum()
}

/// The Markdown after a `+++`/`---` front matter.
fn body_of(text: &str) -> &str {
    for fence in ["+++", "---"] {
        if let Some(rest) = text.strip_prefix(fence)
            && let Some(end) = rest.find(&format!("\n{fence}"))
        {
            let after = &rest[end + 1 + fence.len()..];
            return after.strip_prefix('\n').unwrap_or(after);
        }
    }
    text
}

fn options() -> pulldown_cmark::Options {
    use pulldown_cmark::Options;
    // As src/markdown.rs parses.
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

fn to_html(body: &str) -> String {
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(body, options()));
    html
}

/// The fenced code blocks of a body, as (language, code).
fn code_blocks(body: &str) -> Vec<(String, String)> {
    use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for event in pulldown_cmark::Parser::new_ext(body, options()) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) => {
                current = Some((lang.to_string(), String::new()));
            }
            Event::Text(text) => {
                if let Some((_, code)) = current.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}
