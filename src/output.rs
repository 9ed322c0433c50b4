//! Output stage: stages rendered files that differ from what the output folder
//! holds, then commits them (renames them into place), removes what the build
//! no longer produces, and refuses any folder the tool did not create.
//!
//! A manifest from the previous build (size, mtime and hash of every file)
//! tells which files are unchanged without reading them; a file whose stat no
//! longer matches is compared byte for byte. Until the commit, the only change
//! to the output folder is a hidden staging folder, removed on failure.
//! This is the only module that deletes files, and it never leaves the output folder.

use crate::diagnostics::Diagnostic;
use crate::render::{Contents, OutputFile, Sink};
use crate::stamp::{self, Folder, Hash, Stat};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// The file that marks a folder as `explainer` output, so it may be synced.
pub const MARKER: &str = ".explainer-output";

/// The folder inside the output folder where a build stages changed files.
pub const STAGING: &str = ".explainer-staging";

/// What a sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// The files written and removed, sorted.
    pub written_paths: Vec<String>,
    pub removed_paths: Vec<String>,
}

/// What the manifest records of one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub stat: Stat,
    #[serde(with = "crate::stamp::hash_serde")]
    pub hash: Hash,
    /// The inputs it was built from, when known.
    #[serde(with = "crate::stamp::hash_serde::option")]
    pub fingerprint: Option<Hash>,
}

/// Every file of a build's output, by path. Indexed, so a build can mark the
/// previous build's entries it keeps without copying their paths.
pub type Manifest = indexmap::IndexMap<String, Entry, rustc_hash::FxBuildHasher>;

/// Refuse output folders whose contents the tool must not touch.
pub fn check_output_dir(root: &Path, out: &Path) -> Result<(), Diagnostic> {
    let refuse = |why: &str| {
        Err(Diagnostic::error("output", format!("refusing to use {} as the output folder: {why}", out.display()))
            .note("choose an empty folder, or one a previous `explainer build` wrote (it has a .explainer-output file)"))
    };
    let out_abs = absolute(out);
    let root_abs = absolute(root);
    if out_abs.parent().is_none() {
        return refuse("it is the file-system root");
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
        && absolute(&home) == out_abs
    {
        return refuse("it is your home folder");
    }
    if out_abs == root_abs {
        return refuse("it is the site folder itself");
    }
    if root_abs.starts_with(&out_abs) {
        return refuse("it contains the site folder");
    }
    for inner in [
        crate::content::CONTENT_DIR,
        crate::templates::TEMPLATES_DIR,
        crate::render::STATIC_DIR,
    ] {
        if out_abs.starts_with(root_abs.join(inner)) {
            return refuse(&format!("it is inside the site's {inner}/ folder"));
        }
    }
    if out_abs.is_file() {
        return refuse("it is a file");
    }
    if out_abs.is_dir() && !out_abs.join(MARKER).is_file() {
        let empty = fs::read_dir(&out_abs)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return refuse("it is not empty and was not written by explainer");
        }
    }
    Ok(())
}

/// A path made absolute and, where it exists, resolved through symlinks.
fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Resolve the nearest existing ancestor so `a/../b` and symlinked parents compare right.
    let mut existing = abs.as_path();
    let mut tail = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                tail.push(name.to_os_string());
                existing = parent;
            }
            _ => return abs,
        }
    }
    let mut resolved = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    for name in tail.into_iter().rev() {
        resolved.push(name);
    }
    resolved
}

/// Whether every file of `manifest` is still in `out` as it was written.
pub fn intact(out: &Path, manifest: &Manifest) -> bool {
    let folder = Folder::open(out);
    out.join(MARKER).is_file()
        && manifest
            .par_iter()
            .all(|(path, e)| as_written(&folder, path, e))
}

/// Whether the file at `path` in `folder` still has the stat `entry` recorded when it was written.
fn as_written(folder: &Folder, path: &str, entry: &Entry) -> bool {
    folder.stat(path) == Some(entry.stat)
}

const UNCHECKED: u8 = 0;
const CHECKING: u8 = 1;
const INTACT: u8 = 2;
const DAMAGED: u8 = 3;

