//! What a build remembers for the next one, in `ROOT/.explainer-cache/`: the
//! stamp, front matter (as text and parsed) and [`Facts`] of every content
//! file, the output manifest, and a fingerprint of every input's stat for the
//! no-op check.
//!
//! Two files per output folder and option set, in postcard, each content
//! file's memo encoded on its own behind its length:
//! - the *memo file* (`build-KEY.memos`): an id, then memos;
//! - the *head file* (`build-KEY.bin`): everything but the memos (with the
//!   output manifest, and where each memo is, as runs), then the memos that
//!   are not in the memo file, or not as they are now.
//!
//! A rebuild that changed a few memos writes only the head file: the memo
//! file is rewritten (compacted) only when a quarter of the memo bytes live
//! in the head file, or half the memo file is out of date. Neither file is ever
//! written in place: a new one is renamed over the old. A cache written by
//! another binary is ignored: the build then starts from nothing.
//!
//! The cache is checked, not trusted: the head, the memos of the memo file
//! and the memos of the head file each end in a checksum (CRC-32, see
//! [`checksum`]), verified before the cache is used. A cache that fails
//! a check, is cut short or overlong, or decodes to nonsense is reported once
//! as a warning and the build starts from nothing, so its output is the one
//! a clean build makes. (postcard replaced bincode 1, which is unmaintained:
//! see docs/benchmarks.md for the measurements behind the choice.)
//!
//! Reading and writing it is on the critical path of every rebuild, so the
//! memos decode in parallel, a memo that did not change is not written again
//! (or, when compacting, is copied as the bytes it was read from), what most
//! rebuilds do not look at (tables of contents, links) stays encoded until
//! read ([`crate::lazy`]), and hashes are written as single integers.

use crate::config::Options;
use crate::content::{self, Memory, Remembered};
use crate::diagnostics::Diagnostic;
use crate::frontmatter::FrontMatter;
use crate::markdown::Facts;
use crate::output::Manifest;
use crate::stamp::{Fingerprint, Hash, Stamp, Stat, binary_identity};
use crate::verify::rendered::PageScan;
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
    /// The ids and links of the file the document was rendered to, when known.
    pub page: Option<Arc<PageScan>>,
    /// Where this memo's bytes are in the files it was read from, while it is unchanged.
    #[serde(skip)]
    encoded: Option<(Area, Range<usize>)>,
}

impl DocMemo {
    pub fn new(
        content_path: String,
        stamp: Stamp,
        front: Arc<str>,
        meta: Arc<FrontMatter>,
        facts: Arc<Facts>,
        digest: (Hash, Hash),
        page: Option<Arc<PageScan>>,
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
    /// The files the cache was read from, kept open: unchanged memos stay
    /// where they are, or are copied from them file to file.
    read_from: Option<ReadFrom>,
}

/// The files a cache was read from.
#[derive(Debug)]
struct ReadFrom {
    head_file: File,
    /// Where the memos of the head file start in it.
    delta_at: usize,
    memo_file: Option<(File, MemoFileId)>,
}

/// Which area of the cache files a memo is in: the memo file (after its id)
/// or the end of the head file (after the head).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Area {
    MemoFile,
    HeadFile,
}

/// `count` memos one after another from `start` in `area`, each behind its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Run {
    area: Area,
    start: u64,
    count: u64,
}

/// Which memo file a head file goes with: its id and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
struct MemoFileId {
    #[serde(with = "crate::stamp::hash_serde")]
    id: Hash,
    len: u64,
}

/// The bytes before the memos of a memo file: its id.
const ID_LEN: usize = 16;

/// The first bytes of a head file: the format, then the identity of the
/// binary that wrote it. Another format or binary is ignored without a warning.
const MAGIC: &[u8; 8] = b"EXPLC\x00\x00\x05";

/// The bytes of a checksum (CRC-32).
const SUM: usize = 4;

/// The checksum of `bytes`. CRC-32, not BLAKE3: the cache guards against
/// damage, not forgery (whoever can write it can write the output too), and
/// CRC-32 catches every burst of up to 32 flipped bits and all but one in
/// 2^32 other damage, at a small fraction of the cost: BLAKE3 over the
/// 5 MB of a 10 000-page cache was 17 M instructions per edit build, 8 % of
/// it (docs/benchmarks.md).
fn checksum(bytes: &[u8]) -> [u8; SUM] {
    crc32fast::hash(bytes).to_le_bytes()
}

