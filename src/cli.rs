//! Command-line interface: parses arguments with clap and runs the pipeline,
//! printing diagnostics and a one-line summary.
//!
//! Exit codes: 0 success, 1 build or check errors, 2 bad usage, 130 interrupted.

use crate::diagnostics::{self, Report};
use crate::limits::Watch;
use crate::output::{self, Gate};
use crate::pipeline::{self, Hooks, Options};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

const EXAMPLES: &str = "\
Examples:
  explainer build                         build ./ into ./public
  explainer build --root site -o /tmp/out build another site elsewhere
  explainer build --relative              links that work from file://
  explainer check                         verify citations, quotations and links
  explainer check --format json           the same findings as JSON
  explainer serve --open                  preview with live reload
  explainer new my-explainer              start a new explainer";

#[derive(Parser, Debug)]
#[command(name = "explainer", version, about = "Static sites for explainers: every claim attributed, every quotation checked.", after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build the site into the output folder.
    #[command(
        after_help = "Examples:\n  explainer build\n  explainer build --root site -o /srv/www --base-url https://example.org/explainer/"
    )]
    Build(BuildArgs),
    /// Run every check (citations, quotations, links, templates) without writing anything.
    #[command(
        after_help = "Examples:\n  explainer check\n  explainer check --format json | jq .diagnostics"
    )]
    Check(CheckArgs),
    /// Build and serve the site locally, rebuilding and reloading on every edit.
    #[command(after_help = "Examples:\n  explainer serve\n  explainer serve --port 8080 --open")]
    Serve(ServeArgs),
    /// Write a new, working explainer into DIR.
    #[command(
        after_help = "Examples:\n  explainer new my-explainer && cd my-explainer && explainer build"
    )]
    New(NewArgs),
}

#[derive(Args, Debug, Clone)]
pub struct SiteArgs {
    /// The site folder (holding config.toml).
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    pub drafts: bool,
}

/// `--base-url`, checked while parsing the command line: a bad one is a usage
/// error (exit 2), like any other bad flag.
fn parse_base_url(url: &str) -> Result<String, String> {
    crate::config::normalise_base_url(url).map_err(|why| why.to_string())
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Output folder [default: ROOT/public].
    #[arg(short = 'o', long)]
    pub output_dir: Option<PathBuf>,
    /// Use this base URL instead of config.toml's.
    #[arg(long, value_parser = parse_base_url)]
    pub base_url: Option<String>,
    /// Write relative links, so the output works from file:// and any folder.
    #[arg(long)]
    pub relative: bool,
    /// Print only errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print each stage's timing and every file written or removed.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Port to listen on; the next free one is used if it is taken.
    #[arg(long, default_value_t = 1111)]
    pub port: u16,
    /// Address to bind; anything but loopback exposes the preview to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Open the site in the default browser.
    #[arg(long)]
    pub open: bool,
}

#[derive(Args, Debug)]
pub struct NewArgs {
    /// The folder to create (must not exist or be empty).
    pub dir: PathBuf,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Run the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Build(args) => build(args),
        Command::Check(args) => check(args),
        Command::Serve(args) => crate::serve::run(crate::serve::Options {
            root: args.site.root,
            drafts: args.site.drafts,
            port: args.port,
            bind: args.bind,
            open: args.open,
        }),
        Command::New(args) => crate::starter::run(&args.dir),
    }
}

/// What the main thread hears while a build runs on another thread.
enum Event {
    /// Ctrl-C or SIGTERM.
    Interrupt,
    /// The build returned.
    Done,
}

/// How often the main thread looks for a render over its limits.
const WATCH_EVERY: Duration = Duration::from_millis(50);

const UNTOUCHED: &str = "interrupted: the output folder was not touched";

/// Builds shorter than this show no progress bar.
const PROGRESS_AFTER: Duration = Duration::from_millis(500);

/// The CLI's side of a build: the progress bar, and what the main thread
/// needs to end the process early (the gate over the output folder and the
/// watch over renders).
struct BuildHooks {
    bar: ProgressBar,
    started: Instant,
    /// The bar may be drawn (stderr is a terminal and output is not quiet).
    may_show: bool,
    shown: AtomicBool,
    gate: Arc<Gate>,
    watch: Arc<Watch>,
    interrupted: AtomicBool,
}

