//! `explainer new DIR`: writes a small, working explainer to start from.
//!
//! The starter is a fictional, clearly labelled sample (a footbridge closed in
//! an invented town) with every part of the site model: parties, questions,
//! facts, a quotation and a paraphrase checked against an archived text, a
//! sources page, templates and a stylesheet. It builds, and passes
//! `explainer check` with no errors and no warnings, as written.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The starter's files: path inside the new site, contents.
pub const FILES: &[(&str, &str)] = &[
    ("config.toml", include_str!("starter/config.toml")),
    (
        "content/_index.md",
        include_str!("starter/content/_index.md"),
    ),
    ("content/about.md", include_str!("starter/content/about.md")),
    (
        "content/parties/_index.md",
        include_str!("starter/content/parties/_index.md"),
    ),
    (
        "content/parties/council.md",
        include_str!("starter/content/parties/council.md"),
    ),
    (
        "content/sources/_index.md",
        include_str!("starter/content/sources/_index.md"),
    ),
    (
        "content/sources/example-gazette.txt",
        include_str!("starter/content/sources/example-gazette.txt"),
    ),
    (
        "templates/404.html",
        include_str!("starter/templates/404.html"),
    ),
    (
        "templates/base.html",
        include_str!("starter/templates/base.html"),
    ),
    (
        "templates/components.html",
        include_str!("starter/templates/components.html"),
    ),
    (
        "templates/index.html",
        include_str!("starter/templates/index.html"),
    ),
    (
        "templates/page.html",
        include_str!("starter/templates/page.html"),
    ),
    (
        "templates/party.html",
        include_str!("starter/templates/party.html"),
    ),
    (
        "templates/section.html",
        include_str!("starter/templates/section.html"),
    ),
    (
        "templates/sources.html",
        include_str!("starter/templates/sources.html"),
    ),
    ("static/style.css", include_str!("starter/static/style.css")),
    (".gitignore", "/public/\n/.explainer-cache/\n"),
];

/// Write a starter site into `dir`; returns the exit code (0, or 1 on failure).
pub fn run(dir: &Path) -> i32 {
    match write(dir) {
        Ok(()) => {
            let shown = dir.display();
            let cd = if shown.to_string().contains(char::is_whitespace) {
                format!("cd \"{shown}\"")
            } else {
                format!("cd {shown}")
            };
            println!(
                "Created a new explainer in {shown} ({} files).",
                FILES.len()
            );
            println!("Everything in it is sample content: a fictional incident, party and source.");
            println!();
            println!("Next steps:");
            println!("  {cd} && explainer serve");
            println!();
            println!("Then replace the sample with your own; in that folder:");
            println!("  explainer check    verify quotations, citations and links");
            println!("  explainer build    write the site into public/");
            println!(
                "Set base_url in config.toml before you publish: docs/hosting.md in the explainer"
            );
            println!("repository has recipes for GitHub Pages, Netlify, S3, nginx and file://.");
            0
        }
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

/// Write the starter into `dir`, which must be missing or empty. On failure,
/// whatever this call created is removed again.
pub fn write(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let mut entries = fs::read_dir(dir).map_err(|e| format!("cannot read {shown}: {e}"))?;
            if entries.next().is_some() {
                return Err(format!(
                    "{shown} is not empty; nothing was written. Choose a new folder, or an empty one."
                ));
            }
        }
        Ok(_) => {
            return Err(format!(
                "{shown} exists and is not a folder; nothing was written"
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot use {shown}: {e}")),
    }
    let mut created = Created::default();
    let result = write_files(dir, &mut created);
    if let Err(e) = result {
        created.undo();
        return Err(format!(
            "cannot write the starter into {shown}: {e}; nothing was left behind"
        ));
    }
    Ok(())
}

/// Files and folders written so far, to undo a partial write.
#[derive(Default)]
struct Created {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Created {
    fn undo(&self) {
        for f in self.files.iter().rev() {
            let _ = fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }

    /// Create `dir` and its missing ancestors, remembering the ones created.
    fn create_dir_all(&mut self, dir: &Path) -> io::Result<()> {
        if dir.as_os_str().is_empty() || dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.create_dir_all(parent)?;
        }
        match fs::create_dir(dir) {
            Ok(()) => {
                self.dirs.push(dir.to_path_buf());
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn write_files(dir: &Path, created: &mut Created) -> io::Result<()> {
    created.create_dir_all(dir)?;
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            created.create_dir_all(parent)?;
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        created.files.push(path);
        io::Write::write_all(&mut file, text.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_is_sample_content() {
        let (_, home) = FILES
            .iter()
            .find(|(p, _)| *p == "content/_index.md")
            .unwrap();
        assert!(home.contains("sample content"));
        let (_, archive) = FILES.iter().find(|(p, _)| p.ends_with(".txt")).unwrap();
        assert!(archive.starts_with("SAMPLE ARCHIVED TEXT"));
    }

    #[test]
    fn refuses_a_non_empty_folder() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("keep.txt"), "x").unwrap();
        assert!(write(tmp.path()).unwrap_err().contains("not empty"));
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
