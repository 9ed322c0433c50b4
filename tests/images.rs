//! Images: Markdown images, the figure shortcode and raw `<img>` tags that
//! show a raster image of the site get `width`/`height`, a `srcset` of
//! smaller copies and a WebP source, made at build and cached; alt text is
//! required (or the image marked decorative); `resize_image` in templates.

mod common;
use common::*;
use std::path::Path;

/// A JPEG of `w` × `h`.
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A site with a page bundle `content/gallery/` holding `photo.png` (1600 × 900).
fn gallery(body: &str) -> Site {
    let site = Site::basic().file(
        "content/gallery/index.md",
        &format!("+++\ntitle = \"Gallery\"\n+++\n{body}"),
    );
    site.write_bytes("content/gallery/photo.png", &png(1600, 900));
    site
}

/// The pixel size of the output file at `url` (`/processed_images/…` or absolute).
fn output_size(site: &Site, url: &str) -> (u32, u32) {
    let rel = url
        .trim_start_matches("https://example.org/")
        .trim_start_matches('/');
    let path = site.path("public").join(rel);
    image::image_dimensions(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `srcset` candidates (URL, width) of the first `attr="…"` after `from` in `html`.
fn srcset_after(html: &str, from: &str, attr: &str) -> Vec<(String, u32)> {
    let at = html
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in {html}"));
    let key = format!("{attr}=\"");
    let start = html[at..]
        .find(&key)
        .unwrap_or_else(|| panic!("no {attr} in {html}"))
        + at
        + key.len();
    let value = &html[start..start + html[start..].find('"').unwrap()];
    value
        .split(", ")
        .map(|c| {
            let (url, w) = c.rsplit_once(' ').unwrap();
            (url.to_string(), w.trim_end_matches('w').parse().unwrap())
        })
        .collect()
}

#[test]
fn a_markdown_image_gets_its_size_a_srcset_and_a_webp_source_whose_files_have_those_sizes() {
    let site = gallery("![Two drones over the dome](photo.png)\n");
    site.build().ok();
    let html = site.output("gallery/index.html");
    assert!(
        html.contains("alt=\"Two drones over the dome\" width=\"1600\" height=\"900\" loading=\"lazy\" decoding=\"async\""),
        "{html}"
    );
    let own = srcset_after(&html, "<img", "srcset");
    let widths: Vec<u32> = own.iter().map(|(_, w)| *w).collect();
    assert_eq!(widths, [480, 800, 1200, 1600], "{html}");
    assert_eq!(
        own.last().unwrap().0,
        "photo.png",
        "the original is the largest"
    );
    for (url, w) in &own[..3] {
        assert!(url.ends_with(".png"), "{url}");
        assert_eq!(output_size(&site, url), (*w, w * 9 / 16), "{url}");
    }
    let webp = srcset_after(&html, "<source type=\"image/webp\"", "srcset");
    assert_eq!(
        webp.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
        [480, 800, 1200, 1600]
    );
    for (url, w) in &webp {
        assert!(url.ends_with(".webp"), "{url}");
        assert_eq!(output_size(&site, url), (*w, w * 9 / 16), "{url}");
    }
    assert!(
        html.contains("<picture><source type=\"image/webp\""),
        "{html}"
    );
    assert!(html.contains("</picture>"), "{html}");
}

#[test]
fn an_image_never_gets_larger_copies_and_a_static_jpeg_gets_jpeg_copies() {
    let site = Site::basic().file(
        "content/story.md",
        "+++\ntitle = \"Story\"\n+++\n![A small map](/maps/small.jpg)\n\n![A wide map](/maps/wide.jpg)\n",
    );
    site.write_bytes("static/maps/small.jpg", &jpeg(300, 200));
    site.write_bytes("static/maps/wide.jpg", &jpeg(1000, 500));
    site.build().ok();
    let html = site.output("story/index.html");
    assert!(
        html.contains("src=\"/maps/small.jpg\" alt=\"A small map\" width=\"300\" height=\"200\""),
        "{html}"
    );
    let wide = srcset_after(&html, "/maps/wide.jpg", "srcset");
    assert_eq!(
        wide.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
        [480, 800, 1000],
        "{html}"
    );
    for (url, w) in &wide[..2] {
        assert!(url.ends_with(".jpg"), "{url}");
        assert_eq!(output_size(&site, url), (*w, w / 2));
    }
}

#[test]
fn an_image_without_alt_text_is_an_error_located_in_the_markdown() {
    let body = "Intro.\n\nSee ![](photo.png) here.\n";
    let page = format!("+++\ntitle = \"Gallery\"\n+++\n{body}");
    let at = format!("content/gallery/index.md:{}", line_col(&page, "![]"));
    gallery("![A photo](photo.png)\n").breaks_with(
        &[("content/gallery/index.md", page.as_bytes())],
        &[&at, "image \"photo.png\" has no alt text", "![decorative]"],
    );
}

#[test]
fn a_raw_html_image_without_alt_is_an_error_and_an_empty_alt_needs_a_presentation_role() {
    for tag in [
        "<img src=\"photo.png\">",
        "<img src=\"photo.png\" alt=\"  \">",
    ] {
        let page = format!("+++\ntitle = \"Gallery\"\n+++\nText.\n\n<p>{tag}</p>\n");
        let at = format!(
            "content/gallery/index.md:{}",
            line_col(&page, "photo.png\"")
        );
        gallery("Text.\n").breaks_with(
            &[("content/gallery/index.md", page.as_bytes())],
            &[&at, "image \"photo.png\" has no alt text"],
        );
    }
    let site = gallery("<p><img src=\"photo.png\" alt=\"\" role=\"presentation\"></p>\n");
    site.build().ok();
    assert!(site.output("gallery/index.html").contains("width=\"1600\""));
}

#[test]
fn a_decorative_image_is_said_so_and_rendered_with_empty_alt_and_presentation_role() {
    let site = gallery("![decorative](photo.png)\n");
    site.build().ok();
    let html = site.output("gallery/index.html");
    assert!(
        html.contains("<img src=\"photo.png\" alt=\"\" role=\"presentation\" width=\"1600\""),
        "{html}"
    );
}

#[test]
fn the_figure_shortcode_gets_sizes_too() {
    let site = gallery(
        "{{ figure(src=\"photo.png\", alt=\"The dome\", caption=\"The dome at night\") }}\n",
    );
    site.build().ok();
    let html = site.output("gallery/index.html");
    assert!(
        html.contains("<figure class=\"figure\"><picture><source type=\"image/webp\""),
        "{html}"
    );
    assert!(
        html.contains("alt=\"The dome\" loading=\"lazy\" width=\"1600\" height=\"900\""),
        "{html}"
    );
}

#[test]
fn resize_image_in_a_template_makes_the_size_asked_for() {
    let site = gallery("Text.\n").file(
        "templates/page.html",
        "{% set r = resize_image(path=\"gallery/photo.png\", width=200, height=100, op=\"fill\") %}<img src=\"{{ r.url }}\" alt=\"thumb\" data-w=\"{{ r.width }}x{{ r.height }}\" data-orig=\"{{ r.orig_width }}x{{ r.orig_height }}\" data-path=\"{{ r.static_path }}\">{% set f = resize_image(path=\"content/gallery/photo.png\", width=320, height=320, op=\"fit\", format=\"webp\") %}<img src=\"{{ f.url }}\" alt=\"fit\">",
    );
    site.build().ok();
    let html = site.output("gallery/index.html");
    assert!(
        html.contains("data-w=\"200x100\" data-orig=\"1600x900\""),
        "{html}"
    );
    let url = html
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        url.starts_with("https://example.org/processed_images/photo."),
        "{url}"
    );
    assert_eq!(output_size(&site, url), (200, 100));
    let fit = html
        .split("src=\"")
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(fit.ends_with(".webp"), "{fit}");
    assert_eq!(output_size(&site, fit), (320, 180));
}

#[test]
fn resize_image_names_what_is_wrong() {
    let site = gallery("Text.\n");
    site.build().ok();
    site.write(
        "templates/page.html",
        "{{ resize_image(path=\"gallery/nope.png\", width=2, height=2) }}",
    );
    site.build()
        .fails()
        .stderr_has(&["resize_image: no image \"gallery/nope.png\""]);
    site.write(
        "templates/page.html",
        "{{ resize_image(path=\"gallery/photo.png\", width=2, height=2, op=\"crop\") }}",
    );
    site.build().fails().stderr_has(&["unknown op \"crop\""]);
}

/// Modification times of the files in the image cache.
fn cache_times(site: &Site) -> Vec<(String, std::time::SystemTime)> {
    let dir = site.path(".explainer-cache/images");
    let mut all: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_warm_build_and_a_build_into_an_empty_folder_encode_nothing_again() {
    let site = gallery("![A photo](photo.png)\n");
    site.build().ok();
    let before = cache_times(&site);
    assert_eq!(before.len(), 7, "3 PNG and 4 WebP copies: {before:?}");
    site.write(
        "content/gallery/index.md",
        "+++\ntitle = \"Gallery\"\n+++\n![A photo](photo.png)\n\nMore.\n",
    );
    site.build().ok();
    std::fs::remove_dir_all(site.path("public")).unwrap();
    site.build().ok();
    assert_eq!(cache_times(&site), before);
    let html = site.output("gallery/index.html");
    for (url, _) in srcset_after(&html, "<source", "srcset") {
        assert!(
            site.has_output(url.trim_start_matches("https://example.org/")),
            "{url}"
        );
    }
}

#[test]
fn a_changed_image_changes_the_sizes_of_the_pages_that_show_it() {
    let site = gallery("![A photo](photo.png)\n");
    site.build().ok();
    site.write_bytes("content/gallery/photo.png", &png(640, 480));
    site.build().ok();
    let html = site.output("gallery/index.html");
    assert!(html.contains("width=\"640\" height=\"480\""), "{html}");
    assert_eq!(
        srcset_after(&html, "<img", "srcset")
            .iter()
            .map(|(_, w)| *w)
            .collect::<Vec<_>>(),
        [480, 640]
    );
}

#[test]
fn a_file_that_is_not_an_image_is_a_located_error_and_the_output_is_kept() {
    let site = gallery("![A photo](photo.png)\n");
    site.breaks_with(
        &[("content/gallery/photo.png", b"this is not a PNG")],
        &[
            "content/gallery/photo.png",
            "cannot use the image",
            "shown on /gallery/",
        ],
    );
    assert!(Path::new(&site.path("public/gallery/index.html")).exists());
}

#[test]
fn svg_images_are_left_as_written() {
    let site = Site::basic().file(
        "content/story.md",
        "+++\ntitle = \"Story\"\n+++\n![A chart](/chart.svg)\n",
    );
    site.write(
        "static/chart.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>",
    );
    site.build().ok();
    assert!(
        site.output("story/index.html")
            .contains("<img src=\"/chart.svg\" alt=\"A chart\">")
    );
}
