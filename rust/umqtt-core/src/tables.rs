//! Where a [`crate::Session`] keeps its three tables, one row per exchange
//! it can track.
//!
//! ```text
//!  row | outgoing exchange (pid, awaits, deadline) | QoS 2 in (pid) | ack to send
//! -----+-------------------------------------------+----------------+------------
//!   0  | oldest in flight                          | ...            | next to send
//!   1  | ...                                       |                | ...
//!  cap | (rows beyond each table's length: unused)                 |
//! ```
//!
//! Without feature `qos2` there is no QoS 2 column (20 bytes a row);
//! without feature `ack-queue` (which `qos2` brings) no column of acks to
//! send either (16 bytes).
//!
//! The rows are storage the session is given ([`Tables`]): an array inside
//! it ([`Inline`]), or a block its owner allocates and grows while
//! exchanges open (the firmware starts with none, so a client that only
//! publishes at QoS 0 holds no table at all). The session moves its rows to
//! a larger block with [`crate::Session::replace_tables`]; what it can
//! never exceed is [`Tables::limit`].

use crate::session::Awaiting;
#[cfg(any(test, feature = "ack-queue"))]
use crate::session::Transmit;
use crate::time::Instant;
use crate::types::Pid;

/// An outgoing exchange awaiting its ack.
// repr(C) in this order: a row stays 24 bytes, and the code that reads and
// moves rows is smaller on rv32imc than with rustc's own layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C)]
pub(crate) struct Outbound {
    pub(crate) pid: Pid,
    pub(crate) deadline: Option<Instant>,
    pub(crate) awaiting: Awaiting,
}

/// One row of a session's tables (see the module doc): 24 bytes on 32- and
/// 64-bit targets (20 without feature `qos2`, 16 without `ack-queue` too).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Row {
    out: Outbound,
    #[cfg(feature = "qos2")]
    inbound: Pid,
    #[cfg(any(test, feature = "ack-queue"))]
    transmit: Transmit,
}

impl Row {
    /// A row no table uses.
    pub const EMPTY: Row = Row {
        out: Outbound {
            pid: Pid::FIRST,
            awaiting: Awaiting::Tracked,
            deadline: None,
        },
        #[cfg(feature = "qos2")]
        inbound: Pid::FIRST,
        #[cfg(any(test, feature = "ack-queue"))]
        transmit: Transmit::PubAck(Pid::FIRST),
    };
}

/// Storage for a session's rows.
pub trait Tables {
    /// The rows; their number is the session's capacity now.
    fn rows(&self) -> &[Row];
    /// The same, to write.
    fn rows_mut(&mut self) -> &mut [Row];
    /// The capacity the rows may grow to (by default, what they are).
    fn limit(&self) -> usize {
        self.rows().len()
    }
}

/// `N` rows inside the session (tests, fuzzing, a fixed-size client).
#[derive(Clone, Debug)]
pub struct Inline<const N: usize>([Row; N]);

impl<const N: usize> Inline<N> {
    /// `N` unused rows.
    pub const fn new() -> Inline<N> {
        Inline([Row::EMPTY; N])
    }
}

impl<const N: usize> Default for Inline<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Tables for Inline<N> {
    fn rows(&self) -> &[Row] {
        &self.0
    }
    fn rows_mut(&mut self) -> &mut [Row] {
        &mut self.0
    }
}

/// How much of each table is in use. Every table keeps its order from
/// row 0 (oldest first): the acks to send too, a queue shifted on each pop
/// (a few acks at most; a ring had to be re-laid when the rows grow).
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Lens {
    // u16, not usize: the limit is 32 rows (and `Inline` arrays are small),
    // and every client keeps these.
    out: u16,
    #[cfg(feature = "qos2")]
    inbound: u16,
    #[cfg(any(test, feature = "ack-queue"))]
    tx_len: u16,
}

/// The first `len` rows (all of them if there are fewer): what
/// `rows.iter().take(len)` yields, as a slice (a plain loop over it, where
/// `Take`'s count made each table search larger on rv32imc).
fn prefix(rows: &[Row], len: u16) -> &[Row] {
    rows.get(..usize::from(len)).unwrap_or(rows)
}

