//! Share cards (`share_cards = true`): a 1200×630 PNG for every page — its
//! headline, a label, its date and the site's name — drawn from an SVG made
//! here and rendered with resvg and the DejaVu Serif Bold font shipped inside
//! the binary (`src/share_card/`), so no design tool, system font or network
//! is involved and every machine draws the same pixels.

use crate::content::Document;
use resvg::tiny_skia;
use resvg::usvg;
use std::sync::LazyLock;

/// Where a page's card is written: beside its `index.html`.
pub const FILE_NAME: &str = "share.png";

/// Where a document's share card goes, unless it names an image of its own.
pub fn card_path(d: &Document) -> Option<String> {
    match own_image(d) {
        Some(_) => None,
        None => Some(format!("{}{FILE_NAME}", d.path)),
    }
}

/// The image a document names for itself (`extra.share_image`: a path of
/// the site, or an absolute URL), if any.
pub fn own_image(d: &Document) -> Option<&str> {
    extra_str(d, "share_image")
}

/// A string in a document's `[extra]` table.
pub fn extra_str<'a>(d: &'a Document, key: &str) -> Option<&'a str> {
    d.meta.extra.as_ref()?.get(key)?.as_str()
}
/// The card's size in pixels (the size Open Graph and X recommend).
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

const FONT: &[u8] = include_bytes!("share_card/DejaVuSerif-Bold.ttf");
const FONT_FAMILY: &str = "DejaVu Serif";
const MARGIN: f32 = 80.0;
/// Headline sizes tried in turn until the headline fits in [`MAX_LINES`].
const HEADLINE_SIZES: [f32; 4] = [64.0, 56.0, 48.0, 42.0];
const MAX_LINES: usize = 5;

/// What a card shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub headline: String,
    /// A short line above the headline, shown in capitals ("Explainer").
    pub label: String,
    /// The date as readers see it ("4 May 2023"), if the page has one.
    pub date: Option<String>,
    pub site: String,
}

/// The font and the renderer's options, loaded once.
struct Drawing {
    options: usvg::Options<'static>,
    font: skrifa::FontRef<'static>,
}

static DRAWING: LazyLock<Drawing> = LazyLock::new(|| {
    let mut options = usvg::Options {
        font_family: FONT_FAMILY.to_string(),
        ..usvg::Options::default()
    };
    options.fontdb_mut().load_font_data(FONT.to_vec());
    // The font is part of the binary: one that does not parse is a build defect.
    let font = skrifa::FontRef::new(FONT).expect("the shipped font parses");
    Drawing { options, font }
});

/// The width of `text` at `size` pixels, from the font's advances (half an
/// em for a character the font lacks).
fn text_width(text: &str, size: f32) -> f32 {
    use skrifa::MetadataProvider;
    let font = &DRAWING.font;
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(
        skrifa::instance::Size::new(size),
        skrifa::instance::LocationRef::default(),
    );
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|g| metrics.advance_width(g))
                .unwrap_or(size / 2.0)
        })
        .sum()
}

/// `text` broken into lines no wider than `width` at `size`; a word wider
/// than a line has a line of its own.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || text_width(&candidate, size) <= width {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The largest headline size whose lines fit, with the lines; at the
/// smallest size, lines past [`MAX_LINES`] are cut and the last ends in "…".
fn fit_headline(headline: &str) -> (f32, Vec<String>) {
    let width = WIDTH as f32 - 2.0 * MARGIN;
    for size in HEADLINE_SIZES {
        let lines = wrap(headline, size, width);
        if lines.len() <= MAX_LINES {
            return (size, lines);
        }
    }
    let size = HEADLINE_SIZES[HEADLINE_SIZES.len() - 1];
    let mut lines = wrap(headline, size, width);
    lines.truncate(MAX_LINES);
    if let Some(last) = lines.last_mut() {
        *last = cut_with_ellipsis(last, size, width);
    }
    (size, lines)
}

/// Text for an SVG element.
fn escape(text: &str) -> String {
    crate::html::escape(text)
}

