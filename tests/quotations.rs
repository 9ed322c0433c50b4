//! Quotations are checked word for word against the archived text of their
//! source: statements, basis passages, and every quotation in prose (“…”,
//! `<q>`, `<blockquote>`), with newsroom elisions and insertions.

mod common;
use common::*;

/// The archived report every quotation here is checked against (invented text).
const REPORT: &str = "Unverified footage on social media appeared to show an object over the town hall.

The council said it had nothing to do with the alleged fire.

In a statement, the mayor said: “Last night, the old bridge was closed to all traffic for urgent repairs.”

A spokesman called the closure “a planned act of sabotage” and said Mr Grant’s office was “reviewing every option”.
";

/// A page declaring the source and one quoted statement whose text is `quote`.
fn statement(quote: &str) -> String {
    quoting_page("mayor", "The mayor", "mayor-said", "The mayor", quote)
}

fn site_quoting(quote: &str) -> Site {
    Site::basic()
        .file("content/report.txt", REPORT)
        .file(
            "content/quotes.md",
            &statement("Last night, the old bridge was closed"),
        )
        .file(
            "content/other.md",
            &format!("+++\ntitle = \"Other\"\n+++\n{quote}\n"),
        )
}

/// A statement quoting `quote` fails the build with `expect`, located at the quotation.
fn statement_fails(quote: &str, expect: &[&str]) {
    let page = statement(quote);
    let line = line_col(&page, &format!("text = \"{quote}\"")).replace(":1", "");
    let at = format!("content/quotes.md:{line}:9");
    let mut expect = expect.to_vec();
    expect.push(&at);
    site_quoting("").breaks_with(&[("content/quotes.md", page.as_bytes())], &expect);
}

fn statement_passes(quote: &str) {
    site_quoting("")
        .file("content/quotes.md", &statement(quote))
        .build()
        .ok();
}

#[test]
fn a_quotation_cut_mid_word_fails() {
    statement_fails(
        "verified footage on social media",
        &[
            "quotation not found word for word in the archived text of source `report` (report.txt)",
            "word by word: [-Unverified-] {+verified+} footage on social media",
            "\"verified footage on social media\" appears only inside longer words of the source",
        ],
    );
    statement_fails(
        "d nothing to do with the alleged",
        &[
            "quotation not found word for word",
            "appears only inside longer words",
        ],
    );
    statement_fails(
        "nothing to do with the allege",
        &["quotation not found word for word"],
    );
}

#[test]
fn a_quotation_of_one_common_word_fails() {
    statement_fails("a", &["quotation too short to check: 1 word"]);
    statement_fails("of the", &["quotation too short to check: 2 words"]);
    statement_fails("of the and", &["made only of common words"]);
}

#[test]
fn a_misquotation_shows_what_is_missing_and_what_is_extra() {
    statement_fails(
        "the old bridge was closed to traffic for repairs",
        &[
            "closest passage: the old bridge was closed to all traffic for urgent repairs",
            "word by word: the old bridge was closed to [-all-] traffic for [-urgent-] repairs",
            "[-…-] is in the source but not the quotation; {+…+} is in the quotation but not the source",
        ],
    );
}

#[test]
fn typographic_quotes_and_line_breaks_are_all_that_is_normalised() {
    statement_passes("a planned act of sabotage");
    statement_passes("Mr Grant's office was \\\"reviewing every option\\\"");
    statement_passes("said: \\\"Last night,\\n the old bridge was closed");
    statement_fails("Last night the old bridge was closed", &["word by word:"]);
    statement_fails("last night, the old bridge was closed", &["word by word:"]);
}

#[test]
fn an_elision_matches_the_pieces_in_order_within_one_passage() {
    statement_passes("Last night … was closed to all traffic");
    statement_passes("Last night, the old bridge ... for urgent repairs.");
    statement_passes("the old bridge was closed [...] for urgent repairs");
    statement_fails(
        "was closed to all traffic … Last night",
        &["quotation not found word for word"],
    );
    statement_fails(
        "The council said … the old bridge was closed",
        &["quotation not found word for word"],
    );
}

#[test]
fn a_bracketed_insertion_stands_for_a_few_words_of_the_source() {
    statement_passes("[The crossing] was closed to all traffic for urgent repairs");
    statement_passes("[T]he old bridge was closed to all traffic");
    statement_fails(
        "In a statement, [it] was closed to all traffic",
        &["quotation not found word for word"],
    );
}

