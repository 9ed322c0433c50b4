//! Shortcodes (Zola's syntax): `{{ name(arg=…) }}` and
//! `{% name(arg=…) %}body{% end %}` in Markdown call
//! `templates/shortcodes/name.html` (or `name.md`), or a built-in: `figure`,
//! `pullquote`, `youtube`, `vimeo` and `embed`.
//!
//! Calls are expanded in the Markdown source before it is rendered, so what
//! they produce is checked as if it had been written there: its links, its
//! quotations and its citations. Calls inside code (spans and blocks) stay
//! text; `{{/* name() */}}` writes a call literally. Offsets in what the
//! render finds are mapped back to the call, so problems point at it.

use crate::markdown::{self, Facts, LinkContext, MarkdownOptions, Rendered};
use crate::templates::Templates;
use serde_json::Value;
use std::ops::Range;

/// The folder of shortcode templates inside `templates/`.
pub const DIR: &str = "shortcodes";

/// The shortcodes built in; a site's template of the same name replaces one.
pub const BUILT_IN: &[&str] = &["embed", "figure", "pullquote", "vimeo", "youtube"];

/// Renders a shortcode call.
pub trait Expander: Sync {
    /// The text that replaces a call of `name` with `args` (and `body` for a
    /// block call), which is Markdown, or why there is none.
    fn expand(&self, call: &Call<'_>) -> Result<String, String>;
}

/// One call found in a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Call<'a> {
    pub name: &'a str,
    pub args: Vec<(&'a str, Value)>,
    /// The text between `{% … %}` and `{% end %}`, for a block call.
    pub body: Option<&'a str>,
    /// How many calls of this name came before it in the body, plus one (Zola's `nth`).
    pub nth: usize,
}

impl Call<'_> {
    /// The string argument `key`, if given.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_str())
    }

    fn required(&self, key: &str) -> Result<&str, String> {
        match self.text(key) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            Some(_) => Err(format!("`{}` needs a non-empty {key}=\"…\"", self.name)),
            None => Err(format!("`{}` needs {key}=\"…\"", self.name)),
        }
    }
}

/// Whether `body` may call a shortcode: the test that keeps bodies without
/// one on the plain path.
pub fn may_call(body: &str) -> bool {
    body.contains("{{") || body.contains("{%")
}

/// The error of a body's failed calls (`problems`: offset in `body`, why),
/// located in the document's file; none when every call was expanded.
pub fn problem(
    doc: &crate::content::Document,
    body: &str,
    problems: &[(usize, String)],
) -> Option<crate::diagnostics::Diagnostic> {
    let ((first_at, first), rest) = problems.split_first()?;
    let text = [&*doc.front, body].concat();
    let mut d = crate::diagnostics::Diagnostic::error("shortcode", first.clone())
        .in_file(&doc.source)
        .at_offset(&text, doc.body_offset + first_at);
    for (at, why) in rest {
        let p = crate::diagnostics::Position::of_offset(&text, doc.body_offset + at);
        d = d.note(format!("also, at {}:{}: {why}", p.line, p.column));
    }
    Some(d)
}

/// A piece of the body: kept as written, or replaced.
struct Piece {
    /// The bytes of the body it stands for.
    range: Range<usize>,
    /// What replaces them; `None` keeps them.
    text: Option<String>,
}

/// Render `body` with its shortcode calls expanded; problems (unknown
/// shortcodes, bad calls, failed templates) come back with their offsets.
pub fn render(
    body: &str,
    expander: &dyn Expander,
    ctx: &dyn LinkContext,
    opts: MarkdownOptions,
) -> Rendered {
    let code = code_ranges(body);
    let mut pieces = Vec::new();
    let mut problems = Vec::new();
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    let mut kept_from = 0;
    let mut at = 0;
    while let Some(found) = next_open(body, at) {
        if let Some(r) = code.iter().find(|r| r.contains(&found)) {
            at = r.end.max(found + 2);
            continue;
        }
        let (end, text) = match parse_at(body, found) {
            Parsed::NotACall => {
                at = found + 2;
                continue;
            }
            Parsed::Literal(end, text) => (end, Ok(text)),
            Parsed::Bad(why) => (found + 2, Err(why)),
            Parsed::Call(end, mut call) => {
                let n = counts.entry(call.name).or_default();
                *n += 1;
                call.nth = *n;
                (end, expander.expand(&call))
            }
        };
        let text = text.unwrap_or_else(|why| {
            problems.push((found, why));
            String::new()
        });
        pieces.push(Piece {
            range: kept_from..found,
            text: None,
        });
        pieces.push(Piece {
            range: found..end,
            text: Some(text),
        });
        kept_from = end;
        at = end;
    }
    if pieces.is_empty() {
        return markdown::render_plain(body, ctx, opts);
    }
    pieces.push(Piece {
        range: kept_from..body.len(),
        text: None,
    });
    let (expanded, map) = assemble(body, &pieces);
    let mut rendered = markdown::render_plain(&expanded, ctx, opts);
    remap(&mut rendered.facts, &map);
    rendered.facts.shortcodes = true;
    rendered.problems = problems;
    rendered
}

