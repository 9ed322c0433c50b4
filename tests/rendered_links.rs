//! Links are checked in the HTML the build writes, not in what the pipeline
//! assumes it writes: every internal href, src and srcset of every HTML output
//! file (pages, fallback templates, aliases, 404, HTML copied from static/)
//! must name a file the build wrote, and every `#fragment` an id in that file.

mod common;
use common::*;

const SOURCE: &str = "+++\ntitle = \"Sources\"\n\n[[sources]]\nid = \"bbc\"\ntitle = \"A report\"\npublisher = \"BBC News\"\nkind = \"news-report\"\n+++\nWhat we cite.\n";

/// With the built-in templates, a sources section renders no `#src-…` ids:
/// a citation pointing at one is dead, and the build says so where it was written.
#[test]
fn citations_into_a_sources_page_without_its_template_are_dead() {
    let site = Site::empty()
        .file("config.toml", CONFIG)
        .file(
            "content/_index.md",
            "+++\ntitle = \"Home\"\n+++\nWelcome.\n",
        )
        .file("content/sources/_index.md", SOURCE);
    let about = "+++\ntitle = \"About\"\n+++\nSaid so [@bbc].\n";
    let at = format!("content/about.md:{}", line_col(about, "[@bbc]"));
    for cmd in ["build", "check"] {
        site.write("content/about.md", about);
        site.run(&[cmd]).fails().stderr_has(&[
            "broken link \"https://example.org/sources/#src-bbc\"",
            "about/index.html",
            "sources/index.html has no element with id `src-bbc`",
            &at,
        ]);
    }
}

/// The starter's home template does not list events: a link to one through
/// `@/_index.md#ev-…` is dead although the event is declared there.
#[test]
fn an_anchor_only_the_front_matter_declares_is_dead() {
    let site = Site::empty();
    site.run(&["new", "starter"]).ok();
    let root = site.path("starter");
    let index = std::fs::read_to_string(root.join("content/_index.md")).unwrap();
    let event = "\n[[events]]\nid = \"closed\"\ndate = 2024-03-04\ntext = \"The council closes the footbridge.\"\nstatus = \"reported\"\nsource = \"example-gazette\"\nbasis = \"The council did not say when the bridge would reopen.\"\n";
    let index = index.replacen("\n+++\n", &format!("\n{event}+++\n"), 1);
    std::fs::write(root.join("content/_index.md"), index).unwrap();
    let about_path = root.join("content/about.md");
    let about = std::fs::read_to_string(&about_path).unwrap()
        + "\nSee [the closure](@/_index.md#ev-closed).\n";
    std::fs::write(&about_path, &about).unwrap();
    let at = format!(
        "content/about.md:{}",
        line_col(&about, "[the closure](@/_index.md#ev-closed)")
    );
    let run = |cmd: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
            .args([cmd, "--root", root.to_str().unwrap()])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for cmd in ["check", "build"] {
        let (code, stderr) = run(cmd);
        assert_eq!(code, Some(1), "{cmd}: {stderr}");
        for needle in [
            "#ev-closed",
            "index.html has no element with id `ev-closed`",
            &at,
        ] {
            assert!(stderr.contains(needle), "{cmd}: no {needle:?} in {stderr}");
        }
    }
}

/// A link a template writes itself is checked, and the error names the template.
#[test]
fn a_templates_own_link_is_checked() {
    let site = Site::basic();
    let run = site.breaks_with(
        &[(
            "templates/page.html",
            b"<!doctype html><title>{{ page.title }}</title><nav><a href=\"/nope/\">x</a></nav><main>{{ page.content | safe }}</main>\n",
        )],
        &[
            "broken link \"/nope/\"",
            "about/index.html",
            "no file /nope/index.html",
            "templates/page.html",
        ],
    );
    assert!(!run.stderr.contains("content/about.md:"), "{}", run.stderr);
    site.check().fails().stderr_has(&["broken link \"/nope/\""]);
}

