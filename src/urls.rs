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

/// Parse a URL a user gave for a place on the web (a source's `url`, an
/// external link, the base URL) with the `url` crate: it must be written as
/// an absolute `http://` or `https://` URL with a host, and nothing a browser
/// would silently repair (`http:/x`, spaces, control characters) is accepted.
pub fn web_url(raw: &str) -> Result<url::Url, String> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace or control characters".into());
    }
    let lower = raw.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(match scheme_of(raw) {
            Some(s) if !s.starts_with("http") => {
                format!("its scheme is `{s}:`; only http:// and https:// URLs are allowed")
            }
            _ => "it must be an absolute URL starting with http:// or https://".into(),
        });
    }
    let authority = &raw[raw.find("://").map_or(0, |i| i + 3)..];
    if authority.starts_with(['/', '\\', '?', '#']) || authority.is_empty() {
        return Err("it has no host".into());
    }
    let parsed = url::Url::parse(raw).map_err(|e| format!("it is not a valid URL ({e})"))?;
    match parsed.host_str() {
        Some(h) if !h.is_empty() => Ok(parsed),
        _ => Err("it has no host".into()),
    }
}

/// The scheme a browser would see in `href` (lower case), if it has one:
/// tabs and newlines inside it, and spaces around it, are ignored as browsers do.
pub fn scheme_of(href: &str) -> Option<String> {
    let mut scheme = String::new();
    let mut ended = false;
    for c in href.trim_matches(|c: char| c <= ' ').chars() {
        match c {
            '\t' | '\n' | '\r' => {}
            ':' => {
                ended = true;
                break;
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') => {
                scheme.push(c.to_ascii_lowercase())
            }
            // Not a scheme's character before the first colon: no scheme.
            _ => return None,
        }
    }
    let valid = ended && scheme.starts_with(|c: char| c.is_ascii_alphabetic());
    valid.then_some(scheme)
}

/// Schemes that run code or smuggle content: never allowed in an href or src.
pub const UNSAFE_SCHEMES: &[&str] = &["javascript", "data", "vbscript"];

/// Schemes of links that are not web pages but are fine to link to.
pub const OTHER_SCHEMES: &[&str] = &["mailto", "tel"];

/// Where a URL found in a file of the site points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A path of the site (percent-decoded, no leading `/`; a folder ends
    /// with `/`) and the fragment, if any (percent-decoded).
    Site {
        path: String,
        fragment: Option<String>,
    },
    /// Into the site's host but outside its base path, or climbing out of
    /// the site with `..`.
    Outside,
    /// Another web site.
    External,
    /// `mailto:`, `tel:` and other schemes that are not web pages.
    Other,
    /// `javascript:`, `data:` or `vbscript:`.
    Unsafe,
}

/// Resolves URLs found in the files of the site, as a browser would, with the
/// `url` crate: one resolver for relative, root-relative and absolute links.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// The site's root: its `base_url`, or a stand-in origin with its base path.
    root: url::Url,
    /// A stand-in root that relative links cannot climb out of unseen.
    fenced: url::Url,
}

/// Characters a site path must have escaped to stand in a URL.
const PATH_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The stand-in origin of a site without an absolute `base_url`.
const STAND_IN: &str = "http://site.invalid";

/// The folder relative links are fenced in (see [`Resolver`]).
const FENCE: &str = "/site.root/";

impl Resolver {
    /// A resolver for the site at `base_url` (absolute, or a path such as `/` or `/sub/`).
    pub fn new(base_url: &str) -> Resolver {
        let stand_in = || {
            let path = crate::config::base_path_of(base_url);
            url::Url::parse(&format!("{STAND_IN}{path}")).expect("a path under a fixed origin")
        };
        let root = match url::Url::parse(base_url) {
            Ok(u) if u.has_host() => u,
            _ => stand_in(),
        };
        let fenced = url::Url::parse(&format!("{STAND_IN}{FENCE}")).expect("a fixed URL");
        Resolver { root, fenced }
    }

