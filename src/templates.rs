//! Tera templates: loads `templates/`, adds the built-in fallbacks, and registers
//! the functions and filters of the public template contract.
//!
//! Template errors become diagnostics naming the template file, line and column.

use crate::diagnostics::{Diagnostic, Report};
use crate::listing::Fields;
use crate::stamp::{Fingerprint, Hash};
use crate::urls::Urls;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tera::{Kwargs, State, Tera, TeraResult, Value};

/// The folder of templates inside a site.
pub const TEMPLATES_DIR: &str = "templates";

/// Templates used when a site does not provide its own.
const BUILTIN: &[(&str, &str)] = &[
    ("404.html", include_str!("builtin/404.html")),
    ("page.html", include_str!("builtin/page.html")),
    ("section.html", include_str!("builtin/section.html")),
    ("index.html", include_str!("builtin/section.html")),
];

/// What the template functions look things up in.
pub struct Lookup {
    pub urls: Urls,
    /// Permalinks by content path, for `get_url(path="@/…")`: filled only
    /// when a template calls it.
    pub permalinks: OnceLock<HashMap<String, String>>,
    /// Page and section objects (without `content`) by content path, for
    /// `get_page` and `get_section`: filled only when a template calls them.
    pub docs: OnceLock<HashMap<String, Value>>,
}

impl Lookup {
    fn doc(&self, content_path: &str) -> Option<&Value> {
        self.docs.get()?.get(content_path)
    }
}

/// The loaded templates, with their sources kept for error messages.
pub struct Templates {
    pub tera: Tera,
    sources: HashMap<String, String>,
    /// Every template's name and text, built-in fallbacks included, sorted.
    all: Vec<(String, String)>,
    /// The fields page and section objects carry: those the templates name.
    pub fields: Fields,
}

impl Templates {
    /// Load every template under `ROOT/templates` and register functions and filters.
    pub fn load(root: &Path, lookup: Arc<Lookup>) -> Result<Templates, Report> {
        let mut report = Report::default();
        let sources = read_templates(&root.join(TEMPLATES_DIR), &mut report);
        if report.has_errors() {
            return Err(report);
        }
        let mut all: Vec<(String, String)> = sources
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (name, text) in BUILTIN {
            if !sources.contains_key(*name) {
                all.push((name.to_string(), text.to_string()));
            }
        }
        all.sort();
        let mut tera = Tera::new();
        register(&mut tera, lookup);
        let mut templates = Templates {
            tera,
            sources,
            all: Vec::new(),
            fields: named_fields(&all),
        };
        if let Err(e) = templates
            .tera
            .add_raw_templates(all.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        {
            report.push(templates.diagnostic(&e, None));
            return Err(report);
        }
        templates.all = all;
        Ok(templates)
    }

    /// Whether any template's text mentions `name` (a function, say).
    pub fn mention(&self, name: &str) -> bool {
        self.all.iter().any(|(_, text)| text.contains(name))
    }

    /// A fingerprint of every template's name and text.
    pub fn fingerprint(&self) -> Hash {
        self.all
            .iter()
            .fold(Fingerprint::new("templates"), |f, (n, t)| f.str(n).str(t))
            .finish()
    }

    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    /// Render `name`, turning Tera's error into a located diagnostic.
    pub fn render(
        &self,
        name: &str,
        context: &tera::Context,
        rendering: &Path,
    ) -> Result<String, Diagnostic> {
        self.tera
            .render(name, context)
            .map_err(|e| self.diagnostic(&e, Some(rendering)))
    }

    /// A diagnostic for a Tera error, located in the template when Tera knows where.
    fn diagnostic(&self, e: &tera::Error, rendering: Option<&Path>) -> Diagnostic {
        use tera::ErrorKind;
        let mut d = match e.kind() {
            ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
                let file = Path::new(TEMPLATES_DIR).join(r.filename());
                let d = Diagnostic::error("template", r.message().to_string()).in_file(&file);
                match self.sources.get(r.filename()) {
                    Some(text) => d.at_line_col(text, r.span().start_line, r.span().start_col + 1),
                    None => {
                        let mut d = d;
                        d.line = Some(r.span().start_line);
                        d.column = Some(r.span().start_col + 1);
                        d
                    }
                }
            }
            _ => Diagnostic::error("template", e.to_string()),
        };
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            d = d.note(format!("caused by: {c}"));
            cause = c.source();
        }
        if let Some(path) = rendering {
            d = d.note(format!("while rendering {}", path.display()));
        }
        d
    }
}

