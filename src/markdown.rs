//! Markdown to HTML: pulldown-cmark plus heading ids, a table of contents,
//! syntax highlighting, `@/` content links and `[@source]` citations.
//!
//! Rendering never fails: problems (unknown links, unknown citations) are
//! recorded with their offsets for the `verify` stage to report.

mod quotes;
pub mod rawhtml;

pub use quotes::FoundQuotation;

use crate::highlight;
use crate::html::escape;
use crate::lazy::Lazy;
use pulldown_cmark::{
    BrokenLink, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the renderer needs to know about the rest of the site.
pub trait LinkContext {
    /// The URL of a content file (`parties/russia.md`), if it exists.
    fn content_url(&self, content_path: &str) -> Option<String>;
    /// The link target and visible label of a citation of source `id`.
    fn citation(&self, id: &str) -> Option<(String, String)>;
    /// What expands shortcode calls, when the body may hold them.
    fn shortcodes(&self) -> Option<&dyn crate::shortcodes::Expander> {
        None
    }
}

/// A made-up site for property tests and fuzzing: it has every `.md` file
/// whose name starts with a letter (at `/PATH/`) and every source whose id
/// is of even length (labelled with characters HTML must escape).
pub struct SampleSite;

impl LinkContext for SampleSite {
    fn content_url(&self, content_path: &str) -> Option<String> {
        let name = content_path.rsplit('/').next().unwrap_or("");
        (content_path.ends_with(".md") && name.starts_with(|c: char| c.is_ascii_alphabetic()))
            .then(|| format!("/{}/", content_path.trim_end_matches(".md")))
    }

    fn citation(&self, id: &str) -> Option<(String, String)> {
        id.len()
            .is_multiple_of(2)
            .then(|| (format!("/sources/#src-{id}"), format!("<{id}> & \"co\"")))
    }
}

/// One heading in a page's table of contents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link found in the Markdown, for the link checker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FoundLink {
    pub dest: String,
    /// Byte offset in the Markdown body.
    pub offset: usize,
}

/// A `[@source]` citation found in the Markdown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FoundCitation {
    pub source: String,
    pub offset: usize,
    /// The `id` of the rendered `<cite>`, so the sources page can link back to it.
    pub anchor: String,
}

/// The HTML of a Markdown body and what was found while rendering it.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub facts: Facts,
    /// Shortcode calls that could not be expanded: offset in the body, why.
    pub problems: Vec<(usize, String)>,
}

/// What rendering a body found: all that listings and the checks need, and a
/// function of the body alone, so it can be kept between builds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub toc: Lazy<Vec<TocEntry>>,
    pub word_count: usize,
    /// Every link and image, with its offset (read by the link check).
    pub links: Lazy<Vec<FoundLink>>,
    /// The content files that `@/` links point at (`parties/russia.md`), in
    /// order: what a page's output depends on besides its own text.
    pub content_links: Vec<String>,
    pub citations: Vec<FoundCitation>,
    /// Every quotation in the prose, with the citation that vouches for it.
    pub quotations: Vec<FoundQuotation>,
    /// Whether the body calls shortcodes: then its facts depend on templates too.
    pub shortcodes: bool,
    /// Images with no alt text that are not marked decorative (`dest` is the image).
    pub unlabelled_images: Vec<FoundLink>,
}

impl Facts {
    /// The id of every heading, in the order of the document.
    pub fn heading_ids(&self) -> Vec<&str> {
        fn walk<'a>(toc: &'a [TocEntry], out: &mut Vec<&'a str>) {
            for entry in toc {
                out.push(&entry.id);
                walk(&entry.children, out);
            }
        }
        let mut ids = Vec::new();
        walk(&self.toc, &mut ids);
        ids
    }
}

/// Rendering options that come from the config.
#[derive(Debug, Clone, Copy)]
pub struct MarkdownOptions {
    pub highlight_code: bool,
}

pub(crate) fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Render a Markdown body to HTML, its shortcode calls expanded.
pub fn render(body: &str, ctx: &dyn LinkContext, opts: MarkdownOptions) -> Rendered {
    match ctx.shortcodes() {
        Some(expander) if crate::shortcodes::may_call(body) => {
            crate::shortcodes::render(body, expander, ctx, opts)
        }
        _ => render_plain(body, ctx, opts),
    }
}

