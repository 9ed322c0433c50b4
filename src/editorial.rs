//! The editorial data model: sources, statements, facts, timeline events, parties,
//! questions and changes, as declared in front matter and collected across the site.
//!
//! Declarations are plain data; [`Registry::collect`] gathers them with their
//! locations so that `verify` can point at the exact line of a bad citation.

pub mod archive;

pub use archive::Archive;

use crate::content::Content;
use crate::diagnostics::{Diagnostic, Report};
use crate::frontmatter::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A source the site cites (`[[sources]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDecl {
    pub id: String,
    pub title: String,
    pub publisher: Option<String>,
    pub author: Option<String>,
    pub date: Option<Date>,
    pub kind: SourceKind,
    pub url: Option<String>,
    pub accessed: Option<Date>,
    /// The source that carries this one, for second-hand sources ("as reported by").
    pub via: Option<String>,
    /// Archived text of the source, relative to the declaring file; never published.
    pub archive: Option<String>,
    pub note: Option<String>,
}

/// What sort of thing a source is; decides whether it can confirm a fact.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    NewsReport,
    OfficialStatement,
    SocialMedia,
    Interview,
    Document,
    Verification,
}

impl SourceKind {
    /// The reader-facing name of the kind.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::NewsReport => "News report",
            SourceKind::OfficialStatement => "Official statement",
            SourceKind::SocialMedia => "Social-media footage",
            SourceKind::Interview => "Interview",
            SourceKind::Document => "Document",
            SourceKind::Verification => "Independent verification",
        }
    }

    /// Only primary documents and independent verification can back the label Confirmed.
    pub fn can_confirm(self) -> bool {
        matches!(self, SourceKind::Document | SourceKind::Verification)
    }
}

/// A statement by one party (`[[statements]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatementDecl {
    pub id: String,
    pub speaker: String,
    pub party: String,
    pub on_behalf: Option<String>,
    pub date: Date,
    /// How the date reads on the page when the source gives no exact one ("Reported by 4 May 2023").
    pub when: Option<String>,
    pub date_note: Option<String>,
    pub kind: StatementKind,
    pub status: Status,
    pub source: String,
    pub question: Option<String>,
    pub text: String,
    pub basis: Option<String>,
}

impl StatementDecl {
    /// The passage of the source this statement rests on: its basis, or for a quote its words.
    pub fn basis_passage(&self) -> &str {
        match (&self.basis, self.kind) {
            (Some(b), _) => b,
            (None, StatementKind::Quote) => &self.text,
            (None, StatementKind::Paraphrase) => "",
        }
    }
}

/// Whether a statement gives the speaker's exact words.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    Quote,
    Paraphrase,
}

impl StatementKind {
    pub fn label(self) -> &'static str {
        match self {
            StatementKind::Quote => "Verbatim quotation",
            StatementKind::Paraphrase => "Paraphrase",
        }
    }
}

/// The status label of a statement, fact or event.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Claimed,
    Denied,
    Unverified,
    Reported,
    Assessment,
    Confirmed,
}

impl Status {
    /// Every label, in the order the method page explains them.
    pub const ALL: [Status; 6] = [
        Status::Claimed,
        Status::Denied,
        Status::Unverified,
        Status::Reported,
        Status::Assessment,
        Status::Confirmed,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Status::Claimed => "claimed",
            Status::Denied => "denied",
            Status::Unverified => "unverified",
            Status::Reported => "reported",
            Status::Assessment => "assessment",
            Status::Confirmed => "confirmed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Claimed => "Claimed",
            Status::Denied => "Denied",
            Status::Unverified => "Unverified",
            Status::Reported => "Reported",
            Status::Assessment => "Assessment",
            Status::Confirmed => "Confirmed",
        }
    }

    /// What the label tells a reader.
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Claimed => "A party asserts it; no independent evidence is recorded here.",
            Status::Denied => "A party rejects an accusation or claim made against it.",
            Status::Unverified => {
                "Material whose origin or content has not been independently verified."
            }
            Status::Reported => "Stated by a news organisation in its own reporting.",
            Status::Assessment => {
                "This site's own reading, inferred from the statements it links to."
            }
            Status::Confirmed => "Backed by a primary document or independent verification.",
        }
    }
}

