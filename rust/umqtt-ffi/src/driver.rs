//! The blocking I/O driver: moves bytes between the engine's buffers and a
//! MicroPython stream through the non-raising trampolines, waiting on the
//! stream's poller with deadlines on the tick counter.

use micropython_sys::{
    umqtt_port_read, umqtt_port_t, umqtt_port_ticks_ms, umqtt_port_wait, umqtt_port_write,
    MP_EAGAIN, MP_EINPROGRESS, MP_ETIMEDOUT, MP_EWOULDBLOCK, MP_STREAM_POLL_ERR,
    MP_STREAM_POLL_HUP, MP_STREAM_POLL_NVAL, MP_STREAM_POLL_RD, MP_STREAM_POLL_WR,
    UMQTT_PORT_FOREVER, UMQTT_PORT_OK, UMQTT_PORT_RAISED,
};
use umqtt_core::codec::v5::{self, Extra, Properties, ReasonCode, SubscriptionOptions};
use umqtt_core::codec::{
    Connect, Publish, Subscribe, SubscribeFilters, Unsubscribe, UnsubscribeFilters,
};
use umqtt_core::limits::TopicAliases;
use umqtt_core::{
    decode, DecodeError, Duration, EncodeError, Frame, FrameError, FrameReader, Instant, Packet,
    Pid, ProtocolVersion, TopicFilter,
};

use crate::{umqtt_status, Result};

// bindgen types `(0)` as u32 and `(-1)` as i32; the trampolines return int.
const PORT_OK: i32 = UMQTT_PORT_OK as i32;
const PORT_RAISED: i32 = UMQTT_PORT_RAISED;

/// The tick counter now.
pub(crate) fn now() -> Instant {
    // SAFETY: reads MicroPython's tick counter; cannot raise.
    Instant::from_millis(unsafe { umqtt_port_ticks_ms() })
}

/// When a wait must give up; `None` waits forever.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    /// `timeout_ms` from now; negative (`UMQTT_PORT_FOREVER`) for no limit.
    pub(crate) fn after(timeout_ms: i32) -> Deadline {
        match u32::try_from(timeout_ms) {
            Ok(ms) => Deadline(Some(now().wrapping_add(Duration::from_millis(ms)))),
            Err(_) => Deadline(None),
        }
    }

    pub(crate) fn instant(self) -> Option<Instant> {
        self.0
    }

    /// Milliseconds left (0 once passed), or `UMQTT_PORT_FOREVER`.
    fn remaining_ms(self) -> i32 {
        match self.0 {
            Some(deadline) => deadline.ms_since(now()).max(0),
            None => UMQTT_PORT_FOREVER,
        }
    }
}

/// A packet to send: the 3.1.1 form of any packet, or the MQTT 5 form of
/// those that differ (properties, reason codes, subscription options).
/// Acks and PINGREQ are the same bytes in both.
pub(crate) enum Outgoing<'a> {
    V3(Packet<'a>),
    Connect5(Connect<'a>, Properties<'a>, Properties<'a>),
    Publish5(Publish<'a>, Properties<'a>),
    /// SUBSCRIBE of one filter; MQTT 5 when it has properties.
    Subscribe(
        Pid,
        TopicFilter<'a>,
        SubscriptionOptions,
        Option<Properties<'a>>,
    ),
    /// UNSUBSCRIBE of one filter; MQTT 5 when it has properties.
    Unsubscribe(Pid, TopicFilter<'a>, Option<Properties<'a>>),
    Disconnect5(ReasonCode, Properties<'a>),
}

impl Outgoing<'_> {
    pub(crate) fn encoded_len(&self) -> usize {
        match self {
            Outgoing::V3(packet) => packet.encoded_len(),
            Outgoing::Connect5(connect, props, will) => v5::connect_len(connect, *props, *will),
            Outgoing::Publish5(publish, props) => {
                v5::publish_header_len(publish, *props).saturating_add(publish.payload.len())
            }
            Outgoing::Subscribe(pid, filter, options, Some(props)) => {
                v5::subscribe_len(*pid, &[(*filter, *options)], *props)
            }
            Outgoing::Subscribe(pid, filter, options, None) => {
                let list = [(*filter, options.qos)];
                let filters = SubscribeFilters::new(&list);
                Packet::Subscribe(Subscribe { pid: *pid, filters }).encoded_len()
            }
            Outgoing::Unsubscribe(pid, filter, Some(props)) => {
                v5::unsubscribe_len(*pid, &[*filter], *props)
            }
            Outgoing::Unsubscribe(pid, filter, None) => {
                let list = [*filter];
                let filters = UnsubscribeFilters::new(&list);
                Packet::Unsubscribe(Unsubscribe { pid: *pid, filters }).encoded_len()
            }
            Outgoing::Disconnect5(reason, props) => v5::disconnect_len(*reason, *props),
        }
    }

    pub(crate) fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        match self {
            Outgoing::V3(packet) => packet.encode(buf),
            Outgoing::Connect5(connect, props, will) => {
                v5::encode_connect(connect, *props, *will, buf)
            }
            Outgoing::Publish5(publish, props) => v5::encode_publish(publish, *props, buf),
            Outgoing::Subscribe(pid, filter, options, Some(props)) => {
                v5::encode_subscribe(*pid, &[(*filter, *options)], *props, buf)
            }
            Outgoing::Subscribe(pid, filter, options, None) => {
                let list = [(*filter, options.qos)];
                let filters = SubscribeFilters::new(&list);
                Packet::Subscribe(Subscribe { pid: *pid, filters }).encode(buf)
            }
            Outgoing::Unsubscribe(pid, filter, Some(props)) => {
                v5::encode_unsubscribe(*pid, &[*filter], *props, buf)
            }
            Outgoing::Unsubscribe(pid, filter, None) => {
                let list = [*filter];
                let filters = UnsubscribeFilters::new(&list);
                Packet::Unsubscribe(Unsubscribe { pid: *pid, filters }).encode(buf)
            }
            Outgoing::Disconnect5(reason, props) => v5::encode_disconnect(*reason, *props, buf),
        }
    }
}

