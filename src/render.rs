//! Render stage: turns loaded content into the bytes of every output file —
//! Markdown bodies, templated pages, static files, sitemap, feed and robots.txt.
//!
//! Nothing here touches the output folder; files go to a [`Sink`].

use crate::config::Config;
use crate::content::{Content, Document, Kind};
use crate::diagnostics::{Diagnostic, Report};
use crate::editorial::Registry;
use crate::markdown::{self, LinkContext, MarkdownOptions, Rendered};
use crate::templates::{Lookup, Templates};
use crate::urls::{Urls, relativize_html};
use crate::view::ViewBuilder;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tera::Value;

/// The folder copied to the output as is.
pub const STATIC_DIR: &str = "static";

/// One file of the finished site.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    pub contents: Contents,
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
                Ok(_) => {}
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
            std::fs::read(&f.abs)
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
}

impl LinkContext for SiteLinks<'_> {
    fn content_url(&self, content_path: &str) -> Option<String> {
        self.content
            .by_path(content_path)
            .map(|d| self.view.urls.permalink(&d.path))
    }

    fn citation(&self, id: &str) -> Option<(String, String)> {
        Some((self.view.source_href(id)?, self.view.citation_label(id)?))
    }
}

/// Render the Markdown body of every document, in parallel; indexed like `content.docs`.
pub fn render_markdown(content: &Content, links: &SiteLinks<'_>, config: &Config) -> Vec<Rendered> {
    let opts = MarkdownOptions {
        highlight_code: config.markdown.highlight_code,
    };
    content
        .docs
        .par_iter()
        .map(|d| markdown::render(d.body(), links, opts))
        .collect()
}

/// A page or section as listed by others (no `content`).
#[derive(Debug, Serialize)]
struct Summary<'a> {
    kind: &'static str,
    title: &'a str,
    description: Option<&'a str>,
    date: Option<&'a str>,
    updated: Option<&'a str>,
    permalink: String,
    path: String,
    slug: &'a str,
    content_path: &'a str,
    word_count: usize,
    reading_time: usize,
    weight: Option<i64>,
    draft: bool,
    extra: serde_json::Value,
    toc: &'a [markdown::TocEntry],
}

fn summary<'a>(doc: &'a Document, md: &'a Rendered, urls: &Urls) -> Summary<'a> {
    let permalink = urls.permalink(&doc.path);
    Summary {
        kind: if doc.kind == Kind::Page {
            "page"
        } else {
            "section"
        },
        title: doc.title(),
        description: doc.meta.description.as_deref(),
        date: doc.meta.date.as_ref().map(|d| d.text.as_str()),
        updated: doc.meta.updated.as_ref().map(|d| d.text.as_str()),
        path: format!(
            "/{}",
            crate::config::base_path_of(&permalink).trim_start_matches('/')
        ),
        permalink,
        slug: &doc.slug,
        content_path: &doc.content_path,
        word_count: md.word_count,
        reading_time: md.word_count.div_ceil(200).max(1),
        weight: doc.meta.weight,
        draft: doc.meta.draft,
        extra: doc
            .meta
            .extra
            .clone()
            .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
        toc: &md.toc,
    }
}

fn toc_with_permalinks(toc: &[markdown::TocEntry], permalink: &str) -> Vec<markdown::TocEntry> {
    toc.iter()
        .map(|t| markdown::TocEntry {
            permalink: format!("{permalink}#{}", t.id),
            children: toc_with_permalinks(&t.children, permalink),
            ..t.clone()
        })
        .collect()
}

/// Page and section objects for listings and `get_page`/`get_section`, by content path.
pub fn listing_values(content: &Content, md: &[Rendered], urls: &Urls) -> HashMap<String, Value> {
    let page_values: Vec<Value> = content
        .docs
        .par_iter()
        .zip(md.par_iter())
        .map(|(d, m)| {
            let toc = toc_with_permalinks(&m.toc, &urls.permalink(&d.path));
            let mut s = summary(d, m, urls);
            s.toc = &toc;
            Value::from_serializable(&s)
        })
        .collect();
    let mut out = HashMap::new();
    for (i, doc) in content.docs.iter().enumerate() {
        let mut value = page_values[i].clone();
        if doc.kind == Kind::Section {
            value = with_listing(value, doc, &page_values, content);
        }
        out.insert(doc.content_path.clone(), value);
    }
    out
}