/// Where each piece of the expanded text came from: (start in the expanded
/// text, range in the body, whether it was replaced).
type OffsetMap = Vec<(usize, Range<usize>, bool)>;

fn assemble(body: &str, pieces: &[Piece]) -> (String, OffsetMap) {
    let mut out = String::with_capacity(body.len() + 256);
    let mut map = Vec::with_capacity(pieces.len());
    for p in pieces {
        map.push((out.len(), p.range.clone(), p.text.is_some()));
        match &p.text {
            Some(t) => out.push_str(t),
            None => out.push_str(&body[p.range.clone()]),
        }
    }
    (out, map)
}

/// An offset in the expanded text as an offset in the body: inside a
/// replacement, the call's start.
fn map_offset(map: &OffsetMap, at: usize) -> usize {
    let k = map.partition_point(|(start, _, _)| *start <= at);
    let Some((start, range, replaced)) = k.checked_sub(1).map(|k| &map[k]) else {
        return at;
    };
    if *replaced {
        range.start
    } else {
        (range.start + (at - start)).min(range.end)
    }
}

fn remap(facts: &mut Facts, map: &OffsetMap) {
    let mut links = facts.links.get().clone();
    for l in &mut links {
        l.offset = map_offset(map, l.offset);
    }
    facts.links = crate::lazy::Lazy::new(links);
    for c in &mut facts.citations {
        c.offset = map_offset(map, c.offset);
    }
    for q in &mut facts.quotations {
        q.offset = map_offset(map, q.offset);
    }
}

/// The byte ranges of inline code and code blocks in `body`.
fn code_ranges(body: &str) -> Vec<Range<usize>> {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut out = Vec::new();
    let parser = Parser::new_ext(body, markdown::parser_options());
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Code(_) | Event::Start(Tag::CodeBlock(_)) => out.push(range),
            _ => {}
        }
    }
    out
}

/// The next `{{` or `{%` at or after `from`.
fn next_open(body: &str, from: usize) -> Option<usize> {
    let rest = body.get(from..)?;
    let i = rest.find('{')?;
    match rest.as_bytes().get(i + 1) {
        Some(b'{' | b'%') => Some(from + i),
        _ => next_open(body, from + i + 1),
    }
}

enum Parsed<'a> {
    /// Not shortcode syntax (`{{ x }}` without a call): left as text.
    NotACall,
    /// `{{/* … */}}`: the call written out, ending at the offset.
    Literal(usize, String),
    /// A call, ending at the offset.
    Call(usize, Call<'a>),
    /// Shortcode syntax that is wrong.
    Bad(String),
}

/// Read what starts at `at` (`{{` or `{%`).
fn parse_at(body: &str, at: usize) -> Parsed<'_> {
    let block = body[at..].starts_with("{%");
    let (open, close) = if block { ("{%", "%}") } else { ("{{", "}}") };
    let inner_start = at + 2;
    if body[inner_start..].starts_with("/*") {
        let end_mark = format!("*/{close}");
        return match body[inner_start..].find(&end_mark) {
            Some(i) => Parsed::Literal(
                inner_start + i + end_mark.len(),
                format!("{open}{}{close}", &body[inner_start + 2..inner_start + i]),
            ),
            None => Parsed::Bad(format!("`{open}/*` is never closed with `{end_mark}`")),
        };
    }
    let mut s = Scan {
        text: body,
        at: inner_start,
    };
    s.skip_space();
    let name = s.ident();
    s.skip_space();
    if name.is_empty() || !s.eat("(") {
        return Parsed::NotACall;
    }
    let args = match s.args() {
        Ok(args) => args,
        Err(why) => return Parsed::Bad(format!("shortcode `{name}`: {why}")),
    };
    s.skip_space();
    if !s.eat(close) {
        return Parsed::Bad(format!(
            "shortcode `{name}(…)` must be followed by `{close}`"
        ));
    }
    let mut call = Call {
        name,
        args,
        body: None,
        nth: 0,
    };
    if !block {
        return Parsed::Call(s.at, call);
    }
    match find_end(body, s.at) {
        Some((body_end, end)) => {
            call.body = Some(&body[s.at..body_end]);
            Parsed::Call(end, call)
        }
        None => Parsed::Bad(format!(
            "shortcode `{name}` is never closed with `{{% end %}}`"
        )),
    }
}

