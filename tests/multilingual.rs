//! Multilingual sites, as in Zola: `[languages.fr]` in config.toml,
//! `page.fr.md` translations at `/fr/page/`, `lang` and `hreflang`
//! alternates, a language switcher, a feed per language and sitemap
//! alternates; a quotation translated into the page's language is checked
//! through its original words and labelled as our translation.

mod common;
use common::*;

const CONFIG_FR: &str = "base_url = \"https://example.org/\"\ntitle = \"Test site\"\ndefault_language = \"en\"\n\n[translations]\nours = \"our translation\"\n\n[languages.fr]\ntitle = \"Site de test\"\n\n[languages.fr.translations]\nours = \"notre traduction\"\n";

/// A site in English and French with the built-in templates.
fn bilingual() -> Site {
    Site::empty()
        .file("config.toml", CONFIG_FR)
        .file(
            "content/_index.md",
            "+++\ntitle = \"Home\"\n+++\nWelcome.\n",
        )
        .file(
            "content/_index.fr.md",
            "+++\ntitle = \"Accueil\"\n+++\nBienvenue.\n",
        )
        .file(
            "content/denial.md",
            "+++\ntitle = \"The denial\"\ndate = 2023-05-04\n+++\nText.\n",
        )
        .file(
            "content/denial.fr.md",
            "+++\ntitle = \"Le démenti\"\ndate = 2023-05-04\n+++\nTexte.\n",
        )
        .file(
            "content/claim.md",
            "+++\ntitle = \"The claim\"\ndate = 2023-05-03\n+++\nText.\n",
        )
}

#[test]
fn a_translation_gets_its_language_url_lang_and_alternates_both_ways() {
    let site = bilingual();
    site.build().ok();
    let fr = site.output("fr/denial/index.html");
    assert!(fr.contains("<html lang=\"fr\">"), "{fr}");
    assert!(fr.contains("<h1>Le démenti</h1>"), "{fr}");
    for (lang, href) in [
        ("en", "https://example.org/denial/"),
        ("fr", "https://example.org/fr/denial/"),
    ] {
        let link = format!("<link rel=\"alternate\" hreflang=\"{lang}\" href=\"{href}\">");
        assert!(fr.contains(&link), "{fr}");
        assert!(site.output("denial/index.html").contains(&link));
    }
    let en = site.output("denial/index.html");
    assert!(en.contains("<html lang=\"en\">"), "{en}");
    let home_fr = site.output("fr/index.html");
    assert!(home_fr.contains("<html lang=\"fr\">"), "{home_fr}");
    assert!(home_fr.contains("Le démenti"), "{home_fr}");
    assert!(
        !home_fr.contains("The claim"),
        "a language's section lists only its pages: {home_fr}"
    );
    assert!(!site.output("index.html").contains("Le démenti"));
}

#[test]
fn the_language_switcher_is_a_list_of_links_with_hreflang_and_lang() {
    let site = bilingual();
    site.build().ok();
    let fr = site.output("fr/denial/index.html");
    assert!(fr.contains("<nav aria-label=\"Languages\"><ul><li><a href=\"https://example.org/denial/\" hreflang=\"en\" lang=\"en\">The denial</a></li><li><a href=\"https://example.org/fr/denial/\" hreflang=\"fr\" lang=\"fr\" aria-current=\"page\">Le démenti</a></li></ul></nav>"), "{fr}");
    let claim = site.output("claim/index.html");
    assert!(
        !claim.contains("aria-label=\"Languages\"") && !claim.contains("hreflang"),
        "a page with no translation has no switcher: {claim}"
    );
}

#[test]
fn templates_see_lang_translations_languages_and_get_url_and_trans_with_lang() {
    let site = bilingual().file(
        "templates/page.html",
        "{{ lang }}|{{ page.lang }}|{% for t in page.translations %}{{ t.lang }}={{ t.permalink }}={{ t.title }};{% endfor %}|{{ config.default_language }}|{{ config.languages.fr.title }}|{{ get_url(path=\"@/denial.md\", lang=\"fr\") }}|{{ get_url(path=\"@/denial.fr.md\", lang=\"en\") }}|{{ get_url(path=\"atom.xml\", lang=\"fr\") }}|{{ trans(key=\"ours\", lang=page.lang) }}\n",
    );
    site.build().ok();
    assert_eq!(
        site.output("fr/denial/index.html"),
        "fr|fr|en=https://example.org/denial/=The denial;fr=https://example.org/fr/denial/=Le démenti;|en|Site de test|https://example.org/fr/denial/|https://example.org/denial/|https://example.org/fr/atom.xml|notre traduction\n"
    );
}

#[test]
fn trans_of_a_missing_word_is_an_error_naming_the_table() {
    let site = bilingual().file(
        "templates/page.html",
        "{{ trans(key=\"nowhere\", lang=page.lang) }}\n",
    );
    site.build()
        .fails()
        .stderr_has(&["nowhere", "[languages.fr.translations]"]);
}

#[test]
fn get_url_with_a_language_the_site_lacks_is_an_error() {
    let site = bilingual().file(
        "templates/page.html",
        "{{ get_url(path=\"@/denial.md\", lang=\"de\") }}\n",
    );
    site.build().fails().stderr_has(&["get_url", "\"de\""]);
}

