//! The build pipeline: load → render → verify → write, shared by `build`,
//! `check` and `serve`.
//!
//! Each stage takes the previous stage's value, and [`run`] drives them all:
//! it takes the [`State`] the last run left and gives back the next one, so
//! the data flows one way. `check` runs it from nothing into a sink that
//! drops every file; `serve` keeps the state in memory between edits; only
//! [`build`] touches the output folder: it reads the state from the cache,
//! stages changed files while rendering and commits them only after every
//! stage has succeeded, then saves the state. With the cache of the previous
//! build it skips what did not change: nothing at all when no input
//! changed, else every file whose inputs are the same.

use crate::cache::{self, BuildCache, DocMemo};
pub use crate::config::Options;
use crate::config::{Config, normalise_base_url};
use crate::content::{self, Content, Scan};
use crate::diagnostics::{Diagnostic, Report};
use crate::huge_pages::SmallPages;
use crate::limits::Watch;
use crate::listing;
use crate::markdown::{Facts, MarkdownOptions};
use crate::output::{self, Gate, OutputLock, Staging, SyncStats};
use crate::registry::Registry;
use crate::render::{self, OutputFile, RenderJob, Sink, SiteLinks};
use crate::stamp::{self, Fingerprint, Hash};
pub use crate::state::State;
use crate::state::{LastRender, Learned};
use crate::templates::{Lookup, Templates};
use crate::urls::Urls;
use crate::verify::rendered::{self, Scanning, SharedScan};
use crate::verify::{self, Stats, Verifier};
use crate::view::ViewBuilder;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use tracing::debug;

/// The outcome of rendering a site, before anything is written.
#[derive(Debug, Default)]
pub struct Rendered {
    pub pages: usize,
    pub sections: usize,
    pub stats: Stats,
    /// Warnings (and errors, when rendering failed).
    pub report: Report,
    /// The `base_url` as used (after overrides); `None` when the site has none.
    pub base_url: Option<String>,
}

/// The `config` object templates see: the documented keys only.
#[derive(Serialize)]
struct ConfigView<'a> {
    title: &'a str,
    base_url: Option<&'a str>,
    description: &'a str,
    language: &'a str,
    /// Zola's name for `language`.
    default_language: &'a str,
    languages: &'a std::collections::BTreeMap<String, crate::config::LanguageConfig>,
    build_search_index: bool,
    share_cards: bool,
    extra: &'a toml::Table,
}

/// Load the config with command-line overrides applied.
pub fn load_config(opts: &Options) -> Result<Config, Report> {
    apply_options(Config::load(&opts.root).map_err(one)?, opts)
}

/// `config` with the command-line overrides of `opts` applied.
pub fn apply_options(mut config: Config, opts: &Options) -> Result<Config, Report> {
    if let Some(url) = &opts.base_url {
        config.base_url = Some(normalise_base_url(url).map_err(|why| {
            one(Diagnostic::error(
                "usage",
                format!("bad --base-url {url:?}: {why}"),
            ))
        })?);
    }
    config.relative_urls |= opts.relative;
    Ok(config)
}

fn one(d: Diagnostic) -> Report {
    let mut r = Report::default();
    r.push(d);
    r
}

/// What the caller of a build hears about, and can say, while it runs.
pub trait Hooks: Sync {
    /// What the build puts in the output folder before its commit, for the
    /// caller to undo if it ends the process early.
    fn gate(&self) -> Arc<Gate> {
        Arc::default()
    }
    /// Where renders register, for the caller to find one over its limits.
    fn watch(&self) -> Option<Arc<Watch>> {
        None
    }
    /// Another build holds the output folder: this one waits for it.
    fn waiting(&self, _out: &Path) {}
    /// `docs` documents are about to be rendered.
    fn rendering(&self, _docs: usize) {}
    /// One more document was rendered (or kept).
    fn tick(&self) {}
    /// Everything checked out: the output folder is about to change.
    fn before_commit(&self) {}
    /// Whether to stop and leave the output folder as it was.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Hooks that hear nothing and never cancel.
pub struct NoHooks;

impl Hooks for NoHooks {}

/// A rendered site, and what the next run needs to remember of it.
struct Done {
    rendered: Rendered,
    learned: Learned,
}

/// What every build reads besides the content: the config and the static files.
pub(crate) struct Inputs {
    pub(crate) config: Config,
    static_files: Vec<render::StaticFile>,
    static_hashes: std::collections::HashMap<String, String>,
}

/// Read the config (with `opts` applied) unless `config` is it already, and
/// list and hash the static files.
fn read_inputs(opts: &Options, config: Option<Config>) -> Result<Inputs, Report> {
    let config = match config {
        Some(config) => config,
        None => load_config(opts)?,
    };
    let (static_files, static_hashes) = render::scan_static(&opts.root)?;
    Ok(Inputs {
        config,
        static_files,
        static_hashes,
    })
}

/// What one run of the pipeline is asked to do.
pub struct Job<'a> {
    pub opts: &'a Options,
    /// The config with `opts` applied, when the caller has read it already.
    pub config: Option<Config>,
    /// The content folder as scanned, when the caller has scanned it already.
    pub scan: Option<Scan>,
    /// The site-relative paths changed since the run that left the state, when known.
    pub changed: Option<&'a BTreeSet<PathBuf>>,
    /// When the run started: files modified later are not trusted by stat next time.
    pub started_ns: i64,
}