/// Render a Markdown body to HTML as it is.
pub(crate) fn render_plain(body: &str, ctx: &dyn LinkContext, opts: MarkdownOptions) -> Rendered {
    // About one event per 16 bytes of Markdown (a word or two of inline
    // markup, a line of a list): sized once, the list is not copied as it grows.
    let mut events: Vec<Event<'_>> = Vec::with_capacity(body.len() / 16);
    let state = walk(body, ctx, opts, Some(&mut events));
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered {
        html,
        facts: state.into_facts(),
        problems: Vec::new(),
    }
}

/// The facts [`render`] finds in a body, without making its HTML (no
/// highlighting, no typographic punctuation, no HTML written): for the
/// documents whose facts are needed before the render pass. A body calling
/// shortcodes is rendered, since its facts include what they expand to.
pub fn facts(body: &str, ctx: &dyn LinkContext) -> Facts {
    let opts = MarkdownOptions {
        highlight_code: false,
    };
    if ctx.shortcodes().is_some() && crate::shortcodes::may_call(body) {
        return render(body, ctx, opts).facts;
    }
    walk(body, ctx, opts, None).into_facts()
}

/// How many words `text` has: `text.split_whitespace().count()`, counted
/// for ASCII text (most of it) as the bytes that start a word, in a loop
/// the compiler vectorises (callgrind: about a tenth of the instructions).
fn count_words(text: &str) -> usize {
    if !text.is_ascii() {
        return text.split_whitespace().count();
    }
    // `char::is_whitespace` for ASCII: tab to carriage return, and space.
    let space = |b: u8| b == b' ' || b.wrapping_sub(b'\t') <= b'\r' - b'\t';
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return 0;
    };
    // Pairs of neighbours, 255 at a time so that a byte can hold their sum.
    let starts: usize = bytes
        .chunks(255)
        .zip(bytes[1..].chunks(255))
        .map(|(before, after)| {
            let n = before
                .iter()
                .zip(after)
                .fold(0u8, |n, (&b, &a)| n + u8::from(space(b) & !space(a)));
            usize::from(n)
        })
        .sum();
    starts + usize::from(!space(first))
}

/// Run a body's events through the renderer's state; into `out` when given,
/// else only for the facts.
fn walk<'c, 'e>(
    body: &'e str,
    ctx: &'c dyn LinkContext,
    opts: MarkdownOptions,
    out: Option<&mut Vec<Event<'e>>>,
) -> State<'c, 'e> {
    let mut callback = |link: BrokenLink<'_>| {
        let reference = link.reference.trim();
        reference
            .strip_prefix('@')
            .filter(|id| !id.is_empty() && !id.contains(char::is_whitespace))
            .map(|id| (CowStr::from(format!("cite:{id}")), CowStr::from("")))
    };
    let parser = Parser::new_with_broken_link_callback(body, parser_options(), Some(&mut callback));
    let mut state = State::new(ctx, opts);
    let mut scratch = Vec::new();
    state.facts_only = out.is_none();
    let out = out.unwrap_or(&mut scratch);
    for (event, range) in parser.into_offset_iter() {
        state.handle(event, range.start, out);
        if state.facts_only {
            out.clear();
        }
    }
    state
}

/// The renderer's position in the event stream.
struct State<'c, 'e> {
    ctx: &'c dyn LinkContext,
    opts: MarkdownOptions,
    blockquote_depth: usize,
    in_quotation_marks: bool,
    heading: Option<PendingHeading<'e>>,
    code: Option<(String, String)>,
    skipping_citation: bool,
    used_ids: HashMap<String, usize>,
    headings: Vec<TocEntry>,
    word_count: usize,
    links: Vec<FoundLink>,
    citations: Vec<FoundCitation>,
    quotes: quotes::Scanner,
    /// Inside a `[bracketed insertion]` of a quotation.
    in_insertion: bool,
    /// The raw HTML block being read, and where it started.
    html_block: Option<(usize, String)>,
    /// Only the facts are wanted: the output text is not smartened.
    facts_only: bool,
    /// The image being read: its URL, title and alt text so far.
    image: Option<PendingImage<'e>>,
    unlabelled_images: Vec<FoundLink>,
}

