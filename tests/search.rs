//! The search index (`build_search_index = true`): `search-index.js` lists
//! every page, statement, fact, event and source, each pointing at an anchor
//! the build wrote, and follows edits on warm builds.

mod common;
use common::*;

/// A new explainer (`explainer new`) in `site/`, with search turned on.
fn starter_with_search() -> Site {
    let site = Site::empty();
    site.run(&["new", "site"]).ok();
    let config = std::fs::read_to_string(site.path("site/config.toml")).unwrap();
    site.write(
        "site/config.toml",
        &format!("build_search_index = true\n{config}"),
    );
    site
}

fn build(site: &Site) {
    site.run(&["build", "--root", "site"]).ok();
}

/// The entries of the built index.
fn index(site: &Site) -> Vec<serde_json::Value> {
    let js = std::fs::read_to_string(site.path("site/public/search-index.js")).unwrap();
    let json = js
        .strip_prefix("window.explainerSearch = ")
        .and_then(|j| j.strip_suffix(";\n"))
        .unwrap_or_else(|| panic!("not an index script:\n{js}"));
    serde_json::from_str(json).unwrap()
}

#[test]
fn every_statement_is_found_at_an_anchor_the_build_wrote() {
    let site = starter_with_search();
    build(&site);
    let entries = index(&site);
    let statements: Vec<&serde_json::Value> =
        entries.iter().filter(|e| e["k"] == "statement").collect();
    let declared = walkdir::WalkDir::new(site.path("site/content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .map(|text| text.matches("[[statements]]").count())
        .sum::<usize>();
    assert!(declared > 0);
    assert_eq!(statements.len(), declared);
    for entry in &entries {
        let path = entry["p"].as_str().unwrap();
        let (page, anchor) = path.split_once('#').unwrap_or((path, ""));
        let html = std::fs::read_to_string(site.path(&format!("site/public/{page}index.html")))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        if !anchor.is_empty() {
            assert!(
                html.contains(&format!("id=\"{anchor}\"")),
                "{path}: no element has that id"
            );
        }
        assert!(!entry["x"].as_str().unwrap_or("").is_empty() || entry["k"] == "page");
    }
    for label in statements.iter().map(|s| s["l"].as_str().unwrap()) {
        assert!(
            [
                "Claimed",
                "Denied",
                "Unverified",
                "Reported",
                "Assessment",
                "Confirmed"
            ]
            .contains(&label)
        );
    }
}

#[test]
fn a_warm_build_indexes_an_edited_title() {
    let site = starter_with_search();
    build(&site);
    let title = std::fs::read_to_string(site.path("site/content/_index.md")).unwrap();
    let first_title = title.lines().find(|l| l.starts_with("title = ")).unwrap();
    std::fs::write(
        site.path("site/content/_index.md"),
        title.replacen(first_title, "title = \"A headline nobody wrote before\"", 1),
    )
    .unwrap();
    build(&site);
    let pages: Vec<String> = index(&site)
        .into_iter()
        .filter(|e| e["k"] == "page")
        .map(|e| e["t"].as_str().unwrap().to_string())
        .collect();
    assert!(
        pages.contains(&"A headline nobody wrote before".to_string()),
        "{pages:?}"
    );
}

#[test]
fn there_is_no_index_unless_asked_and_no_static_file_may_take_its_place() {
    let site = Site::empty();
    site.run(&["new", "site"]).ok();
    build(&site);
    assert!(!site.path("site/public/search-index.js").exists());

    let site = starter_with_search();
    site.write("site/static/search-index.js", "alert(1)\n");
    site.run(&["build", "--root", "site"])
        .fails()
        .stderr_has(&["static/search-index.js", "search-index.js"]);
}
