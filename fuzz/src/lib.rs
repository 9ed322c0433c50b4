//! What each fuzz target does with its input, shared by the libFuzzer binaries
//! in `fuzz_targets/` and by `run_corpus`, which replays inputs on stable Rust.
//!
//! Every target must return normally for every input: a panic (including a
//! failed invariant `assert!` below) is a crash that libFuzzer saves to
//! `artifacts/<target>/`.

use explainer::archive::Archive;
use explainer::content::{Content, Document, Kind};
use explainer::date::Date;
use explainer::diagnostics::{Diagnostic, Report};
use explainer::frontmatter;
use explainer::markdown::{self, LinkContext, MarkdownOptions, Rendered, SampleSite, TocEntry};
use explainer::quotation::{Passages, Quotation, align, normalise};
use explainer::registry::Registry;
use explainer::stamp::Stamp;
use explainer::verify::Verifier;
use explainer::verify::rendered::Written;
use std::collections::HashSet;
use std::path::PathBuf;

/// A fuzz target: takes any bytes, and returns normally or panics.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for `run_corpus`.
pub const TARGETS: &[(&str, Target)] = &[
    ("front_matter", front_matter),
    ("markdown", markdown),
    ("citations", citations),
];

/// A content file the way the loader sees it: text, or the valid part of it.
fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `front_matter`: split a whole content file and parse its header.
pub fn front_matter(data: &[u8]) {
    let text = text_of(data);
    let split = match frontmatter::split(&text) {
        Ok(s) => s,
        Err((message, at)) => {
            assert!(at <= text.len());
            let _ = Diagnostic::error("front-matter", message)
                .in_file("content/fuzz.md")
                .at_offset(&text, at)
                .to_string();
            return;
        }
    };
    assert_eq!(&text[split.body_offset..], split.body);
    assert!(text[split.header_offset..].starts_with(split.header));
    match frontmatter::parse(&text, &split) {
        Ok(meta) => {
            for date in [&meta.date, &meta.updated].into_iter().flatten() {
                // A date that parsed once parses again to the same day.
                let again = Date::parse(&date.text).expect("normalised date re-parses");
                assert_eq!(again.day, date.day);
            }
        }
        Err(d) => {
            let _ = d.in_file("content/fuzz.md").to_string();
        }
    }
}

/// `markdown`: render a body (with citations, `@/` links, code); the first byte picks options.
pub fn markdown(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let body = text_of(rest);
    let opts = MarkdownOptions {
        highlight_code: flags & 1 == 1,
    };
    let rendered = markdown::render(&body, &SampleSite, opts);
    check_rendered(&body, &rendered);
    let _ = markdown::render_snippet(&body, flags & 2 == 2);
}

/// What every rendering satisfies, whatever the input.
pub fn check_rendered(body: &str, rendered: &Rendered) {
    let r = &rendered.facts;
    let mut toc_ids = Vec::new();
    flatten(&r.toc, &mut toc_ids);
    let ids: HashSet<&str> = toc_ids.iter().copied().collect();
    assert_eq!(ids.len(), toc_ids.len(), "duplicate heading ids");
    assert_eq!(r.heading_ids(), toc_ids, "toc and heading ids disagree");
    for l in r.links.iter() {
        assert!(l.offset <= body.len());
    }
    for (i, c) in r.citations.iter().enumerate() {
        assert!(c.offset <= body.len());
        assert!(!c.source.is_empty() && !c.source.contains(char::is_whitespace));
        assert_eq!(c.anchor, format!("cite-{}-{}", c.source, i + 1));
    }
}

fn flatten<'a>(toc: &'a [TocEntry], out: &mut Vec<&'a str>) {
    for e in toc {
        assert!((1..=6).contains(&e.level));
        out.push(&e.id);
        flatten(&e.children, out);
    }
}

/// Cites the sources the registry declares, and knows the one page.
struct RegistryLinks<'a>(&'a Registry);

impl LinkContext for RegistryLinks<'_> {
    fn content_url(&self, content_path: &str) -> Option<String> {
        (content_path == "page.md").then(|| "https://example.org/e/page/".to_string())
    }

    fn citation(&self, id: &str) -> Option<(String, String)> {
        let s = self.0.source(id)?;
        Some((
            format!("https://example.org/e/sources/#src-{id}"),
            s.item.title.clone(),
        ))
    }
}

/// `citations`: a content file, an archived source text and a quotation, separated by
/// NUL bytes. The quotation and archive go through `normalise`, matching and `align`;
/// the file's declarations go through the registry and every `verify` check, with the
/// archive text standing in for every source's archive file.
pub fn citations(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let page = text_of(parts.next().unwrap_or_default());
    let archive = text_of(parts.next().unwrap_or_default());
    let quotation = text_of(parts.next().unwrap_or_default());

    let hay = normalise(&archive);
    assert_eq!(normalise(&hay), hay, "normalise is idempotent");
    let passages = Passages::of_text(&archive);
    if let Ok(q) = Quotation::parse(&quotation, 1) {
        let found = q.found_in(&passages);
        let alignment = align(&q, &passages);
        assert!(
            found || !alignment.diff.is_empty(),
            "a quotation not found is aligned"
        );
    }

    let Ok(split) = frontmatter::split(&page) else {
        return;
    };
    let Ok(mut meta) = frontmatter::parse(&page, &split) else {
        return;
    };
    let body_offset = split.body_offset;
    let body = &page[body_offset..];
    // No file is ever read: archives come from the input, not from paths it names.
    let with_archive: Vec<String> = meta
        .sources
        .iter_mut()
        .filter_map(|s| s.archive.take().map(|_| s.id.clone()))
        .collect();
    let doc = Document {
        kind: Kind::Page,
        source: PathBuf::from("content/page.md"),
        content_path: "page.md".into(),
        front: page[..body_offset].into(),
        body_offset,
        stamp: Stamp::default(),
        has_file: true,
        may_cite: body.contains('@'),
        meta: meta.into(),
        path: "page/".into(),
        slug: "page".into(),
        parent: None,
        pages: Vec::new(),
        subsections: Vec::new(),
        assets: Vec::new(),
        lang: "en".into(),
        translations: None,
    };
    let content = Content {
        root: PathBuf::from("/nonexistent/explainer-fuzz"),
        docs: vec![doc],
        by_content_path: [("page.md".to_string(), 0)].into_iter().collect(),
        by_url_path: [("page/".to_string(), 0)].into_iter().collect(),
        drafts_left_out: Default::default(),
        languages: Default::default(),
    };
    let mut report = Report::default();
    let mut registry = Registry::collect(&content, &mut report);
    for id in with_archive {
        registry.archives.insert(
            id,
            Archive {
                path: PathBuf::from("content/archive.txt"),
                passages: passages.clone(),
                kind: "text",
                captured: None,
                captured_url: None,
                hash: String::new(),
            },
        );
    }
    let rendered = markdown::render(
        body,
        &RegistryLinks(&registry),
        MarkdownOptions {
            highlight_code: false,
        },
    );
    check_rendered(body, &rendered);
    let facts = [std::sync::Arc::new(rendered.facts.clone())];
    let verifier = Verifier {
        content: &content,
        registry: &registry,
        facts: &facts,
        static_files: &[],
        written: &Written::default(),
        links_of: None,
    };
    let (found, _stats) = verifier.run();
    for d in report.diagnostics.iter().chain(&found.diagnostics) {
        let _ = d.to_string();
    }
}
