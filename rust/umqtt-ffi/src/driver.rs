//! The blocking I/O driver: moves bytes between the engine's buffers and a
//! [`Port`], waiting for readiness with deadlines on the [`now`] clock.
//! Every wait is bounded by the caller's timeout (or unbounded for
//! [`FOREVER`]); partial writes are continued; "would block" waits.

use umqtt_core::client::Outgoing;
use umqtt_core::{Duration, EncodeError, Frame, FrameError, FrameReader, Instant, Packet};

use crate::port::{now, Port, PortError, Ready, FOREVER};
use crate::{umqtt_status, Result};

/// When a wait must give up; `None` waits forever.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    /// `timeout_ms` from now; negative ([`FOREVER`]) for no limit.
    pub(crate) fn after(timeout_ms: i32) -> Deadline {
        match u32::try_from(timeout_ms) {
            Ok(ms) => Deadline(Some(now().wrapping_add(Duration::from_millis(ms)))),
            Err(_) => Deadline(None),
        }
    }

    pub(crate) fn instant(self) -> Option<Instant> {
        self.0
    }

    /// Milliseconds left (0 once passed), or [`FOREVER`].
    fn remaining_ms(self) -> i32 {
        match self.0 {
            Some(deadline) => deadline.ms_since(now()).max(0),
            None => FOREVER,
        }
    }
}

/// The stream and the caller's buffers for one call.
pub(crate) struct Io<'a, P: Port> {
    port: &'a mut P,
    rx: &'a mut [u8],
    tx: &'a mut [u8],
    /// MQTT 5 inbound topic aliases (empty when none were announced).
    aliases: &'a mut [u8],
}

impl<'a, P: Port> Io<'a, P> {
    pub(crate) fn new(
        port: &'a mut P,
        rx: &'a mut [u8],
        tx: &'a mut [u8],
        aliases: &'a mut [u8],
    ) -> Io<'a, P> {
        Io {
            port,
            rx,
            tx,
            aliases,
        }
    }

    /// Size of the inbound topic alias store.
    pub(crate) fn aliases_len(&self) -> usize {
        self.aliases.len()
    }

    /// Forgets the inbound topic aliases (a new connection).
    pub(crate) fn clear_aliases(&mut self) {
        self.aliases.fill(0);
    }

    /// The transmit buffer (the non-blocking driver's queue lives in it).
    pub(crate) fn tx(&mut self) -> &mut [u8] {
        self.tx
    }

    /// Encodes `packet` into the transmit buffer at `start`; its length.
    pub(crate) fn encode_at(&mut self, packet: &Outgoing<'_>, start: usize) -> Result<usize> {
        let buf = self.tx.get_mut(start..).ok_or(umqtt_status::Internal)?;
        packet.encode(buf).map_err(encode_status)
    }

    /// Sends bytes `start..end` of the transmit buffer.
    pub(crate) fn send_tx(&mut self, start: usize, end: usize, deadline: Deadline) -> Result<()> {
        let bytes = self.tx.get(start..end).ok_or(umqtt_status::Internal)?;
        write_all(self.port, bytes, deadline)
    }

    /// Sends `packet` in one write when it fits the transmit buffer; a
    /// larger PUBLISH goes as its header from the buffer, then its payload
    /// from where it lies (no copy).
    pub(crate) fn send(&mut self, packet: &Outgoing<'_>, deadline: Deadline) -> Result<()> {
        if packet.encoded_len() <= self.tx.len() {
            let len = self.encode_at(packet, 0)?;
            return self.send_tx(0, len, deadline);
        }
        let header = match packet {
            Outgoing::V3(Packet::Publish(publish)) => publish.encode_header(self.tx),
            Outgoing::Publish5(publish, props) => {
                umqtt_core::codec::v5::encode_publish_header(publish, *props, self.tx)
            }
            _ => return Err(umqtt_status::BufferTooSmall),
        };
        let len = header.map_err(encode_status)?;
        self.send_tx(0, len, deadline)?;
        write_all(self.port, packet.payload(), deadline)
    }

    /// Reads one packet into the receive buffer. Waits until `first` for
    /// it to start; `Ok(None)` if it does not. From the first byte on (or
    /// at once, when continuing a packet a timeout interrupted) the rest
    /// must come within `rest_ms`.
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
            let buf = reader.read_buf(self.rx);
            if buf.is_empty() {
                // The receive buffer is smaller than the reader's limit.
                return Err(umqtt_status::Internal);
            }
            match read_some(self.port, buf, deadline) {
                Ok(n) => match reader.handle_read(n) {
                    Ok(Some(frame)) => return Ok(Some(frame)),
                    Ok(None) if was_idle => deadline = Deadline::after(rest_ms),
                    Ok(None) => {}
                    Err(FrameError::TooLarge { .. }) => return Err(umqtt_status::PacketTooLarge),
                    Err(_) => return Err(umqtt_status::Malformed),
                },
                Err(umqtt_status::Timeout) if reader.is_idle() => return Ok(None),
                Err(status) => return Err(status),
            }
        }
    }

    /// The body of the frame `read_frame` returned, and the alias store, for
    /// `Client::handle_frame`.
    pub(crate) fn frame_parts(&mut self, frame: Frame) -> Result<(&[u8], &mut [u8])> {
        let body = self
            .rx
            .get(..frame.body_len)
            .ok_or(umqtt_status::Internal)?;
        Ok((body, &mut *self.aliases))
    }

    /// Writes what the stream takes now of the transmit buffer's bytes
    /// `start..end`, without waiting: `Ok(0)` when it would block.
    pub(crate) fn write_now(&mut self, start: usize, end: usize) -> Result<usize> {
        let bytes = self.tx.get(start..end).ok_or(umqtt_status::Internal)?;
        if bytes.is_empty() {
            return Ok(0);
        }
        match self.port.write(bytes) {
            Ok(n) => Ok(n),
            Err(PortError::WouldBlock) => Ok(0),
            Err(err) => Err(port_status(err)),
        }
    }
}

