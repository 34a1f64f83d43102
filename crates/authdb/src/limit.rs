//! How long something may wait, as people type it: `5` (seconds), `5s`, `500ms`, `2m`, `1h`, or
//! `0` / `off` for no limit. Typed input is checked here, once, so that no value the command line
//! or the environment can hold turns into something else on the way to the server: `inf`, `nan`
//! and `1e300` are not durations, a negative one is refused rather than read as "none", and
//! `0.0004` (which PostgreSQL would round to 0, "wait forever") is below the smallest limit.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A limit on a wait: a duration from [`Limit::MIN`] to [`Limit::MAX`], or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(Option<Duration>);

/// Why a typed duration was refused. The messages say what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("empty: {ACCEPTED}")]
    Empty,
    #[error("`{0}` is not a duration: {ACCEPTED}")]
    NotADuration(String),
    #[error("`{0}` is negative: {ACCEPTED}")]
    Negative(String),
    #[error(
        "`{0}` is below 1 ms, the smallest limit PostgreSQL can keep (0 or off means no limit)"
    )]
    BelowMinimum(String),
    #[error(
        "`{0}` is above 1 day (24h), the largest limit authdb accepts (0 or off means no limit)"
    )]
    AboveMaximum(String),
}

const ACCEPTED: &str = "give a number of seconds or a number with a unit (5, 5s, 500ms, 2m, 1h), \
                        or 0 (or off) for no limit";

impl Limit {
    /// No limit: chosen explicitly with `0` or `off`.
    pub const NONE: Limit = Limit(None);
    /// PostgreSQL keeps timeouts in whole milliseconds; below one it would store 0, "no limit".
    pub const MIN: Duration = Duration::from_millis(1);
    /// A day: more is a typing mistake, not a plan.
    pub const MAX: Duration = Duration::from_secs(24 * 60 * 60);

    /// `None` when there is no limit.
    pub fn duration(self) -> Option<Duration> {
        self.0
    }
}

impl From<Duration> for Limit {
    /// A limit chosen in code, such as a documented default. Typed input goes through
    /// [`FromStr`], which refuses what is out of range; here it is clamped into range.
    fn from(duration: Duration) -> Limit {
        Limit(Some(duration.clamp(Limit::MIN, Limit::MAX)))
    }
}

impl FromStr for Limit {
    type Err = LimitError;

    fn from_str(input: &str) -> Result<Limit, LimitError> {
        let text = input.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Err(LimitError::Empty);
        }
        if text == "off" {
            return Ok(Limit::NONE);
        }
        let not_a_duration = || LimitError::NotADuration(input.to_string());
        if let Some(rest) = text.strip_prefix('-') {
            // Only a well-formed negative duration is called negative; `-inf` is just not one.
            return Err(match nanoseconds(rest) {
                Some(_) => LimitError::Negative(input.to_string()),
                None => not_a_duration(),
            });
        }
        let nanos = nanoseconds(&text).ok_or_else(not_a_duration)?;
        if nanos == 0 {
            return Ok(Limit::NONE);
        }
        if nanos < Limit::MIN.as_nanos() {
            return Err(LimitError::BelowMinimum(input.to_string()));
        }
        if nanos > Limit::MAX.as_nanos() {
            return Err(LimitError::AboveMaximum(input.to_string()));
        }
        // In range, so it fits in a u64 of nanoseconds.
        Ok(Limit(Some(Duration::from_nanos(nanos as u64))))
    }
}

/// `digits[.digits][unit]` in nanoseconds, exactly (no floating point); `None` when the text is
/// not of that form. A value too large to count is `u128::MAX`, which is above any limit.
fn nanoseconds(text: &str) -> Option<u128> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let per_unit: u128 = match unit.trim_start() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "ms" => 1_000_000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60 * 1_000_000_000,
        "h" | "hour" | "hours" => 60 * 60 * 1_000_000_000,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u128 = match whole {
        "" => 0,
        digits => match digits.parse::<u128>() {
            Ok(value) => value,
            Err(_) => return Some(u128::MAX),
        },
    };
    // Nine fractional digits of a second are nanoseconds; further ones cannot reach 1 ms.
    let mut scale = per_unit;
    let mut part = 0u128;
    for digit in fraction.bytes().take(12) {
        scale /= 10;
        part += u128::from(digit - b'0') * scale;
    }
    Some(whole.saturating_mul(per_unit).saturating_add(part))
}

