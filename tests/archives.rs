//! Archives: only regular files inside content/ are read (never a file
//! elsewhere, and never printed), and besides plain text they may be HTML
//! pages saved from a browser or WARC captures.

mod common;
use common::*;

/// A page declaring source `report` with `archive`, quoted by `quotes` statements.
fn declaring(archive: &str, quotes: usize) -> String {
    let mut page = format!(
        "+++\ntitle = \"Quotes\"\n\n[[sources]]\nid = \"report\"\ntitle = \"A report\"\nkind = \"news-report\"\narchive = \"{archive}\"\n\n[[parties]]\nid = \"mayor\"\nname = \"The mayor\"\n"
    );
    for i in 0..quotes {
        page.push_str(&format!(
            "\n[[statements]]\nid = \"s{i}\"\nspeaker = \"The mayor\"\nparty = \"mayor\"\ndate = 2023-05-03\nkind = \"quote\"\nstatus = \"claimed\"\nsource = \"report\"\ntext = \"the old bridge was closed\"\n"
        ));
    }
    page + "+++\nBody [@report].\n"
}

fn site() -> Site {
    Site::basic()
        .file("content/quotes.md", &declaring("report.txt", 1))
        .file(
            "content/report.txt",
            "Last night, the old bridge was closed to all traffic.\n",
        )
}

#[test]
fn an_archive_outside_content_is_refused_and_never_printed() {
    std::fs::create_dir_all("/tmp").ok();
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "SECRET the old bridge was closed SECRET\n").unwrap();
    let abs = outside.path().display().to_string();
    for (archive, expect) in [
        (abs.as_str(), "an absolute path is not allowed"),
        ("../../../x.txt", "`..` is not allowed"),
        ("sub/../../config.toml", "`..` is not allowed"),
    ] {
        let page = declaring(archive, 1);
        let run = site().breaks_with(
            &[("content/quotes.md", page.as_bytes())],
            &[
                expect,
                &format!("content/quotes.md:{}", line_col(&page, archive)),
            ],
        );
        assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_leading_out_of_the_site_is_refused() {
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "SECRET the old bridge was closed SECRET\n").unwrap();
    let s = site();
    s.build().ok();
    let before = snapshot_dir(&s.path("public"));
    std::os::unix::fs::symlink(outside.path(), s.path("content/leak.txt")).unwrap();
    s.write("content/quotes.md", &declaring("leak.txt", 1));
    let run = s
        .build()
        .fails()
        .stderr_has(&["content/leak.txt", "outside the site"]);
    assert_eq!(before, snapshot_dir(&s.path("public")));
    assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
}

#[test]
fn a_mistyped_archive_name_is_one_error_not_one_per_quotation() {
    let page = declaring("reprot.txt", 8);
    site()
        .breaks_with(
            &[("content/quotes.md", page.as_bytes())],
            &["cannot use archive \"reprot.txt\" of source `report`"],
        )
        .stderr_has(&["1 error, 0 warnings"]);
}

#[test]
fn an_html_page_saved_from_a_browser_is_read_as_its_visible_text() {
    let html = "<!doctype html><html><head><title>x</title><script>var s = \"the old bridge was closed\";</script></head><body><nav>Home</nav><p>Last night, the <em>old</em> bridge was &ldquo;closed&rdquo; to all&nbsp;traffic.</p><p>Second paragraph.</p></body></html>";
    let s = site()
        .file("content/report.html", html)
        .file("content/quotes.md", &declaring("report.html", 0).replace(
            "+++\nBody",
            "[[statements]]\nid = \"s\"\nspeaker = \"The mayor\"\nparty = \"mayor\"\ndate = 2023-05-03\nkind = \"quote\"\nstatus = \"claimed\"\nsource = \"report\"\ntext = \"the old bridge was “closed” to all traffic\"\n+++\nBody",
        ));
    s.build().ok();
    let page = declaring("report.html", 0).replace(
        "+++\nBody",
        "[[statements]]\nid = \"s\"\nspeaker = \"The mayor\"\nparty = \"mayor\"\ndate = 2023-05-03\nkind = \"quote\"\nstatus = \"claimed\"\nsource = \"report\"\ntext = \"traffic. Second paragraph\"\n+++\nBody",
    );
    s.breaks_with(
        &[("content/quotes.md", page.as_bytes())],
        &["quotation not found word for word"],
    );
}

