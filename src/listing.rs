//! Page and section objects as templates see them in listings (`section.pages`,
//! `section.subsections`, `get_page`, `get_section`): built from a document's
//! front matter and the [`Facts`] of its body, never from its HTML.

use crate::content::{Content, Document, Kind};
use crate::markdown::{Facts, TocEntry};
use crate::stamp::Hash;
use crate::urls::Urls;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tera::Value;

/// The fields of page and section objects, in the order templates see them.
pub const FIELD_NAMES: [&str; 18] = [
    "kind",
    "title",
    "description",
    "date",
    "updated",
    "permalink",
    "path",
    "slug",
    "content_path",
    "word_count",
    "reading_time",
    "weight",
    "draft",
    "extra",
    "toc",
    "taxonomies",
    "lang",
    "translations",
];

/// Which fields page and section objects carry: those the templates name.
///
/// An object holds only named fields, so what a listing renders depends only
/// on them, and a listing whose listed pages changed elsewhere (their body,
/// say) is known to be unchanged without rendering it. `kind` is always there
/// (`get_page` and `get_section` read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields(u32);

impl Fields {
    /// Every field: for templates that read fields by computed names.
    pub const ALL: Fields = Fields(u32::MAX);

    /// The fields whose names `named` accepts.
    pub fn named(named: impl Fn(&str) -> bool) -> Fields {
        let bits = FIELD_NAMES
            .iter()
            .enumerate()
            .filter(|(i, name)| *i == 0 || named(name))
            .fold(0u32, |bits, (i, _)| bits | (1 << i));
        Fields(bits)
    }

    /// Whether the field at `index` in [`FIELD_NAMES`] is carried.
    fn has(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }

    fn count(self) -> usize {
        (self.0 & ((1 << FIELD_NAMES.len()) - 1)).count_ones() as usize
    }
}

/// A page or section as listed by others (no `content`), with the fields in `fields`.
struct Summary<'a> {
    fields: Fields,
    kind: &'static str,
    title: &'a str,
    description: Option<&'a str>,
    date: Option<&'a str>,
    updated: Option<&'a str>,
    permalink: &'a str,
    path: String,
    slug: &'a str,
    content_path: &'a str,
    word_count: usize,
    reading_time: usize,
    weight: Option<i64>,
    draft: bool,
    extra: &'a serde_json::Value,
    toc: Toc<'a>,
    taxonomies: &'a std::collections::BTreeMap<String, Vec<String>>,
    lang: &'a str,
    translations: Translations<'a>,
}

/// `page.translations`: every language version, this one included, with permalinks.
struct Translations<'a> {
    doc: &'a Document,
    urls: &'a Urls,
}

impl Serialize for Translations<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeStruct};
        struct One<'b>(&'b str, String, &'b str);
        impl Serialize for One<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_struct("Translation", 3)?;
                m.serialize_field("lang", self.0)?;
                m.serialize_field("permalink", &self.1)?;
                m.serialize_field("title", self.2)?;
                m.end()
            }
        }
        let (doc, urls) = (self.doc, self.urls);
        match &doc.translations {
            Some(all) => {
                let mut seq = s.serialize_seq(Some(all.len()))?;
                for t in all.iter() {
                    seq.serialize_element(&One(&t.lang, urls.permalink(&t.path), &t.title))?;
                }
                seq.end()
            }
            None => {
                let mut seq = s.serialize_seq(Some(1))?;
                seq.serialize_element(&One(&doc.lang, urls.permalink(&doc.path), doc.title()))?;
                seq.end()
            }
        }
    }
}

impl Serialize for Summary<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Summary", self.fields.count())?;
        // Fields in FIELD_NAMES order, so a field's index is its bit.
        let mut index = 0;
        macro_rules! field {
            ($name:ident) => {
                debug_assert_eq!(FIELD_NAMES[index], stringify!($name));
                if self.fields.has(index) {
                    m.serialize_field(stringify!($name), &self.$name)?;
                }
                index += 1;
            };
        }
        field!(kind);
        field!(title);
        field!(description);
        field!(date);
        field!(updated);
        field!(permalink);
        field!(path);
        field!(slug);
        field!(content_path);
        field!(word_count);
        field!(reading_time);
        field!(weight);
        field!(draft);
        field!(extra);
        field!(toc);
        field!(taxonomies);
        field!(lang);
        field!(translations);
        debug_assert_eq!(index, FIELD_NAMES.len());
        m.end()
    }
}

