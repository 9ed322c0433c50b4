//! Taxonomies (Zola's names and syntax): `taxonomies = [{ name = "tags" }]`
//! in config.toml declares one, `[taxonomies] tags = ["drones"]` in a page's
//! front matter puts the page under a term. Each taxonomy gets a list of its
//! terms (`/tags/`), each term a page listing its pages (`/tags/drones/`,
//! paginated when asked) and, when asked and the site has a `base_url`, an
//! Atom feed (`/tags/drones/atom.xml`).

use crate::config::Config;
use crate::content::{Content, Document};
use crate::diagnostics::Diagnostic;
use crate::frontmatter::SortBy;
use crate::markdown::Facts;
use crate::pagination::{first_redirect, pager_fingerprint, pagers, paginator};
use crate::render::{Contents, OutputFile, RenderJob, Sink};
use crate::stamp::{Fingerprint, Hash};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tera::Value;

/// One entry of `taxonomies = […]` in config.toml.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyConfig {
    pub name: String,
    /// Pages per listing page of a term; all on one when unset.
    #[serde(default)]
    pub paginate_by: Option<usize>,
    /// The folder of a term's later listing pages (`/tags/x/page/2/`).
    #[serde(default = "default_paginate_path")]
    pub paginate_path: String,
    /// Whether each term gets an Atom feed (needs a `base_url`).
    #[serde(default)]
    pub feed: bool,
    /// Whether the list and term pages are written at all.
    #[serde(default = "yes")]
    pub render: bool,
}

fn default_paginate_path() -> String {
    crate::pagination::DEFAULT_PAGINATE_PATH.to_string()
}

fn yes() -> bool {
    true
}

/// A declared taxonomy and the terms pages gave it.
#[derive(Debug)]
pub struct Taxonomy<'a> {
    pub config: &'a TaxonomyConfig,
    /// Site path of the list of terms (`tags/`).
    pub path: String,
    /// Sorted by name (case-insensitive), then slug.
    pub terms: Vec<Term>,
}

/// One term of a taxonomy and its pages.
#[derive(Debug)]
pub struct Term {
    /// The name as first written in a page.
    pub name: String,
    pub slug: String,
    /// Site path of the term page (`tags/drones/`).
    pub path: String,
    /// The pages under the term, newest first (as `sort_by = "date"`).
    pub pages: Vec<usize>,
}

/// Site paths of every page of the rendered taxonomies: each list of terms
/// and every listing page of each term.
pub(crate) fn listing_paths(taxonomies: &[Taxonomy<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    for t in taxonomies.iter().filter(|t| t.config.render) {
        out.push(t.path.clone());
        for term in &t.terms {
            let per = t.config.paginate_by.unwrap_or(usize::MAX);
            let all = pagers(&term.path, &t.config.paginate_path, term.pages.len(), per);
            out.extend(all.into_iter().map(|p| p.path));
        }
    }
    out
}

/// Validate `taxonomies = […]` of config.toml (its text `text`).
pub fn check_config(list: &[TaxonomyConfig], text: &str) -> Result<(), Diagnostic> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    // Declarations come in order: each name is looked for after the last.
    let mut cursor = text.find("taxonomies").unwrap_or(0);
    for t in list {
        let found = crate::diagnostics::find_from(text, &format!("\"{}\"", t.name), cursor);
        cursor = found.map_or(cursor, |i| i + 1);
        let at = |message: String| {
            let d = Diagnostic::error("config", message).in_file(crate::config::CONFIG_FILE);
            match found {
                Some(i) => d.at_offset(text, i + 1),
                None => d,
            }
        };
        let slug = slug::slugify(&t.name);
        if slug.is_empty() {
            return Err(at(format!(
                "taxonomy name {:?} has no letters or digits to make a URL of",
                t.name
            )));
        }
        if let Some(first) = seen.insert(slug.clone(), &t.name) {
            return Err(at(format!(
                "taxonomy {:?} is declared twice (as {first:?} too; both would be /{slug}/)",
                t.name
            )));
        }
        if t.paginate_by == Some(0) {
            return Err(at(format!(
                "taxonomy {:?}: paginate_by must be at least 1",
                t.name
            )));
        }
        crate::pagination::check_paginate_path(&t.paginate_path)
            .map_err(|why| at(format!("taxonomy {:?}: {why}", t.name)))?;
    }
    Ok(())
}

