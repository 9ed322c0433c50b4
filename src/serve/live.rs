//! Live reload: the messages sent to open tabs over the event stream, and the
//! small script `serve` injects into every HTML response (never into `build`
//! output) that reloads the tab, swaps stylesheets, or shows build errors in an
//! overlay.

use crate::diagnostics::Diagnostic;
use serde::Serialize;

/// The event stream the injected script listens to.
pub const EVENTS_PATH: &str = "/__explainer/events";
/// The JSON status of the last build.
pub const STATUS_PATH: &str = "/__explainer/status";

/// A message to every open tab, sent as the JSON `data` of a server-sent event.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Message<'a> {
    /// First message of every connection: the build being served and the
    /// current errors (empty when the last build succeeded).
    Hello {
        server: u64,
        build: u64,
        errors: &'a [Diagnostic],
    },
    /// The site changed: reload the page.
    Reload { build: u64 },
    /// Only stylesheets changed: refetch these (paths relative to the site).
    Css { build: u64, files: &'a [String] },
    /// The last rebuild failed; `build` is still being served.
    Error {
        build: u64,
        errors: &'a [Diagnostic],
    },
}

impl Message<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// Tells this server process from an earlier one, so tabs reload after a restart.
pub fn server_id() -> u64 {
    static ID: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *ID.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        // Small enough to be exact as a JavaScript number.
        (nanos ^ u64::from(std::process::id()).rotate_left(32)) & ((1 << 52) - 1)
    })
}

/// The script, as a `<script>` element; `build` is the build the page is from.
pub fn script(build: u64) -> String {
    let script = SCRIPT
        .replace("__BUILD__", &build.to_string())
        .replace("__SERVER__", &server_id().to_string());
    format!("<script data-explainer-live>{script}</script>")
}

const SCRIPT: &str = r#"(()=>{"use strict";
let build=__BUILD__,box=null;const server=__SERVER__;
const es=new EventSource("/__explainer/events");
const el=(tag,text,css)=>{const e=document.createElement(tag);if(text!=null)e.textContent=text;if(css)e.style.cssText=css;return e;};
function hide(){if(box){box.remove();box=null;}}
function show(errors){hide();
box=el("div",null,"position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:1.5rem 2rem;background:rgba(24,24,27,.96);color:#fafafa;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;text-align:left");
box.id="explainer-error-overlay";box.setAttribute("role","alert");
const close=el("button","Hide","float:right;font:inherit;padding:.2rem .8rem;cursor:pointer");close.onclick=hide;box.append(close);
box.append(el("p",`explainer: the site did not build (${errors.length} error${errors.length==1?"":"s"}). The last good build is shown; fix the error and the page reloads.`,"margin:0 0 1rem;color:#fca5a5;font-weight:bold"));
for(const d of errors){const s=el("section",null,"margin:0 0 1.25rem;white-space:pre-wrap");
s.append(el("div",`${d.severity}[${d.code}]: ${d.message}`,"font-weight:bold"));
if(d.file){const at=d.file+(d.line?":"+d.line+(d.column?":"+d.column:""):"");const p=el("div","  --> ");p.append(el("span",at,"color:#93c5fd"));p.dataset.file=d.file;if(d.line)p.dataset.line=d.line;if(d.column)p.dataset.column=d.column;s.append(p);}
if(d.line&&d.source_line!=null){const n=String(d.line);s.append(el("div",`${n} | ${d.source_line}`,"color:#d4d4d8"));s.append(el("div",`${" ".repeat(n.length)} | ${" ".repeat(Math.max(0,(d.column||1)-1))}^`,"color:#fca5a5"));}
for(const n of d.notes||[])s.append(el("div",`  = ${n}`,"color:#d4d4d8"));
box.append(s);}
document.body.append(box);}
function css(files){for(const l of document.querySelectorAll('link[rel~="stylesheet"]')){const u=new URL(l.href,location.href);if(u.origin!==location.origin||!files.some(f=>u.pathname.endsWith("/"+f)))continue;u.searchParams.set("__explainer",String(build));const n=l.cloneNode();n.href=u.href;n.onload=()=>l.remove();n.onerror=()=>l.remove();l.after(n);}}
es.onmessage=(m)=>{let e;try{e=JSON.parse(m.data);}catch(_){return;}
if(e.kind==="hello"){if(e.build>0&&(e.build!==build||e.server!==server)){location.reload();return;}if(e.errors.length)show(e.errors);else hide();}
else if(e.kind==="reload"){if(e.build!==build||box)location.reload();}
else if(e.kind==="css"){build=e.build;hide();css(e.files);}
else if(e.kind==="error"){show(e.errors);}};
})();"#;

/// Insert `snippet` before the last `</body>` (any case), or append it.
pub fn inject(html: &[u8], snippet: &str) -> Vec<u8> {
    let at = rfind_ignore_case(html, b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + snippet.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(snippet.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn rfind_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_goes_before_the_last_body_end_tag() {
        let html = b"<html><body><p>x</p></BODY></html>";
        let out = String::from_utf8(inject(html, "<s></s>")).unwrap();
        assert_eq!(out, "<html><body><p>x</p><s></s></BODY></html>");
        let out = String::from_utf8(inject(b"<p>no body</p>", "<s></s>")).unwrap();
        assert_eq!(out, "<p>no body</p><s></s>");
    }

    #[test]
    fn script_carries_the_build_and_no_closing_tag_inside() {
        let s = script(42);
        assert!(s.contains("let build=42,"));
        assert_eq!(s.matches("</script>").count(), 1);
        assert!(s.contains(EVENTS_PATH));
    }

    #[test]
    fn messages_are_tagged_json() {
        let json = Message::Reload { build: 3 }.to_json();
        assert_eq!(json, r#"{"kind":"reload","build":3}"#);
    }
}
