//! HTML text helpers shared by the renderers (Markdown, code highlighting,
//! feeds and the dev server's pages).

/// Escape text for an HTML attribute or element.
///
/// By bytes, copying the runs between the five special characters whole:
/// they are ASCII, and no byte of a multi-byte UTF-8 character equals one.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut from = 0;
    for (at, byte) in s.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[from..at]);
        out.push_str(entity);
        from = at + 1;
    }
    out.push_str(&s[from..]);
    out
}

/// `json` with `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026`: the
/// same JSON value, and text that cannot end or re-open a `<script>` element.
pub fn script_safe_json(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::escape;
    use proptest::prelude::*;

    /// What escaping means, a character at a time.
    fn escape_by_chars(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '&' => "&amp;".to_string(),
                '<' => "&lt;".to_string(),
                '>' => "&gt;".to_string(),
                '"' => "&quot;".to_string(),
                '\'' => "&#39;".to_string(),
                c => c.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_five_characters_are_escaped_and_nothing_else() {
        assert_eq!(
            escape("Tom & \"Jerry\" <b>'s</b> — “ok”"),
            "Tom &amp; &quot;Jerry&quot; &lt;b&gt;&#39;s&lt;/b&gt; — “ok”"
        );
        assert_eq!(escape(""), "");
        assert_eq!(escape("&"), "&amp;");
        assert_eq!(escape("ünïcödé"), "ünïcödé");
    }

    proptest! {
        #[test]
        fn escaping_by_bytes_equals_escaping_by_characters(s in "[&<>\"'a-z é€😀\\u{80}-\\u{10FFFF}]{0,40}") {
            prop_assert_eq!(escape(&s), escape_by_chars(&s));
        }
    }
}
