//! The start tags of an HTML document and their attributes, read the way
//! lol_html's tokenizer reads them (the HTML tokenizer, with its feedback from
//! tree construction simulated), but without building tokens for anything
//! else: text, comments, doctypes, CDATA sections, end tags and the contents of
//! raw-text and RCDATA elements are only skipped over.
//!
//! What is a tag and what is text follows the HTML tokenizer: names are ASCII
//! case-insensitive; comments end at `-->` or `--!>` (`<!-->` and `<!--->` are
//! empty ones); `<!DOCTYPE …>` ends at the first `>`; `<![CDATA[ … ]]>` is a
//! CDATA section only inside `<svg>` or `<math>`, else a bogus comment;
//! `<script>` (with its escaped `<!-- … -->` states), `<style>`, `<textarea>`,
//! `<title>`, `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`, `<noscript>` end
//! only at their own end tag (not inside `<svg>` or `<math>`), and `<plaintext>`
//! never ends. A tag cut off by the end of the file is not a tag.
//!
//! One difference from lol_html: where a text element's effect depends on
//! the tree (`<select><title>`, `<frameset>…<style>`), lol_html gives up (and
//! the build it ran in panicked); here such an element is a text element as
//! anywhere else, as in today's HTML parsing of `<select>`.

use memchr::{memchr, memchr2, memmem};

/// One attribute as written: its name and value, raw (no character references decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'h> {
    pub name: &'h [u8],
    /// `None` for an attribute written without `=`.
    pub value: Option<&'h [u8]>,
}

/// A start tag: its name as written and every attribute in order (duplicates included).
#[derive(Debug)]
pub struct StartTag<'h, 'a> {
    pub name: &'h [u8],
    pub attributes: &'a [Attribute<'h>],
}

/// Call `on_tag` with every start tag of `html`, in order.
pub fn start_tags<'h>(html: &'h [u8], mut on_tag: impl FnMut(&StartTag<'h, '_>)) {
    let mut reader = Reader {
        html,
        pos: 0,
        text: Reading::Data,
        last_start: b"",
        ns: vec![Ns::Html],
        attributes: Vec::new(),
    };
    // `None`: the end of the file (or of what lol_html would read) was reached.
    let _ = reader.run(&mut on_tag);
}

/// How the text after a tag is read (the tokenizer's text states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Data,
    RcData,
    RawText,
    ScriptData,
    PlainText,
    CData,
}

/// The namespace the tree builder would be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Html,
    Svg,
    MathMl,
}

/// How a tag ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagEnd {
    Plain,
    SelfClosing,
}

/// HTML elements whose start tag leaves SVG or MathML content.
const LEAVE_FOREIGN: &[&[u8]] = &[
    b"b",
    b"big",
    b"blockquote",
    b"body",
    b"br",
    b"center",
    b"code",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"em",
    b"embed",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"head",
    b"hr",
    b"i",
    b"img",
    b"li",
    b"listing",
    b"menu",
    b"meta",
    b"nobr",
    b"ol",
    b"p",
    b"pre",
    b"ruby",
    b"s",
    b"small",
    b"span",
    b"strong",
    b"strike",
    b"sub",
    b"sup",
    b"table",
    b"tt",
    b"u",
    b"ul",
    b"var",
];

/// MathML text integration points.
const MATHML_TEXT_POINTS: &[&[u8]] = &[b"mi", b"mo", b"mn", b"ms", b"mtext"];
/// SVG HTML integration points.
const SVG_HTML_POINTS: &[&[u8]] = &[b"desc", b"title", b"foreignobject"];

/// Bytes that end an attribute name: the five spaces, `/`, `=` and `>`.
static ENDS_ATTRIBUTE_NAME: [bool; 256] = byte_set(b" \n\r\t\x0C/=>");
/// Bytes that end a tag name: the five spaces, `/` and `>`.
static ENDS_TAG_NAME: [bool; 256] = byte_set(b" \n\r\t\x0C/>");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'\x0C')
}

#[inline]
fn is(name: &[u8], lower: &[u8]) -> bool {
    name.eq_ignore_ascii_case(lower)
}

fn one_of(name: &[u8], names: &[&[u8]]) -> bool {
    names.iter().any(|n| is(name, n))
}

/// The tokenizer's state between tags.
struct Reader<'h> {
    html: &'h [u8],
    /// The next byte to read.
    pos: usize,
    text: Reading,
    /// The name of the last start tag (whose end tag ends raw text).
    last_start: &'h [u8],
    ns: Vec<Ns>,
    /// The attributes of the tag being read.
    attributes: Vec<Attribute<'h>>,
}

