//! Quotation matching: is a quotation in the archived text of its source,
//! word for word, and if not, how does it differ from the closest passage?
//!
//! Both sides are normalised the same way and no other: runs of whitespace
//! become one space, typographic quotes become straight ones. A quotation is
//! then a sequence of literal pieces separated by newsroom marks:
//!
//! * an elision, `…` or `...` (also `[…]`, `[...]`): the pieces around it
//!   appear in order within one passage, anything between them;
//! * an insertion, `[words]`: the writer's words standing in for at most
//!   [`MAX_INSERTED_WORDS`] words of the source (`[the Kremlin]` for "it",
//!   `[T]he` for "the").
//!
//! Every piece matches on word boundaries: it neither starts nor ends inside a
//! word of the source ("verified" is not found in "Unverified"). A passage is
//! a paragraph of the archive (text between blank lines, or a block of an
//! archived HTML page); a quotation never spans two.

use similar::{Algorithm, DiffOp, capture_diff_slices};

/// The most words of the source an insertion may stand in for.
pub const MAX_INSERTED_WORDS: usize = 4;

/// The fewest words a statement's quotation or a basis passage may have.
pub const MIN_STATEMENT_WORDS: usize = 3;

/// Words that cannot make a quotation on their own: a quotation made only of
/// these ("a", "of the", "it was") proves nothing about its source.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "did", "do", "for", "from",
    "had", "has", "have", "he", "her", "his", "i", "if", "in", "is", "it", "its", "me", "my", "of",
    "on", "or", "our", "she", "so", "than", "that", "the", "their", "them", "then", "there",
    "they", "this", "to", "us", "was", "we", "were", "what", "which", "who", "will", "with",
    "would", "you", "your",
];

/// Normalise whitespace and quotation marks, nothing else: every quotation
/// mark and apostrophe, single or double, straight or typographic, becomes
/// `"` (a quotation nested in another turns double marks into single ones).
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c {
            '“' | '”' | '„' | '‟' | '″' | '«' | '»' | '‘' | '’' | '‚' | '‛' | '′' | '\'' => {
                '"'
            }
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// An archived text cut into normalised passages.
#[derive(Debug, Clone, Default)]
pub struct Passages {
    passages: Vec<String>,
}

impl Passages {
    /// Cut plain text into paragraphs at blank lines.
    pub fn of_text(text: &str) -> Passages {
        let mut passages = Vec::new();
        let mut current = String::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                passages.push(std::mem::take(&mut current));
            } else {
                current.push_str(line);
                current.push('\n');
            }
        }
        passages.push(current);
        Passages::of_blocks(passages)
    }

    /// Passages that are already cut (blocks of an HTML page).
    pub fn of_blocks(blocks: impl IntoIterator<Item = String>) -> Passages {
        Passages {
            passages: blocks
                .into_iter()
                .map(|b| normalise(&b))
                .filter(|b| !b.is_empty())
                .collect(),
        }
    }

    /// Every passage, normalised.
    pub fn all(&self) -> &[String] {
        &self.passages
    }
}

/// One part of a parsed quotation.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// Words that must appear as written (normalised).
    Literal(String),
    /// `…`: anything, within the passage.
    Elision,
    /// `[words]`: the writer's words, standing for at most
    /// [`MAX_INSERTED_WORDS`] words of the source.
    Insertion(String),
}

/// A quotation parsed into literal pieces and newsroom marks.
#[derive(Debug, Clone)]
pub struct Quotation {
    parts: Vec<Part>,
    /// For each part, whether it touches the previous part with no space
    /// between (`[T]he`, `drone[s]`): next to an insertion a word may be cut.
    attached: Vec<bool>,
}

/// Why a quotation cannot even be looked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Unusable {
    /// Nothing but marks and spaces.
    Empty,
    /// Fewer words than the minimum asked for.
    TooShort(usize),
    /// Only words such as "a", "of", "the".
    OnlyFunctionWords,
}

impl Unusable {
    /// What to tell the writer.
    pub fn explain(&self, what: &str) -> String {
        match self {
            Unusable::Empty => format!("empty {what}"),
            Unusable::TooShort(n) => format!(
                "{what} too short to check: {n} word{} (at least {MIN_STATEMENT_WORDS} are needed to show where in the source it comes from)",
                if *n == 1 { "" } else { "s" }
            ),
            Unusable::OnlyFunctionWords => format!(
                "{what} made only of common words (\"a\", \"of the\", …) proves nothing: quote the words that carry the meaning"
            ),
        }
    }
}

