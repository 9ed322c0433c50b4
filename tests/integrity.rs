//! Output and process integrity under faults: a commit that fails partway,
//! two builds at once, inputs that are not regular files or are too big, and
//! files in the output folder that the build did not write.
#![cfg(unix)]

mod common;
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// A built site whose next build adds a dated page: it changes the feed, the
/// sitemap and the home page and adds a file, so a commit has much to do.
fn built_then_edited() -> (Site, std::collections::BTreeMap<String, Vec<u8>>) {
    let site = Site::basic();
    site.build().ok();
    let before = snapshot_dir(&site.path("public"));
    site.write(
        "content/news.md",
        "+++\ntitle = \"News\"\ndate = 2023-05-05\n+++\nSomething happened.\n",
    );
    (site, before)
}

/// The output of a clean build of `site` (no cache, empty output folder), elsewhere.
fn clean_build(site: &Site) -> std::collections::BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let cache = site.path(".explainer-cache");
    let _ = std::fs::rename(&cache, site.path("cache-aside"));
    site.run(&["build", "-o", out.path().to_str().unwrap()])
        .ok();
    let _ = std::fs::remove_dir_all(&cache);
    let _ = std::fs::rename(site.path("cache-aside"), &cache);
    snapshot_dir(out.path())
}

fn build_with_fault(site: &Site, fault: &str) -> Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
        .arg("build")
        .current_dir(site.root())
        .env("EXPLAINER_FAIL_RENAME_TO", fault)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The sitemap cannot be moved aside (as with `chattr +i`, or a file owned
/// by someone else): the commit fails after the feed and the new page went
/// in, and must put them back.
#[test]
fn a_commit_that_fails_partway_rolls_back_to_the_previous_build_exactly() {
    let (site, before) = built_then_edited();
    let run = build_with_fault(&site, ".explainer-staging/old/sitemap.xml")
        .fails()
        .stderr_has(&[
            "sitemap.xml",
            "the output folder was not changed",
            "put back",
        ]);
    assert!(!run.stderr.contains("mixes"), "{}", run.stderr);
    assert_eq!(
        snapshot_dir(&site.path("public")),
        before,
        "the previous build, exactly"
    );
    assert!(!site.path("public/.explainer-staging").exists());
    // The fault gone, the next build commits whole.
    site.build().ok();
    assert_eq!(snapshot_dir(&site.path("public")), clean_build(&site));
}

/// A commit fails and the file it had moved aside cannot be put back
/// either: the message names exactly that file, and the next build repairs it.
#[test]
fn a_commit_that_cannot_roll_back_names_the_files_and_the_next_build_repairs_them() {
    let (site, before) = built_then_edited();
    let run = build_with_fault(&site, "public/sitemap.xml")
        .fails()
        .stderr_has(&[
            "error[output-mixed]",
            "1 file of the previous build could not be put back: sitemap.xml",
            "the output folder mixes the two builds",
        ]);
    assert!(!run.stderr.contains("was not changed"), "{}", run.stderr);
    let now = snapshot_dir(&site.path("public"));
    let differs: Vec<&String> = (before.keys().chain(now.keys()))
        .filter(|p| before.get(*p) != now.get(*p))
        .collect();
    assert_eq!(
        differs,
        ["sitemap.xml"],
        "only the named file is not the previous build's"
    );
    site.build().ok();
    assert_eq!(snapshot_dir(&site.path("public")), clean_build(&site));
}

/// The same with a real immutable file, where the file system allows it.
#[test]
fn an_immutable_output_file_fails_the_build_and_changes_nothing() {
    let (site, before) = built_then_edited();
    let sitemap = site.path("public/sitemap.xml");
    let chattr = |flag: &str| {
        std::process::Command::new("chattr")
            .args([flag, sitemap.to_str().unwrap()])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !chattr("+i") {
        eprintln!("chattr +i is not available here; the fault-injection tests above cover this");
        return;
    }
    let run = site.build();
    chattr("-i");
    run.fails()
        .stderr_has(&["sitemap.xml", "the output folder was not changed"]);
    assert_eq!(snapshot_dir(&site.path("public")), before);
}

/// A site big enough that a build takes a while in a debug binary.
fn big_site(pages: usize) -> Site {
    let site = Site::basic();
    for p in 0..pages {
        let body: String = (0..20)
            .map(|k| format!("## Part {k}\n\nPage {p} part {k} text with *emphasis*.\n\n"))
            .collect();
        site.write(
            &format!("content/p{p}.md"),
            &format!("+++\ntitle = \"Page {p}\"\n+++\n{body}"),
        );
    }
    site
}

#[test]
fn a_second_build_into_the_same_folder_waits_for_the_first() {
    let site = big_site(600);
    let (mut first, first_err) = site.spawn(&["build"]);
    let staging = site.path("public/.explainer-staging");
    let started = Instant::now();
    while !staging.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first build never staged"
        );
        if first.try_wait().unwrap().is_some() {
            panic!("the first build ended before the second could start");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let second = site.build();
    assert!(
        first.wait().unwrap().success(),
        "{}",
        first_err.join().unwrap()
    );
    second
        .ok()
        .stderr_has(&["waiting: another build is writing to"]);
    assert_eq!(snapshot_dir(&site.path("public")), clean_build(&site));
}

#[test]
fn serve_and_build_on_one_site_do_not_disturb_each_other() {
    let site = big_site(200);
    let (mut serve, _) = site.spawn(&["serve", "--port", "0"]);
    site.build().ok().stderr_has(&["Built"]);
    site.write("content/p1.md", "+++\ntitle = \"Edited\"\n+++\nEdited.\n");
    site.build().ok();
    assert!(
        serve.try_wait().unwrap().is_none(),
        "serve is still running"
    );
    // SAFETY: kill has no memory effects; the child is not yet reaped.
    unsafe { libc::kill(serve.id() as libc::pid_t, libc::SIGTERM) };
    let status = serve.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(snapshot_dir(&site.path("public")), clean_build(&site));
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// Run `build` with a time limit: a build that hangs fails the test instead.
fn build_within(site: &Site, limit: Duration) -> Run {
    let (mut child, stderr) = site.spawn(&["build"]);
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Run {
                code: status.code().unwrap_or(-1),
                stdout: String::new(),
                stderr: stderr.join().unwrap(),
            };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the build hung: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_fifo_anywhere_in_the_inputs_is_an_error_naming_it_not_a_hang() {
    for (rel, extra) in [
        ("content/pipe.md", None),
        ("static/pipe.css", None),
        (
            "content/bundle/pipe.png",
            Some((
                "content/bundle/index.md",
                "+++\ntitle = \"B\"\n+++\nBundle.\n",
            )),
        ),
        (
            "content/archive.txt",
            Some((
                "content/sources.md",
                "+++\ntitle = \"S\"\n[[sources]]\nid = \"s\"\ntitle = \"S\"\npublisher = \"P\"\narchive = \"archive.txt\"\n+++\nSources.\n",
            )),
        ),
    ] {
        let site = Site::basic();
        site.build().ok();
        let before = snapshot_dir(&site.path("public"));
        if let Some((path, text)) = extra {
            site.write(path, text);
        }
        mkfifo(&site.path(rel));
        build_within(&site, Duration::from_secs(30))
            .fails()
            .stderr_has(&[rel, "named pipe"]);
        assert_eq!(snapshot_dir(&site.path("public")), before, "{rel}");
    }
}

#[test]
fn a_device_as_a_content_file_is_an_error_not_endless_memory() {
    let site = Site::basic();
    let zero = site.path("content/zero.md");
    let made = std::process::Command::new("mknod")
        .args([zero.to_str().unwrap(), "c", "1", "5"])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        // Not root: a symlink to the same device is read the same way.
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    }
    build_within(&site, Duration::from_secs(30))
        .fails()
        .stderr_has(&["content/zero.md", "a device"]);
}

#[test]
fn an_input_over_the_size_limit_is_an_error() {
    let site = Site::basic();
    site.build().ok();
    // Sparse: 257 MiB on paper, nothing on disk.
    std::fs::create_dir_all(site.path("static")).unwrap();
    let f = std::fs::File::create(site.path("static/huge.bin")).unwrap();
    f.set_len(257 << 20).unwrap();
    build_within(&site, Duration::from_secs(60))
        .fails()
        .stderr_has(&["static/huge.bin", "larger than 256 MiB"]);
}

#[test]
fn files_the_build_did_not_write_are_kept_with_or_without_a_cache() {
    let site = Site::basic();
    site.build().ok();
    site.write("public/CNAME", "example.org\n");
    site.write("public/.well-known/security.txt", "Contact: x\n");
    site.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\nChanged.\n",
    );
    site.build().ok();
    assert_eq!(site.output("CNAME"), "example.org\n");
    // A page added by a build with a cache is listed as the build's own ...
    site.write("content/added.md", "+++\ntitle = \"Added\"\n+++\nNew.\n");
    site.build().ok();
    std::fs::remove_dir_all(site.path(".explainer-cache")).unwrap();
    // ... so a build without a cache removes it when it goes.
    std::fs::remove_file(site.path("content/added.md")).unwrap();
    site.build().ok();
    assert!(!site.has_output("added/index.html"));
    std::fs::remove_dir_all(site.path(".explainer-cache")).unwrap();
    site.write(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\nChanged again.\n",
    );
    site.build().ok();
    assert_eq!(
        site.output("CNAME"),
        "example.org\n",
        "kept without a cache too"
    );
    assert!(site.has_output(".well-known/security.txt"));
    // What the build did write and no longer produces still goes, cache or not.
    std::fs::remove_file(site.path("content/about.md")).unwrap();
    site.build().ok();
    assert!(!site.has_output("about/index.html"));
    assert_eq!(site.output("CNAME"), "example.org\n");
}

/// A page template that never finishes in any reasonable time.
const RUNAWAY: &str = "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{{ j }}{% endfor %}{% endfor %}";

/// A page template that doubles a string forty times (a terabyte).
const MEMORY_BOMB: &str = "{% set_global s = \"xx\" %}{% for i in range(end=40) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}";

/// A built site whose page template is then replaced by `template`.
fn built_with_page_template(
    template: &str,
    config_extra: &str,
) -> (Site, std::collections::BTreeMap<String, Vec<u8>>) {
    let site = Site::basic();
    site.build().ok();
    let before = snapshot_dir(&site.path("public"));
    site.write("config.toml", &format!("{CONFIG}{config_extra}"));
    site.write("templates/page.html", template);
    (site, before)
}

fn interrupt_a_runaway_render(signal: i32) {
    let (site, before) = built_with_page_template(RUNAWAY, "");
    let (mut child, stderr) = site.spawn(&["build"]);
    // Well into the render: the staging folder exists and nothing will finish soon.
    let started = Instant::now();
    while !site.path("public/.explainer-staging").exists()
        || started.elapsed() < Duration::from_millis(500)
    {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended by itself"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill has no memory effects; the child is not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("the build ignored the signal for 10 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = sent.elapsed();
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: the output folder was not touched"),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(1),
        "ended {took:?} after the signal"
    );
    assert_eq!(snapshot_dir(&site.path("public")), before);
    assert!(!site.path("public/.explainer-staging").exists());
}

#[test]
fn sigint_ends_a_build_stuck_in_a_template_within_a_second() {
    interrupt_a_runaway_render(libc::SIGINT);
}

#[test]
fn sigterm_ends_a_build_stuck_in_a_template_within_a_second() {
    interrupt_a_runaway_render(libc::SIGTERM);
}

#[test]
fn a_render_over_the_time_limit_is_stopped_naming_the_template_and_page() {
    let (site, before) = built_with_page_template(RUNAWAY, "render_timeout = 1\n");
    let started = Instant::now();
    build_within(&site, Duration::from_secs(60)).fails().stderr_has(&[
        "error[template]: rendering content/about.md with templates/page.html ran longer than 1 s (render_timeout in config.toml)",
        "the output folder was not changed",
    ]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(snapshot_dir(&site.path("public")), before);
    assert!(!site.path("public/.explainer-staging").exists());
}

#[test]
fn a_template_that_blows_up_memory_fails_the_build_without_an_abort() {
    let (site, before) = built_with_page_template(MEMORY_BOMB, "");
    build_within(&site, Duration::from_secs(120))
        .fails()
        .stderr_has(&[
            "rendering content/about.md with templates/page.html asked for",
            "of memory at once",
        ]);
    assert_eq!(snapshot_dir(&site.path("public")), before);
    assert!(!site.path("public/.explainer-staging").exists());
}

/// A site whose pages have what the cache remembers: tables of contents,
/// links between pages, citations of nothing, dates for the feed.
fn cached_site() -> Site {
    let site = Site::basic().file(
        "templates/page.html",
        "<!doctype html><title>{{ page.title }}</title><nav>{% for h in page.toc %}<a href=\"#{{ h.id }}\">{{ h.title }}</a>{% endfor %}</nav><main>{{ page.content | safe }}</main>\n",
    );
    for p in 0..12 {
        site.write(
            &format!("content/p{p}.md"),
            &format!(
                "+++\ntitle = \"Page {p}\"\ndate = 2023-05-{:02}\n+++\n## The year before\n\nText of page {p}, see [the next](@/p{}.md).\n\n## After\n\nMore.\n",
                p + 1,
                (p + 1) % 12
            ),
        );
    }
    site
}

mod damaged_cache {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    struct Fixture {
        site: Site,
        /// The output and cache of the first build, to restore before each case.
        saved: tempfile::TempDir,
        /// What a clean build of the edited site writes.
        expected: BTreeMap<String, Vec<u8>>,
    }

    const EDIT: (&str, &str) = (
        "content/p5.md",
        "+++\ntitle = \"Page 5\"\ndate = 2023-05-06\n+++\n## The year before\n\nEdited text.\n",
    );

    fn fixture() -> &'static std::sync::Mutex<Fixture> {
        static F: std::sync::OnceLock<std::sync::Mutex<Fixture>> = std::sync::OnceLock::new();
        F.get_or_init(|| {
            let site = cached_site();
            site.build().ok();
            let saved = tempfile::tempdir().unwrap();
            for dir in ["public", ".explainer-cache"] {
                copy_tree(&site.path(dir), &saved.path().join(dir));
            }
            let original = std::fs::read_to_string(site.path(EDIT.0)).unwrap();
            site.write(EDIT.0, EDIT.1);
            let expected = clean_build(&site);
            site.write(EDIT.0, &original);
            std::sync::Mutex::new(Fixture {
                site,
                saved,
                expected,
            })
        })
    }

    /// The cache's files, sorted: the head file and the memo file.
    fn cache_files(site: &Site) -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(site.path(".explainer-cache"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("build-"))
            })
            .collect();
        files.sort();
        assert_eq!(files.len(), 2, "a head file and a memo file: {files:?}");
        files
    }

    /// Restore the first build, damage its cache with `damage`, edit a page and build.
    fn build_with_damaged_cache(damage: impl FnOnce(&[std::path::PathBuf])) {
        let f = fixture().lock().unwrap_or_else(|e| e.into_inner());
        for dir in ["public", ".explainer-cache"] {
            let _ = std::fs::remove_dir_all(f.site.path(dir));
            copy_tree(&f.saved.path().join(dir), &f.site.path(dir));
        }
        damage(&cache_files(&f.site));
        f.site.write(EDIT.0, EDIT.1);
        let run = f.site.build().ok();
        assert!(
            run.stderr.matches("build cache").count() <= 1,
            "{}",
            run.stderr
        );
        let now = snapshot_dir(&f.site.path("public"));
        assert!(
            now == f.expected,
            "the output differs from a clean build's\n{}",
            run.stderr
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn a_flipped_bit_anywhere_in_the_cache_changes_nothing_in_the_output(
            file in 0..2usize, at in any::<prop::sample::Index>(), bit in 0..8u8,
        ) {
            build_with_damaged_cache(|files| {
                let mut bytes = std::fs::read(&files[file]).unwrap();
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << bit;
                std::fs::write(&files[file], bytes).unwrap();
            });
        }

        #[test]
        fn a_cache_cut_anywhere_changes_nothing_in_the_output(
            file in 0..2usize, at in any::<prop::sample::Index>(),
        ) {
            build_with_damaged_cache(|files| {
                let bytes = std::fs::read(&files[file]).unwrap();
                std::fs::write(&files[file], &bytes[..at.index(bytes.len())]).unwrap();
            });
        }
    }

    #[test]
    fn a_damaged_cache_is_reported_once_as_a_warning() {
        let f = fixture().lock().unwrap_or_else(|e| e.into_inner());
        for dir in ["public", ".explainer-cache"] {
            let _ = std::fs::remove_dir_all(f.site.path(dir));
            copy_tree(&f.saved.path().join(dir), &f.site.path(dir));
        }
        let files = cache_files(&f.site);
        let mut bytes = std::fs::read(&files[1]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x20;
        std::fs::write(&files[1], bytes).unwrap();
        f.site.write(EDIT.0, EDIT.1);
        let run = f.site.build().ok();
        assert_eq!(
            run.stderr
                .matches("warning[cache]: the build cache is damaged")
                .count(),
            1,
            "{}",
            run.stderr
        );
        // The next build finds a good cache again.
        let run = f.site.build().ok();
        assert!(!run.stderr.contains("damaged"), "{}", run.stderr);
    }
}

/// Every URL-bearing attribute in `html` (a feed entry's content).
fn urls_in(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            urls.push(part.split('"').next().unwrap().replace("&amp;", "&"));
        }
    }
    urls
}

