//! Redirects from the old addresses of moved pages (`aliases` in front matter,
//! as in Zola): an HTML page at each old address that sends readers and
//! search engines on, and a `_redirects` file for hosts that read one
//! (Netlify, Cloudflare Pages).

use crate::content::{Content, Document};
use crate::diagnostics::Diagnostic;
use crate::frontmatter;
use std::collections::HashMap;

/// One old address and the document it now points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The output file written at the old address (`old/page/index.html`).
    pub output: String,
    /// The old address as a site path (`old/page/`).
    pub path: String,
    /// The index of the document in `content.docs`.
    pub doc: usize,
}

/// Every alias of the site; an invalid alias, or one that lands on a file
/// the build writes for a page or another alias, is an error naming both.
pub fn collect(content: &Content) -> (Vec<Alias>, Vec<Diagnostic>) {
    if content.docs.iter().all(|d| d.meta.aliases.is_empty()) {
        return (Vec::new(), Vec::new());
    }
    let taken: HashMap<String, usize> = content
        .docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.output_file(), i))
        .collect();
    let mut claimed: HashMap<String, usize> = HashMap::new();
    let mut aliases = Vec::new();
    let mut problems = Vec::new();
    for (i, doc) in content.docs.iter().enumerate() {
        for (index, written) in doc.meta.aliases.iter().enumerate() {
            let (path, output) = match site_path(written) {
                Ok(found) => found,
                Err(why) => {
                    problems.push(at_alias(
                        doc,
                        index,
                        format!("bad alias {written:?}: {why}"),
                    ));
                    continue;
                }
            };
            if let Some(&page) = taken.get(&output) {
                let other = &content.docs[page];
                problems.push(
                    at_alias(
                        doc,
                        index,
                        format!("alias {written:?} is the address of a page"),
                    )
                    .note(format!("{} is built at {output}", other.source.display())),
                );
                continue;
            }
            if let Some(&first) = claimed.get(&output) {
                let other = &content.docs[first];
                problems.push(
                    at_alias(doc, index, format!("alias {written:?} is claimed twice"))
                        .note(format!("also an alias of {}", other.source.display())),
                );
                continue;
            }
            claimed.insert(output.clone(), i);
            aliases.push(Alias {
                output,
                path,
                doc: i,
            });
        }
    }
    (aliases, problems)
}

/// `/old/page/` → (`old/page/`, `old/page/index.html`); `old.html` stays a file.
fn site_path(alias: &str) -> Result<(String, String), &'static str> {
    let path = alias.trim().trim_start_matches('/');
    if path.is_empty() {
        return Err("it is the home page");
    }
    if alias.contains("://") || alias.starts_with("//") {
        return Err("an alias is a path on this site, not a URL");
    }
    if path.contains(['?', '#', '\\']) || path.chars().any(char::is_control) {
        return Err("it may not hold `?`, `#`, `\\` or control characters");
    }
    if path.split('/').any(|part| part == ".." || part == ".") {
        return Err("it may not hold `.` or `..` segments");
    }
    if path.contains("//") {
        return Err("it has an empty segment (`//`)");
    }
    let is_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.ends_with(".html"));
    if is_file {
        Ok((path.to_string(), path.to_string()))
    } else {
        let dir = format!("{}/", path.trim_end_matches('/'));
        let output = format!("{dir}index.html");
        Ok((dir, output))
    }
}

/// An error at alias `index` of `doc`, located by the front-matter parser's
/// spans: at the alias's first character, inside its quotes or after YAML's `- `.
fn at_alias(doc: &Document, index: usize, message: String) -> Diagnostic {
    let d = Diagnostic::error("alias", message).in_file(&doc.source);
    let Some(range) = frontmatter::item_range(&doc.front, "aliases", index) else {
        return d;
    };
    let item = &doc.front[range.clone()];
    let value = item.strip_prefix('-').map_or(item, str::trim_start);
    let value = value.strip_prefix(['"', '\'']).unwrap_or(value);
    d.at_offset(&doc.front, range.start + (item.len() - value.len()))
}

/// The redirect page written at an old address. `target` is the URL to send
/// readers to (absolute, or relative to the alias's folder).
pub fn page(target: &str, title: &str, language: &str) -> String {
    let target = crate::html::escape(target);
    let title = crate::html::escape(title);
    let language = crate::html::escape(language);
    format!(
        "<!doctype html>\n<html lang=\"{language}\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved: {title}</title>\n<meta name=\"robots\" content=\"noindex\">\n<link rel=\"canonical\" href=\"{target}\">\n<meta http-equiv=\"refresh\" content=\"0; url={target}\">\n</head>\n<body>\n<p>This page has moved: <a href=\"{target}\">{title}</a>.</p>\n</body>\n</html>\n"
    )
}

/// `_redirects` lines (`/old/ /new/ 301`), under the site's base path.
pub fn redirects_file(lines: &[(String, String)], base_path: &str) -> String {
    let mut out = String::from("# Written by explainer from the pages' `aliases`.\n");
    for (from, to) in lines {
        out.push_str(&format!("{base_path}{from} {base_path}{to} 301\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_addresses_become_output_files() {
        assert_eq!(
            site_path("/old/page/").unwrap(),
            ("old/page/".into(), "old/page/index.html".into())
        );
        assert_eq!(
            site_path("old/page").unwrap(),
            ("old/page/".into(), "old/page/index.html".into())
        );
        assert_eq!(
            site_path("/2023/05/kremlin.html").unwrap(),
            ("2023/05/kremlin.html".into(), "2023/05/kremlin.html".into())
        );
        for bad in [
            "/",
            "https://x.org/a/",
            "//x.org/a",
            "/a/../b/",
            "/a?b",
            "/a#b",
            "a//b",
        ] {
            assert!(site_path(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn redirect_page_escapes_and_refreshes() {
        let html = page("../new/index.html", "A & B", "en");
        assert!(html.contains("content=\"0; url=../new/index.html\""));
        assert!(html.contains("<link rel=\"canonical\" href=\"../new/index.html\">"));
        assert!(html.contains("A &amp; B"));
    }
}