impl fmt::Display for Limit {
    /// The shortest form that reads back to the same limit: `5s`, `500ms`, `2m`, `1h`, `off`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(duration) = self.0 else {
            return f.write_str("off");
        };
        let nanos = duration.as_nanos();
        let (per_unit, unit) = [
            (3_600_000_000_000, "h"),
            (60_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
        ]
        .into_iter()
        .find(|(per_unit, _)| nanos % per_unit == 0)
        .unwrap_or((1_000_000, "ms"));
        if nanos % per_unit == 0 {
            write!(f, "{}{unit}", nanos / per_unit)
        } else {
            write!(f, "{}ms", nanos as f64 / 1_000_000.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<Duration>, LimitError> {
        text.parse::<Limit>().map(Limit::duration)
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let ms = Duration::from_millis;
        assert_eq!(parse("5"), Ok(Some(ms(5000))));
        assert_eq!(parse("5s"), Ok(Some(ms(5000))));
        assert_eq!(parse(" 5 s "), Ok(Some(ms(5000))));
        assert_eq!(parse("500ms"), Ok(Some(ms(500))));
        assert_eq!(parse("0.5"), Ok(Some(ms(500))));
        assert_eq!(parse(".25s"), Ok(Some(ms(250))));
        assert_eq!(parse("2m"), Ok(Some(ms(120_000))));
        assert_eq!(parse("1h"), Ok(Some(ms(3_600_000))));
        assert_eq!(parse("1.5ms"), Ok(Some(Duration::from_micros(1500))));
        assert_eq!(parse("24h"), Ok(Some(Limit::MAX)));
        assert_eq!(parse("1ms"), Ok(Some(Limit::MIN)));
        assert_eq!(parse("0.001"), Ok(Some(Limit::MIN)));
    }

    #[test]
    fn zero_and_off_mean_no_limit_and_nothing_else_does() {
        for none in ["0", "0s", "0.0", "0ms", "off", "OFF"] {
            assert_eq!(parse(none), Ok(None), "{none}");
        }
    }

    #[test]
    fn what_is_not_a_bounded_duration_is_refused_by_name() {
        type Refusal = fn(String) -> LimitError;
        let cases: &[(&str, Refusal)] = &[
            ("inf", LimitError::NotADuration),
            ("-inf", LimitError::NotADuration),
            ("nan", LimitError::NotADuration),
            ("NaN", LimitError::NotADuration),
            ("1e300", LimitError::NotADuration),
            ("1e3", LimitError::NotADuration),
            ("5 seconds please", LimitError::NotADuration),
            ("5d", LimitError::NotADuration),
            (".", LimitError::NotADuration),
            ("1.2.3", LimitError::NotADuration),
            ("0x10", LimitError::NotADuration),
            ("-1", LimitError::Negative),
            ("-0.5s", LimitError::Negative),
            ("0.0004", LimitError::BelowMinimum),
            ("999us", LimitError::NotADuration),
            ("0.9ms", LimitError::BelowMinimum),
            ("86401", LimitError::AboveMaximum),
            ("25h", LimitError::AboveMaximum),
            (
                "1000000000000000000000000000000000000000000",
                LimitError::AboveMaximum,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Err(expected(input.to_string())), "{input}");
        }
        assert_eq!(parse(""), Err(LimitError::Empty));
        assert_eq!(parse("  "), Err(LimitError::Empty));
    }

    #[test]
    fn display_reads_back_to_the_same_limit() {
        for text in ["5s", "500ms", "2m", "1h", "off", "1.5ms", "90s", "24h"] {
            let limit: Limit = text.parse().unwrap();
            assert_eq!(limit.to_string(), text);
            assert_eq!(limit.to_string().parse::<Limit>(), Ok(limit));
        }
        assert_eq!(Limit::from(Duration::from_secs(3600)).to_string(), "1h");
        assert_eq!(Limit::from(Duration::ZERO), Limit(Some(Limit::MIN)));
    }
}
