//! The build pipeline: load → render → verify → write, shared by `build`,
//! `check` and `serve`.
//!
//! Each stage takes the previous stage's value; only [`build`] touches the disk,
//! and only after every stage has succeeded.

use crate::config::{Config, normalise_base_url};
use crate::content::{self, Content};
use crate::diagnostics::{Diagnostic, Report};
use crate::editorial::Registry;
use crate::output::{self, SyncStats};
use crate::render::{self, MemorySink, OutputFile, RenderJob, Sink, SiteLinks};
use crate::templates::Templates;
use crate::urls::Urls;
use crate::verify::{Stats, Verifier};
use crate::view::ViewBuilder;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub root: PathBuf,
    pub drafts: bool,
    /// Replaces `base_url` from the config (used by `--base-url` and `serve`).
    pub base_url: Option<String>,
    /// Forces relative URLs on.
    pub relative: bool,
}

/// The outcome of rendering a site, before anything is written.
#[derive(Debug, Default)]
pub struct Rendered {
    pub pages: usize,
    pub sections: usize,
    pub stats: Stats,
    /// Warnings (and errors, when rendering failed).
    pub report: Report,
    /// The config as used (after overrides).
    pub base_url: String,
}

/// The `config` object templates see: the documented keys only.
#[derive(Serialize)]
struct ConfigView<'a> {
    title: &'a str,
    base_url: &'a str,
    description: &'a str,
    language: &'a str,
    extra: &'a toml::Table,
}

/// Load the config with command-line overrides applied.
pub fn load_config(opts: &Options) -> Result<Config, Report> {
    let mut config = Config::load(&opts.root).map_err(one)?;
    if let Some(url) = &opts.base_url {
        config.base_url = normalise_base_url(url).map_err(|why| {
            one(Diagnostic::error(
                "usage",
                format!("bad --base-url {url:?}: {why}"),
            ))
        })?;
    }
    config.relative_urls |= opts.relative;
    Ok(config)
}

fn one(d: Diagnostic) -> Report {
    let mut r = Report::default();
    r.push(d);
    r
}

/// Load, verify and render the whole site into `sink`. Errors of every stage
/// that could run are reported together.
pub fn render_site(opts: &Options, sink: &dyn Sink) -> Result<Rendered, Report> {
    let config = load_config(opts)?;
    let (static_files, hashes) = render::scan_static(&opts.root)?;
    let content = content::load(&opts.root, opts.drafts)?;
    let mut report = Report::default();
    let registry = Registry::collect(&content, &mut report);
    let urls = Urls::new(&config.base_url, hashes);
    let view = ViewBuilder {
        content: &content,
        registry: &registry,
        urls: &urls,
    };
    let markdown = render::render_markdown(
        &content,
        &SiteLinks {
            content: &content,
            view: &view,
        },
        &config,
    );
    let (findings, stats) = Verifier {
        content: &content,
        registry: &registry,
        markdown: &markdown,
        static_files: &static_files,
        base_url: &config.base_url,
    }
    .run();
    report.extend(findings.diagnostics);
    let listings = render::listing_values(&content, &markdown, &urls);
    let mut templates =
        Templates::load(&opts.root, render::lookup(&urls, &listings)).map_err(|mut r| {
            r.extend(report.diagnostics.clone());
            r
        })?;
    let prose: Vec<_> = markdown
        .iter()
        .enumerate()
        .map(|(i, m)| (i, m.citations.clone()))
        .collect();
    let explainer = view.explainer(&prose);
    let globals = templates.tera.global_context();
    globals.insert(
        "config",
        &ConfigView {
            title: &config.title,
            base_url: &config.base_url,
            description: &config.description,
            language: &config.language,
            extra: &config.extra,
        },
    );
    globals.insert("explainer", &explainer);
    let job = RenderJob {
        config: &config,
        content: &content,
        registry: &registry,
        view: &view,
        markdown: &markdown,
        listings: &listings,
        templates: &templates,
        static_files: &static_files,
    };
    report.extend(job.run(sink).diagnostics);
    report.sort();
    if report.has_errors() {
        return Err(report);
    }
    Ok(summary(&content, stats, report, &config))
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
}

/// Build the site into `out`: render everything in memory, then sync.
pub fn build(opts: &Options, out: &Path, before_sync: &dyn Fn()) -> Result<Built, Report> {
    let started = Instant::now();
    output::check_output_dir(&opts.root, out).map_err(one)?;
    let sink = MemorySink::default();
    let rendered = render_site(opts, &sink)?;
    let files: Vec<OutputFile> = sink.into_files();
    before_sync();
    let sync = output::sync(out, &files).map_err(one)?;
    Ok(Built {
        rendered,
        sync,
        elapsed: started.elapsed(),
    })
}

/// A sink that drops every file: `check` renders without writing.
pub struct DiscardSink;

impl Sink for DiscardSink {
    fn put(&self, _: OutputFile) {}
}
