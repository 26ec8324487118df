//! Markdown DingTalk will not render: it shows tables and fenced code as raw text
//! (`shared/reference/dingtalk.md` §1.8). Such a message is still sent, with a warning the model
//! can act on next time.

/// Warnings about `markdown`, empty when DingTalk renders all of it.
pub fn warnings(markdown: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let lines: Vec<&str> = markdown.lines().map(str::trim).collect();
    if lines
        .iter()
        .any(|l| l.starts_with("```") || l.starts_with("~~~"))
    {
        warnings.push(
            "DingTalk does not render fenced code blocks; they appear as raw text. Use plain \
             lines, a quote (>) or a list instead."
                .to_owned(),
        );
    }
    let is_table_rule = |line: &str| {
        line.contains('|')
            && line.contains('-')
            && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
    };
    if lines
        .windows(2)
        .any(|pair| pair[0].contains('|') && is_table_rule(pair[1]))
    {
        warnings.push(
            "DingTalk does not render markdown tables; they appear as raw text. Use a list \
             (- item: value) instead."
                .to_owned(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_fences_are_flagged_and_plain_markdown_is_not() {
        assert!(warnings("# Title\n\n- **a** | b\n> quote\n[x](y)").is_empty());
        let found = warnings("```rust\nfn main() {}\n```");
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("code"));
        let found = warnings("| a | b |\n|---|:--:|\n| 1 | 2 |");
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("tables"));
        assert_eq!(warnings("~~~\nx\n~~~\na | b\n--- | ---").len(), 2);
    }
}
