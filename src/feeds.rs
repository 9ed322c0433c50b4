//! The site's XML files, the sitemap and the Atom feeds (the newest pages,
//! and every correction and update of the site's log), written with an XML
//! writer (quick-xml): whatever a base URL or a title holds (`&`, `<`,
//! quotes) comes out escaped, and every file is well-formed. A feed entry's
//! HTML is read away from the site (in a feed reader), so every URL in it
//! (images, footnote links, relative links) is made absolute first.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::Cursor;

/// One URL of the sitemap, with the date it last changed (`YYYY-MM-DD`), if known.
pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
    /// Every language version of the page, this one included: (code, URL).
    pub alternates: Vec<(String, String)>,
}

/// What every feed of the site says of the site: its title, language and home page.
#[derive(Clone, Copy)]
pub struct Channel<'a> {
    pub title: &'a str,
    pub language: &'a str,
    pub base_url: &'a str,
}

/// The Atom feed: the site's newest dated pages.
pub struct Feed<'a> {
    pub channel: Channel<'a>,
    /// RFC 3339.
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}

/// The corrections feed: every `[[changes]]` entry of the site, newest first.
pub struct ChangesFeed<'a> {
    pub channel: Channel<'a>,
    pub entries: Vec<ChangeEntry>,
}

/// One correction or update, as the feed gives it.
pub struct ChangeEntry {
    /// `Correction` or `Update`.
    pub kind: &'static str,
    /// The title of the page the change was made to.
    pub page_title: String,
    /// That page's absolute URL.
    pub link: String,
    /// RFC 3339 (the day, at midnight UTC, unless a time was given).
    pub date: String,
    pub note: String,
    /// Unique among the feed's entries and the same on every build.
    pub id: String,
}

/// The file name of the corrections feed.
pub const CHANGES_FEED: &str = "corrections.xml";

/// One page of the feed.
pub struct FeedEntry {
    pub title: String,
    /// The page's absolute URL: its link and its id.
    pub link: String,
    pub published: String,
    pub updated: String,
    pub summary: Option<String>,
    /// The page's HTML body, with URLs as the page has them.
    pub html: String,
}

type Xml = Writer<Cursor<Vec<u8>>>;

fn writer() -> Xml {
    Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2)
}

fn finish(mut xml: Xml) -> String {
    let mut bytes = xml.get_mut().get_ref().clone();
    bytes.push(b'\n');
    // Only strings went in, so only UTF-8 comes out.
    String::from_utf8(bytes).unwrap_or_default()
}

