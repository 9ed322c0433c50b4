//! Template-facing views of the editorial registry: the `explainer` object every
//! template gets, with resolved links between statements, sources and pages.
//!
//! Built once per build from plain data; templates only read it.

use crate::content::Content;
use crate::editorial::{StatementDecl, Status};
use crate::markdown::FoundCitation;
use crate::registry::{Located, Origin, Registry};
use crate::urls::Urls;
use rustc_hash::FxHashMap;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct PageRef {
    pub title: String,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    pub id: String,
    pub title: String,
    pub href: String,
    pub publisher: Option<String>,
    pub date: Option<String>,
}

/// What a source's `cited_by` holds while pages render before the prose
/// citations are counted: digits, which no filter changes, so a page that
/// prints it (a whole source written out, say) is found in its output.
pub const CITED_BY_LATER: &str = "90719462844120593152736";

#[derive(Debug, Clone, Serialize)]
pub struct Backlink {
    pub id: String,
    pub label: String,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    pub id: String,
    pub anchor: String,
    pub href: String,
    pub title: String,
    pub publisher: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub kind: String,
    pub kind_label: &'static str,
    pub url: Option<String>,
    pub accessed: Option<String>,
    pub via: Option<SourceRef>,
    pub archived: bool,
    /// The archive quotations are checked against, when the source has its own.
    pub archive: Option<ArchiveView>,
    pub note: Option<String>,
    pub cited_by: Vec<Backlink>,
}

/// What the sources page may say about an archived copy.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveView {
    /// `text`, `html` or `warc`.
    pub kind: &'static str,
    /// When a WARC capture was made (RFC 3339), if known.
    pub captured: Option<String>,
    /// The address a WARC capture was made of, if recorded.
    pub captured_url: Option<String>,
    /// BLAKE3 of the archive's bytes (64 hex digits).
    pub hash: String,
    /// Its first 12 hex digits, for display.
    pub short_hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartyRef {
    pub id: String,
    pub name: String,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionRef {
    pub id: String,
    pub title: String,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    pub id: String,
    pub anchor: String,
    pub href: String,
    pub speaker: String,
    pub party: Option<PartyRef>,
    pub on_behalf: Option<String>,
    pub date: String,
    pub when: Option<String>,
    pub date_note: Option<String>,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub question: Option<QuestionRef>,
    pub text: String,
    /// A quotation of words that are not a whole sentence ("as a planned
    /// terrorist act…"): shown within `basis`, the passage that reports it, so
    /// readers see who said it about whom.
    pub fragment: bool,
    pub basis: String,
    pub source: Option<SourceRef>,
    pub page: PageRef,
    /// Whether `text` is our translation of the quotation (the page is in
    /// another language than the source); then `original` holds the words
    /// the archive was checked for, in `original_lang`.
    pub translated: bool,
    pub original: Option<String>,
    pub original_lang: Option<String>,
    /// "our translation", in the page's language (see [`translation_label`]).
    pub translation_label: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactView {
    pub id: String,
    pub anchor: String,
    pub href: String,
    pub list: &'static str,
    pub text: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub source: Option<SourceRef>,
    pub basis: Option<String>,
    pub rests_on: Vec<StatementView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: String,
    pub anchor: String,
    pub href: String,
    pub date: String,
    /// `date` to the precision the source gives (`2022-02` for a month), for `<time datetime>`.
    pub datetime: String,
    pub when: Option<String>,
    pub derived: Option<String>,
    pub text: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub source: Option<SourceRef>,
    pub basis: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartyView {
    pub id: String,
    pub name: String,
    pub href: String,
    pub description: Option<String>,
    pub statements: Vec<StatementView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerView {
    pub party: PartyRef,
    pub statements: Vec<StatementView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub answers: Vec<AnswerView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelView {
    pub id: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub date: String,
    pub kind: &'static str,
    pub note: String,
    pub page: PageRef,
}

/// The `explainer` object of the template context.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ExplainerView {
    pub sources: Vec<SourceView>,
    pub statements: Vec<StatementView>,
    pub facts: Vec<FactView>,
    pub facts_known: Vec<FactView>,
    pub facts_unknown: Vec<FactView>,
    pub events: Vec<EventView>,
    pub parties: Vec<PartyView>,
    pub questions: Vec<QuestionView>,
    pub labels: Vec<LabelView>,
    pub changes: Vec<ChangeView>,
}

impl ExplainerView {
    /// The object's bytes, for fingerprints of what the templates see:
    /// postcard (a 10k-page site's view, with a backlink per page, took
    /// 18 M instructions as JSON, most of a one-page edit's fingerprinting),
    /// JSON should postcard ever refuse a value.
    pub fn fingerprint_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self)
            .or_else(|_| serde_json::to_vec(self))
            .unwrap_or_default()
    }
}

/// The items one document declares, for `page.statements` and friends.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DocItems {
    pub statements: Vec<StatementView>,
    pub facts: Vec<FactView>,
    pub events: Vec<EventView>,
    pub changes: Vec<ChangeView>,
}

/// Resolves ids to views; holds what the builders share.
pub struct ViewBuilder<'a> {
    pub content: &'a Content,
    pub registry: &'a Registry,
    pub urls: &'a Urls,
    /// Each declared source's citation link and label, made once: pages cite
    /// the same few sources over and over, and a label formats a date.
    citations: FxHashMap<&'a str, (String, String)>,
}