/// The newsroom mark at the start of `rest`, if any, and its length in bytes.
fn mark_at(rest: &str) -> Option<(Part, usize)> {
    if rest.starts_with("...") {
        return Some((Part::Elision, 3));
    }
    if rest.starts_with('…') {
        return Some((Part::Elision, '…'.len_utf8()));
    }
    let end = rest.strip_prefix('[')?.find(']')? + 1;
    let inner = rest[1..end].trim();
    match inner {
        "" => None,
        "…" | "..." => Some((Part::Elision, end + 1)),
        _ => Some((Part::Insertion(inner.to_string()), end + 1)),
    }
}

impl Quotation {
    /// Parse a quotation; `min_words` is the fewest words it must have.
    pub fn parse(text: &str, min_words: usize) -> Result<Quotation, Unusable> {
        let text = normalise(text);
        let mut q = Quotation {
            parts: Vec::new(),
            attached: Vec::new(),
        };
        let mut literal_start = 0;
        let mut i = 0;
        while i < text.len() {
            match mark_at(&text[i..]) {
                Some((part, len)) => {
                    q.push_literal(&text[literal_start..i]);
                    let touches = i > 0 && !text[..i].ends_with(' ');
                    q.parts.push(part);
                    q.attached.push(touches);
                    i += len;
                    literal_start = i;
                }
                None => i += text[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        q.push_literal(&text[literal_start..]);
        q.usable(min_words)?;
        Ok(q)
    }

    fn push_literal(&mut self, text: &str) {
        let piece = text.trim();
        if piece.is_empty() {
            return;
        }
        self.attached
            .push(!self.parts.is_empty() && !text.starts_with(' '));
        self.parts.push(Part::Literal(piece.to_string()));
    }

    fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Literal(l) => Some(l.as_str()),
            _ => None,
        })
    }

    fn usable(&self, min_words: usize) -> Result<(), Unusable> {
        let words: Vec<&str> = self
            .literals()
            .flat_map(|l| l.split(' '))
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .collect();
        if words.is_empty() {
            return Err(Unusable::Empty);
        }
        if words.len() < min_words {
            return Err(Unusable::TooShort(words.len()));
        }
        let bare = |w: &&str| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        };
        if words
            .iter()
            .all(|w| FUNCTION_WORDS.contains(&bare(w).as_str()))
        {
            return Err(Unusable::OnlyFunctionWords);
        }
        Ok(())
    }

    /// Whether the quotation is found in one of `passages`.
    pub fn found_in(&self, passages: &Passages) -> bool {
        passages.all().iter().any(|p| self.match_from(p, 0, 0))
    }

    /// Whether parts `i..` match `p` at or after byte `pos`.
    fn match_from(&self, p: &str, i: usize, pos: usize) -> bool {
        let Some(part) = self.parts.get(i) else {
            return true;
        };
        let Part::Literal(lit) = part else {
            return self.match_from(p, i + 1, pos);
        };
        let after_insertion = i > 0 && matches!(self.parts[i - 1], Part::Insertion(_));
        let cut_before = after_insertion && self.attached[i];
        let cut_after =
            matches!(self.parts.get(i + 1), Some(Part::Insertion(_))) && self.attached[i + 1];
        // An insertion between two pieces stands for a few words, no more.
        let bounded = after_insertion && i > 1 && matches!(self.parts[i - 2], Part::Literal(_));
        let mut from = pos;
        while let Some(off) = p[from..].find(lit.as_str()) {
            let start = from + off;
            let end = start + lit.len();
            if bounded && words_in(&p[pos..start]) > MAX_INSERTED_WORDS {
                return false;
            }
            if (cut_before || starts_word(p, start, lit))
                && (cut_after || ends_word(p, end, lit))
                && self.match_from(p, i + 1, end)
            {
                return true;
            }
            from = start + lit.chars().next().map_or(1, char::len_utf8);
        }
        false
    }

    /// The quotation's words as written, marks included.
    fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.extend(l.split(' ').map(str::to_string)),
                Part::Elision => out.push("…".to_string()),
                Part::Insertion(t) => out.push(format!("[{t}]")),
            }
        }
        out
    }
}

