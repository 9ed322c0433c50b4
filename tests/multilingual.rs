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

/// The archived English report the translated quotations are checked against (invented text).
const REPORT: &str = "Unverified footage appeared to show an object over the town hall.

In a statement, the mayor said: “Last night, the old bridge was closed to all traffic for urgent repairs.”
";

/// The English page declaring the source; parties and sources live here.
const SOURCES_PAGE: &str = r#"+++
title = "Sources"

[[sources]]
id = "report"
title = "A report"
publisher = "Example News"
kind = "news-report"
archive = "report.txt"

[[parties]]
id = "mayor"
name = "The mayor"
+++
Body [@report].
"#;

/// A French page quoting the mayor: `text` in French, and `extra` (an
/// `original = …` line, or nothing).
fn french_statement(text: &str, extra: &str) -> String {
    format!(
        r#"+++
title = "Le pont"

[[statements]]
id = "mayor-said"
speaker = "Le maire"
party = "mayor"
date = 2023-05-03
kind = "quote"
status = "claimed"
source = "report"
text = "{text}"
{extra}
+++
Texte [@report].
"#
    )
}

const FRENCH: &str = "Hier soir, le vieux pont a été fermé à toute circulation";

/// A page template showing what a template gets of each statement.
const STATEMENT_TEMPLATE: &str = "<!doctype html><html lang=\"{{ lang }}\"><title>{{ page.title }}</title><main>{{ page.content | safe }}<ul>{% for s in page.statements %}<li id=\"{{ s.anchor }}\">{{ s.kind_label }}|{{ s.text }}|{{ s.translated }}|{{ s.translation_label }}|{{ s.original }}|{{ s.original_lang }}|{{ s.basis }}</li>{% endfor %}</ul><ul>{% for s in explainer.sources %}{% if s.href == page.permalink ~ \"#\" ~ s.anchor %}<li id=\"{{ s.anchor }}\">{{ s.title }}</li>{% endif %}{% endfor %}</ul></main>\n";

fn quoting_in_french(page: &str) -> Site {
    bilingual()
        .file("templates/page.html", STATEMENT_TEMPLATE)
        .file("content/report.txt", REPORT)
        .file("content/sources.md", SOURCES_PAGE)
        .file("content/bridge.fr.md", page)
}

#[test]
fn a_translated_quotation_is_checked_through_its_original_and_shown_as_ours() {
    let site = quoting_in_french(&french_statement(
        FRENCH,
        "original = \"Last night, the old bridge was closed to all traffic\"",
    ));
    site.build().ok();
    let page = site.output("fr/bridge/index.html");
    assert!(page.contains(&format!("Translated quotation|{FRENCH}|true|notre traduction|Last night, the old bridge was closed to all traffic|en|Last night, the old bridge was closed to all traffic</li>")), "{page}");
}

#[test]
fn a_translation_whose_original_is_not_in_the_archive_is_an_error_at_the_original() {
    let page = french_statement(
        FRENCH,
        "original = \"Last night, the new bridge was closed to all traffic\"",
    );
    let site = quoting_in_french(&page);
    site.build().fails().stderr_has(&[
        &format!(
            "content/bridge.fr.md:{}",
            line_col(&page, "Last night, the new bridge")
        ),
        "not found",
    ]);
    assert!(!site.has_output("fr/bridge/index.html"));
}

#[test]
fn a_translation_without_an_original_is_an_error_at_its_text() {
    let page = french_statement(FRENCH, "");
    let site = quoting_in_french(&page);
    site.build().fails().stderr_has(&[
        &format!("content/bridge.fr.md:{}", line_col(&page, FRENCH)),
        "\"fr\"",
        "\"en\"",
        "`original`",
    ]);
}

#[test]
fn an_original_cut_mid_word_is_an_error() {
    let page = french_statement(FRENCH, "original = \"Last night, the old bridge was clos\"");
    quoting_in_french(&page)
        .build()
        .fails()
        .stderr_has(&[&format!(
            "content/bridge.fr.md:{}",
            line_col(&page, "Last night, the old bridge was clos")
        )]);
}

#[test]
fn french_words_passed_off_as_the_original_are_an_error() {
    // The original must be the archive's words, not the translation again.
    let page = french_statement(FRENCH, &format!("original = \"{FRENCH}\""));
    quoting_in_french(&page).build().fails().stderr_has(&[
        &format!("content/bridge.fr.md:{}", line_col(&page, "original = ")),
        "repeats its `text`",
    ]);
}

#[test]
fn an_original_where_nothing_is_translated_is_an_error() {
    // An English page quoting an English source: an `original` would let an
    // unchecked `text` through.
    let page = french_statement(
        "Anything at all goes here",
        "original = \"Last night, the old bridge was closed to all traffic\"",
    );
    let site = quoting_in_french(&page.replace("Le pont", "The bridge"));
    std::fs::remove_file(site.path("content/bridge.fr.md")).unwrap();
    site.write("content/bridge.md", &page.replace("Le pont", "The bridge"));
    site.build()
        .fails()
        .stderr_has(&["content/bridge.md:", "nothing is translated"]);
}

#[test]
fn a_quotation_in_the_sources_own_language_needs_no_original() {
    // A French source archived in French, quoted on the French page verbatim.
    let site = quoting_in_french(&french_statement(FRENCH, ""))
        .file(
            "content/sources.md",
            &SOURCES_PAGE.replace(
                "archive = \"report.txt\"",
                "archive = \"report.txt\"\nlang = \"fr\"",
            ),
        )
        .file(
            "content/report.txt",
            &format!("Le maire a dit : « {FRENCH} pour des réparations. »\n"),
        );
    site.build().ok();
    let page = site.output("fr/bridge/index.html");
    assert!(
        page.contains(&format!("Verbatim quotation|{FRENCH}|false|||")),
        "{page}"
    );
}

#[test]
fn an_english_page_quoting_a_french_source_needs_an_original_too() {
    let site = quoting_in_french(&french_statement(FRENCH, "")).file(
        "content/sources.md",
        &SOURCES_PAGE.replace(
            "archive = \"report.txt\"",
            "archive = \"report.txt\"\nlang = \"fr\"",
        ),
    );
    std::fs::remove_file(site.path("content/bridge.fr.md")).unwrap();
    let page = french_statement("Last night, the old bridge was closed", "");
    site.write("content/bridge.md", &page);
    site.build().fails().stderr_has(&[
        &format!(
            "content/bridge.md:{}",
            line_col(&page, "Last night, the old bridge was closed")
        ),
        "\"en\"",
        "\"fr\"",
    ]);
}

#[test]
fn a_bad_language_code_on_a_source_is_located() {
    let sources = SOURCES_PAGE.replace(
        "archive = \"report.txt\"",
        "archive = \"report.txt\"\nlang = \"English\"",
    );
    let site = quoting_in_french(&french_statement(
        FRENCH,
        "original = \"Last night, the old bridge was closed to all traffic\"",
    ))
    .file("content/sources.md", &sources);
    site.build().fails().stderr_has(&[
        &format!("content/sources.md:{}", line_col(&sources, "English")),
        "bad language code",
    ]);
}