impl<'a> ViewBuilder<'a> {
    pub fn new(content: &'a Content, registry: &'a Registry, urls: &'a Urls) -> Self {
        let mut view = ViewBuilder {
            content,
            registry,
            urls,
            citations: FxHashMap::default(),
        };
        let citations = registry
            .sources
            .iter()
            .filter_map(|s| {
                let id = s.item.id.as_str();
                Some((id, (view.source_href(id)?, view.citation_label(id)?)))
            })
            .collect();
        view.citations = citations;
        view
    }

    /// The link target and label of a citation of source `id`.
    pub fn citation(&self, id: &str) -> Option<(String, String)> {
        self.citations.get(id).cloned()
    }

    fn doc_href(&self, doc: usize) -> String {
        self.urls.permalink(&self.content.docs[doc].path)
    }

    fn page_ref(&self, doc: usize) -> PageRef {
        PageRef {
            title: self.content.docs[doc].title().to_string(),
            href: self.doc_href(doc),
        }
    }

    fn item_href(&self, origin: Origin, anchor: &str) -> String {
        format!("{}#{anchor}", self.doc_href(origin.doc))
    }

    /// Link target of a source's entry.
    fn source_href(&self, id: &str) -> Option<String> {
        self.registry
            .source(id)
            .map(|s| self.item_href(s.origin, &format!("src-{id}")))
    }

    /// The text a citation link shows: "Publisher, 4 May 2023" or the title.
    fn citation_label(&self, id: &str) -> Option<String> {
        let s = &self.registry.source(id)?.item;
        let who = s.publisher.clone().unwrap_or_else(|| s.title.clone());
        Some(match &s.date {
            Some(d) => format!("{who}, {}", d.day.strftime("%-d %B %Y")),
            None => who,
        })
    }

    fn source_ref(&self, id: &str) -> Option<SourceRef> {
        let s = self.registry.source(id)?;
        Some(SourceRef {
            id: id.to_string(),
            title: s.item.title.clone(),
            href: self.source_href(id)?,
            publisher: s.item.publisher.clone(),
            date: s.item.date.as_ref().map(|d| d.text.clone()),
        })
    }

    fn party_ref(&self, id: &str) -> Option<PartyRef> {
        let p = self.registry.parties.iter().find(|p| p.item.id == id)?;
        let href = p
            .item
            .page
            .as_deref()
            .and_then(|page| self.content.by_path(page))
            .map(|d| self.urls.permalink(&d.path))
            .unwrap_or_default();
        Some(PartyRef {
            id: id.to_string(),
            name: p.item.name.clone(),
            href,
        })
    }

    fn question_ref(&self, id: &str) -> Option<QuestionRef> {
        let q = self.registry.questions.iter().find(|q| q.item.id == id)?;
        Some(QuestionRef {
            id: id.to_string(),
            title: q.item.title.clone(),
            href: self.item_href(q.origin, &format!("q-{id}")),
        })
    }

