//! `explainer build`: a site folder becomes a complete static site.

mod common;
use common::*;

#[path = "../examples/gen_corpus.rs"]
mod gen_corpus;

#[test]
fn builds_pages_sections_and_site_files() {
    let site = Site::basic()
        .file(
            "content/parties/_index.md",
            "+++\ntitle = \"Parties\"\nsort_by = \"title\"\n+++\n",
        )
        .file("content/parties/b.md", "+++\ntitle = \"Bravo\"\n+++\nB\n")
        .file(
            "content/parties/a.md",
            "---\ntitle: Alpha\ndate: 2023-05-03\n---\nA\n",
        );
    let run = site.build().ok();
    assert!(
        run.stderr.contains("Built 4 pages") || run.stderr.contains("Built 3 pages"),
        "{}",
        run.stderr
    );
    assert!(
        site.output("about/index.html")
            .contains("<title>About</title>")
    );
    assert!(
        site.output("parties/a/index.html")
            .contains("<title>Alpha</title>")
    );
    let section = site.output("parties/index.html");
    let (a, b) = (
        section.find("Alpha").unwrap(),
        section.find("Bravo").unwrap(),
    );
    assert!(a < b, "sort_by = title puts Alpha first:\n{section}");
    assert!(
        site.output("sitemap.xml")
            .contains("<loc>https://example.org/parties/a/</loc>")
    );
    assert!(
        site.output("robots.txt")
            .contains("Sitemap: https://example.org/sitemap.xml")
    );
    let feed = site.output("atom.xml");
    assert!(
        feed.contains("<title>About</title>") && feed.contains("<title>Alpha</title>"),
        "{feed}"
    );
    assert!(
        !feed.contains("Bravo"),
        "undated pages stay out of the feed"
    );
    assert!(
        site.has_output("404.html"),
        "a built-in 404 page is written"
    );
}

#[test]
fn folder_without_index_is_a_section_and_bundles_copy_their_files() {
    let site = Site::basic()
        .file("content/notes/one.md", "+++\ntitle = \"One\"\n+++\nOne.\n")
        .file(
            "content/story/index.md",
            "+++\ntitle = \"Story\"\n+++\n![photo](photo.jpg)\n",
        );
    // A real JPEG: a file that only says it is one is an error (tests/images.rs).
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(4, 4)
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    site.write_bytes("content/story/photo.jpg", jpeg.get_ref());
    site.build().ok();
    assert!(
        site.has_output("notes/index.html"),
        "implicit section rendered"
    );
    assert_eq!(
        std::fs::read(site.path("public/story/photo.jpg")).unwrap(),
        *jpeg.get_ref()
    );
    assert!(site.has_output("story/index.html"));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = Site::basic().file(
        "content/wip.md",
        "+++\ntitle = \"WIP\"\ndraft = true\n+++\n",
    );
    site.build().ok();
    assert!(!site.has_output("wip/index.html"));
    site.run(&["build", "--drafts"]).ok();
    assert!(site.has_output("wip/index.html"));
}

#[test]
fn slug_weight_and_template_keys_are_honoured() {
    let site = Site::basic()
        .file(
            "content/x/_index.md",
            "+++\ntitle = \"X\"\nsort_by = \"weight\"\npage_template = \"special.html\"\n+++\n",
        )
        .file(
            "content/x/first.md",
            "+++\ntitle = \"First\"\nweight = 2\nslug = \"Renamed Page\"\n+++\n",
        )
        .file(
            "content/x/second.md",
            "+++\ntitle = \"Second\"\nweight = 1\n+++\n",
        )
        .file(
            "templates/special.html",
            "special {{ page.title }} {{ page.slug }}",
        )
        .file(
            "templates/section.html",
            "{% for p in section.pages %}[{{ p.title }}]{% endfor %}",
        );
    site.build().ok();
    assert_eq!(
        site.output("x/renamed-page/index.html"),
        "special First renamed-page"
    );
    assert_eq!(site.output("x/index.html"), "[Second][First]");
}

#[test]
fn headings_get_ids_and_the_page_exposes_a_toc() {
    let site = Site::basic()
        .file("content/t.md", "+++\ntitle = \"T\"\n+++\n# One\n## Two\n## Two\n")
        .file("templates/page.html", "{% for h in page.toc %}{{ h.id }}:{% for c in h.children %}{{ c.id }},{% endfor %}{% endfor %}|{{ page.content | safe }}");
    site.build().ok();
    let html = site.output("t/index.html");
    assert!(html.starts_with("one:two,two-1,|"), "{html}");
    assert!(html.contains("<h2 id=\"two-1\">Two</h2>"), "{html}");
}

#[test]
fn code_is_highlighted_with_classes_and_a_light_dark_stylesheet() {
    let site = Site::basic().file(
        "content/c.md",
        "+++\ntitle = \"C\"\n+++\n```rust\nfn main() {}\n```\n\n```nosuch\n<x>\n```\n",
    );
    site.build().ok();
    let html = site.output("c/index.html");
    assert!(html.contains("class=\"hl-"), "{html}");
    assert!(
        html.contains("&lt;x&gt;"),
        "unknown language is escaped: {html}"
    );
    assert!(
        site.output("syntax.css")
            .contains("prefers-color-scheme: dark")
    );
}

