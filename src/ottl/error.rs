use thiserror::Error;

/// A statement that does not parse, or does not compile, at a byte offset of its text.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{message}")]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(offset: usize, message: String) -> Self {
        Self { offset, message }
    }

    /// `origin:line:col: message`, the statement line, and a caret under the offset.
    /// `line` and `col` are where the statement text starts in its file (1-based).
    pub fn render(&self, origin: &str, line: usize, col: usize, text: &str) -> String {
        let offset = self.offset.min(text.len());
        let before = &text[..text.floor_char_boundary_compat(offset)];
        let extra_lines = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let caret_col = before[line_start..].chars().count();
        let line_text = text[line_start..].lines().next().unwrap_or("");
        let (at_line, at_col) = if extra_lines == 0 {
            (line, col + caret_col)
        } else {
            (line + extra_lines, caret_col + 1)
        };
        format!(
            "{origin}:{at_line}:{at_col}: {}\n  {line_text}\n  {}^",
            self.message,
            " ".repeat(caret_col)
        )
    }
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut index: usize) -> usize {
        while index > 0 && !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}