/// Table-of-contents entries with absolute permalinks, serialized without copying the entries.
struct Toc<'a> {
    entries: &'a [TocEntry],
    permalink: &'a str,
}

impl Serialize for Toc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeStruct};
        let mut seq = s.serialize_seq(Some(self.entries.len()))?;
        for t in self.entries {
            struct Entry<'b>(&'b TocEntry, &'b str);
            impl Serialize for Entry<'_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let (t, permalink) = (self.0, self.1);
                    let mut m = s.serialize_struct("TocEntry", 5)?;
                    m.serialize_field("level", &t.level)?;
                    m.serialize_field("id", &t.id)?;
                    m.serialize_field("title", &t.title)?;
                    m.serialize_field("permalink", &format!("{permalink}#{}", t.id))?;
                    m.serialize_field(
                        "children",
                        &Toc {
                            entries: &t.children,
                            permalink,
                        },
                    )?;
                    m.end()
                }
            }
            seq.serialize_element(&Entry(t, self.permalink))?;
        }
        seq.end()
    }
}

static EMPTY_OBJECT: std::sync::LazyLock<serde_json::Value> =
    std::sync::LazyLock::new(|| serde_json::Value::Object(Default::default()));

/// The summary object of one document, with `fields`.
pub fn summary(doc: &Document, facts: &Facts, urls: &Urls, fields: Fields) -> Value {
    with_summary(doc, facts, urls, fields, |s| Value::from_serializable(s))
}

/// A hash of the summary object of one document: equal hashes, equal objects.
pub fn digest(doc: &Document, facts: &Facts, urls: &Urls, fields: Fields) -> Hash {
    with_summary(doc, facts, urls, fields, |s| {
        crate::stamp::hash(&serde_json::to_vec(s).unwrap_or_default())
    })
}