/// A "What we know" / "What we don't know" item (`[[facts]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FactDecl {
    pub id: String,
    pub list: FactList,
    pub text: String,
    pub status: Status,
    pub source: Option<String>,
    pub basis: Option<String>,
    #[serde(default)]
    pub rests_on: Vec<String>,
}

/// Which home-page list a fact belongs to.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FactList {
    Known,
    Unknown,
}

/// A timeline entry (`[[events]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventDecl {
    pub id: String,
    pub date: Date,
    pub when: Option<String>,
    /// How much of `date` the source gives: a month-only date must not carry a made-up day.
    #[serde(default)]
    pub precision: Precision,
    /// How the date was worked out, when the source does not give it outright.
    pub derived: Option<String>,
    pub text: String,
    pub status: Status,
    pub source: String,
    pub basis: String,
}

/// How much of a date its source gives.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    Day,
    Month,
    Year,
}

impl Precision {
    /// The machine-readable form of `date` to this precision (`2022-02`, `2022`).
    pub fn datetime(self, date: &Date) -> String {
        let d = date.day;
        match self {
            Precision::Day => date.text.clone(),
            Precision::Month => format!("{:04}-{:02}", d.year(), d.month()),
            Precision::Year => format!("{:04}", d.year()),
        }
    }
}

/// A party to the story, with its page (`[[parties]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartyDecl {
    pub id: String,
    pub name: String,
    /// The party's page (`@/parties/russia.md`); a party may have none.
    pub page: Option<String>,
    pub description: Option<String>,
    /// Lower weights come first; parties without one follow, in declaration order.
    pub weight: Option<i64>,
}

/// A question statements answer, for the claim-and-response view (`[[questions]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionDecl {
    pub id: String,
    pub title: String,
}

/// An entry of a page's corrections and updates log (`[[changes]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeDecl {
    pub date: Date,
    pub kind: ChangeKind,
    pub note: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Update,
    Correction,
}

/// Where a declaration was written: the document, the front-matter array
/// (`statements`) and its position in it. The byte offset is found only when
/// a diagnostic needs it (see [`locate`]), from the parser's spans.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub doc: usize,
    pub key: &'static str,
    pub index: usize,
}

/// A declaration together with where it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub item: T,
    pub origin: Origin,
}

/// Every editorial declaration of the site, with indexes by id.
#[derive(Debug, Default)]
pub struct Registry {
    pub sources: Vec<Located<SourceDecl>>,
    pub statements: Vec<Located<StatementDecl>>,
    pub facts: Vec<Located<FactDecl>>,
    pub events: Vec<Located<EventDecl>>,
    pub parties: Vec<Located<PartyDecl>>,
    pub questions: Vec<Located<QuestionDecl>>,
    pub changes: Vec<Located<ChangeDecl>>,
    /// Archived texts by source id.
    pub archives: HashMap<String, Archive>,
    /// Sources whose archive could not be used (already reported).
    unreadable: std::collections::HashSet<String>,
    source_index: HashMap<String, usize>,
    statement_index: HashMap<String, usize>,
}

impl Registry {
    /// Gather the declarations of every document, load archives, and reject duplicate ids.
    pub fn collect(content: &Content, report: &mut Report) -> Registry {
        let mut reg = Registry::default();
        for (doc_index, doc) in content.docs.iter().enumerate() {
            let m = &doc.meta;
            push_all(&mut reg.sources, &m.sources, doc_index, "sources");
            push_all(&mut reg.statements, &m.statements, doc_index, "statements");
            push_all(&mut reg.facts, &m.facts, doc_index, "facts");
            push_all(&mut reg.events, &m.events, doc_index, "events");
            push_all(&mut reg.parties, &m.parties, doc_index, "parties");
            push_all(&mut reg.questions, &m.questions, doc_index, "questions");
            push_all(&mut reg.changes, &m.changes, doc_index, "changes");
        }
        reg.source_index = index_by_id(&reg.sources, |s| &s.id, "source", content, report);
        reg.statement_index = index_by_id(&reg.statements, |s| &s.id, "statement", content, report);
        index_by_id(&reg.facts, |f| &f.id, "fact", content, report);
        index_by_id(&reg.events, |e| &e.id, "event", content, report);
        index_by_id(&reg.parties, |p| &p.id, "party", content, report);
        // Stable: parties of equal weight (or none) keep their declaration order.
        reg.parties
            .sort_by_key(|p| (p.item.weight.is_none(), p.item.weight));
        index_by_id(&reg.questions, |q| &q.id, "question", content, report);
        reg.load_archives(content, report);
        reg
    }

