//! Data files for templates: `load_data(path=…)` (Zola's function) reads a
//! JSON, TOML, YAML or CSV file of the site (in `data/`, `content/` or
//! `static/`) and hands templates its value. Paths that leave those folders
//! (absolute, `..`, a symlink pointing out) are refused; a file that does not
//! parse is an error naming its own line and column.
//!
//! Whatever such a file holds can change any page, so when a template calls
//! `load_data` every file it could read is part of the build's fingerprint.

use crate::stamp::{Fingerprint, Hash};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The folder of data files inside a site.
pub const DATA_DIR: &str = "data";

/// The folders `load_data` reads from.
pub const READABLE: [&str; 3] = [
    DATA_DIR,
    crate::content::CONTENT_DIR,
    crate::render::STATIC_DIR,
];

/// The kinds of file `load_data` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
    Yaml,
    Csv,
    /// The text as it is.
    Plain,
}

impl Format {
    /// The format `format=` names, or the one of the file's extension.
    pub fn of(path: &Path, named: Option<&str>) -> Result<Format, String> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let name = named.unwrap_or(ext).to_ascii_lowercase();
        Ok(match name.as_str() {
            "json" => Format::Json,
            "toml" => Format::Toml,
            "yaml" | "yml" => Format::Yaml,
            "csv" => Format::Csv,
            "plain" | "txt" => Format::Plain,
            _ => {
                return Err(format!(
                    "cannot tell the format of {:?}: name it with format=\"json\", \"toml\", \"yaml\", \"csv\" or \"plain\"",
                    path.display()
                ));
            }
        })
    }
}

/// The file `written` names, inside the site at `root`: relative to the
/// site (`data/x.json`) or to `content/` (`@/x.csv`), in a readable folder.
pub fn resolve(root: &Path, written: &str) -> Result<PathBuf, String> {
    let rel = match written.strip_prefix("@/") {
        Some(rest) => Path::new(crate::content::CONTENT_DIR).join(rest),
        None => PathBuf::from(written),
    };
    let refused = |why: &str| format!("{written:?} is refused: {why}");
    if rel.is_absolute() || written.starts_with('/') || written.starts_with('\\') {
        return Err(refused(
            "it is an absolute path; give one relative to the site (data/…)",
        ));
    }
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(refused("it may not hold `..` or `.` segments"));
    }
    let top = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    if !READABLE.contains(&top) || rel.components().count() < 2 {
        return Err(refused(&format!(
            "load_data reads files in {}/ only",
            READABLE.join("/, ")
        )));
    }
    let folder = root.join(top);
    let abs = root.join(&rel);
    let real = abs
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {e}", rel.display()))?;
    let real_folder = folder.canonicalize().unwrap_or(folder);
    if !real.starts_with(&real_folder) {
        return Err(refused(&format!(
            "it leads outside {top}/ (a symlink to {})",
            real.display()
        )));
    }
    Ok(abs)
}

/// Parse `text` (the file `shown` as `format`) into a template value; an
/// error names the file's line and column where the format tells them.
pub fn parse(text: &str, format: Format, shown: &str) -> Result<Json, String> {
    let at = |line: usize, col: usize, message: &str| format!("{shown}:{line}:{col}: {message}");
    let at_offset = |offset: usize, message: &str| {
        let p = crate::diagnostics::Position::of_offset(text, offset);
        at(p.line, p.column, message)
    };
    match format {
        Format::Plain => Ok(Json::from(text)),
        Format::Json => serde_json::from_str(text).map_err(|e| {
            at(e.line(), e.column(), &format!("invalid JSON: {e}"))
                .replace(&format!(" at line {} column {}", e.line(), e.column()), "")
        }),
        Format::Toml => toml::from_str::<toml::Table>(text)
            .map(|t| toml_to_json(toml::Value::Table(t)))
            .map_err(|e| {
                let message = format!("invalid TOML: {}", e.message().trim_end());
                at_offset(e.span().map_or(0, |s| s.start), &message)
            }),
        Format::Yaml => serde_saphyr::from_str::<Json>(text).map_err(|e| {
            let message = format!(
                "invalid YAML: {}",
                e.to_string().lines().next().unwrap_or("")
            );
            match e.location() {
                Some(l) => at(l.line() as usize, l.column() as usize, &message),
                None => format!("{shown}: {message}"),
            }
        }),
        Format::Csv => {
            csv_value(text).map_err(|(line, why)| at(line, 1, &format!("invalid CSV: {why}")))
        }
    }
}

/// A CSV file as Zola gives it: `{ headers: [...], records: [[...], ...] }`.
fn csv_value(text: &str) -> Result<Json, (usize, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let line_of = |e: &csv::Error| e.position().map_or(1, |p| p.line() as usize);
    let headers: Vec<Json> = reader
        .headers()
        .map_err(|e| (line_of(&e), e.to_string()))?
        .iter()
        .map(Json::from)
        .collect();
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| (line_of(&e), e.to_string()))?;
        records.push(Json::Array(record.iter().map(Json::from).collect()));
    }
    Ok(serde_json::json!({ "headers": headers, "records": records }))
}

