//! Property tests: the parsers and renderers never panic on arbitrary input,
//! rendering is deterministic, heading ids are unique and URL-safe, passage
//! normalisation is idempotent, and relative URLs resolve back to their target.
//!
//! Each property runs 256 cases on bounded input sizes, so the whole file stays
//! well under 30 s in a debug build. `PROPTEST_CASES=N` overrides the count.

use explainer::frontmatter;
use explainer::markdown::{
    self, MarkdownOptions, RESERVED_ID_PREFIXES, Rendered, SampleSite, TocEntry,
};
use explainer::quotation::{Passages, Quotation, align, normalise};
use explainer::urls::{relative_url, relativize_html};
use proptest::prelude::*;
use proptest::string::string_regex;
use std::collections::HashSet;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// 256 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        // Failures print their minimal input; nothing is written next to the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn re(pattern: &str) -> BoxedStrategy<String> {
    string_regex(pattern).expect("valid regex").boxed()
}

/// Arbitrary bytes, read the way the loader reads a file it could not decode strictly.
fn lossy_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..max)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

// ------------------------------------------------------------------ front matter

/// A value that is sometimes well-typed for its key and often not.
fn toml_value() -> BoxedStrategy<String> {
    prop_oneof![
        re("\"[^\"\\\\\n]{0,12}\""),
        re("'[^'\n]{0,12}'"),
        re("-?[0-9]{1,6}"),
        Just("true".to_string()),
        Just("maybe".to_string()),
        re("[0-9]{4}-[0-9]{2}-[0-9]{2}"),
        re("\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?\""),
        re("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"),
        re("\\[(\"[a-z]{0,4}\", ?){0,3}\\]"),
        re("\\{ ?[a-z]{1,5} = \"[a-z]{0,4}\" ?\\}"),
        re("\"\"\"[^\"]{0,20}\"\"\""),
        re("\\PC{0,10}"),
        Just(String::new()),
    ]
    .boxed()
}

const KEYS: &[&str] = &[
    "title",
    "description",
    "date",
    "updated",
    "draft",
    "slug",
    "weight",
    "template",
    "sort_by",
    "page_template",
    "id",
    "kind",
    "status",
    "source",
    "text",
    "basis",
    "party",
    "speaker",
    "archive",
    "via",
    "list",
    "rests_on",
    "page",
    "name",
    "titel",
];

const TABLES: &[&str] = &[
    "[[sources]]",
    "[[statements]]",
    "[[facts]]",
    "[[events]]",
    "[[parties]]",
    "[[questions]]",
    "[[changes]]",
    "[extra]",
    "[extra.nested]",
    "[[extra]]",
    "[",
    "[[",
];

fn toml_line() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (prop::sample::select(KEYS), toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => prop::sample::select(TABLES).prop_map(str::to_string),
        1 => re("#\\PC{0,10}"),
        1 => re("\\PC{0,16}"),
        1 => Just(String::new()),
        1 => Just("+++".to_string()),
    ]
    .boxed()
}

fn yaml_line() -> BoxedStrategy<String> {
    let scalar = prop_oneof![
        re("[A-Za-z0-9 ]{0,12}"),
        re("\"[^\"\\\\\n]{0,12}\""),
        re("[0-9]{4}-[0-9]{2}-[0-9]{2}"),
        re("[\\[\\]{}&*!|>%@`,:?-]{1,3}"),
        Just("~".to_string()),
        re("\\PC{0,10}"),
    ];
    prop_oneof![
        4 => (0usize..6, prop::sample::select(KEYS), scalar.clone())
            .prop_map(|(ind, k, v)| format!("{}{k}: {v}", " ".repeat(ind))),
        2 => (0usize..6, prop::sample::select(&["sources", "statements", "facts", "events", "parties", "questions", "changes", "extra"][..]))
            .prop_map(|(ind, k)| format!("{}{k}:", " ".repeat(ind))),
        2 => (0usize..6, scalar).prop_map(|(ind, v)| format!("{}- {v}", " ".repeat(ind))),
        1 => re("\\PC{0,16}"),
        1 => Just("\t- \t".to_string()),
        1 => Just("---".to_string()),
        1 => Just("...".to_string()),
    ]
    .boxed()
}

