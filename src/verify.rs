//! Verify stage: proves the site's sourcing holds before anything is written —
//! citations, verbatim quotations, basis passages, labels and internal links.
//!
//! Every finding is a located [`Diagnostic`]; the counts feed `check`'s summary.

pub mod html_tags;
pub mod rendered;

use crate::content::Content;
use crate::diagnostics::{Diagnostic, Report};
use crate::editorial::{StatementDecl, StatementKind, Status};
use crate::markdown::Facts;
use crate::quotation::{self, MIN_STATEMENT_WORDS, Quotation};
use crate::registry::{Located, Origin, Registry, located};
use crate::render::StaticFile;
use rayon::prelude::*;
use rendered::Written;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What the checks counted, for the summary line.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub statements: usize,
    pub quotations_verified: usize,
    pub basis_verified: usize,
    pub items_with_basis: usize,
    pub assessments: usize,
    pub citations: usize,
    pub internal_links: usize,
    pub external_links: usize,
}

/// Everything the checks look at.
pub struct Verifier<'a> {
    pub content: &'a Content,
    pub registry: &'a Registry,
    /// The facts of every document's body, indexed like `content.docs`.
    pub facts: &'a [Arc<Facts>],
    pub static_files: &'a [StaticFile],
    /// Every path the render wrote or kept.
    pub written: &'a Written,
    /// The documents whose links to check, when not all: see
    /// [`links_to_check`].
    pub links_of: Option<&'a [bool]>,
}