/// Raw HTML in Markdown is checked like Markdown links, in the rendered page.
#[test]
fn a_raw_html_image_must_exist() {
    let page = "+++\ntitle = \"A\"\n+++\nA picture: <img src=\"/missing.png\" alt=\"A map\">\n";
    let at = format!("content/a.md:{}", line_col(page, "/missing.png"));
    Site::basic().breaks_with(
        &[("content/a.md", page.as_bytes())],
        &[
            "broken link \"/missing.png\"",
            "a/index.html",
            "no file /missing.png",
            &at,
        ],
    );
    let site = Site::basic().file("content/a.md", page);
    site.write_bytes("static/missing.png", &png(8, 8));
    site.build().ok();
}

/// A heading id the Markdown would have, on a page whose template does not
/// print the body, is not in the output: the link to it is dead.
#[test]
fn a_fragment_only_the_markdown_has_is_dead() {
    let site = Site::basic().file(
        "templates/short.html",
        "<!doctype html><title>{{ page.title }}</title><p>{{ page.description }}</p>\n",
    );
    let target = "+++\ntitle = \"T\"\ntemplate = \"short.html\"\n+++\n## Background\n\nText.\n";
    let linking = "+++\ntitle = \"L\"\n+++\nSee [the background](@/t.md#background).\n";
    let at = format!("content/l.md:{}", line_col(linking, "[the background]"));
    site.breaks_with(
        &[
            ("content/t.md", target.as_bytes()),
            ("content/l.md", linking.as_bytes()),
        ],
        &[
            "broken link \"https://example.org/t/#background\"",
            "l/index.html",
            "t/index.html has no element with id `background`",
            &at,
        ],
    );
}

/// A percent-encoded link to a file that exists is not broken; an encoded
/// fragment is decoded before it is looked for.
#[test]
fn percent_encoded_links_resolve() {
    Site::basic()
        .file("content/reports/index.md", "+++\ntitle = \"R\"\n+++\n## Über {#über}\n\n[r](../reports/Council%20Report.pdf) [s](Council%20Report.pdf) [u](#%C3%BCber)\n")
        .file("content/reports/Council Report.pdf", "%PDF")
        .build()
        .ok();
}

/// Aliases, the 404 page and HTML copied from static/ are checked too.
#[test]
fn every_html_file_the_build_writes_is_checked() {
    let site = Site::basic();
    site.breaks_with(
        &[(
            "templates/404.html",
            b"<!doctype html><title>Not found</title><a href=\"/gone/\">home</a>\n",
        )],
        &["broken link \"/gone/\"", "404.html", "templates/404.html"],
    );
    let site = Site::basic();
    site.breaks_with(
        &[(
            "static/legacy/index.html",
            b"<!doctype html><title>Old</title><a href=\"../missing.html\">x</a>\n",
        )],
        &[
            "broken link \"../missing.html\"",
            "legacy/index.html",
            "static/legacy/index.html",
            "no file /missing.html",
        ],
    );
    let site = Site::basic();
    site.breaks_with(
        &[(
            "static/legacy/index.html",
            b"<!doctype html><title>Old</title><a href=\"../about/#nowhere\">x</a>\n",
        )],
        &["about/index.html has no element with id `nowhere`"],
    );
}

/// A template link to a file the build writes, and to an id present, passes;
/// `name` anchors count; a link to a directory needs its index.html.
#[test]
fn links_to_what_was_written_pass() {
    Site::basic()
        .file(
            "templates/page.html",
            "<!doctype html><title>{{ page.title }}</title><a name=\"top-of-page\"></a><a href=\"#top-of-page\">t</a><a href=\"/\">home</a><a href=\"/about\">about</a><a href=\"/robots.txt\">r</a><img srcset=\"/robots.txt 1x, /robots.txt?x=1 2x\" src=\"\"><main id=\"m\">{{ page.content | safe }}</main><a href=\"#m\">m</a>\n",
        )
        .build()
        .ok();
}

