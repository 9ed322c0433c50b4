//! Site structure rules a user meets: party order, parties without a page,
//! and folders without `_index.md`.

mod common;
use common::*;

/// A home page template that lists the parties in the order templates get them.
const PARTY_LIST: &str = "<ol>{% for p in explainer.parties %}<li data-href=\"{{ p.href }}\">{{ p.name }}</li>{% endfor %}</ol>\n";

fn party(id: &str, name: &str, extra: &str) -> String {
    format!("[[parties]]\nid = \"{id}\"\nname = \"{name}\"\n{extra}\n")
}

#[test]
fn parties_are_ordered_by_weight_then_declaration() {
    let home = format!(
        "+++\ntitle = \"Home\"\n{}{}{}{}+++\n",
        party("c", "Charlie", ""),
        party("b", "Bravo", "weight = 2"),
        party("d", "Delta", ""),
        party("a", "Alpha", "weight = 1"),
    );
    let site = Site::basic()
        .file("content/_index.md", &home)
        .file("templates/index.html", PARTY_LIST);
    site.build().ok();
    let html = site.output("index.html");
    let order: Vec<usize> = ["Alpha", "Bravo", "Charlie", "Delta"]
        .iter()
        .map(|name| {
            html.find(name)
                .unwrap_or_else(|| panic!("{name} missing: {html}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{html}");
}

#[test]
fn a_party_may_have_no_page_but_a_named_page_must_exist() {
    let home = format!(
        "+++\ntitle = \"Home\"\n{}{}+++\n",
        party("a", "Alpha", ""),
        party("b", "Bravo", "page = \"@/about.md\""),
    );
    let site = Site::basic()
        .file("content/_index.md", &home)
        .file("templates/index.html", PARTY_LIST);
    site.build().ok();
    let html = site.output("index.html");
    assert!(html.contains("<li data-href=\"\">Alpha</li>"), "{html}");
    assert!(
        html.contains("<li data-href=\"https://example.org/about/\">Bravo</li>"),
        "{html}"
    );

    site.write(
        "content/_index.md",
        &home.replace("@/about.md", "@/abuot.md"),
    );
    site.build()
        .fails()
        .stderr_has(&["content/_index.md:", "party `b` names page \"@/abuot.md\""]);
}

#[test]
fn a_folder_without_index_md_is_titled_after_its_name() {
    let site = Site::basic()
        .file("content/field-notes/first.md", "+++\ntitle = \"First\"\n+++\nHi.\n")
        .file(
            "templates/section.html",
            "<title>{{ section.title }}</title><h1>{{ section.title }}</h1>{% for p in section.pages %}{{ p.title }}{% endfor %}\n",
        );
    site.build().ok();
    let html = site.output("field-notes/index.html");
    assert!(html.contains("<h1>Field notes</h1>"), "{html}");
    assert!(html.contains("First"), "{html}");
}
