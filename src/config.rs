//! Site settings: reads and validates `config.toml`.
//!
//! Unknown keys are errors with file, line and column, so a typo never silently
//! changes the site.

use crate::diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The name of the site settings file at the site root.
pub const CONFIG_FILE: &str = "config.toml";

/// Settings from `config.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the site is published (absolute, ending in `/`); `None` while no
    /// address is known: then links are written relative and the files that
    /// need absolute URLs (sitemap, feed) are left out.
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The default language's code (Zola's `default_language`; `language` is read too).
    #[serde(default = "default_language", alias = "default_language")]
    pub language: String,
    /// The other languages the site is written in, by code (`[languages.fr]`), as in Zola.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, LanguageConfig>,
    /// Words templates look up with `trans(key=…)` in the default language (`[translations]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, String>,
    /// Write internal links relative to the page, so the output works from `file://`.
    #[serde(default)]
    pub relative_urls: bool,
    #[serde(default)]
    pub markdown: MarkdownConfig,
    /// Write `search-index.js` for a search page (Zola's name; see [`crate::search`]).
    #[serde(default)]
    pub build_search_index: bool,
    /// Draw a share card (`share.png`) for every page (see [`crate::share_card`]).
    #[serde(default)]
    pub share_cards: bool,
    /// How many seconds one template render may take before the build is given up.
    #[serde(default)]
    pub render_timeout: Option<f64>,
    #[serde(default = "empty_table")]
    pub extra: toml::Table,
    /// Ways pages are classified (`tags`, `categories`…), as in Zola.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxonomies: Vec<crate::taxonomies::TaxonomyConfig>,
}

/// One `[languages.xx]` table: a language besides the default one.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageConfig {
    /// The site title in this language (the default language's when not given).
    #[serde(default)]
    pub title: Option<String>,
    /// The site description in this language (the default language's when not given).
    #[serde(default)]
    pub description: Option<String>,
    /// Whether this language gets its own feed, `/xx/atom.xml` (needs a `base_url`).
    #[serde(default = "yes", alias = "generate_feed")]
    pub generate_feeds: bool,
    /// Words templates look up with `trans(key=…, lang="xx")`.
    #[serde(default)]
    pub translations: BTreeMap<String, String>,
}

/// The `[markdown]` table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarkdownConfig {
    #[serde(default = "yes")]
    pub highlight_code: bool,
    #[serde(default = "default_light_theme")]
    pub light_theme: String,
    #[serde(default = "default_dark_theme")]
    pub dark_theme: String,
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        MarkdownConfig {
            highlight_code: true,
            light_theme: default_light_theme(),
            dark_theme: default_dark_theme(),
        }
    }
}

fn default_language() -> String {
    "en".into()
}
fn default_light_theme() -> String {
    "InspiredGitHub".into()
}
fn default_dark_theme() -> String {
    "base16-ocean.dark".into()
}
fn yes() -> bool {
    true
}
fn empty_table() -> toml::Table {
    toml::Table::new()
}

impl Config {
    /// Read `config.toml` from the site root.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let path = root.join(CONFIG_FILE);
        let text = crate::content::read_input_text(&path).map_err(|e| {
            Diagnostic::error("config", format!("cannot read {CONFIG_FILE}: {e}"))
                .in_file(CONFIG_FILE)
                .note(format!(
                    "is {} an explainer site? It needs config.toml, content/ and templates/ (try `explainer new DIR`)",
                    root.display()
                ))
        })?;
        Config::parse(&text)
    }

    /// Parse and validate the text of a `config.toml`.
    pub fn parse(text: &str) -> Result<Config, Diagnostic> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let d = Diagnostic::error("config", e.message().to_string()).in_file(CONFIG_FILE);
            match e.span() {
                Some(span) => d.at_offset(text, span.start),
                None => d,
            }
        })?;
        if let Some(url) = &config.base_url {
            let normal = normalise_base_url(url).map_err(|why| {
                let d = Diagnostic::error("config", format!("bad base_url {url:?}: {why}"))
                    .in_file(CONFIG_FILE)
                    .note("base_url must be an absolute http(s) URL, e.g. \"https://example.org/\" or \"https://user.github.io/explainer/\"; leave it out while the site has no address");
                match text.find("base_url") {
                    Some(at) => d.at_offset(text, at),
                    None => d,
                }
            })?;
            config.base_url = Some(normal);
        }
        if let Some(t) = config.render_timeout
            && !(t.is_finite() && t > 0.0 && t < 1e9)
        {
            let d = Diagnostic::error(
                "config",
                format!("bad render_timeout {t}: it must be a number of seconds above 0"),
            )
            .in_file(CONFIG_FILE);
            return Err(match text.find("render_timeout") {
                Some(at) => d.at_offset(text, at),
                None => d,
            });
        }
        crate::taxonomies::check_config(&config.taxonomies, text)?;
        check_languages(&config, text)?;
        Ok(config)
    }

    /// How long one template render may run.
    pub fn render_timeout(&self) -> std::time::Duration {
        self.render_timeout.map_or(
            crate::limits::DEFAULT_RENDER_TIMEOUT,
            std::time::Duration::from_secs_f64,
        )
    }

    /// What every URL is built on: `base_url`, or `/` when there is none.
    pub fn url_base(&self) -> &str {
        self.base_url.as_deref().unwrap_or("/")
    }

    /// Whether internal links are written relative: asked for, or no `base_url` is set.
    pub fn writes_relative(&self) -> bool {
        self.relative_urls || self.base_url.is_none()
    }

    /// Whether `code` is the default language or one of `[languages]`.
    pub fn has_language(&self, code: &str) -> bool {
        code == self.language || self.languages.contains_key(code)
    }

    /// The URL folder of a language's pages: `""` for the default, else `fr/`.
    pub fn language_folder(&self, code: &str) -> String {
        if code == self.language {
            String::new()
        } else {
            format!("{code}/")
        }
    }

    /// The site title in `code`'s language.
    pub fn title_in(&self, code: &str) -> &str {
        self.languages
            .get(code)
            .and_then(|l| l.title.as_deref())
            .unwrap_or(&self.title)
    }

    /// What `trans(key=…)` gives in `code`'s language, if the config has it.
    pub fn translation(&self, key: &str, code: &str) -> Option<&str> {
        let table = if code == self.language {
            &self.translations
        } else {
            &self.languages.get(code)?.translations
        };
        table.get(key).map(String::as_str)
    }

    /// The path part of `base_url`, always starting and ending with `/` (`/explainer/`).
    pub fn base_path(&self) -> &str {
        base_path_of(self.url_base())
    }
}

