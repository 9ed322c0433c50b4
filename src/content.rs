//! Loads a site's `content/` folder: reads every Markdown file, parses its front
//! matter, works out its URL, and builds the section tree.
//!
//! Nothing here renders; the result is plain data for the later stages.

use crate::diagnostics::{Diagnostic, Report};
use crate::frontmatter::{self, FrontMatter, SortBy};
use crate::stamp::{self, Stamp, Stat};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod scan;
pub use scan::{Found, Scan, scan};

/// The folder of Markdown content inside a site.
pub const CONTENT_DIR: &str = "content";

/// Whether a document is a section (`_index.md`) or a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    Section,
    #[default]
    Page,
}

/// One page or section. `Document::default()` is a page not yet placed in the
/// site (no URL, parent or children): loading fills in the rest.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub kind: Kind,
    /// Path of the file, relative to the site root (`content/parties/russia.md`);
    /// for a section without `_index.md`, the folder's would-be `_index.md`.
    pub source: PathBuf,
    /// Path relative to `content/` with `/` separators (`parties/russia.md`).
    pub content_path: String,
    /// The file's front matter with its fences: the text up to the body, so
    /// offsets into it are offsets into the file. The body is read when rendering.
    /// Shared with the build cache, as is `meta`.
    pub front: Arc<str>,
    /// Where the Markdown body starts in the file (the length of `front`).
    pub body_offset: usize,
    /// The file's stat and content hash (zeroes for a section without `_index.md`).
    pub stamp: Stamp,
    /// Whether there is a file at all (a folder without `_index.md` has none).
    pub has_file: bool,
    /// Whether the body has an `@`, so may hold `[@id]` citations; true when unread.
    pub may_cite: bool,
    pub meta: Arc<FrontMatter>,
    /// URL path below the base URL, `""` for the home page, else ending in `/`.
    pub path: String,
    pub slug: String,
    /// The section this document belongs to (none for the root section).
    pub parent: Option<usize>,
    /// Pages of a section, sorted as its `sort_by` says.
    pub pages: Vec<usize>,
    /// Subsections of a section, sorted by path.
    pub subsections: Vec<usize>,
    /// Files copied next to the document's output (page bundles and section folders).
    pub assets: Vec<PathBuf>,
    /// The language it is written in: the code in its file name (`notes.fr.md`),
    /// else the site's default language.
    pub lang: Arc<str>,
    /// Every version of this document in some language, itself included, the
    /// default language first; `None` when it has no translation.
    pub translations: Option<Arc<[Translation]>>,
}

/// One language version of a document, as `page.translations` lists it.
#[derive(Debug, Clone)]
pub struct Translation {
    pub lang: Arc<str>,
    /// URL path below the base URL, as [`Document::path`].
    pub path: String,
    pub title: String,
    /// The document's index in [`Content::docs`].
    pub doc: usize,
}

/// The languages content may be written in, from `config.toml`.
#[derive(Debug, Clone)]
pub struct Languages {
    pub default: Arc<str>,
    /// The `[languages]` codes, sorted.
    pub others: Vec<Arc<str>>,
}

impl Languages {
    /// The default language and the `[languages]` tables of `config`.
    pub fn of(config: &crate::config::Config) -> Languages {
        Languages {
            default: Arc::from(config.language.as_str()),
            others: config
                .languages
                .keys()
                .map(|k| Arc::from(k.as_str()))
                .collect(),
        }
    }

    /// The shared code of `code`, if the site has that language.
    fn find(&self, code: &str) -> Option<&Arc<str>> {
        std::iter::once(&self.default)
            .chain(&self.others)
            .find(|c| &***c == code)
    }
}

impl Default for Languages {
    fn default() -> Self {
        Languages {
            default: Arc::from("en"),
            others: Vec::new(),
        }
    }
}

/// The language code in a content file's name: `fr` in `notes.fr.md`,
/// `_index.fr.md` and `bundle/index.fr.md` (only what has a language code's shape).
pub fn lang_suffix(rel: &str) -> Option<&str> {
    let name = file_name(rel).strip_suffix(".md")?;
    let dot = name.bytes().rposition(|b| b == b'.')?;
    let code = &name[dot + 1..];
    crate::config::is_language_code(code).then_some(code)
}

