//! Reading a cache: the head first, then (when the build needs them) the
//! memos; both files mapped, every area's checksum verified beside the
//! decoding, memos decoded in parallel. A damaged cache is one warning.

use super::layout::{
    Area, Head, ID_LEN, MAGIC, MemoFileId, ReadFrom, Run, SUM, checksum, memo_file_path,
};
use super::memo::{BuildCache, DocMemo};
use crate::diagnostics::Diagnostic;
use crate::output::Manifest;
use crate::stamp::binary_identity;
use crate::verify::rendered::SharedScan;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

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

/// The most entries reserved ahead of decoding a list: a damaged length
/// cannot ask for more memory than this before decoding fails.
const MOST: usize = 1 << 20;

/// Why a cache that is there cannot be used.
type Damage = &'static str;

const CUT: Damage = "it is cut short or overlong";

/// Read a cache: `None` when missing or written by another binary; a
/// damaged one is `None` and a warning saying so.
pub fn load(path: &Path) -> (Option<BuildCache>, Option<Diagnostic>) {
    match open(path) {
        (Some(opened), _) => opened.finish(),
        (None, damage) => (None, damage),
    }
}

/// Read a cache's head only: what the no-op check needs (the input
/// fingerprint, the output manifest). The memos, most of the cache's bytes,
/// are read by [`Opened::finish`], which a build that turns out to have
/// nothing to do never calls. `None` and a warning as for [`load`].
pub fn open(path: &Path) -> (Option<Opened>, Option<Diagnostic>) {
    match read_head(path) {
        Ok(opened) => (opened, None),
        Err(why) => (None, Some(damaged(path, why))),
    }
}

fn damaged(path: &Path, why: Damage) -> Diagnostic {
    Diagnostic::warning(
        "cache",
        format!("the build cache is damaged ({why}); this build starts from nothing"),
    )
    .in_file(path)
    .note("the output is what a build without a cache makes; the next build finds a new cache")
}

/// A cache whose head is read and checked, its memos not yet read.
pub struct Opened {
    path: std::path::PathBuf,
    head: Head<String, Presized, Vec<(String, SharedScan)>>,
    head_file: File,
    bytes: FileBytes,
    /// Where the head file's memos start.
    delta_at: usize,
}

impl Opened {
    /// The cache as the no-op check reads it: no memos.
    pub fn head(&self) -> HeadView<'_> {
        let h = &self.head;
        HeadView {
            started_ns: h.started_ns,
            inputs: h.inputs,
            clean: h.clean,
            outputs: &h.outputs.0,
        }
    }

    /// The memos the head file holds (those changed since the memo file was
    /// last written whole: a file just edited has its memo there), if their
    /// area passes its checksum and decodes.
    pub fn recent_memos(&self) -> Option<Vec<DocMemo>> {
        let end = (self.bytes.len().checked_sub(SUM)).filter(|&end| end >= self.delta_at)?;
        let area = &self.bytes[self.delta_at..end];
        if checksum(area) != self.bytes[end..] {
            return None;
        }
        let mut memos = Vec::new();
        let mut at = 0;
        while at < area.len() {
            let len = take_len(area, &mut at, 4)?;
            memos.push(postcard::from_bytes(take(area, &mut at, len)?).ok()?);
        }
        Some(memos)
    }

    /// The whole cache, memos read and checked; `None` and a warning when
    /// they are damaged.
    pub fn finish(self) -> (Option<BuildCache>, Option<Diagnostic>) {
        let path = self.path.clone();
        match self.read_memos() {
            Ok(cache) => (Some(cache), None),
            Err(why) => (None, Some(damaged(&path, why))),
        }
    }

    /// The cache of a build with nothing to do: what it says of the last build, no memos.
    pub fn without_memos(self) -> BuildCache {
        cache_of(self.head, Vec::new(), None)
    }
}

/// The cache a head describes, with its memos `docs` (indexed) and the
/// files they were read from.
fn cache_of(
    head: Head<String, Presized, Vec<(String, SharedScan)>>,
    docs: Vec<DocMemo>,
    read_from: Option<ReadFrom>,
) -> BuildCache {
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
        other_pages: head.other_pages,
        index: FxHashMap::default(),
        read_from,
    };
    cache.reindex();
    cache
}

/// What the head of a cache says of the build that wrote it.
pub struct HeadView<'a> {
    pub started_ns: i64,
    pub inputs: crate::stamp::Hash,
    pub clean: bool,
    pub outputs: &'a Manifest,
}

fn read_head(path: &Path) -> Result<Option<Opened>, Damage> {
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
    let head: Head<String, Presized, Vec<(String, SharedScan)>> =
        postcard::from_bytes(head_bytes).map_err(|_| "its head does not decode")?;
    if head.binary != binary_identity() {
        return Ok(None);
    }
    Ok(Some(Opened {
        path: path.to_path_buf(),
        head,
        head_file,
        bytes,
        delta_at: at,
    }))
}

impl Opened {
    fn read_memos(self) -> Result<BuildCache, Damage> {
        let Opened {
            path,
            head,
            head_file,
            bytes,
            delta_at,
        } = self;
        let path = path.as_path();
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
        let read_from = ReadFrom {
            head_file,
            delta_at,
            memo_file: memo_file.map(|(file, id, _)| (file, id)),
        };
        Ok(cache_of(head, docs, Some(read_from)))
    }
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
