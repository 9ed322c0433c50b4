//! `explainer serve` end to end: the built binary serves a fixture site on a
//! free port; a tiny HTTP/1 client over `TcpStream` checks what it answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_explainer");
/// Written outside the site; must never be served.
const SECRET: &str = "TOP-SECRET-outside-the-site";

// ---------------------------------------------------------------- fixture

struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    /// A small site under `TMP/site` with `base_url`, and a secret file in `TMP`.
    fn new(base_url: &str) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let f = Fixture { tmp };
        f.write("secret.txt", SECRET);
        f.write(
            "site/config.toml",
            &format!("base_url = \"{base_url}\"\ntitle = \"Serve fixture\"\n# {SECRET}-config\n"),
        );
        let head = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ config.title }}</title><link rel="stylesheet" href="{{ get_url(path="style.css", cachebust=true) }}"></head><body>"#;
        f.write(
            "site/templates/index.html",
            &format!("{head}<h1>{{{{ section.title }}}}</h1>{{{{ section.content | safe }}}}<ul>{{% for p in section.pages %}}<li><a href=\"{{{{ p.permalink }}}}\">{{{{ p.title }}}}</a></li>{{% endfor %}}</ul></body></html>\n"),
        );
        f.write(
            "site/templates/section.html",
            &format!("{head}<h1>{{{{ section.title }}}}</h1>{{{{ section.content | safe }}}}</body></html>\n"),
        );
        f.write(
            "site/templates/page.html",
            &format!("{head}<h1>{{{{ page.title }}}}</h1>{{{{ page.content | safe }}}}<a href=\"{{{{ config.base_url }}}}\">home</a></body></html>\n"),
        );
        f.write(
            "site/templates/404.html",
            &format!("{head}<h1>Nothing here (custom 404)</h1></body></html>\n"),
        );
        f.write(
            "site/content/_index.md",
            "+++\ntitle = \"Home\"\n+++\nWelcome home.\n",
        );
        f.write(
            "site/content/hello.md",
            "+++\ntitle = \"Hello\"\n+++\nFirst version of the hello page.\n",
        );
        f.write("site/static/style.css", "body { color: black; }\n");
        f.write_bytes(
            "site/static/img/dot.png",
            b"\x89PNG\r\n\x1a\nnot really a png",
        );
        f
    }

    fn root(&self) -> PathBuf {
        self.tmp.path().join("site")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

// ---------------------------------------------------------------- server

/// A running `explainer serve`; killed when dropped.
struct Server {
    child: Child,
    /// The URL it printed, e.g. `http://127.0.0.1:1234/explainer/`.
    url: String,
    /// `127.0.0.1:1234`.
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    fn start(root: &Path, extra: &[&str]) -> Server {
        let port = free_port().to_string();
        let mut args = vec!["serve", "--root", root.to_str().unwrap(), "--port", &port];
        args.extend_from_slice(extra);
        Server::spawn(&args, root)
    }

    fn spawn(args: &[&str], cwd: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let err_pipe = child.stderr.take().unwrap();
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let out_pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out_pipe).lines().map_while(Result::ok) {
                if let Some(at) = line.find("http://") {
                    let url = line[at..].split_whitespace().next().unwrap().to_string();
                    let _ = tx.send(url);
                }
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
            addr: String::new(),
            stderr,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => {
                server.addr = url["http://".len()..]
                    .split('/')
                    .next()
                    .unwrap()
                    .to_string();
                server.url = url;
            }
            Err(_) => panic!("serve printed no URL; stderr:\n{}", server.log()),
        }
        server
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn get(&self, path: &str) -> Response {
        request(&self.addr, "GET", path, "")
    }

    fn status(&self) -> serde_json::Value {
        let r = self.get("/__explainer/status");
        assert_eq!(r.status, 200);
        serde_json::from_slice(&r.body).unwrap()
    }

    /// Poll until `check` holds, for at most `within`; the time it took.
    fn wait_until(
        &self,
        within: Duration,
        what: &str,
        mut check: impl FnMut(&Server) -> bool,
    ) -> Duration {
        let started = Instant::now();
        while started.elapsed() < within {
            if check(self) {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "timed out after {within:?} waiting for {what}; stderr:\n{}",
            self.log()
        );
    }

    fn events(&self) -> EventStream {
        EventStream::connect(&self.addr)
    }
}

// ---------------------------------------------------------------- HTTP client

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request with `Connection: close`; `path` is sent exactly as given.
fn request(addr: &str, method: &str, path: &str, extra_headers: &str) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra_headers}\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of headers");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

/// The live-reload event stream, read as HTTP/1.0 (no chunking).
struct EventStream {
    reader: BufReader<TcpStream>,
}

impl EventStream {
    fn connect(addr: &str) -> EventStream {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /__explainer/events HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line == "\n" || line.is_empty() {
                break;
            }
        }
        EventStream { reader }
    }

    /// The next message, as JSON, within `within`.
    fn next(&mut self, within: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + within;
        let mut line = String::new();
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.reader
                .get_ref()
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {
                    if let Some(data) = line.strip_prefix("data:") {
                        return Some(serde_json::from_str(data.trim()).unwrap());
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Skip messages until one of `kind` arrives.
    fn next_of(&mut self, kind: &str, within: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let m = self.next(left)?;
            if m["kind"] == kind {
                return Some(m);
            }
        }
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn serves_pages_with_types_404_head_and_only_get() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    assert!(s.url.ends_with('/'), "{}", s.url);

    let home = s.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(home.header("cache-control"), Some("no-store"));
    assert!(home.text().contains("Welcome home."));
    // Links point at the local server, not at base_url.
    assert!(
        home.text().contains(&format!("href=\"{}hello/\"", s.url)),
        "{}",
        home.text()
    );
    assert!(!home.text().contains("example.org"));

    let page = s.get("/hello/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("First version of the hello page."));

    for (path, ty) in [
        ("/style.css", "text/css; charset=utf-8"),
        ("/style.css?h=whatever", "text/css; charset=utf-8"),
        ("/img/dot.png", "image/png"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/sitemap.xml", "text/xml; charset=utf-8"),
        ("/atom.xml", "text/xml; charset=utf-8"),
        ("/hello/index.html", "text/html; charset=utf-8"),
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ty), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    assert!(!s.get("/style.css").text().contains("explainer-live"));

    // A directory without its slash redirects, keeping the query.
    let r = s.get("/hello?x=1");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/hello/?x=1"));

    // Missing paths get the site's 404 page with status 404; no listings.
    for path in ["/missing", "/missing/", "/img/", "/img", "/hello/nope.html"] {
        let r = s.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text().contains("custom 404"), "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    }

    // HEAD: same headers, no body.
    let get = s.get("/hello/");
    let head = request(&s.addr, "HEAD", "/hello/", "");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        head.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );

    let head = request(&s.addr, "HEAD", "/__explainer/events", "");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    let status = request(&s.addr, "HEAD", "/__explainer/status", "");
    assert_eq!(status.status, 200);
    assert!(status.body.is_empty());
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = request(&s.addr, method, "/hello/", "Content-Length: 0\r\n");
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    // No request bodies.
    let r = request(&s.addr, "GET", "/hello/", "Content-Length: 5\r\n\r\nhello");
    assert_eq!(r.status, 413);
    // serve writes nothing: no public/ appears.
    assert!(!site.root().join("public").exists());
}

#[test]
fn an_edit_is_served_within_a_second_and_reloads_tabs() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    let mut events = s.events();
    let hello = events.next(Duration::from_secs(5)).expect("hello");
    assert_eq!(hello["kind"], "hello");
    assert_eq!(hello["build"], 1);

    site.write(
        "site/content/hello.md",
        "+++\ntitle = \"Hello\"\n+++\nSecond version, edited.\n",
    );
    let took = s.wait_until(Duration::from_secs(15), "the edited text", |s| {
        s.get("/hello/").text().contains("Second version, edited.")
    });
    eprintln!("edit served after {took:?}");
    let reload = events
        .next_of("reload", Duration::from_secs(15))
        .expect("a reload message");
    assert_eq!(reload["build"], 2);
    // The log line may be written just after the reload message is sent.
    s.wait_until(Duration::from_secs(5), "the rebuild's log line", |s| {
        s.log().contains("rebuilt in")
    });
    assert!(s.log().contains("1 file changed"), "{}", s.log());
}

/// Rebuilds reuse what did not change: each step checks that what did change
/// reaches every page that shows it, and only that.
#[test]
fn incremental_rebuilds_update_listings_new_and_removed_pages_and_templates() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    let wait = |what: &str, ok: &dyn Fn(&Server) -> bool| {
        s.wait_until(Duration::from_secs(15), what, |s| ok(s));
    };
    assert!(s.get("/").text().contains(">Hello</a>"));

    site.write(
        "site/content/hello.md",
        "+++\ntitle = \"Hello again\"\n+++\nFirst version of the hello page.\n",
    );
    wait("the new title on the home page", &|s| {
        s.get("/").text().contains(">Hello again</a>")
    });
    assert!(s.get("/hello/").text().contains("<h1>Hello again</h1>"));

    site.write(
        "site/content/extra.md",
        "+++\ntitle = \"Extra\"\n+++\nA new page.\n",
    );
    wait("the new page listed", &|s| {
        s.get("/").text().contains(">Extra</a>")
    });
    assert!(s.get("/extra/").text().contains("A new page."));

    std::fs::remove_file(site.path("site/content/extra.md")).unwrap();
    wait("the removed page gone", &|s| s.get("/extra/").status == 404);
    assert!(!s.get("/").text().contains(">Extra</a>"));

    let page = std::fs::read_to_string(site.path("site/templates/page.html")).unwrap();
    site.write(
        "site/templates/page.html",
        &page.replace("<h1>", "<h1 class=\"edited\">"),
    );
    wait("the template edit on the page", &|s| {
        s.get("/hello/")
            .text()
            .contains("<h1 class=\"edited\">Hello again</h1>")
    });
    assert!(
        s.get("/hello/")
            .text()
            .contains("First version of the hello page.")
    );
}

#[test]
fn a_config_edit_rebuilds_and_a_base_path_change_moves_the_site() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    assert!(s.get("/").text().contains("<title>Serve fixture</title>"));
    // Replaced the way editors do it: write a temp file, rename it over.
    let config = site.root().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let renamed = text.replace("Serve fixture", "Renamed fixture");
    std::fs::write(site.root().join(".config.toml.tmp"), &renamed).unwrap();
    std::fs::rename(site.root().join(".config.toml.tmp"), &config).unwrap();
    s.wait_until(Duration::from_secs(15), "the new title", |s| {
        s.get("/").text().contains("<title>Renamed fixture</title>")
    });
    // And again: the watch survives the replaced file.
    std::fs::write(
        &config,
        renamed.replace("https://example.org/", "https://example.org/moved/"),
    )
    .unwrap();
    s.wait_until(Duration::from_secs(15), "the site under /moved/", |s| {
        s.get("/moved/").status == 200
    });
    assert_eq!(s.get("/").header("location"), Some("/moved/"));
    assert!(s.log().contains("/moved/"), "{}", s.log());
}

#[test]
fn drafts_are_served_only_with_drafts() {
    let site = Fixture::new("https://example.org/");
    site.write(
        "site/content/draft.md",
        "+++\ntitle = \"Draft\"\ndraft = true\n+++\nNot yet.\n",
    );
    let s = Server::start(&site.root(), &[]);
    assert_eq!(s.get("/draft/").status, 404);
    let s = Server::start(&site.root(), &["--drafts"]);
    assert!(s.get("/draft/").text().contains("Not yet."));
}

#[test]
fn an_editor_save_makes_one_rebuild() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    assert_eq!(s.status()["attempts"], 1);
    // Like an editor: swap file, write a temp file, rename it over, touch metadata.
    let dir = site.root().join("content");
    std::fs::write(dir.join(".hello.md.swp"), "swap").unwrap();
    std::fs::write(
        dir.join("hello.md.tmp~"),
        "+++\ntitle = \"Hello\"\n+++\nSaved by an editor.\n",
    )
    .unwrap();
    std::fs::rename(dir.join("hello.md.tmp~"), dir.join("hello.md")).unwrap();
    let f = std::fs::File::options()
        .append(true)
        .open(dir.join("hello.md"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
    drop(f);
    std::fs::remove_file(dir.join(".hello.md.swp")).unwrap();
    s.wait_until(Duration::from_secs(15), "the saved text", |s| {
        s.get("/hello/").text().contains("Saved by an editor.")
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(s.status()["attempts"], 2, "{}", s.log());
}

#[test]
fn a_build_error_is_reported_while_the_last_good_site_is_served() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    let mut events = s.events();
    assert_eq!(
        events.next(Duration::from_secs(5)).unwrap()["kind"],
        "hello"
    );

    site.write("site/content/hello.md", "+++\ntitle = \n+++\nBroken.\n");
    let error = events
        .next_of("error", Duration::from_secs(15))
        .expect("an error message");
    let d = &error["errors"][0];
    assert!(d["file"].as_str().unwrap().ends_with("hello.md"), "{d}");
    assert_eq!(d["line"], 2, "{d}");
    assert!(d["column"].as_u64().unwrap() >= 1, "{d}");
    assert!(!d["message"].as_str().unwrap().is_empty());

    let status = s.status();
    assert_eq!(status["ok"], false);
    assert_eq!(status["build"], 1);
    assert!(
        status["errors"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("hello.md")
    );
    // The old page is still served, whole.
    let page = s.get("/hello/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("First version of the hello page."));
    // A tab that connects now is told about the error straight away.
    let hello = s.events().next(Duration::from_secs(15)).unwrap();
    assert_eq!(hello["errors"][0]["line"], 2);
    // The terminal shows the same error.
    assert!(s.log().contains("hello.md:2:"), "{}", s.log());

    site.write(
        "site/content/hello.md",
        "+++\ntitle = \"Hello\"\n+++\nFixed now.\n",
    );
    let reload = events
        .next_of("reload", Duration::from_secs(15))
        .expect("a reload after the fix");
    assert_eq!(reload["build"], 2);
    let status = s.status();
    assert_eq!(status["ok"], true);
    assert_eq!(status["errors"].as_array().unwrap().len(), 0);
    assert!(s.get("/hello/").text().contains("Fixed now."));
}

#[test]
fn a_site_that_does_not_build_at_first_shows_its_errors_then_recovers() {
    let site = Fixture::new("https://example.org/");
    site.write("site/content/hello.md", "+++\ntitle = \n+++\nBroken.\n");
    let s = Server::start(&site.root(), &[]);
    let r = s.get("/");
    assert_eq!(r.status, 503);
    assert!(r.text().contains("hello.md:2:"), "{}", r.text());
    assert!(r.text().contains("data-explainer-live"));
    site.write(
        "site/content/hello.md",
        "+++\ntitle = \"Hello\"\n+++\nWorks.\n",
    );
    s.wait_until(Duration::from_secs(15), "the site to build", |s| {
        s.get("/hello/").status == 200
    });
}

#[test]
fn requests_never_leave_the_site() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    let forbidden = [SECRET, "root:x:0", "[package]", "base_url"];
    for path in [
        "/../Cargo.toml",
        "/../secret.txt",
        "/../site/config.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e/secret.txt",
        "/..%2fconfig.toml",
        "/..%2fsecret.txt",
        "/%5c..%5cconfig.toml",
        "/..\\secret.txt",
        "/%00",
        "/config.toml%00.html",
        "/%252e%252e/",
        "/%252e%252e/secret.txt",
        // Overlong UTF-8 for `.` and `/`, and fullwidth dots.
        "/%c0%ae%c0%ae/secret.txt",
        "/%e0%80%ae%e0%80%ae/secret.txt",
        "/%c0%af..%c0%afsecret.txt",
        "/%ef%bc%8e%ef%bc%8e/secret.txt",
        "//etc/passwd",
        "/img/..",
        "/img/../../secret.txt",
        "/config.toml",
        "/content/hello.md",
        "/static/style.css",
        "/templates/page.html",
    ] {
        let r = s.get(path);
        let text = r.text();
        assert!(
            r.status != 200 || !forbidden.iter().any(|f| text.contains(f)),
            "{path} answered {} with {text}",
            r.status
        );
        assert!(!text.contains(SECRET), "{path} leaked the secret");
        assert_ne!(r.status, 200, "{path}");
    }
    // A bad request is refused outright, not guessed at.
    assert_eq!(s.get("/..%2fconfig.toml").status, 400);
    assert_eq!(s.get("/%2e%2e/%2e%2e/etc/passwd").status, 400);
    assert_eq!(s.get("//etc/passwd").status, 400);
    // Absolute-form request targets are not paths of the site either.
    let r = request(&s.addr, "GET", "http://127.0.0.1/../secret.txt", "");
    assert!(!r.text().contains(SECRET));
}

#[cfg(unix)]
#[test]
fn a_static_symlink_to_outside_the_site_is_refused() {
    let site = Fixture::new("https://example.org/");
    std::os::unix::fs::symlink(site.path("secret.txt"), site.root().join("static/leak.txt"))
        .unwrap();
    std::os::unix::fs::symlink(site.tmp.path(), site.root().join("static/outside")).unwrap();
    let s = Server::start(&site.root(), &[]);
    for path in ["/leak.txt", "/outside/secret.txt"] {
        let r = s.get(path);
        assert!(!r.text().contains(SECRET), "{path} leaked the secret");
        assert_ne!(r.status, 200);
    }
    let status = s.status();
    let errors = status["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["file"] == "static/leak.txt"),
        "{status}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("outside the site")),
        "{status}"
    );
    // `build` refuses it the same way.
    let out = Command::new(BIN)
        .args(["build", "--root", site.root().to_str().unwrap(), "-o"])
        .arg(site.path("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside the site"));
}

#[test]
fn the_live_reload_script_is_only_in_served_html() {
    let site = Fixture::new("https://example.org/");
    let out = site.path("out");
    let built = Command::new(BIN)
        .args(["build", "--root", site.root().to_str().unwrap(), "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    for file in ["index.html", "hello/index.html", "404.html"] {
        let html = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(
            !html.contains("__explainer"),
            "{file} has the live-reload script"
        );
        assert!(!html.contains("data-explainer-live"), "{file}");
    }
    let s = Server::start(&site.root(), &[]);
    for path in ["/", "/hello/", "/missing/"] {
        let html = s.get(path).text();
        assert_eq!(html.matches("data-explainer-live").count(), 1, "{path}");
        let script = html.find("data-explainer-live").unwrap();
        assert!(
            script < html.rfind("</body>").unwrap(),
            "{path}: the script is not before </body>"
        );
        assert!(html.contains("/__explainer/events"));
    }
}

#[test]
fn a_sub_path_base_url_is_served_under_the_sub_path() {
    let site = Fixture::new("https://example.org/explainer/");
    let s = Server::start(&site.root(), &[]);
    assert!(s.url.ends_with("/explainer/"), "{}", s.url);
    let r = s.get("/");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/explainer/"));
    let r = s.get("/explainer");
    assert_eq!(r.header("location"), Some("/explainer/"));
    let home = s.get("/explainer/");
    assert_eq!(home.status, 200);
    assert!(
        home.text()
            .contains(&format!("href=\"http://{}/explainer/hello/\"", s.addr)),
        "{}",
        home.text()
    );
    assert!(
        home.text()
            .contains(&format!("http://{}/explainer/style.css?h=", s.addr))
    );
    assert_eq!(s.get("/explainer/hello/").status, 200);
    assert_eq!(s.get("/explainer/style.css").status, 200);
    let outside = s.get("/hello/");
    assert_eq!(outside.status, 404);
    assert!(outside.text().contains("custom 404"));
}

#[test]
fn a_stylesheet_edit_swaps_css_without_a_reload() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &[]);
    let mut events = s.events();
    assert_eq!(
        events.next(Duration::from_secs(5)).unwrap()["kind"],
        "hello"
    );
    site.write("site/static/style.css", "body { color: rebeccapurple; }\n");
    let m = events.next(Duration::from_secs(15)).expect("a message");
    assert_eq!(m["kind"], "css", "{m}");
    assert_eq!(m["files"][0], "style.css");
    assert!(s.get("/style.css").text().contains("rebeccapurple"));
    // A template edit is a full reload.
    let page = std::fs::read_to_string(site.root().join("templates/page.html")).unwrap();
    std::fs::write(
        site.root().join("templates/page.html"),
        page.replace("home</a>", "back home</a>"),
    )
    .unwrap();
    assert_eq!(
        events.next(Duration::from_secs(15)).unwrap()["kind"],
        "reload"
    );
}

#[test]
fn a_taken_port_moves_to_the_next_free_one() {
    let site = Fixture::new("https://example.org/");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let s = Server::spawn(
        &[
            "serve",
            "--root",
            site.root().to_str().unwrap(),
            "--port",
            &port,
        ],
        &site.root(),
    );
    assert!(!s.addr.ends_with(&format!(":{port}")), "{}", s.url);
    assert_eq!(s.get("/").status, 200);
    assert!(
        s.log().contains(&format!("port {port} is in use")),
        "{}",
        s.log()
    );
    drop(taken);
}

#[test]
fn binding_all_interfaces_warns() {
    let site = Fixture::new("https://example.org/");
    let s = Server::start(&site.root(), &["--bind", "0.0.0.0"]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    assert_eq!(s.get("/").status, 200);
    assert!(s.log().contains("warning: binding 0.0.0.0"), "{}", s.log());
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_deletes_nothing() {
    let site = Fixture::new("https://example.org/");
    let mut s = Server::start(&site.root(), &[]);
    let _events = s.events(); // an open event stream must not keep the server alive
    assert_eq!(s.get("/").status, 200);
    let killed = Command::new("kill")
        .args(["-INT", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(site.root().join("content/hello.md").exists());
    assert!(site.path("secret.txt").exists());
    assert!(!site.root().join("public").exists());
}

#[test]
fn a_folder_without_a_site_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--root",
            tmp.path().to_str().unwrap(),
            "--port",
            &free_port().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.toml"));
}

/// A page template that never finishes in any reasonable time, and one
/// that doubles a string forty times.
const RUNAWAY: &str = "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{{ j }}{% endfor %}{% endfor %}";
const MEMORY_BOMB: &str = "{% set_global s = \"xx\" %}{% for i in range(end=40) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}";

#[test]
fn a_runaway_rebuild_is_given_up_and_the_next_good_edit_is_served() {
    let site = Fixture::new("https://example.org/");
    site.write(
        "site/config.toml",
        "base_url = \"https://example.org/\"\ntitle = \"Serve fixture\"\nrender_timeout = 1\n",
    );
    let s = Server::start(&site.root(), &[]);
    let mut events = s.events();
    assert_eq!(
        events.next(Duration::from_secs(5)).unwrap()["kind"],
        "hello"
    );
    let good = std::fs::read_to_string(site.path("site/templates/page.html")).unwrap();
    let mut served = "First version of the hello page.".to_string();
    for (name, template) in [("a loop", RUNAWAY), ("a memory bomb", MEMORY_BOMB)] {
        site.write("site/templates/page.html", template);
        let error = events
            .next_of("error", Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{name}: no error overlay\n{}", s.log()));
        let message = error["errors"][0]["message"].as_str().unwrap().to_string();
        assert!(
            message.contains("rendering content/hello.md with templates/page.html"),
            "{name}: {message}"
        );
        // Still answering, from the last good site.
        let page = s.get("/hello/");
        assert_eq!(page.status, 200, "{name}");
        assert!(page.text().contains(&served), "{name}");
        site.write("site/templates/page.html", &good);
        site.write(
            "site/content/hello.md",
            &format!("+++\ntitle = \"Hello\"\n+++\nAfter {name}.\n"),
        );
        events
            .next_of("reload", Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{name}: the next good edit was not served\n{}", s.log()));
        served = format!("After {name}.");
        assert!(s.get("/hello/").text().contains(&served), "{name}");
    }
}