impl BuildHooks {
    fn new(may_show: bool) -> BuildHooks {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} rendering {pos}/{len} documents {wide_bar} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        BuildHooks {
            bar,
            started: Instant::now(),
            may_show,
            shown: AtomicBool::new(false),
            gate: Arc::default(),
            watch: Arc::default(),
            interrupted: AtomicBool::new(false),
        }
    }

    /// Draw the bar once the build has run long enough to deserve one.
    fn reveal(&self) {
        if self.may_show
            && self.started.elapsed() >= PROGRESS_AFTER
            && !self.shown.swap(true, Ordering::SeqCst)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

impl Hooks for BuildHooks {
    fn gate(&self) -> Arc<Gate> {
        self.gate.clone()
    }

    fn watch(&self) -> Option<Arc<Watch>> {
        Some(self.watch.clone())
    }

    fn waiting(&self, out: &std::path::Path) {
        eprintln!(
            "waiting: another build is writing to {}; this one starts when it is done",
            out.display()
        );
    }

    fn rendering(&self, docs: usize) {
        self.bar.set_length(docs as u64);
        self.reveal();
    }

    fn tick(&self) {
        self.bar.inc(1);
        self.reveal();
    }

    fn before_commit(&self) {
        self.bar.finish_and_clear();
    }

    fn cancelled(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }
}

/// Run `work` on a thread of its own while this thread waits for it,
/// ending the process at once on an interrupt before the commit (exit 130,
/// after removing what the build staged) or when a render runs over its
/// limits (exit 1, naming the template and page). Tera renders cannot be
/// stopped from outside, so the process ends around them. Returns what
/// `work` returned, and whether an interrupt came while the commit ran.
fn run_watched<T: Send + 'static>(
    hooks: Arc<BuildHooks>,
    work: impl FnOnce(&BuildHooks) -> T + Send + 'static,
) -> (T, bool) {
    let (tx, rx) = mpsc::channel();
    let interrupts = tx.clone();
    let _ = ctrlc::set_handler(move || {
        let _ = interrupts.send(Event::Interrupt);
    });
    let worker = {
        let hooks = hooks.clone();
        std::thread::Builder::new()
            .name("explainer-build".into())
            .spawn(move || {
                // On a worker of the thread pool, so the serial steps and the parallel
                // ones share a thread (and its allocator heap) instead of handing off.
                let result = rayon::scope(|_| work(&hooks));
                let _ = tx.send(Event::Done);
                result
            })
    };
    let worker = match worker {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot start the build: {e}");
            std::process::exit(1);
        }
    };
    let interrupted = wait_for(&rx, &hooks);
    match worker.join() {
        Ok(result) => (result, interrupted),
        Err(_) => {
            hooks.gate.abandon();
            eprintln!("internal error: the build panicked; the output folder was not changed");
            std::process::exit(1);
        }
    }
}

/// Wait for the build's end; whether an interrupt came while it committed.
fn wait_for(rx: &mpsc::Receiver<Event>, hooks: &BuildHooks) -> bool {
    let mut interrupted = false;
    loop {
        match rx.recv_timeout(WATCH_EVERY) {
            Ok(Event::Done) | Err(mpsc::RecvTimeoutError::Disconnected) => return interrupted,
            Ok(Event::Interrupt) => {
                interrupted = true;
                hooks.interrupted.store(true, Ordering::SeqCst);
                if hooks.gate.abandon() {
                    hooks.bar.finish_and_clear();
                    eprintln!("{UNTOUCHED}");
                    std::process::exit(130);
                }
                // The commit has begun: it finishes first.
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let Some(overrun) = hooks.watch.overrun() else {
                    continue;
                };
                if hooks.gate.abandon() {
                    hooks.bar.finish_and_clear();
                    let d = overrun.diagnostic();
                    eprintln!("{d}");
                    eprintln!("Build failed: 1 error; the output folder was not changed");
                    std::process::exit(1);
                }
            }
        }
    }
}