/// What staging has gathered so far, besides the files it kept.
#[derive(Default)]
struct Gathered {
    /// Files compared or staged (not those `keep` kept).
    entries: Manifest,
    staged: Vec<String>,
    errors: Vec<Diagnostic>,
}

/// A sink that stages changed files in `OUT/.explainer-staging` and keeps unchanged ones.
pub struct Staging {
    out: PathBuf,
    /// `out`, open for stats of the files in it.
    out_folder: Folder,
    dir: PathBuf,
    /// The output folder did not exist: it goes again if the build fails.
    created_out: bool,
    /// The output folder held nothing (but perhaps the marker): nothing can be stale.
    was_empty: bool,
    previous: Option<Manifest>,
    /// Which of `previous`'s entries `keep` kept, by index.
    kept: Vec<AtomicBool>,
    /// Whether each of `previous`'s files is still as it was written, by
    /// index: one of the `UNCHECKED`, `CHECKING`, `INTACT`, `DAMAGED` states.
    intact: Vec<AtomicU8>,
    gathered: Mutex<Gathered>,
    finished: bool,
}

impl Staging {
    /// Prepare to stage into `out`; `previous` is the manifest of the last build into it.
    pub fn begin(out: &Path, previous: Option<Manifest>) -> Result<Staging, Diagnostic> {
        let created_out = !out.exists();
        fs::create_dir_all(out).map_err(|e| io_error(out, "cannot create the output folder", e))?;
        let was_empty = fs::read_dir(out).is_ok_and(|mut d| {
            d.all(|e| e.is_ok_and(|e| e.file_name() == MARKER || e.file_name() == STAGING))
        });
        let dir = out.join(STAGING);
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .map_err(|e| io_error(&dir, "cannot remove old staging folder", e))?;
        }
        fs::create_dir(&dir).map_err(|e| io_error(&dir, "cannot create", e))?;
        let entries = previous.as_ref().map_or(0, |m| m.len());
        Ok(Staging {
            out: out.to_path_buf(),
            out_folder: Folder::open(out),
            dir,
            created_out,
            was_empty,
            kept: (0..entries).map(|_| AtomicBool::new(false)).collect(),
            intact: (0..entries).map(|_| AtomicU8::new(UNCHECKED)).collect(),
            gathered: Mutex::new(Gathered::default()),
            previous,
            finished: false,
        })
    }

    /// Check the files of the previous build against their manifest entries,
    /// last first, skipping those `keep` has claimed. Meant to run beside the
    /// loading and rendering, which then find most answers ready: it keeps an
    /// otherwise idle core busy while a rebuild does its serial steps.
    pub fn check_previous(&self) {
        let Some(previous) = &self.previous else {
            return;
        };
        for (i, (path, entry)) in previous.iter().enumerate().rev() {
            if self.claim(i) {
                self.check(i, path, entry);
            }
        }
    }

    /// Take the check of entry `i` on, if no one has.
    fn claim(&self, i: usize) -> bool {
        self.intact[i]
            .compare_exchange(UNCHECKED, CHECKING, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    fn check(&self, i: usize, path: &str, entry: &Entry) -> bool {
        let ok = as_written(&self.out_folder, path, entry);
        self.intact[i].store(if ok { INTACT } else { DAMAGED }, Ordering::Release);
        ok
    }

    /// Whether the previous build's file `i` is still as it was written.
    fn is_intact(&self, i: usize, path: &str, entry: &Entry) -> bool {
        if self.claim(i) {
            return self.check(i, path, entry);
        }
        match self.intact[i].load(Ordering::Acquire) {
            INTACT => true,
            DAMAGED => false,
            // Being checked right now: cheaper to look again than to wait.
            _ => as_written(&self.out_folder, path, entry),
        }
    }

    fn gathered(&self) -> std::sync::MutexGuard<'_, Gathered> {
        self.gathered.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, path: String, entry: Entry, staged: bool) {
        let mut g = self.gathered();
        if staged {
            g.staged.push(path.clone());
        }
        g.entries.insert(path, entry);
    }

    /// Keep the file in place, stage it, or record why it could not be.
    fn stage(&self, file: OutputFile) -> Result<(), Diagnostic> {
        let bytes = match file.contents {
            Contents::Bytes(b) => b,
            Contents::Copy(src) => fs::read(&src).map_err(|e| io_error(&src, "cannot read", e))?,
        };
        let hash = stamp::hash(&bytes);
        let dest = self.out.join(&file.path);
        let dest_stat = Stat::read(&dest);
        let previous = self.previous.as_ref().and_then(|m| m.get(&file.path));
        let unchanged = match (previous, dest_stat) {
            (Some(p), Some(s)) if p.stat == s => p.hash == hash,
            (_, Some(s)) => {
                s.size == bytes.len() as u64 && fs::read(&dest).is_ok_and(|old| old == bytes)
            }
            (_, None) => false,
        };
        if let (true, Some(stat)) = (unchanged, dest_stat) {
            let entry = Entry {
                stat,
                hash,
                fingerprint: file.fingerprint,
            };
            self.record(file.path, entry, false);
            return Ok(());
        }
        let staged = self.dir.join(&file.path);
        let stat = write_new(&staged, &bytes)?;
        let entry = Entry {
            stat,
            hash,
            fingerprint: file.fingerprint,
        };
        self.record(file.path, entry, true);
        Ok(())
    }

    /// Move every staged file into place, remove stale files, and return what
    /// happened and the new manifest. Interrupts must wait while this runs.
    pub fn commit(mut self) -> Result<(SyncStats, Manifest), Diagnostic> {
        let gathered = std::mem::take(&mut *self.gathered());
        if let Some(e) = gathered.errors.into_iter().next() {
            return Err(e);
        }
        merge(&self.dir, &self.out)?;
        let _ = fs::remove_dir_all(&self.dir);
        self.finished = true;
        let listed = self.previous.is_some();
        let (entries, stale) = self.produced(gathered.entries);
        let removed_paths = if self.was_empty {
            Vec::new()
        } else if listed {
            remove_listed(&self.out, &stale)?
        } else {
            remove_stale(&self.out, &entries)?
        };
        let marker = self.out.join(MARKER);
        if !marker.exists() {
            fs::write(&marker, "This folder is written by `explainer build`; files in it may be replaced or removed.\n")
                .map_err(|e| io_error(&marker, "cannot write", e))?;
        }
        let mut written_paths = gathered.staged;
        written_paths.sort();
        let stats = SyncStats {
            written: written_paths.len(),
            unchanged: entries.len() - written_paths.len(),
            removed: removed_paths.len(),
            written_paths,
            removed_paths,
        };
        Ok((stats, entries))
    }

    /// The manifest of this build's output: the previous entries it kept,
    /// then the ones it compared or staged; and the previous paths it no
    /// longer produces.
    fn produced(&mut self, gathered: Manifest) -> (Manifest, Vec<String>) {
        let mut entries = self.previous.take().unwrap_or_default();
        let mut stale = Vec::new();
        let mut kept = self.kept.iter();
        entries.retain(|path, _| {
            let keep = kept.next().is_some_and(|k| k.load(Ordering::Relaxed));
            if !keep && !gathered.contains_key(path) {
                stale.push(path.clone());
            }
            keep
        });
        entries.extend(gathered);
        (entries, stale)
    }

    /// Drop everything staged: the output folder is as it was.
    pub fn abort(mut self) {
        self.clean_up();
    }

    fn clean_up(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let _ = fs::remove_dir_all(&self.dir);
        if self.created_out {
            let _ = fs::remove_dir(&self.out);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.clean_up();
    }
}

impl Sink for Staging {
    fn put(&self, file: OutputFile) {
        if let Err(d) = self.stage(file) {
            self.gathered().errors.push(d);
        }
    }

    fn keep(&self, path: &str, fingerprint: &Hash) -> bool {
        let Some((i, _, e)) = self.previous.as_ref().and_then(|m| m.get_full(path)) else {
            return false;
        };
        if e.fingerprint != Some(*fingerprint) || !self.is_intact(i, path, e) {
            return false;
        }
        self.kept[i].store(true, Ordering::Relaxed);
        true
    }
}

/// Write a new file (creating its folder) and return its stat.
fn write_new(path: &Path, bytes: &[u8]) -> Result<Stat, Diagnostic> {
    let create = || fs::File::create(path);
    let mut f = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = path.parent().unwrap_or(Path::new("."));
            fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create folder", e))?;
            create()
        }
        r => r,
    }
    .map_err(|e| io_error(path, "cannot write", e))?;
    f.write_all(bytes)
        .map_err(|e| io_error(path, "cannot write", e))?;
    let meta = f
        .metadata()
        .map_err(|e| io_error(path, "cannot write", e))?;
    Ok(Stat::of(&meta))
}

