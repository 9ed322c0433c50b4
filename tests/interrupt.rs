//! An interrupted build (SIGINT, SIGTERM) leaves the output folder as one
//! whole build, never a mix: the previous one when the signal came before
//! the commit, the new one when it came during the commit or after.
//!
//! A site of 1 000 pages is built, every content file is then changed, and a
//! second build is signalled at different moments: at once, when its staging
//! folder appears, when it has staged half the pages, when the commit has
//! begun, and at a spread of delays across a whole build.
#![cfg(unix)]

mod common;
use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

const SECTIONS: usize = 10;
const PAGES_PER_SECTION: usize = 100;
const PAGES: usize = SECTIONS * PAGES_PER_SECTION;

/// What the CLI prints when it stopped before the commit, and after it.
const UNTOUCHED: &str = "interrupted: the output folder was not touched";
const COMPLETE: &str = "interrupted after the output folder was synced: it is complete";

/// Every file (with its bytes) and folder (with a trailing `/`) under `dir`,
/// except the top-level entries named in `skip`.
fn tree(dir: &Path, skip: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let walk = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() > 1 || !skip.iter().any(|s| e.file_name() == *s));
    let mut out = BTreeMap::new();
    for e in walk {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy();
        if e.file_type().is_dir() {
            out.insert(format!("{rel}/"), Vec::new());
        } else {
            out.insert(rel.into_owned(), fs::read(e.path()).unwrap());
        }
    }
    out
}

/// Recreate the tree `from` at `to` with hard links: the very same files,
/// modification times included, as the build's manifest records them. The
/// build replaces output files by renaming new ones over them and never
/// writes into them, so `from` stays as it was.
fn link_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::hard_link(e.path(), &dest).unwrap();
        }
    }
}

/// A page of section `s`, in version `v`: headings, prose, a list and a code block.
fn page(s: usize, p: usize, v: &str) -> String {
    let parts: String = (0..8)
        .map(|k| {
            format!(
                "## Part {k}\n\nThe {v} text of page {s}-{p}, part {k}, with *emphasis* \
                 and a [link](https://news.example.com/{s}/{p}).\n\n- one\n- two\n\n"
            )
        })
        .collect();
    format!(
        "+++\ntitle = \"Page {s}-{p} ({v})\"\n+++\n# Page {s}-{p}\n\n{parts}\
         ```rust\nfn page_{p}() -> &'static str {{ \"{v}\" }}\n```\n"
    )
}

/// Write every content file of the site in version `v`.
fn write_content(site: &Site, v: &str) {
    site.write(
        "content/_index.md",
        &format!("+++\ntitle = \"Home ({v})\"\n+++\nWelcome.\n"),
    );
    for s in 0..SECTIONS {
        site.write(
            &format!("content/s{s}/_index.md"),
            &format!("+++\ntitle = \"Section {s} ({v})\"\n+++\n"),
        );
        for p in 0..PAGES_PER_SECTION {
            site.write(&format!("content/s{s}/p{p}.md"), &page(s, p, v));
        }
    }
}

/// Where to put the sites. The test writes and replaces thousands of files
/// many times over, which on a slow disk takes longer than the builds
/// themselves; a RAM file system, where there is one, keeps it quick, and
/// renames there are atomic as on any disk.
fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if tempfile::tempdir_in(shm).is_ok() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// The site in its old version, with templates for pages and sections, in `parent`.
fn site(parent: &Path) -> Site {
    let site = Site::empty_in(parent).with_basic_files().file(
        "templates/section.html",
        "<!doctype html><title>{{ section.title }}</title><ul>{% for p in section.pages %}\
         <li><a href=\"{{ p.permalink }}\">{{ p.title }}</a></li>{% endfor %}</ul>\n",
    );
    write_content(&site, "old");
    site
}

/// When to send the signal to the second build.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// Right after the process is spawned.
    AtSpawn,
    /// As soon as the staging folder exists.
    StagingAppears,
    /// Once the staging folder holds this many files.
    StagingHolds(usize),
    /// Once a new section page is in the output folder.
    CommitBegins,
    /// This long after the spawn.
    After(Duration),
}

/// How many files are under `dir` (0 when it does not exist).
fn files_under(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count()
}

impl Moment {
    /// How often to look: walking the staging folder or reading the output
    /// takes time the build needs too.
    fn poll_every(&self) -> Duration {
        match self {
            Moment::StagingHolds(_) | Moment::CommitBegins => Duration::from_millis(10),
            _ => Duration::from_millis(1),
        }
    }

