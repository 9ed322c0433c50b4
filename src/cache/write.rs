//! Writing a cache: the memo file when compaction is due, then the head
//! file; unchanged memos copied file to file; each file written beside the
//! old one and renamed over it.

use super::layout::{
    Area, Head, ID_LEN, MAGIC, MemoFileId, RECORD_HEAD, ReadFrom, Run, SUM, checksum,
    memo_file_path,
};
use super::memo::{BuildCache, DocMemo};
use crate::stamp::Fingerprint;
use rayon::prelude::*;
use std::error::Error;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::Path;

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
    let fresh;
    let (memo_file, runs, delta) = match read_from {
        None => (
            write_fresh_memo_file(path, cache)?,
            whole_memo_file(cache),
            Vec::new(),
        ),
        Some(r) => {
            fresh = encode_fresh(cache, r)?;
            place_memos(path, cache, r, &fresh)?
        }
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
        other_pages: cache.other_pages.as_slice(),
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

/// Every memo in the memo file, in order.
fn whole_memo_file(cache: &BuildCache) -> Vec<Run> {
    vec![Run {
        area: Area::MemoFile,
        start: 0,
        count: cache.docs.len() as u64,
    }]
}

/// Each memo encoded afresh, or `None` where it can be copied from the
/// files the cache was read from.
fn encode_fresh(
    cache: &BuildCache,
    read_from: &ReadFrom,
) -> Result<Vec<Option<Vec<u8>>>, postcard::Error> {
    (cache.docs.par_iter())
        .map(|memo| match &memo.encoded {
            Some((area, _)) if can_copy(Some(read_from), *area) => Ok(None),
            _ => postcard::to_stdvec(memo).map(Some),
        })
        .collect()
}

/// The memo file's id, the runs of memos the head lists, and what goes in the head file.
type Placed<'a> = (MemoFileId, Vec<Run>, Vec<Source<'a>>);

/// Where each memo goes when there are cache files to copy unchanged memos
/// from: a new memo file when compaction is due, else the memo file stays
/// and the rest go to the head file.
fn place_memos<'a>(
    path: &Path,
    cache: &BuildCache,
    read_from: &ReadFrom,
    fresh: &'a [Option<Vec<u8>>],
) -> Result<Placed<'a>, Box<dyn Error>> {
    let memo_file = read_from.memo_file.as_ref();
    let sources: Vec<Source> = cache
        .docs
        .iter()
        .zip(fresh)
        .map(|(memo, fresh)| match (fresh, &memo.encoded) {
            (Some(bytes), _) => Source::Fresh(bytes),
            // With the length and checksum before it.
            (None, Some((area, r))) => Source::Read(*area, r.start - RECORD_HEAD..r.end),
            (None, None) => unreachable!("a memo not read from a file is encoded afresh"),
        })
        .collect();
    if compaction_due(&sources, memo_file.map(|(_, id)| id)) {
        let id = write_memo_file(path, cache, Some(read_from), &sources)?;
        return Ok((id, whole_memo_file(cache), Vec::new()));
    }
    let (runs, delta) = runs_and_delta(sources);
    Ok((
        memo_file.map(|(_, id)| *id).unwrap_or_default(),
        runs,
        delta,
    ))
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
    let id = memo_file_id(cache);
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

/// How many memos a cold build encodes before writing them: the encodings
/// of a whole site at once were the peak of its memory (18 MB of 87 MB for
/// 10 000 pages).
pub(super) const FRESH_BATCH: usize = 256;

/// Write a memo file of fresh memos only (nothing to copy: a build without a
/// cache), encoding them a batch at a time, each batch in parallel and while
/// the one before is written; the checksum is taken as the bytes go out.
fn write_fresh_memo_file(path: &Path, cache: &BuildCache) -> Result<MemoFileId, Box<dyn Error>> {
    let id = memo_file_id(cache);
    let mut len = ID_LEN + SUM;
    let mut sum = crc32fast::Hasher::new();
    replace(&memo_file_path(path), |out| {
        out.write_all(&id)?;
        let mut write = |batch: Vec<Vec<u8>>| -> std::io::Result<()> {
            for bytes in &batch {
                for part in [&record_head(bytes)?[..], bytes] {
                    out.write_all(part)?;
                    sum.update(part);
                }
                len += RECORD_HEAD + bytes.len();
            }
            Ok(())
        };
        let encode = |batch: &[DocMemo]| -> Result<Vec<Vec<u8>>, postcard::Error> {
            (batch.par_iter()).map(postcard::to_stdvec).collect()
        };
        let mut written = Vec::new();
        for batch in cache.docs.chunks(FRESH_BATCH) {
            let ready = std::mem::take(&mut written);
            let (encoded, wrote) = rayon::join(|| encode(batch), || write(ready));
            wrote?;
            written = encoded?;
        }
        write(written)?;
        out.write_all(&sum.clone().finalize().to_le_bytes())?;
        Ok(())
    })?;
    Ok(MemoFileId {
        id,
        len: len as u64,
    })
}

/// What goes before a memo's bytes in a cache file: their length.
fn record_head(bytes: &[u8]) -> std::io::Result<[u8; RECORD_HEAD]> {
    let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
    Ok(len.to_le_bytes())
}

/// A new memo file's id: no two builds make the same.
fn memo_file_id(cache: &BuildCache) -> crate::stamp::Hash {
    Fingerprint::new("memo file")
        .u64(cache.started_ns as u64)
        .u64(u64::from(std::process::id()))
        .finish()
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
                out.write_all(&record_head(bytes)?)?;
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