/// The last part of a `/`-separated path (`p1.md` in `s1/p1.md`). A byte
/// search: `str::rsplit` with a `char` costs ten times as much, and every
/// content path goes through here several times per build.
fn file_name(path: &str) -> &str {
    match path.bytes().rposition(|b| b == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// A content path without its language code: `notes.fr.md` → `notes.md`.
pub fn without_lang(rel: &str) -> std::borrow::Cow<'_, str> {
    match lang_suffix(rel) {
        Some(code) => {
            let cut = rel.len() - ".md".len() - code.len() - 1;
            std::borrow::Cow::Owned(format!("{}.md", &rel[..cut]))
        }
        None => std::borrow::Cow::Borrowed(rel),
    }
}

impl Document {
    /// Read the Markdown body from the file; an error if the file changed since it was loaded.
    pub fn read_body(&self, root: &Path) -> Result<String, Diagnostic> {
        if !self.has_file {
            return Ok(String::new());
        }
        let size = self.stamp.stat.size;
        let text = read_text(&root.join(&self.source), &self.source, size)?;
        if text.len() as u64 != self.stamp.stat.size || !text.starts_with(&*self.front) {
            return Err(Diagnostic::error(
                "content",
                "the file changed while the site was being built",
            )
            .in_file(&self.source)
            .note("build again"));
        }
        Ok(text[self.body_offset..].to_string())
    }

    /// The title, or the file's slug when none is given.
    pub fn title(&self) -> &str {
        self.meta.title.as_deref().unwrap_or("")
    }

    /// Output file of the document, relative to the output folder.
    pub fn output_file(&self) -> String {
        [self.path.as_str(), "index.html"].concat()
    }
}

/// All documents of a site; the root section is `docs[0]`.
#[derive(Debug, Default)]
pub struct Content {
    pub root: PathBuf,
    pub docs: Vec<Document>,
    /// Content path (`parties/russia.md`) → document index.
    pub by_content_path: FxHashMap<String, usize>,
    /// URL path (`parties/russia/`) → document index.
    pub by_url_path: FxHashMap<String, usize>,
    /// Content paths of the drafts this build leaves out.
    pub drafts_left_out: rustc_hash::FxHashSet<String>,
    /// The languages of the site (from config.toml).
    pub languages: Languages,
}

impl Content {
    pub fn pages(&self) -> impl Iterator<Item = (usize, &Document)> {
        self.docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == Kind::Page)
    }

    pub fn sections(&self) -> impl Iterator<Item = (usize, &Document)> {
        self.docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == Kind::Section)
    }

    /// The whole text of a document's file, for locating a diagnostic in its body
    /// (its front matter when the file cannot be read).
    pub fn text_of(&self, doc: &Document) -> String {
        read_input_text(&self.root.join(&doc.source)).unwrap_or_else(|_| doc.front.to_string())
    }

    /// Look a document up by content path, with or without `@/` and `content/`.
    pub fn by_path(&self, path: &str) -> Option<&Document> {
        let p = path
            .trim_start_matches("@/")
            .trim_start_matches("content/")
            .trim_start_matches('/');
        self.by_content_path.get(p).map(|&i| &self.docs[i])
    }
}

/// What an earlier build remembers of content files, so unchanged ones need not be read.
pub trait Memory: Sync {
    /// What `rel` was when last read, if `stat` shows it unchanged since.
    fn front(&self, rel: &str, stat: &Stat) -> Option<Remembered<'_>>;
}

/// A content file as an earlier build read it.
pub struct Remembered<'a> {
    pub stamp: Stamp,
    /// The front matter with its fences.
    pub front: &'a Arc<str>,
    /// The front matter parsed.
    pub meta: &'a Arc<FrontMatter>,
}

/// Remembers nothing: every file is read.
pub struct Forgetful;

impl Memory for Forgetful {
    fn front(&self, _: &str, _: &Stat) -> Option<Remembered<'_>> {
        None
    }
}

/// Load every document under `ROOT/content`, leaving out drafts unless `drafts`.
pub fn load(root: &Path, drafts: bool, languages: &Languages) -> Result<Content, Report> {
    load_scanned(root, &scan(root), drafts, &Forgetful, languages)
}

