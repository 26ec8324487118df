//! Cutting a long text into pieces whose JSON-escaped size fits a byte budget.
//!
//! Cuts prefer paragraph boundaries, then line boundaries, then any character boundary (so
//! never inside a UTF-8 sequence), and never fall inside a protected span: a markdown link or
//! image, or a `<font …>…</font>` element. The pieces concatenate back to the input exactly.

use std::ops::Range;

/// The bytes `c` takes inside a JSON string as serde_json writes it: `"`, `\` and the control
/// characters are escaped, everything else is written as UTF-8.
pub fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// The JSON-escaped size of `text`.
pub fn escaped_size(text: &str) -> usize {
    text.chars().map(escaped_len).sum()
}

/// Why a text cannot be cut to the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// More than `max_pieces` pieces would be needed.
    TooManyPieces,
    /// A protected span alone is larger than the budget.
    SpanTooLarge,
}

/// Cuts `text` into at most `max_pieces` pieces of at most `budget` escaped bytes each.
/// `protected` lists byte ranges that must not be cut.
pub fn split<'a>(
    text: &'a str,
    budget: usize,
    max_pieces: usize,
    protected: &[Range<usize>],
) -> Result<Vec<&'a str>, SplitError> {
    if escaped_size(text) > budget.saturating_mul(max_pieces) {
        return Err(SplitError::TooManyPieces);
    }
    let inside = |cut: usize| {
        protected
            .iter()
            .any(|span| span.start < cut && cut < span.end)
    };
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while escaped_size(rest) > budget {
        if pieces.len() + 1 >= max_pieces {
            return Err(SplitError::TooManyPieces);
        }
        // The longest prefix that fits, and every cut point within it.
        let mut used = 0;
        let mut fits = 0;
        for (i, c) in rest.char_indices() {
            used += escaped_len(c);
            if used > budget {
                break;
            }
            fits = i + c.len_utf8();
        }
        let window = &rest[..fits];
        let allowed = |cut: &usize| *cut > 0 && !inside(offset + cut);
        let after = |pattern: &str| {
            window
                .match_indices(pattern)
                .map(|(i, _)| i + pattern.len())
                .filter(allowed)
                .last()
        };
        let cut = after("\n\n")
            .or_else(|| after("\n"))
            .or_else(|| {
                (1..=fits)
                    .rev()
                    .filter(|&i| window.is_char_boundary(i))
                    .find(allowed)
            })
            .ok_or(SplitError::SpanTooLarge)?;
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
        offset += cut;
    }
    pieces.push(rest);
    Ok(pieces)
}

/// The spans of `markdown` that must stay whole: links and images (`[t](u)`, `![a](u)`, on one
/// line) and `<font …>…</font>` elements.
pub fn protected_spans(markdown: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let bytes = markdown.as_bytes();
    let line_end = |from: usize| {
        markdown[from..]
            .find('\n')
            .map_or(markdown.len(), |i| from + i)
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => {
                let end = line_end(i);
                let link_end = markdown[i..end].find("](").and_then(|close| {
                    let target = i + close + 2;
                    markdown[target..end]
                        .find(')')
                        .map(|paren| target + paren + 1)
                });
                if let Some(link_end) = link_end {
                    let start = if i > 0 && bytes[i - 1] == b'!' {
                        i - 1
                    } else {
                        i
                    };
                    spans.push(start..link_end);
                    i = link_end;
                    continue;
                }
            }
            b'<' if markdown[i..].to_ascii_lowercase().starts_with("<font") => {
                let lower = markdown[i..].to_ascii_lowercase();
                let element_end = lower
                    .find("</font>")
                    .map(|close| i + close + "</font>".len())
                    .or_else(|| lower.find('>').map(|gt| i + gt + 1))
                    .unwrap_or(markdown.len());
                spans.push(i..element_end);
                i = element_end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_sizes_match_serde_json() {
        let sample = "a\"b\\c\nd\te\u{1}f/界😀\u{7f}";
        let json = serde_json::to_string(sample).unwrap();
        assert_eq!(escaped_size(sample), json.len() - 2);
    }

    #[test]
    fn prefers_paragraphs_then_lines_then_characters() {
        let text = "aaaa\n\nbbbb\ncccc";
        assert_eq!(
            split(text, 8, 10, &[]).unwrap(),
            ["aaaa\n\n", "bbbb\n", "cccc"]
        );
        assert_eq!(
            split("abcdefghij", 4, 10, &[]).unwrap(),
            ["abcd", "efgh", "ij"]
        );
        // Escaping counts: each newline takes 2 bytes.
        assert_eq!(split("ab\n\ncd", 5, 10, &[]).unwrap(), ["ab\n", "\ncd"]);
    }

    #[test]
    fn never_cuts_a_utf8_sequence_or_a_protected_span() {
        let text = "钉钉钉钉钉";
        let pieces = split(text, 7, 10, &[]).unwrap();
        assert_eq!(pieces, ["钉钉", "钉钉", "钉"]);
        let markdown = "see [the link](https://x.example/abc) now";
        let spans = protected_spans(markdown);
        assert_eq!(spans, vec![4..37]);
        let pieces = split(markdown, 36, 10, &spans).unwrap();
        assert_eq!(pieces.concat(), markdown);
        for piece in &pieces {
            assert!(!piece.contains('[') || piece.contains(')'), "{pieces:?}");
        }
        assert_eq!(
            split(markdown, 20, 10, &spans),
            Err(SplitError::SpanTooLarge)
        );
    }

    #[test]
    fn finds_images_and_font_elements() {
        let markdown = "x ![img](u) <font color=#f00>red text</font> [not a link] (u)";
        assert_eq!(protected_spans(markdown), vec![2..11, 12..44]);
        assert_eq!(&markdown[12..44], "<font color=#f00>red text</font>");
    }

    #[test]
    fn refuses_more_than_the_maximum_number_of_pieces() {
        assert_eq!(
            split(&"x".repeat(100), 10, 9, &[]),
            Err(SplitError::TooManyPieces)
        );
        assert_eq!(split(&"x".repeat(100), 10, 10, &[]).unwrap().len(), 10);
    }
}
