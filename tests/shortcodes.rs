//! Shortcodes, as in Zola: `{{ name(arg=…) }}` and `{% name(arg=…) %}…{% end %}`
//! in Markdown render `templates/shortcodes/name.html`, or a built-in
//! (figure, pull quote, video and link cards); what they write is checked
//! like the rest of the page.

mod common;
use common::*;

/// The archived report the pull quotes are checked against (invented text).
const REPORT: &str = "The council said it had nothing to do with the alleged fire.\n\nIn a statement, the mayor said: “Last night, the old bridge was closed to all traffic for urgent repairs.”\n";

const SOURCE: &str = "+++\ntitle = \"Sources\"\n\n[[sources]]\nid = \"report\"\ntitle = \"A report\"\npublisher = \"Example News\"\nkind = \"news-report\"\narchive = \"report.txt\"\n+++\nWe cite [@report].\n";

fn site_with(body: &str) -> Site {
    Site::basic()
        .file("content/report.txt", REPORT)
        .file("content/sources.md", SOURCE)
        .file(
            "content/story.md",
            &format!("+++\ntitle = \"Story\"\n+++\n{body}"),
        )
}

/// The page with `body` fails with `expect`, located at `at` in it.
fn story_fails(body: &str, at: &str, expect: &[&str]) {
    let page = format!("+++\ntitle = \"Story\"\n+++\n{body}");
    let loc = format!("content/story.md:{}", line_col(&page, at));
    let mut expect = expect.to_vec();
    expect.push(&loc);
    site_with("Plain.\n").breaks_with(&[("content/story.md", page.as_bytes())], &expect);
}

#[test]
fn a_site_shortcode_renders_its_template_with_args_body_and_nth() {
    let site = site_with(
        "Before {{ badge(label=\"new\", n=2) }} after.\n\n{% note(kind='warn') %}Mind *this*.{% end %}\n\n{{ badge(label=\"old\", n=3) }}\n",
    )
    .file(
        "templates/shortcodes/badge.html",
        "<span class=\"badge\">{{ label }}×{{ n }} #{{ nth }}</span>",
    )
    .file(
        "templates/shortcodes/note.html",
        "<aside class=\"{{ kind }}\">\n\n  {{ body | markdown(inline=true) | safe }}\n\n</aside>\n",
    );
    site.build().ok();
    let html = site.output("story/index.html");
    assert!(
        html.contains("<p>Before <span class=\"badge\">new×2 #1</span> after.</p>"),
        "{html}"
    );
    assert!(
        html.contains("<aside class=\"warn\">\n  Mind <em>this</em>.\n</aside>"),
        "{html}"
    );
    assert!(html.contains("old×3 #2"), "{html}");
}

#[test]
fn calls_inside_code_stay_text_and_the_escape_writes_one_literally() {
    let site = site_with(
        "Inline `{{ missing(a=1) }}` code.\n\n```\n{% missing() %}x{% end %}\n```\n\nWrite {{/* badge(n=1) */}} to call it.\n",
    );
    site.build().ok();
    let html = site.output("story/index.html");
    assert!(html.contains("<code>{{ missing(a=1) }}</code>"), "{html}");
    assert!(html.contains("{% missing() %}x{% end %}"), "{html}");
    assert!(
        html.contains("Write {{ badge(n=1) }} to call it."),
        "{html}"
    );
}

#[test]
fn an_unknown_shortcode_is_an_error_at_the_call() {
    let body = "Intro.\n\nSee {{ youtbe(id=\"abc\") }} here.\n";
    story_fails(
        body,
        "{{ youtbe",
        &[
            "unknown shortcode `youtbe`: there is no templates/shortcodes/youtbe.html",
            "built in: embed, figure, pullquote, vimeo, youtube",
        ],
    );
}

#[test]
fn a_malformed_call_or_a_failing_template_is_an_error_at_the_call() {
    story_fails(
        "One.\n\n{{ figure(src=\"a.png\" alt=\"x\") }}\n",
        "{{ figure",
        &["shortcode `figure`: expected `,` or `)` after an argument"],
    );
    story_fails(
        "One.\n\n{% pullquote(source=\"report\") %}Words never closed.\n",
        "{% pullquote",
        &["shortcode `pullquote` is never closed with `{% end %}`"],
    );
    let site = site_with("A {{ badge() }}.\n")
        .file("templates/shortcodes/badge.html", "<b>{{ label }}</b>");
    site.build().fails().stderr_has(&[
        "content/story.md:4:3",
        "shortcode `badge` failed in templates/shortcodes/badge.html",
        "label",
    ]);
}