/// The bytes before a memo's own: its length.
const RECORD_HEAD: usize = 4;

/// What the head file holds before its memos: [`BuildCache`] without them,
/// and where they are. Written borrowing from the cache (`Head<&str,
/// &Manifest>`), read as `Head<String, Presized>`.
#[derive(Serialize, Deserialize)]
struct Head<Text, Outputs> {
    memo_file: MemoFileId,
    runs: Vec<Run>,
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
            read_from: None,
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
                            && content::read_input(&f.abs)
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
        pages: &[Option<Arc<PageScan>>],
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

/// Why a cache that is there cannot be used.
type Damage = &'static str;

const CUT: Damage = "it is cut short or overlong";

/// Read a cache: `None` when missing or written by another binary; a
/// damaged one is `None` and a warning saying so.
pub fn load(path: &Path) -> (Option<BuildCache>, Option<Diagnostic>) {
    match read(path) {
        Ok(cache) => (cache, None),
        Err(why) => {
            let d = Diagnostic::warning(
                "cache",
                format!("the build cache is damaged ({why}); this build starts from nothing"),
            )
            .in_file(path)
            .note("the output is what a build without a cache makes; the next build finds a new cache");
            (None, Some(d))
        }
    }
}

fn read(path: &Path) -> Result<Option<BuildCache>, Damage> {
    let Ok(head_file) = File::open(path) else {
        return Ok(None);
    };
    let bytes = FileBytes::of(&head_file).ok_or("it cannot be read")?;
    let mut at = 0;
    // Another format, or another binary's cache (whose head may not even
    // decode here): not damage, nothing to say.
    if take(&bytes, &mut at, MAGIC.len()) != Some(&MAGIC[..])
        || take(&bytes, &mut at, 16) != Some(&binary_identity()[..])
    {
        return Ok(None);
    }
    let head_len = take_len(&bytes, &mut at, 8).ok_or(CUT)?;
    let head_bytes = take(&bytes, &mut at, head_len).ok_or(CUT)?;
    if take(&bytes, &mut at, SUM) != Some(&checksum(head_bytes)[..]) {
        return Err("its head fails its checksum");
    }
    let head: Head<String, Presized> =
        postcard::from_bytes(head_bytes).map_err(|_| "its head does not decode")?;
    if head.binary != binary_identity() {
        return Ok(None);
    }
    let delta_at = at;
    let delta_end = bytes
        .len()
        .checked_sub(SUM)
        .filter(|&end| end >= delta_at)
        .ok_or(CUT)?;
    let memo_file = if head.runs.iter().any(|r| r.area == Area::MemoFile) {
        Some(
            open_memo_file(path, head.memo_file)
                .ok_or("its memo file is missing or another build's")?,
        )
    } else {
        None
    };
    let memo_area = memo_file.as_ref().map_or(&[][..], |(_, _, b)| &b[ID_LEN..]);
    let (memo_area, memo_sum) = memo_area.split_at(memo_area.len().saturating_sub(SUM));
    let areas = Areas {
        memo_file: memo_area,
        head_file: &bytes[delta_at..delta_end],
    };
    let spans = areas.spans(&head.runs).ok_or(CUT)?;
    // The checksums are checked beside the decoding (decoding damaged bytes
    // is harmless, and its result is dropped).
    let summed = || {
        let memo_file_ok = memo_file.is_none() || checksum(areas.memo_file) == memo_sum;
        let head_file_ok = checksum(areas.head_file) == bytes[delta_end..];
        match (memo_file_ok, head_file_ok) {
            (true, true) => Ok(()),
            (false, _) => Err("its memo file fails its checksum"),
            (_, false) => Err("the memos of its head file fail their checksum"),
        }
    };
    // Collected at its length, then unwrapped in place: collecting straight
    // into `Result<Vec<_>, _>` grows the list piece by piece.
    let decode = || -> Vec<Result<DocMemo, Damage>> {
        spans
            .into_par_iter()
            .map(|(area, span)| {
                let bytes = areas.get(area);
                let memo: DocMemo = postcard::from_bytes(&bytes[span.clone()])
                    .map_err(|_| "a memo does not decode")?;
                Ok(DocMemo {
                    encoded: Some((area, span)),
                    ..memo
                })
            })
            .collect()
    };
    let (summed, decoded) = rayon::join(summed, decode);
    summed?;
    let docs: Vec<DocMemo> = decoded.into_iter().collect::<Result<_, _>>()?;
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
        read_from: Some(ReadFrom {
            head_file,
            delta_at,
            memo_file: memo_file.map(|(file, id, _)| (file, id)),
        }),
    };
    cache.reindex();
    Ok(Some(cache))
}

