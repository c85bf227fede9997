//! Messages handed to the application whose acknowledgement is not sent yet:
//! the re-entrancy rule for deliveries.
//!
//! A client reports a received QoS 1/2 PUBLISH, the application's callback
//! runs, and only when it returns is the PUBACK (QoS 1) or PUBREC (QoS 2)
//! queued; if it raises, nothing is sent and the broker redelivers. The
//! callback may receive again itself -- a QoS 1 publish waiting for its
//! PUBACK, a `check_msg()` -- so more messages can be reported, at any depth,
//! before the first one is accepted:
//!
//! ```text
//! receive -> Message(pid 7) ------------------------------ accept(pid 7)
//!              callback: publish(qos=1) waits for PUBACK
//!                receive -> Message(pid 8) -- accept(pid 8)
//!                receive -> PubAck
//! ```
//!
//! Each delivery is recorded ([`Deliveries::open`]) when it is reported and
//! closed exactly once: by [`Deliveries::take`] when its callback returned
//! (queue the ack) or when it raised (drop it). A nested receive never
//! touches the records of the deliveries around it. A connection change
//! clears them all ([`Deliveries::clear`]): an ack is never sent on a
//! connection other than the one that delivered its message (after a
//! resumed reconnect the broker sends the message again). When `N`
//! deliveries are open, the caller refuses to read another packet
//! ([`Deliveries::is_full`]) rather than lose track of an ack.

use heapless::Vec;

use crate::types::QosPid;

/// Open deliveries: at most `N` nested callbacks (QoS 0 ones need no record).
#[derive(Debug, Default)]
pub struct Deliveries<const N: usize> {
    open: Vec<QosPid, N>,
}

/// No room to record another delivery: `N` are open.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TooDeep;

impl<const N: usize> Deliveries<N> {
    /// No delivery open.
    pub const fn new() -> Self {
        Deliveries { open: Vec::new() }
    }

    /// Whether another delivery could not be recorded.
    pub fn is_full(&self) -> bool {
        self.open.is_full()
    }

    /// How many deliveries are open.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether no delivery is open.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Records a message just reported to the application. QoS 0 is not
    /// recorded (there is no ack to send).
    pub fn open(&mut self, qos_pid: QosPid) -> Result<(), TooDeep> {
        if qos_pid.pid().is_none() {
            return Ok(());
        }
        self.open.push(qos_pid).map_err(|_| TooDeep)
    }

    /// Closes the delivery of `qos_pid`: `true` if it was open (then, if its
    /// callback returned, its ack is due), `false` if it was not (QoS 0, or
    /// the connection changed since: nothing to send).
    pub fn take(&mut self, qos_pid: QosPid) -> bool {
        // Records of one id are alike and their order tells nothing: the
        // last record takes the place of the one closed (no shifting).
        match self.open.iter().position(|&open| open == qos_pid) {
            Some(index) => {
                self.open.swap_remove(index);
                true
            }
            None => false,
        }
    }

    /// Forgets every open delivery (the connection ended or was replaced).
    pub fn clear(&mut self) {
        self.open.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Pid;

    fn q1(pid: u16) -> QosPid {
        QosPid::AtLeastOnce(Pid::new(pid).unwrap())
    }

    fn q2(pid: u16) -> QosPid {
        QosPid::ExactlyOnce(Pid::new(pid).unwrap())
    }

    #[test]
    fn nested_deliveries_close_independently() {
        let mut d = Deliveries::<4>::new();
        d.open(q1(7)).unwrap();
        d.open(q2(8)).unwrap(); // a receive inside pid 7's callback
        assert!(d.take(q2(8)));
        assert!(d.take(q1(7)));
        assert!(d.is_empty());
    }

    #[test]
    fn each_delivery_is_taken_once() {
        let mut d = Deliveries::<4>::new();
        d.open(q1(7)).unwrap();
        assert!(d.take(q1(7)));
        assert!(!d.take(q1(7)), "a second accept sends nothing");
    }

    #[test]
    fn qos_and_pid_must_both_match() {
        let mut d = Deliveries::<4>::new();
        d.open(q1(7)).unwrap();
        assert!(!d.take(q2(7)));
        assert!(!d.take(q1(9)));
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn qos0_needs_no_record() {
        let mut d = Deliveries::<1>::new();
        d.open(QosPid::AtMostOnce).unwrap();
        assert!(d.is_empty());
        assert!(!d.take(QosPid::AtMostOnce));
    }

    #[test]
    fn full_refuses_and_clear_forgets() {
        let mut d = Deliveries::<2>::new();
        d.open(q1(1)).unwrap();
        d.open(q1(2)).unwrap();
        assert!(d.is_full());
        assert_eq!(d.open(q1(3)), Err(TooDeep));
        d.clear();
        assert!(!d.take(q1(1)), "no ack after the connection changed");
        assert!(d.is_empty());
    }

    #[test]
    fn out_of_order_closing() {
        // A callback that raised closes its delivery before an outer one.
        let mut d = Deliveries::<3>::new();
        for pid in 1..=3 {
            d.open(q1(pid)).unwrap();
        }
        assert!(d.take(q1(2)));
        assert!(d.take(q1(3)));
        assert!(d.take(q1(1)));
        assert!(d.is_empty());
    }

    /// Every order of closing a full set, with an id delivered twice
    /// (the broker resent it inside its own callback): each record is
    /// taken exactly once, whatever moved into its place.
    #[test]
    fn any_closing_order_takes_each_record_once() {
        let opened = [q1(1), q1(2), q1(2), q2(3)];
        let mut order = [0usize, 1, 2, 3];
        // All 24 permutations (Heap's algorithm, iteratively).
        let mut c = [0usize; 4];
        let check = |order: &[usize; 4]| {
            let mut d = Deliveries::<4>::new();
            for q in opened {
                d.open(q).unwrap();
            }
            for (n, &i) in order.iter().enumerate() {
                assert!(d.take(opened[i]), "{order:?}");
                assert_eq!(d.len(), 3 - n);
            }
            assert!(!d.take(q1(2)), "{order:?}");
        };
        check(&order);
        let mut i = 0;
        while i < 4 {
            if c[i] < i {
                let j = if i % 2 == 0 { 0 } else { c[i] };
                order.swap(j, i);
                check(&order);
                c[i] += 1;
                i = 0;
            } else {
                c[i] = 0;
                i += 1;
            }
        }
    }
}
