//! Pagination (Zola's `paginate_by`): a long list of pages split over
//! listing pages `/section/`, `/section/page/2/`…, each rendered with a
//! `paginator` object, and `/section/page/1/` redirecting to the first.
//!
//! Used by sections (front matter) and taxonomy terms (config.toml).

use crate::content::{Content, Document};
use crate::diagnostics::Diagnostic;
use crate::render::{RenderJob, Sink};
use crate::stamp::{Fingerprint, Hash};
use crate::urls::Urls;
use rayon::prelude::*;
use serde::Serialize;
use std::ops::Range;
use tera::Value;

/// The folder of later listing pages when none is given.
pub const DEFAULT_PAGINATE_PATH: &str = "page";

/// One listing page of a paginated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// 1-based, as templates see it.
    pub index: usize,
    /// Site path of the listing page (`posts/`, `posts/page/2/`).
    pub path: String,
    /// Which items of the whole list it shows.
    pub items: Range<usize>,
}

impl Pager {
    /// The output file of the listing page.
    pub fn output_file(&self) -> String {
        [self.path.as_str(), "index.html"].concat()
    }
}

/// The listing pages of `count` items, `per` on each, the first at `first_path`;
/// an empty list still has one (empty) listing page.
pub fn pagers(first_path: &str, paginate_path: &str, count: usize, per: usize) -> Vec<Pager> {
    let per = per.max(1);
    let total = count.div_ceil(per).max(1);
    (1..=total)
        .map(|index| Pager {
            index,
            path: if index == 1 {
                first_path.to_string()
            } else {
                format!("{first_path}{paginate_path}/{index}/")
            },
            items: (index - 1) * per..(index * per).min(count),
        })
        .collect()
}

/// Where `/section/page/1/` is written: it redirects to the first listing page.
pub fn first_redirect(first_path: &str, paginate_path: &str) -> (String, String) {
    let path = format!("{first_path}{paginate_path}/1/");
    let output = format!("{path}index.html");
    (path, output)
}

/// The `paginator` object of Zola's templates.
#[derive(Serialize)]
struct Paginator {
    paginate_by: usize,
    base_url: String,
    number_pagers: usize,
    first: String,
    last: String,
    previous: Option<String>,
    next: Option<String>,
    pages: Vec<Value>,
    current_index: usize,
    /// The number of items over all listing pages (Zola's meaning).
    total_pages: usize,
}

/// The `paginator` of listing page `current` (0-based into `pagers`), with `pages` its items.
pub fn paginator(
    pagers: &[Pager],
    current: usize,
    per: usize,
    paginate_path: &str,
    urls: &Urls,
    pages: Vec<Value>,
) -> Value {
    let link = |k: usize| urls.permalink(&pagers[k].path);
    let total = pagers.last().map_or(0, |p| p.items.end);
    Value::from_serializable(&Paginator {
        paginate_by: per,
        base_url: urls.permalink(&format!("{}{paginate_path}/", pagers[0].path)),
        number_pagers: pagers.len(),
        first: link(0),
        last: link(pagers.len() - 1),
        previous: current.checked_sub(1).map(link),
        next: (current + 1 < pagers.len()).then(|| link(current + 1)),
        pages,
        current_index: current + 1,
        total_pages: total,
    })
}

/// Check `paginate_by`/`paginate_path` of a section: a positive count, a
/// one-segment folder, and no listing page on the address of a document.
pub fn check_section(content: &Content, doc: &Document) -> Result<(), Diagnostic> {
    let Some(per) = doc.meta.paginate_by else {
        return Ok(());
    };
    let at = |key: &str, message: String| {
        let d = Diagnostic::error("pagination", message).in_file(&doc.source);
        match doc.front.find(key) {
            Some(i) => d.at_offset(&doc.front, i),
            None => d,
        }
    };
    if per == 0 {
        return Err(at(
            "paginate_by",
            "paginate_by must be at least 1".to_string(),
        ));
    }
    let paginate_path = section_paginate_path(doc);
    check_paginate_path(paginate_path).map_err(|why| at("paginate_path", why))?;
    let pagers = pagers(&doc.path, paginate_path, doc.pages.len(), per);
    let (redirect, _) = first_redirect(&doc.path, paginate_path);
    for path in pagers.iter().skip(1).map(|p| &p.path).chain([&redirect]) {
        if let Some(&other) = content.by_url_path.get(path) {
            return Err(at(
                "paginate_by",
                format!("the listing page /{path} is also the address of a page"),
            )
            .note(format!(
                "{} is built there; set another paginate_path",
                content.docs[other].source.display()
            )));
        }
    }
    Ok(())
}

/// A section's `paginate_path`, or the default.
pub fn section_paginate_path(doc: &Document) -> &str {
    doc.meta
        .paginate_path
        .as_deref()
        .unwrap_or(DEFAULT_PAGINATE_PATH)
}

/// A `paginate_path` must be one folder name that stays a folder name in a URL.
pub fn check_paginate_path(path: &str) -> Result<(), String> {
    let ok = !path.is_empty()
        && path != "."
        && path != ".."
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad paginate_path {path:?}: it must be one folder name of letters, digits, `-`, `_` or `.`"
        ))
    }
}

/// One file of a paginated section that must be written.
pub(crate) enum Piece {
    /// Listing page `k` (0-based), built from inputs with fingerprint `fp`.
    Pager { k: usize, fp: Hash },
    /// The redirect from `…/page/1/` to the first listing page.
    Redirect(crate::render::OutputFile),
}