/// An image whose alt text (the text of its events) is still being read.
struct PendingImage<'e> {
    dest: CowStr<'e>,
    title: CowStr<'e>,
    alt: String,
    offset: usize,
}

/// A heading whose events are held back until its text (and so its id) is known.
struct PendingHeading<'e> {
    level: HeadingLevel,
    explicit_id: Option<String>,
    classes: Vec<CowStr<'e>>,
    attrs: Vec<(CowStr<'e>, Option<CowStr<'e>>)>,
    inner: Vec<Event<'e>>,
    text: String,
}

impl<'c, 'e> State<'c, 'e> {
    fn new(ctx: &'c dyn LinkContext, opts: MarkdownOptions) -> Self {
        State {
            ctx,
            opts,
            blockquote_depth: 0,
            in_quotation_marks: false,
            heading: None,
            code: None,
            skipping_citation: false,
            used_ids: HashMap::new(),
            headings: Vec::new(),
            word_count: 0,
            links: Vec::new(),
            citations: Vec::new(),
            quotes: quotes::Scanner::default(),
            in_insertion: false,
            html_block: None,
            facts_only: false,
            image: None,
            unlabelled_images: Vec::new(),
        }
    }

    fn into_facts(self) -> Facts {
        Facts {
            toc: Lazy::new(nest_toc(self.headings)),
            word_count: self.word_count,
            content_links: content_links(&self.links),
            links: Lazy::new(self.links),
            citations: self.citations,
            quotations: self.quotes.finish(),
            shortcodes: false,
            unlabelled_images: self.unlabelled_images,
        }
    }

    /// Record the URLs of raw HTML at `offset` for the link check.
    fn raw_html_links(&mut self, html: &str, offset: usize) {
        if !rawhtml::URL_ATTRIBUTES.iter().any(|a| html.contains(a)) {
            return;
        }
        for (dest, at) in rawhtml::links(html) {
            self.links.push(FoundLink {
                dest,
                offset: offset + at,
            });
        }
        if html.contains("<img") || html.contains("<IMG") {
            for (dest, at) in rawhtml::unlabelled_images(html) {
                self.unlabelled_images.push(FoundLink {
                    dest,
                    offset: offset + at,
                });
            }
        }
    }