/// Move the staged tree `from` into `to`: whole folders where `to` has none, else file by file.
fn merge(from: &Path, to: &Path) -> Result<(), Diagnostic> {
    let entries = fs::read_dir(from).map_err(|e| io_error(from, "cannot read", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(from, "cannot read", e))?;
        let src = entry.path();
        let dest = to.join(entry.file_name());
        let src_is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let dest_meta = fs::symlink_metadata(&dest).ok();
        match dest_meta {
            Some(m) if src_is_dir && m.is_dir() => merge(&src, &dest)?,
            Some(m) if m.is_dir() => {
                fs::remove_dir_all(&dest)
                    .map_err(|e| io_error(&dest, "cannot replace folder", e))?;
                rename(&src, &dest)?;
            }
            Some(_) if src_is_dir => {
                fs::remove_file(&dest).map_err(|e| io_error(&dest, "cannot replace file", e))?;
                rename(&src, &dest)?;
            }
            _ => rename(&src, &dest)?,
        }
    }
    Ok(())
}

fn rename(from: &Path, to: &Path) -> Result<(), Diagnostic> {
    fs::rename(from, to).map_err(|e| io_error(to, "cannot write", e))
}

/// Remove the files of the previous build that this one did not produce, and their empty folders.
fn remove_listed(out: &Path, stale: &[String]) -> Result<Vec<String>, Diagnostic> {
    let mut removed: Vec<String> = Vec::new();
    for path in stale {
        let abs = out.join(path);
        if fs::symlink_metadata(&abs).is_ok_and(|m| m.is_file()) {
            fs::remove_file(&abs).map_err(|e| io_error(&abs, "cannot remove stale file", e))?;
            removed.push(path.clone());
        }
        let mut dir = abs.parent();
        while let Some(d) = dir.filter(|d| *d != out) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    removed.sort();
    Ok(removed)
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> Diagnostic {
    Diagnostic::error("output", format!("{what} {}: {e}", path.display()))
}

/// Write to a temporary file beside `dest`, then rename it into place.
pub fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create folder", e))?;
    let name = dest
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.explainer-tmp"));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        drop(f);
        fs::rename(&tmp, dest)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(dest, "cannot write", e)
    })
}

/// Remove files in `out` that are not in `keep`, then empty folders; never follows symlinks.
fn remove_stale(out: &Path, keep: &Manifest) -> Result<Vec<String>, Diagnostic> {
    let keep: HashSet<PathBuf> = keep.keys().map(|p| out.join(p)).collect();
    let mut removed = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(out).follow_links(false).min_depth(1) {
        let entry = entry
            .map_err(|e| Diagnostic::error("output", format!("cannot read output folder: {e}")))?;
        let path = entry.path();
        if entry.file_type().is_dir() {
            dirs.push(path.to_path_buf());
            continue;
        }
        if path == out.join(MARKER) || keep.contains(path) {
            continue;
        }
        fs::remove_file(path).map_err(|e| io_error(path, "cannot remove stale file", e))?;
        removed.push(
            path.strip_prefix(out)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/"),
        );
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        // Only empty folders go; a non-empty one fails harmlessly.
        let _ = fs::remove_dir(&d);
    }
    removed.sort();
    Ok(removed)
}