impl<'a> From<Packet<'a>> for Outgoing<'a> {
    fn from(packet: Packet<'a>) -> Self {
        Outgoing::V3(packet)
    }
}

/// Why a received MQTT 5 packet is unusable.
pub(crate) enum V5Error {
    Decode(DecodeError),
    /// A topic alias the broker was not allowed to use, or one we cannot hold.
    Alias,
}

/// The stream and the buffers of one call.
pub(crate) struct Io<'a> {
    port: &'a mut umqtt_port_t,
    rx: &'a mut [u8],
    tx: &'a mut [u8],
    /// MQTT 5 inbound topic aliases (empty when none were announced).
    aliases: &'a mut [u8],
}

impl<'a> Io<'a> {
    pub(crate) fn new(
        port: &'a mut umqtt_port_t,
        rx: &'a mut [u8],
        tx: &'a mut [u8],
        aliases: &'a mut [u8],
    ) -> Io<'a> {
        Io {
            port,
            rx,
            tx,
            aliases,
        }
    }

    /// Encodes `packet` into the transmit buffer; returns its length.
    pub(crate) fn encode(&mut self, packet: &Outgoing<'_>) -> Result<usize> {
        packet.encode(self.tx).map_err(encode_status)
    }

    /// Size of the inbound topic alias store.
    pub(crate) fn aliases_len(&self) -> usize {
        self.aliases.len()
    }

    /// Forgets the inbound topic aliases (a new connection).
    pub(crate) fn clear_aliases(&mut self) {
        self.aliases.fill(0);
    }

    /// Sends the first `len` bytes of the transmit buffer.
    pub(crate) fn send_tx(&mut self, len: usize, deadline: Deadline) -> Result<()> {
        self.send_tx_range(0, len, deadline)
    }

    /// Sends bytes `start..end` of the transmit buffer.
    pub(crate) fn send_tx_range(
        &mut self,
        start: usize,
        end: usize,
        deadline: Deadline,
    ) -> Result<()> {
        let bytes = self.tx.get(start..end).ok_or(umqtt_status::Internal)?;
        write_all(self.port, bytes, deadline)
    }

    /// Sends a PUBLISH in one write when it fits the transmit buffer, else
    /// its header from the buffer and its payload from where it lies.
    /// `properties`: `Some` on an MQTT 5 connection.
    pub(crate) fn send_publish(
        &mut self,
        publish: &Publish<'_>,
        properties: Option<Properties<'_>>,
        deadline: Deadline,
    ) -> Result<()> {
        let whole = match properties {
            None => publish.encoded_len(),
            Some(props) => {
                v5::publish_header_len(publish, props).saturating_add(publish.payload.len())
            }
        };
        if whole <= self.tx.len() {
            let len = match properties {
                None => publish.encode(self.tx),
                Some(props) => v5::encode_publish(publish, props, self.tx),
            }
            .map_err(encode_status)?;
            return self.send_tx(len, deadline);
        }
        let len = match properties {
            None => publish.encode_header(self.tx),
            Some(props) => v5::encode_publish_header(publish, props, self.tx),
        }
        .map_err(encode_status)?;
        self.send_tx(len, deadline)?;
        write_all(self.port, publish.payload, deadline)
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

    /// Size of the transmit buffer.
    pub(crate) fn tx_cap(&self) -> usize {
        self.tx.len()
    }

    /// Moves the bytes `off..len` of the transmit buffer to its start.
    pub(crate) fn tx_compact(&mut self, off: usize, len: usize) {
        if off < len && len <= self.tx.len() {
            self.tx.copy_within(off..len, 0);
        }
    }

    /// Encodes `packet` into the transmit buffer at `start`; returns its length.
    pub(crate) fn encode_at(&mut self, packet: &Outgoing<'_>, start: usize) -> Result<usize> {
        let buf = self.tx.get_mut(start..).ok_or(umqtt_status::Internal)?;
        packet.encode(buf).map_err(encode_status)
    }

    /// Writes what the stream takes now of the transmit buffer's bytes
    /// `off..len`, without waiting: `Ok(0)` when it would block.
    pub(crate) fn write_now(&mut self, off: usize, len: usize) -> Result<usize> {
        let bytes = self.tx.get(off..len).ok_or(umqtt_status::Internal)?;
        if bytes.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        // SAFETY: bytes is valid for bytes.len() bytes; the trampoline cannot raise.
        let code = unsafe { umqtt_port_write(self.port, bytes.as_ptr(), bytes.len(), &mut n) };
        match code {
            PORT_OK => Ok(n.min(bytes.len())),
            PORT_RAISED => Err(umqtt_status::Raised),
            code if would_block(code) => Ok(0),
            _ => Err(umqtt_status::OsError),
        }
    }

    /// Decodes the frame `read_frame` returned, from the receive buffer.
    pub(crate) fn decode(
        &self,
        frame: Frame,
        version: ProtocolVersion,
    ) -> Result<Packet<'_>, DecodeError> {
        let body = self
            .rx
            .get(..frame.body_len)
            .ok_or(DecodeError::Truncated)?;
        decode(frame.first_byte, body, version)
    }

    /// Decodes an MQTT 5 frame and resolves a PUBLISH's topic alias
    /// against the aliases the broker set before (`aliases`: the Topic
    /// Alias Maximum we announced).
    pub(crate) fn decode_v5(
        &mut self,
        frame: Frame,
        aliases: TopicAliases,
    ) -> Result<(Packet<'_>, Extra<'_>), V5Error> {
        let body = self
            .rx
            .get(..frame.body_len)
            .ok_or(V5Error::Decode(DecodeError::Truncated))?;
        let (packet, extra) = v5::decode(frame.first_byte, body).map_err(V5Error::Decode)?;
        let Packet::Publish(mut publish) = packet else {
            return Ok((packet, extra));
        };
        if extra.topic_alias.is_some() {
            publish.topic = aliases
                .resolve(self.aliases, publish.topic, extra.topic_alias)
                .map_err(|_| V5Error::Alias)?;
        }
        Ok((Packet::Publish(publish), extra))
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

/// EAGAIN and friends: the stream is not ready, wait on the poller.
fn would_block(code: i32) -> bool {
    [MP_EAGAIN, MP_EWOULDBLOCK, MP_EINPROGRESS, MP_ETIMEDOUT]
        .iter()
        .any(|&e| i32::try_from(e) == Ok(code))
}

/// Reads at least one byte into `buf`.
pub(crate) fn read_some(
    port: &mut umqtt_port_t,
    buf: &mut [u8],
    deadline: Deadline,
) -> Result<usize> {
    loop {
        let mut n = 0;
        // SAFETY: buf is valid for buf.len() bytes; the trampoline cannot raise.
        let code = unsafe { umqtt_port_read(port, buf.as_mut_ptr(), buf.len(), &mut n) };
        match code {
            PORT_OK if n == 0 => return Err(umqtt_status::Closed),
            PORT_OK => return Ok(n.min(buf.len())),
            PORT_RAISED => return Err(umqtt_status::Raised),
            code if would_block(code) => wait(port, MP_STREAM_POLL_RD, deadline)?,
            _ => return Err(umqtt_status::OsError),
        }
    }
}

/// Writes all of `bytes`, continuing partial writes.
pub(crate) fn write_all(port: &mut umqtt_port_t, bytes: &[u8], deadline: Deadline) -> Result<()> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut n = 0;
        // SAFETY: rest is valid for rest.len() bytes; the trampoline cannot raise.
        let code = unsafe { umqtt_port_write(port, rest.as_ptr(), rest.len(), &mut n) };
        match code {
            PORT_OK if n > 0 => rest = rest.get(n..).unwrap_or_default(),
            PORT_OK => wait(port, MP_STREAM_POLL_WR, deadline)?,
            PORT_RAISED => return Err(umqtt_status::Raised),
            code if would_block(code) => wait(port, MP_STREAM_POLL_WR, deadline)?,
            _ => return Err(umqtt_status::OsError),
        }
    }
    Ok(())
}

/// Waits until the stream is ready for `events`, or the deadline passes.
fn wait(port: &mut umqtt_port_t, events: u32, deadline: Deadline) -> Result<()> {
    loop {
        let remaining = deadline.remaining_ms();
        if remaining == 0 {
            return Err(umqtt_status::Timeout);
        }
        let mut ready = 0;
        // SAFETY: the trampoline cannot raise; `ready` is a local.
        match unsafe { umqtt_port_wait(port, events, remaining, &mut ready) } {
            PORT_OK => {}
            PORT_RAISED => return Err(umqtt_status::Raised),
            _ => return Err(umqtt_status::OsError),
        }
        if ready & events != 0 {
            return Ok(());
        }
        if ready & (MP_STREAM_POLL_ERR | MP_STREAM_POLL_HUP | MP_STREAM_POLL_NVAL) != 0 {
            return Err(umqtt_status::Closed);
        }
        // Nothing ready: loop to check the deadline (poll may return early).
    }
}