    /// Follow the block structure and the text for the quotation scanner.
    fn scan_quotes(&mut self, event: &Event<'e>, offset: usize) {
        let q = &mut self.quotes;
        match event {
            Event::Start(Tag::Paragraph) => q.paragraph_start(offset),
            Event::Start(Tag::Heading { .. }) => q.leaf_start(),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => q.leaf_end(),
            Event::Start(Tag::Item | Tag::TableCell | Tag::FootnoteDefinition(_)) => {
                q.container_start(false)
            }
            Event::End(TagEnd::Item | TagEnd::TableCell | TagEnd::FootnoteDefinition) => {
                q.container_end(false)
            }
            Event::Start(Tag::BlockQuote(_)) => q.container_start(true),
            Event::End(TagEnd::BlockQuote(_)) => q.container_end(true),
            Event::Text(t) => q.text(t, offset),
            Event::Code(t) => q.push_text(t),
            Event::SoftBreak | Event::HardBreak => q.push_text(" "),
            Event::InlineHtml(h) => {
                q.inline_html(h, offset);
                self.raw_html_links(h, offset);
            }
            Event::Start(Tag::HtmlBlock) => {
                q.leaf_start();
                self.html_block = Some((offset, String::new()));
            }
            Event::Html(h) => {
                if let Some((_, block)) = &mut self.html_block {
                    block.push_str(h);
                }
            }
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((at, block)) = &self.html_block {
                    let (at, block) = (*at, block.clone());
                    self.raw_html_links(&block, at);
                }
                let q = &mut self.quotes;
                if let Some((at, block)) = self.html_block.take()
                    && (block.contains("<q")
                        || block.contains("<blockquote")
                        || block.contains("<Q")
                        || block.contains("<BLOCKQUOTE"))
                {
                    q.html_block(rawhtml::quotations(&block), at);
                }
                q.leaf_end();
            }
            _ => {}
        }
    }

    fn handle(&mut self, event: Event<'e>, offset: usize, out: &mut Vec<Event<'e>>) {
        if !self.skipping_citation && self.code.is_none() {
            self.scan_quotes(&event, offset);
        }
        if self.skipping_citation {
            if matches!(event, Event::End(TagEnd::Link)) {
                self.skipping_citation = false;
            }
            return;
        }
        if self.image.is_some() {
            self.image_event(event, out);
            return;
        }
        if let Some(code) = &mut self.code {
            match event {
                Event::Text(t) => code.1.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (lang, text) = self.code.take().unwrap_or_default();
                    out.push(Event::Html(
                        highlight::code_block(&lang, &text, self.opts.highlight_code).into(),
                    ));
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                self.heading = Some(PendingHeading {
                    level,
                    explicit_id: id.map(|i| i.to_string()),
                    classes,
                    attrs,
                    inner: Vec::new(),
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => self.finish_heading(out),
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Event::Start(Tag::BlockQuote(k)) => {
                self.blockquote_depth += 1;
                self.emit(Event::Start(Tag::BlockQuote(k)), out);
            }
            Event::End(TagEnd::BlockQuote(k)) => {
                self.blockquote_depth = self.blockquote_depth.saturating_sub(1);
                self.emit(Event::End(TagEnd::BlockQuote(k)), out);
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if let Some(source) = dest_url.strip_prefix("cite:") {
                    self.emit_citation(source.to_string(), offset, out);
                    self.skipping_citation = true;
                    return;
                }
                self.links.push(FoundLink {
                    dest: dest_url.to_string(),
                    offset,
                });
                let dest_url = self.resolve(dest_url);
                self.emit(
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }),
                    out,
                );
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                self.links.push(FoundLink {
                    dest: dest_url.to_string(),
                    offset,
                });
                self.image = Some(PendingImage {
                    dest: self.resolve(dest_url),
                    title,
                    alt: String::new(),
                    offset,
                });
            }
            Event::Text(text) if self.quotes.is_open() && (&*text == "[" || &*text == "]") => {
                let opening = &*text == "[";
                if opening == self.in_insertion {
                    self.emit(Event::Text(text), out);
                    return;
                }
                self.in_insertion = opening;
                let html = if opening {
                    "<span class=\"insertion\">["
                } else {
                    "]</span>"
                };
                self.emit(Event::InlineHtml(html.into()), out);
            }
            Event::Text(text) => {
                self.word_count += count_words(&text);
                if let Some(h) = &mut self.heading {
                    h.text.push_str(&text);
                }
                let text = if self.blockquote_depth == 0 && !self.facts_only {
                    smarten(text, &mut self.in_quotation_marks)
                } else {
                    text
                };
                self.emit(Event::Text(text), out);
            }
            Event::Code(code) => {
                if let Some(h) = &mut self.heading {
                    h.text.push_str(&code);
                }
                self.emit(Event::Code(code), out);
            }
            Event::End(TagEnd::Paragraph) => {
                self.in_quotation_marks = false;
                if std::mem::take(&mut self.in_insertion) {
                    self.emit(Event::InlineHtml("</span>".into()), out);
                }
                self.emit(Event::End(TagEnd::Paragraph), out);
            }
            other => self.emit(other, out),
        }
    }

    /// An event inside an image: its alt text, or its end, when the image is
    /// written (an alt of `decorative` marks an image that shows nothing to
    /// describe: `alt=""`, `role="presentation"`).
    fn image_event(&mut self, event: Event<'e>, out: &mut Vec<Event<'e>>) {
        let Some(image) = &mut self.image else { return };
        match event {
            Event::Text(t) | Event::Code(t) => image.alt.push_str(&t),
            Event::SoftBreak | Event::HardBreak => image.alt.push(' '),
            Event::End(TagEnd::Image) => {
                let Some(image) = self.image.take() else {
                    return;
                };
                let alt = image.alt.trim();
                let decorative = alt == DECORATIVE;
                if alt.is_empty() {
                    self.unlabelled_images.push(FoundLink {
                        dest: image.dest.to_string(),
                        offset: image.offset,
                    });
                }
                let title = if image.title.is_empty() {
                    String::new()
                } else {
                    format!(" title=\"{}\"", escape(&image.title))
                };
                let alt = if decorative {
                    "alt=\"\" role=\"presentation\"".to_string()
                } else {
                    format!("alt=\"{}\"", escape(alt))
                };
                let html = format!("<img src=\"{}\" {alt}{title}>", escape_url(&image.dest));
                self.emit(Event::InlineHtml(html.into()), out);
            }
            _ => {}
        }
    }

    /// Send an event to the output, or into the heading being collected.
    fn emit(&mut self, event: Event<'e>, out: &mut Vec<Event<'e>>) {
        match &mut self.heading {
            Some(h) => h.inner.push(event),
            None => out.push(event),
        }
    }

    fn emit_citation(&mut self, source: String, offset: usize, out: &mut Vec<Event<'e>>) {
        let anchor = format!("cite-{}-{}", source, self.citations.len() + 1);
        let html = match self.ctx.citation(&source) {
            Some((href, label)) => format!(
                "<cite class=\"citation\" id=\"{}\"><a href=\"{}\">{}</a></cite>",
                escape(&anchor),
                escape(&href),
                escape(&label)
            ),
            None => format!("<cite class=\"citation\">[@{}]</cite>", escape(&source)),
        };
        self.quotes.citation(&source, offset);
        self.citations.push(FoundCitation {
            source,
            offset,
            anchor,
        });
        self.emit(Event::InlineHtml(html.into()), out);
    }

    /// Turn `@/file.md#x` into the file's URL; leave every other link as written.
    fn resolve(&self, dest: CowStr<'e>) -> CowStr<'e> {
        let Some(rest) = dest.strip_prefix("@/") else {
            return dest;
        };
        let (path, fragment) = rest
            .split_once('#')
            .map_or((rest, None), |(p, f)| (p, Some(f)));
        match self.ctx.content_url(path) {
            Some(url) => match fragment {
                Some(f) => format!("{url}#{f}").into(),
                None => url.into(),
            },
            None => dest,
        }
    }

    fn finish_heading(&mut self, out: &mut Vec<Event<'e>>) {
        let Some(h) = self.heading.take() else { return };
        let base = h
            .explicit_id
            .clone()
            .unwrap_or_else(|| heading_slug(&h.text));
        let id = self.unique_id(base);
        self.headings.push(TocEntry {
            level: heading_number(h.level),
            id: id.clone(),
            title: h.text.trim().to_string(),
            children: Vec::new(),
        });
        out.push(Event::Start(Tag::Heading {
            level: h.level,
            id: Some(id.into()),
            classes: h.classes,
            attrs: h.attrs,
        }));
        out.extend(h.inner);
        out.push(Event::End(TagEnd::Heading(h.level)));
    }

    fn unique_id(&mut self, base: String) -> String {
        let mut id = base.clone();
        while self.used_ids.contains_key(&id) {
            let n = self.used_ids.entry(base.clone()).or_insert(0);
            *n += 1;
            id = format!("{base}-{n}");
        }
        self.used_ids.insert(id.clone(), 0);
        id
    }
}

/// The alt text that marks a Markdown image as decorative: `![decorative](rule.png)`.
pub const DECORATIVE: &str = "decorative";

/// A URL as pulldown-cmark writes it into an attribute.
fn escape_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let _ = pulldown_cmark_escape::escape_href(&mut out, url);
    out
}