#[test]
fn a_quoted_basis_passage_is_checked_the_same_way() {
    let page = statement("Last night, the old bridge was closed").replace(
        "+++\nBody",
        "basis = \"ootage on social media appeared\"\n+++\nBody",
    );
    site_quoting("").breaks_with(
        &[("content/quotes.md", page.as_bytes())],
        &[
            "basis passage not found word for word",
            &format!("content/quotes.md:{}", line_col(&page, "ootage on")),
        ],
    );
}

/// A page whose body is `body`, in a site with the archived report.
fn prose(body: &str) -> (Site, String) {
    let page = format!("+++\ntitle = \"Other\"\n+++\n{body}\n");
    (site_quoting(""), page)
}

fn prose_passes(body: &str) {
    let (site, page) = prose(body);
    site.file("content/other.md", &page).build().ok();
}

/// The body fails the build with `expect`, located at `at` in the page.
fn prose_fails(body: &str, at: &str, expect: &[&str]) {
    let (site, page) = prose(body);
    let loc = format!("content/other.md:{}", line_col(&page, at));
    let mut expect = expect.to_vec();
    expect.push(&loc);
    site.breaks_with(&[("content/other.md", page.as_bytes())], &expect);
}

#[test]
fn a_prose_quotation_is_checked_against_the_source_cited_beside_it() {
    prose_passes(
        "The mayor said the bridge was “closed to all traffic for urgent repairs” [@report].",
    );
    prose_fails(
        "The mayor said “the bridge was closed to all traffic” [@report].",
        "“the bridge",
        &[
            "quotation not found word for word in the archived text of source `report`",
            "word by word: the [-old-] bridge was closed to all traffic",
        ],
    );
}

#[test]
fn a_prose_quotation_without_a_citation_nearby_says_how_to_cite_it() {
    prose_fails(
        "The mayor called it “a planned act of sabotage”.\n\nLater paragraph [@report].",
        "“a planned",
        &[
            "quotation with no citation nearby: “a planned act of sabotage”",
            "cite its source in the same paragraph, list item or heading: “…” [@source-id]",
        ],
    );
}

#[test]
fn apostrophes_nested_quotes_and_line_breaks_are_prose_not_marks() {
    prose_passes("Mr Grant’s office, a spokesman said, was “reviewing every\noption” [@report].");
    prose_passes(
        "The mayor’s words: “In a statement, the mayor said: ‘Last night, the old bridge was closed to all traffic for urgent repairs.’” [@report].",
    );
    prose_passes(
        "He said \"a planned act of sabotage\" [@report], and the council's answer was `\"not quoted\"`.",
    );
    prose_fails(
        "The mayor’s office said the council’s “fire was alleged” [@report].",
        "“fire",
        &["quotation not found word for word"],
    );
}

#[test]
fn short_terms_in_quotation_marks_must_be_the_source_s_words() {
    prose_passes("The spokesman spoke of “sabotage” [@report].");
    prose_fails(
        "The spokesman spoke of “terrorism” [@report].",
        "“terrorism",
        &["quotation not found word for word"],
    );
    prose_fails(
        "The spokesman spoke of “verified” footage [@report].",
        "“verified",
        &["appears only inside longer words"],
    );
    prose_fails(
        "The report said “a” [@report].",
        "“a”",
        &["made only of common words"],
    );
}

#[test]
fn block_quotations_are_checked_and_may_be_cited_just_before_or_after() {
    prose_passes(
        "In a statement, the mayor said [@report]:\n\n> Last night, the old bridge was closed to all traffic for urgent repairs.\n",
    );
    prose_passes(
        "> Last night, the old bridge was closed to all traffic for urgent repairs.\n>\n> — the mayor [@report]\n",
    );
    prose_fails(
        "In a statement, the mayor said [@report]:\n\n> Last night, the new bridge was closed.\n",
        "Last night, the new",
        &["quotation not found word for word", "[-old-] {+new+}"],
    );
    prose_fails(
        "Intro.\n\n> Last night, the old bridge was closed.\n",
        "Last night",
        &["quotation with no citation nearby"],
    );
}

