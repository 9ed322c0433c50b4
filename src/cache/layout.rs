//! The layout of the two cache files: the areas memos live in, the memo
//! file's id, the head, and the checksums that guard each area.

use crate::stamp::Hash;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The files a cache was read from.
#[derive(Debug)]
pub(super) struct ReadFrom {
    pub(super) head_file: File,
    /// Where the memos of the head file start in it.
    pub(super) delta_at: usize,
    pub(super) memo_file: Option<(File, MemoFileId)>,
}

/// Which area of the cache files a memo is in: the memo file (after its id)
/// or the end of the head file (after the head).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Area {
    MemoFile,
    HeadFile,
}

/// `count` memos one after another from `start` in `area`, each behind its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Run {
    pub(super) area: Area,
    pub(super) start: u64,
    pub(super) count: u64,
}

/// Which memo file a head file goes with: its id and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(super) struct MemoFileId {
    #[serde(with = "crate::stamp::hash_serde")]
    pub(super) id: Hash,
    pub(super) len: u64,
}

/// The bytes before the memos of a memo file: its id.
pub(super) const ID_LEN: usize = 16;

/// The first bytes of a head file: the format, then the identity of the
/// binary that wrote it. Another format or binary is ignored without a warning.
pub(super) const MAGIC: &[u8; 8] = b"EXPLC\x00\x00\x07";

/// The bytes of a checksum (CRC-32).
pub(super) const SUM: usize = 4;

/// The checksum of `bytes`. CRC-32, not BLAKE3: the cache guards against
/// damage, not forgery (whoever can write it can write the output too), and
/// CRC-32 catches every burst of up to 32 flipped bits and all but one in
/// 2^32 other damage, at a small fraction of the cost: BLAKE3 over the
/// 5 MB of a 10 000-page cache was 17 M instructions per edit build, 8 % of
/// it (docs/benchmarks.md).
pub(super) fn checksum(bytes: &[u8]) -> [u8; SUM] {
    crc32fast::hash(bytes).to_le_bytes()
}

/// The bytes before a memo's own: its length.
pub(super) const RECORD_HEAD: usize = 4;

/// What the head file holds before its memos: [`BuildCache`] without them,
/// and where they are. Written borrowing from the cache (`Head<&str,
/// &Manifest, &[…]>`), read as `Head<String, Presized, Vec<…>>`.
#[derive(Serialize, Deserialize)]
pub(super) struct Head<Text, Outputs, Pages> {
    pub(super) memo_file: MemoFileId,
    pub(super) runs: Vec<Run>,
    #[serde(with = "crate::stamp::hash_serde")]
    pub(super) binary: Hash,
    pub(super) started_ns: i64,
    #[serde(with = "crate::stamp::hash_serde")]
    pub(super) inputs: Hash,
    pub(super) clean: bool,
    pub(super) pages: usize,
    pub(super) sections: usize,
    pub(super) base_url: Text,
    pub(super) outputs: Outputs,
    /// The scans of the HTML files that are not a document's page.
    pub(super) other_pages: Pages,
}

/// Where the memo file that goes with the head file at `path` is.
pub(super) fn memo_file_path(path: &Path) -> PathBuf {
    path.with_extension("memos")
}