    fn statement(&self, s: &Located<StatementDecl>) -> StatementView {
        let it = &s.item;
        let translation = self.registry.translation(self.content, s);
        let anchor = format!("st-{}", it.id);
        StatementView {
            id: it.id.clone(),
            href: self.item_href(s.origin, &anchor),
            anchor,
            speaker: it.speaker.clone(),
            party: self.party_ref(&it.party),
            on_behalf: it.on_behalf.clone(),
            date: it.date.text.clone(),
            when: it.when.clone(),
            date_note: it.date_note.clone(),
            kind: match it.kind {
                crate::editorial::StatementKind::Quote => "quote",
                crate::editorial::StatementKind::Paraphrase => "paraphrase",
            },
            kind_label: match &translation {
                Some(_) if it.kind == crate::editorial::StatementKind::Quote => {
                    "Translated quotation"
                }
                _ => it.kind.label(),
            },
            status: it.status.id(),
            status_label: it.status.label(),
            question: it.question.as_deref().and_then(|q| self.question_ref(q)),
            text: it.text.clone(),
            fragment: it.kind == crate::editorial::StatementKind::Quote && is_fragment(&it.text),
            basis: it.basis_passage().to_string(),
            source: self.source_ref(&it.source),
            page: self.page_ref(s.origin.doc),
            translated: translation.is_some(),
            original: translation.as_ref().and(it.original.clone()),
            original_lang: translation.as_ref().map(|(_, l)| l.to_string()),
            translation_label: translation
                .as_ref()
                .map(|(page, _)| translation_label(page)),
        }
    }

    fn statements_where(&self, keep: impl Fn(&StatementDecl) -> bool) -> Vec<StatementView> {
        self.registry
            .statements
            .iter()
            .filter(|s| keep(&s.item))
            .map(|s| self.statement(s))
            .collect()
    }

    fn fact(&self, f: &Located<crate::editorial::FactDecl>) -> FactView {
        let it = &f.item;
        let anchor = format!("fact-{}", it.id);
        FactView {
            id: it.id.clone(),
            href: self.item_href(f.origin, &anchor),
            anchor,
            list: match it.list {
                crate::editorial::FactList::Known => "known",
                crate::editorial::FactList::Unknown => "unknown",
            },
            text: it.text.clone(),
            status: it.status.id(),
            status_label: it.status.label(),
            source: it.source.as_deref().and_then(|s| self.source_ref(s)),
            basis: it.basis.clone(),
            rests_on: it
                .rests_on
                .iter()
                .filter_map(|id| self.registry.statement(id))
                .map(|s| self.statement(s))
                .collect(),
        }
    }

    fn event(&self, e: &Located<crate::editorial::EventDecl>) -> EventView {
        let it = &e.item;
        let anchor = format!("ev-{}", it.id);
        EventView {
            id: it.id.clone(),
            href: self.item_href(e.origin, &anchor),
            anchor,
            date: it.date.text.clone(),
            datetime: it.precision.datetime(&it.date),
            when: it.when.clone(),
            derived: it.derived.clone(),
            text: it.text.clone(),
            status: it.status.id(),
            status_label: it.status.label(),
            source: self.source_ref(&it.source),
            basis: it.basis.clone(),
        }
    }

    fn change(&self, c: &Located<crate::editorial::ChangeDecl>) -> ChangeView {
        ChangeView {
            date: c.item.date.text.clone(),
            kind: match c.item.kind {
                crate::editorial::ChangeKind::Update => "update",
                crate::editorial::ChangeKind::Correction => "correction",
            },
            note: c.item.note.clone(),
            page: self.page_ref(c.origin.doc),
        }
    }

