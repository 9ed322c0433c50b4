//! Hosting anywhere: relative output that works from `file://` and any folder,
//! sub-path deploys, fingerprinted assets, reproducible output and the
//! `explainer new` starter. Every test runs the real binary on a temporary copy.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output};

const SUB_PATH_BASE: &str = "https://user.github.io/explainer/";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_explainer"))
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    manifest_dir().join("tests/fixtures/hosting/site")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Copy a folder recursively.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A fresh copy of the fixture site in a temporary folder.
fn fixture_copy(tmp: &Path, name: &str) -> PathBuf {
    let site = tmp.join(name);
    copy_dir(&fixture(), &site);
    site
}

/// `explainer build --root SITE -o OUT ARGS…`; panics unless it succeeds.
fn build(site: &Path, out: &Path, args: &[&str]) -> Output {
    let output = bin()
        .arg("build")
        .arg("--root")
        .arg(site)
        .arg("-o")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "build of {} failed: {}",
        site.display(),
        describe(&output)
    );
    output
}

/// Every file under `dir`, by `/`-separated relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------- HTML scanning

/// A start tag: its lower-case name and attributes (lower-case names, values
/// with `&amp;` decoded).
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `<link rel="canonical">` and `<link rel="alternate">` keep absolute URLs.
    fn may_be_absolute(&self) -> bool {
        self.name == "meta"
            || (self.name == "link"
                && self.attr("rel").is_some_and(|r| {
                    r.split_whitespace()
                        .any(|t| t == "canonical" || t == "alternate")
                }))
    }

    /// The URLs of `href`, `src` and each `srcset` candidate.
    fn urls(&self) -> Vec<String> {
        let mut urls = Vec::new();
        for (name, value) in &self.attrs {
            match name.as_str() {
                "href" | "src" => urls.push(value.clone()),
                "srcset" => {
                    for candidate in value.split(',') {
                        if let Some(url) = candidate.split_whitespace().next() {
                            urls.push(url.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        urls
    }
}

/// The start tags of an HTML document, skipping comments and the contents of
/// `<script>` and `<style>`. A deliberately simple scanner, independent of the
/// one in the crate.
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let lower = html.to_ascii_lowercase();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off;
        if html[i..].starts_with("<!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let name_len = html[i + 1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(html.len() - i - 1);
        if name_len == 0 || !b[i + 1].is_ascii_alphabetic() {
            // `</x>`, `<!doctype>`, or a `<` in text.
            i = if matches!(b.get(i + 1), Some(b'/' | b'!' | b'?')) {
                html[i..].find('>').map_or(b.len(), |e| i + e + 1)
            } else {
                i + 1
            };
            continue;
        }
        let name = lower[i + 1..i + 1 + name_len].to_string();
        let mut j = i + 1 + name_len;
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                j += 1;
                break;
            }
            let start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let attr = lower[start..j].to_string();
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j] as char;
                    let end = html[j + 1..].find(q).map_or(b.len(), |e| j + 1 + e);
                    value = html[j + 1..end].to_string();
                    j = (end + 1).min(b.len());
                } else {
                    let start = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = html[start..j].to_string();
                }
            }
            attrs.push((attr, value.replace("&amp;", "&")));
        }
        i = j.min(b.len());
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            i = lower[i..].find(&close).map_or(b.len(), |e| i + e);
        }
        tags.push(Tag { name, attrs });
    }
    tags
}

#[test]
fn the_test_scanner_reads_every_attribute_form() {
    let html = "<!-- <a href=\"/c\"> --><a\n  HREF='one'>x</a><img src=two srcset=\"a.png 1x, b.png 2x\"><script>if (a<b) x='<a href=\"/s\">'</script><link rel=\"canonical\" href=\"https://e.org/\">";
    let urls: Vec<String> = tags(html).iter().flat_map(Tag::urls).collect();
    assert_eq!(urls, ["one", "two", "a.png", "b.png", "https://e.org/"]);
    assert!(tags(html).last().unwrap().may_be_absolute());
}

/// Whether `url` has a scheme (`https:`, `mailto:`, `data:`…).
fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `path` with `.` and `..` resolved; `None` when it climbs out of the root.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Split `url` into its path and fragment, dropping any query.
fn path_and_fragment(url: &str) -> (&str, Option<&str>) {
    let (rest, frag) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    (rest.split('?').next().unwrap_or(""), frag)
}