/// A whole content file: optional BOM, a fence, header lines, maybe a closing fence, a body.
fn fenced_file() -> impl Strategy<Value = String> {
    let toml = proptest::collection::vec(toml_line(), 0..16).prop_map(|l| ("+++", l));
    let yaml = proptest::collection::vec(yaml_line(), 0..16).prop_map(|l| ("---", l));
    (
        prop_oneof![toml, yaml],
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        any::<bool>(),
        re("\\PC{0,30}"),
    )
        .prop_map(|((fence, lines), bom, close, nl, trailing_space, body)| {
            let mut s = String::new();
            if bom {
                s.push('\u{feff}');
            }
            s.push_str(fence);
            if trailing_space {
                s.push_str(" \t");
            }
            s.push_str(nl);
            for l in lines {
                s.push_str(&l);
                s.push_str(nl);
            }
            if close {
                s.push_str(fence);
                s.push_str(nl);
            }
            s.push_str(&body);
            s
        })
}

/// Split then parse: must not panic; offsets must agree with the text.
fn check_front_matter(text: &str) {
    match frontmatter::split(text) {
        Ok(s) => {
            assert!(text.is_char_boundary(s.header_offset));
            assert!(text.is_char_boundary(s.body_offset));
            assert_eq!(&text[s.body_offset..], s.body);
            assert!(text[s.header_offset..].starts_with(s.header));
            assert!(s.header_offset <= s.body_offset);
            if s.format.is_none() {
                assert!(s.header.is_empty());
            }
            if let Err(d) = frontmatter::parse(text, &s) {
                assert!(d.line.unwrap_or(1) >= 1);
                assert!(d.column.unwrap_or(1) >= 1);
                let _ = d.to_string();
            }
        }
        Err((message, offset)) => {
            assert!(!message.is_empty());
            assert!(offset <= text.len());
        }
    }
}

/// An opening fence, then fences, line endings (a lone `\r` among them, often last),
/// BOMs and a little text, in any order.
fn fence_soup() -> impl Strategy<Value = String> {
    let opening = prop::sample::select(
        &[
            "+++\n",
            "---\n",
            "+++\r\n",
            "\u{feff}---\n",
            "+++ \t\n",
            "+++",
            "---\r",
            "",
        ][..],
    );
    let pieces = &[
        "+++", "---", "\r", "\r", "\n", "\n", "\r\n", "\u{feff}", " ", "x = 1", "a: b", "é",
    ][..];
    (
        opening,
        proptest::collection::vec(prop::sample::select(pieces), 0..10),
        any::<bool>(),
    )
        .prop_map(|(open, rest, cr_last)| {
            let mut s = open.to_string() + &rest.concat();
            if cr_last {
                s.push('\r');
            }
            s
        })
}