/// Add `pages` and `subsections` to a section object.
fn with_listing(value: Value, doc: &Document, values: &[Value], content: &Content) -> Value {
    let mut map = value.into_map().unwrap_or_default();
    let pages: Vec<Value> = doc.pages.iter().map(|&p| values[p].clone()).collect();
    let subsections: Vec<Value> = doc
        .subsections
        .iter()
        .map(|&s| {
            let mut sub = values[s].clone().into_map().unwrap_or_default();
            let sub_pages: Vec<Value> = content.docs[s]
                .pages
                .iter()
                .map(|&p| values[p].clone())
                .collect();
            sub.insert("pages".into(), Value::from(sub_pages));
            Value::from(sub)
        })
        .collect();
    map.insert("pages".into(), Value::from(pages));
    map.insert("subsections".into(), Value::from(subsections));
    Value::from(map)
}

/// Everything the template pass needs.
pub struct RenderJob<'a> {
    pub config: &'a Config,
    pub content: &'a Content,
    pub registry: &'a Registry,
    pub view: &'a ViewBuilder<'a>,
    pub markdown: &'a [Rendered],
    pub listings: &'a HashMap<String, Value>,
    pub templates: &'a Templates,
    pub static_files: &'a [StaticFile],
}

/// The template a document renders with, and where that choice was written.
fn template_for(content: &Content, doc: &Document) -> (String, Option<&'static str>) {
    if let Some(t) = &doc.meta.template {
        return (t.clone(), Some("template"));
    }
    match doc.kind {
        Kind::Section if doc.content_path == "_index.md" => ("index.html".into(), None),
        Kind::Section => ("section.html".into(), None),
        Kind::Page => {
            let mut parent = doc.parent;
            while let Some(p) = parent {
                if let Some(t) = &content.docs[p].meta.page_template {
                    return (t.clone(), None);
                }
                parent = content.docs[p].parent;
            }
            ("page.html".into(), None)
        }
    }
}