impl<'a> Job<'a> {
    /// A run over the site `opts` names, starting now, that reads everything itself.
    pub fn new(opts: &'a Options) -> Job<'a> {
        Job {
            opts,
            config: None,
            scan: None,
            changed: None,
            started_ns: stamp::now_ns(),
        }
    }
}

/// The one pipeline driver (`build`, `check` and `serve` call it): load,
/// render and verify the site into `sink`, reusing what `state` remembers.
/// Errors of every stage that could run are reported together. Returns the
/// outcome and the state for the next run: after a success, what this run
/// learned; after a failure, `state` as given (with its content patched when
/// only bodies changed), so nothing good is lost.
pub fn run(
    job: Job,
    mut state: State,
    sink: &dyn Sink,
    hooks: &dyn Hooks,
) -> (Result<Rendered, Report>, State) {
    let Job {
        opts,
        config,
        scan,
        changed,
        started_ns,
    } = job;
    let mut clock = Instant::now();
    let inputs = match read_inputs(opts, config) {
        Ok(inputs) => inputs,
        Err(report) => return (Err(report), state),
    };
    if let Some(changed) = changed
        && state.patch_bodies(&opts.root, changed)
        && let Some(content) = state.content()
    {
        debug!("only Markdown bodies changed: the content is reused");
        // The same documents as the last render: all it made applies.
        let last = state.last.clone();
        return match render_into(
            opts,
            inputs,
            content,
            state.cache.as_ref(),
            last,
            sink,
            hooks,
        ) {
            Ok(done) => (
                Ok(done.rendered),
                state.after_patch(done.learned, started_ns),
            ),
            Err(report) => (Err(report), state),
        };
    }
    let scan = scan.unwrap_or_else(|| content::scan(&opts.root));
    let languages = content::Languages::of(&inputs.config);
    let loaded = content::load_scanned(&opts.root, &scan, opts.drafts, state.memory(), &languages);
    let content = match loaded {
        Ok(content) => content,
        Err(report) => return (Err(report), state),
    };
    lap("load", &mut clock);
    // Documents loaded afresh: the last render's page fingerprints may not apply.
    let last = LastRender {
        explainer: state.last.explainer.take(),
        fingerprints: None,
    };
    match render_into(
        opts,
        inputs,
        &content,
        state.cache.as_ref(),
        last,
        sink,
        hooks,
    ) {
        Ok(done) => {
            let next = state.after(scan, content, done.learned, started_ns);
            (Ok(done.rendered), next)
        }
        Err(report) => (Err(report), state),
    }
}

/// Log how long a stage took (shown with `build -v`).
fn lap(stage: &str, since: &mut Instant) {
    debug!("{stage}: {:.1} ms", since.elapsed().as_secs_f64() * 1e3);
    *since = Instant::now();
}

/// Render loaded `content` into `sink`; `prior` is what the last run
/// remembered, `last` what the last render made that this one can use.
fn render_into(
    opts: &Options,
    inputs: Inputs,
    content: &Content,
    prior: Option<&BuildCache>,
    last: LastRender,
    sink: &dyn Sink,
    hooks: &dyn Hooks,
) -> Result<Done, Report> {
    let mut clock = Instant::now();
    let Inputs {
        config,
        static_files,
        static_hashes: hashes,
    } = inputs;
    let mut report = Report::default();
    let registry = Registry::collect(content, &mut report);
    let urls = Urls::new(config.url_base(), hashes);
    let view = ViewBuilder::new(content, &registry, &urls);
    // Each document's memo, looked up once (by path: 10 000 lookups at
    // 10 000 pages), for its facts, its listing digest and its page's scan.
    let memos: Vec<Option<&DocMemo>> = content
        .docs
        .iter()
        .map(|d| prior.and_then(|p| p.memo(&d.content_path)))
        .collect();
    let mut known: Vec<Option<Arc<Facts>>> = (content.docs.iter().zip(&memos))
        .map(|(d, m)| m.filter(|m| m.stamp.hash == d.stamp.hash))
        .map(|m| m.map(|m| m.facts.clone()))
        .collect();
    let images = Arc::new(crate::images::Images::new(
        &opts.root,
        &static_files,
        content,
        urls.clone(),
    ));
    let lookup = Arc::new(Lookup {
        images: images.clone(),
        urls: urls.clone(),
        permalinks: OnceLock::new(),
        docs: OnceLock::new(),
    });
    let mut templates = Templates::load(&opts.root, lookup.clone(), &config).map_err(|mut r| {
        r.extend(report.diagnostics.clone());
        r
    })?;
    templates.watch = hooks.watch();
    if let Some(watch) = &templates.watch {
        watch.set_limit(config.render_timeout());
    }
    let looks_up = templates.mention("get_page") || templates.mention("get_section");
    let links = SiteLinks {
        content,
        view: &view,
        templates: Some(&templates),
    };
    let markdown = MarkdownOptions {
        highlight_code: config.markdown.highlight_code,
    };
    let late_citations = !looks_up && !pages_may_read_cited_by(content, &templates);
    if late_citations {
        debug!("pages render before the prose citations are counted");
    }
    let (scan_report, scanned) = render::scan_facts(
        content,
        &links,
        &mut known,
        |d| !late_citations && (looks_up || d.may_cite),
        markdown,
    );
    report.extend(scan_report.diagnostics);
    let mut global = inputs_fingerprint(&config, &templates, &urls);
    if !images.is_empty() {
        global = global.bytes(&images.fingerprint());
    }
    if templates.mention("resize_image") {
        // What `resize_image` makes is published by the pages calling it: none is kept.
        global = global.u64(stamp::now_ns() as u64);
    }
    if looks_up {
        let facts: Vec<Arc<Facts>> = known
            .iter()
            .map(|k| k.clone().unwrap_or_default())
            .collect();
        let _ = lookup.docs.set(listing::all_values(
            content,
            &facts,
            &urls,
            templates.fields,
        ));
        global = global.bytes(&every_document(content));
    }
    if templates.mention("get_url") {
        global = global.bytes(&every_url(content));
        let _ = lookup.permalinks.set(
            content
                .docs
                .iter()
                .map(|d| (d.content_path.clone(), urls.permalink(&d.path)))
                .collect(),
        );
    }
    // Pages that cannot read `cited_by` render before the prose citations are
    // known: the sections and site files after them see the whole object.
    let explainer = if late_citations {
        view.explainer_before_prose()
    } else {
        view.explainer(&render::prose_citations(known.iter().map(Option::as_deref)))
    };
    global = global.bytes(&explainer.fingerprint_bytes());
    set_globals(&mut templates, &config, &explainer);
    // The templates hold their own copy now: this one would last the build.
    drop(explainer);
    let global = global.finish();
    let digests: Vec<Option<Hash>> = (content.docs.iter().zip(&memos))
        .map(|(d, m)| m.filter(|m| m.stamp.hash == d.stamp.hash && m.digest.0 == global))
        .map(|m| m.map(|m| m.digest.1))
        .collect();
    lap("prepare", &mut clock);
    hooks.rendering(content.docs.len());
    let job = RenderJob {
        config: &config,
        content,
        view: &view,
        templates: &templates,
        static_files: &static_files,
        images: &images,
        global,
        tick: &|| hooks.tick(),
        cancelled: &|| hooks.cancelled(),
        scanned: Mutex::new(scanned),
        late_citations: late_citations.then(|| render::LateCitations::remembering(last.explainer)),
        fingerprints_before: last.fingerprints.as_ref(),
    };
    // About one file per document (the cache's output manifest is not at
    // hand here: `build` has taken it, `serve` never fills it in).
    let scanning = Scanning::new(
        sink,
        Box::new(|path| remembered(content, &memos, prior?, path)),
        content.docs.len(),
    );
    let mut pass = job.run(known, digests, &scanning);
    let last = LastRender {
        explainer: job.explainer_value(),
        fingerprints: Some(std::mem::take(&mut pass.fingerprints)),
    };
    let written = scanning.finish();
    // Files missing after a failed render would only add false broken links.
    let rendered_all = !pass.report.has_errors();
    report.extend(pass.report.diagnostics);
    lap("render", &mut clock);
    // The link check of the written HTML and the other checks read the same
    // finished render and nothing of each other's: they run side by side.
    let check_links = || {
        if !rendered_all {
            return Vec::new();
        }
        let resolver = crate::urls::Resolver::new(config.url_base());
        let links = SiteLinks {
            content,
            view: &view,
            templates: Some(&templates),
        };
        rendered::Check {
            content,
            facts: &pass.facts,
            links: &links,
            templates: &templates,
            static_files: &static_files,
            resolver: &resolver,
            written: &written,
            same_files: sink.had_exactly(&mut written.files.keys()) == Some(true),
        }
        .run()
    };
    let verify = || {
        let links_of = prior
            .and_then(|p| p.previous_facts(content, &global))
            .and_then(|before| verify::links_to_check(&before, &pass.facts));
        Verifier {
            content,
            registry: &registry,
            facts: &pass.facts,
            static_files: &static_files,
            written: &written,
            links_of: links_of.as_deref(),
        }
        .run()
    };
    let (broken_links, (findings, stats)) = rayon::join(check_links, verify);
    report.extend(broken_links);
    let (pages, other_pages) = split_scans(content, &written);
    report.extend(findings.diagnostics);
    lap("check links and verify", &mut clock);
    report.sort();
    if report.has_errors() {
        return Err(report);
    }
    Ok(Done {
        rendered: summary(content, stats, report, &config),
        learned: Learned {
            facts: pass.facts,
            digests: pass.digests,
            pages,
            other_pages,
            global,
            last,
        },
    })
}

/// The scan `prior` remembers of the output file at `path`: the page of the
/// document it is (its memo in `memos`, indexed like `content.docs`), else
/// an other page's (404, listing pages, static HTML).
fn remembered(
    content: &Content,
    memos: &[Option<&DocMemo>],
    prior: &BuildCache,
    path: &str,
) -> Option<SharedScan> {
    // A document with a file has its page in its memo, never among the
    // others (see `split_scans`): looked up first, as most files are pages.
    let doc = (path.strip_suffix("index.html"))
        .and_then(|url_path| content.by_url_path.get(url_path))
        .copied()
        .filter(|&i| content.docs[i].has_file);
    if let Some(i) = doc {
        return memos[i]?.page.clone();
    }
    let at = (prior.other_pages)
        .binary_search_by(|(p, _)| p.as_str().cmp(path))
        .ok()?;
    Some(prior.other_pages[at].1.clone())
}

/// The scans of `written`'s HTML files: each document's page (indexed like
/// `content.docs`), and the others by output path, sorted (404, listing
/// pages, static HTML, and the page of a folder without `_index.md`, which
/// has no memo to remember it in).
fn split_scans(
    content: &Content,
    written: &rendered::Written,
) -> (Vec<Option<SharedScan>>, Vec<(String, SharedScan)>) {
    let mut pages = vec![None; content.docs.len()];
    let mut other_pages = Vec::new();
    for (path, scan) in &written.pages {
        let doc = (path.strip_suffix("index.html"))
            .and_then(|url_path| content.by_url_path.get(url_path))
            .copied();
        if let Some(i) = doc {
            pages[i] = Some(scan.clone());
        }
        if doc.is_none_or(|i| !content.docs[i].has_file) {
            other_pages.push((path.clone(), scan.clone()));
        }
    }
    other_pages.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    (pages, other_pages)
}

/// What every output depends on besides its own document: the binary, the
/// config as used, every template and every static file's hash.
fn inputs_fingerprint(config: &Config, templates: &Templates, urls: &Urls) -> Fingerprint {
    let mut statics: Vec<(&String, &String)> = urls.static_hashes.iter().collect();
    statics.sort();
    statics.into_iter().fold(
        Fingerprint::new("global")
            .bytes(&stamp::binary_identity())
            .str(&serde_json::to_string(config).unwrap_or_default())
            .bytes(&templates.fingerprint()),
        |f, (path, hash)| f.str(path).str(hash),
    )
}

/// A fingerprint of every document's contents and URL, for templates that look documents up.
fn every_document(content: &Content) -> Hash {
    content
        .docs
        .iter()
        .fold(Fingerprint::new("documents"), |f, d| {
            f.str(&d.content_path).bytes(&d.stamp.hash).str(&d.path)
        })
        .finish()
}

/// A fingerprint of every document's URL, for `get_url(path="@/…")`.
fn every_url(content: &Content) -> Hash {
    content
        .docs
        .iter()
        .fold(Fingerprint::new("urls"), |f, d| {
            f.str(&d.content_path).str(&d.path)
        })
        .finish()
}

/// Whether a template some page renders with may read a source's `cited_by`.
fn pages_may_read_cited_by(content: &Content, templates: &Templates) -> bool {
    // A site has a few page templates and thousands of pages: the distinct
    // names are gathered in a set, not by sorting every page's.
    let names: rustc_hash::FxHashSet<&str> = content
        .pages()
        .map(|(_, d)| render::template_for(content, d).0)
        .collect();
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    templates.pages_may_read(&names, "cited_by")
}

fn set_globals(templates: &mut Templates, config: &Config, explainer: &crate::view::ExplainerView) {
    let globals = templates.tera.global_context();
    globals.insert(
        "config",
        &ConfigView {
            title: &config.title,
            base_url: config.base_url.as_deref(),
            description: &config.description,
            language: &config.language,
            default_language: &config.language,
            languages: &config.languages,
            build_search_index: config.build_search_index,
            share_cards: config.share_cards,
            extra: &config.extra,
        },
    );
    globals.insert("explainer", explainer);
    // The language of whatever is rendered; a document's context gives its own.
    globals.insert("lang", &config.language);
}

fn summary(content: &Content, stats: Stats, report: Report, config: &Config) -> Rendered {
    Rendered {
        pages: content.pages().count(),
        sections: content.sections().count(),
        stats,
        report,
        base_url: config.base_url.clone(),
    }
}

/// The result of a successful `build`.
#[derive(Debug)]
pub struct Built {
    pub rendered: Rendered,
    pub sync: SyncStats,
    pub elapsed: std::time::Duration,
    /// The parsed site and cache the build worked with.
    pub leftovers: Leftovers,
}

/// What a build held in memory: dropping it frees the parsed site (tens of
/// milliseconds at 10 000 pages). A command about to exit can instead
/// `std::mem::forget` it and leave the freeing to the operating system.
pub struct Leftovers(#[allow(dead_code)] Box<dyn std::any::Any + Send>);

impl std::fmt::Debug for Leftovers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Leftovers")
    }
}

