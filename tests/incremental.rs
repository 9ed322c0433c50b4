//! Incremental builds: a no-op rebuild writes nothing, a one-page edit writes
//! only the files that change, and config or template changes invalidate the
//! cache kept in `ROOT/.explainer-cache`.

mod common;
use common::*;
use std::time::{Duration, SystemTime};

/// A site with a section whose template lists its pages' titles.
fn site() -> Site {
    Site::basic()
        .file("content/notes/_index.md", "+++\ntitle = \"Notes\"\nsort_by = \"title\"\n+++\n")
        .file("content/notes/a.md", "+++\ntitle = \"Alpha\"\n+++\nFirst note.\n")
        .file("content/notes/b.md", "+++\ntitle = \"Bravo\"\n+++\nSecond note.\n")
        .file(
            "templates/section.html",
            "<h1>{{ section.title }}</h1>{% for p in section.pages %}<li>{{ p.title }}</li>{% endfor %}\n",
        )
}

/// The files a `build -v` says it wrote, sorted.
fn written(run: &Run) -> Vec<String> {
    let mut w: Vec<String> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("wrote "))
        .map(str::to_string)
        .collect();
    w.sort();
    w
}

/// Date every file of the site an hour back, as if edited long before the build.
fn age_inputs(site: &Site) {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for e in walkdir::WalkDir::new(site.root()) {
        let e = e.unwrap();
        if e.file_type().is_file() && !e.path().starts_with(site.path("public")) {
            let f = std::fs::File::options().write(true).open(e.path()).unwrap();
            f.set_modified(hour_ago).unwrap();
        }
    }
}

/// The site, its inputs aged and built, then note `a` given the text `body`.
fn built_then_a_edited(body: &str) -> Site {
    let site = site();
    age_inputs(&site);
    site.build().ok();
    let text = format!("+++\ntitle = \"Alpha\"\n+++\n{body}\n");
    site.write("content/notes/a.md", &text);
    site
}

#[test]
fn no_op_rebuild_writes_nothing_and_skips_rendering() {
    let site = site();
    age_inputs(&site);
    let first = site.run(&["build", "-v"]).ok();
    assert!(written(&first).contains(&"notes/a/index.html".to_string()));
    let page = site.path("public/notes/a/index.html");
    let mtime = std::fs::metadata(&page).unwrap().modified().unwrap();
    let again = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&again), Vec::<String>::new());
    // Inputs this old are trusted by their stat: the cache's head settles
    // it, and the memo file (most of the cache) is not read.
    again.stderr_has(&[
        "0 files written",
        "no input changed since the last build (the memo file is not read)",
    ]);
    assert_eq!(std::fs::metadata(&page).unwrap().modified().unwrap(), mtime);
}

/// Right after an edit build, the edited file is too recent to be trusted
/// by its stat: its memo, in the cache's head file, settles it.
#[test]
fn a_no_op_right_after_an_edit_build_reads_only_the_cache_head() {
    let site = built_then_a_edited("First note, edited.");
    let edit = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&edit), ["notes/a/index.html"]);
    let again = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&again), Vec::<String>::new());
    again.stderr_has(&["no input changed since the last build (the memo file is not read)"]);
}

/// An edit that keeps the file's size and puts its mtime back, made in the
/// moment after a build (as a fast script or a checkout can): the stat says
/// nothing changed, so the no-op check must read the file. Its memo is in
/// the cache's head file, which is all a no-op reads.
#[test]
fn a_same_size_edit_with_the_mtime_put_back_right_after_a_build_is_built() {
    let site = built_then_a_edited("First note, edited.");
    site.build().ok();
    let path = site.path("content/notes/a.md");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\nFirst note, EDITED.\n",
    );
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&run), ["notes/a/index.html"], "{}", run.stderr);
    assert!(
        site.output("notes/a/index.html")
            .contains("First note, EDITED.")
    );
}

#[test]
fn no_op_rebuild_of_just_written_files_still_writes_nothing() {
    let site = site();
    site.build().ok();
    let again = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&again), Vec::<String>::new());
    again.stderr_has(&["0 files written"]);
}

#[test]
fn one_page_edit_writes_only_that_page() {
    let site = built_then_a_edited("First note, now longer.");
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&run), vec!["notes/a/index.html"]);
    assert!(site.output("notes/a/index.html").contains("now longer"));
}

