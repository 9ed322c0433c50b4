//! The link check of what was published: every internal URL in every HTML
//! file the build writes (pages from the site's templates or the built-in
//! ones, aliases, 404, HTML copied from `static/` or a page bundle, and files
//! kept from the last build) must name a file the build wrote, and every
//! `#fragment` an `id` (or `<a name>`) in that file.
//!
//! Each HTML file is read once, for its start tags only ([`html_tags`]), as it goes to the sink
//! ([`Scanning`]), on the render pass's threads; a file kept from the last
//! build brings the scan remembered with it. A finding names the output file
//! and, where it can be traced, the Markdown (file:line:col) or template that
//! wrote the link.

use crate::content::Content;
use crate::diagnostics::Diagnostic;
use crate::lazy::Lazy;
use crate::markdown::{Facts, LinkContext};
use crate::render::{Contents, OutputFile, Sink, StaticFile};
use crate::stamp::Hash;
use crate::templates::Templates;
use crate::urls::{FileResolver, Resolver, Target, files_of};
use crate::verify::html_tags;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// What an HTML output file holds that links depend on.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageScan {
    /// Every `id`, and the `name` of every `<a>`, in the file.
    pub ids: Vec<String>,
    /// Every distinct URL of the file's URL attributes (`href`, `src`, each
    /// `srcset` candidate, …), entities decoded, in order.
    pub links: Vec<String>,
}

/// A scan as shared between the build, the link check and the cache: one
/// read from the cache stays encoded until something reads it, so an edit
/// build decodes only the scans the link check looks at.
pub type SharedScan = Arc<Lazy<PageScan>>;

impl PageScan {
    fn has_id(&self, id: &str) -> bool {
        self.ids.iter().any(|i| i == id)
    }
}

/// Whether an output path is an HTML file whose links are checked.
pub fn is_html(path: &str) -> bool {
    let ends_with = |suffix: &str| {
        let cut = path.len().saturating_sub(suffix.len());
        path.len() >= suffix.len() && path.as_bytes()[cut..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    ends_with(".html") || ends_with(".htm")
}

/// Read the ids and links of an HTML file (see [`html_tags`] for how it is read).
///
/// Of an attribute written twice on one tag only the first counts, as in a
/// browser; character references in values are decoded.
pub fn scan_html(html: &[u8]) -> PageScan {
    let mut scan = PageScan::default();
    let mut seen = FxHashSet::<String>::default();
    let mut add_link = |url: &str, links: &mut Vec<String>| {
        if !seen.contains(url) {
            seen.insert(url.to_string());
            links.push(url.to_string());
        }
    };
    html_tags::start_tags(html, |tag| {
        for (i, a) in tag.attributes.iter().enumerate() {
            let Some(name) = known_attribute(a.name) else {
                continue;
            };
            let first = !tag.attributes[..i]
                .iter()
                .any(|b| known_attribute(b.name) == Some(name));
            if !first || (name == "name" && !tag.name.eq_ignore_ascii_case(b"a")) {
                continue;
            }
            let value = attribute_text(a.value.unwrap_or_default());
            let value = html_escape::decode_html_entities(&value);
            match name {
                "id" | "name" => scan.ids.push(value.into_owned()),
                "srcset" => {
                    for candidate in value.split(',') {
                        if let Some(url) = candidate.split_whitespace().next() {
                            add_link(url, &mut scan.links);
                        }
                    }
                }
                _ => add_link(&value, &mut scan.links),
            }
        }
    });
    scan
}

/// The attribute `raw` names, lowercased, if it is `id`, `name` or a URL attribute.
fn known_attribute(raw: &[u8]) -> Option<&'static str> {
    let known = |name: &[u8]| {
        ["id", "name"]
            .iter()
            .chain(crate::markdown::rawhtml::URL_ATTRIBUTES)
            .find(|k| k.as_bytes().eq_ignore_ascii_case(name))
            .copied()
    };
    if raw.first().is_some_and(|c| !c.is_ascii()) {
        // lol_html decodes names as it does values (a byte order mark is dropped).
        return known(attribute_text(raw).as_bytes());
    }
    known(raw)
}

/// An attribute's bytes as text, decoded as lol_html's `Attribute::value`
/// does: UTF-8, a leading byte order mark sniffed, malformed bytes replaced.
fn attribute_text(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    encoding_rs::UTF_8.decode(raw).0
}

/// What a [`Scanning`] sink saw: the scan of every HTML file, and every file, by output path.
#[derive(Debug, Default)]
pub struct Written {
    pub pages: FxHashMap<String, SharedScan>,
    /// Every path written or kept, and how many times (more than once: two
    /// inputs, such as a static file and a page, claim the same path).
    pub files: FxHashMap<String, usize>,
    /// The HTML files rendered (not kept) in this run.
    pub fresh: FxHashSet<String>,
    /// The scans the last good build left of the files rendered in this run, by output path.
    pub before: FxHashMap<String, SharedScan>,
}

/// The scan the last good build left of an output file, by output path.
pub type Prior<'a> = Box<dyn Fn(&str) -> Option<SharedScan> + Sync + 'a>;

/// A sink that scans every HTML file on its way to the inner sink, and
/// takes a kept file's scan from `prior`. An HTML file without a remembered
/// scan is not kept: it is rendered again, and read.
pub struct Scanning<'a> {
    inner: &'a dyn Sink,
    prior: Prior<'a>,
    written: Mutex<Written>,
}