/// [`prefix`], to write.
#[cfg(any(test, feature = "qos2"))]
fn prefix_mut(rows: &mut [Row], len: u16) -> &mut [Row] {
    let len = usize::from(len).min(rows.len());
    rows.get_mut(..len).unwrap_or_default()
}

impl Lens {
    pub(crate) const EMPTY: Lens = Lens {
        out: 0,
        #[cfg(feature = "qos2")]
        inbound: 0,
        #[cfg(any(test, feature = "ack-queue"))]
        tx_len: 0,
    };

    /// Rows needed for one more entry in every table.
    pub(crate) fn rows_for_one_more(&self) -> usize {
        self.rows_used().saturating_add(1)
    }

    /// The length of the longest table: rows that hold something.
    fn rows_used(&self) -> usize {
        let used = usize::from(self.out);
        #[cfg(any(test, feature = "ack-queue"))]
        let used = used.max(usize::from(self.tx_len));
        #[cfg(feature = "qos2")]
        let used = used.max(usize::from(self.inbound));
        used
    }

    pub(crate) fn out_len(&self) -> usize {
        usize::from(self.out)
    }

    #[cfg(all(test, feature = "qos2"))]
    pub(crate) fn inbound_len(&self) -> usize {
        usize::from(self.inbound)
    }

    #[cfg(test)]
    pub(crate) fn tx_len(&self) -> usize {
        usize::from(self.tx_len)
    }

