//! Time on a wrapping millisecond clock.
//!
//! The driver passes MicroPython's tick counter (`mp_hal_ticks_ms()`), which
//! wraps. Two instants are therefore only ordered by their wrapping
//! difference, which is meaningful while they are less than 2^31 ms
//! (about 24.8 days) apart. Raw `u32` values are never compared, and
//! [`Instant`] deliberately does not implement `Ord`.
//!
//! Note: Python's `time.ticks_ms()` wraps at 2^30 on 32-bit ports, not 2^32. Values
//! taken from Python code must be converted by the driver before they
//! reach this crate.

/// A point in time in milliseconds on a clock that wraps at 2^32.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Instant(u32);

/// A span of time in milliseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Duration(u32);

/// The longest span two instants can be apart and still be ordered.
pub const MAX_SPAN_MS: u32 = i32::MAX as u32;

impl Duration {
    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: u32) -> Duration {
        Duration(ms)
    }

    /// A span of `secs` seconds, saturating at `u32::MAX` ms.
    pub const fn from_secs(secs: u32) -> Duration {
        Duration(secs.saturating_mul(1000))
    }

    /// The span in milliseconds.
    pub const fn as_millis(self) -> u32 {
        self.0
    }
}

impl Instant {
    /// The instant `ms` on the caller's tick counter.
    pub const fn from_millis(ms: u32) -> Instant {
        Instant(ms)
    }

    /// The raw tick value, for handing back to the driver.
    pub const fn as_millis(self) -> u32 {
        self.0
    }

    /// Signed milliseconds from `earlier` to `self`: negative when `self`
    /// comes first. Valid while the two are less than 2^31 ms apart.
    pub const fn ms_since(self, earlier: Instant) -> i32 {
        // Reinterpreting the wrapped difference as signed is the whole trick.
        self.0.wrapping_sub(earlier.0) as i32
    }

    /// `self + span` on the wrapping clock.
    pub const fn wrapping_add(self, span: Duration) -> Instant {
        Instant(self.0.wrapping_add(span.0))
    }

    /// `self + span`, or `None` when `span` is too long for the result to be
    /// compared with `self` (more than [`MAX_SPAN_MS`]).
    pub const fn checked_add(self, span: Duration) -> Option<Instant> {
        if span.0 > MAX_SPAN_MS {
            None
        } else {
            Some(self.wrapping_add(span))
        }
    }

    /// `self + span` with `span` clamped to [`MAX_SPAN_MS`], so the result
    /// always orders after `self`.
    pub const fn saturating_add(self, span: Duration) -> Instant {
        let ms = if span.0 > MAX_SPAN_MS {
            MAX_SPAN_MS
        } else {
            span.0
        };
        Instant(self.0.wrapping_add(ms))
    }

    /// True when `self` is at or after `deadline`, i.e. the deadline has passed.
    pub const fn has_reached(self, deadline: Instant) -> bool {
        self.ms_since(deadline) >= 0
    }

    /// Whichever of the two instants comes first.
    pub const fn earliest(self, other: Instant) -> Instant {
        if other.ms_since(self) < 0 {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_survives_wrap_around() {
        let before_wrap = Instant::from_millis(u32::MAX - 5);
        let after_wrap = before_wrap.wrapping_add(Duration::from_millis(10));
        assert_eq!(after_wrap.as_millis(), 4);
        assert_eq!(after_wrap.ms_since(before_wrap), 10);
        assert_eq!(before_wrap.ms_since(after_wrap), -10);
        assert!(after_wrap.has_reached(before_wrap));
        assert!(!before_wrap.has_reached(after_wrap));
        assert_eq!(after_wrap.earliest(before_wrap), before_wrap);
        assert_eq!(before_wrap.earliest(after_wrap), before_wrap);
    }

    #[test]
    fn checked_add_refuses_unorderable_spans() {
        let now = Instant::from_millis(100);
        assert_eq!(
            now.checked_add(Duration::from_millis(MAX_SPAN_MS + 1)),
            None
        );
        let far = now.checked_add(Duration::from_millis(MAX_SPAN_MS)).unwrap();
        assert!(far.ms_since(now) > 0);
        assert_eq!(now.saturating_add(Duration::from_millis(u32::MAX)), far);
    }

    #[test]
    fn duration_from_secs_saturates() {
        assert_eq!(Duration::from_secs(3).as_millis(), 3000);
        assert_eq!(Duration::from_secs(u32::MAX).as_millis(), u32::MAX);
    }
}