fn with_summary<T>(
    doc: &Document,
    facts: &Facts,
    urls: &Urls,
    fields: Fields,
    then: impl FnOnce(&Summary<'_>) -> T,
) -> T {
    let permalink = urls.permalink(&doc.path);
    let s = Summary {
        fields,
        kind: if doc.kind == Kind::Page {
            "page"
        } else {
            "section"
        },
        title: doc.title(),
        description: doc.meta.description.as_deref(),
        date: doc.meta.date.as_ref().map(|d| d.text.as_str()),
        updated: doc.meta.updated.as_ref().map(|d| d.text.as_str()),
        path: format!(
            "/{}",
            crate::config::base_path_of(&permalink).trim_start_matches('/')
        ),
        permalink: &permalink,
        slug: &doc.slug,
        content_path: &doc.content_path,
        word_count: facts.word_count,
        reading_time: facts.word_count.div_ceil(200).max(1),
        weight: doc.meta.weight,
        draft: doc.meta.draft,
        extra: doc.meta.extra.as_ref().unwrap_or(&EMPTY_OBJECT),
        toc: Toc {
            entries: &facts.toc,
            permalink: &permalink,
        },
        taxonomies: &doc.meta.taxonomies,
        lang: &doc.lang,
        translations: Translations { doc, urls },
    };
    then(&s)
}

/// Summaries of the documents `wanted` marks, built in parallel; `None` for the rest.
pub fn summaries(
    content: &Content,
    facts: &[Arc<Facts>],
    urls: &Urls,
    fields: Fields,
    wanted: &[bool],
) -> Vec<Option<Value>> {
    content
        .docs
        .par_iter()
        .zip(facts.par_iter())
        .zip(wanted.par_iter())
        .map(|((d, f), &w)| w.then(|| summary(d, f, urls, fields)))
        .collect()
}

/// Add `pages` and `subsections` to a section's summary object.
pub fn with_listing(section: usize, content: &Content, values: &[Option<Value>]) -> Value {
    let doc = &content.docs[section];
    let value_of = |i: usize| values[i].clone().unwrap_or_else(Value::none);
    let mut map = value_of(section).into_map().unwrap_or_default();
    let pages: Vec<Value> = doc.pages.iter().map(|&p| value_of(p)).collect();
    let subsections: Vec<Value> = doc
        .subsections
        .iter()
        .map(|&s| {
            let mut sub = value_of(s).into_map().unwrap_or_default();
            let sub_pages: Vec<Value> =
                content.docs[s].pages.iter().map(|&p| value_of(p)).collect();
            sub.insert("pages".into(), Value::from(sub_pages));
            Value::from(sub)
        })
        .collect();
    map.insert("pages".into(), Value::from(pages));
    map.insert("subsections".into(), Value::from(subsections));
    Value::from(map)
}

/// The documents a section's listing shows: itself, its pages, its subsections and their pages.
pub fn listed(section: &Document, content: &Content) -> Vec<usize> {
    let mut out = section.pages.clone();
    for &s in &section.subsections {
        out.push(s);
        out.extend(&content.docs[s].pages);
    }
    out
}

/// Page and section objects for `get_page`/`get_section`, by content path.
pub fn all_values(
    content: &Content,
    facts: &[Arc<Facts>],
    urls: &Urls,
    fields: Fields,
) -> HashMap<String, Value> {
    let values = summaries(
        content,
        facts,
        urls,
        fields,
        &vec![true; content.docs.len()],
    );
    content
        .docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let v = match doc.kind {
                Kind::Section => with_listing(i, content, &values),
                Kind::Page => values[i].clone().unwrap_or_else(Value::none),
            };
            (doc.content_path.clone(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serde shape the summary object had before it was built by hand.
    #[derive(Serialize)]
    struct Reference<'a> {
        kind: &'static str,
        title: &'a str,
        description: Option<&'a str>,
        date: Option<&'a str>,
        updated: Option<&'a str>,
        permalink: &'a str,
        path: &'a str,
        slug: &'a str,
        content_path: &'a str,
        word_count: usize,
        reading_time: usize,
        weight: Option<i64>,
        draft: bool,
        extra: serde_json::Value,
        toc: Vec<RefToc>,
        taxonomies: serde_json::Value,
        lang: &'a str,
        translations: serde_json::Value,
    }

    /// A table-of-contents entry with its absolute permalink.
    #[derive(Serialize)]
    struct RefToc {
        level: u8,
        id: String,
        title: String,
        permalink: String,
        children: Vec<RefToc>,
    }

    #[test]
    fn summary_matches_its_serde_shape() {
        let mut doc = crate::content::Document {
            kind: Kind::Page,
            source: "content/a/b.md".into(),
            content_path: "a/b.md".into(),
            front: "".into(),
            body_offset: 0,
            stamp: Default::default(),
            has_file: true,
            may_cite: false,
            meta: Default::default(),
            path: "a/b/".into(),
            slug: "b".into(),
            parent: None,
            pages: vec![],
            subsections: vec![],
            assets: vec![],
            lang: "en".into(),
            translations: None,
        };
        let meta = std::sync::Arc::make_mut(&mut doc.meta);
        meta.title = Some("B".into());
        meta.weight = Some(3);
        meta.extra = Some(serde_json::json!({"k": [1, "x"]}));
        meta.taxonomies.insert("tags".into(), vec!["a b".into()]);
        let leaf = TocEntry {
            level: 2,
            id: "two".into(),
            title: "Two".into(),
            children: vec![],
        };
        let facts = Facts {
            toc: crate::lazy::Lazy::new(vec![TocEntry {
                level: 1,
                id: "one".into(),
                title: "One".into(),
                children: vec![leaf.clone()],
            }]),
            word_count: 401,
            ..Facts::default()
        };
        let urls = Urls::new("https://x.org/sub/", HashMap::new());
        let with_link = |t: &TocEntry, children| RefToc {
            level: t.level,
            id: t.id.clone(),
            title: t.title.clone(),
            permalink: format!("https://x.org/sub/a/b/#{}", t.id),
            children,
        };
        let reference = Reference {
            kind: "page",
            title: "B",
            description: None,
            date: None,
            updated: None,
            permalink: "https://x.org/sub/a/b/",
            path: "/sub/a/b/",
            slug: "b",
            content_path: "a/b.md",
            word_count: 401,
            reading_time: 3,
            weight: Some(3),
            draft: false,
            extra: serde_json::json!({"k": [1, "x"]}),
            toc: vec![with_link(&facts.toc[0], vec![with_link(&leaf, vec![])])],
            taxonomies: serde_json::json!({"tags": ["a b"]}),
            lang: "en",
            translations: serde_json::json!([
                {"lang": "en", "permalink": "https://x.org/sub/a/b/", "title": "B"}
            ]),
        };
        assert_eq!(
            summary(&doc, &facts, &urls, Fields::ALL),
            Value::from_serializable(&reference)
        );
    }
}
