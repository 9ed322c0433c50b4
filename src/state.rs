//! What one run of the pipeline leaves for the next: the [`BuildCache`]
//! (read from and saved to disk by `build`, kept in memory by `serve`) and,
//! in memory, the content the run scanned and loaded.
//!
//! [`crate::pipeline::run`] takes a [`State`] and gives one back, so the
//! data flows one way. A run reuses the facts and listing digests the state
//! remembers, and the parsed front matter of files whose stat is unchanged.
//! When the state holds loaded content and the only edits are to the bodies
//! of existing Markdown files (their front matter is byte-for-byte the
//! same), the content is not walked or parsed again at all: the documents
//! are patched with the new stamps.

use crate::cache::{BuildCache, DocMemo};
use crate::content::{self, Content, Forgetful, Memory, Scan};
use crate::frontmatter;
use crate::markdown::Facts;
use crate::render::PageFingerprints;
use crate::stamp::{self, Hash, Stamp, Stat};
use crate::templates::ExplainerValue;
use crate::verify::rendered::SharedScan;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the last good run left for the next; the default remembers nothing.
#[derive(Default)]
pub struct State {
    /// What is remembered of every content file (and, after `build`, of the output).
    pub cache: Option<BuildCache>,
    /// The content the last run scanned and loaded.
    loaded: Option<Loaded>,
    /// What the last run's render made that the next can use.
    pub(crate) last: LastRender,
}

/// What a render made that the next render can use, kept in memory (by
/// `serve`): neither is in the cache on disk.
#[derive(Default, Clone)]
pub(crate) struct LastRender {
    /// The `explainer` object as a template value, if the render made one.
    pub explainer: Option<ExplainerValue>,
    /// Every page's fingerprint: for a render of the same documents only.
    pub fingerprints: Option<PageFingerprints>,
}

/// Content as scanned and loaded.
struct Loaded {
    scan: Scan,
    content: Content,
}

/// What a render learned of every document, indexed like `content.docs`.
pub(crate) struct Learned {
    /// Every document's facts.
    pub facts: Vec<Arc<Facts>>,
    /// Every document's listing digest.
    pub digests: Vec<Hash>,
    /// The ids and links of every document's output file, when known.
    pub pages: Vec<Option<SharedScan>>,
    /// The ids and links of every other HTML file written (404, listing pages, HTML of static/).
    pub other_pages: Vec<(String, SharedScan)>,
    /// The fingerprint of the global inputs the digests were computed under.
    pub global: Hash,
    /// What the next render can use.
    pub last: LastRender,
}

impl State {
    /// A state that remembers only `cache` (as read from disk).
    pub fn with_cache(cache: Option<BuildCache>) -> State {
        State {
            cache,
            loaded: None,
            last: LastRender::default(),
        }
    }

    /// What loading content can take from this state instead of reading files.
    pub(crate) fn memory(&self) -> &dyn Memory {
        match &self.cache {
            Some(cache) => cache,
            None => &Forgetful,
        }
    }

    /// Whether the loaded content could be brought up to date with
    /// `changed` by new stamps alone: yes when every changed path is an
    /// existing, published Markdown file whose front matter is unchanged (its
    /// document and scan entry then get the new stamp); else nothing changes.
    pub(crate) fn patch_bodies(&mut self, root: &Path, changed: &BTreeSet<PathBuf>) -> bool {
        let Some(loaded) = self.loaded.as_mut() else {
            return false;
        };
        if changed.is_empty() {
            return false;
        }
        let Some(patches) = changed
            .iter()
            .map(|path| body_edit(loaded, root, path))
            .collect::<Option<Vec<_>>>()
        else {
            return false;
        };
        for (doc, found, stamp, may_cite) in patches {
            let d = &mut loaded.content.docs[doc];
            d.stamp = stamp;
            d.may_cite = may_cite;
            loaded.scan.markdown[found].stat = Some(stamp.stat);
        }
        true
    }

    /// The content the last run loaded, if this state holds it.
    pub(crate) fn content(&self) -> Option<&Content> {
        self.loaded.as_ref().map(|l| &l.content)
    }

    /// This state after a run that rendered its own loaded content (see [`State::patch_bodies`]).
    pub(crate) fn after_patch(mut self, learned: Learned, started_ns: i64) -> State {
        if let Some(loaded) = &self.loaded {
            self.cache = Some(next_cache(
                self.cache.take(),
                &loaded.content,
                &learned,
                started_ns,
            ));
        }
        self.last = learned.last;
        self
    }

    /// The state after a run that scanned and loaded `content` afresh.
    pub(crate) fn after(
        self,
        scan: Scan,
        content: Content,
        learned: Learned,
        started_ns: i64,
    ) -> State {
        State {
            cache: Some(next_cache(self.cache, &content, &learned, started_ns)),
            loaded: Some(Loaded { scan, content }),
            last: learned.last,
        }
    }
}

/// The cache a run over `content` leaves: `prior` brought up to date when it
/// remembers the same documents (nothing unchanged is copied), else a new
/// one. Its input fingerprint and output manifest are empty: `build` fills
/// them in once it has committed.
fn next_cache(
    mut prior: Option<BuildCache>,
    content: &Content,
    learned: &Learned,
    started_ns: i64,
) -> BuildCache {
    let updated = prior.take_if(|p| {
        p.update(
            content,
            &learned.facts,
            &learned.digests,
            &learned.pages,
            learned.global,
        )
    });
    let Some(mut cache) = updated else {
        let mut cache = BuildCache::new(
            started_ns,
            Hash::default(),
            remember(content, learned),
            Default::default(),
        );
        cache.other_pages.clone_from(&learned.other_pages);
        return cache;
    };
    cache.other_pages.clone_from(&learned.other_pages);
    cache.started_ns = started_ns;
    cache.inputs = Hash::default();
    cache.outputs = Default::default();
    cache
}

/// What the cache keeps of each content file.
fn remember(content: &Content, learned: &Learned) -> Vec<DocMemo> {
    let global = learned.global;
    content
        .docs
        .iter()
        .zip(learned.facts.iter().cloned())
        .zip(learned.digests.iter().copied())
        .zip(learned.pages.iter().cloned())
        .filter(|(((d, _), _), _)| d.has_file)
        .map(|(((d, facts), digest), page)| {
            DocMemo::new(
                d.content_path.clone(),
                d.stamp,
                d.front.clone(),
                d.meta.clone(),
                facts,
                (global, digest),
                page,
            )
        })
        .collect()
}

/// For an edit to the body only of `path`: the document's index, its scan
/// entry's index, its new stamp and whether the body may cite.
fn body_edit(loaded: &Loaded, root: &Path, path: &Path) -> Option<(usize, usize, Stamp, bool)> {
    let rel = path
        .strip_prefix(content::CONTENT_DIR)
        .ok()?
        .to_str()?
        .replace('\\', "/");
    let found = loaded
        .scan
        .markdown
        .binary_search_by(|f| f.rel.as_str().cmp(&rel))
        .ok()?;
    let &doc = loaded.content.by_content_path.get(&rel)?;
    let abs = root.join(path);
    let stat = Stat::read(&abs)?;
    let text = content::read_input_text(&abs).ok()?;
    let split = frontmatter::split(&text).ok()?;
    let old = &loaded.content.docs[doc];
    if *old.front != text[..split.body_offset] || old.body_offset != split.body_offset {
        return None;
    }
    let stamp = Stamp {
        stat,
        hash: stamp::hash(text.as_bytes()),
    };
    Some((doc, found, stamp, split.body.contains('@')))
}
