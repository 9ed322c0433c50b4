//! The explainer this repository publishes: its pages, statements, citations
//! and quotations, checked on the built output.

mod common;
use common::*;
use std::collections::BTreeMap;

/// Build the repository's site as it is (no base_url: relative links) into a
/// temp folder; return its files as text.
fn built_site() -> (tempfile::TempDir, BTreeMap<String, String>) {
    built_site_with(&[])
}

/// The same, with extra `build` arguments.
fn built_site_with(args: &[&str]) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let (out, files) = build_repo_site(args);
    let files = files
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    (out, files)
}

fn archive() -> String {
    std::fs::read_to_string(repo_root().join("content/sources/bbc-2023-05-04.txt")).unwrap()
}

/// Collapse whitespace and decode the few entities the renderer writes.
fn plain(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Inner HTML of every `<tag …>…</tag>` in `html`.
fn elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        if !after.starts_with(['>', ' ']) {
            rest = after;
            continue;
        }
        let Some(start) = after.find('>') else { break };
        let Some(end) = after.find(&close) else { break };
        out.push(&after[start + 1..end]);
        rest = &after[end..];
    }
    out
}

#[test]
fn every_page_exists_and_is_linked_from_home() {
    let (_dir, files) = built_site();
    let home = &files["index.html"];
    for page in [
        "parties/russia/",
        "parties/ukraine/",
        "parties/reporting/",
        "timeline/",
        "sources/",
        "about/",
    ] {
        assert!(
            files.contains_key(&format!("{page}index.html")),
            "missing page {page}"
        );
        assert!(
            home.contains(&format!("href=\"{page}index.html\"")),
            "home does not link to {page}"
        );
    }
}

#[test]
fn party_pages_list_statements_with_speaker_date_kind_label_and_citation() {
    let (_dir, files) = built_site();
    for party in ["russia", "ukraine", "reporting"] {
        let html = &files[&format!("parties/{party}/index.html")];
        let statements = html.matches("class=\"statement statement--").count();
        assert!(statements >= 2, "{party}: {statements} statements");
        assert!(
            html.matches("\"../../sources/index.html#src-").count() >= statements,
            "{party}: a citation per statement"
        );
        assert!(
            html.contains("Verbatim quotation") || html.contains("Paraphrase"),
            "{party}: kind shown"
        );
        assert!(
            html.matches("<dt>Date</dt>").count() >= statements,
            "{party}: a date per statement"
        );
        assert!(
            html.contains("Claimed")
                || html.contains("Denied")
                || html.contains("Unverified")
                || html.contains("Reported"),
            "{party}: status labels as text"
        );
    }
}