/// Load the documents of a [`scan`], taking the front matter of files `memory`
/// knows to be unchanged from it instead of reading them.
pub fn load_scanned(
    root: &Path,
    scan: &Scan,
    drafts: bool,
    memory: &dyn Memory,
    languages: &Languages,
) -> Result<Content, Report> {
    let Scan {
        markdown,
        others,
        dirs,
        report,
    } = scan;
    let mut report = report.clone();
    // Room for the implicit sections too: a Document is big, and each copy of
    // 10 000 of them is megabytes of fresh memory to fault in.
    let mut parsed: Vec<Result<Document, Diagnostic>> =
        Vec::with_capacity(markdown.len() + dirs.len());
    parsed.par_extend(markdown.par_iter().map(|f| read_document(f, memory)));
    if parsed.iter().any(Result::is_err) {
        report.extend(parsed.into_iter().filter_map(Result::err));
        return Err(report);
    }
    if report.has_errors() {
        return Err(report);
    }
    // Collected in place: `Result<Document, _>` is no bigger than a `Document`.
    let mut docs: Vec<Document> = parsed.into_iter().filter_map(Result::ok).collect();
    assign_languages(&mut docs, languages, &mut report);
    if report.has_errors() {
        return Err(report);
    }
    let mut drafts_left_out: rustc_hash::FxHashSet<String> = docs
        .iter()
        .filter(|d| !drafts && d.meta.draft)
        .map(|d| d.content_path.clone())
        .collect();
    docs.retain(|d| drafts || !d.meta.draft);
    add_implicit_sections(&mut docs, dirs, languages);
    let before: Vec<String> = docs.iter().map(|d| d.content_path.clone()).collect();
    drop_pages_of_draft_sections(&mut docs, dirs, drafts);
    if docs.len() < before.len() {
        let kept: rustc_hash::FxHashSet<&str> =
            docs.iter().map(|d| d.content_path.as_str()).collect();
        drafts_left_out.extend(
            before
                .iter()
                .filter(|p| !kept.contains(p.as_str()))
                .cloned(),
        );
    }
    let mut content = Content {
        root: root.to_path_buf(),
        docs,
        drafts_left_out,
        languages: languages.clone(),
        ..Content::default()
    };
    assign_urls(&mut content, &mut report);
    link_translations(&mut content);
    build_tree(&mut content);
    attach_assets(&mut content, others);
    if report.has_errors() {
        return Err(report);
    }
    Ok(content)
}

/// The most bytes one input file (Markdown, template, static file, archive,
/// bundle asset, config) may have: a bigger one is an error, so no input can
/// make a build allocate without bound.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// What kind of thing `meta` is, when it is neither a regular file nor a
/// folder: such things (which may block a reader forever, or never end) are
/// never read.
pub fn not_a_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Read a file the site is built from: a regular file (a FIFO, socket or
/// device is refused without blocking on it) of at most [`MAX_INPUT_BYTES`].
pub fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = open_input(path)?;
    let meta = file.metadata()?;
    if let Some(what) = not_a_file(&meta) {
        return Err(not_regular(what));
    }
    read_whole(file, meta.len())
}

/// [`read_input`] for a file the content scan found to be a regular file of
/// `size` bytes: its stat is not taken again (20 000 system calls in a
/// 10 000-page build, which reads each file twice). A file swapped for
/// something else since the scan is read as it is now, up to the same limit.
pub fn read_scanned_input(path: &Path, size: u64) -> std::io::Result<Vec<u8>> {
    read_whole(open_input(path)?, size)
}

fn not_regular(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {what}; only regular files are read"),
    )
}

fn too_big() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "it is larger than {} MiB, the most explainer reads of one file",
            MAX_INPUT_BYTES >> 20
        ),
    )
}

fn open_input(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO without a writer would block; non-blocking, it opens
        // at once, and the stat refuses it.
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path).map_err(|e| {
        // A socket cannot be opened at all: say what it is.
        match std::fs::metadata(path).ok().as_ref().and_then(not_a_file) {
            Some(what) => not_regular(what),
            None => e,
        }
    })
}

/// Read an open file expected to hold `size` bytes, to its end.
///
/// One read of one byte more than expected: when it returns exactly `size`
/// bytes the file is whole, and the read that would return 0 is not made
/// (20 000 system calls in a 10 000-page build). Otherwise (the file
/// changed, or the read was short) it reads on to the end. The buffer is
/// read into uninitialised, not zeroed first.
fn read_whole(mut file: std::fs::File, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    if size > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    loop {
        match rustix::io::read(&file, rustix::buffer::spare_capacity(&mut bytes)) {
            Err(rustix::io::Errno::INTR) => continue,
            read => {
                read?;
                break;
            }
        }
    }
    if bytes.len() as u64 != size {
        let rest = MAX_INPUT_BYTES + 1 - bytes.len() as u64;
        (&mut file).take(rest).read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// [`read_input`] as UTF-8 text; invalid UTF-8 is an error too.
pub fn read_input_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_input(path)?).map_err(|e| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error().to_string())
    })
}