pub(crate) fn encode_status(err: EncodeError) -> umqtt_status {
    match err {
        EncodeError::BufferTooSmall { .. } | EncodeError::PacketTooLarge => {
            umqtt_status::BufferTooSmall
        }
        _ => umqtt_status::InvalidArgument,
    }
}

fn port_status(err: PortError) -> umqtt_status {
    match err {
        PortError::Raised => umqtt_status::Raised,
        // WouldBlock only reaches here from a wait, which reports readiness.
        PortError::Os | PortError::WouldBlock => umqtt_status::OsError,
    }
}

/// Reads at least one byte into `buf`.
pub(crate) fn read_some<P: Port>(
    port: &mut P,
    buf: &mut [u8],
    deadline: Deadline,
) -> Result<usize> {
    loop {
        match port.read(buf) {
            Ok(0) => return Err(umqtt_status::Closed),
            Ok(n) => return Ok(n),
            Err(PortError::WouldBlock) => wait(port, false, deadline)?,
            Err(err) => return Err(port_status(err)),
        }
    }
}

/// Writes all of `bytes`, continuing partial writes.
pub(crate) fn write_all<P: Port>(port: &mut P, bytes: &[u8], deadline: Deadline) -> Result<()> {
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
fn wait<P: Port>(port: &mut P, writable: bool, deadline: Deadline) -> Result<()> {
    loop {
        let remaining = deadline.remaining_ms();
        if remaining == 0 {
            return Err(umqtt_status::Timeout);
        }
        match port.wait(writable, remaining).map_err(port_status)? {
            Ready::Yes => return Ok(()),
            Ready::Hangup => return Err(umqtt_status::Closed),
            // Nothing ready: loop to check the deadline (poll may return early).
            Ready::No => {}
        }
    }
}