/// Run `check_front_matter` on another thread and fail if it has not returned within
/// a few seconds: a hang is a failure too (the fuzzer once found one).
fn check_front_matter_in_time(text: &str) {
    let (done, finished) = mpsc::channel();
    let owned = text.to_string();
    std::thread::spawn(move || {
        check_front_matter(&owned);
        done.send(()).ok();
    });
    match finished.recv_timeout(Duration::from_secs(5)) {
        Ok(()) => {}
        Err(RecvTimeoutError::Timeout) => panic!("front matter of {text:?} hangs"),
        Err(RecvTimeoutError::Disconnected) => panic!("front matter of {text:?} panicked"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn front_matter_never_panics_on_fenced_headers(text in fenced_file()) {
        check_front_matter_in_time(&text);
    }

    #[test]
    fn front_matter_never_hangs_on_fences_and_line_endings(text in fence_soup()) {
        check_front_matter_in_time(&text);
    }

    #[test]
    fn front_matter_never_panics_on_random_text(text in prop_oneof![
        lossy_text(256),
        any::<String>(),
        (prop_oneof![Just("+++\n"), Just("---\n"), Just("\u{feff}---\r\n")], any::<String>(), any::<bool>())
            .prop_map(|(f, s, close)| if close { format!("{f}{s}\n{}", &f[f.len() - 4..]) } else { format!("{f}{s}") }),
    ]) {
        check_front_matter_in_time(&text);
    }
}

// ------------------------------------------------------------------ markdown

fn render(body: &str, highlight_code: bool) -> Rendered {
    markdown::render(body, &SampleSite, MarkdownOptions { highlight_code })
}

fn inline_text() -> BoxedStrategy<String> {
    prop_oneof![
        re("[A-Za-z0-9 ,.]{0,20}"),
        re("[A-Za-z'’\"“” .-]{0,20}"),
        re("\\PC{0,12}"),
        Just("--- ... -- it's \"a -- b...\" “c -- d”".to_string()),
    ]
    .boxed()
}

fn source_id() -> BoxedStrategy<String> {
    prop_oneof![
        re("[a-z0-9-]{0,12}"),
        re("[^\\]\\s]{0,8}"),
        re("\\PC{0,6}"),
        Just(" spaced id".to_string()),
    ]
    .boxed()
}

fn lang() -> BoxedStrategy<String> {
    prop_oneof![
        prop::sample::select(
            &[
                "",
                "rust",
                "python",
                "toml",
                "yaml",
                "js",
                "html",
                "md",
                "sh",
                "json",
                "c",
                "rs",
                "rust,ignore",
                "{.class}",
                "no-such-lang"
            ][..]
        )
        .prop_map(str::to_string),
        re("[a-z+#-]{0,8}"),
        re("[^`\n]{0,10}"),
    ]
    .boxed()
}

/// One block or inline fragment of a Markdown body.
fn fragment() -> BoxedStrategy<String> {
    let heading = (
        1usize..8,
        inline_text(),
        prop::option::of(re("[A-Za-z0-9_-]{0,8}")),
    )
        .prop_map(|(n, t, id)| match id {
            Some(id) => format!("{} {t} {{#{id} .c k=v}}", "#".repeat(n)),
            None => format!("{} {t}", "#".repeat(n)),
        });
    let setext = (inline_text(), prop_oneof![Just("==="), Just("---")])
        .prop_map(|(t, u)| format!("{t}\n{u}"));
    let citation = (source_id(), inline_text(), 0u8..4).prop_map(|(id, t, form)| match form {
        0 => format!("{t} [@{id}]"),
        1 => format!("[{t}][@{id}]"),
        2 => format!("[@{id}][]"),
        _ => format!("[@{id}]: /x\n\n[@{id}]"),
    });
    let content_link = (
        re("[a-z/._-]{0,12}"),
        re("[a-z0-9-]{0,6}"),
        inline_text(),
        0u8..5,
    )
        .prop_map(|(p, frag, t, form)| match form {
            0 => format!("[{t}](@/{p}.md#{frag})"),
            1 => format!("![{t}](@/{p})"),
            2 => format!("<@/{p}.md>"),
            3 => format!("[{t}][r]\n\n[r]: @/{p}.md"),
            _ => format!("[{t}](@/{p}#{frag} \"title\")"),
        });
    let other_link = (re("[a-z:/#?.]{0,16}"), inline_text())
        .prop_map(|(d, t)| format!("[{t}]({d}) <https://{d}> ![i]({d})"));
    let code = (
        lang(),
        re("[^\n]{0,20}(\n[^\n]{0,20}){0,3}"),
        prop_oneof![Just("```"), Just("~~~"), Just("````")],
        any::<bool>(),
    )
        .prop_map(|(l, c, f, close)| {
            if close {
                format!("{f}{l}\n{c}\n{f}")
            } else {
                format!("{f}{l}\n{c}")
            }
        });
    let nesting = (0usize..60, 0u8..5, inline_text()).prop_map(|(n, kind, t)| match kind {
        0 => format!("{} {t}", ">".repeat(n)),
        1 => (0..n.min(30))
            .map(|i| format!("{}- {t}\n", "  ".repeat(i)))
            .collect(),
        2 => format!("{}{t}{}", "*".repeat(n), "_".repeat(n)),
        3 => format!("{}{t}{}", "[".repeat(n), "]".repeat(n / 2)),
        _ => format!("{}> # {t}", "> - 1. ".repeat(n / 4)),
    });
    let misc = prop_oneof![
        Just("| a | b |\n|---|---|\n| [@x] | `c` |".to_string()),
        Just("Note[^1].\n\n[^1]: A footnote with [@fn] and\n    # heading".to_string()),
        Just("- [ ] task\n- [x] done ~~struck~~".to_string()),
        Just("<div>\n*raw* [@html]\n</div>".to_string()),
        Just("    indented code\n    [@not]".to_string()),
        Just("***\n---\n___".to_string()),
        re("`{1,3}[^`]{0,8}`{0,3}"),
        re("&[a-z#0-9]{0,6};?"),
    ];
    prop_oneof![
        3 => heading.boxed(),
        1 => setext.boxed(),
        3 => citation.boxed(),
        2 => content_link.boxed(),
        1 => other_link.boxed(),
        2 => code.boxed(),
        2 => nesting.boxed(),
        2 => misc.boxed(),
        3 => inline_text(),
        1 => any::<String>(),
    ]
    .boxed()
}

fn markdown_body() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            fragment(),
            prop_oneof![Just("\n\n"), Just("\n"), Just(" "), Just("\r\n")],
        ),
        0..24,
    )
    .prop_map(|parts| parts.into_iter().map(|(f, sep)| f + sep).collect())
}