/// One check of the build: its findings go to the report, its counts to the stats.
type Check = fn(&Verifier<'_>, &mut Report, &mut Stats);

/// Every check [`Verifier::run`] makes.
const CHECKS: [Check; 9] = [
    |v, report, stats| v.check_references(report, stats),
    |v, report, stats| v.check_passages(report, stats),
    |v, report, stats| v.check_body_quotations(report, stats),
    |v, report, stats| v.check_item_quotations(report, stats),
    |v, report, stats| v.check_front_matter_quotations(report, stats),
    |v, report, _| v.check_labels(report),
    |v, report, _| v.check_uncited(report),
    |v, report, stats| v.check_links(report, stats),
    |v, report, _| v.check_static_collisions(report),
];

impl Stats {
    /// Add the counts of `other` to these.
    fn add(&mut self, other: &Stats) {
        self.statements += other.statements;
        self.quotations_verified += other.quotations_verified;
        self.basis_verified += other.basis_verified;
        self.items_with_basis += other.items_with_basis;
        self.assessments += other.assessments;
        self.citations += other.citations;
        self.internal_links += other.internal_links;
        self.external_links += other.external_links;
    }
}

impl Verifier<'_> {
    /// Run every check. The checks read the same finished render and nothing
    /// of each other's, so they run side by side; their findings are sorted,
    /// so the report is the same whichever finishes first.
    pub fn run(&self) -> (Report, Stats) {
        let found: Vec<(Report, Stats)> = (CHECKS.par_iter())
            .map(|check| {
                let mut report = Report::default();
                let mut stats = Stats::default();
                check(self, &mut report, &mut stats);
                (report, stats)
            })
            .collect();
        let mut report = Report::default();
        let mut stats = Stats::default();
        for (r, s) in found {
            report.extend(r.diagnostics);
            stats.add(&s);
        }
        report.sort();
        (report, stats)
    }

    fn err(&self, origin: Origin, needle: &str, code: &'static str, message: String) -> Diagnostic {
        located(self.content, origin, needle, code, message)
    }

    /// An unknown source id, with the closest known one.
    fn unknown_source(&self, origin: Origin, id: &str) -> Diagnostic {
        let d = self.err(origin, id, "citation", format!("unknown source `{id}`"));
        match closest(id, self.registry.source_ids()) {
            Some(best) => d.note(format!("did you mean `{best}`?")),
            None => d.note("declare it in a [[sources]] table (see the sources page)"),
        }
    }

    fn check_references(&self, report: &mut Report, stats: &mut Stats) {
        let reg = self.registry;
        let party_ids: HashSet<&str> = reg.parties.iter().map(|p| p.item.id.as_str()).collect();
        let question_ids: HashSet<&str> =
            reg.questions.iter().map(|q| q.item.id.as_str()).collect();
        for s in &reg.statements {
            stats.statements += 1;
            stats.citations += 1;
            let it = &s.item;
            if reg.source(&it.source).is_none() {
                report.push(self.unknown_source(s.origin, &it.source));
            }
            if !party_ids.contains(it.party.as_str()) {
                report.push(
                    self.err(
                        s.origin,
                        &it.party,
                        "editorial",
                        format!("unknown party `{}`", it.party),
                    )
                    .note(format!("known parties: {}", sorted(&party_ids))),
                );
            }
            if let Some(q) = &it.question
                && !question_ids.contains(q.as_str())
            {
                report.push(
                    self.err(s.origin, q, "editorial", format!("unknown question `{q}`"))
                        .note(format!("known questions: {}", sorted(&question_ids))),
                );
            }
        }
        for f in &reg.facts {
            let it = &f.item;
            match &it.source {
                Some(src) => {
                    stats.citations += 1;
                    if reg.source(src).is_none() {
                        report.push(self.unknown_source(f.origin, src));
                    }
                }
                None if it.status != Status::Assessment => report.push(self.err(
                    f.origin,
                    &it.id,
                    "citation",
                    format!(
                        "fact `{}` has no `source`: only an Assessment may go without a citation",
                        it.id
                    ),
                )),
                None => {}
            }
            if it.status == Status::Assessment && it.rests_on.is_empty() {
                report.push(self.err(f.origin, &it.id, "provenance", format!(
                    "assessment `{}` must say what it rests on: add `rests_on = [\"statement-id\", …]`", it.id
                )));
            }
            for r in &it.rests_on {
                if reg.statement(r).is_none() {
                    let d = self.err(
                        f.origin,
                        r,
                        "provenance",
                        format!("`rests_on` names unknown statement `{r}`"),
                    );
                    let ids = reg.statements.iter().map(|s| s.item.id.as_str());
                    report.push(match closest(r, ids) {
                        Some(b) => d.note(format!("did you mean `{b}`?")),
                        None => d,
                    });
                }
            }
        }
        for e in &reg.events {
            stats.citations += 1;
            if reg.source(&e.item.source).is_none() {
                report.push(self.unknown_source(e.origin, &e.item.source));
            }
        }
        for s in &reg.sources {
            if let Some(url) = &s.item.url
                && let Err(why) = crate::urls::web_url(url)
            {
                report.push(
                    self.err(
                        s.origin,
                        url,
                        "source",
                        format!("bad `url` {url:?} of source `{}`: {why}", s.item.id),
                    )
                    .note("a source's url must be the absolute http(s) address of the page, e.g. \"https://www.example.org/news/123\"; leave it out if it is not known (the sources page then says \"URL not recorded\")"),
                );
            }
            if let Some(via) = &s.item.via
                && reg.source(via).is_none()
            {
                report.push(self.unknown_source(s.origin, via));
            }
        }
        for p in &reg.parties {
            let Some(page) = &p.item.page else { continue };
            if self.content.by_path(page).is_none() {
                report.push(self.err(
                    p.origin,
                    page,
                    "link",
                    format!(
                        "party `{}` names page {page:?}, which does not exist",
                        p.item.id
                    ),
                ));
            }
        }
        for (doc, md) in self.facts.iter().enumerate() {
            for c in &md.citations {
                stats.citations += 1;
                if reg.source(&c.source).is_none() {
                    let d = &self.content.docs[doc];
                    let mut diag =
                        Diagnostic::error("citation", format!("unknown source `{}`", c.source))
                            .in_file(&d.source)
                            .at_offset(&self.content.text_of(d), d.body_offset + c.offset);
                    diag = match closest(&c.source, reg.source_ids()) {
                        Some(b) => diag.note(format!("did you mean `{b}`?")),
                        None => diag,
                    };
                    report.push(diag);
                }
            }
        }
    }

    /// Quotations and basis passages must appear verbatim in the archived source.
    fn check_passages(&self, report: &mut Report, stats: &mut Stats) {
        let reg = self.registry;
        self.check_source_languages(report);
        for s in &reg.statements {
            let it = &s.item;
            if let Some(words) = self.quoted_words(s, report)
                && let Some(ok) =
                    self.check_passage(s.origin, &it.source, words, "quotation", report)
            {
                stats.quotations_verified += ok as usize;
            }
            match (&it.basis, it.kind) {
                (None, StatementKind::Paraphrase) => report.push(self.err(s.origin, &it.id, "provenance", format!(
                    "paraphrase `{}` has no `basis`: give the passage of the source it rests on", it.id
                ))),
                (Some(b), _) => {
                    stats.items_with_basis += 1;
                    if let Some(ok) = self.check_passage(s.origin, &it.source, b, "basis", report) {
                        stats.basis_verified += ok as usize;
                    }
                }
                (None, StatementKind::Quote) => {
                    stats.items_with_basis += 1;
                    if reg.archive_for(&it.source).is_some() && self.passage_found(&it.source, it.basis_passage()) {
                        stats.basis_verified += 1;
                    }
                }
            }
        }
        for f in &reg.facts {
            let it = &f.item;
            if it.status == Status::Assessment {
                stats.assessments += 1;
                continue;
            }
            let (Some(src), basis) = (&it.source, &it.basis) else {
                continue;
            };
            match basis {
                Some(b) => {
                    stats.items_with_basis += 1;
                    if let Some(ok) = self.check_passage(f.origin, src, b, "basis", report) {
                        stats.basis_verified += ok as usize;
                    }
                }
                None => report.push(self.err(
                    f.origin,
                    &it.id,
                    "provenance",
                    format!(
                        "fact `{}` has no `basis`: give the passage of the source it rests on",
                        it.id
                    ),
                )),
            }
        }
        for e in &reg.events {
            stats.items_with_basis += 1;
            if let Some(ok) =
                self.check_passage(e.origin, &e.item.source, &e.item.basis, "basis", report)
            {
                stats.basis_verified += ok as usize;
            }
        }
    }

    /// A source's `lang` must be a language code.
    fn check_source_languages(&self, report: &mut Report) {
        for s in &self.registry.sources {
            if let Some(code) = &s.item.lang
                && !crate::config::is_language_code(code)
            {
                report.push(self.err(
                    s.origin,
                    code,
                    "provenance",
                    format!("bad language code {code:?} for source `{}`: use a code such as \"en\" or \"uk\"", s.item.id),
                ));
            }
        }
    }

    /// The words a statement's quotation is checked with: its `text`, or for a
    /// quotation translated into the page's language (the source's archive
    /// is in another one) its `original`. `None`, with the error, when a
    /// translation has no original or an `original` stands where nothing is
    /// translated; `None` for a paraphrase.
    fn quoted_words<'s>(
        &self,
        s: &'s Located<StatementDecl>,
        report: &mut Report,
    ) -> Option<&'s str> {
        let it = &s.item;
        let langs = self.registry.translation(self.content, s);
        let page_lang = &*self.content.docs[s.origin.doc].lang;
        match (it.kind, &it.original, langs.is_some()) {
            (StatementKind::Paraphrase, Some(original), _) => {
                report.push(self.err(s.origin, original, "quotation", format!(
                    "paraphrase `{}` has an `original`: only a translated quotation has one (a paraphrase rests on its `basis`)", it.id
                )));
                None
            }
            (StatementKind::Paraphrase, None, _) => None,
            (StatementKind::Quote, Some(original), false) => {
                report.push(self.err(s.origin, original, "quotation", format!(
                    "quotation `{}` has an `original`, but the page and source `{}` are both in {page_lang:?}: nothing is translated",
                    it.id, it.source
                )).note("put the source's words in `text` and leave `original` out"));
                None
            }
            (StatementKind::Quote, None, true) => {
                let source_lang = langs.map_or_else(String::new, |(_, l)| l.to_string());
                report.push(self.err(s.origin, &it.text, "quotation", format!(
                    "quotation `{}` is on a page in {page_lang:?}, but source `{}` is in {source_lang:?}: a translated quotation needs the source's own words in `original`",
                    it.id, it.source
                )).note("`original` is checked against the archive; `text` is shown as our translation"));
                None
            }
            (StatementKind::Quote, Some(original), true) if original.trim() == it.text.trim() => {
                report.push(self.err(s.origin, "original", "quotation", format!(
                    "the `original` of quotation `{}` repeats its `text`: give the words as source `{}` has them",
                    it.id, it.source
                )));
                None
            }
            (StatementKind::Quote, Some(original), true) => Some(original),
            (StatementKind::Quote, None, false) => Some(&it.text),
        }
    }

    /// Quotations in prose must be in the archive of the source cited for
    /// them. Each different quotation of a source is checked once, however
    /// often it is quoted.
    fn check_body_quotations(&self, report: &mut Report, stats: &mut Stats) {
        // Each different (source, words) once, in order of appearance;
        // `which` gives every quotation's place in it, in the order of the pages.
        let mut distinct: indexmap::IndexSet<(Option<&str>, &str), rustc_hash::FxBuildHasher> =
            indexmap::IndexSet::default();
        let mut which = Vec::new();
        for f in self.facts {
            for q in &f.quotations {
                which.push(distinct.insert_full((q.source.as_deref(), &*q.text)).0);
            }
        }
        let outcomes: Vec<Outcome> = (distinct.par_iter())
            .map(|&(source, text)| self.prose_quotation(text, source))
            .collect();
        let mut which = which.into_iter();
        let mut texts: HashMap<usize, String> = HashMap::new();
        for (i, f) in self.facts.iter().enumerate() {
            for q in &f.quotations {
                let outcome = which.next().map(|n| &outcomes[n]);
                match outcome {
                    Some(Outcome::Verified) => stats.quotations_verified += 1,
                    Some(Outcome::Finding(d)) => {
                        let doc = &self.content.docs[i];
                        let text = texts.entry(i).or_insert_with(|| self.content.text_of(doc));
                        report.push(
                            d.clone()
                                .in_file(&doc.source)
                                .at_offset(text, doc.body_offset + q.offset),
                        );
                    }
                    Some(Outcome::Unchecked) | None => {}
                }
            }
        }
    }

    /// Quotations inside the `text` of declared items (and a statement's
    /// `date_note`) must be in the archive of the item's source.
    fn check_item_quotations(&self, report: &mut Report, stats: &mut Stats) {
        let reg = self.registry;
        let items = reg
            .statements
            .iter()
            .filter(|s| s.item.kind == StatementKind::Paraphrase)
            .map(|s| (s.origin, &s.item.text, Some(s.item.source.as_str())))
            .chain(
                reg.facts
                    .iter()
                    .map(|f| (f.origin, &f.item.text, f.item.source.as_deref())),
            )
            .chain(
                reg.events
                    .iter()
                    .map(|e| (e.origin, &e.item.text, Some(e.item.source.as_str()))),
            )
            .chain(reg.statements.iter().filter_map(|s| {
                let note = s.item.date_note.as_ref()?;
                Some((s.origin, note, Some(s.item.source.as_str())))
            }))
            .chain(reg.events.iter().filter_map(|e| {
                let derived = e.item.derived.as_ref()?;
                Some((e.origin, derived, Some(e.item.source.as_str())))
            }));
        for (origin, text, source) in items {
            for quoted in crate::markdown::quotations_in(text) {
                let at = |d: Diagnostic| {
                    let mut located = self.err(origin, &quoted, d.code, d.message.clone());
                    located.severity = d.severity;
                    located.notes = d.notes;
                    located
                };
                match self.prose_quotation(&quoted, source) {
                    Outcome::Verified => stats.quotations_verified += 1,
                    Outcome::Unchecked => {}
                    Outcome::Finding(d) => report.push(at(d)),
                }
            }
        }
    }

    /// Quotations (“…”) in a document's `title`, `description` and the strings
    /// of its `extra` have no citation beside them: each must be in the
    /// archive of a source the document cites (a `[@source]` in its body, or
    /// the source of an item it declares).
    fn check_front_matter_quotations(&self, report: &mut Report, stats: &mut Stats) {
        for (i, doc) in self.content.docs.iter().enumerate() {
            let mut quoted: Vec<(&str, String)> = Vec::new();
            let mut add = |key: &'static str, text: &str| {
                // Curly quotation marks only: a straight "…" in a title is
                // as often a nickname or a scare quote as a quotation. So a
                // text without `“` quotes nothing (most pages, every build).
                if text.contains('“') {
                    let found = crate::markdown::quotations_in(&text.replace('"', " "));
                    quoted.extend(found.into_iter().map(|q| (key, q)));
                }
            };
            if let Some(t) = &doc.meta.title {
                add("title", t);
            }
            if let Some(d) = &doc.meta.description {
                add("description", d);
            }
            if let Some(extra) = &doc.meta.extra {
                strings_of(extra, &mut |s| add("extra", s));
            }
            if quoted.is_empty() {
                continue;
            }
            let cited = self.sources_cited_by(i);
            let origin = Origin {
                doc: i,
                key: "",
                index: 0,
            };
            for (key, q) in quoted {
                let at = |d: Diagnostic| {
                    let mut located =
                        self.err(origin, &q, d.code, format!("in `{key}`: {}", d.message));
                    located.severity = d.severity;
                    located.notes = d.notes;
                    located
                };
                if cited.is_empty() {
                    report.push(at(Diagnostic::error(
                        "quotation",
                        format!("quotation with no source: “{}”", q.trim()),
                    )
                    .note("a quotation in `title`, `description` or `extra` is checked against the sources the page cites; cite its source in the page's text ([@source-id])")));
                    continue;
                }
                let outcomes: Vec<Outcome> = cited
                    .iter()
                    .map(|s| self.prose_quotation(&q, Some(s)))
                    .collect();
                if outcomes.iter().any(|o| matches!(o, Outcome::Verified)) {
                    stats.quotations_verified += 1;
                } else if let Some(Outcome::Finding(d)) = outcomes
                    .into_iter()
                    .find(|o| matches!(o, Outcome::Finding(d) if d.is_error()))
                {
                    report.push(at(d.note(format!(
                        "checked against every source the page cites: {}",
                        cited.join(", ")
                    ))));
                }
            }
        }
    }

    /// The sources document `doc` cites, in order, without repeats.
    fn sources_cited_by(&self, doc: usize) -> Vec<&str> {
        let reg = self.registry;
        let body = self.facts[doc].citations.iter().map(|c| c.source.as_str());
        let items = reg
            .statements
            .iter()
            .filter(|s| s.origin.doc == doc)
            .map(|s| s.item.source.as_str())
            .chain(
                reg.facts
                    .iter()
                    .filter(|f| f.origin.doc == doc)
                    .filter_map(|f| f.item.source.as_deref()),
            )
            .chain(
                reg.events
                    .iter()
                    .filter(|e| e.origin.doc == doc)
                    .map(|e| e.item.source.as_str()),
            );
        let mut seen = HashSet::new();
        body.chain(items).filter(|s| seen.insert(*s)).collect()
    }

    /// Check one quotation of prose against the archive of `source`.
    fn prose_quotation(&self, text: &str, source: Option<&str>) -> Outcome {
        let Some(source) = source else {
            return Outcome::Finding(Diagnostic::error(
                "quotation",
                format!("quotation with no citation nearby: “{}”", text.trim()),
            )
            .note("cite its source in the same paragraph, list item or heading: “…” [@source-id]")
            .note("a block quotation may be cited in the paragraph right before or after it; if these are not the source's words, do not put them in quotation marks"));
        };
        if self.registry.source(source).is_none() || self.registry.archive_unreadable(source) {
            return Outcome::Unchecked; // the unknown citation or bad archive is reported on its own
        }
        let Some(archive) = self.registry.archive_for(source) else {
            return Outcome::Finding(Diagnostic::warning(
                "quotation",
                format!("quotation cannot be checked: source `{source}` has no archived text"),
            )
            .note("add `archive = \"file.txt\"` to the source (or to the source it is reported by)"));
        };
        let quotation = match Quotation::parse(text, 1) {
            Ok(q) => q,
            Err(why) => {
                return Outcome::Finding(Diagnostic::error("quotation", why.explain("quotation")));
            }
        };
        if quotation.found_in(&archive.passages) {
            return Outcome::Verified;
        }
        Outcome::Finding(not_found(
            Diagnostic::error("quotation", String::new()),
            "quotation",
            text,
            source,
            archive,
            &quotation,
        ))
    }

    fn passage_found(&self, source: &str, passage: &str) -> bool {
        let archive = self.registry.archive_for(source);
        let quotation = Quotation::parse(passage, MIN_STATEMENT_WORDS);
        matches!((archive, quotation), (Some(a), Ok(q)) if q.found_in(&a.passages))
    }

    /// Check one passage; `None` when it cannot be checked (unknown source or no archive).
    fn check_passage(
        &self,
        origin: Origin,
        source: &str,
        passage: &str,
        what: &'static str,
        report: &mut Report,
    ) -> Option<bool> {
        self.registry.source(source)?;
        if self.registry.archive_unreadable(source) {
            return None;
        }
        let Some(archive) = self.registry.archive_for(source) else {
            let mut d = self.err(
                origin,
                passage,
                what,
                format!("{what} cannot be checked: source `{source}` has no archived text"),
            );
            d.severity = crate::diagnostics::Severity::Warning;
            report.push(d.note(
                "add `archive = \"file.txt\"` to the source (or to the source it is reported by)",
            ));
            return None;
        };
        let label = if what == "quotation" {
            "quotation"
        } else {
            "basis passage"
        };
        let quotation = match Quotation::parse(passage, MIN_STATEMENT_WORDS) {
            Ok(q) => q,
            Err(why) => {
                let needle = if passage.trim().is_empty() {
                    &origin_id(passage)
                } else {
                    passage
                };
                report.push(self.err(origin, needle, what, why.explain(label)));
                return Some(false);
            }
        };
        if quotation.found_in(&archive.passages) {
            return Some(true);
        }
        report.push(not_found(
            self.err(origin, passage, what, String::new()),
            label,
            passage,
            source,
            archive,
            &quotation,
        ));
        Some(false)
    }

    fn check_labels(&self, report: &mut Report) {
        let reg = self.registry;
        let mut check = |origin: Origin, status: Status, source: Option<&str>, id: &str| {
            if status != Status::Confirmed {
                return;
            }
            let ok = source
                .and_then(|s| reg.source(s))
                .is_some_and(|s| s.item.kind.can_confirm());
            if !ok {
                report.push(self.err(origin, "confirmed", "label", format!(
                    "`{id}` is labelled Confirmed but does not cite a source that can confirm (kind `document` or `verification`)"
                )).note("use Claimed, Reported or Unverified, or cite a confirming source"));
            }
        };
        for s in &reg.statements {
            check(s.origin, s.item.status, Some(&s.item.source), &s.item.id);
        }
        for f in &reg.facts {
            check(
                f.origin,
                f.item.status,
                f.item.source.as_deref(),
                &f.item.id,
            );
        }
        for e in &reg.events {
            check(e.origin, e.item.status, Some(&e.item.source), &e.item.id);
        }
    }

    fn check_uncited(&self, report: &mut Report) {
        let reg = self.registry;
        let mut cited: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
        cited.extend(reg.statements.iter().map(|s| s.item.source.as_str()));
        cited.extend(reg.facts.iter().filter_map(|f| f.item.source.as_deref()));
        cited.extend(reg.events.iter().map(|e| e.item.source.as_str()));
        cited.extend(reg.sources.iter().filter_map(|s| s.item.via.as_deref()));
        cited.extend(
            self.facts
                .iter()
                .flat_map(|m| m.citations.iter().map(|c| c.source.as_str())),
        );
        for s in &reg.sources {
            if !cited.contains(s.item.id.as_str()) {
                let mut d = self.err(
                    s.origin,
                    &s.item.id,
                    "citation",
                    format!("source `{}` is recorded but nothing cites it", s.item.id),
                );
                d.severity = crate::diagnostics::Severity::Warning;
                report.push(d);
            }
        }
    }

    /// A file in `static/` must not land where the build writes a file of
    /// its own: a path the render wrote twice.
    fn check_static_collisions(&self, report: &mut Report) {
        for f in self.static_files {
            if self
                .written
                .files
                .get(&f.rel)
                .is_none_or(|&times| times < 2)
            {
                continue;
            }
            report.push(
                Diagnostic::error(
                    "static",
                    format!(
                        "static/{} would replace {} at /{}",
                        f.rel,
                        self.generated(&f.rel),
                        f.rel
                    ),
                )
                .in_file(std::path::Path::new(crate::render::STATIC_DIR).join(&f.rel))
                .note("rename or move the static file; generated files cannot be overridden from static/"),
            );
        }
    }

    /// What the build generates at `path`, in words.
    fn generated(&self, path: &str) -> String {
        for d in &self.content.docs {
            if d.output_file() == path {
                return format!("the page generated from {}", d.source.display());
            }
            if crate::share_card::card_path(d).as_deref() == Some(path) {
                return format!("the share card of {}", d.source.display());
            }
        }
        format!("the generated {path}")
    }

    /// What only the Markdown source can tell of its links: external links
    /// well formed, no unsafe scheme, `@/` links naming a content file that
    /// is published. Whether internal links and anchors resolve is checked in
    /// the written HTML ([`rendered`]).
    fn check_links(&self, report: &mut Report, stats: &mut Stats) {
        let found: Vec<(Report, Stats)> = (0..self.facts.len())
            .into_par_iter()
            .filter(|&i| self.links_of.is_none_or(|only| only[i]))
            .map(|i| {
                let mut report = Report::default();
                let mut stats = Stats::default();
                self.check_links_of(i, &mut report, &mut stats);
                (report, stats)
            })
            .collect();
        for (r, s) in found {
            report.extend(r.diagnostics);
            stats.external_links += s.external_links;
            stats.internal_links += s.internal_links;
        }
    }

    /// Check the links in document `i`'s body.
    fn check_links_of(&self, i: usize, report: &mut Report, stats: &mut Stats) {
        let doc = &self.content.docs[i];
        for image in &self.facts[i].unlabelled_images {
            report.push(
                crate::images::unlabelled(&image.dest)
                    .in_file(&doc.source)
                    .at_offset(&self.content.text_of(doc), doc.body_offset + image.offset),
            );
        }
        for link in self.facts[i].links.iter() {
            let at = |d: Diagnostic| {
                d.in_file(&doc.source)
                    .at_offset(&self.content.text_of(doc), doc.body_offset + link.offset)
            };
            match classify(&link.dest) {
                LinkKind::External => {
                    stats.external_links += 1;
                    if let Err(why) = check_external(&link.dest) {
                        report.push(at(Diagnostic::error(
                            "link",
                            format!("malformed external link {:?}: {why}", link.dest),
                        )));
                    }
                }
                LinkKind::Other => {}
                LinkKind::Unsafe => report.push(at(Diagnostic::error(
                    "link",
                    format!(
                        "unsafe link {:?}: `javascript:`, `data:` and `vbscript:` links are not allowed",
                        link.dest
                    ),
                ))),
                LinkKind::Content(path) => {
                    stats.internal_links += 1;
                    if self.content.by_content_path.contains_key(path) {
                        continue;
                    }
                    let d = if self.content.drafts_left_out.contains(path) {
                        Diagnostic::error(
                            "link",
                            format!("broken link {:?}: content/{path} is a draft (draft = true), left out of this build", link.dest),
                        ).note("build with --drafts to include drafts, or link to it once it is published")
                    } else {
                        Diagnostic::error(
                            "link",
                            format!("broken link {:?}: there is no content/{path}", link.dest),
                        )
                    };
                    report.push(at(d));
                }
                LinkKind::Internal => stats.internal_links += 1,
            }
        }
    }
}

