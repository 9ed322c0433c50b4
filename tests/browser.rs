//! The real-browser suite (tests/browser): builds the explainer, then drives
//! Debian's Chromium over it with playwright-core and axe-core.
//!
//! On a fresh machine it installs what is missing (`apt-get install chromium`
//! as root, `npm ci`); where it cannot, it fails saying what to install. It is
//! never skipped.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn run(cmd: &mut Command) -> bool {
    cmd.status().map(|s| s.success()).unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

fn ensure_chromium() {
    if Path::new(CHROMIUM).exists() {
        return;
    }
    if is_root() {
        let _ = run(Command::new("apt-get").arg("update").arg("-qq"));
        let installed = run(Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"));
        if installed && Path::new(CHROMIUM).exists() {
            return;
        }
    }
    panic!(
        "the browser tests need Debian's Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` (as root)"
    );
}

fn ensure_node_modules(suite: &Path) {
    if suite.join("node_modules/playwright-core").exists()
        && suite.join("node_modules/@axe-core/playwright").exists()
    {
        return;
    }
    assert!(
        run(Command::new("npm").arg("--version")),
        "the browser tests need Node.js 20+ and npm: install them (e.g. `apt-get install -y nodejs npm`)"
    );
    assert!(
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(suite)),
        "`npm ci` in {} failed",
        suite.display()
    );
}

#[test]
fn explainer_passes_the_browser_suite() {
    ensure_chromium();
    let suite = repo_root().join("tests/browser");
    ensure_node_modules(&suite);
    let (out, _files) = build_repo_site(&["--quiet"]);
    let site_dir = out.path().join("public");
    let status = Command::new("npm")
        .arg("test")
        .current_dir(&suite)
        .env("SITE_DIR", &site_dir)
        .env("EXPLAINER_BIN", env!("CARGO_BIN_EXE_explainer"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the browser suite failed (see its output above)"
    );
}

#[test]
fn large_pictures_pass_the_browser_checks_at_360_px() {
    ensure_chromium();
    let suite = repo_root().join("tests/browser");
    ensure_node_modules(&suite);
    let site = Site::empty();
    site.run(&["new", "site"]).ok();
    site.write(
        "site/content/pictures/index.md",
        "+++\ntitle = \"Pictures\"\n+++\nThe square at dusk, as the council's photographer saw it.\n\n![The town square at dusk, seen from the bridge](square.png)\n\n{{ figure(src=\"/maps/town.png\", alt=\"A map of the town centre\", caption=\"The town centre\") }}\n\n![decorative](rule.png)\n",
    );
    site.write_bytes("site/content/pictures/square.png", &png(1600, 1000));
    site.write_bytes("site/content/pictures/rule.png", &png(1200, 8));
    site.write_bytes("site/static/maps/town.png", &png(2000, 1200));
    site.run(&["build", "--quiet", "--root", "site"]).ok();
    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", "images.browser.mjs"])
        .current_dir(&suite)
        .env("SITE_DIR", site.path("site/public"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the browser checks of pictures failed (see their output above)"
    );
}