#[test]
fn a_body_edit_rewrites_a_listing_that_shows_word_counts() {
    let site = site().file(
        "templates/section.html",
        "{% for p in section.pages %}<li>{{ p.title }}: {{ p.word_count }} words</li>{% endfor %}\n",
    );
    age_inputs(&site);
    site.build().ok();
    assert!(site.output("notes/index.html").contains("Alpha: 2 words"));
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\nFirst note, now four.\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(
        written(&run),
        vec!["notes/a/index.html", "notes/index.html"]
    );
    assert!(site.output("notes/index.html").contains("Alpha: 4 words"));
}

/// Unchanged pages' tables of contents come from the cache, where they stay
/// encoded until a listing reads them.
#[test]
fn a_listing_of_tables_of_contents_keeps_the_unchanged_pages_headings() {
    let site = site()
        .file(
            "templates/section.html",
            "{% for p in section.pages %}<li>{{ p.title }}:{% for h in p.toc %} <a href=\"{{ h.permalink }}\">{{ h.title }}</a>{% endfor %}</li>{% endfor %}\n",
        )
        .file(
            "content/notes/b.md",
            "+++\ntitle = \"Bravo\"\n+++\n## Second heading\n\nSecond note.\n",
        );
    age_inputs(&site);
    site.build().ok();
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\n## New heading\n\nFirst note.\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert!(written(&run).contains(&"notes/index.html".to_string()));
    let listing = site.output("notes/index.html");
    for entry in [
        "Alpha: <a href=\"https://example.org/notes/a/#new-heading\">New heading</a>",
        "Bravo: <a href=\"https://example.org/notes/b/#second-heading\">Second heading</a>",
    ] {
        assert!(listing.contains(entry), "{entry} missing from {listing}");
    }
}

#[test]
fn a_listing_that_reads_fields_by_computed_name_sees_body_edits() {
    let site = site().file(
        "templates/section.html",
        "{% set key = \"word_\" ~ \"count\" %}{% for p in section.pages %}<li>{{ p.title }}: {{ p[key] }}</li>{% endfor %}\n",
    );
    age_inputs(&site);
    site.build().ok();
    assert!(site.output("notes/index.html").contains("Alpha: 2<"));
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\nFirst note, now four.\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(
        written(&run),
        vec!["notes/a/index.html", "notes/index.html"]
    );
    assert!(site.output("notes/index.html").contains("Alpha: 4<"));
}

#[test]
fn an_edit_that_removes_a_linked_heading_breaks_the_unchanged_page_that_links_to_it() {
    let site = site().file(
        "content/notes/b.md",
        "+++\ntitle = \"Bravo\"\n+++\nSee [the detail](@/notes/a.md#detail).\n",
    );
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\n## Detail\n\nFirst note.\n",
    );
    age_inputs(&site);
    site.build().ok();
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\n## Summary\n\nFirst note.\n",
    );
    let run = site.build().fails();
    run.stderr_has(&[
        "content/notes/b.md",
        "notes/a/index.html has no element with id `detail`",
    ]);
}

#[test]
fn an_edit_that_adds_a_broken_link_is_reported_though_nothing_else_changed() {
    let site = site();
    age_inputs(&site);
    site.build().ok();
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\nFirst note, see [nowhere](@/notes/missing.md).\n",
    );
    let run = site.build().fails();
    run.stderr_has(&["content/notes/a.md:4:", "broken link", "notes/missing.md"]);
}

#[test]
fn a_changed_title_rewrites_the_page_and_the_listing_that_shows_it() {
    let site = site();
    site.build().ok();
    site.write(
        "content/notes/b.md",
        "+++\ntitle = \"Beta\"\n+++\nSecond note.\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(
        written(&run),
        vec!["notes/b/index.html", "notes/index.html"]
    );
    assert!(site.output("notes/index.html").contains("<li>Beta</li>"));
}

