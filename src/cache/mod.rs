//! What a build remembers for the next one, in `ROOT/.explainer-cache/`: the
//! stamp, front matter (as text and parsed) and [`Facts`] of every content
//! file, the output manifest, and a fingerprint of every input's stat for the
//! no-op check.
//!
//! Two files per output folder and option set, in postcard, each content
//! file's memo encoded on its own behind its length:
//! - the *memo file* (`build-KEY.memos`): an id, then memos;
//! - the *head file* (`build-KEY.bin`): everything but the memos (with the
//!   output manifest, and where each memo is, as runs), then the memos that
//!   are not in the memo file, or not as they are now.
//!
//! A rebuild that changed a few memos writes only the head file: the memo
//! file is rewritten (compacted) only when a quarter of the memo bytes live
//! in the head file, or half the memo file is out of date. Neither file is ever
//! written in place: a new one is renamed over the old. A cache written by
//! another binary is ignored: the build then starts from nothing.
//!
//! The cache is checked, not trusted: the head, the memos of the memo file
//! and the memos of the head file each end in a checksum (CRC-32, see
//! `layout::checksum`), verified before the cache is used. A cache that fails
//! a check, is cut short or overlong, or decodes to nonsense is reported once
//! as a warning and the build starts from nothing, so its output is the one
//! a clean build makes. (postcard replaced bincode 1, which is unmaintained:
//! see docs/benchmarks.md for the measurements behind the choice.)
//!
//! Reading and writing it is on the critical path of every rebuild, so a
//! build reads the head file first ([`open`]) and the memo file only once
//! it knows it has something to do ([`Opened::finish`]): a no-op build of
//! 10 000 pages reads 0.7 MB instead of 19 MB. The memos decode in
//! parallel, a memo that did not change is not written again
//! (or, when compacting, is copied as the bytes it was read from), what most
//! rebuilds do not look at (tables of contents, links) stays encoded until
//! read ([`crate::lazy`]), and hashes are written as single integers.
//!
//! The modules hold: [`memo`] what is remembered (one memo per content file,
//! and the build's summary); [`layout`] the layout of the two files (areas,
//! ids, checksums); [`read`] and [`write`] the files themselves; [`identity`]
//! which cache a build uses and the fingerprint of its inputs' stats.

mod identity;
mod layout;
mod memo;
mod read;
mod write;

pub use identity::{CACHE_DIR, inputs, path};
pub use memo::{BuildCache, DocMemo, all_trusted_by_stat, settled_with};
pub use read::{HeadView, Opened, load, open};
pub use write::save;

#[cfg(test)]
mod tests;
