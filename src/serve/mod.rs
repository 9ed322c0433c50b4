//! `explainer serve`: builds the site into memory, serves it on a local port,
//! and rebuilds and reloads open tabs on every edit.
//!
//! * [`site`]: the in-memory site and the one function that (re)builds it.
//! * [`watch`]: watches the site's sources and drives rebuilds.
//! * [`http`]: answers requests from the current site; event stream and status.
//! * [`live`]: the live-reload messages and the script injected into HTML.
//! * [`paths`]: strict request-path decoding and content types.
//!
//! Nothing is written to disk: `public/` is never touched.

pub mod http;
pub mod live;
pub mod paths;
pub mod site;
pub mod watch;

use crate::diagnostics::Diagnostic;
use http::{Shared, Snapshot};
use site::{Builder, Site};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// How many ports after `--port` are tried when it is taken.
const PORT_ATTEMPTS: u16 = 20;

/// What `explainer serve` was asked for (the command line, parsed).
#[derive(Debug, Clone)]
pub struct Options {
    /// The site folder.
    pub root: std::path::PathBuf,
    /// Include draft pages.
    pub drafts: bool,
    /// Port to listen on; the next free one is used if it is taken.
    pub port: u16,
    /// Address to bind.
    pub bind: String,
    /// Open the site in the default browser.
    pub open: bool,
}

/// Run the preview server; returns the exit code.
pub fn run(args: Options) -> i32 {
    // Stage timings and other debug output with RUST_LOG=explainer=debug.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(crate::diagnostics::interactive())
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the server: {e}");
            return 1;
        }
    };
    let code = runtime.block_on(serve(args));
    runtime.shutdown_timeout(Duration::from_millis(500));
    code
}

async fn serve(args: Options) -> i32 {
    let Some(ip) = parse_bind(&args.bind) else {
        eprintln!(
            "error: --bind {:?} is not an IP address (try 127.0.0.1 or 0.0.0.0)",
            args.bind
        );
        return 2;
    };
    let root = match args.root.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: cannot open the site folder {}: {e}",
                args.root.display()
            );
            return 1;
        }
    };
    if !root.join(crate::config::CONFIG_FILE).is_file() {
        let d = Diagnostic::error(
            "config",
            format!("no {} in {}", crate::config::CONFIG_FILE, root.display()),
        )
        .note(
            "run `explainer serve` in a site folder, or pass --root DIR (try `explainer new DIR`)",
        );
        eprint!("{d}");
        return 1;
    }
    if !ip.is_loopback() {
        eprintln!(
            "warning: binding {ip}: anyone who can reach this machine can see the preview; use --bind 127.0.0.1 to keep it local"
        );
    }
    let listener = match bind(ip, args.port) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {ip}:{}: {e}", args.port);
            return 1;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    let origin = format!("http://{}", host_port(link_host(ip), port));
    let builder = Builder {
        root: root.clone(),
        drafts: args.drafts,
        origin: origin.clone(),
        warm: Default::default(),
        pool: None,
    };

    let mut builder = builder;
    let first = first_build(&mut builder);
    let url = format!("{origin}{}", first.site.base_path);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let shared = Arc::new(Shared::new(first, stopped.clone()));
    if let Err(e) = watch::spawn(builder, shared.clone()) {
        eprintln!("warning: cannot watch the site for changes ({e}); edits will not be picked up");
    }

    let listener = match listener
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(listener))
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {ip}:{port}: {e}");
            return 1;
        }
    };
    println!("Serving {} at {url} (Ctrl-C to stop)", root.display());
    if args.open {
        open_browser(&url);
    }
    let mut stopped_for_server = stopped.clone();
    let server = axum::serve(listener, http::router(shared))
        .with_graceful_shutdown(async move {
            let _ = stopped_for_server.wait_for(|s| *s).await;
        })
        .into_future();
    let server = tokio::spawn(server);
    wait_for_signal().await;
    eprintln!("stopping: nothing was written or deleted");
    let _ = stop.send(true);
    // Open connections get a moment to finish; then the process exits regardless.
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    0
}

/// The first build: on failure, serve an empty site that shows the errors.
fn first_build(builder: &mut Builder) -> Snapshot {
    let empty = Arc::new(Site {
        base_path: builder.base_path().unwrap_or_else(|| "/".to_string()),
        ..Site::default()
    });
    match builder.rebuild_watched(empty.clone(), None) {
        Ok(built) => {
            built.report.print();
            eprintln!(
                "Built {} pages and {} sections in {} ms ({} files)",
                built.pages,
                built.sections,
                built.elapsed.as_millis(),
                built.site.files.len()
            );
            Snapshot {
                elapsed_ms: built.elapsed.as_millis(),
                site: Arc::new(built.site),
                warnings: built.report.diagnostics,
                attempts: 1,
                changed: Vec::new(),
                errors: Vec::new(),
            }
        }
        Err(report) => {
            report.print();
            eprintln!(
                "Build failed: {}; serving the errors until they are fixed",
                report.counts()
            );
            Snapshot {
                site: empty,
                errors: report.diagnostics,
                attempts: 1,
                ..Snapshot::default()
            }
        }
    }
}

/// `127.0.0.1`, `::1`, `0.0.0.0`, or `localhost`.
fn parse_bind(bind: &str) -> Option<IpAddr> {
    if bind.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    bind.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Bind `port`, or the next free one after it, saying so.
fn bind(ip: IpAddr, port: u16) -> std::io::Result<TcpListener> {
    let mut last_error = None;
    for p in (0..PORT_ATTEMPTS).map_while(|i| port.checked_add(i)) {
        match TcpListener::bind(SocketAddr::new(ip, p)) {
            Ok(l) => {
                if p != port {
                    eprintln!("port {port} is in use; using {p} instead");
                }
                return Ok(l);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && port != 0 => {
                last_error = Some(e)
            }
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free port")))
}

/// The host that links point at: the bound address, or loopback when bound to all interfaces.
fn link_host(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

fn host_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// Ctrl-C or SIGTERM, heard through the same handler `build` uses.
async fn wait_for_signal() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    if ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .is_err()
    {
        eprintln!("warning: cannot catch Ctrl-C; stopping will not say goodbye");
        std::future::pending::<()>().await;
    }
    rx.recv().await;
}

/// Open `url` in the default browser (`$BROWSER`, or the system's opener);
/// failing is only a warning. On its own thread: the opener may wait for the
/// browser to start.
fn open_browser(url: &str) {
    let url = url.to_string();
    std::thread::spawn(move || {
        if let Err(e) = opener::open_browser(&url) {
            eprintln!("warning: could not open a browser ({e}); open the URL above yourself");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addresses() {
        assert_eq!(
            parse_bind("127.0.0.1"),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(
            parse_bind("localhost"),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(parse_bind("[::1]"), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_bind("example.org"), None);
        assert_eq!(
            link_host("0.0.0.0".parse().unwrap()),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(host_port("::1".parse().unwrap(), 80), "[::1]:80");
    }

    #[test]
    fn a_taken_port_moves_to_the_next() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        if let Ok(next) = bind(IpAddr::V4(Ipv4Addr::LOCALHOST), port) {
            assert_ne!(next.local_addr().unwrap().port(), port);
        }
    }
}