#[test]
fn a_file_named_for_a_language_the_config_lacks_is_an_error_naming_it() {
    let site = bilingual().file("content/denial.de.md", "+++\ntitle = \"Dementi\"\n+++\n");
    site.build()
        .fails()
        .stderr_has(&["content/denial.de.md", "\"de\"", "[languages.de]"]);
    assert!(!site.has_output("denial/index.html"), "nothing is written");
}

#[test]
fn a_file_named_for_the_default_language_is_an_error() {
    let site = bilingual().file("content/claim.en.md", "+++\ntitle = \"Claim\"\n+++\n");
    site.build()
        .fails()
        .stderr_has(&["content/claim.en.md", "default language", "claim.md"]);
}

#[test]
fn a_dot_in_a_name_that_is_no_language_code_stays_part_of_the_slug() {
    let site = Site::basic()
        .file("content/notes.v2.md", "+++\ntitle = \"V2\"\n+++\n")
        .file("content/report.final.md", "+++\ntitle = \"Final\"\n+++\n");
    site.build().ok();
    assert!(site.has_output("notes-v2/index.html"));
    assert!(site.has_output("report-final/index.html"));
}

#[test]
fn a_translation_without_a_default_language_page_is_published_alone() {
    let site = bilingual().file(
        "content/only.fr.md",
        "+++\ntitle = \"Seulement en français\"\n+++\nTexte.\n",
    );
    site.build().ok();
    let only = site.output("fr/only/index.html");
    assert!(only.contains("<html lang=\"fr\">"), "{only}");
    assert!(!only.contains("hreflang"), "{only}");
    assert!(!site.has_output("only/index.html"));
}

#[test]
fn the_default_language_listed_under_languages_is_a_located_error() {
    let site = bilingual().file(
        "config.toml",
        "title = \"T\"\ndefault_language = \"en\"\n[languages.en]\n",
    );
    site.build()
        .fails()
        .stderr_has(&["config.toml:3:", "default language"]);
}

#[test]
fn each_language_has_its_own_feed_of_its_own_pages() {
    let site = bilingual();
    site.build().ok();
    let en = site.output("atom.xml");
    assert!(en.contains("xml:lang=\"en\""), "{en}");
    assert!(
        en.contains("The denial") && en.contains("The claim"),
        "{en}"
    );
    assert!(!en.contains("Le démenti"), "{en}");
    let fr = site.output("fr/atom.xml");
    assert!(fr.contains("xml:lang=\"fr\""), "{fr}");
    assert!(fr.contains("<title>Site de test</title>"), "{fr}");
    assert!(
        fr.contains("<link href=\"https://example.org/fr/atom.xml\" rel=\"self\""),
        "{fr}"
    );
    assert!(
        fr.contains("Le démenti") && !fr.contains("The claim"),
        "{fr}"
    );
}

#[test]
fn generate_feeds_false_leaves_a_language_without_a_feed() {
    let site = bilingual().file(
        "config.toml",
        &CONFIG_FR.replace(
            "[languages.fr]\n",
            "[languages.fr]\ngenerate_feeds = false\n",
        ),
    );
    site.build().ok();
    assert!(site.has_output("atom.xml"));
    assert!(!site.has_output("fr/atom.xml"));
}

#[test]
fn the_sitemap_lists_every_language_with_hreflang_alternates() {
    let site = bilingual();
    site.build().ok();
    let sitemap = site.output("sitemap.xml");
    assert!(
        sitemap.contains("xmlns:xhtml=\"http://www.w3.org/1999/xhtml\""),
        "{sitemap}"
    );
    let fr_entry = sitemap
        .split("<url>")
        .find(|u| u.contains("<loc>https://example.org/fr/denial/</loc>"))
        .unwrap_or_else(|| panic!("no fr entry: {sitemap}"));
    for (lang, href) in [
        ("en", "https://example.org/denial/"),
        ("fr", "https://example.org/fr/denial/"),
    ] {
        let link = format!("<xhtml:link rel=\"alternate\" hreflang=\"{lang}\" href=\"{href}\"/>");
        assert!(fr_entry.contains(&link), "{fr_entry}");
    }
    let claim = sitemap
        .split("<url>")
        .find(|u| u.contains("<loc>https://example.org/claim/</loc>"))
        .unwrap_or_else(|| panic!("no claim entry: {sitemap}"));
    assert!(!claim.contains("xhtml:link"), "{claim}");
    let mono = Site::basic();
    mono.build().ok();
    assert!(!mono.output("sitemap.xml").contains("xhtml"));
}

#[test]
fn serve_rebuilds_an_edited_translation_as_a_cold_build_would() {
    let site = bilingual();
    let (served, cold) = serve_twice(&site, &["content/denial.fr.md"], |s| {
        s.write(
            "content/denial.fr.md",
            "+++\ntitle = \"Le démenti révisé\"\ndate = 2023-05-04\n+++\nTexte révisé.\n",
        );
    });
    let page = String::from_utf8_lossy(&served["fr/denial/index.html"]).to_string();
    assert!(
        page.contains("Le démenti révisé") && page.contains("Texte révisé."),
        "{page}"
    );
    let en = String::from_utf8_lossy(&served["denial/index.html"]).to_string();
    assert!(
        en.contains("Le démenti révisé"),
        "the switcher of the other version follows: {en}"
    );
    assert_eq!(served, cold);
}