    pub(crate) fn out<'r>(&self, rows: &'r [Row]) -> impl Iterator<Item = &'r Outbound> + 'r {
        prefix(rows, self.out).iter().map(|r| &r.out)
    }

    /// Entry `i` of the outgoing table.
    pub(crate) fn out_get(&self, rows: &[Row], i: usize) -> Option<Outbound> {
        if i >= usize::from(self.out) {
            return None;
        }
        rows.get(i).map(|r| r.out)
    }

    pub(crate) fn out_get_mut<'r>(
        &self,
        rows: &'r mut [Row],
        i: usize,
    ) -> Option<&'r mut Outbound> {
        if i >= usize::from(self.out) {
            return None;
        }
        rows.get_mut(i).map(|r| &mut r.out)
    }

    pub(crate) fn out_push(&mut self, rows: &mut [Row], entry: Outbound) -> bool {
        let Some(row) = rows
            .get_mut(usize::from(self.out))
            .filter(|_| self.out < u16::MAX)
        else {
            return false;
        };
        row.out = entry;
        self.out += 1;
        true
    }

    /// Removes entry `i`, keeping the order of the others.
    pub(crate) fn out_remove(&mut self, rows: &mut [Row], i: usize) -> Option<Outbound> {
        // Rows `i..` of the table (none if `i` is past it): from the last
        // one down, each takes the entry carried from its successor, one
        // bounds check in all; what is carried out of row `i` is its entry.
        let shifted = rows.get_mut(i..usize::from(self.out))?;
        if shifted.is_empty() {
            return None;
        }
        let mut carried = Row::EMPTY.out;
        for row in shifted.iter_mut().rev() {
            carried = core::mem::replace(&mut row.out, carried);
        }
        self.out -= 1;
        Some(carried)
    }

    pub(crate) fn out_clear(&mut self) {
        self.out = 0;
    }

    #[cfg(feature = "qos2")]
    pub(crate) fn inbound_contains(&self, rows: &[Row], pid: Pid) -> bool {
        prefix(rows, self.inbound).iter().any(|r| r.inbound == pid)
    }

    #[cfg(feature = "qos2")]
    pub(crate) fn inbound_is_full(&self, rows: &[Row]) -> bool {
        usize::from(self.inbound) >= rows.len()
    }

    #[cfg(feature = "qos2")]
    pub(crate) fn inbound_push(&mut self, rows: &mut [Row], pid: Pid) -> bool {
        let Some(row) = rows
            .get_mut(usize::from(self.inbound))
            .filter(|_| self.inbound < u16::MAX)
        else {
            return false;
        };
        row.inbound = pid;
        self.inbound += 1;
        true
    }

    /// Removes `pid`, keeping the order of the others.
    #[cfg(feature = "qos2")]
    pub(crate) fn inbound_remove(&mut self, rows: &mut [Row], pid: Pid) {
        // One pass: from the row that held `pid` on, each row takes its
        // successor's pid (the last one's stays, past the new length).
        let mut vacated: Option<&mut Row> = None;
        for row in prefix_mut(rows, self.inbound) {
            match vacated {
                Some(previous) => {
                    previous.inbound = row.inbound;
                    vacated = Some(row);
                }
                None if row.inbound == pid => vacated = Some(row),
                None => {}
            }
        }
        if vacated.is_some() {
            self.inbound -= 1;
        }
    }

    #[cfg(any(test, feature = "ack-queue"))]
    pub(crate) fn tx_push(&mut self, rows: &mut [Row], transmit: Transmit) -> bool {
        let Some(row) = rows
            .get_mut(usize::from(self.tx_len))
            .filter(|_| self.tx_len < u16::MAX)
        else {
            return false;
        };
        row.transmit = transmit;
        self.tx_len += 1;
        true
    }

    #[cfg(any(test, feature = "ack-queue"))]
    pub(crate) fn tx_front(&self, rows: &[Row]) -> Option<Transmit> {
        if self.tx_len == 0 {
            return None;
        }
        rows.first().map(|r| r.transmit)
    }

    /// Removes the first ack, the others moving up one row.
    #[cfg(any(test, feature = "ack-queue"))]
    pub(crate) fn tx_pop(&mut self, rows: &mut [Row]) -> Option<Transmit> {
        // As `out_remove`: from the last row up, each takes the ack
        // carried from its successor; what comes out of row 0 is the first.
        let (last, others) = rows.get_mut(..usize::from(self.tx_len))?.split_last_mut()?;
        let mut carried = last.transmit;
        for row in others.iter_mut().rev() {
            carried = core::mem::replace(&mut row.transmit, carried);
        }
        self.tx_len -= 1;
        Some(carried)
    }

    #[cfg(any(test, feature = "ack-queue"))]
    pub(crate) fn tx_clear(&mut self) {
        self.tx_len = 0;
    }

    /// Copies every table from `from` to `to` (at least as many rows as
    /// each table's length).
    pub(crate) fn move_rows(&self, from: &[Row], to: &mut [Row]) -> bool {
        if to.len() < self.rows_used() {
            return false;
        }
        // Whole rows in one copy; rows past every table's length are never
        // read before written.
        let n = from.len().min(to.len());
        if let (Some(to), Some(from)) = (to.get_mut(..n), from.get(..n)) {
            to.copy_from_slice(from);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: u16) -> Pid {
        Pid::new(n).unwrap()
    }

    /// The second and third acks to send: QoS 2 ones when they are built in.
    #[cfg(feature = "qos2")]
    const LATER_ACKS: [fn(Pid) -> Transmit; 2] = [Transmit::PubRec, Transmit::PubComp];
    #[cfg(not(feature = "qos2"))]
    const LATER_ACKS: [fn(Pid) -> Transmit; 2] = [Transmit::PubAck, Transmit::PubAck];

    /// Puts ids 1..=`count` in flight, awaiting their PUBACKs.
    fn push_awaiting_puback(lens: &mut Lens, rows: &mut [Row], count: u16) {
        for n in 1..=count {
            let entry = Outbound {
                pid: pid(n),
                awaiting: Awaiting::PubAck,
                deadline: None,
            };
            assert!(lens.out_push(rows, entry));
        }
    }

    #[test]
    fn out_remove_keeps_the_order_of_the_others() {
        let mut rows = [Row::EMPTY; 5];
        let mut lens = Lens::EMPTY;
        push_awaiting_puback(&mut lens, &mut rows, 4);
        let pids = |lens: &Lens, rows: &[Row]| -> std::vec::Vec<u16> {
            lens.out(rows).map(|o| o.pid.get()).collect()
        };
        assert_eq!(lens.out_remove(&mut rows, 4), None, "past the table");
        assert_eq!(lens.out_remove(&mut rows, 1).map(|o| o.pid.get()), Some(2));
        assert_eq!(pids(&lens, &rows), [1, 3, 4]);
        assert_eq!(lens.out_remove(&mut rows, 2).map(|o| o.pid.get()), Some(4));
        assert_eq!(pids(&lens, &rows), [1, 3]);
        assert_eq!(lens.out_remove(&mut rows, 0).map(|o| o.pid.get()), Some(1));
        assert_eq!(lens.out_remove(&mut rows, 0).map(|o| o.pid.get()), Some(3));
        assert!(pids(&lens, &rows).is_empty());
        assert_eq!(lens.out_remove(&mut rows, 0), None, "empty");
        // A table longer than its rows (never made) removes nothing.
        lens.out = 9;
        assert_eq!(lens.out_remove(&mut rows, 0), None);
    }

    #[test]
    fn tables_keep_their_order_and_move_to_more_rows() {
        let [second, third] = LATER_ACKS;
        let mut small = [Row::EMPTY; 2];
        let mut lens = Lens::EMPTY;
        push_awaiting_puback(&mut lens, &mut small, 2);
        assert!(!lens.out_push(&mut small, Row::EMPTY.out), "full");
        assert!(lens.tx_push(&mut small, Transmit::PubAck(pid(7))));
        assert!(lens.tx_push(&mut small, second(pid(8))));
        assert_eq!(lens.tx_pop(&mut small), Some(Transmit::PubAck(pid(7))));
        assert!(lens.tx_push(&mut small, third(pid(9)))); // after 8, moved up to row 0
        assert!(!lens.tx_push(&mut small, third(pid(10))), "full");
        #[cfg(feature = "qos2")]
        assert!(lens.inbound_push(&mut small, pid(5)));
        assert_eq!(lens.rows_for_one_more(), 3);

        let mut large = [Row::EMPTY; 4];
        assert!(lens.move_rows(&small, &mut large));
        let pids: std::vec::Vec<u16> = lens.out(&large).map(|o| o.pid.get()).collect();
        assert_eq!(pids, [1, 2]);
        #[cfg(feature = "qos2")]
        assert!(lens.inbound_contains(&large, pid(5)));
        assert_eq!(lens.tx_pop(&mut large), Some(second(pid(8))));
        assert!(lens.tx_push(&mut large, Transmit::PubAck(pid(11))));
        assert_eq!(lens.tx_pop(&mut large), Some(third(pid(9))));
        assert_eq!(lens.tx_pop(&mut large), Some(Transmit::PubAck(pid(11))));
        assert_eq!(lens.tx_pop(&mut large), None);
        // A queue longer than its rows (never made) pops nothing.
        lens.tx_len = 9;
        assert_eq!(lens.tx_pop(&mut large), None);
        lens.tx_clear();
        assert_eq!(lens.out_remove(&mut large, 0).map(|o| o.pid.get()), Some(1));
        assert_eq!(lens.out(&large).map(|o| o.pid.get()).next(), Some(2));
        #[cfg(feature = "qos2")]
        {
            lens.inbound_remove(&mut large, pid(5));
            assert!(!lens.inbound_contains(&large, pid(5)));
        }
    }

    proptest::proptest! {
        /// The table searches' slices hold what `take` yielded before:
        /// the same rows, whatever the length says (also past the rows).
        #[test]
        fn prefix_is_take(rows_len in 0usize..6, len in proptest::prelude::any::<u16>()) {
            let mut rows = [Row::EMPTY; 6];
            let rows = &mut rows[..rows_len];
            let taken: std::vec::Vec<*const Row> =
                rows.iter().take(usize::from(len)).map(|r| r as *const Row).collect();
            let slice: std::vec::Vec<*const Row> =
                prefix(rows, len).iter().map(|r| r as *const Row).collect();
            proptest::prop_assert_eq!(&slice, &taken);
            let slice_mut: std::vec::Vec<*const Row> =
                prefix_mut(rows, len).iter().map(|r| r as *const Row).collect();
            proptest::prop_assert_eq!(&slice_mut, &taken);
        }
    }
}
