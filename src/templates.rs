//! Tera templates: loads `templates/`, adds the built-in fallbacks, and registers
//! the functions and filters of the public template contract.
//!
//! Template errors become diagnostics naming the template file, line and column.

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Report};
use crate::listing::Fields;
use crate::stamp::{Fingerprint, Hash};
use crate::urls::Urls;
use std::borrow::Cow;
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
    /// The site's raster images, for `resize_image`.
    pub images: Arc<crate::images::Images>,
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
    /// Where renders register, so a runaway one can be found and given up.
    pub watch: Option<Arc<crate::limits::Watch>>,
    /// A fingerprint of the files `load_data` could read, when a template calls it.
    data: Option<Hash>,
    /// The `explainer` object that replaces the global one once every page is
    /// rendered (see [`Templates::pages_may_read`]).
    late_explainer: OnceLock<LateExplainer>,
}

/// The late `explainer` object, made a template value on first use: an
/// edit that keeps every file rendered after the pages never converts it
/// (at 10 000 pages its `cited_by` lists hold 40 000 backlinks).
struct LateExplainer {
    view: Option<crate::view::ExplainerView>,
    value: OnceLock<tera::Value>,
}

/// The late `explainer` object of a render as a template value, and the
/// hash of its [`crate::view::ExplainerView::fingerprint_bytes`]: `serve`
/// hands it to the next rebuild, which uses it when its object is the same.
#[derive(Clone)]
pub struct ExplainerValue {
    pub made_from: Hash,
    pub value: tera::Value,
}

