//! URLs of everything the site links to: permalinks under `base_url` (with its
//! sub-path), fingerprinted static files, and the rewrite to relative links
//! that lets the output work from `file://`.

use std::collections::HashMap;

/// Builds absolute URLs under the site's base URL.
#[derive(Debug, Clone)]
pub struct Urls {
    /// Ends with `/`.
    pub base_url: String,
    /// Short content hashes of static files, by path relative to `static/`.
    pub static_hashes: HashMap<String, String>,
}

impl Urls {
    pub fn new(base_url: &str, static_hashes: HashMap<String, String>) -> Urls {
        Urls {
            base_url: base_url.to_string(),
            static_hashes,
        }
    }

    /// The absolute URL of a site path such as `parties/russia/`.
    pub fn permalink(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path.trim_start_matches('/'))
    }

    /// The URL of a static file, with `?h=<hash>` when `cachebust` and the file is known.
    pub fn asset(&self, path: &str, cachebust: bool) -> Result<String, String> {
        let path = path.trim_start_matches('/');
        if !cachebust {
            return Ok(self.permalink(path));
        }
        match self.static_hashes.get(path) {
            Some(hash) => Ok(format!("{}?h={hash}", self.permalink(path))),
            None => Err(format!("get_url: no file static/{path} to fingerprint")),
        }
    }
}

/// A short, stable fingerprint of a file's bytes.
pub fn fingerprint(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..12].to_string()
}

/// Rewrite `href`/`src` attributes that point into the site so they are relative
/// to the page at `page_path` (`parties/russia/`), with directory links ending in
/// `index.html`. Canonical and alternate links and `<meta>` stay absolute.
pub fn relativize_html(html: &str, page_path: &str, base_url: &str) -> String {
    let base_path = crate::config::base_path_of(base_url);
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = find_url_attribute(rest) {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        let quote_at = after.find('"').unwrap_or(0);
        out.push_str(&after[..=quote_at]);
        let value_start = quote_at + 1;
        let value_end = after[value_start..]
            .find('"')
            .map_or(after.len(), |e| value_start + e);
        let value = &after[value_start..value_end];
        let keep_absolute = tag_keeps_absolute(html, html.len() - rest.len() + i);
        match site_target(value, base_url, base_path) {
            Some(target) if !keep_absolute => out.push_str(&relative_url(page_path, &target)),
            _ => out.push_str(value),
        }
        rest = &after[value_end..];
    }
    out.push_str(rest);
    out
}

fn find_url_attribute(s: &str) -> Option<usize> {
    let h = s.find(" href=\"");
    let r = s.find(" src=\"");
    match (h, r) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether the tag around `at` is one whose URLs must stay absolute.
fn tag_keeps_absolute(html: &str, at: usize) -> bool {
    let start = html[..at].rfind('<').unwrap_or(0);
    let end = html[at..].find('>').map_or(html.len(), |e| at + e);
    let tag = &html[start..end];
    tag.starts_with("<meta")
        || tag.contains("rel=\"canonical\"")
        || tag.contains("rel=\"alternate\"")
}

/// The site path a URL points at, if it points into the site.
fn site_target(value: &str, base_url: &str, base_path: &str) -> Option<String> {
    if let Some(p) = value.strip_prefix(base_url) {
        return Some(p.to_string());
    }
    if value.starts_with("//") {
        return None;
    }
    value.strip_prefix(base_path).map(str::to_string)
}

/// A relative URL from the page at `from` to the site path `to` (both without leading `/`).
pub fn relative_url(from: &str, to: &str) -> String {
    let (path, suffix) = match to.find(['?', '#']) {
        Some(i) => (&to[..i], &to[i..]),
        None => (to, ""),
    };
    let from_dirs: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let to_parts: Vec<&str> = path.split('/').collect();
    let to_dirs = &to_parts[..to_parts.len() - 1];
    let common = from_dirs
        .iter()
        .zip(to_dirs.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel = "../".repeat(from_dirs.len() - common);
    for d in &to_dirs[common..] {
        rel.push_str(d);
        rel.push('/');
    }
    let file = to_parts[to_parts.len() - 1];
    if file.is_empty() {
        rel.push_str("index.html");
    } else {
        rel.push_str(file);
    }
    format!("{rel}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_between_pages() {
        assert_eq!(
            relative_url("parties/russia/", "sources/#src-bbc"),
            "../../sources/index.html#src-bbc"
        );
        assert_eq!(relative_url("", "style.css?h=1"), "style.css?h=1");
        assert_eq!(
            relative_url("parties/russia/", "parties/ukraine/"),
            "../ukraine/index.html"
        );
        assert_eq!(relative_url("a/", ""), "../index.html");
    }

    #[test]
    fn relativize_keeps_canonical_absolute() {
        let html = r#"<link rel="canonical" href="https://x.org/e/a/"><a href="https://x.org/e/b/">b</a><img src="/e/i.png"><a href="https://other.org/">o</a>"#;
        let out = relativize_html(html, "a/", "https://x.org/e/");
        assert!(out.contains(r#"href="https://x.org/e/a/""#), "{out}");
        assert!(out.contains(r#"href="../b/index.html""#), "{out}");
        assert!(out.contains(r#"src="../i.png""#), "{out}");
        assert!(out.contains(r#"href="https://other.org/""#), "{out}");
    }
}