/// Every declared taxonomy with its terms; a page naming an undeclared
/// taxonomy, a term that makes no URL, and a list or term page on the
/// address of a document are errors.
pub fn collect<'a>(config: &'a Config, content: &Content) -> (Vec<Taxonomy<'a>>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let mut taxonomies: Vec<Taxonomy<'a>> = config
        .taxonomies
        .iter()
        .map(|c| Taxonomy {
            config: c,
            path: format!("{}/", slug::slugify(&c.name)),
            terms: Vec::new(),
        })
        .collect();
    let by_name: HashMap<&str, usize> = config
        .taxonomies
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut term_of: Vec<HashMap<String, usize>> = vec![HashMap::new(); taxonomies.len()];
    for (i, doc) in content.pages() {
        for (name, terms) in &doc.meta.taxonomies {
            let Some(&t) = by_name.get(name.as_str()) else {
                problems.push(unknown_taxonomy(doc, name, config));
                continue;
            };
            let taxonomy = &mut taxonomies[t];
            for term in terms {
                let slug = slug::slugify(term);
                if slug.is_empty() {
                    problems.push(at_term(
                        doc,
                        name,
                        term,
                        format!(
                            "term {term:?} of `{name}` has no letters or digits to make a URL of"
                        ),
                    ));
                    continue;
                }
                let k = *term_of[t].entry(slug.clone()).or_insert_with(|| {
                    taxonomy.terms.push(Term {
                        name: term.clone(),
                        path: format!("{}{slug}/", taxonomy.path),
                        slug,
                        pages: Vec::new(),
                    });
                    taxonomy.terms.len() - 1
                });
                let pages = &mut taxonomy.terms[k].pages;
                if pages.last() != Some(&i) {
                    pages.push(i);
                }
            }
        }
    }
    for taxonomy in &mut taxonomies {
        for term in &mut taxonomy.terms {
            crate::content::sort_pages(&content.docs, &mut term.pages, SortBy::Date);
        }
        taxonomy
            .terms
            .sort_by_cached_key(|t| (t.name.to_lowercase(), t.slug.clone()));
        if taxonomy.config.render {
            problems.extend(clashes(taxonomy, content));
        }
    }
    (taxonomies, problems)
}

/// A page naming a taxonomy config.toml does not declare.
fn unknown_taxonomy(doc: &Document, name: &str, config: &Config) -> Diagnostic {
    let known: Vec<&str> = config.taxonomies.iter().map(|t| t.name.as_str()).collect();
    let d = Diagnostic::error(
        "taxonomy",
        format!("unknown taxonomy `{name}`: config.toml does not declare it"),
    )
    .in_file(&doc.source);
    let d = match key_offset(&doc.front, name) {
        Some(at) => d.at_offset(&doc.front, at),
        None => d,
    };
    let d = d.note(format!(
        "declare it in config.toml: taxonomies = [{{ name = \"{name}\" }}]"
    ));
    if known.is_empty() {
        d
    } else {
        d.note(format!("declared taxonomies: {}", known.join(", ")))
    }
}

fn at_term(doc: &Document, name: &str, term: &str, message: String) -> Diagnostic {
    let d = Diagnostic::error("taxonomy", message).in_file(&doc.source);
    let from = key_offset(&doc.front, name).unwrap_or(0);
    let found = crate::diagnostics::find_from(&doc.front, term, from);
    match found.or(key_offset(&doc.front, name)) {
        Some(at) => d.at_offset(&doc.front, at),
        None => d,
    }
}

/// Where taxonomy `name` is written in a page's front matter: after the
/// `taxonomies` key (TOML table or YAML mapping).
fn key_offset(front: &str, name: &str) -> Option<usize> {
    let start = front.find("taxonomies")?;
    crate::diagnostics::find_from(front, name, start + "taxonomies".len()).or(Some(start))
}