    fn has_come(&self, out: &Path, since: Instant) -> bool {
        let staging = out.join(".explainer-staging");
        match *self {
            Moment::AtSpawn => true,
            Moment::StagingAppears => staging.exists(),
            Moment::StagingHolds(n) => files_under(&staging) >= n,
            Moment::CommitBegins => (0..SECTIONS).any(|s| {
                fs::read_to_string(out.join(format!("s{s}/index.html")))
                    .is_ok_and(|html| html.contains("(new)"))
            }),
            Moment::After(d) => since.elapsed() >= d,
        }
    }
}

/// What happened to one signalled build.
struct Outcome {
    status: ExitStatus,
    stderr: String,
    /// Files in the staging folder just before the signal, if it existed and a signal was sent.
    staged: Option<usize>,
    /// The signal, if one was sent (the build may have finished first).
    signalled: Option<i32>,
    /// From the signal to the exit.
    to_exit: Duration,
}

/// Run `explainer build` in `site`, send `signal` at `moment`, wait for the exit.
fn signalled_build(site: &Site, moment: Moment, signal: i32) -> Outcome {
    let out = site.path("public");
    let started = Instant::now();
    let (mut child, reader) = site.spawn(&["build", "-q"]);
    let mut sent: Option<(Instant, Option<usize>)> = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if sent.is_none() && moment.has_come(&out, started) {
            let staging = out.join(".explainer-staging");
            let staged = staging.exists().then(|| files_under(&staging));
            // SAFETY: kill has no memory effects; the child is not yet reaped.
            let r = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            assert_eq!(r, 0, "kill: {}", std::io::Error::last_os_error());
            sent = Some((Instant::now(), staged));
        }
        std::thread::sleep(moment.poll_every());
    };
    Outcome {
        status,
        stderr: reader.join().expect("stderr reader"),
        staged: sent.and_then(|(_, staged)| staged),
        signalled: sent.map(|_| signal),
        to_exit: sent.map_or(Duration::ZERO, |(at, _)| at.elapsed()),
    }
}

/// Which whole build the output folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whole {
    Old,
    New,
}

/// The output folder, or a failure naming how it mixes the two builds.
fn whole_build(
    now: &BTreeMap<String, Vec<u8>>,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
) -> Result<Whole, String> {
    if now == old {
        return Ok(Whole::Old);
    }
    if now == new {
        return Ok(Whole::New);
    }
    let as_old = now.iter().filter(|(p, b)| old.get(*p) == Some(b)).count();
    let as_new = now.iter().filter(|(p, b)| new.get(*p) == Some(b)).count();
    let strays: Vec<&String> = now
        .keys()
        .filter(|p| !old.contains_key(*p) && !new.contains_key(*p))
        .take(5)
        .collect();
    Err(format!(
        "{} paths: {as_old} as in the old build, {as_new} as in the new; not in either: {strays:?}",
        now.len()
    ))
}

/// A built site whose content has since changed, with both whole outputs.
struct Fixture {
    site: Site,
    /// Hard links to the old output and cache, to put them back.
    backup: tempfile::TempDir,
    old: BTreeMap<String, Vec<u8>>,
    new: BTreeMap<String, Vec<u8>>,
    /// The site folder but its output, before the second build.
    outside: BTreeMap<String, Vec<u8>>,
    /// How long an undisturbed second build takes.
    whole: Duration,
}

/// The output folder of `site`.
fn output(site: &Site) -> BTreeMap<String, Vec<u8>> {
    tree(&site.path("public"), &[])
}

impl Fixture {
    /// Build the old site, change every content file, and build the new one
    /// once undisturbed; then put the old output back.
    fn new() -> Fixture {
        let scratch = scratch();
        let site = site(&scratch);
        site.build().ok();
        let old = output(&site);
        let backup = tempfile::tempdir_in(&scratch).unwrap();
        for dir in ["public", ".explainer-cache"] {
            link_tree(&site.path(dir), &backup.path().join(dir));
        }
        write_content(&site, "new");
        let outside = tree(site.root(), &["public"]);
        let started = Instant::now();
        site.build().ok();
        let whole = started.elapsed();
        let new = output(&site);
        let fixture = Fixture {
            site,
            backup,
            old,
            new,
            outside,
            whole,
        };
        fixture.every_page_differs();
        fixture.restore();
        fixture
    }

