//! Output stage: syncs rendered files into the output folder — writes only what
//! changed (atomically), removes what the build no longer produces, and refuses
//! any folder the tool did not create.
//!
//! This is the only module that deletes files, and it never leaves the output folder.

use crate::diagnostics::Diagnostic;
use crate::render::{Contents, OutputFile};
use rayon::prelude::*;
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file that marks a folder as `explainer` output, so it may be synced.
pub const MARKER: &str = ".explainer-output";

/// What a sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

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

/// Make the output folder hold exactly `files`, touching only what differs.
pub fn sync(out: &Path, files: &[OutputFile]) -> Result<SyncStats, Diagnostic> {
    fs::create_dir_all(out).map_err(|e| io_error(out, "cannot create the output folder", e))?;
    let results: Vec<Result<bool, Diagnostic>> =
        files.par_iter().map(|f| write_if_changed(out, f)).collect();
    let mut stats = SyncStats::default();
    for r in results {
        if r? {
            stats.written += 1;
        } else {
            stats.unchanged += 1;
        }
    }
    let keep: HashSet<PathBuf> = files.iter().map(|f| out.join(&f.path)).collect();
    stats.removed = remove_stale(out, &keep)?;
    let marker = out.join(MARKER);
    if !marker.exists() {
        fs::write(&marker, "This folder is written by `explainer build`; files in it may be replaced or removed.\n")
            .map_err(|e| io_error(&marker, "cannot write", e))?;
    }
    Ok(stats)
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> Diagnostic {
    Diagnostic::error("output", format!("{what} {}: {e}", path.display()))
}

/// Write one file unless its bytes are already there; true when written.
fn write_if_changed(out: &Path, file: &OutputFile) -> Result<bool, Diagnostic> {
    let dest = out.join(&file.path);
    let bytes = match &file.contents {
        Contents::Bytes(b) => std::borrow::Cow::Borrowed(b.as_slice()),
        Contents::Copy(src) => {
            std::borrow::Cow::Owned(fs::read(src).map_err(|e| io_error(src, "cannot read", e))?)
        }
    };
    if let Ok(meta) = fs::symlink_metadata(&dest) {
        if meta.is_file()
            && meta.len() == bytes.len() as u64
            && fs::read(&dest).is_ok_and(|old| old == *bytes)
        {
            return Ok(false);
        }
        if meta.is_dir() {
            fs::remove_dir_all(&dest).map_err(|e| io_error(&dest, "cannot replace folder", e))?;
        }
    }
    write_atomically(&dest, &bytes)?;
    Ok(true)
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
fn remove_stale(out: &Path, keep: &HashSet<PathBuf>) -> Result<usize, Diagnostic> {
    let mut removed = 0;
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
        removed += 1;
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        // Only empty folders go; a non-empty one fails harmlessly.
        let _ = fs::remove_dir(&d);
    }
    Ok(removed)
}
