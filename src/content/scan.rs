//! Finds every file and folder under `content/` and stats each file, before
//! anything is read: the list every build starts from, and most of what a
//! build with nothing to do does.
//!
//! Folders are read in parallel, one task each. A symlink is followed only
//! when it resolves inside the site, and a folder reached through one is not
//! entered when it is one of the folders it sits in (a loop).

use super::CONTENT_DIR;
use crate::diagnostics::{Diagnostic, Report};
use crate::stamp::{Folder, Stat};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A file found under `content/`, before parsing.
pub struct Found {
    pub abs: PathBuf,
    /// Path relative to `content/`, `/`-separated.
    pub rel: String,
    /// The file's stat when it was found (none if it vanished).
    pub stat: Option<Stat>,
}

/// Every file and folder under `content/`, with stats, before anything is read.
#[derive(Default)]
pub struct Scan {
    pub markdown: Vec<Found>,
    pub others: Vec<Found>,
    /// Every folder by its path inside `content/`, the content folder itself
    /// as `""`; sorted.
    pub dirs: Vec<String>,
    pub report: Report,
}

/// Walk `ROOT/content` and stat every file (in parallel).
pub fn scan(root: &Path) -> Scan {
    let content_dir = root.join(CONTENT_DIR);
    if !content_dir.is_dir() {
        let missing = Diagnostic::error("content", "the site has no content/ folder")
            .in_file(CONTENT_DIR)
            .note("create content/_index.md for the home page");
        let mut report = Report::default();
        report.push(missing);
        return Scan {
            dirs: vec![String::new()],
            report,
            ..Scan::default()
        };
    }
    let walker = Walker {
        root,
        canonical_root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
    };
    let top = Ancestor {
        canonical: content_dir
            .canonicalize()
            .unwrap_or_else(|_| content_dir.clone()),
        abs: content_dir.clone(),
        rel: String::new(),
        parent: None,
    };
    let mut found = walker.folder(&top);
    found.dirs.push(String::new());
    let Listing {
        mut markdown,
        mut others,
        mut dirs,
        mut errors,
    } = found;
    // Sorted once here: sorting each folder's entries costs more.
    markdown.par_sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    others.par_sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    dirs.sort_unstable();
    for files in [&mut markdown, &mut others] {
        errors.extend(stat_files(root, &content_dir, files));
    }
    let mut report = Report::default();
    report.extend(errors);
    Scan {
        markdown,
        others,
        dirs,
        report,
    }
}

/// What a folder holds, its subfolders' contents included.
#[derive(Default)]
struct Listing {
    markdown: Vec<Found>,
    others: Vec<Found>,
    dirs: Vec<String>,
    errors: Vec<Diagnostic>,
}

impl Listing {
    fn add(&mut self, other: Listing) {
        self.markdown.extend(other.markdown);
        self.others.extend(other.others);
        self.dirs.extend(other.dirs);
        self.errors.extend(other.errors);
    }
}

/// A folder being walked, and the folders it sits in (for finding loops).
struct Ancestor<'a> {
    /// The folder's real path: symlinks resolved.
    canonical: PathBuf,
    /// The folder's path as the walk reached it.
    abs: PathBuf,
    /// Its path inside `content/`.
    rel: String,
    parent: Option<&'a Ancestor<'a>>,
}

impl Ancestor<'_> {
    /// The folder among this one and those it sits in whose real path is `canonical`.
    fn find(&self, canonical: &Path) -> Option<&Ancestor<'_>> {
        let mut at = Some(self);
        while let Some(a) = at {
            if a.canonical == canonical {
                return Some(a);
            }
            at = a.parent;
        }
        None
    }
}

struct Walker<'a> {
    root: &'a Path,
    canonical_root: PathBuf,
}

/// A subfolder to walk: its path, its path inside `content/`, its real path.
type Subfolder = (PathBuf, String, PathBuf);