    /// Without this the old and the new output could not be told apart.
    fn every_page_differs(&self) {
        let pages: Vec<&String> = (self.old.keys())
            .filter(|p| p.contains("/p") && p.ends_with("/index.html"))
            .collect();
        assert_eq!(pages.len(), PAGES, "every page has output");
        for p in pages {
            assert_ne!(
                self.old[p], self.new[p],
                "{p} must differ between the builds"
            );
        }
    }

    /// Put back the old output and cache after a build that replaced them.
    fn restore(&self) {
        for dir in ["public", ".explainer-cache"] {
            fs::remove_dir_all(self.site.path(dir)).unwrap();
            link_tree(&self.backup.path().join(dir), &self.site.path(dir));
        }
        assert_eq!(output(&self.site), self.old, "restored output");
    }

    /// Check a signalled build left one whole build, matching its exit code
    /// and message, and touched nothing else; return which.
    fn check(&self, run: &Outcome, what: &str) -> Whole {
        let which = whole_build(&output(&self.site), &self.old, &self.new)
            .unwrap_or_else(|mix| panic!("{what} left a mixed output: {mix}"));
        let said = |text: &str| run.stderr.contains(text);
        let expected = match (run.status.code(), run.status.signal()) {
            (Some(0), _) => Whole::New,
            (Some(130), _) if said(UNTOUCHED) => Whole::Old,
            (Some(130), _) if said(COMPLETE) => Whole::New,
            // Before the handler is installed the signal's default action
            // ends the process; that is long before staging.
            (None, s) if s == run.signalled && run.staged.is_none() => Whole::Old,
            _ => panic!("{what}: unexpected {:?}\n{}", run.status, run.stderr),
        };
        assert_eq!(which, expected, "{what}: {:?}\n{}", run.status, run.stderr);
        // A finished build rewrites its cache (by renaming a new file over it); nothing else changes.
        let skip: &[&str] = match which {
            Whole::Old => &["public"],
            Whole::New => &["public", ".explainer-cache"],
        };
        let unchanged = |t: &BTreeMap<String, Vec<u8>>| {
            t.iter()
                .filter(|(p, _)| !skip.iter().any(|s| p.starts_with(&format!("{s}/"))))
                .map(|(p, b)| (p.clone(), b.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            tree(self.site.root(), skip),
            unchanged(&self.outside),
            "{what} changed files outside its output"
        );
        let names = |t: BTreeMap<String, Vec<u8>>| t.into_keys().collect::<Vec<_>>();
        assert_eq!(
            names(tree(&self.site.path(".explainer-cache"), &[])),
            names(tree(&self.backup.path().join(".explainer-cache"), &[])),
            "{what} left other files in the cache folder"
        );
        which
    }
}

/// "exit 130" or "killed by signal 2".
fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (_, Some(signal)) => format!("killed by signal {signal}"),
        _ => format!("{status:?}"),
    }
}

/// Signal a second build at every moment and check each left one whole build.
fn interrupts_leave_one_whole_build(signal: i32, name: &str) {
    let fixture = Fixture::new();
    let mut moments = vec![
        Moment::AtSpawn,
        Moment::StagingAppears,
        Moment::StagingHolds(PAGES / 2),
        Moment::CommitBegins,
    ];
    moments.extend([0.15, 0.4, 0.65, 0.9, 1.05].map(|f| Moment::After(fixture.whole.mul_f64(f))));
    let mut mid_staging = 0;
    let mut summary = Vec::new();
    for moment in moments {
        let run = signalled_build(&fixture.site, moment, signal);
        let which = fixture.check(&run, &format!("{name} at {moment:?}"));
        if which == Whole::New {
            fixture.restore();
        }
        if which == Whole::Old && run.status.code() == Some(130) && run.staged.is_some() {
            mid_staging += 1;
        }
        summary.push(format!(
            "  {moment:?}: {}, {which:?} output, staged {:?}, exit {:.0?} after the signal{}",
            describe(run.status),
            run.staged,
            run.to_exit,
            if run.signalled.is_some() {
                ""
            } else {
                " (finished first)"
            },
        ));
    }
    eprintln!(
        "{name}: an undisturbed build takes {:.1?}\n{}",
        fixture.whole,
        summary.join("\n")
    );
    assert!(
        mid_staging >= 1,
        "no {name} landed while the build was staging; the test proved nothing"
    );
}

#[test]
fn sigint_leaves_the_old_or_the_new_output_never_a_mix() {
    interrupts_leave_one_whole_build(libc::SIGINT, "SIGINT");
}

#[test]
fn sigterm_leaves_the_old_or_the_new_output_never_a_mix() {
    interrupts_leave_one_whole_build(libc::SIGTERM, "SIGTERM");
}