/// Build the site into `out`: render, check, and commit only what changed.
pub fn build(opts: &Options, out: &Path, hooks: &dyn Hooks) -> Result<Built, Report> {
    let started = Instant::now();
    output::check_output_dir(&opts.root, out).map_err(one)?;
    let gate = hooks.gate();
    let _lock = OutputLock::acquire(out, &gate, || hooks.waiting(out)).map_err(one)?;
    // Again: a build that held the folder before this one may have changed it.
    output::check_output_dir(&opts.root, out).map_err(one)?;
    let cache_path = cache::path(opts, out);
    let mut clock = Instant::now();
    let ((prior, damage), scan) =
        rayon::join(|| cache::open(&cache_path), || content::scan(&opts.root));
    lap("scan and read the cache", &mut clock);
    let attempt = Attempt {
        opts,
        out,
        hooks,
        gate,
        cache_path: &cache_path,
        started,
    };
    if let Some(built) = attempt.run(prior, scan, damage)? {
        return Ok(built);
    }
    let damage = Diagnostic::warning(
        "cache",
        "a value read from the build cache did not decode; the build was done again without the cache",
    )
    .in_file(&cache_path);
    let again = attempt.run(None, content::scan(&opts.root), Some(damage))?;
    again.ok_or_else(|| {
        one(Diagnostic::error(
            "cache",
            "a build without a cache read from one",
        ))
    })
}

