//! Writes the synthetic benchmark corpus: N Markdown pages as an explainer
//! site, a Zola site and a Hugo site, so that their build times compare like
//! for like.
//!
//! ```text
//! cargo run --release --example gen_corpus -- N OUTDIR
//! ```
//!
//! * `OUTDIR/explainer` — a site for this project (config.toml, content/,
//!   templates/, static/), with templates that use only the documented context;
//! * `OUTDIR/zola` — the same pages for Zola;
//! * `OUTDIR/hugo` — the same pages for Hugo;
//! * `OUTDIR/corpus` — the bare `content/` tree.
//!
//! Every page has four sections of prose with emphasis, a list with a link to
//! the next page, a block quotation, a table, a highlighted Rust code block and
//! a closing paragraph. Each block quotation is one of [`QUOTED`] passages of
//! an archived report and cites it (`[@bench-report]`); the explainer flavour
//! declares that source in `content/sources/_index.md` with the archive beside
//! it, so the build checks every quotation as a real explainer's would. The output depends only on N: the word choice comes
//! from a fixed-seed generator, so two runs write the same bytes. OUTDIR is
//! refused unless it is empty or was written by this generator.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// Vocabulary of the generated prose.
const WORDS: &[&str] = &[
    "kremlin",
    "drone",
    "strike",
    "statement",
    "spokesman",
    "president",
    "defence",
    "radar",
    "footage",
    "verified",
    "unverified",
    "official",
    "denial",
    "accusation",
    "parade",
    "residence",
    "complex",
    "evening",
    "overnight",
    "fragments",
    "explosion",
    "dome",
    "senate",
    "moscow",
    "kyiv",
    "territory",
    "invasion",
    "provocation",
    "retaliatory",
    "measures",
];

/// How many passages the archived report has; block quotations quote them.
const QUOTED: usize = 40;

/// The source every block quotation cites, and its archived text beside it.
const SOURCE_PAGE: &str = "+++\ntitle = \"Sources\"\ntemplate = \"sources.html\"\n\n[[sources]]\nid = \"bench-report\"\ntitle = \"Bench report\"\nkind = \"news-report\"\narchive = \"report.txt\"\n+++\n";

/// Sections the pages are spread over, round robin.
const SECTIONS: usize = 10;

/// Marks a folder this generator wrote, so a rerun may replace it.
const MARKER: &str = ".gen-corpus";

/// A small deterministic generator (SplitMix64): the corpus must be the same
/// on every machine and every run, without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }

    /// A sentence of `n` words, capitalised, with a full stop.
    fn sentence(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.word());
        }
        let mut chars = s.chars();
        match chars.next() {
            Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
            None => s,
        }
    }
}

/// The Markdown body of page `i` of `n`, quoting `report`'s passages.
fn body(rng: &mut Rng, i: usize, n: usize, report: &[String]) -> String {
    let next = (i + 1) % n;
    let mut out = String::new();
    for s in 0..4 {
        let _ = writeln!(out, "## Section {s} of page {i}\n");
        let _ = writeln!(
            out,
            "{} *{}* and **{}**.\n",
            rng.sentence(60),
            rng.sentence(6),
            rng.sentence(4)
        );
        let _ = writeln!(
            out,
            "- {}\n- {}\n- see [page {next}](../../s{}/p{next}/)\n",
            rng.sentence(8),
            rng.sentence(8),
            next % SECTIONS
        );
        let quoted = &report[rng.below(report.len())];
        let _ = writeln!(out, "> {quoted} [@bench-report]\n");
    }
    out.push_str("| who | said | when |\n|---|---|---|\n");
    for r in 0..4 {
        let _ = writeln!(
            out,
            "| {} | {} | 2023-05-0{} |",
            rng.word(),
            rng.sentence(5),
            r + 1
        );
    }
    let _ = write!(
        out,
        "\n```rust\nfn page_{i}() {{\n    let {} = vec![{i}, {}];\n    for d in &{} {{\n        println!(\"{} {{}}\", d);\n    }}\n}}\n```\n\n",
        rng.word(),
        rng.below(100),
        rng.word(),
        rng.sentence(3)
    );
    let _ = writeln!(out, "{}", rng.sentence(80));
    out
}

/// One generator's site layout: the files it needs besides `content/`
/// (a name ending in `/` is an empty folder).
struct Flavour {
    name: &'static str,
    /// Zola wants `sort_by` on sections to list dated pages in order.
    section_extra: &'static str,
    /// Files every copy of this flavour has, in groups (its config, the templates it shares).
    files: &'static [&'static [(&'static str, &'static str)]],
}

const BASE_HTML: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{% block title %}{{ config.title }}{% endblock %}</title></head><body>{% block content %}{% endblock %}</body></html>\n";
const SECTION_HTML: &str = "{% extends \"base.html\" %}{% block content %}<h1>{{ section.title }}</h1><ul>{% for p in section.pages %}<li><a href=\"{{ p.permalink }}\">{{ p.title }}</a></li>{% endfor %}</ul>{% endblock %}\n";
const PAGE_HTML: &str = "{% extends \"base.html\" %}{% block title %}{{ page.title }}{% endblock %}{% block content %}<article><h1>{{ page.title }}</h1><time>{{ page.date }}</time>{{ page.content | safe }}</article>{% endblock %}\n";
/// The sources page: one item per source, with the id citations link to.
const SOURCES_HTML: &str = "{% extends \"base.html\" %}{% block content %}<h1>{{ section.title }}</h1><ul>{% for s in explainer.sources %}<li id=\"{{ s.anchor }}\">{{ s.title }}</li>{% endfor %}</ul>{% endblock %}\n";
const INDEX_HTML: &str = "{% extends \"base.html\" %}{% block content %}<ul>{% for s in section.subsections %}<li><a href=\"{{ s.permalink }}\">{{ s.title }}</a></li>{% endfor %}</ul>{% endblock %}\n";