/// Call `f` on every string in `value`, however deep.
fn strings_of<'v>(value: &'v serde_json::Value, f: &mut dyn FnMut(&'v str)) {
    match value {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings_of(v, f)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings_of(v, f)),
        _ => {}
    }
}

/// What checking one quotation found.
enum Outcome {
    Verified,
    /// Not checked here (its citation is reported on its own).
    Unchecked,
    Finding(Diagnostic),
}

fn origin_id(s: &str) -> String {
    s.chars().take(20).collect()
}

/// How a link in Markdown is to be checked.
enum LinkKind<'a> {
    External,
    Unsafe,
    Other,
    /// An `@/` link: the content path.
    Content(&'a str),
    /// A link into the site, checked in the written HTML.
    Internal,
}

fn classify(dest: &str) -> LinkKind<'_> {
    if let Some(rest) = dest.strip_prefix("@/") {
        return LinkKind::Content(rest.split_once('#').map_or(rest, |(p, _)| p));
    }
    if dest.starts_with('#') {
        return LinkKind::Internal;
    }
    if dest.starts_with("//") {
        return LinkKind::External;
    }
    match crate::urls::scheme_of(dest) {
        None => LinkKind::Internal,
        Some(s) if crate::urls::UNSAFE_SCHEMES.contains(&s.as_str()) => LinkKind::Unsafe,
        Some(s) if crate::urls::OTHER_SCHEMES.contains(&s.as_str()) => LinkKind::Other,
        Some(_) => LinkKind::External,
    }
}