impl Walker<'_> {
    /// List the folder `here` and, in parallel, its subfolders.
    fn folder(&self, here: &Ancestor<'_>) -> Listing {
        let mut listing = Listing::default();
        let entries = match std::fs::read_dir(&here.abs) {
            Ok(entries) => entries,
            Err(e) => {
                listing.errors.push(self.cannot_read(&here.abs, &e));
                return listing;
            }
        };
        let mut subfolders: Vec<Subfolder> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => self.entry(here, &entry, &mut listing, &mut subfolders),
                Err(e) => listing.errors.push(self.cannot_read(&here.abs, &e)),
            }
        }
        let within: Vec<Listing> = (subfolders.into_par_iter())
            .map(|(abs, rel, canonical)| {
                self.folder(&Ancestor {
                    canonical,
                    abs,
                    rel,
                    parent: Some(here),
                })
            })
            .collect();
        for l in within {
            listing.add(l);
        }
        listing
    }

    /// Sort one entry of the folder `here` into `listing` (a file or a
    /// folder's path) and `subfolders` (a folder to walk), or report it.
    fn entry(
        &self,
        here: &Ancestor<'_>,
        entry: &std::fs::DirEntry,
        listing: &mut Listing,
        subfolders: &mut Vec<Subfolder>,
    ) {
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        if is_ignored(&name) {
            return;
        }
        let abs = entry.path();
        let rel = match here.rel.is_empty() {
            true => name.into_owned(),
            false => format!("{}/{name}", here.rel),
        };
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(e) => return listing.errors.push(self.cannot_read(&abs, &e)),
        };
        // The folder's real path, or none for a file.
        let folder = if file_type.is_symlink() {
            match self.resolve_symlink(&abs) {
                Ok(target) => Some(target).filter(|t| t.is_dir()),
                Err(d) => return listing.errors.push(d),
            }
        } else if file_type.is_dir() {
            Some(here.canonical.join(&file_name))
        } else {
            None
        };
        let Some(canonical) = folder else {
            let list = match rel.ends_with(".md") {
                true => &mut listing.markdown,
                false => &mut listing.others,
            };
            list.push(Found {
                abs,
                rel,
                stat: None,
            });
            return;
        };
        if let Some(ancestor) = here.find(&canonical) {
            let message = format!(
                "symlink loop: it points back to {}",
                self.shown(&ancestor.abs).display()
            );
            let d = Diagnostic::error("content", message).in_file(self.shown(&abs));
            return listing.errors.push(d);
        }
        listing.dirs.push(rel.clone());
        subfolders.push((abs, rel, canonical));
    }

    /// Where the symlink at `link` leads, if that is inside the site.
    fn resolve_symlink(&self, link: &Path) -> Result<PathBuf, Diagnostic> {
        let shown = self.shown(link);
        match link.canonicalize() {
            Ok(target) if target.starts_with(&self.canonical_root) => Ok(target),
            Ok(target) => Err(Diagnostic::error(
                "content",
                format!(
                    "symlink points outside the site (to {}); explainer does not follow it",
                    target.display()
                ),
            )
            .in_file(shown)),
            Err(e) => {
                Err(Diagnostic::error("content", format!("broken symlink: {e}")).in_file(shown))
            }
        }
    }

    fn cannot_read(&self, path: &Path, e: &std::io::Error) -> Diagnostic {
        Diagnostic::error("content", format!("cannot read: {e}")).in_file(self.shown(path))
    }

    /// `path` as messages show it: inside the site folder.
    fn shown<'p>(&self, path: &'p Path) -> &'p Path {
        path.strip_prefix(self.root).unwrap_or(path)
    }
}

/// Stat every file found, in parallel (one stat each: its size and time,
/// and what kind of file it is); drop and report those that are not
/// regular files (a FIFO, socket or device). A file that vanished keeps no stat.
fn stat_files(root: &Path, content_dir: &Path, files: &mut Vec<Found>) -> Vec<Diagnostic> {
    // By path inside the content folder: the kernel walks fewer components
    // (every build stats every content file; a no-op does little else).
    let folder = Folder::open(content_dir);
    let kinds: Vec<Option<&'static str>> = (files.par_iter_mut())
        .map(|f| {
            if let Some(stat) = folder.stat(&f.rel) {
                f.stat = Some(stat);
                return None;
            }
            // Not a regular file, or gone: what it is, for the message.
            let meta = std::fs::metadata(&f.abs).ok()?;
            let kind = super::not_a_file(&meta);
            if kind.is_none() {
                f.stat = Some(Stat::of(&meta));
            }
            kind
        })
        .collect();
    let mut refused = Vec::new();
    let mut kinds = kinds.into_iter();
    files.retain(|f| match kinds.next().flatten() {
        None => true,
        Some(what) => {
            refused.push(
                Diagnostic::error(
                    "content",
                    format!("{what} is not content: only regular files and folders are read"),
                )
                .in_file(f.abs.strip_prefix(root).unwrap_or(&f.abs)),
            );
            false
        }
    });
    refused
}

/// Dot files, editor backups and temp files (and whatever is inside such a
/// folder) are never content.
fn is_ignored(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp") || name.starts_with('#')
}