/// Check that the relative `url`, found in the file `from` (relative to
/// `public`), names a file inside `public` (and, with a fragment, an element
/// with that id). Directory links must name `index.html` explicitly.
fn check_relative_target(public: &Path, from: &str, url: &str) -> Result<(), String> {
    let (path, frag) = path_and_fragment(url);
    let target = if path.is_empty() {
        PathBuf::from(from)
    } else {
        if path.ends_with('/') {
            return Err(
                "a directory link: from file:// it opens a folder listing, not index.html".into(),
            );
        }
        let dir = Path::new(from).parent().unwrap_or(Path::new(""));
        normalise(&dir.join(path)).ok_or("it leads out of the output folder")?
    };
    let file = public.join(&target);
    if !file.is_file() {
        return Err(format!("no file {}", target.display()));
    }
    if let Some(frag) = frag.filter(|f| !f.is_empty())
        && file.extension().is_some_and(|e| e == "html")
    {
        let html = fs::read_to_string(&file).unwrap();
        let found = tags(&html).iter().any(|t| t.attr("id") == Some(frag));
        if !found {
            return Err(format!(
                "{} has no element with id {frag:?}",
                target.display()
            ));
        }
    }
    Ok(())
}

/// The `url(…)` references of a stylesheet, outside comments.
fn css_urls(css: &str) -> Vec<String> {
    let mut code = String::new();
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        code.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |e| &rest[i + e + 2..]);
    }
    code.push_str(rest);
    let mut urls = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("url(") {
        let is_function =
            !rest[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        rest = &rest[i + 4..];
        if !is_function {
            continue;
        }
        let end = rest.find(')').unwrap_or(rest.len());
        let raw = rest[..end].trim().trim_matches(|c| c == '"' || c == '\'');
        urls.push(raw.to_string());
        rest = &rest[end..];
    }
    urls
}