fn check_external(url: &str) -> Result<(), String> {
    match url.strip_prefix("//") {
        Some(rest) => crate::urls::web_url(&format!("https://{rest}")).map(drop),
        None => crate::urls::web_url(url).map(drop),
    }
}

/// The error for a quotation or basis passage that is not in its source's
/// archive: the passage, and how it differs from the closest one there.
pub fn not_found(
    d: Diagnostic,
    label: &str,
    passage: &str,
    source: &str,
    archive: &crate::archive::Archive,
    quotation: &Quotation,
) -> Diagnostic {
    let file = archive
        .path
        .file_name()
        .map_or(String::new(), |f| f.to_string_lossy().into_owned());
    let alignment = quotation::align(quotation, &archive.passages);
    let mut d = Diagnostic {
        message: format!(
            "{label} not found word for word in the archived text of source `{source}` ({file})"
        ),
        ..d
    }
    .note(format!("{label}: {}", quotation::normalise(passage)))
    .note(format!("closest passage: {}", alignment.passage))
    .note(format!("word by word: {}", alignment.diff))
    .note("[-…-] is in the source but not the quotation; {+…+} is in the quotation but not the source");
    for piece in alignment.inside_words {
        d = d.note(format!(
            "\"{piece}\" appears only inside longer words of the source: a quotation must start and end on word boundaries"
        ));
    }
    d
}

