//! Round trips, partial rewrites, compaction and damage of the cache files.

use super::layout::memo_file_path;
use super::*;
use crate::frontmatter::FrontMatter;
use crate::output::Entry;
use crate::output::Manifest;
use crate::stamp::{Stamp, Stat};
use std::path::Path;
use std::sync::Arc;

fn memo(path: &str, title: &str) -> DocMemo {
    let meta = FrontMatter {
        title: Some(title.into()),
        ..FrontMatter::default()
    };
    let front = format!("+++\ntitle = \"{title}\"\n+++\n");
    let digest = ([1; 16], [2; 16]);
    DocMemo::new(
        path.into(),
        Stamp::default(),
        Arc::from(front),
        Arc::new(meta),
        Arc::default(),
        digest,
        None,
    )
}

fn saved_cache(path: &Path) -> Vec<u8> {
    let mut outputs = Manifest::default();
    let entry = Entry {
        stat: Stat {
            size: 5,
            mtime_ns: 9,
        },
        hash: [4; 16],
        fingerprint: None,
    };
    outputs.insert("a/index.html".into(), entry);
    let docs = vec![memo("a.md", "Alpha"), memo("b/_index.md", "Bravo")];
    let mut cache = BuildCache::new(7, [3; 16], docs, outputs);
    cache.base_url = "https://example.org/".into();
    save(path, &cache);
    std::fs::read(path).unwrap()
}

#[test]
fn a_saved_cache_loads_as_it_was_and_saves_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.bin");
    let written = saved_cache(&path);
    let loaded = load(&path).0.expect("the cache loads");
    assert_eq!((loaded.started_ns, loaded.inputs), (7, [3; 16]));
    assert_eq!(loaded.base_url, "https://example.org/");
    assert_eq!(loaded.outputs["a/index.html"].hash, [4; 16]);
    let titles: Vec<_> = loaded.docs.iter().map(|m| m.meta.title.clone()).collect();
    assert_eq!(titles, [Some("Alpha".into()), Some("Bravo".into())]);
    assert_eq!(&*loaded.docs[1].front, "+++\ntitle = \"Bravo\"\n+++\n");
    assert!(loaded.memo("b/_index.md").is_some());
    assert!(loaded.docs.iter().all(|m| m.encoded.is_some()));
    save(&path, &loaded);
    assert_eq!(std::fs::read(&path).unwrap(), written);
}

/// A cache of `n` documents saved at `path`, as loaded back.
fn saved_and_loaded(path: &Path, n: usize) -> BuildCache {
    let docs = (0..n)
        .map(|i| memo(&format!("p{i}.md"), &format!("Page {i}")))
        .collect();
    save(
        path,
        &BuildCache::new(7, [3; 16], docs, Manifest::default()),
    );
    load(path).0.expect("the cache loads")
}

fn retitle(cache: &mut BuildCache, i: usize, title: &str) {
    let memo = &mut cache.docs[i];
    memo.meta = Arc::new(FrontMatter {
        title: Some(title.into()),
        ..FrontMatter::default()
    });
    memo.encoded = None;
}

fn titles(cache: &BuildCache) -> Vec<String> {
    (cache.docs.iter())
        .map(|m| m.meta.title.clone().unwrap_or_default())
        .collect()
}

#[test]
fn a_few_changed_memos_go_to_the_head_file_and_the_memo_file_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.bin");
    let memos = memo_file_path(&path);
    let mut cache = saved_and_loaded(&path, 20);
    let memo_file = std::fs::read(&memos).unwrap();
    let head_file = std::fs::read(&path).unwrap();
    let memo_file_stays = || {
        assert_eq!(
            std::fs::read(&memos).unwrap(),
            memo_file,
            "the memo file stays"
        )
    };
    retitle(&mut cache, 3, "Changed");
    save(&path, &cache);
    memo_file_stays();
    assert!(std::fs::read(&path).unwrap().len() > head_file.len());
    let mut again = load(&path).0.expect("the cache loads");
    let mut expected: Vec<String> = (0..20).map(|i| format!("Page {i}")).collect();
    expected[3] = "Changed".into();
    assert_eq!(titles(&again), expected);
    // A second change keeps the first one (now read from the head file).
    retitle(&mut again, 17, "Also changed");
    save(&path, &again);
    memo_file_stays();
    expected[17] = "Also changed".into();
    assert_eq!(titles(&load(&path).0.expect("the cache loads")), expected);
}