/// Where `{% end %}` starts and ends after `from`.
fn find_end(body: &str, from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    while let Some(i) = body[at..].find("{%") {
        let start = at + i;
        let mut s = Scan {
            text: body,
            at: start + 2,
        };
        s.skip_space();
        if s.eat("end") {
            s.skip_space();
            if s.eat("%}") {
                return Some((start, s.at));
            }
        }
        at = start + 2;
    }
    None
}

/// A cursor over a call's text.
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
            .map_or(rest.len(), |(i, _)| i);
        self.at += len;
        &rest[..len]
    }

    /// `key=value, …)`.
    fn args(&mut self) -> Result<Vec<(&'a str, Value)>, String> {
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if self.eat(")") {
                return Ok(args);
            }
            let key = self.ident();
            if key.is_empty() {
                return Err("expected an argument name or `)`".into());
            }
            self.skip_space();
            if !self.eat("=") {
                return Err(format!("argument `{key}` needs `=` and a value"));
            }
            self.skip_space();
            let value = self.value()?;
            if args.iter().any(|(k, _)| *k == key) {
                return Err(format!("argument `{key}` is given twice"));
            }
            args.push((key, value));
            self.skip_space();
            if !self.eat(",") && !self.rest().starts_with(')') {
                return Err("expected `,` or `)` after an argument".into());
            }
        }
    }

    /// A string (`"…"`, `'…'`, `` `…` ``), number, `true`/`false` or `[…]`.
    fn value(&mut self) -> Result<Value, String> {
        let rest = self.rest();
        if let Some(q) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
        {
            let end = rest[1..]
                .find(q)
                .ok_or_else(|| format!("a string opened with {q} is never closed"))?;
            self.at += end + 2;
            return Ok(Value::from(&rest[1..1 + end]));
        }
        if self.eat("[") {
            let mut items = Vec::new();
            loop {
                self.skip_space();
                if self.eat("]") {
                    return Ok(Value::Array(items));
                }
                items.push(self.value()?);
                self.skip_space();
                if !self.eat(",") && !self.rest().starts_with(']') {
                    return Err("expected `,` or `]` in a list".into());
                }
            }
        }
        let word = self.ident();
        match word {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "" => {}
            _ => return Err(format!("`{word}` is not a value (strings are quoted)")),
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(rest.len());
        let number: Option<Value> = rest[..len]
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| rest[..len].parse::<f64>().ok().map(Value::from));
        match number {
            Some(n) if len > 0 => {
                self.at += len;
                Ok(n)
            }
            _ => Err("expected a value: a quoted string, a number, true, false or [a list]".into()),
        }
    }
}

impl Expander for Templates {
    fn expand(&self, call: &Call<'_>) -> Result<String, String> {
        let html = format!("{DIR}/{}.html", call.name);
        let md = format!("{DIR}/{}.md", call.name);
        let (template, is_html) = if self.has(&html) {
            (html, true)
        } else if self.has(&md) {
            (md, false)
        } else {
            return built_in(call).unwrap_or_else(|| {
                Err(format!(
                    "unknown shortcode `{}`: there is no templates/{DIR}/{}.html (built in: {})",
                    call.name,
                    call.name,
                    BUILT_IN.join(", ")
                ))
            });
        };
        let mut ctx = tera::Context::new();
        for (k, v) in &call.args {
            ctx.insert(k.to_string(), v);
        }
        ctx.insert("nth", &call.nth);
        if let Some(body) = call.body {
            ctx.insert("body", body);
        }
        let out = self
            .tera
            .render(&template, &self.with_late(&ctx))
            .map_err(|e| {
                format!(
                    "shortcode `{}` failed in templates/{template}: {}",
                    call.name,
                    crate::templates::error_text(&e)
                )
            })?;
        Ok(if is_html { as_html_block(&out) } else { out })
    }
}

