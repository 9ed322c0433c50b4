//! The editorial data model: sources, statements, facts, timeline events, parties,
//! questions and changes, as declared in front matter and collected across the site.
//!
//! Declarations are plain data; [`crate::registry`] gathers them with their
//! locations.

use crate::date::Date;
use serde::{Deserialize, Serialize};

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
    /// The language the source is written in (the site's default language when not given).
    pub lang: Option<String>,
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
    /// For a quotation translated into the page's language: the words as the
    /// source gives them, in the source's language (what the archive check reads).
    pub original: Option<String>,
}

impl StatementDecl {
    /// The passage of the source this statement rests on: its basis, or for a
    /// quote its words as the source gives them (the original of a translation).
    pub fn basis_passage(&self) -> &str {
        match (&self.basis, self.kind) {
            (Some(b), _) => b,
            (None, StatementKind::Quote) => self.original.as_deref().unwrap_or(&self.text),
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