/// The fields of page objects the templates may read: every identifier and
/// string inside their tags, or all fields when a tag reads fields by a
/// computed name (`p[key]`, `for k, v in p`, `| values`…).
fn named_fields(all: &[(String, String)]) -> Fields {
    let mut words = HashSet::new();
    for (_, text) in all {
        for tag in tags(text) {
            if reads_by_computed_name(tag) {
                return Fields::ALL;
            }
            words.extend(
                tag.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty()),
            );
        }
    }
    Fields::named(|name| words.contains(name))
}

/// The `{{ … }}` and `{% … %}` tags of a template, delimiters included.
fn tags(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = [rest.find("{{"), rest.find("{%")]
            .into_iter()
            .flatten()
            .min()?;
        let close = if rest[start..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let end = rest[start + 2..]
            .find(close)
            .map_or(rest.len(), |e| start + 2 + e + 2);
        let tag = &rest[start..end];
        rest = &rest[end..];
        Some(tag)
    })
}

/// Whether a tag reads a field whose name is not written in it.
fn reads_by_computed_name(tag: &str) -> bool {
    let inner = tag
        .trim_start_matches(['{', '%', '-'])
        .trim_end_matches(['}', '%', '-'])
        .trim();
    let two_loop_variables = inner
        .strip_prefix("for ")
        .and_then(|r| r.split_once(" in "))
        .is_some_and(|(vars, _)| vars.contains(','));
    let chars: Vec<char> = tag.chars().collect();
    let computed_subscript = chars.iter().enumerate().any(|(i, &c)| {
        let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
        let after = chars[i + 1..].iter().find(|c| !c.is_whitespace());
        c == '['
            && before.is_some_and(|b| b.is_alphanumeric() || matches!(b, '_' | ']' | ')'))
            && !after.is_some_and(|a| a.is_ascii_digit() || matches!(a, '"' | '\'' | '`'))
    });
    let map_filter = tag.split('|').skip(1).any(|f| {
        let name: String = f
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        matches!(name.as_str(), "values" | "keys" | "pairs" | "get")
    });
    two_loop_variables || computed_subscript || map_filter
}

