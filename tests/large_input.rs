//! A 50 MB Markdown page builds, whole, within memory bounds.
//!
//! In its own test binary so that nothing else runs beside the build it
//! measures. The build's peak memory is read from the kernel with `wait4`,
//! which reports the resource use of exactly the child it reaps.

mod common;
use common::*;
use std::time::{Duration, Instant};

/// The size the reliability issue names.
const INPUT_BYTES: usize = 50 * 1024 * 1024;

/// Peak memory allowed, as a multiple of the input's size. A page passes
/// whole through a few stages — its source, its HTML (once without and once
/// with highlighting), the template's copy of that HTML and the rendered
/// page — so about six copies are live at the peak: measured 296 MB for
/// 50 MB in a debug build. Eight copies leave room for allocator slack; a
/// build that kept a copy per heading, or grew faster than the input, does
/// not fit.
const MAX_RSS_PER_INPUT_BYTE: u64 = 8;

/// A debug build of the 50 MB page takes about 12 s on an idle 2-core
/// machine. Far beyond that means something grows faster than the input;
/// the build is then stopped rather than left to run for hours.
const TIME_LIMIT: Duration = Duration::from_secs(300);

const WORDS: &[&str] = &[
    "the",
    "drones",
    "were",
    "shot",
    "down",
    "over",
    "Kremlin",
    "officials",
    "said",
    "according",
    "to",
    "a",
    "statement",
    "Ukraine",
    "denied",
    "any",
    "involvement",
    "analysts",
    "footage",
    "shows",
    "two",
    "explosions",
    "at",
    "night",
    "residents",
    "reported",
    "smoke",
    "evidence",
    "of",
    "in",
];

/// `n` words, chosen deterministically from `seed`.
fn words(seed: usize, n: usize) -> String {
    (0..n)
        .map(|k| WORDS[(seed * 7 + k * 13 + k * k) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// One part of the page: a heading, a subheading every part repeats,
/// paragraphs with inline markup, a list; a code block every 200 parts and
/// links every 500.
fn part(i: usize) -> String {
    let mut s = format!("## Part {i}: what was said\n\n### Background\n\n");
    for p in 0..6 {
        s += &format!(
            "Paragraph {i}.{p}: {} *{}* and **{}** {}.\n\n",
            words(i + p, 100),
            words(i * p, 2),
            words(i + 3 * p, 2),
            words(p, 20)
        );
    }
    for k in 0..5 {
        s += &format!("- item {i}.{k}: {}\n", words(i + k, 8));
    }
    s.push('\n');
    if i.is_multiple_of(200) {
        s += &format!("```rust\nfn part_{i}() -> u32 {{\n    {i}\n}}\n```\n\n");
    }
    if i.is_multiple_of(500) {
        s += &format!(
            "See [the report](https://news.example.com/report/{i}) and [this site](@/about.md).\n\n"
        );
    }
    s
}

/// The last words of a page of `parts` parts, to find in the output.
fn closing(parts: usize) -> String {
    format!("The end of part {}: nothing was cut.", parts - 1)
}

/// A page of at least `min_bytes` bytes and how many parts it has.
fn big_page(min_bytes: usize) -> (String, usize) {
    let mut page = String::with_capacity(min_bytes + 8192);
    page += "+++\ntitle = \"A very long page\"\n+++\n";
    let mut parts = 0;
    while page.len() < min_bytes {
        page += &part(parts);
        parts += 1;
    }
    page += &closing(parts);
    page.push('\n');
    (page, parts)
}

/// How a measured run ended.
struct Measured {
    code: i32,
    stderr: String,
    peak_rss_bytes: u64,
    elapsed: Duration,
}

/// Run the binary in `site`, reaping it with `wait4` for its peak resident
/// memory; stop it and fail after [`TIME_LIMIT`].
fn run_measured(site: &Site, args: &[&str]) -> Measured {
    let started = Instant::now();
    #[allow(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, for its resource use"
    )]
    let (mut child, reader) = site.spawn(args);
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child; both pointers are valid.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
        if reaped == pid {
            break;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the build took over {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    assert!(libc::WIFEXITED(status), "killed: status {status}");
    Measured {
        code: libc::WEXITSTATUS(status),
        stderr: reader.join().expect("stderr reader"),
        // Linux reports kilobytes.
        peak_rss_bytes: usage.ru_maxrss as u64 * 1024,
        elapsed,
    }
}

#[test]
fn fifty_megabyte_page_builds_whole_within_memory_bounds() {
    let (page, parts) = big_page(INPUT_BYTES);
    let site = Site::basic().file("content/big.md", &page);
    drop(page);

    let run = run_measured(&site, &["build", "-q"]);
    eprintln!(
        "50 MB page: {parts} parts, built in {:.1} s, peak RSS {} MB",
        run.elapsed.as_secs_f64(),
        run.peak_rss_bytes / 1_000_000
    );
    assert_eq!(run.code, 0, "build failed:\n{}", run.stderr);

    let html = site.output("big/index.html");
    assert!(
        html.contains(&closing(parts)),
        "the page's last sentence is missing: the output was cut"
    );
    let last = parts - 1;
    assert!(
        html.contains(&format!("id=\"part-{last}-what-was-said\"")),
        "the last heading is missing"
    );
    assert_eq!(html.matches("<h2").count(), parts, "every part's heading");
    assert_eq!(html.matches("<h3").count(), parts, "every subheading");
    assert!(html.contains(&format!(
        "https://news.example.com/report/{}",
        last / 500 * 500
    )));

    let bound = MAX_RSS_PER_INPUT_BYTE * INPUT_BYTES as u64;
    assert!(
        run.peak_rss_bytes < bound,
        "peak RSS {} MB is over {} MB ({MAX_RSS_PER_INPUT_BYTE}× the input)",
        run.peak_rss_bytes / 1_000_000,
        bound / 1_000_000
    );
}
