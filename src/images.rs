//! Images: every raster image under `static/` or in a page bundle gets
//! smaller copies (never larger) and a WebP copy, and every `<img>` of a
//! page that shows one gets `width`, `height`, `srcset` and a `<picture>`
//! WebP source; the `resize_image` template function makes one size on
//! demand (Zola's). What is encoded is kept in `.explainer-cache/images/`
//! under a hash of the source's bytes and the operation, so a warm build
//! encodes nothing; the files are published under `processed_images/`.

use crate::content::Content;
use crate::diagnostics::Diagnostic;
use crate::render::{Contents, OutputFile, Sink, StaticFile};
use crate::stamp::{Fingerprint, Hash, Stat};
use crate::urls::{Resolver, Target, Urls};
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageFormat, ImageReader};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Where the encoded images are published, under the output folder.
pub const OUTPUT_DIR: &str = "processed_images";

/// The widths `srcset` offers, those below the image's own width (which is offered too).
pub const WIDTHS: &[u32] = &[480, 800, 1200, 1600];

/// Part of every cache key: changed whenever the encoded bytes would change.
const ENCODER: &str = "image-0.25 fast_image_resize-6 lanczos3 webp-lossless jpeg-q80 v1";

/// The JPEG quality of the smaller copies `srcset` offers.
const SRCSET_QUALITY: u8 = 80;

/// The error for an image without alt text that is not marked decorative.
pub fn unlabelled(src: &str) -> Diagnostic {
    Diagnostic::error("image", format!("image {src:?} has no alt text"))
        .note("say what the image shows: ![what it shows](…); an image that shows nothing to describe is marked ![decorative](…) (in HTML: alt=\"\" role=\"presentation\")")
}

/// The raster formats read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl Format {
    /// The format a file name's extension says.
    fn of_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "png" => Format::Png,
            "jpg" | "jpeg" => Format::Jpeg,
            "gif" => Format::Gif,
            "webp" => Format::Webp,
            _ => return None,
        })
    }

    fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::Gif => "gif",
            Format::Webp => "webp",
        }
    }

    fn of_image(f: ImageFormat) -> Option<Format> {
        Some(match f {
            ImageFormat::Png => Format::Png,
            ImageFormat::Jpeg => Format::Jpeg,
            ImageFormat::Gif => Format::Gif,
            ImageFormat::WebP => Format::Webp,
            _ => return None,
        })
    }
}

/// How `resize_image` fits an image into the size asked for (Zola's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Exactly `width` × `height`, the aspect ratio not kept.
    Scale,
    /// `width` wide, the height keeping the aspect ratio.
    FitWidth,
    /// `height` high, the width keeping the aspect ratio.
    FitHeight,
    /// Within `width` × `height`, the aspect ratio kept; never enlarged.
    Fit,
    /// Exactly `width` × `height`, cropped around the centre to keep the aspect ratio.
    Fill,
}

impl Op {
    /// The operation named `name`.
    pub fn parse(name: &str) -> Result<Op, String> {
        Ok(match name {
            "scale" => Op::Scale,
            "fit_width" => Op::FitWidth,
            "fit_height" => Op::FitHeight,
            "fit" => Op::Fit,
            "fill" => Op::Fill,
            _ => {
                return Err(format!(
                    "unknown op {name:?}: use scale, fit_width, fit_height, fit or fill"
                ));
            }
        })
    }
}

/// One image to make from a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Request {
    pub op: Op,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub format: Format,
    /// JPEG quality, 1–100 (other formats are lossless).
    pub quality: u8,
}