#[test]
fn every_quotation_on_the_site_is_verbatim_in_the_archived_source() {
    let (_dir, files) = built_site();
    let source = plain(&archive())
        .replace(['“', '”'], "\"")
        .replace('’', "'");
    let mut checked = 0;
    for (path, html) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        for tag in ["blockquote", "q"] {
            for inner in elements(html, tag) {
                let text = plain(inner).replace(['“', '”'], "\"").replace('’', "'");
                let text = text.trim_matches('"');
                assert!(
                    source.contains(text),
                    "{path}: <{tag}> not verbatim in the archive: {text:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "only {checked} quotations found");
}

#[test]
fn every_source_is_cited_and_unrecorded_urls_say_so() {
    let (_dir, files) = built_site();
    let sources = &files["sources/index.html"];
    let ids: Vec<&str> = sources
        .match_indices("id=\"src-")
        .map(|(i, _)| {
            let rest = &sources[i + 8..];
            &rest[..rest.find('"').unwrap()]
        })
        .filter(|id| !id.ends_with("-title") && !id.ends_with("-cited"))
        .collect();
    assert!(ids.len() >= 3, "{ids:?}");
    let all: String = files
        .iter()
        .filter(|(p, _)| p.as_str() != "sources/index.html")
        .map(|(_, v)| v.as_str())
        .collect();
    for id in &ids {
        assert!(
            all.contains(&format!("#src-{id}\"")),
            "source {id} is never cited"
        );
    }
    assert!(sources.contains("URL not recorded"));
    assert!(
        !sources.contains("bbc.co.uk") && !sources.contains("kremlin.ru"),
        "no invented URLs"
    );
}

#[test]
fn the_archived_report_is_not_published() {
    let (_dir, files) = built_site();
    assert!(
        files
            .keys()
            .all(|k| !k.ends_with(".txt") || k == "robots.txt"),
        "{:?}",
        files.keys().collect::<Vec<_>>()
    );
    let text = archive();
    let whole = plain(&text);
    for (path, html) in &files {
        assert!(
            !plain(html).contains(&whole[..whole.len() / 2]),
            "{path} republishes the report"
        );
    }
}

/// The words of `html`'s `<main>`, navigation lists left out.
fn main_words(html: &str) -> usize {
    let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
    let mut text = String::new();
    let mut rest = main;
    while let Some(i) = rest.find("<nav") {
        text.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find("</nav>").unwrap() + 6..];
    }
    text.push_str(rest);
    plain(&text)
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[test]
fn home_page_is_a_short_dated_explainer_in_prose() {
    let (_dir, files) = built_site();
    let home = &files["index.html"];
    let words = main_words(home);
    assert!((300..=700).contains(&words), "home page: {words} words");
    let h1 = plain(elements(home, "h1")[0]);
    assert!(
        !h1.chars().any(|c| c.is_ascii_digit()),
        "a year in the headline: {h1}"
    );
    assert!(
        home.contains(r#"as reported on <time datetime="2023-05-04">4 May 2023</time>"#),
        "no dateline"
    );
    let standfirst = plain(home.split("class=\"standfirst\">").nth(1).unwrap());
    assert!(
        standfirst.starts_with("In May 2023")
            && standfirst.contains("as reported by the BBC on 4 May 2023"),
        "{standfirst}"
    );
    let prose = &home[home.find("class=\"prose\"").unwrap()..home.find("id=\"unknown\"").unwrap()];
    let questions: Vec<String> = elements(prose, "h2").into_iter().map(plain).collect();
    assert!(
        (4..=6).contains(&questions.len()) && questions.iter().all(|q| q.ends_with('?')),
        "{questions:?}"
    );
    // Every paragraph that quotes cites a source in the same paragraph.
    let paragraphs = elements(prose, "p");
    let quoting: Vec<&&str> = paragraphs.iter().filter(|p| p.contains('“')).collect();
    assert!(quoting.len() >= 3, "{} quoting paragraphs", quoting.len());
    for p in quoting {
        assert!(
            p.contains("#src-"),
            "a quotation without a citation: {}",
            plain(p)
        );
    }
    for needle in [
        "a large government complex in central Moscow",
        "had not been in the complex at the time",
        "he was unhurt",
        "What we don’t know",
    ] {
        assert!(plain(home).contains(needle), "home lacks {needle:?}");
    }
    for party in ["russia", "ukraine", "reporting"] {
        assert!(home.contains(&format!("href=\"parties/{party}/index.html\"")));
    }
}

#[test]
fn both_sides_are_quoted_with_the_words_that_say_who_is_accused() {
    let (_dir, files) = built_site();
    let home = plain(&files["index.html"]);
    assert!(
        home.contains("“as a planned terrorist act and an assassination attempt on the president”")
    );
    assert!(
        home.contains("Russia could be “preparing a large-scale terrorist provocation” in Ukraine")
    );
    let ukraine = plain(&files["parties/ukraine/index.html"]);
    assert!(
        ukraine.contains(
            "indicated Russia could be “preparing a large-scale terrorist provocation” in Ukraine"
        ),
        "the Ukraine page shows the counter-accusation whole"
    );
    let russia = plain(&files["parties/russia/index.html"]);
    assert!(russia.contains("It said it regarded this “as a planned terrorist act"));
}

#[test]
fn the_sites_own_voice_does_not_assume_russias_account() {
    let (_dir, files) = built_site();
    for (path, html) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        let text = plain(html);
        for phrase in [
            "Who was behind the drones",
            "to the drones over the Kremlin",
            "Another Ukrainian official",
            "Russia (official not named)",
            "Nothing here comes from anywhere else",
            "every sentence can be traced",
            "headline not recorded)",
            "Social-media accounts not identified",
            "Full statement and source passage",
            "footage (unverified)",
            "First published",
            "Independent observers",
        ] {
            assert!(!text.contains(phrase), "{path}: {phrase:?}");
        }
    }
    assert!(
        plain(&files["parties/reporting/index.html"])
            .contains("it is astonishing to think that drones")
    );
}

/// The HTML of each statement card or timeline entry on `html` that contains `needle`.
fn cards_with<'a>(html: &'a str, needle: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for open in ["<article id=\"st-", "<li id=\"ev-"] {
        for (i, _) in html.match_indices(open) {
            let close = if open.starts_with("<article") {
                "</article>"
            } else {
                "</li>"
            };
            let card = &html[i..i + html[i..].find(close).unwrap()];
            if card.contains(needle) {
                out.push(card);
            }
        }
    }
    out
}

#[test]
fn labels_follow_the_report() {
    let (_dir, files) = built_site();
    let mut victory = 0;
    let mut unverified = Vec::new();
    for (path, html) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        for card in cards_with(html, "Victory Day") {
            victory += 1;
            assert!(
                card.contains("label--claimed"),
                "{path}: Victory Day not the presidency's claim"
            );
        }
        if path.starts_with("parties/") {
            unverified.extend(cards_with(html, "label--unverified"));
        }
    }
    assert!(victory >= 2, "{victory} Victory Day cards");
    assert_eq!(unverified.len(), 1, "Unverified only on the first footage");
    assert!(unverified[0].contains("appeared to show an object"));
}

#[test]
fn dates_show_what_the_report_gives() {
    let (_dir, files) = built_site();
    let timeline = &files["timeline/index.html"];
    assert!(timeline.contains(r#"<time datetime="2022-02">February 2022</time>"#));
    assert!(!timeline.contains("2022-02-01"), "a made-up day");
    assert!(
        timeline.contains("2–3 or 3–4 May 2023"),
        "both readings of overnight"
    );
    for (path, html) in &files {
        assert!(!plain(html).contains("dated 3 May 2023"), "{path}");
    }
    for party in ["russia", "ukraine"] {
        let html = &files[&format!("parties/{party}/index.html")];
        assert!(
            !html.contains(">3 May 2023<"),
            "{party}: a derived date shown as given"
        );
        assert!(html.contains("Reported 4 May 2023"));
    }
    let home = &files["index.html"];
    assert!(home.contains(r#"Last updated <time datetime="2026-12-03">"#));
}

#[test]
fn the_sources_page_lists_each_citing_page_once() {
    let (_dir, files) = built_site();
    let sources = &files["sources/index.html"];
    let labels: Vec<String> = elements(sources, "li").into_iter().map(plain).collect();
    for pair in labels.windows(2) {
        assert_ne!(pair[0], pair[1], "repeated cited-by line");
    }
    assert!(!sources.contains("Interview") && !sources.contains("rosenberg-assessment"));
}

#[test]
fn every_page_has_metadata_and_is_small() {
    let published = "https://news.test/kremlin-drones/";
    let (_dir, files) = built_site_with(&["--base-url", published]);
    let css = files.get("style.css").map_or(0, |c| c.len());
    for (path, html) in files.iter().filter(|(p, _)| p.ends_with("index.html")) {
        let canonical = format!(
            "<link rel=\"canonical\" href=\"{published}{}\">",
            path.trim_end_matches("index.html")
        );
        for needle in [
            "<html lang=\"en\"",
            canonical.as_str(),
            "property=\"og:title\"",
            "name=\"twitter:card\"",
            "application/ld+json",
            "name=\"color-scheme\"",
            "class=\"skip-link\"",
        ] {
            assert!(html.contains(needle), "{path} lacks {needle}");
        }
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
        assert!(
            html.len() + css < 100 * 1024,
            "{path}: {} bytes with CSS",
            html.len() + css
        );
    }
}

#[test]
fn the_default_build_has_no_address_to_give_and_gives_none() {
    let (_dir, files) = built_site();
    for (path, html) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        for needle in [
            "rel=\"canonical\"",
            "og:url",
            "application/ld+json",
            "example.org",
        ] {
            assert!(
                !html.contains(needle),
                "{path} has {needle} without a base_url"
            );
        }
        assert!(
            html.contains("property=\"og:title\"") || path == "404.html",
            "{path} lacks og:title"
        );
    }
    assert!(!files.contains_key("sitemap.xml") && !files.contains_key("atom.xml"));
}

#[test]
fn explainer_passes_check_with_no_errors_or_warnings() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
        .args(["check", "--root"])
        .arg(repo_root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(", 0 errors, 0 warnings"), "{stdout}");
}

/// The JSON-LD of a page, each `<script type="application/ld+json">` parsed
/// as the browser's HTML parser delimits it (lol_html), then as JSON.
fn json_ld(path: &str, html: &str) -> Vec<serde_json::Value> {
    let scripts = std::cell::RefCell::new(Vec::<String>::new());
    let selector = r#"script[type="application/ld+json"]"#;
    let settings = lol_html::RewriteStrSettings::new()
        .append_element_content_handler(lol_html::element!(selector, |_| {
            scripts.borrow_mut().push(String::new());
            Ok(())
        }))
        .append_element_content_handler(lol_html::text!(selector, |t| {
            if let Some(last) = scripts.borrow_mut().last_mut() {
                last.push_str(t.as_str());
            }
            Ok(())
        }));
    lol_html::rewrite_str(html, settings).unwrap();
    scripts
        .into_inner()
        .iter()
        .map(|s| serde_json::from_str(s).unwrap_or_else(|e| panic!("{path}: {e}\n{s}")))
        .collect()
}

/// The nodes of every JSON-LD `@graph` of a page with the given `@type`.
fn nodes_of_type(path: &str, html: &str, kind: &str) -> Vec<serde_json::Value> {
    json_ld(path, html)
        .into_iter()
        .flat_map(|ld| ld["@graph"].as_array().cloned().unwrap_or_default())
        .filter(|n| n["@type"] == kind)
        .collect()
}

/// `value` at `pointer`, which must be a non-empty string.
fn text_at<'a>(value: &'a serde_json::Value, pointer: &str) -> &'a str {
    match value.pointer(pointer).and_then(|v| v.as_str()) {
        Some(s) if !s.trim().is_empty() => s,
        _ => panic!("no {pointer} in {value:#}"),
    }
}

/// The repository's declarations of `key` (`facts`, `statements`) from every content file.
fn declared(key: &str) -> Vec<toml::Table> {
    let mut items = Vec::new();
    for entry in walkdir::WalkDir::new(repo_root().join("content")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let front = text.split("+++").nth(1).unwrap();
        let table: toml::Table = toml::from_str(front).unwrap();
        if let Some(list) = table.get(key).and_then(|v| v.as_array()) {
            items.extend(list.iter().filter_map(|v| v.as_table().cloned()));
        }
    }
    items
}

#[test]
fn every_page_is_a_news_article_in_json_ld() {
    let published = "https://news.test/kremlin-drones/";
    let (_dir, files) = built_site_with(&["--base-url", published]);
    for (path, html) in files.iter().filter(|(p, _)| p.ends_with("index.html")) {
        let articles = nodes_of_type(path, html, "NewsArticle");
        let article = articles
            .iter()
            .find(|a| a["@id"].as_str().is_some_and(|id| id.ends_with("#article")))
            .unwrap_or_else(|| panic!("{path}: no NewsArticle"));
        let url = format!("{published}{}", path.trim_end_matches("index.html"));
        assert_eq!(text_at(article, "/url"), url);
        assert_eq!(text_at(article, "/mainEntityOfPage"), url);
        let h1 = plain(elements(html, "h1")[0]);
        assert_eq!(text_at(article, "/headline"), h1, "{path}");
        text_at(article, "/author/name");
        text_at(article, "/publisher/name");
        text_at(article, "/inLanguage");
    }
}

#[test]
fn every_claim_an_assessment_rests_on_has_a_claim_review() {
    let (_dir, files) = built_site_with(&["--base-url", "https://news.test/"]);
    let home = &files["index.html"];
    let reviews = nodes_of_type("index.html", home, "ClaimReview");
    let statements = declared("statements");
    let labels: Vec<String> = elements(&files["about/index.html"], "dt")
        .into_iter()
        .map(|dt| plain(dt).trim_start_matches("Status: ").to_string())
        .collect();
    let mut expected = 0;
    for fact in declared("facts") {
        if fact["status"].as_str() != Some("assessment") {
            continue;
        }
        let id = fact["id"].as_str().unwrap();
        for rests_on in fact["rests_on"].as_array().unwrap() {
            expected += 1;
            let statement = statements
                .iter()
                .find(|s| s["id"].as_str() == rests_on.as_str())
                .unwrap();
            let review = reviews
                .iter()
                .find(|r| {
                    r["url"]
                        .as_str()
                        .is_some_and(|u| u.ends_with(&format!("#fact-{id}")))
                        && text_at(r, "/claimReviewed") == statement["text"].as_str().unwrap()
                })
                .unwrap_or_else(|| panic!("no ClaimReview of {rests_on} for {id}"));
            assert_eq!(
                text_at(review, "/reviewBody"),
                fact["text"].as_str().unwrap()
            );
            let rating = text_at(review, "/reviewRating/alternateName");
            assert!(
                labels.iter().any(|l| l == rating),
                "{rating} is no label of the site: {labels:?}"
            );
            text_at(review, "/reviewRating/ratingExplanation");
            assert_eq!(review["itemReviewed"]["@type"], "Claim");
            text_at(review, "/itemReviewed/author/name");
            text_at(review, "/itemReviewed/datePublished");
            text_at(review, "/author/name");
            assert!(
                home.contains(&format!("id=\"fact-{id}\"")),
                "the review's url points at no fact on the page"
            );
        }
    }
    assert!(expected > 0, "the site has no assessments to review");
    assert_eq!(
        reviews.len(),
        expected,
        "ClaimReviews with no assessment behind them"
    );
}

#[test]
fn a_title_that_opens_a_comment_or_closes_a_script_stays_inside_the_json() {
    let root = tempfile::tempdir().unwrap();
    for part in ["content", "templates", "static"] {
        copy_tree(&repo_root().join(part), &root.path().join(part));
    }
    std::fs::copy(
        repo_root().join("config.toml"),
        root.path().join("config.toml"),
    )
    .unwrap();
    let about = root.path().join("content/about.md");
    let title = r#"About <!--<script> </script> & "us""#;
    let text = std::fs::read_to_string(&about).unwrap();
    let first = text.lines().find(|l| l.starts_with("title = ")).unwrap();
    let escaped = title.replace('"', "\\\"");
    std::fs::write(
        &about,
        text.replacen(first, &format!("title = \"{escaped}\""), 1),
    )
    .unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
        .args(["build", "--base-url", "https://news.test/", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(root.path().join("public/about/index.html")).unwrap();
    let articles = nodes_of_type("about/index.html", &html, "NewsArticle");
    assert_eq!(text_at(&articles[0], "/headline"), title);
}
