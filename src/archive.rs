//! Archived copies of sources, which quotations are checked against: where
//! one may live, and how its words are read.
//!
//! An archive is named relative to the file declaring its source and must be
//! a regular file inside `content/`: an absolute path, a `..` or a symbolic
//! link leading out is refused before anything is read, so no file elsewhere
//! on the machine can be read or quoted in a message. Three kinds are read:
//!
//! * plain text (any other name): passages are paragraphs, split at blank lines;
//! * an HTML page as saved from a browser (`.html`, `.htm`): its visible text,
//!   read with an HTML parser (lol_html), entities decoded, one passage per
//!   block element; scripts, styles, `<head>` and `<template>` are left out;
//! * a WARC file (`.warc`, `.warc.gz`), the web-archive standard, read with
//!   the `warc` crate: the first `response` or `resource` record holding a
//!   page, read as above (an HTTP response's headers are skipped); its
//!   `WARC-Date` is the capture date and `WARC-Target-URI` the captured address.

use crate::quotation::Passages;
use std::path::{Component, Path, PathBuf};

/// An archived source text, kept in memory for quotation and basis checks.
#[derive(Debug, Clone)]
pub struct Archive {
    pub path: PathBuf,
    /// The text cut into normalised passages, as quotations are matched.
    pub passages: Passages,
    /// `text`, `html` or `warc`.
    pub kind: &'static str,
    /// When a WARC capture was made (its `WARC-Date`).
    pub captured: Option<String>,
    /// The address a WARC capture was made of (its `WARC-Target-URI`).
    pub captured_url: Option<String>,
    /// BLAKE3 of the archive file's bytes, in hex: what the checks read.
    pub hash: String,
}

/// Where an archive named `archive` by a source declared in `declaring_file`
/// lives, if it is allowed to live there.
pub fn resolve(root: &Path, declaring_file: &Path, archive: &str) -> Result<PathBuf, String> {
    let named = Path::new(archive);
    if named.is_absolute() || archive.starts_with(['/', '\\']) {
        return Err("an absolute path is not allowed: name the archive relative to this file, inside content/".into());
    }
    if named.components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::Prefix(_) | Component::RootDir
        )
    }) || archive.contains('\\')
    {
        return Err("`..` is not allowed: keep the archive in this file's folder or below it, inside content/".into());
    }
    let path = crate::content::archive_path(root, declaring_file, archive);
    let real = path
        .canonicalize()
        .map_err(|e| format!("cannot read it: {e}"))?;
    let content = root
        .join(crate::content::CONTENT_DIR)
        .canonicalize()
        .map_err(|e| format!("cannot read content/: {e}"))?;
    if !real.starts_with(&content) {
        return Err("it leads outside content/ (through a symbolic link); archives must be files inside the site".into());
    }
    Ok(path)
}

