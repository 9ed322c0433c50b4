//! What a build remembers for the next one, in `ROOT/.explainer-cache/`: the
//! stamp, front matter (as text and parsed) and [`Facts`] of every content
//! file, the output manifest, and a fingerprint of every input's stat for the
//! no-op check.
//!
//! One file per output folder and option set, in bincode. A cache written by
//! another binary, or unreadable, is ignored: the build then starts from
//! nothing. Reading it is on the critical path of every rebuild, so what most
//! rebuilds do not look at (tables of contents, links) stays encoded until
//! read ([`crate::lazy`]), and hashes are written as single integers.

use crate::content::{self, Memory, Remembered};
use crate::frontmatter::FrontMatter;
use crate::markdown::Facts;
use crate::output::Manifest;
use crate::pipeline::Options;
use crate::stamp::{Fingerprint, Hash, Stamp, Stat, binary_identity};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder, inside the site folder, that holds caches.
pub const CACHE_DIR: &str = ".explainer-cache";

/// What is remembered of one content file.
#[derive(Debug, Serialize, Deserialize)]
pub struct DocMemo {
    pub content_path: String,
    pub stamp: Stamp,
    /// The front matter with its fences.
    pub front: Arc<str>,
    pub meta: Arc<FrontMatter>,
    pub facts: Arc<Facts>,
    /// The fingerprint of the global inputs the listing digest was computed under, and the digest.
    #[serde(with = "crate::stamp::hash_serde::pair")]
    pub digest: (Hash, Hash),
}

/// The state a build leaves for the next.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BuildCache {
    #[serde(with = "crate::stamp::hash_serde")]
    pub binary: Hash,
    /// When the build that wrote this started; files modified later are not trusted by stat.
    pub started_ns: i64,
    /// Fingerprint of every input's path and stat (see [`inputs`]).
    #[serde(with = "crate::stamp::hash_serde")]
    pub inputs: Hash,
    /// The build reported nothing (no warnings), so a no-op rebuild has nothing to repeat.
    pub clean: bool,
    pub pages: usize,
    pub sections: usize,
    pub base_url: String,
    #[serde(deserialize_with = "presized::vec")]
    pub docs: Vec<DocMemo>,
    #[serde(deserialize_with = "presized::map")]
    pub outputs: Manifest,
    #[serde(skip)]
    index: FxHashMap<String, usize>,
}

impl BuildCache {
    pub fn new(started_ns: i64, inputs: Hash, docs: Vec<DocMemo>, outputs: Manifest) -> BuildCache {
        let mut cache = BuildCache {
            binary: binary_identity(),
            started_ns,
            inputs,
            clean: true,
            pages: 0,
            sections: 0,
            base_url: String::new(),
            docs,
            outputs,
            index: FxHashMap::default(),
        };
        cache.reindex();
        cache
    }

    fn reindex(&mut self) {
        self.index = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.content_path.clone(), i))
            .collect();
    }

    fn memo(&self, content_path: &str) -> Option<&DocMemo> {
        self.index.get(content_path).map(|&i| &self.docs[i])
    }

    /// Whether every file of `scan` modified too recently for its stat to be
    /// trusted still has the contents this cache remembers; `newest_other` is the
    /// newest mtime among the inputs that are not Markdown (those are not hashed).
    pub fn settled(&self, scan: &content::Scan, newest_other: i64) -> bool {
        let trusted = |mtime_ns| Stat { size: 0, mtime_ns }.trusted_since(self.started_ns);
        trusted(newest_other)
            && scan.markdown.iter().all(|f| {
                let stat = f.stat.unwrap_or_default();
                stat.trusted_since(self.started_ns)
                    || self.memo(&f.rel).is_some_and(|m| {
                        m.stamp.stat == stat
                            && std::fs::read(&f.abs)
                                .is_ok_and(|b| crate::stamp::hash(&b) == m.stamp.hash)
                    })
            })
    }

    /// Whether this cache remembers exactly the documents of `content` that
    /// have a file, in the same order (memos follow `content.docs`).
    fn same_documents(&self, content: &content::Content) -> bool {
        let files = content.docs.iter().filter(|d| d.has_file);
        files.clone().count() == self.docs.len()
            && files
                .zip(&self.docs)
                .all(|(d, m)| d.content_path == m.content_path)
    }

    /// Bring every memo up to date with a build of the same documents,
    /// copying only what changed; false (and nothing changed) if the
    /// documents are not the ones remembered.
    pub fn update(
        &mut self,
        content: &content::Content,
        facts: &[Arc<Facts>],
        digests: &[Hash],
        global: Hash,
    ) -> bool {
        if !self.same_documents(content) {
            return false;
        }
        let files = content.docs.iter().enumerate().filter(|(_, d)| d.has_file);
        for ((i, doc), memo) in files.zip(self.docs.iter_mut()) {
            if memo.stamp.hash != doc.stamp.hash {
                memo.front.clone_from(&doc.front);
                memo.meta.clone_from(&doc.meta);
            }
            memo.stamp = doc.stamp;
            memo.facts = facts[i].clone();
            memo.digest = (global, digests[i]);
        }
        true
    }

    /// The facts every document of `content` had in the build this cache
    /// remembers, if that build had the same documents with the same front
    /// matter under the same global inputs (`global`); else `None`.
    pub fn previous_facts(
        &self,
        content: &content::Content,
        global: &Hash,
    ) -> Option<Vec<Option<Arc<Facts>>>> {
        if !self.same_documents(content) {
            return None;
        }
        let mut memos = self.docs.iter();
        content
            .docs
            .iter()
            .map(|d| {
                if !d.has_file {
                    return Some(Some(Arc::default()));
                }
                let memo = memos.next()?;
                (memo.front == d.front && memo.digest.0 == *global)
                    .then(|| Some(memo.facts.clone()))
            })
            .collect()
    }

    /// The listing digest of `content_path` if its contents still hash to `hash`
    /// and the global inputs are still `global`.
    pub fn digest(&self, content_path: &str, hash: &Hash, global: &Hash) -> Option<Hash> {
        self.memo(content_path)
            .filter(|m| m.stamp.hash == *hash && m.digest.0 == *global)
            .map(|m| m.digest.1)
    }

    /// The facts of `content_path` if its contents still hash to `hash`.
    pub fn facts(&self, content_path: &str, hash: &Hash) -> Option<Arc<Facts>> {
        self.memo(content_path)
            .filter(|m| m.stamp.hash == *hash)
            .map(|m| m.facts.clone())
    }
}