/// List and term pages that would land on the address of a document.
fn clashes(taxonomy: &Taxonomy<'_>, content: &Content) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let paths = std::iter::once((&taxonomy.path, "the list of terms")).chain(
        taxonomy
            .terms
            .iter()
            .map(|t| (&t.path, "the page of a term")),
    );
    for (path, what) in paths {
        if let Some(&other) = content.by_url_path.get(path) {
            let doc = &content.docs[other];
            out.push(
                Diagnostic::error(
                    "taxonomy",
                    format!(
                        "/{path} is {what} of taxonomy `{}` and the address of {}",
                        taxonomy.config.name,
                        doc.source.display()
                    ),
                )
                .in_file(&doc.source)
                .note("rename the taxonomy in config.toml or move the page"),
            );
        }
    }
    out
}

/// One file of a taxonomy to write.
enum Out<'t> {
    /// The list of terms of a taxonomy.
    List(&'t Taxonomy<'t>),
    /// Listing page `k` of a term.
    Term(&'t Taxonomy<'t>, &'t Term, usize),
    /// The redirect from a paginated term's `page/1/`.
    Redirect(OutputFile),
    /// The Atom feed of a term.
    Feed(&'t Taxonomy<'t>, &'t Term),
}

/// The `taxonomy` object of the taxonomy templates.
#[derive(Serialize)]
struct TaxonomyView<'a> {
    name: &'a str,
    slug: &'a str,
    path: String,
    permalink: String,
    paginate_by: Option<usize>,
    paginate_path: &'a str,
    feed: bool,
    render: bool,
}

