//! The search index (`build_search_index = true`): every page, statement,
//! fact, timeline event and source as one compact list, written as
//! `search-index.js`, a script that sets `window.explainerSearch`. A search
//! page's own script filters it in the browser: no server round-trip, no
//! request to anyone else, and it loads from `file://` (a `fetch` would not).

use crate::content::Content;
use crate::registry::{Located, Origin, Registry};
use serde::Serialize;

/// The file the index is written to.
pub const INDEX_FILE: &str = "search-index.js";

/// One thing a reader can find. Short keys: the index is read by a script, not a person.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// `page`, `statement`, `fact`, `event` or `source`.
    #[serde(rename = "k")]
    pub kind: &'static str,
    /// What the result is called: a page's title, a statement's speaker.
    #[serde(rename = "t")]
    pub title: String,
    /// The site path of the result, with its anchor (`parties/russia/#st-id`).
    #[serde(rename = "p")]
    pub path: String,
    /// The words searched and shown.
    #[serde(rename = "x")]
    pub text: String,
    /// The status label, where the item has one (`Claimed`).
    #[serde(rename = "l", skip_serializing_if = "Option::is_none")]
    pub label: Option<&'static str>,
}

/// Every entry of the site, in a stable order: pages by path, then each
/// kind of item in declaration order.
pub fn entries(content: &Content, registry: &Registry) -> Vec<Entry> {
    let mut docs: Vec<_> = content.docs.iter().collect();
    docs.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out: Vec<Entry> = docs
        .into_iter()
        .map(|d| Entry {
            kind: "page",
            title: d.title().to_string(),
            path: d.path.clone(),
            text: d.meta.description.clone().unwrap_or_default(),
            label: None,
        })
        .collect();
    let at = |origin: Origin, anchor: String| format!("{}#{anchor}", content.docs[origin.doc].path);
    for Located { item, origin } in &registry.statements {
        let party = registry
            .parties
            .iter()
            .find(|p| p.item.id == item.party)
            .map_or(item.party.as_str(), |p| p.item.name.as_str());
        out.push(Entry {
            kind: "statement",
            title: format!("{} ({party})", item.speaker),
            path: at(*origin, format!("st-{}", item.id)),
            text: item.text.clone(),
            label: Some(item.status.label()),
        });
    }
    for Located { item, origin } in &registry.facts {
        out.push(Entry {
            kind: "fact",
            title: String::new(),
            path: at(*origin, format!("fact-{}", item.id)),
            text: item.text.clone(),
            label: Some(item.status.label()),
        });
    }
    for Located { item, origin } in &registry.events {
        out.push(Entry {
            kind: "event",
            title: item.when.clone().unwrap_or_else(|| item.date.text.clone()),
            path: at(*origin, format!("ev-{}", item.id)),
            text: item.text.clone(),
            label: Some(item.status.label()),
        });
    }
    for Located { item, origin } in &registry.sources {
        out.push(Entry {
            kind: "source",
            title: item.publisher.clone().unwrap_or_default(),
            path: at(*origin, format!("src-{}", item.id)),
            text: item.title.clone(),
            label: None,
        });
    }
    out
}

/// The index as a script: `window.explainerSearch = [...];`.
pub fn script(entries: &[Entry]) -> String {
    // A list of plain structs always serialises.
    let json = serde_json::to_string(entries).unwrap_or_else(|_| "[]".to_string());
    format!(
        "window.explainerSearch = {};\n",
        crate::html::script_safe_json(&json)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_cannot_close_its_element_and_keeps_the_words() {
        let entries = [Entry {
            kind: "statement",
            title: "A </script> & <!-- b".to_string(),
            path: "a/#st-x".to_string(),
            text: "“a planned terrorist act”".to_string(),
            label: Some("Claimed"),
        }];
        let js = script(&entries);
        assert!(!js.contains('<') && !js.contains('&'), "{js}");
        let json = js
            .trim_start_matches("window.explainerSearch = ")
            .trim_end_matches(";\n");
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back[0]["t"], "A </script> & <!-- b");
        assert_eq!(back[0]["x"], "“a planned terrorist act”");
        assert_eq!(back[0]["l"], "Claimed");
    }
}