fn flatten(toc: &[TocEntry], out: &mut Vec<String>) {
    for e in toc {
        assert!((1..=6).contains(&e.level));
        for c in &e.children {
            assert!(
                c.level > e.level,
                "child nested under a heading of its level or deeper"
            );
        }
        out.push(e.id.clone());
        flatten(&e.children, out);
    }
}

/// What every rendering must satisfy, whatever the input.
fn check_rendered(body: &str, r: &Rendered) {
    let mut toc_ids = Vec::new();
    flatten(&r.facts.toc, &mut toc_ids);
    let ids: HashSet<&str> = toc_ids.iter().map(String::as_str).collect();
    assert_eq!(
        ids.len(),
        toc_ids.len(),
        "duplicate heading ids: {toc_ids:?}"
    );
    assert_eq!(
        r.facts.heading_ids(),
        toc_ids,
        "heading ids are the toc's, in order"
    );
    for l in r.facts.links.iter() {
        assert!(l.offset <= body.len());
    }
    let anchors: HashSet<&str> = r
        .facts
        .citations
        .iter()
        .map(|c| c.anchor.as_str())
        .collect();
    assert_eq!(
        anchors.len(),
        r.facts.citations.len(),
        "citation anchors are unique"
    );
    for (i, c) in r.facts.citations.iter().enumerate() {
        assert!(c.offset <= body.len());
        assert!(!c.source.is_empty());
        assert!(!c.source.contains(char::is_whitespace));
        assert_eq!(c.anchor, format!("cite-{}-{}", c.source, i + 1));
    }
}