/// HTML output as Markdown keeps it: no blank lines (which would end the
/// HTML block and turn indented lines into code) and no trailing newline
/// (which would end the paragraph of an inline call).
fn as_html_block(html: &str) -> String {
    let lines: Vec<&str> = html.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.join("\n")
}

/// The built-in shortcode `call` names, if there is one.
fn built_in(call: &Call<'_>) -> Option<Result<String, String>> {
    Some(match call.name {
        "figure" => figure(call),
        "pullquote" => pullquote(call),
        "youtube" => call.required("id").and_then(|id| {
            video_card(
                call,
                "YouTube",
                &format!("https://www.youtube.com/watch?v={}", encode(id)),
                &format!("https://www.youtube-nocookie.com/embed/{}", encode(id)),
            )
        }),
        "vimeo" => call.required("id").and_then(|id| {
            video_card(
                call,
                "Vimeo",
                &format!("https://vimeo.com/{}", encode(id)),
                &format!("https://player.vimeo.com/video/{}", encode(id)),
            )
        }),
        "embed" => embed(call),
        _ => return None,
    })
}

fn encode(part: &str) -> String {
    percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC).to_string()
}

use crate::html::escape;

/// An image with a caption; `alt` is required (say what the image shows).
fn figure(call: &Call<'_>) -> Result<String, String> {
    let src = call.required("src")?;
    let alt = call
        .required("alt")
        .map_err(|why| format!("{why}: say what the image shows, for readers who cannot see it"))?;
    let caption = call
        .text("caption")
        .map(|c| {
            format!(
                "<figcaption>{}</figcaption>",
                markdown::render_snippet(c, true).trim()
            )
        })
        .unwrap_or_default();
    let size: String = ["width", "height"]
        .iter()
        .filter_map(|k| {
            let v = call.args.iter().find(|(key, _)| key == k)?.1.clone();
            let n = v.as_u64().or_else(|| v.as_str()?.parse().ok())?;
            Some(format!(" {k}=\"{n}\""))
        })
        .collect();
    Ok(format!(
        "<figure class=\"figure\"><img src=\"{}\" alt=\"{}\"{size} loading=\"lazy\">{caption}</figure>",
        escape(src),
        escape(alt)
    ))
}

/// A quotation set off from the text, cited like any other: its words must
/// be in the source's archive, verbatim.
fn pullquote(call: &Call<'_>) -> Result<String, String> {
    let source = call.required("source")?;
    if source.contains(|c: char| c.is_whitespace() || c == ']') {
        return Err(format!("`pullquote`: {source:?} is not a source id"));
    }
    let words =
        call.body.map(str::trim).filter(|b| !b.is_empty()).ok_or(
            "`pullquote` needs the quotation between `{% pullquote(…) %}` and `{% end %}`",
        )?;
    if words.contains("\n\n") {
        return Err("`pullquote` holds one paragraph: the quotation".into());
    }
    let speaker = call
        .text("speaker")
        .map(|s| format!("{} ", escape(s)))
        .unwrap_or_default();
    Ok(format!(
        "<blockquote class=\"pullquote\">\n<p>{}</p>\n</blockquote>\n\n— {speaker}[@{source}]\n",
        escape(words).replace('\n', " ")
    ))
}

/// A link card for a video: nothing is loaded from the video's host until
/// the reader follows the link; `data-embed` names the player for a site
/// script that swaps the card for it on a click.
fn video_card(call: &Call<'_>, host: &str, page: &str, player: &str) -> Result<String, String> {
    let title = call.text("title").unwrap_or("Video");
    Ok(card(title, host, page, Some(player)))
}

/// A link card for a post or page elsewhere (`url`, `title`).
fn embed(call: &Call<'_>) -> Result<String, String> {
    let url = call.required("url")?;
    let parsed =
        crate::urls::web_url(url).map_err(|why| format!("`embed`: bad url {url:?}: {why}"))?;
    let host = parsed
        .host_str()
        .unwrap_or("")
        .trim_start_matches("www.")
        .to_string();
    let title = call.text("title").unwrap_or(url);
    Ok(card(title, &host, url, None))
}