impl Memory for BuildCache {
    fn front(&self, rel: &str, stat: &Stat) -> Option<Remembered<'_>> {
        self.memo(rel)
            .filter(|m| m.stamp.stat == *stat && stat.trusted_since(self.started_ns))
            .map(|m| Remembered {
                stamp: m.stamp,
                front: &m.front,
                meta: &m.meta,
            })
    }
}

/// Decoding the cache's long lists at their recorded length. serde's own
/// decoders cap what they reserve up front, so a 10 000-entry list would grow
/// (and copy itself) several times.
mod presized {
    use indexmap::IndexMap;
    use rustc_hash::FxBuildHasher;
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;
    use std::hash::Hash;
    use std::marker::PhantomData;

    /// The most entries reserved ahead of decoding: a damaged length cannot
    /// ask for more memory than this before decoding fails.
    const MOST: usize = 1 << 20;

    pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        struct Items<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Items<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MOST));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(items)
            }
        }
        d.deserialize_seq(Items(PhantomData))
    }

    pub fn map<'de, D, K, V>(d: D) -> Result<IndexMap<K, V, FxBuildHasher>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
    {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for Entries<K, V>
        where
            K: Deserialize<'de> + Eq + Hash,
            V: Deserialize<'de>,
        {
            type Value = IndexMap<K, V, FxBuildHasher>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let size = map.size_hint().unwrap_or(0).min(MOST);
                let mut entries = IndexMap::with_capacity_and_hasher(size, FxBuildHasher);
                while let Some((k, v)) = map.next_entry()? {
                    entries.insert(k, v);
                }
                Ok(entries)
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

/// The cache file for building the site at `opts.root` into `out` with `opts`.
pub fn path(opts: &Options, out: &Path) -> PathBuf {
    let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let key = options(opts).str(&out.display().to_string()).finish();
    let hex: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
    opts.root.join(CACHE_DIR).join(format!("build-{hex}.bin"))
}

fn options(opts: &Options) -> Fingerprint {
    Fingerprint::new("options")
        .u64(opts.drafts as u64)
        .u64(opts.relative as u64)
        .str(opts.base_url.as_deref().unwrap_or("\0"))
}

/// Read a cache; `None` when missing, unreadable or written by another binary.
pub fn load(path: &Path) -> Option<BuildCache> {
    let bytes = std::fs::read(path).ok()?;
    let mut cache: BuildCache = bincode::deserialize(&bytes).ok()?;
    if cache.binary != binary_identity() {
        return None;
    }
    cache.reindex();
    Some(cache)
}

/// Write a cache (atomically); failing to is not an error, only a slower next build.
pub fn save(path: &Path, cache: &BuildCache) {
    let Some(dir) = path.parent() else { return };
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        std::fs::create_dir_all(dir)?;
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            std::fs::write(
                &tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n# explainer's build cache; safe to delete.\n",
            )?;
        }
        let tmp = path.with_extension("tmp");
        let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        bincode::serialize_into(&mut file, cache)?;
        std::io::Write::flush(&mut file)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        tracing::warn!("cannot write the build cache {}: {e}", path.display());
    }
}

/// A fingerprint of every input's path and stat (config, templates, static
/// files, content, the binary and the options), and the newest mtime among
/// the inputs other than Markdown files.
pub fn inputs(opts: &Options, out: &Path, scan: &content::Scan) -> (Hash, i64) {
    let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let mut f = options(opts)
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
    for dir in [crate::templates::TEMPLATES_DIR, crate::render::STATIC_DIR] {
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
