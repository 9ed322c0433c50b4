//! Bad input: every broken site gets exit 1, a message naming the file (and
//! line:col where there is one), no panic, and the previous output untouched.

mod common;
use common::*;

/// Build a good site, break it with `files`, and check the failure.
fn breaks(files: &[(&str, &[u8])], expect: &[&str]) {
    good_site().breaks_with(files, expect);
}

/// A page with editorial data, for breaking citations and quotations.
fn quotes() -> String {
    quoting_page(
        "gov",
        "The government",
        "gov-said",
        "A spokesman",
        "We did nothing wrong.",
    )
}

fn quotes_with(find: &str, replace: &str) -> Vec<u8> {
    let quotes = quotes();
    let text = quotes.replace(find, replace);
    assert_ne!(text, quotes, "replacement {find:?} must apply");
    text.into_bytes()
}

macro_rules! bad {
    ($name:ident, [$(($path:expr, $bytes:expr)),* $(,)?], [$($needle:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            breaks(&[$(($path, AsRef::<[u8]>::as_ref(&$bytes))),*], &[$($needle),*]);
        }
    };
}

/// The site every case starts from: it builds.
fn good_site() -> Site {
    Site::basic()
        .file("content/quotes.md", &quotes())
        .file("content/report.txt", "He said: “We did nothing wrong.”")
}

bad!(
    broken_toml_front_matter,
    [("content/about.md", "+++\ntitle = \n+++\n")],
    ["content/about.md:2:", "invalid TOML"]
);
bad!(
    broken_yaml_front_matter,
    [("content/about.md", "---\ntitle: [unclosed\n---\n")],
    ["content/about.md:", "invalid YAML"]
);
bad!(
    missing_closing_fence,
    [("content/about.md", "+++\ntitle = \"x\"\nbody\n")],
    ["content/about.md:1:1", "never closed"]
);
bad!(
    wrong_type_title,
    [("content/about.md", "+++\ntitle = 3\n+++\n")],
    ["content/about.md:2:9", "string"]
);
bad!(
    wrong_type_yaml_draft,
    [("content/about.md", "---\ndraft: maybe\n---\n")],
    ["content/about.md:2:", "invalid YAML"]
);
bad!(
    impossible_date_string,
    [("content/about.md", "+++\ndate = \"2023-02-30\"\n+++\n")],
    ["content/about.md:2:", "invalid date"]
);
bad!(
    impossible_toml_date,
    [("content/about.md", "+++\ndate = 2023-13-01\n+++\n")],
    ["content/about.md:2:"]
);
bad!(
    unknown_front_matter_key,
    [("content/about.md", "+++\ntitel = \"x\"\n+++\n")],
    ["content/about.md:2:1", "titel"]
);
bad!(
    section_key_on_a_page,
    [("content/about.md", "+++\nsort_by = \"date\"\n+++\n")],
    ["content/about.md:2:1", "only valid in a section"]
);
bad!(
    invalid_utf8,
    [(
        "content/about.md",
        b"+++\ntitle = \"x\"\n+++\nok\n\xff\xfe bad\n".as_slice()
    )],
    ["content/about.md:5:1", "not valid UTF-8"]
);
bad!(
    unknown_template,
    [("content/about.md", "+++\ntemplate = \"nope.html\"\n+++\n")],
    ["content/about.md:2:1", "nope.html"]
);
bad!(
    template_syntax_error,
    [("templates/page.html", "<p>{{ page.title </p>")],
    ["templates/page.html:1:"]
);
bad!(
    template_runtime_error,
    [(
        "templates/page.html",
        "<p>\n{{ no_such_variable.field }}</p>"
    )],
    ["templates/page.html:2:", "while rendering content/"]
);
bad!(
    bad_base_url,
    [("config.toml", "base_url = \"example.org\"\n")],
    ["config.toml:1:1", "bad base_url"]
);
bad!(
    unknown_config_key,
    [(
        "config.toml",
        "base_url = \"https://a.org/\"\nbase_ulr = \"x\"\n"
    )],
    ["config.toml:2:1", "base_ulr"]
);
bad!(
    unknown_markdown_option,
    [(
        "config.toml",
        "base_url = \"https://a.org/\"\n[markdown]\nhighlight = true\n"
    )],
    ["config.toml:3:1", "highlight"]
);
bad!(
    unknown_theme,
    [(
        "config.toml",
        "base_url = \"https://a.org/\"\n[markdown]\ndark_theme = \"Nope\"\n"
    )],
    ["config.toml", "unknown highlighting theme"]
);
bad!(
    unknown_citation_in_prose,
    [(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\nAs reported [@reprot].\n"
    )],
    [
        "content/about.md:4:13",
        "unknown source `reprot`",
        "did you mean `report`?"
    ]
);
bad!(
    unknown_citation_in_statement,
    [(
        "content/quotes.md",
        quotes_with("source = \"report\"", "source = \"reporrt\"")
    )],
    ["content/quotes.md:23:11", "did you mean `report`?"]
);
bad!(
    statement_without_citation,
    [(
        "content/quotes.md",
        quotes_with("source = \"report\"\n", "")
    )],
    ["content/quotes.md:", "missing field `source`"]
);
bad!(
    misquotation,
    [(
        "content/quotes.md",
        quotes_with("We did nothing wrong.", "We did nothing bad.")
    )],
    [
        "content/quotes.md:24:9",
        "not found word for word",
        "closest passage: \"We did nothing wrong.\"",
        "word by word: We did nothing [-wrong.\"-] {+bad.+}"
    ]
);
bad!(
    unknown_label,
    [(
        "content/quotes.md",
        quotes_with("status = \"claimed\"", "status = \"alleged\"")
    )],
    [
        "content/quotes.md:22:10",
        "claimed",
        "denied",
        "unverified",
        "reported",
        "assessment",
        "confirmed"
    ]
);
bad!(
    confirmed_without_confirming_source,
    [(
        "content/quotes.md",
        quotes_with("status = \"claimed\"", "status = \"confirmed\"")
    )],
    ["content/quotes.md:", "labelled Confirmed"]
);
bad!(
    unknown_party,
    [(
        "content/quotes.md",
        quotes_with("party = \"gov\"", "party = \"govt\"")
    )],
    ["content/quotes.md:19:10", "unknown party `govt`"]
);
bad!(
    duplicate_statement_id,
    [(
        "content/more.md",
        "+++\n[[statements]]\nid = \"gov-said\"\nspeaker = \"x\"\nparty = \"gov\"\ndate = 2023-05-03\nkind = \"paraphrase\"\nstatus = \"claimed\"\nsource = \"report\"\ntext = \"x\"\nbasis = \"nothing wrong\"\n+++\n"
    )],
    [
        "content/quotes.md:17:7",
        "duplicate statement id `gov-said`",
        "first declared in content/more.md"
    ]
);
bad!(
    missing_archive_file,
    [(
        "content/quotes.md",
        quotes_with("report.txt", "missing.txt")
    )],
    [
        "content/quotes.md:",
        "cannot use archive \"missing.txt\" of source `report`: cannot read it"
    ]
);
bad!(
    broken_internal_link,
    [(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\nSee [them](@/nope.md).\n"
    )],
    ["content/about.md:4:5", "there is no content/nope.md"]
);
bad!(
    broken_anchor,
    [(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\nSee [it](@/quotes.md#st-gov-sad).\n"
    )],
    [
        "content/about.md:4:5",
        "quotes/index.html has no element with id `st-gov-sad`",
        "did you mean `#st-gov-said`?"
    ]
);
bad!(
    broken_relative_link,
    [(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\n[x](../missing/)\n"
    )],
    [
        "content/about.md:4:1",
        "the build wrote no file /missing/index.html"
    ]
);
bad!(
    missing_static_file,
    [(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\n![x](/img/none.png)\n"
    )],
    ["content/about.md:4:1", "/img/none.png"]
);
bad!(
    malformed_external_link,
    [(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\n[x](https:///nohost)\n"
    )],
    ["content/about.md:4:1", "malformed external link"]
);
bad!(
    javascript_link,
    [(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\n[x](javascript:alert(1))\n"
    )],
    ["content/about.md:4:1", "unsafe link"]
);
bad!(
    duplicate_urls,
    [("content/about/index.md", "+++\ntitle = \"Dup\"\n+++\n")],
    [
        "content/about.md",
        "content/about/index.md",
        "both produce the URL /about/"
    ]
);
bad!(
    case_only_filename_clash,
    [("content/About.md", "+++\ntitle = \"Dup\"\n+++\n")],
    [
        "content/About.md",
        "content/about.md",
        "differ only in case"
    ]
);

#[test]
fn missing_config() {
    let site = Site::basic();
    std::fs::remove_file(site.path("config.toml")).unwrap();
    site.build()
        .fails()
        .stderr_has(&["config.toml", "cannot read"]);
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_an_error_not_a_hang() {
    let site = Site::basic();
    site.build().ok();
    let before = snapshot_dir(&site.path("public"));
    std::os::unix::fs::symlink(site.path("content"), site.path("content/loop")).unwrap();
    site.build()
        .fails()
        .stderr_has(&["content/loop", "symlink loop"]);
    assert_eq!(before, snapshot_dir(&site.path("public")));
}

#[cfg(unix)]
#[test]
fn symlink_pointing_outside_the_site_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.md"),
        "+++\ntitle = \"secret\"\n+++\nSECRET",
    )
    .unwrap();
    let site = Site::basic();
    site.build().ok();
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        site.path("content/ext.md"),
    )
    .unwrap();
    site.build()
        .fails()
        .stderr_has(&["content/ext.md", "outside the site"]);
    assert!(!site.has_output("ext/index.html"));
}

/// A refused symlink to a folder is not walked either: what lies beyond it
/// (here a second symlink and a named pipe, each of which would be an error
/// of its own) stays unread, so a link to `/` is one error, not a walk of
/// the whole disk.
#[cfg(unix)]
#[test]
fn a_symlink_to_a_folder_outside_the_site_is_refused_and_not_entered() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("deep")).unwrap();
    std::fs::write(
        outside.path().join("deep/page.md"),
        "+++\ntitle = \"x\"\n+++\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/hostname", outside.path().join("deep/link.md")).unwrap();
    mkfifo(&outside.path().join("pipe.md"));
    let site = Site::basic();
    std::os::unix::fs::symlink(outside.path(), site.path("content/ext")).unwrap();
    let run = site
        .build()
        .fails()
        .stderr_has(&["content/ext", "outside the site"]);
    assert_eq!(run.stderr.matches("error[").count(), 1, "{}", run.stderr);
    assert!(
        !run.stderr.contains("pipe.md") && !run.stderr.contains("link.md"),
        "{}",
        run.stderr
    );
}

