//! The link check reads every HTML file the build writes for its ids and
//! URLs with a reader of start tags of its own (src/verify/html_tags.rs), not
//! a full HTML rewriter. These tests try to fool that reader, and hold it to
//! lol_html (which the check used before) on random markup and on every HTML
//! file the repository's site and the starter build.

mod common;
use common::*;
use explainer::verify::rendered::{PageScan, scan_html};
use proptest::prelude::*;

/// The scan as lol_html reads it, an attribute written twice on a tag
/// counted once (the first); `None` where lol_html gives up.
fn lol_html_scan(html: &[u8]) -> Option<PageScan> {
    use lol_html::{HtmlRewriter, Settings, element};
    use std::cell::RefCell;
    let scan = RefCell::new(PageScan::default());
    let add_link = |url: &str| {
        let mut scan = scan.borrow_mut();
        if !scan.links.iter().any(|l| l == url) {
            scan.links.push(url.to_string());
        }
    };
    let decode = |v: &str| html_escape::decode_html_entities(v).into_owned();
    let mut rewriter = HtmlRewriter::new(
        Settings::new().append_element_content_handler(element!("*", |el| {
            let mut names = Vec::new();
            for a in el.attributes() {
                let name = a.name();
                if names.contains(&name) {
                    continue;
                }
                names.push(name.clone());
                if name == "id" || (name == "name" && el.tag_name() == "a") {
                    scan.borrow_mut().ids.push(decode(&a.value()));
                } else if name == "srcset" {
                    for candidate in decode(&a.value()).split(',') {
                        if let Some(url) = candidate.split_whitespace().next() {
                            add_link(url);
                        }
                    }
                } else if explainer::markdown::rawhtml::URL_ATTRIBUTES.contains(&name.as_str()) {
                    add_link(&decode(&a.value()));
                }
            }
            Ok(())
        })),
        |_: &[u8]| {},
    );
    rewriter.write(html).ok()?;
    rewriter.end().ok()?;
    Some(scan.into_inner())
}

fn links(html: &str) -> Vec<String> {
    scan_html(html.as_bytes()).links
}

fn ids(html: &str) -> Vec<String> {
    scan_html(html.as_bytes()).ids
}