impl Request {
    /// The size the result has, for a source of `w` × `h`.
    pub fn size(&self, (w, h): (u32, u32)) -> Result<(u32, u32), String> {
        let need = |v: Option<u32>, what: &str| {
            v.filter(|&n| n > 0)
                .ok_or_else(|| format!("{:?} needs a {what} above 0", self.op))
        };
        let ratio = |a: u32, num: u32, den: u32| {
            ((u64::from(a) * u64::from(num) + u64::from(den) / 2) / u64::from(den)).max(1) as u32
        };
        Ok(match self.op {
            Op::Scale | Op::Fill => (need(self.width, "width")?, need(self.height, "height")?),
            Op::FitWidth => {
                let tw = need(self.width, "width")?;
                (tw, ratio(h, tw, w))
            }
            Op::FitHeight => {
                let th = need(self.height, "height")?;
                (ratio(w, th, h), th)
            }
            Op::Fit => {
                let (tw, th) = (need(self.width, "width")?, need(self.height, "height")?);
                if w <= tw && h <= th {
                    (w, h)
                } else if u64::from(w) * u64::from(th) >= u64::from(h) * u64::from(tw) {
                    (tw, ratio(h, tw, w))
                } else {
                    (ratio(w, th, h), th)
                }
            }
        })
    }
}

/// A raster image of the site.
#[derive(Debug, Clone)]
struct Source {
    abs: PathBuf,
    /// Relative to the site root, for messages (`content/a/photo.png`).
    rel: PathBuf,
}

/// What is known of a source image once read.
#[derive(Debug, Clone)]
pub struct Known {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub bytes: u64,
    hash: blake3::Hash,
}

/// One encoded image, published at `site_path`.
#[derive(Debug, Clone)]
pub struct Made {
    pub site_path: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    cache_file: PathBuf,
    key: Hash,
}

/// The `srcset` candidates of one image.
#[derive(Debug, Clone)]
pub struct Responsive {
    pub width: u32,
    pub height: u32,
    /// Smaller copies in the image's own format (the original is the largest candidate).
    pub smaller: Vec<Made>,
    /// WebP copies in every width; empty where WebP is not smaller than the original.
    pub webp: Vec<Made>,
}

type Memo<T> = Mutex<HashMap<String, Arc<OnceLock<Result<Arc<T>, String>>>>>;

/// The site's raster images and what has been made of them this build.
pub struct Images {
    cache_dir: PathBuf,
    urls: Urls,
    /// By site path (`a/photo.png`, `images/logo.png`).
    sources: BTreeMap<String, Source>,
    /// Site path by the path `resize_image` is given (`content/a/photo.png`, `static/x.png`).
    by_input: HashMap<String, String>,
    known: Memo<Known>,
    responsive: Memo<Responsive>,
    /// Every file to publish, by site path.
    made: Mutex<BTreeMap<String, Made>>,
    /// Images pages show that could not be used: why, and the pages.
    problems: Mutex<BTreeMap<String, (String, Vec<String>)>>,
}

impl Images {
    /// The raster images among `static_files` and the page bundles of `content`.
    pub fn new(root: &Path, static_files: &[StaticFile], content: &Content, urls: Urls) -> Images {
        let mut sources = BTreeMap::new();
        let mut by_input = HashMap::new();
        for f in static_files
            .iter()
            .filter(|f| Format::of_name(&f.rel).is_some())
        {
            let rel = Path::new(crate::render::STATIC_DIR).join(&f.rel);
            by_input.insert(
                format!("{}/{}", crate::render::STATIC_DIR, f.rel),
                f.rel.clone(),
            );
            sources.insert(
                f.rel.clone(),
                Source {
                    abs: f.abs.clone(),
                    rel,
                },
            );
        }
        for doc in content.docs.iter().filter(|d| !d.assets.is_empty()) {
            let bundle = doc.source.parent().unwrap_or(Path::new(""));
            for asset in &doc.assets {
                let Some(name) = asset.strip_prefix(root.join(bundle)).ok() else {
                    continue;
                };
                let name = slashed(name);
                if Format::of_name(&name).is_none() {
                    continue;
                }
                let rel = bundle.join(&name);
                let site_path = format!("{}{name}", doc.path);
                by_input.insert(slashed(&rel), site_path.clone());
                sources.insert(
                    site_path,
                    Source {
                        abs: asset.clone(),
                        rel,
                    },
                );
            }
        }
        Images {
            cache_dir: root.join(crate::cache::CACHE_DIR).join("images"),
            urls,
            sources,
            by_input,
            known: Mutex::default(),
            responsive: Mutex::default(),
            made: Mutex::default(),
            problems: Mutex::default(),
        }
    }