/// Whether `code` has the shape of a language tag: 2 or 3 lower-case letters,
/// then `-` and a region or script of 2 to 8 letters or digits (`fr`, `pt-BR`).
pub fn is_language_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Every language code must look like one, and the default language is not
/// listed again under `[languages]` (Zola refuses that too).
fn check_languages(config: &Config, text: &str) -> Result<(), Diagnostic> {
    let at = |key: &str, d: Diagnostic| match text.find(key) {
        Some(at) => d.at_offset(text, at),
        None => d,
    };
    if !is_language_code(&config.language) {
        let key = if text.contains("default_language") {
            "default_language"
        } else {
            "language"
        };
        return Err(at(
            key,
            Diagnostic::error(
                "config",
                format!(
                    "bad language code {:?}: use a code such as \"en\" or \"pt-BR\"",
                    config.language
                ),
            )
            .in_file(CONFIG_FILE),
        ));
    }
    for code in config.languages.keys() {
        let table = format!("languages.{code}");
        if code == &config.language {
            return Err(at(
                &table,
                Diagnostic::error(
                    "config",
                    format!("[{table}] is the default language: list only the other languages under [languages]"),
                )
                .in_file(CONFIG_FILE),
            ));
        }
        if !is_language_code(code) {
            return Err(at(
                &table,
                Diagnostic::error(
                    "config",
                    format!("bad language code {code:?} in [{table}]: use a code such as \"fr\" or \"pt-BR\""),
                )
                .in_file(CONFIG_FILE),
            ));
        }
    }
    Ok(())
}

/// The path part of an absolute URL with a trailing slash.
pub fn base_path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None => "/",
    }
}

/// Check that `url` is an absolute http(s) URL and give it a trailing slash.
pub fn normalise_base_url(url: &str) -> Result<String, String> {
    let parsed = crate::urls::web_url(url)?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("it must not have a query or fragment".into());
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// What to build and how: the site folder and the command line's overrides
/// of its config.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub root: std::path::PathBuf,
    pub drafts: bool,
    /// Replaces `base_url` from the config (used by `--base-url` and `serve`).
    pub base_url: Option<String>,
    /// Forces relative URLs on.
    pub relative: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_located() {
        let err = Config::parse("base_url = \"https://a.org\"\ntitel = \"x\"\n").unwrap_err();
        assert!(err.message.contains("titel"), "{}", err.message);
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn base_url_gets_trailing_slash_and_path() {
        let c = Config::parse("base_url = \"https://user.github.io/explainer\"\n").unwrap();
        assert_eq!(
            c.base_url.as_deref(),
            Some("https://user.github.io/explainer/")
        );
        assert_eq!(c.base_path(), "/explainer/");
        assert!(!c.writes_relative());
    }

    #[test]
    fn without_base_url_links_are_relative_under_the_root() {
        let c = Config::parse("title = \"x\"\n").unwrap();
        assert_eq!(c.base_url, None);
        assert_eq!(c.url_base(), "/");
        assert_eq!(c.base_path(), "/");
        assert!(c.writes_relative());
    }

    #[test]
    fn languages_use_zolas_names() {
        let c = Config::parse(
            "default_language = \"en\"\n[languages.fr]\ntitle = \"Le drone\"\ngenerate_feeds = false\n[languages.fr.translations]\nours = \"notre traduction\"\n",
        )
        .unwrap();
        assert_eq!(c.language, "en");
        assert!(c.has_language("fr") && c.has_language("en") && !c.has_language("de"));
        assert!(!c.languages["fr"].generate_feeds);
        assert_eq!(c.title_in("fr"), "Le drone");
        assert_eq!(c.translation("ours", "fr"), Some("notre traduction"));
        assert_eq!(c.language_folder("fr"), "fr/");
        assert_eq!(c.language_folder("en"), "");
    }

    #[test]
    fn the_default_language_listed_again_is_located() {
        let err = Config::parse("default_language = \"en\"\n\n[languages.en]\n").unwrap_err();
        assert!(err.message.contains("default language"), "{}", err.message);
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn language_codes_have_the_shape_of_one() {
        for good in ["fr", "en", "pt-BR", "zh-Hans", "ast"] {
            assert!(is_language_code(good), "{good}");
        }
        for bad in ["", "f", "French", "FR", "fr_FR", "v2", "fr-", "final"] {
            assert!(!is_language_code(bad), "{bad}");
        }
        assert!(Config::parse("[languages.French]\n").is_err());
    }

    #[test]
    fn bad_base_url_is_rejected() {
        assert!(Config::parse("base_url = \"example.org\"\n").is_err());
        assert!(Config::parse("base_url = \"https://\"\n").is_err());
    }
}