    /// Who cites a source: statements, facts, events, and prose citations.
    fn cited_by(&self, id: &str, prose: &ProseBySource<'_>) -> Vec<Backlink> {
        let mut links = Vec::new();
        for s in self
            .registry
            .statements
            .iter()
            .filter(|s| s.item.source == id)
        {
            let anchor = format!("st-{}", s.item.id);
            links.push(Backlink {
                id: anchor.clone(),
                label: format!(
                    "{} — {}",
                    s.item.speaker,
                    self.content.docs[s.origin.doc].title()
                ),
                href: self.item_href(s.origin, &anchor),
            });
        }
        for f in self
            .registry
            .facts
            .iter()
            .filter(|f| f.item.source.as_deref() == Some(id))
        {
            let anchor = format!("fact-{}", f.item.id);
            let list = match f.item.list {
                crate::editorial::FactList::Known => "What we know",
                crate::editorial::FactList::Unknown => "What we don’t know",
            };
            links.push(Backlink {
                id: anchor.clone(),
                label: format!("{list}: {}", shorten(&f.item.text, 70)),
                href: self.item_href(f.origin, &anchor),
            });
        }
        for e in self.registry.events.iter().filter(|e| e.item.source == id) {
            let anchor = format!("ev-{}", e.item.id);
            links.push(Backlink {
                id: anchor.clone(),
                label: format!("Timeline: {}", shorten(&e.item.text, 70)),
                href: self.item_href(e.origin, &anchor),
            });
        }
        // One link per page whose text cites the source: to its first citation.
        for &(doc, c) in prose.get(id).into_iter().flatten() {
            links.push(Backlink {
                id: c.anchor.clone(),
                label: format!("The text of “{}”", self.content.docs[doc].title()),
                href: format!("{}#{}", self.doc_href(doc), c.anchor),
            });
        }
        links
    }

    /// The `explainer` object pages render with before the prose citations
    /// are counted: each source's `cited_by` is one placeholder backlink, all
    /// of whose fields are [`CITED_BY_LATER`].
    pub fn explainer_before_prose(&self) -> ExplainerView {
        let mut explainer = self.explainer(&[]);
        for source in &mut explainer.sources {
            source.cited_by = vec![Backlink {
                id: CITED_BY_LATER.to_string(),
                label: CITED_BY_LATER.to_string(),
                href: CITED_BY_LATER.to_string(),
            }];
        }
        explainer
    }

    /// Build the whole `explainer` object. `prose` holds each document's `[@id]` citations.
    pub fn explainer(&self, prose: &[(usize, &[FoundCitation])]) -> ExplainerView {
        let reg = self.registry;
        let prose = first_citations_by_source(prose);
        let sources = reg
            .sources
            .iter()
            .map(|s| {
                let it = &s.item;
                SourceView {
                    id: it.id.clone(),
                    anchor: format!("src-{}", it.id),
                    href: self.item_href(s.origin, &format!("src-{}", it.id)),
                    title: it.title.clone(),
                    publisher: it.publisher.clone(),
                    author: it.author.clone(),
                    date: it.date.as_ref().map(|d| d.text.clone()),
                    kind: serde_json::to_value(it.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    kind_label: it.kind.label(),
                    url: it.url.clone(),
                    accessed: it.accessed.as_ref().map(|d| d.text.clone()),
                    via: it.via.as_deref().and_then(|v| self.source_ref(v)),
                    archived: reg.archives.contains_key(&it.id),
                    archive: reg.archives.get(&it.id).map(|a| ArchiveView {
                        kind: a.kind,
                        captured: a.captured.clone(),
                        captured_url: a.captured_url.clone(),
                        hash: a.hash.clone(),
                        short_hash: a.hash.chars().take(12).collect(),
                    }),
                    note: it.note.clone(),
                    cited_by: self.cited_by(&it.id, &prose),
                }
            })
            .collect();
        let facts: Vec<FactView> = reg.facts.iter().map(|f| self.fact(f)).collect();
        let mut events: Vec<EventView> = reg.events.iter().map(|e| self.event(e)).collect();
        events.sort_by(|a, b| a.date.cmp(&b.date));
        let parties = reg
            .parties
            .iter()
            .map(|p| {
                let r = self.party_ref(&p.item.id).expect("party is registered");
                PartyView {
                    id: r.id,
                    name: r.name,
                    href: r.href,
                    description: p.item.description.clone(),
                    statements: self.statements_where(|s| s.party == p.item.id),
                }
            })
            .collect();
        let questions = reg
            .questions
            .iter()
            .map(|q| QuestionView {
                id: q.item.id.clone(),
                anchor: format!("q-{}", q.item.id),
                title: q.item.title.clone(),
                answers: reg
                    .parties
                    .iter()
                    .filter_map(|p| {
                        Some(AnswerView {
                            party: self.party_ref(&p.item.id)?,
                            statements: self.statements_where(|s| {
                                s.party == p.item.id
                                    && s.question.as_deref() == Some(q.item.id.as_str())
                            }),
                        })
                    })
                    .collect(),
            })
            .collect();
        let mut changes: Vec<ChangeView> = reg.changes.iter().map(|c| self.change(c)).collect();
        changes.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.page.href.cmp(&b.page.href))
        });
        ExplainerView {
            sources,
            statements: self.statements_where(|_| true),
            facts_known: facts
                .iter()
                .filter(|f| f.list == "known")
                .cloned()
                .collect(),
            facts_unknown: facts
                .iter()
                .filter(|f| f.list == "unknown")
                .cloned()
                .collect(),
            facts,
            events,
            parties,
            questions,
            labels: Status::ALL
                .iter()
                .map(|s| LabelView {
                    id: s.id(),
                    label: s.label(),
                    meaning: s.meaning(),
                })
                .collect(),
            changes,
        }
    }

    /// The items declared in one document.
    pub fn doc_items(&self, doc: usize) -> DocItems {
        let reg = self.registry;
        let mut events: Vec<EventView> = reg
            .events
            .iter()
            .filter(|e| e.origin.doc == doc)
            .map(|e| self.event(e))
            .collect();
        events.sort_by(|a, b| a.date.cmp(&b.date));
        DocItems {
            statements: reg
                .statements
                .iter()
                .filter(|s| s.origin.doc == doc)
                .map(|s| self.statement(s))
                .collect(),
            facts: reg
                .facts
                .iter()
                .filter(|f| f.origin.doc == doc)
                .map(|f| self.fact(f))
                .collect(),
            events,
            changes: reg
                .changes
                .iter()
                .filter(|c| c.origin.doc == doc)
                .map(|c| self.change(c))
                .collect(),
        }
    }
}