#[test]
fn template_contract_functions_and_filters_work() {
    let site = Site::basic()
        .file("static/style.css", "body{}")
        .file("config.toml", "base_url = \"https://example.org/explainer\"\ntitle = \"T\"\n[extra]\nowner = \"desk\"\n")
        .file(
            "templates/page.html",
            "{{ get_url(path=\"style.css\", cachebust=true) }}|{{ get_url(path=\"@/about.md\") }}|{% set p = get_page(path=\"about.md\") %}{{ p.title }}|{% set s = get_section(path=\"_index.md\") %}{{ s.title }}|{{ page.date | date(format=\"%-d %B %Y\") }}|{{ config.extra.owner }}|{{ page.reading_time }}",
        );
    site.build().ok();
    let out = site.output("about/index.html");
    let parts: Vec<&str> = out.split('|').collect();
    assert!(
        parts[0].starts_with("https://example.org/explainer/style.css?h="),
        "{out}"
    );
    assert_eq!(parts[1], "https://example.org/explainer/about/");
    assert_eq!(parts[2], "About");
    assert_eq!(parts[3], "Home");
    assert_eq!(parts[4], "4 May 2023");
    assert_eq!(parts[5], "desk");
    assert_eq!(parts[6], "1");
}

#[test]
fn rebuild_with_no_change_writes_nothing_and_keeps_mtimes() {
    let site = Site::basic();
    site.build().ok();
    let page = site.path("public/about/index.html");
    let before = std::fs::metadata(&page).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    site.build().ok().stderr_has(&["0 files written"]);
    assert_eq!(
        std::fs::metadata(&page).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn one_page_edit_rewrites_only_what_changed_and_removes_stale_files() {
    let site = Site::basic().file("content/old.md", "+++\ntitle = \"Old\"\n+++\n");
    site.build().ok();
    site.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ndate = 2023-05-04\n+++\nChanged.\n",
    );
    std::fs::remove_file(site.path("content/old.md")).unwrap();
    let run = site.build().ok();
    // about page, home listing (lists pages), feed (has page content), sitemap (old page gone).
    assert!(run.stderr.contains("removed"), "{}", run.stderr);
    assert!(!site.has_output("old/index.html"));
    assert!(site.output("about/index.html").contains("Changed."));
}

#[test]
fn builds_are_byte_identical() {
    let site = Site::basic().file(
        "content/c.md",
        "+++\ntitle = \"C\"\n+++\n```rust\nlet x = 1;\n```\n",
    );
    site.run(&["build", "-o", "one"]).ok();
    site.run(&["build", "-o", "two"]).ok();
    assert_eq!(
        snapshot_dir(&site.path("one")),
        snapshot_dir(&site.path("two"))
    );
}

#[test]
fn failed_build_leaves_previous_output_byte_identical() {
    let site = Site::basic();
    site.build().ok();
    let before = snapshot_dir(&site.path("public"));
    site.write("content/about.md", "+++\ntitle = \n+++\n");
    site.build().fails().stderr_has(&["content/about.md:2:"]);
    assert_eq!(before, snapshot_dir(&site.path("public")));
}

#[test]
fn refuses_output_folders_it_must_not_touch() {
    let site = Site::basic().file("elsewhere/precious.txt", "keep me");
    site.run(&["build", "-o", "/"])
        .fails()
        .stderr_has(&["file-system root"]);
    site.run(&["build", "-o", "."])
        .fails()
        .stderr_has(&["site folder itself"]);
    site.run(&["build", "-o", "content/out"])
        .fails()
        .stderr_has(&["content/ folder"]);
    site.run(&["build", "-o", "elsewhere"])
        .fails()
        .stderr_has(&["not empty"]);
    assert_eq!(
        std::fs::read_to_string(site.path("elsewhere/precious.txt")).unwrap(),
        "keep me"
    );
    let home = site.path("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".bashrc"), "x").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
        .args(["build", "-o"])
        .arg(&home)
        .current_dir(site.root())
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("home folder"));
}

#[test]
fn bench_corpus_builds() {
    let dir = tempfile::tempdir().unwrap();
    gen_corpus::write_corpus(200, dir.path()).unwrap();
    let root = dir.path().join("explainer");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
        .args(["build", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(root.join("public/s3/p13/index.html")).unwrap();
    assert!(page.contains("<h1>Page 13</h1>"), "{page}");
    assert!(page.contains("href=\"../../s4/p14/\""), "{page}");
}

#[test]
fn bench_corpus_is_the_same_every_run_and_refuses_foreign_folders() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    gen_corpus::write_corpus(30, a.path()).unwrap();
    gen_corpus::write_corpus(30, b.path()).unwrap();
    // A rerun into its own folder replaces it.
    gen_corpus::write_corpus(30, a.path()).unwrap();
    let page = "hugo/content/s7/p17.md";
    assert_eq!(
        std::fs::read(a.path().join(page)).unwrap(),
        std::fs::read(b.path().join(page)).unwrap()
    );
    let foreign = tempfile::tempdir().unwrap();
    std::fs::write(foreign.path().join("precious.txt"), "keep me").unwrap();
    assert!(gen_corpus::write_corpus(30, foreign.path()).is_err());
    assert!(foreign.path().join("precious.txt").exists());
}

#[test]
fn help_shows_examples_and_bad_usage_exits_2() {
    let site = Site::empty();
    site.run(&["build", "--help"])
        .ok()
        .stdout_has(&["Examples:"]);
    assert_eq!(site.run(&["build", "--no-such-flag"]).code, 2);
}
