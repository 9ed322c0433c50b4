//! Render stage: turns loaded content into the bytes of every output file —
//! Markdown bodies, templated pages, static files, sitemap, feed and robots.txt.
//!
//! Every page goes through one parallel pass (read body → Markdown → template →
//! bytes → sink), keeping only its small [`Facts`]; sections follow, listing
//! pages from those facts. A sink that still has a file built from the same
//! inputs (equal fingerprint) keeps it, and the file is not rendered at all.
//! Nothing here touches the output folder; files go to a [`Sink`].

use crate::config::Config;
use crate::content::{Content, Document, Kind, not_a_file, permute, read_input};
use crate::diagnostics::{Diagnostic, Report};
use crate::feeds;
use crate::listing;
use crate::markdown::{self, Facts, FoundCitation, LinkContext, MarkdownOptions};
use crate::share_card;
use crate::stamp::{Fingerprint, Hash};
use crate::templates::{ExplainerValue, Templates};
use crate::urls::relativize_html;
use crate::view::{CITED_BY_LATER, ViewBuilder};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tera::Value;

/// The folder copied to the output as is.
pub const STATIC_DIR: &str = "static";

/// How many pages the Atom feed lists.
const FEED_ENTRIES: usize = 20;

/// One file of the finished site.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    pub contents: Contents,
    /// What the file was built from: equal fingerprints mean equal bytes.
    pub fingerprint: Option<Hash>,
}

/// The bytes of an output file, or the file to copy them from.
#[derive(Debug, Clone)]
pub enum Contents {
    Bytes(Vec<u8>),
    Copy(PathBuf),
}

/// Where rendered files go: memory, a staging folder, or nowhere (`check`).
pub trait Sink: Sync {
    fn put(&self, file: OutputFile);

    /// Whether the sink still has `path` as built from inputs with `fingerprint`.
    /// A sink that says yes keeps that file, and it is not rendered again.
    fn keep(&self, _path: &str, _fingerprint: &Hash) -> bool {
        false
    }

    /// Whether the last good build wrote exactly the files at `paths`, when
    /// the sink knows what it wrote.
    fn had_exactly(&self, _paths: &mut dyn ExactSizeIterator<Item = &String>) -> Option<bool> {
        None
    }
}

/// A sink that keeps every file in memory.
#[derive(Default)]
pub struct MemorySink {
    pub files: std::sync::Mutex<Vec<OutputFile>>,
}

impl Sink for MemorySink {
    fn put(&self, file: OutputFile) {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(file);
    }
}

impl MemorySink {
    /// The files, sorted by path.
    pub fn into_files(self) -> Vec<OutputFile> {
        let mut files = self.files.into_inner().unwrap_or_else(|e| e.into_inner());
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }
}

/// A file under `static/`.
#[derive(Debug, Clone)]
pub struct StaticFile {
    /// Path relative to `static/`, `/`-separated.
    pub rel: String,
    pub abs: PathBuf,
}

/// List the files under `ROOT/static` and fingerprint them.
pub fn scan_static(root: &Path) -> Result<(Vec<StaticFile>, HashMap<String, String>), Report> {
    let dir = root.join(STATIC_DIR);
    let mut files = Vec::new();
    let mut report = Report::default();
    if dir.is_dir() {
        let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let mut walker = walkdir::WalkDir::new(&dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walker.next() {
            match entry {
                Ok(e)
                    if e.path_is_symlink()
                        && !e
                            .path()
                            .canonicalize()
                            .is_ok_and(|t| t.starts_with(&canonical_root)) =>
                {
                    report.push(
                        Diagnostic::error(
                            "static",
                            "symlink points outside the site; explainer does not follow it",
                        )
                        .in_file(e.path().strip_prefix(root).unwrap_or(e.path())),
                    );
                    if e.file_type().is_dir() {
                        walker.skip_current_dir();
                    }
                }
                Ok(e) if e.file_type().is_file() => {
                    let rel = e.path().strip_prefix(&dir).unwrap_or(e.path());
                    let rel = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    files.push(StaticFile {
                        rel,
                        abs: e.path().to_path_buf(),
                    });
                }
                Ok(e) => {
                    if let Some(what) = e.metadata().ok().as_ref().and_then(not_a_file) {
                        report.push(
                            Diagnostic::error(
                                "static",
                                format!("{what} is not a static file: only regular files and folders are read"),
                            )
                            .in_file(e.path().strip_prefix(root).unwrap_or(e.path())),
                        );
                    }
                }
                Err(e) => report.push(
                    Diagnostic::error("static", format!("cannot read static file: {e}")).in_file(
                        e.path()
                            .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf())
                            .unwrap_or_default(),
                    ),
                ),
            }
        }
    }
    let hashes: Vec<Result<(String, String), Diagnostic>> = files
        .par_iter()
        .map(|f| {
            read_input(&f.abs)
                .map(|bytes| (f.rel.clone(), crate::urls::fingerprint(&bytes)))
                .map_err(|e| {
                    Diagnostic::error("static", format!("cannot read: {e}"))
                        .in_file(Path::new(STATIC_DIR).join(&f.rel))
                })
        })
        .collect();
    let mut map = HashMap::new();
    for h in hashes {
        match h {
            Ok((k, v)) => {
                map.insert(k, v);
            }
            Err(d) => report.push(d),
        }
    }
    if report.has_errors() {
        return Err(report);
    }
    Ok((files, map))
}

/// Resolves `@/` links and `[@id]` citations while rendering Markdown.
pub struct SiteLinks<'a> {
    pub content: &'a Content,
    pub view: &'a ViewBuilder<'a>,
    /// Where shortcode templates are (none: calls stay text).
    pub templates: Option<&'a Templates>,
}

impl LinkContext for SiteLinks<'_> {
    fn content_url(&self, content_path: &str) -> Option<String> {
        self.content
            .by_path(content_path)
            .map(|d| self.view.urls.permalink(&d.path))
    }

    fn citation(&self, id: &str) -> Option<(String, String)> {
        self.view.citation(id)
    }

    fn shortcodes(&self) -> Option<&dyn crate::shortcodes::Expander> {
        self.templates
            .map(|t| t as &dyn crate::shortcodes::Expander)
    }
}