impl<'a> Scanning<'a> {
    /// `expected` is about how many files the build writes or keeps: the
    /// maps are made that big at once, not grown as files arrive.
    pub fn new(inner: &'a dyn Sink, prior: Prior<'a>, expected: usize) -> Scanning<'a> {
        Scanning {
            inner,
            prior,
            written: Mutex::new(Written {
                pages: FxHashMap::with_capacity_and_hasher(expected, Default::default()),
                files: FxHashMap::with_capacity_and_hasher(expected, Default::default()),
                ..Written::default()
            }),
        }
    }

    fn record(&self, path: &str, scan: Option<SharedScan>, fresh: bool) {
        let before = (fresh && scan.is_some())
            .then(|| (self.prior)(path))
            .flatten();
        // The keys are made before the lock is taken: every thread of the
        // render records here, once per file (10 000 times in an edit of a
        // 10 000-page site, when all but one page is kept).
        let key = path.to_string();
        let page = scan.map(|scan| (key.clone(), scan));
        let fresh = (fresh && page.is_some()).then(|| key.clone());
        let before = before.map(|before| (key.clone(), before));
        let mut w = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((path, scan)) = page {
            w.pages.insert(path, scan);
        }
        if let Some(path) = fresh {
            w.fresh.insert(path);
        }
        if let Some((path, before)) = before {
            w.before.insert(path, before);
        }
        *w.files.entry(key).or_default() += 1;
    }

    /// Everything written or kept.
    pub fn finish(self) -> Written {
        self.written.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for Scanning<'_> {
    fn put(&self, file: OutputFile) {
        let scan = is_html(&file.path).then(|| {
            Arc::new(Lazy::new(match &file.contents {
                Contents::Bytes(b) => scan_html(b),
                // Unreadable: the inner sink reports it.
                Contents::Copy(p) => {
                    std::fs::read(p).map_or_else(|_| PageScan::default(), |b| scan_html(&b))
                }
            }))
        });
        self.record(&file.path, scan, true);
        self.inner.put(file);
    }

    fn keep(&self, path: &str, fingerprint: &Hash) -> bool {
        let scan = if is_html(path) {
            match (self.prior)(path) {
                Some(s) => Some(s),
                None => return false,
            }
        } else {
            None
        };
        if !self.inner.keep(path, fingerprint) {
            return false;
        }
        self.record(path, scan, false);
        true
    }
}

/// What the check of the written files looks things up in.
pub struct Check<'a> {
    pub content: &'a Content,
    /// Every document's facts, indexed like `content.docs`.
    pub facts: &'a [Arc<Facts>],
    pub links: &'a (dyn LinkContext + Sync),
    pub templates: &'a Templates,
    pub static_files: &'a [StaticFile],
    pub resolver: &'a Resolver,
    pub written: &'a Written,
    /// The last good build wrote exactly the files this one did (see [`Check::to_check`]).
    pub same_files: bool,
}

