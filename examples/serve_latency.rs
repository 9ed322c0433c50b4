//! Edit-to-reload latency of `explainer serve`.
//!
//! Copies a site (config.toml, content/, templates/, static/) into a temporary
//! folder, starts `explainer serve` on it, connects to the live-reload event
//! stream, then N times appends a word to a content file and times how long
//! until the `reload` message arrives. Prints every run, then min and median,
//! and the server's own build time of the last run.
//!
//! ```text
//! cargo build --release
//! cargo run --release --example serve_latency -- [--bin target/release/explainer] [--runs 10] [--file content/about.md] SITE
//! ```
//!
//! The site is never modified: only the copy is edited.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Args {
    bin: PathBuf,
    runs: usize,
    file: Option<String>,
    site: PathBuf,
}

fn parse_args() -> Args {
    let mut args = Args {
        bin: PathBuf::from("target/release/explainer"),
        runs: 10,
        file: None,
        site: PathBuf::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bin" => args.bin = it.next().expect("--bin PATH").into(),
            "--runs" => args.runs = it.next().expect("--runs N").parse().expect("--runs N"),
            "--file" => args.file = Some(it.next().expect("--file content/x.md")),
            "-h" | "--help" => {
                eprintln!(
                    "usage: serve_latency [--bin PATH] [--runs N] [--file content/x.md] SITE"
                );
                std::process::exit(0);
            }
            _ => args.site = a.into(),
        }
    }
    if args.site.as_os_str().is_empty() {
        eprintln!("usage: serve_latency [--bin PATH] [--runs N] [--file content/x.md] SITE");
        std::process::exit(2);
    }
    args
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let args = parse_args();
    let work = std::env::temp_dir().join(format!("serve-latency-{}", std::process::id()));
    let copy = work.join("site");
    let started = Instant::now();
    for part in ["config.toml", "content", "templates", "static"] {
        let from = args.site.join(part);
        if from.exists() {
            copy_tree(&from, &copy.join(part));
        }
    }
    eprintln!(
        "copied {} to {} in {:?}",
        args.site.display(),
        copy.display(),
        started.elapsed()
    );
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| first_page(&copy.join("content")));
    let target = copy.join(&file);

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let mut child = Command::new(&args.bin)
        .args([
            "serve",
            "--root",
            copy.to_str().unwrap(),
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", args.bin.display()));
    let stdout = child.stdout.take().unwrap();
    let server = Kill(child);
    let url = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.find("http://")
                .map(|at| l[at..].split_whitespace().next().unwrap().to_string())
        })
        .expect("serve printed no URL");
    let addr = url["http://".len()..]
        .split('/')
        .next()
        .unwrap()
        .to_string();
    eprintln!(
        "serving {url} after {:?} (initial build); editing {file}",
        started.elapsed()
    );

    let mut events = Events::connect(&addr);
    let hello = events.next(Duration::from_secs(10)).expect("no hello");
    assert!(hello.contains("\"hello\""), "{hello}");

    let mut times = Vec::new();
    for run in 1..=args.runs {
        let word = format!(" latency{run}");
        let t0 = Instant::now();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&target)
            .unwrap();
        f.write_all(word.as_bytes()).unwrap();
        drop(f);
        loop {
            let m = events
                .next(Duration::from_secs(120))
                .unwrap_or_else(|| panic!("run {run}: no reload within 120 s"));
            if m.contains("\"reload\"") {
                break;
            }
            if m.contains("\"error\"") {
                panic!("run {run}: the rebuild failed: {m}");
            }
        }
        let took = t0.elapsed();
        let build_ms = status_field(&addr, "elapsed_ms");
        println!(
            "run {run:2}: {:7.1} ms (server build {build_ms} ms)",
            took.as_secs_f64() * 1000.0
        );
        times.push(took);
        // Let the watcher go quiet so runs do not merge.
        std::thread::sleep(Duration::from_millis(300));
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = if times.len() % 2 == 1 {
        ms(times[times.len() / 2])
    } else {
        (ms(times[times.len() / 2 - 1]) + ms(times[times.len() / 2])) / 2.0
    };
    println!(
        "edit-to-reload over {} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        times.len(),
        ms(times[0]),
        median,
        ms(times[times.len() - 1])
    );
    drop(events);
    drop(server);
    let _ = std::fs::remove_dir_all(&work);
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// The first Markdown page (not `_index.md`) under `content/`, as `content/...`.
fn first_page(content: &Path) -> String {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, found);
            } else if p.extension().is_some_and(|e| e == "md") && !p.ends_with("_index.md") {
                found.push(p);
            }
        }
    }
    let mut found = Vec::new();
    walk(content, &mut found);
    let first = found.first().expect("no page under content/");
    let rel = first.strip_prefix(content.parent().unwrap()).unwrap();
    rel.to_string_lossy().into_owned()
}

/// The event stream over HTTP/1.0, so it is not chunked.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn connect(addr: &str) -> Events {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /__explainer/events HTTP/1.0\r\nHost: {addr}\r\n\r\n"
        )
        .unwrap();
        Events {
            reader: BufReader::new(s),
        }
    }

    /// The next `data:` payload.
    fn next(&mut self, within: Duration) -> Option<String> {
        self.reader
            .get_ref()
            .set_read_timeout(Some(within))
            .unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            if let Some(data) = line.strip_prefix("data:") {
                return Some(data.trim().to_string());
            }
        }
    }
}

/// A number from `/__explainer/status`.
fn status_field(addr: &str, field: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /__explainer/status HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    let key = format!("\"{field}\":");
    body.find(&key)
        .map(|at| {
            body[at + key.len()..]
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .unwrap_or_default()
}
