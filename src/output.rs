//! Output stage: stages rendered files that differ from what the output folder
//! holds, then commits them (renames them into place), removes what the build
//! no longer produces, and refuses any folder the tool did not create.
//!
//! A manifest from the previous build (size, mtime and hash of every file)
//! tells which files are unchanged without reading them; a file whose stat no
//! longer matches is compared byte for byte. Until the commit, the only change
//! to the output folder is a hidden staging folder, removed on failure.
//!
//! One build at a time writes to an output folder: it holds an advisory lock
//! on the folder ([`OutputLock`]) from before staging until after its cache is
//! saved. The commit is a transaction: every file it replaces or removes is
//! first moved aside, and if any step fails every step is undone, so the
//! folder holds the previous build again (a file that cannot be put back is
//! named, and the next build repairs it). The marker file lists the files the
//! build wrote: only those are ever replaced or removed, whether or not a
//! build cache exists; anything else in the folder (a `CNAME`) is kept.
//! This is the only module that deletes files, and it never leaves the output folder.

use crate::diagnostics::Diagnostic;
use crate::render::{Contents, OutputFile, Sink};
use crate::stamp::{self, Folder, Hash, Stat};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The file that marks a folder as `explainer` output, so it may be synced.
pub const MARKER: &str = ".explainer-output";

/// The folder inside the output folder where a build stages changed files
/// (in `new/`) and moves the files its commit replaces (to `old/`).
pub const STAGING: &str = ".explainer-staging";

/// The code of the error that says a failed commit could not put every file back.
pub const MIXED: &str = "output-mixed";

/// The marker's first line; the files the build wrote follow its second.
const MARKER_TEXT: &str = "This folder is written by `explainer build`; the files listed below may be replaced or removed.\nFiles the last build wrote (anything else here is yours and is kept):\n";

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
        // Empty, or holding only the staging folder of a first build into it.
        let empty = fs::read_dir(&out_abs)
            .map(|mut d| d.all(|e| e.is_ok_and(|e| e.file_name() == STAGING)))
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

/// What a build has put in the output folder before its commit, for whoever
/// ends the process early (an interrupt, a render over its limits) to undo:
/// the staging folder, and the output folder itself when the build created
/// it. Staging a file holds the gate shared; the commit and
/// [`Gate::abandon`] hold it alone, so neither runs while a file is half written.
#[derive(Default)]
pub struct Gate(RwLock<GateState>);

#[derive(Default)]
struct GateState {
    staging: Option<PathBuf>,
    created_out: Option<PathBuf>,
    committing: bool,
    abandoned: bool,
}

impl Gate {
    fn shared(&self) -> std::sync::RwLockReadGuard<'_, GateState> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn alone(&self) -> std::sync::RwLockWriteGuard<'_, GateState> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Remove what the build has staged (and the output folder, if it made
    /// it and it is empty) and stop it from staging more; false, and nothing
    /// done, once its commit has begun: the caller must let the commit finish.
    pub fn abandon(&self) -> bool {
        let mut g = self.alone();
        if g.committing {
            return false;
        }
        g.abandoned = true;
        if let Some(dir) = g.staging.take() {
            let _ = fs::remove_dir_all(dir);
        }
        if let Some(out) = g.created_out.take() {
            let _ = fs::remove_dir(out);
        }
        true
    }
}

fn interrupted() -> Diagnostic {
    Diagnostic::error("interrupted", "the build was interrupted")
}

/// One build's hold on an output folder: an advisory lock on the folder
/// itself (no lock file lands in the site), released when dropped, after
/// removing the folder if this build created it and left it empty.
pub struct OutputLock {
    folder: fs::File,
    created: Option<PathBuf>,
}

impl OutputLock {
    /// Lock `out` (creating it), calling `waiting` once if another build holds it first.
    pub fn acquire(
        out: &Path,
        gate: &Gate,
        waiting: impl FnOnce(),
    ) -> Result<OutputLock, Diagnostic> {
        let mut waiting = Some(waiting);
        loop {
            let created = {
                let mut g = gate.alone();
                if g.abandoned {
                    return Err(interrupted());
                }
                let created = !out.exists();
                fs::create_dir_all(out)
                    .map_err(|e| io_error(out, "cannot create the output folder", e))?;
                if created {
                    g.created_out = Some(out.to_path_buf());
                }
                created
            };
            let folder = fs::File::open(out).map_err(|e| io_error(out, "cannot open", e))?;
            match folder.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    if let Some(say) = waiting.take() {
                        say();
                    }
                    folder.lock().map_err(|e| io_error(out, "cannot lock", e))?;
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_error(out, "cannot lock", e)),
            }
            // The build that held it may have removed the folder (it had made it, and failed).
            if same_folder(&folder, out) {
                return Ok(OutputLock {
                    folder,
                    created: created.then(|| out.to_path_buf()),
                });
            }
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if let Some(out) = &self.created {
            // Only an empty folder goes: a failed first build leaves nothing behind.
            let _ = fs::remove_dir(out);
        }
        let _ = self.folder.unlock();
    }
}