#[test]
fn feeds_and_sitemaps_are_well_formed_xml_with_absolute_urls_whatever_the_base_url_and_titles() {
    let site = Site::basic()
        .file(
            "config.toml",
            "base_url = \"https://example.org/\"\ntitle = \"Q&A <live> \\\"now\\\" & 'then'\"\n",
        )
        .file(
            "content/news/index.md",
            "+++\ntitle = \"Drones & <Kremlin> \\\"claims\\\"\"\ndate = 2023-05-05\ndescription = \"A & B < C\"\n+++\n\
             ![diagram](diagram.png) See the note[^1] and [about](@/about.md) and [up](../).\n\n[^1]: A footnote.\n",
        );
    site.write_bytes("content/news/diagram.png", &png(8, 8));
    site.run(&["build", "--base-url", "https://example.org/a&b/"])
        .ok();
    let sitemap = site.output("sitemap.xml");
    let doc = roxmltree::Document::parse(&sitemap).unwrap_or_else(|e| panic!("{e}\n{sitemap}"));
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.contains(&"https://example.org/a&b/news/"), "{locs:?}");
    let feed = site.output("atom.xml");
    let doc = roxmltree::Document::parse(&feed).unwrap_or_else(|e| panic!("{e}\n{feed}"));
    let text_of = |tag: &str| -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag))
            .filter_map(|n| n.text().map(String::from))
            .collect()
    };
    assert_eq!(
        text_of("title"),
        [
            "Q&A <live> \"now\" & 'then'",
            "Drones & <Kremlin> \"claims\"",
            "About"
        ]
    );
    assert_eq!(text_of("summary"), ["A & B < C"]);
    assert_eq!(text_of("id")[1], "https://example.org/a&b/news/");
    let links: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("link"))
        .filter_map(|n| n.attribute("href"))
        .collect();
    assert_eq!(
        links[..3],
        [
            "https://example.org/a&b/atom.xml",
            "https://example.org/a&b/",
            "https://example.org/a&b/news/"
        ]
    );
    let content = &text_of("content")[0];
    let urls = urls_in(content);
    for expected in [
        "https://example.org/a&b/news/diagram.png",
        "https://example.org/a&b/news/#1",
        "https://example.org/a&b/about/",
        "https://example.org/a&b/",
    ] {
        assert!(
            urls.iter().any(|u| u == expected),
            "{expected} not in {urls:?}"
        );
    }
    assert!(urls.iter().all(|u| u.starts_with("https://")), "{urls:?}");
}