/// One bad URL in one output file.
struct Bad<'a> {
    file: &'a str,
    href: &'a str,
    target: Target,
    why: String,
    note: Option<String>,
}

impl Check<'_> {
    /// Check every link of every HTML file that needs it; the findings.
    pub fn run(&self) -> Vec<Diagnostic> {
        let mut pages = self.to_check();
        pages.sort_by(|a, b| a.0.cmp(b.0));
        pages
            .par_iter()
            .flat_map_iter(|(file, scan)| {
                let in_file = self.resolver.in_file(file);
                scan.links
                    .iter()
                    .filter_map(|href| self.check_link(file, &in_file, href))
                    .map(|bad| self.locate(bad))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The HTML files whose links are checked: every one, or only those
    /// rendered in this run when a kept file's links cannot have changed
    /// their verdict since the last good build checked them. That holds when
    /// that build wrote exactly the same files, and every file rendered since
    /// has the ids it had then (a link's target file and its ids are all a
    /// verdict depends on; a kept file's links are as they were).
    fn to_check(&self) -> Vec<(&String, &SharedScan)> {
        let w = self.written;
        let same_ids = |path: &String| {
            let now = w.pages.get(path).map(|s| &s.ids);
            w.before
                .get(path)
                .is_some_and(|then| Some(&then.ids) == now)
        };
        let only_fresh = self.same_files && w.fresh.iter().all(same_ids);
        tracing::debug!(
            "links checked in {} of {} HTML files (same files as the last good build: {}; rendered with other ids: {:?})",
            if only_fresh {
                w.fresh.len()
            } else {
                w.pages.len()
            },
            w.pages.len(),
            self.same_files,
            w.fresh
                .iter()
                .filter(|p| !same_ids(p))
                .take(3)
                .collect::<Vec<_>>()
        );
        w.pages
            .iter()
            .filter(|(path, _)| !only_fresh || w.fresh.contains(*path))
            .collect()
    }

    /// The fault of `href` in `file`, if it has one.
    fn check_link<'a>(
        &self,
        file: &'a str,
        in_file: &FileResolver<'_>,
        href: &'a str,
    ) -> Option<Bad<'a>> {
        // An `@/` link to a content file that does not exist: reported where it is written.
        if href.starts_with("@/") {
            return None;
        }
        let target = in_file.resolve(href);
        let bad = |why: String, note: Option<String>, target: Target| {
            Some(Bad {
                file,
                href,
                target,
                why,
                note,
            })
        };
        match &target {
            Target::External | Target::Other => None,
            Target::Unsafe => bad(
                "`javascript:`, `data:` and `vbscript:` links are not allowed".into(),
                None,
                target,
            ),
            Target::Outside => bad("it leaves the site".into(), None, target),
            Target::Site { path, fragment } => {
                let Some(found) = files_of(path)
                    .into_iter()
                    .flatten()
                    .find(|f| self.written.files.contains_key(f))
                else {
                    let first = files_of(path)[0].clone().unwrap_or_default();
                    return bad(
                        format!("the build wrote no file /{first}"),
                        Some("link to a page, a file of static/ or of a page bundle, or a file the build generates".into()),
                        target,
                    );
                };
                let fragment = fragment
                    .as_deref()
                    .filter(|f| !f.is_empty() && *f != "top")?;
                let scan = self.written.pages.get(&found)?;
                if scan.has_id(fragment) {
                    return None;
                }
                let close = crate::verify::closest(fragment, scan.ids.iter().map(String::as_str))
                    .map(|b| format!("did you mean `#{b}`?"));
                bad(
                    format!("{found} has no element with id `{fragment}`"),
                    close,
                    target,
                )
            }
        }
    }

    /// The finding for `bad`, located where the link was written if that can be found.
    fn locate(&self, bad: Bad<'_>) -> Diagnostic {
        let message = if bad.target == Target::Unsafe {
            format!("unsafe link {:?}: {}", bad.href, bad.why)
        } else {
            format!("broken link {:?}: {}", bad.href, bad.why)
        };
        let mut d = Diagnostic::error("link", message);
        if let Some(n) = &bad.note {
            d = d.note(n.clone());
        }
        let page = bad.file.strip_suffix("index.html").unwrap_or(bad.file);
        let doc = (bad.file.ends_with("index.html") || bad.file.is_empty())
            .then(|| self.content.by_url_path.get(page).copied())
            .flatten();
        let d = d.note(format!("in the output file {}", bad.file));
        if let Some(i) = doc {
            if let Some(offset) = self.markdown_offset(i, bad.file, &bad.target) {
                let doc = &self.content.docs[i];
                return d
                    .in_file(&doc.source)
                    .at_offset(&self.content.text_of(doc), doc.body_offset + offset);
            }
            let (template, _) = crate::render::template_for(self.content, &self.content.docs[i]);
            return self.in_template(d, template, bad.href);
        }
        if bad.file == "404.html" {
            return self.in_template(d, "404.html", bad.href);
        }
        if self.static_files.iter().any(|f| f.rel == bad.file) {
            return d.in_file(std::path::Path::new(crate::render::STATIC_DIR).join(bad.file));
        }
        d
    }

    /// Where in document `doc`'s body a link or citation to `target` is written, if it is.
    fn markdown_offset(&self, doc: usize, file: &str, target: &Target) -> Option<usize> {
        let facts = &self.facts[doc];
        let rendered = |dest: &str| -> Option<String> {
            let Some(rest) = dest.strip_prefix("@/") else {
                return Some(dest.to_string());
            };
            let (path, fragment) = rest
                .split_once('#')
                .map_or((rest, None), |(p, f)| (p, Some(f)));
            let url = self.links.content_url(path)?;
            Some(fragment.map_or(url.clone(), |f| format!("{url}#{f}")))
        };
        let links = facts.links.iter().map(|l| (l.dest.clone(), l.offset));
        let citations = facts
            .citations
            .iter()
            .filter_map(|c| Some((self.links.citation(&c.source)?.0, c.offset)));
        links
            .map(|(dest, at)| (rendered(&dest), at))
            .chain(citations.map(|(href, at)| (Some(href), at)))
            .find(|(href, _)| {
                href.as_deref()
                    .is_some_and(|h| same_file(&self.resolver.resolve(file, h), target))
            })
            .map(|(_, at)| at)
    }

    /// `d` located in the template that wrote `href`: where the site's
    /// templates have it written out, else the template the page was rendered with.
    fn in_template(&self, d: Diagnostic, template: &str, href: &str) -> Diagnostic {
        let dir = std::path::Path::new(crate::templates::TEMPLATES_DIR);
        if let Some((name, text, at)) = self.templates.find_written(template, href) {
            return d.in_file(dir.join(name)).at_offset(text, at);
        }
        if self.templates.is_own(template) {
            return d.in_file(dir.join(template)).note(format!(
                "written by template {template} (or one it extends or includes)"
            ));
        }
        d.note(format!("written by the built-in {template} template"))
    }
}

/// Whether two targets name the same fragment of the same file (`a/` and `a/index.html`).
fn same_file(a: &Target, b: &Target) -> bool {
    fn file(path: &str) -> &str {
        match path.strip_suffix("index.html") {
            Some(dir) if dir.is_empty() || dir.ends_with('/') => dir,
            _ => path,
        }
    }
    match (a, b) {
        (
            Target::Site {
                path: p,
                fragment: f,
            },
            Target::Site {
                path: q,
                fragment: g,
            },
        ) => file(p) == file(q) && f == g,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_ids_names_and_every_url_attribute() {
        let scan = scan_html(
            br#"<h2 id="a&amp;b">x</h2><a name="n" href="/x/?a=1&amp;b=2">x</a><span name="no"></span><img src="i.png" srcset="s1.png 1x, s2.png 2x"><a href="/x/?a=1&amp;b=2">again</a><video poster="p.jpg"></video><!-- <a href="/c/"> --><script>var a = '<a href="/s/">';</script>"#,
        );
        assert_eq!(scan.ids, ["a&b", "n"]);
        assert_eq!(
            scan.links,
            ["/x/?a=1&b=2", "i.png", "s1.png", "s2.png", "p.jpg"]
        );
    }
}
