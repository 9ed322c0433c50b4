//! `aliases`: old addresses of a moved page redirect to it, as in Zola.

mod common;
use common::*;

const MOVED: &str = "+++\ntitle = \"The denial\"\naliases = [\"/2023/05/denial/\", \"old-denial.html\"]\n+++\nText.\n";

#[test]
fn each_alias_gets_a_redirect_page_and_a_redirects_line() {
    let site = Site::basic().file("content/denial.md", MOVED);
    site.build().ok();
    let page = site.output("2023/05/denial/index.html");
    assert!(
        page.contains(
            "<meta http-equiv=\"refresh\" content=\"0; url=https://example.org/denial/\">"
        ),
        "{page}"
    );
    assert!(page.contains("<link rel=\"canonical\" href=\"https://example.org/denial/\">"));
    assert!(page.contains("The denial"));
    let file = site.output("old-denial.html");
    assert!(file.contains("url=https://example.org/denial/"), "{file}");
    let redirects = site.output("_redirects");
    assert!(
        redirects.contains("/2023/05/denial/ /denial/ 301"),
        "{redirects}"
    );
    assert!(
        redirects.contains("/old-denial.html /denial/ 301"),
        "{redirects}"
    );
}

#[test]
fn without_a_base_url_the_redirect_is_relative_and_reaches_the_page() {
    let site = Site::basic()
        .file("config.toml", "title = \"Test site\"\n")
        .file("content/denial.md", MOVED);
    site.build().ok();
    let page = site.output("2023/05/denial/index.html");
    assert!(page.contains("url=../../../denial/index.html"), "{page}");
    let target = site.path("public/2023/05/denial/../../../denial/index.html");
    assert!(target.is_file(), "{} does not exist", target.display());
}

#[test]
fn an_alias_on_a_page_address_is_an_error_naming_both() {
    let site = Site::basic().file("content/denial.md", MOVED);
    site.build().ok();
    let before = snapshot_dir(&site.path("public"));
    site.write(
        "content/denial.md",
        &MOVED.replace("\"old-denial.html\"", "\"/about/\""),
    );
    site.build().fails().stderr_has(&[
        "content/denial.md:3:",
        "alias \"/about/\" is the address of a page",
        "content/about.md is built at about/index.html",
    ]);
    assert_eq!(
        before,
        snapshot_dir(&site.path("public")),
        "previous output changed"
    );
}

#[test]
fn an_alias_claimed_twice_or_pointing_off_site_is_an_error() {
    let site = Site::basic()
        .file("content/denial.md", MOVED)
        .file(
            "content/other.md",
            "+++\ntitle = \"Other\"\naliases = [\"/2023/05/denial\", \"https://elsewhere.example/x/\"]\n+++\n",
        );
    site.build().fails().stderr_has(&[
        "alias \"/2023/05/denial\" is claimed twice",
        "bad alias \"https://elsewhere.example/x/\"",
        "content/other.md:3:",
    ]);
}

#[test]
fn a_removed_alias_is_removed_from_the_output() {
    let site = Site::basic().file("content/denial.md", MOVED);
    site.build().ok();
    assert!(site.has_output("old-denial.html"));
    site.write(
        "content/denial.md",
        &MOVED.replace(", \"old-denial.html\"", ""),
    );
    site.build().ok();
    assert!(!site.has_output("old-denial.html"));
    assert!(site.has_output("2023/05/denial/index.html"));
    assert!(!site.output("_redirects").contains("old-denial"));
}

/// An alias error points at the alias itself (from the parser's spans), not
/// at the same text met earlier in the front matter, in TOML and in YAML.
#[test]
fn an_alias_error_points_at_the_alias_itself() {
    let bad = "https://elsewhere.example/x/";
    let toml = format!(
        "+++\ntitle = \"Moved\"\ndescription = \"{bad}\"\naliases = [\"/ok/\", \"{bad}\"]\n+++\nText.\n"
    );
    let yaml = format!(
        "---\ntitle: Moved\ndescription: {bad}\naliases:\n  - /ok/\n  - {bad}\n---\nText.\n"
    );
    for text in [toml, yaml] {
        let alias_line = text
            .lines()
            .position(|l| l.ends_with(&format!("{bad}\"]")) || l == format!("  - {bad}"));
        let line = alias_line.expect("the alias line") + 1;
        let col = text.lines().nth(line - 1).unwrap().find(bad).unwrap() + 1;
        Site::basic()
            .file("content/moved.md", &text)
            .build()
            .fails()
            .stderr_has(&[&format!("content/moved.md:{line}:{col}"), "bad alias"]);
    }
}