/// Read a content file the scan found (a regular file of `size` bytes) as UTF-8 text.
fn read_text(abs: &Path, source: &Path, size: u64) -> Result<String, Diagnostic> {
    let bytes = read_scanned_input(abs, size).map_err(|e| {
        Diagnostic::error("content", format!("cannot read file: {e}")).in_file(source)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        Diagnostic::error("content", "file is not valid UTF-8")
            .in_file(source)
            .at_offset(&prefix, valid)
            .note("save the file as UTF-8")
    })
}

/// Read, split and parse one Markdown file, or take what `memory` remembers of it.
fn read_document(found: &Found, memory: &dyn Memory) -> Result<Document, Diagnostic> {
    let mut source = PathBuf::with_capacity(CONTENT_DIR.len() + 1 + found.rel.len());
    source.push(CONTENT_DIR);
    source.push(&found.rel);
    let stat = found.stat.unwrap_or_default();
    if let Some(known) = memory.front(&found.rel, &stat) {
        // Its body is unread, so it may cite.
        let may_cite = true;
        let (front, meta) = (known.front.clone(), known.meta.clone());
        return Ok(new_document(
            found,
            source,
            front,
            known.stamp,
            may_cite,
            meta,
        ));
    }
    let text = read_text(&found.abs, &source, stat.size)?;
    let stamp = Stamp {
        stat,
        hash: stamp::hash(text.as_bytes()),
    };
    let split = frontmatter::split(&text).map_err(|(msg, at)| {
        Diagnostic::error("front-matter", msg)
            .in_file(&source)
            .at_offset(&text, at)
    })?;
    let body_offset = split.body_offset;
    let may_cite = split.body.contains('@');
    let meta = frontmatter::parse(&text, &split).map_err(|d| d.in_file(&source))?;
    if is_section_file(&found.rel) {
        check_page_only_keys(&meta, &text).map_err(|d| d.in_file(&source))?;
    } else {
        check_section_only_keys(&meta, &text).map_err(|d| d.in_file(&source))?;
    }
    // A copy, not a truncation: the body's bytes would stay allocated behind it.
    let front = Arc::from(&text[..body_offset]);
    Ok(new_document(
        found,
        source,
        front,
        stamp,
        may_cite,
        Arc::new(meta),
    ))
}

fn is_section_file(rel: &str) -> bool {
    let name = file_name(rel);
    name == "_index.md" || (name.starts_with("_index.") && without_lang(name) == "_index.md")
}

/// Whether a section is a language's home page (`_index.md`, `_index.fr.md`).
pub fn is_root_section(doc: &Document) -> bool {
    doc.kind == Kind::Section && !doc.content_path.contains('/')
}

/// Give every document its language, from its file name; a code the site
/// does not have is an error naming the file.
fn assign_languages(docs: &mut [Document], languages: &Languages, report: &mut Report) {
    for doc in docs.iter_mut() {
        doc.lang = match lang_suffix(&doc.content_path) {
            None => languages.default.clone(),
            Some(code) => match languages.find(code) {
                Some(lang) if *lang != languages.default => lang.clone(),
                Some(_) => {
                    report.push(
                        Diagnostic::error(
                            "content",
                            format!(
                                "{code:?} is the default language: name the file {} instead",
                                without_lang(&doc.content_path)
                            ),
                        )
                        .in_file(&doc.source),
                    );
                    continue;
                }
                None => {
                    report.push(unknown_language(doc, code, languages));
                    continue;
                }
            },
        };
    }
}

fn unknown_language(doc: &Document, code: &str, languages: &Languages) -> Diagnostic {
    let known: Vec<&str> = std::iter::once(&languages.default)
        .chain(&languages.others)
        .map(|c| &**c)
        .collect();
    Diagnostic::error(
        "content",
        format!(
            "the file name says the language {code:?}, which config.toml does not have (it has {})",
            known.join(", ")
        ),
    )
    .in_file(&doc.source)
    .note(format!(
        "add [languages.{code}] to config.toml, or rename the file without \".{code}\""
    ))
}

