//! Test harness: a throwaway site folder, the real binary, and assertions on
//! exit code, messages and output files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A site written into a temporary folder.
pub struct Site {
    pub dir: tempfile::TempDir,
}

/// The result of running the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Assert success and return self.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Assert a build/check error (exit 1) and return self.
    pub fn fails(self) -> Run {
        assert_eq!(
            self.code, 1,
            "expected exit 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        self
    }

    /// Assert stderr contains each of `needles`.
    pub fn stderr_has(self, needles: &[&str]) -> Run {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr lacks {n:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    pub fn stdout_has(self, needles: &[&str]) -> Run {
        for n in needles {
            assert!(
                self.stdout.contains(n),
                "stdout lacks {n:?}:\n{}",
                self.stdout
            );
        }
        self
    }
}

/// A minimal valid site: config, home page, one page, templates that print the contract.
pub const CONFIG: &str = "base_url = \"https://example.org/\"\ntitle = \"Test site\"\n";

impl Site {
    /// An empty folder.
    pub fn empty() -> Site {
        Site {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// An empty folder inside `parent`.
    pub fn empty_in(parent: &Path) -> Site {
        Site {
            dir: tempfile::tempdir_in(parent).expect("temp dir"),
        }
    }

    /// A small working site.
    pub fn basic() -> Site {
        Site::empty().with_basic_files()
    }

    /// The files of [`Site::basic`], added to this folder.
    pub fn with_basic_files(self) -> Site {
        self.file("config.toml", CONFIG)
            .file("content/_index.md", "+++\ntitle = \"Home\"\n+++\nWelcome.\n")
            .file("content/about.md", "+++\ntitle = \"About\"\ndate = 2023-05-04\n+++\n# About us\n\nText.\n")
            .file("templates/page.html", "<!doctype html><title>{{ page.title }}</title><main>{{ page.content | safe }}</main><ul>{% for s in explainer.sources %}{% if s.href == page.permalink ~ \"#\" ~ s.anchor %}<li id=\"{{ s.anchor }}\">{{ s.title }}</li>{% endif %}{% endfor %}{% for s in page.statements %}<li id=\"{{ s.anchor }}\">{{ s.text }}</li>{% endfor %}{% for f in page.facts %}<li id=\"{{ f.anchor }}\">{{ f.text }}</li>{% endfor %}{% for e in page.events %}<li id=\"{{ e.anchor }}\">{{ e.text }}</li>{% endfor %}</ul>\n")
            .file(
                "templates/index.html",
                "<!doctype html><title>{{ config.title }}</title><ul>{% for p in section.pages %}<li><a href=\"{{ p.permalink }}\">{{ p.title }}</a></li>{% endfor %}</ul>\n",
            )
    }

    /// Write a file (creating folders).
    pub fn file(self, rel: &str, text: &str) -> Site {
        self.write(rel, text);
        self
    }

    pub fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Run the binary with `args`, in the site folder.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
            .args(args)
            .current_dir(self.root())
            .env_remove("RUST_LOG")
            .output()
            .expect("run explainer");
        Run::from(out)
    }

    /// Start `explainer ARGS` in the site folder without waiting for it; its
    /// stderr is read to the end on a thread of its own.
    #[allow(
        dead_code,
        reason = "not every test binary starts a build in the background"
    )]
    pub fn spawn(&self, args: &[&str]) -> (std::process::Child, std::thread::JoinHandle<String>) {
        use std::io::Read;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
            .args(args)
            .current_dir(self.root())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run explainer");
        let mut pipe = child.stderr.take().expect("stderr");
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        });
        (child, reader)
    }

    pub fn build(&self) -> Run {
        self.run(&["build"])
    }

    pub fn check(&self) -> Run {
        self.run(&["check"])
    }

    /// A file of the default output folder.
    pub fn output(&self, rel: &str) -> String {
        let p = self.path("public").join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    pub fn has_output(&self, rel: &str) -> bool {
        self.path("public").join(rel).exists()
    }

    /// Build (it must succeed), write `files`, build again: it must fail with
    /// every one of `expect` in its messages and leave the output as it was.
    pub fn breaks_with(&self, files: &[(&str, &[u8])], expect: &[&str]) -> Run {
        self.build().ok();
        let before = snapshot_dir(&self.path("public"));
        for (path, bytes) in files {
            self.write_bytes(path, bytes);
        }
        let run = self.build().fails().stderr_has(expect);
        assert_eq!(
            before,
            snapshot_dir(&self.path("public")),
            "previous output changed"
        );
        run
    }
}

/// The `[[sources]]` entry of source `report`: a news report archived in `content/report.txt`.
pub const REPORT_SOURCE: &str = r#"[[sources]]
id = "report"
title = "A report"
publisher = "Example News"
kind = "news-report"
archive = "report.txt"
"#;

/// A `[[statements]]` entry up to its `text`: a quotation by `speaker` of
/// `party` citing `source`, claimed on 2023-05-03. The caller adds `text = …`.
pub fn quote_head(id: &str, speaker: &str, party: &str, source: &str) -> String {
    format!(
        "[[statements]]\nid = \"{id}\"\nspeaker = \"{speaker}\"\nparty = \"{party}\"\ndate = 2023-05-03\nkind = \"quote\"\nstatus = \"claimed\"\nsource = \"{source}\"\n"
    )
}

