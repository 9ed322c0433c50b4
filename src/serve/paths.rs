//! Strict request-path handling: percent-decoding that refuses anything that
//! could name a file outside the site, and the `Content-Type` of each file.
//!
//! `serve` answers from memory, so only paths of the built site can ever be
//! served; this module still rejects every trick (`..`, encoded slashes and
//! backslashes, NUL, double encoding, empty segments) instead of guessing what
//! such a request meant.

/// The longest request path accepted, in bytes.
pub const MAX_PATH: usize = 2048;

/// Why a request path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadPath {
    /// Too long (414).
    TooLong,
    /// Anything else (400).
    Invalid,
}

/// Decode the raw (still percent-encoded) path of a request into a clean
/// `/`-separated path that starts with `/` and keeps a trailing `/`.
///
/// The `url` crate reads the path as a browser would; a path it would
/// change, because a `.` or `..` segment (also encoded) would be resolved,
/// is refused rather than resolved. Also refused: a path not starting with
/// `/`; empty segments (`//`); a `/` or `\` inside a segment (`%2f`, `%5c`,
/// and raw backslashes); NUL and other control characters; a `%` left after
/// decoding (double encoding such as `%252e`); malformed escapes; and
/// segments that are not UTF-8.
pub fn normalise(raw: &str) -> Result<String, BadPath> {
    if raw.len() > MAX_PATH {
        return Err(BadPath::TooLong);
    }
    if !raw.starts_with('/') {
        return Err(BadPath::Invalid);
    }
    // Escaped as written, so that the only change the url crate can make is
    // resolving a dot segment (a `\` is escaped, and so not read as a `/`).
    let written = percent_encoding::utf8_percent_encode(raw, AS_WRITTEN).to_string();
    let url = url::Url::parse(&format!("{ORIGIN}{written}")).map_err(|_| BadPath::Invalid)?;
    if url.path() != written {
        return Err(BadPath::Invalid);
    }
    let segments: Vec<&str> = url.path_segments().ok_or(BadPath::Invalid)?.collect();
    let last = segments.len() - 1;
    let mut out = String::with_capacity(raw.len());
    for (i, segment) in segments.into_iter().enumerate() {
        out.push('/');
        if segment.is_empty() && i != last {
            return Err(BadPath::Invalid);
        }
        let decoded = decode_segment(segment)?;
        if decoded == "." || decoded == ".." {
            return Err(BadPath::Invalid);
        }
        out.push_str(&decoded);
    }
    Ok(out)
}

/// A stand-in origin the request path is read under.
const ORIGIN: &str = "http://serve.invalid";

/// What is escaped before the url crate reads a path: all but what it
/// leaves as it is (letters, digits, `-._~`), `/` between segments, and `%`
/// (escapes stay as the client wrote them).
const AS_WRITTEN: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'%')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A segment percent-decoded (the `percent-encoding` crate). An escape that
/// is malformed stays as written, and so leaves a `%`, which is refused like a
/// `%` that decoding produced (double encoding).
fn decode_segment(segment: &str) -> Result<String, BadPath> {
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(segment).collect();
    if bytes
        .iter()
        .any(|&b| matches!(b, b'/' | b'\\' | b'%') || b.is_ascii_control())
    {
        return Err(BadPath::Invalid);
    }
    let text = String::from_utf8(bytes).map_err(|_| BadPath::Invalid)?;
    if text.chars().any(char::is_control) {
        return Err(BadPath::Invalid);
    }
    Ok(text)
}

/// The `Content-Type` of a file, from its extension (mime_guess's table),
/// with `charset=utf-8` on text types: every text file the build writes is UTF-8.
pub fn content_type(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some(mime) = mime_guess::from_path(name).first() else {
        return "application/octet-stream".to_string();
    };
    let is_text = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "xml" | "svg" | "javascript")
        || mime.suffix().is_some_and(|s| s == "xml");
    if is_text {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

/// Whether a `Content-Type` is HTML (and so gets the live-reload script).
pub fn is_html(content_type: &str) -> bool {
    content_type.starts_with("text/html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_paths_pass_and_keep_their_trailing_slash() {
        assert_eq!(normalise("/").unwrap(), "/");
        assert_eq!(normalise("/a/b/").unwrap(), "/a/b/");
        assert_eq!(normalise("/style.css").unwrap(), "/style.css");
        assert_eq!(normalise("/my%20file.pdf").unwrap(), "/my file.pdf");
        assert_eq!(normalise("/caf%C3%A9/").unwrap(), "/café/");
        assert_eq!(normalise("/a/...").unwrap(), "/a/...");
        assert_eq!(normalise("/a b/{c}^|").unwrap(), "/a b/{c}^|");
        assert_eq!(normalise("/café").unwrap(), "/café");
    }

    #[test]
    fn traversal_and_encoding_tricks_are_refused() {
        for raw in [
            "/../Cargo.toml",
            "/a/../../etc/passwd",
            "/./a",
            "/a/.",
            "/a/..",
            "/a/%2E",
            "/.%2e/x",
            "/%2e./x",
            "/..\\a",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/%2E%2E/x",
            "/..%2fconfig.toml",
            "/..%2Fconfig.toml",
            "/%5c..%5cconfig.toml",
            "/..\\config.toml",
            "/%00",
            "/a%00.html",
            "/%252e%252e/",
            "//etc/passwd",
            "/a//b",
            "/%zz",
            "/%2",
            "/%ff",
            "/%0a",
            "relative",
            "",
        ] {
            assert_eq!(normalise(raw), Err(BadPath::Invalid), "{raw:?}");
        }
        assert_eq!(
            normalise(&format!("/{}", "a".repeat(MAX_PATH))),
            Err(BadPath::TooLong)
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("a/STYLE.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("sitemap.xml"), "text/xml; charset=utf-8");
        assert_eq!(content_type("robots.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("f.woff2"), "font/woff2");
        assert_eq!(content_type("x.pdf"), "application/pdf");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(content_type("a.d/noext"), "application/octet-stream");
        assert_eq!(content_type("x.bin"), "application/octet-stream");
        assert_eq!(
            content_type("feed.atom"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(content_type("logo.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("i.avif"), "image/avif");
    }
}