/// At most this many documents to scan are rendered whole while scanned, their
/// HTML kept for the render pass (an edit build's few); beyond it they are only
/// walked for their facts, so a cold build never holds every page's HTML.
const RENDERED_WHILE_SCANNED: usize = 32;

/// The HTML of documents rendered whole while scanned, by document index.
pub type ScannedHtml = FxHashMap<usize, String>;

/// Facts of the documents that lack them (for the `explainer` object and
/// `get_page`, which need them first). `needed` says which documents to scan.
/// A few are rendered whole (see [`RENDERED_WHILE_SCANNED`]) and their HTML
/// returned, so the render pass does not read and parse them again; the rest
/// are walked without making HTML.
pub fn scan_facts(
    content: &Content,
    links: &SiteLinks<'_>,
    known: &mut [Option<Arc<Facts>>],
    needed: impl Fn(&Document) -> bool + Sync,
    opts: MarkdownOptions,
) -> (Report, ScannedHtml) {
    let todo = content
        .docs
        .iter()
        .zip(known.iter())
        .filter(|(d, k)| k.is_none() && needed(d))
        .count();
    let whole = todo <= RENDERED_WHILE_SCANNED;
    type Found = Option<(Arc<Facts>, Option<String>)>;
    let found: Vec<Result<Found, Diagnostic>> = content
        .docs
        .par_iter()
        .zip(known.par_iter())
        .map(|(d, k)| {
            if k.is_some() || !needed(d) {
                return Ok(None);
            }
            let body = d.read_body(&content.root)?;
            if !whole {
                return Ok(Some((Arc::new(markdown::facts(&body, links)), None)));
            }
            let rendered = markdown::render(&body, links, opts);
            // Shortcodes render with the site's globals, not all set yet: rendered again.
            let html = (!rendered.facts.shortcodes).then_some(rendered.html);
            Ok(Some((Arc::new(rendered.facts), html)))
        })
        .collect();
    let mut report = Report::default();
    let mut scanned = ScannedHtml::default();
    for (i, (k, f)) in known.iter_mut().zip(found).enumerate() {
        match f {
            Ok(Some((facts, html))) => {
                *k = Some(facts);
                if let Some(html) = html {
                    scanned.insert(i, html);
                }
            }
            Ok(None) => {}
            Err(d) => report.push(d),
        }
    }
    (report, scanned)
}

/// Everything the render pass needs.
pub struct RenderJob<'a> {
    pub config: &'a Config,
    pub content: &'a Content,
    pub view: &'a ViewBuilder<'a>,
    pub templates: &'a Templates,
    pub static_files: &'a [StaticFile],
    /// The site's raster images, for `<img>` sizes and `srcset`.
    pub images: &'a crate::images::Images,
    /// Fingerprint of what every output depends on: binary, config, templates,
    /// static files, the editorial data and, where templates look them up, all documents.
    pub global: Hash,
    /// Called once per document rendered or kept.
    pub tick: &'a (dyn Fn() + Sync),
    /// Whether to stop (an interrupt arrived); checked before each document.
    pub cancelled: &'a (dyn Fn() -> bool + Sync),
    /// HTML that [`scan_facts`] made, taken by the document's first pass.
    pub scanned: Mutex<ScannedHtml>,
    /// Set when pages render before the prose citations are counted (the
    /// globals hold [`ViewBuilder::explainer_before_prose`]).
    pub late_citations: Option<LateCitations>,
    /// The pages' fingerprints of the last render, when the documents are
    /// the ones it rendered with only bodies changed since (`serve`).
    pub fingerprints_before: Option<&'a PageFingerprints>,
}

/// Each page's fingerprint as its first pass computed it (see
/// [`RenderJob::fingerprint`]), under the global fingerprint `global`.
///
/// Reused by the next render of the same documents (`serve` after an edit
/// to bodies only): a page whose contents hash the same has the same
/// fingerprint under the same global inputs, since everything else a
/// fingerprint reads (URLs, template choices, translations, the targets of
/// its links) is the documents' structure, which such an edit leaves alone.
#[derive(Debug, Clone, Default)]
pub struct PageFingerprints {
    pub global: Hash,
    /// By document: the hash of its contents and its page's fingerprint.
    pub by_doc: Vec<Option<(Hash, Hash)>>,
}

/// The state of a render whose pages come before the prose citations.
#[derive(Default)]
pub struct LateCitations {
    /// The last render's `explainer` object as a template value (`serve`
    /// remembers it): used again if this render's object is the same.
    remembered: Option<ExplainerValue>,
    /// The hash of this render's `explainer` object, once counted.
    made_from: OnceLock<Hash>,
    /// The fingerprint of the global inputs with the whole `explainer`
    /// object, once the pages are rendered.
    global: OnceLock<Hash>,
    /// Pages that printed a placeholder `cited_by`: rendered again after.
    deferred: Mutex<Vec<usize>>,
}

impl LateCitations {
    /// A render's late citations, given what the last render made of its `explainer` object.
    pub fn remembering(remembered: Option<ExplainerValue>) -> LateCitations {
        LateCitations {
            remembered,
            ..LateCitations::default()
        }
    }
}

/// Each document's `[@id]` citations, by document index.
pub fn prose_citations<'a>(
    facts: impl Iterator<Item = Option<&'a Facts>>,
) -> Vec<(usize, &'a [FoundCitation])> {
    facts
        .enumerate()
        .map(|(i, f)| (i, f.map_or(&[][..], |f| &f.citations[..])))
        .collect()
}

/// What the render pass leaves behind.
pub struct Pass {
    /// The facts of every document, indexed like `content.docs`.
    pub facts: Vec<Arc<Facts>>,
    /// The pages' fingerprints, for the next render of the same documents.
    pub fingerprints: PageFingerprints,
    /// The digest of every document's listing object (see [`listing::digest`]).
    pub digests: Vec<Hash>,
    /// Template and read errors.
    pub report: Report,
}

