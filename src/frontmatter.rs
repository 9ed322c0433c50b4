//! Front matter: splits a content file into its `+++` TOML / `---` YAML header and
//! Markdown body, and parses the header into typed keys.
//!
//! Errors point at the line and column inside the whole file, not the header.

use crate::date::Date;
use crate::diagnostics::Diagnostic;
use crate::editorial::{
    ChangeDecl, EventDecl, FactDecl, PartyDecl, QuestionDecl, SourceDecl, StatementDecl,
};
use serde::{Deserialize, Serialize};

/// The parsed header of a page or section. It also round-trips through the
/// build cache's binary format (see [`Date`] and [`binary_json`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    #[serde(default)]
    pub draft: bool,
    pub slug: Option<String>,
    pub weight: Option<i64>,
    pub template: Option<String>,
    /// Old addresses of this page, redirected to it (see `aliases.rs`).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default, with = "binary_json")]
    pub extra: Option<serde_json::Value>,
    /// Terms of each taxonomy this page is in (`[taxonomies] tags = […]`).
    #[serde(default)]
    pub taxonomies: std::collections::BTreeMap<String, Vec<String>>,
    pub sort_by: Option<SortBy>,
    pub page_template: Option<String>,
    /// Pages per listing page of a section (see `pagination.rs`).
    pub paginate_by: Option<usize>,
    /// The folder of a section's later listing pages (`page`: `/posts/page/2/`).
    pub paginate_path: Option<String>,
    #[serde(default)]
    pub sources: Vec<SourceDecl>,
    #[serde(default)]
    pub statements: Vec<StatementDecl>,
    #[serde(default)]
    pub facts: Vec<FactDecl>,
    #[serde(default)]
    pub events: Vec<EventDecl>,
    #[serde(default)]
    pub parties: Vec<PartyDecl>,
    #[serde(default)]
    pub questions: Vec<QuestionDecl>,
    #[serde(default)]
    pub changes: Vec<ChangeDecl>,
}

/// How a section orders its pages.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// Newest first; undated pages last.
    #[default]
    Date,
    Weight,
    Title,
    None,
}

/// Which header syntax a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// A content file cut into header and body, with their byte offsets in the file.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    pub format: Option<Format>,
    pub header: &'a str,
    pub header_offset: usize,
    pub body: &'a str,
    pub body_offset: usize,
}

/// Cut `text` (a whole content file) into header and body.
pub fn split(text: &str) -> Result<Split<'_>, (String, usize)> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let format = match first_line(rest).trim_end() {
        "+++" => Format::Toml,
        "---" => Format::Yaml,
        _ => {
            return Ok(Split {
                format: None,
                header: "",
                header_offset: start,
                body: rest,
                body_offset: start,
            });
        }
    };
    let fence = if format == Format::Toml { "+++" } else { "---" };
    let header_offset = start + first_line(rest).len() + newline_len(rest, first_line(rest).len());
    let mut pos = header_offset;
    while pos <= text.len() {
        let line = first_line(&text[pos..]);
        if line.trim_end() == fence {
            let after = pos + line.len();
            let body_offset = after + newline_len(text, after);
            return Ok(Split {
                format: Some(format),
                header: &text[header_offset..pos],
                header_offset,
                body: &text[body_offset..],
                body_offset,
            });
        }
        // Step past the `\n`: a lone `\r` is not a line ending, so it must not stall the scan.
        match text[pos..].find('\n') {
            Some(i) => pos += i + 1,
            None => break,
        }
    }
    Err((
        format!(
            "front matter opened with `{fence}` on line 1 is never closed (add a line with `{fence}` after it)"
        ),
        start,
    ))
}

/// The text of the first line, without its line ending.
fn first_line(text: &str) -> &str {
    let end = text.find('\n').unwrap_or(text.len());
    text[..end].strip_suffix('\r').unwrap_or(&text[..end])
}

/// Length of the line ending at `at` (`\r\n`, `\n` or none).
fn newline_len(text: &str, at: usize) -> usize {
    let rest = &text.as_bytes()[at.min(text.len())..];
    if rest.starts_with(b"\r\n") {
        2
    } else if rest.starts_with(b"\n") {
        1
    } else {
        0
    }
}

/// Parse the header of `split` (a file's text `text`) into [`FrontMatter`].
pub fn parse(text: &str, split: &Split<'_>) -> Result<FrontMatter, Diagnostic> {
    match split.format {
        None => Ok(FrontMatter::default()),
        Some(Format::Toml) => toml::from_str(split.header).map_err(|e| {
            let d = Diagnostic::error(
                "front-matter",
                format!("invalid TOML front matter: {}", e.message().trim_end()),
            );
            let offset = split.header_offset + e.span().map_or(0, |s| s.start);
            d.at_offset(text, offset)
        }),
        Some(Format::Yaml) => {
            if split.header.trim().is_empty() {
                return Ok(FrontMatter::default());
            }
            serde_saphyr::from_str(split.header).map_err(|e| {
                let message = yaml_message(&e);
                let d = Diagnostic::error(
                    "front-matter",
                    format!("invalid YAML front matter: {message}"),
                );
                match e.location() {
                    Some(loc) => {
                        let header_line =
                            crate::diagnostics::Position::of_offset(text, split.header_offset).line;
                        d.at_line_col(
                            text,
                            header_line + loc.line() as usize - 1,
                            loc.column() as usize,
                        )
                    }
                    None => d.at_offset(text, split.header_offset),
                }
            })
        }
    }
}