fn build(args: BuildArgs) -> i32 {
    let level = if args.verbose { "debug" } else { "warn" };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(diagnostics::interactive())
        .with_env_filter(level)
        .try_init();
    let opts = Options {
        root: args.site.root.clone(),
        drafts: args.site.drafts,
        base_url: args.base_url.clone(),
        relative: args.relative,
    };
    let out = args
        .output_dir
        .clone()
        .unwrap_or_else(|| args.site.root.join("public"));
    let hooks = Arc::new(BuildHooks::new(!args.quiet && diagnostics::interactive()));
    let (result, interrupted) = run_watched(hooks.clone(), move |hooks| {
        pipeline::build(&opts, &out, hooks)
    });
    hooks.bar.finish_and_clear();
    let code = match result {
        Ok(built) => {
            if args.verbose {
                for p in &built.sync.written_paths {
                    eprintln!("wrote {p}");
                }
                for p in &built.sync.removed_paths {
                    eprintln!("removed {p}");
                }
            }
            if !args.quiet {
                let mut report = built.rendered.report.clone();
                if built.rendered.base_url.is_none() {
                    report.push(no_base_url_warning());
                }
                report.print();
                eprintln!(
                    "Built {} pages and {} sections in {} ms: {} files written, {} unchanged, {} removed{}",
                    built.rendered.pages,
                    built.rendered.sections,
                    built.elapsed.as_millis(),
                    built.sync.written,
                    built.sync.unchanged,
                    built.sync.removed,
                    warnings_suffix(&report),
                );
            }
            // The process is about to exit: freeing the parsed site would only delay it.
            std::mem::forget(built.leftovers);
            0
        }
        Err(report) => {
            report.print();
            let mixed = report.diagnostics.iter().any(|d| d.code == output::MIXED);
            eprintln!(
                "Build failed: {}; {}",
                report.counts(),
                if mixed {
                    "the output folder mixes the two builds where the error says"
                } else {
                    "the output folder was not changed"
                }
            );
            1
        }
    };
    if interrupted {
        if code == 0 {
            eprintln!("interrupted after the output folder was synced: it is complete");
        }
        return 130;
    }
    code
}

fn check(args: CheckArgs) -> i32 {
    let opts = Options {
        root: args.site.root.clone(),
        drafts: args.site.drafts,
        ..Options::default()
    };
    let hooks = Arc::new(BuildHooks::new(false));
    let (result, _) = run_watched(hooks, move |hooks| {
        let job = pipeline::Job::new(&opts);
        pipeline::run(
            job,
            pipeline::State::default(),
            &pipeline::DiscardSink,
            hooks,
        )
        .0
    });
    let (report, stats) = match &result {
        Ok(r) => (r.report.clone(), Some(r.stats.clone())),
        Err(report) => (report.clone(), None),
    };
    if args.format == Format::Json {
        let json = serde_json::json!({
            "ok": result.is_ok(),
            "errors": report.error_count(),
            "warnings": report.warning_count(),
            "stats": stats,
            "diagnostics": report.diagnostics,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        report.print();
        match stats {
            Some(stats) => println!(
                "{} statements, {} quotations verified, {} of {} basis passages verified, {} assessments, {} citations, {} internal links, {}",
                stats.statements,
                stats.quotations_verified,
                stats.basis_verified,
                stats.items_with_basis,
                stats.assessments,
                stats.citations,
                stats.internal_links,
                report.counts(),
            ),
            None => println!(
                "Check failed: {}. The site is not proven: statements, quotations, basis passages, citations and links are counted only on a site with no errors; fix the errors above and run check again",
                report.counts(),
            ),
        }
    }
    i32::from(result.is_err())
}

/// What a build without a `base_url` leaves out, and how to put it back.
fn no_base_url_warning() -> crate::diagnostics::Diagnostic {
    crate::diagnostics::Diagnostic::warning(
        "config",
        "no base_url is set: links are written relative, so the output works wherever it is opened; sitemap.xml, atom.xml and robots.txt's Sitemap line need absolute URLs and were left out",
    )
    .in_file(crate::config::CONFIG_FILE)
    .note("templates see config.base_url as empty (leave canonical and share links out then)")
    .note("set base_url in config.toml, or pass --base-url URL, for the build you publish")
}

fn warnings_suffix(report: &Report) -> String {
    match report.warning_count() {
        0 => String::new(),
        n => format!(" ({n} warning{})", if n == 1 { "" } else { "s" }),
    }
}
