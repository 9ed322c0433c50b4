//! How problems are reported: one finding per problem, located in the file the
//! user edits (templates under `templates/`), plain text when stderr is not a
//! terminal, and nothing from a user's file able to drive the terminal.

mod common;
use common::*;

/// The basic site with `templates/page.html` replaced.
fn with_page_template(text: &str) -> Site {
    Site::basic().file("templates/page.html", text)
}

#[test]
fn unknown_filters_are_each_located_in_the_templates_folder() {
    let site = with_page_template(
        "<h1>{{ page.title | shout }}</h1>\n<p>{{ page.title | whisper }}</p>\n",
    );
    let run = site.build().fails().stderr_has(&[
        "error[template]: Unknown filter `shout`\n --> templates/page.html:1:21",
        "error[template]: Unknown filter `whisper`\n --> templates/page.html:2:20",
        "Build failed: 2 errors",
    ]);
    assert!(!run.stderr.contains("error: "), "{}", run.stderr);
}

#[test]
fn a_mistyped_field_suggests_the_documented_one() {
    let site = with_page_template("<h1>{{ page.titel }}</h1>\n");
    site.build().fails().stderr_has(&[
        "field `titel` is not defined",
        "templates/page.html:1:13",
        "did you mean `title`?",
        // Every documented field, not only those the templates happen to name.
        "reading_time",
        "word_count",
    ]);
}

#[test]
fn a_circular_extends_points_at_the_tag() {
    let site = Site::basic()
        .file("templates/a.html", "{% extends \"b.html\" %}\n")
        .file("templates/b.html", "\n\n{% extends \"a.html\" %}\n");
    let run = site.build().fails();
    assert!(run.stderr.contains("circular `extends`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/b.html:3:1") || run.stderr.contains("templates/a.html:1:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_circular_include_points_at_the_tag() {
    let site = Site::basic()
        .file("templates/a.html", "<p>\n  {% include \"b.html\" %}</p>\n")
        .file("templates/b.html", "{% include \"a.html\" %}\n");
    let run = site.build().fails();
    assert!(run.stderr.contains("circular `include`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/a.html:2:3") || run.stderr.contains("templates/b.html:1:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn yaml_errors_name_the_file_line_once() {
    let site = Site::basic().file("content/y.md", "---\ntitle: Y\ndate: [oops\n---\nBody\n");
    let run = site
        .build()
        .fails()
        .stderr_has(&["content/y.md:3:", "invalid YAML"]);
    // The library's own location counts from the header, not the file.
    assert!(!run.stderr.contains("line 2"), "{}", run.stderr);
}

#[test]
fn a_bad_base_url_flag_is_a_usage_error() {
    let site = Site::basic();
    let run = site.run(&["build", "--base-url", "example.org"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--base-url"), "{}", run.stderr);
    assert!(!site.path("public").exists(), "nothing may be built");
}

#[test]
fn piped_output_has_no_colour_codes() {
    // A warning (an uncited source) and -v's timings, both on a pipe.
    let site = Site::basic().file(
        "content/src.md",
        "+++\ntitle = \"S\"\n[[sources]]\nid = \"uncited\"\ntitle = \"A report\"\npublisher = \"P\"\nkind = \"news-report\"\n+++\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert!(
        run.stderr.contains("load"),
        "-v prints timings: {}",
        run.stderr
    );
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

#[test]
fn a_terminal_gets_colour() {
    let site = Site::basic().file(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\nSee [@nowhere].\n",
    );
    // `script` gives the build a terminal for stderr.
    let command = format!("{} build", env!("CARGO_BIN_EXE_explainer"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(site.root())
        .output()
        .expect("script (util-linux) runs");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("unknown source `nowhere`"), "{shown}");
    assert!(
        shown.contains('\u{1b}'),
        "no colour on a terminal: {shown:?}"
    );
}

#[test]
fn control_characters_from_a_file_are_escaped() {
    let site = Site::basic().file(
        "content/about.md",
        "+++\ntitle = \"A\"\n+++\nSee \u{1b}[31m [@nowhere].\n",
    );
    let run = site
        .build()
        .fails()
        .stderr_has(&["unknown source `nowhere`", "\\u{1b}[31m"]);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

/// Two statements, the second citing an unknown source; `preamble` goes first.
fn statements_page(preamble: &str) -> String {
    format!(
        "+++\ntitle = \"Q\"\n{preamble}\n[[parties]]\nid = \"gov\"\nname = \"Gov\"\n\n[[statements]]\nid = \"one\"\nspeaker = \"A spokesman\"\nparty = \"gov\"\ndate = 2023-05-03\nkind = \"paraphrase\"\nstatus = \"claimed\"\nsource = \"nowhere\"\ntext = \"x\"\nbasis = \"the sea is calm today\"\n\n[[statements]]\nid = \"two\"\nspeaker = \"A spokesman\"\nparty = \"gov\"\ndate = 2023-05-03\nkind = \"paraphrase\"\nstatus = \"claimed\"\nsource = \"nowhere\"\ntext = \"y\"\nbasis = \"the sea is calm today\"\n+++\n"
    )
}

#[test]
fn editorial_errors_point_into_the_right_table_whatever_the_text_says() {
    // A string that mentions `[[statements]]` must not shift the tables.
    let preamble =
        "description = \"\"\"\nHow to write [[statements]] tables.\n[[statements]]\n\"\"\"";
    let site = Site::basic().file("content/q.md", &statements_page(preamble));
    let run = site.build().fails();
    // Line 18 is the first table's `source`, line 29 the second's.
    for at in ["content/q.md:18:11", "content/q.md:29:11"] {
        assert!(run.stderr.contains(at), "{at} missing:\n{}", run.stderr);
    }
}
