//! A regex used only to say yes or no (`IsMatch`, `delete_matching_keys`,
//! `keep_matching_keys`). Templates mostly write `^literal` or `^a\.(b|c)\.`: those match
//! exactly when the text starts with one of a few literals, which is decided by
//! `starts_with` instead of running the regex engine per attribute key.

use regex::Regex;

use super::super::eval::has_prefix;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{HirKind, Look};

/// More alternatives than this and the regex engine is the better matcher.
const MAX_PREFIXES: usize = 16;

#[derive(Debug, Clone)]
pub enum MatchPattern {
    /// `^` followed by a finite set of literals: a match is a text starting with one.
    Prefixes(Prefixes),
    Regex(Regex),
}

impl MatchPattern {
    pub fn new(pattern: &str) -> Result<MatchPattern, regex::Error> {
        let regex = Regex::new(pattern)?;
        Ok(anchored_literals(pattern).map_or(MatchPattern::Regex(regex), |l| MatchPattern::Prefixes(Prefixes::new(l))))
    }

    #[inline(always)]
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            MatchPattern::Prefixes(prefixes) => prefixes.start(text.as_bytes()),
            MatchPattern::Regex(regex) => regex.is_match(text),
        }
    }
}

/// The literals of an anchored pattern, with what rejects most texts before any literal
/// is read: the shortest literal's length, and each literal's first eight bytes as a word
/// (masked to the literal's length when shorter). `delete_matching_keys` asks this of
/// every attribute key, and most keys differ from every literal in their first word.
#[derive(Debug, Clone)]
pub struct Prefixes {
    literals: Vec<Box<[u8]>>,
    /// Per literal, (first word, mask): a text of eight bytes or more whose first word,
    /// masked, equals none of these starts with no literal.
    heads: Vec<(u64, u64)>,
    shortest: usize,
}

impl Prefixes {
    fn new(literals: Vec<Box<[u8]>>) -> Prefixes {
        let heads = literals
            .iter()
            .map(|literal| {
                let n = literal.len().min(8);
                let (mut word, mut mask) = ([0u8; 8], [0u8; 8]);
                word[..n].copy_from_slice(&literal[..n]);
                mask[..n].fill(0xff);
                (u64::from_ne_bytes(word), u64::from_ne_bytes(mask))
            })
            .collect();
        let shortest = literals.iter().map(|l| l.len()).min().unwrap_or(0);
        Prefixes {
            literals,
            heads,
            shortest,
        }
    }

    /// Whether `text` starts with one of the literals. Inlined into the callers' loops
    /// over keys: a call's register saves would cost more than the usual rejection.
    #[inline(always)]
    pub fn start(&self, text: &[u8]) -> bool {
        if text.len() < self.shortest {
            return false;
        }
        if let Some(first) = text.first_chunk::<8>() {
            let head = u64::from_ne_bytes(*first);
            if !self.heads.iter().any(|&(word, mask)| head & mask == word) {
                return false;
            }
        }
        self.any_literal_starts(text)
    }

    /// The full test, for the few texts the first word does not rule out.
    #[inline(never)]
    fn any_literal_starts(&self, text: &[u8]) -> bool {
        self.literals.iter().any(|p| has_prefix(text, p))
    }
}

/// The literals `pattern` is `^(l1|l2|…)` of, when it is exactly that.
fn anchored_literals(pattern: &str) -> Option<Vec<Box<[u8]>>> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let HirKind::Concat(items) = hir.kind() else {
        return None;
    };
    let (first, rest) = items.split_first()?;
    if !matches!(first.kind(), HirKind::Look(Look::Start)) {
        return None;
    }
    // A look-around (`$`, `\b`) matches no text, so literal extraction ignores it; a
    // prefix test cannot.
    if rest.iter().any(has_look) {
        return None;
    }
    let rest = regex_syntax::hir::Hir::concat(rest.to_vec());
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let seq = extractor.extract(&rest);
    // Exact: the rest's language is these literals and nothing more.
    let literals = seq.literals()?;
    if !seq.is_exact() || literals.is_empty() || literals.len() > MAX_PREFIXES {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().into()).collect())
}

fn has_look(hir: &regex_syntax::hir::Hir) -> bool {
    match hir.kind() {
        HirKind::Look(_) => true,
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => false,
        HirKind::Repetition(r) => has_look(&r.sub),
        HirKind::Capture(c) => has_look(&c.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().any(has_look),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_literal_alternations_take_the_fast_path() {
        for pattern in [
            r"^llm\.token_count\.",
            r"^llm\.(input|output)_messages\.",
            "^abc",
            "^(a|b)c",
        ] {
            assert!(
                matches!(MatchPattern::new(pattern).unwrap(), MatchPattern::Prefixes(_)),
                "{pattern}"
            );
        }
        for pattern in [
            r"llm\.",
            r"^llm\.\d+",
            "^a.*b",
            "^abc$",
            r"(?m)^abc",
            "^a+",
            r"^\w",
            r"^a\b",
            "^(a|b$)",
        ] {
            assert!(
                matches!(MatchPattern::new(pattern).unwrap(), MatchPattern::Regex(_)),
                "{pattern}"
            );
        }
    }

    /// The fast path must say exactly what the regex says.
    #[test]
    fn the_fast_path_agrees_with_the_regex() {
        let texts = [
            "",
            "llm",
            "llm.",
            "llm.token_count.prompt",
            "llm.token_count",
            "xllm.token_count.prompt",
            "llm.input_messages.0.message.role",
            "llm.output_messages.",
            "llm.inputs_messages.0",
            "abc",
            "abcd",
            "ab",
            "bc",
            "ac",
            "ÀBC",
            "(?i)",
            "llm.inpu",
            "llm.input_messages.",
            "llm.outpuX_messages.0",
            "llm.token_count.",
            "llm.token_counX.prompt",
            "gen_ai.input.messages",
            "abcdefgh",
            "abcdefghij",
            "abcdefgX",
            // Eight bytes or more, deciding on the first word against short literals.
            "abcXXXXXXX",
            "bcXXXXXXXX",
            "acXXXXXXXXX",
            "xbcdefghij",
            "àbcXXXXXXX",
            "abXdefghij",
        ];
        for pattern in [
            r"^llm\.token_count\.",
            r"^llm\.(input|output)_messages\.",
            "^abc",
            "^(a|b)c",
            "^(?i)àbc",
            "^",
            "^(|x)",
            "^abc$",
            r"^ab\b",
            r"^llm\.token_(count|countX)\.",
            r"^(llm\.input_messages|llm\.output_messages)",
            r"^(abcdefghij|abcdefgh)",
        ] {
            let fast = MatchPattern::new(pattern).unwrap();
            let slow = Regex::new(pattern).unwrap();
            for text in texts {
                assert_eq!(fast.is_match(text), slow.is_match(text), "{pattern} on {text:?}");
            }
        }
    }
}