    fn load_archives(&mut self, content: &Content, report: &mut Report) {
        for src in &self.sources {
            let Some(name) = &src.item.archive else {
                continue;
            };
            let doc = &content.docs[src.origin.doc];
            let loaded = archive::resolve(&content.root, &doc.source, name)
                .and_then(|path| archive::load(&path));
            match loaded {
                Ok(a) => {
                    self.archives.insert(src.item.id.clone(), a);
                }
                Err(why) => {
                    self.unreadable.insert(src.item.id.clone());
                    report.push(locate(content, src.origin, name).with_message(format!(
                        "cannot use archive {name:?} of source `{}`: {why}",
                        src.item.id
                    )));
                }
            }
        }
    }

    /// Whether `source_id` (or the source carrying it) names an archive that
    /// could not be used: that is reported once, not at every quotation.
    pub fn archive_unreadable(&self, source_id: &str) -> bool {
        let mut id = source_id;
        for _ in 0..8 {
            if self.unreadable.contains(id) {
                return true;
            }
            match self.source(id).and_then(|s| s.item.via.as_deref()) {
                Some(via) => id = via,
                None => return false,
            }
        }
        false
    }

    pub fn source(&self, id: &str) -> Option<&Located<SourceDecl>> {
        self.source_index.get(id).map(|&i| &self.sources[i])
    }

    pub fn statement(&self, id: &str) -> Option<&Located<StatementDecl>> {
        self.statement_index.get(id).map(|&i| &self.statements[i])
    }

    /// The archived text a source's words are checked against: its own, or that of the source carrying it.
    pub fn archive_for(&self, source_id: &str) -> Option<&Archive> {
        let mut id = source_id;
        for _ in 0..8 {
            if let Some(a) = self.archives.get(id) {
                return Some(a);
            }
            id = self.source(id)?.item.via.as_deref()?;
        }
        None
    }

    /// Every source id, for "did you mean" suggestions.
    pub fn source_ids(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|s| s.item.id.as_str())
    }
}

/// Where an archive file lives: relative to the folder of the file declaring it.
pub fn archive_path(root: &Path, declaring_file: &Path, archive: &str) -> PathBuf {
    let dir = declaring_file.parent().unwrap_or(Path::new(""));
    root.join(dir).join(archive)
}

fn push_all<T: Clone>(into: &mut Vec<Located<T>>, items: &[T], doc: usize, key: &'static str) {
    for (index, item) in items.iter().enumerate() {
        into.push(Located {
            item: item.clone(),
            origin: Origin { doc, key, index },
        });
    }
}

/// The byte range, in a document's front matter `front`, of table `index` of
/// array `key`: from the TOML parser's spans, or for YAML the list item's
/// lines. `None` when it cannot be found.
fn item_range(front: &str, key: &str, index: usize) -> Option<std::ops::Range<usize>> {
    let split = crate::frontmatter::split(front).ok()?;
    let within = match split.format? {
        crate::frontmatter::Format::Toml => toml_item_range(split.header, key, index)?,
        crate::frontmatter::Format::Yaml => yaml_item_range(split.header, key, index)?,
    };
    Some(split.header_offset + within.start..split.header_offset + within.end)
}

fn toml_item_range(header: &str, key: &str, index: usize) -> Option<std::ops::Range<usize>> {
    let table = toml::de::DeTable::parse(header).ok()?;
    let array = table.get_ref().get(key)?;
    let toml::de::DeValue::Array(items) = array.get_ref() else {
        return None;
    };
    let item = items.get(index)?;
    // A `[[key]]` table's own span is its header; its values follow.
    let end = match item.get_ref() {
        toml::de::DeValue::Table(table) => table.values().map(|v| v.span().end).max(),
        _ => None,
    };
    let span = item.span();
    Some(span.start..end.unwrap_or(span.end).max(span.end))
}

