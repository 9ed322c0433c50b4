//! The in-memory site `serve` answers from, and the one function that
//! (re)builds it.
//!
//! A [`Site`] is immutable once built: a rebuild makes a complete new one and
//! the server swaps it in whole, so a response is always from one build. A
//! rebuild renders only what changed: it reuses the parsed documents and
//! facts of the last good build ([`pipeline::State`]) and the files of the
//! last site whose inputs are unchanged.

use crate::config::base_path_of;
use crate::diagnostics::{Diagnostic, Report};
use crate::limits::Watch;
use crate::pipeline::{self, Job, Options, State};
use crate::render::{Contents, OutputFile, Sink};
use crate::stamp::Hash;
use axum::body::Bytes;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// One complete build, held in memory.
#[derive(Debug, Default)]
pub struct Site {
    /// Counts successful builds from 1; 0 is "nothing built yet".
    pub build: u64,
    /// The path the site lives under (`/` or `/explainer/`), from `base_url`.
    pub base_path: String,
    /// Output files by path relative to the site (`parties/russia/index.html`).
    pub files: Files,
    /// What each file was built from, where known (see [`OutputFile::fingerprint`]).
    pub fingerprints: FxHashMap<Arc<str>, Hash>,
}

/// A rendered file with its bytes in memory: path, fingerprint, bytes.
type ReadFile = (Arc<str>, Option<Hash>, Bytes);

/// A site's files by path; paths are shared between successive builds.
/// Hashed with FxHash: a rebuild looks up and inserts every path (10 000
/// of each at 10 000 pages), and the keys are the build's own output paths.
pub type Files = FxHashMap<Arc<str>, Bytes>;

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
#[derive(Clone)]
pub struct Builder {
    pub root: std::path::PathBuf,
    pub drafts: bool,
    /// `http://127.0.0.1:1111`, no trailing slash: replaces the origin of `base_url`.
    pub origin: String,
    /// What the last good build remembers for the next.
    pub warm: Arc<Mutex<State>>,
    /// The thread pool rebuilds run on: none (the global one) until a
    /// rebuild is given up with its threads stuck, then a new one.
    pub pool: Option<Arc<rayon::ThreadPool>>,
}

/// The hooks of a watched rebuild: its renders register with a watch.
struct Watched(Arc<Watch>);

impl pipeline::Hooks for Watched {
    fn watch(&self) -> Option<Arc<Watch>> {
        Some(self.0.clone())
    }
}

/// How often a watched rebuild is looked at for a render over its limits.
const WATCH_EVERY: Duration = Duration::from_millis(50);

/// A sink that keeps the previous site's files whose inputs are unchanged
/// and gathers the rest.
struct Reusing<'a> {
    previous: &'a Site,
    kept: Mutex<Vec<Arc<str>>>,
    put: Mutex<Vec<OutputFile>>,
}

impl Sink for Reusing<'_> {
    fn put(&self, file: OutputFile) {
        self.put
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(file);
    }

    fn keep(&self, path: &str, fingerprint: &Hash) -> bool {
        match self.previous.fingerprints.get_key_value(path) {
            // Every fingerprinted path has its file: `assemble` adds both.
            Some((key, fp)) if fp == fingerprint => {
                let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
                kept.push(key.clone());
                true
            }
            _ => false,
        }
    }

    fn had_exactly(&self, mut paths: &mut dyn ExactSizeIterator<Item = &String>) -> Option<bool> {
        let files = &self.previous.files;
        Some(
            files.len() == paths.len()
                && Iterator::all(&mut paths, |p| files.contains_key(p.as_str())),
        )
    }
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

    /// Build the site into memory, reusing what is unchanged since `previous`
    /// (the last good build), and say which files changed. `sources` are the
    /// site-relative paths that changed, when known.
    /// [`Builder::rebuild`] on a thread of its own while this one watches
    /// its renders: one over its limits (time or memory) gives the rebuild
    /// up with an error naming the template and page, so `serve` keeps
    /// answering from the last good site and serves the next good edit.
    /// The given-up thread is left behind (parked at its next allocation);
    /// the next rebuild starts afresh, on a new thread pool.
    pub fn rebuild_watched(
        &mut self,
        previous: Arc<Site>,
        sources: Option<BTreeSet<PathBuf>>,
    ) -> Result<Rebuilt, Report> {
        let watch = Arc::new(Watch::default());
        let (tx, rx) = mpsc::channel();
        let builder = self.clone();
        let hooks = Watched(watch.clone());
        let spawned = std::thread::Builder::new()
            .name("explainer-rebuild".into())
            .spawn(move || {
                let run = || builder.rebuild(&previous, sources.as_ref(), &hooks);
                let result = match &builder.pool {
                    Some(pool) => pool.install(run),
                    None => run(),
                };
                let _ = tx.send(result);
            });
        let failed = |message: String| {
            let mut report = Report::default();
            report.push(Diagnostic::error("serve", message));
            Err(report)
        };
        if let Err(e) = spawned {
            return failed(format!("cannot start a rebuild: {e}"));
        }
        loop {
            match rx.recv_timeout(WATCH_EVERY) {
                Ok(result) => return result,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return failed("internal error: the rebuild panicked".into());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(overrun) = watch.overrun() {
                        self.start_afresh();
                        let mut report = Report::default();
                        report.push(overrun.diagnostic());
                        return Err(report);
                    }
                }
            }
        }
    }

    /// Forget the given-up rebuild's state (it still holds it) and its threads.
    fn start_afresh(&mut self) {
        self.warm = Arc::default();
        self.pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("explainer-rebuild-{i}"))
            .build()
            .ok()
            .map(Arc::new);
    }

    pub fn rebuild(
        &self,
        previous: &Site,
        sources: Option<&BTreeSet<PathBuf>>,
        hooks: &dyn pipeline::Hooks,
    ) -> Result<Rebuilt, Report> {
        let started = Instant::now();
        let mut opts = Options {
            root: self.root.clone(),
            drafts: self.drafts,
            ..Options::default()
        };
        let config = pipeline::load_config(&opts)?;
        let base_path = base_path_of(config.url_base()).to_string();
        opts.base_url = Some(format!("{}{}", self.origin, base_path));
        let job = Job {
            config: Some(pipeline::apply_options(config, &opts)?),
            changed: sources,
            ..Job::new(&opts)
        };
        let sink = Reusing {
            previous,
            kept: Mutex::default(),
            put: Mutex::default(),
        };
        let mut warm = self.warm.lock().unwrap_or_else(|e| e.into_inner());
        let (rendered, state) = pipeline::run(job, std::mem::take(&mut *warm), &sink, hooks);
        *warm = state;
        drop(warm);
        let rendered = rendered?;
        let put = sink.put.into_inner().unwrap_or_else(|e| e.into_inner());
        let kept = sink.kept.into_inner().unwrap_or_else(|e| e.into_inner());
        let (files, fingerprints) = self.assemble(previous, kept, put)?;
        let mut files = files;
        let changed = diff(&previous.files, &mut files);
        Ok(Rebuilt {
            site: Site {
                build: previous.build + 1,
                base_path,
                files,
                fingerprints,
            },
            changed,
            report: rendered.report,
            pages: rendered.pages,
            sections: rendered.sections,
            elapsed: started.elapsed(),
        })
    }
}