/// Prefixes of the anchors the build generates for editorial items and
/// citations (`#st-denial`, `#cite-bbc-1`…).
pub const RESERVED_ID_PREFIXES: &[&str] = &["st-", "fact-", "ev-", "src-", "q-", "cite-"];

/// A heading's automatic id: its slug, kept clear of the generated anchors
/// (a heading "St Petersburg" gets `h-st-petersburg`, not `st-petersburg`).
fn heading_slug(text: &str) -> String {
    let slug = slug::slugify(text);
    if slug.is_empty() {
        "section".to_string()
    } else if RESERVED_ID_PREFIXES.iter().any(|p| slug.starts_with(p)) {
        format!("h-{slug}")
    } else {
        slug
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// The content files `@/` links point at, fragments cut off.
fn content_links(links: &[FoundLink]) -> Vec<String> {
    links
        .iter()
        .filter_map(|l| l.dest.strip_prefix("@/"))
        .map(|rest| rest.split('#').next().unwrap_or("").to_string())
        .collect()
}

/// Nest a flat list of headings under their parents by level.
fn nest_toc(flat: Vec<TocEntry>) -> Vec<TocEntry> {
    let mut root: Vec<TocEntry> = Vec::new();
    for entry in flat {
        insert_toc(&mut root, entry);
    }
    root
}

fn insert_toc(list: &mut Vec<TocEntry>, entry: TocEntry) {
    match list.last_mut() {
        Some(last) if last.level < entry.level => insert_toc(&mut last.children, entry),
        _ => list.push(entry),
    }
}

/// Typographic punctuation for prose: dashes, ellipses and apostrophes.
///
/// Text between quotation marks (straight or curly) is left exactly as written,
/// so smart punctuation can never alter the words of a quotation. Text that
/// needs no change is returned as is, without copying.
pub fn smarten<'a>(text: CowStr<'a>, in_quotation: &mut bool) -> CowStr<'a> {
    let s: &str = &text;
    let b = s.as_bytes();
    let mut next = Interesting::new(b);
    let Some(first) = next.at_or_after(0) else {
        return text;
    };
    let mut out = String::new();
    let mut copied = 0;
    let mut i = first;
    loop {
        let (replacement, len) = match b[i] {
            b'"' => {
                *in_quotation = !*in_quotation;
                (None, 1)
            }
            0xE2 if b[i + 1..].starts_with(&[0x80, 0x9C]) => {
                *in_quotation = true;
                (None, 3)
            }
            0xE2 if b[i + 1..].starts_with(&[0x80, 0x9D]) => {
                *in_quotation = false;
                (None, 3)
            }
            _ if *in_quotation => (None, 1),
            b'-' if b[i + 1..].starts_with(b"--") => (Some("—"), 3),
            b'-' if b[i + 1..].starts_with(b"-") => (Some("–"), 2),
            b'.' if b[i + 1..].starts_with(b"..") => (Some("…"), 3),
            b'\''
                if s[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric) =>
            {
                (Some("’"), 1)
            }
            _ => (None, 1),
        };
        if let Some(r) = replacement {
            out.push_str(&s[copied..i]);
            out.push_str(r);
            copied = i + len;
        }
        match next.at_or_after(i + len) {
            Some(n) => i = n,
            None => break,
        }
    }
    if copied == 0 {
        return text;
    }
    out.push_str(&s[copied..]);
    out.into()
}