#[test]
fn a_new_page_is_written_and_listed_and_a_removed_one_is_removed() {
    let site = site();
    site.build().ok();
    site.write(
        "content/notes/c.md",
        "+++\ntitle = \"Charlie\"\n+++\nThird.\n",
    );
    std::fs::remove_file(site.path("content/notes/a.md")).unwrap();
    let run = site.run(&["build", "-v"]).ok();
    let w = written(&run);
    assert!(w.contains(&"notes/c/index.html".to_string()), "{w:?}");
    assert!(w.contains(&"notes/index.html".to_string()), "{w:?}");
    assert!(w.contains(&"sitemap.xml".to_string()), "{w:?}");
    run.stderr_has(&["removed notes/a/index.html", "1 removed"]);
    assert!(!site.has_output("notes/a/index.html"));
    assert_eq!(
        site.output("notes/index.html"),
        "<h1>Notes</h1><li>Bravo</li><li>Charlie</li>\n"
    );
}

#[test]
fn a_template_change_invalidates_the_cache() {
    let site = site();
    age_inputs(&site);
    site.build().ok();
    site.write(
        "templates/page.html",
        "<!doctype html><title>{{ page.title }}</title><article>{{ page.content | safe }}</article>\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    let w = written(&run);
    for page in [
        "about/index.html",
        "notes/a/index.html",
        "notes/b/index.html",
    ] {
        assert!(w.contains(&page.to_string()), "{page} not rewritten: {w:?}");
        assert!(site.output(page).contains("<article>"), "{page}");
    }
    assert!(
        !w.contains(&"notes/index.html".to_string()),
        "the section's bytes did not change"
    );
}

#[test]
fn a_config_change_invalidates_the_cache() {
    let site = site();
    age_inputs(&site);
    site.build().ok();
    assert!(
        site.output("index.html")
            .contains("<title>Test site</title>")
    );
    site.write(
        "config.toml",
        "base_url = \"https://example.org/\"\ntitle = \"Renamed site\"\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert!(written(&run).contains(&"index.html".to_string()));
    assert!(
        site.output("index.html")
            .contains("<title>Renamed site</title>")
    );
    site.write(
        "config.toml",
        "base_url = \"https://example.net/\"\ntitle = \"Renamed site\"\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert!(written(&run).contains(&"sitemap.xml".to_string()));
    assert!(
        site.output("sitemap.xml")
            .contains("https://example.net/notes/a/")
    );
}

#[test]
fn an_output_file_changed_by_hand_is_restored() {
    let site = site();
    age_inputs(&site);
    site.build().ok();
    let good = site.output("notes/a/index.html");
    std::fs::remove_file(site.path("public/notes/b/index.html")).unwrap();
    std::fs::write(site.path("public/notes/a/index.html"), "tampered").unwrap();
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(
        written(&run),
        vec!["notes/a/index.html", "notes/b/index.html"]
    );
    assert_eq!(site.output("notes/a/index.html"), good);
}

#[test]
fn a_deleted_cache_rebuilds_without_rewriting_unchanged_files() {
    let site = site();
    site.build().ok();
    std::fs::remove_dir_all(site.path(".explainer-cache")).unwrap();
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&run), Vec::<String>::new());
    assert!(
        site.path(".explainer-cache").is_dir(),
        "the cache is written again"
    );
}

#[test]
fn a_failed_build_leaves_no_staging_folder_and_keeps_the_cache_usable() {
    let site = site();
    site.build().ok();
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\n[broken](@/nowhere.md)\n",
    );
    site.build().fails();
    assert!(!site.path("public/.explainer-staging").exists());
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\nFixed.\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert_eq!(written(&run), vec!["notes/a/index.html"]);
}

#[test]
fn a_failed_first_build_creates_no_output_folder() {
    let site = site().file(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha\"\n+++\n[x](@/nowhere.md)\n",
    );
    site.build().fails();
    assert!(!site.path("public").exists());
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let site = site();
    let run = site.build().ok();
    assert!(!run.stderr.contains("rendering"), "{}", run.stderr);
    assert!(!run.stderr.contains('\r'), "{:?}", run.stderr);
}

