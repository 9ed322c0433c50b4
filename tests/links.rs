//! Links and URLs: every URL a user supplies is parsed with the `url` crate,
//! only absolute http(s) URLs with a host are taken for the web, no
//! `javascript:`, `data:` or `vbscript:` link gets through, and links in raw
//! HTML are checked like Markdown's own.

mod common;
use common::*;

fn source_with_url(url: &str) -> String {
    format!(
        "+++\ntitle = \"Sources\"\n\n[[sources]]\nid = \"ledger\"\ntitle = \"A report\"\nkind = \"news-report\"\nurl = \"{url}\"\n+++\nCited [@ledger].\n"
    )
}

#[test]
fn a_source_url_must_be_an_absolute_http_url_with_a_host() {
    for url in [
        "javascript:alert(document.domain)",
        "data:text/html,hi",
        "vbscript:msgbox",
        "not a url",
        "lakeportledger.com/x",
        "htps://x.org/",
        "http:/x.org/",
    ] {
        let page = source_with_url(url);
        let at = format!("content/sources.md:{}", line_col(&page, url));
        Site::basic().breaks_with(
            &[("content/sources.md", page.as_bytes())],
            &[&format!("bad `url` {url:?} of source `ledger`"), &at],
        );
    }
    Site::basic()
        .file(
            "content/sources.md",
            &source_with_url("https://ledger.example.org/x"),
        )
        .build()
        .ok();
}

fn page(body: &str) -> String {
    format!("+++\ntitle = \"A\"\n+++\n{body}\n")
}

/// `body` on content/a.md breaks the build with `expect`, located at `at`.
fn body_fails(body: &str, at: &str, expect: &[&str]) {
    let text = page(body);
    let loc = format!("content/a.md:{}", line_col(&text, at));
    let mut expect = expect.to_vec();
    expect.push(&loc);
    Site::basic().breaks_with(&[("content/a.md", text.as_bytes())], &expect);
}

#[test]
fn external_links_must_be_well_formed_http_urls() {
    body_fails(
        "[r](htps://x.org/)",
        "[r]",
        &["malformed external link \"htps://x.org/\"", "`htps:`"],
    );
    body_fails(
        "[r](http:/x.org/)",
        "[r]",
        &["malformed external link \"http:/x.org/\""],
    );
    Site::basic()
        .file(
            "content/a.md",
            &page("[r](https://x.org/) [m](mailto:desk@x.org)"),
        )
        .build()
        .ok();
}

#[test]
fn unsafe_schemes_are_refused_in_markdown_and_raw_html() {
    body_fails("[x](javascript:alert(1))", "[x]", &["unsafe link"]);
    body_fails("[x](JavaScript&#58;alert(1))", "[x]", &["unsafe link"]);
    body_fails(
        "<a href=\"javascript:alert(1)\">x</a>",
        "javascript",
        &["unsafe link"],
    );
    body_fails(
        "<a href=\"java&#9;script:alert(1)\">x</a>",
        "java&",
        &["unsafe link"],
    );
    body_fails(
        "<img src=\"data:image/png;base64,AAAA\">",
        "data:",
        &["unsafe link"],
    );
    body_fails(
        "<p>\n<a href=\"vbscript:x\">x</a>\n</p>",
        "vbscript",
        &["unsafe link"],
    );
}

#[test]
fn broken_links_in_raw_html_are_found() {
    body_fails(
        "Go <a href=\"/nope/\">there</a>.",
        "/nope/",
        &["the build wrote no file /nope/index.html"],
    );
    body_fails(
        "<div>\n<img src=\"/img/none.png\">\n</div>",
        "/img/none.png",
        &["/img/none.png"],
    );
}

#[test]
fn percent_encoded_links_to_files_that_exist_resolve() {
    Site::basic()
        .file("content/report/index.md", "+++\ntitle = \"R\"\n+++\nSee [the report](Council%20Report.pdf) and [below](#caf%C3%A9).\n\n## Café {#café}\n")
        .file("content/report/Council Report.pdf", "%PDF")
        .build()
        .ok();
}

#[test]
fn a_bad_base_url_on_the_command_line_is_a_usage_error() {
    for url in ["javascript:alert(1)", "http:/x.org/", "example.org"] {
        let run = Site::basic().run(&["build", "--base-url", url]);
        assert_eq!(run.code, 2, "{url}: {}", run.stderr);
        assert!(run.stderr.contains("--base-url"), "{}", run.stderr);
    }
}

#[test]
fn a_static_file_on_a_generated_path_is_an_error_naming_both() {
    for (path, what) in [
        (
            "static/index.html",
            "the page generated from content/_index.md",
        ),
        (
            "static/about/index.html",
            "the page generated from content/about.md",
        ),
        ("static/sitemap.xml", "the generated sitemap.xml"),
        ("static/atom.xml", "the generated atom.xml"),
        ("static/404.html", "the generated 404.html"),
        ("static/robots.txt", "the generated robots.txt"),
    ] {
        Site::basic().breaks_with(
            &[(path, b"<p>mine</p>".as_slice())],
            &[&format!("{path} would replace {what}"), path],
        );
    }
}

#[test]
fn a_static_file_on_any_path_the_render_writes_is_an_error() {
    // syntax.css only when highlighting is on; an alias's redirect page.
    let s = Site::basic()
        .file(
            "config.toml",
            &format!("{CONFIG}[markdown]\nhighlight_code = true\n"),
        )
        .file(
            "content/about.md",
            "+++\ntitle = \"About\"\naliases = [\"/old/\"]\n+++\nText.\n",
        );
    for (path, what) in [
        ("static/syntax.css", "the generated syntax.css"),
        ("static/old/index.html", "the generated old/index.html"),
    ] {
        s.breaks_with(
            &[(path, b"<p>mine</p>".as_slice())],
            &[&format!("{path} would replace {what} at /")],
        );
        std::fs::remove_file(s.path(path)).unwrap();
    }
}

#[test]
fn a_link_to_a_draft_says_it_is_a_draft() {
    let s = Site::basic().file(
        "content/later.md",
        "+++\ntitle = \"Later\"\ndraft = true\n+++\nSoon.\n",
    );
    s.breaks_with(
        &[(
            "content/about.md",
            b"+++\ntitle = \"A\"\n+++\nSee [later](@/later.md).\n".as_slice(),
        )],
        &[
            "content/about.md:4:5",
            "content/later.md is a draft (draft = true)",
            "--drafts",
        ],
    );
    s.run(&["build", "--drafts"]).ok();
}