#[test]
fn a_memo_dropped_from_the_middle_is_skipped_in_the_memo_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.bin");
    let mut cache = saved_and_loaded(&path, 20);
    let memo_file = std::fs::read(memo_file_path(&path)).unwrap();
    cache.docs.remove(4);
    cache.reindex();
    save(&path, &cache);
    assert_eq!(std::fs::read(memo_file_path(&path)).unwrap(), memo_file);
    let expected: Vec<String> = (0..20)
        .filter(|&i| i != 4)
        .map(|i| format!("Page {i}"))
        .collect();
    assert_eq!(titles(&load(&path).0.expect("the cache loads")), expected);
}

#[test]
fn many_changed_memos_rewrite_the_memo_file_and_empty_the_head_files_share() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.bin");
    let mut cache = saved_and_loaded(&path, 20);
    let head_file_len = std::fs::read(&path).unwrap().len();
    let memo_file = std::fs::read(memo_file_path(&path)).unwrap();
    for i in 0..6 {
        retitle(&mut cache, i, &format!("Changed {i}"));
    }
    save(&path, &cache);
    assert_ne!(std::fs::read(memo_file_path(&path)).unwrap(), memo_file);
    assert_eq!(std::fs::read(&path).unwrap().len(), head_file_len);
    let loaded = load(&path).0.expect("the cache loads");
    assert_eq!(titles(&loaded)[5], "Changed 5");
    assert_eq!(titles(&loaded)[6], "Page 6");
}

#[test]
fn a_head_file_with_another_builds_memo_file_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.bin");
    saved_and_loaded(&path, 3);
    let head_file = std::fs::read(&path).unwrap();
    let mut other = saved_and_loaded(&path, 3);
    // Another build (another id) of the same memos, then the first head file again.
    other.started_ns = 8;
    other.read_from = None;
    other.docs.iter_mut().for_each(|m| m.encoded = None);
    save(&path, &other);
    assert!(load(&path).0.is_some());
    std::fs::write(&path, &head_file).unwrap();
    assert!(load(&path).0.is_none());
}

#[test]
fn a_cut_short_or_overlong_cache_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.bin");
    let written = saved_cache(&path);
    std::fs::write(&path, &written[..written.len() - 1]).unwrap();
    assert!(load(&path).0.is_none());
    std::fs::write(&path, [written.as_slice(), &[0]].concat()).unwrap();
    assert!(load(&path).0.is_none());
    std::fs::write(&path, &written).unwrap();
    assert!(load(&path).0.is_some());
    let memos = memo_file_path(&path);
    let memo_file = std::fs::read(&memos).unwrap();
    std::fs::write(&memos, &memo_file[..memo_file.len() - 1]).unwrap();
    assert!(load(&path).0.is_none());
    std::fs::write(&memos, [memo_file.as_slice(), &[0]].concat()).unwrap();
    assert!(load(&path).0.is_none());
}

#[test]
fn a_cold_cache_written_a_batch_at_a_time_equals_one_encoded_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.bin");
    let n = 3 * super::write::FRESH_BATCH + 5;
    // No cache files to copy from: the memo file is written a batch at a time.
    let mut cache = saved_and_loaded(&path, n);
    let expected: Vec<String> = (0..n).map(|i| format!("Page {i}")).collect();
    assert_eq!(titles(&cache), expected);
    let batched = std::fs::read(memo_file_path(&path)).unwrap();
    // With files to copy from and every memo changed, all are encoded first.
    for memo in &mut cache.docs {
        memo.encoded = None;
    }
    save(&path, &cache);
    assert_eq!(std::fs::read(memo_file_path(&path)).unwrap(), batched);
    assert_eq!(titles(&load(&path).0.expect("the cache loads")), expected);
}