/// Every problem with the links of a relative build: each `href`, `src` and
/// `srcset` URL and each stylesheet `url()` must be relative and name a file in
/// `public`; absolute same-site URLs only where they must be absolute. Without
/// a `site_url` (a build with no base_url) no URL may be absolute at all: the
/// sites tested here record no external address.
fn relative_link_problems(public: &Path, site_url: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (rel, bytes) in files(public) {
        let mut report = |url: &str, why: String| problems.push(format!("{rel}: {url:?}: {why}"));
        let urls: Vec<(String, bool)> = if rel.ends_with(".html") {
            tags(&text(&bytes))
                .iter()
                .flat_map(|t| t.urls().into_iter().map(move |u| (u, t.may_be_absolute())))
                .collect()
        } else if rel.ends_with(".css") {
            css_urls(&text(&bytes))
                .into_iter()
                .map(|u| (u, false))
                .collect()
        } else {
            continue;
        };
        for (url, may_be_absolute) in urls {
            checked += 1;
            if url.is_empty() {
                continue;
            }
            if url.starts_with("//") || has_scheme(&url) {
                let Some(site_url) = site_url else {
                    report(&url, "an absolute URL in a build without base_url".into());
                    continue;
                };
                if url.starts_with(site_url) && !may_be_absolute {
                    report(
                        &url,
                        "an absolute link into the site in relative output".into(),
                    );
                }
                continue;
            }
            if url.starts_with('/') {
                report(
                    &url,
                    "root-relative: it breaks from file:// and in any other folder".into(),
                );
                continue;
            }
            if let Err(why) = check_relative_target(public, &rel, &url) {
                report(&url, why);
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} URLs found in {}: is the scanner broken?",
        public.display()
    );
    problems
}

/// Every problem with a sub-path build under [`SUB_PATH_BASE`]: any URL of the
/// site's host must be under `/explainer/`, root-relative URLs too, and each
/// one must name a file of the output.
fn sub_path_problems(public: &Path) -> Vec<String> {
    let host = "https://user.github.io";
    let mut problems = Vec::new();
    for (rel, bytes) in files(public) {
        let body = text(&bytes);
        // Anywhere in any file (meta tags, JSON-LD, sitemap, feed, robots.txt).
        for (at, _) in body.match_indices(host) {
            if !body[at..].starts_with(SUB_PATH_BASE) {
                let end = body[at..]
                    .find(['"', '<', ' ', '\n'])
                    .map_or(body.len(), |e| at + e);
                problems.push(format!(
                    "{rel}: {:?} is not under {SUB_PATH_BASE}",
                    &body[at..end]
                ));
            }
        }
        let urls: Vec<String> = if rel.ends_with(".html") {
            tags(&body).iter().flat_map(Tag::urls).collect()
        } else if rel.ends_with(".css") {
            css_urls(&body)
        } else {
            continue;
        };
        for url in urls {
            let site_path = if let Some(p) = url.strip_prefix(SUB_PATH_BASE) {
                p.to_string()
            } else if url.starts_with("//")
                || has_scheme(&url)
                || url.starts_with('#')
                || url.is_empty()
            {
                continue;
            } else if let Some(p) = url.strip_prefix('/') {
                match p.strip_prefix("explainer/") {
                    Some(p) => p.to_string(),
                    None => {
                        problems.push(format!(
                            "{rel}: {url:?} is root-relative but not under /explainer/"
                        ));
                        continue;
                    }
                }
            } else {
                // Relative to the file: resolve it inside the output.
                let dir = Path::new(&rel).parent().unwrap_or(Path::new(""));
                let path = path_and_fragment(&url).0;
                match normalise(&dir.join(path)) {
                    Some(p) => {
                        let p = p.to_string_lossy().replace('\\', "/");
                        if path.ends_with('/') && !p.is_empty() {
                            p + "/"
                        } else {
                            p
                        }
                    }
                    None => {
                        problems.push(format!("{rel}: {url:?} leads out of the site"));
                        continue;
                    }
                }
            };
            let (path, _) = path_and_fragment(&site_path);
            let file = if path.is_empty() || path.ends_with('/') {
                format!("{path}index.html")
            } else {
                path.to_string()
            };
            if !public.join(&file).is_file() {
                problems.push(format!(
                    "{rel}: {url:?} names no file of the output ({file})"
                ));
            }
        }
    }
    problems
}

fn assert_no_problems(problems: &[String], what: &str) {
    assert!(
        problems.is_empty(),
        "{what}: {} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------- relative output

#[test]
fn relative_output_links_resolve_inside_public() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture_copy(tmp.path(), "site");
    let public = tmp.path().join("public");
    build(&site, &public, &["--relative"]);
    assert_no_problems(
        &relative_link_problems(&public, Some("https://example.org/explainer/")),
        "fixture, --relative",
    );

    // Canonical, OpenGraph, JSON-LD, sitemap and feed stay absolute.
    let home = fs::read_to_string(public.join("index.html")).unwrap();
    assert!(
        home.contains(r#"<link rel="canonical" href="https://example.org/explainer/">"#),
        "{home}"
    );
    assert!(home.contains(r#"<meta property="og:url" content="https://example.org/explainer/">"#));
    assert!(home.contains(r#""url": "https://example.org/explainer/""#));
    assert!(home.contains(r#""image": "https://example.org/explainer/images/icon.svg""#));
    let sitemap = fs::read_to_string(public.join("sitemap.xml")).unwrap();
    assert!(
        sitemap.contains("<loc>https://example.org/explainer/parties/alpha/</loc>"),
        "{sitemap}"
    );
    let feed = fs::read_to_string(public.join("atom.xml")).unwrap();
    assert!(
        feed.contains(r#"<link href="https://example.org/explainer/notes/first/"/>"#),
        "{feed}"
    );

    // Markup that is not a link is left alone.
    assert!(
        home.contains(r#"window.fixture = '<a href="/not-a-link/">'"#),
        "inline script changed"
    );

    // The same output works from a folder it is copied to.
    let moved = tmp.path().join("somewhere/else/copy");
    copy_dir(&public, &moved);
    assert_no_problems(
        &relative_link_problems(&moved, Some("https://example.org/explainer/")),
        "copied output",
    );
}

#[test]
fn relative_urls_in_config_equal_the_relative_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture_copy(tmp.path(), "site");
    build(&site, &tmp.path().join("flag"), &["--relative"]);
    let config = site.join("config.toml");
    let mut text = fs::read_to_string(&config).unwrap();
    text = text.replacen("title =", "relative_urls = true\ntitle =", 1);
    fs::write(&config, text).unwrap();
    build(&site, &tmp.path().join("config"), &[]);
    assert_eq!(
        files(&tmp.path().join("flag")),
        files(&tmp.path().join("config"))
    );
}

/// A copy of the repository's own site (which has no base_url).
fn repository_site_copy(tmp: &Path) -> PathBuf {
    let root = manifest_dir();
    let site = tmp.join("site");
    for dir in ["content", "templates", "static"] {
        if root.join(dir).is_dir() {
            copy_dir(&root.join(dir), &site.join(dir));
        }
    }
    fs::copy(root.join("config.toml"), site.join("config.toml")).unwrap();
    site
}

#[test]
fn without_base_url_the_default_build_is_relative_and_leaves_out_absolute_files() {
    let tmp = tempfile::tempdir().unwrap();
    let site = repository_site_copy(tmp.path());
    assert_eq!(
        explainer::config::Config::load(&site).unwrap().base_url,
        None
    );
    let public = tmp.path().join("public");
    // A published build first: the default build after it must remove its sitemap and feed.
    let published = build(&site, &public, &["--base-url", SUB_PATH_BASE]);
    assert!(
        !text(&published.stderr).contains("base_url"),
        "{}",
        describe(&published)
    );
    assert!(public.join("sitemap.xml").is_file() && public.join("atom.xml").is_file());

    let out = build(&site, &public, &[]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning[config]: no base_url is set")
            && stderr.contains("sitemap.xml, atom.xml and robots.txt's Sitemap line")
            && stderr.contains("(1 warning)"),
        "{stderr}"
    );
    assert_no_problems(
        &relative_link_problems(&public, None),
        "repository site, default build",
    );
    assert!(!public.join("sitemap.xml").exists(), "sitemap left over");
    assert!(!public.join("atom.xml").exists(), "feed left over");
    let robots = fs::read_to_string(public.join("robots.txt")).unwrap();
    assert_eq!(robots, "User-agent: *\nAllow: /\n");
    for (rel, bytes) in files(&public) {
        let body = text(&bytes);
        for host in ["example.org", "user.github.io"] {
            assert!(
                !body.contains(host),
                "{rel} names {host:?} in a build without base_url"
            );
        }
        if rel.ends_with(".html") {
            assert!(
                !body.contains("rel=\"canonical\""),
                "{rel}: canonical without an address"
            );
        }
    }
    // A rebuild with nothing to do says so, and still warns.
    let again = text(&build(&site, &public, &[]).stderr);
    assert!(
        again.contains(" 0 files written") && again.contains("no base_url is set"),
        "{again}"
    );
}

// ---------------------------------------------------------------- sub-path deploys

#[test]
fn sub_path_build_links_only_under_the_sub_path() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture_copy(tmp.path(), "site");
    let public = tmp.path().join("public");
    build(
        &site,
        &public,
        &["--base-url", "https://user.github.io/explainer"],
    );
    assert_no_problems(&sub_path_problems(&public), "fixture, sub-path");
    let home = fs::read_to_string(public.join("index.html")).unwrap();
    let hash = explainer::urls::fingerprint(&fs::read(site.join("static/style.css")).unwrap());
    assert!(
        home.contains(&format!(
            r#"href="https://user.github.io/explainer/style.css?h={hash}""#
        )),
        "{home}"
    );
    assert!(home.contains(r#"href="https://user.github.io/explainer/parties/alpha/""#));
    let robots = fs::read_to_string(public.join("robots.txt")).unwrap();
    assert!(
        robots.contains("Sitemap: https://user.github.io/explainer/sitemap.xml"),
        "{robots}"
    );
}

#[test]
fn sub_path_and_relative_together() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture_copy(tmp.path(), "site");
    let public = tmp.path().join("public");
    build(&site, &public, &["--base-url", SUB_PATH_BASE, "--relative"]);
    assert_no_problems(
        &relative_link_problems(&public, Some(SUB_PATH_BASE)),
        "fixture, sub-path and --relative",
    );
    assert_no_problems(
        &sub_path_problems(&public),
        "fixture, sub-path and --relative",
    );
}

// ---------------------------------------------------------------- fingerprints and reproducibility

#[test]
fn cachebust_urls_carry_the_file_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let site = fixture_copy(tmp.path(), "site");
    let public = tmp.path().join("public");
    build(&site, &public, &[]);
    let hash_of = |file: &str| {
        explainer::urls::fingerprint(&fs::read(site.join("static").join(file)).unwrap())
    };
    let (css, js) = (hash_of("style.css"), hash_of("app.js"));
    assert_eq!(css.len(), 12);
    assert!(css.chars().all(|c| c.is_ascii_hexdigit()));
    let page = fs::read_to_string(public.join("parties/beta/index.html")).unwrap();
    assert!(
        page.contains(&format!(
            r#"href="https://example.org/explainer/style.css?h={css}""#
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            r#"src="https://example.org/explainer/app.js?h={js}""#
        )),
        "{page}"
    );
    // The file is published under its plain name; the query only busts caches.
    assert_eq!(
        fs::read(public.join("style.css")).unwrap(),
        fs::read(site.join("static/style.css")).unwrap()
    );

    // Changing the stylesheet changes its hash, and only its hash.
    fs::write(site.join("static/style.css"), "body { color: red; }\n").unwrap();
    build(&site, &public, &[]);
    let changed = hash_of("style.css");
    assert_ne!(changed, css);
    let page = fs::read_to_string(public.join("parties/beta/index.html")).unwrap();
    assert!(page.contains(&format!("style.css?h={changed}\"")), "{page}");
    assert!(page.contains(&format!("app.js?h={js}\"")), "{page}");
    assert!(!page.contains(&css));
}

#[test]
fn builds_are_byte_identical_across_folders_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let first = fixture_copy(tmp.path(), "one/site");
    let second = fixture_copy(tmp.path(), "two/elsewhere");
    for args in [
        &[][..],
        &["--relative"][..],
        &["--base-url", SUB_PATH_BASE][..],
    ] {
        let name = args.join("").replace([':', '/'], "_");
        let a = tmp.path().join(format!("out-a{name}"));
        let b = tmp.path().join(format!("deeper/out-b{name}"));
        build(&first, &a, args);
        build(&second, &b, args);
        let (fa, fb) = (files(&a), files(&b));
        assert_eq!(
            fa.keys().collect::<Vec<_>>(),
            fb.keys().collect::<Vec<_>>(),
            "{args:?}"
        );
        for (path, bytes) in &fa {
            assert!(
                bytes == &fb[path],
                "{path} differs between builds ({args:?})"
            );
        }
        // Building again into the same folder changes nothing.
        let again = build(&first, &a, args);
        assert!(
            text(&again.stderr).contains(" 0 files written"),
            "{}",
            describe(&again)
        );
        assert_eq!(files(&a), fa);
    }
}

// ---------------------------------------------------------------- explainer new

fn new(dir: &Path) -> Output {
    bin().arg("new").arg(dir).output().unwrap()
}

#[test]
fn new_writes_a_site_that_builds_and_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/my explainer");
    let out = new(&dir);
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("explainer serve"), "{stdout}");
    assert!(
        stdout.contains(&format!("cd \"{}\"", dir.display())),
        "{stdout}"
    );

    for required in [
        "config.toml",
        "content/_index.md",
        "content/parties/council.md",
        "content/sources/_index.md",
        "content/sources/example-gazette.txt",
        "templates/base.html",
        "templates/index.html",
        "templates/section.html",
        "templates/page.html",
        "templates/party.html",
        "templates/sources.html",
        "templates/404.html",
        "static/style.css",
    ] {
        assert!(dir.join(required).is_file(), "{required} missing");
    }
    let home = fs::read_to_string(dir.join("content/_index.md")).unwrap();
    assert!(home.contains("[[parties]]") && home.contains("[[questions]]"));
    // The explainer shape: questions answered in prose, each quoting paragraph cited.
    assert!(home.matches("\n## ").count() >= 4, "{home}");
    assert!(home.contains("said: “") && home.contains("” [@"), "{home}");
    let party = fs::read_to_string(dir.join("content/parties/council.md")).unwrap();
    assert!(party.contains("kind = \"quote\"") && party.contains("kind = \"paraphrase\""));
    // Obviously sample content, and none of the repository's own explainer.
    for (path, bytes) in files(&dir) {
        let body = text(&bytes).to_lowercase();
        for word in ["kremlin", "putin", "ukrain", "russia", "moscow", "bbc"] {
            assert!(!body.contains(word), "{path} mentions {word:?}");
        }
    }
    assert!(
        fs::read_to_string(dir.join("content/sources/example-gazette.txt"))
            .unwrap()
            .starts_with("SAMPLE")
    );

    let check = bin().arg("check").arg("--root").arg(&dir).output().unwrap();
    assert!(check.status.success(), "{}", describe(&check));
    assert!(
        text(&check.stdout).contains("0 errors, 0 warnings"),
        "{}",
        describe(&check)
    );
    assert!(
        text(&check.stdout).contains("2 quotations verified"),
        "{}",
        describe(&check)
    );
    assert!(
        text(&check.stdout).contains("2 of 2 basis passages verified"),
        "{}",
        describe(&check)
    );

    let public = dir.join("public");
    let built = build(&dir, &public, &[]);
    // The one warning: the starter has no address yet, so no sitemap or feed.
    let stderr = text(&built.stderr);
    assert!(
        stderr.matches("warning[").count() == 1 && stderr.contains("no base_url is set"),
        "{}",
        describe(&built)
    );
    assert_no_problems(
        &relative_link_problems(&public, None),
        "starter, default build",
    );
    for page in [
        "index.html",
        "parties/index.html",
        "parties/council/index.html",
        "sources/index.html",
        "about/index.html",
        "404.html",
        "style.css",
    ] {
        assert!(public.join(page).is_file(), "{page} not built");
    }
    assert!(
        !public.join("sources/example-gazette.txt").exists(),
        "the archive must not be published"
    );
    let index = fs::read_to_string(public.join("index.html")).unwrap();
    assert!(
        index.contains(r#"as reported on <time datetime="2024-03-05">5 March 2024</time>"#)
            && index.contains("What we don’t know")
            && index.contains("href=\"parties/council/index.html\""),
        "{index}"
    );
    let council = fs::read_to_string(public.join("parties/council/index.html")).unwrap();
    assert!(council.contains("The bridge has been closed as a precaution"));

    // With an address, it works from file:// and under a sub-path too.
    let relative = tmp.path().join("relative");
    build(
        &dir,
        &relative,
        &["--relative", "--base-url", SUB_PATH_BASE],
    );
    assert_no_problems(
        &relative_link_problems(&relative, Some(SUB_PATH_BASE)),
        "starter, --relative",
    );
    let sub = tmp.path().join("sub");
    build(&dir, &sub, &["--base-url", SUB_PATH_BASE]);
    assert_no_problems(&sub_path_problems(&sub), "starter, sub-path");
    let sub_home = fs::read_to_string(sub.join("index.html")).unwrap();
    assert!(
        sub_home.contains(&format!("href=\"{SUB_PATH_BASE}style.css?h=")),
        "{sub_home}"
    );
}

#[test]
fn new_site_keeps_build_output_and_cache_out_of_git() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    assert!(new(&dir).status.success());
    build(&dir, &dir.join("public"), &[]);
    assert!(
        dir.join(".explainer-cache").is_dir(),
        "the build keeps a cache"
    );
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", describe(&out));
        text(&out.stdout)
    };
    git(&["init", "-q"]);
    let untracked = git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(untracked.contains("content/_index.md"), "{untracked}");
    for generated in ["public/", ".explainer-cache/"] {
        assert!(
            !untracked.contains(generated),
            "{generated} would be committed:\n{untracked}"
        );
    }
}

#[test]
fn new_into_an_existing_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = new(tmp.path());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(tmp.path().join("config.toml").is_file());
}

#[test]
fn new_refuses_a_non_empty_folder_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("taken");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = new(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("not empty") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    let left: Vec<_> = files(&dir).into_keys().collect();
    assert_eq!(left, ["notes.txt"]);
    assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");

    // A hidden file counts too.
    let hidden = tmp.path().join("hidden");
    fs::create_dir(&hidden).unwrap();
    fs::write(hidden.join(".git"), "").unwrap();
    assert_eq!(new(&hidden).status.code(), Some(1));
    assert_eq!(fs::read_dir(&hidden).unwrap().count(), 1);

    // So does a file where the folder should be.
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    let out = new(&file);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
}
