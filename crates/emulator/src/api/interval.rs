//! The ISO-8601 `start/end` intervals of analytics and audit queries.
//!
//! Only the `start/end` form with RFC 3339 instants is accepted (for example
//! `2026-11-26T00:00:00Z/2026-12-03T00:00:00.000Z`); the `start/duration` forms of
//! ISO-8601 are refused like any other malformed interval.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ApiError;

/// An interval from `start` to `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

impl Interval {
    /// Reads the required `interval` field of a query body: absent, not a string, not two
    /// instants, or an end not after the start is 400 `invalid.value`.
    pub fn required(body: &Map<String, Value>) -> Result<Self, ApiError> {
        match body.get("interval") {
            None | Some(Value::Null) => Err(ApiError::invalid_value(
                "interval",
                "The interval is required, as ISO-8601 start/end.",
            )),
            Some(Value::String(text)) => Interval::parse(text),
            Some(other) => Err(malformed(&other.to_string())),
        }
    }

    /// Parses `start/end`.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let (start, end) = text.split_once('/').ok_or_else(|| malformed(text))?;
        let instant =
            |part: &str| OffsetDateTime::parse(part.trim(), &Rfc3339).map_err(|_| malformed(text));
        let interval = Interval {
            start: instant(start)?,
            end: instant(end)?,
        };
        if interval.end <= interval.start {
            return Err(ApiError::invalid_value(
                "interval",
                format!("The interval {text} ends before it starts."),
            ));
        }
        Ok(interval)
    }

    /// The length of the interval in seconds.
    pub fn seconds(&self) -> f64 {
        (self.end - self.start).as_seconds_f64()
    }
}

fn malformed(text: &str) -> ApiError {
    ApiError::invalid_value(
        "interval",
        format!("The interval {text} is not an ISO-8601 start/end interval."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_end_intervals_parse_and_measure_their_length() {
        let interval = Interval::parse("2026-11-26T00:00:00Z/2026-12-03T00:00:00.000Z").unwrap();
        assert_eq!(interval.seconds(), 7.0 * 86_400.0);
    }

    #[test]
    fn malformed_or_backward_intervals_are_invalid_values() {
        for text in [
            "2026-11-26T00:00:00Z",
            "2026-11-26T00:00:00Z/P7D",
            "yesterday/today",
            "2026-12-03T00:00:00Z/2026-11-26T00:00:00Z",
        ] {
            let error = Interval::parse(text).unwrap_err();
            assert_eq!(error.code, "invalid.value", "for {text}");
        }
    }
}
