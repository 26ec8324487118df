//! The MCP protocol versions served, and which wire fields each one defines (checked against
//! `shared/reference/mcp-spec/schema-<version>.json`).
//!
//! Versions up to 2025-11-25 are "legacy": a session picks one with `initialize`. 2026-07-28 is
//! "modern": stateless, named on every request in `params._meta`.

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
    /// Stateless: no handshake, the version in every request's `_meta`, `resultType` on every
    /// result, `server/discover`; `ping` removed.
    V2026_07_28,
}

impl ProtocolVersion {
    /// The newest version a handshake can pick; also the counter-offer to an `initialize` asking
    /// for a version we do not serve (the spec's rule: a counter-offer, not an error).
    pub const LATEST_HANDSHAKE: Self = Self::V2025_11_25;

    /// Every version served, newest first (`supportedVersions` and -32022's `data.supported`).
    pub const ALL: [Self; 5] = [
        Self::V2026_07_28,
        Self::V2025_11_25,
        Self::V2025_06_18,
        Self::V2025_03_26,
        Self::V2024_11_05,
    ];

    /// The version named by `s`, if it is one we serve.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The version an `initialize` asking for `requested` gets: it if a handshake can pick it,
    /// else the latest such version.
    pub fn negotiate(requested: Option<&str>) -> Self {
        requested
            .and_then(Self::parse)
            .filter(|v| !v.is_modern())
            .unwrap_or(Self::LATEST_HANDSHAKE)
    }

    /// The version string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2024_11_05 => "2024-11-05",
            Self::V2025_03_26 => "2025-03-26",
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
            Self::V2026_07_28 => "2026-07-28",
        }
    }

    /// Stateless: results carry `resultType` and serverInfo in `_meta`, lists carry caching
    /// hints, and there is no `ping`.
    pub fn is_modern(self) -> bool {
        self >= Self::V2026_07_28
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
        for other in ["2024-10-07", "2026-07-29", "", "latest"] {
            assert_eq!(ProtocolVersion::parse(other), None);
        }
    }

    #[test]
    fn a_handshake_never_picks_the_stateless_version() {
        use ProtocolVersion::*;
        assert_eq!(ProtocolVersion::negotiate(Some("2025-03-26")), V2025_03_26);
        assert_eq!(ProtocolVersion::negotiate(Some("2026-07-28")), V2025_11_25);
        assert_eq!(ProtocolVersion::negotiate(Some("1900-01-01")), V2025_11_25);
        assert_eq!(ProtocolVersion::negotiate(None), V2025_11_25);
    }
}
