//! The transmit queue of a non-blocking driver: encoded bytes waiting to be
//! written, kept in the driver's own transmit buffer as `off..len`.
//!
//! ```text
//!   buffer: [ written | queued: off..len | free ]
//! ```
//!
//! A packet is appended only when it fits whole ([`TxQueue::reserve`]
//! moves the queued bytes to the front when that makes room), so a refusal
//! changes nothing and the caller flushes and tries again.

/// Why [`TxQueue::reserve`] refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum QueueError {
    /// Not now: flush, then try again.
    Full,
    /// Larger than the whole buffer: it never fits.
    TooLarge,
}

/// Offsets of the queued bytes in the driver's transmit buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TxQueue {
    off: usize,
    len: usize,
}

impl TxQueue {
    /// Nothing queued.
    pub const fn new() -> TxQueue {
        TxQueue { off: 0, len: 0 }
    }

    /// Forgets what is queued (the connection is gone).
    pub fn clear(&mut self) {
        *self = TxQueue::new();
    }

    /// Bytes queued.
    pub fn pending(&self) -> usize {
        self.len.saturating_sub(self.off)
    }

    /// Where the queued bytes are: `start..end` of the buffer.
    pub fn range(&self) -> (usize, usize) {
        (self.off, self.len)
    }

    /// The queued bytes of `buf`.
    pub fn queued<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        buf.get(self.off..self.len).unwrap_or_default()
    }

    /// Room for `need` more bytes in `buf`: the offset to encode them at.
    pub fn reserve(&mut self, buf: &mut [u8], need: usize) -> Result<usize, QueueError> {
        if need > buf.len() {
            return Err(QueueError::TooLarge);
        }
        if self.pending() == 0 {
            self.clear();
        }
        if self
            .len
            .checked_add(need)
            .is_some_and(|end| end <= buf.len())
        {
            return Ok(self.len);
        }
        // `off <= len` always holds; checking it leaves no panic path.
        if self.off > 0 && self.off <= self.len && self.len <= buf.len() {
            buf.copy_within(self.off..self.len, 0);
            self.len = self.len.saturating_sub(self.off);
            self.off = 0;
        }
        if self
            .len
            .checked_add(need)
            .is_some_and(|end| end <= buf.len())
        {
            Ok(self.len)
        } else {
            Err(QueueError::Full)
        }
    }

    /// `len` bytes were encoded at `start`, the offset `reserve` gave.
    pub fn commit(&mut self, start: usize, len: usize) {
        self.len = start.saturating_add(len);
    }

    /// `len` bytes were encoded at the offset the last `reserve` gave,
    /// which is where the queue ends: [`TxQueue::commit`] without carrying
    /// that offset along.
    pub fn append(&mut self, len: usize) {
        self.commit(self.len, len);
    }

    /// `n` queued bytes were written.
    pub fn consume(&mut self, n: usize) {
        self.off = self.off.saturating_add(n).min(self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_while_room_then_compacts() {
        let mut buf = [0u8; 8];
        let mut q = TxQueue::new();
        let at = q.reserve(&mut buf, 5).unwrap();
        buf[at..at + 5].copy_from_slice(b"hello");
        q.commit(at, 5);
        assert_eq!(q.reserve(&mut buf, 4), Err(QueueError::Full));
        q.consume(3);
        assert_eq!(q.queued(&buf), b"lo");
        let at = q.reserve(&mut buf, 4).unwrap();
        assert_eq!(at, 2, "compacted to the front");
        assert_eq!(q.queued(&buf), b"lo");
        buf[at..at + 4].copy_from_slice(b"abcd");
        let mut appended = q;
        q.commit(at, 4);
        appended.append(4);
        assert_eq!(appended, q, "append: a commit at the reserved offset");
        assert_eq!(q.queued(&buf), b"loabcd");
        assert_eq!(q.pending(), 6);
    }

    #[test]
    fn too_large_never_fits() {
        let mut buf = [0u8; 4];
        let mut q = TxQueue::new();
        assert_eq!(q.reserve(&mut buf, 5), Err(QueueError::TooLarge));
        assert_eq!(q, TxQueue::new());
    }

    #[test]
    fn written_out_starts_over() {
        let mut buf = [0u8; 4];
        let mut q = TxQueue::new();
        let at = q.reserve(&mut buf, 4).unwrap();
        q.commit(at, 4);
        q.consume(4);
        assert_eq!(q.pending(), 0);
        assert_eq!(q.reserve(&mut buf, 4), Ok(0));
    }
}
