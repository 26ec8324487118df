//! The MCP protocol versions served through the `initialize` handshake, and which wire fields
//! each one defines (checked against `shared/reference/mcp-spec/schema-<version>.json`).

/// A protocol version; ordered oldest to newest so features compare with `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// The first public version.
    V2024_11_05,
    /// Adds tool annotations and JSON-RPC batches.
    V2025_03_26,
    /// Adds `title`, `outputSchema` and `structuredContent`.
    V2025_06_18,
    /// Adds `description` and `websiteUrl` to the server's `Implementation`.
    V2025_11_25,
}

impl ProtocolVersion {
    /// Answered when a client asks for a version we do not serve (a counter-offer, not an error).
    pub const LATEST: Self = Self::V2025_11_25;

    /// Every version served, newest first.
    pub const ALL: [Self; 4] = [
        Self::V2025_11_25,
        Self::V2025_06_18,
        Self::V2025_03_26,
        Self::V2024_11_05,
    ];

    /// The version named by `s`, if it is one we serve.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The version string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2024_11_05 => "2024-11-05",
            Self::V2025_03_26 => "2025-03-26",
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
        }
    }

    /// Tools carry `annotations`.
    pub fn has_annotations(self) -> bool {
        self >= Self::V2025_03_26
    }

    /// Tools carry `title` and `outputSchema`, results `structuredContent`, and `serverInfo` a
    /// `title`.
    pub fn has_structured_output(self) -> bool {
        self >= Self::V2025_06_18
    }

    /// `serverInfo` carries `description` and `websiteUrl`.
    pub fn has_server_description(self) -> bool {
        self >= Self::V2025_11_25
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_rejects_others() {
        for version in ProtocolVersion::ALL {
            assert_eq!(ProtocolVersion::parse(version.as_str()), Some(version));
        }
        for other in ["2024-10-07", "2026-07-28", "", "latest"] {
            assert_eq!(ProtocolVersion::parse(other), None);
        }
        assert_eq!(ProtocolVersion::ALL[0], ProtocolVersion::LATEST);
    }
}
