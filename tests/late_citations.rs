//! Pages render before the prose citations are counted when no template a
//! page uses can read a source's `cited_by`. These tests try to make a page
//! show a `cited_by` list that misses a citation, and check that an edit
//! adding a citation still reaches every list that shows it.

mod common;
use common::*;
use std::collections::BTreeMap;

const CITING_A: &str = "+++\ntitle = \"A\"\n+++\nFirst [@report].\n";
const CITING_B: &str = "+++\ntitle = \"B\"\n+++\nSecond [@report].\n";

/// The home page: where source `report` is listed.
const HOME: &str =
    "{% for s in explainer.sources %}<p id=\"{{ s.anchor }}\">{{ s.title }}</p>{% endfor %}";

/// A site whose pages `a` and `b` cite source `report` in their prose, the
/// page template being `page`.
fn site(page: &str) -> Site {
    Site::basic()
        .file(
            "content/_index.md",
            &format!("+++\ntitle = \"Home\"\n\n{REPORT_SOURCE}+++\nWelcome.\n"),
        )
        .file("content/report.txt", "The report's text.")
        .file("templates/index.html", HOME)
        .file("content/a.md", CITING_A)
        .file("content/b.md", CITING_B)
        .file("templates/page.html", page)
}

/// The same page template, made to name `cited_by` in a tag that prints
/// nothing: its site renders every page after the citations are counted.
fn naming_cited_by(page: &str) -> String {
    format!("{page}{{% if false %}}{{{{ explainer.sources[0].cited_by }}}}{{% endif %}}")
}

/// A section listing no pages, so only the citations tell it to change,
/// that lists every source's `cited_by`; and page `c`, with `c` as its text.
fn with_sources_list(s: Site, c: &str) -> Site {
    s.file(
        "content/sources/_index.md",
        "+++\ntitle = \"Sources\"\ntemplate = \"sources.html\"\n+++\n",
    )
    .file(
        "templates/sources.html",
        "<ul>{% for s in explainer.sources %}{% for c in s.cited_by %}<li>{{ c.href }}</li>{% endfor %}{% endfor %}</ul>",
    )
    .file("content/c.md", c)
}

const UNCITED: &str = "+++\ntitle = \"C\"\n+++\nNo citation yet.\n";
const CITED: &str = "+++\ntitle = \"C\"\n+++\nNow one [@report].\n";

fn built(s: &Site) -> BTreeMap<String, Vec<u8>> {
    s.build().ok();
    snapshot_dir(&s.path("public"))
}

/// Build the site of `page` both ways; the outputs must be the same.
fn same_as_when_named(page: &str) -> BTreeMap<String, Vec<u8>> {
    let late = built(&site(page));
    let early = built(&site(&naming_cited_by(page)));
    assert_eq!(
        late.keys().collect::<Vec<_>>(),
        early.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &late {
        assert_eq!(
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&early[path]),
            "{path}"
        );
    }
    late
}

fn page_text(files: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8_lossy(&files[path]).into_owned()
}

#[test]
fn a_page_printing_whole_sources_shows_every_citation() {
    let files =
        same_as_when_named("{% for s in explainer.sources %}<pre>{{ s }}</pre>{% endfor %}");
    let a = page_text(&files, "a/index.html");
    assert!(a.contains("/b/#"), "{a}");
    assert!(a.contains("/a/#"), "{a}");
}

#[test]
fn a_page_encoding_the_sources_as_json_shows_every_citation() {
    let files = same_as_when_named(
        "<script type=\"application/json\">{{ explainer.sources | json_encode | safe }}</script>",
    );
    let b = page_text(&files, "b/index.html");
    assert!(b.contains("/a/#"), "{b}");
}

#[test]
fn a_shortcode_printing_sources_in_a_body_shows_every_citation() {
    let page = "<main>{{ page.content | safe }}</main>";
    let with_shortcode = |s: Site| {
        s.file(
            "templates/shortcodes/all_sources.html",
            "<pre>{{ explainer.sources | json_encode }}</pre>",
        )
        .file(
            "content/a.md",
            "+++\ntitle = \"A\"\n+++\nFirst [@report].\n\n{{ all_sources() }}\n",
        )
    };
    let late = built(&with_shortcode(site(page)));
    let early = built(&with_shortcode(site(&naming_cited_by(page))));
    assert_eq!(late, early);
    let a = page_text(&late, "a/index.html");
    assert!(a.contains("/b/#"), "{a}");
}

#[test]
fn a_page_counting_citations_counts_the_prose_ones() {
    let s = site(
        "{% for s in explainer.sources %}<p>{{ s.cited_by | length }} citations</p>{% endfor %}",
    );
    s.build().ok();
    assert!(s.output("a/index.html").contains("<p>2 citations</p>"));
}

#[test]
fn adding_a_citation_reaches_the_sources_list_and_leaves_other_pages_alone() {
    let page = "<main>{{ page.content | safe }}</main>";
    let s = with_sources_list(site(page), UNCITED);
    s.build().ok();
    assert_eq!(s.output("sources/index.html").matches("<li>").count(), 2);
    let untouched = std::fs::metadata(s.path("public/a/index.html")).unwrap();
    s.write("content/c.md", CITED);
    s.build().ok();
    let listed = s.output("sources/index.html");
    assert_eq!(listed.matches("<li>").count(), 3, "{listed}");
    assert!(listed.contains("/c/#"), "{listed}");
    let after = std::fs::metadata(s.path("public/a/index.html")).unwrap();
    assert_eq!(untouched.modified().unwrap(), after.modified().unwrap());
    let cold = with_sources_list(site(page), CITED);
    assert_eq!(built(&cold), snapshot_dir(&s.path("public")));
}

#[test]
fn under_serve_a_new_citation_reaches_the_sources_list() {
    let s = with_sources_list(site("<main>{{ page.content | safe }}</main>"), UNCITED);
    let (served, cold) = serve_twice(&s, &["content/c.md"], |s| s.write("content/c.md", CITED));
    let listed = String::from_utf8_lossy(&served["sources/index.html"]).into_owned();
    assert_eq!(listed.matches("<li>").count(), 3, "{listed}");
    assert_eq!(served, cold);
}

#[test]
fn under_serve_body_edits_reach_every_sources_list_and_no_stale_one() {
    // The home page lists the pages (so a body edit renders it again) and
    // counts each source's citations: it renders after the pages, with the
    // `explainer` object `serve` keeps from one rebuild to the next.
    let home = "{% for s in explainer.sources %}<p id=\"{{ s.anchor }}\">{{ s.id }} cited {{ s.cited_by | length }} times</p>{% endfor %}\
                {% for p in section.pages %} {{ p.title }}: {{ p.word_count }} words{% endfor %}";
    let s = with_sources_list(site("<main>{{ page.content | safe }}</main>"), UNCITED)
        .file("templates/index.html", home);
    let a_longer = "+++\ntitle = \"A\"\n+++\nFirst [@report], and more words.\n";
    serve_edits(
        &s,
        &[
            ("content/c.md", CITED),
            ("content/a.md", a_longer),
            ("content/c.md", UNCITED),
            ("content/a.md", CITING_A),
        ],
    );
}