/// What the first pass made of one document.
#[derive(Default)]
struct First {
    facts: Arc<Facts>,
    /// The page's fingerprint, when the first pass computed it.
    fingerprint: Option<Hash>,
    /// The body's HTML, kept for sections still to render and for the feed.
    html: Option<String>,
    /// Boxed: a first pass per document is 10 000 of these at 10 000 pages.
    error: Option<Box<Diagnostic>>,
}

/// The template a document renders with, and where that choice was written.
pub(crate) fn template_for<'a>(
    content: &'a Content,
    doc: &'a Document,
) -> (&'a str, Option<&'static str>) {
    if let Some(t) = &doc.meta.template {
        return (t, Some("template"));
    }
    match doc.kind {
        Kind::Section if crate::content::is_root_section(doc) => ("index.html", None),
        Kind::Section => ("section.html", None),
        Kind::Page => {
            let mut parent = doc.parent;
            while let Some(p) = parent {
                if let Some(t) = &content.docs[p].meta.page_template {
                    return (t, None);
                }
                parent = content.docs[p].parent;
            }
            ("page.html", None)
        }
    }
}

/// The part of a fingerprint that stands for a document's summary in listings.
fn summary_part(f: Fingerprint, d: &Document) -> Fingerprint {
    let f = f
        .bytes(&d.stamp.hash)
        .str(&d.path)
        .str(&d.slug)
        .str(&d.content_path);
    // A page shows its translations' titles and addresses (`page.translations`).
    d.translations
        .iter()
        .flat_map(|all| all.iter())
        .fold(f, |f, t| f.str(&t.lang).str(&t.path).str(&t.title))
}