impl Templates {
    /// Load every template under `ROOT/templates` and register functions and
    /// filters; the built-in fallbacks are those the features `config` turns on need.
    pub fn load(root: &Path, lookup: Arc<Lookup>, config: &Config) -> Result<Templates, Report> {
        let mut report = Report::default();
        let sources = read_templates(&root.join(TEMPLATES_DIR), &mut report);
        if report.has_errors() {
            return Err(report);
        }
        let mut all: Vec<(String, String)> = sources
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let features = if config.taxonomies.is_empty() {
            &[][..]
        } else {
            crate::taxonomies::FALLBACKS
        };
        for (name, text) in BUILTIN.iter().chain(features) {
            if !sources.contains_key(*name) {
                all.push((name.to_string(), text.to_string()));
            }
        }
        all.sort();
        let mut tera = Tera::new();
        register(&mut tera, lookup.clone(), config);
        crate::data::register(&mut tera, root);
        let reads_data = all.iter().any(|(_, text)| text.contains("load_data"));
        if !config.taxonomies.is_empty() {
            crate::taxonomies::register(&mut tera, lookup.urls.clone(), &config.taxonomies);
        }
        let mut templates = Templates {
            tera,
            sources,
            all: Vec::new(),
            fields: named_fields(&all),
            watch: None,
            data: reads_data.then(|| crate::data::fingerprint(root)),
            late_explainer: OnceLock::new(),
        };
        if let Err(e) = templates
            .tera
            .add_raw_templates(all.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        {
            let found = templates.diagnostics(&e);
            if found.is_empty() {
                report.push(templates.unlocated(&e));
            }
            report.extend(found);
            return Err(report);
        }
        templates.all = all;
        Ok(templates)
    }

    /// Whether any template's text mentions `name` (a function, say).
    pub fn mention(&self, name: &str) -> bool {
        self.all.iter().any(|(_, text)| text.contains(name))
    }

    /// Whether a page's template may read the field `field`: whether it, what
    /// it extends, includes or imports, a shortcode or a component names the
    /// field or reads a field by a computed name, or a tag names a template
    /// by an expression. Fields a page cannot read may be filled in after
    /// the pages are rendered.
    pub fn pages_may_read(&self, page_templates: &[&str], field: &str) -> bool {
        may_read(&self.all, page_templates, field)
    }

    /// From now on, templates see `explainer` instead of the global one.
    pub fn set_late_explainer(&self, explainer: crate::view::ExplainerView) {
        let _ = self.late_explainer.set(LateExplainer {
            view: Some(explainer),
            value: OnceLock::new(),
        });
    }

    /// [`Templates::set_late_explainer`] with the object already a template value.
    pub fn set_late_value(&self, value: tera::Value) {
        let _ = self.late_explainer.set(LateExplainer {
            view: None,
            value: OnceLock::from(value),
        });
    }

    /// The late `explainer` object as a template value, if a render made it one.
    pub fn late_value(&self) -> Option<tera::Value> {
        self.late_explainer.get()?.value.get().cloned()
    }

    /// `context`, with the late `explainer` when there is one.
    pub(crate) fn with_late<'c>(&self, context: &'c tera::Context) -> Cow<'c, tera::Context> {
        match self.late_explainer.get() {
            Some(late) => {
                // Either the view or the value is set (see set_late_value).
                let explainer = late.value.get_or_init(|| match &late.view {
                    Some(view) => Value::from_serializable(view),
                    None => Value::none(),
                });
                let mut context = context.clone();
                context.insert_value("explainer", explainer.clone());
                Cow::Owned(context)
            }
            None => Cow::Borrowed(context),
        }
    }

    /// A fingerprint of every template's name and text.
    pub fn fingerprint(&self) -> Hash {
        let f = self
            .all
            .iter()
            .fold(Fingerprint::new("templates"), |f, (n, t)| f.str(n).str(t));
        match &self.data {
            Some(data) => f.bytes(data).finish(),
            None => f.finish(),
        }
    }

    /// Whether `name` is one of the site's own templates (not a built-in fallback).
    pub fn is_own(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// Where the site's templates write `url` out as an attribute value
    /// (quoted), `first` searched first: the template's name, its text and
    /// the byte offset of the value.
    pub fn find_written(&self, first: &str, url: &str) -> Option<(&str, &str, usize)> {
        let mut names: Vec<&String> = self.sources.keys().collect();
        names.sort_by_key(|n| (n.as_str() != first, n.as_str()));
        let quoted = [format!("\"{url}\""), format!("'{url}'")];
        names.into_iter().find_map(|name| {
            let text = self.sources[name].as_str();
            let at = quoted.iter().find_map(|q| text.find(q.as_str()))?;
            Some((name.as_str(), text, at + 1))
        })
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
        let _watched = self.watch.as_ref().map(|w| w.rendering(name, rendering));
        self.tera
            .render(name, &self.with_late(context))
            .map_err(|e| self.diagnostic(&e, Some(rendering)))
    }

    /// [`Templates::render`] into a buffer sized for `capacity` bytes: a
    /// page's template writes its body's HTML and more, which Tera's own
    /// guess (the template's length) leaves to be copied as the buffer grows.
    pub fn render_sized(
        &self,
        name: &str,
        context: &tera::Context,
        rendering: &Path,
        capacity: usize,
    ) -> Result<String, Diagnostic> {
        let _watched = self.watch.as_ref().map(|w| w.rendering(name, rendering));
        let mut out = Vec::with_capacity(capacity);
        self.tera
            .render_to(name, &self.with_late(context), &mut out)
            .map_err(|e| self.diagnostic(&e, Some(rendering)))?;
        String::from_utf8(out).map_err(|e| {
            Diagnostic::error("template", format!("rendered text is not UTF-8: {e}"))
                .note(format!("while rendering {}", rendering.display()))
        })
    }

    /// A diagnostic for a Tera error, located in the template when Tera knows where.
    fn diagnostic(&self, e: &tera::Error, rendering: Option<&Path>) -> Diagnostic {
        let mut found = self.diagnostics(e).into_iter();
        let mut d = found.next().unwrap_or_else(|| self.unlocated(e));
        for other in found {
            d = d.note(format!("also: {}", other.summary()));
        }
        if let Some(path) = rendering {
            d = d.note(format!("while rendering {}", path.display()));
        }
        d
    }

    /// Every located finding in a Tera error: a loading error may hold several
    /// (one per unknown filter, say), as reports Tera has already formatted.
    fn diagnostics(&self, e: &tera::Error) -> Vec<Diagnostic> {
        use tera::ErrorKind;
        match e.kind() {
            ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
                let span = r.span();
                vec![self.located(
                    r.message(),
                    r.filename(),
                    span.start_line,
                    span.start_col + 1,
                )]
            }
            ErrorKind::Msg(text) => tera_reports(text)
                .into_iter()
                .map(|(message, name, line, col)| self.located(&message, &name, line, col))
                .collect(),
            ErrorKind::CircularExtend {
                tpl,
                inheritance_chain,
            } => {
                vec![self.in_chain(tpl, inheritance_chain, "extends", "circular `extends`")]
            }
            ErrorKind::CircularInclude { tpl, include_chain } => {
                vec![self.in_chain(tpl, include_chain, "include", "circular `include`")]
            }
            _ => Vec::new(),
        }
    }

    /// An error in template `name` at `line`:`col` (1-based), with hints.
    fn located(&self, message: &str, name: &str, line: usize, col: usize) -> Diagnostic {
        let d = Diagnostic::error("template", message).in_file(Path::new(TEMPLATES_DIR).join(name));
        let d = match self.template_text(name) {
            Some(text) => d.at_line_col(text, line, col),
            None => {
                let mut d = d;
                d.line = Some(line);
                d.column = Some(col);
                d
            }
        };
        with_field_hint(d)
    }

    /// A circular `extends`/`include`, located at the tag in `tpl` that starts
    /// the loop.
    fn in_chain(&self, tpl: &str, chain: &[String], tag: &str, what: &str) -> Diagnostic {
        let message = format!("{what}: {}", chain.join(" → "));
        let d = Diagnostic::error("template", message).in_file(Path::new(TEMPLATES_DIR).join(tpl));
        let next = chain
            .iter()
            .skip_while(|name| name.as_str() != tpl)
            .nth(1)
            .or(chain.first());
        let at = self.template_text(tpl).and_then(|text| {
            let target = next?;
            tag_offset(text, tag, target).map(|at| (text, at))
        });
        match at {
            Some((text, at)) => d.at_offset(text, at),
            None => d,
        }
    }

    fn unlocated(&self, e: &tera::Error) -> Diagnostic {
        let mut d = Diagnostic::error("template", strip_error_prefix(&e.to_string()));
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            d = d.note(format!("caused by: {c}"));
            cause = c.source();
        }
        d
    }

    /// The text of template `name`, the site's own or a built-in fallback.
    fn template_text(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(String::as_str).or_else(|| {
            self.all
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.as_str())
        })
    }
}

