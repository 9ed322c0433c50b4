//! What a build remembers for the next one, in `ROOT/.explainer-cache/`: the
//! stamp, front matter (as text and parsed) and [`Facts`] of every content
//! file, the output manifest, and a fingerprint of every input's stat for the
//! no-op check.
//!
//! One file per output folder and option set, in bincode: a head (everything
//! but the memos, with the output manifest), then each content file's memo
//! encoded on its own, behind its length. A cache written by another binary,
//! or unreadable, is ignored: the build then starts from nothing.
//!
//! Reading and writing it is on the critical path of every rebuild, so the
//! memos decode in parallel, a memo that did not change is written back as
//! the bytes it was read from, what most rebuilds do not look at (tables of
//! contents, links) stays encoded until read ([`crate::lazy`]), and hashes are
//! written as single integers.

use crate::content::{self, Memory, Remembered};
use crate::frontmatter::FrontMatter;
use crate::markdown::Facts;
use crate::output::Manifest;
use crate::pipeline::Options;
use crate::stamp::{Fingerprint, Hash, Stamp, Stat, binary_identity};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder, inside the site folder, that holds caches.
pub const CACHE_DIR: &str = ".explainer-cache";

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
    /// Where this memo's bytes are in the file it was read from, while it is unchanged.
    #[serde(skip)]
    encoded: Option<Range<usize>>,
}

impl DocMemo {
    pub fn new(
        content_path: String,
        stamp: Stamp,
        front: Arc<str>,
        meta: Arc<FrontMatter>,
        facts: Arc<Facts>,
        digest: (Hash, Hash),
    ) -> DocMemo {
        DocMemo {
            content_path,
            stamp,
            front,
            meta,
            facts,
            digest,
            encoded: None,
        }
    }
}

/// The state a build leaves for the next.
#[derive(Debug, Default)]
pub struct BuildCache {
    pub binary: Hash,
    /// When the build that wrote this started; files modified later are not trusted by stat.
    pub started_ns: i64,
    /// Fingerprint of every input's path and stat (see [`inputs`]).
    pub inputs: Hash,
    /// The build reported nothing (no warnings), so a no-op rebuild has nothing to repeat.
    pub clean: bool,
    pub pages: usize,
    pub sections: usize,
    pub base_url: String,
    pub docs: Vec<DocMemo>,
    pub outputs: Manifest,
    index: FxHashMap<String, usize>,
    /// The file the cache was read from, kept open: unchanged memos are
    /// copied from it, file to file.
    file: Option<File>,
}