/// Read the archive at `path` (already [`resolve`]d).
pub fn load(path: &Path) -> Result<Archive, String> {
    let bytes = crate::content::read_input(path).map_err(|e| format!("cannot read it: {e}"))?;
    let hash = blake3::hash(&bytes).to_hex().to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let archive = |kind, passages, captured, captured_url| Archive {
        path: path.to_path_buf(),
        passages,
        kind,
        captured,
        captured_url,
        hash: hash.clone(),
    };
    if name.ends_with(".warc") || name.ends_with(".warc.gz") {
        let capture = warc_capture(&bytes, name.ends_with(".gz"))?;
        return Ok(archive(
            "warc",
            capture.passages,
            Some(capture.date),
            capture.url,
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| format!("it is not valid UTF-8 ({})", e.utf8_error()))?;
    if name.ends_with(".html") || name.ends_with(".htm") {
        return Ok(archive("html", html_passages(&text), None, None));
    }
    Ok(archive("text", Passages::of_text(&text), None, None))
}

/// Elements whose start and end break a passage.
const BLOCKS: &str = "p, div, li, ul, ol, h1, h2, h3, h4, h5, h6, blockquote, section, article, header, footer, main, nav, aside, figure, figcaption, table, tr, td, th, dd, dt, dl, pre, br, hr, body";

/// Elements whose text is not visible.
const HIDDEN: &str = "head, script, style, noscript, template, svg";

/// The visible text of an HTML page, one passage per block.
fn html_passages(html: &str) -> Passages {
    use lol_html::{HtmlRewriter, Settings, doc_text, element};
    use std::cell::RefCell;
    use std::rc::Rc;
    /// The raw text read so far, and how deep inside hidden elements the parser is.
    #[derive(Default)]
    struct Read {
        text: String,
        hidden: usize,
    }
    let read = Rc::new(RefCell::new(Read::default()));
    let (on_block, on_hidden, on_text) = (read.clone(), read.clone(), read.clone());
    let mut rewriter = HtmlRewriter::new(
        Settings::new()
            .append_element_content_handler(element!(BLOCKS, move |el| {
                on_block.borrow_mut().text.push_str("\n\n");
                let on_end = on_block.clone();
                let end: lol_html::EndTagHandler<'static> = Box::new(move |_| {
                    on_end.borrow_mut().text.push_str("\n\n");
                    Ok(())
                });
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(end);
                }
                Ok(())
            }))
            .append_element_content_handler(element!(HIDDEN, move |el| {
                on_hidden.borrow_mut().hidden += 1;
                let on_end = on_hidden.clone();
                let end: lol_html::EndTagHandler<'static> = Box::new(move |_| {
                    let mut r = on_end.borrow_mut();
                    r.hidden = r.hidden.saturating_sub(1);
                    Ok(())
                });
                match el.end_tag_handlers() {
                    Some(handlers) => handlers.push(end),
                    None => on_hidden.borrow_mut().hidden -= 1,
                }
                Ok(())
            }))
            .append_document_content_handler(doc_text!(move |t| {
                let mut r = on_text.borrow_mut();
                if r.hidden == 0 && t.text_type() == lol_html::html_content::TextType::Data {
                    r.text.push_str(t.as_str());
                }
                Ok(())
            })),
        |_: &[u8]| {},
    );
    let _ = rewriter.write(html.as_bytes());
    let _ = rewriter.end();
    let text = std::mem::take(&mut read.borrow_mut().text);
    Passages::of_text(&html_escape::decode_html_entities(&text))
}

/// What a WARC file captured: the page's passages, when and from where.
struct Capture {
    passages: Passages,
    date: String,
    url: Option<String>,
}

/// The first page a WARC file holds.
fn warc_capture(bytes: &[u8], gzip: bool) -> Result<Capture, String> {
    use warc::{RecordType, WarcHeader, WarcReader};
    let records: Box<dyn Iterator<Item = Result<warc::Record<warc::BufferedBody>, warc::Error>>> =
        if gzip {
            let decoder = libflate::gzip::MultiDecoder::new(bytes)
                .map_err(|e| format!("it is not a gzip-compressed WARC file ({e})"))?;
            Box::new(WarcReader::new(std::io::BufReader::new(decoder)).iter_records())
        } else {
            Box::new(WarcReader::new(bytes).iter_records())
        };
    for record in records {
        let record = record.map_err(|e| format!("it is not a valid WARC file ({e})"))?;
        let payload = match record.warc_type() {
            RecordType::Response => http_payload(record.body())?,
            RecordType::Resource => record.body(),
            _ => continue,
        };
        let text = String::from_utf8_lossy(payload);
        let looks_html = text.trim_start().starts_with('<');
        return Ok(Capture {
            passages: if looks_html {
                html_passages(&text)
            } else {
                Passages::of_text(&text)
            },
            date: record.date().to_rfc3339(),
            url: record.header(WarcHeader::TargetURI).map(|u| u.into_owned()),
        });
    }
    Err("it holds no `response` or `resource` record".into())
}

/// The body of a raw HTTP response, refused when it is encoded in a way not read here.
fn http_payload(response: &[u8]) -> Result<&[u8], String> {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("its response record has no HTTP headers")?;
    let headers = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    for line in headers.lines() {
        let encoded = |name: &str| {
            line.strip_prefix(name)
                .is_some_and(|v| !v.trim().eq_ignore_ascii_case("identity"))
        };
        if encoded("content-encoding:") || encoded("transfer-encoding:") {
            return Err(format!(
                "its page is stored encoded ({}); capture it without compression or chunking",
                line.trim()
            ));
        }
    }
    Ok(&response[split + 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_visible_text_of_a_page_is_read_block_by_block() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body><script>var a = \"x\";</script><p>Un<em>verified</em> footage &ldquo;showed&rdquo; it</p><div>Next&nbsp;block</div><template>hidden</template></body></html>";
        let p = html_passages(html);
        assert_eq!(p.all(), ["Unverified footage \"showed\" it", "Next block"]);
    }

    #[test]
    fn http_headers_are_skipped_and_encodings_refused() {
        assert_eq!(
            http_payload(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>x</p>").unwrap(),
            b"<p>x</p>"
        );
        assert!(http_payload(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nxx").is_err());
    }
}
