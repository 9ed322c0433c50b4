//! `explainer check`: every check without writing output; a summary line, JSON for tools.

mod common;
use common::*;

/// The page every check here runs on: two parties, a quotation, a paraphrase and an assessment.
fn claims() -> String {
    let gov_quote = quote_head("gov-quote", "A spokesman", "gov", "statement");
    format!(
        r#"+++
title = "Claims"

{REPORT_SOURCE}
[[sources]]
id = "statement"
title = "The ministry's statement"
kind = "official-statement"
via = "report"

[[parties]]
id = "gov"
name = "The government"
page = "@/claims.md"

[[parties]]
id = "rebels"
name = "The rebels"
page = "@/claims.md"

[[questions]]
id = "who"
title = "Who did it?"

{gov_quote}question = "who"
text = "We did nothing wrong."

[[statements]]
id = "gov-paraphrase"
speaker = "The ministry"
party = "gov"
date = 2023-05-03
kind = "paraphrase"
status = "claimed"
source = "report"
text = "The ministry blamed the weather."
basis = "blamed the weather"

[[facts]]
id = "unclear"
list = "unknown"
text = "Who is right."
status = "assessment"
rests_on = ["gov-quote"]
+++
See [the quote](#st-gov-quote).
"#
    )
}

const TEMPLATE: &str = "{% for q in explainer.questions %}<h2>{{ q.title }}</h2>{% for a in q.answers %}<h3>{{ a.party.name }}</h3>{% if a.statements | length == 0 %}<p>No statement recorded</p>{% endif %}{% for s in a.statements %}<blockquote id=\"{{ s.anchor }}\">{{ s.text }}</blockquote>{% endfor %}{% endfor %}{% endfor %}{{ page.content | safe }}{% for s in explainer.sources %}<p id=\"{{ s.anchor }}\"></p>{% endfor %}";

fn site() -> Site {
    Site::basic()
        .file("content/claims.md", &claims())
        .file(
            "content/report.txt",
            "A spokesman said: “We did nothing wrong.” The ministry blamed the weather.",
        )
        .file("templates/page.html", TEMPLATE)
}

#[test]
fn summary_line_counts_what_was_verified() {
    let s = site();
    s.check()
        .ok()
        .stdout_has(&["2 statements, 1 quotations verified, 2 of 2 basis passages verified, 1 assessments, 2 citations, 1 internal links, 0 errors, 0 warnings"]);
    assert!(!s.path("public").exists(), "check writes nothing");
}

#[test]
fn json_format_lists_findings_for_tools() {
    let s = site().file(
        "content/claims.md",
        &claims().replace("blamed the weather\"", "blamed the rain\""),
    );
    let run = s.run(&["check", "--format", "json"]).fails();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(json["errors"], 1);
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "basis");
    assert_eq!(d["file"], "content/claims.md");
    assert_eq!(d["line"], 51);
    assert_eq!(d["column"], 10);
    assert_eq!(json["stats"], serde_json::Value::Null);
}

#[test]
fn missing_basis_is_an_error_with_location() {
    let s = site().file(
        "content/claims.md",
        &claims().replace("basis = \"blamed the weather\"\n", ""),
    );
    s.check().fails().stderr_has(&[
        "content/claims.md:43:7",
        "paraphrase `gov-paraphrase` has no `basis`",
    ]);
}

#[test]
fn assessment_must_name_what_it_rests_on() {
    let s = site().file(
        "content/claims.md",
        &claims().replace("rests_on = [\"gov-quote\"]\n", ""),
    );
    s.check()
        .fails()
        .stderr_has(&["content/claims.md:", "must say what it rests on"]);
}

#[test]
fn uncited_source_and_unarchived_quotation_are_warnings() {
    let extra = "[[sources]]\nid = \"unused\"\ntitle = \"Never cited\"\nkind = \"interview\"\n\n[[sources]]\nid = \"tv\"\ntitle = \"TV\"\nkind = \"interview\"\n\n";
    let text = claims()
        .replace(
            "[[parties]]\nid = \"gov\"",
            &format!("{extra}[[parties]]\nid = \"gov\""),
        )
        .replace("source = \"statement\"", "source = \"tv\"");
    let s = site().file("content/claims.md", &text).file(
        "content/other.md",
        "+++\ntitle = \"O\"\n+++\n[@statement]\n",
    );
    s.check()
        .ok()
        .stderr_has(&[
            "warning[citation]: source `unused` is recorded but nothing cites it",
            "warning[quotation]: quotation cannot be checked: source `tv` has no archived text",
        ])
        .stdout_has(&["0 errors, 2 warnings"]);
}

#[test]
fn comparison_says_no_statement_recorded_for_a_silent_party() {
    let s = site();
    s.build().ok();
    let html = s.output("claims/index.html");
    assert!(
        html.contains("<h3>The government</h3><blockquote id=\"st-gov-quote\">We did nothing wrong.</blockquote>"),
        "{html}"
    );
    assert!(
        html.contains("<h3>The rebels</h3><p>No statement recorded</p>"),
        "{html}"
    );
}

#[test]
fn sources_know_who_cites_them() {
    let s = site().file(
        "templates/page.html",
        "{% for src in explainer.sources %}{{ src.id }}:{% for c in src.cited_by %}{{ c.href }};{% endfor %}|{% endfor %}",
    );
    s.build().ok();
    let html = s.output("claims/index.html");
    assert!(
        html.contains("statement:https://example.org/claims/#st-gov-quote;|"),
        "{html}"
    );
    assert!(
        html.contains("report:https://example.org/claims/#st-gov-paraphrase;|"),
        "{html}"
    );
}

#[test]
fn a_failed_check_does_not_claim_zero_items_verified() {
    let s = site().file(
        "content/claims.md",
        &claims().replace("blamed the weather\"", "blamed the rain\""),
    );
    let run = s.check().fails();
    assert!(!run.stdout.contains("0 statements"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("quotations verified"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Check failed: 1 error, 0 warnings. The site is not proven"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_template_error_is_reported_once_not_once_per_page() {
    let mut s = Site::basic().file(
        "templates/page.html",
        "<p>\n{{ no_such_variable.field }}</p>",
    );
    for i in 0..5 {
        s = s.file(&format!("content/p{i}.md"), "+++\ntitle = \"P\"\n+++\nx\n");
    }
    let run = s.check().fails().stderr_has(&[
        "templates/page.html:2:",
        "and 5 more times (the same error, on other pages)",
    ]);
    assert_eq!(
        run.stderr.matches("is not defined").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("1 error,"), "{}", run.stdout);
}
