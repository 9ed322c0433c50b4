//! The corrections feed: every `[[changes]]` entry of the site in one Atom
//! file (`corrections.xml`), so readers and aggregators see each correction.

mod common;
use common::*;

const CORRECTED: &str = r#"+++
title = "Drones & the Kremlin"
date = 2023-05-04

[[changes]]
date = 2023-05-05
kind = "correction"
note = "An earlier version gave the wrong day for the <b>second</b> video."

[[changes]]
date = 2023-05-06
kind = "update"
note = "Added Ukraine's response."

[[changes]]
date = 2023-05-06
kind = "update"
note = "Added a second photograph."
+++
Text.
"#;

const UPDATED: &str = r#"+++
title = "Timeline"

[[changes]]
date = 2023-05-07
kind = "update"
note = "Added 7 May."
+++
Text.
"#;

/// The entries of a feed: (title, link, id, updated, category, content).
fn entries(xml: &str) -> Vec<[String; 6]> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
        n.children()
            .find(|c| c.has_tag_name(name))
            .unwrap_or_else(|| panic!("no <{name}> in an entry"))
    }
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name("entry"))
        .map(|e| {
            [
                child(e, "title").text().unwrap_or("").to_string(),
                child(e, "link").attribute("href").unwrap_or("").to_string(),
                child(e, "id").text().unwrap_or("").to_string(),
                child(e, "updated").text().unwrap_or("").to_string(),
                child(e, "category")
                    .attribute("term")
                    .unwrap_or("")
                    .to_string(),
                child(e, "content").text().unwrap_or("").to_string(),
            ]
        })
        .collect()
}

fn corrected_site(config: &str) -> Site {
    Site::basic()
        .file("config.toml", config)
        .file("content/drones.md", CORRECTED)
        .file("content/timeline.md", UPDATED)
}

#[test]
fn every_change_is_an_entry_newest_first_with_absolute_links() {
    let site =
        corrected_site("base_url = \"https://example.org/a&b/\"\ntitle = \"News & views\"\n");
    site.build().ok();
    let xml = site.output("corrections.xml");
    let entries = entries(&xml);
    let titles: Vec<&str> = entries.iter().map(|e| e[0].as_str()).collect();
    assert_eq!(
        titles,
        [
            "Update: Timeline",
            "Update: Drones & the Kremlin",
            "Update: Drones & the Kremlin",
            "Correction: Drones & the Kremlin",
        ]
    );
    assert_eq!(entries[0][1], "https://example.org/a&b/timeline/");
    assert_eq!(entries[3][1], "https://example.org/a&b/drones/");
    assert_eq!(entries[3][3], "2023-05-05T00:00:00Z");
    assert_eq!(entries[3][4], "correction");
    // The note is text, not markup: a reader sees the tags as written.
    assert_eq!(
        entries[3][5],
        "An earlier version gave the wrong day for the <b>second</b> video."
    );
    let mut ids: Vec<&str> = entries.iter().map(|e| e[2].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "entry ids are not unique: {ids:?}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let feed_title = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text());
    assert_eq!(feed_title, Some("News & views: corrections and updates"));
}

#[test]
fn entry_ids_stay_the_same_when_a_later_change_is_logged() {
    let site = corrected_site(CONFIG);
    site.build().ok();
    let before: Vec<String> = entries(&site.output("corrections.xml"))
        .into_iter()
        .map(|e| e[2].clone())
        .collect();
    site.write(
        "content/drones.md",
        &CORRECTED.replace(
            "+++\nText.",
            "\n[[changes]]\ndate = 2023-05-09\nkind = \"correction\"\nnote = \"Fixed a name.\"\n+++\nText.",
        ),
    );
    site.build().ok();
    let after = entries(&site.output("corrections.xml"));
    assert_eq!(after.len(), 5, "the warm build missed the new change");
    assert_eq!(after[0][0], "Correction: Drones & the Kremlin");
    let after_ids: Vec<String> = after.iter().map(|e| e[2].clone()).collect();
    for id in &before {
        assert!(after_ids.contains(id), "{id} changed: {after_ids:?}");
    }
}

#[test]
fn there_is_no_corrections_feed_without_changes_or_without_a_base_url() {
    let site = Site::basic();
    site.build().ok();
    assert!(!site.has_output("corrections.xml"));

    let site = corrected_site("title = \"No address yet\"\n");
    site.build().ok();
    assert!(!site.has_output("corrections.xml"));
}

#[test]
fn a_static_file_cannot_take_the_corrections_feed_s_place() {
    let site = corrected_site(CONFIG).file("static/corrections.xml", "<feed/>\n");
    site.build()
        .fails()
        .stderr_has(&["static/corrections.xml", "corrections.xml"]);
}

#[test]
fn the_starter_links_its_corrections_feed_once_a_change_is_logged() {
    let site = Site::empty();
    site.run(&["new", "site"]).ok();
    let root = site.path("site");
    let build = || {
        site.run(&[
            "build",
            "--root",
            "site",
            "--base-url",
            "https://example.org/",
        ])
        .ok();
        std::fs::read_to_string(root.join("public/index.html")).unwrap()
    };
    let link = "href=\"https://example.org/corrections.xml\"";
    assert!(!build().contains(link));
    assert!(!root.join("public/corrections.xml").exists());

    let index = root.join("content/_index.md");
    let text = std::fs::read_to_string(&index).unwrap();
    let end = text[3..].find("\n+++\n").expect("front matter end") + 3;
    let change =
        "\n[[changes]]\ndate = 2023-05-05\nkind = \"correction\"\nnote = \"Fixed a date.\"\n";
    std::fs::write(&index, format!("{}{change}{}", &text[..end], &text[end..])).unwrap();
    assert!(build().contains(link));
    let entries = entries(&std::fs::read_to_string(root.join("public/corrections.xml")).unwrap());
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0][5], "Fixed a date.");
}