/// The YAML error's message without the location the library writes into it
/// (`error: line 2 column 1: …`, `… at line 2 column 1`): that location counts
/// from the header, not the file, and the diagnostic carries the file's own.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let mut first = full.lines().next().unwrap_or("").trim();
    first = first.strip_prefix("error: ").unwrap_or(first);
    if let Some(rest) = first.strip_prefix("line ")
        && let Some((location, message)) = rest.split_once(": ")
        && location
            .split(' ')
            .all(|w| w == "column" || w.parse::<u64>().is_ok())
    {
        first = message;
    }
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// `extra` as itself in front matter, and as JSON text in binary formats
/// (which cannot hold a value whose shape they are not told).
mod binary_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(value: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return value.serialize(s);
        }
        value.as_ref().map(Value::to_string).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        if d.is_human_readable() {
            return Option::<Value>::deserialize(d);
        }
        Option::<String>::deserialize(d)?
            .map(|text| serde_json::from_str(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The byte range, in a document's front matter `front`, of table `index` of
/// array `key`: from the TOML parser's spans, or for YAML the list item's
/// lines. `None` when it cannot be found.
pub fn item_range(front: &str, key: &str, index: usize) -> Option<std::ops::Range<usize>> {
    let split = split(front).ok()?;
    let within = match split.format? {
        Format::Toml => toml_item_range(split.header, key, index)?,
        Format::Yaml => yaml_item_range(split.header, key, index)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_toml_header_with_crlf() {
        let text = "+++\r\ntitle = \"a\"\r\n+++\r\nbody\r\n";
        let s = split(text).unwrap();
        assert_eq!(s.format, Some(Format::Toml));
        assert_eq!(s.header, "title = \"a\"\r\n");
        assert_eq!(s.body, "body\r\n");
    }

    #[test]
    fn unclosed_header_is_an_error() {
        assert!(split("---\ntitle: a\nbody\n").is_err());
    }

    /// Found by fuzzing: a bare `\r` with no `\n` after it in an unclosed header
    /// made the scan for the closing fence loop forever.
    #[test]
    fn lone_carriage_return_in_unclosed_header_does_not_hang() {
        for text in [
            "+++\n\r",
            "+++\r",
            "---\r\n\r",
            "+++\ntitle = 1\r\n\u{fffd}\r",
            "\u{feff}+++ \r",
        ] {
            assert!(split(text).is_err(), "{text:?}");
        }
        let s = split("+++\r\nx = 1\r\n+++\r").unwrap();
        assert_eq!(s.header, "x = 1\r\n");
        assert_eq!(s.body, "\r");
    }

    #[test]
    fn toml_dates_and_strings_both_parse() {
        let text = "+++\ndate = 2023-05-04\nupdated = \"2023-05-05T10:00:00Z\"\n+++\n";
        let s = split(text).unwrap();
        let fm = parse(text, &s).unwrap();
        assert_eq!(fm.date.unwrap().text, "2023-05-04");
        assert_eq!(fm.updated.unwrap().day.to_string(), "2023-05-05");
    }

    #[test]
    fn impossible_date_is_located() {
        let text = "+++\ntitle = \"x\"\ndate = \"2023-02-30\"\n+++\n";
        let s = split(text).unwrap();
        let err = parse(text, &s).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
    }

    /// The build cache keeps parsed front matter in postcard: every key must
    /// come back as parsed, dates and free-form `extra` included.
    #[test]
    fn parsed_front_matter_survives_the_cache_format() {
        let text = r#"+++
title = "Drones over the Kremlin"
date = 2023-05-03
updated = "2023-05-04T09:30:00+01:00"
weight = -3
extra = { tags = ["kremlin", 7], nested = { on = true } }
sort_by = "weight"

[[statements]]
id = "s1"
speaker = "A spokesman"
party = "russia"
date = 2023-05-03
kind = "quote"
status = "claimed"
source = "bbc"
text = "a quoted passage"
+++
body
"#;
        let meta = parse(text, &split(text).unwrap()).unwrap();
        let bytes = postcard::to_stdvec(&meta).unwrap();
        let back: FrontMatter = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(format!("{back:?}"), format!("{meta:?}"));
        assert_eq!(back.updated.unwrap().rfc3339, "2023-05-04T09:30:00+01:00");
        assert_eq!(back.extra.unwrap()["nested"]["on"], serde_json::json!(true));
    }

    #[test]
    fn yaml_header_parses() {
        let text = "---\ntitle: Hello\ndate: 2023-05-04\n---\nbody";
        let s = split(text).unwrap();
        let fm = parse(text, &s).unwrap();
        assert_eq!(fm.title.as_deref(), Some("Hello"));
        assert_eq!(fm.date.unwrap().text, "2023-05-04");
    }

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