/// The templates of the Tera flavours (explainer and Zola), and their static folder.
const TERA_TEMPLATES: &[(&str, &str)] = &[
    ("templates/base.html", BASE_HTML),
    ("templates/index.html", INDEX_HTML),
    ("templates/section.html", SECTION_HTML),
    ("templates/page.html", PAGE_HTML),
    ("static/", ""),
];

const FLAVOURS: &[Flavour] = &[
    Flavour {
        name: "corpus",
        section_extra: "",
        files: &[],
    },
    Flavour {
        name: "explainer",
        section_extra: "",
        files: &[
            &[
                (
                    "config.toml",
                    "base_url = \"https://example.org\"\ntitle = \"bench\"\n[markdown]\nhighlight_code = true\n",
                ),
                ("templates/sources.html", SOURCES_HTML),
            ],
            TERA_TEMPLATES,
        ],
    },
    Flavour {
        name: "zola",
        section_extra: "sort_by = \"date\"\n",
        files: &[
            &[(
                "config.toml",
                "base_url = \"https://example.org\"\ntitle = \"bench\"\ngenerate_feeds = false\nbuild_search_index = false\n[markdown.highlighting]\ntheme = \"github-light\"\nstyle = \"class\"\n",
            )],
            TERA_TEMPLATES,
        ],
    },
    Flavour {
        name: "hugo",
        section_extra: "",
        files: &[&[
            (
                "hugo.toml",
                "baseURL = \"https://example.org/\"\ntitle = \"bench\"\ndisableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\", \"robotsTXT\"]\n[markup.highlight]\nnoClasses = false\n[markup.goldmark.renderer]\nunsafe = true\n",
            ),
            (
                "layouts/_default/baseof.html",
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{ block \"title\" . }}{{ .Site.Title }}{{ end }}</title></head><body>{{ block \"main\" . }}{{ end }}</body></html>\n",
            ),
            (
                "layouts/_default/list.html",
                "{{ define \"main\" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href=\"{{ .Permalink }}\">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n",
            ),
            (
                "layouts/_default/single.html",
                "{{ define \"title\" }}{{ .Title }}{{ end }}{{ define \"main\" }}<article><h1>{{ .Title }}</h1><time>{{ .Date }}</time>{{ .Content }}</article>{{ end }}\n",
            ),
        ]],
    },
];

/// Write the corpus of `n` pages under `root` (see the module doc).
pub fn write_corpus(n: usize, root: &Path) -> io::Result<()> {
    prepare(root)?;
    let mut rng = Rng(42);
    let report: Vec<String> = (0..QUOTED).map(|_| rng.sentence(25)).collect();
    let bodies: Vec<String> = (0..n).map(|i| body(&mut rng, i, n, &report)).collect();
    for flavour in FLAVOURS {
        write_flavour(flavour, root, &bodies)?;
    }
    let sources = root.join("explainer/content/sources");
    fs::create_dir_all(&sources)?;
    fs::write(sources.join("_index.md"), SOURCE_PAGE)?;
    fs::write(sources.join("report.txt"), report.join("\n\n"))
}

/// Empty `root`, refusing a non-empty folder this generator did not write.
fn prepare(root: &Path) -> io::Result<()> {
    let is_nonempty = fs::read_dir(root).is_ok_and(|mut d| d.next().is_some());
    if is_nonempty {
        if !root.join(MARKER).is_file() {
            return Err(io::Error::other(format!(
                "{} is not empty and was not written by gen_corpus; refusing to replace it",
                root.display()
            )));
        }
        fs::remove_dir_all(root)?;
    }
    fs::create_dir_all(root)?;
    fs::write(root.join(MARKER), "written by examples/gen_corpus.rs\n")
}

fn write_flavour(flavour: &Flavour, root: &Path, bodies: &[String]) -> io::Result<()> {
    let site = root.join(flavour.name);
    let content = site.join("content");
    for k in 0..SECTIONS {
        let folder = content.join(format!("s{k}"));
        fs::create_dir_all(&folder)?;
        fs::write(
            folder.join("_index.md"),
            format!(
                "+++\ntitle = \"Section s{k}\"\n{}+++\n",
                flavour.section_extra
            ),
        )?;
    }
    for (i, text) in bodies.iter().enumerate() {
        let page = format!(
            "+++\ntitle = \"Page {i}\"\ndate = 2023-05-{:02}\n+++\n\n{text}",
            1 + i % 28
        );
        fs::write(content.join(format!("s{}/p{i}.md", i % SECTIONS)), page)?;
    }
    for (name, text) in flavour.files.iter().copied().flatten() {
        let path = site.join(name);
        if name.ends_with('/') {
            fs::create_dir_all(&path)?;
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, text)?;
    }
    Ok(())
}

#[allow(dead_code)] // Tests include this file as a module and call write_corpus only.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(dir), 2) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
        args.len(),
    ) else {
        eprintln!("usage: gen_corpus N OUTDIR");
        std::process::exit(2);
    };
    if let Err(e) = write_corpus(n, Path::new(dir)) {
        eprintln!("gen_corpus: {e}");
        std::process::exit(1);
    }
}
