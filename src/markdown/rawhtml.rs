//! Raw HTML written in Markdown, read with a real HTML parser (lol_html):
//! the quotations (`<q>`, `<blockquote>`) and the URLs (`href`, `src`, …) it
//! holds, so the checks see them as they see Markdown's own.

/// Attributes that hold a URL a browser follows or loads.
pub const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "poster",
    "action",
    "formaction",
    "data",
    "cite",
];

/// Every URL in attributes of `html`, entities decoded, with the byte offset of its value.
pub fn links(html: &str) -> Vec<(String, usize)> {
    use lol_html::{HtmlRewriter, Settings, element};
    let mut found = Vec::new();
    let mut rewriter = HtmlRewriter::new(
        Settings::new().append_element_content_handler(element!("*", |el| {
            for a in el.attributes() {
                if !URL_ATTRIBUTES.contains(&a.name().as_str()) {
                    continue;
                }
                let at = a.value_source_location().map_or(0, |l| l.bytes().start);
                let value = html_escape::decode_html_entities(&a.value()).into_owned();
                if a.name() == "srcset" {
                    for candidate in value.split(',') {
                        if let Some(url) = candidate.split_whitespace().next() {
                            found.push((url.to_string(), at));
                        }
                    }
                } else {
                    found.push((value, at));
                }
            }
            Ok(())
        })),
        |_: &[u8]| {},
    );
    let _ = rewriter.write(html.as_bytes());
    let _ = rewriter.end();
    found
}

/// The text of every `<q>` and `<blockquote>` of a raw HTML block, entities decoded.
pub fn quotations(html: &str) -> Vec<String> {
    use lol_html::{HtmlRewriter, Settings, element, text};
    use std::cell::RefCell;
    use std::rc::Rc;
    /// Quotations read so far, how deep in one the parser is, and its text.
    #[derive(Default)]
    struct Read {
        found: Vec<String>,
        depth: usize,
        current: String,
    }
    let read = Rc::new(RefCell::new(Read::default()));
    let (on_open, on_block, on_text) = (read.clone(), read.clone(), read.clone());
    let mut rewriter = HtmlRewriter::new(
        Settings::new()
            .append_element_content_handler(element!("q, blockquote", move |el| {
                on_open.borrow_mut().depth += 1;
                let on_close = on_open.clone();
                let on_end: lol_html::EndTagHandler<'static> = Box::new(move |_| {
                    let mut r = on_close.borrow_mut();
                    r.depth -= 1;
                    if r.depth == 0 {
                        let text = std::mem::take(&mut r.current);
                        r.found.push(text);
                    }
                    Ok(())
                });
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(on_end);
                }
                Ok(())
            }))
            .append_element_content_handler(element!(
                "blockquote p, blockquote div, blockquote li, blockquote br",
                move |_| {
                    on_block.borrow_mut().current.push(' ');
                    Ok(())
                }
            ))
            .append_element_content_handler(text!("q, blockquote", move |t| {
                let decoded = html_escape::decode_html_entities(t.as_str());
                on_text.borrow_mut().current.push_str(&decoded);
                Ok(())
            })),
        |_: &[u8]| {},
    );
    let _ = rewriter.write(html.as_bytes());
    let _ = rewriter.end();
    let found = std::mem::take(&mut read.borrow_mut().found);
    found
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The `src` (and its offset in `html`) of every `<img>` that has no alt text
/// and is not marked decorative (`alt=""` with `role="presentation"`,
/// `role="none"` or `aria-hidden="true"`).
pub fn unlabelled_images(html: &str) -> Vec<(String, usize)> {
    use lol_html::{HtmlRewriter, Settings, element};
    let mut found = Vec::new();
    let mut rewriter = HtmlRewriter::new(
        Settings::new().append_element_content_handler(element!("img", |el| {
            let alt = el.get_attribute("alt");
            let decorative = alt.as_deref().is_some_and(str::is_empty)
                && (el.get_attribute("role").is_some_and(|r| {
                    r.eq_ignore_ascii_case("presentation") || r.eq_ignore_ascii_case("none")
                }) || el.get_attribute("aria-hidden").as_deref() == Some("true"));
            if alt.is_some_and(|a| !a.trim().is_empty()) || decorative {
                return Ok(());
            }
            let src = el.attributes().iter().find(|a| a.name() == "src");
            let at = src
                .and_then(|a| a.value_source_location())
                .unwrap_or_else(|| el.source_location())
                .bytes()
                .start;
            let dest = src.map(|a| a.value()).unwrap_or_default();
            found.push((html_escape::decode_html_entities(&dest).into_owned(), at));
            Ok(())
        })),
        |_: &[u8]| {},
    );
    let _ = rewriter.write(html.as_bytes());
    let _ = rewriter.end();
    found
}
