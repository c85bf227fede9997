//! The blocking I/O driver: moves bytes between the engine's buffers and a
//! [`Port`], waiting for readiness with deadlines on the [`now`] clock.
//! Every wait is bounded by the caller's timeout (or unbounded for
//! [`FOREVER`]); partial writes are continued; "would block" waits.
//!
//! A [`Deadline`] reads the clock only when a wait is first needed: most
//! calls never wait (the socket takes the bytes at once), and on unix a
//! clock read is a system call. The timeout then counts from the first
//! stall, not from the call's start.

use umqtt_core::client::{Outgoing, PublishPacket};
use umqtt_core::{Duration, EncodeError, Frame, FrameError, FrameReader, Instant};

use core::slice;

use crate::port::{now, umqtt_port_t, Port, PortError, Ready, FOREVER};
use crate::Error;
use crate::{umqtt_io, Result};

/// When a wait must give up (see the module doc: started lazily): a
/// timeout in ms (negative, [`FOREVER`]: no limit) until the first wait,
/// then the instant it ends. One word and a flag, where an enum of the
/// three states cost every call that makes one a sign test.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    /// The timeout in ms before the first wait; the deadline's instant
    /// (its ms) after it.
    ms: i32,
    /// Whether the first wait has come: `ms` holds an instant.
    started: bool,
}

impl Deadline {
    /// `timeout_ms` from the first wait; negative ([`FOREVER`]) for no limit.
    pub(crate) fn after(timeout_ms: i32) -> Deadline {
        Deadline {
            ms: timeout_ms,
            started: false,
        }
    }

    /// `timeout_ms` from now, as an instant (an ack's deadline in the
    /// in-flight table); `None` for no limit.
    pub(crate) fn instant_after(timeout_ms: i32) -> Option<Instant> {
        u32::try_from(timeout_ms)
            .ok()
            .map(|ms| now().wrapping_add(Duration::from_millis(ms)))
    }

    /// Milliseconds left (0 once passed), or [`FOREVER`]; starts the count.
    fn remaining_ms(&mut self) -> i32 {
        // The instant's bits as they are (`as`: a reinterpretation).
        if self.started {
            return Instant::from_millis(self.ms as u32).ms_since(now()).max(0);
        }
        let timeout = self.ms;
        let Ok(ms) = u32::try_from(timeout) else {
            return FOREVER;
        };
        let at = now().wrapping_add(Duration::from_millis(ms));
        *self = Deadline {
            ms: at.as_millis() as i32,
            started: true,
        };
        timeout
    }
}

/// The stream and the caller's buffers for one call: the caller's
/// [`umqtt_io`], checked by [`Io::of`]. One pointer, not the five slices
/// (they were copied through every call's `Result`): each method makes the
/// slices it uses, from [`Io::parts`].
pub(crate) struct Io<'a> {
    raw: &'a umqtt_io,
}

/// The stream and the buffers of an [`Io`]: rx, tx, aliases, scratch.
type Parts<'b> = (
    &'b mut umqtt_port_t,
    &'b mut [u8],
    &'b mut [u8],
    &'b mut [u8],
    &'b mut [u8],
);

impl<'a> Io<'a> {
    /// Checks `raw`: a stream, and receive and transmit buffers of at
    /// least 16 bytes.
    ///
    /// # Safety
    /// `raw`'s buffers are valid for their capacities, do not overlap, and
    /// are used by nothing else for `'a`; `port` is valid for `'a`.
    pub(crate) unsafe fn of(raw: &'a umqtt_io) -> Result<Io<'a>> {
        if raw.port.is_null() || raw.rx.is_null() || raw.tx.is_null() {
            return Err(Error::InvalidArgument);
        }
        if raw.rx_cap < 16 || raw.tx_cap < 16 {
            return Err(Error::InvalidArgument);
        }
        Ok(Io { raw })
    }

    /// The stream and every buffer, borrowed from `self` (a null optional
    /// buffer is empty).
    fn parts(&mut self) -> Parts<'_> {
        let raw = self.raw;
        let optional = |ptr: *mut u8, cap: usize| -> &mut [u8] {
            if ptr.is_null() {
                &mut []
            } else {
                // SAFETY: per `Io::of`; one borrow of `self` at a time.
                unsafe { slice::from_raw_parts_mut(ptr, cap) }
            }
        };
        // SAFETY: non-null (checked by `Io::of`), valid and disjoint per
        // its contract; these borrows end with the borrow of `self`.
        unsafe {
            (
                &mut *raw.port,
                slice::from_raw_parts_mut(raw.rx, raw.rx_cap),
                slice::from_raw_parts_mut(raw.tx, raw.tx_cap),
                optional(raw.aliases, raw.aliases_cap),
                optional(raw.scratch, raw.scratch_cap),
            )
        }
    }

