//! Quotations in prose, found while rendering: text between “…” (or "…")
//! marks, raw `<q>` elements, and block quotations (Markdown `>` and raw
//! `<blockquote>`), each with the citation that vouches for it.
//!
//! A quotation's citation is the first `[@source]` after it in the same block
//! (paragraph, heading, list item, table cell, block quotation), else the last
//! one before it. A block quotation (and a raw HTML block) may instead be
//! cited in the block right before or right after it ("The presidency said
//! [@kremlin]:" followed by `> …`). Inside a block quotation, quotation marks
//! are the source's own nested quotes: each paragraph of the block is one
//! quotation, except an attribution paragraph starting with a dash.

use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// A quotation found in prose.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FoundQuotation {
    /// The quoted words as written (marks removed); the same words quoted
    /// elsewhere share the text (see [`shared_text`]), read from the cache too.
    #[serde(deserialize_with = "deserialize_shared")]
    pub text: Arc<str>,
    /// Byte offset in the Markdown body.
    pub offset: usize,
    /// The source id of the citation that vouches for it, if there is one nearby.
    pub source: Option<String>,
}

/// `text` as an `Arc<str>`, shared with every other quotation of the same
/// words this process has found: a site quotes the same passages of its
/// sources on many pages (the benchmark corpus quotes 4 of a few dozen
/// passages on each of its pages: 8.6 MB of copies at 10 000 pages). Texts
/// no quotation holds any more are dropped whenever the table has doubled
/// since the last sweep, so a long `serve` does not keep old ones.
fn shared_text(text: &str) -> Arc<str> {
    struct Shared {
        texts: rustc_hash::FxHashSet<Arc<str>>,
        sweep_at: usize,
    }
    static SHARED: Mutex<Option<Shared>> = Mutex::new(None);
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    let shared = shared.get_or_insert_with(|| Shared {
        texts: Default::default(),
        sweep_at: 1024,
    });
    if let Some(known) = shared.texts.get(text) {
        return known.clone();
    }
    if shared.texts.len() >= shared.sweep_at {
        shared.texts.retain(|t| Arc::strong_count(t) > 1);
        shared.sweep_at = (2 * shared.texts.len()).max(1024);
    }
    let new: Arc<str> = Arc::from(text);
    shared.texts.insert(new.clone());
    new
}

/// A [`shared_text`] from a deserializer: the text is looked up where it lies
/// in the input, without a `String` made first (40 000 quotations decoded in a
/// one-page edit of 10 000 pages).
fn deserialize_shared<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = Arc<str>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a quotation's text")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Arc<str>, E> {
            Ok(shared_text(text))
        }
    }
    d.deserialize_str(Text)
}

/// A quotation or citation with the block it was found in.
struct Placed<T> {
    block: usize,
    /// Whether it belongs to a block quotation or HTML block (citable from a neighbouring block).
    standalone: bool,
    offset: usize,
    item: T,
}

/// Collects quotations and citations while the renderer walks the events.
#[derive(Default)]
pub struct Scanner {
    block: usize,
    /// Depth of container blocks (items, block quotations, cells, footnotes):
    /// paragraphs inside them belong to the container's block.
    containers: usize,
    blockquotes: usize,
    open: Option<Open>,
    quotations: Vec<Placed<Arc<str>>>,
    citations: Vec<Placed<String>>,
}

/// A quotation still being read.
struct Open {
    offset: usize,
    text: String,
    /// What ends it.
    close: Close,
}

#[derive(Clone, Copy, PartialEq)]
enum Close {
    Curly,
    Straight,
    /// `</q>`.
    Element,
    /// The end of the paragraph (a paragraph of a block quotation).
    Paragraph,
}

impl Scanner {
    fn new_block(&mut self) {
        self.finish_open();
        self.block += 1;
    }

    /// A block starts: a paragraph, heading or HTML block.
    pub fn leaf_start(&mut self) {
        if self.containers == 0 {
            self.new_block();
        }
    }

    /// A paragraph starts (inside a block quotation, it is one quotation).
    pub fn paragraph_start(&mut self, offset: usize) {
        self.leaf_start();
        if self.blockquotes > 0 {
            self.finish_open();
            self.open = Some(Open {
                offset,
                text: String::new(),
                close: Close::Paragraph,
            });
        }
    }

    /// A paragraph, heading or cell ends.
    pub fn leaf_end(&mut self) {
        self.finish_open();
    }

    /// A container block starts: list item, block quotation, table cell, footnote.
    pub fn container_start(&mut self, blockquote: bool) {
        if self.containers == 0 {
            self.new_block();
        }
        self.containers += 1;
        self.blockquotes += usize::from(blockquote);
    }

    pub fn container_end(&mut self, blockquote: bool) {
        self.finish_open();
        self.containers = self.containers.saturating_sub(1);
        self.blockquotes = self.blockquotes.saturating_sub(usize::from(blockquote));
    }

    /// Whether a quotation is being read.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// A citation of `source` at `offset`.
    pub fn citation(&mut self, source: &str, offset: usize) {
        self.citations.push(self.placed(offset, source.to_string()));
    }