/// One attempt at a build, with the output folder locked.
struct Attempt<'a> {
    opts: &'a Options,
    out: &'a Path,
    hooks: &'a dyn Hooks,
    gate: Arc<Gate>,
    cache_path: &'a Path,
    started: Instant,
}

impl Attempt<'_> {
    /// Build with `opened` (the cache, its memos not yet read) and `scan`;
    /// `damage` is the warning of a cache that could not be used. `None`
    /// (nothing committed) when a value of the cache turned out damaged: the
    /// caller builds again without it.
    fn run(
        &self,
        opened: Option<cache::Opened>,
        scan: Scan,
        damage: Option<Diagnostic>,
    ) -> Result<Option<Built>, Report> {
        let Attempt {
            opts, out, hooks, ..
        } = *self;
        let started_ns = stamp::now_ns();
        let mut clock = Instant::now();
        let (inputs, newest) = cache::inputs(opts, out, &scan);
        lap("fingerprint the inputs", &mut clock);
        if let Some(o) = opened.as_ref()
            && unchanged_by_head(o, inputs, newest, &scan, out)
        {
            debug!("no input changed since the last build (the memo file is not read)");
            let p = opened.map(cache::Opened::without_memos).unwrap_or_default();
            return Ok(Some(nothing_to_do(p, scan, self.started)));
        }
        let (mut prior, memo_damage) = opened.map_or((None, None), cache::Opened::finish);
        let damage = damage.or(memo_damage);
        lap("read the memos", &mut clock);
        if let Some(p) = prior.take_if(|p| unchanged(p, inputs, newest, &scan, out)) {
            debug!("no input changed since the last build");
            return Ok(Some(nothing_to_do(p, scan, self.started)));
        }
        let _small_pages = prior.is_none().then(SmallPages::for_cold_build);
        let previous = prior.as_mut().map(|p| std::mem::take(&mut p.outputs));
        let staging = Staging::begin(out, previous, self.gate.clone()).map_err(one)?;
        let job = Job {
            scan: Some(scan),
            started_ns,
            ..Job::new(opts)
        };
        let ((result, mut state), ()) = rayon::join(
            || run(job, State::with_cache(prior), &staging, hooks),
            || staging.check_previous(),
        );
        let mut rendered = result?;
        clock = Instant::now();
        if crate::lazy::damage_seen() {
            staging.abort();
            return Ok(None);
        }
        if hooks.cancelled() {
            return Err(one(Diagnostic::error(
                "interrupted",
                "the build was interrupted",
            )));
        }
        hooks.before_commit();
        let (sync, manifest) = staging.commit().map_err(one)?;
        lap("commit", &mut clock);
        if let Some(cache) = &mut state.cache {
            cache.inputs = inputs;
            cache.outputs = manifest;
            cache.clean = rendered.report.diagnostics.is_empty();
            cache.pages = rendered.pages;
            cache.sections = rendered.sections;
            cache.base_url = rendered.base_url.clone().unwrap_or_default();
            cache::save(self.cache_path, cache);
        }
        lap("save cache", &mut clock);
        if let Some(d) = damage {
            rendered.report.push(d);
        }
        Ok(Some(Built {
            rendered,
            sync,
            elapsed: self.started.elapsed(),
            leftovers: Leftovers(Box::new(state)),
        }))
    }
}