    /// Whether the site has no raster image.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// A fingerprint of every image's path and stat: pages show their sizes.
    pub fn fingerprint(&self) -> Hash {
        self.sources
            .iter()
            .fold(Fingerprint::new("images").str(ENCODER), |f, (path, s)| {
                let f = f.str(path);
                match Stat::read(&s.abs) {
                    Some(stat) => f.stat(stat),
                    None => f.str("\0"),
                }
            })
            .finish()
    }

    /// The image at `site_path`, read (once a build).
    fn known(&self, site_path: &str) -> Result<Arc<Known>, String> {
        let source = self.source(site_path)?;
        memo(&self.known, site_path, || read_known(&source.abs))
    }

    fn source(&self, site_path: &str) -> Result<&Source, String> {
        self.sources
            .get(site_path)
            .ok_or_else(|| format!("no image at {site_path:?}"))
    }

    /// The `srcset` candidates of the image at `site_path` (made once a build).
    pub fn responsive(&self, site_path: &str) -> Result<Arc<Responsive>, String> {
        memo(&self.responsive, site_path, || {
            self.make_responsive(site_path)
        })
    }

    fn make_responsive(&self, site_path: &str) -> Result<Responsive, String> {
        let known = self.known(site_path)?;
        let (width, height) = (known.width, known.height);
        let mut out = Responsive {
            width,
            height,
            smaller: Vec::new(),
            webp: Vec::new(),
        };
        // A GIF may move: it is shown as it is.
        if known.format == Format::Gif {
            return Ok(out);
        }
        let smaller: Vec<u32> = WIDTHS.iter().copied().filter(|&w| w < width).collect();
        let ask = |w: u32, format: Format| Request {
            op: Op::FitWidth,
            width: Some(w),
            height: None,
            format,
            quality: SRCSET_QUALITY,
        };
        let mut requests: Vec<Request> = smaller.iter().map(|&w| ask(w, known.format)).collect();
        let offers_webp = known.format != Format::Webp;
        if offers_webp {
            requests.extend(
                smaller
                    .iter()
                    .chain([&width])
                    .map(|&w| ask(w, Format::Webp)),
            );
        }
        let mut made = self.make(site_path, &known, &requests)?;
        let webp = made.split_off(smaller.len());
        out.smaller = made;
        if webp.last().is_some_and(|full| full.bytes < known.bytes) {
            out.webp = webp;
        }
        self.publish(out.smaller.iter().chain(&out.webp));
        Ok(out)
    }

    /// `request` made of the image at `site_path`, published.
    fn resize(&self, site_path: &str, known: &Known, request: Request) -> Result<Made, String> {
        let made = self
            .make(site_path, known, &[request])?
            .pop()
            .ok_or("nothing was made")?;
        self.publish([&made]);
        Ok(made)
    }

    /// The site path of the image `resize_image` calls `path` (relative to
    /// the site root, `content/` or `static/`).
    fn find(&self, path: &str) -> Result<String, String> {
        let path = path.trim_start_matches("@/").trim_start_matches('/');
        ["", "content/", "static/"]
            .iter()
            .find_map(|prefix| self.by_input.get(&format!("{prefix}{path}")))
            .cloned()
            .ok_or_else(|| {
                format!("resize_image: no image {path:?} in content/ or static/ (PNG, JPEG, GIF or WebP)")
            })
    }

