//! Pagination, as in Zola: `paginate_by` on a section splits its pages over
//! `/section/`, `/section/page/2/`…, each with a `paginator` object.

mod common;
use common::*;

const LISTING: &str = "{{ section.title }} {{ section.pages | length }} {{ current_path }} {{ paginator.current_index }}/{{ paginator.number_pagers }} by {{ paginator.paginate_by }} of {{ paginator.total_pages }}:{% for p in paginator.pages %} {{ p.title }}{% endfor %} first={{ paginator.first }} last={{ paginator.last }} prev={{ paginator.previous }} next={{ paginator.next }} base={{ paginator.base_url }}\n";

/// A section of five dated pages, two to a listing page.
fn notes() -> Site {
    let mut site = Site::basic()
        .file(
            "content/notes/_index.md",
            "+++\ntitle = \"Notes\"\npaginate_by = 2\n+++\n",
        )
        .file("templates/section.html", LISTING);
    for n in 1..=5 {
        site = site.file(
            &format!("content/notes/n{n}.md"),
            &format!("+++\ntitle = \"Note {n}\"\ndate = 2023-05-0{n}\n+++\nText.\n"),
        );
    }
    site
}

#[test]
fn a_paginated_section_has_listing_pages_with_a_paginator() {
    let site = notes();
    site.build().ok();
    assert_eq!(
        site.output("notes/index.html"),
        "Notes 0 notes/ 1/3 by 2 of 5: Note 5 Note 4 first=https://example.org/notes/ last=https://example.org/notes/page/3/ prev= next=https://example.org/notes/page/2/ base=https://example.org/notes/page/\n"
    );
    assert_eq!(
        site.output("notes/page/2/index.html"),
        "Notes 0 notes/page/2/ 2/3 by 2 of 5: Note 3 Note 2 first=https://example.org/notes/ last=https://example.org/notes/page/3/ prev=https://example.org/notes/ next=https://example.org/notes/page/3/ base=https://example.org/notes/page/\n"
    );
    assert!(
        site.output("notes/page/3/index.html")
            .contains("3/3 by 2 of 5: Note 1 first")
    );
    assert!(!site.has_output("notes/page/4/index.html"));
    let sitemap = site.output("sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://example.org/notes/page/2/</loc>"),
        "{sitemap}"
    );
}

#[test]
fn page_one_redirects_to_the_section() {
    let site = notes();
    site.build().ok();
    let redirect = site.output("notes/page/1/index.html");
    assert!(
        redirect.contains(
            "<meta http-equiv=\"refresh\" content=\"0; url=https://example.org/notes/\">"
        ),
        "{redirect}"
    );
    assert!(redirect.contains("<link rel=\"canonical\" href=\"https://example.org/notes/\">"));
}

#[test]
fn the_built_in_section_template_pages_through_the_list() {
    let site = notes();
    std::fs::remove_file(site.path("templates/section.html")).unwrap();
    site.build().ok();
    let first = site.output("notes/index.html");
    assert!(
        first.contains(">Note 5</a>") && !first.contains(">Note 3</a>"),
        "{first}"
    );
    assert!(
        first.contains(
            "Page 1 of 3 <a rel=\"next\" href=\"https://example.org/notes/page/2/\">Next</a>"
        ),
        "{first}"
    );
}

#[test]
fn without_a_base_url_listing_pages_link_relatively() {
    let site = notes().file("config.toml", "title = \"T\"\n").file(
        "templates/section.html",
        "<a href=\"{{ paginator.previous }}\">prev</a><a href=\"{{ paginator.next }}\">next</a>\n",
    );
    site.build().ok();
    let second = site.output("notes/page/2/index.html");
    assert!(
        second.contains("<a href=\"../../index.html\">prev</a>"),
        "{second}"
    );
    assert!(
        second.contains("<a href=\"../3/index.html\">next</a>"),
        "{second}"
    );
    let redirect = site.output("notes/page/1/index.html");
    assert!(redirect.contains("url=../../index.html"), "{redirect}");
}

#[test]
fn paginate_by_zero_or_on_a_page_is_an_error_at_the_key() {
    let site = notes();
    let zero = "+++\ntitle = \"Notes\"\npaginate_by = 0\n+++\n";
    site.breaks_with(
        &[("content/notes/_index.md", zero.as_bytes())],
        &[
            &format!("content/notes/_index.md:{}", line_col(zero, "paginate_by")),
            "paginate_by must be at least 1",
        ],
    );
    site.write(
        "content/notes/_index.md",
        "+++\ntitle = \"Notes\"\npaginate_by = 2\n+++\n",
    );
    let page = "+++\ntitle = \"Note 1\"\npaginate_by = 2\n+++\n";
    site.write("content/notes/n1.md", page);
    site.build().fails().stderr_has(&[
        &format!("content/notes/n1.md:{}", line_col(page, "paginate_by")),
        "`paginate_by` is only valid in a section's _index.md",
    ]);
}

#[test]
fn a_listing_page_on_the_address_of_a_page_is_an_error_naming_it() {
    let site = notes()
        .file(
            "content/notes/page/2.md",
            "+++\ntitle = \"Two\"\n+++\n",
        )
        .file(
            "templates/section.html",
            "{{ section.title }}{% if paginator %} {{ paginator.current_index }}/{{ paginator.number_pagers }}{% endif %}\n",
        );
    site.build().fails().stderr_has(&[
        "content/notes/_index.md:3:1",
        "the listing page /notes/page/2/ is also the address of a page",
        "content/notes/page/2.md is built there",
    ]);
    site.write(
        "content/notes/_index.md",
        "+++\ntitle = \"Notes\"\npaginate_by = 2\npaginate_path = \"p\"\n+++\n",
    );
    site.build().ok();
    assert!(site.output("notes/p/2/index.html").contains("2/3"));
}

#[test]
fn rebuilds_shift_pages_across_listing_pages_and_remove_the_ones_no_longer_needed() {
    let site = notes();
    site.build().ok();
    std::fs::remove_file(site.path("content/notes/n5.md")).unwrap();
    site.build().ok();
    assert!(
        site.output("notes/index.html")
            .contains(": Note 4 Note 3 first")
    );
    assert!(
        site.output("notes/page/2/index.html")
            .contains(": Note 2 Note 1 first")
    );
    assert!(!site.has_output("notes/page/3/index.html"));
    site.write(
        "content/notes/n2.md",
        "+++\ntitle = \"Second note\"\ndate = 2023-05-02\n+++\nText.\n",
    );
    site.build().ok();
    assert!(
        site.output("notes/page/2/index.html")
            .contains(": Second note Note 1 first")
    );
}

#[test]
fn serve_rebuilds_the_listing_pages_a_new_page_shifts() {
    let site = notes();
    let (served, cold) = serve_twice(&site, &["content/notes/n6.md"], |site| {
        site.write(
            "content/notes/n6.md",
            "+++\ntitle = \"Note 6\"\ndate = 2023-05-06\n+++\nText.\n",
        );
    });
    assert_eq!(served, cold);
    let third = String::from_utf8_lossy(&served["notes/page/3/index.html"]).into_owned();
    assert!(third.contains(": Note 2 Note 1 first"), "{third}");
}
