//! Timeouts: the validated value ([`Timeout`]) and the validation of what a person types
//! ([`TimeoutInput`]), with messages a person can act on.
//!
//! Genesys accepts whole seconds from 1 to 60 in `config.timeoutSeconds`; without the field the
//! action uses the default of 60 seconds. "Default" and "60" behave the same today but are
//! different settings, so they are kept apart.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The smallest timeout Genesys accepts, in seconds.
pub const MIN_SECONDS: u8 = 1;
/// The largest timeout Genesys accepts, in seconds.
pub const MAX_SECONDS: u8 = 60;
/// What an action without a timeout uses, in seconds.
pub const DEFAULT_SECONDS: u8 = 60;

/// A valid timeout setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timeout {
    /// `timeoutSeconds` set to this many seconds (always 1 to 60).
    Explicit(u8),
    /// `timeoutSeconds` absent: Genesys uses 60 seconds.
    Default,
}

impl Timeout {
    /// An explicit timeout, if `seconds` is in range.
    pub fn explicit(seconds: u8) -> Option<Timeout> {
        (MIN_SECONDS..=MAX_SECONDS)
            .contains(&seconds)
            .then_some(Timeout::Explicit(seconds))
    }

    /// The seconds Genesys waits with this setting.
    pub fn effective_seconds(self) -> u8 {
        match self {
            Timeout::Explicit(seconds) => seconds,
            Timeout::Default => DEFAULT_SECONDS,
        }
    }

    /// The value to write in `timeoutSeconds`, or `None` to leave the field out.
    pub fn explicit_seconds(self) -> Option<u8> {
        match self {
            Timeout::Explicit(seconds) => Some(seconds),
            Timeout::Default => None,
        }
    }

    /// Reads `config.timeoutSeconds`: a whole number in range is explicit; absent, `null` or
    /// anything else is the default.
    pub fn from_wire(value: Option<&Value>) -> Timeout {
        value
            .and_then(Value::as_u64)
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Timeout::explicit)
            .unwrap_or(Timeout::Default)
    }

    /// Validates what a person typed. See [`TimeoutInput`].
    pub fn parse_input(raw: &str) -> Result<Timeout, TimeoutInputError> {
        TimeoutInput::new(raw).validate()
    }
}

/// "20 s" or "default (60 s)".
impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timeout::Explicit(seconds) => write!(f, "{seconds} s"),
            Timeout::Default => write!(f, "default ({DEFAULT_SECONDS} s)"),
        }
    }
}

/// Stored and exported as a number of seconds or the string `"default"`.
impl Serialize for Timeout {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Timeout::Explicit(seconds) => serializer.serialize_u8(*seconds),
            Timeout::Default => serializer.serialize_str("default"),
        }
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let raw = match &value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Null => "default".to_string(),
            other => other.to_string(),
        };
        Timeout::parse_input(&raw).map_err(serde::de::Error::custom)
    }
}

/// What a person typed for a timeout, not yet validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutInput(pub String);

/// Why typed text is not a timeout. The `Display` text is the message to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutInputError {
    #[error("Enter whole seconds from 1 to 60, or \"default\"")]
    Empty,
    #[error("Enter whole seconds from 1 to 60, or \"default\": {0} is not a number")]
    NotANumber(String),
    #[error("Enter the timeout in seconds: {0} is not in seconds")]
    NotSeconds(String),
    #[error("Use the digits 0 to 9: {0} has other digits")]
    OtherDigits(String),
    #[error("Enter whole seconds without a sign: {0} is not allowed")]
    Signed(String),
    #[error("{0} is negative: enter whole seconds from 1 to 60")]
    Negative(String),
    #[error("Use whole seconds: {0} is not allowed")]
    Fraction(String),
    #[error("{0} is below the 1-second minimum")]
    TooLow(String),
    #[error("{0} is above the 60-second maximum")]
    TooHigh(String),
}

/// Units that mean seconds, accepted after the number ("20s", "20 sec").
const SECOND_UNITS: [&str; 5] = ["s", "sec", "secs", "second", "seconds"];
/// Units that are clearly not seconds, refused with their own message.
const OTHER_UNITS: [&str; 11] = [
    "ms", "m", "min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours",
];