impl Builder {
    /// The files of a rebuild: those kept from `previous` and those `put`,
    /// with their fingerprints.
    fn assemble(
        &self,
        previous: &Site,
        kept: Vec<Arc<str>>,
        put: Vec<OutputFile>,
    ) -> Result<(Files, FxHashMap<Arc<str>, Hash>), Report> {
        let size = kept.len() + put.len();
        let mut files = Files::with_capacity_and_hasher(size, Default::default());
        let mut fingerprints = FxHashMap::with_capacity_and_hasher(size, Default::default());
        for path in kept {
            if let (Some(bytes), Some(fp)) =
                (previous.files.get(&path), previous.fingerprints.get(&path))
            {
                fingerprints.insert(path.clone(), *fp);
                files.insert(path, bytes.clone());
            }
        }
        let read: Vec<Result<ReadFile, Box<Diagnostic>>> = put
            .into_par_iter()
            .map(|f| {
                let path: Arc<str> = f.path.into();
                match f.contents {
                    Contents::Bytes(b) => Ok((path, f.fingerprint, Bytes::from(b))),
                    Contents::Copy(src) => crate::content::read_input(&src)
                        .map(|b| (path, f.fingerprint, Bytes::from(b)))
                        .map_err(|e| {
                            Box::new(
                                Diagnostic::error("serve", format!("cannot read: {e}"))
                                    .in_file(src.strip_prefix(&self.root).unwrap_or(&src)),
                            )
                        }),
                }
            })
            .collect();
        let mut report = Report::default();
        for r in read {
            match r {
                Ok((path, fp, bytes)) => {
                    if let Some(fp) = fp {
                        fingerprints.insert(path.clone(), fp);
                    }
                    files.insert(path, bytes);
                }
                Err(d) => report.push(*d),
            }
        }
        if report.has_errors() {
            return Err(report);
        }
        Ok((files, fingerprints))
    }
}

/// The paths that differ between two builds; unchanged files of `new` share
/// their bytes with `old` (files kept from `old` already do: not compared).
pub fn diff(old: &Files, new: &mut Files) -> Vec<String> {
    let mut changed = Vec::new();
    for (path, bytes) in new.iter_mut() {
        match old.get(path) {
            Some(before) if before.as_ptr() == bytes.as_ptr() && before.len() == bytes.len() => {}
            Some(before) if before == bytes => *bytes = before.clone(),
            _ => changed.push(path.to_string()),
        }
    }
    changed.extend(
        old.keys()
            .filter(|p| !new.contains_key(*p))
            .map(|p| p.to_string()),
    );
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
pub const WATCHED_DIRS: [&str; 4] = [
    crate::content::CONTENT_DIR,
    crate::templates::TEMPLATES_DIR,
    crate::render::STATIC_DIR,
    crate::data::DATA_DIR,
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
        let old: Files = [("a", "1"), ("b", "2"), ("c", "3")]
            .into_iter()
            .map(|(k, v)| (k.into(), Bytes::from(v)))
            .collect();
        let mut new: Files = [("a", "1"), ("b", "changed"), ("d", "4")]
            .into_iter()
            .map(|(k, v)| (k.into(), Bytes::from(v)))
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