/// TOML values as template values; dates become their text.
fn toml_to_json(v: toml::Value) -> Json {
    match v {
        toml::Value::String(s) => Json::from(s),
        toml::Value::Integer(i) => Json::from(i),
        toml::Value::Float(f) => Json::from(f),
        toml::Value::Boolean(b) => Json::from(b),
        toml::Value::Datetime(d) => Json::from(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Json::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Read and parse one file for `load_data`.
fn load(root: &Path, written: &str, format: Option<&str>) -> Result<Json, String> {
    let abs = resolve(root, written)?;
    let format = Format::of(&abs, format)?;
    let text = crate::content::read_input_text(&abs)
        .map_err(|e| format!("cannot read {written:?}: {e}"))?;
    let shown = abs.strip_prefix(root).unwrap_or(&abs).display().to_string();
    parse(&text, format, &shown)
}

/// Values already read this build, by path and format as called.
type Parsed = HashMap<(String, Option<String>), tera::Value>;

/// Register `load_data(path=…, format=…, required=true)`; each file is
/// parsed once per build.
pub fn register(tera: &mut tera::Tera, root: &Path) {
    let root = root.to_path_buf();
    let parsed: Arc<Mutex<Parsed>> = Arc::default();
    tera.register_function(
        "load_data",
        move |kwargs: tera::Kwargs, _: &tera::State| -> tera::TeraResult<tera::Value> {
            if kwargs.get::<String>("url")?.is_some() {
                return Err(tera::Error::message(
                    "load_data: url= is not supported: the build reads nothing from the network; archive the file in data/",
                ));
            }
            let path: String = kwargs.must_get("path")?;
            let format: Option<String> = kwargs.get("format")?;
            let required = kwargs.get::<bool>("required")?.unwrap_or(true);
            let key = (path.clone(), format.clone());
            if let Some(v) = parsed.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
                return Ok(v.clone());
            }
            let value = match load(&root, &path, format.as_deref()) {
                Ok(json) => tera::Value::from_serializable(&json),
                Err(why) if !required && why.starts_with("cannot read") => tera::Value::none(),
                Err(why) => return Err(tera::Error::message(format!("load_data: {why}"))),
            };
            parsed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, value.clone());
            Ok(value)
        },
    );
}

/// A fingerprint of every file `load_data` could read that the rest of the
/// fingerprint does not cover: all of `data/`, and the files in `content/`
/// that are not Markdown (static files are covered by their hashes).
pub fn fingerprint(root: &Path) -> Hash {
    let mut f = Fingerprint::new("data");
    for dir in [DATA_DIR, crate::content::CONTENT_DIR] {
        let walker = walkdir::WalkDir::new(root.join(dir))
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker.into_iter().filter_map(Result::ok) {
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let bytes = crate::content::read_input(path).unwrap_or_default();
            f = f
                .str(&path.display().to_string())
                .bytes(&crate::stamp::hash(&bytes));
        }
    }
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses_and_errors_name_the_line() {
        assert_eq!(
            parse("{\"a\": [1, 2]}", Format::Json, "d.json").unwrap(),
            serde_json::json!({"a": [1, 2]})
        );
        assert_eq!(
            parse("a = 1\nwhen = 2023-05-03\n", Format::Toml, "d.toml").unwrap(),
            serde_json::json!({"a": 1, "when": "2023-05-03"})
        );
        assert_eq!(
            parse("a:\n  - x\n", Format::Yaml, "d.yaml").unwrap(),
            serde_json::json!({"a": ["x"]})
        );
        assert_eq!(
            parse("name,n\nkyiv,1\n", Format::Csv, "d.csv").unwrap(),
            serde_json::json!({"headers": ["name", "n"], "records": [["kyiv", "1"]]})
        );
        let bad = parse("{\n  \"a\": ,\n}", Format::Json, "d.json").unwrap_err();
        assert!(bad.starts_with("d.json:2:8: invalid JSON"), "{bad}");
        let bad = parse("a = 1\nb = \n", Format::Toml, "d.toml").unwrap_err();
        assert!(bad.starts_with("d.toml:2:"), "{bad}");
        let bad = parse("a,b\n1,2\n3\n", Format::Csv, "d.csv").unwrap_err();
        assert!(bad.starts_with("d.csv:3:1: invalid CSV"), "{bad}");
    }

    #[test]
    fn paths_outside_the_readable_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(root.join("data/a.json"), "{}").unwrap();
        std::fs::write(root.join("secret.json"), "{}").unwrap();
        assert!(resolve(root, "data/a.json").is_ok());
        for bad in [
            "/etc/passwd",
            "data/../secret.json",
            "./data/a.json",
            "secret.json",
            "config.toml",
            "data",
        ] {
            assert!(resolve(root, bad).is_err(), "{bad} accepted");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("secret.json"), root.join("data/link.json"))
                .unwrap();
            let e = resolve(root, "data/link.json").unwrap_err();
            assert!(e.contains("leads outside data/"), "{e}");
        }
    }
}
