//! Syntax highlighting of fenced code with syntect, as CSS classes.
//!
//! The syntax set loads once, on the first page that has code; the stylesheet
//! covering the light and dark themes is generated once per build. Lines that
//! come back in the same parser state (closing braces, common statements) are
//! parsed once per thread: see [`LineMemo`].

use crate::html::escape;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::hash::BuildHasher;
use std::sync::OnceLock;
use syntect::highlighting::ThemeSet;
use syntect::html::{
    ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style, line_tokens_to_classed_spans,
};
use syntect::parsing::{ParseState, ScopeStack, ScopeStackOp, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Class prefix of highlighted tokens, so they cannot clash with the site's CSS.
const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// HTML for one fenced code block; unknown languages come out as plain escaped code.
pub fn code_block(lang: &str, code: &str, highlight: bool) -> String {
    let lang_attr = if lang.is_empty() {
        String::new()
    } else {
        format!(" data-lang=\"{}\"", escape(lang))
    };
    if highlight
        && !lang.is_empty()
        && let Some(html) = highlighted(lang, code)
    {
        return format!("<pre class=\"code\"{lang_attr}><code>{html}</code></pre>\n");
    }
    let class = if lang.is_empty() {
        String::new()
    } else {
        format!(" class=\"language-{}\"", escape(lang))
    };
    format!(
        "<pre{lang_attr}><code{class}>{}</code></pre>\n",
        escape(code)
    )
}

fn highlighted(lang: &str, code: &str) -> Option<String> {
    let set = syntaxes();
    let syntax = set.find_syntax_by_token(lang)?;
    MEMO.with(|memo| memo.borrow_mut().highlight(set, syntax, code))
}

/// syntect alone, line by line, without the memo: what `benches/floor.rs`
/// measures as the cost of highlighting (same syntaxes, same class style).
/// `None` for an unknown language.
pub fn syntect_only(lang: &str, code: &str) -> Option<String> {
    let set = syntaxes();
    let syntax = set.find_syntax_by_token(lang)?;
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, STYLE);
    for line in LinesWithEndings::from(code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .ok()?;
    }
    Some(generator.finalize())
}

thread_local! {
    static MEMO: RefCell<LineMemo> = RefCell::default();
}

/// Distinct lines a thread remembers before it starts afresh (about 1 KiB each).
const MEMO_LINES: usize = 20_000;
/// Line hashes a thread remembers having seen once before it starts afresh.
const MEMO_SEEN: usize = 1_000_000;

/// The parse of lines seen before, per thread. syntect's parse of a line
/// depends only on the parser state before it and the line's text, so a line
/// met again in an equal state (a brace closing a block, a common statement)
/// reuses the scope operations and the state after it, and the HTML comes out
/// byte for byte as syntect's. A line is remembered from its second sighting
/// on, so a site's unique lines cost one hash each, not a copy of the state.
#[derive(Default)]
struct LineMemo {
    seen: FxHashSet<u64>,
    lines: FxHashMap<u64, Vec<Parsed>>,
    len: usize,
}

/// One line's parse in one state.
struct Parsed {
    line: Box<str>,
    before: ParseState,
    ops: Vec<(usize, ScopeStackOp)>,
    after: ParseState,
}