#[test]
fn raw_html_quotations_are_checked_too() {
    prose_passes("The mayor said <q>closed to all traffic</q> [@report].");
    prose_fails(
        "The mayor said <q>closed to every vehicle</q> [@report].",
        "<q>",
        &["quotation not found word for word"],
    );
    prose_fails(
        "<blockquote><p>Last night, the old bridge was shut.</p></blockquote>\n\nThe mayor [@report].\n",
        "<blockquote>",
        &["quotation not found word for word", "{+shut.+}"],
    );
    prose_fails(
        "Intro.\n\n<blockquote>Last night, the old bridge was closed.</blockquote>\n\nNext.\n\nCited [@report].\n",
        "<blockquote>",
        &["quotation with no citation nearby"],
    );
}

#[test]
fn quotations_inside_a_declared_fact_are_checked_against_its_source() {
    let page = statement("Last night, the old bridge was closed").replace(
        "+++\nBody",
        "[[facts]]\nid = \"closure\"\nlist = \"known\"\ntext = \"The spokesman called it “a planned act of terror”.\"\nstatus = \"reported\"\nsource = \"report\"\nbasis = \"A spokesman called the closure\"\n+++\nBody",
    );
    site_quoting("").breaks_with(
        &[("content/quotes.md", page.as_bytes())],
        &[
            "quotation not found word for word",
            &format!(
                "content/quotes.md:{}",
                line_col(&page, "a planned act of terror")
            ),
        ],
    );
}

/// A page with `front` (TOML lines) in its front matter and `body`.
fn front_page(front: &str, body: &str) -> String {
    format!("+++\ntitle = \"Other\"\n{front}\n+++\n{body}\n")
}

#[test]
fn quotations_in_title_description_and_extra_are_checked_against_the_sources_the_page_cites() {
    let pass = front_page(
        "description = \"A spokesman called it “a planned act of sabotage”.\"\n[extra]\nstandfirst = \"The bridge was “closed to all traffic for urgent repairs”.\"",
        "Said so [@report].",
    );
    site_quoting("")
        .file("content/other.md", &pass)
        .build()
        .ok();
    for (key, front) in [
        ("title", "title = \"Mayor: “a planned terrorist attack”\""),
        (
            "description",
            "description = \"He called it “a planned terrorist attack”.\"",
        ),
        (
            "extra",
            "[extra]\nstandfirst = \"He called it “a planned terrorist attack”.\"",
        ),
    ] {
        let page = front_page(front, "Said so [@report].").replacen(
            "title = \"Other\"\ntitle",
            "title",
            1,
        );
        let at = format!(
            "content/other.md:{}",
            line_col(&page, "a planned terrorist")
        );
        site_quoting("").breaks_with(
            &[("content/other.md", page.as_bytes())],
            &[
                &format!("in `{key}`: quotation not found word for word in the archived text of source `report`"),
                "word by word: a planned",
                &at,
            ],
        );
    }
    let uncited = front_page(
        "description = \"He called it “a planned act of sabotage”.\"",
        "No citation here.",
    );
    site_quoting("").breaks_with(
        &[("content/other.md", uncited.as_bytes())],
        &[
            "in `description`: quotation with no source: “a planned act of sabotage”",
            "cite its source in the page's text",
        ],
    );
}

#[test]
fn quotations_in_a_statements_date_note_and_an_events_derived_are_checked() {
    let page = statement("Last night, the old bridge was closed").replace(
        "+++\nBody",
        "date_note = \"Its “last week” is not dated.\"\n+++\nBody",
    );
    let at = format!("content/quotes.md:{}", line_col(&page, "last week"));
    site_quoting("").breaks_with(
        &[("content/quotes.md", page.as_bytes())],
        &[
            "quotation not found word for word in the archived text of source `report`",
            &at,
        ],
    );
    let page = statement("Last night, the old bridge was closed").replace(
        "+++\nBody",
        "date_note = \"Its “Last night” is not dated.\"\n+++\nBody",
    );
    site_quoting("")
        .file("content/quotes.md", &page)
        .build()
        .ok();
}

#[test]
fn straight_quotes_in_a_title_are_not_taken_for_a_quotation() {
    let page = front_page("", "Said so [@report].").replacen(
        "title = \"Other\"",
        "title = \"About \\\"us\\\"\"",
        1,
    );
    site_quoting("")
        .file("content/other.md", &page)
        .build()
        .ok();
}
