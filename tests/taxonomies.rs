//! Taxonomies, as in Zola: `taxonomies = [{ name = "tags" }]` in config.toml,
//! `[taxonomies] tags = [...]` in a page, a list of terms at `/tags/` and a
//! page per term at `/tags/<slug>/`.

mod common;
use common::*;

const CONFIG_TAGS: &str = "base_url = \"https://example.org/\"\ntitle = \"Test site\"\ntaxonomies = [{ name = \"tags\" }]\n";

const DENIAL: &str = "+++\ntitle = \"The denial\"\ndate = 2023-05-04\n[taxonomies]\ntags = [\"Drones\", \"Kyiv\"]\n+++\nText.\n";
const CLAIM: &str =
    "---\ntitle: The claim\ndate: 2023-05-03\ntaxonomies:\n  tags: [Drones]\n---\nText.\n";

fn tagged() -> Site {
    Site::basic()
        .file("config.toml", CONFIG_TAGS)
        .file("content/denial.md", DENIAL)
        .file("content/claim.md", CLAIM)
}

/// The titles of the linked pages in `html`, in order.
fn titles_in(html: &str) -> Vec<&str> {
    html.split("<li><a href=\"")
        .skip(1)
        .filter_map(|li| li.split_once("\">")?.1.split_once("</a>"))
        .map(|(title, _)| title)
        .collect()
}

#[test]
fn terms_from_toml_and_yaml_get_a_list_and_pages_with_the_built_in_templates() {
    let site = tagged();
    site.build().ok();
    let list = site.output("tags/index.html");
    assert!(
        list.contains("<a href=\"https://example.org/tags/drones/\">Drones</a> (2)"),
        "{list}"
    );
    assert!(list.contains("<a href=\"https://example.org/tags/kyiv/\">Kyiv</a> (1)"));
    let drones = site.output("tags/drones/index.html");
    assert_eq!(titles_in(&drones), ["The denial", "The claim"], "{drones}");
    assert_eq!(
        titles_in(&site.output("tags/kyiv/index.html")),
        ["The denial"]
    );
    let sitemap = site.output("sitemap.xml");
    for url in ["tags/", "tags/drones/", "tags/kyiv/"] {
        assert!(
            sitemap.contains(&format!("<loc>https://example.org/{url}</loc>")),
            "{sitemap}"
        );
    }
}

#[test]
fn the_site_templates_see_zolas_context() {
    let site = tagged()
        .file(
            "templates/taxonomy_list.html",
            "{{ taxonomy.name }}|{{ current_path }}|{% for t in terms %}[{{ t.name }} {{ t.slug }} {{ t.path }} {{ t.permalink }} {{ t.page_count }}:{% for p in t.pages %}{{ p.title }};{% endfor %}]{% endfor %}\n",
        )
        .file(
            "templates/taxonomy_single.html",
            "{{ taxonomy.name }}|{{ term.name }}|{{ term.slug }}|{{ term.permalink }}|{% for p in term.pages %}{{ p.title }};{% endfor %}\n",
        )
        .file(
            "templates/page.html",
            "{{ page.title }}:{% if page.taxonomies.tags %}{% for t in page.taxonomies.tags %} <a href=\"{{ get_taxonomy_url(kind=\"tags\", name=t) }}\">{{ t }}</a>{% endfor %}{% endif %}\n",
        );
    site.build().ok();
    assert_eq!(
        site.output("tags/index.html"),
        "tags|tags/|[Drones drones /tags/drones/ https://example.org/tags/drones/ 2:The denial;The claim;][Kyiv kyiv /tags/kyiv/ https://example.org/tags/kyiv/ 1:The denial;]\n"
    );
    assert_eq!(
        site.output("tags/drones/index.html"),
        "tags|Drones|drones|https://example.org/tags/drones/|The denial;The claim;\n"
    );
    assert_eq!(
        site.output("denial/index.html"),
        "The denial: <a href=\"https://example.org/tags/drones/\">Drones</a> <a href=\"https://example.org/tags/kyiv/\">Kyiv</a>\n"
    );
}

