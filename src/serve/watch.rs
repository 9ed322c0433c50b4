//! Watches `config.toml`, `content/`, `templates/`, `static/` and `data/`, and runs one
//! rebuild per burst of edits (an editor's save is often several events:
//! temp file, rename, attribute change).

use super::http::{Shared, Snapshot};
use super::live::Message;
use super::site::{Builder, WATCHED_DIRS, is_source};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// Events are passed on once this old (notify-debouncer-full).
const DEBOUNCE: Duration = Duration::from_millis(10);
/// How often the debouncer looks for events old enough.
const TICK: Duration = Duration::from_millis(5);
/// After a batch, wait this long for more before rebuilding, so events of one
/// save that the debouncer split over two ticks still make one rebuild.
const SETTLE: Duration = Duration::from_millis(10);

/// Start watching the site and rebuilding on changes, on a thread of its own.
pub fn spawn(builder: Builder, shared: Arc<Shared>) -> notify::Result<()> {
    let (tx, rx) = channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(DEBOUNCE, Some(TICK), tx)?;
    // The root non-recursively, for config.toml and for watched folders that
    // appear later; config.toml itself is not watched because editors replace it.
    debouncer.watch(&builder.root, RecursiveMode::NonRecursive)?;
    for dir in WATCHED_DIRS {
        let path = builder.root.join(dir);
        if path.is_dir() {
            debouncer.watch(&path, RecursiveMode::Recursive)?;
        }
    }
    std::thread::Builder::new()
        .name("explainer-watch".into())
        .spawn(move || {
            let mut debouncer = debouncer;
            let mut builder = builder;
            while let Some(changed) = next_changes(&rx, &builder.root) {
                // A watched folder was created, or deleted and recreated: watch it (again).
                for dir in WATCHED_DIRS {
                    if changed.contains(Path::new(dir)) {
                        let path = builder.root.join(dir);
                        let _ = debouncer.unwatch(&path);
                        if path.is_dir()
                            && let Err(e) = debouncer.watch(&path, RecursiveMode::Recursive)
                        {
                            eprintln!("warning: cannot watch {dir}/: {e}");
                        }
                    }
                }
                let run = std::panic::AssertUnwindSafe(|| rebuild(&mut builder, &shared, &changed));
                if std::panic::catch_unwind(run).is_err() {
                    eprintln!(
                        "internal error: the rebuild panicked; still serving the last good build"
                    );
                }
            }
        })
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(())
}

/// Wait for the next burst of changes to the site's sources; their paths,
/// relative to the root. `None` once the watcher is gone.
fn next_changes(rx: &Receiver<DebounceEventResult>, root: &Path) -> Option<BTreeSet<PathBuf>> {
    loop {
        let mut batches = vec![rx.recv().ok()?];
        while let Ok(more) = rx.recv_timeout(SETTLE) {
            batches.push(more);
        }
        let mut changed = BTreeSet::new();
        for batch in batches {
            match batch {
                Ok(events) => {
                    for event in events {
                        if matches!(event.kind, EventKind::Access(_)) {
                            continue;
                        }
                        for path in &event.paths {
                            if let Ok(rel) = path.strip_prefix(root)
                                && is_source(rel)
                            {
                                changed.insert(rel.to_path_buf());
                            }
                        }
                    }
                }
                Err(errors) => {
                    for e in errors {
                        eprintln!("warning: watching the site: {e}");
                    }
                }
            }
        }
        if !changed.is_empty() {
            return Some(changed);
        }
    }
}

/// Rebuild, swap the served site, and tell the open tabs.
pub fn rebuild(builder: &mut Builder, shared: &Shared, sources: &BTreeSet<PathBuf>) {
    let previous = shared.snapshot();
    let attempts = previous.attempts + 1;
    let what = describe(sources);
    let started = std::time::Instant::now();
    match builder.rebuild_watched(previous.site.clone(), Some(sources.clone())) {
        Ok(built) => {
            let had_errors = !previous.errors.is_empty();
            // Warnings again only when they changed, so a rebuild log stays one line.
            let shown = |ds: &[crate::diagnostics::Diagnostic]| {
                ds.iter().map(|d| d.to_string()).collect::<Vec<_>>()
            };
            if had_errors || shown(&built.report.diagnostics) != shown(&previous.warnings) {
                built.report.print();
            }
            let elapsed_ms = built.elapsed.as_millis();
            if had_errors {
                eprintln!("fixed: the site builds again");
            }
            if built.changed.is_empty() && previous.site.build > 0 {
                eprintln!("rebuilt in {elapsed_ms} ms: 0 files changed ({what})");
                let build = previous.site.build;
                shared.replace(Snapshot {
                    site: previous.site.clone(),
                    errors: Vec::new(),
                    warnings: built.report.diagnostics,
                    attempts,
                    changed: Vec::new(),
                    elapsed_ms,
                });
                if had_errors {
                    shared.broadcast(&Message::Reload { build });
                }
                return;
            }
            if built.site.base_path != previous.site.base_path {
                eprintln!(
                    "base_url changed: the site is now at {}{}",
                    builder.origin, built.site.base_path
                );
            }
            let n = built.changed.len();
            eprintln!(
                "rebuilt in {elapsed_ms} ms: {n} file{} changed ({what})",
                if n == 1 { "" } else { "s" }
            );
            let css: Vec<String> = built
                .changed
                .iter()
                .filter(|p| p.ends_with(".css"))
                .cloned()
                .collect();
            let css_only = !had_errors
                && previous.site.build > 0
                && !css.is_empty()
                && built
                    .changed
                    .iter()
                    .all(|p| p.ends_with(".css") || p.ends_with(".html"))
                && sources.iter().all(|s| {
                    s.starts_with(crate::render::STATIC_DIR)
                        && s.extension().is_some_and(|e| e == "css")
                });
            let build = built.site.build;
            shared.replace(Snapshot {
                site: Arc::new(built.site),
                errors: Vec::new(),
                warnings: built.report.diagnostics,
                attempts,
                changed: built.changed,
                elapsed_ms,
            });
            if css_only {
                shared.broadcast(&Message::Css { build, files: &css });
            } else {
                shared.broadcast(&Message::Reload { build });
            }
        }
        Err(report) => {
            report.print();
            eprintln!(
                "rebuild failed ({what}): {}; still serving the last good build",
                report.counts()
            );
            let build = previous.site.build;
            shared.replace(Snapshot {
                site: previous.site.clone(),
                errors: report.diagnostics.clone(),
                warnings: previous.warnings.clone(),
                attempts,
                changed: previous.changed.clone(),
                elapsed_ms: started.elapsed().as_millis(),
            });
            shared.broadcast(&Message::Error {
                build,
                errors: &report.diagnostics,
            });
        }
    }
}

/// `content/a.md` or `content/a.md and 2 more`.
fn describe(sources: &BTreeSet<PathBuf>) -> String {
    let mut it = sources.iter();
    let first = it
        .next()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match it.count() {
        0 => first,
        n => format!("{first} and {n} more"),
    }
}