/// Warm builds check kept pages too: an edit that removes an id another,
/// unchanged page links to is reported on the build after it, with the cache.
#[test]
fn removing_an_id_an_unchanged_page_links_to_fails_the_warm_build() {
    let site = Site::basic()
        .file(
            "content/t.md",
            "+++\ntitle = \"T\"\n+++\n## Background\n\nText.\n",
        )
        .file(
            "content/l.md",
            "+++\ntitle = \"L\"\n+++\nSee [it](@/t.md#background).\n",
        );
    site.build().ok();
    site.build().ok();
    let before = snapshot_dir(&site.path("public"));
    site.write(
        "content/t.md",
        "+++\ntitle = \"T\"\n+++\n## Context\n\nText.\n",
    );
    site.build().fails().stderr_has(&[
        "t/index.html has no element with id `background`",
        "l/index.html",
        "content/l.md:4:5",
    ]);
    assert_eq!(
        before,
        snapshot_dir(&site.path("public")),
        "previous output changed"
    );
    site.write(
        "content/t.md",
        "+++\ntitle = \"T\"\n+++\n## Background\n\nMore text.\n",
    );
    site.build().ok();
    std::fs::remove_file(site.path("content/t.md")).unwrap();
    site.build().fails();
}

/// A template may not write an unsafe link either.
#[test]
fn a_template_may_not_write_a_javascript_link() {
    Site::basic().breaks_with(
        &[(
            "templates/page.html",
            b"<!doctype html><title>{{ page.title }}</title><a href=\" JavaScript:alert(1)\">x</a>{{ page.content | safe }}\n",
        )],
        &["unsafe link \" JavaScript:alert(1)\"", "about/index.html", "templates/page.html"],
    );
}

/// A file kept from the last build is not read again, but its links still
/// are checked against what changed: renaming a heading on an edited page
/// breaks a kept file that links to it, and deleting a file breaks a kept
/// file that links there.
#[test]
fn a_kept_file_whose_target_changed_is_checked_again() {
    let legacy = "<!doctype html><title>Old</title><a href=\"../about/#about-us\">x</a><a href=\"../notes.txt\">n</a>\n";
    let site = Site::basic()
        .file("static/legacy/index.html", legacy)
        .file("static/notes.txt", "notes");
    site.build().ok();
    // An edit that keeps the about page's ids: the kept file still passes.
    let about = "+++\ntitle = \"About\"\ndate = 2023-05-04\n+++\n# About us\n\nText, and more.\n";
    site.write("content/about.md", about);
    site.build().ok();
    site.write(
        "content/about.md",
        &about.replace("# About us", "# About the team"),
    );
    site.build().fails().stderr_has(&[
        "broken link \"../about/#about-us\"",
        "in the output file legacy/index.html",
        "about/index.html has no element with id `about-us`",
    ]);
    site.write("content/about.md", about);
    site.build().ok();
    std::fs::remove_file(site.path("static/notes.txt")).unwrap();
    site.build().fails().stderr_has(&[
        "broken link \"../notes.txt\"",
        "in the output file legacy/index.html",
    ]);
}

/// The same under `serve`, whose rebuilds keep the last good site in memory.
#[test]
fn serve_checks_a_kept_file_whose_target_changed() {
    use explainer::pipeline::NoHooks;
    use explainer::serve::site::Site as Served;
    let site = Site::basic().file(
        "static/legacy/index.html",
        "<!doctype html><title>Old</title><a href=\"../about/#about-us\">x</a>\n",
    );
    let builder = serve_builder(&site);
    let changed: std::collections::BTreeSet<std::path::PathBuf> =
        ["content/about.md"].iter().map(Into::into).collect();
    let first = builder
        .rebuild(&Served::default(), None, &NoHooks)
        .unwrap_or_else(|r| panic!("first build failed: {r:?}"));
    let about = "+++\ntitle = \"About\"\ndate = 2023-05-04\n+++\n# About us\n\nText, and more.\n";
    site.write("content/about.md", about);
    let second = builder
        .rebuild(&first.site, Some(&changed), &NoHooks)
        .unwrap_or_else(|r| panic!("an edit keeping the ids failed: {r:?}"));
    site.write(
        "content/about.md",
        &about.replace("# About us", "# About the team"),
    );
    let Err(report) = builder.rebuild(&second.site, Some(&changed), &NoHooks) else {
        panic!("a heading renamed under a kept file's link built");
    };
    let text = format!("{report:?}");
    assert!(text.contains("has no element with id `about-us`"), "{text}");
}
