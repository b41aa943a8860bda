//! Durations written the way people write them (`10m`, `500ms`, `1h 30m`).
//!
//! Scenario files and manifests store durations as humantime strings so they read back
//! exactly as the user typed them.

use std::time::Duration;

/// A duration that could not be read: what was given and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason} (write it with a unit, e.g. 500ms, 30s, 10m, 1h)")]
pub struct DurationError {
    /// The text as given.
    pub input: String,
    /// What humantime found wrong. Part of the message rather than its source: the
    /// message would otherwise print it twice in a chain.
    pub reason: humantime::DurationError,
}

/// Parses a humantime duration (`2m`, `500ms`, `1h30m`). A bare number is rejected: units
/// are required so that `10` is never silently read as seconds or milliseconds.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    humantime::parse_duration(text.trim()).map_err(|reason| DurationError {
        input: text.to_string(),
        reason,
    })
}

/// Formats a duration as humantime (`2m`, `1s 500ms`).
pub fn format(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// `#[serde(with = "headroom_core::duration::serde_str")]` for a `Duration`.
pub mod serde_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Serializes as a humantime string.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*d))
    }

    /// Deserializes from a humantime string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "headroom_core::duration::serde_opt_str")]` for an `Option<Duration>`.
pub mod serde_opt_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Serializes as a humantime string or null.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format(*d)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes from a humantime string or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| super::parse(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_required() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("2m").unwrap(), Duration::from_secs(120));
        let err = parse("10").unwrap_err().to_string();
        assert!(err.contains("with a unit"), "{err}");
    }

    #[test]
    fn the_error_names_the_input_and_the_cure() {
        assert_eq!(
            parse("10").unwrap_err().to_string(),
            "invalid duration \"10\": time unit needed, for example 10sec or 10ms \
             (write it with a unit, e.g. 500ms, 30s, 10m, 1h)"
        );
    }

    #[test]
    fn round_trips() {
        for d in [Duration::from_millis(1500), Duration::from_secs(600)] {
            assert_eq!(parse(&format(d)).unwrap(), d);
        }
    }
}