#[test]
fn a_moved_link_target_updates_the_pages_and_the_feed_that_link_to_it() {
    let site = site().file(
        "content/x.md",
        "+++\ntitle = \"X\"\ndate = 2023-05-05\n+++\nSee [b](@/notes/b.md).\n",
    );
    site.build().ok();
    assert!(
        site.output("atom.xml")
            .contains("https://example.org/notes/b/")
    );
    site.write(
        "content/notes/b.md",
        "+++\ntitle = \"Bravo\"\nslug = \"bee\"\n+++\nSecond note.\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    let w = written(&run);
    for file in ["x/index.html", "atom.xml", "notes/bee/index.html"] {
        assert!(w.contains(&file.to_string()), "{file} not written: {w:?}");
    }
    assert!(
        site.output("x/index.html")
            .contains("https://example.org/notes/bee/")
    );
    assert!(
        site.output("atom.xml")
            .contains("https://example.org/notes/bee/")
    );
    assert!(!site.has_output("notes/b/index.html"));
}

/// The cache keeps each file's parsed front matter (statements, sources,
/// dates, `extra`); a rebuild that takes it from there must produce the same
/// site as a build that parses every file.
#[test]
fn an_edit_build_of_this_repos_site_matches_a_cold_build() {
    let site = Site::empty();
    for dir in ["content", "templates", "static"] {
        copy_tree(&repo_root().join(dir), &site.path(dir));
    }
    std::fs::copy(repo_root().join("config.toml"), site.path("config.toml")).unwrap();
    age_inputs(&site);
    site.build().ok();
    let about = site.path("content/about.md");
    let text = std::fs::read_to_string(&about).unwrap();
    site.write("content/about.md", &format!("{text}\nOne more sentence.\n"));
    let edit = site.run(&["build", "-v"]).ok();
    assert!(
        written(&edit).contains(&"about/index.html".to_string()),
        "{}",
        edit.stderr
    );
    let cold = site.path("cold");
    site.run(&["build", "-o", cold.to_str().unwrap()]).ok();
    let (incremental, fresh) = (snapshot_dir(&site.path("public")), snapshot_dir(&cold));
    assert_eq!(
        incremental.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>()
    );
    for (file, bytes) in &fresh {
        assert!(
            incremental[file] == *bytes,
            "{file} differs from a cold build"
        );
    }
}

#[test]
fn the_cache_remembers_every_edit_and_keeps_what_did_not_change() {
    use explainer::pipeline::{NoHooks, Options, build};
    let site = site();
    let opts = Options {
        root: site.root().to_path_buf(),
        drafts: false,
        base_url: None,
        relative: false,
    };
    let out = site.path("public");
    let cache = explainer::cache::path(&opts, &out);
    let build_and_recall = |content_path: &str| {
        build(&opts, &out, &NoHooks).expect("the site builds");
        let remembered = explainer::cache::load(&cache)
            .0
            .expect("the build left a cache");
        let memo = remembered
            .memo(content_path)
            .expect("the page is remembered");
        memo.meta.title.clone().unwrap_or_default()
    };
    assert_eq!(build_and_recall("notes/a.md"), "Alpha");
    site.write(
        "content/notes/a.md",
        "+++\ntitle = \"Alpha two\"\n+++\nFirst note.\n",
    );
    assert_eq!(build_and_recall("notes/a.md"), "Alpha two");
    site.write(
        "content/notes/b.md",
        "+++\ntitle = \"Bravo two\"\n+++\nSecond.\n",
    );
    assert_eq!(build_and_recall("notes/b.md"), "Bravo two");
    assert_eq!(build_and_recall("notes/a.md"), "Alpha two");
}

/// `serve` keeps every page's fingerprint from one rebuild to the next when
/// only bodies change. A page that looks another up (`get_page`) shows that
/// page's body (its word count here): an edit to it must reach the page
/// that looks it up, though that page's own file did not change.
#[test]
fn under_serve_a_body_edit_reaches_the_pages_that_look_it_up() {
    let a = |body: &str| format!("+++\ntitle = \"A\"\n+++\n{body}\n");
    let site = Site::basic()
        .file("content/a.md", &a("One two three."))
        .file("content/b.md", "+++\ntitle = \"B\"\n+++\nBee.\n")
        .file(
            "templates/page.html",
            "{% set a = get_page(path=\"a.md\") %}<title>{{ page.title }}</title><p>A has {{ a.word_count }} words.</p>{{ page.content | safe }}",
        );
    serve_edits(
        &site,
        &[
            ("content/a.md", &a("One two three four five.")),
            ("content/b.md", "+++\ntitle = \"B\"\n+++\nBee bee.\n"),
            ("content/a.md", &a("One.")),
        ],
    );
}