impl LineMemo {
    /// The same HTML as [`syntect_only`], reusing the parse of remembered lines.
    fn highlight(
        &mut self,
        set: &SyntaxSet,
        syntax: &SyntaxReference,
        code: &str,
    ) -> Option<String> {
        if self.len > MEMO_LINES || self.seen.len() > MEMO_SEEN {
            *self = LineMemo::default();
        }
        let mut state = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut html = String::with_capacity(code.len() * 16);
        let mut open_spans = 0;
        for line in LinesWithEndings::from(code) {
            let key = rustc_hash::FxBuildHasher.hash_one(line);
            let known = self.lines.get(&key).and_then(|parsed| {
                parsed
                    .iter()
                    .find(|p| &*p.line == line && p.before == state)
            });
            let (spans, delta) = match known {
                Some(p) => {
                    state.clone_from(&p.after);
                    line_tokens_to_classed_spans(line, &p.ops, STYLE, &mut stack).ok()?
                }
                None => {
                    let before = (!self.seen.insert(key)).then(|| state.clone());
                    let ops = state.parse_line(line, set).ok()?;
                    let out = line_tokens_to_classed_spans(line, &ops, STYLE, &mut stack).ok()?;
                    if let Some(before) = before {
                        self.remember(key, line, before, ops, &state);
                    }
                    out
                }
            };
            open_spans += delta;
            html.push_str(&spans);
        }
        for _ in 0..open_spans {
            html.push_str("</span>");
        }
        Some(html)
    }

    fn remember(
        &mut self,
        key: u64,
        line: &str,
        before: ParseState,
        ops: Vec<(usize, ScopeStackOp)>,
        after: &ParseState,
    ) {
        self.len += 1;
        self.lines.entry(key).or_default().push(Parsed {
            line: line.into(),
            before,
            ops,
            after: after.clone(),
        });
    }
}

/// The stylesheet for highlighted code: the light theme, and the dark one under
/// `prefers-color-scheme: dark`. Unknown theme names are an error naming the known ones.
pub fn stylesheet(light: &str, dark: &str) -> Result<String, String> {
    let themes = ThemeSet::load_defaults();
    let get = |name: &str| {
        themes.themes.get(name).ok_or_else(|| {
            let mut known: Vec<&str> = themes.themes.keys().map(String::as_str).collect();
            known.sort();
            format!(
                "unknown highlighting theme {name:?}; known themes: {}",
                known.join(", ")
            )
        })
    };
    let light_css =
        css_for_theme_with_class_style(get(light)?, STYLE).map_err(|e| e.to_string())?;
    let dark_css = css_for_theme_with_class_style(get(dark)?, STYLE).map_err(|e| e.to_string())?;
    Ok(format!(
        "/* Generated by explainer: code highlighting, light and dark. */\n{light_css}\n@media (prefers-color-scheme: dark) {{\n{dark_css}\n}}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_language_is_highlighted_with_classes() {
        let html = code_block("rust", "fn main() {}\n", true);
        assert!(html.contains("hl-"), "{html}");
    }

    #[test]
    fn remembered_lines_give_syntect_s_own_html() {
        // Lines repeated in the same state and in different states (inside a
        // string, a comment, nested blocks), each block highlighted three times.
        let blocks = [
            "fn a() {\n    let x = 1;\n    }\n}\n",
            "/* open\n    }\n}\n*/ fn b() {\n    }\n}\n",
            "let s = \"\n    }\n}\n\";\n    }\n}\n",
            "fn a() {\n    let x = 1;\n    }\n}\n",
        ];
        for _ in 0..3 {
            for code in blocks {
                let memo = code_block("rust", code, true);
                let plain = syntect_only("rust", code).unwrap();
                assert_eq!(
                    memo,
                    format!("<pre class=\"code\" data-lang=\"rust\"><code>{plain}</code></pre>\n")
                );
            }
        }
        MEMO.with(|m| assert!(m.borrow().len > 0, "repeated lines were remembered"));
    }

    #[test]
    fn unknown_language_is_plain_escaped() {
        let html = code_block("nosuchlang", "<b>\n", true);
        assert_eq!(
            html,
            "<pre data-lang=\"nosuchlang\"><code class=\"language-nosuchlang\">&lt;b&gt;\n</code></pre>\n"
        );
    }

    #[test]
    fn stylesheet_covers_dark_mode() {
        let css = stylesheet("InspiredGitHub", "base16-ocean.dark").unwrap();
        assert!(css.contains("prefers-color-scheme: dark"));
        assert!(stylesheet("nope", "base16-ocean.dark").is_err());
    }
}