/// Tell every document of a language group (the files that differ only in
/// their language code) about the others.
fn link_translations(content: &mut Content) {
    if content
        .docs
        .iter()
        .all(|d| lang_suffix(&d.content_path).is_none())
    {
        return;
    }
    let mut groups: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    for (i, d) in content.docs.iter().enumerate() {
        groups
            .entry(without_lang(&d.content_path).into_owned())
            .or_default()
            .push(i);
    }
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let mut list: Vec<Translation> = members
            .iter()
            .map(|&i| {
                let d = &content.docs[i];
                Translation {
                    lang: d.lang.clone(),
                    path: d.path.clone(),
                    title: d.title().to_string(),
                    doc: i,
                }
            })
            .collect();
        list.sort_by(|a, b| {
            let default =
                |t: &Translation| lang_suffix(&content.docs[t.doc].content_path).is_some();
            default(a)
                .cmp(&default(b))
                .then_with(|| a.lang.cmp(&b.lang))
        });
        let shared: Arc<[Translation]> = Arc::from(list);
        for &i in &members {
            content.docs[i].translations = Some(shared.clone());
        }
    }
}

/// A document not yet placed in the site (no URL, no tree).
fn new_document(
    found: &Found,
    source: PathBuf,
    front: Arc<str>,
    stamp: Stamp,
    may_cite: bool,
    meta: Arc<FrontMatter>,
) -> Document {
    Document {
        kind: if is_section_file(&found.rel) {
            Kind::Section
        } else {
            Kind::Page
        },
        source,
        content_path: found.rel.clone(),
        body_offset: front.len(),
        front,
        stamp,
        has_file: true,
        may_cite,
        meta,
        ..Document::default()
    }
}

fn check_section_only_keys(meta: &FrontMatter, text: &str) -> Result<(), Diagnostic> {
    for (key, present) in [
        ("sort_by", meta.sort_by.is_some()),
        ("page_template", meta.page_template.is_some()),
        ("paginate_by", meta.paginate_by.is_some()),
        ("paginate_path", meta.paginate_path.is_some()),
    ] {
        if present {
            let d = Diagnostic::error(
                "front-matter",
                format!("`{key}` is only valid in a section's _index.md, not in a page"),
            );
            return Err(match text.find(key) {
                Some(at) => d.at_offset(text, at),
                None => d,
            });
        }
    }
    Ok(())
}

/// Taxonomy terms classify pages; a section has none (as in Zola).
fn check_page_only_keys(meta: &FrontMatter, text: &str) -> Result<(), Diagnostic> {
    if meta.taxonomies.is_empty() {
        return Ok(());
    }
    let d = Diagnostic::error(
        "front-matter",
        "`taxonomies` is only valid in a page, not in a section's _index.md",
    )
    .note("list the section's pages under a term by giving each page the term");
    Err(match text.find("taxonomies") {
        Some(at) => d.at_offset(text, at),
        None => d,
    })
}

/// The title of a folder without `_index.md`: its name with separators as
/// spaces and a capital first letter (`field-notes` → "Field notes"); the root
/// has none (the site title stands in).
fn folder_title(dir: &str) -> String {
    let name = dir
        .rsplit('/')
        .next()
        .unwrap_or(dir)
        .replace(['-', '_'], " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Give every folder without `_index.md` a default section (the root included).
fn add_implicit_sections(docs: &mut Vec<Document>, dirs: &[String], languages: &Languages) {
    let existing: HashSet<(String, Arc<str>)> = docs
        .iter()
        .filter(|d| d.kind == Kind::Section)
        .map(|d| (section_dir(&d.content_path).to_string(), d.lang.clone()))
        .collect();
    // Every language but the default has sections only in the folders its documents are in.
    let mut wanted: Vec<(String, Arc<str>)> = dirs
        .iter()
        .map(|d| (d.clone(), languages.default.clone()))
        .collect();
    let mut others: HashSet<(String, Arc<str>)> = HashSet::new();
    for d in docs.iter().filter(|d| d.lang != languages.default) {
        let mut dir = match d.kind {
            Kind::Page => page_section_dir(&d.content_path),
            Kind::Section => section_dir(&d.content_path),
        };
        loop {
            others.insert((dir.to_string(), d.lang.clone()));
            if dir.is_empty() {
                break;
            }
            dir = dir.rsplit_once('/').map_or("", |(p, _)| p);
        }
    }
    let mut others: Vec<_> = others.into_iter().collect();
    others.sort();
    wanted.extend(others);
    for (dir, lang) in wanted {
        if existing.contains(&(dir.clone(), lang.clone()))
            || is_bundle_dir(docs, &dir)
            || inside_bundle(docs, &dir)
        {
            continue;
        }
        let name = if lang == languages.default {
            "_index.md".to_string()
        } else {
            format!("_index.{lang}.md")
        };
        let content_path = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        docs.push(Document {
            kind: Kind::Section,
            source: PathBuf::from(CONTENT_DIR).join(&content_path),
            content_path,
            front: Arc::from(""),
            meta: Arc::new(FrontMatter {
                title: (!dir.is_empty()).then(|| folder_title(&dir)),
                ..FrontMatter::default()
            }),
            lang,
            ..Document::default()
        });
    }
    // Root section first, then everything in content-path order: stable indexes.
    // Sorted as indexes, then moved in place: a Document is too big to shuffle.
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&docs[a].content_path, &docs[b].content_path);
        (a != "_index.md")
            .cmp(&(b != "_index.md"))
            .then_with(|| a.cmp(b))
    });
    permute(docs, &order);
}