/// The memo file that goes with the head file at `path`, if it is the one
/// `id` names.
fn open_memo_file(path: &Path, id: MemoFileId) -> Option<(File, MemoFileId, FileBytes)> {
    let file = File::open(memo_file_path(path)).ok()?;
    let bytes = FileBytes::of(&file)?;
    if bytes.get(..ID_LEN) != Some(&id.id[..]) || bytes.len() as u64 != id.len {
        return None;
    }
    Some((file, id, bytes))
}

/// Where the memo file that goes with the head file at `path` is.
fn memo_file_path(path: &Path) -> PathBuf {
    path.with_extension("memos")
}

/// The memo areas of a cache's two files.
struct Areas<'a> {
    memo_file: &'a [u8],
    head_file: &'a [u8],
}

impl Areas<'_> {
    fn get(&self, area: Area) -> &[u8] {
        match area {
            Area::MemoFile => self.memo_file,
            Area::HeadFile => self.head_file,
        }
    }

    /// Where each memo of `runs` is. The head file's memos must fill its area
    /// exactly, in order: a file cut short or overlong is not a cache.
    fn spans(&self, runs: &[Run]) -> Option<Vec<(Area, Range<usize>)>> {
        let count: u64 = runs.iter().map(|r| r.count).sum();
        let mut spans = Vec::with_capacity(usize::try_from(count).ok()?.min(MOST));
        let mut head_file_end = 0;
        for run in runs {
            let bytes = self.get(run.area);
            let mut at = usize::try_from(run.start).ok()?;
            if run.area == Area::HeadFile && at != head_file_end {
                return None;
            }
            for _ in 0..run.count {
                let len = take_len(bytes, &mut at, 4)?;
                take(bytes, &mut at, len)?;
                spans.push((run.area, at - len..at));
            }
            if run.area == Area::HeadFile {
                head_file_end = at;
            }
        }
        (head_file_end == self.head_file.len()).then_some(spans)
    }
}

/// The bytes of a cache file while it is decoded.
enum FileBytes {
    /// Mapped: no copy, and no fresh memory to fault in (which costs about
    /// 1 ms per MB on a busy virtual machine).
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    fn of(file: &File) -> Option<FileBytes> {
        // SAFETY: a mapping is only sound while no one changes the file.
        // explainer never writes a cache file in place: it writes a new one
        // beside it and renames it over (see `save`), so a mapped cache stays
        // as it was. Everything is decoded (copied out) before the mapping is
        // dropped at the end of `load`.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(file) } {
            return Some(FileBytes::Mapped(map));
        }
        let mut bytes = Vec::new();
        (&*file).read_to_end(&mut bytes).ok()?;
        Some(FileBytes::Read(bytes))
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
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
        write_cache(path, cache)
    })();
    if let Err(e) = result {
        tracing::warn!("cannot write the build cache {}: {e}", path.display());
    }
}

/// Where a memo's bytes (with their length) come from when the cache is written.
#[derive(Clone)]
enum Source<'a> {
    /// Unchanged, in `area` of the files the cache was read from.
    Read(Area, Range<usize>),
    /// Encoded afresh.
    Fresh(&'a [u8]),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Read(_, r) => r.len(),
            Source::Fresh(b) => RECORD_HEAD + b.len(),
        }
    }
}