impl RenderJob<'_> {
    /// Render every document, static file and site file into `sink`. `known`
    /// holds facts of documents whose file is unchanged since they were found,
    /// `digests` their listing digests when the global inputs are unchanged too.
    pub fn run(
        &self,
        known: Vec<Option<Arc<Facts>>>,
        digests: Vec<Option<Hash>>,
        sink: &dyn Sink,
    ) -> Pass {
        let feed = self.feed_docs();
        // Documents without known facts (to render) first: they take longest,
        // and the few of an edit build then run beside the checks of the rest
        // instead of after them. The results go back into document order.
        let mut order: Vec<usize> = (0..known.len()).collect();
        order.sort_by_key(|&i| known[i].is_some());
        // Each document's known facts move into its first pass, which drops
        // them when it renders the body again: the known facts and the new
        // ones of every document are never all held at once.
        let mut known = known;
        let jobs: Vec<(usize, Option<Arc<Facts>>)> =
            order.iter().map(|&i| (i, known[i].take())).collect();
        drop(known);
        let mut firsts: Vec<First> = jobs
            .into_par_iter()
            .map(|(i, known)| {
                let first = self.first_pass(i, known, sink, feed.contains(&i));
                (self.tick)();
                first
            })
            .collect();
        if !order.is_sorted() {
            let mut at = vec![0; order.len()];
            for (k, &i) in order.iter().enumerate() {
                at[i] = k;
            }
            permute(&mut firsts, &at);
        }
        let mut report = Report::default();
        // One shared placeholder: `mem::take` would allocate an empty `Facts` per document.
        let moved_out = Arc::<Facts>::default();
        let facts: Vec<Arc<Facts>> = firsts
            .iter_mut()
            .map(|f| std::mem::replace(&mut f.facts, moved_out.clone()))
            .collect();
        let digests = self.digests(digests, &facts);
        let fingerprints = PageFingerprints {
            global: self.global,
            by_doc: (self.content.docs.iter().zip(&firsts))
                .map(|(d, f)| Some((d.stamp.hash, f.fingerprint?)))
                .collect(),
        };
        self.count_prose_citations(&facts, &mut firsts, sink);
        let (taxonomies, problems) = crate::taxonomies::collect(self.config, self.content);
        report.extend(problems);
        report.extend(
            self.render_sections(&mut firsts, &facts, &digests, sink)
                .diagnostics,
        );
        report.extend(self.put_taxonomies(&taxonomies, &facts, &digests, sink));
        report.extend(firsts.iter_mut().filter_map(|f| f.error.take().map(|e| *e)));
        self.put_copies(sink);
        report.extend(self.put_aliases(sink));
        let feed_html: HashMap<usize, String> = feed
            .iter()
            .filter_map(|&i| Some((i, firsts[i].html.take()?)))
            .collect();
        drop(firsts);
        let mut listings = self.listing_paths();
        listings.extend(crate::taxonomies::listing_paths(&taxonomies));
        if let Err(d) = self.render_site_files(&feed, feed_html, &facts, &listings, sink) {
            report.push(d);
        }
        report.extend(self.images.put_all(sink));
        Pass {
            facts,
            fingerprints,
            digests,
            report,
        }
    }

    /// [`RenderJob::fingerprint`] of page `i` in its first pass: the last
    /// render's, when it is known to be the same (see [`PageFingerprints`]).
    fn page_fingerprint(&self, i: usize, facts: &Facts) -> Hash {
        let doc = &self.content.docs[i];
        let before = (self.fingerprints_before)
            .filter(|before| before.global == *self.global())
            .and_then(|before| *before.by_doc.get(i)?)
            .filter(|(contents, _)| *contents == doc.stamp.hash);
        match before {
            Some((_, fp)) => fp,
            None => self.fingerprint(i, facts),
        }
    }

    /// The fingerprint of what every output depends on, as it stands in the
    /// render: with the prose citations once they are counted.
    pub(crate) fn global(&self) -> &Hash {
        self.late_citations
            .as_ref()
            .and_then(|late| late.global.get())
            .unwrap_or(&self.global)
    }

    /// The `explainer` object the files after the pages rendered with, as a
    /// template value, if this render made one (for the next render).
    pub fn explainer_value(&self) -> Option<ExplainerValue> {
        let late = self.late_citations.as_ref()?;
        Some(ExplainerValue {
            made_from: *late.made_from.get()?,
            value: self.templates.late_value()?,
        })
    }

    /// Whether `html`, rendered before the prose citations were counted,
    /// printed a placeholder `cited_by`.
    fn shows_placeholder(&self, html: &str) -> bool {
        self.late_citations
            .as_ref()
            .is_some_and(|late| late.global.get().is_none())
            && memchr::memmem::find(html.as_bytes(), CITED_BY_LATER.as_bytes()).is_some()
    }

    /// After the pages of a render with late citations: give the templates
    /// the whole `explainer` object, and render again what printed the
    /// placeholder (pages, and bodies kept for sections and the feed).
    fn count_prose_citations(&self, facts: &[Arc<Facts>], firsts: &mut [First], sink: &dyn Sink) {
        let Some(late) = &self.late_citations else {
            return;
        };
        let explainer = self
            .view
            .explainer(&prose_citations(facts.iter().map(|f| Some(&**f))));
        let view_bytes = explainer.fingerprint_bytes();
        let body_printed: Vec<usize> = firsts
            .iter()
            .enumerate()
            .filter(|(_, f)| f.html.as_deref().is_some_and(|h| self.shows_placeholder(h)))
            .map(|(i, _)| i)
            .collect();
        let made_from = crate::stamp::hash(&view_bytes);
        match &late.remembered {
            Some(before) if before.made_from == made_from => {
                self.templates.set_late_value(before.value.clone());
            }
            _ => self.templates.set_late_explainer(explainer),
        }
        let _ = late.made_from.set(made_from);
        let _ = late.global.set(
            Fingerprint::new("late")
                .bytes(&self.global)
                .bytes(&view_bytes)
                .finish(),
        );
        for i in body_printed {
            match self.body_html(i) {
                Ok(html) => firsts[i].html = Some(html),
                Err(d) => firsts[i].error = Some(Box::new(d)),
            }
        }
        let deferred =
            std::mem::take(&mut *late.deferred.lock().unwrap_or_else(|e| e.into_inner()));
        for i in deferred {
            let html = firsts[i].html.take().map_or_else(|| self.body_html(i), Ok);
            let done = html.and_then(|html| {
                let fp = self.fingerprint(i, &facts[i]);
                self.render_page(i, &html, &facts[i], fp, sink)?;
                Ok(html)
            });
            match done {
                Ok(html) => firsts[i].html = Some(html),
                Err(d) => firsts[i].error = Some(Box::new(d)),
            }
        }
    }

    /// Every document's listing digest: the known ones, the rest computed.
    fn digests(&self, known: Vec<Option<Hash>>, facts: &[Arc<Facts>]) -> Vec<Hash> {
        known
            .into_par_iter()
            .zip(facts.par_iter())
            .zip(self.content.docs.par_iter())
            .map(|((k, f), d)| {
                k.unwrap_or_else(|| listing::digest(d, f, self.view.urls, self.templates.fields))
            })
            .collect()
    }

    /// Markdown for every document; the template too for pages. Documents a sink
    /// keeps are skipped (their known facts stand).
    fn first_pass(
        &self,
        i: usize,
        known: Option<Arc<Facts>>,
        sink: &dyn Sink,
        in_feed: bool,
    ) -> First {
        if (self.cancelled)() {
            return First {
                error: Some(Box::new(Diagnostic::error(
                    "interrupted",
                    "the build was interrupted",
                ))),
                ..First::default()
            };
        }
        let doc = &self.content.docs[i];
        if let Some(facts) = known {
            // Facts of a body calling shortcodes depend on the templates too: found again.
            if doc.kind == Kind::Section && !facts.shortcodes {
                return First {
                    facts,
                    fingerprint: None,
                    html: self.take_scanned(i),
                    error: None,
                };
            }
            let fp = self.page_fingerprint(i, &facts);
            if sink.keep(&doc.output_file(), &fp) {
                return First {
                    facts,
                    fingerprint: Some(fp),
                    ..First::default()
                };
            }
            if let Some(html) = self.take_scanned(i) {
                return self.page_pass(i, facts, html, fp, sink, in_feed);
            }
        }
        let body = match doc.read_body(&self.content.root) {
            Ok(b) => b,
            Err(d) => {
                return First {
                    error: Some(Box::new(d)),
                    ..First::default()
                };
            }
        };
        let rendered = self.markdown(&body);
        if let Some(d) = crate::shortcodes::problem(doc, &body, &rendered.problems) {
            return First {
                error: Some(Box::new(d)),
                ..First::default()
            };
        }
        drop(body);
        if doc.kind == Kind::Section {
            return First {
                facts: Arc::new(rendered.facts),
                fingerprint: None,
                html: Some(rendered.html),
                error: None,
            };
        }
        let fp = self.fingerprint(i, &rendered.facts);
        self.page_pass(
            i,
            Arc::new(rendered.facts),
            rendered.html,
            fp,
            sink,
            in_feed,
        )
    }

    /// The HTML [`scan_facts`] made of document `i`, if it did.
    fn take_scanned(&self, i: usize) -> Option<String> {
        let mut scanned = self.scanned.lock().ok()?;
        if scanned.is_empty() {
            return None;
        }
        scanned.remove(&i)
    }

    /// The first pass of a page whose body is rendered (`fp` its fingerprint): its template.
    fn page_pass(
        &self,
        i: usize,
        facts: Arc<Facts>,
        html: String,
        fp: Hash,
        sink: &dyn Sink,
        in_feed: bool,
    ) -> First {
        let error = self
            .render_page(i, &html, &facts, fp, sink)
            .err()
            .map(Box::new);
        First {
            facts,
            fingerprint: Some(fp),
            html: in_feed.then_some(html),
            error,
        }
    }

    /// What a document's output is built from, besides the global inputs.
    pub(crate) fn fingerprint(&self, i: usize, facts: &Facts) -> Hash {
        let doc = &self.content.docs[i];
        let (template, _) = template_for(self.content, doc);
        let mut f =
            summary_part(Fingerprint::new("document").bytes(self.global()), doc).str(template);
        for path in &facts.content_links {
            f = f.str(self.content.by_path(path).map_or("\0", |d| d.path.as_str()));
        }
        f.finish()
    }

    /// What a section's output is built from: its own inputs and the listing
    /// digests of the documents it lists.
    fn section_fingerprint(&self, i: usize, facts: &Facts, digests: &[Hash]) -> Hash {
        let own = self.fingerprint(i, facts);
        listing::listed(&self.content.docs[i], self.content)
            .into_iter()
            .fold(Fingerprint::new("section").bytes(&own), |f, d| {
                f.bytes(&digests[d])
            })
            .finish()
    }

    pub(crate) fn check_template(&self, doc: &Document) -> Result<String, Diagnostic> {
        let (template, key) = template_for(self.content, doc);
        if self.templates.has(template) {
            return Ok(template.to_string());
        }
        let d = Diagnostic::error(
            "template",
            format!("template {template:?} not found in templates/"),
        )
        .in_file(&doc.source);
        Err(match key.and_then(|k| doc.front.find(k)) {
            Some(at) => d.at_offset(&doc.front, at),
            None => d,
        })
    }

    fn render_page(
        &self,
        i: usize,
        html: &str,
        facts: &Facts,
        fp: Hash,
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        let doc = &self.content.docs[i];
        let template = self.check_template(doc)?;
        let value = listing::summary(doc, facts, self.view.urls, self.templates.fields);
        self.render_document(i, value, html, &template, fp, sink)
    }

    fn render_document(
        &self,
        i: usize,
        summary: Value,
        html: &str,
        template: &str,
        fp: Hash,
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        let doc = &self.content.docs[i];
        let ctx = self.document_context(i, summary, html, template);
        // The body and room for the page around it (a guess, not a measure).
        let capacity = html.len() + 8 * 1024;
        let out = self
            .templates
            .render_sized(template, &ctx, &doc.source, capacity)?;
        if self.shows_placeholder(&out)
            && let Some(late) = &self.late_citations
        {
            late.deferred
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(i);
            return Ok(());
        }
        sink.put(OutputFile {
            path: doc.output_file(),
            contents: Contents::Bytes(self.finish_html(out, &doc.path).into_bytes()),
            fingerprint: Some(fp),
        });
        Ok(())
    }

    /// The context a document's template renders with.
    pub(crate) fn document_context(
        &self,
        i: usize,
        summary: Value,
        html: &str,
        template: &str,
    ) -> tera::Context {
        let doc = &self.content.docs[i];
        let mut value = summary.into_map().unwrap_or_default();
        value.insert("content".into(), Value::safe_string(html));
        value.insert("template".into(), Value::from(template));
        let share_image = self.share_image(doc);
        value.insert("share_image".into(), Value::from_serializable(&share_image));
        let items = self.view.doc_items(i);
        for (k, v) in Value::from_serializable(&items)
            .into_map()
            .unwrap_or_default()
        {
            value.insert(k, v);
        }
        let mut ctx = tera::Context::new();
        let name = if doc.kind == Kind::Page {
            "page"
        } else {
            "section"
        };
        ctx.insert_value(name, Value::from(value));
        ctx.insert("current_path", &doc.path);
        ctx.insert("lang", &*doc.lang);
        ctx
    }

    /// The absolute URL a document is shared with (`share_image` in its
    /// template object): the image it names, else its share card when the
    /// build draws them; none without a `base_url` (share images need
    /// absolute URLs).
    fn share_image(&self, doc: &Document) -> Option<String> {
        self.config.base_url.as_ref()?;
        match share_card::own_image(doc) {
            Some(url) if crate::urls::web_url(url).is_ok() => Some(url.to_string()),
            Some(path) => self.view.urls.asset(path, false).ok(),
            None if self.config.share_cards => {
                Some(self.view.urls.permalink(&doc.path) + share_card::FILE_NAME)
            }
            None => None,
        }
    }

    /// Render the sections whose inputs changed, listing their pages from `facts`.
    fn render_sections(
        &self,
        firsts: &mut [First],
        facts: &[Arc<Facts>],
        digests: &[Hash],
        sink: &dyn Sink,
    ) -> Report {
        let mut report = Report::default();
        let mut todo: Vec<(usize, Hash, String)> = Vec::new();
        let mut paginated: Vec<(usize, Vec<crate::pagination::Piece>, String)> = Vec::new();
        for (i, doc) in self.content.sections() {
            if firsts[i].error.is_some() {
                continue;
            }
            let fp = self.section_fingerprint(i, &facts[i], digests);
            let pieces = if doc.meta.paginate_by.is_some() {
                match self.pieces_to_render(i, fp, sink) {
                    Ok(pieces) if pieces.is_empty() => continue,
                    Ok(pieces) => Some(pieces),
                    Err(d) => {
                        report.push(d);
                        continue;
                    }
                }
            } else if sink.keep(&doc.output_file(), &fp) {
                continue;
            } else {
                None
            };
            match firsts[i].html.take().map_or_else(|| self.body_html(i), Ok) {
                Ok(html) => match pieces {
                    Some(pieces) => paginated.push((i, pieces, html)),
                    None => todo.push((i, fp, html)),
                },
                Err(d) => report.push(d),
            }
        }
        let mut wanted = vec![false; self.content.docs.len()];
        let chosen = todo.iter().map(|(i, _, _)| i);
        for i in chosen.chain(paginated.iter().map(|(i, _, _)| i)) {
            wanted[*i] = true;
            for d in listing::listed(&self.content.docs[*i], self.content) {
                wanted[d] = true;
            }
        }
        let values = listing::summaries(
            self.content,
            facts,
            self.view.urls,
            self.templates.fields,
            &wanted,
        );
        let results: Vec<Result<(), Diagnostic>> = todo
            .par_iter()
            .map(|(i, fp, html)| {
                let template = self.check_template(&self.content.docs[*i])?;
                let value = listing::with_listing(*i, self.content, &values);
                self.render_document(*i, value, html, &template, *fp, sink)
            })
            .collect();
        report.extend(results.into_iter().filter_map(Result::err));
        for (i, pieces, html) in &paginated {
            report.extend(self.render_pieces(*i, pieces, html, &values, sink));
        }
        report
    }

    fn finish_html(&self, html: String, page_path: &str) -> String {
        let html = if self.images.is_empty() || !html.contains("<img") {
            html
        } else {
            let resolver = crate::urls::Resolver::new(self.config.url_base());
            self.images.rewrite_html(&html, page_path, &resolver)
        };
        if self.config.writes_relative() {
            relativize_html(&html, page_path, self.config.url_base())
        } else {
            html
        }
    }

    /// A redirect page at every alias, and `_redirects` listing them; the
    /// problems with aliases that could not be written.
    fn put_aliases(&self, sink: &dyn Sink) -> Vec<Diagnostic> {
        let (aliases, problems) = crate::aliases::collect(self.content);
        let mut lines = Vec::new();
        for alias in &aliases {
            let doc = &self.content.docs[alias.doc];
            sink.put(self.redirect(&alias.path, &alias.output, &doc.path, doc.title()));
            lines.push((alias.path.clone(), doc.path.clone()));
        }
        if !lines.is_empty() {
            let text = crate::aliases::redirects_file(&lines, self.config.base_path());
            sink.put(bytes("_redirects", text));
        }
        problems
    }

    /// A redirect page at `output` (the file of site path `from`) sending
    /// readers on to site path `to`.
    pub(crate) fn redirect(&self, from: &str, output: &str, to: &str, title: &str) -> OutputFile {
        let target = if self.config.writes_relative() {
            let folder = &from[..from.rfind('/').map_or(0, |i| i + 1)];
            crate::urls::relative_url(folder, to)
        } else {
            self.view.urls.permalink(to)
        };
        let html = crate::aliases::page(&target, title, &self.config.language);
        let fingerprint = Fingerprint::new("alias").str(output).str(&html).finish();
        OutputFile {
            path: output.to_string(),
            contents: Contents::Bytes(html.into_bytes()),
            fingerprint: Some(fingerprint),
        }
    }

    /// Render `template` with `ctx` into the listing page at site path `path`.
    pub(crate) fn put_listing(
        &self,
        template: &str,
        ctx: &tera::Context,
        rendering: &Path,
        path: &str,
        fp: Hash,
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        let out = self.templates.render(template, ctx, rendering)?;
        sink.put(OutputFile {
            path: [path, "index.html"].concat(),
            contents: Contents::Bytes(self.finish_html(out, path).into_bytes()),
            fingerprint: Some(fp),
        });
        Ok(())
    }

    /// Static files and page-bundle assets, copied as they are.
    fn put_copies(&self, sink: &dyn Sink) {
        for f in self.static_files {
            let hash = self.view.urls.static_hashes.get(&f.rel);
            self.put_copy(sink, f.rel.clone(), &f.abs, hash.map(String::as_str));
        }
        for doc in self.content.docs.iter().filter(|d| !d.assets.is_empty()) {
            let bundle_dir = self
                .content
                .root
                .join(doc.source.parent().unwrap_or(Path::new("")));
            for asset in &doc.assets {
                let rel = asset.strip_prefix(&bundle_dir).unwrap_or(asset);
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                self.put_copy(sink, format!("{}{rel}", doc.path), asset, None);
            }
        }
    }

    /// Copy `src` to `path`; known by its content hash, else by its stat.
    fn put_copy(&self, sink: &dyn Sink, path: String, src: &Path, hash: Option<&str>) {
        let f = Fingerprint::new("copy").str(&src.display().to_string());
        let fp = match (hash, crate::stamp::Stat::read(src)) {
            (Some(h), _) => Some(f.str(h).finish()),
            (None, Some(stat)) => Some(f.stat(stat).finish()),
            (None, None) => None,
        };
        if fp.is_some_and(|fp| sink.keep(&path, &fp)) {
            return;
        }
        sink.put(OutputFile {
            path,
            contents: Contents::Copy(src.to_path_buf()),
            fingerprint: fp,
        });
    }

    fn render_site_files(
        &self,
        feed: &[usize],
        feed_html: HashMap<usize, String>,
        facts: &[Arc<Facts>],
        listings: &[String],
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        let ctx = tera::Context::new();
        let not_found = self
            .templates
            .render("404.html", &ctx, Path::new("404.html"))?;
        sink.put(bytes("404.html", self.finish_html(not_found, "")));
        // The sitemap and the feed are lists of absolute URLs: without a
        // base_url there are none to give, so they are left out.
        let robots = match &self.config.base_url {
            Some(base) => {
                self.put_sitemap(base, listings, sink);
                self.put_feed(feed, feed_html, facts, sink)?;
                self.put_language_feeds(base, facts, sink)?;
                self.put_changes_feed(base, sink);
                format!("User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n")
            }
            None => "User-agent: *\nAllow: /\n".to_string(),
        };
        sink.put(bytes("robots.txt", robots));
        if self.config.build_search_index {
            self.put_search_index(sink);
        }
        if self.config.share_cards {
            self.put_share_cards(sink)?;
        }
        if self.config.markdown.highlight_code {
            let md = &self.config.markdown;
            let fp = Fingerprint::new("syntax.css")
                .bytes(&crate::stamp::binary_identity())
                .str(&md.light_theme)
                .str(&md.dark_theme)
                .finish();
            if sink.keep("syntax.css", &fp) {
                return Ok(());
            }
            let css = crate::highlight::stylesheet(&md.light_theme, &md.dark_theme)
                .map_err(|e| Diagnostic::error("config", e).in_file(crate::config::CONFIG_FILE))?;
            let mut file = bytes("syntax.css", css);
            file.fingerprint = Some(fp);
            sink.put(file);
        }
        Ok(())
    }

    /// The sitemap, unless the sink keeps one of the same URLs and dates.
    /// `listings` are the site paths of listing pages that are no document
    /// (later pages of paginated lists, taxonomy pages).
    fn put_sitemap(&self, base_url: &str, listings: &[String], sink: &dyn Sink) {
        let fp =
            self.content
                .docs
                .iter()
                .fold(Fingerprint::new("sitemap").str(base_url), |f, d| {
                    let date = d.meta.updated.as_ref().or(d.meta.date.as_ref());
                    f.str(&d.path).str(date.map_or("", |x| x.text.as_str()))
                });
        let fp = listings.iter().fold(fp, |f, p| f.str(p)).finish();
        if sink.keep("sitemap.xml", &fp) {
            return;
        }
        let mut file = bytes("sitemap.xml", self.sitemap(listings));
        file.fingerprint = Some(fp);
        sink.put(file);
    }

    fn sitemap(&self, listings: &[String]) -> String {
        type Entry<'e> = (
            &'e str,
            Option<String>,
            Option<&'e [crate::content::Translation]>,
        );
        let mut entries: Vec<Entry<'_>> = self
            .content
            .docs
            .iter()
            .map(|d| {
                let date = d.meta.updated.as_ref().or(d.meta.date.as_ref());
                let versions = d.translations.as_deref();
                (d.path.as_str(), date.map(|x| x.day.to_string()), versions)
            })
            .chain(listings.iter().map(|p| (p.as_str(), None, None)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let urls: Vec<feeds::SitemapUrl> = entries
            .into_iter()
            .map(|(path, lastmod, versions)| feeds::SitemapUrl {
                loc: self.view.urls.permalink(path),
                lastmod,
                alternates: versions
                    .unwrap_or_default()
                    .iter()
                    .map(|t| (t.lang.to_string(), self.view.urls.permalink(&t.path)))
                    .collect(),
            })
            .collect();
        feeds::sitemap(&urls)
    }

    /// The [`FEED_ENTRIES`] newest dated pages, newest first: the feed's
    /// entries (none without a `base_url`: there is no feed then).
    fn feed_docs(&self) -> Vec<usize> {
        if self.config.base_url.is_none() {
            return Vec::new();
        }
        self.newest_dated(self.pages_in(&self.config.language))
    }

    /// The pages written in language `code`.
    fn pages_in<'d>(&'d self, code: &'d str) -> impl Iterator<Item = (usize, &'d Document)> {
        self.content.pages().filter(move |(_, d)| *d.lang == *code)
    }

    /// A feed of each other language's newest pages, `/fr/atom.xml`, unless
    /// its `[languages.fr]` says `generate_feeds = false`.
    fn put_language_feeds(
        &self,
        base: &str,
        facts: &[Arc<Facts>],
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        for (code, lang) in &self.config.languages {
            if !lang.generate_feeds {
                continue;
            }
            let feed = self.newest_dated(self.pages_in(code));
            let path = format!("{code}/atom.xml");
            let fp = feed
                .iter()
                .fold(
                    Fingerprint::new("feed").bytes(self.global()).str(&path),
                    |f, &i| f.bytes(&self.fingerprint(i, &facts[i])),
                )
                .finish();
            if sink.keep(&path, &fp) {
                continue;
            }
            let html = feed
                .iter()
                .map(|&i| Ok((i, self.body_html(i)?)))
                .collect::<Result<HashMap<usize, String>, Diagnostic>>()?;
            let home = format!("{base}{code}/");
            let xml = self.feed_in(self.config.title_in(code), &home, code, &feed, &html);
            let mut file = bytes(&path, xml);
            file.fingerprint = Some(fp);
            sink.put(file);
        }
        Ok(())
    }

    /// The [`FEED_ENTRIES`] newest dated documents of `docs`, newest first.
    pub(crate) fn newest_dated<'d>(
        &self,
        docs: impl Iterator<Item = (usize, &'d Document)>,
    ) -> Vec<usize> {
        let mut dated: Vec<(usize, &Document)> =
            docs.filter(|(_, d)| d.meta.date.is_some()).collect();
        fn newest(d: &Document) -> Option<&crate::date::Date> {
            d.meta.updated.as_ref().or(d.meta.date.as_ref())
        }
        let order = |a: &(usize, &Document), b: &(usize, &Document)| {
            newest(b.1)
                .cmp(&newest(a.1))
                .then_with(|| a.1.path.cmp(&b.1.path))
        };
        if dated.len() > FEED_ENTRIES {
            dated.select_nth_unstable_by(FEED_ENTRIES, order);
            dated.truncate(FEED_ENTRIES);
        }
        dated.sort_by(order);
        dated.into_iter().map(|(i, _)| i).collect()
    }

    /// The Atom feed, unless the sink keeps one built from the same entries.
    fn put_feed(
        &self,
        feed: &[usize],
        mut html: HashMap<usize, String>,
        facts: &[Arc<Facts>],
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        // Each entry's fingerprint covers its body and the URLs its links resolve to.
        let fp = feed
            .iter()
            .fold(Fingerprint::new("feed").bytes(self.global()), |f, &i| {
                f.bytes(&self.fingerprint(i, &facts[i]))
            })
            .finish();
        if sink.keep("atom.xml", &fp) {
            return Ok(());
        }
        for &i in feed {
            if let std::collections::hash_map::Entry::Vacant(e) = html.entry(i) {
                e.insert(self.body_html(i)?);
            }
        }
        let mut file = bytes("atom.xml", self.feed(feed, &html));
        file.fingerprint = Some(fp);
        sink.put(file);
        Ok(())
    }

    /// A share card beside every document that names no image of its own,
    /// drawn in parallel; a card whose SVG is unchanged is kept.
    fn put_share_cards(&self, sink: &dyn Sink) -> Result<(), Diagnostic> {
        let identity = crate::stamp::binary_identity();
        self.content
            .docs
            .par_iter()
            .filter_map(|d| Some((d, share_card::card_path(d)?)))
            .try_for_each(|(d, path)| {
                let card = self.share_card(d);
                let fp = Fingerprint::new("share-card")
                    .bytes(&identity)
                    .str(&share_card::svg(&card))
                    .finish();
                if sink.keep(&path, &fp) {
                    return Ok(());
                }
                let png = share_card::png(&card)
                    .map_err(|e| Diagnostic::error("share-card", e).in_file(&d.source))?;
                sink.put(OutputFile {
                    path,
                    contents: Contents::Bytes(png),
                    fingerprint: Some(fp),
                });
                Ok(())
            })
    }

    /// What a document's share card shows: its title, its `extra.share_label`
    /// (else config.toml's, else "Explainer"), its date and the site's title.
    fn share_card(&self, d: &Document) -> share_card::Card {
        let label = share_card::extra_str(d, "share_label")
            .or_else(|| {
                self.config
                    .extra
                    .get("share_label")
                    .and_then(|v| v.as_str())
            })
            .unwrap_or("Explainer");
        share_card::Card {
            headline: d.title().to_string(),
            label: label.to_string(),
            date: match (&d.meta.updated, &d.meta.date) {
                (Some(u), _) => Some(format!("Updated {}", u.day.strftime("%-d %B %Y"))),
                (None, Some(x)) => Some(x.day.strftime("%-d %B %Y").to_string()),
                (None, None) => None,
            },
            site: self.config.title.clone(),
        }
    }

    /// The search index, unless the sink keeps one built from the same
    /// declarations and page titles.
    fn put_search_index(&self, sink: &dyn Sink) {
        let fp = self
            .content
            .docs
            .iter()
            .fold(Fingerprint::new("search").bytes(self.global()), |f, d| {
                f.str(&d.path)
                    .str(d.title())
                    .str(d.meta.description.as_deref().unwrap_or(""))
            })
            .finish();
        if sink.keep(crate::search::INDEX_FILE, &fp) {
            return;
        }
        let entries = crate::search::entries(self.content, self.view.registry);
        let mut file = bytes(crate::search::INDEX_FILE, crate::search::script(&entries));
        file.fingerprint = Some(fp);
        sink.put(file);
    }

    /// The corrections feed, when the site logs any change, unless the sink
    /// keeps one built from the same entries.
    fn put_changes_feed(&self, base_url: &str, sink: &dyn Sink) {
        let entries = self.changes_entries();
        if entries.is_empty() {
            return;
        }
        let fp = entries
            .iter()
            .fold(
                Fingerprint::new("changes")
                    .str(base_url)
                    .str(&self.config.title),
                |f, e| f.str(&e.id).str(&e.page_title).str(&e.date).str(&e.note),
            )
            .finish();
        if sink.keep(feeds::CHANGES_FEED, &fp) {
            return;
        }
        let text = feeds::changes(&feeds::ChangesFeed {
            channel: feeds::Channel {
                title: &self.config.title,
                language: &self.config.language,
                base_url,
            },
            entries,
        });
        let mut file = bytes(feeds::CHANGES_FEED, text);
        file.fingerprint = Some(fp);
        sink.put(file);
    }

    /// Every `[[changes]]` entry of the site, newest first; pages in path order.
    fn changes_entries(&self) -> Vec<feeds::ChangeEntry> {
        let mut seen: HashMap<(usize, &str), usize> = HashMap::new();
        let mut entries: Vec<(&str, feeds::ChangeEntry)> = Vec::new();
        for change in &self.view.registry.changes {
            let doc = &self.content.docs[change.origin.doc];
            let c = &change.item;
            let nth = seen
                .entry((change.origin.doc, c.date.text.as_str()))
                .or_default();
            *nth += 1;
            let link = self.view.urls.permalink(&doc.path);
            entries.push((
                doc.path.as_str(),
                feeds::ChangeEntry {
                    kind: match c.kind {
                        crate::editorial::ChangeKind::Correction => "Correction",
                        crate::editorial::ChangeKind::Update => "Update",
                    },
                    page_title: doc.title().to_string(),
                    id: format!("{link}#change-{}-{nth}", c.date.text),
                    link,
                    date: c.date.rfc3339.clone(),
                    note: c.note.clone(),
                },
            ));
        }
        entries.sort_by(|(pa, a), (pb, b)| b.date.cmp(&a.date).then_with(|| pa.cmp(pb)));
        entries.into_iter().map(|(_, e)| e).collect()
    }

    /// `body` rendered to HTML with this site's links and Markdown options.
    fn markdown(&self, body: &str) -> markdown::Rendered {
        let links = SiteLinks {
            content: self.content,
            view: self.view,
            templates: Some(self.templates),
        };
        let opts = MarkdownOptions {
            highlight_code: self.config.markdown.highlight_code,
        };
        markdown::render(body, &links, opts)
    }

    pub(crate) fn body_html(&self, i: usize) -> Result<String, Diagnostic> {
        let doc = &self.content.docs[i];
        let body = doc.read_body(&self.content.root)?;
        let rendered = self.markdown(&body);
        match crate::shortcodes::problem(doc, &body, &rendered.problems) {
            Some(d) => Err(d),
            None => Ok(rendered.html),
        }
    }

    /// An Atom feed of `feed`; its `updated` is the newest page date.
    fn feed(&self, feed: &[usize], html: &HashMap<usize, String>) -> String {
        self.feed_at(&self.config.title, self.config.url_base(), feed, html)
    }

    /// An Atom feed titled `title` of `feed`, written at `home` + `atom.xml`.
    pub(crate) fn feed_at(
        &self,
        title: &str,
        home: &str,
        feed: &[usize],
        html: &HashMap<usize, String>,
    ) -> String {
        self.feed_in(title, home, &self.config.language, feed, html)
    }

    /// [`Self::feed_at`] for a feed in language `language`.
    fn feed_in(
        &self,
        title: &str,
        home: &str,
        language: &str,
        feed: &[usize],
        html: &HashMap<usize, String>,
    ) -> String {
        let updated = feed
            .first()
            .map(|&i| &self.content.docs[i].meta)
            .and_then(|m| m.updated.as_ref().or(m.date.as_ref()))
            .map_or("1970-01-01T00:00:00Z".to_string(), |d| d.rfc3339.clone());
        let entries = feed
            .iter()
            .map(|&i| {
                let d = &self.content.docs[i];
                let published = d
                    .meta
                    .date
                    .as_ref()
                    .map_or(String::new(), |x| x.rfc3339.clone());
                feeds::FeedEntry {
                    title: d.title().to_string(),
                    link: self.view.urls.permalink(&d.path),
                    updated: d
                        .meta
                        .updated
                        .as_ref()
                        .map_or(published.clone(), |x| x.rfc3339.clone()),
                    published,
                    summary: d.meta.description.clone(),
                    html: html.get(&i).cloned().unwrap_or_default(),
                }
            })
            .collect();
        feeds::atom(&feeds::Feed {
            channel: feeds::Channel {
                title,
                language,
                base_url: home,
            },
            updated,
            entries,
        })
    }
}

fn bytes(path: &str, text: String) -> OutputFile {
    OutputFile {
        path: path.to_string(),
        contents: Contents::Bytes(text.into_bytes()),
        fingerprint: None,
    }
}