/// Whether quoted words are less than a sentence: they start in lower case or
/// end without a full stop, question or exclamation mark.
/// "our translation" in the language `code`: the label of a quotation we
/// translated (English for a language not listed here).
pub fn translation_label(code: &str) -> &'static str {
    match code.split('-').next().unwrap_or(code) {
        "fr" => "notre traduction",
        "de" => "unsere Übersetzung",
        "es" => "nuestra traducción",
        "it" => "nostra traduzione",
        "pt" => "nossa tradução",
        "nl" => "onze vertaling",
        "pl" => "nasze tłumaczenie",
        "uk" => "наш переклад",
        "ru" => "наш перевод",
        _ => "our translation",
    }
}

fn is_fragment(text: &str) -> bool {
    let text = text.trim();
    let starts_lower = text.chars().next().is_some_and(char::is_lowercase);
    let ends_open = !text.ends_with(['.', '?', '!', '…']);
    starts_lower || ends_open
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut}…")
}

/// Each page's first citation of each source, grouped by source, pages in
/// the order given: one pass over every prose citation of the site (40 000
/// at 10 000 pages), not one per source.
type ProseBySource<'a> = FxHashMap<&'a str, Vec<(usize, &'a FoundCitation)>>;

fn first_citations_by_source<'a>(prose: &[(usize, &'a [FoundCitation])]) -> ProseBySource<'a> {
    let mut by_source = ProseBySource::default();
    for &(doc, cites) in prose {
        for (i, c) in cites.iter().enumerate() {
            if cites[..i].iter().all(|earlier| earlier.source != c.source) {
                by_source
                    .entry(c.source.as_str())
                    .or_default()
                    .push((doc, c));
            }
        }
    }
    by_source
}

#[cfg(test)]
mod tests {
    use super::is_fragment;

    #[test]
    fn quotations_of_part_of_a_sentence_are_fragments() {
        assert!(is_fragment("preparing a large-scale terrorist provocation"));
        assert!(is_fragment(
            "as a planned terrorist act and an assassination attempt on the president"
        ));
        assert!(is_fragment("Last night, the Kyiv regime attempted"));
        assert!(!is_fragment(
            "Last night, the Kyiv regime attempted a strike."
        ));
    }
}