/// The reports in a message Tera formatted itself: `error: MESSAGE` followed
/// by ` --> NAME:LINE:COL`, as (message, name, line, column).
fn tera_reports(text: &str) -> Vec<(String, String, usize, usize)> {
    let mut found = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(message) = line.strip_prefix("error: ") else {
            continue;
        };
        let location = lines
            .peek()
            .and_then(|next| next.trim_start().strip_prefix("--> "))
            .and_then(parse_location);
        if let Some((name, line, col)) = location {
            found.push((message.to_string(), name, line, col));
        }
    }
    found
}

/// `NAME:LINE:COL`.
fn parse_location(text: &str) -> Option<(String, usize, usize)> {
    let (rest, col) = text.rsplit_once(':')?;
    let (name, line) = rest.rsplit_once(':')?;
    Some((name.to_string(), line.parse().ok()?, col.parse().ok()?))
}

/// The message of a Tera error and its causes, on one line.
pub fn error_text(e: &tera::Error) -> String {
    let mut text = strip_error_prefix(&e.to_string());
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.lines().next().unwrap_or("").to_string()
}

fn strip_error_prefix(text: &str) -> String {
    text.strip_prefix("error: ").unwrap_or(text).to_string()
}

/// Where `{% TAG "target" %}` starts in a template's text.
fn tag_offset(text: &str, tag: &str, target: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("{%") {
        let start = from + i;
        let inner = text[start + 2..].trim_start_matches(['-', ' ', '\t', '\n']);
        if let Some(rest) = inner.strip_prefix(tag)
            && rest
                .trim_start()
                .trim_start_matches(['"', '\''])
                .starts_with(target)
        {
            return Some(start);
        }
        from = start + 2;
    }
    None
}

/// Fields a page or section object can have (docs/reference.md, "Template
/// context"); an object carries only those its templates name.
const OBJECT_FIELDS: &[&str] = &[
    "content",
    "template",
    "statements",
    "facts",
    "events",
    "changes",
    "pages",
    "subsections",
];

/// For "Field `x` is not defined": the closest field name, and every field
/// the object could have (Tera lists only those the object carries).
fn with_field_hint(mut d: Diagnostic) -> Diagnostic {
    let Some(field) = d
        .message
        .strip_prefix("Field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field.to_string())
    else {
        return d;
    };
    let carried: Vec<String> = d
        .message
        .split_once("Available fields: ")
        .map(|(_, list)| list.split(", ").map(|f| f.trim().to_string()).collect())
        .unwrap_or_default();
    let is_document = carried.iter().any(|f| f == "permalink");
    let mut candidates: Vec<String> = carried;
    if is_document {
        let documented = crate::listing::FIELD_NAMES.iter().chain(OBJECT_FIELDS);
        candidates.extend(documented.map(|f| f.to_string()));
        candidates.sort();
        candidates.dedup();
    }
    d.message = format!("field `{field}` is not defined");
    if let Some(best) = closest(&field, &candidates) {
        d = d.note(format!("did you mean `{best}`?"));
    }
    if !candidates.is_empty() {
        let kind = if is_document {
            "page and section objects have"
        } else {
            "this object has"
        };
        d = d.note(format!("{kind}: {}", candidates.join(", ")));
    }
    d
}

/// The candidate nearest to `word`, if any is near enough to be a typo.
fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c.as_str())
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