fn yaml_item_range(header: &str, key: &str, index: usize) -> Option<std::ops::Range<usize>> {
    let key_line = header
        .match_indices(&format!("{key}:"))
        .map(|(i, _)| i)
        .find(|&i| i == 0 || header[..i].ends_with('\n'))?;
    let items = yaml_items_after(header, key_line);
    let start = *items.get(index)?;
    let end = items.get(index + 1).copied().unwrap_or(header.len());
    Some(start..end)
}

/// Offsets of `- ` list items following a YAML key, at the first item's indentation.
fn yaml_items_after(text: &str, key_offset: usize) -> Vec<usize> {
    let mut pos = text[key_offset..]
        .find('\n')
        .map_or(text.len(), |i| key_offset + i + 1);
    let mut out = Vec::new();
    let mut indent = None;
    for line in text[pos..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        let this_indent = line.len() - trimmed.len();
        let is_item = trimmed.starts_with("- ") || trimmed.trim_end() == "-";
        if is_item && *indent.get_or_insert(this_indent) == this_indent {
            out.push(pos + this_indent);
        } else if !is_item && !trimmed.trim().is_empty() && this_indent == 0 {
            break;
        }
        pos += line.len();
    }
    out
}

fn index_by_id<T>(
    items: &[Located<T>],
    id_of: impl Fn(&T) -> &String,
    what: &str,
    content: &Content,
    report: &mut Report,
) -> HashMap<String, usize> {
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        let id = id_of(&it.item);
        if let Some(&first) = index.get(id) {
            let first_doc = &content.docs[items[first].origin.doc];
            report.push(
                locate(content, it.origin, id)
                    .with_message(format!("duplicate {what} id `{id}`"))
                    .note(format!("first declared in {}", first_doc.source.display())),
            );
        } else {
            index.insert(id.clone(), i);
        }
    }
    index
}

/// An error located at the first occurrence of `needle` in a declaration (or at the declaration).
pub fn locate(content: &Content, origin: Origin, needle: &str) -> Diagnostic {
    let doc = &content.docs[origin.doc];
    let front = &doc.front;
    let range = item_range(front, origin.key, origin.index).unwrap_or(0..front.len());
    let item = &front[range.clone()];
    let quoted = format!("\"{needle}\"");
    let within = item
        .find(&quoted)
        .map(|o| o + 1)
        .or_else(|| item.find(needle))
        .unwrap_or(0);
    Diagnostic::error("editorial", "")
        .in_file(&doc.source)
        .at_offset(front, range.start + within)
}

trait WithMessage {
    fn with_message(self, message: String) -> Self;
}

impl WithMessage for Diagnostic {
    fn with_message(mut self, message: String) -> Self {
        self.message = message;
        self
    }
}

/// Replace the message of a located diagnostic (used with [`locate`]).
pub fn located(
    content: &Content,
    origin: Origin,
    needle: &str,
    code: &'static str,
    message: String,
) -> Diagnostic {
    let mut d = locate(content, origin, needle).with_message(message);
    d.code = code;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_toml_tables_in_order() {
        let text = "+++\n[[statements]]\nid = \"a\"\n[[statements]]\nid = \"b\"\n+++\n";
        let second = item_range(text, "statements", 1).unwrap();
        assert_eq!(&text[second], "[[statements]]\nid = \"b\"");
        assert!(item_range(text, "statements", 2).is_none());
    }

    #[test]
    fn finds_yaml_items_in_order() {
        let text = "---\nstatements:\n  - id: a\n    text: x\n  - id: b\n---\n";
        let first = item_range(text, "statements", 0).unwrap();
        assert!(text[first.clone()].starts_with("- id: a\n    text: x\n"));
        assert!(!text[first].contains("id: b"));
        let second = item_range(text, "statements", 1).unwrap();
        assert!(text[second].starts_with("- id: b"));
    }
}
