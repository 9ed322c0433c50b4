//! Which cache a build uses (a file per output folder and option set), and
//! the fingerprint of every input's stat that the no-op check compares.

use crate::config::Options;
use crate::content;
use crate::stamp::{Fingerprint, Hash, Stat, binary_identity};
use std::path::{Path, PathBuf};

/// The folder, inside the site folder, that holds caches.
pub const CACHE_DIR: &str = ".explainer-cache";

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