impl TimeoutInput {
    pub fn new(raw: &str) -> TimeoutInput {
        TimeoutInput(raw.to_string())
    }

    /// Accepts whole seconds from 1 to 60 (leading zeros and a seconds unit allowed) or
    /// "default" in any case; refuses everything else with a message naming the problem.
    pub fn validate(&self) -> Result<Timeout, TimeoutInputError> {
        let trimmed = self.0.trim();
        if trimmed.is_empty() {
            return Err(TimeoutInputError::Empty);
        }
        if trimmed.eq_ignore_ascii_case("default") {
            return Ok(Timeout::Default);
        }

        let shown = shorten(trimmed);
        let number_end = trimmed
            .find(|c: char| !(c.is_numeric() || matches!(c, '.' | ',' | '+' | '-')))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(number_end);
        let unit = unit.trim().to_lowercase();

        if number.is_empty() {
            return Err(TimeoutInputError::NotANumber(shown));
        }
        if OTHER_UNITS.contains(&unit.as_str()) {
            return Err(TimeoutInputError::NotSeconds(shown));
        }
        if !unit.is_empty() && !SECOND_UNITS.contains(&unit.as_str()) {
            return Err(TimeoutInputError::NotANumber(shown));
        }

        parse_number(number, shown)
    }
}

/// Validates the numeric part (digits, signs and separators only).
fn parse_number(number: &str, shown: String) -> Result<Timeout, TimeoutInputError> {
    if number
        .chars()
        .any(|c| c.is_numeric() && !c.is_ascii_digit())
    {
        return Err(TimeoutInputError::OtherDigits(shown));
    }

    let (sign, unsigned) = match number.chars().next() {
        Some(sign @ ('+' | '-')) => (Some(sign), &number[1..]),
        _ => (None, number),
    };
    if !looks_numeric(unsigned) {
        return Err(TimeoutInputError::NotANumber(shown));
    }
    match sign {
        Some('-') if unsigned.chars().any(|c| c != '0' && c.is_ascii_digit()) => {
            return Err(TimeoutInputError::Negative(shown));
        }
        Some(_) => return Err(TimeoutInputError::Signed(shown)),
        None => {}
    }
    if unsigned.contains(['.', ',']) {
        return Err(TimeoutInputError::Fraction(shown));
    }

    // Compare as text first so that a pasted 30-digit number cannot overflow.
    let significant = unsigned.trim_start_matches('0');
    if significant.is_empty() {
        return Err(TimeoutInputError::TooLow(shown));
    }
    match significant.parse::<u8>().ok().and_then(Timeout::explicit) {
        Some(timeout) => Ok(timeout),
        None => Err(TimeoutInputError::TooHigh(shown)),
    }
}

/// Digits with at most one decimal separator between digits.
fn looks_numeric(text: &str) -> bool {
    let mut parts = text.split(['.', ',']);
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let only_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    parts.next().is_none() && only_digits(whole) && fraction.is_none_or(only_digits)
}