    /// Size of the inbound topic alias store.
    pub(crate) fn aliases_len(&self) -> usize {
        if self.raw.aliases.is_null() {
            0
        } else {
            self.raw.aliases_cap
        }
    }

    /// Forgets the inbound topic aliases (a new connection).
    pub(crate) fn clear_aliases(&mut self) {
        self.parts().3.fill(0);
    }

    /// The transmit buffer (the non-blocking driver's queue lives in it).
    #[cfg(feature = "nonblocking")]
    pub(crate) fn tx(&mut self) -> &mut [u8] {
        self.parts().2
    }

    /// Encodes `packet` into the transmit buffer at `start`; its length.
    pub(crate) fn encode_at(&mut self, packet: &Outgoing<'_>, start: usize) -> Result<usize> {
        self.encode_raw(packet, start).map_err(encode_status)
    }

    /// [`Io::encode_at`] with the encoder's own error (a start past the
    /// buffer's end is no room at all).
    pub(crate) fn encode_raw(
        &mut self,
        packet: &Outgoing<'_>,
        start: usize,
    ) -> core::result::Result<usize, EncodeError> {
        let buf = self.parts().2.get_mut(start..).unwrap_or_default();
        packet.encode(buf)
    }

    /// Sends bytes `start..end` of the transmit buffer.
    pub(crate) fn send_tx(
        &mut self,
        start: usize,
        end: usize,
        deadline: &mut Deadline,
    ) -> Result<()> {
        let (port, _, tx, _, _) = self.parts();
        let bytes = tx.get(start..end).ok_or(Error::Internal)?;
        write_all(port, bytes, deadline)
    }

    /// Sends `packet` in one write (it must fit the transmit buffer).
    pub(crate) fn send(&mut self, packet: &Outgoing<'_>, deadline: &mut Deadline) -> Result<()> {
        let len = self.encode_at(packet, 0)?;
        self.send_tx(0, len, deadline)
    }

    /// Sends a PUBLISH in one write when it fits the transmit buffer or the
    /// scratch buffer lent for the call, else its header from the transmit
    /// buffer, then its payload from where it lies (no copy).
    #[inline]
    pub(crate) fn send_publish(
        &mut self,
        packet: &PublishPacket<'_>,
        deadline: &mut Deadline,
    ) -> Result<()> {
        // Encoding checks the room first: one length computation when it fits.
        let (port, _, tx, _, scratch) = self.parts();
        let (bytes, payload_apart): (&[u8], &[u8]) = match packet.encode(tx) {
            Ok(len) => (tx.get(..len).ok_or(Error::Internal)?, &[]),
            Err(EncodeError::BufferTooSmall { needed }) => {
                // One encoder call for both fallbacks: the whole packet in
                // the scratch buffer, or its header alone in `tx`.
                let whole = needed <= scratch.len();
                let (buf, payload_apart) = if whole {
                    (scratch, &[][..])
                } else {
                    (tx, packet.publish.payload)
                };
                let len = packet.encode_part(buf, whole).map_err(encode_status)?;
                (buf.get(..len).ok_or(Error::Internal)?, payload_apart)
            }
            Err(err) => return Err(encode_status(err)),
        };
        write_all(port, bytes, deadline)?;
        write_all(port, payload_apart, deadline)
    }