    /// Record files to publish.
    fn publish<'m>(&self, made: impl IntoIterator<Item = &'m Made>) {
        let mut all = self.made.lock().unwrap_or_else(|e| e.into_inner());
        for m in made {
            all.insert(m.site_path.clone(), m.clone());
        }
    }

    /// Make `requests` of the image at `site_path`: from the cache where it
    /// has them, else decoded once, resized and encoded, and cached.
    fn make(
        &self,
        site_path: &str,
        known: &Known,
        requests: &[Request],
    ) -> Result<Vec<Made>, String> {
        let stem = site_path
            .rsplit('/')
            .next()
            .and_then(|n| n.rsplit_once('.').map(|(s, _)| s))
            .unwrap_or("image");
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let mut decoded: Option<DynamicImage> = None;
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            let (width, height) = r.size((known.width, known.height))?;
            let key = Fingerprint::new("image")
                .str(ENCODER)
                .bytes(known.hash.as_bytes())
                .str(&format!("{r:?}"))
                .finish();
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            let cache_file = self.cache_dir.join(format!("{hex}.{}", r.format.ext()));
            let bytes = match std::fs::metadata(&cache_file) {
                Ok(m) if m.len() > 0 => m.len(),
                _ => {
                    if decoded.is_none() {
                        decoded = Some(decode(&self.source(site_path)?.abs)?);
                    }
                    let image = decoded.as_ref().ok_or("not decoded")?;
                    let encoded = encode(&resize(image, r, (width, height))?, r)?;
                    store(&self.cache_dir, &cache_file, &encoded)?;
                    encoded.len() as u64
                }
            };
            out.push(Made {
                site_path: format!("{OUTPUT_DIR}/{stem}.{}.{}", &hex[..12], r.format.ext()),
                width,
                height,
                bytes,
                cache_file,
                key,
            });
        }
        Ok(out)
    }

    /// Make the `srcset` copies of every image (in parallel: pages kept from
    /// the last build show them too) and publish every file made this build
    /// into `sink`; the images pages show that could not be used. An image
    /// no page shows is copied as it is, whatever it holds.
    pub fn put_all(&self, sink: &dyn Sink) -> Vec<Diagnostic> {
        self.sources.par_iter().for_each(|(path, _)| {
            let _ = self.responsive(path);
        });
        let problems =
            std::mem::take(&mut *self.problems.lock().unwrap_or_else(|e| e.into_inner()));
        let problems = problems
            .into_iter()
            .map(|(path, (why, mut pages))| {
                pages.sort();
                pages.dedup();
                let d = Diagnostic::error("image", format!("cannot use the image: {why}"))
                    .note(format!("shown on /{}", pages.join(", /")));
                match self.sources.get(&path) {
                    Some(s) => d.in_file(&s.rel),
                    None => d,
                }
            })
            .collect();
        let made = std::mem::take(&mut *self.made.lock().unwrap_or_else(|e| e.into_inner()));
        for m in made.into_values() {
            if sink.keep(&m.site_path, &m.key) {
                continue;
            }
            sink.put(OutputFile {
                path: m.site_path,
                contents: Contents::Copy(m.cache_file),
                fingerprint: Some(m.key),
            });
        }
        problems
    }

    /// `html` of the page at site path `page` with every `<img>` that shows a
    /// raster image of the site given its size, `srcset` and a WebP source.
    pub fn rewrite_html(&self, html: &str, page: &str, resolver: &Resolver) -> String {
        if self.sources.is_empty() || !html.contains("<img") {
            return html.to_string();
        }
        let handler = lol_html::element!("img[src]", |el| {
            let Some(src) = el.get_attribute("src") else {
                return Ok(());
            };
            if el.has_attribute("srcset") {
                return Ok(());
            }
            let Target::Site { path, .. } = resolver.resolve(page, &src) else {
                return Ok(());
            };
            if !self.sources.contains_key(&path) {
                return Ok(());
            }
            let r = match self.responsive(&path) {
                Ok(r) => r,
                Err(why) => {
                    self.problem(&path, why, page);
                    return Ok(());
                }
            };
            if !el.has_attribute("width") && !el.has_attribute("height") {
                el.set_attribute("width", &r.width.to_string())?;
                el.set_attribute("height", &r.height.to_string())?;
            }
            if !el.has_attribute("loading") {
                el.set_attribute("loading", "lazy")?;
            }
            el.set_attribute("decoding", "async")?;
            if r.smaller.is_empty() && r.webp.is_empty() {
                return Ok(());
            }
            let sizes = format!("(max-width: {w}px) 100vw, {w}px", w = r.width);
            let own = format!("{src} {}w", r.width);
            let srcset = self.srcset(&r.smaller, Some(&own));
            el.set_attribute("srcset", &srcset)?;
            el.set_attribute("sizes", &sizes)?;
            if !r.webp.is_empty() {
                let source = format!(
                    "<picture><source type=\"image/webp\" srcset=\"{}\" sizes=\"{sizes}\">",
                    crate::html::escape(&self.srcset(&r.webp, None))
                );
                el.before(&source, lol_html::html_content::ContentType::Html);
                el.after("</picture>", lol_html::html_content::ContentType::Html);
            }
            Ok(())
        });
        let settings = lol_html::RewriteStrSettings::new().append_element_content_handler(handler);
        lol_html::rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
    }

    /// Record that the page at `page` shows the image at `path`, which cannot be used.
    fn problem(&self, path: &str, why: String, page: &str) {
        let mut all = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        let entry = all
            .entry(path.to_string())
            .or_insert_with(|| (why, Vec::new()));
        entry.1.push(page.to_string());
    }

    /// A `srcset` of `made`, then `last` (already a candidate).
    fn srcset(&self, made: &[Made], last: Option<&str>) -> String {
        made.iter()
            .map(|m| format!("{} {}w", self.urls.permalink(&m.site_path), m.width))
            .chain(last.map(str::to_string))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The value of `key` in `memo`, computed by `make` once.
fn memo<T>(
    memo: &Memo<T>,
    key: &str,
    make: impl FnOnce() -> Result<T, String>,
) -> Result<Arc<T>, String> {
    let cell = memo
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.to_string())
        .or_default()
        .clone();
    cell.get_or_init(|| make().map(Arc::new)).clone()
}