/// Write the memo file if it is due, then the head file; each to a
/// temporary file renamed over the old one.
fn write_cache(path: &Path, cache: &BuildCache) -> Result<(), Box<dyn Error>> {
    let read_from = cache.read_from.as_ref();
    let memo_file = read_from.and_then(|r| r.memo_file.as_ref());
    let fresh: Vec<Option<Vec<u8>>> = cache
        .docs
        .par_iter()
        .map(|memo| match &memo.encoded {
            Some((area, _)) if can_copy(read_from, *area) => Ok(None),
            _ => postcard::to_stdvec(memo).map(Some),
        })
        .collect::<Result<_, _>>()?;
    let sources: Vec<Source> = cache
        .docs
        .iter()
        .zip(&fresh)
        .map(|(memo, fresh)| match (fresh, &memo.encoded) {
            (Some(bytes), _) => Source::Fresh(bytes),
            // With the length and checksum before it.
            (None, Some((area, r))) => Source::Read(*area, r.start - RECORD_HEAD..r.end),
            (None, None) => unreachable!("a memo not read from a file is encoded afresh"),
        })
        .collect();
    let (memo_file, runs, delta) = if compaction_due(&sources, memo_file.map(|(_, id)| id)) {
        let id = write_memo_file(path, cache, read_from, &sources)?;
        let count = sources.len() as u64;
        let runs = vec![Run {
            area: Area::MemoFile,
            start: 0,
            count,
        }];
        (id, runs, Vec::new())
    } else {
        let (runs, delta) = runs_and_delta(sources);
        (
            memo_file.map(|(_, id)| *id).unwrap_or_default(),
            runs,
            delta,
        )
    };
    let head = Head {
        memo_file,
        runs,
        binary: cache.binary,
        started_ns: cache.started_ns,
        inputs: cache.inputs,
        clean: cache.clean,
        pages: cache.pages,
        sections: cache.sections,
        base_url: cache.base_url.as_str(),
        outputs: &cache.outputs,
    };
    let head = postcard::to_stdvec(&head)?;
    replace(path, |out| {
        out.write_all(MAGIC)?;
        out.write_all(&cache.binary)?;
        out.write_all(&(head.len() as u64).to_le_bytes())?;
        out.write_all(&head)?;
        out.write_all(&checksum(&head))?;
        let delta_at = (MAGIC.len() + 16 + 8 + head.len() + SUM) as u64;
        copy_memos(out, read_from, delta)?;
        append_sum(out, delta_at)
    })
}

/// Whether to write a new memo file: there is none, a quarter of the memo
/// bytes would live in the head file, or half of the memo file is out of date.
fn compaction_due(sources: &[Source], memo_file: Option<&MemoFileId>) -> bool {
    let in_memo_file: usize = (sources.iter())
        .filter(|s| matches!(s, Source::Read(Area::MemoFile, _)))
        .map(Source::len)
        .sum();
    let elsewhere: usize = sources.iter().map(Source::len).sum::<usize>() - in_memo_file;
    memo_file.is_none_or(|id| {
        elsewhere * 4 > in_memo_file + elsewhere || (in_memo_file as u64) * 2 < id.len
    })
}

/// Whether a memo in `area` of the files the cache was read from can be copied from there.
fn can_copy(read_from: Option<&ReadFrom>, area: Area) -> bool {
    read_from.is_some_and(|r| area == Area::HeadFile || r.memo_file.is_some())
}

/// Where each memo goes when the memo file stays: those in it stay there,
/// the rest go (in order) to the head file.
fn runs_and_delta(sources: Vec<Source>) -> (Vec<Run>, Vec<Source>) {
    let mut runs: Vec<Run> = Vec::new();
    let mut delta = Vec::new();
    let mut delta_len = 0;
    // Where the last memo placed ends, in its area.
    let mut end = 0;
    for source in sources {
        let (area, start) = match &source {
            Source::Read(Area::MemoFile, r) => (Area::MemoFile, r.start),
            _ => (Area::HeadFile, delta_len),
        };
        match runs.last_mut() {
            Some(run) if run.area == area && end == start => run.count += 1,
            _ => runs.push(Run {
                area,
                start: start as u64,
                count: 1,
            }),
        }
        end = start + source.len();
        if area == Area::HeadFile {
            delta_len = end;
            delta.push(source);
        }
    }
    (runs, delta)
}

/// Write every memo to a new memo file with a new id; return the id.
fn write_memo_file(
    path: &Path,
    cache: &BuildCache,
    read_from: Option<&ReadFrom>,
    sources: &[Source],
) -> Result<MemoFileId, Box<dyn Error>> {
    let id = Fingerprint::new("memo file")
        .u64(cache.started_ns as u64)
        .u64(u64::from(std::process::id()))
        .finish();
    let len = ID_LEN + sources.iter().map(Source::len).sum::<usize>() + SUM;
    replace(&memo_file_path(path), |out| {
        out.write_all(&id)?;
        copy_memos(out, read_from, sources.iter().cloned())?;
        append_sum(out, ID_LEN as u64)
    })?;
    Ok(MemoFileId {
        id,
        len: len as u64,
    })
}

