//! The protocol versions Canopy speaks.

use std::fmt;
use std::str::FromStr;

/// An MQTT protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ProtocolVersion {
    /// MQTT 3.1.1 (protocol level 4).
    V311,
    /// MQTT 5.0 (protocol level 5).
    #[default]
    V5,
}

impl ProtocolVersion {
    /// Both versions, newest first (menu order).
    pub const ALL: [ProtocolVersion; 2] = [ProtocolVersion::V5, ProtocolVersion::V311];

    /// The protocol level byte of CONNECT.
    pub fn level(self) -> u8 {
        match self {
            ProtocolVersion::V311 => 4,
            ProtocolVersion::V5 => 5,
        }
    }

    /// The version for a CONNECT's protocol level; `None` for levels Canopy does not speak.
    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            4 => Some(ProtocolVersion::V311),
            5 => Some(ProtocolVersion::V5),
            _ => None,
        }
    }

    /// The version number as people write it: "3.1.1" or "5.0".
    pub fn number(self) -> &'static str {
        match self {
            ProtocolVersion::V311 => "3.1.1",
            ProtocolVersion::V5 => "5.0",
        }
    }

    /// True for MQTT 5.0, which has properties and reason codes.
    pub fn is_v5(self) -> bool {
        self == ProtocolVersion::V5
    }
}

/// "MQTT 5.0" or "MQTT 3.1.1"; the bare number is [`ProtocolVersion::number`].
impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MQTT {}", self.number())
    }
}

/// A version string that names no version Canopy speaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown MQTT version '{0}' (use 5 or 3.1.1)")]
pub struct ParseVersionError(pub String);

impl FromStr for ProtocolVersion {
    type Err = ParseVersionError;

    /// Accepts "5", "5.0", "3.1.1", "311" and "4" (the protocol level), with or without
    /// an "MQTT" prefix, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        let bare = lower
            .strip_prefix("mqtt")
            .unwrap_or(&lower)
            .trim_start_matches([' ', 'v']);
        match bare {
            "5" | "5.0" => Ok(ProtocolVersion::V5),
            "3.1.1" | "311" | "4" => Ok(ProtocolVersion::V311),
            _ => Err(ParseVersionError(trimmed.to_owned())),
        }
    }
}

impl serde::Serialize for ProtocolVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.number())
    }
}

impl<'de> serde::Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_write() {
        let cases: &[(&str, Option<ProtocolVersion>)] = &[
            ("5", Some(ProtocolVersion::V5)),
            ("5.0", Some(ProtocolVersion::V5)),
            ("MQTT 5.0", Some(ProtocolVersion::V5)),
            ("mqttv5", Some(ProtocolVersion::V5)),
            ("3.1.1", Some(ProtocolVersion::V311)),
            ("311", Some(ProtocolVersion::V311)),
            (" MQTT 3.1.1 ", Some(ProtocolVersion::V311)),
            ("4", Some(ProtocolVersion::V311)),
            ("3.1", None),
            ("", None),
            ("6", None),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse().ok(), *expected, "{text:?}");
        }
    }

    #[test]
    fn display_levels_and_round_trip() {
        for version in ProtocolVersion::ALL {
            assert_eq!(version.number().parse(), Ok(version));
            assert_eq!(version.to_string().parse(), Ok(version));
            assert_eq!(ProtocolVersion::from_level(version.level()), Some(version));
        }
        assert_eq!(ProtocolVersion::V311.to_string(), "MQTT 3.1.1");
        assert_eq!(ProtocolVersion::from_level(3), None);
        assert_eq!(ProtocolVersion::default(), ProtocolVersion::V5);
    }
}