/// What the cache file holds before the memos: [`BuildCache`] without them.
/// Written borrowing from the cache (`Head<&str, &Manifest>`), read as
/// `Head<String, Presized>`.
#[derive(Serialize, Deserialize)]
struct Head<Text, Outputs> {
    #[serde(with = "crate::stamp::hash_serde")]
    binary: Hash,
    started_ns: i64,
    #[serde(with = "crate::stamp::hash_serde")]
    inputs: Hash,
    clean: bool,
    pages: usize,
    sections: usize,
    base_url: Text,
    outputs: Outputs,
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
            index: FxHashMap::default(),
            file: None,
        };
        cache.reindex();
        cache
    }

    fn reindex(&mut self) {
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
        let trusted = |mtime_ns| Stat { size: 0, mtime_ns }.trusted_since(self.started_ns);
        trusted(newest_other)
            && scan.markdown.iter().all(|f| {
                let stat = f.stat.unwrap_or_default();
                stat.trusted_since(self.started_ns)
                    || self.memo(&f.rel).is_some_and(|m| {
                        m.stamp.stat == stat
                            && std::fs::read(&f.abs)
                                .is_ok_and(|b| crate::stamp::hash(&b) == m.stamp.hash)
                    })
            })
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
        global: Hash,
    ) -> bool {
        if !self.same_documents(content) {
            return false;
        }
        let files = content.docs.iter().enumerate().filter(|(_, d)| d.has_file);
        for ((i, doc), memo) in files.zip(self.docs.iter_mut()) {
            let digest = (global, digests[i]);
            if memo.stamp == doc.stamp
                && Arc::ptr_eq(&memo.facts, &facts[i])
                && memo.digest == digest
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

    /// The listing digest of `content_path` if its contents still hash to `hash`
    /// and the global inputs are still `global`.
    pub fn digest(&self, content_path: &str, hash: &Hash, global: &Hash) -> Option<Hash> {
        self.memo(content_path)
            .filter(|m| m.stamp.hash == *hash && m.digest.0 == *global)
            .map(|m| m.digest.1)
    }

    /// The facts of `content_path` if its contents still hash to `hash`.
    pub fn facts(&self, content_path: &str, hash: &Hash) -> Option<Arc<Facts>> {
        self.memo(content_path)
            .filter(|m| m.stamp.hash == *hash)
            .map(|m| m.facts.clone())
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

/// The output manifest, decoded at its recorded length: serde's own decoder
/// caps what it reserves up front, so a 10 000-entry map would grow (and
/// rehash itself) several times.
struct Presized(Manifest);

impl<'de> Deserialize<'de> for Presized {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Presized, D::Error> {
        use crate::output::Entry;
        use serde::de::{MapAccess, Visitor};
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Manifest;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of output files")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Manifest, A::Error> {
                let size = map.size_hint().unwrap_or(0).min(MOST);
                let mut entries = Manifest::with_capacity_and_hasher(size, Default::default());
                while let Some((path, entry)) = map.next_entry::<String, Entry>()? {
                    entries.insert(path, entry);
                }
                Ok(entries)
            }
        }
        d.deserialize_map(Entries).map(Presized)
    }
}

/// The cache file for building the site at `opts.root` into `out` with `opts`.
pub fn path(opts: &Options, out: &Path) -> PathBuf {
    let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let key = options(opts).str(&out.display().to_string()).finish();
    let hex: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
    opts.root.join(CACHE_DIR).join(format!("build-{hex}.bin"))
}

fn options(opts: &Options) -> Fingerprint {
    options_sized(opts, 256)
}

fn options_sized(opts: &Options, bytes: usize) -> Fingerprint {
    Fingerprint::with_capacity("options", bytes)
        .u64(opts.drafts as u64)
        .u64(opts.relative as u64)
        .str(opts.base_url.as_deref().unwrap_or("\0"))
}

/// The most entries reserved ahead of decoding a list: a damaged length
/// cannot ask for more memory than this before decoding fails.
const MOST: usize = 1 << 20;

/// Read a cache; `None` when missing, unreadable or written by another binary.
pub fn load(path: &Path) -> Option<BuildCache> {
    let mut opened = File::open(path).ok()?;
    let mut file = Vec::new();
    opened.read_to_end(&mut file).ok()?;
    let mut at = 0;
    let head_len = take_len(&file, &mut at, 8)?;
    let head: Head<String, Presized> =
        bincode::deserialize(take(&file, &mut at, head_len)?).ok()?;
    if head.binary != binary_identity() {
        return None;
    }
    let count = take_len(&file, &mut at, 8)?;
    let mut spans = Vec::with_capacity(count.min(MOST));
    for _ in 0..count {
        let len = take_len(&file, &mut at, 4)?;
        take(&file, &mut at, len)?;
        spans.push(at - len..at);
    }
    if at != file.len() {
        return None;
    }
    let docs = spans
        .into_par_iter()
        .map(|span| {
            let memo: DocMemo = bincode::deserialize(&file[span.clone()]).ok()?;
            Some(DocMemo {
                encoded: Some(span),
                ..memo
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let mut cache = BuildCache {
        binary: head.binary,
        started_ns: head.started_ns,
        inputs: head.inputs,
        clean: head.clean,
        pages: head.pages,
        sections: head.sections,
        base_url: head.base_url,
        docs,
        outputs: head.outputs.0,
        index: FxHashMap::default(),
        file: Some(opened),
    };
    cache.reindex();
    Some(cache)
}

/// The next `len` bytes of `bytes` from `at`, moving `at` past them.
fn take<'a>(bytes: &'a [u8], at: &mut usize, len: usize) -> Option<&'a [u8]> {
    let taken = bytes.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some(taken)
}

/// A little-endian length of `width` bytes (4 or 8) at `at`.
fn take_len(bytes: &[u8], at: &mut usize, width: usize) -> Option<usize> {
    let mut le = [0; 8];
    le[..width].copy_from_slice(take(bytes, at, width)?);
    usize::try_from(u64::from_le_bytes(le)).ok()
}

/// Write a cache (atomically); failing to is not an error, only a slower next build.
pub fn save(path: &Path, cache: &BuildCache) {
    let Some(dir) = path.parent() else { return };
    let result = (|| -> Result<(), Box<dyn Error>> {
        std::fs::create_dir_all(dir)?;
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            std::fs::write(
                &tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n# explainer's build cache; safe to delete.\n",
            )?;
        }
        let tmp = path.with_extension("tmp");
        let mut file = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        write_cache(&mut file, cache)?;
        file.flush()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        tracing::warn!("cannot write the build cache {}: {e}", path.display());
    }
}

/// The head, then every memo: copied from the file it was read from while
/// unchanged (runs of them at once), else encoded afresh (in parallel).
fn write_cache(out: &mut BufWriter<File>, cache: &BuildCache) -> Result<(), Box<dyn Error>> {
    let head = bincode::serialize(&Head {
        binary: cache.binary,
        started_ns: cache.started_ns,
        inputs: cache.inputs,
        clean: cache.clean,
        pages: cache.pages,
        sections: cache.sections,
        base_url: cache.base_url.as_str(),
        outputs: &cache.outputs,
    })?;
    out.write_all(&(head.len() as u64).to_le_bytes())?;
    out.write_all(&head)?;
    out.write_all(&(cache.docs.len() as u64).to_le_bytes())?;
    let old = cache.file.as_ref();
    let fresh: Vec<Option<Vec<u8>>> = cache
        .docs
        .par_iter()
        .map(|memo| match (old, &memo.encoded) {
            (Some(_), Some(_)) => Ok(None),
            _ => bincode::serialize(memo).map(Some),
        })
        .collect::<Result<_, _>>()?;
    let mut run: Option<Range<usize>> = None;
    for (memo, fresh) in cache.docs.iter().zip(fresh) {
        // A memo as read, with the length before it.
        let read = memo.encoded.as_ref().map(|e| e.start - 4..e.end);
        match (fresh, read, &mut run) {
            (None, Some(read), Some(r)) if r.end == read.start => r.end = read.end,
            (None, Some(read), _) => {
                copy_run(old, run.replace(read), out)?;
            }
            (fresh, _, _) => {
                copy_run(old, run.take(), out)?;
                let bytes = fresh.unwrap_or_default();
                out.write_all(&u32::try_from(bytes.len())?.to_le_bytes())?;
                out.write_all(&bytes)?;
            }
        }
    }
    copy_run(old, run, out)
}

/// Copy the bytes `run` of the old cache file to `out` (in the kernel where it can).
fn copy_run(
    old: Option<&File>,
    run: Option<Range<usize>>,
    out: &mut BufWriter<File>,
) -> Result<(), Box<dyn Error>> {
    let (Some(mut old), Some(run)) = (old, run) else {
        return Ok(());
    };
    out.flush()?;
    old.seek(SeekFrom::Start(run.start as u64))?;
    let len = (run.end - run.start) as u64;
    if std::io::copy(&mut old.take(len), out.get_mut())? != len {
        return Err("the old cache file is shorter than it was".into());
    }
    Ok(())
}

/// A fingerprint of every input's path and stat (config, templates, static
/// files, content, the binary and the options), and the newest mtime among
/// the inputs other than Markdown files.
pub fn inputs(opts: &Options, out: &Path, scan: &content::Scan) -> (Hash, i64) {
    let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    // A part is its length (4 bytes) and its bytes; a file adds a stat (16).
    let files = scan.markdown.iter().chain(&scan.others);
    let size = 1024
        + files.map(|f| 4 + f.rel.len() + 16).sum::<usize>()
        + scan.dirs.iter().map(|d| 4 + d.len()).sum::<usize>();
    let mut f = options_sized(opts, size)
        .bytes(&binary_identity())
        .str(&out.display().to_string());
    let mut newest = 0;
    let mut add = |f: Fingerprint, rel: &str, stat: Option<Stat>| {
        let stat = stat.unwrap_or_default();
        newest = newest.max(stat.mtime_ns);
        f.str(rel).stat(stat)
    };
    f = add(
        f,
        "config.toml",
        Stat::read(&opts.root.join(crate::config::CONFIG_FILE)),
    );
    for dir in [crate::templates::TEMPLATES_DIR, crate::render::STATIC_DIR] {
        for (rel, stat) in walk_stats(&opts.root.join(dir)) {
            f = add(f, &format!("{dir}/{rel}"), Some(stat));
        }
    }
    for found in &scan.others {
        f = add(f, &found.rel, found.stat);
    }
    for found in &scan.markdown {
        f = f.str(&found.rel).stat(found.stat.unwrap_or_default());
    }
    for dir in &scan.dirs {
        f = f.str(dir);
    }
    (f.finish(), newest)
}

/// Every file under `dir` (following symlinks) with its stat, sorted.
fn walk_stats(dir: &Path) -> Vec<(String, Stat)> {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let stat = Stat::of(&e.metadata().ok()?);
            let rel = e
                .path()
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, stat))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Entry;

    fn memo(path: &str, title: &str) -> DocMemo {
        let meta = FrontMatter {
            title: Some(title.into()),
            ..FrontMatter::default()
        };
        let front = format!("+++\ntitle = \"{title}\"\n+++\n");
        let digest = ([1; 16], [2; 16]);
        DocMemo::new(
            path.into(),
            Stamp::default(),
            Arc::from(front),
            Arc::new(meta),
            Arc::default(),
            digest,
        )
    }

    fn saved_cache(path: &Path) -> Vec<u8> {
        let mut outputs = Manifest::default();
        let entry = Entry {
            stat: Stat {
                size: 5,
                mtime_ns: 9,
            },
            hash: [4; 16],
            fingerprint: None,
        };
        outputs.insert("a/index.html".into(), entry);
        let docs = vec![memo("a.md", "Alpha"), memo("b/_index.md", "Bravo")];
        let mut cache = BuildCache::new(7, [3; 16], docs, outputs);
        cache.base_url = "https://example.org/".into();
        save(path, &cache);
        std::fs::read(path).unwrap()
    }

    #[test]
    fn a_saved_cache_loads_as_it_was_and_saves_back_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.bin");
        let written = saved_cache(&path);
        let loaded = load(&path).expect("the cache loads");
        assert_eq!((loaded.started_ns, loaded.inputs), (7, [3; 16]));
        assert_eq!(loaded.base_url, "https://example.org/");
        assert_eq!(loaded.outputs["a/index.html"].hash, [4; 16]);
        let titles: Vec<_> = loaded.docs.iter().map(|m| m.meta.title.clone()).collect();
        assert_eq!(titles, [Some("Alpha".into()), Some("Bravo".into())]);
        assert_eq!(&*loaded.docs[1].front, "+++\ntitle = \"Bravo\"\n+++\n");
        assert!(loaded.memo("b/_index.md").is_some());
        assert!(loaded.docs.iter().all(|m| m.encoded.is_some()));
        save(&path, &loaded);
        assert_eq!(std::fs::read(&path).unwrap(), written);
    }

    #[test]
    fn a_cut_short_or_overlong_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.bin");
        let written = saved_cache(&path);
        std::fs::write(&path, &written[..written.len() - 1]).unwrap();
        assert!(load(&path).is_none());
        std::fs::write(&path, [written.as_slice(), &[0]].concat()).unwrap();
        assert!(load(&path).is_none());
        std::fs::write(&path, &written).unwrap();
        assert!(load(&path).is_some());
    }
}