/// End the file being written with the checksum of its bytes from `from`
/// on. They are read back (from the page cache): unchanged memos were copied
/// file to file in the kernel, never passing through here.
fn append_sum(out: &mut Out, from: u64) -> Result<(), Box<dyn Error>> {
    out.flush()?;
    let file = out.get_mut().as_file_mut();
    file.seek(SeekFrom::Start(from))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        match file.read(&mut buffer)? {
            0 => break,
            n => hasher.update(&buffer[..n]),
        }
    }
    file.write_all(&hasher.finalize().to_le_bytes())?;
    Ok(())
}

/// A cache file being written.
type Out = BufWriter<tempfile::NamedTempFile>;

/// Write a file by writing a temporary one beside it and renaming it over.
fn replace(
    path: &Path,
    write: impl FnOnce(&mut Out) -> Result<(), Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    // A temporary file of its own (two processes never share one), removed if anything fails.
    let tmp = tempfile::Builder::new()
        .prefix(".explainer-cache-")
        .tempfile_in(dir)?;
    let mut out = BufWriter::with_capacity(1 << 16, tmp);
    write(&mut out)?;
    let tmp = out.into_inner().map_err(|e| e.into_error())?;
    tmp.persist(path)?;
    Ok(())
}

/// Write memos in order: fresh ones as bytes, the rest copied from the files
/// the cache was read from (runs of them at once).
fn copy_memos<'a>(
    out: &mut Out,
    read_from: Option<&ReadFrom>,
    sources: impl IntoIterator<Item = Source<'a>>,
) -> Result<(), Box<dyn Error>> {
    let mut run: Option<(Area, Range<usize>)> = None;
    for source in sources {
        match (source, &mut run) {
            (Source::Read(area, r), Some((at, open))) if *at == area && open.end == r.start => {
                open.end = r.end
            }
            (Source::Read(area, r), _) => copy_run(out, read_from, run.replace((area, r)))?,
            (Source::Fresh(bytes), _) => {
                copy_run(out, read_from, run.take())?;
                out.write_all(&u32::try_from(bytes.len())?.to_le_bytes())?;
                out.write_all(bytes)?;
            }
        }
    }
    copy_run(out, read_from, run)
}