/// Finds the bytes `smarten` acts on: `-`, `.` and `'`, and `"` and 0xE2
/// (which leads `“` and `”`), with memchr's vector search. The next match of
/// each group is remembered, so each byte of the text is searched once.
struct Interesting<'b> {
    bytes: &'b [u8],
    /// The next `-`, `.` or `'` after the last position asked for (`None`: there is none).
    punctuation: Option<usize>,
    /// The next `"` or 0xE2 after the last position asked for.
    quote: Option<usize>,
}

impl<'b> Interesting<'b> {
    fn new(bytes: &'b [u8]) -> Interesting<'b> {
        Interesting {
            bytes,
            punctuation: memchr::memchr3(b'-', b'.', b'\'', bytes),
            quote: memchr::memchr2(b'"', 0xE2, bytes),
        }
    }

    /// The first interesting byte at or after `at`.
    fn at_or_after(&mut self, at: usize) -> Option<usize> {
        if at > self.bytes.len() {
            return None;
        }
        let rest = &self.bytes[at..];
        if self.punctuation.is_some_and(|p| p < at) {
            self.punctuation = memchr::memchr3(b'-', b'.', b'\'', rest).map(|p| p + at);
        }
        if self.quote.is_some_and(|q| q < at) {
            self.quote = memchr::memchr2(b'"', 0xE2, rest).map(|q| q + at);
        }
        match (self.punctuation, self.quote) {
            (Some(p), Some(q)) => Some(p.min(q)),
            (p, q) => p.or(q),
        }
    }
}

/// The quotations (text between “…” or "…") of a plain string, such as the
/// `text` of a declared fact.
pub fn quotations_in(text: &str) -> Vec<String> {
    let mut scanner = quotes::Scanner::default();
    scanner.leaf_start();
    scanner.text(text, 0);
    scanner
        .finish()
        .into_iter()
        .map(|q| q.text.to_string())
        .collect()
}

/// Render a short Markdown snippet (for the `markdown` template filter); `inline`
/// drops the wrapping paragraph.
pub fn render_snippet(text: &str, inline: bool) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(text, parser_options()));
    if inline {
        let trimmed = html.trim_end();
        if let Some(inner) = trimmed
            .strip_prefix("<p>")
            .and_then(|t| t.strip_suffix("</p>"))
            && !inner.contains("<p>")
        {
            return inner.to_string();
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoSite;
    impl LinkContext for NoSite {
        fn content_url(&self, p: &str) -> Option<String> {
            (p == "a.md").then(|| "/a/".to_string())
        }
        fn citation(&self, id: &str) -> Option<(String, String)> {
            (id == "bbc").then(|| ("/sources/#src-bbc".to_string(), "BBC News".to_string()))
        }
    }

    fn md(s: &str) -> Rendered {
        render(
            s,
            &NoSite,
            MarkdownOptions {
                highlight_code: false,
            },
        )
    }

    #[test]
    fn automatic_heading_ids_never_take_a_generated_anchor() {
        let r = md("# St Petersburg\n\n## Q&A\n\n## Fact-check\n\n## Cite this\n\n## Stance\n");
        assert_eq!(
            r.facts.heading_ids(),
            [
                "h-st-petersburg",
                "h-q-a",
                "h-fact-check",
                "h-cite-this",
                "stance"
            ]
        );
        // An id the author wrote is theirs to keep.
        let explicit = md("# Denial {#st-note}\n");
        assert_eq!(explicit.facts.heading_ids(), ["st-note"]);
    }

    /// The cache keeps a toc encoded until it is read, and writes it back as read.
    #[test]
    fn a_toc_survives_the_cache_format_whether_or_not_it_was_read() {
        let r = md("# A\n\n## B\n\n## B\n\n# C\n");
        let bytes = postcard::to_stdvec(&r.facts).unwrap();
        let unread: Facts = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(postcard::to_stdvec(&unread).unwrap(), bytes);
        let read: Facts = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(read.heading_ids(), ["a", "b", "b-1", "c"]);
        assert_eq!(read.toc[0].children.len(), 2);
        assert_eq!(postcard::to_stdvec(&read).unwrap(), bytes);
        assert_eq!(read, r.facts);
        let none = Facts::default();
        assert!(none.heading_ids().is_empty());
        let back: Facts = postcard::from_bytes(&postcard::to_stdvec(&none).unwrap()).unwrap();
        assert!(back.toc.is_empty());
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let r = md("# Intro\n\n## Intro\n\n## Details {#custom}\n");
        assert!(r.html.contains("<h1 id=\"intro\">"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"intro-1\">"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"custom\">"), "{}", r.html);
        assert_eq!(r.facts.toc.len(), 1);
        assert_eq!(r.facts.toc[0].children.len(), 2);
    }

    #[test]
    fn citations_become_links_and_are_recorded() {
        let r = md("Russia said so [@bbc].\n");
        assert!(r.html.contains("<cite class=\"citation\" id=\"cite-bbc-1\"><a href=\"/sources/#src-bbc\">BBC News</a></cite>"), "{}", r.html);
        assert_eq!(r.facts.citations[0].source, "bbc");
        assert_eq!(r.facts.citations[0].offset, 15);
    }

    #[test]
    fn content_links_resolve_and_are_recorded() {
        let r = md("[A](@/a.md#x) and [B](@/missing.md)\n");
        assert!(r.html.contains("href=\"/a/#x\""), "{}", r.html);
        assert_eq!(r.facts.links.len(), 2);
        assert_eq!(r.facts.links[1].dest, "@/missing.md");
    }

    #[test]
    fn smart_punctuation_leaves_quotations_alone() {
        let r = md("It's 1--2... He said \"don't -- stop...\" and “it’s -- fine”.\n");
        assert!(r.html.contains("It’s 1–2…"), "{}", r.html);
        assert!(r.html.contains("\"don't -- stop...\""), "{}", r.html);
        assert!(r.html.contains("“it’s -- fine”"), "{}", r.html);
    }

    /// The straightforward char-by-char version `smarten` must agree with.
    fn smarten_reference(text: &str, in_quotation: &mut bool) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '"' => {
                    *in_quotation = !*in_quotation;
                    out.push(c);
                }
                '“' => {
                    *in_quotation = true;
                    out.push(c);
                }
                '”' => {
                    *in_quotation = false;
                    out.push(c);
                }
                _ if *in_quotation => out.push(c),
                '-' if chars.get(i + 1) == Some(&'-') => {
                    if chars.get(i + 2) == Some(&'-') {
                        out.push('—');
                        i += 2;
                    } else {
                        out.push('–');
                        i += 1;
                    }
                }
                '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                    out.push('…');
                    i += 2;
                }
                '\'' if i > 0 && chars[i - 1].is_alphanumeric() => out.push('’'),
                _ => out.push(c),
            }
            i += 1;
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn smarten_matches_the_reference(text in "[a-zé1 .'\"“”—-]{0,120}", start: bool) {
            let (mut a, mut b) = (start, start);
            let fast = smarten(CowStr::from(text.as_str()), &mut a).to_string();
            let slow = smarten_reference(&text, &mut b);
            proptest::prop_assert_eq!(fast, slow);
            proptest::prop_assert_eq!(a, b);
        }

        #[test]
        fn words_are_counted_as_split_whitespace_counts_them(
            ascii in "[a \t\n\x0b\x0c\r\x1c-\x1f.-]{0,600}",
            text in "[a \t\n\x0b\x0c\r\x1c-\x1f\u{85}\u{a0}\u{2003}\u{3000}é.-]{0,40}",
        ) {
            proptest::prop_assert_eq!(count_words(&ascii), ascii.split_whitespace().count());
            proptest::prop_assert_eq!(count_words(&text), text.split_whitespace().count());
        }
    }

    #[test]
    fn insertions_in_a_quotation_are_marked_up_and_other_brackets_are_not() {
        let r = md("He said “[The crossing] was closed” [@bbc] and [x].\n");
        assert!(
            r.html
                .contains("“<span class=\"insertion\">[The crossing]</span> was closed”"),
            "{}",
            r.html
        );
        assert!(r.html.contains("and [x]."), "{}", r.html);
        assert_eq!(&*r.facts.quotations[0].text, "[The crossing] was closed");
        assert_eq!(r.facts.quotations[0].source.as_deref(), Some("bbc"));
    }

    #[test]
    fn facts_alone_are_the_facts_of_the_render() {
        let mut bodies = vec![
            "# Title\n\nHe said “it was a drone” [@bbc] and 'no' -- then... [a](@/a.md)\n\n\
             > “Quoted [sic] text” [@bbc]\n\n<p>Raw <q>quote</q> <a href=\"/x/\">x</a></p>\n\n\
             ## Again {#own}\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| “c” | d |\n"
                .to_string(),
        ];
        for entry in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content")) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|x| x == "md") {
                bodies.push(std::fs::read_to_string(entry.path()).unwrap());
            }
        }
        assert!(bodies.len() > 5, "the repository's pages were read");
        for body in &bodies {
            let opts = MarkdownOptions {
                highlight_code: true,
            };
            assert_eq!(facts(body, &NoSite), render(body, &NoSite, opts).facts);
        }
    }

    #[test]
    fn blockquotes_are_not_smartened() {
        let r = md("> It's -- verbatim...\n");
        assert!(r.html.contains("It's -- verbatim..."), "{}", r.html);
    }
}