impl<'h> Reader<'h> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.html.get(at).copied()
    }

    fn rest(&self) -> &'h [u8] {
        self.html.get(self.pos..).unwrap_or_default()
    }

    /// Read to the end; `None` where reading stops.
    fn run(&mut self, on_tag: &mut impl FnMut(&StartTag<'h, '_>)) -> Option<()> {
        loop {
            match self.text {
                Reading::Data => {
                    self.pos += memchr(b'<', self.rest())? + 1;
                    self.markup(on_tag)?;
                }
                Reading::RcData | Reading::RawText => self.raw_text(on_tag)?,
                Reading::ScriptData => self.script_data(on_tag)?,
                Reading::PlainText => return None,
                Reading::CData => {
                    self.pos += memmem::find(self.rest(), b"]]>")? + 3;
                    self.text = Reading::Data;
                }
            }
        }
    }

    /// What follows a `<` in the data state (`pos` is just after it).
    fn markup(&mut self, on_tag: &mut impl FnMut(&StartTag<'h, '_>)) -> Option<()> {
        let c = self.byte(self.pos)?;
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => self.tag(true, on_tag),
            b'!' => self.declaration(),
            b'/' => match self.byte(self.pos + 1)? {
                b'a'..=b'z' | b'A'..=b'Z' => {
                    self.pos += 1;
                    self.tag(false, on_tag)
                }
                b'>' => {
                    self.pos += 2;
                    Some(())
                }
                _ => self.bogus_comment(self.pos + 1),
            },
            b'?' => self.bogus_comment(self.pos + 1),
            // Text: read on from this byte.
            _ => Some(()),
        }
    }

    /// `<!…` (`pos` is at the `!`).
    fn declaration(&mut self) -> Option<()> {
        let after = self.pos + 1;
        let rest = self.html.get(after..).unwrap_or_default();
        if rest.starts_with(b"--") {
            return self.comment(after + 2);
        }
        if rest.len() >= 7 && is(&rest[..7], b"doctype") {
            return self.bogus_comment(after + 7);
        }
        if rest.starts_with(b"[CDATA[") && self.cdata_allowed() {
            self.pos = after + 7;
            self.text = Reading::CData;
            return Some(());
        }
        self.bogus_comment(after)
    }

    /// Skip past the next `>` from `from`.
    fn bogus_comment(&mut self, from: usize) -> Option<()> {
        let rest = self.html.get(from..).unwrap_or_default();
        self.pos = from + memchr(b'>', rest)? + 1;
        Some(())
    }

    /// A comment whose text starts at `body`.
    fn comment(&mut self, body: usize) -> Option<()> {
        let rest = self.html.get(body..).unwrap_or_default();
        if rest.starts_with(b">") {
            self.pos = body + 1;
            return Some(());
        }
        if rest.starts_with(b"->") {
            self.pos = body + 2;
            return Some(());
        }
        let mut from = 0;
        loop {
            let at = from + memmem::find(&rest[from..], b"--")?;
            let after = &rest[at + 2..];
            if after.starts_with(b">") {
                self.pos = body + at + 3;
                return Some(());
            }
            if after.starts_with(b"!>") {
                self.pos = body + at + 4;
                return Some(());
            }
            from = at + 1;
        }
    }

    /// A start or end tag whose name starts at `pos`.
    fn tag(&mut self, start: bool, on_tag: &mut impl FnMut(&StartTag<'h, '_>)) -> Option<()> {
        let from = self.pos;
        let len = self
            .rest()
            .iter()
            .position(|&c| ENDS_TAG_NAME[usize::from(c)])?;
        let name = &self.html[from..from + len];
        self.pos += len;
        let end = self.attributes()?;
        if start {
            self.start_tag(name, end, on_tag);
        } else {
            self.end_tag(name);
        }
        Some(())
    }

    /// Read a tag's attributes from `pos` to its `>`: the tokenizer's states
    /// from "before attribute name" to the tag's end, a loop for each run of
    /// bytes one state reads.
    fn attributes(&mut self) -> Option<TagEnd> {
        self.attributes.clear();
        let html = self.html;
        let mut pos = self.pos;
        loop {
            // Before an attribute name (also after a quoted value, which
            // reads the same bytes the same way).
            match *html.get(pos)? {
                c if is_space(c) => {
                    pos += 1;
                    continue;
                }
                b'>' => {
                    self.pos = pos + 1;
                    return Some(TagEnd::Plain);
                }
                b'/' => {
                    // Self-closing unless something other than `>` follows;
                    // then that byte is read again before an attribute name.
                    pos += 1;
                    if *html.get(pos)? == b'>' {
                        self.pos = pos + 1;
                        return Some(TagEnd::SelfClosing);
                    }
                    continue;
                }
                _ => {}
            }
            // The name: its first byte whatever it is (even `=`), then up to
            // a space, `/`, `=` or `>`.
            let start = pos;
            pos += 1 + html
                .get(pos + 1..)?
                .iter()
                .position(|&c| ENDS_ATTRIBUTE_NAME[usize::from(c)])?;
            let end = pos;
            while is_space(*html.get(pos)?) {
                pos += 1;
            }
            if html[pos] != b'=' {
                // No value: `/`, `>` or the next name is read before a name.
                self.add(start, end, None);
                continue;
            }
            pos += 1;
            while is_space(*html.get(pos)?) {
                pos += 1;
            }
            match html[pos] {
                quote @ (b'"' | b'\'') => {
                    let value = pos + 1;
                    let close = value + memchr(quote, html.get(value..)?)?;
                    self.add(start, end, Some(&html[value..close]));
                    pos = close + 1;
                }
                b'>' => {
                    self.add(start, end, None);
                    self.pos = pos + 1;
                    return Some(TagEnd::Plain);
                }
                _ => {
                    // Unquoted: up to a space or `>`, which are read again.
                    let value = pos;
                    pos += html[pos..].iter().position(|&c| is_space(c) || c == b'>')?;
                    self.add(start, end, Some(&html[value..pos]));
                }
            }
        }
    }

    fn add(&mut self, start: usize, end: usize, value: Option<&'h [u8]>) {
        self.attributes.push(Attribute {
            name: &self.html[start..end],
            value,
        });
    }

    /// A whole start tag was read: tell the tree builder, then `on_tag`.
    fn start_tag(
        &mut self,
        name: &'h [u8],
        end: TagEnd,
        on_tag: &mut impl FnMut(&StartTag<'h, '_>),
    ) {
        self.text = Reading::Data;
        if is(name, b"svg") {
            self.enter(Ns::Svg);
        } else if is(name, b"math") {
            self.enter(Ns::MathMl);
        } else if self.current_ns() != Ns::Html {
            self.start_in_foreign(name, end);
        } else {
            self.text = text_after(name);
        }
        self.last_start = name;
        on_tag(&StartTag {
            name,
            attributes: &self.attributes,
        });
    }

    /// A start tag inside SVG or MathML.
    fn start_in_foreign(&mut self, name: &[u8], end: TagEnd) {
        let ns = self.current_ns();
        if one_of(name, LEAVE_FOREIGN) {
            self.leave();
        } else if (ns == Ns::Svg && one_of(name, SVG_HTML_POINTS))
            || (ns == Ns::MathMl && one_of(name, MATHML_TEXT_POINTS))
        {
            if end != TagEnd::SelfClosing {
                self.enter(Ns::Html);
            }
        } else if is(name, b"font") {
            let leaves = self
                .attributes
                .iter()
                .any(|a| one_of(a.name, &[b"color", b"size", b"face"]));
            if leaves {
                self.leave();
            }
        } else if ns == Ns::MathMl && end != TagEnd::SelfClosing && is(name, b"annotation-xml") {
            let html = self.attributes.iter().any(|a| {
                is(a.name, b"encoding")
                    && a.value
                        .is_some_and(|v| is(v, b"text/html") || is(v, b"application/xhtml+xml"))
            });
            if html {
                self.enter(Ns::Html);
            }
        }
    }

    /// A whole end tag was read: tell the tree builder.
    fn end_tag(&mut self, name: &[u8]) {
        self.text = Reading::Data;
        let ns = self.current_ns();
        if ns == Ns::Html {
            let Some(&outer) = self.ns.len().checked_sub(2).and_then(|i| self.ns.get(i)) else {
                return;
            };
            let leaves = match outer {
                Ns::MathMl => one_of(name, MATHML_TEXT_POINTS) || is(name, b"annotation-xml"),
                Ns::Svg => one_of(name, SVG_HTML_POINTS),
                Ns::Html => false,
            };
            if leaves {
                self.leave();
            }
        } else if (ns == Ns::Svg && is(name, b"svg"))
            || (ns == Ns::MathMl && is(name, b"math"))
            || is(name, b"p")
            || is(name, b"br")
        {
            self.leave();
        }
    }

    fn current_ns(&self) -> Ns {
        self.ns.last().copied().unwrap_or(Ns::Html)
    }

    fn cdata_allowed(&self) -> bool {
        self.current_ns() != Ns::Html
    }

    fn enter(&mut self, ns: Ns) {
        self.ns.push(ns);
    }

    fn leave(&mut self) {
        if self.ns.len() > 1 {
            self.ns.pop();
        }
    }

    /// RCDATA or raw text: skip to the element's own end tag and read it.
    fn raw_text(&mut self, on_tag: &mut impl FnMut(&StartTag<'h, '_>)) -> Option<()> {
        loop {
            self.pos += memchr(b'<', self.rest())? + 1;
            if self.byte(self.pos)? == b'/' && self.end_tag_here(self.pos + 1, on_tag)? {
                return Some(());
            }
        }
    }

    /// Whether the element's own end tag starts at `name` (just after `</`);
    /// if it does, it is read. `None` at the end of the file.
    fn end_tag_here(
        &mut self,
        name: usize,
        on_tag: &mut impl FnMut(&StartTag<'h, '_>),
    ) -> Option<bool> {
        let rest = self.html.get(name..).unwrap_or_default();
        let len = rest.iter().position(|c| !c.is_ascii_alphabetic())?;
        let after = rest[len];
        if len == 0
            || !(is_space(after) || after == b'/' || after == b'>')
            || !is(&rest[..len], self.last_start)
        {
            return Some(false);
        }
        self.pos = name;
        self.tag(false, on_tag)?;
        Some(true)
    }

    /// Script data, with its escaped (`<!--`) and double-escaped (`<!--<script>`) states.
    fn script_data(&mut self, on_tag: &mut impl FnMut(&StartTag<'h, '_>)) -> Option<()> {
        loop {
            self.pos += memchr(b'<', self.rest())? + 1;
            match self.byte(self.pos)? {
                b'/' if self.end_tag_here(self.pos + 1, on_tag)? => return Some(()),
                b'!' => {
                    self.pos += 1;
                    if self.rest().starts_with(b"--") {
                        self.pos += 2;
                        if self.script_escaped(on_tag)? {
                            return Some(());
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Escaped script data (after `<!--`, `pos` just after the dashes, which
    /// count as `--`). `Some(true)`: the end tag was read; `Some(false)`: back
    /// to script data at `pos`.
    fn script_escaped(&mut self, on_tag: &mut impl FnMut(&StartTag<'h, '_>)) -> Option<bool> {
        let mut dashes = true;
        loop {
            let c = self.byte(self.pos)?;
            if dashes {
                match c {
                    b'-' => {
                        self.pos += 1;
                        continue;
                    }
                    // Read again in script data.
                    b'>' => return Some(false),
                    _ => {}
                }
            }
            dashes = false;
            match c {
                b'-' if self.byte(self.pos + 1) == Some(b'-') => {
                    self.pos += 2;
                    dashes = true;
                }
                b'<' => {
                    self.pos += 1;
                    let rest = self.rest();
                    if rest.len() >= 6 && is(&rest[..6], b"script") {
                        self.pos += 6;
                        let c = self.byte(self.pos)?;
                        if is_space(c) || c == b'/' || c == b'>' {
                            self.pos += 1;
                            if !self.script_double_escaped()? {
                                return Some(false);
                            }
                        }
                    } else if rest.first() == Some(&b'/')
                        && self.end_tag_here(self.pos + 1, on_tag)?
                    {
                        return Some(true);
                    }
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Double-escaped script data (inside `<!--<script>`): `Some(true)` back
    /// to escaped script data after `</script>`, `Some(false)` back to script
    /// data after `-->`.
    fn script_double_escaped(&mut self) -> Option<bool> {
        let mut dashes = false;
        loop {
            if dashes {
                match self.byte(self.pos)? {
                    b'-' => {
                        self.pos += 1;
                        continue;
                    }
                    b'>' => return Some(false),
                    b'<' => {}
                    _ => {
                        self.pos += 1;
                        dashes = false;
                        continue;
                    }
                }
            } else {
                let at = memchr2(b'-', b'<', self.rest())?;
                self.pos += at;
                if self.html[self.pos] == b'-' {
                    if self.byte(self.pos + 1)? == b'-' {
                        self.pos += 2;
                        dashes = true;
                    } else {
                        self.pos += 1;
                    }
                    continue;
                }
            }
            // `<`
            dashes = false;
            self.pos += 1;
            if self.byte(self.pos)? != b'/' {
                continue;
            }
            self.pos += 1;
            let rest = self.rest();
            if rest.len() < 6 {
                return None;
            }
            if !is(&rest[..6], b"script") {
                continue;
            }
            self.pos += 6;
            let c = self.byte(self.pos)?;
            if is_space(c) || c == b'/' || c == b'>' {
                self.pos += 1;
                return Some(true);
            }
        }
    }
}

/// The text state after an HTML start tag named `name`.
fn text_after(name: &[u8]) -> Reading {
    // By length first: most tags (`p`, `a`, `span`, `li`) are none of these.
    let named = |names: &[&[u8]]| one_of(name, names);
    match name.len() {
        5 | 8 if named(&[b"textarea", b"title"]) => Reading::RcData,
        9 if is(name, b"plaintext") => Reading::PlainText,
        6 if is(name, b"script") => Reading::ScriptData,
        3 | 5..=8
            if named(&[
                b"style",
                b"iframe",
                b"xmp",
                b"noembed",
                b"noframes",
                b"noscript",
            ]) =>
        {
            Reading::RawText
        }
        _ => Reading::Data,
    }
}