/// Reorder `items` so that item `k` is the one that was at `order[k]`, in
/// place: each cycle of the permutation is a chain of swaps.
pub(crate) fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut k = start;
        while !placed[k] {
            placed[k] = true;
            let from = order[k];
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

/// A folder holding `index.md` is a page bundle, not a section.
fn is_bundle_dir(docs: &[Document], dir: &str) -> bool {
    let index = if dir.is_empty() {
        "index.md".to_string()
    } else {
        format!("{dir}/index.md")
    };
    docs.iter().any(|d| d.content_path == index)
}

fn inside_bundle(docs: &[Document], dir: &str) -> bool {
    let mut d = dir;
    while let Some((parent, _)) = d.rsplit_once('/') {
        if is_bundle_dir(docs, parent) {
            return true;
        }
        d = parent;
    }
    !dir.is_empty() && is_bundle_dir(docs, "")
}

/// Pages of a draft section are drafts too.
fn drop_pages_of_draft_sections(docs: &mut Vec<Document>, _dirs: &[String], drafts: bool) {
    if drafts {
        return;
    }
    let draft_dirs: Vec<String> = docs
        .iter()
        .filter(|d| d.kind == Kind::Section && d.meta.draft)
        .map(|d| section_dir(&d.content_path).to_string())
        .collect();
    docs.retain(|d| {
        !draft_dirs
            .iter()
            .any(|dir| !dir.is_empty() && d.content_path.starts_with(&format!("{dir}/")))
    });
}

/// The folder a section's `_index.md` (or `_index.fr.md`) describes (`""` for the root).
fn section_dir(content_path: &str) -> &str {
    content_path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Whether a page is a bundle's `index.md` (or `index.fr.md`).
fn is_bundle_index(content_path: &str) -> bool {
    let name = file_name(content_path);
    name == "index.md" || (name.starts_with("index.") && without_lang(name) == "index.md")
}

/// The folder a page lives in, which is also its section's folder (bundles: the bundle's parent).
fn page_section_dir(content_path: &str) -> &str {
    let file_dir = content_path.rsplit_once('/').map_or("", |(d, _)| d);
    if is_bundle_index(content_path) {
        file_dir.rsplit_once('/').map_or("", |(d, _)| d)
    } else {
        file_dir
    }
}

/// Work out each document's slug and URL path; two documents on one URL are an error.
fn assign_urls(content: &mut Content, report: &mut Report) {
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    seen.reserve(content.docs.len());
    // Many documents share a folder: slugify each folder's path once.
    let mut folder_urls: FxHashMap<String, String> = FxHashMap::default();
    for i in 0..content.docs.len() {
        let doc = &content.docs[i];
        let (parent_dir, own_name) = url_parts(doc);
        let slug = match &doc.meta.slug {
            Some(s) => slug::slugify(s),
            None => slug::slugify(own_name),
        };
        if !folder_urls.contains_key(parent_dir) {
            folder_urls.insert(parent_dir.to_string(), folder_url(parent_dir));
        }
        let parent_url = &folder_urls[parent_dir];
        // Another language's documents live under its code: `/fr/…`.
        let lang_folder = match lang_suffix(&doc.content_path) {
            Some(_) => [&*doc.lang, "/"].concat(),
            None => String::new(),
        };
        let path = if is_root_section(doc) {
            lang_folder
        } else if slug.is_empty() {
            lang_folder + parent_url
        } else {
            let mut path =
                String::with_capacity(lang_folder.len() + parent_url.len() + slug.len() + 1);
            path.push_str(&lang_folder);
            path.push_str(parent_url);
            path.push_str(&slug);
            path.push('/');
            path
        };
        if let Some(&other) = seen.get(&path) {
            let other_src = content.docs[other].source.display().to_string();
            report.push(
                Diagnostic::error(
                    "content",
                    format!("{} and {} both produce the URL /{}", other_src, doc.source.display(), path),
                )
                .in_file(&doc.source)
                .note("rename one of them or give it a different `slug`; names that differ only in case also clash"),
            );
            continue;
        }
        seen.insert(path.clone(), i);
        let doc = &mut content.docs[i];
        doc.slug = slug;
        doc.path = path;
    }
    content.by_url_path = seen;
    content.by_content_path = content
        .docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.content_path.clone(), i))
        .collect();
}