fn slashed(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Hash an image file and read its size and format from its header.
fn read_known(path: &Path) -> Result<Known, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let reader = ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let format = reader
        .format()
        .and_then(Format::of_image)
        .ok_or("it is not a PNG, JPEG, GIF or WebP image")?;
    let (width, height) = reader.into_dimensions().map_err(|e| e.to_string())?;
    Ok(Known {
        width,
        height,
        format,
        bytes: bytes.len() as u64,
        hash: blake3::hash(&bytes),
    })
}

fn decode(path: &Path) -> Result<DynamicImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .decode()
        .map_err(|e| e.to_string())
}

/// `image` resized (and for `fill`, cropped) to `size`.
fn resize(image: &DynamicImage, r: &Request, (w, h): (u32, u32)) -> Result<DynamicImage, String> {
    if (w, h) == (image.width(), image.height()) {
        return Ok(image.clone());
    }
    // Every pixel type the resizer takes; others (16-bit, float) as 8-bit RGBA.
    let source = match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image.clone(),
        _ => DynamicImage::ImageRgba8(image.to_rgba8()),
    };
    let mut out = DynamicImage::new(w, h, source.color());
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if r.op == Op::Fill {
        options = options.fit_into_destination(Some((0.5, 0.5)));
    }
    Resizer::new()
        .resize(&source, &mut out, &options)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// `image` encoded as `r` asks.
fn encode(image: &DynamicImage, r: &Request) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    let fail = |e: image::ImageError| e.to_string();
    match r.format {
        Format::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut out,
                r.quality.clamp(1, 100),
            );
            rgb.write_with_encoder(encoder).map_err(fail)?;
        }
        Format::Webp => {
            let pixels = if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8())
            };
            pixels.write_to(&mut out, ImageFormat::WebP).map_err(fail)?;
        }
        Format::Png => image.write_to(&mut out, ImageFormat::Png).map_err(fail)?,
        Format::Gif => image.write_to(&mut out, ImageFormat::Gif).map_err(fail)?,
    }
    Ok(out.into_inner())
}