    /// Where `href`, found in the file at site path `file` (`a/b/index.html`,
    /// `404.html`), points.
    pub fn resolve(&self, file: &str, href: &str) -> Target {
        self.in_file(file).resolve(href)
    }

    /// A resolver of the links of one file: the file's own URL is worked out
    /// once, not for every link in it.
    pub fn in_file(&self, file: &str) -> FileResolver<'_> {
        let file = percent_encoding::utf8_percent_encode(file, PATH_ESCAPES).to_string();
        FileResolver {
            resolver: self,
            under_fence: self.fenced.join(&file).ok(),
            under_root: self.root.join(&file).ok(),
        }
    }
}

/// The links of one output file, resolved (see [`Resolver::in_file`]).
pub struct FileResolver<'a> {
    resolver: &'a Resolver,
    /// The file's URL under the fence (for links relative to it) and under the root.
    under_fence: Option<url::Url>,
    under_root: Option<url::Url>,
}

impl FileResolver<'_> {
    /// Where `href`, found in this file, points.
    pub fn resolve(&self, href: &str) -> Target {
        let href = href.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
        let scheme = scheme_of(href);
        match scheme.as_deref() {
            Some(s) if UNSAFE_SCHEMES.contains(&s) => return Target::Unsafe,
            Some("http" | "https") | None => {}
            Some(_) => return Target::Other,
        }
        let relative = scheme.is_none() && !href.starts_with(['/', '\\']);
        let (root, page, path) = if relative {
            (&self.resolver.fenced, &self.under_fence, FENCE)
        } else {
            (
                &self.resolver.root,
                &self.under_root,
                self.resolver.root.path(),
            )
        };
        let Some(Ok(joined)) = page.as_ref().map(|page| page.join(href)) else {
            return Target::Other;
        };
        if !matches!(joined.scheme(), "http" | "https") {
            return Target::Other;
        }
        if joined.origin() != root.origin() {
            return Target::External;
        }
        let rest = match joined.path().strip_prefix(path) {
            Some(rest) => rest,
            // The base URL without its trailing slash: the home page.
            None if format!("{}/", joined.path()) == path => "",
            None => return Target::Outside,
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Target::Site {
            path: decode(rest),
            fragment: joined.fragment().map(decode),
        }
    }
}

/// The file a site path names: a folder's `index.html`, or the path itself
/// (then also `PATH/index.html`, where a server redirects a folder without
/// its slash).
pub fn files_of(path: &str) -> [Option<String>; 2] {
    if path.is_empty() || path.ends_with('/') {
        [Some(format!("{path}index.html")), None]
    } else {
        [Some(path.to_string()), Some(format!("{path}/index.html"))]
    }
}

/// A short, stable fingerprint of a file's bytes.
pub fn fingerprint(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..12].to_string()
}