/// `content/quotes.md`: it declares source `report`, party `party` (named
/// `name`, with this page as its page) and its statement `id` by `speaker`
/// quoting `quote` from the report; the body cites the report.
pub fn quoting_page(party: &str, name: &str, id: &str, speaker: &str, quote: &str) -> String {
    format!(
        "+++\ntitle = \"Quotes\"\n\n{REPORT_SOURCE}\n[[parties]]\nid = \"{party}\"\nname = \"{name}\"\npage = \"@/quotes.md\"\n\n{}text = \"{quote}\"\n+++\nBody [@report].\n",
        quote_head(id, speaker, party, "report")
    )
}

/// `LINE:COL` (1-based) of the first `needle` in `text`, as diagnostics print it.
pub fn line_col(text: &str, needle: &str) -> String {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{line}:{col}")
}

/// Every file under `dir` with its bytes, for byte-identical comparisons.
pub fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

/// The repository root (the explainer site itself).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build this repository's site as it is, with extra `build` arguments, into
/// a temp folder; the folder (keep it while reading) and the files built.
pub fn build_repo_site(args: &[&str]) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_explainer"))
        .args(["build", "--root"])
        .arg(repo_root())
        .arg("-o")
        .arg(&public)
        .args(args)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let files = snapshot_dir(&public);
    (out, files)
}

/// Copy a folder tree (no symlinks expected).
pub fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Every file of an in-memory render, by output path.
pub type Files = BTreeMap<String, Vec<u8>>;

/// The origin `serve_twice` serves from.
pub const SERVE_ORIGIN: &str = "http://127.0.0.1:1111";

/// What `serve` rebuilds `site` with, serving from [`SERVE_ORIGIN`].
pub fn serve_builder(site: &Site) -> explainer::serve::site::Builder {
    explainer::serve::site::Builder {
        root: site.root().to_path_buf(),
        drafts: false,
        origin: SERVE_ORIGIN.to_string(),
        warm: Default::default(),
        pool: None,
    }
}

/// As `serve` does it: build `site` into memory, let `edit` change it, and
/// rebuild on the warm path with `changed` (site-relative paths, as the
/// watcher reports them), reusing the files whose inputs are unchanged.
/// The files of the rebuild, and those of a cold render of the edited site
/// under the same URL: they must agree.
pub fn serve_twice(site: &Site, changed: &[&str], edit: impl FnOnce(&Site)) -> (Files, Files) {
    use explainer::pipeline::NoHooks;
    use explainer::serve::site::Site as Served;
    let builder = serve_builder(site);
    let first = builder
        .rebuild(&Served::default(), None, &NoHooks)
        .unwrap_or_else(|r| panic!("first build failed: {r:?}"));
    edit(site);
    let changed: std::collections::BTreeSet<PathBuf> = changed.iter().map(PathBuf::from).collect();
    let second = builder
        .rebuild(&first.site, Some(&changed), &NoHooks)
        .unwrap_or_else(|r| panic!("rebuild failed: {r:?}"));
    (served_files(&second.site), cold_render(site))
}

/// As [`serve_twice`], for a series of edits: after each, the rebuild on
/// the warm path must agree with a cold render of the site as it then is.
pub fn serve_edits(site: &Site, edits: &[(&str, &str)]) {
    use explainer::pipeline::NoHooks;
    use explainer::serve::site::Site as Served;
    let builder = serve_builder(site);
    let mut served = builder
        .rebuild(&Served::default(), None, &NoHooks)
        .unwrap_or_else(|r| panic!("first build failed: {r:?}"))
        .site;
    for (i, (path, text)) in edits.iter().enumerate() {
        site.write(path, text);
        let changed = std::collections::BTreeSet::from([PathBuf::from(path)]);
        served = builder
            .rebuild(&served, Some(&changed), &NoHooks)
            .unwrap_or_else(|r| panic!("rebuild {} failed: {r:?}", i + 1))
            .site;
        let (warm, cold) = (served_files(&served), cold_render(site));
        for (file, bytes) in &cold {
            assert_eq!(
                warm.get(file).map(|b| String::from_utf8_lossy(b)),
                Some(String::from_utf8_lossy(bytes)),
                "edit {} ({path}): {file} differs from a cold render",
                i + 1
            );
        }
        assert_eq!(warm.len(), cold.len(), "edit {}: other files", i + 1);
    }
}

fn served_files(site: &explainer::serve::site::Site) -> Files {
    site.files
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}

/// The files of a cold render of `site` under the URL `serve` uses.
fn cold_render(site: &Site) -> Files {
    use explainer::pipeline::{NoHooks, Options};
    let opts = Options {
        root: site.root().to_path_buf(),
        base_url: Some(format!("{SERVE_ORIGIN}/")),
        ..Options::default()
    };
    let cold = explainer::render::MemorySink::default();
    let job = explainer::pipeline::Job::new(&opts);
    explainer::pipeline::run(job, Default::default(), &cold, &NoHooks)
        .0
        .unwrap_or_else(|r| panic!("cold render failed: {r:?}"));
    let cold: Files = cold
        .into_files()
        .into_iter()
        .map(|f| {
            let bytes = match f.contents {
                explainer::render::Contents::Bytes(b) => b,
                explainer::render::Contents::Copy(p) => std::fs::read(p).unwrap(),
            };
            (f.path, bytes)
        })
        .collect();
    cold
}

/// A real PNG of `w` × `h` (smooth gradients, which lossless WebP packs smaller).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG");
    out.into_inner()
}