/// Whether the templates `roots` (names in `all`, which is sorted by name)
/// may read `field`, with what they extend, include or import, every
/// shortcode and every template defining a component; see
/// [`Templates::pages_may_read`].
fn may_read(all: &[(String, String)], roots: &[&str], field: &str) -> bool {
    let mut todo: Vec<&str> = roots.to_vec();
    todo.extend(
        all.iter()
            .filter(|(name, text)| {
                name.starts_with(crate::shortcodes::DIR) || defines_component(text)
            })
            .map(|(name, _)| name.as_str()),
    );
    let mut seen = HashSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name) {
            continue;
        }
        let Ok(at) = all.binary_search_by(|(n, _)| n.as_str().cmp(name)) else {
            return true;
        };
        for tag in tags(&all[at].1) {
            if tag.contains(field) || reads_by_computed_name(tag) {
                return true;
            }
            match templates_named(tag) {
                Some(Ok(names)) => todo.extend(names),
                Some(Err(())) => return true,
                None => {}
            }
        }
    }
    false
}

/// Whether a template defines a component (which any template may call).
fn defines_component(text: &str) -> bool {
    tags(text).any(|tag| tag_words(tag).next() == Some("component"))
}

/// The words of a tag without its delimiters.
fn tag_words(tag: &str) -> std::str::SplitWhitespace<'_> {
    tag.trim_start_matches(['{', '%', '-'])
        .trim_end_matches(['}', '%', '-'])
        .split_whitespace()
}

