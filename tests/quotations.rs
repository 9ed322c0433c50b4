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
    format!(
        r#"+++
title = "Quotes"

[[sources]]
id = "report"
title = "A report"
publisher = "Example News"
kind = "news-report"
archive = "report.txt"

[[parties]]
id = "mayor"
name = "The mayor"
page = "@/quotes.md"

[[statements]]
id = "mayor-said"
speaker = "The mayor"
party = "mayor"
date = 2023-05-03
kind = "quote"
status = "claimed"
source = "report"
text = "{quote}"
+++
Body [@report].
"#
    )
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