/// The known id closest to `id`, if any is close enough to suggest.
pub fn closest<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (strsim::jaro_winkler(id, k), k))
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, k)| k)
}

fn sorted(set: &HashSet<&str>) -> String {
    let mut v: Vec<&str> = set.iter().copied().collect();
    v.sort();
    v.join(", ")
}

/// Which documents' Markdown links need checking again after a build whose
/// inputs were the same but for some bodies: those whose facts changed.
/// `None`: all.
///
/// `before[i]` is document `i`'s facts in the last good build (same
/// documents, same front matter, same global inputs), `after[i]` its facts now.
pub fn links_to_check(before: &[Option<Arc<Facts>>], after: &[Arc<Facts>]) -> Option<Vec<bool>> {
    let mut check = vec![false; after.len()];
    for (i, (old, new)) in before.iter().zip(after).enumerate() {
        let old = old.as_ref()?;
        check[i] = !(Arc::ptr_eq(old, new) || **old == **new);
    }
    Some(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_base_url_protocol_relative_links_stay_external() {
        assert!(matches!(classify("//cdn.org/x.js"), LinkKind::External));
        assert!(matches!(classify("/parties/"), LinkKind::Internal));
    }

    #[test]
    fn suggests_close_ids() {
        let ids = ["bbc-2023-05-04", "kremlin-statement"];
        assert_eq!(
            closest("bbc-2023-05-05", ids.into_iter()),
            Some("bbc-2023-05-04")
        );
        assert_eq!(closest("zzz", ids.into_iter()), None);
    }
}
