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
    Prefixes(Vec<Box<[u8]>>),
    Regex(Regex),
}

impl MatchPattern {
    pub fn new(pattern: &str) -> Result<MatchPattern, regex::Error> {
        let regex = Regex::new(pattern)?;
        Ok(anchored_literals(pattern).map_or(MatchPattern::Regex(regex), MatchPattern::Prefixes))
    }

    #[inline]
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            MatchPattern::Prefixes(prefixes) => prefixes.iter().any(|p| has_prefix(text.as_bytes(), p)),
            MatchPattern::Regex(regex) => regex.is_match(text),
        }
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