/// `<name>text</name>`, the text escaped.
fn element(xml: &mut Xml, name: &str, text: &str) -> std::io::Result<()> {
    xml.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// `<name k="v"…/>`, the values escaped.
fn empty(xml: &mut Xml, name: &str, attributes: &[(&str, &str)]) -> std::io::Result<()> {
    let mut start = BytesStart::new(name);
    start.extend_attributes(attributes.iter().copied());
    xml.write_event(Event::Empty(start))
}

/// The sitemap of `urls`, in the order given.
pub fn sitemap(urls: &[SitemapUrl]) -> String {
    let mut xml = writer();
    let written: std::io::Result<()> = (|| {
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut set = BytesStart::new("urlset");
        set.push_attribute(("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"));
        if urls.iter().any(|u| !u.alternates.is_empty()) {
            set.push_attribute(("xmlns:xhtml", "http://www.w3.org/1999/xhtml"));
        }
        xml.write_event(Event::Start(set))?;
        for url in urls {
            xml.write_event(Event::Start(BytesStart::new("url")))?;
            element(&mut xml, "loc", &url.loc)?;
            if let Some(day) = &url.lastmod {
                element(&mut xml, "lastmod", day)?;
            }
            for (lang, href) in &url.alternates {
                empty(
                    &mut xml,
                    "xhtml:link",
                    &[("rel", "alternate"), ("hreflang", lang), ("href", href)],
                )?;
            }
            xml.write_event(Event::End(BytesEnd::new("url")))?;
        }
        xml.write_event(Event::End(BytesEnd::new("urlset")))
    })();
    // Writing into memory cannot fail.
    debug_assert!(written.is_ok());
    finish(xml)
}

/// The opening of an Atom feed at the channel's `base_url` + `file`: its
/// title, links, date and id.
fn atom_head(xml: &mut Xml, channel: Channel, file: &str, updated: &str) -> std::io::Result<()> {
    let Channel {
        title,
        language,
        base_url,
    } = channel;
    let self_url = format!("{base_url}{file}");
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut start = BytesStart::new("feed");
    start.push_attribute(("xmlns", "http://www.w3.org/2005/Atom"));
    start.push_attribute(("xml:lang", language));
    xml.write_event(Event::Start(start))?;
    element(xml, "title", title)?;
    empty(
        xml,
        "link",
        &[
            ("href", &self_url),
            ("rel", "self"),
            ("type", "application/atom+xml"),
        ],
    )?;
    empty(xml, "link", &[("href", base_url)])?;
    element(xml, "updated", updated)?;
    element(xml, "id", &self_url)
}

/// The Atom feed.
pub fn atom(feed: &Feed<'_>) -> String {
    let mut xml = writer();
    let written: std::io::Result<()> = (|| {
        atom_head(&mut xml, feed.channel, "atom.xml", &feed.updated)?;
        for entry in &feed.entries {
            xml.write_event(Event::Start(BytesStart::new("entry")))?;
            element(&mut xml, "title", &entry.title)?;
            empty(&mut xml, "link", &[("href", &entry.link)])?;
            element(&mut xml, "id", &entry.link)?;
            element(&mut xml, "published", &entry.published)?;
            element(&mut xml, "updated", &entry.updated)?;
            if let Some(summary) = &entry.summary {
                element(&mut xml, "summary", summary)?;
            }
            xml.create_element("content")
                .with_attribute(("type", "html"))
                .write_text_content(BytesText::new(&absolute_urls(&entry.html, &entry.link)))?;
            xml.write_event(Event::End(BytesEnd::new("entry")))?;
        }
        xml.write_event(Event::End(BytesEnd::new("feed")))
    })();
    debug_assert!(written.is_ok());
    finish(xml)
}

/// The corrections feed: one entry per change, titled "Correction: <page>"
/// or "Update: <page>", linking to the page, with the note as its text.
pub fn changes(feed: &ChangesFeed<'_>) -> String {
    let mut xml = writer();
    let updated = feed
        .entries
        .iter()
        .map(|e| e.date.as_str())
        .max()
        .unwrap_or("1970-01-01T00:00:00Z");
    let title = format!("{}: corrections and updates", feed.channel.title);
    let channel = Channel {
        title: &title,
        ..feed.channel
    };
    let written: std::io::Result<()> = (|| {
        atom_head(&mut xml, channel, CHANGES_FEED, updated)?;
        for entry in &feed.entries {
            xml.write_event(Event::Start(BytesStart::new("entry")))?;
            element(
                &mut xml,
                "title",
                &format!("{}: {}", entry.kind, entry.page_title),
            )?;
            empty(&mut xml, "link", &[("href", &entry.link)])?;
            element(&mut xml, "id", &entry.id)?;
            element(&mut xml, "published", &entry.date)?;
            element(&mut xml, "updated", &entry.date)?;
            let mut category = BytesStart::new("category");
            category.push_attribute(("term", entry.kind.to_lowercase().as_str()));
            xml.write_event(Event::Empty(category))?;
            xml.create_element("content")
                .with_attribute(("type", "text"))
                .write_text_content(BytesText::new(&entry.note))?;
            xml.write_event(Event::End(BytesEnd::new("entry")))?;
        }
        xml.write_event(Event::End(BytesEnd::new("feed")))
    })();
    debug_assert!(written.is_ok());
    finish(xml)
}

/// `html` with every URL in `href`, `src` and `srcset` attributes resolved
/// against `page_url`; absolute ones (and anything that fails to parse) stay.
pub fn absolute_urls(html: &str, page_url: &str) -> String {
    let Ok(base) = url::Url::parse(page_url) else {
        return html.to_string();
    };
    let resolve = |value: &str| -> Option<String> {
        match url::Url::parse(value) {
            Err(url::ParseError::RelativeUrlWithoutBase) => base.join(value).ok().map(String::from),
            _ => None,
        }
    };
    let settings = lol_html::RewriteStrSettings::new().append_element_content_handler(
        lol_html::element!("[href], [src], [srcset]", |el| {
            for name in ["href", "src"] {
                if let Some(url) = el.get_attribute(name).as_deref().and_then(resolve) {
                    el.set_attribute(name, &url)?;
                }
            }
            if let Some(set) = el.get_attribute("srcset") {
                let resolved: Vec<String> = set
                    .split(',')
                    .map(|candidate| {
                        let candidate = candidate.trim();
                        let (url, size) = candidate.split_once(' ').unwrap_or((candidate, ""));
                        let url = resolve(url).unwrap_or_else(|| url.to_string());
                        [url.as_str(), size].join(" ").trim_end().to_string()
                    })
                    .collect();
                el.set_attribute("srcset", &resolved.join(", "))?;
            }
            Ok(())
        }),
    );
    lol_html::rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_an_entry_resolve_against_its_page() {
        let html = r##"<p><img src="diagram.png" srcset="a.png 1x, /b.png 2x"><a href="#fn-1">1</a> <a href="../other/">x</a> <a href="https://elsewhere.example/">y</a> <a href="mailto:a@b.example">m</a></p>"##;
        let out = absolute_urls(html, "https://example.org/a&b/news/");
        assert!(
            out.contains(r#"src="https://example.org/a&amp;b/news/diagram.png""#)
                || out.contains(r#"src="https://example.org/a&b/news/diagram.png""#),
            "{out}"
        );
        assert!(
            out.contains("https://example.org/a&b/news/#fn-1")
                || out.contains("https://example.org/a&amp;b/news/#fn-1"),
            "{out}"
        );
        assert!(
            out.contains("/a&b/other/") || out.contains("/a&amp;b/other/"),
            "{out}"
        );
        assert!(out.contains("https://example.org/b.png 2x"), "{out}");
        assert!(
            out.contains(r#"href="https://elsewhere.example/""#),
            "{out}"
        );
        assert!(out.contains(r#"href="mailto:a@b.example""#), "{out}");
    }
}