impl RenderJob<'_> {
    /// Render every document, static file and site file into `sink`.
    pub fn run(&self, sink: &dyn Sink) -> Report {
        let results: Vec<Result<(), Diagnostic>> = (0..self.content.docs.len())
            .into_par_iter()
            .map(|i| self.render_document(i, sink))
            .collect();
        let mut report = Report::default();
        report.extend(results.into_iter().filter_map(Result::err));
        for f in self.static_files {
            sink.put(OutputFile {
                path: f.rel.clone(),
                contents: Contents::Copy(f.abs.clone()),
            });
        }
        for doc in &self.content.docs {
            self.put_assets(doc, sink);
        }
        if let Err(d) = self.render_site_files(sink) {
            report.push(d);
        }
        report
    }

    fn render_document(&self, i: usize, sink: &dyn Sink) -> Result<(), Diagnostic> {
        let doc = &self.content.docs[i];
        let (template, key) = template_for(self.content, doc);
        if !self.templates.has(&template) {
            let d = Diagnostic::error(
                "template",
                format!("template {template:?} not found in templates/"),
            )
            .in_file(&doc.source);
            let d = match key.and_then(|k| doc.text.find(k)) {
                Some(at) => d.at_offset(&doc.text, at),
                None => d,
            };
            return Err(d);
        }
        let mut value = self.listings[&doc.content_path]
            .clone()
            .into_map()
            .unwrap_or_default();
        let md = &self.markdown[i];
        value.insert("content".into(), Value::safe_string(&md.html));
        value.insert("template".into(), Value::from(template.as_str()));
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
        let out = self.templates.render(&template, &ctx, &doc.source)?;
        sink.put(OutputFile {
            path: doc.output_file(),
            contents: Contents::Bytes(self.finish_html(out, &doc.path).into_bytes()),
        });
        Ok(())
    }

    fn finish_html(&self, html: String, page_path: &str) -> String {
        if self.config.relative_urls {
            relativize_html(&html, page_path, &self.config.base_url)
        } else {
            html
        }
    }

    fn put_assets(&self, doc: &Document, sink: &dyn Sink) {
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
            sink.put(OutputFile {
                path: format!("{}{rel}", doc.path),
                contents: Contents::Copy(asset.clone()),
            });
        }
    }

    fn render_site_files(&self, sink: &dyn Sink) -> Result<(), Diagnostic> {
        let ctx = tera::Context::new();
        let not_found = self
            .templates
            .render("404.html", &ctx, Path::new("404.html"))?;
        sink.put(bytes("404.html", self.finish_html(not_found, "")));
        sink.put(bytes("sitemap.xml", self.sitemap()));
        sink.put(bytes("atom.xml", self.feed()));
        sink.put(bytes(
            "robots.txt",
            format!(
                "User-agent: *\nAllow: /\nSitemap: {}sitemap.xml\n",
                self.config.base_url
            ),
        ));
        if self.config.markdown.highlight_code {
            let css = crate::highlight::stylesheet(
                &self.config.markdown.light_theme,
                &self.config.markdown.dark_theme,
            )
            .map_err(|e| Diagnostic::error("config", e).in_file(crate::config::CONFIG_FILE))?;
            sink.put(bytes("syntax.css", css));
        }
        Ok(())
    }

    fn sitemap(&self) -> String {
        let mut docs: Vec<&Document> = self.content.docs.iter().collect();
        docs.sort_by(|a, b| a.path.cmp(&b.path));
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for d in docs {
            xml.push_str("  <url>\n    <loc>");
            xml.push_str(&markdown::escape(&self.view.urls.permalink(&d.path)));
            xml.push_str("</loc>\n");
            if let Some(date) = d.meta.updated.as_ref().or(d.meta.date.as_ref()) {
                xml.push_str(&format!("    <lastmod>{}</lastmod>\n", date.day));
            }
            xml.push_str("  </url>\n");
        }
        xml.push_str("</urlset>\n");
        xml
    }

    /// An Atom feed of the 20 newest dated pages; its `updated` is the newest page date.
    fn feed(&self) -> String {
        let mut dated: Vec<(usize, &Document)> = self
            .content
            .pages()
            .filter(|(_, d)| d.meta.date.is_some())
            .collect();
        dated.sort_by(|a, b| {
            let key = |d: &Document| d.meta.updated.clone().or(d.meta.date.clone());
            key(b.1)
                .cmp(&key(a.1))
                .then_with(|| a.1.path.cmp(&b.1.path))
        });
        dated.truncate(20);
        let base = &self.config.base_url;
        let updated = dated
            .first()
            .and_then(|(_, d)| d.meta.updated.as_ref().or(d.meta.date.as_ref()))
            .map_or("1970-01-01T00:00:00Z".to_string(), |d| d.rfc3339.clone());
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n  <title>{}</title>\n  <link href=\"{base}atom.xml\" rel=\"self\" type=\"application/atom+xml\"/>\n  <link href=\"{base}\"/>\n  <updated>{updated}</updated>\n  <id>{base}atom.xml</id>\n",
            markdown::escape(&self.config.language),
            markdown::escape(&self.config.title),
        );
        for (i, d) in dated {
            let link = self.view.urls.permalink(&d.path);
            let published = d
                .meta
                .date
                .as_ref()
                .map_or(String::new(), |x| x.rfc3339.clone());
            let updated = d
                .meta
                .updated
                .as_ref()
                .map_or(published.clone(), |x| x.rfc3339.clone());
            xml.push_str(&format!(
                "  <entry>\n    <title>{}</title>\n    <link href=\"{}\"/>\n    <id>{}</id>\n    <published>{published}</published>\n    <updated>{updated}</updated>\n",
                markdown::escape(d.title()),
                markdown::escape(&link),
                markdown::escape(&link),
            ));
            if let Some(desc) = &d.meta.description {
                xml.push_str(&format!(
                    "    <summary>{}</summary>\n",
                    markdown::escape(desc)
                ));
            }
            xml.push_str(&format!(
                "    <content type=\"html\">{}</content>\n  </entry>\n",
                markdown::escape(&self.markdown[i].html)
            ));
        }
        xml.push_str("</feed>\n");
        xml
    }
}

fn bytes(path: &str, text: String) -> OutputFile {
    OutputFile {
        path: path.to_string(),
        contents: Contents::Bytes(text.into_bytes()),
    }
}

/// Build the lookup the template functions use.
pub fn lookup(urls: &Urls, listings: &HashMap<String, Value>) -> Arc<Lookup> {
    Arc::new(Lookup {
        urls: urls.clone(),
        docs: listings.clone(),
    })
}