/// Whether a piece starting at `start` in `p` starts on a word boundary.
fn starts_word(p: &str, start: usize, piece: &str) -> bool {
    let before = p[..start].chars().next_back();
    let first = piece.chars().next();
    !(before.is_some_and(char::is_alphanumeric) && first.is_some_and(char::is_alphanumeric))
}

/// Whether a piece ending at `end` in `p` ends on a word boundary.
fn ends_word(p: &str, end: usize, piece: &str) -> bool {
    let after = p[end..].chars().next();
    let last = piece.chars().next_back();
    !(after.is_some_and(char::is_alphanumeric) && last.is_some_and(char::is_alphanumeric))
}

fn words_in(text: &str) -> usize {
    text.split(' ')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// How a quotation that was not found differs from the closest passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// The stretch of the source that matches the quotation best.
    pub passage: String,
    /// The quotation word by word against it: `[-source only-]`, `{+quotation only+}`.
    pub diff: String,
    /// Pieces found only inside longer words ("verified" in "Unverified").
    pub inside_words: Vec<String>,
}

/// Align a quotation that was not found against the closest stretch of `passages`.
pub fn align(quotation: &Quotation, passages: &Passages) -> Alignment {
    let want = quotation.words();
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    let key = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let want_keys: Vec<String> = want.iter().map(|w| key(w)).collect();
    let mut best: (usize, usize, usize, usize) = (0, 0, 0, 0); // score, passage, start, len
    for (pi, p) in passages.all().iter().enumerate() {
        let words: Vec<String> = p.split(' ').map(key).collect();
        for start in 0..words.len() {
            let len = want.len().min(words.len() - start);
            let window = &words[start..start + len];
            let score = window.iter().filter(|w| want_keys.contains(w)).count();
            if score > best.0 {
                best = (score, pi, start, len);
            }
        }
    }
    let (_, pi, start, len) = best;
    let source: Vec<&str> = passages
        .all()
        .get(pi)
        .map(|p| p.split(' ').collect())
        .unwrap_or_default();
    let end = (start + len + 2).min(source.len());
    let start = start.saturating_sub(2);
    let window = &source[start..end];
    let window_keys: Vec<String> = window.iter().map(|w| key(w)).collect();
    let mut ops = capture_diff_slices(Algorithm::Myers, &window_keys, &want_keys);
    // The padding around the window is shown only where it differs.
    while matches!(ops.last(), Some(DiffOp::Delete { .. })) {
        ops.pop();
    }
    let lead = ops
        .iter()
        .take_while(|op| matches!(op, DiffOp::Delete { .. }))
        .count();
    let ops = &ops[lead..];
    let shown = ops
        .iter()
        .map(DiffOp::old_range)
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
        .unwrap_or(0..window.len());
    let mut diff = Vec::new();
    for op in ops {
        for (tag, old, new) in op_ranges(op) {
            let (old, new): (Vec<&str>, Vec<&str>) = (
                old.map(|k| window[k]).collect(),
                new.map(|j| want[j]).collect(),
            );
            match tag {
                '=' => diff.extend(new.iter().map(|w| w.to_string())),
                '-' => diff.push(format!("[-{}-]", old.join(" "))),
                _ => diff.push(format!("{{+{}+}}", new.join(" "))),
            }
        }
    }
    let inside_words = quotation
        .literals()
        .filter(|l| {
            passages.all().iter().any(|p| p.contains(l))
                && !passages.all().iter().any(|p| {
                    p.match_indices(l)
                        .any(|(s, _)| starts_word(p, s, l) && ends_word(p, s + l.len(), l))
                })
        })
        .map(str::to_string)
        .collect();
    Alignment {
        passage: window[shown].join(" "),
        diff: diff.join(" "),
        inside_words,
    }
}

type Ranges = (char, std::ops::Range<usize>, std::ops::Range<usize>);

