//! Share cards (`share_cards = true`): every page gets a 1200×630 PNG beside
//! it and `og:image`/`twitter:image` tags pointing at it; a page may name its
//! own image instead; cards follow edits on warm builds.

mod common;
use common::*;

const CARDS: &str =
    "base_url = \"https://example.org/news/\"\ntitle = \"Test site\"\nshare_cards = true\n";

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The `content` of `<meta property|name="key" content="…">` in `html`.
fn meta<'a>(html: &'a str, key: &str) -> Option<&'a str> {
    let at = html
        .find(&format!("property=\"{key}\" content=\""))
        .or_else(|| html.find(&format!("name=\"{key}\" content=\"")))?;
    let rest = &html[at..];
    let start = rest.find("content=\"")? + "content=\"".len();
    let end = rest[start..].find('"')?;
    Some(&rest[start..start + end])
}

/// A page template that prints the share image as the repository's base.html does.
fn with_share_tags(site: Site) -> Site {
    let template = r#"<!doctype html><html><head><title>{{ page.title }}</title>
{%- if page.share_image %}<meta property="og:image" content="{{ page.share_image }}">{% endif %}
</head><body>{{ page.content | safe }}</body></html>
"#;
    site.file("templates/page.html", template)
}

#[test]
fn every_page_gets_a_card_of_the_recommended_size() {
    let site = with_share_tags(Site::basic().file("config.toml", CARDS));
    site.build().ok();
    for card in ["share.png", "about/share.png"] {
        let bytes = std::fs::read(site.path(&format!("public/{card}"))).unwrap();
        assert_eq!(png_size(&bytes), (1200, 630), "{card}");
    }
    let about = site.output("about/index.html");
    assert_eq!(
        meta(&about, "og:image"),
        Some("https://example.org/news/about/share.png")
    );
}

#[test]
fn the_repository_site_tags_its_cards_for_every_page() {
    let (_dir, files) = build_repo_site(&["--base-url", "https://news.test/"]);
    for (path, bytes) in files.iter().filter(|(p, _)| p.ends_with("index.html")) {
        let html = String::from_utf8_lossy(bytes);
        let image = meta(&html, "og:image").unwrap_or_else(|| panic!("{path}: no og:image"));
        assert_eq!(meta(&html, "twitter:image"), Some(image), "{path}");
        assert_eq!(
            meta(&html, "twitter:card"),
            Some("summary_large_image"),
            "{path}"
        );
        let card = image.strip_prefix("https://news.test/").unwrap();
        let png = files
            .get(card)
            .unwrap_or_else(|| panic!("{path}: {image} was not written"));
        assert_eq!(png_size(png), (1200, 630));
    }
}

#[test]
fn a_page_that_names_its_own_image_gets_no_card() {
    let site = with_share_tags(Site::basic().file("config.toml", CARDS)).file(
        "content/about.md",
        "+++\ntitle = \"About\"\n[extra]\nshare_image = \"photo.png\"\n+++\nText.\n",
    );
    site.write_bytes("static/photo.png", b"\x89PNG\r\n\x1a\n");
    site.build().ok();
    assert!(!site.has_output("about/share.png"));
    assert_eq!(
        meta(&site.output("about/index.html"), "og:image"),
        Some("https://example.org/news/photo.png")
    );
}

#[test]
fn a_page_may_name_an_image_on_another_site() {
    let site = with_share_tags(Site::basic().file("config.toml", CARDS)).file(
        "content/about.md",
        "+++\ntitle = \"About\"\n[extra]\nshare_image = \"https://images.example.net/photo.jpg\"\n+++\nText.\n",
    );
    site.build().ok();
    assert!(!site.has_output("about/share.png"));
    assert_eq!(
        meta(&site.output("about/index.html"), "og:image"),
        Some("https://images.example.net/photo.jpg")
    );
}

#[test]
fn without_a_base_url_no_share_image_is_given() {
    let site =
        with_share_tags(Site::basic().file("config.toml", "title = \"T\"\nshare_cards = true\n"));
    site.build().ok();
    assert_eq!(meta(&site.output("about/index.html"), "og:image"), None);
}

#[test]
fn a_warm_build_redraws_only_the_card_whose_title_changed() {
    let site = Site::basic()
        .file("config.toml", CARDS)
        .file("content/other.md", "+++\ntitle = \"Other\"\n+++\nText.\n");
    site.build().ok();
    let before = snapshot_dir(&site.path("public"));
    site.write(
        "content/about.md",
        "+++\ntitle = \"About us, retitled\"\ndate = 2023-05-04\n+++\n# About us\n\nText.\n",
    );
    site.build().ok();
    let after = snapshot_dir(&site.path("public"));
    assert_ne!(before["about/share.png"], after["about/share.png"]);
    assert_eq!(before["other/share.png"], after["other/share.png"]);

    // A cold build draws the same pixels: cards are byte-identical from run to run.
    std::fs::remove_dir_all(site.path(".explainer-cache")).unwrap();
    std::fs::remove_dir_all(site.path("public")).unwrap();
    site.build().ok();
    assert_eq!(
        after["about/share.png"],
        std::fs::read(site.path("public/about/share.png")).unwrap()
    );
}

#[test]
fn a_static_file_cannot_take_a_card_s_place() {
    let site = Site::basic().file("config.toml", CARDS);
    site.write_bytes("static/about/share.png", b"\x89PNG\r\n\x1a\n");
    site.build()
        .fails()
        .stderr_has(&["static/about/share.png", "the share card of"]);
}
