//! Bounding text that came from outside before it is echoed back.
//!
//! Python MCP hosts read lines with a 64 KiB default limit (`shared/reference/mcp.md` §3), so
//! nothing a client or a webhook sent may make an answer line grow without bound.

/// The most characters of an outside string (a method, tool or argument name) that are echoed.
pub const NAME_CHARS: usize = 100;
/// The most characters of an outside message (a webhook's reply or errmsg) that are echoed.
pub const MESSAGE_CHARS: usize = 500;

/// `text` cut to at most `max` characters, with `…` marking a cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_on_character_boundaries() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("exactly10!", 10), "exactly10!");
        assert_eq!(clip("钉钉机器人消息", 2), "钉钉…");
    }
}