/// A one-record WARC file capturing `html` from `url` on `date`.
fn warc(html: &str, url: &str, date: &str) -> Vec<u8> {
    let http = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}");
    format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: {date}\r\nWARC-Record-ID: <urn:uuid:6a2f0e4c-5b1d-4c35-9a53-1f7c2a9d0e11>\r\nWARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n{http}\r\n\r\n",
        http.len()
    )
    .into_bytes()
}

#[test]
fn a_warc_capture_is_read_and_the_sources_page_shows_its_date_and_hash() {
    let bytes = warc(
        "<html><body><p>Last night, the old bridge was closed to all traffic.</p></body></html>",
        "https://news.example.org/bridge",
        "2023-05-04T10:00:00Z",
    );
    let hash = blake3::hash(&bytes).to_hex().to_string();
    let s = site().file("content/quotes.md", &declaring("report.warc", 1)).file(
        "templates/page.html",
        "<main>{% for src in explainer.sources %}{% if src.archive %}<p id=\"a\">{{ src.archive.kind }} {{ src.archive.captured }} {{ src.archive.captured_url }} {{ src.archive.hash }}</p>{% endif %}{% endfor %}</main>",
    );
    s.write_bytes("content/report.warc", &bytes);
    s.build().ok();
    let out = s.output("quotes/index.html");
    assert!(
        out.contains(&format!(
            "warc 2023-05-04T10:00:00+00:00 https://news.example.org/bridge {hash}"
        )),
        "{out}"
    );
    let page = declaring("report.warc", 1)
        .replace("the old bridge was closed", "the new bridge was closed");
    s.breaks_with(
        &[("content/quotes.md", page.as_bytes())],
        &["quotation not found word for word", "(report.warc)"],
    );
}

/// One WARC record of `kind` with `block` as its content.
fn warc_record(kind: &str, uri: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
    let mut record = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Date: 2023-05-04T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:6a2f0e4c-5b1d-4c35-9a53-1f7c2a9d0e1{}>\r\nWARC-Target-URI: {uri}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        kind.len() % 10,
        block.len()
    )
    .into_bytes();
    record.extend_from_slice(block);
    record.extend_from_slice(b"\r\n\r\n");
    record
}

/// `bytes` as one gzip member.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = libflate::gzip::Encoder::new(Vec::new()).unwrap();
    encoder.write_all(bytes).unwrap();
    encoder.finish().into_result().unwrap()
}

/// A `.warc.gz` as wget and warcio save one: a `warcinfo`, a `request` and a
/// `response` record, each compressed as a gzip member of its own.
#[test]
fn a_gzip_compressed_warc_as_saved_by_real_tools_is_read() {
    let url = "https://news.example.org/bridge";
    let html =
        "<html><body><p>Last night, the old bridge was closed to all traffic.</p></body></html>";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{html}",
        html.len()
    );
    let mut bytes = gzip(&warc_record(
        "warcinfo",
        "",
        "application/warc-fields",
        b"software: Wget/1.21.3\r\nformat: WARC File Format 1.0\r\n",
    ));
    bytes.extend(gzip(&warc_record(
        "request",
        url,
        "application/http; msgtype=request",
        b"GET /bridge HTTP/1.1\r\nHost: news.example.org\r\n\r\n",
    )));
    bytes.extend(gzip(&warc_record(
        "response",
        url,
        "application/http; msgtype=response",
        response.as_bytes(),
    )));
    let s = site().file("content/quotes.md", &declaring("report.warc.gz", 1)).file(
        "templates/page.html",
        "<main>{% for src in explainer.sources %}{% if src.archive %}<p id=\"{{ src.anchor }}\">{{ src.archive.kind }} {{ src.archive.captured }} {{ src.archive.captured_url }}</p>{% endif %}{% endfor %}</main>",
    );
    s.write_bytes("content/report.warc.gz", &bytes);
    s.build().ok();
    assert!(
        s.output("quotes/index.html")
            .contains("warc 2023-05-04T10:00:00+00:00 https://news.example.org/bridge"),
        "{}",
        s.output("quotes/index.html")
    );
    let page = declaring("report.warc.gz", 1)
        .replace("the old bridge was closed", "the new bridge was closed");
    s.breaks_with(
        &[("content/quotes.md", page.as_bytes())],
        &["quotation not found word for word", "(report.warc.gz)"],
    );
    // Not gzip at all: one clear error, nothing of the file printed.
    s.write("content/quotes.md", &declaring("report.warc.gz", 1));
    let run = s.breaks_with(
        &[("content/report.warc.gz", b"SECRET plain text, not gzip")],
        &["report.warc.gz", "not a gzip-compressed WARC file"],
    );
    assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
}