fn same_output(a: &Rendered, b: &Rendered) {
    assert_eq!(a.html, b.html);
    assert_eq!(a.facts.toc, b.facts.toc);
    assert_eq!(a.facts.word_count, b.facts.word_count);
    let links = |r: &Rendered| {
        r.facts
            .links
            .iter()
            .map(|l| (l.dest.clone(), l.offset))
            .collect::<Vec<_>>()
    };
    assert_eq!(links(a), links(b));
    let cites = |r: &Rendered| {
        r.facts
            .citations
            .iter()
            .map(|c| (c.source.clone(), c.offset, c.anchor.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(cites(a), cites(b));
}

/// A heading as generated: its level, its text, and its explicit `{#id}` if any.
type Heading = (usize, String, Option<String>);

fn headings() -> impl Strategy<Value = Vec<Heading>> {
    let text = prop_oneof![
        re("[A-Za-z0-9 ]{0,16}"),
        Just("Intro".to_string()),
        Just("Section".to_string()),
        Just("Ünïcödé – “quoted” & <b>".to_string()),
        Just("🙂🙂".to_string()),
        Just("中文 标题".to_string()),
        re("[A-Za-z0-9äöüß’!?.,:;()_ -]{0,16}"),
    ];
    let explicit = prop_oneof![
        re("[a-z0-9_-]{1,8}"),
        Just("intro".to_string()),
        Just("intro-1".to_string()),
        Just("section".to_string()),
        Just("section-2".to_string()),
    ];
    proptest::collection::vec(
        (1usize..=6, text, prop::option::weighted(0.3, explicit)),
        0..16,
    )
}

fn headings_body(hs: &[Heading]) -> String {
    hs.iter()
        .map(|(level, text, id)| {
            let hashes = "#".repeat(*level);
            match id {
                Some(id) => format!("{hashes} {text} {{#{id}}}\n\nText.\n\n"),
                None => format!("{hashes} {text}\n\nText.\n\n"),
            }
        })
        .collect()
}

/// An id made from `base` by the de-duplication suffix `-N`, or `base` itself.
fn is_base_or_suffixed(id: &str, base: &str) -> bool {
    id == base
        || id
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn markdown_never_panics(body in markdown_body()) {
        let r = render(&body, false);
        check_rendered(&body, &r);
    }

    #[test]
    fn markdown_never_panics_on_random_text(body in prop_oneof![any::<String>(), lossy_text(512)]) {
        let r = render(&body, false);
        check_rendered(&body, &r);
    }

    #[test]
    fn rendering_is_deterministic(body in markdown_body(), highlight in any::<bool>()) {
        let a = render(&body, highlight);
        let b = render(&body, highlight);
        same_output(&a, &b);
        check_rendered(&body, &a);
    }

    #[test]
    fn heading_ids_are_unique_and_url_safe(hs in headings()) {
        let body = headings_body(&hs);
        let r = render(&body, false);
        let ids = r.facts.heading_ids();
        prop_assert_eq!(ids.len(), hs.len(), "one id per heading in {:?}", body);
        check_rendered(&body, &r);
        for ((_, text, explicit), id) in hs.iter().zip(&ids) {
            prop_assert!(r.html.contains(&format!(" id=\"{id}\"")), "{} not in {}", id, r.html);
            match explicit {
                // Explicit ids are kept as written, suffixed only on a clash.
                Some(e) => prop_assert!(is_base_or_suffixed(id, e), "{:?} from explicit {:?}", id, e),
                // Generated ids are slugs: lowercase ASCII letters, digits and hyphens.
                None => {
                    prop_assert!(!id.is_empty());
                    prop_assert!(
                        id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                        "generated id {:?} from {:?} is not URL-safe", id, text
                    );
                    // Plain text is all Text events, so the slug of the whole title is the base.
                    if text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') {
                        let base = slug::slugify(text);
                        let base = if base.is_empty() { "section".to_string() } else { base };
                        // Slugs that look like generated anchors (`st-…`) get `h-`.
                        let base = if RESERVED_ID_PREFIXES.iter().any(|p| base.starts_with(p)) {
                            format!("h-{base}")
                        } else {
                            base
                        };
                        prop_assert!(is_base_or_suffixed(id, &base), "{:?} from {:?}", id, text);
                    }
                    prop_assert!(
                        !RESERVED_ID_PREFIXES.iter().any(|p| id.starts_with(p)),
                        "generated id {:?} takes a reserved prefix", id
                    );
                }
            }
        }
    }
}

// ------------------------------------------------------------------ verify

fn passage_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        re("[a-z“”‘’'\" \t\n\u{a0}\u{2003}.,]{0,60}"),
        re("(\\s{0,3}[a-z\"'“”]{1,5}){0,12}\\s{0,3}"),
        lossy_text(128),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn normalise_is_idempotent(text in passage_text()) {
        let once = normalise(&text);
        prop_assert_eq!(normalise(&once), once.clone());
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        prop_assert!(!once.chars().any(|c| c.is_whitespace() && c != ' '));
    }

    #[test]
    fn alignment_never_panics(hay in passage_text(), needle in passage_text()) {
        if let Ok(q) = Quotation::parse(&needle, 1) {
            let passages = Passages::of_text(&hay);
            let found = q.found_in(&passages);
            let a = align(&q, &passages);
            prop_assert!(found || !a.diff.is_empty());
        }
    }

    /// A run of whole words cut out of a passage is found; the same run with
    /// its first word cut short is not (unless the shorter word is there too).
    #[test]
    fn a_run_of_whole_words_is_found_and_a_cut_one_is_not(
        words in proptest::collection::vec(re("[a-c“”\"']{0,2}[d-g]{1,3}[,.]?"), 1..40),
        cut in (0usize..40, 1usize..10),
    ) {
        let hay = normalise(&words.join(" "));
        let hay_words: Vec<&str> = hay.split(' ').collect();
        let start = cut.0 % hay_words.len();
        let end = (start + cut.1).min(hay_words.len());
        let needle = hay_words[start..end].join(" ");
        let passages = Passages::of_text(&hay);
        let Ok(q) = Quotation::parse(&needle, 1) else {
            return Ok(());
        };
        prop_assert!(q.found_in(&passages), "{:?} not found in {:?}", needle, hay);
        let first = hay_words[start];
        let letters = first.trim_start_matches(|c: char| !c.is_alphanumeric());
        if letters.chars().count() > 1 && letters.chars().all(char::is_alphanumeric) {
            let cut_short = &letters[1..];
            let needle = format!("{cut_short}{}", &needle[first.len()..]);
            // Quotation marks and apostrophes are word boundaries too ("a'f" holds "f").
            let whole = hay.split(|c: char| !c.is_alphanumeric()).any(|w| w == cut_short);
            if let (false, Ok(q)) = (whole, Quotation::parse(&needle, 1)) {
                prop_assert!(!q.found_in(&passages), "{:?} found in {:?}", needle, hay);
            }
        }
    }
}

// ------------------------------------------------------------------ urls

/// A site path segment: never empty, never `.` or `..`.
fn segment() -> BoxedStrategy<String> {
    re("[a-z0-9_-][a-z0-9._-]{0,6}")
}

/// A page's site path: `""` or directories each ending in `/`.
fn page_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(segment(), 0..5)
        .prop_map(|d| d.iter().map(|s| format!("{s}/")).collect())
}