/// Echoes at most 20 characters of the input in a message.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 20 {
        text.to_string()
    } else {
        let head: String = text.chars().take(20).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every accepted spelling and every kind of refusal, with the exact message shown.
    #[test]
    fn typed_timeouts_are_validated_with_actionable_messages() {
        use Timeout::{Default as D, Explicit as E};
        let accepted: [(&str, Timeout); 14] = [
            ("20", E(20)),
            ("1", E(1)),
            ("60", E(60)),
            ("  7  ", E(7)),
            ("\t45\n", E(45)),
            ("007", E(7)),
            ("20s", E(20)),
            ("20 s", E(20)),
            ("20 sec", E(20)),
            ("20 Seconds", E(20)),
            ("default", D),
            ("DEFAULT", D),
            (" Default ", D),
            ("\u{a0}30\u{a0}", E(30)),
        ];
        for (input, expected) in accepted {
            assert_eq!(Timeout::parse_input(input), Ok(expected), "input {input:?}");
        }

        let refused: [(&str, &str); 24] = [
            ("", "Enter whole seconds from 1 to 60, or \"default\""),
            ("   ", "Enter whole seconds from 1 to 60, or \"default\""),
            ("0", "0 is below the 1-second minimum"),
            ("000", "000 is below the 1-second minimum"),
            ("61", "61 is above the 60-second maximum"),
            ("120", "120 is above the 60-second maximum"),
            (
                "99999999999999999999999",
                "99999999999999999999… is above the 60-second maximum",
            ),
            ("2.5", "Use whole seconds: 2.5 is not allowed"),
            ("2,5", "Use whole seconds: 2,5 is not allowed"),
            ("20.0", "Use whole seconds: 20.0 is not allowed"),
            ("-5", "-5 is negative: enter whole seconds from 1 to 60"),
            (
                "-0",
                "Enter whole seconds without a sign: -0 is not allowed",
            ),
            (
                "+5",
                "Enter whole seconds without a sign: +5 is not allowed",
            ),
            (
                "20ms",
                "Enter the timeout in seconds: 20ms is not in seconds",
            ),
            (
                "1 min",
                "Enter the timeout in seconds: 1 min is not in seconds",
            ),
            ("2h", "Enter the timeout in seconds: 2h is not in seconds"),
            (
                "abc",
                "Enter whole seconds from 1 to 60, or \"default\": abc is not a number",
            ),
            (
                "2 0",
                "Enter whole seconds from 1 to 60, or \"default\": 2 0 is not a number",
            ),
            (
                "1e3",
                "Enter whole seconds from 1 to 60, or \"default\": 1e3 is not a number",
            ),
            (
                "timeout: 20",
                "Enter whole seconds from 1 to 60, or \"default\": timeout: 20 is not a number",
            ),
            (
                "20 seconds please",
                "Enter whole seconds from 1 to 60, or \"default\": 20 seconds please is not a number",
            ),
            ("٢٠", "Use the digits 0 to 9: ٢٠ has other digits"),
            ("２０", "Use the digits 0 to 9: ２０ has other digits"),
            (
                "1.2.3",
                "Enter whole seconds from 1 to 60, or \"default\": 1.2.3 is not a number",
            ),
        ];
        for (input, message) in refused {
            let error = Timeout::parse_input(input).expect_err(input);
            assert_eq!(error.to_string(), message, "input {input:?}");
        }
    }

    #[test]
    fn default_and_sixty_are_different_settings_with_the_same_effect() {
        assert_ne!(Timeout::Default, Timeout::Explicit(60));
        assert_eq!(Timeout::Default.effective_seconds(), 60);
        assert_eq!(Timeout::Explicit(60).effective_seconds(), 60);
        assert_eq!(Timeout::Default.explicit_seconds(), None);
    }

    #[test]
    fn the_wire_value_reads_as_explicit_only_in_range() {
        use serde_json::json;
        assert_eq!(Timeout::from_wire(Some(&json!(20))), Timeout::Explicit(20));
        assert_eq!(Timeout::from_wire(None), Timeout::Default);
        assert_eq!(Timeout::from_wire(Some(&json!(null))), Timeout::Default);
        assert_eq!(Timeout::from_wire(Some(&json!(0))), Timeout::Default);
        assert_eq!(Timeout::from_wire(Some(&json!(600))), Timeout::Default);
        assert_eq!(Timeout::from_wire(Some(&json!("20"))), Timeout::Default);
    }

    #[test]
    fn timeouts_display_and_serialise_for_people_and_files() {
        assert_eq!(Timeout::Explicit(20).to_string(), "20 s");
        assert_eq!(Timeout::Default.to_string(), "default (60 s)");
        assert_eq!(serde_json::to_string(&Timeout::Explicit(20)).unwrap(), "20");
        assert_eq!(
            serde_json::to_string(&Timeout::Default).unwrap(),
            "\"default\""
        );
        assert_eq!(
            serde_json::from_str::<Timeout>("\"default\"").unwrap(),
            Timeout::Default
        );
        assert_eq!(
            serde_json::from_str::<Timeout>("15").unwrap(),
            Timeout::Explicit(15)
        );
        assert!(serde_json::from_str::<Timeout>("61").is_err());
        assert!(serde_json::from_str::<Timeout>("2.5").is_err());
    }

    #[test]
    fn explicit_refuses_out_of_range_values() {
        assert_eq!(Timeout::explicit(0), None);
        assert_eq!(Timeout::explicit(61), None);
        assert_eq!(Timeout::explicit(1), Some(Timeout::Explicit(1)));
    }
}