/// What an ignored folder (a dot folder such as `.git`) holds is never
/// walked: a loop or a pipe inside one is not an error.
#[cfg(unix)]
#[test]
fn an_ignored_folder_is_not_walked() {
    let site = Site::basic();
    std::fs::create_dir_all(site.path("content/.hidden/deeper")).unwrap();
    std::os::unix::fs::symlink(site.path("content"), site.path("content/.hidden/loop")).unwrap();
    mkfifo(&site.path("content/.hidden/deeper/pipe.md"));
    site.build().ok();
    assert!(!site.has_output(".hidden"));
}

#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// A symlink to a folder that holds the folder it sits in, two levels up,
/// is a loop too; a symlink to a sibling folder is not, and its pages are built.
#[cfg(unix)]
#[test]
fn a_loop_two_levels_up_is_found_and_a_link_to_a_sibling_is_walked() {
    let site = Site::basic()
        .file("content/a/b/_index.md", "+++\ntitle = \"B\"\n+++\n")
        .file("content/other/o.md", "+++\ntitle = \"O\"\n+++\nText\n");
    std::os::unix::fs::symlink("../other", site.path("content/a/sibling")).unwrap();
    site.build().ok();
    assert!(site.has_output("a/sibling/o/index.html"));
    std::os::unix::fs::symlink("../../a", site.path("content/a/b/up")).unwrap();
    site.build().fails().stderr_has(&[
        "content/a/b/up",
        "symlink loop: it points back to content/a",
    ]);
}

