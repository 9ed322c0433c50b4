//! Verify stage: proves the site's sourcing holds before anything is written —
//! citations, verbatim quotations, basis passages, labels and internal links.
//!
//! Every finding is a located [`Diagnostic`]; the counts feed `check`'s summary.

pub mod quotation;

use crate::content::Content;
use crate::diagnostics::{Diagnostic, Report};
use crate::editorial::{Origin, Registry, StatementKind, Status, located};
use crate::markdown::Facts;
use crate::render::StaticFile;
use quotation::{MIN_STATEMENT_WORDS, Quotation};
use rayon::prelude::*;
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

/// Files the build writes besides documents, which links may point at.
const GENERATED: &[&str] = &[
    "sitemap.xml",
    "atom.xml",
    crate::feeds::CHANGES_FEED,
    crate::search::INDEX_FILE,
    "robots.txt",
    "syntax.css",
    "404.html",
];

/// Everything the checks look at.
pub struct Verifier<'a> {
    pub content: &'a Content,
    pub registry: &'a Registry,
    /// The facts of every document's body, indexed like `content.docs`.
    pub facts: &'a [Arc<Facts>],
    pub static_files: &'a [StaticFile],
    pub base_url: &'a str,
    /// The documents whose links to check, when not all: see
    /// [`links_to_check`].
    pub links_of: Option<&'a [bool]>,
    /// Whether the build writes `syntax.css`.
    pub highlight_code: bool,
    /// Whether the build writes the search index.
    pub search_index: bool,
    /// Whether the build draws share cards.
    pub share_cards: bool,
}

