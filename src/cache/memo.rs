//! What the cache remembers: one memo per content file (its stamp, front
//! matter and facts), and the summary of the build that wrote it.

use super::layout::{Area, ReadFrom};
use crate::content::{self, Memory, Remembered};
use crate::frontmatter::FrontMatter;
use crate::markdown::Facts;
use crate::output::Manifest;
use crate::stamp::{Hash, Stamp, Stat, binary_identity};
use crate::verify::rendered::SharedScan;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::Arc;

/// What is remembered of one content file.
#[derive(Debug, Serialize, Deserialize)]
pub struct DocMemo {
    pub content_path: String,
    pub stamp: Stamp,
    /// The front matter with its fences.
    #[serde(deserialize_with = "shared::text")]
    pub front: Arc<str>,
    #[serde(deserialize_with = "shared::value")]
    pub meta: Arc<FrontMatter>,
    #[serde(deserialize_with = "shared::value")]
    pub facts: Arc<Facts>,
    /// The fingerprint of the global inputs the listing digest was computed under, and the digest.
    #[serde(with = "crate::stamp::hash_serde::pair")]
    pub digest: (Hash, Hash),
    /// The ids and links of the file the document was rendered to, when known.
    pub page: Option<SharedScan>,
    /// Where this memo's bytes are in the files it was read from, while it is unchanged.
    #[serde(skip)]
    pub(super) encoded: Option<(Area, Range<usize>)>,
}

impl DocMemo {
    pub fn new(
        content_path: String,
        stamp: Stamp,
        front: Arc<str>,
        meta: Arc<FrontMatter>,
        facts: Arc<Facts>,
        digest: (Hash, Hash),
        page: Option<SharedScan>,
    ) -> DocMemo {
        DocMemo {
            content_path,
            stamp,
            front,
            meta,
            facts,
            digest,
            page,
            encoded: None,
        }
    }
}

/// [`BuildCache::settled`] for a build that started at `started_ns`, the
/// memos found by `memo`: a file without one is taken as changed.
pub fn settled_with<'m>(
    started_ns: i64,
    scan: &content::Scan,
    newest_other: i64,
    memo: impl Fn(&str) -> Option<&'m DocMemo>,
) -> bool {
    trusted_since(started_ns, newest_other)
        && scan.markdown.iter().all(|f| {
            let stat = f.stat.unwrap_or_default();
            stat.trusted_since(started_ns)
                || memo(&f.rel).is_some_and(|m| {
                    m.stamp.stat == stat
                        && content::read_input(&f.abs)
                            .is_ok_and(|b| crate::stamp::hash(&b) == m.stamp.hash)
                })
        })
}

/// Whether every Markdown file of `scan` is old enough, against a build
/// that started at `started_ns`, for its stat to be trusted.
pub fn all_trusted_by_stat(started_ns: i64, scan: &content::Scan) -> bool {
    scan.markdown
        .iter()
        .all(|f| f.stat.unwrap_or_default().trusted_since(started_ns))
}

fn trusted_since(started_ns: i64, mtime_ns: i64) -> bool {
    Stat { size: 0, mtime_ns }.trusted_since(started_ns)
}

/// The state a build leaves for the next.
#[derive(Debug, Default)]
pub struct BuildCache {
    pub binary: Hash,
    /// When the build that wrote this started; files modified later are not trusted by stat.
    pub started_ns: i64,
    /// Fingerprint of every input's path and stat (see [`super::inputs`]).
    pub inputs: Hash,
    /// The build reported nothing (no warnings), so a no-op rebuild has nothing to repeat.
    pub clean: bool,
    pub pages: usize,
    pub sections: usize,
    pub base_url: String,
    pub docs: Vec<DocMemo>,
    pub outputs: Manifest,
    /// The ids and links of the HTML files the build wrote that are not a
    /// document's page (404, listing pages, HTML of static/), sorted by output path.
    pub other_pages: Vec<(String, SharedScan)>,
    pub(super) index: FxHashMap<String, usize>,
    /// The files the cache was read from, kept open: unchanged memos stay
    /// where they are, or are copied from them file to file.
    pub(super) read_from: Option<ReadFrom>,
}