/// Whether the open folder `file` is still the one at `path`.
fn same_folder(file: &fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.is_dir()
    }
}

/// The files the marker in `out` says the last build wrote; `None` when it lists none.
fn listed_in_marker(out: &Path) -> Option<Vec<String>> {
    let text = fs::read_to_string(out.join(MARKER)).ok()?;
    let list = text.strip_prefix(MARKER_TEXT)?;
    Some(
        list.lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    )
}

/// The marker's text for a build that wrote `paths`. A path with a line
/// break cannot be listed: such a file is never removed.
fn marker_text(paths: &Manifest) -> String {
    let mut text = String::with_capacity(MARKER_TEXT.len() + paths.len() * 32);
    text.push_str(MARKER_TEXT);
    let mut sorted: Vec<&String> = paths.keys().filter(|p| !p.contains('\n')).collect();
    sorted.sort();
    for p in sorted {
        text.push_str(p);
        text.push('\n');
    }
    text
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

/// A sink that stages changed files in `OUT/.explainer-staging/new` and keeps unchanged ones.
pub struct Staging {
    out: PathBuf,
    /// `out`, open for stats of the files in it.
    out_folder: Folder,
    dir: PathBuf,
    /// Where staged files go: `dir/new`.
    new: PathBuf,
    gate: Arc<Gate>,
    /// The output folder held nothing (but perhaps the marker): nothing can be stale.
    was_empty: bool,
    previous: Option<Manifest>,
    /// Without a previous manifest: the files the marker lists.
    listed: Option<Vec<String>>,
    /// Which of `previous`'s entries `keep` kept, by index.
    kept: Vec<AtomicBool>,
    /// Whether each of `previous`'s files is still as it was written, by
    /// index: one of the `UNCHECKED`, `CHECKING`, `INTACT`, `DAMAGED` states.
    intact: Vec<AtomicU8>,
    gathered: Mutex<Gathered>,
    /// The folders under `new` made so far.
    made_dirs: Mutex<rustc_hash::FxHashSet<std::ffi::OsString>>,
    finished: bool,
}

impl Staging {
    /// Prepare to stage into `out` (locked by this build); `previous` is the
    /// manifest of the last build into it.
    pub fn begin(
        out: &Path,
        previous: Option<Manifest>,
        gate: Arc<Gate>,
    ) -> Result<Staging, Diagnostic> {
        let was_empty = fs::read_dir(out).is_ok_and(|mut d| {
            d.all(|e| e.is_ok_and(|e| e.file_name() == MARKER || e.file_name() == STAGING))
        });
        let dir = out.join(STAGING);
        let new = dir.join("new");
        {
            let mut g = gate.alone();
            if g.abandoned {
                return Err(interrupted());
            }
            if fs::symlink_metadata(&dir).is_ok() {
                // Left by a build that was killed: no build holds this folder but us.
                fs::remove_dir_all(&dir)
                    .map_err(|e| io_error(&dir, "cannot remove old staging folder", e))?;
            }
            fs::create_dir_all(&new).map_err(|e| io_error(&new, "cannot create", e))?;
            g.staging = Some(dir.clone());
        }
        let listed = if previous.is_none() {
            listed_in_marker(out)
        } else {
            None
        };
        let entries = previous.as_ref().map_or(0, |m| m.len());
        Ok(Staging {
            out: out.to_path_buf(),
            out_folder: Folder::open(out),
            dir,
            gate,
            was_empty,
            kept: (0..entries).map(|_| AtomicBool::new(false)).collect(),
            intact: (0..entries).map(|_| AtomicU8::new(UNCHECKED)).collect(),
            gathered: Mutex::new(Gathered::default()),
            made_dirs: Mutex::new([new.clone().into_os_string()].into_iter().collect()),
            new,
            previous,
            listed,
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
            Contents::Copy(src) => {
                crate::content::read_input(&src).map_err(|e| io_error(&src, "cannot read", e))?
            }
        };
        let hash = stamp::hash(&bytes);
        let dest = self.out.join(&file.path);
        // The folder was empty when the build began (and is locked): nothing to compare.
        let dest_stat = if self.was_empty {
            None
        } else {
            Stat::read(&dest)
        };
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
        let staged = self.new.join(&file.path);
        let stat = {
            let gate = self.gate.shared();
            if gate.abandoned {
                return Err(interrupted());
            }
            self.write_new(&staged, &bytes)?
        };
        let entry = Entry {
            stat,
            hash,
            fingerprint: file.fingerprint,
        };
        self.record(file.path, entry, true);
        Ok(())
    }

    /// Write a staged file, making its folder first unless this build made it
    /// already (trying to create the file first fails once per page folder).
    fn write_new(&self, staged: &Path, bytes: &[u8]) -> Result<Stat, Diagnostic> {
        let dir = staged.parent().unwrap_or(Path::new("."));
        let made_dirs = || self.made_dirs.lock().unwrap_or_else(|e| e.into_inner());
        if !made_dirs().contains(dir.as_os_str()) {
            fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create folder", e))?;
            made_dirs().insert(dir.as_os_str().to_owned());
        }
        write_file(staged, bytes)
    }

    /// Move every staged file into place, remove stale files, and return what
    /// happened and the new manifest; on failure put everything back. Holds
    /// the gate: an interrupt waits until this is over.
    pub fn commit(mut self) -> Result<(SyncStats, Manifest), Diagnostic> {
        let gathered = std::mem::take(&mut *self.gathered());
        if let Some(e) = gathered.errors.into_iter().next() {
            return Err(e);
        }
        let gate = self.gate.clone();
        let mut g = gate.alone();
        if g.abandoned {
            return Err(interrupted());
        }
        g.committing = true;
        let listed_before = self.previous.is_some() || self.listed.is_some();
        let (entries, stale, new_paths) = self.produced(gathered.entries);
        let stale = if self.was_empty { Vec::new() } else { stale };
        let mut journal = Journal::new(&self.out, self.dir.join("old"));
        let result = (|| {
            journal.merge(&self.new, &self.out, "")?;
            for path in &stale {
                journal.retire(path)?;
            }
            if new_paths || !stale.is_empty() || !listed_before || !self.out.join(MARKER).is_file()
            {
                let marker = self.dir.join(MARKER);
                fs::write(&marker, marker_text(&entries))
                    .map_err(|e| io_error(&marker, "cannot write", e))?;
                journal.put(&marker, MARKER)?;
            }
            Ok::<(), Diagnostic>(())
        })();
        self.finished = true;
        if let Err(e) = result {
            let unrestored = journal.roll_back();
            let _ = fs::remove_dir_all(&self.dir);
            g.staging = None;
            return Err(failed_commit(e, &unrestored));
        }
        let removed_paths = journal.retired();
        let _ = fs::remove_dir_all(&self.dir);
        g.staging = None;
        remove_empty_parents(&self.out, &removed_paths);
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
    /// then the ones it compared or staged; the previous paths it no longer
    /// produces; and whether it produces a path the previous build did not.
    fn produced(&mut self, gathered: Manifest) -> (Manifest, Vec<String>, bool) {
        let Some(mut entries) = self.previous.take() else {
            let stale = (self.listed.take().unwrap_or_default().into_iter())
                .filter(|p| !gathered.contains_key(p))
                .collect();
            return (gathered, stale, true);
        };
        let mut stale = Vec::new();
        let mut kept = self.kept.iter();
        let before = entries.len();
        entries.retain(|path, _| {
            let keep = kept.next().is_some_and(|k| k.load(Ordering::Relaxed));
            if !keep && !gathered.contains_key(path) {
                stale.push(path.clone());
            }
            keep
        });
        entries.extend(gathered);
        // Every previous path is now kept, gathered again or stale: any more is new.
        let new_paths = entries.len() + stale.len() != before;
        (entries, stale, new_paths)
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
        let mut g = self.gate.alone();
        let _ = fs::remove_dir_all(&self.dir);
        g.staging = None;
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

    fn had_exactly(&self, mut paths: &mut dyn ExactSizeIterator<Item = &String>) -> Option<bool> {
        let previous = self.previous.as_ref()?;
        Some(
            previous.len() == paths.len()
                && Iterator::all(&mut paths, |p| previous.contains_key(p)),
        )
    }
}

/// The error of a commit that failed with `e`: the folder holds the previous
/// build again, or (`unrestored` not empty) these files of it could not be put back.
fn failed_commit(e: Diagnostic, unrestored: &[String]) -> Diagnostic {
    if unrestored.is_empty() {
        return e.note("every file the commit had replaced or removed was put back: the output folder holds the previous build");
    }
    let mut d = Diagnostic::error(
        MIXED,
        format!(
            "the commit failed and {} file{} of the previous build could not be put back: {}",
            unrestored.len(),
            if unrestored.len() == 1 { "" } else { "s" },
            unrestored.join(", ")
        ),
    )
    .note(format!("the commit failed because: {}", e.message));
    d = d.note("every other file holds the previous build; the next build rewrites the ones named");
    d
}

/// One step of a commit, as it can be undone.
enum Step {
    /// `dest` did not exist; the staged `from` was moved there.
    Placed { dest: PathBuf, from: PathBuf },
    /// `dest` was moved aside to `backup`, and `from` (if any) moved to `dest`.
    Replaced {
        rel: String,
        dest: PathBuf,
        backup: PathBuf,
        from: Option<PathBuf>,
    },
}

/// The steps of a commit so far, to undo them all if one fails.
struct Journal {
    out: PathBuf,
    /// Where replaced and removed files are moved aside.
    old: PathBuf,
    steps: Vec<Step>,
}

impl Journal {
    fn new(out: &Path, old: PathBuf) -> Journal {
        Journal {
            out: out.to_path_buf(),
            old,
            steps: Vec::new(),
        }
    }

    /// Move the staged tree `from` into `to` (`rel` inside the output folder):
    /// whole folders where `to` has none, else entry by entry.
    fn merge(&mut self, from: &Path, to: &Path, rel: &str) -> Result<(), Diagnostic> {
        let entries = fs::read_dir(from).map_err(|e| io_error(from, "cannot read", e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(from, "cannot read", e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let rel = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let src = entry.path();
            let dest = to.join(entry.file_name());
            let src_is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            match fs::symlink_metadata(&dest) {
                Ok(m) if src_is_dir && m.is_dir() => self.merge(&src, &dest, &rel)?,
                Ok(_) => self.replace(&src, &dest, rel)?,
                Err(_) => {
                    rename(&src, &dest).map_err(|e| io_error(&dest, "cannot write", e))?;
                    self.steps.push(Step::Placed { dest, from: src });
                }
            }
        }
        Ok(())
    }

    /// Put the file `from` at `rel` in the output folder, moving what is there aside.
    fn put(&mut self, from: &Path, rel: &str) -> Result<(), Diagnostic> {
        let dest = self.out.join(rel);
        if fs::symlink_metadata(&dest).is_err() {
            rename(from, &dest).map_err(|e| io_error(&dest, "cannot write", e))?;
            self.steps.push(Step::Placed {
                dest,
                from: from.to_path_buf(),
            });
            return Ok(());
        }
        self.replace(from, &dest, rel.to_string())
    }

    fn replace(&mut self, from: &Path, dest: &Path, rel: String) -> Result<(), Diagnostic> {
        let backup = self.set_aside(dest, &rel)?;
        self.steps.push(Step::Replaced {
            rel,
            dest: dest.to_path_buf(),
            backup,
            from: None,
        });
        rename(from, dest).map_err(|e| io_error(dest, "cannot replace", e))?;
        if let Some(Step::Replaced { from: f, .. }) = self.steps.last_mut() {
            *f = Some(from.to_path_buf());
        }
        Ok(())
    }

    /// Move the previous build's file `rel`, which this build does not produce, aside.
    fn retire(&mut self, rel: &str) -> Result<(), Diagnostic> {
        let dest = self.out.join(rel);
        if !fs::symlink_metadata(&dest).is_ok_and(|m| m.is_file()) {
            return Ok(());
        }
        let backup = self.set_aside(&dest, rel)?;
        self.steps.push(Step::Replaced {
            rel: rel.to_string(),
            dest,
            backup,
            from: None,
        });
        Ok(())
    }

    fn set_aside(&self, dest: &Path, rel: &str) -> Result<PathBuf, Diagnostic> {
        let backup = self.old.join(rel);
        if let Some(dir) = backup.parent() {
            fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create", e))?;
        }
        rename(dest, &backup).map_err(|e| io_error(dest, "cannot replace", e))?;
        Ok(backup)
    }

    /// The files the commit removed (moved aside with nothing in their place), sorted.
    fn retired(&self) -> Vec<String> {
        let mut removed: Vec<String> = (self.steps.iter())
            .filter_map(|s| match s {
                Step::Replaced {
                    rel, from: None, ..
                } => Some(rel.clone()),
                _ => None,
            })
            .collect();
        removed.sort();
        removed
    }

    /// Undo every step, last first; the paths that could not be put back.
    fn roll_back(self) -> Vec<String> {
        let mut unrestored = Vec::new();
        for step in self.steps.into_iter().rev() {
            match step {
                Step::Placed { dest, from } => {
                    if rename(&dest, &from).is_err() && remove_any(&dest).is_err() {
                        let rel = dest.strip_prefix(&self.out).unwrap_or(&dest);
                        unrestored.push(rel.to_string_lossy().into_owned());
                    }
                }
                Step::Replaced {
                    rel,
                    dest,
                    backup,
                    from,
                } => {
                    if from.is_some_and(|f| rename(&dest, &f).is_err()) {
                        let _ = remove_any(&dest);
                    }
                    if let Some(dir) = dest.parent() {
                        let _ = fs::create_dir_all(dir);
                    }
                    if rename(&backup, &dest).is_err() {
                        unrestored.push(rel);
                    }
                }
            }
        }
        unrestored.sort();
        unrestored
    }
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    }
}

/// Rename `from` to `to`. Debug builds (the test suite's) fail on purpose
/// where `EXPLAINER_FAIL_RENAME_TO` says: a comma-separated list of path
/// endings. Release builds have no such switch.
fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(debug_assertions)]
    if let Ok(faults) = std::env::var("EXPLAINER_FAIL_RENAME_TO") {
        let to_text = to.to_string_lossy();
        if faults
            .split(',')
            .any(|f| !f.is_empty() && to_text.ends_with(f))
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "fault injected by EXPLAINER_FAIL_RENAME_TO",
            ));
        }
    }
    fs::rename(from, to)
}

/// Write a new file (its folder exists) and return its stat.
fn write_file(path: &Path, bytes: &[u8]) -> Result<Stat, Diagnostic> {
    let mut f = fs::File::create(path).map_err(|e| io_error(path, "cannot write", e))?;
    f.write_all(bytes)
        .map_err(|e| io_error(path, "cannot write", e))?;
    let meta = f
        .metadata()
        .map_err(|e| io_error(path, "cannot write", e))?;
    Ok(Stat::of(&meta))
}

/// Remove the folders the removed files leave empty (never `out` itself).
fn remove_empty_parents(out: &Path, removed: &[String]) {
    for path in removed {
        let abs = out.join(path);
        let mut dir = abs.parent();
        while let Some(d) = dir.filter(|d| *d != out) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> Diagnostic {
    Diagnostic::error("output", format!("{what} {}: {e}", path.display()))
}