impl Verifier<'_> {
    /// Run every check.
    pub fn run(&self) -> (Report, Stats) {
        let mut report = Report::default();
        let mut stats = Stats::default();
        self.check_references(&mut report, &mut stats);
        self.check_passages(&mut report, &mut stats);
        self.check_prose_quotations(&mut report, &mut stats);
        self.check_labels(&mut report);
        self.check_uncited(&mut report);
        self.check_links(&mut report, &mut stats);
        self.check_static_collisions(&mut report);
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
        for s in &reg.statements {
            let it = &s.item;
            if it.kind == StatementKind::Quote
                && let Some(ok) =
                    self.check_passage(s.origin, &it.source, &it.text, "quotation", report)
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
                    if reg.archive_for(&it.source).is_some() && self.passage_found(&it.source, &it.text) {
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

    /// Quotations in prose, and those inside the `text` of declared items,
    /// must be in the archive of the source cited for them. Each different
    /// quotation of a source is checked once, however often it is quoted.
    fn check_prose_quotations(&self, report: &mut Report, stats: &mut Stats) {
        type Key<'k> = (Option<&'k str>, &'k str);
        let mut outcomes: rustc_hash::FxHashMap<Key<'_>, Option<Outcome>> =
            rustc_hash::FxHashMap::default();
        for f in self.facts {
            for q in &f.quotations {
                outcomes
                    .entry((q.source.as_deref(), q.text.as_str()))
                    .or_insert(None);
            }
        }
        let checked: Vec<(Key<'_>, Outcome)> = outcomes
            .keys()
            .copied()
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(source, text)| ((source, text), self.prose_quotation(text, source)))
            .collect();
        for (k, outcome) in checked {
            outcomes.insert(k, Some(outcome));
        }
        let mut texts: HashMap<usize, String> = HashMap::new();
        for (i, f) in self.facts.iter().enumerate() {
            for q in &f.quotations {
                match &outcomes[&(q.source.as_deref(), q.text.as_str())] {
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
            );
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
        let mut cited: HashSet<&str> = HashSet::new();
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

    /// Anchors each document has: headings, declared items and citations.
    /// The ids of the editorial items each document declares, by document.
    fn item_anchors(&self) -> HashMap<usize, Vec<String>> {
        let reg = self.registry;
        let items = reg
            .statements
            .iter()
            .map(|s| (s.origin, format!("st-{}", s.item.id)))
            .chain(
                reg.facts
                    .iter()
                    .map(|f| (f.origin, format!("fact-{}", f.item.id))),
            )
            .chain(
                reg.events
                    .iter()
                    .map(|e| (e.origin, format!("ev-{}", e.item.id))),
            )
            .chain(
                reg.sources
                    .iter()
                    .map(|s| (s.origin, format!("src-{}", s.item.id))),
            )
            .chain(
                reg.questions
                    .iter()
                    .map(|q| (q.origin, format!("q-{}", q.item.id))),
            );
        let mut by_doc: HashMap<usize, Vec<String>> = HashMap::new();
        for (origin, anchor) in items {
            by_doc.entry(origin.doc).or_default().push(anchor);
        }
        by_doc
    }

    /// A file in `static/` must not land where the build writes a file of its own.
    fn check_static_collisions(&self, report: &mut Report) {
        let mut generated: HashMap<String, String> = self
            .content
            .docs
            .iter()
            .map(|d| {
                (
                    d.output_file(),
                    format!("the page generated from {}", d.source.display()),
                )
            })
            .collect();
        let mut site_files = vec!["404.html", "robots.txt"];
        if !self.base_url.is_empty() {
            site_files.extend(["sitemap.xml", "atom.xml"]);
            if !self.registry.changes.is_empty() {
                site_files.push(crate::feeds::CHANGES_FEED);
            }
        }
        if self.highlight_code {
            site_files.push("syntax.css");
        }
        if self.search_index {
            site_files.push(crate::search::INDEX_FILE);
        }
        for f in site_files {
            generated.insert(f.to_string(), format!("the generated {f}"));
        }
        if self.share_cards {
            for d in &self.content.docs {
                if let Some(card) = crate::render::share_card_path(d) {
                    let what = format!("the share card of {}", d.source.display());
                    generated.insert(card, what);
                }
            }
        }
        for f in self.static_files {
            if let Some(what) = generated.get(&f.rel) {
                report.push(
                    Diagnostic::error(
                        "static",
                        format!(
                            "static/{} would replace {what} at /{}",
                            f.rel, f.rel
                        ),
                    )
                    .in_file(std::path::Path::new(crate::render::STATIC_DIR).join(&f.rel))
                    .note("rename or move the static file; generated files cannot be overridden from static/"),
                );
            }
        }
    }

    fn check_links(&self, report: &mut Report, stats: &mut Stats) {
        let anchors = Anchors {
            facts: self.facts,
            items: self.item_anchors(),
        };
        let statics: HashSet<&str> = self.static_files.iter().map(|f| f.rel.as_str()).collect();
        let assets: HashSet<String> = self
            .content
            .docs
            .iter()
            .filter(|d| !d.assets.is_empty())
            .flat_map(|d| {
                let dir = self
                    .content
                    .root
                    .join(d.source.parent().unwrap_or(std::path::Path::new("")));
                d.assets.iter().map(move |a| {
                    let rel = a
                        .strip_prefix(&dir)
                        .unwrap_or(a)
                        .to_string_lossy()
                        .replace('\\', "/");
                    format!("{}{rel}", d.path)
                })
            })
            .collect();
        let links = Links {
            anchors: &anchors,
            statics: &statics,
            assets: &assets,
            base_path: crate::config::base_path_of(self.base_url),
        };
        let found: Vec<(Report, Stats)> = (0..self.facts.len())
            .into_par_iter()
            .filter(|&i| self.links_of.is_none_or(|only| only[i]))
            .map(|i| {
                let mut report = Report::default();
                let mut stats = Stats::default();
                self.check_links_of(i, &links, &mut report, &mut stats);
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
    fn check_links_of(&self, i: usize, links: &Links<'_>, report: &mut Report, stats: &mut Stats) {
        let Links {
            anchors,
            statics,
            assets,
            base_path,
        } = *links;
        {
            let doc = &self.content.docs[i];
            for link in self.facts[i].links.iter() {
                let at = |d: Diagnostic| {
                    d.in_file(&doc.source)
                        .at_offset(&self.content.text_of(doc), doc.body_offset + link.offset)
                };
                let result = classify(&link.dest, self.base_url);
                match result {
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
                    LinkKind::Content(path, frag) => {
                        stats.internal_links += 1;
                        match self.content.by_content_path.get(path.as_str()) {
                            None if self.content.drafts_left_out.contains(path.as_str()) => report.push(at(Diagnostic::error(
                                "link",
                                format!("broken link {:?}: content/{path} is a draft (draft = true), left out of this build", link.dest),
                            ).note("build with --drafts to include drafts, or link to it once it is published"))),
                            None => report.push(at(Diagnostic::error(
                                "link",
                                format!("broken link {:?}: there is no content/{path}", link.dest),
                            ))),
                            Some(&target) => self.check_anchor(
                                anchors.of(target),
                                frag.as_deref(),
                                &link.dest,
                                &self.content.docs[target].source,
                                report,
                                &at,
                            ),
                        }
                    }
                    LinkKind::Site(target) => {
                        stats.internal_links += 1;
                        let (path, frag) = target
                            .split_once('#')
                            .map_or((target.as_str(), None), |(p, f)| (p, Some(f)));
                        let path = path.split('?').next().unwrap_or("");
                        let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
                        let frag = frag.map(|f| percent_encoding::percent_decode_str(f).decode_utf8_lossy());
                        let frag = frag.as_deref();
                        let resolved = resolve_site_path(&doc.path, &path, base_path);
                        match resolved {
                            None => report.push(at(Diagnostic::error(
                                "link",
                                format!("broken link {:?}: it leaves the site", link.dest),
                            ))),
                            Some(site_path) => {
                                let doc_target = self
                                    .content
                                    .by_url_path
                                    .get(&site_path)
                                    .or_else(|| {
                                        self.content.by_url_path.get(&format!("{site_path}/"))
                                    })
                                    .or_else(|| {
                                        self.content
                                            .by_url_path
                                            .get(site_path.trim_end_matches("index.html"))
                                    });
                                if let Some(&t) = doc_target {
                                    self.check_anchor(
                                        anchors.of(t),
                                        frag,
                                        &link.dest,
                                        &self.content.docs[t].source,
                                        report,
                                        &at,
                                    );
                                } else if !(statics.contains(site_path.as_str())
                                    || assets.contains(&site_path)
                                    || GENERATED.contains(&site_path.as_str()))
                                {
                                    report.push(at(Diagnostic::error(
                                        "link",
                                        format!(
                                            "broken link {:?}: no page or file at /{site_path}",
                                            link.dest
                                        ),
                                    )
                                    .note("links to static/ files must name a file that exists")));
                                }
                            }
                        }
                    }
                    LinkKind::Fragment(frag) => {
                        stats.internal_links += 1;
                        self.check_anchor(
                            anchors.of(i),
                            Some(&frag),
                            &link.dest,
                            &doc.source,
                            report,
                            &at,
                        );
                    }
                }
            }
        }
    }

    fn check_anchor(
        &self,
        anchors: DocAnchors<'_>,
        frag: Option<&str>,
        dest: &str,
        target: &std::path::Path,
        report: &mut Report,
        at: &dyn Fn(Diagnostic) -> Diagnostic,
    ) {
        let Some(frag) = frag.filter(|f| !f.is_empty()) else {
            return;
        };
        if !anchors.contains(frag) {
            let d = Diagnostic::error(
                "link",
                format!(
                    "broken anchor in {dest:?}: {} has no heading or item with id `{frag}`",
                    target.display()
                ),
            );
            let d = match closest(frag, anchors.all()) {
                Some(b) => d.note(format!("did you mean `#{b}`?")),
                None => d,
            };
            report.push(at(d));
        }
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
enum LinkKind {
    External,
    Unsafe,
    Other,
    Content(String, Option<String>),
    Site(String),
    Fragment(String),
}

fn classify(dest: &str, base_url: &str) -> LinkKind {
    if let Some(rest) = dest.strip_prefix("@/") {
        let (p, f) = rest
            .split_once('#')
            .map_or((rest, None), |(p, f)| (p, Some(f.to_string())));
        return LinkKind::Content(p.to_string(), f);
    }
    if let Some(rest) = dest
        .strip_prefix(base_url)
        .filter(|_| base_url.contains("://"))
    {
        return LinkKind::Site(format!("{}{rest}", crate::config::base_path_of(base_url)));
    }
    if let Some(f) = dest.strip_prefix('#') {
        let decoded = percent_encoding::percent_decode_str(f).decode_utf8_lossy();
        return LinkKind::Fragment(decoded.into_owned());
    }
    if dest.starts_with("//") {
        return LinkKind::External;
    }
    match crate::urls::scheme_of(dest) {
        None => LinkKind::Site(dest.to_string()),
        Some(s) if crate::urls::UNSAFE_SCHEMES.contains(&s.as_str()) => LinkKind::Unsafe,
        Some(s) if crate::urls::OTHER_SCHEMES.contains(&s.as_str()) => LinkKind::Other,
        Some(_) => LinkKind::External,
    }
}

/// Resolve a root-relative or relative link from the page at `from` to a site path (no leading `/`).
fn resolve_site_path(from: &str, link: &str, base_path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let rest = if let Some(abs) = link.strip_prefix(base_path) {
        abs
    } else if link.starts_with('/') {
        return None;
    } else {
        parts.extend(from.split('/').filter(|s| !s.is_empty()));
        link
    };
    for seg in rest.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if link.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    Some(out)
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
    archive: &crate::editorial::Archive,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolve_against_the_page() {
        assert_eq!(
            resolve_site_path("s0/p0/", "../../s1/p1/", "/").as_deref(),
            Some("s1/p1/")
        );
        assert_eq!(resolve_site_path("a/", "/x/", "/"), Some("x/".into()));
        assert_eq!(
            resolve_site_path("a/", "/sub/x/", "/sub/"),
            Some("x/".into())
        );
        assert_eq!(resolve_site_path("", "../../x", "/"), None);
    }

    #[test]
    fn without_a_base_url_protocol_relative_links_stay_external() {
        assert!(matches!(
            classify("//cdn.org/x.js", "/"),
            LinkKind::External
        ));
        assert!(matches!(classify("/parties/", "/"), LinkKind::Site(p) if p == "/parties/"));
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

/// What the link check of one document looks things up in.
#[derive(Clone, Copy)]
struct Links<'a> {
    anchors: &'a Anchors<'a>,
    statics: &'a HashSet<&'a str>,
    assets: &'a HashSet<String>,
    base_path: &'a str,
}

/// The ids a link may point at in each document: headings, citations, the
/// editorial items it declares and `main`. Looked up per link, not collected
/// for every document.
struct Anchors<'a> {
    facts: &'a [Arc<Facts>],
    items: HashMap<usize, Vec<String>>,
}

impl Anchors<'_> {
    fn of(&self, doc: usize) -> DocAnchors<'_> {
        DocAnchors {
            facts: &self.facts[doc],
            items: self.items.get(&doc).map_or(&[], Vec::as_slice),
        }
    }
}

/// The anchors of one document.
#[derive(Clone, Copy)]
struct DocAnchors<'a> {
    facts: &'a Facts,
    items: &'a [String],
}

impl<'a> DocAnchors<'a> {
    fn all(self) -> impl Iterator<Item = &'a str> {
        self.facts
            .heading_ids()
            .into_iter()
            .chain(self.facts.citations.iter().map(|c| c.anchor.as_str()))
            .chain(self.items.iter().map(String::as_str))
            .chain(["main"])
    }

    fn contains(self, id: &str) -> bool {
        self.all().any(|a| a == id)
    }
}

/// Which documents' links need checking again after a build whose inputs
/// were the same but for some bodies: those whose facts changed, as long as
/// no changed body gained or lost an anchor others may link to. `None`: all.
///
/// `before[i]` is document `i`'s facts in the last good build (same
/// documents, same front matter, same global inputs), `after[i]` its facts now.
pub fn links_to_check(before: &[Option<Arc<Facts>>], after: &[Arc<Facts>]) -> Option<Vec<bool>> {
    let mut check = vec![false; after.len()];
    for (i, (old, new)) in before.iter().zip(after).enumerate() {
        let old = old.as_ref()?;
        if Arc::ptr_eq(old, new) || **old == **new {
            continue;
        }
        if anchor_ids(old) != anchor_ids(new) {
            return None;
        }
        check[i] = true;
    }
    Some(check)
}

/// The ids in a body that links may point at: headings and citations.
fn anchor_ids(f: &Facts) -> Vec<&str> {
    let mut ids = f.heading_ids();
    ids.extend(f.citations.iter().map(|c| c.anchor.as_str()));
    ids
}
