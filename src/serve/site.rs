//! The in-memory site `serve` answers from, and the one function that
//! (re)builds it.
//!
//! A [`Site`] is immutable once built: a rebuild renders a complete new one and
//! the server swaps it in whole, so a response is always from one build.

use crate::config::base_path_of;
use crate::diagnostics::{Diagnostic, Report};
use crate::pipeline::{self, Options};
use crate::render::{Contents, MemorySink};
use axum::body::Bytes;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// One complete build, held in memory.
#[derive(Debug, Default)]
pub struct Site {
    /// Counts successful builds from 1; 0 is "nothing built yet".
    pub build: u64,
    /// The path the site lives under (`/` or `/explainer/`), from `base_url`.
    pub base_path: String,
    /// Output files by path relative to the site (`parties/russia/index.html`).
    pub files: HashMap<String, Bytes>,
}

impl Site {
    pub fn get(&self, rel: &str) -> Option<&Bytes> {
        self.files.get(rel)
    }
}

/// What a successful rebuild produced.
#[derive(Debug)]
pub struct Rebuilt {
    pub site: Site,
    /// Output paths that are new, different or gone compared with the previous build, sorted.
    pub changed: Vec<String>,
    /// Warnings of the build.
    pub report: Report,
    pub pages: usize,
    pub sections: usize,
    pub elapsed: Duration,
}

/// How to build the site for serving.
#[derive(Debug, Clone)]
pub struct Builder {
    pub root: std::path::PathBuf,
    pub drafts: bool,
    /// `http://127.0.0.1:1111`, no trailing slash: replaces the origin of `base_url`.
    pub origin: String,
}

impl Builder {
    /// The base path the site's `config.toml` asks for, when it can be read.
    pub fn base_path(&self) -> Option<String> {
        let opts = Options {
            root: self.root.clone(),
            drafts: self.drafts,
            ..Options::default()
        };
        pipeline::load_config(&opts)
            .ok()
            .map(|c| c.base_path().to_string())
    }

    /// Build the whole site into memory and compare it with `previous`.
    ///
    /// This is the only place `serve` builds; making rebuilds incremental means
    /// changing this function (it is handed the previous site for that reason).
    pub fn rebuild(&self, previous: &Site) -> Result<Rebuilt, Report> {
        let started = Instant::now();
        let mut opts = Options {
            root: self.root.clone(),
            drafts: self.drafts,
            ..Options::default()
        };
        let config = pipeline::load_config(&opts)?;
        let base_path = base_path_of(&config.base_url).to_string();
        opts.base_url = Some(format!("{}{}", self.origin, base_path));
        let sink = MemorySink::default();
        let rendered = pipeline::render_site(&opts, &sink)?;
        let read: Vec<Result<(String, Bytes), Box<Diagnostic>>> = sink
            .into_files()
            .into_par_iter()
            .map(|f| match f.contents {
                Contents::Bytes(b) => Ok((f.path, Bytes::from(b))),
                Contents::Copy(src) => std::fs::read(&src)
                    .map(|b| (f.path, Bytes::from(b)))
                    .map_err(|e| {
                        Box::new(
                            Diagnostic::error("serve", format!("cannot read: {e}"))
                                .in_file(src.strip_prefix(&self.root).unwrap_or(&src)),
                        )
                    }),
            })
            .collect();
        let mut report = Report::default();
        let mut files = HashMap::with_capacity(read.len());
        for r in read {
            match r {
                Ok((path, bytes)) => {
                    files.insert(path, bytes);
                }
                Err(d) => report.push(*d),
            }
        }
        if report.has_errors() {
            return Err(report);
        }
        let changed = diff(&previous.files, &mut files);
        Ok(Rebuilt {
            site: Site {
                build: previous.build + 1,
                base_path,
                files,
            },
            changed,
            report: rendered.report,
            pages: rendered.pages,
            sections: rendered.sections,
            elapsed: started.elapsed(),
        })
    }
}

/// The paths that differ between two builds; unchanged files of `new` share
/// their bytes with `old`.
pub fn diff(old: &HashMap<String, Bytes>, new: &mut HashMap<String, Bytes>) -> Vec<String> {
    let mut changed = Vec::new();
    for (path, bytes) in new.iter_mut() {
        match old.get(path) {
            Some(before) if before == bytes => *bytes = before.clone(),
            _ => changed.push(path.clone()),
        }
    }
    changed.extend(old.keys().filter(|p| !new.contains_key(*p)).cloned());
    changed.sort();
    changed
}

/// Whether `path` (relative to the site root, `/`-separated) is something the
/// site is built from: `config.toml` or a file under `content/`, `templates/`
/// or `static/` that is not an editor's temp or backup file.
pub fn is_source(rel: &Path) -> bool {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [one] => one == crate::config::CONFIG_FILE || is_watched_dir(one),
        [top, rest @ ..] if is_watched_dir(top) => !rest.iter().any(|p| is_editor_temp(p)),
        _ => false,
    }
}

/// The folders under the site root that `serve` watches.
pub const WATCHED_DIRS: [&str; 3] = [
    crate::content::CONTENT_DIR,
    crate::templates::TEMPLATES_DIR,
    crate::render::STATIC_DIR,
];

fn is_watched_dir(name: &str) -> bool {
    WATCHED_DIRS.contains(&name)
}

/// Dot files, backups (`x~`), swap files and Emacs lock/autosave files.
fn is_editor_temp(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with('#')
        || name == "4913"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_finds_new_changed_and_removed_files() {
        let old: HashMap<String, Bytes> = [("a", "1"), ("b", "2"), ("c", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Bytes::from(v)))
            .collect();
        let mut new: HashMap<String, Bytes> = [("a", "1"), ("b", "changed"), ("d", "4")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Bytes::from(v)))
            .collect();
        assert_eq!(diff(&old, &mut new), vec!["b", "c", "d"]);
    }

    #[test]
    fn sources_are_content_templates_static_and_config() {
        assert!(is_source(Path::new("config.toml")));
        assert!(is_source(Path::new("content/a/b.md")));
        assert!(is_source(Path::new("templates/page.html")));
        assert!(is_source(Path::new("static/style.css")));
        assert!(is_source(Path::new("static")));
        assert!(!is_source(Path::new("public/index.html")));
        assert!(!is_source(Path::new("content/.b.md.swp")));
        assert!(!is_source(Path::new("content/b.md~")));
        assert!(!is_source(Path::new("content/4913")));
        assert!(!is_source(Path::new("Cargo.toml")));
    }
}
