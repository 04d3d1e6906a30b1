//! Capture timestamps and their RFC 3339 rendering.

use std::fmt;

/// A point in time as recorded by the capture: seconds since the Unix epoch (UTC) and
/// nanoseconds within that second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// Builds a timestamp, normalising `nanos` that overflow one second (corrupt captures
    /// write such values).
    pub fn new(secs: i64, nanos: u64) -> Timestamp {
        let extra = (nanos / 1_000_000_000) as i64;
        Timestamp {
            secs: secs.saturating_add(extra),
            nanos: (nanos % 1_000_000_000) as u32,
        }
    }

    /// From a count of `units` per second since the epoch (pcapng `if_tsresol`).
    pub fn from_units(value: u64, units_per_sec: u64) -> Timestamp {
        let units_per_sec = units_per_sec.max(1);
        let secs = value / units_per_sec;
        let frac = value % units_per_sec;
        let nanos = match units_per_sec {
            // The usual resolutions, without a 128-bit division per packet.
            1_000_000 => frac * 1000,
            1_000_000_000 => frac,
            _ => (u128::from(frac) * 1_000_000_000 / u128::from(units_per_sec)) as u64,
        };
        Timestamp::new(secs as i64, nanos)
    }

    /// Whole seconds elapsed from `earlier` to `self` (0 when `earlier` is later).
    pub fn secs_since(&self, earlier: Timestamp) -> u64 {
        if self.secs > earlier.secs {
            (self.secs - earlier.secs) as u64
        } else {
            0
        }
    }
}

/// Converts days since 1970-01-01 into a (year, month, day) civil date (proleptic
/// Gregorian), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: microseconds, or nanoseconds when the capture recorded them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let sod = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            y,
            m,
            d,
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )?;
        if self.nanos.is_multiple_of(1000) {
            write!(f, ".{:06}Z", self.nanos / 1000)
        } else {
            write!(f, ".{:09}Z", self.nanos)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        let t = Timestamp::new(1_147_305_355, 883_271_000);
        assert_eq!(t.to_string(), "2006-05-10T23:55:55.883271Z");
        assert_eq!(Timestamp::ZERO.to_string(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            Timestamp::new(951_782_400, 1).to_string(),
            "2000-02-29T00:00:00.000000001Z"
        );
        assert_eq!(
            Timestamp::new(-1, 0).to_string(),
            "1969-12-31T23:59:59.000000Z"
        );
    }

    #[test]
    fn normalises_overflowing_fraction() {
        assert_eq!(
            Timestamp::new(10, 2_500_000_000),
            Timestamp {
                secs: 12,
                nanos: 500_000_000
            }
        );
    }

    #[test]
    fn converts_units() {
        assert_eq!(
            Timestamp::from_units(1_500_000, 1_000_000),
            Timestamp {
                secs: 1,
                nanos: 500_000_000
            }
        );
        assert_eq!(Timestamp::from_units(3, 0), Timestamp { secs: 3, nanos: 0 });
        // The usual resolutions take a shortcut: the same as the general division.
        for units in [1_000_000u64, 1_000_000_000] {
            for value in [
                0,
                1,
                units - 1,
                units,
                1_147_305_355 * units + 883_271,
                u64::MAX,
            ] {
                let frac = value % units;
                let general = (u128::from(frac) * 1_000_000_000 / u128::from(units)) as u64;
                assert_eq!(
                    Timestamp::from_units(value, units),
                    Timestamp::new((value / units) as i64, general),
                    "{value} per {units}"
                );
            }
        }
    }
}
