//! Rebuilds in one long-lived process (`serve`): what the last good build
//! leaves in memory for the next, and the shortcut for the common edit.
//!
//! Every rebuild reuses the last good build's facts and listing digests, and
//! the parsed front matter of files whose stat is unchanged. When the only
//! edits are to the bodies of existing Markdown files (their front matter is
//! byte-for-byte the same), the content is not walked or parsed again at
//! all: the documents of the last build are patched with the new stamps.

use crate::cache::BuildCache;
use crate::content::{self, Content, Memory, Remembered, Scan};
use crate::diagnostics::Report;
use crate::frontmatter;
use crate::pipeline::{self, Done, Hooks, Options, Rendered};
use crate::render::Sink;
use crate::stamp::{self, Hash, Stamp, Stat};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What the last good build in this process left for the next.
pub struct Warm {
    cache: BuildCache,
    content: Content,
    scan: Scan,
}

impl Memory for Warm {
    fn front(&self, rel: &str, stat: &Stat) -> Option<Remembered<'_>> {
        self.cache.front(rel, stat)
    }
}

/// Render the site into `sink`, reusing what `warm` holds, and leave in
/// `warm` what the next rebuild can reuse. `changed` lists the site-relative
/// paths that changed since the last build, when known. On failure `warm`
/// still describes a good build, so nothing is lost.
pub fn rebuild(
    opts: &Options,
    warm: &mut Option<Warm>,
    changed: Option<&BTreeSet<PathBuf>>,
    sink: &dyn Sink,
    hooks: &dyn Hooks,
) -> Result<Rendered, Report> {
    let started_ns = stamp::now_ns();
    let inputs = pipeline::read_inputs(opts)?;
    if let (Some(w), Some(changed)) = (warm.as_mut(), changed)
        && patch_bodies(w, &opts.root, changed)
    {
        tracing::debug!("only Markdown bodies changed: the content is reused");
        let done = pipeline::render_into(opts, inputs, &w.content, Some(&w.cache), sink, hooks)?;
        let prior = Some(std::mem::take(&mut w.cache));
        w.cache = next_cache(prior, &w.content, &done, started_ns);
        return Ok(done.rendered);
    }
    let scan = content::scan(&opts.root);
    let memory: &dyn Memory = match warm.as_ref() {
        Some(w) => w,
        None => &content::Forgetful,
    };
    let content = content::load_scanned(&opts.root, &scan, opts.drafts, memory)?;
    let prior = warm.as_ref().map(|w| &w.cache);
    let done = pipeline::render_into(opts, inputs, &content, prior, sink, hooks)?;
    let cache = next_cache(warm.take().map(|w| w.cache), &content, &done, started_ns);
    *warm = Some(Warm {
        cache,
        content,
        scan,
    });
    Ok(done.rendered)
}

/// The cache the next rebuild reads: `serve` keeps no input fingerprint or
/// manifest (its files live in memory).
fn next_cache(
    prior: Option<BuildCache>,
    content: &Content,
    done: &Done,
    started_ns: i64,
) -> BuildCache {
    pipeline::next_cache(
        prior,
        content,
        done,
        started_ns,
        Hash::default(),
        Default::default(),
    )
}

/// If every changed path is an existing, published Markdown file whose front
/// matter is unchanged, give its document and scan entry the new stamp and
/// say yes; else change nothing and say no.
fn patch_bodies(warm: &mut Warm, root: &Path, changed: &BTreeSet<PathBuf>) -> bool {
    if changed.is_empty() {
        return false;
    }
    let mut patches = Vec::new();
    for path in changed {
        match body_edit(warm, root, path) {
            Some(patch) => patches.push(patch),
            None => return false,
        }
    }
    for (doc, found, stamp, may_cite) in patches {
        let d = &mut warm.content.docs[doc];
        d.stamp = stamp;
        d.may_cite = may_cite;
        warm.scan.markdown[found].stat = Some(stamp.stat);
    }
    true
}

/// For an edit to the body only of `path`: the document's index, its scan
/// entry's index, its new stamp and whether the body may cite.
fn body_edit(warm: &Warm, root: &Path, path: &Path) -> Option<(usize, usize, Stamp, bool)> {
    let rel = path
        .strip_prefix(content::CONTENT_DIR)
        .ok()?
        .to_str()?
        .replace('\\', "/");
    let found = warm
        .scan
        .markdown
        .binary_search_by(|f| f.rel.as_str().cmp(&rel))
        .ok()?;
    let &doc = warm.content.by_content_path.get(&rel)?;
    let abs = root.join(path);
    let stat = Stat::read(&abs)?;
    let text = content::read_input_text(&abs).ok()?;
    let split = frontmatter::split(&text).ok()?;
    let old = &warm.content.docs[doc];
    if *old.front != text[..split.body_offset] || old.body_offset != split.body_offset {
        return None;
    }
    let stamp = Stamp {
        stat,
        hash: stamp::hash(text.as_bytes()),
    };
    Some((doc, found, stamp, split.body.contains('@')))
}
