//! Located, user-facing findings: errors and warnings that name a file, line and column.
//!
//! Every stage reports problems as [`Diagnostic`]s so the CLI, `check --format json`
//! and the `serve` overlay all show the same message in the same shape.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a finding is: errors fail the build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about the user's site, with its location when it has one.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short machine-readable name of the check, e.g. `citation`, `quotation`.
    pub code: &'static str,
    pub message: String,
    /// Path of the offending file, relative to the site root where possible.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// The offending source line, shown under the location.
    pub source_line: Option<String>,
    /// Extra lines of explanation ("did you mean …", the closest passage, …).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error with no location yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A warning with no location yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            source_line: None,
            notes: Vec::new(),
        }
    }

    /// Attach the file the finding is about.
    pub fn in_file(mut self, file: impl AsRef<Path>) -> Self {
        self.file = Some(file.as_ref().to_path_buf());
        self
    }

    /// Attach a location given as a byte offset into `text`, the file's contents.
    pub fn at_offset(mut self, text: &str, offset: usize) -> Self {
        let pos = Position::of_offset(text, offset);
        self.line = Some(pos.line);
        self.column = Some(pos.column);
        self.source_line = text.lines().nth(pos.line - 1).map(|l| l.to_string());
        self
    }

    /// Attach a location given as 1-based line and column, reading the line from `text`.
    pub fn at_line_col(mut self, text: &str, line: usize, column: usize) -> Self {
        self.line = Some(line.max(1));
        self.column = Some(column.max(1));
        self.source_line = text.lines().nth(line.max(1) - 1).map(|l| l.to_string());
        self
    }

    /// Add a line of explanation.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Whether this finding fails the build.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The message with its location, on one line.
    pub fn summary(&self) -> String {
        match self.location() {
            Some(at) => format!("{} ({at})", self.message),
            None => self.message.clone(),
        }
    }

    /// `file:line:col`, or as much of it as is known.
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_ref()?.display().to_string();
        Some(match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            (Some(l), None) => format!("{file}:{l}"),
            _ => file,
        })
    }
}

impl Diagnostic {
    /// The finding as rustc shows its errors (annotate-snippets): the message,
    /// `--> file:line:col`, the offending line with a caret, then the notes.
    /// `colour` adds terminal colours: only for a terminal.
    pub fn render(&self, colour: bool) -> String {
        use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let message = printable(&self.message);
        let location = self.location().map(|l| printable(&l).into_owned());
        let source = self.source_line.as_deref().map(printable);
        let title = level.clone().primary_title(message.as_ref()).id(self.code);
        let mut group = Group::with_title(title);
        match (&location, self.line, &source) {
            (Some(path), Some(line), Some(src)) => {
                let file = printable(&self.file_display()).into_owned();
                let at = byte_of_column(src, self.column.unwrap_or(1));
                group = group.element(
                    Snippet::source(src.as_ref())
                        .line_start(line)
                        .path(file)
                        .annotation(AnnotationKind::Primary.span(at..at)),
                );
                let _ = path;
            }
            (Some(path), _, _) => {
                group = group.element(annotate_snippets::Origin::path(path.clone()));
            }
            _ => {}
        }
        let notes: Vec<String> = self
            .notes
            .iter()
            .map(|n| printable(n).into_owned())
            .collect();
        for note in &notes {
            group = group.element(Level::NOTE.no_name().message(note.as_str()));
        }
        let renderer = if colour {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group])
    }

    fn file_display(&self) -> String {
        self.file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_default()
    }
}

/// The byte offset of 1-based character column `column` in `line` (its end
/// when the line is shorter).
fn byte_of_column(line: &str, column: usize) -> usize {
    line.char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.render(false))
    }
}

/// `text` with control characters (other than tab) written as escapes, so a
/// file name or line holding them cannot drive the terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\t' => "\t".to_string(),
            c if c.is_control() => escaped(c),
            c => c.to_string(),
        })
        .collect::<String>()
        .into()
}

fn escaped(c: char) -> String {
    c.escape_default().to_string()
}

/// A 1-based line and column in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// Convert a byte offset into a line and a character column.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

/// The findings of one run, kept in the order they were found.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.diagnostics.extend(ds);
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Print every finding to stderr, coloured when stderr is a terminal.
    pub fn print(&self) {
        use std::io::Write;
        let colour = interactive();
        let mut err = std::io::stderr().lock();
        for d in &self.diagnostics {
            let _ = writeln!(err, "{}\n", d.render(colour));
        }
    }

    /// "2 errors, 1 warning".
    pub fn counts(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {}",
            plural(self.error_count(), "error"),
            plural(self.warning_count(), "warning")
        )
    }

    /// Sort by file and position so output is stable whatever the thread order was.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (a.severity, &a.file, a.line, a.column, &a.message)
                .cmp(&(b.severity, &b.file, b.line, b.column, &b.message))
        });
        self.collapse_repeats();
    }

    /// One finding for the same fault met again and again (a template error
    /// hit by every page it renders): the first, with a note of how many more.
    fn collapse_repeats(&mut self) {
        let same = |a: &Diagnostic, b: &Diagnostic| {
            (a.severity, a.code, &a.file, a.line, a.column, &a.message)
                == (b.severity, b.code, &b.file, b.line, b.column, &b.message)
        };
        let mut out: Vec<Diagnostic> = Vec::with_capacity(self.diagnostics.len());
        let mut repeats: Vec<usize> = Vec::new();
        for d in self.diagnostics.drain(..) {
            match out.last() {
                Some(last) if d.file.is_some() && same(last, &d) => {
                    if let Some(n) = repeats.last_mut() {
                        *n += 1;
                    }
                }
                _ => {
                    out.push(d);
                    repeats.push(0);
                }
            }
        }
        for (d, n) in out.iter_mut().zip(repeats) {
            if n > 0 {
                d.notes.push(format!(
                    "and {n} more time{} (the same error, on other pages)",
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
        self.diagnostics = out;
    }
}

/// Find `needle` in `text`, starting the search at `from`; the byte offset where it is.
pub fn find_from(text: &str, needle: &str, from: usize) -> Option<usize> {
    let from = from.min(text.len());
    if !text.is_char_boundary(from) || needle.is_empty() {
        return None;
    }
    text[from..].find(needle).map(|i| i + from)
}

/// Whether stderr is a terminal: colour and progress bars are drawn only then.
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_to_line_and_column_counts_characters() {
        let text = "ab\nc’d\n";
        assert_eq!(
            Position::of_offset(text, 0),
            Position { line: 1, column: 1 }
        );
        let d = text.find('d').unwrap();
        assert_eq!(
            Position::of_offset(text, d),
            Position { line: 2, column: 3 }
        );
    }

    #[test]
    fn display_shows_location_line_and_caret() {
        let d = Diagnostic::error("config", "unknown key `foo`")
            .in_file("config.toml")
            .at_offset("title = 1\nfoo = 2\n", 10);
        let shown = d.to_string();
        assert!(shown.contains("--> config.toml:2:1"), "{shown}");
        assert!(shown.contains("2 | foo = 2"), "{shown}");
    }
}