    /// Prose text at `offset`: marks open and close quotations.
    pub fn text(&mut self, text: &str, offset: usize) {
        if self.blockquotes > 0 {
            if let Some(open) = &mut self.open {
                open.text.push_str(text);
            }
            return;
        }
        let mut from = 0;
        // Only `"`, `“` and `”` matter; 0xE2 leads the curly ones (and is
        // never inside another character), so the search lands on characters.
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(found) = memchr::memchr2(b'"', 0xE2, &bytes[at..]) {
            let i = at + found;
            let c = text[i..].chars().next().unwrap_or('"');
            at = i + c.len_utf8();
            let close = match (&self.open, c) {
                (None, '“') => {
                    self.open_quotation(offset + i, Close::Curly);
                    from = i + c.len_utf8();
                    continue;
                }
                (None, '"') => {
                    self.open_quotation(offset + i, Close::Straight);
                    from = i + c.len_utf8();
                    continue;
                }
                (Some(o), '”') => o.close == Close::Curly,
                (Some(o), '"') => o.close == Close::Straight,
                _ => false,
            };
            if close {
                self.push_text(&text[from..i]);
                self.finish_open();
                from = i + c.len_utf8();
            }
        }
        self.push_text(&text[from..]);
    }

    /// Text that is quoted whatever it holds (inline code, a line break).
    pub fn push_text(&mut self, text: &str) {
        if let Some(open) = &mut self.open {
            open.text.push_str(text);
        }
    }

    /// Inline raw HTML: `<q>` opens a quotation, `</q>` closes it.
    pub fn inline_html(&mut self, html: &str, offset: usize) {
        let tag = html.trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('<')
            .split(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .find(|s| !s.is_empty())
            .unwrap_or("");
        if name != "q" || self.blockquotes > 0 {
            return;
        }
        if tag.starts_with("</") {
            if self
                .open
                .as_ref()
                .is_some_and(|o| o.close == Close::Element)
            {
                self.finish_open();
            }
        } else {
            self.finish_open();
            self.open_quotation(offset, Close::Element);
        }
    }

    /// Quotations of a raw HTML block (`<q>`, `<blockquote>`), already extracted.
    pub fn html_block(&mut self, quotations: Vec<String>, offset: usize) {
        for text in quotations {
            self.quotations.push(Placed {
                standalone: true,
                ..self.placed(offset, shared_text(&text))
            });
        }
    }

    fn placed<T>(&self, offset: usize, item: T) -> Placed<T> {
        Placed {
            block: self.block,
            standalone: self.blockquotes > 0,
            offset,
            item,
        }
    }

    fn open_quotation(&mut self, offset: usize, close: Close) {
        self.open = Some(Open {
            offset,
            text: String::new(),
            close,
        });
    }

    fn finish_open(&mut self) {
        let Some(open) = self.open.take() else { return };
        let text = open.text.trim();
        let attribution = open.close == Close::Paragraph && text.starts_with(['—', '–', '-']);
        if text.is_empty() || attribution {
            return;
        }
        let mut placed = self.placed(open.offset, shared_text(text));
        placed.standalone |= open.close == Close::Paragraph;
        self.quotations.push(placed);
    }

    /// Every quotation with the citation that vouches for it.
    pub fn finish(mut self) -> Vec<FoundQuotation> {
        self.finish_open();
        let citations = &self.citations;
        let in_block = |block: usize| citations.iter().filter(move |c| c.block == block);
        self.quotations
            .into_iter()
            .map(|q| {
                let after = in_block(q.block).find(|c| c.offset > q.offset);
                let before = in_block(q.block).rfind(|c| c.offset < q.offset);
                let beside = || {
                    q.standalone
                        .then(|| {
                            in_block(q.block.wrapping_sub(1))
                                .next_back()
                                .or_else(|| in_block(q.block + 1).next())
                        })
                        .flatten()
                };
                let cite = after.or(before).or_else(beside);
                FoundQuotation {
                    text: q.item,
                    offset: q.offset,
                    source: cite.map(|c| c.item.clone()),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotations_of(text: &str) -> Vec<FoundQuotation> {
        let mut scanner = Scanner::default();
        scanner.leaf_start();
        scanner.text(text, 0);
        scanner.finish()
    }

    #[test]
    fn the_same_words_quoted_twice_share_one_text() {
        let words = "shared words of a passage quoted on two pages";
        let first = quotations_of(&format!("One page: “{words}”."));
        let second = quotations_of(&format!("Another: “{words}”, again."));
        assert_eq!(&*first[0].text, words);
        assert!(Arc::ptr_eq(&first[0].text, &second[0].text));
        let other = quotations_of("“different words”");
        assert!(!Arc::ptr_eq(&first[0].text, &other[0].text));
    }

    #[test]
    fn quotations_read_back_from_the_cache_share_their_text() {
        let words = "words a cached page and a rendered page both quote";
        let rendered = quotations_of(&format!("“{words}”"));
        let bytes = postcard::to_allocvec(&rendered).unwrap();
        let read: Vec<FoundQuotation> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(read, rendered);
        assert!(Arc::ptr_eq(&read[0].text, &rendered[0].text));
        let json: Vec<FoundQuotation> =
            serde_json::from_str(&serde_json::to_string(&rendered).unwrap()).unwrap();
        assert!(Arc::ptr_eq(&json[0].text, &rendered[0].text));
    }

    #[test]
    fn a_text_no_quotation_holds_is_let_go() {
        let words = "words quoted once, then forgotten by every page";
        let found = quotations_of(&format!("“{words}”"));
        let weak = Arc::downgrade(&found[0].text);
        drop(found);
        // New texts fill the table until it is swept.
        for i in 0..1_000_000 {
            if weak.upgrade().is_none() {
                return;
            }
            let _ = shared_text(&format!("filler {i}"));
        }
        panic!("a text nothing quotes any more was kept");
    }

    #[test]
    fn raw_html_quotations_are_decoded() {
        assert_eq!(
            super::super::rawhtml::quotations(
                "<blockquote><p>Last &ldquo;night&rdquo;, <em>the</em> regime</p></blockquote><p>x <q>a &amp; b</q></p>"
            ),
            ["Last “night”, the regime", "a & b"]
        );
    }
}