impl RenderJob<'_> {
    /// Write the list, term pages and feeds of every rendered taxonomy the
    /// sink does not keep.
    pub(crate) fn put_taxonomies(
        &self,
        taxonomies: &[Taxonomy<'_>],
        facts: &[Arc<Facts>],
        digests: &[Hash],
        sink: &dyn Sink,
    ) -> Vec<Diagnostic> {
        let mut todo: Vec<(Out<'_>, Hash)> = Vec::new();
        for t in taxonomies.iter().filter(|t| t.config.render) {
            let list = t.terms.iter().fold(
                Fingerprint::new("taxonomy-list")
                    .bytes(self.global())
                    .str(&t.path),
                |f, term| listed_part(f, term, digests),
            );
            let list = list.finish();
            if !sink.keep(&[t.path.as_str(), "index.html"].concat(), &list) {
                todo.push((Out::List(t), list));
            }
            for term in &t.terms {
                self.term_outputs(t, term, facts, digests, sink, &mut todo);
            }
        }
        if todo.is_empty() {
            return Vec::new();
        }
        let mut wanted = vec![false; self.content.docs.len()];
        for (out, _) in &todo {
            let terms: Vec<&Term> = match out {
                Out::List(t) => t.terms.iter().collect(),
                Out::Term(_, term, _) => vec![term],
                Out::Redirect(_) | Out::Feed(..) => Vec::new(),
            };
            for p in terms.into_iter().flat_map(|term| &term.pages) {
                wanted[*p] = true;
            }
        }
        let values = crate::listing::summaries(
            self.content,
            facts,
            self.view.urls,
            self.templates.fields,
            &wanted,
        );
        todo.par_iter()
            .filter_map(|(out, fp)| self.put_taxonomy_file(out, *fp, &values, sink).err())
            .collect()
    }

    /// The term's listing pages, page-1 redirect and feed the sink does not keep.
    fn term_outputs<'t>(
        &self,
        t: &'t Taxonomy<'t>,
        term: &'t Term,
        facts: &[Arc<Facts>],
        digests: &[Hash],
        sink: &dyn Sink,
        todo: &mut Vec<(Out<'t>, Hash)>,
    ) {
        let base = Fingerprint::new("taxonomy-term")
            .bytes(self.global())
            .str(&t.config.name);
        let fp = listed_part(base, term, digests).finish();
        let per = t.config.paginate_by.unwrap_or(usize::MAX);
        let all = pagers(&term.path, &t.config.paginate_path, term.pages.len(), per);
        for (k, pager) in all.iter().enumerate() {
            let fp = pager_fingerprint(&fp, k);
            if !sink.keep(&pager.output_file(), &fp) {
                todo.push((Out::Term(t, term, k), fp));
            }
        }
        if t.config.paginate_by.is_some() {
            let (from, output) = first_redirect(&term.path, &t.config.paginate_path);
            let file = self.redirect(&from, &output, &term.path, &term.name);
            if let Some(fp) = file.fingerprint
                && !sink.keep(&output, &fp)
            {
                todo.push((Out::Redirect(file), fp));
            }
        }
        if t.config.feed && self.config.base_url.is_some() {
            let entries = self.newest_dated(term.pages.iter().map(|&p| (p, &self.content.docs[p])));
            let fp = entries
                .iter()
                .fold(
                    Fingerprint::new("taxonomy-feed")
                        .bytes(self.global())
                        .str(&term.path)
                        .str(&term.name),
                    |f, &i| f.bytes(&self.fingerprint(i, &facts[i])),
                )
                .finish();
            if !sink.keep(&[term.path.as_str(), "atom.xml"].concat(), &fp) {
                todo.push((Out::Feed(t, term), fp));
            }
        }
    }

    fn put_taxonomy_file(
        &self,
        out: &Out<'_>,
        fp: Hash,
        values: &[Option<Value>],
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        let mut ctx = tera::Context::new();
        let (t, template, path) = match out {
            Out::Redirect(file) => {
                sink.put(file.clone());
                return Ok(());
            }
            Out::Feed(t, term) => return self.put_term_feed(t, term, fp, sink),
            Out::List(t) => {
                let terms: Vec<Value> = t
                    .terms
                    .iter()
                    .map(|term| self.term_value(term, Some(values)))
                    .collect();
                ctx.insert_value("terms", Value::from(terms));
                (t, "taxonomy_list.html", t.path.clone())
            }
            Out::Term(t, term, k) => {
                let path = self.put_term_context(t, term, *k, values, &mut ctx);
                (t, "taxonomy_single.html", path)
            }
        };
        ctx.insert("taxonomy", &self.taxonomy_view(t));
        ctx.insert("current_path", &path);
        ctx.insert("current_url", &self.view.urls.permalink(&path));
        let rendering = Path::new(crate::templates::TEMPLATES_DIR).join(template);
        self.put_listing(template, &ctx, &rendering, &path, fp, sink)
    }

    /// Put `term` (and, when paginated, the `paginator` of listing page `k`)
    /// into `ctx`; the site path of that listing page.
    fn put_term_context(
        &self,
        t: &Taxonomy<'_>,
        term: &Term,
        k: usize,
        values: &[Option<Value>],
        ctx: &mut tera::Context,
    ) -> String {
        let Some(per) = t.config.paginate_by else {
            ctx.insert_value("term", self.term_value(term, Some(values)));
            return term.path.clone();
        };
        let all = pagers(&term.path, &t.config.paginate_path, term.pages.len(), per);
        let pages = term.pages[all[k].items.clone()]
            .iter()
            .map(|&p| values[p].clone().unwrap_or_else(Value::none))
            .collect();
        let urls = self.view.urls;
        let paginator = paginator(&all, k, per, &t.config.paginate_path, urls, pages);
        ctx.insert_value("paginator", paginator);
        ctx.insert_value("term", self.term_value(term, None));
        all[k].path.clone()
    }

    /// A term as templates see it; its `pages` empty without `values` (a
    /// paginated term's pages are the paginator's).
    fn term_value(&self, term: &Term, values: Option<&[Option<Value>]>) -> Value {
        let permalink = self.view.urls.permalink(&term.path);
        let pages: Vec<Value> = values.map_or_else(Vec::new, |values| {
            term.pages
                .iter()
                .map(|&p| values[p].clone().unwrap_or_else(Value::none))
                .collect()
        });
        let mut map = tera::Map::new();
        map.insert("name".into(), Value::from(term.name.as_str()));
        map.insert("slug".into(), Value::from(term.slug.as_str()));
        map.insert("path".into(), Value::from(site_path(&permalink)));
        map.insert("permalink".into(), Value::from(permalink.as_str()));
        map.insert("pages".into(), Value::from(pages));
        map.insert("page_count".into(), Value::from(term.pages.len()));
        Value::from(map)
    }

    fn taxonomy_view<'a>(&self, t: &'a Taxonomy<'_>) -> TaxonomyView<'a> {
        let permalink = self.view.urls.permalink(&t.path);
        TaxonomyView {
            name: &t.config.name,
            slug: t.path.trim_end_matches('/'),
            path: site_path(&permalink),
            permalink,
            paginate_by: t.config.paginate_by,
            paginate_path: &t.config.paginate_path,
            feed: t.config.feed,
            render: t.config.render,
        }
    }

    /// The Atom feed of a term: its newest dated pages.
    fn put_term_feed(
        &self,
        t: &Taxonomy<'_>,
        term: &Term,
        fp: Hash,
        sink: &dyn Sink,
    ) -> Result<(), Diagnostic> {
        let entries = self.newest_dated(term.pages.iter().map(|&p| (p, &self.content.docs[p])));
        let mut html = HashMap::new();
        for &i in &entries {
            html.insert(i, self.body_html(i)?);
        }
        let title = format!("{} - {}: {}", self.config.title, t.config.name, term.name);
        let home = self.view.urls.permalink(&term.path);
        let xml = self.feed_at(&title, &home, &entries, &html);
        sink.put(OutputFile {
            path: [term.path.as_str(), "atom.xml"].concat(),
            contents: Contents::Bytes(xml.into_bytes()),
            fingerprint: Some(fp),
        });
        Ok(())
    }
}

/// A term's part of a fingerprint: its name, address and the listing
/// digests of its pages in order.
fn listed_part(f: Fingerprint, term: &Term, digests: &[Hash]) -> Fingerprint {
    term.pages
        .iter()
        .fold(f.str(&term.name).str(&term.path), |f, &p| {
            f.bytes(&digests[p])
        })
        .u64(term.pages.len() as u64)
}

/// The path part of a permalink, from the root of the host (`/sub/tags/`).
fn site_path(permalink: &str) -> String {
    format!(
        "/{}",
        crate::config::base_path_of(permalink).trim_start_matches('/')
    )
}

/// Register `get_taxonomy_url(kind=…, name=…)`: the permalink of a term of a
/// declared taxonomy (whether any page has the term is not checked).
pub fn register(tera: &mut tera::Tera, urls: crate::urls::Urls, declared: &[TaxonomyConfig]) {
    let names: Vec<String> = declared.iter().map(|t| t.name.clone()).collect();
    tera.register_function(
        "get_taxonomy_url",
        move |kwargs: tera::Kwargs, _: &tera::State| -> tera::TeraResult<String> {
            let kind: String = kwargs.must_get("kind")?;
            let name: String = kwargs.must_get("name")?;
            if !names.contains(&kind) {
                return Err(tera::Error::message(format!(
                    "get_taxonomy_url: config.toml declares no taxonomy {kind:?} (declared: {})",
                    names.join(", ")
                )));
            }
            let term = slug::slugify(&name);
            if term.is_empty() {
                return Err(tera::Error::message(format!(
                    "get_taxonomy_url: term {name:?} has no letters or digits to make a URL of"
                )));
            }
            Ok(urls.permalink(&format!("{}/{term}/", slug::slugify(&kind))))
        },
    );
}

/// Built-in templates for sites that declare taxonomies but lack their own.
pub const FALLBACKS: &[(&str, &str)] = &[
    (
        "taxonomy_list.html",
        include_str!("builtin/taxonomy_list.html"),
    ),
    (
        "taxonomy_single.html",
        include_str!("builtin/taxonomy_single.html"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_rejects_bad_declarations() {
        let parse = |t: &str| crate::config::Config::parse(t);
        assert!(
            parse("taxonomies = [{ name = \"tags\", feed = true, paginate_by = 5 }]\n").is_ok()
        );
        let twice = parse("taxonomies = [{ name = \"tags\" }, { name = \"Tags\" }]\n").unwrap_err();
        assert!(
            twice.message.contains("declared twice"),
            "{}",
            twice.message
        );
        assert_eq!(twice.line, Some(1));
        assert!(parse("taxonomies = [{ name = \"!!\" }]\n").is_err());
        assert!(parse("taxonomies = [{ name = \"t\", paginate_by = 0 }]\n").is_err());
        assert!(parse("taxonomies = [{ name = \"t\", paginate_path = \"a/b\" }]\n").is_err());
        assert!(parse("taxonomies = [{ name = \"t\", colour = 1 }]\n").is_err());
    }

    #[test]
    fn taxonomy_key_is_found_after_the_table() {
        let front = "+++\ntitle = \"tags\"\n[taxonomies]\ntags = [\"a\"]\n+++\n";
        let at = key_offset(front, "tags").unwrap();
        assert_eq!(&front[at..at + 6], "tags =");
    }
}