/// The card as SVG.
pub fn svg(card: &Card) -> String {
    let (size, lines) = fit_headline(&card.headline);
    let line_height = size * 1.2;
    let top = 220.0;
    let headline: String = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            format!(
                r#"<tspan x="{MARGIN}" y="{:.1}">{}</tspan>"#,
                top + i as f32 * line_height,
                escape(line)
            )
        })
        .collect();
    let footer: String = footer(&card.site, card.date.as_deref())
        .iter()
        .map(|t| {
            format!(
                r##"<text x="{:.1}" y="{:.1}" font-size="{FOOTER_SIZE}" fill="#555555"{}>{}</text>"##,
                t.x,
                t.y,
                if t.from_right { r#" text-anchor="end""# } else { "" },
                escape(&t.text)
            )
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT_FAMILY}">
<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfaf7"/>
<rect width="{WIDTH}" height="14" fill="#a4281b"/>
<text x="{MARGIN}" y="120" font-size="26" fill="#a4281b" letter-spacing="2">{label}</text>
<text font-size="{size}" fill="#1c1c1c">{headline}</text>
<rect x="{MARGIN}" y="520" width="{rule}" height="2" fill="#d6d2c8"/>
{footer}
</svg>
"##,
        label = escape(&card.label.to_uppercase()),
        rule = WIDTH as f32 - 2.0 * MARGIN,
    )
}

/// Size of the footer's text: the site's name and the date.
const FOOTER_SIZE: f32 = 28.0;
/// The least space between the site's name and the date on one line.
const FOOTER_GAP: f32 = 40.0;

/// A line of the footer: `x` is where it starts, or where it ends when
/// `from_right`; `y` is its baseline.
#[derive(Debug, PartialEq)]
struct FooterText {
    x: f32,
    y: f32,
    from_right: bool,
    text: String,
}

/// The footer under the rule: the site's name at the left and the date at
/// the right of one line when both fit with [`FOOTER_GAP`] between them;
/// else the date on a line of its own under the name. Either is cut to the
/// card's width, ending in "…".
fn footer(site: &str, date: Option<&str>) -> Vec<FooterText> {
    let width = WIDTH as f32 - 2.0 * MARGIN;
    let line = |text: &str, y: f32| FooterText {
        x: MARGIN,
        y,
        from_right: false,
        text: fit_line(text, FOOTER_SIZE, width),
    };
    let Some(date) = date else {
        return vec![line(site, 572.0)];
    };
    if text_width(site, FOOTER_SIZE) + FOOTER_GAP + text_width(date, FOOTER_SIZE) <= width {
        let mut right = line(date, 572.0);
        right.x = WIDTH as f32 - MARGIN;
        right.from_right = true;
        return vec![line(site, 572.0), right];
    }
    vec![line(site, 562.0), line(date, 602.0)]
}

/// `text` as it is when it fits in `width` at `size`; else cut, ending in "…".
fn fit_line(text: &str, size: f32, width: f32) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    cut_with_ellipsis(text, size, width)
}

/// As much of `text` as fits in `width` at `size` followed by " …".
fn cut_with_ellipsis(text: &str, size: f32, width: f32) -> String {
    let mut cut = text.to_string();
    while !cut.is_empty() && text_width(&format!("{} …", cut.trim_end()), size) > width {
        cut.pop();
    }
    format!("{} …", cut.trim_end())
}

/// The card as PNG bytes.
pub fn png(card: &Card) -> Result<Vec<u8>, String> {
    let drawing = &*DRAWING;
    let tree = usvg::Tree::from_str(&svg(card), &drawing.options)
        .map_err(|e| format!("share card SVG: {e}"))?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).ok_or("share card: no pixmap")?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    encode_opaque(&pixmap).map_err(|e| format!("share card PNG: {e}"))
}