/// The folder whose URL a document's URL starts with, and the name its slug
/// comes from when it sets none.
fn url_parts(doc: &Document) -> (&str, &str) {
    match doc.kind {
        Kind::Section => {
            let dir = section_dir(&doc.content_path);
            dir.rsplit_once('/').unwrap_or(("", dir))
        }
        Kind::Page => {
            let dir = page_section_dir(&doc.content_path);
            let path = &doc.content_path;
            let stem = if is_bundle_index(path) && path.contains('/') {
                path.rsplit_once('/')
                    .and_then(|(d, _)| d.rsplit('/').next())
            } else {
                let name = file_name(path);
                let name = name.strip_suffix(".md").unwrap_or(name);
                match lang_suffix(path) {
                    Some(code) => name.strip_suffix(code).map(|n| n.trim_end_matches('.')),
                    None => Some(name),
                }
            };
            (dir, stem.unwrap_or(""))
        }
    }
}

/// The URL path of a content folder: each part slugified, each followed by `/`.
fn folder_url(dir: &str) -> String {
    dir.split('/')
        .filter(|p| !p.is_empty())
        .map(|p| slug::slugify(p) + "/")
        .collect()
}

/// Link pages and subsections to their sections, and sort them.
fn build_tree(content: &mut Content) {
    let parents = parent_sections(&content.docs);
    for (i, parent) in parents.into_iter().enumerate() {
        content.docs[i].parent = parent;
        if let Some(p) = parent {
            match content.docs[i].kind {
                Kind::Page => content.docs[p].pages.push(i),
                Kind::Section => content.docs[p].subsections.push(i),
            }
        }
    }
    // Sections sort their pages in parallel.
    let mut lists: Vec<(usize, Vec<usize>)> = content
        .docs
        .iter_mut()
        .enumerate()
        .filter(|(_, d)| d.kind == Kind::Section)
        .map(|(s, d)| (s, std::mem::take(&mut d.pages)))
        .collect();
    let docs = &content.docs;
    lists.par_iter_mut().for_each(|(s, pages)| {
        sort_pages(docs, pages, docs[*s].meta.sort_by.unwrap_or_default());
    });
    for (s, pages) in lists {
        content.docs[s].pages = pages;
    }
}

/// The section each document belongs to (none for the root section).
fn parent_sections(docs: &[Document]) -> Vec<Option<usize>> {
    let section_of_dir: HashMap<(&str, &str), usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == Kind::Section)
        .map(|(i, d)| ((section_dir(&d.content_path), &*d.lang), i))
        .collect();
    docs.iter()
        .map(|doc| {
            let parent_dir = match doc.kind {
                Kind::Page => page_section_dir(&doc.content_path),
                Kind::Section if is_root_section(doc) => return None,
                Kind::Section => section_dir(&doc.content_path)
                    .rsplit_once('/')
                    .map_or("", |(p, _)| p),
            };
            nearest_section(&section_of_dir, parent_dir, &doc.lang)
        })
        .collect()
}

fn nearest_section(
    section_of_dir: &HashMap<(&str, &str), usize>,
    dir: &str,
    lang: &str,
) -> Option<usize> {
    let mut d = dir;
    loop {
        if let Some(&s) = section_of_dir.get(&(d, lang)) {
            return Some(s);
        }
        if d.is_empty() {
            return None;
        }
        d = d.rsplit_once('/').map_or("", |(p, _)| p);
    }
}

