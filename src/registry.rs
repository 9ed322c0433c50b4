//! The editorial registry: every declaration of the site collected with
//! where it was written, indexed by id, with the archives of its sources
//! loaded, so that `verify` can point at the exact line of a bad citation.

use crate::archive::{self, Archive};
use crate::content::Content;
use crate::diagnostics::{Diagnostic, Report};
use crate::editorial::{
    ChangeDecl, EventDecl, FactDecl, PartyDecl, QuestionDecl, SourceDecl, StatementDecl,
};
use crate::frontmatter::item_range;
use std::collections::HashMap;
use std::sync::Arc;

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

    /// The language of the text a source's words are checked against: that of
    /// the source whose archive [`Self::archive_for`] finds, else the source's
    /// own; `None` for the site's default language.
    pub fn archive_lang(&self, source_id: &str) -> Option<&str> {
        let own = self.source(source_id)?.item.lang.as_deref();
        let mut id = source_id;
        for _ in 0..8 {
            let source = &self.source(id)?.item;
            if self.archives.contains_key(id) {
                return source.lang.as_deref();
            }
            match source.via.as_deref() {
                Some(via) => id = via,
                None => break,
            }
        }
        own
    }

    /// For a statement on a page in another language than the text its source
    /// is checked against: (the page's language, that text's language).
    pub fn translation(
        &self,
        content: &Content,
        s: &Located<StatementDecl>,
    ) -> Option<(Arc<str>, Arc<str>)> {
        self.source(&s.item.source)?;
        let page = content.docs[s.origin.doc].lang.clone();
        let source = match self.archive_lang(&s.item.source) {
            Some(code) => Arc::from(code),
            None => content.languages.default.clone(),
        };
        (page != source).then_some((page, source))
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

fn push_all<T: Clone>(into: &mut Vec<Located<T>>, items: &[T], doc: usize, key: &'static str) {
    for (index, item) in items.iter().enumerate() {
        into.push(Located {
            item: item.clone(),
            origin: Origin { doc, key, index },
        });
    }
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