/// Whether nothing changed since the build that left `prior`: no input's stat
/// (files too recent to trust by stat have the same contents), and every
/// output file as it was written.
fn unchanged(prior: &BuildCache, inputs: Hash, newest: i64, scan: &Scan, out: &Path) -> bool {
    prior.clean
        && prior.inputs == inputs
        && prior.settled(scan, newest)
        && output::intact(out, &prior.outputs)
}

/// [`unchanged`] as the head file of a cache can tell it: the stats, and
/// the memos it holds of files too recent to be trusted by stat (false
/// when such a file's memo is in the memo file).
fn unchanged_by_head(
    opened: &cache::Opened,
    inputs: Hash,
    newest: i64,
    scan: &Scan,
    out: &Path,
) -> bool {
    let head = opened.head();
    if !head.clean || head.inputs != inputs {
        return false;
    }
    let recent = match cache::all_trusted_by_stat(head.started_ns, scan) {
        true => Vec::new(),
        false => opened.recent_memos().unwrap_or_default(),
    };
    let by_path: FxHashMap<&str, &cache::DocMemo> = (recent.iter())
        .map(|m| (m.content_path.as_str(), m))
        .collect();
    let memo = |path: &str| by_path.get(path).copied();
    cache::settled_with(head.started_ns, scan, newest, memo) && output::intact(out, head.outputs)
}

fn nothing_to_do(prior: BuildCache, scan: Scan, started: Instant) -> Built {
    Built {
        rendered: Rendered {
            pages: prior.pages,
            sections: prior.sections,
            base_url: Some(prior.base_url.clone()).filter(|u| !u.is_empty()),
            ..Rendered::default()
        },
        sync: SyncStats {
            unchanged: prior.outputs.len(),
            ..SyncStats::default()
        },
        elapsed: started.elapsed(),
        leftovers: Leftovers(Box::new((prior, scan))),
    }
}

/// A sink that drops every file: `check` renders without writing.
pub struct DiscardSink;

impl Sink for DiscardSink {
    fn put(&self, _: OutputFile) {}
}