/// An opaque pixmap (the card's background covers it) as an RGB PNG: a
/// quarter less data than tiny-skia's RGBA `encode_png`, whose deflate took
/// most of a card's time. Each row is stored as its difference from the row
/// above (the card is mostly flat colour) and deflated at level 1. Measured
/// on a card of this site: 1.4 ms and 55 KB, against 5.5 ms and 37 KB at
/// level 3 and 7 ms and 37 KB at level 6 (about 46 KB from `encode_png`);
/// drawing the card takes about 5 ms.
fn encode_opaque(pixmap: &tiny_skia::Pixmap) -> image::ImageResult<Vec<u8>> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    // Premultiplied RGBA with alpha 255 is plain RGB.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Level(1), FilterType::Up).write_image(
        &rgb,
        pixmap.width(),
        pixmap.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(headline: &str) -> Card {
        Card {
            headline: headline.to_string(),
            label: "Explainer".to_string(),
            date: Some("4 May 2023".to_string()),
            site: "The Kremlin drone incident, claim by claim".to_string(),
        }
    }

    #[test]
    fn a_long_headline_wraps_within_the_margins_and_shrinks() {
        let short = fit_headline("Ukraine denies it");
        assert_eq!(short, (64.0, vec!["Ukraine denies it".to_string()]));
        let long = "Russia accuses Ukraine of trying to kill Putin with drones; Ukraine denies it, and the footage shows smoke over the dome of the Senate Palace";
        let (size, lines) = fit_headline(long);
        assert!(lines.len() > 1 && lines.len() <= MAX_LINES, "{lines:?}");
        for line in &lines {
            assert!(
                text_width(line, size) <= WIDTH as f32 - 2.0 * MARGIN,
                "{line}"
            );
        }
        assert_eq!(lines.join(" "), long, "words lost or changed");
    }

    #[test]
    fn a_headline_too_long_for_the_card_ends_in_an_ellipsis() {
        let endless = "word ".repeat(400);
        let (size, lines) = fit_headline(&endless);
        assert_eq!(size, 42.0);
        assert_eq!(lines.len(), MAX_LINES);
        assert!(lines[MAX_LINES - 1].ends_with(" …"));
    }

    #[test]
    fn the_card_decodes_to_the_colours_it_was_drawn_in() {
        let png = png(&card("Ukraine denies it")).unwrap();
        let image = image::load_from_memory(&png).unwrap().to_rgba8();
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        // The red rule along the top, the paper background, the grey rule.
        assert_eq!(image.get_pixel(600, 5).0, [0xa4, 0x28, 0x1b, 255]);
        assert_eq!(image.get_pixel(20, 300).0, [0xfb, 0xfa, 0xf7, 255]);
        assert_eq!(image.get_pixel(600, 521).0, [0xd6, 0xd2, 0xc8, 255]);
        // The headline is drawn: dark pixels where it starts.
        let inked = (MARGIN as u32..600)
            .flat_map(|x| (130..300).map(move |y| (x, y)))
            .filter(|&(x, y)| image.get_pixel(x, y).0[0] < 0x40)
            .count();
        assert!(inked > 1000, "{inked} dark pixels");
    }

    /// Where a footer line's text runs, from its left to its right edge.
    fn extent(t: &FooterText) -> (f32, f32) {
        let w = text_width(&t.text, FOOTER_SIZE);
        if t.from_right {
            (t.x - w, t.x)
        } else {
            (t.x, t.x + w)
        }
    }

    #[test]
    fn the_footer_s_name_and_date_never_overlap_and_stay_inside_the_margins() {
        let long_name = "The Kremlin drone incident, claim by claim";
        let endless = "A site whose name goes on ".repeat(8);
        let cases = [
            ("Explainers", Some("4 May 2023")),
            (long_name, Some("Updated 3 December 2026")),
            (long_name, None),
            (endless.as_str(), Some("Updated 3 December 2026")),
            ("Explainers", Some(endless.as_str())),
        ];
        for (site, date) in cases {
            let lines = footer(site, date);
            assert_eq!(lines.len(), 1 + usize::from(date.is_some()), "{site}");
            for (i, a) in lines.iter().enumerate() {
                let (left, right) = extent(a);
                assert!(left >= MARGIN - 0.5, "{a:?}");
                assert!(right <= WIDTH as f32 - MARGIN + 0.5, "{a:?}");
                assert!(a.y + FOOTER_SIZE * 0.3 < HEIGHT as f32, "{a:?}");
                for b in &lines[i + 1..] {
                    let (b_left, b_right) = extent(b);
                    let same_line = (a.y - b.y).abs() < FOOTER_SIZE;
                    assert!(
                        !same_line || right <= b_left || b_right <= left,
                        "{a:?} / {b:?}"
                    );
                }
            }
        }
        // The repository's own footer takes two lines; a short one, one.
        assert_eq!(
            footer(long_name, Some("Updated 3 December 2026"))[1].y,
            602.0
        );
        assert!(footer("Explainers", Some("4 May 2023"))[1].from_right);
        // A name too long for the card is cut at the margin, not run off it.
        let cut = &footer(&endless, None)[0].text;
        assert!(cut.ends_with(" …") && endless.starts_with(cut.trim_end_matches(" …")));
    }

    #[test]
    fn markup_in_a_headline_is_drawn_as_text() {
        let svg = svg(&card("<b>Drones</b> & \"x\""));
        assert!(
            svg.contains("&lt;b&gt;Drones&lt;/b&gt; &amp; &quot;x&quot;"),
            "{svg}"
        );
        let png = png(&card("<b>Drones</b> & \"x\"")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
