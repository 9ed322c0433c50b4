//! HTML text helpers shared by the renderers (Markdown, code highlighting,
//! feeds and the dev server's pages).

/// Escape text for an HTML attribute or element.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `json` with `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026`: the
/// same JSON value, and text that cannot end or re-open a `<script>` element.
pub fn script_safe_json(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