/// The fingerprint of listing page `k` of a list whose inputs have `list`.
pub(crate) fn pager_fingerprint(list: &Hash, k: usize) -> Hash {
    Fingerprint::new("pager").bytes(list).u64(k as u64).finish()
}

impl RenderJob<'_> {
    /// The listing pages of paginated section `i` (inputs `fp`) the sink
    /// does not keep; an error when its pagination settings are wrong.
    pub(crate) fn pieces_to_render(
        &self,
        i: usize,
        fp: Hash,
        sink: &dyn Sink,
    ) -> Result<Vec<Piece>, Diagnostic> {
        let doc = &self.content.docs[i];
        check_section(self.content, doc)?;
        let per = doc.meta.paginate_by.unwrap_or(1);
        let paginate_path = section_paginate_path(doc);
        let all = pagers(&doc.path, paginate_path, doc.pages.len(), per);
        let mut pieces: Vec<Piece> = all
            .iter()
            .enumerate()
            .map(|(k, pager)| (k, pager, pager_fingerprint(&fp, k)))
            .filter(|(_, pager, fp)| !sink.keep(&pager.output_file(), fp))
            .map(|(k, _, fp)| Piece::Pager { k, fp })
            .collect();
        let (from, output) = first_redirect(&doc.path, paginate_path);
        let redirect = self.redirect(&from, &output, &doc.path, doc.title());
        if !redirect
            .fingerprint
            .is_some_and(|fp| sink.keep(&output, &fp))
        {
            pieces.push(Piece::Redirect(redirect));
        }
        Ok(pieces)
    }

    /// Write `pieces` of paginated section `i`, its pages' objects in `values`.
    pub(crate) fn render_pieces(
        &self,
        i: usize,
        pieces: &[Piece],
        html: &str,
        values: &[Option<Value>],
        sink: &dyn Sink,
    ) -> Vec<Diagnostic> {
        let doc = &self.content.docs[i];
        let template = match self.check_template(doc) {
            Ok(t) => t,
            Err(d) => return vec![d],
        };
        let per = doc.meta.paginate_by.unwrap_or(1);
        let paginate_path = section_paginate_path(doc);
        let all = pagers(&doc.path, paginate_path, doc.pages.len(), per);
        // As in Zola, a paginated section's own object lists no pages: they are the paginator's.
        let mut section = crate::listing::with_listing(i, self.content, values)
            .into_map()
            .unwrap_or_default();
        section.insert("pages".into(), Value::from(Vec::<Value>::new()));
        let section = Value::from(section);
        pieces
            .par_iter()
            .filter_map(|piece| {
                let (k, fp) = match piece {
                    Piece::Redirect(file) => {
                        sink.put(file.clone());
                        return None;
                    }
                    Piece::Pager { k, fp } => (*k, *fp),
                };
                let pager = &all[k];
                let pages = doc.pages[pager.items.clone()]
                    .iter()
                    .map(|&p| values[p].clone().unwrap_or_else(Value::none))
                    .collect();
                let mut ctx = self.document_context(i, section.clone(), html, &template);
                let value = paginator(&all, k, per, paginate_path, self.view.urls, pages);
                ctx.insert_value("paginator", value);
                ctx.insert("current_path", &pager.path);
                self.put_listing(&template, &ctx, &doc.source, &pager.path, fp, sink)
                    .err()
            })
            .collect()
    }

    /// Site paths of the later listing pages of paginated sections (no
    /// document of their own; see [`crate::taxonomies::listing_paths`] for
    /// the taxonomies' pages).
    pub(crate) fn listing_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (_, doc) in self.content.sections() {
            if let Some(per) = doc.meta.paginate_by {
                let all = pagers(&doc.path, section_paginate_path(doc), doc.pages.len(), per);
                out.extend(all.into_iter().skip(1).map(|p| p.path));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_split_over_listing_pages_the_first_at_the_section() {
        let p = pagers("posts/", "page", 5, 2);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].path, "posts/");
        assert_eq!(p[0].items, 0..2);
        assert_eq!(p[1].path, "posts/page/2/");
        assert_eq!(p[2].items, 4..5);
        assert_eq!(p[2].output_file(), "posts/page/3/index.html");
        let empty = pagers("", "page", 0, 10);
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].items, 0..0);
    }

    #[test]
    fn paginator_links_neighbours() {
        let urls = Urls::new("https://x.org/", Default::default());
        let p = pagers("posts/", "page", 5, 2);
        let v = paginator(&p, 1, 2, "page", &urls, vec![]);
        let get = |k: &str| v.get_from_path(k).cloned().unwrap_or(Value::none());
        assert_eq!(get("previous"), Value::from("https://x.org/posts/"));
        assert_eq!(get("next"), Value::from("https://x.org/posts/page/3/"));
        assert_eq!(get("current_index"), Value::from(2));
        assert_eq!(get("total_pages"), Value::from(5));
        assert_eq!(get("number_pagers"), Value::from(3));
        assert_eq!(get("base_url"), Value::from("https://x.org/posts/page/"));
        let first = paginator(&p, 0, 2, "page", &urls, vec![]);
        assert_eq!(first.get_from_path("previous"), Some(&Value::none()));
    }

    #[test]
    fn paginate_path_is_one_folder() {
        assert!(check_paginate_path("page").is_ok());
        for bad in ["", "a/b", "..", "a b", "p?x"] {
            assert!(check_paginate_path(bad).is_err(), "{bad:?}");
        }
    }
}