#[test]
fn the_figure_needs_alt_text_and_escapes_what_it_is_given() {
    let site = site_with(
        "{{ figure(src=\"/drone.png\", alt='A drone over a \"dome\"', caption=\"The *second* drone\", width=640) }}\n",
    );
    site.write_bytes("static/drone.png", &png(8, 8));
    site.build().ok();
    let html = site.output("story/index.html");
    assert!(
        html.contains("<img src=\"/drone.png\" alt=\"A drone over a &quot;dome&quot;\" width=\"640\" loading=\"lazy\""),
        "{html}"
    );
    assert!(
        html.contains("<figcaption>The <em>second</em> drone</figcaption></figure>"),
        "{html}"
    );
    story_fails(
        "Look:\n\n{{ figure(src=\"drone.png\") }}\n",
        "{{ figure",
        &["`figure` needs alt=\"…\": say what the image shows"],
    );
    story_fails(
        "Look:\n\n{{ figure(src=\"/drone.png\", alt=\" \") }}\n",
        "{{ figure",
        &["`figure` needs a non-empty alt"],
    );
}

#[test]
fn a_pull_quote_is_cited_and_checked_against_the_source() {
    let site = site_with(
        "Intro.\n\n{% pullquote(source=\"report\", speaker=\"The mayor\") %}\nLast night, the old bridge was closed to all traffic\n{% end %}\n\nMore.\n",
    );
    site.build().ok();
    let html = site.output("story/index.html");
    assert!(
        html.contains("<blockquote class=\"pullquote\">\n<p>Last night, the old bridge was closed to all traffic</p>\n</blockquote>"),
        "{html}"
    );
    assert!(html.contains("<p>— The mayor <cite"), "{html}");
    story_fails(
        "Intro.\n\n{% pullquote(source=\"report\") %}Last night, the new bridge was closed{% end %}\n",
        "{% pullquote",
        &["quotation not found word for word"],
    );
    story_fails(
        "Intro.\n\n{% pullquote(source=\"nobody\") %}Last night, the old bridge was closed{% end %}\n",
        "{% pullquote",
        &["unknown source `nobody`"],
    );
    story_fails(
        "Intro.\n\n{% pullquote() %}Last night{% end %}\n",
        "{% pullquote",
        &["`pullquote` needs source=\"…\""],
    );
}

#[test]
fn video_and_link_cards_make_no_request_to_another_host_until_followed() {
    let site = site_with(
        "{{ youtube(id=\"dQw4w9WgXcQ\", title=\"Footage of the drones\") }}\n\n{{ vimeo(id=\"76979871\") }}\n\n{{ embed(url=\"https://mastodon.social/@example/1\", title=\"A post\") }}\n",
    );
    site.build().ok();
    let html = site.output("story/index.html");
    assert!(
        html.contains("<aside class=\"embed-card\" data-embed=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\"><a href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\" rel=\"noopener external\"><span class=\"embed-title\">Footage of the drones</span> <span class=\"embed-host\">on YouTube</span></a></aside>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://vimeo.com/76979871\""),
        "{html}"
    );
    assert!(html.contains("on mastodon.social"), "{html}");
    for tag in ["<iframe", "<script", "<img", "<video", "<link"] {
        assert!(!html.contains(tag), "{tag} in {html}");
    }
    story_fails(
        "{{ embed(url=\"javascript:alert(1)\") }}\n",
        "{{ embed",
        &["`embed`: bad url"],
    );
}

#[test]
fn links_written_by_a_shortcode_are_checked() {
    let site = site_with("Read {{ see(page=\"@/missing.md\") }}.\n").file(
        "templates/shortcodes/see.html",
        "<a href=\"{{ page }}\">this</a>",
    );
    site.build()
        .fails()
        .stderr_has(&["content/story.md:4:6", "missing.md"]);
}

#[test]
fn serve_rebuilds_pages_when_a_shortcode_template_changes() {
    let site = site_with("A {{ badge(label=\"x\") }}.\n")
        .file("templates/shortcodes/badge.html", "<b>{{ label }}</b>");
    let (served, cold) = serve_twice(&site, &["templates/shortcodes/badge.html"], |site| {
        site.write("templates/shortcodes/badge.html", "<i>{{ label }}</i>");
    });
    assert_eq!(served, cold);
    let html = String::from_utf8_lossy(&served["story/index.html"]).into_owned();
    assert!(html.contains("A <i>x</i>."), "{html}");
}

#[test]
fn a_quotation_written_by_a_site_shortcode_must_be_cited() {
    let quote = "templates/shortcodes/said.html";
    let site = site_with("Intro.\n\nThe mayor {{ said(words=\"closed to all traffic\") }}.\n")
        .file(quote, "<q>{{ words }}</q>");
    site.build().fails().stderr_has(&[
        "content/story.md:6:11",
        "quotation with no citation nearby: “closed to all traffic”",
    ]);
    site.write(
        "content/story.md",
        "+++\ntitle = \"Story\"\n+++\nIntro.\n\nThe mayor {{ said(words=\"closed to every car\") }} [@report].\n",
    );
    site.build()
        .fails()
        .stderr_has(&["content/story.md:6:11", "quotation not found word for word"]);
    site.write(
        "content/story.md",
        "+++\ntitle = \"Story\"\n+++\nIntro.\n\nThe mayor {{ said(words=\"closed to all traffic\") }} [@report].\n",
    );
    site.build().ok();
}