    /// Reads one packet into the receive buffer. Waits until `first` for
    /// it to start; `Ok(None)` if it does not. From the first byte on (or
    /// at once, when continuing a packet a timeout or `NeedBuffer`
    /// interrupted) the rest must come within `rest_ms`. `NeedBuffer` and
    /// `Skipped` leave the connection in step (see [`umqtt_status`]).
    pub(crate) fn read_frame(
        &mut self,
        reader: &mut FrameReader,
        first: Deadline,
        rest_ms: i32,
    ) -> Result<Option<Frame>> {
        let mut deadline = if reader.is_idle() {
            first
        } else {
            Deadline::after(rest_ms)
        };
        loop {
            let was_idle = reader.is_idle();
            let (port, rx, ..) = self.parts();
            let buf = reader.read_buf(rx);
            if buf.is_empty() {
                // A body larger than the receive buffer: the caller brings
                // one of its size, or skips it, and calls again.
                return Err(Error::NeedBuffer);
            }
            match read_some(port, buf, &mut deadline) {
                Ok(n) => match reader.handle_read(n) {
                    Ok(Some(frame)) => return Ok(Some(frame)),
                    Ok(None) if was_idle => deadline = Deadline::after(rest_ms),
                    Ok(None) => {}
                    Err(FrameError::TooLarge { .. }) => return Err(Error::PacketTooLarge),
                    Err(FrameError::Skipped { .. }) => return Err(Error::Skipped),
                    Err(_) => return Err(Error::Malformed),
                },
                Err(Error::Timeout) if reader.is_idle() => return Ok(None),
                Err(status) => return Err(status),
            }
        }
    }

    /// The body of the frame `read_frame` returned, and the alias store, for
    /// `Client::handle_frame`.
    pub(crate) fn frame_parts(&mut self, frame: Frame) -> Result<(&[u8], &mut [u8])> {
        let (_, rx, _, aliases, _) = self.parts();
        let body = rx.get(..frame.body_len).ok_or(Error::Internal)?;
        Ok((body, aliases))
    }

    /// Writes what the stream takes now of the transmit buffer's bytes
    /// `start..end`, without waiting: `Ok(0)` when it would block.
    #[cfg(feature = "nonblocking")]
    pub(crate) fn write_now(&mut self, start: usize, end: usize) -> Result<usize> {
        let (port, _, tx, _, _) = self.parts();
        let bytes = tx.get(start..end).ok_or(Error::Internal)?;
        if bytes.is_empty() {
            return Ok(0);
        }
        match port.write(bytes) {
            Ok(n) => Ok(n),
            Err(PortError::WouldBlock) => Ok(0),
            Err(err) => Err(port_status(err)),
        }
    }
}

pub(crate) fn encode_status(err: EncodeError) -> Error {
    match err {
        EncodeError::BufferTooSmall { .. } | EncodeError::PacketTooLarge => Error::BufferTooSmall,
        _ => Error::InvalidArgument,
    }
}

fn port_status(err: PortError) -> Error {
    match err {
        PortError::Raised => Error::Raised,
        // WouldBlock only reaches here from a wait, which reports readiness.
        PortError::Os | PortError::WouldBlock => Error::OsError,
    }
}

/// Reads at least one byte into `buf`.
pub(crate) fn read_some<P: Port>(
    port: &mut P,
    buf: &mut [u8],
    deadline: &mut Deadline,
) -> Result<usize> {
    loop {
        match port.read(buf) {
            Ok(0) => return Err(Error::Closed),
            Ok(n) => return Ok(n),
            Err(PortError::WouldBlock) => wait(port, false, deadline)?,
            Err(err) => return Err(port_status(err)),
        }
    }
}

/// Writes all of `bytes`, continuing partial writes.
pub(crate) fn write_all<P: Port>(
    port: &mut P,
    bytes: &[u8],
    deadline: &mut Deadline,
) -> Result<()> {
    let mut rest = bytes;
    while !rest.is_empty() {
        match port.write(rest) {
            Ok(0) | Err(PortError::WouldBlock) => wait(port, true, deadline)?,
            Ok(n) => rest = rest.get(n..).unwrap_or_default(),
            Err(err) => return Err(port_status(err)),
        }
    }
    Ok(())
}

/// Waits until the stream is ready, or the deadline passes (`Timeout`).
fn wait<P: Port>(port: &mut P, writable: bool, deadline: &mut Deadline) -> Result<()> {
    loop {
        let remaining = deadline.remaining_ms();
        if remaining == 0 {
            return Err(Error::Timeout);
        }
        match port.wait(writable, remaining).map_err(port_status)? {
            Ready::Yes => return Ok(()),
            Ready::Hangup => return Err(Error::Closed),
            // Nothing ready: loop to check the deadline (poll may return early).
            Ready::No => {}
        }
    }
}