fn read_templates(dir: &Path, report: &mut Report) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if !dir.is_dir() {
        return out;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                report.push(Diagnostic::error(
                    "template",
                    format!("cannot read templates: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if name.split('/').any(|p| p.starts_with('.')) {
            continue;
        }
        match std::fs::read_to_string(entry.path()) {
            Ok(text) => {
                out.insert(name, text);
            }
            Err(e) => report.push(
                Diagnostic::error("template", format!("cannot read template: {e}"))
                    .in_file(Path::new(TEMPLATES_DIR).join(rel)),
            ),
        }
    }
    out
}

fn register(tera: &mut Tera, lookup: Arc<Lookup>) {
    let l = lookup.clone();
    tera.register_function(
        "get_url",
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            let path: String = kwargs.must_get("path")?;
            let cachebust = kwargs.get::<bool>("cachebust")?.unwrap_or(false);
            if let Some(content_path) = path.strip_prefix("@/") {
                let (p, frag) = content_path
                    .split_once('#')
                    .map_or((content_path, None), |(p, f)| (p, Some(f)));
                let permalink = l
                    .permalinks
                    .get()
                    .and_then(|m| m.get(p))
                    .cloned()
                    .ok_or_else(|| {
                        tera::Error::message(format!("get_url: no content file {p:?}"))
                    })?;
                return Ok(match frag {
                    Some(f) => format!("{permalink}#{f}"),
                    None => permalink,
                });
            }
            l.urls.asset(&path, cachebust).map_err(tera::Error::message)
        },
    );
    let l = lookup.clone();
    tera.register_function(
        "get_page",
        move |kwargs: Kwargs, _: &State| -> TeraResult<Value> {
            let path: String = kwargs.must_get("path")?;
            let key = path.trim_start_matches("@/");
            l.doc(key)
                .filter(|v| v.get_from_path("kind").and_then(|k| k.as_str()) == Some("page"))
                .cloned()
                .ok_or_else(|| tera::Error::message(format!("get_page: no page at {path:?}")))
        },
    );
    let l = lookup;
    tera.register_function(
        "get_section",
        move |kwargs: Kwargs, _: &State| -> TeraResult<Value> {
            let path: String = kwargs.must_get("path")?;
            let key = path.trim_start_matches("@/");
            let key = if key.ends_with(".md") {
                key.to_string()
            } else {
                format!("{}/_index.md", key.trim_end_matches('/'))
                    .trim_start_matches('/')
                    .to_string()
            };
            l.doc(&key)
                .filter(|v| v.get_from_path("kind").and_then(|k| k.as_str()) == Some("section"))
                .cloned()
                .ok_or_else(|| tera::Error::message(format!("get_section: no section at {path:?}")))
        },
    );
    tera.register_filter(
        "date",
        |value: &str, kwargs: Kwargs, _: &State| -> TeraResult<String> {
            let format = kwargs
                .get::<String>("format")?
                .unwrap_or_else(|| "%Y-%m-%d".to_string());
            format_date(value, &format).map_err(tera::Error::message)
        },
    );
    tera.register_filter(
        "json_encode",
        |value: Value, _: Kwargs, _: &State| -> TeraResult<Value> {
            let json =
                serde_json::to_string(&value).map_err(|e| tera::Error::message(e.to_string()))?;
            Ok(Value::safe_string(&json.replace("</", "<\\/")))
        },
    );
    tera.register_filter(
        "markdown",
        |value: &str, kwargs: Kwargs, _: &State| -> TeraResult<Value> {
            let inline = kwargs.get::<bool>("inline")?.unwrap_or(false);
            Ok(Value::safe_string(&crate::markdown::render_snippet(
                value, inline,
            )))
        },
    );
}

/// Format a front-matter date string with a strftime format.
pub fn format_date(value: &str, format: &str) -> Result<String, String> {
    let date = crate::frontmatter::Date::parse(value).map_err(|e| format!("date filter: {e}"))?;
    if date.text.len() == 10 {
        return jiff::fmt::strtime::format(format, date.day)
            .map_err(|e| format!("date filter: {e}"));
    }
    let dt: jiff::civil::DateTime = date.rfc3339[..19]
        .parse()
        .map_err(|e| format!("date filter: {e}"))?;
    jiff::fmt::strtime::format(format, dt).map_err(|e| format!("date filter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(text: &str) -> Fields {
        named_fields(&[("t.html".to_string(), text.to_string())])
    }

    #[test]
    fn objects_carry_the_fields_tags_name_and_always_kind() {
        let expected = Fields::named(|n| ["title", "permalink", "date"].contains(&n));
        let got = fields_of(
            "<p>toc word_count</p>{% for p in section.pages | sort(attribute=\"date\") %}<a href=\"{{ p.permalink }}\">{{ p.title }}</a>{% endfor %}",
        );
        assert_eq!(got, expected);
        assert_ne!(got, Fields::ALL);
        assert_eq!(Fields::named(|_| false), Fields::named(|n| n == "kind"));
    }

    #[test]
    fn computed_field_names_mean_every_field() {
        for text in [
            "{{ page[key] }}",
            "{% for k, v in page %}{{ k }}{% endfor %}",
            "{%- for k,v in page -%}{% endfor %}",
            "{{ page | values | join(sep=\",\") }}",
            "{{ page | get(key=name) }}",
            "{{ section.pages[0][field] }}",
        ] {
            assert_eq!(fields_of(text), Fields::ALL, "{text}");
        }
        for text in [
            "{{ section.pages[0].title }}",
            "{{ page[\"title\"] }}",
            "{% set xs = [1, 2] %}",
            "{% for p in section.pages %}{% endfor %}",
        ] {
            assert_ne!(fields_of(text), Fields::ALL, "{text}");
        }
    }
}