#[cfg(unix)]
#[test]
fn dangling_symlink_is_an_error() {
    let site = Site::basic();
    std::os::unix::fs::symlink(site.path("content/gone.md"), site.path("content/link.md")).unwrap();
    site.build().fails().stderr_has(&["content/link.md"]);
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::basic().file("content/locked.md", "+++\ntitle = \"L\"\n+++\n");
    let p = site.path("content/locked.md");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not stop reads; a folder posing as a file does.
        std::fs::remove_file(&p).unwrap();
        std::fs::create_dir_all(site.path("content/locked.md")).unwrap();
        std::fs::write(site.path("content/locked.md/x.txt"), "x").unwrap();
        // A folder named like a page is a section folder, which is legal: nothing to assert.
        return;
    }
    site.build()
        .fails()
        .stderr_has(&["content/locked.md", "cannot read"]);
}

#[test]
fn bom_and_crlf_files_build() {
    let site = Site::basic()
        .file(
            "content/bom.md",
            "\u{feff}+++\ntitle = \"Bom\"\n+++\nText\n",
        )
        .file(
            "content/crlf.md",
            "+++\r\ntitle = \"Crlf\"\r\ndate = 2023-05-04\r\n+++\r\n# Head\r\n\r\nBody\r\n",
        )
        .file("config.toml", &format!("\u{feff}{CONFIG}"));
    site.build().ok();
    assert!(site.output("bom/index.html").contains("<title>Bom</title>"));
    assert!(
        site.output("crlf/index.html")
            .contains("<title>Crlf</title>")
    );
}

#[test]
fn deeply_nested_quotes_and_lists_do_not_overflow() {
    let quotes = ">".repeat(20_000);
    let lists: String = (0..5_000)
        .map(|i| format!("{}- item\n", "  ".repeat(i)))
        .collect();
    let site = Site::basic()
        .file(
            "content/deep.md",
            &format!("+++\ntitle = \"Deep\"\n[[sources]]\nid = \"s\"\ntitle = \"S\"\nkind = \"document\"\narchive = \"s.txt\"\n+++\n{quotes} deep water rising [@s]\n\n{lists}"),
        )
        .file("content/s.txt", "The deep water rising.");
    site.build().ok();
    assert!(site.output("deep/index.html").contains("deep"));
}

#[test]
fn all_errors_of_a_build_are_reported_at_once() {
    let site = Site::basic()
        .file("content/one.md", "+++\ntitle = \n+++\n")
        .file("content/two.md", "+++\ntitel = \"x\"\n+++\n");
    site.build()
        .fails()
        .stderr_has(&["content/one.md:2:", "content/two.md:2:1", "2 errors"]);
}