/// The templates an `extends`, `include` or `import` tag names; `Err` when
/// it names one by an expression; `None` for any other tag.
fn templates_named(tag: &str) -> Option<Result<Vec<&str>, ()>> {
    let inner = tag
        .trim_start_matches(['{', '%', '-'])
        .trim_end_matches(['}', '%', '-'])
        .trim();
    let (keyword, rest) = inner.split_once(char::is_whitespace)?;
    if !matches!(keyword, "extends" | "include" | "import") {
        return None;
    }
    let rest = rest.trim();
    let rest = match keyword {
        "import" => rest.rsplit_once(" as ").map_or(rest, |(what, _)| what),
        _ => rest.trim_end_matches("ignore missing").trim_end(),
    };
    let listed = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(rest);
    listed
        .split(',')
        .map(|item| {
            let item = item.trim();
            ['"', '\'', '`']
                .iter()
                .find_map(|q| item.strip_prefix(*q)?.strip_suffix(*q))
                .filter(|name| !name.contains(['"', '\'', '`']))
                .ok_or(())
        })
        .collect::<Result<Vec<_>, ()>>()
        .into()
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
            && subscripted_root(&chars[..i]) != "config"
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

/// The variable an expression ending at the end of `before` starts from
/// (`config` in `config.languages[lang]`); empty when it is a call's result.
fn subscripted_root(before: &[char]) -> String {
    let mut start = before.len();
    let mut depth = 0usize;
    while start > 0 {
        let c = before[start - 1];
        match c {
            ']' => depth += 1,
            '[' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            c if c.is_alphanumeric() || matches!(c, '_' | '.') => {}
            c if c.is_whitespace() && start == before.len() => {}
            _ => break,
        }
        start -= 1;
    }
    let chain: String = before[start..].iter().collect();
    let chain = chain.trim();
    if depth > 0 || chain.ends_with(')') {
        return String::new();
    }
    chain
        .split(['.', '['])
        .next()
        .unwrap_or_default()
        .to_string()
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
        match crate::content::read_input_text(entry.path()) {
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

fn register(tera: &mut Tera, lookup: Arc<Lookup>, config: &Config) {
    let l = lookup.clone();
    let langs = config.clone();
    tera.register_function(
        "get_url",
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            let path: String = kwargs.must_get("path")?;
            let cachebust = kwargs.get::<bool>("cachebust")?.unwrap_or(false);
            let lang = match kwargs.get::<String>("lang")? {
                Some(code) if !langs.has_language(&code) => {
                    return Err(tera::Error::message(format!(
                        "get_url: config.toml has no language {code:?}"
                    )));
                }
                lang => lang,
            };
            if let Some(content_path) = path.strip_prefix("@/") {
                let (p, frag) = content_path
                    .split_once('#')
                    .map_or((content_path, None), |(p, f)| (p, Some(f)));
                let translated = lang
                    .as_ref()
                    .map(|code| in_language(p, code, &langs.language));
                let p = translated.as_deref().unwrap_or(p);
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
            let path = match lang {
                Some(code) if code != langs.language => {
                    format!("{code}/{}", path.trim_start_matches('/'))
                }
                _ => path,
            };
            l.urls.asset(&path, cachebust).map_err(tera::Error::message)
        },
    );
    crate::images::register(tera, lookup.images.clone());
    let words = config.clone();
    tera.register_function(
        "trans",
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            let key: String = kwargs.must_get("key")?;
            let lang = kwargs
                .get::<String>("lang")?
                .unwrap_or_else(|| words.language.clone());
            let table = if lang == words.language {
                "[translations]".to_string()
            } else {
                format!("[languages.{lang}.translations]")
            };
            words
                .translation(&key, &lang)
                .map(str::to_string)
                .ok_or_else(|| {
                    tera::Error::message(format!("trans: no {key:?} in config.toml's {table}"))
                })
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
    register_safe(tera);
    tera.register_filter(
        "date",
        |value: &str, kwargs: Kwargs, _: &State| -> TeraResult<String> {
            let format = kwargs
                .get::<String>("format")?
                .unwrap_or_else(|| "%Y-%m-%d".to_string());
            format_date(value, &format).map_err(tera::Error::message)
        },
    );
    // JSON goes into `<script>` elements: no `<`, `>` or `&` may reach the
    // HTML parser, or a title such as `<!--<script>` would keep the element
    // open past its end tag.
    tera.register_filter(
        "json_encode",
        |value: Value, _: Kwargs, _: &State| -> TeraResult<Value> {
            let json =
                serde_json::to_string(&value).map_err(|e| tera::Error::message(e.to_string()))?;
            Ok(Value::safe_string(&crate::html::script_safe_json(&json)))
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

/// Tera's `safe` filter, without its copy: Tera's copies the string it
/// marks, so `{{ page.content | safe }}` copied every page's HTML once more.
/// This one marks the value itself; what it gives is the same.
fn register_safe(tera: &mut Tera) {
    tera.register_filter("safe", |value: Value, _: Kwargs, _: &State| -> Value {
        if value.is_string() {
            value.mark_safe()
        } else {
            Value::safe_string(&value.to_string())
        }
    });
}

/// The content path of `path`'s version in language `code`: `about.md` →
/// `about.fr.md`, and back to `about.md` for the default language.
fn in_language(path: &str, code: &str, default: &str) -> String {
    let base = crate::content::without_lang(path);
    match base.strip_suffix(".md") {
        Some(_) if code == default => base.into_owned(),
        Some(stem) => format!("{stem}.{code}.md"),
        None => path.to_string(),
    }
}

/// Format a front-matter date string with a strftime format. A date-time
/// keeps the offset it was written with (`%H` is its local hour, `%z` its
/// offset); a bare date formats as that day.
pub fn format_date(value: &str, format: &str) -> Result<String, String> {
    let fail = |e: &dyn std::fmt::Display| format!("date filter: {e}");
    let date = crate::date::Date::parse(value).map_err(|e| fail(&e))?;
    if date.text.len() == 10 {
        return jiff::fmt::strtime::format(format, date.day).map_err(|e| fail(&e));
    }
    let pieces = jiff::fmt::temporal::Pieces::parse(&date.rfc3339).map_err(|e| fail(&e))?;
    let offset = pieces.to_numeric_offset().unwrap_or(jiff::tz::Offset::UTC);
    let local = pieces.date().to_datetime(pieces.time().unwrap_or_default());
    let zoned = local
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(offset))
        .map_err(|e| fail(&e))?;
    jiff::fmt::strtime::format(format, &zoned).map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_gives_what_tera_s_own_safe_gives() {
        let templates = [
            "{{ s | safe }}",
            "{{ s }}",
            "{{ s | safe | upper }}",
            "{{ s | safe ~ s }}",
            "{{ s | safe | replace(from=\"<\", to=\"&\") }}",
            "{{ n | safe }}{{ f | safe }}{{ b | safe }}",
            "{{ list | safe }}",
            "{{ map | safe }}",
            "{{ nothing | safe }}",
            "{% set x = s | safe %}{{ x }}{{ x | length }}",
            "{% if s | safe == s %}equal{% endif %}",
            "{{ short | safe }}",
        ];
        let mut ctx = tera::Context::new();
        ctx.insert("s", &"<b>Tom & \"Jerry\"</b> ".repeat(4));
        ctx.insert("short", "<i>x</i>");
        ctx.insert("n", &5);
        ctx.insert("f", &1.5);
        ctx.insert("b", &true);
        ctx.insert("list", &vec!["<a>", "b"]);
        ctx.insert("map", &std::collections::BTreeMap::from([("k", "<v>")]));
        ctx.insert("nothing", &Option::<String>::None);
        for text in templates {
            let render = |ours: bool| {
                let mut tera = Tera::default();
                if ours {
                    register_safe(&mut tera);
                }
                tera.add_raw_template("t.html", text).unwrap();
                tera.render("t.html", &ctx).map_err(|e| format!("{e:?}"))
            };
            let (builtin, ours) = (render(false), render(true));
            assert!(builtin.is_ok(), "{text}: {builtin:?}");
            assert_eq!(ours, builtin, "{text}");
        }
    }

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
    fn dates_format_in_the_offset_they_were_written_with() {
        let at = "2023-05-03T21:15:00+03:00";
        assert_eq!(format_date(at, "%H:%M %z").unwrap(), "21:15 +0300");
        assert_eq!(format_date(at, "%-d %B %Y").unwrap(), "3 May 2023");
        assert_eq!(
            format_date("2023-05-03T23:30:00Z", "%d %H %z").unwrap(),
            "03 23 +0000"
        );
        assert_eq!(format_date("2023-05-04", "%A").unwrap(), "Thursday");
        assert_eq!(
            format_date("2023-05-04T09:30:00", "%H:%M").unwrap(),
            "09:30"
        );
        assert!(format_date("2023-02-30", "%d").is_err());
    }

    fn reads(files: &[(&str, &str)], roots: &[&str]) -> bool {
        let mut all: Vec<(String, String)> = files
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        all.sort();
        may_read(&all, roots, "cited_by")
    }

    #[test]
    fn a_field_is_read_through_what_a_template_extends_includes_or_imports() {
        let base = (
            "base.html",
            "{% for s in explainer.sources %}{{ s.cited_by | length }}{% endfor %}",
        );
        let clean = ("page.html", "<p>{{ page.title }}</p>");
        assert!(!reads(&[base, clean], &["page.html"]));
        for page in [
            "{% extends \"base.html\" %}",
            "{%- include \"base.html\" -%}",
            "{% include [\"missing.html\", 'base.html'] ignore missing %}",
            "{% import \"base.html\" as m %}",
            "{% include name %}",
            "{% extends \"nowhere.html\" %}",
            "{% for s in explainer.sources %}{{ s[key] }}{% endfor %}",
        ] {
            assert!(
                reads(&[base, ("page.html", page)], &["page.html"]),
                "{page}"
            );
        }
        // Shortcodes and components may be called from any page.
        assert!(reads(
            &[clean, ("shortcodes/x.html", base.1)],
            &["page.html"]
        ));
        let component = "{% component c(s) %}{{ s.cited_by }}{% endcomponent c %}";
        assert!(reads(&[clean, ("macros.html", component)], &["page.html"]));
        // Config's maps hold no sources.
        assert!(!reads(
            &[("page.html", "{{ config.languages[lang].title }}")],
            &["page.html"]
        ));
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
            "{{ get_page(path=p)[field] }}",
            "{{ pages[config.extra.n][field] }}",
        ] {
            assert_eq!(fields_of(text), Fields::ALL, "{text}");
        }
        for text in [
            "{{ section.pages[0].title }}",
            "{{ page[\"title\"] }}",
            "{% set xs = [1, 2] %}",
            "{% for p in section.pages %}{% endfor %}",
            "{% if config.languages[lang].generate_feeds %}{% endif %}",
            "{{ config.extra.links[ name ] }}",
        ] {
            assert_ne!(fields_of(text), Fields::ALL, "{text}");
        }
    }
}