#[test]
fn a_taxonomy_the_config_does_not_declare_is_an_error_at_its_key() {
    let site = tagged();
    let text =
        "+++\ntitle = \"Odd\"\n[taxonomies]\ntags = [\"drones\"]\ncategories = [\"news\"]\n+++\n";
    site.breaks_with(
        &[("content/odd.md", text.as_bytes())],
        &[
            &format!("content/odd.md:{}", line_col(text, "categories")),
            "unknown taxonomy `categories`: config.toml does not declare it",
            "taxonomies = [{ name = \"categories\" }]",
            "declared taxonomies: tags",
        ],
    );
    let yaml = "---\ntitle: Odd\ntaxonomies:\n  series: [a]\n---\n";
    site.write("content/odd.md", yaml);
    site.build().fails().stderr_has(&[
        &format!("content/odd.md:{}", line_col(yaml, "series")),
        "unknown taxonomy `series`",
    ]);
}

#[test]
fn a_term_without_letters_or_a_section_with_terms_is_an_error() {
    let site = tagged();
    let text = "+++\ntitle = \"Odd\"\n[taxonomies]\ntags = [\"drones\", \"!!!\"]\n+++\n";
    site.breaks_with(
        &[("content/odd.md", text.as_bytes())],
        &[
            &format!("content/odd.md:{}", line_col(text, "!!!")),
            "term \"!!!\" of `tags` has no letters or digits",
        ],
    );
    site.write("content/odd.md", "+++\ntitle = \"Odd\"\n+++\n");
    let section = "+++\ntitle = \"Notes\"\n[taxonomies]\ntags = [\"a\"]\n+++\n";
    site.write("content/notes/_index.md", section);
    site.build().fails().stderr_has(&[
        &format!(
            "content/notes/_index.md:{}",
            line_col(section, "taxonomies")
        ),
        "`taxonomies` is only valid in a page",
    ]);
}

#[test]
fn a_term_page_on_the_address_of_a_page_is_an_error_naming_it() {
    let site = tagged().file("content/tags/drones.md", "+++\ntitle = \"Clash\"\n+++\n");
    site.build().fails().stderr_has(&[
        "/tags/drones/ is the page of a term of taxonomy `tags` and the address of content/tags/drones.md",
    ]);
}

#[test]
fn bad_declarations_in_the_config_are_located() {
    let site = tagged();
    let config = "title = \"T\"\ntaxonomies = [\n  { name = \"tags\" },\n  { name = \"tags\", feed = true },\n]\n";
    site.write("config.toml", config);
    site.build()
        .fails()
        .stderr_has(&["config.toml:4:", "taxonomy \"tags\" is declared twice"]);
    site.write(
        "config.toml",
        "title = \"T\"\ntaxonomies = [{ name = \"tags\", paginate = 3 }]\n",
    );
    site.build()
        .fails()
        .stderr_has(&["config.toml:2:", "paginate"]);
}

#[test]
fn a_feed_per_term_when_asked_and_only_with_a_base_url() {
    let config = CONFIG_TAGS.replace("\"tags\" }", "\"tags\", feed = true }");
    let site = tagged().file("config.toml", &config);
    site.build().ok();
    let feed = site.output("tags/drones/atom.xml");
    assert!(
        feed.contains("<link href=\"https://example.org/tags/drones/atom.xml\" rel=\"self\""),
        "{feed}"
    );
    assert!(
        feed.contains("<title>Test site - tags: Drones</title>"),
        "{feed}"
    );
    let denial = feed.find("https://example.org/denial/").unwrap();
    let claim = feed.find("https://example.org/claim/").unwrap();
    assert!(denial < claim, "newest first: {feed}");
    assert!(site.has_output("tags/kyiv/atom.xml"));
    assert!(!site.has_output("tags/atom.xml"));
    site.write(
        "config.toml",
        &config.replace("base_url = \"https://example.org/\"\n", ""),
    );
    site.build().ok();
    assert!(!site.has_output("tags/drones/atom.xml"));
    assert!(site.has_output("tags/drones/index.html"));
}

#[test]
fn without_a_base_url_term_links_are_relative_and_reach_the_pages() {
    let site = tagged().file(
        "config.toml",
        "title = \"T\"\ntaxonomies = [{ name = \"tags\" }]\n",
    );
    site.build().ok();
    let drones = site.output("tags/drones/index.html");
    assert!(
        drones.contains("href=\"../../denial/index.html\""),
        "{drones}"
    );
    assert!(
        site.path("public/tags/drones/../../denial/index.html")
            .is_file()
    );
}