/// Write `bytes` to `file` in the cache whole or not at all.
fn store(dir: &Path, file: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", file.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.persist(file).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(op: Op, width: Option<u32>, height: Option<u32>) -> Request {
        Request {
            op,
            width,
            height,
            format: Format::Png,
            quality: 75,
        }
    }

    #[test]
    fn sizes_follow_zolas_ops() {
        let src = (1600, 900);
        assert_eq!(ask(Op::Scale, Some(10), Some(20)).size(src), Ok((10, 20)));
        assert_eq!(ask(Op::FitWidth, Some(800), None).size(src), Ok((800, 450)));
        assert_eq!(
            ask(Op::FitHeight, None, Some(450)).size(src),
            Ok((800, 450))
        );
        assert_eq!(ask(Op::Fit, Some(400), Some(400)).size(src), Ok((400, 225)));
        assert_eq!(
            ask(Op::Fit, Some(4000), Some(4000)).size(src),
            Ok((1600, 900))
        );
        assert_eq!(
            ask(Op::Fill, Some(300), Some(300)).size(src),
            Ok((300, 300))
        );
        assert!(ask(Op::Fill, Some(300), None).size(src).is_err());
        assert!(Op::parse("crop").is_err());
    }
}

/// What `resize_image` returns (Zola's fields).
#[derive(serde::Serialize)]
struct Resized {
    url: String,
    static_path: String,
    width: u32,
    height: u32,
    orig_width: u32,
    orig_height: u32,
}

/// Register `resize_image(path, width, height, op, format, quality)`.
pub fn register(tera: &mut tera::Tera, images: Arc<Images>) {
    use tera::{Kwargs, State, TeraResult, Value};
    tera.register_function(
        "resize_image",
        move |kwargs: Kwargs, _: &State| -> TeraResult<Value> {
            let fail = |e: String| tera::Error::message(format!("resize_image: {e}"));
            let path: String = kwargs.must_get("path")?;
            let size = |key: &str| -> TeraResult<Option<u32>> {
                kwargs
                    .get::<u64>(key)?
                    .map(|n| u32::try_from(n).map_err(|_| fail(format!("{key} {n} is too large"))))
                    .transpose()
            };
            let (width, height) = (size("width")?, size("height")?);
            let op = Op::parse(&kwargs.get::<String>("op")?.unwrap_or_else(|| "fill".into()))
                .map_err(fail)?;
            let quality = kwargs.get::<u64>("quality")?.unwrap_or(75);
            if !(1..=100).contains(&quality) {
                return Err(fail(format!("quality {quality} is not between 1 and 100")));
            }
            let format = kwargs
                .get::<String>("format")?
                .unwrap_or_else(|| "auto".into());
            let site_path = images.find(&path).map_err(tera::Error::message)?;
            let known = images.known(&site_path).map_err(fail)?;
            let format = match format.as_str() {
                "auto" if known.format == Format::Jpeg => Format::Jpeg,
                "auto" => Format::Png,
                "jpg" | "jpeg" => Format::Jpeg,
                "png" => Format::Png,
                "webp" => Format::Webp,
                other => {
                    return Err(fail(format!(
                        "unknown format {other:?}: use auto, jpg, png or webp"
                    )));
                }
            };
            let request = Request {
                op,
                width,
                height,
                format,
                quality: quality as u8,
            };
            let made = images.resize(&site_path, &known, request).map_err(fail)?;
            Ok(Value::from_serializable(&Resized {
                url: images.urls.permalink(&made.site_path),
                static_path: made.site_path,
                width: made.width,
                height: made.height,
                orig_width: known.width,
                orig_height: known.height,
            }))
        },
    );
}