/// Rewrite the URLs of `href`, `src`, `srcset` and `poster` attributes that point
/// into the site so they are relative to the page at `page_path` (`parties/russia/`),
/// with directory links ending in `index.html`. Links written relative to the page
/// (`../ukraine/`) are resolved and rewritten the same way. The HTML is read with
/// lol_html; a tag none of whose URLs changes is copied byte for byte. Under an
/// absolute `base_url`, canonical and alternate links and `<meta>` are left as they
/// are (under the root base `/` of a site without one, they are rewritten too);
/// comments and the contents of `<script>` (JSON-LD) and `<style>` always are.
pub fn relativize_html(html: &str, page_path: &str, base_url: &str) -> String {
    let resolver = Resolver::new(base_url);
    let page = resolver.in_file(page_path);
    let absolute_base = base_url.contains("://");
    let rewrite = |url: &str| -> Option<String> {
        if url.is_empty() || url.starts_with(['#', '?']) {
            return None;
        }
        let Target::Site { path, .. } = page.resolve(url) else {
            return None;
        };
        let suffix = url.find(['?', '#']).map_or("", |i| &url[i..]);
        let path = percent_encoding::utf8_percent_encode(&path, PATH_ESCAPES).to_string();
        Some(relative_url(page_path, &format!("{path}{suffix}")))
    };
    let handler = lol_html::element!("[href], [src], [srcset], [poster]", |el| {
        let keeps_absolute = el.tag_name() == "meta"
            || (el.tag_name() == "link"
                && el.get_attribute("rel").is_some_and(|rel| {
                    rel.to_ascii_lowercase()
                        .split_ascii_whitespace()
                        .any(|t| t == "canonical" || t == "alternate")
                }));
        // Without an absolute base there is no absolute form to keep.
        if absolute_base && keeps_absolute {
            return Ok(());
        }
        for name in ["href", "src", "poster", "srcset"] {
            let Some(value) = el.get_attribute(name) else {
                continue;
            };
            let new = if name == "srcset" {
                rewrite_srcset(&value, |u| rewrite(u).unwrap_or_else(|| u.to_string()))
            } else {
                rewrite(&value).unwrap_or_else(|| value.clone())
            };
            if new != value {
                el.set_attribute(name, &new)?;
            }
        }
        Ok(())
    });
    let settings = lol_html::RewriteStrSettings::new().append_element_content_handler(handler);
    // lol_html fails only on limits not set here; the page is then left as it is.
    lol_html::rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// Apply `rewrite` to the URL of each candidate of a `srcset` (`a.png 1x, b.png 2x`).
fn rewrite_srcset(value: &str, rewrite: impl Fn(&str) -> String) -> String {
    value
        .split(',')
        .map(|candidate| {
            let lead = candidate.len() - candidate.trim_start().len();
            let rest = &candidate[lead..];
            let url_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            format!(
                "{}{}{}",
                &candidate[..lead],
                rewrite(&rest[..url_end]),
                &rest[url_end..]
            )
        })
        .collect::<Vec<_>>()
        .join(",")
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
    fn only_absolute_http_urls_with_a_host_are_web_urls() {
        assert!(web_url("https://www.bbc.co.uk/news/x").is_ok());
        assert!(web_url("http://example.org").is_ok());
        for bad in [
            "javascript:alert(document.domain)",
            "data:text/html,x",
            "vbscript:x",
            "not a url",
            "lakeportledger.com/x",
            "htps://x",
            "http:/x",
            "https:///nohost",
            "//cdn.org/x",
            " https://x.org/",
            "https://x.org/a b",
        ] {
            assert!(web_url(bad).is_err(), "{bad}");
        }
        assert!(
            web_url("javascript:x")
                .unwrap_err()
                .contains("`javascript:`")
        );
    }

    #[test]
    fn schemes_are_read_as_a_browser_reads_them() {
        assert_eq!(scheme_of(" JavaScript:x").as_deref(), Some("javascript"));
        assert_eq!(scheme_of("java\tscript:x").as_deref(), Some("javascript"));
        assert_eq!(scheme_of("../a:b"), None);
        assert_eq!(scheme_of("/x"), None);
        assert_eq!(scheme_of("HTTPS:x").as_deref(), Some("https"));
        assert_eq!(scheme_of("a+b-c.d:x").as_deref(), Some("a+b-c.d"));
        assert_eq!(scheme_of("1a:x"), None);
        assert_eq!(scheme_of(":x"), None);
        assert_eq!(scheme_of("ht tp:x"), None);
        assert_eq!(scheme_of("mailto"), None);
        assert_eq!(scheme_of("a?b:c"), None);
    }

    fn site(path: &str, fragment: Option<&str>) -> Target {
        Target::Site {
            path: path.into(),
            fragment: fragment.map(str::to_string),
        }
    }

    #[test]
    fn links_resolve_as_a_browser_resolves_them() {
        let r = Resolver::new("https://x.org/e/");
        assert_eq!(r.resolve("a/b/index.html", "../c/"), site("a/c/", None));
        assert_eq!(r.resolve("a/index.html", "/e/c/#f"), site("c/", Some("f")));
        assert_eq!(
            r.resolve("a/index.html", "https://x.org/e/c/"),
            site("c/", None)
        );
        assert_eq!(r.resolve("a/index.html", "//x.org/e/c/"), site("c/", None));
        assert_eq!(r.resolve("a/index.html", "/other/"), Target::Outside);
        assert_eq!(r.resolve("a/index.html", "../../x"), Target::Outside);
        assert_eq!(
            r.resolve("a/index.html", "https://y.org/"),
            Target::External
        );
        assert_eq!(r.resolve("a/index.html", "mailto:a@x.org"), Target::Other);
        assert_eq!(r.resolve("a/index.html", " java\tscript:x"), Target::Unsafe);
        assert_eq!(
            r.resolve("a/index.html", "#%C3%BCber"),
            site("a/index.html", Some("über"))
        );
        assert_eq!(
            r.resolve("a/index.html", "?q=1"),
            site("a/index.html", None)
        );
        let r = Resolver::new("/");
        assert_eq!(
            r.resolve("r/index.html", "../r/Council%20Report.pdf"),
            site("r/Council Report.pdf", None)
        );
        assert_eq!(
            r.resolve("r/index.html", "Council Report.pdf"),
            site("r/Council Report.pdf", None)
        );
        assert_eq!(
            r.resolve("a#b/index.html", "x.png"),
            site("a#b/x.png", None)
        );
        assert_eq!(r.resolve("404.html", "/"), site("", None));
        assert_eq!(r.resolve("index.html", "../x"), Target::Outside);
        assert_eq!(r.resolve("index.html", "https://x.org/"), Target::External);
    }

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
    #[test]
    fn relativize_handles_every_attribute_form() {
        let html = "<a\n  HREF='https://x.org/e/b/'>b</a><a href=/e/c/>c</a><img src=\"/e/a.png\" srcset=\"/e/a.png 1x, https://x.org/e/b.png 2x\">";
        let out = relativize_html(html, "a/", "https://x.org/e/");
        // A tag whose URL changes is written out again by lol_html: one
        // space between attributes, the rewritten value in double quotes.
        assert_eq!(
            out,
            "<a HREF=\"../b/index.html\">b</a><a href=\"../c/index.html\">c</a><img src=\"../a.png\" srcset=\"../a.png 1x, ../b.png 2x\">"
        );
        let kept = "<a\n  class='x' href=\"https://y.org/\">y</a>";
        assert_eq!(relativize_html(kept, "a/", "https://x.org/e/"), kept);
    }

    #[test]
    fn relativize_under_the_root_base_rewrites_canonical_and_keeps_protocol_relative_urls() {
        let html = r##"<link rel="canonical" href="/b/"><a href="/parties/a/">a</a><a href="//cdn.org/x.js">c</a><img src="/i.png">"##;
        assert_eq!(
            relativize_html(html, "b/", "/"),
            r##"<link rel="canonical" href="index.html"><a href="../parties/a/index.html">a</a><a href="//cdn.org/x.js">c</a><img src="../i.png">"##
        );
    }

    #[test]
    fn relativize_resolves_page_relative_links() {
        let html = r##"<a href="../ukraine/">u</a><a href="./x/#f">x</a><a href="../../">home</a><a href="photo.png">p</a><a href="../../../out/">o</a>"##;
        let out = relativize_html(html, "parties/russia/", "https://x.org/");
        assert_eq!(
            out,
            r##"<a href="../ukraine/index.html">u</a><a href="x/index.html#f">x</a><a href="../../index.html">home</a><a href="photo.png">p</a><a href="../../../out/">o</a>"##
        );
    }

    #[test]
    fn relativize_leaves_scripts_comments_and_other_urls_alone() {
        let html = r##"<script type="application/ld+json">{"a": "<a href=\"/b/\">"}</script><script>if (a<b) x = '<a href="/c/">';</script><!-- <a href="/d/"> --><style>a[href="/e/"] { }</style><a href="mailto:x@y.org">m</a><a href="//cdn.org/x.js">c</a><a href="#top">t</a><meta property="og:url" content="https://x.org/a/"><link rel="alternate" type="application/atom+xml" href="https://x.org/atom.xml">"##;
        assert_eq!(relativize_html(html, "a/", "https://x.org/"), html);
    }
}