fn card(title: &str, host: &str, href: &str, player: Option<&str>) -> String {
    let data = player
        .map(|p| format!(" data-embed=\"{}\"", escape(p)))
        .unwrap_or_default();
    format!(
        "<aside class=\"embed-card\"{data}><a href=\"{}\" rel=\"noopener external\"><span class=\"embed-title\">{}</span> <span class=\"embed-host\">on {}</span></a></aside>",
        escape(href),
        escape(title),
        escape(host)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed<'_> {
        parse_at(text, 0)
    }

    #[test]
    fn calls_parse_with_zolas_argument_syntax() {
        let Parsed::Call(end, call) =
            parse("{{ figure(src=\"a.png\", width=300, big=true, tags=['x', \"y\"]) }} after")
        else {
            panic!("not a call");
        };
        assert_eq!(call.name, "figure");
        assert_eq!(call.text("src"), Some("a.png"));
        assert_eq!(call.args[1].1, Value::from(300));
        assert_eq!(call.args[2].1, Value::Bool(true));
        assert_eq!(call.args[3].1, serde_json::json!(["x", "y"]));
        assert_eq!(
            &"{{ figure(src=\"a.png\", width=300, big=true, tags=['x', \"y\"]) }} after"[end..],
            " after"
        );
        let text = "{% pullquote(source=\"bbc\") %}Words{%end%}.";
        let Parsed::Call(end, call) = parse(text) else {
            panic!("not a call");
        };
        assert_eq!(call.body, Some("Words"));
        assert_eq!(&text[end..], ".");
    }

    #[test]
    fn template_syntax_that_is_no_call_stays_text_and_bad_calls_are_errors() {
        assert!(matches!(parse("{{ page.title }}"), Parsed::NotACall));
        assert!(matches!(parse("{% if x %}"), Parsed::NotACall));
        for bad in [
            "{{ f(a=) }}",
            "{{ f(a=\"x) }}",
            "{{ f(a=1 b=2) }}",
            "{{ f(a=1, a=2) }}",
            "{{ f(a=x) }}",
            "{{ f() %}",
            "{% f() %}never closed",
        ] {
            assert!(matches!(parse(bad), Parsed::Bad(_)), "{bad}");
        }
        let Parsed::Literal(_, text) = parse("{{/* figure(src=\"a\") */}}") else {
            panic!("not literal");
        };
        assert_eq!(text, "{{ figure(src=\"a\") }}");
    }

    struct Echo;

    impl Expander for Echo {
        fn expand(&self, call: &Call<'_>) -> Result<String, String> {
            match call.name {
                "bad" => Err("bad".into()),
                name => Ok(format!("<b>{name}</b>\n\n“q” [@s]")),
            }
        }
    }

    struct NoSite;

    impl LinkContext for NoSite {
        fn content_url(&self, _: &str) -> Option<String> {
            None
        }
        fn citation(&self, id: &str) -> Option<(String, String)> {
            Some((format!("/s/#{id}"), id.to_string()))
        }
    }

    proptest::proptest! {
        /// Whatever the body, expanding never panics, and every offset found
        /// (links, citations, quotations, problems) is inside the body.
        #[test]
        fn offsets_stay_inside_the_body(
            body in "(\\{\\{ ?(a|bad)\\((a=(\"a\"|'b'|1|\\[1\\]|x)(, ?)?)*\\) ?\\}\\}|\\{% ?(a|bad)\\(\\) ?%\\}|\\{% end %\\}|\\{\\{/\\*|\\*/\\}\\}|`|```\n|[ab“”\"@ \n{}%()\\[\\]é])*"
        ) {
            let opts = MarkdownOptions { highlight_code: false };
            let r = render(&body, &Echo, &NoSite, opts);
            for at in r.facts.links.iter().map(|l| l.offset)
                .chain(r.facts.citations.iter().map(|c| c.offset))
                .chain(r.facts.quotations.iter().map(|q| q.offset))
                .chain(r.problems.iter().map(|p| p.0))
            {
                proptest::prop_assert!(at <= body.len(), "{at} > {}", body.len());
                proptest::prop_assert!(body.is_char_boundary(at));
            }
        }
    }

    #[test]
    fn offsets_inside_a_replacement_point_at_the_call() {
        let map: OffsetMap = vec![(0, 0..10, false), (10, 10..20, true), (60, 20..30, false)];
        assert_eq!(map_offset(&map, 5), 5);
        assert_eq!(map_offset(&map, 30), 10);
        assert_eq!(map_offset(&map, 62), 22);
    }
}