/// The parts of a diff operation: `=` equal, `-` source only, `+` quotation only.
fn op_ranges(op: &DiffOp) -> Vec<Ranges> {
    match *op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => {
            vec![('=', old_index..old_index + len, new_index..new_index + len)]
        }
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => {
            vec![('-', old_index..old_index + old_len, new_index..new_index)]
        }
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => {
            vec![('+', old_index..old_index, new_index..new_index + new_len)]
        }
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => vec![
            ('-', old_index..old_index + old_len, new_index..new_index),
            ('+', old_index..old_index, new_index..new_index + new_len),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "Unverified footage on social media appeared to show an object.\n\nUkraine said it had nothing to do with the alleged drone strike.\n\nIn a statement, the Russian presidency said: “Last night, the Kyiv regime attempted to carry out a strike on the Kremlin residence.”\n\nThe presidency said the incident was a “terrorist act”.";

    fn found(q: &str) -> bool {
        Quotation::parse(q, 1)
            .unwrap_or_else(|e| panic!("{q}: {e:?}"))
            .found_in(&Passages::of_text(SOURCE))
    }

    #[test]
    fn whole_words_match_and_cut_words_do_not() {
        assert!(found("footage on social media"));
        assert!(found("Unverified footage"));
        assert!(!found("verified footage on social media"));
        assert!(!found("d nothing to do with the alleged"));
        assert!(!found("nothing to do with the allege"));
        assert!(found("it had nothing to do with the alleged drone strike."));
    }

    #[test]
    fn typographic_quotes_and_whitespace_are_the_only_normalisation() {
        assert!(found("said: \"Last night, the Kyiv\nregime attempted"));
        assert!(found("“terrorist act”"));
        assert!(!found("last night, the Kyiv regime"));
        assert!(!found("Last night the Kyiv regime"));
    }

    #[test]
    fn elisions_match_pieces_in_order_within_one_passage() {
        assert!(found("Last night … attempted to carry out a strike"));
        assert!(found(
            "Last night, the Kyiv regime ... the Kremlin residence."
        ));
        assert!(found("… attempted to carry out a strike [...] residence"));
        assert!(!found("attempted to carry out … Last night"));
        assert!(!found("Ukraine said … Unverified footage"));
        assert!(!found("Last night … ttempted"));
    }

    #[test]
    fn insertions_stand_for_a_few_words_of_the_source() {
        assert!(found(
            "[Ukraine] had nothing to do with the alleged drone strike"
        ));
        assert!(found(
            "[The government in Kyiv] attempted to carry out a strike"
        ));
        assert!(found(
            "the Kyiv regime attempted to carry out a strike on the Kremlin [of the president]"
        ));
        assert!(found(
            "[x] presidency said: \"Last night, the Kyiv regime attempted"
        ));
        assert!(found("[T]he Kyiv regime attempted"));
        assert!(found("Last night, [it] attempted to carry out a strike"));
        assert!(!found(
            "In a statement, [they] attempted to carry out a strike"
        ));
        assert!(!found(
            "Ukraine [did not say it] had nothing to do with the drone strike"
        ));
    }

    #[test]
    fn short_and_empty_quotations_are_refused() {
        assert_eq!(
            Quotation::parse("a", 1).err(),
            Some(Unusable::OnlyFunctionWords)
        );
        assert_eq!(
            Quotation::parse("of the", 1).err(),
            Some(Unusable::OnlyFunctionWords)
        );
        assert_eq!(Quotation::parse(" … ", 1).err(), Some(Unusable::Empty));
        assert_eq!(
            Quotation::parse("terrorist act", MIN_STATEMENT_WORDS).err(),
            Some(Unusable::TooShort(2))
        );
        assert!(Quotation::parse("astonishing", 1).is_ok());
    }

    #[test]
    fn alignment_shows_missing_and_extra_words() {
        let q = Quotation::parse("verified footage on social media appeared to show", 1).unwrap();
        let a = align(&q, &Passages::of_text(SOURCE));
        assert_eq!(
            a.passage,
            "Unverified footage on social media appeared to show"
        );
        assert_eq!(
            a.diff,
            "[-Unverified-] {+verified+} footage on social media appeared to show"
        );
        assert_eq!(
            a.inside_words,
            ["verified footage on social media appeared to show"]
        );
        let q = Quotation::parse(
            "Ukraine said it had nothing at all to do with the drone strike",
            1,
        )
        .unwrap();
        let a = align(&q, &Passages::of_text(SOURCE));
        assert_eq!(
            a.diff,
            "Ukraine said it had nothing {+at all+} to do with the [-alleged-] drone strike"
        );
    }
}
