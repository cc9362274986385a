//! FILETIME (MS-DTYP 2.3.3; MS-FSCC 2.1.1): a signed 64-bit count of 100-nanosecond
//! intervals since 1601-01-01 UTC, and the special values of a set-basic-information
//! request (MS-FSCC 2.4.7; MS-FSA 2.1.5.14.2).
//!
//! Conversions saturate: a time before 1601 becomes 0 and one past the FILETIME range
//! becomes `i64::MAX`; a negative FILETIME converts to the epoch of 1601.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const UNIX_EPOCH_AS_FILETIME: i64 = 116_444_736_000_000_000;
const TICKS_PER_SEC: i64 = 10_000_000;

/// A FILETIME value as it travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileTime(pub i64);

impl FileTime {
    /// In a set-basic-information request: leave this time as it is (MS-FSCC 2.4.7).
    pub const DONT_CHANGE: FileTime = FileTime(0);
    /// In a set-basic-information request: leave this time alone and stop the file system
    /// from updating it for the rest of this handle's operations (MS-FSA 2.1.5.14.2).
    pub const STOP_AUTO_UPDATE: FileTime = FileTime(-1);
    /// In a set-basic-information request: resume automatic updates of this time on this
    /// handle after an earlier [`FileTime::STOP_AUTO_UPDATE`] (MS-FSA 2.1.5.14.2).
    pub const RESUME_AUTO_UPDATE: FileTime = FileTime(-2);
    /// 1970-01-01 00:00:00 UTC.
    pub const UNIX_EPOCH: FileTime = FileTime(UNIX_EPOCH_AS_FILETIME);

    /// True for the three values with a special meaning in set-basic-information (0, -1, -2).
    pub const fn is_special(self) -> bool {
        matches!(self.0, -2..=0)
    }

    /// From a `SystemTime`, saturating at both ends of the FILETIME range.
    pub fn from_system_time(t: SystemTime) -> FileTime {
        match t.duration_since(UNIX_EPOCH) {
            Ok(after) => Self::from_unix_duration(after, false),
            Err(e) => Self::from_unix_duration(e.duration(), true),
        }
    }

    fn from_unix_duration(d: Duration, before: bool) -> FileTime {
        let ticks = i64::try_from(d.as_nanos() / 100).unwrap_or(i64::MAX);
        if before {
            FileTime(UNIX_EPOCH_AS_FILETIME.saturating_sub(ticks).max(0))
        } else {
            FileTime(UNIX_EPOCH_AS_FILETIME.saturating_add(ticks))
        }
    }

    /// To a `SystemTime`; negative values map to 1601-01-01.
    pub fn to_system_time(self) -> SystemTime {
        let ticks = self.0.max(0);
        let delta = ticks - UNIX_EPOCH_AS_FILETIME;
        let abs = delta.unsigned_abs();
        let d = Duration::new(
            abs / TICKS_PER_SEC as u64,
            ((abs % TICKS_PER_SEC as u64) * 100) as u32,
        );
        if delta >= 0 {
            UNIX_EPOCH.checked_add(d).unwrap_or(UNIX_EPOCH)
        } else {
            UNIX_EPOCH.checked_sub(d).unwrap_or(UNIX_EPOCH)
        }
    }

    /// From Unix seconds and nanoseconds (`nanos` is clamped to below one second),
    /// saturating.
    pub fn from_unix(secs: i64, nanos: u32) -> FileTime {
        let nanos = i64::from(nanos.min(999_999_999));
        let ticks = secs
            .saturating_mul(TICKS_PER_SEC)
            .saturating_add(nanos / 100)
            .saturating_add(UNIX_EPOCH_AS_FILETIME);
        FileTime(ticks.max(0))
    }

    /// To Unix seconds and nanoseconds (nanoseconds always in `0..1e9`); negative values
    /// are treated as 0 (1601-01-01).
    pub fn to_unix(self) -> (i64, u32) {
        let delta = self.0.max(0) - UNIX_EPOCH_AS_FILETIME;
        let secs = delta.div_euclid(TICKS_PER_SEC);
        let nanos = (delta.rem_euclid(TICKS_PER_SEC) * 100) as u32;
        (secs, nanos)
    }
}

impl From<SystemTime> for FileTime {
    fn from(t: SystemTime) -> FileTime {
        FileTime::from_system_time(t)
    }
}

impl From<FileTime> for SystemTime {
    fn from(t: FileTime) -> SystemTime {
        t.to_system_time()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_round_trips() {
        assert_eq!(FileTime::from_system_time(UNIX_EPOCH), FileTime::UNIX_EPOCH);
        assert_eq!(FileTime::UNIX_EPOCH.to_system_time(), UNIX_EPOCH);
        assert_eq!(FileTime::UNIX_EPOCH.to_unix(), (0, 0));
        assert_eq!(FileTime::from_unix(0, 0), FileTime::UNIX_EPOCH);
    }

    #[test]
    fn known_date() {
        // 2000-01-01T00:00:00Z = 946684800 Unix seconds.
        let ft = FileTime::from_unix(946_684_800, 0);
        assert_eq!(ft.0, 125_911_584_000_000_000);
        assert_eq!(ft.to_unix(), (946_684_800, 0));
    }

    #[test]
    fn before_unix_epoch_and_saturation() {
        let ft = FileTime::from_unix(-1, 500_000_000);
        assert_eq!(ft.to_unix(), (-1, 500_000_000));
        assert_eq!(FileTime::from_unix(i64::MIN, 0), FileTime(0));
        assert_eq!(FileTime::from_unix(i64::MAX, 0), FileTime(i64::MAX));
        assert_eq!(FileTime(-5).to_unix(), FileTime(0).to_unix());
        let t = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(FileTime::from(t).to_unix(), (-10, 0));
        assert_eq!(SystemTime::from(FileTime::from(t)), t);
    }

    #[test]
    fn system_time_keeps_100ns_precision() {
        let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_700);
        assert_eq!(FileTime::from(t).to_system_time(), t);
    }

    #[test]
    fn specials() {
        assert!(FileTime::DONT_CHANGE.is_special());
        assert!(FileTime::STOP_AUTO_UPDATE.is_special());
        assert!(FileTime::RESUME_AUTO_UPDATE.is_special());
        assert!(!FileTime(-3).is_special());
    }
}