/// Order a section's pages; ties always fall back to the URL path, so the
/// order is total. Keys are gathered first: comparing them side by side is
/// quicker than reaching into two documents for every comparison.
pub(crate) fn sort_pages(docs: &[Document], pages: &mut [usize], sort_by: SortBy) {
    match sort_by {
        SortBy::Date => pages
            .sort_by_cached_key(|&p| (Reverse(docs[p].meta.date.as_ref()), docs[p].path.as_str())),
        SortBy::Weight => pages.sort_by_cached_key(|&p| {
            let weight = docs[p].meta.weight;
            (weight.is_none(), weight, docs[p].path.as_str())
        }),
        SortBy::Title => {
            pages.sort_by_cached_key(|&p| (docs[p].title().to_lowercase(), docs[p].path.as_str()))
        }
        SortBy::None => {
            pages.sort_unstable_by(|&a, &b| docs[a].content_path.cmp(&docs[b].content_path))
        }
    }
}

/// Where an archive file lives: relative to the folder of the file declaring it.
pub fn archive_path(root: &Path, declaring_file: &Path, archive: &str) -> PathBuf {
    let dir = declaring_file.parent().unwrap_or(Path::new(""));
    root.join(dir).join(archive)
}

/// Give page bundles and sections the non-Markdown files of their folders, except archives.
fn attach_assets(content: &mut Content, others: &[Found]) {
    let archives: HashSet<PathBuf> = content
        .docs
        .iter()
        .flat_map(|d| {
            d.meta
                .sources
                .iter()
                .filter_map(|s| s.archive.as_ref())
                .map(|a| {
                    archive_path(&content.root, &d.source, a)
                        .canonicalize()
                        .unwrap_or_default()
                })
        })
        .collect();
    // Each language version of a section or bundle gets the folder's files.
    let mut owners_of_dir: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, d) in content.docs.iter().enumerate() {
        let dir = match d.kind {
            Kind::Section => section_dir(&d.content_path),
            Kind::Page if is_bundle_index(&d.content_path) => {
                d.content_path.rsplit_once('/').map_or("", |(dir, _)| dir)
            }
            Kind::Page => continue,
        };
        owners_of_dir.entry(dir.to_string()).or_default().push(i);
    }
    for f in others {
        if archives.contains(&f.abs.canonicalize().unwrap_or_default()) {
            continue;
        }
        let dir = f.rel.rsplit_once('/').map_or("", |(d, _)| d);
        for &owner in owners_of_dir.get(dir).into_iter().flatten() {
            content.docs[owner].assets.push(f.abs.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{permute, read_input, read_scanned_input};
    use proptest::prelude::*;

    #[test]
    fn a_scanned_file_is_read_whole_whatever_size_the_scan_saw() {
        let dir = tempfile::tempdir().unwrap();
        for size in [0usize, 1, 4096, 70_000] {
            let path = dir.path().join(format!("f{size}"));
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            // The file as scanned, grown since, and shrunk since.
            for seen in [size, 0, size / 2, size + 1, size * 3 + 7] {
                let read = read_scanned_input(&path, seen as u64).unwrap();
                assert_eq!(read, bytes, "{size} bytes, scanned at {seen}");
            }
        }
        let huge = super::MAX_INPUT_BYTES + 1;
        let path = dir.path().join("f0");
        assert!(read_scanned_input(&path, huge).is_err());
    }

    #[test]
    fn read_input_reads_every_byte_whatever_the_size() {
        let dir = tempfile::tempdir().unwrap();
        for size in [0, 1, 4095, 4096, 4097, 65_536, 1 << 20] {
            let path = dir.path().join(format!("f{size}"));
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(read_input(&path).unwrap(), bytes, "{size} bytes");
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn read_input_reads_past_a_size_the_stat_got_wrong() {
        // /proc files say they are empty and are not.
        let path = std::path::Path::new("/proc/self/cmdline");
        let read = read_input(path).unwrap();
        assert!(!read.is_empty());
        assert_eq!(read, std::fs::read(path).unwrap());
    }

    proptest! {
        #[test]
        fn permute_in_place_moves_each_item_where_the_order_says(
            order in (0..40usize).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut permuted = items;
            permute(&mut permuted, &order);
            prop_assert_eq!(permuted, expected);
        }
    }
}
