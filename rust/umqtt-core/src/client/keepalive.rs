//! Keep-alive as each façade defines it, on one clock and one set of
//! timestamps: ping after `ping_every` ms without a ping, and give the
//! broker up once nothing came from it for `dead_after` ms. The libraries
//! differ only in those two numbers (QuecPython/UIFlow: keepalive/2 and
//! 1.5 × keepalive; mqtt_as: `ping_interval` and 4 × it; robust2: no ping,
//! keepalive), so they pass them in and share the rest.
//!
//! ```text
//!   last_ping ----- ping_every -----> Ping        (then last_ping = now)
//!   last_rx   ----- dead_after -----> Dead        (every packet moves last_rx)
//! ```

use crate::time::{Duration, Instant};

/// What [`KeepAlive::poll`] asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeepAliveAction {
    /// Nothing to do for this long (ms); `None`: keep-alive is off.
    Wait(Option<u32>),
    /// Send a PINGREQ now, then call [`KeepAlive::handle_ping`].
    Ping,
    /// Nothing came from the broker for `dead_after`: the connection is dead.
    Dead,
}

/// The keep-alive policy and its timestamps.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KeepAlive {
    ping_every: Option<Duration>,
    dead_after: Option<Duration>,
    last_ping: Instant,
    last_rx: Instant,
}

impl KeepAlive {
    /// Off: never pings, never declares the broker dead.
    pub const OFF: KeepAlive = KeepAlive {
        ping_every: None,
        dead_after: None,
        last_ping: Instant::from_millis(0),
        last_rx: Instant::from_millis(0),
    };

    /// Pings after `ping_every_ms` without one, declares the broker dead
    /// after `dead_after_ms` without a packet; 0 turns either off. Both
    /// count from `now` (a connect).
    pub fn new(now: Instant, ping_every_ms: u32, dead_after_ms: u32) -> KeepAlive {
        let nonzero = |ms| (ms > 0).then(|| Duration::from_millis(ms));
        KeepAlive {
            ping_every: nonzero(ping_every_ms),
            dead_after: nonzero(dead_after_ms),
            last_ping: now,
            last_rx: now,
        }
    }

    /// A new connection at `now`: both counts start over.
    pub fn restart(&mut self, now: Instant) {
        self.last_ping = now;
        self.last_rx = now;
    }

    /// A packet arrived at `now`.
    pub fn handle_received(&mut self, now: Instant) {
        self.last_rx = now;
    }

    /// A PINGREQ went out at `now`.
    pub fn handle_ping(&mut self, now: Instant) {
        self.last_ping = now;
    }

    /// When the last packet arrived.
    pub fn last_received(&self) -> Instant {
        self.last_rx
    }

    /// When the last PINGREQ went out.
    pub fn last_ping(&self) -> Instant {
        self.last_ping
    }

    /// What is due at `now`: death first (unless `check_dead` is false: a
    /// caller that is not reading has no evidence against the broker), then
    /// a ping, else how long until either.
    pub fn poll(&self, now: Instant, check_dead: bool) -> KeepAliveAction {
        let left = |since: Instant, limit: Option<Duration>| {
            limit.map(|limit| {
                let elapsed = u32::try_from(now.ms_since(since).max(0)).unwrap_or(0);
                limit.as_millis().saturating_sub(elapsed)
            })
        };
        let dead_in = left(self.last_rx, self.dead_after.filter(|_| check_dead));
        let ping_in = left(self.last_ping, self.ping_every);
        match (dead_in, ping_in) {
            (Some(0), _) => KeepAliveAction::Dead,
            (_, Some(0)) => KeepAliveAction::Ping,
            (Some(d), Some(p)) => KeepAliveAction::Wait(Some(d.min(p))),
            (d, p) => KeepAliveAction::Wait(d.or(p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u32) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn pings_then_declares_death() {
        // QuecPython: keepalive 10 s -> ping every 5 s, dead after 15 s.
        let mut ka = KeepAlive::new(at(0), 5_000, 15_000);
        assert_eq!(ka.poll(at(1_000), true), KeepAliveAction::Wait(Some(4_000)));
        assert_eq!(ka.poll(at(5_000), true), KeepAliveAction::Ping);
        ka.handle_ping(at(5_000));
        assert_eq!(ka.poll(at(5_001), true), KeepAliveAction::Wait(Some(4_999)));
        ka.handle_ping(at(10_000));
        assert_eq!(
            ka.poll(at(14_000), true),
            KeepAliveAction::Wait(Some(1_000))
        );
        assert_eq!(ka.poll(at(15_000), true), KeepAliveAction::Dead);
        // Not reading: silence is no evidence, pings go on.
        assert_eq!(ka.poll(at(15_000), false), KeepAliveAction::Ping);
        ka.handle_received(at(15_000));
        assert_eq!(ka.poll(at(15_000), true), KeepAliveAction::Ping);
    }

    #[test]
    fn off_waits_forever() {
        let ka = KeepAlive::new(at(0), 0, 0);
        assert_eq!(ka.poll(at(u32::MAX), true), KeepAliveAction::Wait(None));
        assert_eq!(
            KeepAlive::OFF.poll(at(7), true),
            KeepAliveAction::Wait(None)
        );
    }

    #[test]
    fn death_only() {
        // robust2: no ping, the connection is an issue after keepalive s.
        let ka = KeepAlive::new(at(100), 0, 2_000);
        assert_eq!(ka.poll(at(600), true), KeepAliveAction::Wait(Some(1_500)));
        assert_eq!(ka.poll(at(2_100), true), KeepAliveAction::Dead);
    }

    #[test]
    fn across_the_clock_wrap() {
        let start = at(u32::MAX - 500);
        let ka = KeepAlive::new(start, 1_000, 0);
        assert_eq!(ka.poll(at(100), true), KeepAliveAction::Wait(Some(399)));
        assert_eq!(ka.poll(at(499), true), KeepAliveAction::Ping);
    }
}