/// Copy the bytes `run` of the files the cache was read from to `out` (in the kernel where it can).
fn copy_run(
    out: &mut Out,
    read_from: Option<&ReadFrom>,
    run: Option<(Area, Range<usize>)>,
) -> Result<(), Box<dyn Error>> {
    let Some((area, run)) = run else {
        return Ok(());
    };
    let read_from = read_from.ok_or("no cache file to copy from")?;
    let (mut file, offset) = match area {
        Area::MemoFile => (
            &read_from
                .memo_file
                .as_ref()
                .ok_or("no memo file to copy from")?
                .0,
            ID_LEN,
        ),
        Area::HeadFile => (&read_from.head_file, read_from.delta_at),
    };
    out.flush()?;
    file.seek(SeekFrom::Start((offset + run.start) as u64))?;
    let len = run.len() as u64;
    if std::io::copy(&mut file.take(len), out.get_mut().as_file_mut())? != len {
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
    for dir in [
        crate::templates::TEMPLATES_DIR,
        crate::render::STATIC_DIR,
        crate::data::DATA_DIR,
    ] {
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
            None,
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
        let loaded = load(&path).0.expect("the cache loads");
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

    /// A cache of `n` documents saved at `path`, as loaded back.
    fn saved_and_loaded(path: &Path, n: usize) -> BuildCache {
        let docs = (0..n)
            .map(|i| memo(&format!("p{i}.md"), &format!("Page {i}")))
            .collect();
        save(
            path,
            &BuildCache::new(7, [3; 16], docs, Manifest::default()),
        );
        load(path).0.expect("the cache loads")
    }

    fn retitle(cache: &mut BuildCache, i: usize, title: &str) {
        let memo = &mut cache.docs[i];
        memo.meta = Arc::new(FrontMatter {
            title: Some(title.into()),
            ..FrontMatter::default()
        });
        memo.encoded = None;
    }

    fn titles(cache: &BuildCache) -> Vec<String> {
        (cache.docs.iter())
            .map(|m| m.meta.title.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_few_changed_memos_go_to_the_head_file_and_the_memo_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.bin");
        let memos = memo_file_path(&path);
        let mut cache = saved_and_loaded(&path, 20);
        let memo_file = std::fs::read(&memos).unwrap();
        let head_file = std::fs::read(&path).unwrap();
        let memo_file_stays = || {
            assert_eq!(
                std::fs::read(&memos).unwrap(),
                memo_file,
                "the memo file stays"
            )
        };
        retitle(&mut cache, 3, "Changed");
        save(&path, &cache);
        memo_file_stays();
        assert!(std::fs::read(&path).unwrap().len() > head_file.len());
        let mut again = load(&path).0.expect("the cache loads");
        let mut expected: Vec<String> = (0..20).map(|i| format!("Page {i}")).collect();
        expected[3] = "Changed".into();
        assert_eq!(titles(&again), expected);
        // A second change keeps the first one (now read from the head file).
        retitle(&mut again, 17, "Also changed");
        save(&path, &again);
        memo_file_stays();
        expected[17] = "Also changed".into();
        assert_eq!(titles(&load(&path).0.expect("the cache loads")), expected);
    }

    #[test]
    fn a_memo_dropped_from_the_middle_is_skipped_in_the_memo_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.bin");
        let mut cache = saved_and_loaded(&path, 20);
        let memo_file = std::fs::read(memo_file_path(&path)).unwrap();
        cache.docs.remove(4);
        cache.reindex();
        save(&path, &cache);
        assert_eq!(std::fs::read(memo_file_path(&path)).unwrap(), memo_file);
        let expected: Vec<String> = (0..20)
            .filter(|&i| i != 4)
            .map(|i| format!("Page {i}"))
            .collect();
        assert_eq!(titles(&load(&path).0.expect("the cache loads")), expected);
    }

    #[test]
    fn many_changed_memos_rewrite_the_memo_file_and_empty_the_head_files_share() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.bin");
        let mut cache = saved_and_loaded(&path, 20);
        let head_file_len = std::fs::read(&path).unwrap().len();
        let memo_file = std::fs::read(memo_file_path(&path)).unwrap();
        for i in 0..6 {
            retitle(&mut cache, i, &format!("Changed {i}"));
        }
        save(&path, &cache);
        assert_ne!(std::fs::read(memo_file_path(&path)).unwrap(), memo_file);
        assert_eq!(std::fs::read(&path).unwrap().len(), head_file_len);
        let loaded = load(&path).0.expect("the cache loads");
        assert_eq!(titles(&loaded)[5], "Changed 5");
        assert_eq!(titles(&loaded)[6], "Page 6");
    }

    #[test]
    fn a_head_file_with_another_builds_memo_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.bin");
        saved_and_loaded(&path, 3);
        let head_file = std::fs::read(&path).unwrap();
        let mut other = saved_and_loaded(&path, 3);
        // Another build (another id) of the same memos, then the first head file again.
        other.started_ns = 8;
        other.read_from = None;
        other.docs.iter_mut().for_each(|m| m.encoded = None);
        save(&path, &other);
        assert!(load(&path).0.is_some());
        std::fs::write(&path, &head_file).unwrap();
        assert!(load(&path).0.is_none());
    }

    #[test]
    fn a_cut_short_or_overlong_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("build.bin");
        let written = saved_cache(&path);
        std::fs::write(&path, &written[..written.len() - 1]).unwrap();
        assert!(load(&path).0.is_none());
        std::fs::write(&path, [written.as_slice(), &[0]].concat()).unwrap();
        assert!(load(&path).0.is_none());
        std::fs::write(&path, &written).unwrap();
        assert!(load(&path).0.is_some());
        let memos = memo_file_path(&path);
        let memo_file = std::fs::read(&memos).unwrap();
        std::fs::write(&memos, &memo_file[..memo_file.len() - 1]).unwrap();
        assert!(load(&path).0.is_none());
        std::fs::write(&memos, [memo_file.as_slice(), &[0]].concat()).unwrap();
        assert!(load(&path).0.is_none());
    }
}
