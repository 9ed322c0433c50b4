//! File identities shared by the stages that skip unchanged work: a file's
//! size and modification time, its content hash, and fingerprints of inputs.
//!
//! A stat is only trusted for files last modified before the build that
//! recorded it started; anything newer is read and hashed again.

use serde::{Deserialize, Serialize};
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A 128-bit content hash or fingerprint (XXH3-128).
///
/// These hashes only tell this build's inputs and outputs from the last
/// build's, so they need no resistance to deliberate collisions; XXH3 hashes
/// a 10k-page build's 200 MB of inputs and outputs in about a quarter of the
/// CPU time BLAKE3 took (docs/benchmarks.md). BLAKE3 stays where a hash is
/// published: cache-busting URLs and archive hashes.
pub type Hash = [u8; 16];

/// Serde for [`Hash`] fields as one byte string: serde would write a byte
/// array as sixteen separate values, and a `u128` is a 19-byte varint in
/// postcard, slow to decode; a byte string is its length and a copy.
pub mod hash_serde {
    use super::Hash;
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(hash)
    }

    struct HashBytes;

    impl Visitor<'_> for HashBytes {
        type Value = Hash;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("16 bytes")
        }

        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Hash, E> {
            v.try_into().map_err(|_| E::invalid_length(v.len(), &self))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        d.deserialize_bytes(HashBytes)
    }

    /// The same for an optional hash.
    pub mod option {
        use super::Hash;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #[derive(Serialize, Deserialize)]
        struct Wrapped(#[serde(with = "super")] Hash);

        pub fn serialize<S: Serializer>(hash: &Option<Hash>, s: S) -> Result<S::Ok, S::Error> {
            hash.map(Wrapped).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hash>, D::Error> {
            Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
        }
    }

    /// The same for a pair of hashes.
    pub mod pair {
        use super::Hash;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #[derive(Serialize, Deserialize)]
        struct Wrapped(#[serde(with = "super")] Hash);

        pub fn serialize<S: Serializer>(pair: &(Hash, Hash), s: S) -> Result<S::Ok, S::Error> {
            (Wrapped(pair.0), Wrapped(pair.1)).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<(Hash, Hash), D::Error> {
            let (a, b) = <(Wrapped, Wrapped)>::deserialize(d)?;
            Ok((a.0, b.0))
        }
    }
}

/// Files modified less than this before a build started may have changed
/// again within the file system's timestamp granularity: their stat is not trusted.
const RACY: Duration = Duration::from_secs(2);

/// Size and modification time of a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stat {
    pub size: u64,
    /// Nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

impl Stat {
    pub fn of(meta: &Metadata) -> Stat {
        Stat {
            size: meta.len(),
            mtime_ns: meta.modified().map_or(0, nanos),
        }
    }

    /// The stat of the file at `path` (following symlinks), if it is a file.
    pub fn read(path: &Path) -> Option<Stat> {
        std::fs::metadata(path)
            .ok()
            .filter(Metadata::is_file)
            .map(|m| Stat::of(&m))
    }

    /// Whether this stat can stand for the file's contents, for a build that started at `started_ns`.
    pub fn trusted_since(&self, started_ns: i64) -> bool {
        self.mtime_ns < started_ns - RACY.as_nanos() as i64
    }
}

/// A folder whose files are stat'ed by their paths inside it. The kernel
/// then walks only those paths' components: on this project's benchmark
/// machine a stat of an output file costs 2.9 µs instead of 4.
pub struct Folder {
    path: PathBuf,
    #[cfg(unix)]
    fd: Option<rustix::fd::OwnedFd>,
}

impl Folder {
    pub fn open(path: &Path) -> Folder {
        Folder {
            path: path.to_path_buf(),
            #[cfg(unix)]
            fd: {
                use rustix::fs::{Mode, OFlags};
                rustix::fs::open(path, OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).ok()
            },
        }
    }

    /// The stat of the file at `rel` inside the folder (following symlinks), if it is a file.
    pub fn stat(&self, rel: &str) -> Option<Stat> {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            use rustix::fs::{AtFlags, FileType};
            let st = rustix::fs::statat(fd, rel, AtFlags::empty()).ok()?;
            return FileType::from_raw_mode(st.st_mode).is_file().then(|| Stat {
                size: st.st_size as u64,
                mtime_ns: st.st_mtime as i64 * 1_000_000_000 + st.st_mtime_nsec as i64,
            });
        }
        Stat::read(&self.path.join(rel))
    }
}

/// Nanoseconds since the Unix epoch.
pub fn nanos(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Now, in nanoseconds since the Unix epoch.
pub fn now_ns() -> i64 {
    nanos(SystemTime::now())
}

/// The hash of some bytes: XXH3-128, little-endian.
pub fn hash(bytes: &[u8]) -> Hash {
    xxhash_rust::xxh3::xxh3_128(bytes).to_le_bytes()
}

/// Builds a fingerprint from the parts it depends on; every part is length-prefixed.
/// Parts are gathered and hashed once, which is cheaper for many small parts.
#[derive(Default, Clone)]
pub struct Fingerprint(Vec<u8>);

impl Fingerprint {
    pub fn new(domain: &str) -> Fingerprint {
        Fingerprint::with_capacity(domain, 256)
    }

    /// A fingerprint expected to gather about `bytes` bytes of parts, so its
    /// buffer need not grow (and copy itself) on the way.
    pub fn with_capacity(domain: &str, bytes: usize) -> Fingerprint {
        Fingerprint(Vec::with_capacity(bytes)).str(domain)
    }

    pub fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes())
    }

    pub fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.0.extend_from_slice(b);
        self
    }

    pub fn u64(mut self, n: u64) -> Self {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    pub fn stat(self, s: Stat) -> Self {
        self.u64(s.size).u64(s.mtime_ns as u64)
    }

    pub fn finish(&self) -> Hash {
        hash(&self.0)
    }
}

/// What identifies the running binary: a rebuilt `explainer` renders afresh.
pub fn binary_identity() -> Hash {
    static ID: std::sync::OnceLock<Hash> = std::sync::OnceLock::new();
    *ID.get_or_init(identify_binary)
}

fn identify_binary() -> Hash {
    let exe = std::env::current_exe().ok();
    let stat = exe.as_deref().and_then(Stat::read).unwrap_or_default();
    Fingerprint::new("explainer binary")
        .str(env!("CARGO_PKG_VERSION"))
        .str(&exe.map(|p| p.display().to_string()).unwrap_or_default())
        .stat(stat)
        .finish()
}

/// A file's stat and the hash of the contents it had then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub stat: Stat,
    #[serde(with = "hash_serde")]
    pub hash: Hash,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stat through a folder must equal a stat by whole path, or a build
    /// would take every kept output file for one changed by hand.
    #[test]
    fn a_folder_stats_files_as_a_stat_by_whole_path_does() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/index.html"), "<p>x</p>").unwrap();
        let folder = Folder::open(dir.path());
        let whole = Stat::read(&dir.path().join("a/b/index.html"));
        assert!(whole.is_some());
        assert_eq!(folder.stat("a/b/index.html"), whole);
        assert_eq!(folder.stat("a/b"), None, "a folder is not a file");
        assert_eq!(folder.stat("a/missing.html"), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("b/index.html", dir.path().join("a/link.html")).unwrap();
            assert_eq!(folder.stat("a/link.html"), whole, "symlinks are followed");
        }
    }
}