#[test]
fn links_in_comments_are_not_links() {
    let html = r#"<!-- <a href="/c/"> --><!--> <a href="/d/"><!---><a href="/e/"><!-- -- --!><a href="/f/">"#;
    assert_eq!(links(html), ["/d/", "/e/", "/f/"]);
    assert_eq!(
        links(r#"<!-- <a href="/c/"> -- ><a href="/x/">"#),
        Vec::<String>::new()
    );
}

#[test]
fn links_in_script_style_and_textarea_are_text() {
    let html = r#"<script>document.write('<a href="/s/">')</script><style>/* <a href="/t/"> */</style><textarea><a href="/u/"></textarea><title><a href="/v/"></title><a href="/w/">"#;
    assert_eq!(links(html), ["/w/"]);
}

#[test]
fn a_script_ends_only_at_its_own_end_tag() {
    // `</scripts>` and `</style>` do not end a script; an escaped `<!--<script>` hides `</script>`.
    let html = r#"<script>a = '</scripts><a href="/x/">'; b = '</style>'</script ><a href="/y/">"#;
    assert_eq!(links(html), ["/y/"]);
    let escaped = r#"<script><!-- <script> </script> <a href="/x/"> --></script><a href="/z/">"#;
    assert_eq!(links(escaped), ["/z/"]);
    // After `-->` a script is plain script data again: `<script>` hides nothing.
    let unescaped = r#"<script><!-- --><script></script><a href="/x/">"#;
    assert_eq!(links(unescaped), ["/x/"]);
}

#[test]
fn raw_text_inside_svg_is_markup() {
    let html = r#"<svg><style><a href="/in-svg/"></style></svg><style><a href="/no/"></style>"#;
    assert_eq!(links(html), ["/in-svg/"]);
    // CDATA is a section inside SVG (hiding the link), a bogus comment outside it (ending at `>`).
    let cdata = r#"<svg><![CDATA[<a href="/no/">]]></svg><![CDATA[x]]><a href="/yes/">"#;
    assert_eq!(links(cdata), ["/yes/"]);
}

#[test]
fn only_url_attributes_count_whatever_their_case() {
    let html = r#"<a data-href="/d/" HREF="/caps/" xhref="/x/"><IMG SRC=/img.png><A NAME=top><span name=no></span>"#;
    assert_eq!(links(html), ["/caps/", "/img.png"]);
    assert_eq!(ids(html), ["top"]);
}

#[test]
fn unquoted_and_single_quoted_values_are_read_whole() {
    let html = "<a href=/a/?x=1#f title=t><a href='/b c/' ><img\tsrc=/i.png\n>";
    assert_eq!(links(html), ["/a/?x=1#f", "/b c/", "/i.png"]);
}

#[test]
fn the_first_of_an_attribute_written_twice_wins() {
    let html = r#"<h2 id="first" ID="second"></h2><a href="/one/" HREF="/two/">"#;
    assert_eq!(ids(html), ["first"]);
    assert_eq!(links(html), ["/one/"]);
}

#[test]
fn character_references_in_values_are_decoded() {
    let html = r#"<a href="/a/?x=1&amp;y=2"><a href="&#x2F;b&#47;"><h2 id="x&amp;y"></h2>"#;
    assert_eq!(links(html), ["/a/?x=1&y=2", "/b/"]);
    assert_eq!(ids(html), ["x&y"]);
}

#[test]
fn a_gt_inside_a_quoted_value_does_not_end_the_tag() {
    let html = r#"<a title="a > b" href="/a/"><a title='<a href="/no/">' href="/b/">"#;
    assert_eq!(links(html), ["/a/", "/b/"]);
    // Nor does it end an end tag.
    assert_eq!(
        links(r#"</p title=">" <a href="/no/">"><a href="/c/">"#),
        ["/c/"]
    );
}

#[test]
fn a_tag_cut_off_at_the_end_of_the_file_is_not_a_tag() {
    assert_eq!(links(r#"<a href="/a/"><a href="/b/""#), ["/a/"]);
    assert_eq!(links(r#"<a href="/a/"><a href="/b/"#), ["/a/"]);
    assert_eq!(links(r#"<a href="/a/"><a href=/b/"#), ["/a/"]);
}

#[test]
fn srcset_candidates_and_repeated_urls() {
    let html = r#"<img srcset="/s1.png 1x, /s2.png 2x" src="/s1.png"><a href="/s2.png">"#;
    assert_eq!(links(html), ["/s1.png", "/s2.png"]);
}

#[test]
fn doctype_and_processing_instructions_end_at_the_first_gt() {
    let html = r#"<!DOCTYPE html PUBLIC "x>"<a href="/a/">"><?php echo '>'; ?><a href="/b/">"#;
    assert_eq!(links(html), ["/a/", "/b/"]);
}

/// A link that only a tag in odd case and unquoted form holds is still checked:
/// the build fails on it, naming the file it is in.
#[test]
fn a_broken_unquoted_link_in_static_html_fails_the_build() {
    let site = Site::basic();
    site.write(
        "static/odd.html",
        "<!-- <a href=\"/fine-in-a-comment/\"> --><script>x='<a href=\"/nor-in-script/\">'</script><A HREF=/nowhere/>x</A>",
    );
    site.build().fails().stderr_has(&[
        "broken link \"/nowhere/\"",
        "the build wrote no file /nowhere/",
        "static/odd.html",
    ]);
    site.write(
        "static/odd.html",
        "<!-- <a href=\"/nowhere/\"> --><script>x='<a href=\"/nowhere/\">'</script><A HREF=/>x</A>",
    );
    site.build().ok();
}

/// Where lol_html gives up (a text element whose effect depends on the
/// tree), the scan goes on reading, and the build checks what follows.
#[test]
fn a_title_inside_select_does_not_stop_the_check() {
    let html = r#"<select><title><a href="/in-title/"></title></select><a href="/after/">"#;
    assert_eq!(links(html), ["/after/"]);
    let site = Site::basic();
    site.write(
        "static/select.html",
        "<select><title>t</title></select><a href=\"/nowhere/\">x</a>",
    );
    site.build()
        .fails()
        .stderr_has(&["broken link \"/nowhere/\"", "static/select.html"]);
}

/// Pieces of markup that random HTML is built from: tags, attributes, comments,
/// text elements, foreign content, character references and odd bytes.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let names = prop::sample::select(vec![
        "a",
        "A",
        "img",
        "h2",
        "div",
        "p",
        "br",
        "script",
        "SCRIPT",
        "style",
        "textarea",
        "title",
        "xmp",
        "iframe",
        "noembed",
        "noframes",
        "noscript",
        "plaintext",
        "svg",
        "math",
        "foreignObject",
        "desc",
        "mi",
        "mtext",
        "annotation-xml",
        "font",
        "select",
        "template",
        "frameset",
        "input",
        "span",
        "video",
        "form",
        "my-el",
    ]);
    let attr_names = prop::sample::select(vec![
        "href",
        "HREF",
        "src",
        "srcset",
        "id",
        "Id",
        "name",
        "data-href",
        "poster",
        "action",
        "formaction",
        "data",
        "cite",
        "title",
        "encoding",
        "color",
        "x",
        "\u{feff}id",
    ]);
    let values = prop::sample::select(vec![
        "/a/",
        "/b/#f",
        "x&amp;y",
        "&#x2F;c",
        "a > b",
        "/s1 1x, /s2 2x",
        "",
        "text/html",
        "&",
        "&lt;&gt",
        "a'b",
        "a\"b",
        " /sp/ ",
        "\u{feff}/bom/",
        "<a href=/in/>",
        "-->",
    ]);
    let quote = prop::sample::select(vec!["\"", "'", ""]);
    // No `=` (a name alone), or `=` with or without spaces around it.
    let equals = prop::sample::select(vec!["", "=", "=", " =", "= ", "\t= \n"]);
    let attr = (attr_names, equals, quote, values).prop_map(|(n, eq, q, v)| {
        if eq.is_empty() {
            format!(" {n}")
        } else {
            format!(" {n}{eq}{q}{v}{q}")
        }
    });
    let end = prop::sample::select(vec![">", "/>", " >", "", "/"]);
    let start_tag = (
        names.clone(),
        prop::collection::vec(attr, 0..4),
        end.clone(),
    )
        .prop_map(|(n, attrs, end)| format!("<{n}{}{end}", attrs.concat()).into_bytes());
    let end_tag = (names, end).prop_map(|(n, end)| format!("</{n}{end}").into_bytes());
    let bits = prop::sample::select(vec![
        "<",
        ">",
        "</",
        "<!--",
        "-->",
        "--!>",
        "-",
        "--",
        "<!",
        "<!DOCTYPE html>",
        "<![CDATA[",
        "]]>",
        "<?",
        "/",
        "=",
        "\"",
        "'",
        " ",
        "\n",
        "text",
        "&amp;",
        "<!--<script>",
        "</script>",
        "<a href=/z/>",
        "\u{feff}",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    let script = prop::sample::select(vec![
        "<script>",
        "<!--",
        "-->",
        "--->",
        "<script ",
        "</script",
        "</script>",
        "</SCRIPT/>",
        "-",
        "<",
        ">",
        "<a href=/s/>",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    let bytes = prop::sample::select(vec![vec![0xffu8], vec![0xef, 0xbb], vec![0], vec![0xc3]]);
    prop_oneof![4 => start_tag, 2 => end_tag, 3 => bits, 2 => script, 1 => bytes]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// On random markup the scan is what lol_html reads.
    #[test]
    fn the_scan_equals_lol_html_on_random_markup(pieces in prop::collection::vec(piece(), 0..40)) {
        let html = pieces.concat();
        let expected = lol_html_scan(&html);
        prop_assume!(expected.is_some(), "lol_html gives up");
        prop_assert_eq!(Some(scan_html(&html)), expected, "{}", String::from_utf8_lossy(&html));
    }
}

/// Every HTML file of a built site scans as lol_html reads it; `min` files at least.
fn same_as_lol_html(files: &std::collections::BTreeMap<String, Vec<u8>>, min: usize) {
    let html: Vec<_> = files
        .iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .collect();
    assert!(html.len() >= min, "only {} HTML files", html.len());
    let mut links = 0;
    for (path, bytes) in html {
        let scan = scan_html(bytes);
        assert_eq!(Some(&scan), lol_html_scan(bytes).as_ref(), "{path}");
        links += scan.links.len();
    }
    assert!(links > min, "only {links} links");
}

#[test]
fn the_repository_site_scans_as_lol_html_reads_it() {
    let (_out, files) = build_repo_site(&[]);
    same_as_lol_html(&files, 10);
}

#[test]
fn the_starter_scans_as_lol_html_reads_it() {
    let site = Site::empty();
    site.run(&["new", "starter"]).ok();
    site.run(&["build", "--root", "starter", "-o", "public"])
        .ok();
    let public = site.path("public");
    same_as_lol_html(&snapshot_dir(&public), 5);
}