/// A target site path: directories, then a file name or nothing (a directory), then `?…`/`#…`.
fn target_path() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(segment(), 0..5),
        prop::option::of(re("[a-z0-9_-]{1,6}\\.(css|html|png|xml)")),
        prop_oneof![
            Just(String::new()),
            re("#[a-z0-9-]{0,8}"),
            re("\\?h=[0-9a-f]{0,12}"),
            re("\\?[a-z=&/]{0,8}#[a-z/?]{0,6}"),
        ],
    )
        .prop_map(|(dirs, file, suffix)| {
            let mut p: String = dirs.iter().map(|s| format!("{s}/")).collect();
            p.push_str(file.as_deref().unwrap_or(""));
            p + &suffix
        })
}

/// Resolve a relative reference against the page at site path `from`, as a browser
/// does (RFC 3986 §5.2 for a path-only reference), giving a path from the site root.
fn resolve(from: &str, rel: &str) -> String {
    let (path, suffix) = match rel.find(['?', '#']) {
        Some(i) => (&rel[..i], &rel[i..]),
        None => (rel, ""),
    };
    // The page's URL ends in `/` (or is the root), so its directory is the whole path.
    let mut out: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let segments: Vec<&str> = path.split('/').collect();
    for seg in &segments {
        match *seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut joined = out.join("/");
    let ends_in_dir = matches!(segments.last(), Some(&("" | "." | "..")));
    if ends_in_dir && !joined.is_empty() {
        joined.push('/');
    }
    joined + suffix
}

/// What the output folder serves for a site path: `index.html` of a directory.
fn served(to: &str) -> String {
    let (path, suffix) = match to.find(['?', '#']) {
        Some(i) => (&to[..i], &to[i..]),
        None => (to, ""),
    };
    if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html{suffix}")
    } else {
        to.to_string()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn relative_urls_resolve_back_to_their_target(from in page_path(), to in target_path()) {
        let rel = relative_url(&from, &to);
        prop_assert!(!rel.starts_with('/'), "{:?} from {:?} to {:?}", rel, from, to);
        prop_assert!(!rel.is_empty());
        prop_assert_eq!(resolve(&from, &rel), served(&to), "rel {:?}", rel);
    }
}

const BASE_URLS: &[&str] = &[
    "https://example.org/",
    "https://example.org/sub/",
    "http://x.test/a/b/",
];

/// Tag soup: URL attributes in every quoting, comments, scripts, stray brackets.
fn html_soup() -> impl Strategy<Value = String> {
    let pieces = &[
        "<a href=\"",
        "<img src='",
        "<video poster=",
        " srcset=\"a.png 1x, /b.png 2x\"",
        "<link rel=\"canonical\" href=\"",
        "<meta content=\"",
        "<script>",
        "</script>",
        "<style>",
        "</style>",
        "<!--",
        "-->",
        "<",
        ">",
        "\"",
        "'",
        "/",
        "=",
        " ",
        "HREF=",
        "https://example.org/",
        "/sub/",
        "//",
        "../",
        "./",
        "#x",
        "?q",
        "é",
        "x",
        "<A ",
        "\u{feff}",
    ][..];
    proptest::collection::vec(prop::sample::select(pieces), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn relativize_html_never_panics(
        html in prop_oneof![html_soup(), any::<String>()],
        from in page_path(),
        base in prop::sample::select(BASE_URLS),
    ) {
        let out = relativize_html(&html, &from, base);
        if !html.contains('<') {
            prop_assert_eq!(out, html);
        }
    }

    /// An absolute link into the site becomes a relative one that leads back to it.
    #[test]
    fn relativized_links_resolve_to_their_target(
        from in page_path(),
        to in target_path(),
        base in prop::sample::select(BASE_URLS),
    ) {
        let html = format!("<p><a class=\"x\" href=\"{base}{to}\">link</a></p>");
        let out = relativize_html(&html, &from, base);
        let href = out
            .split_once("href=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(href, _)| href)
            .expect("the link keeps its href");
        prop_assert!(!href.starts_with('/'), "{:?}", href);
        prop_assert_eq!(resolve(&from, href), served(&to), "href {:?}", href);
    }
}

#[test]
fn resolver_agrees_with_known_cases() {
    assert_eq!(resolve("a/b/", "../c/x.css"), "a/c/x.css");
    assert_eq!(resolve("", "index.html#x"), "index.html#x");
    assert_eq!(resolve("a/", "../index.html"), "index.html");
    assert_eq!(resolve("a/b/", "./"), "a/b/");
    assert_eq!(served("p/#f"), "p/index.html#f");
}