#[test]
fn a_paginated_term_has_listing_pages_and_a_redirect_from_page_one() {
    let config = CONFIG_TAGS.replace("\"tags\" }", "\"tags\", paginate_by = 1 }");
    let site = tagged().file("config.toml", &config).file(
        "templates/taxonomy_single.html",
        "{{ term.name }} {{ paginator.current_index }}/{{ paginator.number_pagers }} of {{ paginator.total_pages }}:{% for p in paginator.pages %} {{ p.title }}{% endfor %} prev={{ paginator.previous }} next={{ paginator.next }}\n",
    );
    site.build().ok();
    assert_eq!(
        site.output("tags/drones/index.html"),
        "Drones 1/2 of 2: The denial prev= next=https://example.org/tags/drones/page/2/\n"
    );
    assert_eq!(
        site.output("tags/drones/page/2/index.html"),
        "Drones 2/2 of 2: The claim prev=https://example.org/tags/drones/ next=\n"
    );
    let redirect = site.output("tags/drones/page/1/index.html");
    assert!(
        redirect.contains("url=https://example.org/tags/drones/\""),
        "{redirect}"
    );
    assert!(!site.has_output("tags/kyiv/page/2/index.html"));
}

#[test]
fn rebuilding_after_a_page_changes_its_terms_updates_term_pages_and_removes_empty_ones() {
    let site = tagged();
    site.build().ok();
    assert!(site.has_output("tags/kyiv/index.html"));
    site.write(
        "content/denial.md",
        &DENIAL.replace("[\"Drones\", \"Kyiv\"]", "[\"Drones\", \"Moscow\"]"),
    );
    site.build().ok();
    assert!(
        !site.has_output("tags/kyiv/index.html"),
        "an empty term stays"
    );
    assert_eq!(
        titles_in(&site.output("tags/moscow/index.html")),
        ["The denial"]
    );
    let list = site.output("tags/index.html");
    assert!(list.contains("Moscow") && !list.contains("Kyiv"), "{list}");
    site.write(
        "content/claim.md",
        &CLAIM.replace("The claim", "The accusation"),
    );
    site.build().ok();
    assert_eq!(
        titles_in(&site.output("tags/drones/index.html")),
        ["The denial", "The accusation"]
    );
}

#[test]
fn serve_rebuilds_term_pages_when_a_page_changes_its_terms_or_title() {
    let site = tagged();
    let (served, cold) = serve_twice(&site, &["content/denial.md"], |site| {
        site.write(
            "content/denial.md",
            &DENIAL.replace("[\"Drones\", \"Kyiv\"]", "[\"Moscow\"]"),
        );
    });
    assert_eq!(served, cold);
    assert!(!served.contains_key("tags/kyiv/index.html"));
    let drones = String::from_utf8_lossy(&served["tags/drones/index.html"]).into_owned();
    assert_eq!(titles_in(&drones), ["The claim"]);
    let (served, cold) = serve_twice(&site, &["content/claim.md"], |site| {
        site.write(
            "content/claim.md",
            &CLAIM.replace("The claim", "The accusation"),
        );
    });
    assert_eq!(served, cold);
    let drones = String::from_utf8_lossy(&served["tags/drones/index.html"]).into_owned();
    assert_eq!(titles_in(&drones), ["The accusation"]);
}

#[test]
fn an_edit_that_leaves_the_terms_and_listed_fields_alone_rewrites_no_taxonomy_page() {
    let config = CONFIG_TAGS.replace("\"tags\" }", "\"tags\", feed = true, paginate_by = 1 }");
    let site = tagged().file("config.toml", &config);
    site.build().ok();
    site.write(
        "content/about.md",
        "+++\ntitle = \"About\"\ndate = 2023-05-04\n+++\n# About us\n\nOther text.\n",
    );
    let run = site.run(&["build", "-v"]).ok();
    let wrote: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("wrote "))
        .collect();
    assert!(wrote.contains(&"about/index.html"), "{wrote:?}");
    assert!(
        !wrote.iter().any(|w| w.starts_with("tags/")),
        "taxonomy pages rewritten: {wrote:?}"
    );
    site.write("content/denial.md", &DENIAL.replace("Text.", "Other text."));
    let run = site.run(&["build", "-v"]).ok();
    run.stderr_has(&["wrote tags/drones/atom.xml"]);
}

#[test]
fn a_markdown_link_to_a_term_page_resolves_and_one_to_no_term_is_broken() {
    let site = tagged().file(
        "content/links.md",
        "+++\ntitle = \"Links\"\n+++\nSee [drones](/tags/drones/) and [all tags](/tags/).\n",
    );
    site.build().ok();
    site.write(
        "content/links.md",
        "+++\ntitle = \"Links\"\n+++\nSee [drones](/tags/drones/) and [moscow](/tags/moscow/).\n",
    );
    site.build()
        .fails()
        .stderr_has(&["content/links.md:4:", "/tags/moscow/"]);
}