impl BuildCache {
    pub fn new(started_ns: i64, inputs: Hash, docs: Vec<DocMemo>, outputs: Manifest) -> BuildCache {
        let mut cache = BuildCache {
            binary: binary_identity(),
            started_ns,
            inputs,
            clean: true,
            pages: 0,
            sections: 0,
            base_url: String::new(),
            docs,
            outputs,
            other_pages: Vec::new(),
            index: FxHashMap::default(),
            read_from: None,
        };
        cache.reindex();
        cache
    }

    pub(super) fn reindex(&mut self) {
        self.index = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.content_path.clone(), i))
            .collect();
    }

    /// What the cache remembers of the content file at `content_path`.
    pub fn memo(&self, content_path: &str) -> Option<&DocMemo> {
        self.index.get(content_path).map(|&i| &self.docs[i])
    }

    /// Whether every file of `scan` modified too recently for its stat to be
    /// trusted still has the contents this cache remembers; `newest_other` is the
    /// newest mtime among the inputs that are not Markdown (those are not hashed).
    pub fn settled(&self, scan: &content::Scan, newest_other: i64) -> bool {
        settled_with(self.started_ns, scan, newest_other, |path| self.memo(path))
    }

    /// Whether this cache remembers exactly the documents of `content` that
    /// have a file, in the same order (memos follow `content.docs`).
    fn same_documents(&self, content: &content::Content) -> bool {
        let files = content.docs.iter().filter(|d| d.has_file);
        files.clone().count() == self.docs.len()
            && files
                .zip(&self.docs)
                .all(|(d, m)| d.content_path == m.content_path)
    }

    /// Bring every memo up to date with a build of the same documents,
    /// copying only what changed; false (and nothing changed) if the
    /// documents are not the ones remembered.
    pub fn update(
        &mut self,
        content: &content::Content,
        facts: &[Arc<Facts>],
        digests: &[Hash],
        pages: &[Option<SharedScan>],
        global: Hash,
    ) -> bool {
        if !self.same_documents(content) {
            return false;
        }
        let files = content.docs.iter().enumerate().filter(|(_, d)| d.has_file);
        for ((i, doc), memo) in files.zip(self.docs.iter_mut()) {
            let digest = (global, digests[i]);
            let same_page = match (&memo.page, &pages[i]) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (a, b) => a.is_none() && b.is_none(),
            };
            if memo.stamp == doc.stamp
                && Arc::ptr_eq(&memo.facts, &facts[i])
                && memo.digest == digest
                && same_page
            {
                continue;
            }
            if memo.stamp.hash != doc.stamp.hash {
                memo.front.clone_from(&doc.front);
                memo.meta.clone_from(&doc.meta);
            }
            memo.stamp = doc.stamp;
            memo.facts = facts[i].clone();
            memo.digest = digest;
            memo.page.clone_from(&pages[i]);
            memo.encoded = None;
        }
        true
    }

    /// The facts every document of `content` had in the build this cache
    /// remembers, if that build had the same documents with the same front
    /// matter under the same global inputs (`global`); else `None`.
    pub fn previous_facts(
        &self,
        content: &content::Content,
        global: &Hash,
    ) -> Option<Vec<Option<Arc<Facts>>>> {
        if !self.same_documents(content) {
            return None;
        }
        let mut memos = self.docs.iter();
        content
            .docs
            .iter()
            .map(|d| {
                if !d.has_file {
                    return Some(Some(Arc::default()));
                }
                let memo = memos.next()?;
                (memo.front == d.front && memo.digest.0 == *global)
                    .then(|| Some(memo.facts.clone()))
            })
            .collect()
    }
}

impl Memory for BuildCache {
    fn front(&self, rel: &str, stat: &Stat) -> Option<Remembered<'_>> {
        self.memo(rel)
            .filter(|m| m.stamp.stat == *stat && stat.trusted_since(self.started_ns))
            .map(|m| Remembered {
                stamp: m.stamp,
                front: &m.front,
                meta: &m.meta,
            })
    }
}

/// Decoding straight into an `Arc`: serde's own decoder builds a `Box`
/// first, then moves it into a new allocation.
mod shared {
    use serde::de::{Deserialize, Deserializer, Error, Visitor};
    use std::fmt;
    use std::sync::Arc;

    pub fn value<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Arc<T>, D::Error> {
        T::deserialize(d).map(Arc::new)
    }

    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Arc<str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<Arc<str>, E> {
                Ok(Arc::from(s))
            }
        }
        d.deserialize_str(Text)
    }
}
